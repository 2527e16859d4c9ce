//! Mentor-matching benchmark: the whole capability-7 path measured in one run,
//! through the host's own code (`mentoring::match_pairs`: the matcher plugin's
//! calls, the optimal assignment with shortlists, the offers' reasons), three
//! ways side by side on the same people:
//!
//! - **0.1.0**: the reference matcher as released for API 0.1.0 (`rank`: every
//!   pair scored and returned with its reasons), one call at a time: how
//!   matching ran before API 0.4.0;
//! - **0.4.0, 1 at a time**: the shipped matcher (`score` returns a flat matrix
//!   of scores, `explain` the reasons of the offered pairs only), one call at
//!   a time;
//! - **0.4.0, per core**: the same, calls spread over the cores (what the host
//!   does).
//!
//! All three must give the same assignment, shortlists and reasons, or the
//! benchmark fails.
//!
//! Sizes: 500, 5,000 and 20,000 protégés × 500 mentors of capacity 10 (5,000
//! places). At 20,000 there are four protégés per place, so at least 15,000 stay
//! unmatched (capacity exhausted): the solver must decide who gets the places.
//!
//! The people are synthetic but shaped like a contact centre, from a fixed
//! seed:
//! - protégés need help with one to three of eight topics (weakness 0.2..1);
//! - mentors are strong in two to four of them;
//! - four communication styles (10% unknown) and seven time zones (5% unknown);
//! - channel sets drawn from voice, chat, email, SMS and video;
//! - one protégé in 50 is also a mentor, which is never a pair.
//!
//! Targets (issue 19): 5,000 × 500 in at most 2 s, 20,000 × 500 in at most 8 s.
//!
//! Run with `cargo bench -p sidecoach --bench matching`. Set
//! `SIDECOACH_BENCH_QUICK=1` for a short smoke run (100 mentors, a tenth of the
//! protégés).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sidecoach::config::Config;
use sidecoach::mentoring::assign::{Placement, Unmatched};
use sidecoach::mentoring::{Matched, match_pairs};
use sidecoach::metrics::Metrics;
use sidecoach::model::{Channel, MatchProfile, Mentor, Protege, TopicNeed};
use sidecoach::runtime::Runtime;
use sidecoach::store::Store;
use sidecoach::work::Work;
use sidecoach_plugin_artifacts::testing;

/// The plugin under test (embedded, installed on first start).
const MATCHER: &str = "reference-matcher";

/// Places per mentor.
const CAPACITY: u32 = 10;

const TOPICS: [&str; 8] = [
    "product-knowledge",
    "empathy",
    "de-escalation",
    "call-control",
    "billing",
    "troubleshooting",
    "compliance",
    "upselling",
];
const STYLES: [&str; 4] = ["direct", "supportive", "analytical", "expressive"];
/// UTC offsets in minutes: US Pacific/Central/Eastern, UK, CET, India, Philippines.
const OFFSETS: [i32; 7] = [-480, -360, -300, 0, 60, 330, 480];
const CHANNELS: [Channel; 5] = [
    Channel::Voice,
    Channel::Chat,
    Channel::Email,
    Channel::Sms,
    Channel::Video,
];

/// splitmix64: fixed seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// `k` distinct items of `items`, in a random order.
    fn pick<T: Clone>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut idx: Vec<usize> = (0..items.len()).collect();
        for i in 0..k.min(idx.len()) {
            let j = i + self.below(idx.len() - i);
            idx.swap(i, j);
        }
        idx[..k.min(items.len())]
            .iter()
            .map(|&i| items[i].clone())
            .collect()
    }
}

fn profile(rng: &mut Rng, agent_id: String) -> MatchProfile {
    let n_channels = 1 + rng.below(3);
    MatchProfile {
        agent_id,
        style: (rng.unit() >= 0.1).then(|| STYLES[rng.below(STYLES.len())].to_owned()),
        utc_offset_minutes: (rng.unit() >= 0.05).then(|| OFFSETS[rng.below(OFFSETS.len())]),
        channels: rng.pick(&CHANNELS, n_channels),
        home_based: rng.unit() < 0.3,
    }
}

