//! What the coaching-practice reports speak: the weekly cadence (who is
//! coached, due or overdue this week) and coaching effectiveness (QA and
//! CSAT in the days after a session against the days before).

use serde::{Deserialize, Serialize};

use super::{Mean, SessionKind, SessionStrategy, TimestampMs};

/// Where an agent stands against the weekly one-to-one.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum CadenceStatus {
    /// No counted session held this week, and none in the previous full
    /// week either (the agent existed through all of it): a week missed.
    Overdue,
    /// No counted session held this week yet, but one in the previous week
    /// (or the agent is newer than the previous week's start).
    Due,
    /// At least one counted session held this week.
    Coached,
}

/// One agent's line in the cadence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CadenceLine {
    /// The agent.
    pub agent_id: String,
    /// Their name.
    pub agent_name: String,
    /// Their team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Their coach (`Agent.coach_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coach_id: Option<String>,
    /// Coached, due or overdue.
    pub status: CadenceStatus,
    /// Counted sessions held this week (scheduled from the week's start up
    /// to `at`).
    pub sessions_this_week: usize,
    /// Sessions of other kinds (micro-coaching, mentoring…) held this week:
    /// shown, but they do not stand in for the one-to-one.
    pub other_sessions_this_week: usize,
    /// Counted sessions in the previous full week.
    pub sessions_previous_week: usize,
    /// When the last counted session was held (at or before `at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_session_at: Option<TimestampMs>,
    /// That session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_session_id: Option<String>,
    /// Who ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_session_coach_id: Option<String>,
    /// The next counted session scheduled after `at`, if one is planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_session_at: Option<TimestampMs>,
}

/// How many agents stand where.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CadenceCounts {
    /// Agents listed.
    pub agents: usize,
    /// Agents coached this week.
    pub coached_agents: usize,
    /// Agents due this week.
    pub due_agents: usize,
    /// Agents overdue: no session this week nor the previous one.
    pub overdue_agents: usize,
}

/// `GET /v1/coaching/cadence`: the weekly coaching cadence of a team's
/// agents, a coach's agents, or one agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CadenceReport {
    /// `team`, `coach` or `agent`.
    pub scope: String,
    /// The team, coach or agent id.
    pub id: String,
    /// The moment the cadence is judged at (ms; default now).
    pub at: TimestampMs,
    /// This week's start: Monday 00:00 UTC of the week holding `at`.
    pub week_start: TimestampMs,
    /// This week's end (exclusive): the next Monday 00:00 UTC.
    pub week_end: TimestampMs,
    /// The previous full week's start (it ends at `week_start`).
    pub previous_week_start: TimestampMs,
    /// The session kinds that count as the weekly coaching session
    /// (default one-to-one and observed).
    pub kinds: Vec<SessionKind>,
    /// Totals.
    pub counts: CadenceCounts,
    /// One line per agent (merged agents left out): overdue first, then
    /// due, then coached, each by name.
    pub agents: Vec<CadenceLine>,
}

/// Why a session's figures on one measure stay out of the means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Exclusion {
    /// The days after the session have not all passed yet.
    WindowOpen,
    /// Fewer than `min_samples` records in the days before.
    TooFewBefore,
    /// Fewer than `min_samples` records in the days after.
    TooFewAfter,
}

/// One session's figures on one measure (QA or CSAT).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionMeasure {
    /// The agent's records in the `days` before the session: their mean
    /// and how many.
    pub before: Mean,
    /// The agent's records in the `days` from the session on.
    pub after: Mean,
    /// `after − before`, when the session is in the means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// Why it stays out of the means (absent: it is in them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Exclusion>,
}

/// One session, judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionEffect {
    /// The session.
    pub session_id: String,
    /// The coached agent.
    pub agent_id: String,
    /// The coach.
    pub coach_id: String,
    /// Its kind.
    pub kind: SessionKind,
    /// Its strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<SessionStrategy>,
    /// Its topics: its interactions' topics, its alerts' topics and the
    /// weak criteria's topics of its evaluations.
    pub topics: Vec<String>,
    /// When it was held.
    pub scheduled_at: TimestampMs,
    /// QA score (percent) before and after.
    pub qa: SessionMeasure,
    /// CSAT (on 1..5) before and after.
    pub csat: SessionMeasure,
}

/// A measure over a group of sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeasureEffect {
    /// Sessions in the means: enough records on both sides, after window
    /// closed.
    pub sessions: usize,
    /// Sessions counted in the group but left out of the means.
    pub excluded: usize,
    /// Records (QA evaluations or CSAT ratings) before, over the sessions
    /// in the means.
    pub before_count: usize,
    /// Records after, over the sessions in the means.
    pub after_count: usize,
    /// The mean of those sessions' before-means (each session weighs the
    /// same, however many records it has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_before: Option<f64>,
    /// The mean of their after-means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_after: Option<f64>,
    /// `mean_after − mean_before` (the mean of the sessions' deltas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
}

/// The sessions sharing a coach, kind, strategy or topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EffectGroup {
    /// The coach id, kind, strategy (`unspecified` for sessions without
    /// one) or topic; `all` for the whole report.
    pub key: String,
    /// The coach's name (coach groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Every session in the group, excluded ones too.
    pub sessions: usize,
    /// QA score (percent).
    pub qa: MeasureEffect,
    /// CSAT (on 1..5).
    pub csat: MeasureEffect,
}

/// `GET /v1/coaching/effectiveness`: each coached agent's QA and CSAT in
/// the `days` after a session against the `days` before, aggregated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EffectivenessReport {
    /// `team`, `coach` or `all`.
    pub scope: String,
    /// The team or coach id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Sessions held from (ms, inclusive).
    pub from: TimestampMs,
    /// Sessions held before (ms, exclusive).
    pub to: TimestampMs,
    /// The length of each side's window, in days.
    pub days: u32,
    /// The records a side needs for a session to enter a measure's means.
    pub min_samples: usize,
    /// When the report was computed: an after window ending later is still
    /// open.
    pub at: TimestampMs,
    /// Every session together.
    pub overall: EffectGroup,
    /// Per coach, most sessions first.
    pub by_coach: Vec<EffectGroup>,
    /// Per session kind.
    pub by_kind: Vec<EffectGroup>,
    /// Per strategy.
    pub by_strategy: Vec<EffectGroup>,
    /// Per topic (a session with several topics is in each; one with none
    /// in no topic group).
    pub by_topic: Vec<EffectGroup>,
    /// Every session judged, in time order.
    pub sessions: Vec<SessionEffect>,
    /// How to read the figures, in words.
    pub note: String,
}
