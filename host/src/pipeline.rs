//! What happens to a record after it is stored: score it, flag it, raise
//! recognitions, then — once durable — publish it live.
//!
//! Ingest and the records API both write through here, so a Zendesk rating
//! posted by the vendor and one posted by hand take the same path:
//!
//! ```text
//! stage records → score new evaluations (scorer plugin, batched)
//!               → flag feedback / scored evaluations / interactions
//!                 (config rules + flagger plugins) and live segments
//!                 (`live` rules) → stage alerts
//!               → stage recognitions (score ≥ the team's threshold)
//!               → one flush → publish feedback, scorecards, alerts,
//!                 recognitions on the live stream
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::clock::now_ms;
use crate::config::Config;
use crate::flags::{Flags, LiveSignal, Subject};
use crate::live::Hub;
use crate::metrics::Metrics;
use crate::model::{
    Alert, Evaluation, Feedback, Interaction, LiveKind, Recognition, RecognitionState,
    RerunFlagsReport, RerunFlagsRequest,
};
use crate::records::{Filter, RecordError, Records, Upserted};

/// Records per page (and per flagger call) of a re-run.
const RERUN_BATCH: usize = 200;
use crate::runtime::Runtime;
use crate::scoring::Scoring;

/// Records staged by one write (a delivery or an API call) that the
/// pipeline should look at.
#[derive(Debug, Default)]
pub struct Fresh {
    /// New or changed feedback.
    pub feedback: Vec<Feedback>,
    /// New or changed evaluations (scored here unless they kept a scorecard).
    pub evaluations: Vec<Evaluation>,
    /// New or changed interactions.
    pub interactions: Vec<Interaction>,
    /// Live segments with their interactions: flagged, never stored.
    pub live: Vec<LiveSignal>,
}

impl Fresh {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.feedback.is_empty()
            && self.evaluations.is_empty()
            && self.interactions.is_empty()
            && self.live.is_empty()
    }
}

/// What the pipeline staged; [`Processed::publish`] it after the flush.
#[derive(Debug, Default)]
pub struct Processed {
    /// Evaluations scored (scorecard set).
    pub scored: Vec<Evaluation>,
    /// Evaluations the scorer could not score (`score_error` set).
    pub unscored: Vec<Evaluation>,
    /// Feedback to publish.
    pub feedback: Vec<Feedback>,
    /// Alerts raised.
    pub alerts: Vec<Alert>,
    /// Recognition candidates raised.
    pub recognitions: Vec<Recognition>,
    /// Time in the scorer and flaggers (ms).
    pub plugins_ms: f64,
}

impl Processed {
    /// Push everything to live subscribers; call once it is durable.
    pub fn publish(&self, hub: &Hub) {
        for f in &self.feedback {
            hub.publish(
                LiveKind::Feedback,
                f.agent_id.as_deref(),
                f.team_id.as_deref(),
                f,
            );
        }
        for e in &self.scored {
            hub.publish(
                LiveKind::Scorecard,
                Some(&e.agent_id),
                e.team_id.as_deref(),
                e,
            );
        }
        for a in &self.alerts {
            hub.publish(LiveKind::Alert, Some(&a.agent_id), a.team_id.as_deref(), a);
        }
        for r in &self.recognitions {
            hub.publish(
                LiveKind::Recognition,
                Some(&r.agent_id),
                r.team_id.as_deref(),
                r,
            );
        }
    }
}

/// The pipeline.
#[derive(Clone)]
pub struct Pipeline {
    /// Scoring.
    pub scoring: Scoring,
    /// Flags.
    pub flags: Flags,
    /// The records.
    pub records: Records,
    /// The live hub.
    pub hub: Hub,
    config: Arc<Config>,
}

