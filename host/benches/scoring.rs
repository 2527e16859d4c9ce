//! Scoring benchmark: what scoring one *stored* QA evaluation costs three
//! ways — the reference scorer plugin, the same arithmetic in native Rust,
//! and the same rule as a Rhai script — measured side by side in one run and
//! printed as ratios.
//!
//! Setup (timed and reported apart): a temporary sled store, the host's
//! plugin runtime with its embedded reference plugins, 50 agents and one QA
//! form (4 sections, 12 yes/no and 1..5 criteria, one fatal and two critical;
//! question weighting, N/A excluded with proportional redistribution, a
//! failed fatal criterion zeroes the score, min–max normalisation, pass mark
//! 80) written through the records service, then 100,000 evaluations with
//! fixed-seed pseudo-random answers (≈5% N/A, ≈2% failed fatal) staged and
//! flushed once. The evaluations and the form are read back from sled through
//! the records service (timed once), and every method scores all of them
//! from those records:
//!
//! 1. the plugin through `Runtime::score` (the host's call path: limits,
//!    a fresh instance per call, fuel metered as the host does by default),
//!    1,000 and 100 evaluations per call, one per call over a 2,000 sample,
//!    and 1,000 per call on a second runtime with fuel metering off;
//! 2. the plugin's own arithmetic (the `sidecoach-scoring` crate) compiled natively;
//! 3. a Rhai script a user might embed instead: compiled once, its
//!    `score(form, answers)` called per evaluation with the answers converted
//!    to Rhai arrays and maps, under an operation limit (Rhai's analogue of
//!    fuel). The form is converted once and passed as a shared value.
//!
//! Each method's input conversion (stored record → its input) is also timed
//! on its own. Every method must agree with native on every evaluation —
//! score and section percents within 1e-9, outcome, auto-fail, critical
//! sub-score — or the run exits non-zero. Times are medians of 3 runs.
//!
//! Run with `cargo bench -p sidecoach --bench scoring`. Set
//! `SIDECOACH_BENCH_QUICK=1` for a short smoke run (10,000 evaluations, one
//! run each).

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::measure::{fail, listing, machine, median, ms, quick, time};
use common::scoring::{
    AGENTS, Method, PLUGIN, RHAI_MAX_OPERATIONS, RHAI_SCORER, agreement, native_answers,
    native_pass, plugin_pass, read_back, rhai_answers, rhai_engine, rhai_form, rhai_pass, rounds,
    set_up,
};
use sidecoach::config::RuntimeConfig;
use sidecoach::model::{AnswerValue, EvaluationEvent};

/// Evaluations in a full run.
const EVALUATIONS: usize = 100_000;
/// Evaluations scored one per call (instantiation dominates; 100,000 would
/// only take longer to say the same).
const UNBATCHED_SAMPLE: usize = 2_000;

