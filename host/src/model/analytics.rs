//! What the analytics, the live stream and the alert workflow speak.

use serde::{Deserialize, Serialize};

use super::TimestampMs;

/// A mean over some records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mean {
    /// The mean (absent with no records).
    pub mean: Option<f64>,
    /// How many records.
    pub count: usize,
}

impl Mean {
    /// The mean of `values`.
    pub fn of(values: &[f64]) -> Mean {
        Mean {
            mean: (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64),
            count: values.len(),
        }
    }
}

/// One week of QA and CSAT figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeekTrend {
    /// Monday 00:00 UTC of the week (ms).
    pub week_start: TimestampMs,
    /// QA scores (percent): the mean is the internal quality score (IQS).
    pub qa: Mean,
    /// QA evaluations that failed.
    pub qa_fails: usize,
    /// CSAT ratings mapped onto 1..5.
    pub csat: Mean,
}

/// `GET /v1/analytics/trends`: weekly QA and CSAT for an agent or a team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendReport {
    /// `agent` or `team`.
    pub scope: String,
    /// The agent or team id.
    pub id: String,
    /// Weeks in order, each week with data or between weeks with data.
    pub weeks: Vec<WeekTrend>,
    /// Over the whole window.
    pub qa: Mean,
    /// Over the whole window.
    pub csat: Mean,
}

/// One agent's dings on a topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentDings {
    /// The agent.
    pub agent_id: String,
    /// Dings on the topic in the window.
    pub dings: usize,
    /// Of which from customer feedback.
    pub from_feedback: usize,
    /// Of which from QA criteria.
    pub from_qa: usize,
}

/// A topic and who was dinged on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopicFocus {
    /// The topic.
    pub topic: String,
    /// All dings on it.
    pub dings: usize,
    /// Every agent dinged on it, most dings first.
    pub agents: Vec<AgentDings>,
    /// The agents to focus QA on: repeated dings (at least `min_dings`),
    /// at most `max_focus`, most first.
    pub focus: Vec<String>,
}

/// `GET /v1/analytics/topics`: dinged topics and the agents to focus on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopicReport {
    /// The team (absent: every agent).
    pub team_id: Option<String>,
    /// Window start (ms).
    pub from: TimestampMs,
    /// Window end (ms).
    pub to: TimestampMs,
    /// The repeat count that makes an agent a focus.
    pub min_dings: usize,
    /// Topics, most dings first.
    pub topics: Vec<TopicFocus>,
}

/// What a live event carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LiveKind {
    /// New customer feedback.
    Feedback,
    /// A new or changed scorecard (the evaluation with it).
    Scorecard,
    /// A new alert or an alert that changed state.
    Alert,
    /// A new recognition candidate or an acknowledgement.
    Recognition,
}

impl LiveKind {
    /// Every kind.
    pub const ALL: [LiveKind; 4] = [
        LiveKind::Feedback,
        LiveKind::Scorecard,
        LiveKind::Alert,
        LiveKind::Recognition,
    ];

    /// The SSE event name.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveKind::Feedback => "feedback",
            LiveKind::Scorecard => "scorecard",
            LiveKind::Alert => "alert",
            LiveKind::Recognition => "recognition",
        }
    }
}

/// One event on `GET /v1/stream`, published once the record is durable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveEvent {
    /// A per-process sequence number (the SSE `id`).
    pub seq: u64,
    /// What it is.
    pub kind: LiveKind,
    /// The agent it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The agent's team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The record (feedback, evaluation, alert or recognition) as JSON.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
}

/// `POST /v1/alerts/{id}/dismiss`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissAlert {
    /// Why no coaching is needed.
    pub reason: String,
}

/// `POST /v1/alerts/{id}/coach`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoachAlert {
    /// The coaching session that handled it; it must cover this alert's
    /// agent.
    pub session_id: String,
}

