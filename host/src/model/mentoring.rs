//! The mentoring program's records: enrolment (with the monitoring notice),
//! progress reports, and what a match run and a supervisor's view return.

use serde::{Deserialize, Serialize};

use super::{ActionItem, Channel, CoachingSession, Pairing, TimestampMs, TopicNeed, TrendReport};

/// An agent's enrolment in the mentoring program: their preferences as a
/// protégé, and the record that they were told supervisors may
/// occasionally monitor mentoring interactions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    /// The agent (only they may enrol themselves).
    #[serde(default)]
    pub agent_id: String,
    /// They were told supervisors may drop in to monitor, and agreed.
    pub monitoring_acknowledged: bool,
    /// When they acknowledged it (set by the server).
    #[serde(default)]
    pub acknowledged_at: TimestampMs,
    /// Communication style they prefer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// UTC offset in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Channels they can be mentored on.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Works from home.
    #[serde(default)]
    pub home_based: bool,
}

/// A mentor's report on a protégé, for the protégé's supervisor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressReport {
    /// Sidecoach id (set by the server).
    #[serde(default)]
    pub id: String,
    /// The pairing (set by the server from the path).
    #[serde(default)]
    pub pairing_id: String,
    /// The mentor (set by the server).
    #[serde(default)]
    pub mentor_id: String,
    /// The protégé (set by the server).
    #[serde(default)]
    pub protege_id: String,
    /// What is going well.
    pub doing_well: String,
    /// What to improve.
    pub to_improve: String,
    /// The next focus.
    pub next_focus: String,
    /// When it was filed (set by the server).
    #[serde(default)]
    pub filed_at: TimestampMs,
}

/// `POST /v1/mentoring/match`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// The protégés (enrolled agents); when empty, every enrolled agent who
    /// is not an opted-in mentor and has no accepted or active pairing.
    #[serde(default)]
    pub proteges: Vec<String>,
    /// Needs from QA and feedback since (ms); default 28 days back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<TimestampMs>,
    /// Store the shortlists as offered pairings.
    #[serde(default)]
    pub commit: bool,
}

/// One mentor offered to a protégé.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Offer {
    /// The mentor.
    pub mentor_id: String,
    /// The matcher's score.
    pub score: f64,
    /// The matcher's reasons.
    pub reasons: Vec<String>,
    /// The optimal assignment's pick for this protégé.
    pub assigned: bool,
    /// The mentor's places all went to others in the optimum; choosing
    /// them moves someone else.
    pub full: bool,
    /// How much the team's total score drops (at least) if the protégé
    /// takes this mentor instead of the assigned one.
    pub cost: f64,
    /// The stored pairing (with `commit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_id: Option<String>,
}

/// One protégé's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProtegeOffers {
    /// The protégé.
    pub protege_id: String,
    /// Their weakest topics, weakest first.
    pub needs: Vec<TopicNeed>,
    /// Two or three mentors to choose from, the assigned one first.
    pub shortlist: Vec<Offer>,
    /// Why there is no mentor, when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmatched: Option<String>,
}

/// What a match run found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchReport {
    /// The matcher plugin, as `id@version`.
    pub matcher: String,
    /// Per protégé.
    pub proteges: Vec<ProtegeOffers>,
    /// Protégés with a mentor in the optimum.
    pub matched: usize,
    /// Sum of the assigned pairs' scores.
    pub total_score: f64,
    /// Milliseconds in the matcher plugin.
    pub matcher_ms: f64,
    /// Milliseconds in the assignment solver.
    pub solver_ms: f64,
    /// Whether the offers were stored.
    pub committed: bool,
    /// Mentors who opted in but were left out: they have not enrolled
    /// acknowledging that supervisors may monitor mentoring.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentors_unacknowledged: Vec<String>,
}

/// `POST /v1/pairings/{id}/end`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndPairing {
    /// Why it ends.
    pub reason: String,
}

/// `POST /v1/pairings/{id}/drop-in`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DropIn {
    /// What the supervisor is monitoring (e.g. a session id or a note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /v1/agents/{id}/mentoring`: a protégé's pairings and their mentors'
/// reports beside the protégé's score trend, for their supervisor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MentoringView {
    /// The protégé.
    pub agent_id: String,
    /// Their pairings, newest first.
    pub pairings: Vec<Pairing>,
    /// Their mentors' progress reports, newest first.
    pub reports: Vec<ProgressReport>,
    /// Their weekly QA and CSAT.
    pub trend: TrendReport,
    /// Their weakest topics now.
    pub needs: Vec<TopicNeed>,
    /// Whether they enrolled acknowledging that supervisors may drop in on
    /// their mentoring: a drop-in needs the mentor's and the protégé's.
    pub monitoring_acknowledged: bool,
}

/// `GET /v1/coaching/overdue?coach=`: what a coach has let slip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Overdue {
    /// The coach.
    pub coach_id: String,
    /// Sessions whose follow-up date passed with no session following up.
    pub follow_ups: Vec<CoachingSession>,
    /// Action items past due and not done or cancelled.
    pub action_items: Vec<OverdueAction>,
}

/// One overdue action item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverdueAction {
    /// Its session.
    pub session_id: String,
    /// The coached agent.
    pub agent_id: String,
    /// Its position in the session's action plan.
    pub index: usize,
    /// The item.
    pub item: ActionItem,
}

/// `POST /v1/sessions/{id}/acknowledge`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeSession {
    /// The agent's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `POST /v1/sessions/{id}/action-items/{n}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionUpdate {
    /// The new status.
    pub status: super::ActionStatus,
}