fn main() {
    if listing() {
        return;
    }
    let (n, runs) = if quick() {
        (EVALUATIONS / 10, 1)
    } else {
        (EVALUATIONS, 3)
    };
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("sidecoach scoring benchmark: {n} stored evaluations, median of {runs} run(s)");
    println!("machine: {}\n", machine());

    // ---- setup ----
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("tokio: {e}")));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(format!("temp dir: {e}")));
    let (runtime, fuel_off, records, setup) =
        rt.block_on(set_up(dir.path(), n, RuntimeConfig::default()));
    println!("setup (not part of any measurement)");
    let line = |what: String, d: Duration, each: Option<usize>| {
        let each = each.map_or(String::new(), |k| {
            format!("  ({:.1} µs each)", d.as_secs_f64() * 1e6 / k as f64)
        });
        println!("  {what:<46} {:>9.1} ms{each}", ms(d));
    };
    line(
        "runtime start (reference plugins installed)".into(),
        setup.runtime_start,
        None,
    );
    line(
        "second runtime start, fuel off (loaded)".into(),
        setup.fuel_off_start,
        None,
    );
    line(
        format!("{AGENTS} agents + 1 form, each flushed"),
        setup.agents_and_form,
        None,
    );
    line(format!("{n} evaluations staged"), setup.staged, Some(n));
    line("one flush".into(), setup.flushed, None);

    let t = Instant::now();
    let (form, evals) = read_back(&records);
    let read = t.elapsed();
    if evals.len() != n {
        fail(format!("read back {} evaluations, wrote {n}", evals.len()));
    }
    line(
        "read back, 1,000 per page (form + evaluations)".into(),
        read,
        Some(n),
    );
    let answers: usize = evals.iter().map(|e| e.answers.len()).sum();
    let na = evals
        .iter()
        .flat_map(|e| &e.answers)
        .filter(|a| a.value == AnswerValue::NotApplicable)
        .count();
    println!(
        "  data: {answers} answers, {:.1}% N/A\n",
        na as f64 * 100.0 / answers as f64
    );

    // ---- the Rhai side's one-off costs ----
    let engine = rhai_engine();
    let t = Instant::now();
    let ast = engine
        .compile(RHAI_SCORER)
        .unwrap_or_else(|e| fail(format!("the Rhai script does not compile: {e}")));
    let rhai_compile = t.elapsed();
    let t = Instant::now();
    let rform = rhai_form(&form);
    let rhai_form_once = t.elapsed();

    // ---- input conversion alone: stored record → what each method takes ----
    let conv_plugin = time(runs, || {
        for chunk in evals.chunks(1000) {
            black_box(chunk.iter().map(EvaluationEvent::from).collect::<Vec<_>>());
        }
    });
    let conv_native = time(runs, || {
        for e in &evals {
            black_box(native_answers(&e.answers));
        }
    });
    let conv_rhai = time(runs, || {
        for e in &evals {
            let _ = black_box(rhai_answers(&e.answers));
        }
    });

    // ---- the methods, rounds interleaved so drift hits them all alike ----
    let sample = &evals[..evals.len().min(UNBATCHED_SAMPLE)];
    let method = Method::new;
    let (rt, evals, form) = (&rt, &evals, &form);
    let mut methods = vec![
        method(
            "plugin, 1,000 per call",
            n,
            Some(conv_plugin),
            Box::new(|| rt.block_on(plugin_pass(&runtime, PLUGIN, form, evals, 1000))),
        ),
        method(
            "plugin, 100 per call",
            n,
            Some(conv_plugin),
            Box::new(|| rt.block_on(plugin_pass(&runtime, PLUGIN, form, evals, 100))),
        ),
        method(
            "plugin, 1 per call (sample)",
            sample.len(),
            None,
            Box::new(|| rt.block_on(plugin_pass(&runtime, PLUGIN, form, sample, 1))),
        ),
        method(
            "plugin, 1,000 per call, fuel off",
            n,
            Some(conv_plugin),
            Box::new(|| rt.block_on(plugin_pass(&fuel_off, PLUGIN, form, evals, 1000))),
        ),
        method(
            "native Rust (sidecoach-scoring)",
            n,
            Some(conv_native),
            Box::new(|| native_pass(form, evals)),
        ),
        method(
            "Rhai script, 1 per call",
            n,
            Some(conv_rhai),
            Box::new(|| rhai_pass(&engine, &ast, &rform, evals)),
        ),
    ];
    // Warm-up: pool slots, allocator, caches.
    let warm = &evals[..evals.len().min(1000)];
    rt.block_on(plugin_pass(&runtime, PLUGIN, form, warm, 1000));
    rt.block_on(plugin_pass(&fuel_off, PLUGIN, form, warm, 1000));
    black_box(native_pass(form, warm));
    black_box(rhai_pass(&engine, &ast, &rform, warm));
    rounds(&mut methods, runs);

    // ---- agreement: every method against native, evaluation by evaluation ----
    let native_at = methods
        .iter()
        .position(|m| m.name.starts_with("native"))
        .unwrap_or_else(|| fail("no native row".into()));
    let base = methods[native_at].cards();
    let agreed = agreement(base, &methods, evals);
    let (agreeing, max_delta) = (agreed.agreeing, agreed.max_delta);
    let passed = base.iter().filter(|c| c.passed).count();
    let auto_failed = base.iter().filter(|c| c.auto_failed).count();

    // ---- report ----
    let native_per = methods[native_at].per_eval();
    println!("scoring (medians; every method starts from the stored records)");
    println!(
        "  {:<34} {:>7} {:>10} {:>10} {:>9} {:>11} {:>8}",
        "method", "evals", "total ms", "µs/eval", "× native", "input µs/ev", "in call"
    );
    for m in &methods {
        let inside = m
            .first
            .as_ref()
            .and_then(|p| Some(p.inside?.as_secs_f64() / p.wall.as_secs_f64()));
        println!(
            "  {:<34} {:>7} {:>10.1} {:>10.3} {:>8.1}× {:>11} {:>8}",
            m.name,
            m.evaluations,
            ms(median(m.walls.clone())),
            m.per_eval(),
            m.per_eval() / native_per,
            m.convert.map_or("—".into(), |c| format!(
                "{:.3}",
                c.as_secs_f64() * 1e6 / n as f64
            )),
            inside.map_or("—".into(), |s| format!("{:.0}%", s * 100.0)),
        );
    }
    println!(
        "  input µs/ev: turning a stored evaluation into the method's input, timed alone\n  \
         (included in the total; the plugin's input is also copied into the guest inside\n  \
         the call). in call: share of the wall time inside `Runtime::score`'s sandboxed\n  \
         call, instantiation included (first round)."
    );
    println!(
        "  Rhai: AST compiled once in {:.2} ms; form converted once in {:.1} µs; \
         at most {RHAI_MAX_OPERATIONS} operations per call",
        ms(rhai_compile),
        rhai_form_once.as_secs_f64() * 1e6
    );
    println!();
    let per = |name: &str| {
        methods
            .iter()
            .find(|m| m.name == name)
            .map_or(f64::NAN, Method::per_eval)
    };
    let (batched, by100, single, fuel_free, rhai) = (
        per("plugin, 1,000 per call"),
        per("plugin, 100 per call"),
        per("plugin, 1 per call (sample)"),
        per("plugin, 1,000 per call, fuel off"),
        per("Rhai script, 1 per call"),
    );
    let times = |a: f64, b: f64, more: &str, less: &str| {
        if a >= b {
            format!("{:.1}× {more}", a / b)
        } else {
            format!("{:.1}× {less}", b / a)
        }
    };
    println!(
        "  → batching: one evaluation per call costs {:.0}× as much per evaluation as \
         1,000 per call ({:.1}× as 100 per call)",
        single / batched,
        single / by100
    );
    println!(
        "  → plugin at 1,000 per call vs native: {:.1}×; with fuel metering off: {:.1}×",
        batched / native_per,
        fuel_free / native_per
    );
    println!(
        "  → Rhai vs plugin at 1,000 per call: Rhai is {}",
        times(rhai, batched, "slower", "faster")
    );
    println!(
        "  → Rhai vs plugin at 1 per call: Rhai is {}",
        times(rhai, single, "slower", "faster")
    );
    println!();
    println!(
        "agreement: {agreeing} of {n} evaluations scored alike by every method \
         (score and section percents |Δ| < 1e-9, outcome, auto-fail, critical sub-score); \
         max |Δ score| = {max_delta:.1e}"
    );
    println!(
        "outcomes: {passed} pass ({:.1}%), {auto_failed} auto-failed ({:.1}%)",
        passed as f64 * 100.0 / n as f64,
        auto_failed as f64 * 100.0 / n as f64
    );
    if agreeing != n {
        eprintln!("DISAGREEMENT: the methods did not compute the same scores:");
        for d in &agreed.disagreements {
            eprintln!("{d}");
        }
        std::process::exit(1);
    }
}
