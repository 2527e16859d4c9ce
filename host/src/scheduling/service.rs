//! The scheduling service: stored forecasts and shifts → the staffing
//! figures per interval, and the planner over them, committing placed
//! sessions as coaching sessions.
//!
//! What the planner is given: the forecast intervals of every queue a
//! participant works in the sessions' windows (`scheduled_agents` rounded
//! to whole agents; intervals without it cannot host a session), each
//! participant who has a roster as an agent with their shifts — minus the
//! time already booked in stored sessions, so nobody is double-booked —
//! and the target, shrinkage, model and occupancy cap of `[scheduling]`
//! (the cap overridable per request). Sessions already stored also take
//! their participants off the phones: each interval's scheduled agents are
//! reduced by the rostered participants of sessions overlapping it.
//!
//! Nothing comes back empty or unplaced without saying why: an empty
//! staffing page names the window asked and the range the queue's stored
//! forecast spans (or that none is stored), and a session unplaced for want
//! of a forecast says the same of its queue. A planned mentoring session
//! may name its pairing; committing it creates the session through the
//! one path `POST /v1/sessions` takes, which activates the pairing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::erlang::{IntervalLoad, RequiredBy, ServiceTarget, StaffingModel, StaffingPrediction};
use super::planner::{
    AgentShifts, ForecastInterval, Plan, PlanRequest, SessionRequest, TimeRange, UnplacedReason,
};
use crate::clock::parse_time;
use crate::config::Config;
use crate::model::{CoachingSession, SessionKind, StaffingInterval};
use crate::records::{Filter, RecordError, Records, Term, every};

/// One interval with its staffing figures.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StaffingView {
    /// The forecast as stored.
    #[serde(flatten)]
    pub interval: StaffingInterval,
    /// Offered × AHT / interval length.
    pub traffic_erlangs: f64,
    /// Agents needed on the phones: the larger of
    /// `required_for_service_level` and `required_for_occupancy`.
    pub required_on_phones: u32,
    /// Which of the two set `required_on_phones`.
    pub required_by: RequiredBy,
    /// The fewest agents whose predicted service level meets the target.
    pub required_for_service_level: u32,
    /// The fewest agents that keep occupancy within `max_occupancy`:
    /// `⌈traffic_erlangs / max_occupancy⌉`.
    pub required_for_occupancy: u32,
    /// Agents to schedule for `required_on_phones`, after shrinkage.
    pub required_scheduled: u32,
    /// The prediction with the scheduled agents (after shrinkage), when
    /// the forecast says how many are scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_scheduled: Option<StaffingPrediction>,
    /// Scheduled minus required (negative: understaffed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surplus: Option<i64>,
}

/// `GET /v1/staffing`: a page of intervals with their figures, and why it
/// is empty when it is.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StaffingPage {
    /// The intervals, in time order.
    pub items: Vec<StaffingView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Ids of stored intervals in range that cannot be read (see `Page`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// The window asked (`from`, `to`, or their defaults: now and a week
    /// on).
    pub window: TimeRange,
    /// The occupancy cap the requirements were computed with.
    pub max_occupancy: f64,
    /// Why there are no items: the window asked beside the stored
    /// forecast's range, or that no forecast is stored for the queue.
    /// Absent when there are items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// With an empty page, the range the queue's stored forecast spans
    /// (first interval's start to last interval's end), if any is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_range: Option<TimeRange>,
}

/// A session to plan, as the coaching workflow knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionToPlan {
    /// The caller's id for it, unique in the request.
    pub id: String,
    /// The kind of session.
    pub kind: SessionKind,
    /// The coach (a supervisor, or the mentor).
    pub coach_id: String,
    /// The coached agent (the protégé).
    pub agent_id: String,
    /// Observer agents (a packet).
    #[serde(default)]
    pub observers: Vec<String>,
    /// The accepted or active pairing a mentoring session belongs to
    /// (coach the mentor, agent the protégé), checked as `POST
    /// /v1/sessions` checks it. The committed session carries it, and
    /// makes an accepted pairing active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_id: Option<String>,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// When it may take place.
    pub window: TimeRange,
}

/// Most sessions one plan request places: a center's week of one-to-ones
/// and then some; more is refused (422) before any work.
pub const MAX_PLAN_SESSIONS: usize = 1_000;
/// Longest window one session may be placed in, in days.
pub const MAX_WINDOW_DAYS: i64 = 31;

/// `POST /v1/schedule/plan`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSessions {
    /// What to place: at most [`MAX_PLAN_SESSIONS`], each window at most
    /// [`MAX_WINDOW_DAYS`] days long.
    #[schema(max_items = 1000)]
    pub sessions: Vec<SessionToPlan>,
    /// Allow an interval below target when nothing else fits (the plan
    /// shows the cost).
    #[serde(default)]
    pub override_target: bool,
    /// The highest occupancy an interval may be left at, in (0, 1];
    /// default `[scheduling] max_occupancy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_occupancy: Option<f64>,
    /// Create the placed sessions.
    #[serde(default)]
    pub commit: bool,
}

