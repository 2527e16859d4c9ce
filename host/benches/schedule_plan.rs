//! Slot-planner benchmark: how long `scheduling::plan` takes on a realistic
//! contact center, and how that time grows with the number of sessions and
//! the length of the forecast, measured side by side in one run.
//!
//! The synthetic center (fixed-seed PRNG, so every run plans the same
//! requests): 20 queues with 20–80 agents each, open 07:00–22:00 every day;
//! each agent works five 8-hour shifts a week (two days off in a row,
//! starts staggered from 07:00 to 14:00); `scheduled_agents` per half-hour
//! is the number on shift; the forecast volume follows a daily curve with a
//! morning and an afternoon peak (occupancy of the agents on the phones
//! from ~42% at the edges of the day to 97% at the peaks, which have no
//! surplus; 15% lower at weekends). Sessions: 40% one-to-ones (a supervisor who is not on the
//! phones and one agent, 30 min), 35% mentoring (two agents, 15 min), 25%
//! observed (three agents, 45 min, so two half-hours), partners drawn from
//! the same queue with shifts starting within two hours of each other
//! (they still may not share a working day); windows span the whole
//! forecast.
//!
//! Reported: the headline plan (500 sessions over one week of 20 × 336
//! intervals) with placed / unplaced counts by reason; time against
//! sessions (125 … 2,000) and against forecast length (1 day, 1 week,
//! 2 weeks) as medians of several runs with ratios to the headline; and
//! Erlang A against Erlang C on the headline request.
//!
//! Run with `cargo bench -p sidecoach --bench schedule_plan`. Set
//! `SIDECOACH_BENCH_QUICK=1` for a short smoke run (one run per row).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use sidecoach::scheduling::erlang::{AbandonedInSl, ServiceTarget, StaffingModel};
use sidecoach::scheduling::planner::{
    AgentShifts, ForecastInterval, Plan, PlanRequest, SessionRequest, TimeRange, plan,
};

const MINUTE_MS: i64 = 60_000;
const HALF_HOUR_MS: i64 = 30 * MINUTE_MS;
const SLOTS_PER_DAY: i64 = 48;
/// Monday 5 January 2026, 00:00 UTC.
const T0: i64 = 1_767_571_200_000;
const QUEUES: usize = 20;
const SHRINKAGE: f64 = 0.25;
const OPEN_HOUR: i64 = 7;
const CLOSE_HOUR: i64 = 22;
const SHIFT_HOURS: i64 = 8;

/// SplitMix64: small, fixed-seed, good enough to shuffle a workload.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Agent {
    id: String,
    /// Hour the agent's shifts start.
    start_hour: i64,
    /// Shifts as slot ranges from T0.
    shifts: Vec<(i64, i64)>,
}

/// Target occupancy at hour `h` of a weekday: two peaks (10:30, 14:30)
/// near saturation, quieter edges.
fn occupancy_curve(h: f64) -> f64 {
    let peak = |centre: f64, height: f64| height * (-((h - centre) / 1.6).powi(2)).exp();
    (0.42 + peak(10.5, 0.55) + peak(14.5, 0.5)).min(0.97)
}

