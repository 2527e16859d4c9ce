//! The stored coaching records: agents, teams, interactions, evaluations,
//! feedback and forms, as the API reads and writes them.
//!
//! Ids are ULIDs (sortable by creation). Vendor records carry their
//! `(source, external_id)`; the store keeps one record per pair, so a
//! redelivered vendor event is stored once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Answer, Channel, Direction, Form, RatingKind, Scorecard, Sentiment, Severity, TimestampMs,
    VendorScore,
};

/// A new sortable id, later than every id this process made before: two
/// records made in the same millisecond list in the order they were made
/// (a plain ULID's random part would order them by chance).
pub fn new_id() -> String {
    static IDS: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());
    IDS.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .generate()
        // 2^80 ids in one millisecond: past that, a plain one.
        .unwrap_or_else(|_| ulid::Ulid::new())
        .to_string()
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
    /// The agent's supervisor (a staff person's or an agent's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_id: Option<String>,
    /// The agent's coach (a staff person's or an agent's id): a coach's
    /// token sees the agents it coaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coach_id: Option<String>,
    /// Vendor identities as `source:user-id` (`genesys:…`, `connect:…`,
    /// `twilio:WK…`); each belongs to one agent only.
    #[serde(default)]
    pub identities: Vec<String>,
    /// When the agent was created (ms since epoch; set by the server).
    #[serde(default)]
    pub created_at: TimestampMs,
    /// Set when this agent was merged into another (set by the server):
    /// its identities and records moved there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

impl Agent {
    /// The agent's own rules: a name, and vendor identities shaped
    /// `source:user-id`.
    pub fn validate(&self) -> Result<(), super::Invalid> {
        if self.name.trim().is_empty() {
            return Err(super::Invalid::new("name", "must not be empty"));
        }
        for (i, ident) in self.identities.iter().enumerate() {
            match ident.split_once(':') {
                Some((s, u)) if !s.is_empty() && !u.is_empty() => {}
                _ => {
                    return Err(super::Invalid::new(
                        format!("identities[{i}]"),
                        format!("{ident:?} is not `source:user-id`"),
                    ));
                }
            }
        }
        Ok(())
    }
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
    /// A QA score at or above this (percent) is a recognition candidate;
    /// `[analytics] recognition_percent` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognition_percent: Option<f64>,
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
    /// The team's supervisor (a staff person's or an agent's id): a
    /// supervisor's token sees the teams it leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_id: Option<String>,
    /// Targets.
    #[serde(default)]
    pub targets: Targets,
    /// When the team was created (set by the server).
    #[serde(default)]
    pub created_at: TimestampMs,
}

impl Team {
    /// The team's targets within their scales: QA 0..100 %, CSAT 1..5,
    /// NPS −100..100, AHT 0..86,400 s.
    pub fn targets_in_range(&self) -> Result<(), super::Invalid> {
        let tg = &self.targets;
        for (field, v, lo, hi) in [
            ("targets.qa_percent", tg.qa_percent, 0.0, 100.0),
            ("targets.csat", tg.csat, 1.0, 5.0),
            ("targets.nps", tg.nps, -100.0, 100.0),
            ("targets.aht_seconds", tg.aht_seconds, 0.0, 86_400.0),
        ] {
            if let Some(v) = v
                && !(lo..=hi).contains(&v)
            {
                return Err(super::Invalid::new(
                    field,
                    format!("{v} is outside {lo}..{hi}"),
                ));
            }
        }
        Ok(())
    }
}

/// A staff person: a supervisor, coach, QA lead or operator. Tokens for
/// staff roles may belong to one, which scopes what they see (the teams a
/// supervisor leads, the agents a coach coaches).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What they do (`supervisor`, `coach`, `qa-lead`, `operator`…), for
    /// people reading the list; access comes from their tokens' roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When the person was created (set by the server).
    #[serde(default)]
    pub created_at: TimestampMs,
}