/// A session the commit created.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CreatedSession {
    /// The request's id.
    pub request_id: String,
    /// The coaching session.
    pub session_id: String,
    /// The pairing it belongs to (now active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairing_id: Option<String>,
}

/// The plan, with what it was planned against.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanReport {
    /// Placed and unplaced sessions and every touched interval.
    #[serde(flatten)]
    pub plan: Plan,
    /// The service-level target kept.
    pub target: ServiceTarget,
    /// The shrinkage applied.
    pub shrinkage: f64,
    /// The staffing model.
    pub model: StaffingModel,
    /// The occupancy cap kept.
    pub max_occupancy: f64,
    /// Sessions created (with `commit`).
    pub created: Vec<CreatedSession>,
}

/// The service.
#[derive(Clone)]
pub struct Scheduling {
    records: Records,
    config: Arc<Config>,
    work: crate::work::Work,
}

fn field_error(prefix: &str, e: impl std::fmt::Display) -> RecordError {
    RecordError::Invalid {
        field: prefix.to_string(),
        message: e.to_string(),
    }
}

impl Scheduling {
    /// The service over the records.
    pub fn new(records: Records, config: Arc<Config>, work: crate::work::Work) -> Scheduling {
        Scheduling {
            records,
            config,
            work,
        }
    }

    fn target(&self) -> ServiceTarget {
        ServiceTarget {
            level: self.config.scheduling.target_level,
            answer_seconds: self.config.scheduling.answer_seconds,
        }
    }

    /// The occupancy cap: the request's, else `[scheduling]`'s.
    fn max_occupancy(&self, asked: Option<f64>) -> Result<f64, RecordError> {
        match asked {
            Some(cap) if !(cap > 0.0 && cap <= 1.0) => Err(field_error(
                "max_occupancy",
                format!("must be above 0 and at most 1, e.g. 0.85 (got {cap})"),
            )),
            Some(cap) => Ok(cap),
            None => Ok(self.config.scheduling.max_occupancy),
        }
    }

    /// The figures of one stored interval, its requirement capped at
    /// `max_occupancy`.
    pub fn view(
        &self,
        interval: StaffingInterval,
        max_occupancy: f64,
    ) -> Result<StaffingView, RecordError> {
        let cfg = &self.config.scheduling;
        let load = IntervalLoad::new(
            interval.offered,
            interval.aht_seconds,
            f64::from(interval.length_minutes) * 60.0,
        )
        .map_err(|e| field_error("interval", e))?;
        let requirement = cfg
            .model
            .requirement(&load, &self.target(), Some(max_occupancy))
            .map_err(|e| field_error("interval", e))?;
        let required = requirement.agents;
        let required_scheduled = super::erlang::scheduled_for(required, cfg.shrinkage)
            .map_err(|e| field_error("scheduling.shrinkage", e))?;
        let (at_scheduled, surplus) = match interval.scheduled_agents {
            Some(n) => {
                let scheduled = n.round() as u32;
                let on = super::erlang::on_phones(scheduled, cfg.shrinkage)
                    .map_err(|e| field_error("scheduling.shrinkage", e))?;
                let p = cfg
                    .model
                    .predict(&load, on, cfg.answer_seconds)
                    .map_err(|e| field_error("interval", e))?;
                (
                    Some(p),
                    Some(i64::from(scheduled) - i64::from(required_scheduled)),
                )
            }
            None => (None, None),
        };
        Ok(StaffingView {
            traffic_erlangs: load.erlangs(),
            required_on_phones: required,
            required_by: requirement.required_by,
            required_for_service_level: requirement.for_service_level,
            required_for_occupancy: requirement.for_occupancy,
            required_scheduled,
            at_scheduled,
            surplus,
            interval,
        })
    }

    /// A page of `queue`'s stored intervals starting in `window`, with
    /// their figures (`max_occupancy`: the request's cap, else the
    /// configured one). An empty page says why. The Erlang figures are
    /// computed off the async workers within the work deadline.
    pub async fn staffing(
        &self,
        queue: &str,
        window: TimeRange,
        cursor: Option<String>,
        limit: Option<usize>,
        max_occupancy: Option<f64>,
    ) -> Result<StaffingPage, RecordError> {
        let max_occupancy = self.max_occupancy(max_occupancy)?;
        let first_page = cursor.is_none();
        let mut page = self.records.scheduling.staffing(Filter {
            term: Some(Term::Queue(queue.to_string())),
            from: Some(window.start),
            to: Some(window.end),
            cursor,
            limit,
            ..Filter::default()
        })?;
        let intervals = std::mem::take(&mut page.items);
        let this = self.clone();
        let items = self
            .work
            .run("the staffing figures", move |deadline| {
                intervals
                    .into_iter()
                    .map(|i| {
                        if deadline.passed() {
                            return Err(deadline.exceeded("the staffing figures").into());
                        }
                        this.view(i, max_occupancy)
                    })
                    .collect::<Result<Vec<_>, RecordError>>()
            })
            .await?;
        let (mut note, mut stored_range) = (None, None);
        if items.is_empty() && first_page {
            let range = self.records.scheduling.forecast_range(queue)?;
            stored_range = range.map(|(start, end)| TimeRange { start, end });
            note = Some(format!(
                "no forecast intervals of queue {queue} start in the window asked [{}, {}); {}",
                window.start,
                window.end,
                stored_forecast(queue, range)
            ));
        }
        Ok(StaffingPage {
            items,
            next_cursor: page.next_cursor,
            unreadable: page.unreadable,
            window,
            max_occupancy,
            note,
            stored_range,
        })
    }

