//! The slot planner: places coaching sessions only where the staffing
//! forecast can spare everyone taken off the phones, staggered so that not
//! all go at once, inside every participant's shift, and reports the
//! predicted service level of each interval it touches.
//!
//! # Rules
//!
//! - **On the phones.** With `k` agents of a queue taken offline in an
//!   interval, `⌊(scheduled − k) × (1 − shrinkage)⌋` remain on the phones
//!   (see [`on_phones`]).
//! - **Surplus.** An interval's surplus is the largest `k` for which the
//!   model still predicts a service level at or above the target and, with
//!   `max_occupancy`, at least `⌈traffic / max_occupancy⌉` agents stay on
//!   the phones (0 when even `k = 0` misses either). Predictions are cached
//!   per (interval, `k`), so each interval's Erlang arithmetic runs at most
//!   once per `k`.
//! - **Rounding, explained.** Shrinkage is counted in whole agents, rounded
//!   down, so taking one agent of 11 off at 30% shrinkage leaves
//!   `⌊10 × 0.7⌋ = ⌊11 × 0.7⌋ = 7` on the phones and the service level
//!   unchanged. Each touched interval reports the agents on the phones
//!   before and after and the agents required, with a `note` whenever
//!   rounding hides some of the agents taken offline.
//! - **Who goes offline.** A participant listed in `agents` is on the phones
//!   of their queue; a participant who is not (a supervisor coaching) takes
//!   nobody off the phones and has no shift to respect, but is still never
//!   in two sessions at once. A mentoring session of two agents takes two
//!   off the phones, an observed one with an observer three.
//! - **No forecast.** A participant whose queue has no forecast intervals
//!   in the session's window (or none at all) leaves the session unplaced
//!   with `no_forecast`, never an error: the window is the caller's, the
//!   forecast's range is not.
//! - **Where a session may go.** A start that is the start of a forecast
//!   interval of every on-phone participant's queue, inside the window with
//!   the whole duration, inside every on-phone participant's shift for the
//!   whole duration; it covers the consecutive intervals that the duration
//!   overlaps (`⌈duration / length⌉` of them), each counted as fully lost.
//!   In every covered interval the total offline (all sessions, per queue)
//!   must stay within the surplus, and no participant may be in another
//!   session that overlaps it.
//! - **Which start.** The quietest: the start whose worst covered interval
//!   has the highest predicted service level *after* adding the session;
//!   ties (quiet intervals whose service level rounds to 1) go to the lower
//!   worst occupancy after, then to the earliest start. Because a second
//!   session in an interval lowers its service level, sessions spread out
//!   across intervals by themselves.
//! - **Which session first.** The most constrained: fewest starts within the
//!   surplus before anything is placed, ties in input order.
//! - **Override.** With `override_target`, a session that has no start
//!   within target after every in-target placement is made (a second pass,
//!   so overriding never takes room from an in-target session) goes to the
//!   start that costs least by the same rule, as long as no interval loses
//!   more agents than it has scheduled; the plan marks it and shows every
//!   touched interval's service level before and after and the drop.
//!
//! The output depends only on the request: no clocks, no randomness, no
//! hash-map iteration order.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::erlang::{
    ErlangError, IntervalLoad, RequiredBy, ServiceTarget, StaffingModel, StaffingPrediction,
    agents_for_occupancy, on_phones,
};

const MINUTE_MS: i64 = 60_000;

/// Interval lengths the planner accepts, minutes: those a stored forecast
/// may have.
pub use crate::model::INTERVAL_LENGTHS;

/// A half-open time range `[start, end)`, milliseconds since the Unix
/// epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// First millisecond inside.
    pub start: i64,
    /// First millisecond after.
    pub end: i64,
}

/// One queue's staffing forecast for one interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastInterval {
    /// The queue.
    pub queue: String,
    /// Start, milliseconds since the Unix epoch, UTC.
    pub starts_at: i64,
    /// Length: 15, 30 or 60 minutes.
    pub length_minutes: u32,
    /// Contacts forecast to arrive in the interval.
    pub offered: f64,
    /// Average handle time, seconds.
    pub aht_seconds: f64,
    /// Agents scheduled on the queue (before shrinkage).
    pub scheduled_agents: u32,
}

/// An agent on the phones: their queue and when they work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentShifts {
    /// The agent.
    pub agent_id: String,
    /// The queue they answer (must have forecast intervals).
    pub queue: String,
    /// Their shifts; touching or overlapping shifts are joined.
    pub shifts: Vec<TimeRange>,
}

/// A session to place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// The caller's id for the session, unique in the request.
    pub id: String,
    /// What kind of session (`one-to-one`, `micro-coaching`, `mentoring`,
    /// `observed`, `recognition`…): echoed back, not interpreted — who
    /// goes offline is decided by `participants`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The mentor pairing a mentoring session belongs to: echoed back, not
    /// interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_id: Option<String>,
    /// Everyone in the session. Those listed in `agents` are taken off the
    /// phones of their queue; others (a supervisor) only must not be
    /// double-booked.
    pub participants: Vec<String>,
    /// Length, minutes (greater than 0).
    pub duration_minutes: u32,
    /// When it may take place.
    pub window: TimeRange,
}

/// What to plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// The forecast: per queue, non-overlapping intervals.
    pub intervals: Vec<ForecastInterval>,
    /// The service level no interval may fall below.
    pub target: ServiceTarget,
    /// Share of scheduled time lost to breaks, absence, training, in
    /// `[0, 1)`; default 0.
    #[serde(default)]
    pub shrinkage: f64,
    /// The queueing model; default Erlang C.
    #[serde(default)]
    pub model: StaffingModel,
    /// The highest occupancy an interval may run at, in `(0, 1]`: every
    /// interval keeps at least `⌈traffic / max_occupancy⌉` agents on the
    /// phones. Default: no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_occupancy: Option<f64>,
    /// Agents on the phones, with their queues and shifts.
    pub agents: Vec<AgentShifts>,
    /// Sessions to place.
    pub sessions: Vec<SessionRequest>,
    /// Allow an interval below target when a session has no start within
    /// target; the cost is reported.
    #[serde(default)]
    pub override_target: bool,
}

/// One interval of one queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntervalRef {
    /// The queue.
    pub queue: String,
    /// The interval's start, milliseconds since the Unix epoch, UTC.
    pub starts_at: i64,
}

/// A session the plan places.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlacedSession {
    /// The session's id.
    pub id: String,
    /// Its kind, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its pairing, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_id: Option<String>,
    /// Start, milliseconds since the Unix epoch, UTC (an interval start).
    pub start: i64,
    /// End: start plus duration.
    pub end: i64,
    /// The intervals it takes agents from, by queue then start.
    pub intervals: Vec<IntervalRef>,
    /// Placed below target because `override_target` was set and no start
    /// within target existed.
    pub overrides_target: bool,
}

/// Why a session was not placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnplacedReason {
    /// No participant is in `agents`: nobody whose queue and shifts are
    /// known.
    UnknownAgent,
    /// No stretch of the duration inside the window where every on-phone
    /// participant is on shift.
    NoShiftOverlap,
    /// A participant's queue has no forecast intervals in the window, or
    /// shifts overlap but no interval-aligned start there has forecast
    /// intervals covering the session for every participant's queue.
    NoForecast,
    /// Every possible start would take a covered interval below target (or,
    /// with override, below zero agents).
    NoSurplus,
    /// Starts with surplus exist, but a participant is in another session at
    /// each of them.
    ParticipantBusy,
}

/// A session the plan could not place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnplacedSession {
    /// The session's id.
    pub id: String,
    /// Its kind, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Stable reason code.
    pub reason: UnplacedReason,
    /// The reason in words, naming the agents, queue or target involved.
    pub message: String,
}

