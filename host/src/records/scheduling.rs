//! Staffing forecasts and shifts: what the slot planner plans over.

use super::{Filter, Result, SchedulingRecords, every, invalid};
use crate::model::{INTERVAL_LENGTHS, Shift, StaffingInterval};
use crate::store::{Page, Term, Upserted};

/// How many records a batch write created, changed and found unchanged.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct WriteCounts {
    /// New records.
    pub created: usize,
    /// Changed records.
    pub updated: usize,
    /// Sent again as stored.
    pub unchanged: usize,
}

impl WriteCounts {
    fn add(&mut self, u: Upserted) {
        match u {
            Upserted::Created => self.created += 1,
            Upserted::Updated => self.updated += 1,
            Upserted::Unchanged => self.unchanged += 1,
        }
    }
}

/// The longest shift accepted, in hours.
const MAX_SHIFT_HOURS: i64 = 24;

/// Ceilings on a forecast interval, checked before anything is stored, so
/// no interval can drive the Erlang tables or the planner into unbounded
/// work. They are far above any contact center's interval: the largest
/// realistic load seen (30,000 agents scheduled, 15,000 Erlangs) fits.
pub const MAX_OFFERED: f64 = 1_000_000.0;
/// Longest average handle time, in seconds (a day).
pub const MAX_AHT_SECONDS: f64 = 86_400.0;
/// Most agents scheduled in one interval of one queue.
pub const MAX_SCHEDULED_AGENTS: f64 = 50_000.0;
/// Most traffic in one interval (offered × AHT ÷ interval length), Erlangs.
pub const MAX_ERLANGS: f64 = 50_000.0;

fn check_staffing(s: &StaffingInterval, at: &str) -> Result<()> {
    if s.queue.trim().is_empty() {
        return Err(invalid(format!("{at}queue"), "must not be empty"));
    }
    if !INTERVAL_LENGTHS.contains(&s.length_minutes) {
        return Err(invalid(
            format!("{at}length_minutes"),
            format!(
                "{} is not an interval length; use 15, 30 or 60",
                s.length_minutes
            ),
        ));
    }
    if s.starts_at % 60_000 != 0 {
        return Err(invalid(
            format!("{at}starts_at"),
            "must fall on a whole minute",
        ));
    }
    crate::model::Invalid::finite(&format!("{at}offered"), s.offered)?;
    crate::model::Invalid::finite(&format!("{at}aht_seconds"), s.aht_seconds)?;
    if s.offered < 0.0 {
        return Err(invalid(format!("{at}offered"), "must not be negative"));
    }
    if s.aht_seconds <= 0.0 {
        return Err(invalid(
            format!("{at}aht_seconds"),
            "must be greater than 0",
        ));
    }
    if let Some(n) = s.scheduled_agents
        && !(n.is_finite() && n >= 0.0)
    {
        return Err(invalid(
            format!("{at}scheduled_agents"),
            "must be a number of agents, 0 or more",
        ));
    }
    for (field, value, max) in [
        ("offered", s.offered, MAX_OFFERED),
        ("aht_seconds", s.aht_seconds, MAX_AHT_SECONDS),
        (
            "scheduled_agents",
            s.scheduled_agents.unwrap_or(0.0),
            MAX_SCHEDULED_AGENTS,
        ),
    ] {
        if value > max {
            return Err(invalid(
                format!("{at}{field}"),
                format!("{value} is above the ceiling of {max}"),
            ));
        }
    }
    let erlangs = s.offered * s.aht_seconds / (f64::from(s.length_minutes) * 60.0);
    if erlangs > MAX_ERLANGS {
        return Err(invalid(
            format!("{at}offered"),
            format!(
                "{erlangs:.0} Erlangs of traffic (offered × aht_seconds ÷ interval) is above the ceiling of {MAX_ERLANGS}"
            ),
        ));
    }
    Ok(())
}

impl SchedulingRecords {
    /// Validate and write one forecast interval without flushing (ingest).
    pub fn stage_staffing(&self, mut s: StaffingInterval) -> Result<Upserted> {
        check_staffing(&s, "")?;
        s.id = format!("{}@{}", s.queue, s.starts_at);
        Ok(self.store.staffing.upsert(s)?.0)
    }