    /// Plan `req` over the stored forecast and shifts; with `commit`,
    /// create the placed sessions. Durable on return.
    pub async fn plan(&self, req: PlanSessions, actor: &str) -> Result<PlanReport, RecordError> {
        let cfg = &self.config.scheduling;
        let max_occupancy = self.max_occupancy(req.max_occupancy)?;
        if req.sessions.is_empty() {
            return Err(field_error(
                "sessions",
                "give at least one session to place",
            ));
        }
        if req.sessions.len() > MAX_PLAN_SESSIONS {
            return Err(field_error(
                "sessions",
                format!(
                    "{} sessions is above the ceiling of {MAX_PLAN_SESSIONS} per plan; plan them in parts",
                    req.sessions.len()
                ),
            ));
        }
        let mut seen = BTreeSet::new();
        for (k, s) in req.sessions.iter().enumerate() {
            if !seen.insert(s.id.as_str()) {
                return Err(field_error(&format!("sessions[{k}].id"), "is not unique"));
            }
            if s.window.end.saturating_sub(s.window.start) > MAX_WINDOW_DAYS * 86_400_000 {
                return Err(field_error(
                    &format!("sessions[{k}].window"),
                    format!("is longer than the ceiling of {MAX_WINDOW_DAYS} days"),
                ));
            }
            // The session as it would be stored: refuse now what a commit
            // would refuse later.
            self.records
                .coaching
                .validate_session(&as_session(s, s.window.start))
                .map_err(|e| match e {
                    RecordError::Invalid { field, message } => RecordError::Invalid {
                        field: format!("sessions[{k}].{field}"),
                        message,
                    },
                    other => other,
                })?;
        }
        let from = req
            .sessions
            .iter()
            .map(|s| s.window.start)
            .min()
            .unwrap_or(0);
        let to = req.sessions.iter().map(|s| s.window.end).max().unwrap_or(0);
        if to <= from {
            return Err(field_error(
                "sessions[0].window",
                "`end` must be after `start`",
            ));
        }
        let people: BTreeSet<&str> = req
            .sessions
            .iter()
            .flat_map(|s| {
                [s.coach_id.as_str(), s.agent_id.as_str()]
                    .into_iter()
                    .chain(s.observers.iter().map(String::as_str))
            })
            .collect();

        // Sessions already booked in the window (± a day for long ones).
        let booked = self.sessions_between(from - 86_400_000, to)?;
        let mut busy: HashMap<&str, Vec<(i64, i64)>> = HashMap::new();
        for s in &booked {
            let span = (
                s.scheduled_at,
                s.scheduled_at + i64::from(s.duration_minutes) * 60_000,
            );
            for p in participants(s) {
                busy.entry(p).or_default().push(span);
            }
        }

        // Rostered participants, with their shifts minus booked time.
        let mut agents = Vec::new();
        let mut queue_of: HashMap<String, String> = HashMap::new();
        for person in &people {
            let any = self.records.scheduling.shifts(Filter {
                term: Some(Term::Agent(person.to_string())),
                limit: Some(1),
                ..Filter::default()
            })?;
            let Some(latest) = any.items.first() else {
                continue; // not on the phones (a supervisor): only kept from double-booking
            };
            let shifts = self
                .records
                .scheduling
                .shifts_overlapping(person, from, to)?;
            let queue = most_common(shifts.iter().map(|s| s.queue.as_str()))
                .unwrap_or(latest.queue.as_str())
                .to_string();
            let ranges = shifts
                .iter()
                .flat_map(|s| subtract((s.start, s.end), busy.get(person).map_or(&[][..], |v| v)))
                .map(|(start, end)| TimeRange { start, end })
                .collect();
            queue_of.insert(person.to_string(), queue.clone());
            agents.push(AgentShifts {
                agent_id: person.to_string(),
                queue,
                shifts: ranges,
            });
        }

        // The forecast of those queues, less agents already in sessions.
        // (An interval starting up to an hour before `from`, the longest
        // interval, may still run.)
        let queues: BTreeSet<String> = queue_of.values().cloned().collect();
        let mut intervals = Vec::new();
        let mut unstaffed: Vec<(String, i64, i64)> = Vec::new();
        for queue in &queues {
            for i in self
                .records
                .scheduling
                .staffing_between(queue, from - 3_600_000, to)?
            {
                let (start, end) = (
                    i.starts_at,
                    i.starts_at + i64::from(i.length_minutes) * 60_000,
                );
                let Some(n) = i.scheduled_agents else {
                    unstaffed.push((queue.clone(), start, end));
                    continue;
                };
                let away = booked
                    .iter()
                    .filter(|s| {
                        let s_end = s.scheduled_at + i64::from(s.duration_minutes) * 60_000;
                        s.scheduled_at < end && s_end > start
                    })
                    .flat_map(participants)
                    .filter(|p| queue_of.get(*p).is_some_and(|q| q == queue))
                    .collect::<BTreeSet<_>>()
                    .len() as u32;
                intervals.push(ForecastInterval {
                    queue: queue.clone(),
                    starts_at: i.starts_at,
                    length_minutes: i.length_minutes,
                    offered: i.offered,
                    aht_seconds: i.aht_seconds,
                    scheduled_agents: (n.round() as u32).saturating_sub(away),
                });
            }
        }

        let request = PlanRequest {
            intervals,
            target: self.target(),
            shrinkage: cfg.shrinkage,
            model: cfg.model,
            max_occupancy: Some(max_occupancy),
            agents,
            sessions: req
                .sessions
                .iter()
                .map(|s| SessionRequest {
                    id: s.id.clone(),
                    kind: Some(kind_name(s.kind).to_string()),
                    pairing_id: s.pairing_id.clone(),
                    participants: participants_of(s),
                    duration_minutes: s.duration_minutes,
                    window: s.window,
                })
                .collect(),
            override_target: req.override_target,
        };
        // Off the async workers, within the work deadline.
        let (mut plan, request) = self
            .work
            .run("the plan", move |deadline| {
                super::planner::plan_until(&request, &|| deadline.passed())
                    .map(|plan| (plan, request))
                    .map_err(|e| match e {
                        super::planner::PlanError::Invalid { field, message } => {
                            RecordError::Invalid { field, message }
                        }
                        super::planner::PlanError::Stopped => deadline.exceeded("the plan").into(),
                    })
            })
            .await?;
        // A session unplaced for want of a forecast: say what is stored.
        let by_id: BTreeMap<&str, &SessionToPlan> =
            req.sessions.iter().map(|s| (s.id.as_str(), s)).collect();
        for u in &mut plan.unplaced {
            if u.reason != UnplacedReason::NoForecast {
                continue;
            }
            let s = by_id[u.id.as_str()];
            let mut hints = Vec::new();
            for queue in participants_of(s)
                .iter()
                .filter_map(|p| queue_of.get(p))
                .collect::<BTreeSet<_>>()
            {
                let overlaps = |start: i64, end: i64| start < s.window.end && end > s.window.start;
                let usable = request.intervals.iter().any(|i| {
                    &i.queue == queue
                        && overlaps(
                            i.starts_at,
                            i.starts_at + i64::from(i.length_minutes) * 60_000,
                        )
                });
                if usable {
                    continue;
                }
                let without = unstaffed
                    .iter()
                    .filter(|(q, start, end)| q == queue && overlaps(*start, *end))
                    .count();
                hints.push(if without > 0 {
                    format!(
                        "queue {queue}'s {without} forecast intervals in the window give no \
                         scheduled_agents"
                    )
                } else {
                    stored_forecast(queue, self.records.scheduling.forecast_range(queue)?)
                });
            }
            if !hints.is_empty() {
                u.message = format!("{}; {}", u.message, hints.join("; "));
            }
        }
        let mut created = Vec::new();
        if req.commit {
            for placed in &plan.placed {
                let s = by_id[placed.id.as_str()];
                let stored = self
                    .records
                    .coaching
                    .create_session(as_session(s, placed.start))
                    .await?;
                created.push(CreatedSession {
                    request_id: placed.id.clone(),
                    session_id: stored.id,
                    pairing_id: stored.pairing_id,
                });
            }
            if !created.is_empty() {
                let detail = format!(
                    "{} sessions placed, {} unplaced",
                    created.len(),
                    plan.unplaced.len()
                );
                self.records
                    .audit
                    .audit(actor, "schedule.commit", "sessions", Some(detail))
                    .await?;
            }
        }
        Ok(PlanReport {
            plan,
            target: self.target(),
            shrinkage: cfg.shrinkage,
            model: cfg.model,
            max_occupancy,
            created,
        })
    }

