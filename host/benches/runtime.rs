//! Runtime benchmark: what a plugin call costs, measured side by side in one
//! run and printed as ratios.
//!
//! 1. Instantiation per call: pooling allocator + `InstancePre` (what the
//!    host does) vs on-demand allocation + linking on every call.
//! 2. The reference scorer: one evaluation per call and 1,000 per call, per
//!    evaluation, vs the same scoring code compiled natively.
//! 3. Epoch interruption and fuel metering on vs off, on the 1,000 batch.
//!
//! Run with `cargo bench -p sidecoach --bench runtime`. Set
//! `SIDECOACH_BENCH_QUICK=1` for a short smoke run.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sidecoach::clock::sha256_hex;
use sidecoach::config::RuntimeConfig;
use sidecoach::model::{
    Answer, AnswerValue, AutoFailPolicy, Criterion, EvaluationEvent, Form, FormSection, NaPolicy,
    NaRedistribution, Normalization, PluginKind, ScoringSettings, Weighting,
};
use sidecoach::runtime::lowlevel::{
    CallFuture, EffectiveGrants, EngineOptions, HostState, Instance, LoadedPlugin, PluginEngine,
    Scorer, wit as w,
};
use sidecoach_plugin_artifacts::reference::REFERENCE_SCORER;

mod common;
use common::scoring::{native_answers, native_form};

// The reference scorer's own arithmetic (plugins/scoring), compiled natively.
use sidecoach_scoring as native;

fn options(pooling: bool, epoch: bool, fuel: bool) -> EngineOptions {
    EngineOptions {
        pooling,
        pool_instances: 16,
        max_memory_bytes: 256 << 20,
        fuel,
        epoch,
        tick: Duration::from_millis(10),
        cache_dir: None,
        keep_resident_bytes: 0,
    }
}

fn load(engine: &PluginEngine) -> (LoadedPlugin, wasmtime::component::Component) {
    let sha = sha256_hex(REFERENCE_SCORER.wasm);
    let (component, _) = engine
        .compile(&sha, REFERENCE_SCORER.wasm)
        .expect("compiles");
    let limits = sidecoach::model::Limits {
        deadline_ms: 60_000,
        memory_mib: 128,
        ..Default::default()
    };
    let plugin = LoadedPlugin::prepare(
        engine,
        "reference-scorer",
        "bench",
        PluginKind::Scorer,
        "0.1.0",
        &sha,
        &component,
        limits,
        EffectiveGrants::default(),
        BTreeMap::new(),
    )
    .expect("prepares");
    (plugin, component)
}

/// A MaestroQA-style form: 4 sections, 12 criteria on a 1..5 scale.
fn form() -> Form {
    let sections = (0..4)
        .map(|s| FormSection {
            id: format!("s{s}"),
            name: format!("section {s}"),
            weight: [10.0, 30.0, 50.0, 10.0][s],
            criteria: (0..3)
                .map(|c| Criterion {
                    id: format!("s{s}c{c}"),
                    label: format!("criterion {c}"),
                    weight: 1.0 + c as f64,
                    scale_min: 1.0,
                    scale_max: 5.0,
                    critical: c == 0,
                    fatal: false,
                    bonus: false,
                    topic: Some("customer-engagement".into()),
                })
                .collect(),
        })
        .collect();
    Form {
        id: "bench".into(),
        version: 1,
        name: "bench".into(),
        sections,
        settings: ScoringSettings {
            weighting: Weighting::Section,
            na_policy: NaPolicy::Exclude,
            na_redistribution: NaRedistribution::Proportional,
            auto_fail: AutoFailPolicy::ZeroScore,
            normalization: Normalization::MinMax,
            critical_threshold: None,
            pass_mark: 80.0,
            allow_bonus: false,
        },
        scorer: None,
    }
}

fn evaluations(n: usize) -> Vec<EvaluationEvent> {
    (0..n)
        .map(|i| EvaluationEvent {
            external_id: format!("e{i}"),
            form_id: "bench".into(),
            form_version: Some(1),
            interaction_external_id: None,
            agent_vendor_id: None,
            evaluator_vendor_id: None,
            evaluated_at: None,
            answers: (0..12)
                .map(|k| Answer {
                    criterion_id: format!("s{}c{}", k / 3, k % 3),
                    value: if (i + k) % 7 == 0 {
                        AnswerValue::NotApplicable
                    } else {
                        AnswerValue::Score(1.0 + ((i + k) % 5) as f64)
                    },
                    comment: None,
                })
                .collect(),
            vendor_score: None,
        })
        .collect()
}

/// Median time per iteration of `f` over `rounds` rounds of `iters` calls.
fn measure(rounds: usize, iters: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..iters.min(3) {
        f();
    }
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed() / iters as u32
        })
        .collect();
    samples.sort();
    samples[rounds / 2]
}

type HostStore = wasmtime::Store<HostState>;
type ScoreOut = Vec<Result<w::Scorecard, w::PluginError>>;

fn score_fn<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    input: (w::Form, Vec<w::Evaluation>),
) -> CallFuture<'a, ScoreOut> {
    Box::pin(async move {
        let Instance::Scorer(s) = instance else {
            unreachable!()
        };
        s.call_score(store, &input.0, &input.1).await
    })
}

fn describe_fn<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    _: (),
) -> CallFuture<'a, usize> {
    Box::pin(async move {
        let Instance::Scorer(s) = instance else {
            unreachable!()
        };
        Ok(s.call_describe(store).await?.name.len())
    })
}

