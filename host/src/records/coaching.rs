//! Alerts, recognitions, coaching sessions and scorecards: the records the
//! coaching workflow writes, with their state changes.

use super::{Filter, RecordError, Records, Result, invalid};
use crate::model::{
    Alert, AlertState, CoachingSession, Evaluation, Interaction, Recognition, RecognitionState,
    SessionKind, TimestampMs,
};
use crate::runtime::now_ms;
use crate::store::Page;

/// The longest session anyone plans, in minutes.
const MAX_SESSION_MINUTES: u32 = 8 * 60;

impl Records {
    // ---- scorecards ------------------------------------------------------------

    /// Write an evaluation's scorecard (or scoring error) as the scorer
    /// produced it, without flushing. The evaluation must exist.
    pub fn stage_scored(&self, e: Evaluation) -> Result<Evaluation> {
        Ok(self.store.evaluations.update(e)?.1)
    }

    // ---- alerts --------------------------------------------------------------

    /// Raise an alert unless its rule already raised one for the same
    /// record; staged, not flushed. `None` when it already exists.
    pub fn stage_alert(&self, mut a: Alert) -> Result<Option<Alert>> {
        let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
        if self
            .store
            .alerts
            .owner_of("raised", &a.dedup_key())?
            .is_some()
        {
            return Ok(None);
        }
        a.id = crate::model::new_id();
        a.updated_at = a.raised_at;
        Ok(Some(self.store.alerts.upsert(a)?.1))
    }

    /// One alert.
    pub fn alert(&self, id: &str) -> Result<Alert> {
        self.get(&self.store.alerts, id)
    }

    /// A page of alerts, in deadline order.
    pub fn alerts(&self, f: Filter) -> Result<Page<Alert>> {
        self.list(&self.store.alerts, f)
    }

    /// Move an alert to `to`; `change` may refuse. Durable on return.
    async fn move_alert(
        &self,
        id: &str,
        actor: &str,
        to: AlertState,
        change: impl FnOnce(&mut Alert) -> Result<()>,
    ) -> Result<Alert> {
        let alert = {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let mut a = self.alert(id)?;
            // open → acknowledged → coached | dismissed; open may skip ahead.
            let allowed = matches!(
                (a.state, to),
                (AlertState::Open, AlertState::Acknowledged)
                    | (
                        AlertState::Open | AlertState::Acknowledged,
                        AlertState::Coached | AlertState::Dismissed
                    )
            );
            if !allowed {
                return Err(RecordError::Conflict(format!(
                    "alert {id} is {}; it cannot become {}",
                    crate::store::alert_state(a.state),
                    crate::store::alert_state(to)
                )));
            }
            change(&mut a)?;
            a.state = to;
            a.updated_by = Some(actor.to_string());
            a.updated_at = now_ms();
            self.store.alerts.upsert(a)?.1
        };
        self.flush().await?;
        Ok(alert)
    }

    /// The supervisor has seen the alert.
    pub async fn acknowledge_alert(&self, id: &str, actor: &str) -> Result<Alert> {
        self.move_alert(id, actor, AlertState::Acknowledged, |_| Ok(()))
            .await
    }