    fn sessions_between(&self, from: i64, to: i64) -> Result<Vec<CoachingSession>, RecordError> {
        every(Filter::default().between(from, to), |f| {
            self.records.coaching.sessions(f)
        })
    }
}

/// What is stored of `queue`'s forecast, for a caller whose window found
/// none of it.
fn stored_forecast(queue: &str, range: Option<(i64, i64)>) -> String {
    match range {
        Some((start, end)) => {
            format!("the stored forecast of queue {queue} spans [{start}, {end})")
        }
        None => format!("no forecast is stored for queue {queue}"),
    }
}

/// A WFM export as CSV: a header naming `queue`, `starts_at` (ms or ISO
/// 8601), `length_minutes`, `offered`, `aht_seconds` and optionally
/// `scheduled_agents`, in any order; then one interval per record. Read
/// with the `csv` crate, so quoted fields may hold commas, quotes and line
/// breaks (`"Billing, East"`); lines starting with `#` are comments.
/// Errors name the line and column.
pub fn parse_staffing_csv(text: &str) -> Result<Vec<StaffingInterval>, RecordError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let bad_csv = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line());
        field_error(&format!("line {line}"), format!("not valid CSV: {e}"))
    };
    let Some(header) = records.next().transpose().map_err(bad_csv)? else {
        return Err(field_error("body", "the CSV is empty"));
    };
    let cols: Vec<String> = header.iter().map(str::to_ascii_lowercase).collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| {
            field_error(
                "header",
                format!("no `{name}` column (have: {})", cols.join(", ")),
            )
        })
    };
    let (q, t, len, off, aht) = (
        need("queue")?,
        need("starts_at")?,
        need("length_minutes")?,
        need("offered")?,
        need("aht_seconds")?,
    );
    let sched = col("scheduled_agents");
    let mut out = Vec::new();
    for record in records {
        let cells = record.map_err(bad_csv)?;
        let n = cells.position().map_or(0, |p| p.line());
        let at = |i: usize, name: &str| {
            cells
                .get(i)
                .ok_or_else(|| field_error(&format!("line {n}"), format!("no `{name}` value")))
        };
        let number = |i: usize, name: &str| -> Result<f64, RecordError> {
            let v = at(i, name)?;
            v.parse::<f64>().map_err(|_| {
                field_error(
                    &format!("line {n}.{name}"),
                    format!("{v:?} is not a number"),
                )
            })
        };
        let starts = at(t, "starts_at")?;
        let starts_at = parse_time(starts).ok_or_else(|| {
            field_error(
                &format!("line {n}.starts_at"),
                format!("{starts:?} is neither ms since the epoch nor ISO 8601 with a zone"),
            )
        })?;
        let length = number(len, "length_minutes")?;
        if length.fract() != 0.0 || !(0.0..=1440.0).contains(&length) {
            return Err(field_error(
                &format!("line {n}.length_minutes"),
                format!("{length} is not a whole number of minutes"),
            ));
        }
        out.push(StaffingInterval {
            id: String::new(),
            queue: at(q, "queue")?.to_string(),
            starts_at,
            length_minutes: length as u32,
            offered: number(off, "offered")?,
            aht_seconds: number(aht, "aht_seconds")?,
            scheduled_agents: match sched {
                Some(i) if cells.get(i).is_some_and(|c| !c.is_empty()) => {
                    Some(number(i, "scheduled_agents")?)
                }
                _ => None,
            },
        });
    }
    Ok(out)
}