/// The predicted effect of the plan on one interval it touches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntervalImpact {
    /// The queue.
    pub queue: String,
    /// The interval's start, milliseconds since the Unix epoch, UTC.
    pub starts_at: i64,
    /// Its length, minutes.
    pub length_minutes: u32,
    /// Agents scheduled, from the forecast.
    pub scheduled_agents: u32,
    /// The most agents it can lose and still meet the target (and keep
    /// occupancy within the cap).
    pub surplus: u32,
    /// Agents the plan takes offline.
    pub agents_offline: u32,
    /// Agents on the phones with nobody offline: `⌊scheduled × (1 −
    /// shrinkage)⌋`.
    pub agents_on_phones_before: u32,
    /// Agents left on the phones after shrinkage: `⌊(scheduled − offline) ×
    /// (1 − shrinkage)⌋`. Shrinkage is counted in whole agents, so this can
    /// fall by fewer than `agents_offline` (see `note`).
    pub agents_on_phones: u32,
    /// Agents the interval needs on the phones (absent when no staffing
    /// reaches the target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_on_phones: Option<u32>,
    /// Which constraint set `required_on_phones`: the service-level target
    /// or the occupancy cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_by: Option<RequiredBy>,
    /// Predicted service level with nobody offline.
    pub service_level_before: f64,
    /// Predicted service level with the plan's sessions.
    pub service_level_after: f64,
    /// `service_level_before − service_level_after`.
    pub service_level_drop: f64,
    /// Predicted occupancy with the plan's sessions.
    pub occupancy_after: f64,
    /// Predicted average speed of answer with the plan's sessions, seconds
    /// (`None`: the queue is overloaded).
    pub asa_seconds_after: Option<f64>,
    /// Whether `service_level_after` meets the target and, with
    /// `max_occupancy`, `agents_on_phones` keeps occupancy within the cap.
    pub meets_target: bool,
    /// The sessions that take agents from it, in input order.
    pub sessions: Vec<String>,
    /// Why the agents on the phones fell by fewer than the agents taken
    /// offline, when shrinkage rounding hides some of them, e.g. `⌊11 × 0.7⌋
    /// = 7 on the phones before, ⌊10 × 0.7⌋ = 7 after: …`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The planner's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Plan {
    /// Placed sessions, in input order.
    pub placed: Vec<PlacedSession>,
    /// Sessions not placed, in input order.
    pub unplaced: Vec<UnplacedSession>,
    /// Every interval the plan touches, by queue then start.
    pub intervals: Vec<IntervalImpact>,
}

/// Why a plan request was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// A field is invalid; `field` is its JSON path.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault, e.g. `sessions[2].window`.
        field: String,
        /// Why.
        message: String,
    },
    /// The caller's `stop` said to stop (its deadline passed).
    #[error("the plan was stopped before it finished")]
    Stopped,
}

impl PlanError {
    /// The field at fault (none for a stopped plan).
    pub fn field(&self) -> &str {
        match self {
            PlanError::Invalid { field, .. } => field,
            PlanError::Stopped => "",
        }
    }
}

type Result<T> = std::result::Result<T, PlanError>;

fn invalid(field: impl Into<String>, message: impl Into<String>) -> PlanError {
    PlanError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// An Erlang error about `parameter` as a field error under `prefix`.
fn erlang_field(prefix: &str, e: &ErlangError) -> PlanError {
    match e.parameter() {
        Some(parameter) => invalid(format!("{prefix}{parameter}"), e.to_string()),
        None => invalid(prefix.trim_end_matches('.'), e.to_string()),
    }
}

/// `x` with at most four decimals and no trailing zeros: `0.7`, not
/// `0.7000` or `0.30000000000000004`.
fn decimal(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0');
    text.trim_end_matches('.').to_string()
}

/// Why `offline` agents taken from `scheduled` cost fewer than `offline`
/// on the phones (`on_phones` before and after): shrinkage is counted in
/// whole agents, rounded down. `None` when nothing is hidden.
fn rounding_note(
    scheduled: u32,
    offline: u32,
    (before, after): (u32, u32),
    shrinkage: f64,
) -> Option<String> {
    let lost = before.saturating_sub(after);
    if offline == 0 || lost >= offline {
        return None;
    }
    let keep = decimal(1.0 - shrinkage);
    let left = scheduled.saturating_sub(offline);
    let figures = format!(
        "⌊{scheduled} × {keep}⌋ = {before} on the phones before, ⌊{left} × {keep}⌋ = {after} after"
    );
    let why = format!(
        "{}% shrinkage is counted in whole agents, rounded down",
        decimal(shrinkage * 100.0)
    );
    let agents = |n: u32| if n == 1 { "agent" } else { "agents" };
    Some(if lost == 0 {
        format!(
            "{figures}: taking {offline} of {scheduled} scheduled {} offline leaves as many on \
             the phones, so the predicted service level does not change ({why})",
            agents(scheduled)
        )
    } else {
        format!(
            "{figures}: taking {offline} scheduled {} offline costs {lost} on the phones ({why})",
            agents(offline)
        )
    })
}

/// Sort ranges and join those that touch or overlap.
fn merge(mut ranges: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    ranges.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// The intersection of two sorted lists of disjoint ranges.
fn intersect(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        let start = a[i].0.max(b[j].0);
        let end = a[i].1.min(b[j].1);
        if start < end {
            out.push((start, end));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// One forecast interval and what the plan does to it.
struct Slot {
    queue: usize,
    start: i64,
    end: i64,
    /// Index into `PlanRequest::intervals`.
    input: usize,
    load: IntervalLoad,
    scheduled: u32,
    /// The fewest agents on the phones within `max_occupancy` (0 without
    /// a cap).
    occupancy_floor: u32,
    /// `predictions[k]`: the model's prediction with `k` agents offline,
    /// filled in order on first use.
    predictions: Vec<StaffingPrediction>,
    /// Computed on first use.
    surplus: Option<u32>,
    offline: u32,
    /// Sessions (input indices) taking agents from it.
    sessions: Vec<usize>,
}

struct Queue<'a> {
    name: &'a str,
    /// Slot indices by start.
    slots: Vec<usize>,
    /// Interval start → position in `slots`.
    by_start: HashMap<i64, usize>,
}

struct Agent {
    queue: usize,
    /// Merged shifts.
    shifts: Vec<(i64, i64)>,
}

/// One possible start of a session.
struct Candidate {
    start: i64,
    /// Range into `SessionCandidates::touches`.
    touches: std::ops::Range<usize>,
}

/// A session's possible starts, before any placement.
struct SessionCandidates {
    candidates: Vec<Candidate>,
    /// (slot, agents it takes from that slot).
    touches: Vec<(usize, u32)>,
}

/// Why a session is not placed.
struct Refusal {
    reason: UnplacedReason,
    message: String,
}

/// A start's figures: its worst covered interval after placement.
#[derive(Clone, Copy)]
struct Score {
    service_level: f64,
    occupancy: f64,
}

impl Score {
    /// Quieter: higher service level, then lower occupancy.
    fn quieter_than(&self, other: &Score) -> bool {
        match self.service_level.total_cmp(&other.service_level) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => self.occupancy < other.occupancy,
        }
    }
}

/// The outcome of looking for a session's start.
enum Choice {
    /// The index of the quietest candidate that fits.
    Start(usize),
    /// None fits.
    Unplaced(Refusal),
}

/// Whether a start may exceed the surplus.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    WithinTarget,
    Override,
}

struct Planner<'a> {
    request: &'a PlanRequest,
    /// Says when to give up (checked between Erlang evaluations).
    stop: &'a dyn Fn() -> bool,
    slots: Vec<Slot>,
    queues: Vec<Queue<'a>>,
    agents: HashMap<&'a str, Agent>,
    /// Participant → placed sessions' time ranges.
    busy: HashMap<&'a str, Vec<(i64, i64)>>,
}

/// Plan `request`: place every session that fits, report the rest.
///
/// ```
/// use sidecoach::scheduling::erlang::ServiceTarget;
/// use sidecoach::scheduling::planner::{
///     AgentShifts, ForecastInterval, PlanRequest, SessionRequest, TimeRange, plan,
/// };
///
/// const HALF_HOUR: i64 = 30 * 60_000;
/// // Two half-hours: a peak (10 Erlangs on 14 agents) and a quiet one.
/// let intervals = [(100.0, 14), (40.0, 14)]
///     .into_iter()
///     .enumerate()
///     .map(|(i, (offered, scheduled_agents))| ForecastInterval {
///         queue: "billing".into(),
///         starts_at: i as i64 * HALF_HOUR,
///         length_minutes: 30,
///         offered,
///         aht_seconds: 180.0,
///         scheduled_agents,
///     })
///     .collect();
/// let agent = |id: &str| AgentShifts {
///     agent_id: id.into(),
///     queue: "billing".into(),
///     shifts: vec![TimeRange { start: 0, end: 2 * HALF_HOUR }],
/// };
/// let request = PlanRequest {
///     intervals,
///     target: ServiceTarget { level: 0.8, answer_seconds: 20.0 },
///     shrinkage: 0.0,
///     model: Default::default(),
///     max_occupancy: Some(0.85),
///     agents: vec![agent("ana"), agent("ben")],
///     sessions: vec![SessionRequest {
///         id: "mentoring-1".into(),
///         kind: Some("mentoring".into()),
///         pairing_id: None,
///         participants: vec!["ana".into(), "ben".into()],
///         duration_minutes: 15,
///         window: TimeRange { start: 0, end: 2 * HALF_HOUR },
///     }],
///     override_target: false,
/// };
/// let plan = plan(&request)?;
/// // The peak has no agents to spare: the session goes to the quiet half-hour.
/// assert_eq!(plan.placed[0].start, HALF_HOUR);
/// assert!(plan.intervals[0].service_level_after >= 0.8);
/// # Ok::<(), sidecoach::scheduling::planner::PlanError>(())
/// ```
pub fn plan(request: &PlanRequest) -> Result<Plan> {
    plan_until(request, &|| false)
}

