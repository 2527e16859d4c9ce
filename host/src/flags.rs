//! Flags: rules over freshly stored feedback, scored evaluations and
//! interactions that open alerts for the agent's supervisor.
//!
//! Two sources of rules run over the same records: `[[flags.rules]]` in the
//! config (conditions evaluated here, natively) and the flagger plugins named
//! in `[flags] plugins` (anything richer, in a batch per plugin call). A flag
//! becomes an [`Alert`] with the record, its interaction and the rule
//! attached and a coach-within deadline; one rule raises at most one alert
//! per record, so a redelivered event raises nothing new. A flagger call
//! that fails is logged and counted (`sidecoach_flag_failures_total`); the
//! records stay stored and the other rules still run.
//!
//! Live segments (API 0.3.0 adapters: an utterance with its sentiment, the
//! categories matched so far, issues detected) are a fourth subject,
//! judged by the `on = "live"` rules only (flagger plugins speak API 0.1.0,
//! which has no segments). A live alert is attached to the segment's
//! interaction, so a rule raises at most one alert per contact: the first
//! upsetting moment reaches the supervisor, and a redelivered segment (or
//! the next upsetting one) raises nothing new.

use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::now_ms;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::model::{
    Agent, Alert, AlertState, AnswerValue, Evaluation, EvaluationEvent, Event, Feedback,
    FeedbackEvent, FlagRule, FlagSubject, FlaggerFailure, Form, Interaction, InteractionEvent,
    ParticipantRole, RatingKind, SegmentEvent, SegmentSentiment, Severity, Team, TimestampMs,
};
use crate::records::{RecordError, Records, deadline};
use crate::runtime::Runtime;

/// A freshly stored record to run the rules over.
#[derive(Clone, Debug)]
pub enum Subject {
    /// Customer feedback.
    Feedback(Feedback),
    /// An evaluation with its scorecard.
    Evaluation(Evaluation),
    /// An interaction.
    Interaction(Interaction),
    /// A live segment with the stored interaction it belongs to.
    Live(Box<LiveSignal>),
}

/// A live segment and the stored interaction it names (whose agent the
/// alert goes to).
#[derive(Clone, Debug)]
pub struct LiveSignal {
    /// The segment as the adapter sent it.
    pub segment: SegmentEvent,
    /// The stored interaction.
    pub interaction: Interaction,
}

impl Subject {
    fn agent_id(&self) -> Option<&str> {
        match self {
            Subject::Feedback(f) => f.agent_id.as_deref(),
            Subject::Evaluation(e) => Some(&e.agent_id),
            Subject::Interaction(i) => i.agent_id.as_deref(),
            Subject::Live(l) => l.interaction.agent_id.as_deref(),
        }
    }

    fn kind(&self) -> FlagSubject {
        match self {
            Subject::Feedback(_) => FlagSubject::Feedback,
            Subject::Evaluation(_) => FlagSubject::Evaluation,
            Subject::Interaction(_) => FlagSubject::Interaction,
            Subject::Live(_) => FlagSubject::Live,
        }
    }

    /// What a flagger plugin sees; nothing for a live segment (flaggers
    /// speak API 0.1.0, which has no segments).
    fn to_event(&self) -> Option<Event> {
        Some(match self {
            Subject::Feedback(f) => Event::Feedback(FeedbackEvent::from(f)),
            Subject::Evaluation(e) => {
                let mut event = EvaluationEvent::from(e);
                // The flagger judges the score the center uses: the host's
                // scorecard when there is one.
                if let Some(card) = &e.scorecard {
                    event.vendor_score = Some(crate::model::VendorScore {
                        percentage: Some(card.card.score),
                        auto_failed: card.card.auto_failed,
                        critical_percentage: card.card.critical_score,
                    });
                }
                Event::Evaluation(event)
            }
            Subject::Interaction(i) => Event::Interaction(InteractionEvent::from(i)),
            Subject::Live(_) => return None,
        })
    }
}

fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A flagger's reason with the form's id replaced by its name: flaggers see
/// ids (the WIT event carries `form-id`), supervisors read names. Only a
/// whole-word `form_id` is replaced, quoted; with no name (no stored form,
/// or a nameless one) the reason is kept as the flagger wrote it.
pub fn name_the_form(reason: &str, form_id: &str, name: Option<&str>) -> String {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return reason.to_string();
    };
    if form_id.is_empty() {
        return reason.to_string();
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_');
    let mut out = String::with_capacity(reason.len() + name.len());
    let mut rest = reason;
    while let Some(at) = rest.find(form_id) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + form_id.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(form_id);
        } else {
            out.push_str(&format!("\u{201c}{name}\u{201d}"));
        }
        rest = &rest[at + form_id.len()..];
    }
    out.push_str(rest);
    out
}

/// Which criteria of `form` earned under `fraction` of their points in
/// `e`, with their topics.
pub fn weak_topics<'a>(form: &'a Form, e: &Evaluation, fraction: f64) -> Vec<&'a str> {
    let mut out = Vec::new();
    for c in form.sections.iter().flat_map(|s| &s.criteria) {
        let Some(topic) = c.topic.as_deref() else {
            continue;
        };
        let Some(a) = e.answers.iter().find(|a| a.criterion_id == c.id) else {
            continue;
        };
        if let AnswerValue::Score(v) = a.value
            && c.fraction(v).is_some_and(|got| got < fraction)
            && !out.contains(&topic)
        {
            out.push(topic);
        }
    }
    out
}

/// Evaluate one config rule: `Some(reason)` when every condition holds.
pub fn rule_matches(rule: &FlagRule, subject: &Subject, form: Option<&Form>) -> Option<String> {
    if rule.on != subject.kind() {
        return None;
    }
    let mut why: Vec<String> = Vec::new();
    match subject {
        Subject::Feedback(f) => {
            if f.scale_max <= f.scale_min {
                return None;
            }
            if let Some(max) = rule.csat_at_most {
                let v = f.on_1_to_5();
                if f.kind != RatingKind::Csat || v > max {
                    return None;
                }
                why.push(format!("CSAT {} of 5 (≤ {})", fmt(v), fmt(max)));
            }
            if let Some(max) = rule.nps_at_most {
                let v = 10.0 * f.fraction();
                if f.kind != RatingKind::Nps || v > max {
                    return None;
                }
                why.push(format!("NPS {} (≤ {})", fmt(v), fmt(max)));
            }
            if let Some(max) = rule.rating_percent_at_most {
                let v = 100.0 * f.fraction();
                if v > max {
                    return None;
                }
                why.push(format!("rating {}% of the scale (≤ {}%)", fmt(v), fmt(max)));
            }
            // The feedback's topics include its contact's: the records
            // service copies them when it links the feedback to a stored
            // interaction (`Contacts::link_contact`), for ingest and the
            // API alike, so flagger plugins see them too.
            if let Some(t) = &rule.topic {
                if !f.topics.iter().any(|x| x == t) {
                    return None;
                }
                why.push(format!("on {t}"));
            }
        }
        Subject::Evaluation(e) => {
            let card = e.scorecard.as_ref().map(|c| &c.card);
            if let Some(want) = rule.fatal_failed {
                let failed = card.is_some_and(|c| c.auto_failed)
                    || e.vendor_score.as_ref().is_some_and(|v| v.auto_failed);
                if failed != want {
                    return None;
                }
                why.push(if want {
                    "a fatal criterion failed".into()
                } else {
                    "no fatal criterion failed".into()
                });
            }
            if let Some(want) = rule.failed {
                let card = card?;
                if (card.outcome == crate::model::Outcome::Fail) != want {
                    return None;
                }
                why.push(if want {
                    "failed QA".into()
                } else {
                    "passed QA".into()
                });
            }
            if let Some(below) = rule.score_below {
                let card = card?;
                if card.score >= below {
                    return None;
                }
                why.push(format!("QA score {}% (< {}%)", fmt(card.score), fmt(below)));
            }
            if let Some(t) = &rule.topic {
                let form = form?;
                if !weak_topics(form, e, 0.5).contains(&t.as_str()) {
                    return None;
                }
                why.push(format!("under half marks on {t}"));
            }
        }
        Subject::Interaction(i) => {
            if let Some(max) = rule.final_quarter_sentiment_at_most {
                let v = i.sentiment.as_ref()?.customer_final_quarter?;
                if v > max {
                    return None;
                }
                why.push(format!(
                    "customer sentiment {} in the last quarter of the contact (≤ {})",
                    fmt(v),
                    fmt(max)
                ));
            }
            if let Some(min) = rule.sentiment_drop_at_least {
                let s = i.sentiment.as_ref()?;
                let (overall, last) = (s.customer?, s.customer_final_quarter?);
                if overall - last < min {
                    return None;
                }
                why.push(format!(
                    "customer sentiment fell from {} over the contact to {} in its last quarter \
                     (a drop of {} ≥ {})",
                    fmt(overall),
                    fmt(last),
                    fmt(overall - last),
                    fmt(min)
                ));
            }
            if let Some(t) = &rule.topic {
                if !i.topics.iter().any(|x| x == t) {
                    return None;
                }
                why.push(format!("on {t}"));
            }
        }
        Subject::Live(live) => return live_matches(rule, &live.segment),
    }
    Some(why.join(", "))
}