fn kind_name(k: SessionKind) -> &'static str {
    match k {
        SessionKind::OneToOne => "one-to-one",
        SessionKind::MicroCoaching => "micro-coaching",
        SessionKind::Mentoring => "mentoring",
        SessionKind::Observed => "observed",
        SessionKind::Recognition => "recognition",
    }
}

fn participants_of(s: &SessionToPlan) -> Vec<String> {
    let mut p = vec![s.agent_id.clone(), s.coach_id.clone()];
    p.extend(s.observers.iter().cloned());
    p
}

fn participants(s: &CoachingSession) -> impl Iterator<Item = &str> {
    [s.agent_id.as_str(), s.coach_id.as_str()]
        .into_iter()
        .chain(s.observers.iter().map(String::as_str))
}

fn as_session(s: &SessionToPlan, at: i64) -> CoachingSession {
    CoachingSession {
        id: String::new(),
        kind: s.kind,
        coach_id: s.coach_id.clone(),
        agent_id: s.agent_id.clone(),
        observers: s.observers.clone(),
        scheduled_at: at,
        duration_minutes: s.duration_minutes,
        interaction_ids: Vec::new(),
        evaluation_ids: Vec::new(),
        alert_ids: Vec::new(),
        targets_reviewed: Vec::new(),
        behaviours: Vec::new(),
        root_causes: Vec::new(),
        action_items: Vec::new(),
        observer_notes: Vec::new(),
        acknowledged_at: None,
        agent_comment: None,
        follow_up_at: None,
        follows_up: None,
        followed_up_at: None,
        pairing_id: s.pairing_id.clone(),
        figures: None,
        closed_at: None,
        strategy: None,
        rapport_notes: None,
    }
}

fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items {
        *counts.entry(i).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(q, _)| q)
}