/// `POST /v1/recognitions/{id}/acknowledge`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRecognition {
    /// Words for the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Which stored record a flag rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FlagSubject {
    /// Customer feedback.
    Feedback,
    /// A scored QA evaluation.
    Evaluation,
    /// An interaction (its analytics: sentiment, topics).
    Interaction,
    /// A live segment of a contact in progress (an utterance, matched
    /// categories, detected issues; API 0.3.0 adapters), judged against the
    /// stored interaction it names. Never stored itself.
    Live,
}

/// A flag rule from config (`[[flags.rules]]`): every condition given must
/// hold. Richer rules belong in a flagger plugin.
///
/// ```toml
/// [[flags.rules]]
/// id = "low-csat-product-knowledge"
/// on = "feedback"
/// csat_at_most = 2
/// topic = "product-knowledge"
/// coach_within_hours = 24
///
/// [[flags.rules]]
/// id = "customer-upset-live"
/// on = "live"
/// role = "customer"
/// sentiment = "negative"
/// coach_within_hours = 1
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagRule {
    /// Stable id, shown on every alert it raises.
    pub id: String,
    /// What it looks at.
    pub on: FlagSubject,
    /// Feedback: a CSAT rating, mapped onto 1..5, at or under this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_at_most: Option<f64>,
    /// Feedback: an NPS rating, mapped onto 0..10, at or under this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps_at_most: Option<f64>,
    /// Feedback of any kind: the rating as a percent of its scale at or
    /// under this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_percent_at_most: Option<f64>,
    /// Feedback and interactions: the topic is among theirs. Evaluations:
    /// a criterion with this topic earned under half its points. Live: a
    /// category the segment matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Evaluation: a fatal criterion failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fatal_failed: Option<bool>,
    /// Evaluation: the outcome is fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<bool>,
    /// Evaluation: the score (percent) is under this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_below: Option<f64>,
    /// Interaction: the customer's sentiment in the last quarter of the
    /// contact (−5..5) at or under this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_quarter_sentiment_at_most: Option<f64>,
    /// Interaction: the customer's sentiment fell by at least this much
    /// from the contact as a whole to its last quarter (overall − last
    /// quarter, on the −5..5 scale; above 0, at most 10). A contact that
    /// ends where it began, however low, is not a drop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_drop_at_least: Option<f64>,
    /// Live: who spoke (`agent`, `customer`…); a filter on the other live
    /// conditions, not a condition of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<super::ParticipantRole>,
    /// Live: the utterance's sentiment is this label (`negative`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<super::SegmentSentiment>,
    /// Live: the segment carries (true) or does not carry (false) a
    /// detected issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_detected: Option<bool>,
    /// How urgent (default warning).
    #[serde(default = "default_severity")]
    pub severity: super::Severity,
    /// The coach-within deadline in hours (default `[flags]
    /// coach_within_hours`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coach_within_hours: Option<u32>,
    /// The alert's reason; generated from the conditions when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/flags/rerun`: run the flag rules and flagger plugins again
/// over the records of `[from, to)` — feedback by when it was received,
/// scored evaluations by when they were evaluated, interactions by when
/// they started — after a flagger failed or a rule was added.
/// A record keeps one alert per rule: only flags not raised before open
/// alerts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RerunFlagsRequest {
    /// Records of this time or later (ms).
    pub from: super::TimestampMs,
    /// …and before this time (ms); at most 92 days after `from`.
    pub to: super::TimestampMs,
}

/// The longest window one [`RerunFlagsRequest`] covers, in days.
pub const RERUN_FLAGS_MAX_DAYS: i64 = 92;

/// One flagger call that failed: its records were kept, not flagged by it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FlaggerFailure {
    /// The flagger plugin.
    pub plugin: String,
    /// What went wrong.
    pub message: String,
}

