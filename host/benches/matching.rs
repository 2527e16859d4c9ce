//! Mentor-matching benchmark: the whole capability-7 path measured in one run.
//! The reference matcher plugin scores every (protégé, mentor) pair through the
//! host's own call path (`Runtime::rank`). The optimal assignment with shortlists
//! (`mentoring::assign`) then runs on those scores.
//!
//! Sizes: 500, 5,000 and 20,000 protégés × 500 mentors of capacity 10 (5,000
//! places). At 20,000 there are four protégés per place, so at least 15,000 stay
//! unmatched (capacity exhausted). That size shows the over-subscribed case:
//! the solver must decide who gets the places, not just fill them.
//!
//! The people are synthetic but shaped like a contact centre, from a fixed
//! seed:
//! - protégés need help with one to three of eight topics (weakness 0.2..1);
//! - mentors are strong in two to four of them;
//! - four communication styles (10% unknown) and seven time zones (5% unknown);
//! - channel sets drawn from voice, chat, email, SMS and video;
//! - one protégé in 50 is also a mentor, which the plugin excludes as a self-pair.
//!
//! The plugin gets a batch of protégés and all mentors per call, calls run one
//! after another, and the batch is sized to fit the default limits. The
//! benchmark prints the largest input and output seen against those limits.
//!
//! For each size it reports the total time split into:
//! - plugin: `Runtime::rank` wall time, conversions and instantiation included;
//! - feed: loading the pairs into the solver's matrix;
//! - solve: the assignment, prices and shortlists.
//!
//! It also prints µs per pair in the plugin, the number matched, and the growth
//! from one size to the next.
//!
//! Run with `cargo bench -p sidecoach --bench matching`. Set
//! `SIDECOACH_BENCH_QUICK=1` for a short smoke run (100 mentors, a tenth of the
//! protégés).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sidecoach::config::Config;
use sidecoach::mentoring::assign::{Placement, Problem, Unmatched};
use sidecoach::metrics::Metrics;
use sidecoach::model::{Channel, Limits, MatchProfile, Mentor, Protege, TopicNeed};
use sidecoach::runtime::Runtime;
use sidecoach::runtime::WireSize;
use sidecoach::store::Store;

/// The plugin under test (embedded, installed on first start).
const MATCHER: &str = "reference-matcher";

/// Places per mentor.
const CAPACITY: u32 = 10;

/// Protégés per `rank` call: 40 × 500 mentors = 20,000 pairs, about 2 MiB of
/// output with reasons, well inside the default 8 MiB output cap and the 2 s
/// deadline.
const BATCH: usize = 40;

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

/// One size's measurements.
struct Run {
    proteges: usize,
    pairs: usize,
    calls: usize,
    plugin: Duration,
    /// Inside the plugin (`CallReport::duration`), instantiation included.
    plugin_inside: Duration,
    feed: Duration,
    solve: Duration,
    total: Duration,
    matched: usize,
    total_score: f64,
    capacity_exhausted: usize,
    no_allowed_mentor: usize,
    full_shortlists: usize,
    largest_input: u64,
    largest_output: u64,
}