/// `range` minus every range in `holes`.
fn subtract(range: (i64, i64), holes: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut pieces = vec![range];
    for &(hs, he) in holes {
        pieces = pieces
            .into_iter()
            .flat_map(|(s, e)| {
                if he <= s || hs >= e {
                    vec![(s, e)]
                } else {
                    [(s, hs), (he, e)]
                        .into_iter()
                        .filter(|(a, b)| b > a)
                        .collect()
                }
            })
            .collect();
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Agent, Pairing, PairingState, Shift};
    use serde_json::json;

    /// Monday 2026-11-23 00:00 UTC.
    const DAY: i64 = 1_795_392_000_000;
    const H: i64 = 3_600_000;

    /// The service over a fresh store: mentor Max and protégé Pia on the
    /// Billing queue 08:00–17:00, and Billing's forecast for 09:00–12:00
    /// (quiet half-hours, plenty to spare).
    struct Fixture {
        scheduling: Scheduling,
        records: Records,
        mentor: String,
        protege: String,
        _dir: tempfile::TempDir,
    }

    async fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let records = Records::new(crate::store::Store::open(dir.path()).unwrap());
        let config = Arc::new(Config::default());
        let work = crate::work::Work::new(&config.work);
        let scheduling = Scheduling::new(records.clone(), config, work);
        let agent = |name: &str| serde_json::from_value::<Agent>(json!({ "name": name })).unwrap();
        let mentor = records.people.create_agent(agent("Max")).await.unwrap().id;
        let protege = records.people.create_agent(agent("Pia")).await.unwrap().id;
        let forecast = (0..6)
            .map(|k| StaffingInterval {
                id: String::new(),
                queue: "Billing".into(),
                starts_at: DAY + 9 * H + k * H / 2,
                length_minutes: 30,
                offered: 40.0,
                aht_seconds: 180.0,
                scheduled_agents: Some(20.0),
            })
            .collect();
        records.scheduling.put_staffing(forecast).await.unwrap();
        let shift = |agent_id: &String| Shift {
            id: String::new(),
            agent_id: agent_id.clone(),
            queue: "Billing".into(),
            start: DAY + 8 * H,
            end: DAY + 17 * H,
        };
        records
            .scheduling
            .put_shifts(vec![shift(&mentor), shift(&protege)])
            .await
            .unwrap();
        Fixture {
            scheduling,
            records,
            mentor,
            protege,
            _dir: dir,
        }
    }

    fn mentoring(f: &Fixture, pairing_id: Option<&str>, window: TimeRange) -> SessionToPlan {
        SessionToPlan {
            id: "m".into(),
            kind: SessionKind::Mentoring,
            coach_id: f.mentor.clone(),
            agent_id: f.protege.clone(),
            observers: Vec::new(),
            pairing_id: pairing_id.map(str::to_string),
            duration_minutes: 15,
            window,
        }
    }

    fn plan_of(sessions: Vec<SessionToPlan>, commit: bool) -> PlanSessions {
        PlanSessions {
            sessions,
            override_target: false,
            max_occupancy: None,
            commit,
        }
    }

    const MORNING: TimeRange = TimeRange {
        start: DAY + 9 * H,
        end: DAY + 12 * H,
    };

    #[tokio::test]
    async fn a_planned_mentoring_session_carries_its_pairing_and_committing_it_activates_it() {
        let f = fixture().await;
        let pairing: Pairing = serde_json::from_value(json!({
            "id": "", "mentor_id": f.mentor, "protege_id": f.protege, "score": 1.0,
            "matcher": "test@1", "state": "accepted", "updated_at": DAY
        }))
        .unwrap();
        let pairing = f.records.mentoring.stage_pairing(pairing).unwrap().id;

        let dry = f
            .scheduling
            .plan(
                plan_of(vec![mentoring(&f, Some(&pairing), MORNING)], false),
                "test",
            )
            .await
            .unwrap();
        assert_eq!(
            dry.plan.placed[0].pairing_id.as_deref(),
            Some(pairing.as_str())
        );
        let state = |f: &Fixture| f.records.mentoring.pairing(&pairing).unwrap().state;
        assert_eq!(
            state(&f),
            PairingState::Accepted,
            "a dry run changes nothing"
        );

        let done = f
            .scheduling
            .plan(
                plan_of(vec![mentoring(&f, Some(&pairing), MORNING)], true),
                "test",
            )
            .await
            .unwrap();
        let created = &done.created[0];
        assert_eq!(created.pairing_id.as_deref(), Some(pairing.as_str()));
        let session = f.records.coaching.session(&created.session_id).unwrap();
        assert_eq!(session.pairing_id.as_deref(), Some(pairing.as_str()));
        assert_eq!(state(&f), PairingState::Active);
    }

    #[tokio::test]
    async fn a_pairing_the_session_does_not_belong_to_is_refused_naming_the_field() {
        let f = fixture().await;
        let mut wrong = mentoring(&f, Some("no-such-pairing"), MORNING);
        let e = f
            .scheduling
            .plan(plan_of(vec![wrong.clone()], false), "test")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, RecordError::Invalid { field, .. } if field == "sessions[0].pairing_id"),
            "{e:?}"
        );
        // A pairing belongs to mentoring sessions only.
        wrong.kind = SessionKind::OneToOne;
        let pairing: Pairing = serde_json::from_value(json!({
            "id": "", "mentor_id": f.mentor, "protege_id": f.protege, "score": 1.0,
            "matcher": "test@1", "state": "active", "updated_at": DAY
        }))
        .unwrap();
        wrong.pairing_id = Some(f.records.mentoring.stage_pairing(pairing).unwrap().id);
        let e = f
            .scheduling
            .plan(plan_of(vec![wrong], false), "test")
            .await
            .unwrap_err();
        assert!(
            matches!(&e, RecordError::Invalid { field, .. } if field == "sessions[0].pairing_id"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn a_window_outside_the_forecast_leaves_the_session_unplaced_with_the_stored_range() {
        let f = fixture().await;
        // The next day: on shift, but no forecast.
        let tomorrow = TimeRange {
            start: DAY + 24 * H + 9 * H,
            end: DAY + 24 * H + 12 * H,
        };
        f.records
            .scheduling
            .put_shifts(
                [&f.mentor, &f.protege]
                    .into_iter()
                    .map(|a| Shift {
                        id: String::new(),
                        agent_id: a.clone(),
                        queue: "Billing".into(),
                        start: tomorrow.start,
                        end: tomorrow.end,
                    })
                    .collect(),
            )
            .await
            .unwrap();
        let report = f
            .scheduling
            .plan(plan_of(vec![mentoring(&f, None, tomorrow)], false), "test")
            .await
            .expect("a window outside the forecast is no error");
        let u = &report.plan.unplaced[0];
        assert_eq!(u.reason, UnplacedReason::NoForecast);
        let stored = format!(
            "the stored forecast of queue Billing spans [{}, {})",
            DAY + 9 * H,
            DAY + 12 * H
        );
        assert!(
            u.message.contains("no forecast for queue Billing"),
            "{}",
            u.message
        );
        assert!(u.message.ends_with(&stored), "{}", u.message);
    }

    #[tokio::test]
    async fn an_empty_staffing_page_names_the_window_and_the_stored_range() {
        let f = fixture().await;
        let next_week = TimeRange {
            start: DAY + 7 * 24 * H,
            end: DAY + 14 * 24 * H,
        };
        let page = f
            .scheduling
            .staffing("Billing", next_week, None, None, None)
            .await
            .unwrap();
        assert!(page.items.is_empty());
        assert_eq!(
            page.stored_range,
            Some(TimeRange {
                start: DAY + 9 * H,
                end: DAY + 12 * H
            })
        );
        let note = page.note.unwrap();
        assert!(
            note.contains(&format!("[{}, {})", next_week.start, next_week.end)),
            "{note}"
        );
        assert!(
            note.contains("the stored forecast of queue Billing spans"),
            "{note}"
        );

        let none = f
            .scheduling
            .staffing("Sales", next_week, None, None, None)
            .await
            .unwrap();
        assert_eq!(none.stored_range, None);
        assert!(
            none.note
                .unwrap()
                .ends_with("no forecast is stored for queue Sales"),
        );

        // A page with intervals has nothing to explain.
        let today = TimeRange {
            start: DAY,
            end: DAY + 24 * H,
        };
        let page = f
            .scheduling
            .staffing("Billing", today, None, Some(4), None)
            .await
            .unwrap();
        assert_eq!(page.items.len(), 4);
        assert!(page.note.is_none() && page.next_cursor.is_some());
        let rest = f
            .scheduling
            .staffing("Billing", today, page.next_cursor, Some(4), None)
            .await
            .unwrap();
        assert_eq!((rest.items.len(), rest.note), (2, None));
    }

    #[tokio::test]
    async fn a_five_thousand_call_interval_requires_agents_for_85_percent_occupancy() {
        let f = fixture().await;
        let huge = StaffingInterval {
            id: String::new(),
            queue: "Billing".into(),
            starts_at: DAY + 13 * H,
            length_minutes: 30,
            offered: 5000.0,
            aht_seconds: 180.0,
            scheduled_agents: Some(600.0),
        };
        let view = f.scheduling.view(huge.clone(), 0.85).unwrap();
        assert_eq!(view.traffic_erlangs, 500.0);
        assert_eq!(view.required_by, RequiredBy::MaxOccupancy);
        assert_eq!(view.required_for_occupancy, 589);
        assert_eq!(view.required_on_phones, 589);
        assert!(view.required_for_service_level < 589);
        // Erlang C alone would staff it at over 97% occupancy.
        assert!(500.0 / f64::from(view.required_for_service_level) > 0.97);
        // A per-request cap overrides the configured one; a bad one is named.
        let loose = f.scheduling.view(huge, 1.0).unwrap();
        assert_eq!(loose.required_by, RequiredBy::ServiceLevel);
        let e = f
            .scheduling
            .staffing("Billing", MORNING, None, None, Some(1.5))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, RecordError::Invalid { field, .. } if field == "max_occupancy"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn hourly_forecasts_are_stored_from_json_and_csv_and_other_lengths_refused() {
        let f = fixture().await;
        let hour = |k: i64| StaffingInterval {
            id: String::new(),
            queue: "Sales".into(),
            starts_at: DAY + 9 * H + k * H,
            length_minutes: 60,
            offered: 80.0,
            aht_seconds: 180.0,
            scheduled_agents: Some(20.0),
        };
        let stored = f
            .records
            .scheduling
            .put_staffing(vec![hour(0), hour(1)])
            .await
            .unwrap();
        assert_eq!(stored.created, 2);
        let csv = parse_staffing_csv(
            "queue,starts_at,length_minutes,offered,aht_seconds\nSales,2026-11-23T11:00Z,60,80,180\n",
        )
        .unwrap();
        assert_eq!(
            f.records
                .scheduling
                .put_staffing(csv)
                .await
                .unwrap()
                .created,
            1
        );
        let bad = f
            .records
            .scheduling
            .put_staffing(vec![StaffingInterval {
                length_minutes: 45,
                ..hour(5)
            }])
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("use 15, 30 or 60"), "{bad}");
    }

    #[test]
    fn times_parse_as_ms_or_iso_8601_with_a_zone() {
        assert_eq!(parse_time("1795392000000"), Some(1_795_392_000_000));
        assert_eq!(parse_time("2026-11-23T00:00:00Z"), Some(1_795_392_000_000));
        assert_eq!(
            parse_time("2026-11-23T09:30Z"),
            Some(1_795_392_000_000 + 570 * 60_000)
        );
        assert_eq!(
            parse_time("2026-11-23T02:00:00+02:00"),
            Some(1_795_392_000_000)
        );
        assert_eq!(parse_time("2024-02-29T00:00:00Z"), Some(1_709_164_800_000));
        assert_eq!(parse_time("2026-11-23T09:30"), None, "a zone is required");
        assert_eq!(parse_time("2026-13-01T00:00Z"), None);
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn a_wfm_csv_reads_by_header_and_names_bad_cells() {
        let csv = "# WFM export\nQueue,starts_at,length_minutes,offered,aht_seconds,scheduled_agents\n\
                   Billing,2026-11-23T09:00:00Z,30,100,180,20\n\
                   Billing,2026-11-23T09:30:00Z,30,80,180,\n";
        let rows = parse_staffing_csv(csv).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].queue, "Billing");
        assert_eq!(rows[0].starts_at, 1_795_392_000_000 + 9 * 3_600_000);
        assert_eq!((rows[0].offered, rows[0].aht_seconds), (100.0, 180.0));
        assert_eq!(rows[0].scheduled_agents, Some(20.0));
        assert_eq!(rows[1].scheduled_agents, None);
        let e = parse_staffing_csv("queue,starts_at,length_minutes,offered\n").unwrap_err();
        assert!(e.to_string().contains("aht_seconds"), "{e}");
        let e = parse_staffing_csv(
            "queue,starts_at,length_minutes,offered,aht_seconds\nB,2026-11-23T09:00Z,30,lots,180\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 2.offered"), "{e}");
    }

    #[test]
    fn a_quoted_queue_name_keeps_its_comma_and_a_quoted_cell_its_line_break() {
        let csv = "queue,starts_at,length_minutes,offered,aht_seconds,scheduled_agents\n\
                   \"Billing, East\",2026-11-23T09:00:00Z,30,100,180,20\n\
                   \"Sales \"\"Gold\"\"\nline\",2026-11-23T09:30:00Z,30,80,180,\n\
                   Support,2026-11-23T10:00:00Z,30,oops,180,\n";
        let e = parse_staffing_csv(csv).unwrap_err();
        // The line a record starts on, counting the quoted line break.
        assert!(e.to_string().contains("line 5.offered"), "{e}");
        let rows = parse_staffing_csv(&csv.replace("oops", "60")).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].queue, "Billing, East");
        assert_eq!(rows[0].scheduled_agents, Some(20.0));
        assert_eq!(rows[1].queue, "Sales \"Gold\"\nline");
        assert_eq!(rows[2].offered, 60.0);
    }

    #[test]
    fn booked_time_is_cut_out_of_a_shift() {
        assert_eq!(
            subtract((0, 100), &[(20, 30), (90, 120)]),
            vec![(0, 20), (30, 90)]
        );
        assert_eq!(subtract((0, 100), &[(-5, 200)]), vec![]);
        assert_eq!(subtract((0, 100), &[]), vec![(0, 100)]);
    }

    #[test]
    fn an_agent_works_the_queue_of_most_of_their_shifts() {
        assert_eq!(most_common(["b", "a", "b"].into_iter()), Some("b"));
        assert_eq!(
            most_common(["b", "a"].into_iter()),
            Some("a"),
            "ties: first by name"
        );
        assert_eq!(most_common([].into_iter()), None);
    }
}