/// A `live` rule over one segment: `Some(reason)` when every condition
/// holds; the reason quotes the moment (offset, who, what was said).
fn live_matches(rule: &FlagRule, s: &SegmentEvent) -> Option<String> {
    let mut why: Vec<String> = Vec::new();
    if let Some(role) = rule.role
        && s.role != Some(role)
    {
        return None;
    }
    if let Some(want) = rule.sentiment {
        if s.sentiment != Some(want) {
            return None;
        }
        why.push(format!("{} sentiment", label(want)));
    }
    if let Some(want) = rule.issue_detected {
        if s.issues.is_empty() == want {
            return None;
        }
        why.push(match s.issues.first() {
            Some(issue) if want => format!("issue detected: \u{201c}{issue}\u{201d}"),
            _ => "no issue detected".into(),
        });
    }
    if let Some(t) = &rule.topic {
        if !s.categories.iter().any(|c| c == t) {
            return None;
        }
        why.push(format!("matched category {t}"));
    }
    let who = match s.role {
        Some(ParticipantRole::Agent) => "agent",
        Some(ParticipantRole::Customer) => "customer",
        Some(ParticipantRole::Supervisor) => "supervisor",
        Some(ParticipantRole::System) => "system",
        Some(ParticipantRole::Other) | None => "contact",
    };
    let at = s
        .begin_offset_ms
        .map(|ms| format!(" at {}:{:02}", ms / 60_000, ms / 1000 % 60))
        .unwrap_or_default();
    let said = s
        .text
        .as_deref()
        .map(|t| {
            let t: String = t.chars().take(160).collect();
            format!(": \u{201c}{t}\u{201d}")
        })
        .unwrap_or_default();
    Some(format!("live, {who}{at}: {}{said}", why.join(", ")))
}

fn label(s: SegmentSentiment) -> &'static str {
    match s {
        SegmentSentiment::Positive => "positive",
        SegmentSentiment::Negative => "negative",
        SegmentSentiment::Neutral => "neutral",
        SegmentSentiment::Mixed => "mixed",
    }
}

/// The flag service.
#[derive(Clone)]
pub struct Flags {
    runtime: Arc<Runtime>,
    records: Records,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
}

/// A raised flag before it becomes an alert.
struct Raised {
    subject: usize,
    rule_id: String,
    raised_by: String,
    severity: Severity,
    reason: String,
    topic: Option<String>,
    coach_within_hours: u32,
}