fn run(runtime: &Runtime, rt: &tokio::runtime::Runtime, n: usize, m: usize, seed: u64) -> Run {
    let mut rng = Rng(seed);
    let mentors = mentors(&mut rng, m);
    let proteges = proteges(&mut rng, n, m);
    let started = Instant::now();
    let mut problem = Problem::new(n, vec![CAPACITY; m]).expect("problem size");
    let (mut plugin, mut plugin_inside, mut feed) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut pairs, mut calls, mut largest_input, mut largest_output) = (0, 0, 0, 0);
    for (b, chunk) in proteges.chunks(BATCH).enumerate() {
        let chunk = chunk.to_vec();
        let input = chunk.wire_size() + mentors.wire_size();
        let t = Instant::now();
        let report = rt
            .block_on(runtime.rank(MATCHER, chunk, mentors.clone()))
            .unwrap_or_else(|f| panic!("rank call failed: {}", f.error));
        plugin += t.elapsed();
        plugin_inside += report.duration;
        calls += 1;
        let scores = report
            .output
            .expect("the reference matcher accepts the input");
        largest_input = largest_input.max(input);
        largest_output = largest_output.max(scores.wire_size());
        let t = Instant::now();
        let offset = b * BATCH;
        for pair in &scores {
            problem
                .allow(
                    offset + pair.protege_index as usize,
                    pair.mentor_index as usize,
                    pair.score,
                )
                .expect("plugin scores are valid pairs");
        }
        pairs += scores.len();
        drop(scores);
        feed += t.elapsed();
    }
    let t = Instant::now();
    let assignment = problem.solve();
    let solve = t.elapsed();
    let total = started.elapsed();
    let count = |reason| {
        assignment
            .proteges
            .iter()
            .filter(|r| r.placement == Placement::Unmatched(reason))
            .count()
    };
    Run {
        proteges: n,
        pairs,
        calls,
        plugin,
        plugin_inside,
        feed,
        solve,
        total,
        matched: assignment.matched,
        total_score: assignment.total_score,
        capacity_exhausted: count(Unmatched::CapacityExhausted),
        no_allowed_mentor: count(Unmatched::NoAllowedMentor),
        full_shortlists: assignment
            .proteges
            .iter()
            .filter(|r| r.shortlist.len() == 3)
            .count(),
        largest_input,
        largest_output,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn share(part: Duration, whole: Duration) -> f64 {
    100.0 * part.as_secs_f64() / whole.as_secs_f64()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
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

    let dir = tempfile::tempdir().expect("temporary data directory");
    let config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let limits = Limits::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let runtime = rt.block_on(async {
        let store = Store::open(&config.data_dir).expect("store");
        Runtime::start(Arc::new(config.clone()), store, Arc::new(Metrics::new()))
            .await
            .expect("runtime starts with the embedded reference plugins")
    });
    // Warm up: the first call pays for nothing that later calls do not, but be fair.
    let _ = run(&runtime, &rt, BATCH, n_mentors, 1);

    println!(
        "sidecoach mentor-matching benchmark{}: {MATCHER} via Runtime::rank + optimal assignment",
        if quick { " (quick)" } else { "" }
    );
    println!(
        "{n_mentors} mentors × capacity {CAPACITY} = {places} places; {BATCH} protégés × \
         {n_mentors} mentors per call, calls one after another; default limits \
         (deadline {} ms, input {:.0} MiB, output {:.0} MiB, memory {} MiB)\n",
        limits.deadline_ms,
        mib(limits.max_input_bytes),
        mib(limits.max_output_bytes),
        limits.memory_mib,
    );
    let runs: Vec<Run> = sizes
        .iter()
        .map(|&n| run(&runtime, &rt, n, n_mentors, 42))
        .collect();

    println!(
        "{:>9} {:>10} {:>6} {:>10} {:>17} {:>15} {:>15} {:>10} {:>8} {:>10}",
        "protégés",
        "pairs",
        "calls",
        "total ms",
        "plugin ms (%)",
        "feed ms (%)",
        "solve ms (%)",
        "µs/pair",
        "matched",
        "unmatched"
    );
    for r in &runs {
        println!(
            "{:>9} {:>10} {:>6} {:>10.1} {:>9.1} ({:>4.1}%) {:>7.1} ({:>4.1}%) {:>7.1} ({:>4.1}%) \
             {:>10.3} {:>8} {:>10}",
            r.proteges,
            r.pairs,
            r.calls,
            ms(r.total),
            ms(r.plugin),
            share(r.plugin, r.total),
            ms(r.feed),
            share(r.feed, r.total),
            ms(r.solve),
            share(r.solve, r.total),
            r.plugin.as_secs_f64() * 1e6 / r.pairs as f64,
            r.matched,
            r.proteges - r.matched,
        );
    }
    println!();
    for r in &runs {
        println!(
            "{:>6} protégés: inside the plugin {:.1} ms ({:.0}% of plugin wall time); total \
             score {:.1}, mean {:.3} per match; unmatched: {} capacity exhausted, {} no allowed \
             mentor; {} with a full shortlist of 3; largest call: input {:.2} MiB, output {:.2} MiB",
            r.proteges,
            ms(r.plugin_inside),
            share(r.plugin_inside, r.plugin),
            r.total_score,
            r.total_score / r.matched.max(1) as f64,
            r.capacity_exhausted,
            r.no_allowed_mentor,
            r.full_shortlists,
            mib(r.largest_input),
            mib(r.largest_output),
        );
    }
    if let Some(over) = runs.iter().find(|r| r.proteges > places) {
        println!(
            "\nAt {} protégés there are more protégés than the {places} places: {} stay \
             unmatched by construction (the solver picks who gets the places).",
            over.proteges,
            over.proteges - over.matched
        );
    }
    println!("\ngrowth between sizes (× from the smaller size):");
    for w in runs.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let x = |p: Duration, q: Duration| q.as_secs_f64() / p.as_secs_f64();
        println!(
            "  {:>6} → {:>6} protégés: pairs ×{:.1}, total ×{:.1}, plugin ×{:.1}, feed ×{:.1}, \
             solve ×{:.1}",
            a.proteges,
            b.proteges,
            b.pairs as f64 / a.pairs as f64,
            x(a.total, b.total),
            x(a.plugin, b.plugin),
            x(a.feed, b.feed),
            x(a.solve, b.solve),
        );
    }
}