impl Pipeline {
    /// The pipeline over the runtime, the records and the hub.
    pub fn new(
        runtime: Arc<Runtime>,
        records: Records,
        config: Arc<Config>,
        metrics: Arc<Metrics>,
        hub: Hub,
    ) -> Pipeline {
        Pipeline {
            scoring: Scoring::new(
                runtime.clone(),
                records.clone(),
                config.clone(),
                metrics.clone(),
            ),
            flags: Flags::new(runtime, records.clone(), config.clone(), metrics),
            records,
            hub,
            config,
        }
    }

    /// Score, flag and recognise `fresh`; everything is staged, nothing
    /// flushed ([`Pipeline::finish`] flushes, then publishes).
    async fn process(&self, fresh: Fresh) -> Result<Processed, RecordError> {
        let mut out = Processed::default();
        if fresh.is_empty() {
            return Ok(out);
        }
        let started = Instant::now();
        // An update that kept its scorecard (same answers) is not news.
        let to_score: Vec<_> = fresh
            .evaluations
            .into_iter()
            .filter(|e| e.scorecard.is_none())
            .collect();
        let mut subjects = Vec::new();
        if !to_score.is_empty() {
            for e in self.scoring.score(to_score).await? {
                let e = self.records.contacts.stage_scored(e)?;
                if e.scorecard.is_some() {
                    out.scored.push(e);
                } else {
                    out.unscored.push(e);
                }
            }
        }
        subjects.extend(fresh.feedback.iter().cloned().map(Subject::Feedback));
        subjects.extend(out.scored.iter().cloned().map(Subject::Evaluation));
        subjects.extend(fresh.interactions.into_iter().map(Subject::Interaction));
        subjects.extend(fresh.live.into_iter().map(|l| Subject::Live(Box::new(l))));
        out.alerts = self.flags.raise(&subjects).await?;
        out.plugins_ms = started.elapsed().as_secs_f64() * 1e3;
        out.recognitions = self.recognise(&out.scored)?;
        out.feedback = fresh.feedback;
        Ok(out)
    }

    /// Stage a recognition for every scorecard at or above its team's
    /// threshold.
    fn recognise(&self, scored: &[Evaluation]) -> Result<Vec<Recognition>, RecordError> {
        let mut out = Vec::new();
        // One team lookup per team, not per evaluation.
        let mut thresholds: HashMap<Option<String>, f64> = HashMap::new();
        for e in scored {
            let Some(card) = &e.scorecard else { continue };
            let threshold = *thresholds.entry(e.team_id.clone()).or_insert_with(|| {
                e.team_id
                    .as_deref()
                    .and_then(|t| self.records.people.team(t).ok())
                    .and_then(|t| t.targets.recognition_percent)
                    .unwrap_or(self.config.analytics.recognition_percent)
            });
            if card.card.score < threshold || card.card.outcome != crate::model::Outcome::Pass {
                continue;
            }
            let r = Recognition {
                id: String::new(),
                agent_id: e.agent_id.clone(),
                team_id: e.team_id.clone(),
                evaluation_id: e.id.clone(),
                score: card.card.score,
                threshold,
                state: RecognitionState::Open,
                raised_at: now_ms(),
                acknowledged_by: None,
                acknowledged_at: None,
                note: None,
            };
            out.extend(self.records.coaching.stage_recognition(r)?);
        }
        Ok(out)
    }

    /// After one write (an API call or a vendor delivery, its records
    /// staged): score, flag and recognise them, make everything staged
    /// durable in one flush, then publish it live.
    pub async fn finish(&self, fresh: Fresh) -> Result<Processed, RecordError> {
        let processed = self.process(fresh).await?;
        self.records.flush().await?;
        processed.publish(&self.hub);
        Ok(processed)
    }