impl Staff {
    /// A staff person needs a name.
    pub fn validate(&self) -> Result<(), super::Invalid> {
        if self.name.trim().is_empty() {
            return Err(super::Invalid::new("name", "must not be empty"));
        }
        Ok(())
    }
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
    /// Talk time in ms: both parties' speech together where the vendor
    /// analyses speech (Contact Lens `TalkTime.TotalTimeMillis`). Genesys'
    /// `tTalk` is the agent's own and goes to `agent_talk_ms` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub talk_ms: Option<u64>,
    /// Hold time in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<u64>,
    /// After-contact work in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_work_ms: Option<u64>,
    /// Time when neither party spoke, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_talk_ms: Option<u64>,
    /// The agent's own talk time in ms. Amazon Connect: Contact Lens
    /// `TalkTime.DetailsByParticipant.AGENT.TotalTimeMillis` (speech);
    /// Genesys Cloud: the sum of `tTalk` over the agent's sessions, or the
    /// detail event's `interactingDurationMs` (time interacting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_talk_ms: Option<u64>,
    /// The customer's talk time in ms. Amazon Connect: Contact Lens
    /// `TalkTime.DetailsByParticipant.CUSTOMER.TotalTimeMillis`; Genesys
    /// does not report it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_talk_ms: Option<u64>,
    /// How long the contact rang at the agent, in ms. Genesys Cloud: the
    /// agent sessions' `tAlert`; Amazon Connect: not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_ms: Option<u64>,
    /// Time to answer (entering the queue to the agent answering), in ms.
    /// Genesys Cloud: the agent sessions' `tAnswered`; Amazon Connect: not
    /// reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_ms: Option<u64>,
    /// How many times the agent talked over the customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_interruptions: Option<u32>,
    /// Vendor ids of linked contacts (transfers, consults, callbacks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_external_ids: Vec<String>,
    /// Queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Issues a conversation analysis detected, in the transcript's words.
    /// Amazon Connect: Contact Lens `Transcript[].IssuesDetected` (voice)
    /// or `ContactSummary…IssuesDetected` (chat).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<String>,
    /// Outcomes detected (`OutcomesDetected`, as for issues).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<String>,
    /// Action items detected (`ActionItemsDetected`, as for issues).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action_items: Vec<String>,
    /// Sentiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// Wrap-up code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up: Option<String>,
    /// The vendor's last-update time: a delivery older than the stored one
    /// does not overwrite it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<TimestampMs>,
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
    /// The vendor's id of the evaluated interaction, kept when no stored
    /// interaction has it yet (set by ingest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_ref: Option<String>,
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
    /// Why the last scoring attempt produced no scorecard (set by the
    /// server; cleared when a later attempt succeeds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_error: Option<ScoreFailure>,
}

/// Why an evaluation could not be scored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreFailure {
    /// The scorer plugin.
    pub plugin_id: String,
    /// A stable code: the plugin's error code (`invalid-input`,
    /// `not-computable`…) or the runtime's (`timeout`, `trap`, `plugin_busy`…).
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// When it was tried.
    pub at: TimestampMs,
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
    /// The vendor's id of the rated interaction, kept when no stored
    /// interaction has it yet (set by ingest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_ref: Option<String>,
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

impl Feedback {
    /// The rating as a fraction of its scale: 0 the worst, 1 the best
    /// (meaningless when `scale_max ≤ scale_min`, which validation refuses).
    pub fn fraction(&self) -> f64 {
        (self.value - self.scale_min) / (self.scale_max - self.scale_min)
    }

    /// The rating mapped onto 1..5, as CSAT is usually read.
    pub fn on_1_to_5(&self) -> f64 {
        1.0 + 4.0 * self.fraction()
    }
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

/// Where an alert is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AlertState {
    /// Raised, nobody has looked yet.
    Open,
    /// The supervisor has seen it.
    Acknowledged,
    /// Handled in a coaching session.
    Coached,
    /// Closed without coaching, with a reason.
    Dismissed,
}

/// A flag raised for an agent's supervisor: coach on this within a deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Sidecoach id.
    pub id: String,
    /// The agent to coach.
    pub agent_id: String,
    /// The supervisor it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor_id: Option<String>,
    /// The agent's team when it was raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The rule that raised it.
    pub rule_id: String,
    /// What raised it: `config` (a `[[flags.rules]]` entry) or a flagger
    /// plugin as `id@version`.
    pub raised_by: String,
    /// How urgent.
    pub severity: Severity,
    /// Why, in words a supervisor understands.
    pub reason: String,
    /// The coaching topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The interaction it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<String>,
    /// The evaluation that raised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_id: Option<String>,
    /// The feedback that raised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_id: Option<String>,
    /// State.
    pub state: AlertState,
    /// When it was raised.
    pub raised_at: TimestampMs,
    /// Coach by then.
    pub coach_by: TimestampMs,
    /// The session that handled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Why it was dismissed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dismissed_reason: Option<String>,
    /// Who last moved it (a token's label) and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    /// When the state last changed.
    #[serde(default)]
    pub updated_at: TimestampMs,
}