/// A center over `days` days with `sessions` sessions to place.
fn center(days: i64, sessions: usize, model: StaffingModel) -> PlanRequest {
    let mut rng = Rng(0x5EED_C0AC);
    let slots = days * SLOTS_PER_DAY;
    let mut intervals = Vec::new();
    let mut agents_by_queue: Vec<Vec<Agent>> = Vec::new();
    for q in 0..QUEUES {
        let queue = format!("queue-{q:02}");
        let headcount = 20 + rng.below(61);
        let aht = 240.0 + rng.below(301) as f64;
        let mut agents = Vec::with_capacity(headcount);
        for a in 0..headcount {
            // Starts weighted towards the morning so the peaks are staffed.
            let start_hour = OPEN_HOUR + [0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7][rng.below(11)];
            let first_day_off = rng.below(7) as i64;
            let shifts = (0..days)
                .filter(|d| {
                    let weekday = d % 7;
                    weekday != first_day_off && weekday != (first_day_off + 1) % 7
                })
                .map(|d| {
                    let start = d * SLOTS_PER_DAY + start_hour * 2;
                    (start, start + SHIFT_HOURS * 2)
                })
                .collect();
            agents.push(Agent {
                id: format!("{queue}-agent-{a:03}"),
                start_hour,
                shifts,
            });
        }
        for slot in 0..slots {
            let on_shift = agents
                .iter()
                .filter(|a| a.shifts.iter().any(|&(s, e)| s <= slot && slot < e))
                .count() as u32;
            let hour = (slot % SLOTS_PER_DAY) as f64 / 2.0 + 0.25;
            let open = (OPEN_HOUR as f64..CLOSE_HOUR as f64).contains(&hour);
            let weekend = slot / SLOTS_PER_DAY % 7 >= 5;
            let offered = if open && on_shift > 0 {
                let on_phones = (f64::from(on_shift) * (1.0 - SHRINKAGE)).floor();
                let occupancy = occupancy_curve(hour) * if weekend { 0.85 } else { 1.0 };
                let noise = 0.95 + 0.07 * rng.unit();
                (on_phones * occupancy * noise * 1800.0 / aht).round()
            } else {
                0.0
            };
            intervals.push(ForecastInterval {
                queue: queue.clone(),
                starts_at: T0 + slot * HALF_HOUR_MS,
                length_minutes: 30,
                offered,
                aht_seconds: aht,
                scheduled_agents: on_shift,
            });
        }
        agents_by_queue.push(agents);
    }

    let window = TimeRange {
        start: T0,
        end: T0 + slots * HALF_HOUR_MS,
    };
    let mut requests = Vec::with_capacity(sessions);
    for s in 0..sessions {
        let q = rng.below(QUEUES);
        let team = &agents_by_queue[q];
        // Pairs and observers come from the same queue and agents whose
        // shifts start within two hours of each other, as a supervisor
        // would pick them.
        let mut pick = |n: usize| {
            let first = &team[rng.below(team.len())];
            let near: Vec<&Agent> = team
                .iter()
                .filter(|a| (a.start_hour - first.start_hour).abs() <= 2 && a.id != first.id)
                .collect();
            let mut chosen = vec![first.id.clone()];
            while chosen.len() < n.min(near.len() + 1) {
                let id = &near[rng.below(near.len())].id;
                if !chosen.contains(id) {
                    chosen.push(id.clone());
                }
            }
            chosen
        };
        let roll = s % 20;
        let (kind, participants, minutes) = if roll < 8 {
            let mut p = vec![format!("supervisor-{q:02}")];
            p.extend(pick(1));
            ("one-to-one", p, 30)
        } else if roll < 15 {
            ("mentoring", pick(2), 15)
        } else {
            ("observed", pick(3), 45)
        };
        requests.push(SessionRequest {
            id: format!("session-{s:04}"),
            kind: Some(kind.into()),
            pairing_id: None,
            participants,
            duration_minutes: minutes,
            window,
        });
    }

    PlanRequest {
        intervals,
        target: ServiceTarget {
            level: 0.8,
            answer_seconds: 20.0,
        },
        shrinkage: SHRINKAGE,
        model,
        // No occupancy cap: the figures stay comparable with earlier runs.
        max_occupancy: None,
        agents: agents_by_queue
            .iter()
            .enumerate()
            .flat_map(|(q, team)| {
                team.iter().map(move |a| AgentShifts {
                    agent_id: a.id.clone(),
                    queue: format!("queue-{q:02}"),
                    shifts: a
                        .shifts
                        .iter()
                        .map(|&(s, e)| TimeRange {
                            start: T0 + s * HALF_HOUR_MS,
                            end: T0 + e * HALF_HOUR_MS,
                        })
                        .collect(),
                })
            })
            .collect(),
        sessions: requests,
        override_target: false,
    }
}