/// [`plan`], checking `stop` between sessions in each of its passes and
/// giving up with [`PlanError::Stopped`] when it says so (a request's
/// deadline: see [`crate::work`]).
pub fn plan_until(request: &PlanRequest, stop: &dyn Fn() -> bool) -> Result<Plan> {
    let check = || {
        if stop() {
            Err(PlanError::Stopped)
        } else {
            Ok(())
        }
    };
    let mut planner = Planner::new(request, stop)?;
    validate_sessions(request)?;

    let n = request.sessions.len();
    let mut candidates: Vec<Option<SessionCandidates>> = Vec::with_capacity(n);
    let mut refusals: Vec<Option<Refusal>> = Vec::with_capacity(n);
    for session in &request.sessions {
        check()?;
        match planner.candidates(session) {
            Ok(c) => {
                candidates.push(Some(c));
                refusals.push(None);
            }
            Err(refusal) => {
                candidates.push(None);
                refusals.push(Some(refusal));
            }
        }
    }

    // Most constrained first: fewest starts within the surplus, with
    // nothing placed yet.
    let mut order = Vec::with_capacity(n);
    for (i, c) in candidates.iter().enumerate() {
        if let Some(c) = c {
            check()?;
            let mut feasible = 0usize;
            for candidate in &c.candidates {
                if planner.fits(c, candidate, Pass::WithinTarget)? {
                    feasible += 1;
                }
            }
            order.push((feasible, i));
        }
    }
    order.sort_unstable();

    // (candidate index, placed by override)
    let mut placed: Vec<Option<(usize, bool)>> = vec![None; n];
    let mut passes = vec![Pass::WithinTarget];
    if request.override_target {
        passes.push(Pass::Override);
    }
    for pass in passes {
        for &(_, i) in &order {
            if placed[i].is_some() {
                continue;
            }
            check()?;
            let Some(c) = &candidates[i] else { continue };
            let session = &request.sessions[i];
            match planner.best_start(session, c, pass)? {
                Choice::Start(candidate) => {
                    planner.place(i, session, c, candidate);
                    placed[i] = Some((candidate, pass == Pass::Override));
                    refusals[i] = None;
                }
                Choice::Unplaced(refusal) => refusals[i] = Some(refusal),
            }
        }
    }

    let mut plan = Plan {
        placed: Vec::new(),
        unplaced: Vec::new(),
        intervals: Vec::new(),
    };
    for (i, session) in request.sessions.iter().enumerate() {
        if let Some((candidate, overrides_target)) = placed[i] {
            let c = candidates[i]
                .as_ref()
                .expect("a placed session has candidates");
            let candidate = &c.candidates[candidate];
            let start = candidate.start;
            let mut intervals: Vec<IntervalRef> = c.touches[candidate.touches.clone()]
                .iter()
                .map(|&(slot, _)| planner.interval_ref(slot))
                .collect();
            intervals.sort_by(|a, b| (&a.queue, a.starts_at).cmp(&(&b.queue, b.starts_at)));
            plan.placed.push(PlacedSession {
                id: session.id.clone(),
                kind: session.kind.clone(),
                pairing_id: session.pairing_id.clone(),
                start,
                end: start + i64::from(session.duration_minutes) * MINUTE_MS,
                intervals,
                overrides_target,
            });
        } else {
            let refusal = refusals[i]
                .take()
                .expect("an unplaced session has a reason");
            plan.unplaced.push(UnplacedSession {
                id: session.id.clone(),
                kind: session.kind.clone(),
                reason: refusal.reason,
                message: refusal.message,
            });
        }
    }
    plan.intervals = planner.impacts()?;
    Ok(plan)
}

fn validate_sessions(request: &PlanRequest) -> Result<()> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, s) in request.sessions.iter().enumerate() {
        let field = |name: &str| format!("sessions[{i}].{name}");
        if s.id.is_empty() {
            return Err(invalid(field("id"), "must not be empty"));
        }
        if let Some(first) = ids.insert(&s.id, i) {
            return Err(invalid(
                field("id"),
                format!("{:?} is also the id of sessions[{first}]", s.id),
            ));
        }
        if s.participants.is_empty() {
            return Err(invalid(field("participants"), "must not be empty"));
        }
        for (j, p) in s.participants.iter().enumerate() {
            if p.is_empty() {
                return Err(invalid(
                    format!("sessions[{i}].participants[{j}]"),
                    "is empty",
                ));
            }
            if s.participants[..j].contains(p) {
                return Err(invalid(
                    format!("sessions[{i}].participants[{j}]"),
                    format!("{p:?} is listed twice"),
                ));
            }
        }
        if s.duration_minutes == 0 {
            return Err(invalid(field("duration_minutes"), "must be greater than 0"));
        }
        if s.window.end <= s.window.start {
            return Err(invalid(
                field("window"),
                format!(
                    "end ({}) must be after start ({})",
                    s.window.end, s.window.start
                ),
            ));
        }
        let duration = i64::from(s.duration_minutes) * MINUTE_MS;
        if s.window.end.saturating_sub(s.window.start) < duration {
            return Err(invalid(
                field("duration_minutes"),
                format!("{} minutes do not fit in the window", s.duration_minutes),
            ));
        }
    }
    Ok(())
}

impl<'a> Planner<'a> {
    /// Validate the forecast, target, model and agents and index them.
    fn new(request: &'a PlanRequest, stop: &'a dyn Fn() -> bool) -> Result<Planner<'a>> {
        request
            .target
            .validate()
            .map_err(|e| erlang_field("target.", &e))?;
        if !(0.0..1.0).contains(&request.shrinkage) {
            return Err(invalid(
                "shrinkage",
                format!("must be in [0, 1) (got {})", request.shrinkage),
            ));
        }
        request
            .model
            .validate()
            .map_err(|e| erlang_field("model.", &e))?;
        if let Some(cap) = request.max_occupancy
            && !(cap > 0.0 && cap <= 1.0)
        {
            return Err(invalid(
                "max_occupancy",
                format!("must be in (0, 1] (got {cap})"),
            ));
        }

        let mut queues: Vec<Queue<'a>> = Vec::new();
        let mut queue_ids: HashMap<&'a str, usize> = HashMap::new();
        let mut slots = Vec::with_capacity(request.intervals.len());
        for (i, interval) in request.intervals.iter().enumerate() {
            let field = |name: &str| format!("intervals[{i}].{name}");
            if interval.queue.is_empty() {
                return Err(invalid(field("queue"), "must not be empty"));
            }
            if !INTERVAL_LENGTHS.contains(&interval.length_minutes) {
                return Err(invalid(
                    field("length_minutes"),
                    format!("must be 15, 30 or 60 (got {})", interval.length_minutes),
                ));
            }
            let length_ms = i64::from(interval.length_minutes) * MINUTE_MS;
            let load = IntervalLoad::new(
                interval.offered,
                interval.aht_seconds,
                f64::from(interval.length_minutes) * 60.0,
            )
            .map_err(|e| erlang_field(&format!("intervals[{i}]."), &e))?;
            let Some(end) = interval.starts_at.checked_add(length_ms) else {
                return Err(invalid(field("starts_at"), "is out of range"));
            };
            let occupancy_floor = match request.max_occupancy {
                Some(cap) => agents_for_occupancy(&load, cap)
                    .map_err(|e| erlang_field(&format!("intervals[{i}]."), &e))?,
                None => 0,
            };
            let next = queues.len();
            let queue = *queue_ids.entry(&interval.queue).or_insert(next);
            if queue == next {
                queues.push(Queue {
                    name: &interval.queue,
                    slots: Vec::new(),
                    by_start: HashMap::new(),
                });
            }
            queues[queue].slots.push(slots.len());
            slots.push(Slot {
                queue,
                start: interval.starts_at,
                end,
                input: i,
                load,
                scheduled: interval.scheduled_agents,
                occupancy_floor,
                predictions: Vec::new(),
                surplus: None,
                offline: 0,
                sessions: Vec::new(),
            });
        }
        for queue in &mut queues {
            queue
                .slots
                .sort_unstable_by_key(|&s| (slots[s].start, slots[s].input));
            for pair in queue.slots.windows(2) {
                let (a, b) = (&slots[pair[0]], &slots[pair[1]]);
                if b.start < a.end {
                    return Err(invalid(
                        format!("intervals[{}]", b.input.max(a.input)),
                        format!(
                            "overlaps intervals[{}] of queue {:?} (starts at {} and {})",
                            b.input.min(a.input),
                            queue.name,
                            a.start,
                            b.start
                        ),
                    ));
                }
            }
            queue.by_start = queue
                .slots
                .iter()
                .enumerate()
                .map(|(position, &s)| (slots[s].start, position))
                .collect();
        }

