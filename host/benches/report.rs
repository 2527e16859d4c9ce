//! The benchmark report of issue 19: every target in one run, each measured
//! side by side with its baseline, printed as a markdown table (what |
//! measured | baseline | ratio | target | met?) and one line per row saying
//! what was measured. Each row is measured the way its detailed bench
//! measures it, with the same code (`benches/common/`), on fewer samples:
//!
//! 1. the reference scorer through `Runtime::score`, 1,000 evaluations per
//!    call, per evaluation, against the same arithmetic compiled natively
//!    (`sidecoach-scoring`) — `scoring.rs`;
//! 2. one plugin call's host-side cost: `Runtime::score` with no evaluation
//!    (look-up, call slot, pool slot, task, fresh store and instance, a form
//!    lowered and an empty list scored), and instantiate + `describe()` alone
//!    through `LoadedPlugin::run` (pooling + `InstancePre`) — `runtime.rs`;
//! 3. the scorer called once per evaluation against the same rule in Rhai —
//!    `scoring.rs`;
//! 4. mentor matching, 5,000 and 20,000 protégés × 500 mentors of capacity
//!    10, through `mentoring::match_pairs`, against the 0.1.0 matcher —
//!    `matching.rs`;
//! 5. durable ingest over HTTP on loopback against a bare sled insert +
//!    flush loop, at 1 and 8 clients — `ingest.rs`;
//! 6. the Python example scorer (componentize-py) on the same 1,000-evaluation
//!    batch as the Rust reference scorer, and its instantiation.
//!
//! Scores must agree with native (|Δ| < 1e-9, outcome, auto-fail, critical
//! and section scores), the matchers must give the same matching, every
//! record must be acknowledged and every Python card returned, or the report
//! exits non-zero. A target not met is reported (`NO`), not an error.
//!
//! Compiled components are cached under the target directory
//! (`target/tmp/bench-compile-cache`) and the Python component is built
//! once into `target/tmp/bench-python-scorer` (again only when its sources
//! change), so only the first run pays for cranelift and componentize-py.
//!
//! Run with `cargo bench -p sidecoach --bench report`: about a minute on two
//! cores, most of it the 0.1.0 matcher's baseline; the first run also builds
//! the Python component (~20 s) and compiles it (~10 s). Set
//! `SIDECOACH_BENCH_QUICK=1` for a smoke run of a few seconds: fewer
//! samples, matching at 500 and 2,000 protégés × 100 mentors (its targets
//! are not judged), a tenth of the ingest records.

mod common;

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::ingest::{Loopback, RUNS};
use common::matching::{
    CAPACITY, MATCHER, MATCHER_V1, install_v1, mentors, proteges, run, same_matching,
};
use common::measure::{fail, listing, machine, median, ms, quick, us};
use common::plugin::{instantiate_describe, prepare};
use common::rng::Rng;
use common::scoring::{
    EPS, Method, PLUGIN, agreement, native_pass, plugin_pass, read_back, rhai_engine, rhai_form,
    rhai_pass, rounds, set_up,
};
use common::{python, scoring};
use sidecoach::config::{Config, RuntimeConfig};
use sidecoach::model::{Evaluation, Form};
use sidecoach::runtime::Runtime;
use sidecoach::work::Work;
use sidecoach_plugin_artifacts::reference::REFERENCE_SCORER;

/// How much of everything a run measures.
struct Plan {
    /// Stored evaluations scored by every scoring method.
    evaluations: usize,
    /// Of which scored one per call.
    unbatched: usize,
    /// Runs of each scoring method (median).
    scoring_runs: usize,
    /// Rounds × calls of the per-call measurements (median round).
    call_rounds: usize,
    calls: usize,
    /// Matching: (protégés, mentors, runs of the 0.4.0 matcher) per size.
    matching: [(usize, usize, usize); 2],
    /// Ingest: divisor of `RUNS`' records, and runs per concurrency (median).
    ingest_divisor: usize,
    ingest_runs: usize,
    /// Runs of each 1,000-evaluation batch, Rust and Python (median).
    batch_runs: usize,
}