impl Flags {
    /// The service over the runtime and the records.
    pub fn new(
        runtime: Arc<Runtime>,
        records: Records,
        config: Arc<Config>,
        metrics: Arc<Metrics>,
    ) -> Flags {
        Flags {
            runtime,
            records,
            config,
            metrics,
        }
    }

    /// Run every rule and flagger over `subjects` and stage an alert per new
    /// flag (not flushed). Returns the alerts raised.
    pub async fn raise(&self, subjects: &[Subject]) -> Result<Vec<Alert>, RecordError> {
        Ok(self.raise_reporting(subjects).await?.0)
    }

    /// [`Flags::raise`], also naming every flagger call that failed (its
    /// records are kept, not flagged by it: logged and counted, and told to
    /// whoever asked for the run).
    pub async fn raise_reporting(
        &self,
        subjects: &[Subject],
    ) -> Result<(Vec<Alert>, Vec<FlaggerFailure>), RecordError> {
        let mut failures = Vec::new();
        let subjects: Vec<(usize, &Subject)> = subjects
            .iter()
            .enumerate()
            .filter(|(_, s)| s.agent_id().is_some())
            .collect();
        if subjects.is_empty() {
            return Ok((Vec::new(), failures));
        }
        let cfg = &self.config.flags;
        let mut raised = Vec::new();
        let mut forms: HashMap<(String, u32), Option<Form>> = HashMap::new();
        for &(n, s) in &subjects {
            let form = match s {
                Subject::Evaluation(e) => forms
                    .entry((e.form_id.clone(), e.form_version))
                    .or_insert_with(|| {
                        self.records
                            .contacts
                            .form(&e.form_id, Some(e.form_version))
                            .ok()
                            .map(|f| f.form)
                    })
                    .as_ref(),
                _ => None,
            };
            for rule in &cfg.rules {
                if let Some(why) = rule_matches(rule, s, form) {
                    raised.push(Raised {
                        subject: n,
                        rule_id: rule.id.clone(),
                        raised_by: "config".into(),
                        severity: rule.severity,
                        reason: rule.reason.clone().unwrap_or(why),
                        topic: rule.topic.clone(),
                        coach_within_hours: rule
                            .coach_within_hours
                            .unwrap_or(cfg.coach_within_hours),
                    });
                }
            }
        }
        // Flaggers see every subject but live segments; `event_index`
        // counts in this list (built only when a flagger is configured).
        let for_plugins: Vec<(usize, Event)> = if cfg.plugins.is_empty() {
            Vec::new()
        } else {
            subjects
                .iter()
                .filter_map(|&(n, s)| s.to_event().map(|e| (n, e)))
                .collect()
        };
        for plugin in cfg.plugins.iter().filter(|_| !for_plugins.is_empty()) {
            let events: Vec<Event> = for_plugins.iter().map(|(_, e)| e.clone()).collect();
            match self.runtime.flag(plugin, events).await {
                Ok(report) => match report.output {
                    Ok(flags) => {
                        for f in flags {
                            let Some(&(n, _)) = for_plugins.get(f.event_index as usize) else {
                                tracing::warn!(
                                    plugin,
                                    index = f.event_index,
                                    "flagger named an event out of range; flag ignored"
                                );
                                continue;
                            };
                            let reason = match subjects.iter().find(|(m, _)| *m == n) {
                                Some((_, Subject::Evaluation(e))) => name_the_form(
                                    &f.reason,
                                    &e.form_id,
                                    forms
                                        .get(&(e.form_id.clone(), e.form_version))
                                        .and_then(Option::as_ref)
                                        .map(|f| f.name.as_str()),
                                ),
                                _ => f.reason,
                            };
                            raised.push(Raised {
                                subject: n,
                                rule_id: f.rule_id,
                                raised_by: format!("{plugin}@{}", report.plugin_version),
                                severity: f.severity,
                                reason,
                                topic: f.topic,
                                coach_within_hours: cfg.coach_within_hours,
                            });
                        }
                    }
                    Err(e) => {
                        self.metrics.record_flag_failure(plugin);
                        tracing::warn!(plugin, error = %e.message, "flagger refused the batch");
                        failures.push(FlaggerFailure {
                            plugin: plugin.clone(),
                            message: format!("refused the batch: {}", e.message),
                        });
                    }
                },
                Err(failed) => {
                    self.metrics.record_flag_failure(plugin);
                    tracing::warn!(plugin, error = %failed.error, "flagger call failed; records kept, not flagged by it");
                    failures.push(FlaggerFailure {
                        plugin: plugin.clone(),
                        message: failed.error.to_string(),
                    });
                }
            }
        }
        let now = now_ms();
        let mut people: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
        let mut alerts = Vec::new();
        for r in raised {
            let subject = &subjects
                .iter()
                .find(|(n, _)| *n == r.subject)
                .expect("raised from a subject")
                .1;
            let agent_id = subject.agent_id().expect("filtered above").to_string();
            let (team_id, supervisor_id) = match people.get(&agent_id) {
                Some(p) => p.clone(),
                None => {
                    let p = self.supervisor_of(&agent_id)?;
                    people.insert(agent_id.clone(), p.clone());
                    p
                }
            };
            let (interaction_id, evaluation_id, feedback_id) = match subject {
                Subject::Feedback(f) => (f.interaction_id.clone(), None, Some(f.id.clone())),
                Subject::Evaluation(e) => (e.interaction_id.clone(), Some(e.id.clone()), None),
                Subject::Interaction(i) => (Some(i.id.clone()), None, None),
                Subject::Live(l) => (Some(l.interaction.id.clone()), None, None),
            };
            let alert = Alert {
                id: String::new(),
                agent_id,
                supervisor_id,
                team_id,
                rule_id: r.rule_id,
                raised_by: r.raised_by,
                severity: r.severity,
                reason: r.reason,
                topic: r.topic,
                interaction_id,
                evaluation_id,
                feedback_id,
                state: AlertState::Open,
                raised_at: now,
                coach_by: deadline(now, r.coach_within_hours),
                session_id: None,
                dismissed_reason: None,
                updated_by: None,
                updated_at: now,
            };
            if let Some(a) = self.records.coaching.stage_alert(alert)? {
                self.metrics.record_alert(&a.rule_id);
                alerts.push(a);
            }
        }
        Ok((alerts, failures))
    }

