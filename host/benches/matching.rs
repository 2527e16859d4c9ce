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

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::matching::{
    CAPACITY, MATCHER, MATCHER_V1, Run, install_v1, mentors, proteges, run, same_matching,
};
use common::measure::{listing, quick};
use common::rng::Rng;
use sidecoach::config::Config;
use sidecoach::metrics::Metrics;
use sidecoach::runtime::Runtime;
use sidecoach::store::Store;
use sidecoach::work::Work;

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn main() {
    if listing() {
        return;
    }
    let quick = quick();
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
        install_v1(&runtime).await;
        Arc::new(runtime)
    });
    let mut rng = Rng(1);
    let warm = (
        proteges(&mut rng, 50, n_mentors),
        mentors(&mut rng, n_mentors),
    );
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
                same_matching(r, &before),
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