/// Median wall time of `runs` plans of `request` after a warm-up run, and
/// the last plan.
fn time(request: &PlanRequest, runs: usize) -> (Duration, Plan) {
    // One unmeasured run: allocator and caches warm, as in a running host.
    black_box(plan(request).expect("the synthetic request is valid"));
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let plan = plan(black_box(request)).expect("the synthetic request is valid");
        times.push(started.elapsed());
        last = Some(plan);
    }
    times.sort_unstable();
    (times[times.len() / 2], last.expect("at least one run"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Row {
    label: String,
    intervals: usize,
    sessions: usize,
    median: Duration,
    placed: usize,
    unplaced: usize,
}

fn row(label: &str, days: i64, sessions: usize, model: StaffingModel, runs: usize) -> (Row, Plan) {
    let request = center(days, sessions, model);
    let (median, plan) = time(&request, runs);
    let row = Row {
        label: label.to_owned(),
        intervals: request.intervals.len(),
        sessions,
        median,
        placed: plan.placed.len(),
        unplaced: plan.unplaced.len(),
    };
    (row, plan)
}

fn print_table(title: &str, rows: &[Row], base: Duration) {
    println!("\n{title}");
    println!(
        "{:<18} {:>9} {:>8} {:>10} {:>12} {:>7} {:>8} {:>8}",
        "", "intervals", "sessions", "median ms", "µs/session", "placed", "unplaced", "× base"
    );
    for r in rows {
        println!(
            "{:<18} {:>9} {:>8} {:>10.2} {:>12.1} {:>7} {:>8} {:>8.2}",
            r.label,
            r.intervals,
            r.sessions,
            ms(r.median),
            r.median.as_secs_f64() * 1e6 / r.sessions as f64,
            r.placed,
            r.unplaced,
            r.median.as_secs_f64() / base.as_secs_f64()
        );
    }
}

fn main() {
    let quick = std::env::var_os("SIDECOACH_BENCH_QUICK").is_some();
    let runs = if quick { 1 } else { 7 };
    let erlang_c = StaffingModel::default();

    println!(
        "schedule_plan: {QUEUES} queues, 30-minute intervals, 80% in 20 s, shrinkage {}%, \
         median of {runs} run(s)",
        SHRINKAGE * 100.0
    );

    // The headline: one week, 500 sessions.
    let (base, base_plan) = row("1 week, 500", 7, 500, erlang_c, runs);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for u in &base_plan.unplaced {
        let code = serde_json::to_value(u.reason).expect("reasons serialize");
        *reasons
            .entry(code.as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
    }
    let below = base_plan
        .intervals
        .iter()
        .filter(|i| !i.meets_target)
        .count();
    let worst = base_plan
        .intervals
        .iter()
        .map(|i| i.service_level_after)
        .fold(f64::INFINITY, f64::min);
    println!(
        "\nheadline: {} intervals, 500 sessions planned in {:.2} ms (median): {} placed, {} unplaced {:?}; \
         {} intervals touched, {} below target, lowest service level after {:.1}%",
        base.intervals,
        ms(base.median),
        base.placed,
        base.unplaced,
        reasons,
        base_plan.intervals.len(),
        below,
        worst * 100.0
    );

    // Growth with sessions, one week of forecast.
    let counts: &[usize] = if quick {
        &[125, 500, 2000]
    } else {
        &[125, 250, 500, 1000, 2000]
    };
    let mut rows = Vec::new();
    for &n in counts {
        if n == 500 {
            rows.push(base_row(&base));
            continue;
        }
        rows.push(row(&format!("1 week, {n}"), 7, n, erlang_c, runs).0);
    }
    print_table(
        "time against sessions (1 week; × base = against 500 sessions)",
        &rows,
        base.median,
    );

    // Growth with forecast length, 500 sessions.
    let mut rows = Vec::new();
    for (label, days) in [("1 day, 500", 1), ("1 week, 500", 7), ("2 weeks, 500", 14)] {
        if days == 7 {
            rows.push(base_row(&base));
            continue;
        }
        rows.push(row(label, days, 500, erlang_c, runs).0);
    }
    print_table(
        "time against forecast length (500 sessions; × base = against 1 week)",
        &rows,
        base.median,
    );

    // The queueing model: Erlang A's birth–death sums against Erlang C's
    // closed form, same request.
    let erlang_a = StaffingModel::ErlangA {
        patience_seconds: 120.0,
        abandoned_in_sl: AbandonedInSl::Excluded,
    };
    let rows = vec![
        base_row(&base),
        row("Erlang A, 120 s", 7, 500, erlang_a, runs).0,
    ];
    print_table(
        "Erlang A (patience 120 s) against Erlang C (1 week, 500 sessions)",
        &rows,
        base.median,
    );
}

fn base_row(base: &Row) -> Row {
    Row {
        label: base.label.clone(),
        intervals: base.intervals,
        sessions: base.sessions,
        median: base.median,
        placed: base.placed,
        unplaced: base.unplaced,
    }
}
