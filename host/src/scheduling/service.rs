//! The scheduling service: stored forecasts and shifts → the staffing
//! figures per interval, and the planner over them, committing placed
//! sessions as coaching sessions.
//!
//! What the planner is given: the forecast intervals of every queue a
//! participant works in the sessions' windows (`scheduled_agents` rounded
//! to whole agents; intervals without it cannot host a session), each
//! participant who has a roster as an agent with their shifts — minus the
//! time already booked in stored sessions, so nobody is double-booked —
//! and the target, shrinkage and model of `[scheduling]`. Sessions already
//! stored also take their participants off the phones: each interval's
//! scheduled agents are reduced by the rostered participants of sessions
//! overlapping it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::erlang::{IntervalLoad, ServiceTarget, StaffingModel, StaffingPrediction};
use super::planner::{AgentShifts, ForecastInterval, Plan, PlanRequest, SessionRequest, TimeRange};
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
    /// Agents needed on the phones for the target.
    pub required_on_phones: u32,
    /// Agents to schedule for that, after shrinkage.
    pub required_scheduled: u32,
    /// The prediction with the scheduled agents (after shrinkage), when
    /// the forecast says how many are scheduled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_scheduled: Option<StaffingPrediction>,
    /// Scheduled minus required (negative: understaffed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surplus: Option<i64>,
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
    /// Length in minutes.
    pub duration_minutes: u32,
    /// When it may take place.
    pub window: TimeRange,
}

/// `POST /v1/schedule/plan`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSessions {
    /// What to place.
    pub sessions: Vec<SessionToPlan>,
    /// Allow an interval below target when nothing else fits (the plan
    /// shows the cost).
    #[serde(default)]
    pub override_target: bool,
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
    /// Sessions created (with `commit`).
    pub created: Vec<CreatedSession>,
}

/// The service.
#[derive(Clone)]
pub struct Scheduling {
    records: Records,
    config: Arc<Config>,
}

fn field_error(prefix: &str, e: impl std::fmt::Display) -> RecordError {
    RecordError::Invalid {
        field: prefix.to_string(),
        message: e.to_string(),
    }
}

impl Scheduling {
    /// The service over the records.
    pub fn new(records: Records, config: Arc<Config>) -> Scheduling {
        Scheduling { records, config }
    }

    fn target(&self) -> ServiceTarget {
        ServiceTarget {
            level: self.config.scheduling.target_level,
            answer_seconds: self.config.scheduling.answer_seconds,
        }
    }

    /// The figures of one stored interval.
    pub fn view(&self, interval: StaffingInterval) -> Result<StaffingView, RecordError> {
        let cfg = &self.config.scheduling;
        let load = IntervalLoad::new(
            interval.offered,
            interval.aht_seconds,
            f64::from(interval.length_minutes) * 60.0,
        )
        .map_err(|e| field_error("interval", e))?;
        let required = cfg
            .model
            .agents_required(&load, &self.target())
            .map_err(|e| field_error("interval", e))?;
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
            required_scheduled,
            at_scheduled,
            surplus,
            interval,
        })
    }

    /// Every stored interval of `queue` in `[from, to)` with its figures.
    pub fn staffing(
        &self,
        queue: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<StaffingView>, RecordError> {
        self.records
            .scheduling
            .staffing_between(queue, from, to)?
            .into_iter()
            .map(|i| self.view(i))
            .collect()
    }

    /// Plan `req` over the stored forecast and shifts; with `commit`,
    /// create the placed sessions. Durable on return.
    pub async fn plan(&self, req: PlanSessions, actor: &str) -> Result<PlanReport, RecordError> {
        let cfg = &self.config.scheduling;
        if req.sessions.is_empty() {
            return Err(field_error(
                "sessions",
                "give at least one session to place",
            ));
        }
        let mut seen = BTreeSet::new();
        for (k, s) in req.sessions.iter().enumerate() {
            if !seen.insert(s.id.as_str()) {
                return Err(field_error(&format!("sessions[{k}].id"), "is not unique"));
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
        let queues: BTreeSet<String> = queue_of.values().cloned().collect();
        let mut intervals = Vec::new();
        for queue in &queues {
            for i in self
                .records
                .scheduling
                .staffing_between(queue, from - 3_600_000, to)?
            {
                let Some(n) = i.scheduled_agents else {
                    continue;
                };
                let (start, end) = (
                    i.starts_at,
                    i.starts_at + i64::from(i.length_minutes) * 60_000,
                );
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
            agents,
            sessions: req
                .sessions
                .iter()
                .map(|s| SessionRequest {
                    id: s.id.clone(),
                    kind: Some(kind_name(s.kind).to_string()),
                    participants: participants_of(s),
                    duration_minutes: s.duration_minutes,
                    window: s.window,
                })
                .collect(),
            override_target: req.override_target,
        };
        let plan = super::planner::plan(&request).map_err(|e| match e {
            super::planner::PlanError::Invalid { field, message } => {
                RecordError::Invalid { field, message }
            }
        })?;
        let mut created = Vec::new();
        if req.commit {
            let by_id: BTreeMap<&str, &SessionToPlan> =
                req.sessions.iter().map(|s| (s.id.as_str(), s)).collect();
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
            created,
        })
    }

    fn sessions_between(&self, from: i64, to: i64) -> Result<Vec<CoachingSession>, RecordError> {
        every(Filter::default().between(from, to), |f| {
            self.records.coaching.sessions(f)
        })
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A time as ms since the epoch, or ISO 8601 `YYYY-MM-DDTHH:MM[:SS]` with
/// `Z` or `±HH:MM`.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    if b.len() < 16
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
    {
        return None;
    }
    let (y, mo, d, h, mi) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    let mut rest = &s[16..];
    let mut sec = 0;
    if let Some(r) = rest.strip_prefix(':') {
        sec = r.get(0..2)?.parse::<i64>().ok()?;
        rest = &r[2..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        r if (r.starts_with('+') || r.starts_with('-')) && r.len() == 6 && &r[3..4] == ":" => {
            let sign = if r.starts_with('-') { -1 } else { 1 };
            sign * (r[1..3].parse::<i64>().ok()? * 60 + r[4..6].parse::<i64>().ok()?)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 24 + h) * 60 + mi - offset_min) * 60_000 + sec * 1000)
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
        pairing_id: None,
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