fn mentors(rng: &mut Rng, n: usize) -> Vec<Mentor> {
    (0..n)
        .map(|j| {
            let n_strengths = 2 + rng.below(3);
            Mentor {
                profile: profile(rng, format!("agent-m{j}")),
                strengths: rng
                    .pick(&TOPICS, n_strengths)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                capacity: CAPACITY,
            }
        })
        .collect()
}

fn proteges(rng: &mut Rng, n: usize, n_mentors: usize) -> Vec<Protege> {
    (0..n)
        .map(|i| {
            // One in 50 is also a mentor: the plugin leaves that pair out.
            let id = if i % 50 == 0 {
                format!("agent-m{}", (i / 50) % n_mentors)
            } else {
                format!("agent-p{i}")
            };
            let n_needs = 1 + rng.below(3);
            let mut needs: Vec<TopicNeed> = rng
                .pick(&TOPICS, n_needs)
                .into_iter()
                .map(|topic| TopicNeed {
                    topic: topic.to_owned(),
                    weakness: ((0.2 + 0.8 * rng.unit()) * 100.0).round() / 100.0,
                })
                .collect();
            needs.sort_by(|a, b| b.weakness.total_cmp(&a.weakness));
            Protege {
                profile: profile(rng, id),
                needs,
            }
        })
        .collect()
}

/// The 0.1.0 matcher, installed beside the shipped one under this id.
const MATCHER_V1: &str = "reference-matcher-v1";

/// One way of matching one size.
struct Run {
    total: Duration,
    matcher_ms: f64,
    solver_ms: f64,
    matched: usize,
    unmatched_full: usize,
    outcome: Matched,
}

fn run(
    runtime: &Runtime,
    work: &Work,
    rt: &tokio::runtime::Runtime,
    matcher: &str,
    at_once: usize,
    people: &(Vec<Protege>, Vec<Mentor>),
) -> Run {
    let (proteges, mentors) = people;
    let started = Instant::now();
    let outcome = rt
        .block_on(match_pairs(
            runtime,
            work,
            matcher,
            proteges,
            mentors,
            &HashSet::new(),
            Some(at_once),
        ))
        .unwrap_or_else(|e| panic!("{matcher}: the match failed: {e}"));
    let total = started.elapsed();
    Run {
        total,
        matcher_ms: outcome.matcher_ms,
        solver_ms: outcome.solver_ms,
        matched: outcome.assignment.matched,
        unmatched_full: outcome
            .assignment
            .proteges
            .iter()
            .filter(|r| r.placement == Placement::Unmatched(Unmatched::CapacityExhausted))
            .count(),
        outcome,
    }
}