    /// Closed without coaching, with a reason.
    pub async fn dismiss_alert(&self, id: &str, actor: &str, reason: &str) -> Result<Alert> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(invalid("reason", "say why no coaching is needed"));
        }
        self.move_alert(id, actor, AlertState::Dismissed, |a| {
            a.dismissed_reason = Some(reason.to_string());
            Ok(())
        })
        .await
    }

    /// Handled in coaching session `session_id`, which must coach the
    /// alert's agent; the session gains the alert if it did not list it.
    pub async fn coach_alert(&self, id: &str, actor: &str, session_id: &str) -> Result<Alert> {
        let mut session: CoachingSession = self
            .store
            .sessions
            .get(session_id)?
            .ok_or_else(|| invalid("session_id", format!("unknown session {session_id:?}")))?;
        let alert = self
            .move_alert(id, actor, AlertState::Coached, |a| {
                if session.agent_id != a.agent_id {
                    return Err(invalid(
                        "session_id",
                        format!(
                            "session {session_id} coaches agent {}, the alert is about {}",
                            session.agent_id, a.agent_id
                        ),
                    ));
                }
                a.session_id = Some(session_id.to_string());
                Ok(())
            })
            .await?;
        if !session.alert_ids.iter().any(|a| a == id) {
            session.alert_ids.push(id.to_string());
            self.store.sessions.upsert(session)?;
            self.flush().await?;
        }
        Ok(alert)
    }

    // ---- recognitions -----------------------------------------------------------

    /// Raise a recognition candidate unless the evaluation already has
    /// one; staged, not flushed.
    pub fn stage_recognition(&self, mut r: Recognition) -> Result<Option<Recognition>> {
        let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
        if self
            .store
            .recognitions
            .owner_of("evaluation", &r.evaluation_id)?
            .is_some()
        {
            return Ok(None);
        }
        r.id = crate::model::new_id();
        Ok(Some(self.store.recognitions.upsert(r)?.1))
    }

    /// One recognition candidate.
    pub fn recognition(&self, id: &str) -> Result<Recognition> {
        self.get(&self.store.recognitions, id)
    }

    /// A page of recognition candidates.
    pub fn recognitions(&self, f: Filter) -> Result<Page<Recognition>> {
        self.list(&self.store.recognitions, f)
    }

    /// A leader acknowledges a high score. Durable on return.
    pub async fn acknowledge_recognition(
        &self,
        id: &str,
        actor: &str,
        note: Option<String>,
    ) -> Result<Recognition> {
        let r = {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let mut r = self.recognition(id)?;
            if r.state == RecognitionState::Acknowledged {
                return Err(RecordError::Conflict(format!(
                    "recognition {id} was already acknowledged by {}",
                    r.acknowledged_by.as_deref().unwrap_or("someone")
                )));
            }
            r.state = RecognitionState::Acknowledged;
            r.acknowledged_by = Some(actor.to_string());
            r.acknowledged_at = Some(now_ms());
            r.note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
            self.store.recognitions.upsert(r)?.1
        };
        self.flush().await?;
        Ok(r)
    }

    // ---- coaching sessions ---------------------------------------------------

    /// Check a session against the records it names.
    fn check_session(&self, s: &CoachingSession) -> Result<()> {
        self.agent_exists("agent_id", &s.agent_id)?;
        self.agent_exists("coach_id", &s.coach_id)?;
        if s.coach_id == s.agent_id {
            return Err(invalid("coach_id", "an agent cannot coach themselves"));
        }
        if !(1..=MAX_SESSION_MINUTES).contains(&s.duration_minutes) {
            return Err(invalid(
                "duration_minutes",
                format!("must be within 1..={MAX_SESSION_MINUTES}"),
            ));
        }
        if s.scheduled_at <= 0 {
            return Err(invalid("scheduled_at", "must be a time (ms since epoch)"));
        }
        for (k, o) in s.observers.iter().enumerate() {
            self.agent_exists(&format!("observers[{k}]"), o)?;
            if *o == s.agent_id || *o == s.coach_id {
                return Err(invalid(
                    format!("observers[{k}]"),
                    "the coached agent and the coach are not observers",
                ));
            }
        }
        if s.kind == SessionKind::Observed && s.observers.is_empty() {
            return Err(invalid(
                "observers",
                "an observed session (a packet) has at least one observer",
            ));
        }
        for (k, id) in s.interaction_ids.iter().enumerate() {
            let i: Option<Interaction> = self.store.interactions.get(id)?;
            if i.is_none() {
                return Err(invalid(
                    format!("interaction_ids[{k}]"),
                    format!("unknown interaction {id:?}"),
                ));
            }
        }
        for (k, id) in s.evaluation_ids.iter().enumerate() {
            let e: Option<Evaluation> = self.store.evaluations.get(id)?;
            if e.is_none() {
                return Err(invalid(
                    format!("evaluation_ids[{k}]"),
                    format!("unknown evaluation {id:?}"),
                ));
            }
        }
        for (k, id) in s.alert_ids.iter().enumerate() {
            let a: Option<Alert> = self.store.alerts.get(id)?;
            match a {
                None => {
                    return Err(invalid(
                        format!("alert_ids[{k}]"),
                        format!("unknown alert {id:?}"),
                    ));
                }
                Some(a) if a.agent_id != s.agent_id => {
                    return Err(invalid(
                        format!("alert_ids[{k}]"),
                        format!(
                            "alert {id} is about agent {}, not {}",
                            a.agent_id, s.agent_id
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        for (k, item) in s.action_items.iter().enumerate() {
            if item.description.trim().is_empty() {
                return Err(invalid(
                    format!("action_items[{k}].description"),
                    "must not be empty",
                ));
            }
            self.agent_exists(&format!("action_items[{k}].owner_id"), &item.owner_id)?;
        }
        Ok(())
    }

    /// Check a session as [`Records::create_session`] would, without
    /// storing it.
    pub fn validate_session(&self, s: &CoachingSession) -> Result<()> {
        self.check_session(s)
    }

    /// Record a coaching session. Durable on return.
    pub async fn create_session(&self, mut s: CoachingSession) -> Result<CoachingSession> {
        super::check_ulid_free(&s.id)?;
        self.check_session(&s)?;
        s.id = crate::model::new_id();
        Ok(self.write(&self.store.sessions, s).await?.1)
    }

    /// One session.
    pub fn session(&self, id: &str) -> Result<CoachingSession> {
        self.get(&self.store.sessions, id)
    }

    /// A page of sessions, in scheduled order.
    pub fn sessions(&self, f: Filter) -> Result<Page<CoachingSession>> {
        self.list(&self.store.sessions, f)
    }
}

/// Now plus `hours`.
pub fn deadline(from: TimestampMs, hours: u32) -> TimestampMs {
    from + i64::from(hours) * 3_600_000
}