    /// `POST /v1/flags/rerun`: run the flag rules and flaggers again over
    /// the records of a window, in batches; every alert not raised before
    /// is opened, made durable, published and the run audited.
    pub async fn rerun_flags(
        &self,
        req: RerunFlagsRequest,
        actor: &str,
    ) -> Result<RerunFlagsReport, RecordError> {
        use crate::model::RERUN_FLAGS_MAX_DAYS;
        if req.to <= req.from {
            return Err(crate::model::Invalid::new("to", "must be after `from`").into());
        }
        if req.to - req.from > RERUN_FLAGS_MAX_DAYS * 86_400_000 {
            return Err(crate::model::Invalid::new(
                "to",
                format!("the window is at most {RERUN_FLAGS_MAX_DAYS} days; run it in parts"),
            )
            .into());
        }
        let mut report = RerunFlagsReport {
            from: req.from,
            to: req.to,
            feedback: 0,
            evaluations: 0,
            interactions: 0,
            alerts: Vec::new(),
            failures: Vec::new(),
        };
        let window = Filter {
            from: Some(req.from),
            to: Some(req.to),
            ..Filter::default()
        };
        let contacts = &self.records.contacts;
        report.feedback = self
            .reflag_pages(
                &window,
                &mut report,
                |f| contacts.feedback_list(f),
                |f| Some(Subject::Feedback(f)),
            )
            .await?;
        // An unscored evaluation carries nothing to flag.
        report.evaluations = self
            .reflag_pages(
                &window,
                &mut report,
                |f| contacts.evaluations(f),
                |e| e.scorecard.is_some().then_some(Subject::Evaluation(e)),
            )
            .await?;
        report.interactions = self
            .reflag_pages(
                &window,
                &mut report,
                |f| contacts.interactions(f),
                |i| Some(Subject::Interaction(i)),
            )
            .await?;
        let detail = format!(
            "{}..{}: {} feedback, {} evaluations, {} interactions; {} alerts opened{}",
            crate::clock::iso8601(req.from).unwrap_or_default(),
            crate::clock::iso8601(req.to).unwrap_or_default(),
            report.feedback,
            report.evaluations,
            report.interactions,
            report.alerts.len(),
            if report.failures.is_empty() {
                String::new()
            } else {
                format!("; {} flagger failures", report.failures.len())
            }
        );
        self.records
            .audit
            .audit(actor, "flags.rerun", "flags", Some(detail))
            .await?;
        Ok(report)
    }