/// Each protégé's placement and shortlist (mentor, score, reasons).
fn offers(m: &Matched) -> Vec<(Option<usize>, Vec<(usize, u64, Option<&Vec<String>>)>)> {
    m.assignment
        .proteges
        .iter()
        .enumerate()
        .map(|(p, r)| {
            let list = r
                .shortlist
                .iter()
                .map(|c| {
                    (c.mentor, c.score.to_bits(), m.reasons.get(&(p, c.mentor)))
                })
                .collect();
            (r.placement.mentor(), list)
        })
        .collect()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a listing; there are no named cases.
    }
    let quick = std::env::var_os("SIDECOACH_BENCH_QUICK").is_some();
    let (sizes, n_mentors): (&[usize], usize) = if quick {
        (&[50, 500, 2_000], 100)
    } else {
        (&[500, 5_000, 20_000], 500)
    };
    let places = n_mentors * CAPACITY as usize;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    let dir = tempfile::tempdir().expect("temporary data directory");
    let config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let work = Work::new(&config.work);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let runtime = rt.block_on(async {
        let store = Store::open(&config.data_dir).expect("store");
        let runtime = Runtime::start(Arc::new(config.clone()), store, Arc::new(Metrics::new()))
            .await
            .expect("runtime starts with the embedded reference plugins");
        let v1 = &testing::REFERENCE_MATCHER_V1;
        let manifest = v1.manifest.replace(
            "id = \"reference-matcher\"",
            &format!("id = \"{MATCHER_V1}\""),
        );
        runtime
            .install(&manifest, v1.wasm.to_vec(), false, Some("bench"))
            .await
            .expect("the 0.1.0 matcher installs");
        runtime
    });
    let mut rng = Rng(1);
    let warm = (proteges(&mut rng, 50, n_mentors), mentors(&mut rng, n_mentors));
    for matcher in [MATCHER, MATCHER_V1] {
        let _ = run(&runtime, &work, &rt, matcher, cores, &warm);
    }

    println!(
        "sidecoach mentor-matching benchmark{}: mentoring::match_pairs (plugin calls + optimal \
         assignment + reasons), {n_mentors} mentors × capacity {CAPACITY} = {places} places, \
         {cores} cores",
        if quick { " (quick)" } else { "" }
    );
    println!(
        "\n{:>9} {:>10} | {:>24} | {:>24} | {:>24} | {:>8} {:>8}",
        "protégés",
        "pairs",
        "0.1.0 rank, 1 at a time",
        "0.4.0, 1 at a time",
        "0.4.0, per core",
        "speed-up",
        "matched"
    );
    println!(
        "{:>9} {:>10} | {:>24} | {:>24} | {:>24} |",
        "", "", "total s (plugin/solve)", "total s (plugin/solve)", "total s (plugin/solve)"
    );
    let mut summary = Vec::new();
    for &n in sizes {
        let mut rng = Rng(42);
        let m = mentors(&mut rng, n_mentors);
        let people = (proteges(&mut rng, n, n_mentors), m);
        let before = run(&runtime, &work, &rt, MATCHER_V1, 1, &people);
        let serial = run(&runtime, &work, &rt, MATCHER, 1, &people);
        let now = run(&runtime, &work, &rt, MATCHER, cores, &people);
        for (name, r) in [("0.4.0, 1 at a time", &serial), ("0.4.0, per core", &now)] {
            assert!(
                offers(&r.outcome) == offers(&before.outcome)
                    && r.outcome.assignment.total_score == before.outcome.assignment.total_score,
                "{name} matched differently from the 0.1.0 matcher at {n} protégés"
            );
        }
        let cell = |r: &Run| {
            format!(
                "{:.3} ({:.3}/{:.3})",
                secs(r.total),
                r.matcher_ms / 1e3,
                r.solver_ms / 1e3
            )
        };
        println!(
            "{:>9} {:>10} | {:>24} | {:>24} | {:>24} | {:>7.1}× {:>8}",
            n,
            n * n_mentors,
            cell(&before),
            cell(&serial),
            cell(&now),
            secs(before.total) / secs(now.total),
            now.matched,
        );
        if now.unmatched_full > 0 {
            summary.push(format!(
                "{n} protégés: {} left unmatched because every suitable mentor is full \
                 (more protégés than places)",
                now.unmatched_full
            ));
        }
        summary.push(format!(
            "{n} × {n_mentors}: 0.4.0 per core {:.2} s = {:.2}× of 0.1.0's {:.2} s",
            secs(now.total),
            secs(now.total) / secs(before.total),
            secs(before.total),
        ));
    }
    println!("\nAll three agree on every assignment, shortlist, score and reason.");
    for line in summary {
        println!("  {line}");
    }
    if !quick {
        println!("\nTargets: 5,000 × 500 ≤ 2 s; 20,000 × 500 ≤ 8 s (the 0.4.0 per-core column).");
    }
}