        let mut agents = HashMap::new();
        for (i, agent) in request.agents.iter().enumerate() {
            if agent.agent_id.is_empty() {
                return Err(invalid(
                    format!("agents[{i}].agent_id"),
                    "must not be empty",
                ));
            }
            if agent.queue.is_empty() {
                return Err(invalid(format!("agents[{i}].queue"), "must not be empty"));
            }
            // A queue without forecast intervals is kept, empty: its agents'
            // sessions are unplaced with `no_forecast`.
            let next = queues.len();
            let queue = *queue_ids.entry(&agent.queue).or_insert(next);
            if queue == next {
                queues.push(Queue {
                    name: &agent.queue,
                    slots: Vec::new(),
                    by_start: HashMap::new(),
                });
            }
            for (j, shift) in agent.shifts.iter().enumerate() {
                if shift.end <= shift.start {
                    return Err(invalid(
                        format!("agents[{i}].shifts[{j}]"),
                        format!("end ({}) must be after start ({})", shift.end, shift.start),
                    ));
                }
            }
            let shifts = merge(agent.shifts.iter().map(|s| (s.start, s.end)).collect());
            if agents
                .insert(agent.agent_id.as_str(), Agent { queue, shifts })
                .is_some()
            {
                return Err(invalid(
                    format!("agents[{i}].agent_id"),
                    format!("{:?} is listed twice", agent.agent_id),
                ));
            }
        }
        Ok(Planner {
            request,
            stop,
            slots,
            queues,
            agents,
            busy: HashMap::new(),
        })
    }

    fn interval_ref(&self, slot: usize) -> IntervalRef {
        let s = &self.slots[slot];
        IntervalRef {
            queue: self.queues[s.queue].name.to_owned(),
            starts_at: s.start,
        }
    }

    /// The prediction for `slot` with `k` agents offline (cached).
    fn prediction(&mut self, slot: usize, k: u32) -> Result<StaffingPrediction> {
        let request = self.request;
        let s = &mut self.slots[slot];
        while s.predictions.len() <= k as usize {
            if s.predictions.len() % 64 == 63 && (self.stop)() {
                return Err(PlanError::Stopped);
            }
            let offline = s.predictions.len() as u32;
            let agents = on_phones(s.scheduled.saturating_sub(offline), request.shrinkage)
                .map_err(|e| erlang_field("", &e))?;
            let prediction = match s.predictions.last() {
                // Shrinkage can map two staffing levels to the same agents.
                Some(last) if last.agents == agents => *last,
                _ => request
                    .model
                    .predict(&s.load, agents, request.target.answer_seconds)
                    .map_err(|e| erlang_field("model.", &e))?,
            };
            s.predictions.push(prediction);
        }
        Ok(s.predictions[k as usize])
    }

    /// The most agents `slot` can lose and still meet the target (cached).
    fn surplus(&mut self, slot: usize) -> Result<u32> {
        if let Some(surplus) = self.slots[slot].surplus {
            return Ok(surplus);
        }
        let level = self.request.target.level;
        let (scheduled, floor) = (self.slots[slot].scheduled, self.slots[slot].occupancy_floor);
        let mut surplus = 0;
        while surplus < scheduled {
            let next = self.prediction(slot, surplus + 1)?;
            if next.service_level < level || next.agents < floor {
                break;
            }
            surplus += 1;
        }
        self.slots[slot].surplus = Some(surplus);
        Ok(surplus)
    }

    /// Every start `session` could have before anything is placed: aligned,
    /// in the window, in every on-phone participant's shifts, covered by
    /// the forecast.
    fn candidates(
        &self,
        session: &SessionRequest,
    ) -> std::result::Result<SessionCandidates, Refusal> {
        let duration = i64::from(session.duration_minutes) * MINUTE_MS;
        let on_phones: Vec<(&str, &Agent)> = session
            .participants
            .iter()
            .filter_map(|p| self.agents.get(p.as_str()).map(|a| (p.as_str(), a)))
            .collect();
        let Some(&(_, first)) = on_phones.first() else {
            return Err(Refusal {
                reason: UnplacedReason::UnknownAgent,
                message: format!(
                    "none of the participants ({}) is in agents: nobody whose queue and \
                     shifts are known",
                    session.participants.join(", ")
                ),
            });
        };

        // Every on-phone participant's queue needs forecast intervals in
        // the window.
        let (window_start, window_end) = (session.window.start, session.window.end);
        let mut uncovered: Vec<&str> = Vec::new();
        for (_, agent) in &on_phones {
            let queue = &self.queues[agent.queue];
            let first_ending_after = queue
                .slots
                .partition_point(|&s| self.slots[s].end <= window_start);
            let in_window = queue
                .slots
                .get(first_ending_after)
                .is_some_and(|&s| self.slots[s].start < window_end);
            if !in_window && !uncovered.contains(&queue.name) {
                uncovered.push(queue.name);
            }
        }
        if !uncovered.is_empty() {
            return Err(Refusal {
                reason: UnplacedReason::NoForecast,
                message: format!(
                    "no forecast for {} {} in the session's window [{window_start}, \
                     {window_end}): nothing to check the service level against",
                    if uncovered.len() == 1 {
                        "queue"
                    } else {
                        "queues"
                    },
                    uncovered.join(" and "),
                ),
            });
        }

        // Where everyone on the phones is on shift, inside the window.
        let mut shared = vec![(session.window.start, session.window.end)];
        for (_, agent) in &on_phones {
            shared = intersect(&shared, &agent.shifts);
        }
        shared.retain(|(start, end)| end - start >= duration);
        if shared.is_empty() {
            let names: Vec<&str> = on_phones.iter().map(|(id, _)| *id).collect();
            return Err(Refusal {
                reason: UnplacedReason::NoShiftOverlap,
                message: format!(
                    "no {} minutes in the window when {} {} on shift",
                    session.duration_minutes,
                    names.join(" and "),
                    if names.len() == 1 { "is" } else { "are all" }
                ),
            });
        }

        // Agents per queue, in order of first appearance.
        let mut needs: Vec<(usize, u32)> = Vec::new();
        for (_, agent) in &on_phones {
            match needs.iter_mut().find(|(q, _)| *q == agent.queue) {
                Some((_, n)) => *n += 1,
                None => needs.push((agent.queue, 1)),
            }
        }

        let primary = &self.queues[first.queue];
        let mut out = SessionCandidates {
            candidates: Vec::new(),
            touches: Vec::new(),
        };
        for &(piece_start, piece_end) in &shared {
            let from = primary
                .slots
                .partition_point(|&s| self.slots[s].start < piece_start);
            for &slot in &primary.slots[from..] {
                let start = self.slots[slot].start;
                let end = start.saturating_add(duration);
                if end > piece_end {
                    break;
                }
                let mark = out.touches.len();
                if self.cover(start, end, &needs, &mut out.touches) {
                    out.candidates.push(Candidate {
                        start,
                        touches: mark..out.touches.len(),
                    });
                } else {
                    out.touches.truncate(mark);
                }
            }
        }
        if out.candidates.is_empty() {
            let queues: Vec<&str> = needs.iter().map(|&(q, _)| self.queues[q].name).collect();
            return Err(Refusal {
                reason: UnplacedReason::NoForecast,
                message: format!(
                    "no forecast intervals of {} {} cover {} minutes from an interval start \
                     while the participants are on shift in the window",
                    if queues.len() == 1 { "queue" } else { "queues" },
                    queues.join(" and "),
                    session.duration_minutes
                ),
            });
        }
        Ok(out)
    }

    /// Push the intervals `[start, end)` covers in each queue of `needs`;
    /// false if a queue has no interval starting at `start` or a gap.
    fn cover(
        &self,
        start: i64,
        end: i64,
        needs: &[(usize, u32)],
        out: &mut Vec<(usize, u32)>,
    ) -> bool {
        for &(queue, need) in needs {
            let queue = &self.queues[queue];
            let Some(&(mut position)) = queue.by_start.get(&start) else {
                return false;
            };
            let mut covered = start;
            while covered < end {
                let Some(&slot) = queue.slots.get(position) else {
                    return false;
                };
                if self.slots[slot].start != covered {
                    return false;
                }
                out.push((slot, need));
                covered = self.slots[slot].end;
                position += 1;
            }
        }
        true
    }

    /// Whether the capacity of every interval `candidate` covers allows it.
    fn fits(&mut self, c: &SessionCandidates, candidate: &Candidate, pass: Pass) -> Result<bool> {
        for &(slot, need) in &c.touches[candidate.touches.clone()] {
            let after = self.slots[slot].offline + need;
            let limit = match pass {
                Pass::WithinTarget => self.surplus(slot)?,
                Pass::Override => self.slots[slot].scheduled,
            };
            if after > limit {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The first participant already in a session overlapping `[start, end)`.
    fn busy_participant(
        &self,
        session: &'a SessionRequest,
        start: i64,
        end: i64,
    ) -> Option<&'a str> {
        session.participants.iter().map(String::as_str).find(|p| {
            self.busy
                .get(p)
                .is_some_and(|ranges| ranges.iter().any(|&(s, e)| s < end && start < e))
        })
    }

    /// The quietest start that fits, or why there is none.
    fn best_start(
        &mut self,
        session: &'a SessionRequest,
        c: &SessionCandidates,
        pass: Pass,
    ) -> Result<Choice> {
        let duration = i64::from(session.duration_minutes) * MINUTE_MS;
        let mut best: Option<(Score, usize)> = None;
        let mut blocked_by: Option<&'a str> = None;
        for (index, candidate) in c.candidates.iter().enumerate() {
            if !self.fits(c, candidate, pass)? {
                continue;
            }
            if let Some(p) =
                self.busy_participant(session, candidate.start, candidate.start + duration)
            {
                blocked_by.get_or_insert(p);
                continue;
            }
            let mut score = Score {
                service_level: f64::INFINITY,
                occupancy: f64::NEG_INFINITY,
            };
            for &(slot, need) in &c.touches[candidate.touches.clone()] {
                let after = self.prediction(slot, self.slots[slot].offline + need)?;
                score.service_level = score.service_level.min(after.service_level);
                score.occupancy = score.occupancy.max(after.occupancy);
            }
            // Strictly quieter only: ties keep the earlier start.
            if best.as_ref().is_none_or(|(b, _)| score.quieter_than(b)) {
                best = Some((score, index));
            }
        }
        if let Some((_, index)) = best {
            return Ok(Choice::Start(index));
        }
        let target = &self.request.target;
        let (reason, message) = match blocked_by {
            Some(p) => (
                UnplacedReason::ParticipantBusy,
                format!(
                    "{p} is in another session at every start with agents to spare \
                     ({} starts checked)",
                    c.candidates.len()
                ),
            ),
            None if pass == Pass::Override => (
                UnplacedReason::NoSurplus,
                format!(
                    "every start would take more agents offline than are scheduled \
                     ({} starts checked)",
                    c.candidates.len()
                ),
            ),
            None => (
                UnplacedReason::NoSurplus,
                format!(
                    "every start would take an interval below {}% answered in {} s \
                     ({} starts checked); set override_target to place it anyway",
                    target.level * 100.0,
                    target.answer_seconds,
                    c.candidates.len()
                ),
            ),
        };
        Ok(Choice::Unplaced(Refusal { reason, message }))
    }

    fn place(
        &mut self,
        index: usize,
        session: &'a SessionRequest,
        c: &SessionCandidates,
        candidate: usize,
    ) {
        let candidate = &c.candidates[candidate];
        let end = candidate.start + i64::from(session.duration_minutes) * MINUTE_MS;
        for &(slot, need) in &c.touches[candidate.touches.clone()] {
            let s = &mut self.slots[slot];
            s.offline += need;
            s.sessions.push(index);
        }
        for p in &session.participants {
            self.busy
                .entry(p.as_str())
                .or_default()
                .push((candidate.start, end));
        }
    }

    /// The figures of every touched interval, by queue then start.
    fn impacts(&mut self) -> Result<Vec<IntervalImpact>> {
        let mut touched: Vec<usize> = (0..self.slots.len())
            .filter(|&s| self.slots[s].offline > 0)
            .collect();
        touched.sort_by(|&a, &b| {
            let (a, b) = (&self.slots[a], &self.slots[b]);
            (self.queues[a.queue].name, a.start).cmp(&(self.queues[b.queue].name, b.start))
        });
        let request = self.request;
        let mut out = Vec::with_capacity(touched.len());
        for slot in touched {
            let before = self.prediction(slot, 0)?;
            let surplus = self.surplus(slot)?;
            let s = &self.slots[slot];
            let after = self.prediction(slot, s.offline)?;
            let s = &self.slots[slot];
            let required =
                match request
                    .model
                    .requirement(&s.load, &request.target, request.max_occupancy)
                {
                    Ok(r) => Some(r),
                    Err(ErlangError::TargetUnreachable { .. }) => None,
                    Err(e) => return Err(erlang_field("model.", &e)),
                };
            let mut sessions = s.sessions.clone();
            sessions.sort_unstable();
            out.push(IntervalImpact {
                queue: self.queues[s.queue].name.to_owned(),
                starts_at: s.start,
                length_minutes: request.intervals[s.input].length_minutes,
                scheduled_agents: s.scheduled,
                surplus,
                agents_offline: s.offline,
                agents_on_phones_before: before.agents,
                agents_on_phones: after.agents,
                required_on_phones: required.map(|r| r.agents),
                required_by: required.map(|r| r.required_by),
                service_level_before: before.service_level,
                service_level_after: after.service_level,
                service_level_drop: before.service_level - after.service_level,
                occupancy_after: after.occupancy,
                asa_seconds_after: after.asa_seconds,
                meets_target: after.service_level >= request.target.level
                    && after.agents >= s.occupancy_floor,
                sessions: sessions
                    .into_iter()
                    .map(|i| request.sessions[i].id.clone())
                    .collect(),
                note: rounding_note(
                    s.scheduled,
                    s.offline,
                    (before.agents, after.agents),
                    request.shrinkage,
                ),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::erlang::{AbandonedInSl, erlang_c};
    use super::*;

    const HALF_HOUR: i64 = 30 * MINUTE_MS;
    /// Monday 5 January 2026, 08:00 UTC.
    const T0: i64 = 1_767_600_000_000;

    /// 100 calls, AHT 180 s: 10 Erlangs. 14 agents give 88.8% in 20 s and
    /// 13 only 79.6%, so 14 scheduled spare nobody.
    const PEAK: (f64, u32) = (100.0, 14);
    /// The same calls on 16 agents: two to spare.
    const TWO_SPARE: (f64, u32) = (100.0, 16);
    /// 40 calls on 16 agents: plenty to spare.
    const QUIET: (f64, u32) = (40.0, 16);

    fn at(slot: i64) -> i64 {
        T0 + slot * HALF_HOUR
    }

    fn forecast(queue: &str, loads: &[(f64, u32)]) -> Vec<ForecastInterval> {
        loads
            .iter()
            .enumerate()
            .map(|(i, &(offered, scheduled_agents))| ForecastInterval {
                queue: queue.into(),
                starts_at: at(i as i64),
                length_minutes: 30,
                offered,
                aht_seconds: 180.0,
                scheduled_agents,
            })
            .collect()
    }

    /// An agent of `queue` on shift from slot `from` to slot `to`.
    fn agent(id: &str, queue: &str, from: i64, to: i64) -> AgentShifts {
        AgentShifts {
            agent_id: id.into(),
            queue: queue.into(),
            shifts: vec![TimeRange {
                start: at(from),
                end: at(to),
            }],
        }
    }

    /// A session that may go anywhere between slots `from` and `to`.
    fn session(
        id: &str,
        participants: &[&str],
        minutes: u32,
        from: i64,
        to: i64,
    ) -> SessionRequest {
        SessionRequest {
            id: id.into(),
            kind: None,
            pairing_id: None,
            participants: participants.iter().map(|p| p.to_string()).collect(),
            duration_minutes: minutes,
            window: TimeRange {
                start: at(from),
                end: at(to),
            },
        }
    }

    fn request(
        intervals: Vec<ForecastInterval>,
        agents: Vec<AgentShifts>,
        sessions: Vec<SessionRequest>,
    ) -> PlanRequest {
        PlanRequest {
            intervals,
            target: ServiceTarget {
                level: 0.8,
                answer_seconds: 20.0,
            },
            shrinkage: 0.0,
            model: StaffingModel::default(),
            max_occupancy: None,
            agents,
            sessions,
            override_target: false,
        }
    }

    /// Agents `a0…` of queue `q`, on shift for slots 0..`slots`.
    fn team(n: usize, slots: i64) -> Vec<AgentShifts> {
        (0..n)
            .map(|i| agent(&format!("a{i}"), "q", 0, slots))
            .collect()
    }

    fn placed<'p>(plan: &'p Plan, id: &str) -> &'p PlacedSession {
        plan.placed
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id} not placed: {plan:#?}"))
    }

    fn unplaced<'p>(plan: &'p Plan, id: &str) -> &'p UnplacedSession {
        plan.unplaced
            .iter()
            .find(|p| p.id == id)
            .unwrap_or_else(|| panic!("{id} placed: {plan:#?}"))
    }

    fn slot_of(start: i64) -> i64 {
        (start - T0) / HALF_HOUR
    }

    #[test]
    fn the_fixture_loads_have_the_surplus_they_claim() {
        let load = IntervalLoad::new(100.0, 180.0, 1800.0).unwrap();
        assert!(erlang_c(&load, 14, 20.0).unwrap().service_level >= 0.8);
        assert!(erlang_c(&load, 13, 20.0).unwrap().service_level < 0.8);
        let plan = plan(&request(
            forecast("q", &[PEAK, TWO_SPARE, QUIET]),
            team(3, 3),
            vec![
                session("s0", &["a0"], 30, 0, 1),
                session("s1", &["a1"], 30, 1, 2),
                session("s2", &["a2"], 30, 2, 3),
            ],
        ))
        .unwrap();
        let surplus: Vec<u32> = plan.intervals.iter().map(|i| i.surplus).collect();
        assert_eq!(surplus, [2, 9]);
        assert_eq!(unplaced(&plan, "s0").reason, UnplacedReason::NoSurplus);
    }

    #[test]
    fn a_peak_interval_without_surplus_is_never_used() {
        let sessions = (0..4)
            .map(|i| session(&format!("s{i}"), &[&format!("a{i}")], 30, 0, 4))
            .collect();
        let plan = plan(&request(
            forecast("q", &[PEAK, PEAK, TWO_SPARE, PEAK]),
            team(4, 4),
            sessions,
        ))
        .unwrap();
        // Two fit in the one interval with two to spare; the rest wait.
        assert_eq!(plan.placed.len(), 2);
        for p in &plan.placed {
            assert_eq!(slot_of(p.start), 2, "{p:?}");
        }
        assert_eq!(plan.unplaced.len(), 2);
        for u in &plan.unplaced {
            assert_eq!(u.reason, UnplacedReason::NoSurplus);
            assert!(
                u.message.contains("below 80% answered in 20 s"),
                "{}",
                u.message
            );
        }
        assert_eq!(plan.intervals.len(), 1);
        let touched = &plan.intervals[0];
        assert_eq!((touched.agents_offline, touched.agents_on_phones), (2, 14));
        assert!(touched.meets_target);
        assert!((touched.service_level_after - 0.8884).abs() < 1e-4);
    }

    #[test]
    fn two_sessions_of_two_agents_are_staggered_when_the_surplus_is_two() {
        let plan = plan(&request(
            forecast("q", &[TWO_SPARE; 4]),
            team(4, 4),
            vec![
                session("m0", &["a0", "a1"], 30, 0, 4),
                session("m1", &["a2", "a3"], 30, 0, 4),
            ],
        ))
        .unwrap();
        let (m0, m1) = (placed(&plan, "m0"), placed(&plan, "m1"));
        assert_ne!(m0.start, m1.start);
        assert_ne!(m0.intervals, m1.intervals);
        for i in &plan.intervals {
            assert_eq!(i.agents_offline, 2);
            assert!(i.meets_target);
        }
        // Equal intervals: the earliest first, the next one after.
        assert_eq!((slot_of(m0.start), slot_of(m1.start)), (0, 1));
    }

    #[test]
    fn sessions_spread_over_quiet_intervals_before_doubling_up() {
        let sessions = (0..3)
            .map(|i| session(&format!("s{i}"), &[&format!("a{i}")], 30, 0, 3))
            .collect();
        let plan = plan(&request(forecast("q", &[QUIET; 3]), team(3, 3), sessions)).unwrap();
        let mut slots: Vec<i64> = plan.placed.iter().map(|p| slot_of(p.start)).collect();
        slots.sort_unstable();
        assert_eq!(slots, [0, 1, 2]);
    }

    #[test]
    fn a_session_without_shift_overlap_is_unplaced_with_no_shift_overlap() {
        let plan = plan(&request(
            forecast("q", &[QUIET; 8]),
            vec![agent("ana", "q", 0, 4), agent("ben", "q", 4, 8)],
            vec![session("m", &["ana", "ben"], 30, 0, 8)],
        ))
        .unwrap();
        let u = unplaced(&plan, "m");
        assert_eq!(u.reason, UnplacedReason::NoShiftOverlap);
        assert_eq!(
            u.message,
            "no 30 minutes in the window when ana and ben are all on shift"
        );
        assert!(plan.placed.is_empty() && plan.intervals.is_empty());
    }

    #[test]
    fn a_session_stays_inside_every_shift_for_its_whole_duration() {
        // Both on shift together only for slots 2..4: a 60-minute session
        // fits exactly there.
        let plan = plan(&request(
            forecast("q", &[QUIET; 8]),
            vec![agent("ana", "q", 0, 4), agent("ben", "q", 2, 8)],
            vec![session("m", &["ana", "ben"], 60, 0, 8)],
        ))
        .unwrap();
        let m = placed(&plan, "m");
        assert_eq!((slot_of(m.start), m.end), (2, at(4)));
    }

    #[test]
    fn override_uses_a_below_target_interval_only_when_told_and_reports_the_drop() {
        let base = request(
            forecast("q", &[PEAK, PEAK]),
            team(1, 2),
            vec![session("s", &["a0"], 30, 0, 2)],
        );
        let refused = plan(&base).unwrap();
        assert_eq!(unplaced(&refused, "s").reason, UnplacedReason::NoSurplus);
        assert!(refused.intervals.is_empty());

        let forced = plan(&PlanRequest {
            override_target: true,
            ..base.clone()
        })
        .unwrap();
        let s = placed(&forced, "s");
        assert!(s.overrides_target);
        let cost = &forced.intervals[0];
        assert_eq!(
            (cost.agents_offline, cost.agents_on_phones, cost.surplus),
            (1, 13, 0)
        );
        assert!(!cost.meets_target);
        assert!(
            (cost.service_level_before - 0.8884).abs() < 1e-4,
            "{cost:?}"
        );
        assert!((cost.service_level_after - 0.7956).abs() < 1e-4, "{cost:?}");
        let drop = cost.service_level_before - cost.service_level_after;
        assert!((cost.service_level_drop - drop).abs() < 1e-15);
        assert!((cost.occupancy_after - 10.0 / 13.0).abs() < 1e-12);
    }

    #[test]
    fn override_still_prefers_an_interval_within_target() {
        let plan = plan(&PlanRequest {
            override_target: true,
            ..request(
                forecast("q", &[PEAK, TWO_SPARE, PEAK]),
                team(3, 3),
                vec![
                    session("s0", &["a0"], 30, 0, 3),
                    session("s1", &["a1"], 30, 0, 3),
                    session("s2", &["a2"], 30, 0, 3),
                ],
            )
        })
        .unwrap();
        // Two fit within target; only the third goes below it.
        let overriding: Vec<&str> = plan
            .placed
            .iter()
            .filter(|p| p.overrides_target)
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(overriding, ["s2"]);
        assert_eq!(slot_of(placed(&plan, "s0").start), 1);
        assert_eq!(slot_of(placed(&plan, "s1").start), 1);
        let below: Vec<i64> = plan
            .intervals
            .iter()
            .filter(|i| !i.meets_target)
            .map(|i| slot_of(i.starts_at))
            .collect();
        assert_eq!(below.len(), 1);
        assert_ne!(below[0], 1);
    }

    #[test]
    fn the_quietest_interval_is_preferred_over_an_earlier_one() {
        let plan = plan(&request(
            forecast("q", &[TWO_SPARE, QUIET, TWO_SPARE]),
            team(1, 3),
            vec![session("s", &["a0"], 30, 0, 3)],
        ))
        .unwrap();
        assert_eq!(slot_of(placed(&plan, "s").start), 1);
    }

    #[test]
    fn a_long_session_covers_consecutive_intervals_that_all_need_surplus() {
        // 45 minutes cover two half-hours; the peak at slot 1 rules out
        // starts at slots 0 and 1.
        let plan = plan(&request(
            forecast("q", &[TWO_SPARE, PEAK, TWO_SPARE, TWO_SPARE]),
            team(1, 4),
            vec![session("s", &["a0"], 45, 0, 4)],
        ))
        .unwrap();
        let s = placed(&plan, "s");
        assert_eq!(slot_of(s.start), 2);
        assert_eq!(s.end, at(2) + 45 * MINUTE_MS);
        let touched: Vec<i64> = s.intervals.iter().map(|i| slot_of(i.starts_at)).collect();
        assert_eq!(touched, [2, 3]);
        assert!(plan.intervals.iter().all(|i| i.agents_offline == 1));

        let blocked = plan_of(forecast("q", &[TWO_SPARE, PEAK, TWO_SPARE]), 45);
        assert_eq!(unplaced(&blocked, "s").reason, UnplacedReason::NoSurplus);

        fn plan_of(intervals: Vec<ForecastInterval>, minutes: u32) -> Plan {
            let slots = intervals.len() as i64;
            super::plan(&request(
                intervals,
                team(1, slots),
                vec![session("s", &["a0"], minutes, 0, slots)],
            ))
            .unwrap()
        }
    }

    #[test]
    fn fifteen_minute_intervals_are_covered_by_the_duration() {
        let intervals = (0..4)
            .map(|i| ForecastInterval {
                queue: "q".into(),
                starts_at: T0 + i * 15 * MINUTE_MS,
                length_minutes: 15,
                offered: 20.0,
                aht_seconds: 180.0,
                scheduled_agents: 8,
            })
            .collect();
        let plan = plan(&request(
            intervals,
            team(1, 2),
            vec![session("s", &["a0"], 20, 0, 2)],
        ))
        .unwrap();
        assert_eq!(placed(&plan, "s").intervals.len(), 2);
    }

    #[test]
    fn the_most_constrained_session_is_placed_first() {
        // s-wide (first in input) would take the quiet interval, the only one
        // s-narrow can use; with one agent to spare there, s-narrow must go
        // first for both to be placed.
        let one_spare = (100.0, 15);
        let plan = plan(&request(
            forecast("q", &[one_spare, one_spare, QUIET, one_spare]),
            team(2, 4),
            vec![
                session("s-wide", &["a0"], 30, 0, 4),
                session("s-narrow", &["a1"], 30, 2, 3),
            ],
        ))
        .unwrap();
        assert!(plan.unplaced.is_empty(), "{plan:#?}");
        assert_eq!(slot_of(placed(&plan, "s-narrow").start), 2);
        // Placed sessions come back in input order.
        assert_eq!(plan.placed[0].id, "s-wide");
    }

    #[test]
    fn a_coach_off_the_phones_takes_nobody_offline_but_is_never_double_booked() {
        let plan = plan(&request(
            forecast("q", &[QUIET; 2]),
            team(2, 2),
            vec![
                session("one-to-one-0", &["supervisor", "a0"], 30, 0, 1),
                session("one-to-one-1", &["supervisor", "a1"], 30, 0, 1),
            ],
        ))
        .unwrap();
        assert_eq!(plan.intervals[0].agents_offline, 1);
        assert_eq!(plan.intervals[0].sessions, ["one-to-one-0"]);
        let busy = unplaced(&plan, "one-to-one-1");
        assert_eq!(busy.reason, UnplacedReason::ParticipantBusy);
        assert!(busy.message.starts_with("supervisor is in another session"));
    }

    #[test]
    fn an_agent_is_never_in_two_sessions_at_once() {
        let plan = plan(&request(
            forecast("q", &[QUIET; 2]),
            team(3, 2),
            vec![
                session("m0", &["a0", "a1"], 30, 0, 2),
                session("m1", &["a1", "a2"], 30, 0, 2),
            ],
        ))
        .unwrap();
        assert_ne!(placed(&plan, "m0").start, placed(&plan, "m1").start);
    }

    #[test]
    fn participants_nobody_knows_are_unplaced_with_unknown_agent() {
        let plan = plan(&request(
            forecast("q", &[QUIET]),
            team(1, 1),
            vec![session("s", &["ghost", "supervisor"], 30, 0, 1)],
        ))
        .unwrap();
        let u = unplaced(&plan, "s");
        assert_eq!(u.reason, UnplacedReason::UnknownAgent);
        assert!(u.message.contains("ghost, supervisor"));
    }

    #[test]
    fn a_window_the_forecast_does_not_cover_is_unplaced_with_no_forecast() {
        let plan = plan(&request(
            forecast("q", &[QUIET; 2]),
            vec![agent("a0", "q", 0, 8)],
            vec![session("s", &["a0"], 30, 4, 8)],
        ))
        .unwrap();
        let u = unplaced(&plan, "s");
        assert_eq!(u.reason, UnplacedReason::NoForecast);
        assert!(u.message.contains("queue q"), "{}", u.message);
    }

    #[test]
    fn a_mentor_from_another_queue_takes_one_agent_from_each() {
        let mut intervals = forecast("billing", &[TWO_SPARE; 2]);
        intervals.extend(forecast("sales", &[PEAK, QUIET]));
        let plan = plan(&request(
            intervals,
            vec![agent("ana", "billing", 0, 2), agent("bo", "sales", 0, 2)],
            vec![session("m", &["ana", "bo"], 30, 0, 2)],
        ))
        .unwrap();
        let m = placed(&plan, "m");
        assert_eq!(slot_of(m.start), 1);
        let queues: Vec<&str> = m.intervals.iter().map(|i| i.queue.as_str()).collect();
        assert_eq!(queues, ["billing", "sales"]);
        assert!(plan.intervals.iter().all(|i| i.agents_offline == 1));
    }

    #[test]
    fn shrinkage_counts_against_the_surplus() {
        // 20 scheduled at 30% shrinkage leave 14 on the phones: nobody spare.
        let base = request(
            forecast("q", &[(100.0, 20)]),
            team(1, 1),
            vec![session("s", &["a0"], 30, 0, 1)],
        );
        assert_eq!(plan(&base).unwrap().placed.len(), 1);
        let shrunk = plan(&PlanRequest {
            shrinkage: 0.3,
            ..base
        })
        .unwrap();
        assert_eq!(unplaced(&shrunk, "s").reason, UnplacedReason::NoSurplus);
    }

    #[test]
    fn erlang_a_finds_surplus_where_erlang_c_finds_none() {
        let base = request(
            forecast("q", &[PEAK]),
            team(1, 1),
            vec![session("s", &["a0"], 30, 0, 1)],
        );
        assert!(plan(&base).unwrap().placed.is_empty());
        let abandoning = plan(&PlanRequest {
            model: StaffingModel::ErlangA {
                patience_seconds: 60.0,
                abandoned_in_sl: AbandonedInSl::Excluded,
            },
            ..base
        })
        .unwrap();
        assert_eq!(abandoning.placed.len(), 1);
        assert!(abandoning.intervals[0].meets_target);
    }

    #[test]
    fn an_agent_whose_queue_has_no_forecast_in_the_window_is_unplaced_not_refused() {
        // Nothing at all for the agent's queue: once a 422 naming
        // `agents[0].queue`, a field the caller of the API never sent.
        let plan = plan(&request(
            forecast("q", &[QUIET; 2]),
            vec![agent("a0", "nowhere", 0, 2), agent("a1", "q", 0, 2)],
            vec![
                session("s", &["a0"], 30, 0, 2),
                session("t", &["a1"], 30, 0, 2),
            ],
        ))
        .unwrap();
        let u = unplaced(&plan, "s");
        assert_eq!(u.reason, UnplacedReason::NoForecast);
        assert!(
            u.message
                .starts_with("no forecast for queue nowhere in the session's window"),
            "{}",
            u.message
        );
        // The other session is planned as ever.
        assert_eq!(slot_of(placed(&plan, "t").start), 0);
    }

    #[test]
    fn hourly_intervals_are_planned_like_half_hours() {
        let intervals = [(200.0, 28), (80.0, 28)]
            .into_iter()
            .enumerate()
            .map(|(i, (offered, scheduled_agents))| ForecastInterval {
                queue: "q".into(),
                starts_at: T0 + i as i64 * 60 * MINUTE_MS,
                length_minutes: 60,
                offered,
                aht_seconds: 180.0,
                scheduled_agents,
            })
            .collect();
        let plan = plan(&request(
            intervals,
            team(1, 4),
            vec![session("s", &["a0"], 15, 0, 4)],
        ))
        .unwrap();
        let s = placed(&plan, "s");
        // The quiet hour, from its start; the whole hour counts as lost.
        assert_eq!(s.start, T0 + 60 * MINUTE_MS);
        assert_eq!(plan.intervals[0].length_minutes, 60);
        assert_eq!(plan.intervals[0].agents_offline, 1);
    }

    #[test]
    fn one_agent_of_eleven_at_30_percent_shrinkage_is_explained_not_just_free() {
        // ⌊11 × 0.7⌋ = ⌊10 × 0.7⌋ = 7: the service level cannot move.
        let plan = plan(&PlanRequest {
            shrinkage: 0.3,
            ..request(
                forecast("q", &[(40.0, 11)]),
                team(1, 1),
                vec![session("s", &["a0"], 30, 0, 1)],
            )
        })
        .unwrap();
        let i = &plan.intervals[0];
        assert_eq!((i.scheduled_agents, i.agents_offline), (11, 1), "{plan:#?}");
        assert_eq!((i.agents_on_phones_before, i.agents_on_phones), (7, 7));
        assert_eq!(i.service_level_before, i.service_level_after);
        assert_eq!(i.required_on_phones, Some(7));
        assert_eq!(i.required_by, Some(RequiredBy::ServiceLevel));
        assert_eq!(
            i.note.as_deref(),
            Some(
                "⌊11 × 0.7⌋ = 7 on the phones before, ⌊10 × 0.7⌋ = 7 after: taking 1 of 11 \
                 scheduled agents offline leaves as many on the phones, so the predicted \
                 service level does not change (30% shrinkage is counted in whole agents, \
                 rounded down)"
            )
        );
        // Without shrinkage every agent offline counts: nothing to explain.
        let plain = super::plan(&request(
            forecast("q", &[(40.0, 11)]),
            team(1, 1),
            vec![session("s", &["a0"], 30, 0, 1)],
        ))
        .unwrap();
        assert_eq!(plain.intervals[0].agents_on_phones, 10);
        assert_eq!(plain.intervals[0].note, None);
    }

    #[test]
    fn rounding_that_hides_part_of_the_agents_offline_is_named() {
        // ⌊12 × 0.7⌋ = 8, ⌊10 × 0.7⌋ = 7: two offline cost one.
        let note = rounding_note(12, 2, (8, 7), 0.3).unwrap();
        assert_eq!(
            note,
            "⌊12 × 0.7⌋ = 8 on the phones before, ⌊10 × 0.7⌋ = 7 after: taking 2 scheduled \
             agents offline costs 1 on the phones (30% shrinkage is counted in whole agents, \
             rounded down)"
        );
        assert_eq!(rounding_note(10, 1, (7, 6), 0.3), None);
        assert_eq!(rounding_note(10, 0, (7, 7), 0.3), None);
        assert_eq!(decimal(1.0 - 0.7), "0.3");
        assert_eq!(decimal(0.25 * 100.0), "25");
    }

    #[test]
    fn the_occupancy_cap_keeps_agents_on_the_phones_that_the_service_level_would_spare() {
        // 10 Erlangs on 16: the 80/20 target spares two, but at most 70%
        // busy needs ⌈10 / 0.7⌉ = 15 on the phones, so only one may go.
        let sessions = vec![
            session("s0", &["a0"], 30, 0, 1),
            session("s1", &["a1"], 30, 0, 1),
        ];
        let uncapped = plan(&request(
            forecast("q", &[TWO_SPARE]),
            team(2, 1),
            sessions.clone(),
        ))
        .unwrap();
        assert_eq!(uncapped.placed.len(), 2);
        assert_eq!(uncapped.intervals[0].required_on_phones, Some(14));

        let capped = plan(&PlanRequest {
            max_occupancy: Some(0.7),
            ..request(forecast("q", &[TWO_SPARE]), team(2, 1), sessions)
        })
        .unwrap();
        assert_eq!(capped.placed.len(), 1, "{capped:#?}");
        assert_eq!(unplaced(&capped, "s1").reason, UnplacedReason::NoSurplus);
        let i = &capped.intervals[0];
        assert_eq!((i.surplus, i.agents_on_phones), (1, 15));
        assert_eq!(i.required_on_phones, Some(15));
        assert_eq!(i.required_by, Some(RequiredBy::MaxOccupancy));
        assert!(i.meets_target && i.occupancy_after <= 0.7, "{i:?}");
        let json = serde_json::to_value(i).unwrap();
        assert_eq!(json["required_by"], "max_occupancy");
    }

    /// A busy week-like scenario from a fixed-seed generator.
    fn scenario(seed: u64) -> PlanRequest {
        let mut state = seed;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let mut intervals = Vec::new();
        let mut agents = Vec::new();
        for q in 0..3 {
            let loads: Vec<(f64, u32)> = (0..16)
                .map(|_| (60.0 + next(50) as f64, 14 + next(3) as u32))
                .collect();
            intervals.extend(forecast(&format!("q{q}"), &loads));
            for a in 0..6 {
                let from = next(6) as i64;
                agents.push(agent(
                    &format!("q{q}-a{a}"),
                    &format!("q{q}"),
                    from,
                    from + 10,
                ));
            }
        }
        let sessions = (0..40)
            .map(|s| {
                let pick = |n: u64| format!("q{}-a{}", n % 3, n / 3 % 6);
                let first = next(18);
                let second = (first + 1 + next(17)) % 18;
                let participants = if s % 3 == 0 {
                    vec![pick(first), "coach".into()]
                } else {
                    vec![pick(first), pick(second)]
                };
                SessionRequest {
                    participants,
                    ..session(&format!("s{s}"), &[], [15, 30, 45][s % 3], 0, 16)
                }
            })
            .collect();
        request(intervals, agents, sessions)
    }

    #[test]
    fn the_same_request_always_gets_the_same_plan() {
        let request = scenario(7);
        let first = plan(&request).unwrap();
        assert!(!first.placed.is_empty() && !first.unplaced.is_empty());
        for _ in 0..3 {
            assert_eq!(plan(&request).unwrap(), first);
        }
        // The order of the forecast and of the agents does not matter.
        let mut reordered = request.clone();
        reordered.intervals.reverse();
        reordered.agents.reverse();
        assert_eq!(plan(&reordered).unwrap(), first);
        // No interval ends below target, nobody is in two sessions at once.
        assert!(
            first
                .intervals
                .iter()
                .all(|i| i.meets_target && i.agents_offline <= i.surplus)
        );
        for a in &first.placed {
            for b in &first.placed {
                let sa = &request
                    .sessions
                    .iter()
                    .find(|s| s.id == a.id)
                    .unwrap()
                    .participants;
                let sb = &request
                    .sessions
                    .iter()
                    .find(|s| s.id == b.id)
                    .unwrap()
                    .participants;
                let overlap = a.start < b.end && b.start < a.end;
                assert!(a.id == b.id || !overlap || !sa.iter().any(|p| sb.contains(p)));
            }
        }
    }

    #[test]
    fn bad_requests_name_the_field() {
        let good = || {
            request(
                forecast("q", &[QUIET; 2]),
                team(1, 2),
                vec![session("s", &["a0"], 30, 0, 2)],
            )
        };
        let field = |r: PlanRequest| plan(&r).unwrap_err().field().to_owned();
        assert!(plan(&good()).is_ok());

        let mut r = good();
        r.sessions[0].window.end = r.sessions[0].window.start;
        assert_eq!(field(r), "sessions[0].window");
        let mut r = good();
        r.sessions[0].duration_minutes = 0;
        assert_eq!(field(r), "sessions[0].duration_minutes");
        let mut r = good();
        r.sessions[0].duration_minutes = 120;
        assert_eq!(field(r), "sessions[0].duration_minutes");
        let mut r = good();
        r.sessions.push(r.sessions[0].clone());
        assert_eq!(field(r), "sessions[1].id");
        let mut r = good();
        r.sessions[0].participants.clear();
        assert_eq!(field(r), "sessions[0].participants");
        let mut r = good();
        r.sessions[0].participants.push("a0".into());
        assert_eq!(field(r), "sessions[0].participants[1]");
        let mut r = good();
        r.agents[0].queue = String::new();
        assert_eq!(field(r), "agents[0].queue");
        let mut r = good();
        r.agents.push(r.agents[0].clone());
        assert_eq!(field(r), "agents[1].agent_id");
        let mut r = good();
        r.agents[0].shifts[0].end = r.agents[0].shifts[0].start;
        assert_eq!(field(r), "agents[0].shifts[0]");
        let mut r = good();
        r.intervals[1].starts_at -= 10 * MINUTE_MS;
        let error = plan(&r).unwrap_err();
        assert_eq!(error.field(), "intervals[1]");
        assert!(
            error
                .to_string()
                .contains("overlaps intervals[0] of queue \"q\"")
        );
        let mut r = good();
        r.intervals[0].length_minutes = 20;
        assert_eq!(field(r), "intervals[0].length_minutes");
        let mut r = good();
        r.intervals[1].offered = -5.0;
        assert_eq!(field(r), "intervals[1].offered");
        let mut r = good();
        r.intervals[0].aht_seconds = 0.0;
        assert_eq!(field(r), "intervals[0].aht_seconds");
        let mut r = good();
        r.shrinkage = 1.0;
        assert_eq!(field(r), "shrinkage");
        let mut r = good();
        r.max_occupancy = Some(1.5);
        assert_eq!(field(r), "max_occupancy");
        let mut r = good();
        r.target.level = 0.0;
        assert_eq!(field(r), "target.level");
        let mut r = good();
        r.model = StaffingModel::ErlangA {
            patience_seconds: -1.0,
            abandoned_in_sl: AbandonedInSl::Excluded,
        };
        assert_eq!(field(r), "model.patience_seconds");
    }

    #[test]
    fn requests_read_the_documented_json_and_refuse_unknown_fields() {
        let json = serde_json::json!({
            "intervals": [{"queue": "q", "starts_at": T0, "length_minutes": 30,
                           "offered": 40, "aht_seconds": 180, "scheduled_agents": 16}],
            "target": {"level": 0.8, "answer_seconds": 20},
            "model": {"kind": "erlang-a", "patience_seconds": 90, "abandoned_in_sl": "included"},
            "agents": [{"agent_id": "a0", "queue": "q",
                        "shifts": [{"start": T0, "end": at(1)}]}],
            "sessions": [{"id": "s", "kind": "mentoring", "participants": ["a0", "coach"],
                          "duration_minutes": 15, "window": {"start": T0, "end": at(1)}}]
        });
        let request: PlanRequest = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(request.shrinkage, 0.0);
        assert!(!request.override_target);
        let plan = plan(&request).unwrap();
        let out = serde_json::to_value(&plan).unwrap();
        assert_eq!(out["placed"][0]["kind"], "mentoring");
        assert_eq!(out["placed"][0]["intervals"][0]["starts_at"], T0);

        let mut extra = json;
        extra["sessions"][0]["room"] = "B".into();
        assert!(serde_json::from_value::<PlanRequest>(extra).is_err());
        let codes: Vec<String> = [
            UnplacedReason::NoShiftOverlap,
            UnplacedReason::NoSurplus,
            UnplacedReason::ParticipantBusy,
            UnplacedReason::UnknownAgent,
            UnplacedReason::NoForecast,
        ]
        .iter()
        .map(|r| {
            serde_json::to_value(r)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
        assert_eq!(
            codes,
            [
                "no_shift_overlap",
                "no_surplus",
                "participant_busy",
                "unknown_agent",
                "no_forecast"
            ]
        );
    }
}