    /// The agent's team and supervisor: the agent's own supervisor, else
    /// the team's.
    fn supervisor_of(
        &self,
        agent_id: &str,
    ) -> Result<(Option<String>, Option<String>), RecordError> {
        let agent: Agent = self.records.people.agent(agent_id)?;
        let team: Option<Team> = match &agent.team_id {
            Some(t) => self.records.people.team(t).ok(),
            None => None,
        };
        let supervisor = agent
            .supervisor_id
            .clone()
            .or_else(|| team.as_ref().and_then(|t| t.supervisor_id.clone()));
        Ok((agent.team_id, supervisor))
    }
}

/// When `raised_at + hours` is past.
pub fn overdue(a: &Alert, now: TimestampMs) -> bool {
    a.pending() && a.coach_by < now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Channel;

    fn rule(toml: &str) -> FlagRule {
        let rule: FlagRule = toml::from_str(&format!("id = \"r\"\non = \"live\"\n{toml}")).unwrap();
        rule.validate().unwrap();
        rule
    }

    #[test]
    fn a_sentiment_drop_compares_the_last_quarter_with_the_whole_contact() {
        let contact = |overall: f64, last: f64| {
            Subject::Interaction(
                serde_json::from_value(serde_json::json!({
                    "id": "01J", "source": "connect", "external_id": "c-1",
                    "channel": "voice", "direction": "inbound", "received_at": 1,
                    "sentiment": {"customer": overall, "customer_final_quarter": last}
                }))
                .unwrap(),
            )
        };
        let drop: FlagRule =
            toml::from_str("id = \"dropped\"\non = \"interaction\"\nsentiment_drop_at_least = 3")
                .unwrap();
        drop.validate().unwrap();
        let why = rule_matches(&drop, &contact(4.0, -1.0), None).unwrap();
        assert!(
            why.contains("fell from 4") && why.contains("to -1"),
            "{why}"
        );
        assert!(
            rule_matches(&drop, &contact(2.0, 0.0), None).is_none(),
            "a fall of 2"
        );
        assert!(
            rule_matches(&drop, &contact(-4.0, -4.0), None).is_none(),
            "low throughout is not a drop"
        );
        // A threshold that is no fall is refused by name.
        for bad in ["0", "-1", "11"] {
            let rule: FlagRule = toml::from_str(&format!(
                "id = \"bad\"\non = \"interaction\"\nsentiment_drop_at_least = {bad}"
            ))
            .unwrap();
            let err = rule.validate().unwrap_err();
            assert!(err.contains("sentiment_drop_at_least"), "{err}");
        }
    }

    #[test]
    fn a_flaggers_form_id_is_replaced_by_the_forms_name_as_a_whole_word_only() {
        let reason =
            "A QA evaluation on form demo-voice-qa was automatically failed: see demo-voice-qa-2";
        assert_eq!(
            name_the_form(reason, "demo-voice-qa", Some("Voice QA")),
            "A QA evaluation on form \u{201c}Voice QA\u{201d} was automatically failed: see demo-voice-qa-2"
        );
        assert_eq!(name_the_form(reason, "demo-voice-qa", None), reason);
        assert_eq!(name_the_form(reason, "demo-voice-qa", Some("  ")), reason);
    }

    fn upset_customer() -> SegmentEvent {
        SegmentEvent {
            interaction_external_id: "c-1".into(),
            segment_id: Some("u-2".into()),
            agent_vendor_id: None,
            channel: Channel::Voice,
            role: Some(ParticipantRole::Customer),
            begin_offset_ms: Some(86_690),
            end_offset_ms: Some(91_280),
            text: Some("I was charged twice and nobody called me back.".into()),
            sentiment: Some(SegmentSentiment::Negative),
            categories: vec!["billing-dispute".into()],
            issues: vec!["I was charged twice".into()],
        }
    }

    #[test]
    fn a_negative_customer_utterance_matches_and_the_reason_quotes_the_moment() {
        let why = live_matches(
            &rule("role = \"customer\"\nsentiment = \"negative\""),
            &upset_customer(),
        )
        .unwrap();
        assert_eq!(
            why,
            "live, customer at 1:26: negative sentiment: \u{201c}I was charged twice and nobody \
             called me back.\u{201d}"
        );
    }

    #[test]
    fn role_sentiment_issue_and_category_conditions_each_narrow_the_match() {
        let s = upset_customer();
        let agent_said = SegmentEvent {
            role: Some(ParticipantRole::Agent),
            ..s.clone()
        };
        let calm = SegmentEvent {
            sentiment: Some(SegmentSentiment::Neutral),
            issues: vec![],
            categories: vec![],
            ..s.clone()
        };
        let r = rule("role = \"customer\"\nsentiment = \"negative\"");
        assert!(
            live_matches(&r, &agent_said).is_none(),
            "someone else spoke"
        );
        assert!(live_matches(&r, &calm).is_none(), "not negative");
        let r = rule("issue_detected = true");
        assert!(live_matches(&r, &s).unwrap().contains("issue detected"));
        assert!(live_matches(&r, &calm).is_none());
        let r = rule("topic = \"billing-dispute\"");
        assert!(
            live_matches(&r, &s)
                .unwrap()
                .contains("matched category billing-dispute")
        );
        assert!(live_matches(&r, &calm).is_none());
    }
}