impl Alert {
    /// One alert per rule and flagged record: `rule/record-id`, the record
    /// being the feedback, else the evaluation, else the interaction.
    pub fn dedup_key(&self) -> String {
        let subject = self
            .feedback_id
            .as_deref()
            .or(self.evaluation_id.as_deref())
            .or(self.interaction_id.as_deref())
            .unwrap_or("-");
        format!("{}/{subject}", self.rule_id)
    }

    /// Whether it still waits for coaching (open or acknowledged).
    pub fn pending(&self) -> bool {
        matches!(self.state, AlertState::Open | AlertState::Acknowledged)
    }
}

/// Whether a recognition candidate has been acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RecognitionState {
    /// Waiting for a leader.
    Open,
    /// A leader acknowledged it.
    Acknowledged,
}

/// A high QA score worth recognising: raised when a scorecard reaches the
/// team's threshold, acknowledged by a senior leader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recognition {
    /// Sidecoach id.
    pub id: String,
    /// The agent.
    pub agent_id: String,
    /// The agent's team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// The evaluation that scored high.
    pub evaluation_id: String,
    /// Its score in percent.
    pub score: f64,
    /// The threshold it reached.
    pub threshold: f64,
    /// State.
    pub state: RecognitionState,
    /// When it was raised.
    pub raised_at: TimestampMs,
    /// Who acknowledged it (a token's label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<TimestampMs>,
    /// The leader's words to the agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The kind of a coaching session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    /// The weekly one-to-one.
    OneToOne,
    /// Short, right after one interaction.
    MicroCoaching,
    /// Peer mentoring.
    Mentoring,
    /// A "packet": coach, agent and observer agents.
    Observed,
    /// Recognising good work.
    Recognition,
}

/// How a session coaches: the moves the practice names — raise awareness,
/// give quick training, role-play a skill, or recognise good work.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum SessionStrategy {
    /// Raise awareness: show the agent the figures and the calls behind them.
    Awareness,
    /// Quick training on a skill or a product.
    Training,
    /// Role-play the skill with the coach.
    RolePlay,
    /// Recognise good work.
    Recognition,
}

impl SessionStrategy {
    /// Every strategy.
    pub const ALL: [SessionStrategy; 4] = [
        SessionStrategy::Awareness,
        SessionStrategy::Training,
        SessionStrategy::RolePlay,
        SessionStrategy::Recognition,
    ];

    /// Its name in JSON, queries and index terms.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStrategy::Awareness => "awareness",
            SessionStrategy::Training => "training",
            SessionStrategy::RolePlay => "role-play",
            SessionStrategy::Recognition => "recognition",
        }
    }
}

impl SessionKind {
    /// Every kind.
    pub const ALL: [SessionKind; 5] = [
        SessionKind::OneToOne,
        SessionKind::MicroCoaching,
        SessionKind::Mentoring,
        SessionKind::Observed,
        SessionKind::Recognition,
    ];

    /// Its name in JSON and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::OneToOne => "one-to-one",
            SessionKind::MicroCoaching => "micro-coaching",
            SessionKind::Mentoring => "mentoring",
            SessionKind::Observed => "observed",
            SessionKind::Recognition => "recognition",
        }
    }
}

/// Where an action item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    /// Not started.
    Open,
    /// Under way.
    InProgress,
    /// Done.
    Done,
    /// Dropped.
    Cancelled,
}

/// One step of an action plan built in a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItem {
    /// What will be done.
    pub description: String,
    /// Who does it (an agent id).
    pub owner_id: String,
    /// By when.
    pub due: TimestampMs,
    /// Status.
    pub status: ActionStatus,
}

/// An observer's note on the coached agent's areas of improvement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObserverNote {
    /// The observing agent.
    pub observer_id: String,
    /// The area of improvement named.
    pub note: String,
}

