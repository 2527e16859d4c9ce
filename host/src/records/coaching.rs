//! Alerts, recognitions, coaching sessions and scorecards: the records the
//! coaching workflow writes, with their state changes.

use super::{CoachingRecords, Filter, RecordError, Result, every, invalid};
use crate::clock::now_ms;
use crate::model::{
    ActionStatus, AgentFigures, Alert, AlertState, CoachingSession, Evaluation, Feedback,
    Interaction, PairingState, RatingKind, Recognition, RecognitionState, SessionKind,
    SessionStrategy, TimestampMs,
};
use crate::store::{Page, Term};

/// The longest session anyone plans, in minutes.
const MAX_SESSION_MINUTES: u32 = 8 * 60;

/// Trimmed text, or nothing when blank.
fn tidy(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// Rapport notes written by anyone but the session's coach.
fn rapport_not_yours() -> RecordError {
    invalid(
        "rapport_notes",
        "rapport notes are the session's coach's own: only a token belonging to `coach_id` writes them; leave them out",
    )
}

/// Now plus `hours`.
pub fn deadline(from: TimestampMs, hours: u32) -> TimestampMs {
    from + i64::from(hours) * 3_600_000
}

impl CoachingRecords {
    /// Raise an alert unless its rule already raised one for the same
    /// record; staged, not flushed. `None` when it already exists.
    pub fn stage_alert(&self, mut a: Alert) -> Result<Option<Alert>> {
        let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
        if self
            .store
            .alerts
            .owner_of(&Term::Raised(a.dedup_key()))?
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
    /// alert's agent; the session gains the alert, and the interaction and
    /// evaluation the alert is about, where it did not list them.
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
        let mut gained = false;
        for (list, item) in [
            (&mut session.alert_ids, Some(&alert.id)),
            (&mut session.interaction_ids, alert.interaction_id.as_ref()),
            (&mut session.evaluation_ids, alert.evaluation_id.as_ref()),
        ] {
            if let Some(item) = item
                && !list.contains(item)
            {
                list.push(item.clone());
                gained = true;
            }
        }
        if gained {
            self.store.sessions.upsert(session)?;
            self.flush().await?;
        }
        Ok(alert)
    }

    /// Raise a recognition candidate unless the evaluation already has
    /// one; staged, not flushed.
    pub fn stage_recognition(&self, mut r: Recognition) -> Result<Option<Recognition>> {
        let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
        if self
            .store
            .recognitions
            .owner_of(&Term::Evaluation(r.evaluation_id.clone()))?
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

    /// Check a session against the records it names.
    fn check_session(&self, s: &CoachingSession) -> Result<()> {
        self.agent_exists("agent_id", &s.agent_id)?;
        self.person_exists("coach_id", &s.coach_id)?;
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
        for (k, n) in s.observer_notes.iter().enumerate() {
            if !s.observers.contains(&n.observer_id) {
                return Err(invalid(
                    format!("observer_notes[{k}].observer_id"),
                    format!("{} is not one of this session's observers", n.observer_id),
                ));
            }
            if n.note.trim().is_empty() {
                return Err(invalid(
                    format!("observer_notes[{k}].note"),
                    "must not be empty",
                ));
            }
        }
        if s.kind == SessionKind::Recognition
            && s.strategy
                .is_some_and(|st| st != SessionStrategy::Recognition)
        {
            return Err(invalid(
                "strategy",
                "a recognition session recognises good work: its strategy is `recognition` (or none)",
            ));
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
        if let Some(prior) = &s.follows_up {
            let p: Option<CoachingSession> = self.store.sessions.get(prior)?;
            match p {
                None => {
                    return Err(invalid("follows_up", format!("unknown session {prior:?}")));
                }
                Some(p) if p.agent_id != s.agent_id => {
                    return Err(invalid(
                        "follows_up",
                        format!("session {prior} coached {}, not {}", p.agent_id, s.agent_id),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(id) = &s.pairing_id {
            let p = self
                .store
                .pairings
                .get::<crate::model::Pairing>(id)?
                .ok_or_else(|| invalid("pairing_id", format!("unknown pairing {id:?}")))?;
            if s.kind != SessionKind::Mentoring {
                return Err(invalid(
                    "pairing_id",
                    "only mentoring sessions belong to a pairing",
                ));
            }
            if !matches!(p.state, PairingState::Accepted | PairingState::Active) {
                return Err(invalid(
                    "pairing_id",
                    format!("pairing {id} is {}", crate::store::pairing_state(p.state)),
                ));
            }
            if p.mentor_id != s.coach_id || p.protege_id != s.agent_id {
                return Err(invalid(
                    "pairing_id",
                    "a mentoring session's coach is the pairing's mentor and its agent the protégé",
                ));
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

    /// Check a session as [`CoachingRecords::create_session`] would, without
    /// storing it.
    pub fn validate_session(&self, s: &CoachingSession) -> Result<()> {
        self.check_session(s)
    }

    /// Record a coaching session on nobody's behalf in particular (the
    /// planner's sessions): as [`CoachingRecords::create_session_by`] with no
    /// author, so it carries no rapport notes.
    pub async fn create_session(&self, s: CoachingSession) -> Result<CoachingSession> {
        self.create_session_by(s, None).await
    }

    /// Record a coaching session written by `author` (the caller's person),
    /// with the agent's current figures against the team's targets pulled
    /// in. Rapport notes are the coach's own: refused unless `author` is
    /// the session's coach. A session that `follows_up` another marks that
    /// follow-up done; a mentoring session on an accepted pairing makes it
    /// active. Durable on return.
    pub async fn create_session_by(
        &self,
        mut s: CoachingSession,
        author: Option<&str>,
    ) -> Result<CoachingSession> {
        super::check_ulid_free(&s.id)?;
        s.rapport_notes = tidy(s.rapport_notes.take());
        if s.rapport_notes.is_some() && !s.is_coach(author) {
            return Err(rapport_not_yours());
        }
        for (field, set) in [
            ("figures", s.figures.is_some()),
            ("closed_at", s.closed_at.is_some()),
            ("followed_up_at", s.followed_up_at.is_some()),
        ] {
            if set {
                return Err(invalid(
                    field,
                    "is set by the server (figures when recorded, closure and follow-up as they happen); leave it out",
                ));
            }
        }
        // The acknowledgement is the agent's own act (through their own
        // token): nobody records it on their behalf.
        for (field, set) in [
            ("acknowledged_at", s.acknowledged_at.is_some()),
            ("agent_comment", s.agent_comment.is_some()),
        ] {
            if set {
                return Err(invalid(
                    field,
                    "only the agent sets this, by acknowledging the session; leave it out",
                ));
            }
        }
        self.check_session(&s)?;
        s.id = crate::model::new_id();
        s.figures = Some(self.figures(&s.agent_id, now_ms())?);
        let stored = self.store.sessions.upsert(s)?.1;
        if let Some(prior) = &stored.follows_up {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let mut p = self.session(prior)?;
            p.followed_up_at.get_or_insert(stored.scheduled_at);
            self.store.sessions.upsert(p)?;
        }
        if let Some(pairing) = &stored.pairing_id {
            self.mentoring().stage_pairing_change(pairing, |p| {
                if p.state == PairingState::Accepted {
                    p.state = PairingState::Active;
                }
                Ok(())
            })?;
        }
        self.flush().await?;
        Ok(stored)
    }

    /// The agent's QA and CSAT over the 28 days before `at`, beside the
    /// team's targets.
    pub fn figures(&self, agent_id: &str, at: TimestampMs) -> Result<AgentFigures> {
        let since = at - 28 * 86_400_000;
        let window = Filter::term(Term::Agent(agent_id.to_string())).between(since, at + 1);
        let evals: Vec<Evaluation> =
            every(window.clone(), |f| self.list(&self.store.evaluations, f))?;
        let feedback: Vec<Feedback> = every(window, |f| self.list(&self.store.feedback, f))?;
        let qa: Vec<f64> = evals
            .iter()
            .filter_map(|e| e.scorecard.as_ref().map(|c| c.card.score))
            .collect();
        let csat: Vec<f64> = feedback
            .iter()
            .filter(|f| f.kind == RatingKind::Csat && f.scale_max > f.scale_min)
            .map(Feedback::on_1_to_5)
            .collect();
        let mean = |v: &[f64]| crate::model::Mean::of(v).mean;
        let team = match self.people().agent(agent_id)?.team_id {
            Some(t) => self.people().team(&t).ok(),
            None => None,
        };
        Ok(AgentFigures {
            since,
            qa: mean(&qa),
            qa_count: qa.len(),
            csat: mean(&csat),
            csat_count: csat.len(),
            qa_target: team.as_ref().and_then(|t| t.targets.qa_percent),
            csat_target: team.as_ref().and_then(|t| t.targets.csat),
        })
    }

    /// Replace a session's content (targets, behaviours, root causes,
    /// action plan, notes, links, follow-up, time, strategy) on behalf of
    /// `editor` (the caller's person). Who and what kind stay. The rapport
    /// notes change only when `editor` is the session's coach; anyone
    /// else's change keeps them (and may not set them). Durable on return.
    pub async fn update_session(
        &self,
        id: &str,
        mut s: CoachingSession,
        editor: Option<&str>,
    ) -> Result<CoachingSession> {
        let stored = {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let old = self.session(id)?;
            for (field, same) in [
                ("kind", old.kind == s.kind),
                ("coach_id", old.coach_id == s.coach_id),
                ("agent_id", old.agent_id == s.agent_id),
                ("pairing_id", old.pairing_id == s.pairing_id),
                ("follows_up", old.follows_up == s.follows_up),
            ] {
                if !same {
                    return Err(invalid(
                        field,
                        "cannot change on a recorded session; record a new one",
                    ));
                }
            }
            if old.closed_at.is_some() {
                return Err(RecordError::Conflict(format!("session {id} is closed")));
            }
            s.rapport_notes = tidy(s.rapport_notes.take());
            if !old.is_coach(editor) {
                if s.rapport_notes.is_some() {
                    return Err(rapport_not_yours());
                }
                s.rapport_notes = old.rapport_notes.clone();
            }
            s.id = old.id.clone();
            s.figures = old.figures;
            s.closed_at = None;
            s.followed_up_at = old.followed_up_at;
            s.acknowledged_at = old.acknowledged_at;
            s.agent_comment = old.agent_comment;
            self.check_session(&s)?;
            self.store.sessions.upsert(s)?.1
        };
        self.flush().await?;
        Ok(stored)
    }

    /// The coached agent acknowledges the session, with a comment.
    pub async fn acknowledge_session(
        &self,
        id: &str,
        comment: Option<String>,
    ) -> Result<CoachingSession> {
        let stored = {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let mut s = self.session(id)?;
            if s.acknowledged_at.is_some() {
                return Err(RecordError::Conflict(format!(
                    "session {id} was already acknowledged"
                )));
            }
            s.acknowledged_at = Some(now_ms());
            s.agent_comment = comment
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty());
            self.store.sessions.upsert(s)?.1
        };
        self.flush().await?;
        Ok(stored)
    }

    /// An observer's own note on a session they observe (replacing their
    /// earlier note; an empty note removes it).
    pub async fn set_observer_note(
        &self,
        id: &str,
        observer_id: &str,
        note: &str,
    ) -> Result<CoachingSession> {
        let stored = {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let mut s = self.session(id)?;
            if !s.observers.iter().any(|o| o == observer_id) {
                return Err(RecordError::Conflict(format!(
                    "{observer_id} does not observe session {id}"
                )));
            }
            s.observer_notes.retain(|n| n.observer_id != observer_id);
            let note = note.trim();
            if !note.is_empty() {
                s.observer_notes.push(crate::model::ObserverNote {
                    observer_id: observer_id.to_string(),
                    note: note.to_string(),
                });
            }
            self.store.sessions.upsert(s)?.1
        };
        self.flush().await?;
        Ok(stored)
    }

    /// Set one action item's status (its owner or the coach).
    pub async fn set_action_status(
        &self,
        id: &str,
        index: usize,
        status: ActionStatus,
    ) -> Result<CoachingSession> {
        let stored = {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let mut s = self.session(id)?;
            let n = s.action_items.len();
            let item = s
                .action_items
                .get_mut(index)
                .ok_or_else(|| RecordError::NotFound {
                    kind: "action item",
                    id: format!("{id}/{index} (the session has {n})"),
                })?;
            item.status = status;
            self.store.sessions.upsert(s)?.1
        };
        self.flush().await?;
        Ok(stored)
    }

    /// The coach closes the session. Closing a micro-coaching session marks
    /// the alerts it covers coached. Returns the session and those alerts.
    pub async fn close_session(
        &self,
        id: &str,
        actor: &str,
    ) -> Result<(CoachingSession, Vec<Alert>)> {
        let (stored, alerts) = {
            let _guard = self.transitions.lock().unwrap_or_else(|p| p.into_inner());
            let mut s = self.session(id)?;
            if s.closed_at.is_some() {
                return Err(RecordError::Conflict(format!(
                    "session {id} is already closed"
                )));
            }
            let at = now_ms();
            s.closed_at = Some(at);
            let mut alerts = Vec::new();
            if s.kind == SessionKind::MicroCoaching {
                for a in &s.alert_ids {
                    let mut alert = self.alert(a)?;
                    if alert.pending() {
                        alert.state = AlertState::Coached;
                        alert.session_id = Some(s.id.clone());
                        alert.updated_by = Some(actor.to_string());
                        alert.updated_at = at;
                        alerts.push(self.store.alerts.upsert(alert)?.1);
                    }
                }
            }
            (self.store.sessions.upsert(s)?.1, alerts)
        };
        self.flush().await?;
        Ok((stored, alerts))
    }

    /// A coach's overdue follow-ups (a follow-up date passed with no later
    /// session following it up) and overdue action items (due, not done
    /// or cancelled).
    pub fn overdue(&self, coach_id: &str, now: TimestampMs) -> Result<crate::model::Overdue> {
        let sessions: Vec<CoachingSession> =
            every(Filter::term(Term::Coach(coach_id.to_string())), |f| {
                self.list(&self.store.sessions, f)
            })?;
        let mut out = crate::model::Overdue {
            coach_id: coach_id.to_string(),
            follow_ups: Vec::new(),
            action_items: Vec::new(),
        };
        for s in sessions {
            for (index, item) in s.action_items.iter().enumerate() {
                if item.due < now
                    && matches!(item.status, ActionStatus::Open | ActionStatus::InProgress)
                {
                    out.action_items.push(crate::model::OverdueAction {
                        session_id: s.id.clone(),
                        agent_id: s.agent_id.clone(),
                        index,
                        item: item.clone(),
                    });
                }
            }
            if s.follow_up_at.is_some_and(|t| t < now) && s.followed_up_at.is_none() {
                out.follow_ups.push(s);
            }
        }
        Ok(out)
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