const FULL: Plan = Plan {
    evaluations: 20_000,
    unbatched: 2_000,
    scoring_runs: 3,
    call_rounds: 7,
    calls: 200,
    matching: [(5_000, 500, 3), (20_000, 500, 1)],
    ingest_divisor: 1,
    ingest_runs: 3,
    batch_runs: 5,
};

const QUICK: Plan = Plan {
    evaluations: 5_000,
    unbatched: 500,
    scoring_runs: 3,
    call_rounds: 5,
    calls: 100,
    matching: [(500, 100, 3), (2_000, 100, 1)],
    ingest_divisor: 10,
    ingest_runs: 1,
    batch_runs: 3,
};

/// The batch the Python and Rust scorers are compared on.
const BATCH: usize = 1_000;

/// One row of the table, and the line saying what it measured.
struct Row {
    what: String,
    measured: String,
    baseline: String,
    ratio: String,
    target: String,
    met: &'static str,
    how: String,
}

impl Row {
    /// A row with an absolute target, in µs, and no baseline.
    fn at_most_us(what: &str, measured: Duration, limit: f64, how: String) -> Row {
        Row {
            what: what.into(),
            measured: format!("{:.1} µs", us(measured)),
            baseline: "—".into(),
            ratio: "—".into(),
            target: format!("≤ {limit} µs"),
            met: met(us(measured) <= limit),
            how,
        }
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

/// `calls` calls of `Runtime::score` with no evaluation, awaited back to
/// back; the time of one.
async fn empty_calls(runtime: &Runtime, form: &Form, calls: usize) -> Duration {
    let t = Instant::now();
    for _ in 0..calls {
        let report = runtime
            .score(PLUGIN, form.clone(), Vec::new())
            .await
            .unwrap_or_else(|f| fail(format!("the empty call failed: {}", f.error)));
        if !report.output.is_empty() {
            fail("an empty batch came back with scorecards".into());
        }
    }
    t.elapsed() / calls as u32
}

/// Progress on stderr, so stdout is the report alone.
fn progress(what: &str, since: Instant) {
    eprintln!("report: {what} ({:.0} s)", since.elapsed().as_secs_f64());
}

fn main() {
    if listing() {
        return;
    }
    let quick = quick();
    let plan = if quick { QUICK } else { FULL };
    let started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("tokio: {e}")));
    let runtime_config = RuntimeConfig {
        cache_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-compile-cache")),
        ..RuntimeConfig::default()
    };
    let mut rows = Vec::new();