/// What a re-run of the flags did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RerunFlagsReport {
    /// The window's start (ms).
    pub from: super::TimestampMs,
    /// The window's end (ms).
    pub to: super::TimestampMs,
    /// Feedback looked at.
    pub feedback: usize,
    /// Scored evaluations looked at (unscored ones carry nothing to flag).
    pub evaluations: usize,
    /// Interactions looked at.
    pub interactions: usize,
    /// The alerts this run opened (flags raised before are not repeated).
    pub alerts: Vec<super::Alert>,
    /// Flagger calls that failed; run again once the plugin is mended.
    pub failures: Vec<FlaggerFailure>,
}

fn default_severity() -> super::Severity {
    super::Severity::Warning
}

impl FlagRule {
    /// Check that the rule's conditions fit what it looks at; the error
    /// names the rule and the field.
    pub fn validate(&self) -> Result<(), String> {
        let id = &self.id;
        if id.trim().is_empty() {
            return Err("flags.rules: a rule needs an `id`".into());
        }
        let set = |v: bool, name: &str| v.then(|| name.to_string());
        let feedback_only = [
            set(self.csat_at_most.is_some(), "csat_at_most"),
            set(self.nps_at_most.is_some(), "nps_at_most"),
            set(
                self.rating_percent_at_most.is_some(),
                "rating_percent_at_most",
            ),
        ];
        let evaluation_only = [
            set(self.fatal_failed.is_some(), "fatal_failed"),
            set(self.failed.is_some(), "failed"),
            set(self.score_below.is_some(), "score_below"),
        ];
        let interaction_only = [
            set(
                self.final_quarter_sentiment_at_most.is_some(),
                "final_quarter_sentiment_at_most",
            ),
            set(
                self.sentiment_drop_at_least.is_some(),
                "sentiment_drop_at_least",
            ),
        ];
        let live_only = [
            set(self.role.is_some(), "role"),
            set(self.sentiment.is_some(), "sentiment"),
            set(self.issue_detected.is_some(), "issue_detected"),
        ];
        let (wrong, subject): (Vec<_>, _) = match self.on {
            FlagSubject::Feedback => (
                evaluation_only
                    .into_iter()
                    .chain(interaction_only)
                    .chain(live_only)
                    .collect(),
                "feedback",
            ),
            FlagSubject::Evaluation => (
                feedback_only
                    .into_iter()
                    .chain(interaction_only)
                    .chain(live_only)
                    .collect(),
                "evaluation",
            ),
            FlagSubject::Interaction => (
                feedback_only
                    .into_iter()
                    .chain(evaluation_only)
                    .chain(live_only)
                    .collect(),
                "interaction",
            ),
            FlagSubject::Live => (
                feedback_only
                    .into_iter()
                    .chain(evaluation_only)
                    .chain(interaction_only)
                    .collect(),
                "live segments",
            ),
        };
        if let Some(field) = wrong.into_iter().flatten().next() {
            return Err(format!(
                "flags.rules `{id}`: `{field}` does not apply to rules on {subject}"
            ));
        }
        let conditions = [
            self.csat_at_most,
            self.nps_at_most,
            self.rating_percent_at_most,
            self.score_below,
            self.final_quarter_sentiment_at_most,
            self.sentiment_drop_at_least,
        ];
        if conditions.iter().flatten().any(|v| !v.is_finite()) {
            return Err(format!(
                "flags.rules `{id}`: thresholds must be finite numbers"
            ));
        }
        if let Some(drop) = self.sentiment_drop_at_least
            && !(drop > 0.0 && drop <= 10.0)
        {
            return Err(format!(
                "flags.rules `{id}`: `sentiment_drop_at_least` is a fall on the −5..5 scale: \
                 above 0 and at most 10, not {drop}"
            ));
        }
        let any = conditions.iter().any(Option::is_some)
            || self.topic.is_some()
            || self.fatal_failed.is_some()
            || self.failed.is_some()
            || self.sentiment.is_some()
            || self.issue_detected.is_some();
        if !any {
            return Err(format!(
                "flags.rules `{id}`: no condition; it would flag every {subject}"
            ));
        }
        Ok(())
    }
}