/// A coaching session, in the order coaching is done: targets, behaviours,
/// root causes, action plan, the agent's acknowledgement, a follow-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoachingSession {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// Kind.
    pub kind: SessionKind,
    /// The coach (or mentor): a staff person's or an agent's id.
    pub coach_id: String,
    /// The coached agent.
    pub agent_id: String,
    /// Observer agents (packets).
    #[serde(default)]
    pub observers: Vec<String>,
    /// Scheduled start.
    pub scheduled_at: TimestampMs,
    /// Planned length in minutes.
    pub duration_minutes: u32,
    /// Interactions covered.
    #[serde(default)]
    pub interaction_ids: Vec<String>,
    /// Evaluations covered.
    #[serde(default)]
    pub evaluation_ids: Vec<String>,
    /// Alerts handled.
    #[serde(default)]
    pub alert_ids: Vec<String>,
    /// How the session coaches (awareness, training, role play,
    /// recognition); a recognition session can only recognise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<SessionStrategy>,
    /// The coach's own notes on their rapport with the agent (what
    /// motivates them, what to ask about next time). Private to the
    /// session's coach: only a token belonging to `coach_id` writes them or
    /// sees them; every other caller (the agent, observers, other coaches,
    /// supervisors, admins) gets the session without them, and a change by
    /// another caller keeps them as they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rapport_notes: Option<String>,
    /// Targets reviewed, with the agent's figures at the time.
    #[serde(default)]
    pub targets_reviewed: Vec<String>,
    /// Behaviours driving the figures.
    #[serde(default)]
    pub behaviours: Vec<String>,
    /// Root causes of those behaviours.
    #[serde(default)]
    pub root_causes: Vec<String>,
    /// The action plan.
    #[serde(default)]
    pub action_items: Vec<ActionItem>,
    /// Observers' notes.
    #[serde(default)]
    pub observer_notes: Vec<ObserverNote>,
    /// When the agent acknowledged the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<TimestampMs>,
    /// The agent's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_comment: Option<String>,
    /// When to follow up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_at: Option<TimestampMs>,
    /// The session this one follows up (it marks that follow-up done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_up: Option<String>,
    /// When a later session followed this one up (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followed_up_at: Option<TimestampMs>,
    /// The mentoring pairing (mentoring sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_id: Option<String>,
    /// The agent's figures against the team's targets when the session was
    /// recorded (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<AgentFigures>,
    /// When the coach closed it (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<TimestampMs>,
}

impl CoachingSession {
    /// Whether `person` (a token's agent or staff person) is this
    /// session's coach: the one who reads and writes its rapport notes.
    pub fn is_coach(&self, person: Option<&str>) -> bool {
        person == Some(self.coach_id.as_str())
    }

    /// The session as `viewer` (a token's person, if any) may see it: the
    /// rapport notes only for its coach.
    pub fn seen_by(mut self, viewer: Option<&str>) -> CoachingSession {
        if !self.is_coach(viewer) {
            self.rapport_notes = None;
        }
        self
    }
}

/// An agent's recent figures beside their team's targets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentFigures {
    /// The window's start (ms); it ends when the session was recorded.
    pub since: TimestampMs,
    /// Mean QA score (percent).
    pub qa: Option<f64>,
    /// QA evaluations.
    pub qa_count: usize,
    /// Mean CSAT on 1..5.
    pub csat: Option<f64>,
    /// CSAT ratings.
    pub csat_count: usize,
    /// The team's QA target.
    pub qa_target: Option<f64>,
    /// The team's CSAT target.
    pub csat_target: Option<f64>,
}

/// An agent's opt-in to mentor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MentorProfile {
    /// The mentor (an agent id); only they may create it (set by the
    /// server from the caller's token).
    #[serde(default)]
    pub agent_id: String,
    /// Protégés they can take.
    pub capacity: u32,
    /// Strong topics.
    #[serde(default)]
    pub strengths: Vec<String>,
    /// Communication style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Works from home.
    #[serde(default)]
    pub home_based: bool,
    /// UTC offset in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Channels they mentor on.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// When they opted in (set by the server).
    #[serde(default)]
    pub opted_in_at: TimestampMs,
    /// When they opted out (set by the server); a profile opted out is
    /// never matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opted_out_at: Option<TimestampMs>,
}

/// Where a mentor pairing is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PairingState {
    /// Computed by the matcher.
    Proposed,
    /// Shown to the protégé in a shortlist.
    Offered,
    /// Chosen by the protégé.
    Accepted,
    /// Running.
    Active,
    /// Over.
    Ended,
}

/// A mentor–protégé pairing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pairing {
    /// Sidecoach id.
    pub id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The protégé.
    pub protege_id: String,
    /// The matcher's score.
    pub score: f64,
    /// The matcher's reasons.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The matcher plugin and version.
    pub matcher: String,
    /// State.
    pub state: PairingState,
    /// When the state last changed.
    pub updated_at: TimestampMs,
    /// The optimal assignment picked this mentor (else an alternative on
    /// the protégé's shortlist).
    #[serde(default)]
    pub recommended: bool,
    /// The match run that offered it (pairings offered together).
    #[serde(default)]
    pub run_id: String,
    /// What choosing this mentor costs the match (at least): how much the
    /// total score drops if the protégé takes them instead of the
    /// recommended one; 0 for the recommended one. Absent on pairings
    /// offered by earlier builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// Why it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_reason: Option<String>,
}

/// Forecast interval lengths accepted, minutes: the 15- and 30-minute
/// intervals of most WFM tools and the hourly ones of their exports.
pub const INTERVAL_LENGTHS: [u32; 3] = [15, 30, 60];