    // ---- setup: the scoring bench's store, runtimes and records ----
    progress("setting up the store and the runtimes", started);
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(format!("temp dir: {e}")));
    let n = plan.evaluations;
    let (runtime, fuel_off, records, setup) =
        rt.block_on(set_up(dir.path(), n, runtime_config.clone()));
    let runtime = Arc::new(runtime);
    let (form, evals) = read_back(&records);
    let form = Arc::new(form);
    if evals.len() != n {
        fail(format!("read back {} evaluations, wrote {n}", evals.len()));
    }
    let setup_line = format!(
        "setup (not measured): runtime start {:.0} ms, {n} evaluations staged in {:.0} ms and \
         flushed in {:.0} ms",
        ms(setup.runtime_start),
        ms(setup.staged),
        ms(setup.flushed)
    );

    // ---- 1 and 3: scoring, batched and one per call, native and Rhai ----
    progress("scoring", started);
    let engine = rhai_engine();
    let ast = engine
        .compile(scoring::RHAI_SCORER)
        .unwrap_or_else(|e| fail(format!("the Rhai script does not compile: {e}")));
    let rform = rhai_form(&form);
    let sample = &evals[..plan.unbatched];
    let owned_sample: Arc<[Evaluation]> = sample.into();
    let (rt, evals, form) = (&rt, &evals, &form);
    // One evaluation per call, awaited in a task on a worker thread (as the
    // host's handlers await calls): the spawned call runs on the same worker.
    let one_per_call_on_worker = || {
        let (runtime, form, sample) = (runtime.clone(), form.clone(), owned_sample.clone());
        rt.block_on(rt.spawn(async move { plugin_pass(&runtime, PLUGIN, &form, &sample, 1).await }))
            .unwrap_or_else(|e| fail(format!("scoring task: {e}")))
    };
    let mut methods = vec![
        Method::new(
            "plugin, 1,000 per call",
            n,
            None,
            Box::new(|| rt.block_on(plugin_pass(&runtime, PLUGIN, form, evals, 1000))),
        ),
        Method::new(
            "plugin, 1,000 per call, fuel off",
            n,
            None,
            Box::new(|| rt.block_on(plugin_pass(&fuel_off, PLUGIN, form, evals, 1000))),
        ),
        Method::new(
            "plugin, 1 per call",
            sample.len(),
            None,
            Box::new(one_per_call_on_worker),
        ),
        Method::new(
            "native Rust",
            n,
            None,
            Box::new(|| native_pass(form, evals)),
        ),
        Method::new(
            "Rhai, 1 per call",
            n,
            None,
            Box::new(|| rhai_pass(&engine, &ast, &rform, evals)),
        ),
        Method::new(
            "plugin, 1 per call, from outside the runtime",
            sample.len(),
            None,
            Box::new(|| rt.block_on(plugin_pass(&runtime, PLUGIN, form, sample, 1))),
        ),
    ];
    let warm = &evals[..BATCH.min(n)];
    rt.block_on(plugin_pass(&runtime, PLUGIN, form, warm, 1000));
    rt.block_on(plugin_pass(&fuel_off, PLUGIN, form, warm, 1000));
    black_box(native_pass(form, warm));
    black_box(rhai_pass(&engine, &ast, &rform, warm));
    rounds(&mut methods, plan.scoring_runs);
    let agreed = agreement(methods[3].cards(), &methods, evals);
    if agreed.agreeing != n {
        eprintln!("DISAGREEMENT: the scoring methods did not compute the same scores:");
        for d in &agreed.disagreements {
            eprintln!("{d}");
        }
        std::process::exit(1);
    }
    let [batched, fuel_free, single, native, rhai, single_outside] =
        [0, 1, 2, 3, 4, 5].map(|i| methods[i].per_eval());
    drop(methods);
    rows.push(Row {
        what: "reference scorer, 1,000 evaluations per call, per evaluation".into(),
        measured: format!("{batched:.2} µs"),
        baseline: format!("{native:.2} µs (native Rust)"),
        ratio: format!("{:.2}× native", batched / native),
        target: "≤ 2× native".into(),
        met: met(batched / native <= 2.0),
        how: format!(
            "`Runtime::score(\"reference-scorer\")` with the host's default settings (fuel \
             metered), {n} stored evaluations of a 4-section, 12-criterion QA form read back from \
             sled, 1,000 per call, converting each record and reading each card back, median of \
             {} run(s); native: `sidecoach_scoring::score` on the same records. Fuel metering off: \
             {fuel_free:.2} µs = {:.2}× native. All {n} scores agree with native (max |Δ| = \
             {:.1e} < {EPS:e}).",
            plan.scoring_runs,
            fuel_free / native,
            agreed.max_delta
        ),
    });

    // ---- 2: one call's host-side cost ----
    progress("per-call costs", started);
    // Awaited in a task on a worker thread, as a request handler awaits it;
    // and from outside the runtime (`block_on`), as the scoring rows call.
    let empty = {
        let (runtime, form) = (runtime.clone(), form.clone());
        let (rounds, calls) = (plan.call_rounds, plan.calls);
        let task = rt.spawn(async move {
            empty_calls(&runtime, &form, calls).await; // warm
            let mut samples = Vec::new();
            for _ in 0..rounds {
                samples.push(empty_calls(&runtime, &form, calls).await);
            }
            median(samples)
        });
        rt.block_on(task)
            .unwrap_or_else(|e| fail(format!("measuring task: {e}")))
    };
    let outside = median(
        (0..plan.call_rounds)
            .map(|_| rt.block_on(empty_calls(&runtime, form, plan.calls)))
            .collect(),
    );
    let empty_row = rows.len() + 1;
    rows.push(Row::at_most_us(
        "one plugin call, host side: `Runtime::score`, no evaluation",
        empty,
        15.0,
        format!(
            "`Runtime::score(\"reference-scorer\", form, [])` awaited back to back: the whole call \
             path (look-up, input cap, call slot, pool slot, fresh store and \
             instance, the 12-criterion form cloned and lowered, an empty list scored, output \
             cap, metrics), awaited in a task on a worker thread as a request handler awaits \
             it; median of {} rounds of {} calls. Awaited from outside the runtime \
             (`block_on`, as benches/scoring.rs calls it): {:.1} µs.",
            plan.call_rounds,
            plan.calls,
            us(outside)
        ),
    ));
    let reference = prepare(
        runtime.engine(),
        REFERENCE_SCORER.manifest,
        REFERENCE_SCORER.wasm,
    );
    let instantiate = instantiate_describe(
        rt,
        runtime.engine(),
        &reference,
        plan.call_rounds,
        plan.calls,
    );
    let options = runtime.engine().options();
    let instantiate_row = rows.len() + 1;
    rows.push(Row::at_most_us(
        "instantiate + `describe()` (`LoadedPlugin::run`, pooling + `InstancePre`)",
        instantiate,
        10.0,
        format!(
            "the reference scorer prepared on the host's own engine (pooling {}, epoch {}, fuel \
             {}), then `LoadedPlugin::run` of `describe()`: fresh store under its limits, \
             instantiation from the `InstancePre`, the call; median of {} rounds of {} calls.",
            options.pooling, options.epoch, options.fuel, plan.call_rounds, plan.calls
        ),
    ));

    rows.push(Row {
        what: "scorer called once per evaluation (`Runtime::score`, 1 per call)".into(),
        measured: format!("{single:.1} µs"),
        baseline: format!("{rhai:.1} µs (Rhai, 1 per call)"),
        ratio: format!("{:.2}× as fast as Rhai", rhai / single),
        target: "≥ 5× as fast as Rhai".into(),
        met: met(rhai / single >= 5.0),
        how: format!(
            "per evaluation: `Runtime::score` with one evaluation per call over the first {} \
             stored evaluations, awaited in a task on a worker thread as in row {empty_row}, \
             against the same rule as a Rhai script (compiled once, `score(form, answers)` \
             called per evaluation under an operation limit) over all {n}; median of {} \
             run(s); both agree with native. Awaited from outside the runtime (`block_on`, as \
             benches/scoring.rs does): {single_outside:.1} µs = {:.2}× as fast as Rhai.",
            plan.unbatched,
            plan.scoring_runs,
            rhai / single_outside
        ),
    });

    // ---- 4: mentor matching ----
    let work = Work::new(&Config::default().work);
    rt.block_on(install_v1(&runtime));
    {
        let mut rng = Rng(1);
        let n_mentors = plan.matching[0].1;
        let warm = (
            proteges(&mut rng, 50, n_mentors),
            mentors(&mut rng, n_mentors),
        );
        for matcher in [MATCHER, MATCHER_V1] {
            let _ = run(&runtime, &work, rt, matcher, cores, &warm);
        }
    }
    for (i, &(n_proteges, n_mentors, runs)) in plan.matching.iter().enumerate() {
        progress(&format!("matching {n_proteges} × {n_mentors}"), started);
        let mut rng = Rng(42);
        let m = mentors(&mut rng, n_mentors);
        let people = (proteges(&mut rng, n_proteges, n_mentors), m);
        let before = run(&runtime, &work, rt, MATCHER_V1, 1, &people);
        let mut totals = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            let now = run(&runtime, &work, rt, MATCHER, cores, &people);
            if !same_matching(&now, &before) {
                fail(format!(
                    "the 0.4.0 matcher matched differently from the 0.1.0 matcher at \
                     {n_proteges} protégés"
                ));
            }
            totals.push(now.total);
            last = Some(now);
        }
        let now = last.expect("at least one run");
        let total = median(totals);
        let limit = [2.0, 8.0][i];
        let full_size = [5_000, 20_000][i];
        rows.push(Row {
            what: format!(
                "mentor matching {n_proteges} × {n_mentors} (capacity {CAPACITY}), total"
            ),
            measured: format!("{:.2} s", total.as_secs_f64()),
            baseline: format!("{:.2} s (0.1.0 matcher)", before.total.as_secs_f64()),
            ratio: format!("{:.2}× of 0.1.0", total.as_secs_f64() / before.total.as_secs_f64()),
            target: format!("≤ {limit} s at {full_size} × 500"),
            met: if quick {
                "— (quick: smaller)"
            } else {
                met(total.as_secs_f64() <= limit)
            },
            how: format!(
                "`mentoring::match_pairs` (matcher plugin calls spread over {cores} cores, optimal \
                 assignment with shortlists, reasons of the offered pairs) with the 0.4.0 reference \
                 matcher, {} of {runs} run(s) (last: plugin {:.2} s, solver {:.2} s, {} matched, {} \
                 left unmatched by full mentors); baseline: the 0.1.0 matcher (`rank`, every pair \
                 with its reasons) installed as `{MATCHER_V1}`, one call at a time, one run. Same \
                 assignment, shortlists, scores and reasons.",
                if runs > 1 { "median" } else { "time" },
                now.matcher_ms / 1e3,
                now.solver_ms / 1e3,
                now.matched,
                now.unmatched_full
            ),
        });
    }

    // ---- 5: durable ingest ----
    progress("ingest", started);
    rt.block_on(async {
        let loopback = Loopback::open(runtime_config.clone()).await;
        for (clients, total) in RUNS {
            let total = total / plan.ingest_divisor;
            let (mut api, mut bare) = (Vec::new(), Vec::new());
            for r in 0..plan.ingest_runs {
                let (a, b) = loopback
                    .measure(&format!("c{clients}-{r}"), clients, total)
                    .await;
                api.push(a.per_sec());
                bare.push(b.per_sec());
            }
            let rate = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let (api, bare) = (rate(api), rate(bare));
            rows.push(Row {
                what: format!(
                    "durable ingest over HTTP, {clients} client{}",
                    if clients == 1 { "" } else { "s" }
                ),
                measured: format!("{api:.0} records/s"),
                baseline: format!("{bare:.0} records/s (bare sled)"),
                ratio: format!("{:.0}% of bare sled", api / bare * 100.0),
                target: "≥ 50% of bare sled".into(),
                met: met(api / bare >= 0.5),
                how: format!(
                    "{total} `POST /v1/interactions` from {clients} keep-alive client(s) to the \
                     real host on loopback, each answered 201 only after the store's flush; bare \
                     sled: the same JSON bytes inserted and flushed by {clients} task(s) on the \
                     same runtime; median of {} run(s), interleaved.",
                    plan.ingest_runs
                ),
            });
        }
        loopback.shutdown().await;
    });

    // ---- 6: the Python scorer ----
    progress("Python scorer", started);
    match python::component() {
        Err(why) => {
            for what in [
                "Python scorer, 1,000-evaluation batch, per evaluation",
                "Python scorer, instantiate + `describe()`",
            ] {
                rows.push(Row {
                    what: what.into(),
                    measured: format!("skipped: {why}"),
                    baseline: "—".into(),
                    ratio: "—".into(),
                    target: "measured".into(),
                    met: "—",
                    how: format!("skipped: {why}."),
                });
            }
        }
        Ok(component) => {
            let installed = rt
                .block_on(runtime.install(
                    &component.manifest,
                    component.wasm.clone(),
                    false,
                    Some("bench"),
                ))
                .unwrap_or_else(|e| fail(format!("the Python scorer does not install: {e}")));
            let batch = &evals[..BATCH];
            let mut methods = vec![
                Method::new(
                    "Rust",
                    BATCH,
                    None,
                    Box::new(|| rt.block_on(plugin_pass(&runtime, PLUGIN, form, batch, BATCH))),
                ),
                Method::new(
                    "Python",
                    BATCH,
                    None,
                    Box::new(|| rt.block_on(plugin_pass(&runtime, python::ID, form, batch, BATCH))),
                ),
            ];
            rt.block_on(plugin_pass(&runtime, python::ID, form, batch, BATCH));
            rounds(&mut methods, plan.batch_runs);
            let (rust_per, python_per) = (methods[0].per_eval(), methods[1].per_eval());
            drop(methods);
            let mib = component.wasm.len() as f64 / (1 << 20) as f64;
            let compiled = installed.compile.map_or("already installed".into(), |c| {
                format!(
                    "{} in {:.0} ms",
                    if c.from_cache {
                        "loaded from the compile cache"
                    } else {
                        "compiled"
                    },
                    c.ms
                )
            });
            let built = component.built_in.map_or(
                "built by an earlier run (sources unchanged)".into(),
                |d| {
                    format!(
                        "built by `sidecoach plugin build` in {:.0} s",
                        d.as_secs_f64()
                    )
                },
            );
            rows.push(Row {
                what: "Python scorer (componentize-py), 1,000-evaluation batch, per evaluation"
                    .into(),
                measured: format!("{python_per:.1} µs"),
                baseline: format!("{rust_per:.2} µs (Rust reference scorer)"),
                ratio: format!("{:.0}× Rust", python_per / rust_per),
                target: "measured".into(),
                met: "—",
                how: format!(
                    "`Runtime::score(\"{}\")` and `Runtime::score(\"{PLUGIN}\")` on the same \
                     first {BATCH} stored evaluations, one call each, median of {} run(s); every \
                     evaluation scored by both (the Python example's rule differs: flat weighted \
                     percent with a compliance cap, so only the timing is compared). Component: \
                     {mib:.1} MiB, {built}; installed and {compiled}.",
                    python::ID,
                    plan.batch_runs
                ),
            });
            let loaded = prepare(runtime.engine(), &component.manifest, &component.wasm);
            let (py_rounds, py_calls) = (plan.call_rounds.min(5), plan.calls / 10);
            let py_instantiate =
                instantiate_describe(rt, runtime.engine(), &loaded, py_rounds, py_calls);
            rows.push(Row {
                what: format!("Python scorer, instantiate + `describe()` ({mib:.1} MiB component)"),
                measured: format!("{:.1} µs", us(py_instantiate)),
                baseline: format!("{:.1} µs (Rust reference scorer)", us(instantiate)),
                ratio: format!("{:.0}× Rust", us(py_instantiate) / us(instantiate)),
                target: "measured".into(),
                met: "—",
                how: format!(
                    "as row {instantiate_row}, on the Python component: median of \
                     {py_rounds} rounds of {py_calls} calls."
                ),
            });
        }
    }

    // ---- the report ----
    println!(
        "sidecoach benchmark report (issue 19){}: {}\n",
        if quick {
            ", QUICK smoke run (fewer samples, smaller matching)"
        } else {
            ""
        },
        machine()
    );
    println!("| what | measured | baseline | ratio | target | met? |");
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.what, r.measured, r.baseline, r.ratio, r.target, r.met
        );
    }
    println!();
    for (i, r) in rows.iter().enumerate() {
        println!("{}. {}", i + 1, r.how);
    }
    println!();
    println!(
        "{setup_line}; whole report {:.0} s.",
        started.elapsed().as_secs_f64()
    );
}