    /// Store a forecast (a WFM export): every interval is checked before
    /// any is written, so a bad row stores nothing. Durable on return.
    pub async fn put_staffing(&self, intervals: Vec<StaffingInterval>) -> Result<WriteCounts> {
        let mut seen = std::collections::HashSet::new();
        for (k, s) in intervals.iter().enumerate() {
            check_staffing(s, &format!("[{k}]."))?;
            if !seen.insert((s.queue.clone(), s.starts_at)) {
                return Err(invalid(
                    format!("[{k}].starts_at"),
                    format!("queue {} has this interval twice", s.queue),
                ));
            }
        }
        let mut counts = WriteCounts::default();
        for s in intervals {
            counts.add(self.stage_staffing(s)?);
        }
        if counts.created + counts.updated > 0 {
            self.flush().await?;
        }
        Ok(counts)
    }

    /// A page of forecast intervals (`term` = queue), in time order.
    pub fn staffing(&self, f: Filter) -> Result<Page<StaffingInterval>> {
        self.list(&self.store.staffing, f)
    }

    /// Every forecast interval of `queue` in `[from, to)`.
    pub fn staffing_between(
        &self,
        queue: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<StaffingInterval>> {
        every(
            Filter::term(Term::Queue(queue.to_string())).between(from, to),
            |f| self.staffing(f),
        )
    }

    /// The range `queue`'s stored forecast spans: the first interval's start
    /// and the last one's end (gaps included); `None` when nothing is
    /// stored for it. Two index reads, from either end.
    pub fn forecast_range(&self, queue: &str) -> Result<Option<(i64, i64)>> {
        let term = Term::Queue(queue.to_string());
        let first = self.staffing(Filter {
            limit: Some(1),
            ..Filter::term(term.clone())
        })?;
        let Some(first) = first.items.into_iter().next() else {
            return Ok(None);
        };
        let last: StaffingInterval = self.store.staffing.last(&term)?.unwrap_or(first.clone());
        Ok(Some((
            first.starts_at,
            last.starts_at + i64::from(last.length_minutes) * 60_000,
        )))
    }

    /// Store shifts (a roster): all checked first. Durable on return.
    pub async fn put_shifts(&self, shifts: Vec<Shift>) -> Result<WriteCounts> {
        for (k, s) in shifts.iter().enumerate() {
            super::check_ulid_free(&s.id).map_err(|_| {
                invalid(
                    format!("[{k}].id"),
                    "is assigned by the server; leave it out",
                )
            })?;
            self.agent_exists(&format!("[{k}].agent_id"), &s.agent_id)?;
            if s.queue.trim().is_empty() {
                return Err(invalid(format!("[{k}].queue"), "must not be empty"));
            }
            if s.end <= s.start {
                return Err(invalid(format!("[{k}].end"), "must be after `start`"));
            }
            if s.end - s.start > MAX_SHIFT_HOURS * 3_600_000 {
                return Err(invalid(
                    format!("[{k}].end"),
                    format!("a shift is at most {MAX_SHIFT_HOURS} hours"),
                ));
            }
        }
        let mut counts = WriteCounts::default();
        for mut s in shifts {
            // One shift per agent and start: a re-sent roster replaces it.
            let key = format!("{}@{}", s.agent_id, s.start);
            s.id = key;
            counts.add(self.store.shifts.upsert(s)?.0);
        }
        if counts.created + counts.updated > 0 {
            self.flush().await?;
        }
        Ok(counts)
    }

    /// A page of shifts (`term` = agent or queue), in start order.
    pub fn shifts(&self, f: Filter) -> Result<Page<Shift>> {
        self.list(&self.store.shifts, f)
    }

    /// Every shift of `agent` overlapping `[from, to)`.
    pub fn shifts_overlapping(&self, agent: &str, from: i64, to: i64) -> Result<Vec<Shift>> {
        // A shift starting up to a day before `from` may still run.
        let since = from - MAX_SHIFT_HOURS * 3_600_000;
        let mut shifts = every(
            Filter::term(Term::Agent(agent.to_string())).between(since, to),
            |f| self.shifts(f),
        )?;
        shifts.retain(|s| s.end > from);
        Ok(shifts)
    }
}
