//! The stored coaching records: agents, teams, interactions, evaluations,
//! feedback and forms, as the API reads and writes them.
//!
//! Ids are ULIDs (sortable by creation). Vendor records carry their
//! `(source, external_id)`; the store keeps one record per pair, so a
//! redelivered vendor event is stored once.

use serde::{Deserialize, Serialize};

use super::{
    Answer, Channel, Direction, Form, RatingKind, Scorecard, Sentiment, TimestampMs, VendorScore,
};

/// A new sortable id.
pub fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// A person handling interactions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The agent's team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The agent's supervisor (an agent id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_id: Option<String>,
    /// Vendor identities as `source:user-id` (`genesys:…`, `connect:…`,
    /// `twilio:WK…`); each belongs to one agent only.
    #[serde(default)]
    pub identities: Vec<String>,
    /// When the agent was created (ms since epoch; set by the server).
    #[serde(default)]
    pub created_at: TimestampMs,
}

/// Targets a team is measured against.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// QA score target in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qa_percent: Option<f64>,
    /// CSAT target on a 1..5 scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<f64>,
    /// NPS target (−100..100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nps: Option<f64>,
    /// Average handle time target in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aht_seconds: Option<f64>,
}

/// A team of agents under a supervisor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// The team's supervisor (an agent id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_id: Option<String>,
    /// Targets.
    #[serde(default)]
    pub targets: Targets,
    /// When the team was created (set by the server).
    #[serde(default)]
    pub created_at: TimestampMs,
}

/// One contact, stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Interaction {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// Where it came from (a configured source, or `api`).
    pub source: String,
    /// The vendor's id; with `source`, the idempotency key.
    pub external_id: String,
    /// The handling agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The agent's team when the record was stored (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Medium.
    pub channel: Channel,
    /// Who started it.
    #[serde(default = "unknown_direction")]
    pub direction: Direction,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<TimestampMs>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<TimestampMs>,
    /// Handle time in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_ms: Option<u64>,
    /// Talk time in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk_ms: Option<u64>,
    /// Hold time in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<u64>,
    /// After-contact work in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_work_ms: Option<u64>,
    /// Queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Sentiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// Wrap-up code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up: Option<String>,
    /// When Sidecoach received it (set by the server).
    #[serde(default)]
    pub received_at: TimestampMs,
}

fn unknown_direction() -> Direction {
    Direction::Unknown
}

/// A scorecard with the plugin that produced it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredScorecard {
    /// The result.
    #[serde(flatten)]
    pub card: Scorecard,
    /// The scorer plugin id.
    pub plugin_id: String,
    /// Its version.
    pub plugin_version: String,
    /// When it was scored.
    pub scored_at: TimestampMs,
}

/// A QA evaluation, stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// Where it came from.
    pub source: String,
    /// The vendor's id.
    pub external_id: String,
    /// The form.
    pub form_id: String,
    /// The form version (latest when omitted).
    #[serde(default)]
    pub form_version: u32,
    /// The evaluated interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<String>,
    /// The evaluated agent.
    pub agent_id: String,
    /// The agent's team when the record was stored (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The evaluator (an agent id or a name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator: Option<String>,
    /// When it was submitted.
    #[serde(default)]
    pub evaluated_at: TimestampMs,
    /// The answers.
    pub answers: Vec<Answer>,
    /// The vendor's own score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_score: Option<VendorScore>,
    /// The scorecard once scored (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorecard: Option<StoredScorecard>,
}

/// Customer feedback, stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// Where it came from.
    pub source: String,
    /// The vendor's id.
    pub external_id: String,
    /// What is rated.
    pub kind: RatingKind,
    /// The rating.
    pub value: f64,
    /// Lowest value on the scale.
    pub scale_min: f64,
    /// Highest value on the scale.
    pub scale_max: f64,
    /// The rated interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<String>,
    /// The rated agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// The agent's team when the record was stored (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// The customer's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbatim: Option<String>,
    /// When it was given.
    #[serde(default)]
    pub received_at: TimestampMs,
}

/// A QA form version, stored under `form_id@version`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredForm {
    /// `form_id@version`, zero-padded so versions sort (set by the server).
    pub key: String,
    /// The definition.
    #[serde(flatten)]
    pub form: Form,
    /// When this version was created.
    pub created_at: TimestampMs,
}

impl StoredForm {
    /// The storage key of a form version.
    pub fn key_of(form_id: &str, version: u32) -> String {
        format!("{form_id}@{version:010}")
    }

    /// Wrap a form version for storage.
    pub fn new(form: Form, created_at: TimestampMs) -> StoredForm {
        StoredForm {
            key: StoredForm::key_of(&form.id, form.version),
            form,
            created_at,
        }
    }
}