/// One scorer call through the host's call path (fresh store, limits,
/// instantiation from the `InstancePre`).
fn score_call(
    rt: &tokio::runtime::Runtime,
    plugin: &LoadedPlugin,
    engine: &PluginEngine,
    form: &w::Form,
    evals: &[w::Evaluation],
) -> usize {
    let report = rt
        .block_on(plugin.run(engine, (form.clone(), evals.to_vec()), score_fn))
        .unwrap_or_else(|f| panic!("score call failed: {}", f.error));
    assert!(report.output.iter().all(Result::is_ok));
    report.output.len()
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a listing; there are no named cases.
    }
    let quick = std::env::var_os("SIDECOACH_BENCH_QUICK").is_some();
    let (rounds, scale) = if quick { (3, 1) } else { (7, 5) };
    println!(
        "sidecoach runtime benchmark ({} rounds, median per call)\n",
        rounds
    );

    // 1. Instantiation.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pooled = PluginEngine::new(options(true, true, false)).unwrap();
    let ondemand = PluginEngine::new(options(false, true, false)).unwrap();
    let (pooled_plugin, _) = load(&pooled);
    let (_, ondemand_component) = load(&ondemand);
    let pre = measure(rounds, 40 * scale, || {
        black_box(
            rt.block_on(pooled_plugin.run(&pooled, (), describe_fn))
                .map(|r| r.output)
                .unwrap_or(0),
        );
    });
    // The server's setting: touched pages reset in place between calls.
    let resident = PluginEngine::new(EngineOptions {
        keep_resident_bytes: (RuntimeConfig::default().keep_resident_kib as usize) << 10,
        ..options(true, true, false)
    })
    .unwrap();
    let (resident_plugin, _) = load(&resident);
    let kept = measure(rounds, 40 * scale, || {
        black_box(
            rt.block_on(resident_plugin.run(&resident, (), describe_fn))
                .map(|r| r.output)
                .unwrap_or(0),
        );
    });
    let linker = ondemand.linker();
    let raw = measure(rounds, 40 * scale, || {
        let state = HostState::new(
            Arc::from("bench"),
            &Arc::new(EffectiveGrants::default()),
            Arc::new(BTreeMap::new()),
            128 << 20,
            65536,
        )
        .unwrap();
        let mut store = wasmtime::Store::new(ondemand.engine(), state);
        store.epoch_deadline_async_yield_and_update(1);
        rt.block_on(async {
            let instance = linker
                .instantiate_async(&mut store, &ondemand_component)
                .await
                .unwrap();
            let scorer = Scorer::new(&mut store, &instance).unwrap();
            black_box(scorer.call_describe(&mut store).await.unwrap());
        });
    });
    println!("1. instantiate + describe() per call");
    println!("   pooling + InstancePre      {:>10.1} µs", us(pre));
    println!(
        "   same, pages kept resident  {:>10.1} µs  (the server's setting: {:.2}× of pooling alone)",
        us(kept),
        us(kept) / us(pre)
    );
    println!("   on-demand + link each call {:>10.1} µs", us(raw));
    println!(
        "   → pre-instantiation with pooling is {:.1}× faster\n",
        raw.as_secs_f64() / pre.as_secs_f64()
    );

    // 2. Scoring: batched vs unbatched vs native.
    let form = form();
    let evals = evaluations(1000);
    let wform: w::Form = form.clone().into();
    let wevals: Vec<w::Evaluation> = evals.iter().cloned().map(Into::into).collect();
    let one = measure(rounds, 40 * scale, || {
        black_box(score_call(
            &rt,
            &pooled_plugin,
            &pooled,
            &wform,
            &wevals[..1],
        ));
    });
    let batch = measure(rounds, scale, || {
        black_box(score_call(&rt, &pooled_plugin, &pooled, &wform, &wevals));
    }) / 1000;
    let nform = native_form(&form);
    let nanswers: Vec<_> = evals.iter().map(|e| native_answers(&e.answers)).collect();
    let native_per = measure(rounds, 20 * scale, || {
        for a in &nanswers {
            black_box(native::score(&nform, a).unwrap());
        }
    }) / 1000;
    println!("2. reference scorer, per evaluation (12 criteria, 4 sections)");
    println!("   plugin, 1 per call         {:>10.2} µs", us(one));
    println!("   plugin, 1,000 per call     {:>10.2} µs", us(batch));
    println!("   native Rust                {:>10.2} µs", us(native_per));
    println!(
        "   → batching saves {:.0}×; batched plugin / native = {:.1}×; unbatched plugin / native = {:.0}×\n",
        one.as_secs_f64() / batch.as_secs_f64(),
        batch.as_secs_f64() / native_per.as_secs_f64(),
        one.as_secs_f64() / native_per.as_secs_f64()
    );

    // 3. Epoch and fuel.
    println!("3. 1,000-evaluation batch, per call, by instrumentation");
    let mut base = None;
    for (epoch, fuel) in [(false, false), (true, false), (false, true), (true, true)] {
        let engine = PluginEngine::new(options(true, epoch, fuel)).unwrap();
        let (plugin, _) = load(&engine);
        let t = measure(rounds, scale, || {
            black_box(score_call(&rt, &plugin, &engine, &wform, &wevals));
        });
        let b = *base.get_or_insert(t);
        println!(
            "   epoch {:<3} fuel {:<3}          {:>10.1} µs  ({:.2}× of neither)",
            if epoch { "on" } else { "off" },
            if fuel { "on" } else { "off" },
            us(t),
            t.as_secs_f64() / b.as_secs_f64()
        );
    }
}