    /// Flag one listing's records of `window` a page at a time: the alerts
    /// each page opens are made durable and published before the next;
    /// they and any flagger failure go into `report`. Returns how many
    /// records were flagged.
    async fn reflag_pages<T>(
        &self,
        window: &Filter,
        report: &mut RerunFlagsReport,
        list: impl Fn(Filter) -> Result<crate::records::Page<T>, RecordError>,
        subject: impl Fn(T) -> Option<Subject>,
    ) -> Result<usize, RecordError> {
        let (mut looked_at, mut cursor) = (0, None);
        loop {
            let page = list(Filter {
                cursor: cursor.take(),
                limit: Some(RERUN_BATCH),
                ..window.clone()
            })?;
            let subjects: Vec<Subject> = page.items.into_iter().filter_map(&subject).collect();
            looked_at += subjects.len();
            let (alerts, failures) = self.flags.raise_reporting(&subjects).await?;
            if !alerts.is_empty() {
                self.records.flush().await?;
                Processed {
                    alerts: alerts.clone(),
                    ..Processed::default()
                }
                .publish(&self.hub);
            }
            report.alerts.extend(alerts);
            for f in failures {
                if !report.failures.contains(&f) {
                    report.failures.push(f);
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(looked_at),
            }
        }
    }

    /// `POST`/`PUT /v1/evaluations`: store, score, flag; durable on return.
    /// The returned evaluation carries its scorecard (or `score_error`).
    pub async fn put_evaluation(
        &self,
        e: Evaluation,
        id: Option<&str>,
    ) -> Result<(Upserted, Evaluation), RecordError> {
        let (outcome, stored) = self.records.contacts.stage_evaluation(e, id)?;
        let needs_work = outcome != Upserted::Unchanged || stored.scorecard.is_none();
        if !needs_work {
            return Ok((outcome, stored));
        }
        let processed = self
            .finish(Fresh {
                evaluations: vec![stored.clone()],
                ..Fresh::default()
            })
            .await?;
        // Scored (or refused) here, or kept its scorecard (same answers).
        let written = processed
            .scored
            .into_iter()
            .chain(processed.unscored)
            .next()
            .unwrap_or(stored);
        Ok((outcome, written))
    }

    /// `POST`/`PUT /v1/feedback`: store and flag; durable on return.
    pub async fn put_feedback(
        &self,
        f: Feedback,
        id: Option<&str>,
    ) -> Result<(Upserted, Feedback), RecordError> {
        let (outcome, stored) = self.records.contacts.stage_feedback(f, id)?;
        if outcome != Upserted::Unchanged {
            self.finish(Fresh {
                feedback: vec![stored.clone()],
                ..Fresh::default()
            })
            .await?;
        }
        Ok((outcome, stored))
    }

    /// `POST`/`PUT /v1/interactions`: store and flag; durable on return.
    pub async fn put_interaction(
        &self,
        i: Interaction,
        id: Option<&str>,
    ) -> Result<(Upserted, Interaction), RecordError> {
        let (outcome, stored) = self.records.contacts.stage_interaction(i, id)?;
        if outcome != Upserted::Unchanged {
            self.finish(Fresh {
                interactions: vec![stored.clone()],
                ..Fresh::default()
            })
            .await?;
        }
        Ok((outcome, stored))
    }

    // ---- alert and recognition lifecycle: durable, audited where a reason
    // is given, then published live ------------------------------------------

    /// The supervisor has seen the alert.
    pub async fn acknowledge_alert(&self, id: &str, actor: &str) -> Result<Alert, RecordError> {
        let a = self.records.coaching.acknowledge_alert(id, actor).await?;
        Ok(self.published_alert(a))
    }

    /// Close the alert without coaching, with the reason (audited).
    pub async fn dismiss_alert(
        &self,
        id: &str,
        actor: &str,
        reason: String,
    ) -> Result<Alert, RecordError> {
        let a = self
            .records
            .coaching
            .dismiss_alert(id, actor, &reason)
            .await?;
        self.records
            .audit
            .audit(actor, "alert.dismiss", id, Some(reason))
            .await?;
        Ok(self.published_alert(a))
    }

    /// The alert was handled in a coaching session.
    pub async fn coach_alert(
        &self,
        id: &str,
        actor: &str,
        session_id: &str,
    ) -> Result<Alert, RecordError> {
        let a = self
            .records
            .coaching
            .coach_alert(id, actor, session_id)
            .await?;
        Ok(self.published_alert(a))
    }

    /// A leader recognises a high score.
    pub async fn acknowledge_recognition(
        &self,
        id: &str,
        actor: &str,
        note: Option<String>,
    ) -> Result<Recognition, RecordError> {
        let r = self
            .records
            .coaching
            .acknowledge_recognition(id, actor, note)
            .await?;
        self.hub.publish(
            LiveKind::Recognition,
            Some(&r.agent_id),
            r.team_id.as_deref(),
            &r,
        );
        Ok(r)
    }

    /// Close a session; a micro-coaching session's alerts become coached
    /// and are published.
    pub async fn close_session(
        &self,
        id: &str,
        actor: &str,
    ) -> Result<crate::model::CoachingSession, RecordError> {
        let (session, alerts) = self.records.coaching.close_session(id, actor).await?;
        for a in alerts {
            self.published_alert(a);
        }
        Ok(session)
    }

    /// Publish a changed alert to live subscribers (it is durable).
    pub fn published_alert(&self, a: Alert) -> Alert {
        self.hub
            .publish(LiveKind::Alert, Some(&a.agent_id), a.team_id.as_deref(), &a);
        a
    }
}