/// A staffing forecast interval, stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffingInterval {
    /// `queue@starts_at` (set by the server): one forecast per queue and
    /// interval, so a re-sent WFM export replaces rather than duplicates.
    #[serde(default)]
    pub id: String,
    /// The queue.
    pub queue: String,
    /// Interval start.
    pub starts_at: TimestampMs,
    /// 15, 30 or 60 ([`INTERVAL_LENGTHS`]).
    pub length_minutes: u32,
    /// Contacts offered.
    pub offered: f64,
    /// Average handle time in seconds.
    pub aht_seconds: f64,
    /// Agents scheduled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_agents: Option<f64>,
}

/// An agent's shift on a queue: when they are on the phones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// Sidecoach id (assigned by the server).
    #[serde(default)]
    pub id: String,
    /// The agent.
    pub agent_id: String,
    /// The queue they answer.
    pub queue: String,
    /// Shift start (ms).
    pub start: TimestampMs,
    /// Shift end (ms, exclusive).
    pub end: TimestampMs,
}

/// Whether a dead letter still needs attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeadLetterState {
    /// Not (fully) ingested yet.
    Open,
    /// A replay ingested everything in it.
    Resolved,
}

/// One reason a dead letter holds: a record the adapter or the host refused,
/// or the whole request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeadReason {
    /// The record's position in the payload, when the adapter rejected one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The event's position in the adapter's output, when the host could
    /// not store it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u32>,
    /// Stable code, the same as the API answer's for that failure: for the
    /// whole request `unsupported_payload`, `unsupported_media_type`,
    /// `source_misconfigured` or `adapter_rejected` (the adapter refused it),
    /// or the runtime's code when the adapter could not run
    /// (`plugin_not_found`, `plugin_timeout`, `plugin_trapped`…); per record
    /// `record_rejected` (by the adapter) or `record_invalid` (by the host);
    /// `signature_invalid` on a replay.
    pub code: String,
    /// Explanation.
    pub message: String,
    /// The field at fault, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A vendor payload that was not (fully) ingested, kept whole for replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadLetter {
    /// Sidecoach id.
    pub id: String,
    /// The configured source.
    pub source: String,
    /// The adapter plugin id.
    pub adapter: String,
    /// The adapter version that failed (none when it could not run at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter_version: Option<String>,
    /// Why, one entry per refused record (or one for the whole request).
    pub reasons: Vec<DeadReason>,
    /// When it first failed.
    pub failed_at: TimestampMs,
    /// HTTP method of the original request.
    pub method: String,
    /// The URL the vendor called.
    pub url: String,
    /// Request headers (lower-case names; credentials removed).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The raw body, base64.
    pub body_base64: String,
    /// sha256 of the whole request as received: source, method, URL,
    /// headers (credentials removed) and body. A vendor's retry of exactly
    /// this request counts as another delivery of this dead letter; the
    /// same body sent with other headers or query is a request of its own,
    /// with its own reasons, and replays itself.
    pub digest: String,
    /// How many times the vendor delivered it while open.
    #[serde(default)]
    pub deliveries: u32,
    /// Open or resolved.
    pub state: DeadLetterState,
    /// Replays attempted.
    #[serde(default)]
    pub replays: u32,
    /// When it was last replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed_at: Option<TimestampMs>,
    /// The operator's correction, applied to the stored request on every
    /// replay from the one that carried it (the request as received stays
    /// as it was above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<ReplayCorrection>,
}

/// An operator's correction carried by a replay: query parameters and
/// headers set on the stored request before it runs again, e.g. the
/// `contact_id` a Contact Lens file written to S3 did not carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayCorrection {
    /// Query parameters to set, replacing any of the same name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// Headers to set (names are lower-cased), replacing any of the same
    /// name. Credential headers are refused: a dead letter never keeps one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl ReplayCorrection {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.query.is_empty() && self.headers.is_empty()
    }
}

/// Who did what, for actions that need a trail (drop-ins, lifecycle changes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Sidecoach id.
    pub id: String,
    /// When.
    pub at: TimestampMs,
    /// The token's label.
    pub actor: String,
    /// What, e.g. `plugin.install`.
    pub action: String,
    /// On what, e.g. a plugin id.
    pub target: String,
    /// Details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The agents the action was about (a drop-in's mentor and protégé):
    /// their supervisors read these entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
    /// Those agents' teams at the time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
}

#[cfg(test)]
mod id_tests {
    #[test]
    fn ids_made_in_one_millisecond_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..1000).map(|_| super::new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
    }
}
