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

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{AST, Array, CallFnOptions, Dynamic, Engine, Map, Scope};
use sidecoach::config::{Config, RuntimeConfig};
use sidecoach::metrics::Metrics;
use sidecoach::model::{
    Agent, Answer, AnswerValue, AutoFailPolicy, Criterion, Evaluation, EvaluationEvent, Form,
    FormSection, NaPolicy, NaRedistribution, Normalization, Outcome, ScoringSettings, Weighting,
};
use sidecoach::records::{Filter, Records, Term};
use sidecoach::runtime::Runtime;
use sidecoach::store::Store;

// The reference scorer's own arithmetic (plugins/scoring), compiled natively.
use sidecoach_scoring as native;

/// The plugin every plugin row calls.
const PLUGIN: &str = "reference-scorer";
/// The form's id.
const FORM_ID: &str = "qa-bench";
/// Agents the evaluations are spread over.
const AGENTS: usize = 50;
/// Evaluations in a full run.
const EVALUATIONS: usize = 100_000;
/// Evaluations scored one per call (instantiation dominates; 100,000 would
/// only take longer to say the same).
const UNBATCHED_SAMPLE: usize = 2_000;
/// Tolerance for "the same score".
const EPS: f64 = 1e-9;
/// Operations one Rhai call may run (a scored evaluation takes a few
/// hundred): the script engine's counterpart of the plugin's fuel.
const RHAI_MAX_OPERATIONS: u64 = 100_000;

/// The rule as a user would write it for Rhai: the reference scorer's
/// arithmetic for this form's settings (question weighting, N/A excluded,
/// a failed fatal criterion zeroes the score, min–max), with the same input
/// checks. Settings it does not implement are refused, not approximated.
const RHAI_SCORER: &str = r#"
fn score(form, answers) {
    let st = form.settings;
    if st.weighting != "question" || st.na_policy != "exclude"
        || st.normalization != "min-max" || st.auto_fail != "zero-score"
        || st.allow_bonus || st.critical_threshold != () {
        throw "this script implements question weighting, N/A exclusion, min-max and zero-score only";
    }
    let given = #{};
    for a in answers {
        if a.criterion_id in given {
            throw `criterion ${a.criterion_id} is answered more than once`;
        }
        given[a.criterion_id] = a.value;
    }
    let matched = 0;
    let auto_failed = false;
    let q_earned = 0.0;
    let q_possible = 0.0;
    let c_earned = 0.0;
    let c_possible = 0.0;
    let sections = [];
    for s in form.sections {
        let earned = 0.0;
        let possible = 0.0;
        for c in s.criteria {
            if c.id in given {
                matched += 1;
            }
            let v = given[c.id];
            if v == () {
                continue; // N/A or unanswered: 0 of 0
            }
            if v < c.scale_min || v > c.scale_max {
                throw `${v} is outside the scale of criterion ${c.id}`;
            }
            if c.fatal && v < c.scale_max {
                auto_failed = true;
            }
            let span = c.scale_max - c.scale_min;
            let fraction = if span > 0.0 { (v - c.scale_min) / span } else { 1.0 };
            earned += fraction * c.weight;
            possible += c.weight;
            if c.critical {
                c_earned += fraction * c.weight;
                c_possible += c.weight;
            }
        }
        q_earned += earned * s.weight;
        q_possible += possible * s.weight;
        sections.push(#{
            section_id: s.id,
            earned: earned,
            possible: possible,
            percent: if possible > 0.0 { earned / possible * 100.0 } else { () },
        });
    }
    if matched != answers.len() {
        throw "an answer names a criterion the form does not have";
    }
    if q_possible <= 0.0 {
        throw "nothing to score: every criterion is N/A or carries zero weight";
    }
    let total = q_earned / q_possible * 100.0;
    if total > 100.0 {
        total = 100.0;
    }
    if auto_failed {
        total = 0.0;
    }
    #{
        score: total,
        passed: !auto_failed && total >= st.pass_mark,
        auto_failed: auto_failed,
        critical_score: if c_possible > 0.0 { c_earned / c_possible * 100.0 } else { () },
        sections: sections,
    }
}
"#;

// ---- data ------------------------------------------------------------------

/// splitmix64: a fixed-seed generator, so every run scores the same answers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A yes/no question (0..1).
fn yes_no(id: &str, label: &str, weight: f64) -> Criterion {
    Criterion {
        id: id.into(),
        label: label.into(),
        weight,
        scale_min: 0.0,
        scale_max: 1.0,
        critical: false,
        fatal: false,
        bonus: false,
        topic: None,
    }
}

/// A question on a 1..5 scale.
fn scale(id: &str, label: &str, weight: f64) -> Criterion {
    Criterion {
        scale_min: 1.0,
        scale_max: 5.0,
        ..yes_no(id, label, weight)
    }
}

/// Counted in the critical sub-score.
fn critical(c: Criterion) -> Criterion {
    Criterion {
        critical: true,
        ..c
    }
}

/// Anything below its top fails the evaluation.
fn fatal(c: Criterion) -> Criterion {
    Criterion { fatal: true, ..c }
}

fn section(id: &str, name: &str, weight: f64, criteria: Vec<Criterion>) -> FormSection {
    FormSection {
        id: id.into(),
        name: name.into(),
        weight,
        criteria,
    }
}

/// A contact-center QA form: four weighted sections of three questions.
fn form() -> Form {
    Form {
        id: FORM_ID.into(),
        version: 1,
        name: "Contact-center QA".into(),
        sections: vec![
            section(
                "opening",
                "Opening",
                15.0,
                vec![
                    yes_no("greeting", "Used the standard greeting", 1.0),
                    fatal(yes_no("verify", "Verified the caller's identity", 2.0)),
                    scale("agenda", "Set the agenda for the call", 1.0),
                ],
            ),
            section(
                "discovery",
                "Discovery",
                30.0,
                vec![
                    scale("listening", "Listened actively", 2.0),
                    scale("probing", "Asked effective probing questions", 2.0),
                    yes_no("confirm", "Confirmed understanding of the issue", 1.0),
                ],
            ),
            section(
                "resolution",
                "Resolution",
                40.0,
                vec![
                    critical(scale("resolved", "Resolved the issue correctly", 3.0)),
                    critical(yes_no("policy", "Followed policy and compliance", 2.0)),
                    scale("expectations", "Set clear expectations", 1.0),
                ],
            ),
            section(
                "closing",
                "Closing",
                15.0,
                vec![
                    yes_no("summary", "Summarised the outcome", 1.0),
                    yes_no("more", "Offered further help", 1.0),
                    scale("tone", "Kept a professional tone", 2.0),
                ],
            ),
        ],
        settings: ScoringSettings {
            weighting: Weighting::Question,
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

/// An evaluator's answers: ≈5% N/A; the fatal question fails ≈2% of the
/// time; yes in ≈85%; 1..5 scales skewed towards 4.
fn answers(form: &Form, rng: &mut Rng) -> Vec<Answer> {
    form.sections
        .iter()
        .flat_map(|s| &s.criteria)
        .map(|c| {
            let u = rng.unit();
            let value = if c.fatal {
                match u {
                    u if u < 0.02 => AnswerValue::Score(0.0),
                    u if u < 0.07 => AnswerValue::NotApplicable,
                    _ => AnswerValue::Score(1.0),
                }
            } else if u < 0.05 {
                AnswerValue::NotApplicable
            } else if c.scale_max == 1.0 {
                AnswerValue::Score(if rng.unit() < 0.85 { 1.0 } else { 0.0 })
            } else {
                let r = rng.unit();
                let v = [0.05, 0.15, 0.35, 0.70, 1.0]
                    .iter()
                    .position(|&edge| r < edge)
                    .unwrap_or(4);
                AnswerValue::Score(1.0 + v as f64)
            };
            Answer {
                criterion_id: c.id.clone(),
                value,
                comment: None,
            }
        })
        .collect()
}

/// Timings of the setup.
struct Setup {
    runtime_start: Duration,
    fuel_off_start: Duration,
    agents_and_form: Duration,
    staged: Duration,
    flushed: Duration,
}

/// Start the host's runtime on the store (the reference plugins are
/// installed by the first start and loaded by the second).
async fn start_runtime(dir: &Path, store: &Store, consume_fuel: bool) -> Runtime {
    let config = Config {
        data_dir: dir.to_path_buf(),
        runtime: RuntimeConfig {
            consume_fuel,
            ..RuntimeConfig::default()
        },
        ..Config::default()
    };
    Runtime::start(Arc::new(config), store.clone(), Arc::new(Metrics::new()))
        .await
        .unwrap_or_else(|e| fail(format!("runtime did not start: {e:#}")))
}

/// Open the store, start both runtimes, write agents, the form and `n`
/// evaluations through the records service.
async fn set_up(dir: &Path, n: usize) -> (Runtime, Runtime, Records, Setup) {
    let store = Store::open(dir).unwrap_or_else(|e| fail(format!("store: {e}")));
    let t = Instant::now();
    let runtime = start_runtime(dir, &store, true).await;
    let runtime_start = t.elapsed();
    let t = Instant::now();
    let fuel_off = start_runtime(dir, &store, false).await;
    let fuel_off_start = t.elapsed();

    let records = Records::new(store);
    let t = Instant::now();
    let mut agents = Vec::with_capacity(AGENTS);
    for i in 0..AGENTS {
        let agent = Agent {
            id: String::new(),
            name: format!("Agent {i:02}"),
            email: Some(format!("agent{i:02}@example.com")),
            team_id: None,
            supervisor_id: None,
            coach_id: None,
            identities: vec![format!("bench:agent-{i:02}")],
            created_at: 0,
            merged_into: None,
        };
        let created = records
            .people
            .create_agent(agent)
            .await
            .unwrap_or_else(|e| fail(format!("agent: {e}")));
        agents.push(created.id);
    }
    let form = form();
    records
        .contacts
        .create_form(form.clone())
        .await
        .unwrap_or_else(|e| fail(format!("form: {e}")));
    let agents_and_form = t.elapsed();

    let t = Instant::now();
    let mut rng = Rng(0x5eed_c0ac);
    let base = 1_750_000_000_000; // mid-June 2025, ms
    for i in 0..n {
        let evaluation = Evaluation {
            id: String::new(),
            source: "bench".into(),
            external_id: format!("qa-{i:06}"),
            form_id: FORM_ID.into(),
            form_version: 1,
            interaction_id: None,
            interaction_ref: None,
            agent_id: agents[(rng.next() % AGENTS as u64) as usize].clone(),
            team_id: None,
            evaluator: Some("qa-lead".into()),
            evaluated_at: base + i as i64 * 60_000,
            answers: answers(&form, &mut rng),
            vendor_score: None,
            scorecard: None,
            score_error: None,
        };
        records
            .contacts
            .stage_evaluation(evaluation, None)
            .unwrap_or_else(|e| fail(format!("evaluation {i}: {e}")));
    }
    let staged = t.elapsed();
    let t = Instant::now();
    records
        .flush()
        .await
        .unwrap_or_else(|e| fail(format!("flush: {e}")));
    let flushed = t.elapsed();
    let setup = Setup {
        runtime_start,
        fuel_off_start,
        agents_and_form,
        staged,
        flushed,
    };
    (runtime, fuel_off, records, setup)
}

/// Every evaluation of the form, page by page, as the API lists them.
fn read_back(records: &Records) -> (Form, Vec<Evaluation>) {
    let form = records
        .contacts
        .form(FORM_ID, Some(1))
        .unwrap_or_else(|e| fail(format!("form: {e}")))
        .form;
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = records
            .contacts
            .evaluations(Filter {
                term: Some(Term::Form(FORM_ID.into())),
                cursor,
                limit: Some(1000),
                ..Filter::default()
            })
            .unwrap_or_else(|e| fail(format!("listing: {e}")));
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    (form, all)
}

// ---- the three methods -----------------------------------------------------

/// What every method must agree on, per evaluation: what a caller reads
/// back from a scorer (each pass extracts it inside its timed loop, as a
/// caller storing the result would).
#[derive(Clone, Debug, PartialEq)]
struct Card {
    score: f64,
    passed: bool,
    auto_failed: bool,
    critical: Option<f64>,
    sections: Vec<Option<f64>>,
}

/// One timed pass of a method over its evaluations.
struct Pass {
    wall: Duration,
    /// Time inside the plugin calls (instantiation included), for plugins.
    inside: Option<Duration>,
    cards: Vec<Card>,
}

/// A stored evaluation as the scorer's input event.
fn event(e: &Evaluation) -> EvaluationEvent {
    EvaluationEvent {
        external_id: e.id.clone(),
        form_id: e.form_id.clone(),
        form_version: Some(e.form_version),
        interaction_external_id: None,
        agent_vendor_id: None,
        evaluator_vendor_id: None,
        evaluated_at: Some(e.evaluated_at),
        answers: e.answers.clone(),
        vendor_score: None,
    }
}

/// Score `evals` through `Runtime::score`, `per_call` to a call.
fn plugin_pass(
    rt: &tokio::runtime::Runtime,
    runtime: &Runtime,
    form: &Form,
    evals: &[Evaluation],
    per_call: usize,
) -> Pass {
    rt.block_on(async {
        let mut cards = Vec::with_capacity(evals.len());
        let mut inside = Duration::ZERO;
        let t = Instant::now();
        for chunk in evals.chunks(per_call) {
            let events = chunk.iter().map(event).collect();
            let report = runtime
                .score(PLUGIN, form.clone(), events)
                .await
                .unwrap_or_else(|f| fail(format!("plugin call failed: {}", f.error)));
            inside += report.duration;
            if report.output.len() != chunk.len() {
                fail("the plugin returned a scorecard count unlike its input".into());
            }
            for (result, e) in report.output.iter().zip(chunk) {
                let c = result.as_ref().unwrap_or_else(|err| {
                    fail(format!("plugin refused an evaluation: {}", err.message))
                });
                if c.evaluation_external_id != e.id {
                    fail("plugin scorecards do not line up with the evaluations".into());
                }
                cards.push(Card {
                    score: c.score,
                    passed: c.outcome == Outcome::Pass,
                    auto_failed: c.auto_failed,
                    critical: c.critical_score,
                    sections: c.sections.iter().map(|s| s.percent).collect(),
                });
            }
        }
        Pass {
            wall: t.elapsed(),
            inside: Some(inside),
            cards,
        }
    })
}

fn native_form(f: &Form) -> native::Form {
    let s = &f.settings;
    native::Form {
        sections: f
            .sections
            .iter()
            .map(|s| native::Section {
                id: s.id.clone(),
                weight: s.weight,
                criteria: s
                    .criteria
                    .iter()
                    .map(|c| native::Criterion {
                        id: c.id.clone(),
                        weight: c.weight,
                        scale_min: c.scale_min,
                        scale_max: c.scale_max,
                        critical: c.critical,
                        fatal: c.fatal,
                        bonus: c.bonus,
                    })
                    .collect(),
            })
            .collect(),
        settings: native::Settings {
            weighting: match s.weighting {
                Weighting::Question => native::Weighting::Question,
                Weighting::Section => native::Weighting::Section,
                Weighting::Points => native::Weighting::Points,
            },
            na_policy: match s.na_policy {
                NaPolicy::Exclude => native::NaPolicy::Exclude,
                NaPolicy::CountAsPass => native::NaPolicy::CountAsPass,
            },
            na_redistribution: match s.na_redistribution {
                NaRedistribution::Proportional => native::NaRedistribution::Proportional,
                NaRedistribution::Equal => native::NaRedistribution::Equal,
            },
            auto_fail: match s.auto_fail {
                AutoFailPolicy::ZeroScore => native::AutoFail::ZeroScore,
                AutoFailPolicy::KeepScore => native::AutoFail::KeepScore,
            },
            normalization: match s.normalization {
                Normalization::MinMax => native::Normalization::MinMax,
                Normalization::Raw => native::Normalization::Raw,
            },
            critical_threshold: s.critical_threshold,
            pass_mark: s.pass_mark,
            allow_bonus: s.allow_bonus,
        },
    }
}

fn native_answers(answers: &[Answer]) -> Vec<native::Answer> {
    answers
        .iter()
        .map(|a| native::Answer {
            criterion_id: a.criterion_id.clone(),
            value: match a.value {
                AnswerValue::Score(v) => native::Value::Score(v),
                AnswerValue::NotApplicable => native::Value::NotApplicable,
            },
        })
        .collect()
}

/// Score `evals` with the reference scorer's arithmetic compiled natively.
fn native_pass(form: &Form, evals: &[Evaluation]) -> Pass {
    let mut cards = Vec::with_capacity(evals.len());
    let t = Instant::now();
    let nform = native_form(form);
    for e in evals {
        let c = native::score(&nform, &native_answers(&e.answers))
            .unwrap_or_else(|err| fail(format!("native refused an evaluation: {err:?}")));
        cards.push(Card {
            score: c.score,
            passed: c.passed,
            auto_failed: c.auto_failed,
            critical: c.critical_score,
            sections: c.sections.iter().map(|s| s.percent).collect(),
        });
    }
    Pass {
        wall: t.elapsed(),
        inside: None,
        cards,
    }
}

/// Any JSON value as a Rhai value: how the form (converted once) gets in.
fn json_to_rhai(v: serde_json::Value) -> Dynamic {
    use serde_json::Value;
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => b.into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => i.into(),
            _ => Dynamic::from_float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => s.into(),
        Value::Array(a) => Dynamic::from_array(a.into_iter().map(json_to_rhai).collect()),
        Value::Object(o) => Dynamic::from_map(
            o.into_iter()
                .map(|(k, v)| (k.into(), json_to_rhai(v)))
                .collect(),
        ),
    }
}

/// The form as a shared Rhai value: passing it to each call clones a
/// reference, not the map.
fn rhai_form(form: &Form) -> Dynamic {
    let json = serde_json::to_value(form).unwrap_or_else(|e| fail(format!("form JSON: {e}")));
    json_to_rhai(json).into_shared()
}

/// One evaluation's answers as a Rhai array of maps (`value` is `()` for
/// N/A): the per-evaluation conversion a Rhai user pays.
fn rhai_answers(answers: &[Answer]) -> Dynamic {
    let array: Array = answers
        .iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("criterion_id".into(), a.criterion_id.clone().into());
            m.insert(
                "value".into(),
                match a.value {
                    AnswerValue::Score(v) => Dynamic::from_float(v),
                    AnswerValue::NotApplicable => Dynamic::UNIT,
                },
            );
            Dynamic::from_map(m)
        })
        .collect();
    Dynamic::from_array(array)
}

/// A script engine as a user embedding untrusted rules would set it up.
fn rhai_engine() -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(RHAI_MAX_OPERATIONS);
    engine
}

/// The card in the map the script returns.
fn rhai_card(m: &Map) -> Card {
    let float = |m: &Map, k: &str| m.get(k).and_then(|v| v.as_float().ok());
    let flag = |k: &str| m.get(k).and_then(|v| v.as_bool().ok());
    let sections = m
        .get("sections")
        .and_then(|s| s.read_lock::<Array>())
        .map(|a| {
            a.iter()
                .map(|s| s.read_lock::<Map>().and_then(|s| float(&s, "percent")))
                .collect()
        })
        .unwrap_or_default();
    Card {
        score: float(m, "score").unwrap_or(f64::NAN),
        passed: flag("passed").unwrap_or(false),
        auto_failed: flag("auto_failed").unwrap_or(false),
        critical: float(m, "critical_score"),
        sections,
    }
}

/// Score `evals` by calling the script's `score(form, answers)` once each.
fn rhai_pass(engine: &Engine, ast: &AST, form: &Dynamic, evals: &[Evaluation]) -> Pass {
    let mut cards = Vec::with_capacity(evals.len());
    let mut scope = Scope::new();
    let t = Instant::now();
    for e in evals {
        // The AST holds only the function: nothing to evaluate before a call.
        let options = CallFnOptions::new().eval_ast(false);
        let answers = rhai_answers(&e.answers);
        let card = engine
            .call_fn_with_options::<Map>(options, &mut scope, ast, "score", (form.clone(), answers))
            .unwrap_or_else(|err| fail(format!("the Rhai script failed: {err}")));
        cards.push(rhai_card(&card));
    }
    Pass {
        wall: t.elapsed(),
        inside: None,
        cards,
    }
}

// ---- measuring and reporting -------------------------------------------------

fn fail(message: String) -> ! {
    eprintln!("scoring bench: {message}");
    std::process::exit(1)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median time of `runs` runs of `f`.
fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < EPS
}

fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn agrees(a: &Card, b: &Card) -> bool {
    close(a.score, b.score)
        && a.passed == b.passed
        && a.auto_failed == b.auto_failed
        && close_opt(a.critical, b.critical)
        && a.sections.len() == b.sections.len()
        && a.sections
            .iter()
            .zip(&b.sections)
            .all(|(x, y)| close_opt(*x, *y))
}

/// One way of scoring, as measured and reported.
struct Method<'a> {
    name: &'static str,
    evaluations: usize,
    /// Median time of the input conversion alone, over all evaluations.
    convert: Option<Duration>,
    pass: Box<dyn FnMut() -> Pass + 'a>,
    /// Wall time of every round.
    walls: Vec<Duration>,
    /// The first round (its cards are checked; later rounds compute the same).
    first: Option<Pass>,
}

impl<'a> Method<'a> {
    fn new(
        name: &'static str,
        evaluations: usize,
        convert: Option<Duration>,
        pass: Box<dyn FnMut() -> Pass + 'a>,
    ) -> Method<'a> {
        Method {
            name,
            evaluations,
            convert,
            pass,
            walls: Vec::new(),
            first: None,
        }
    }

    /// The first round's cards.
    fn cards(&self) -> &[Card] {
        self.first.as_ref().map_or(&[], |p| &p.cards)
    }

    fn per_eval(&self) -> f64 {
        median(self.walls.clone()).as_secs_f64() * 1e6 / self.evaluations as f64
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a listing; there are no named cases.
    }
    let quick = std::env::var_os("SIDECOACH_BENCH_QUICK").is_some();
    let (n, runs) = if quick {
        (EVALUATIONS / 10, 1)
    } else {
        (EVALUATIONS, 3)
    };
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("sidecoach scoring benchmark: {n} stored evaluations, median of {runs} run(s)");
    println!(
        "machine: {cores} cores{}, {} {}{}\n",
        cpu_model().map_or(String::new(), |m| format!(" ({m})")),
        std::env::consts::OS,
        std::env::consts::ARCH,
        if cfg!(debug_assertions) {
            ", DEBUG build: numbers mean little"
        } else {
            ""
        }
    );

    // ---- setup ----
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("tokio: {e}")));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(format!("temp dir: {e}")));
    let (runtime, fuel_off, records, setup) = rt.block_on(set_up(dir.path(), n));
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
            black_box(chunk.iter().map(event).collect::<Vec<_>>());
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
            Box::new(|| plugin_pass(rt, &runtime, form, evals, 1000)),
        ),
        method(
            "plugin, 100 per call",
            n,
            Some(conv_plugin),
            Box::new(|| plugin_pass(rt, &runtime, form, evals, 100)),
        ),
        method(
            "plugin, 1 per call (sample)",
            sample.len(),
            None,
            Box::new(|| plugin_pass(rt, &runtime, form, sample, 1)),
        ),
        method(
            "plugin, 1,000 per call, fuel off",
            n,
            Some(conv_plugin),
            Box::new(|| plugin_pass(rt, &fuel_off, form, evals, 1000)),
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
    plugin_pass(rt, &runtime, form, warm, 1000);
    plugin_pass(rt, &fuel_off, form, warm, 1000);
    black_box(native_pass(form, warm));
    black_box(rhai_pass(&engine, &ast, &rform, warm));
    for _ in 0..runs {
        for m in &mut methods {
            let pass = (m.pass)();
            m.walls.push(pass.wall);
            m.first.get_or_insert(pass);
        }
    }

    // ---- agreement: every method against native, evaluation by evaluation ----
    let native_at = methods
        .iter()
        .position(|m| m.name.starts_with("native"))
        .unwrap_or_else(|| fail("no native row".into()));
    let base = methods[native_at].cards();
    let mut agreeing = 0;
    let mut disagreements = Vec::new();
    let mut max_delta: f64 = 0.0;
    for (i, b) in base.iter().enumerate() {
        let mut ok = true;
        for m in &methods {
            // The unbatched sample covers the first evaluations only.
            let Some(other) = m.cards().get(i) else {
                continue;
            };
            max_delta = max_delta.max((other.score - b.score).abs());
            if !agrees(b, other) {
                ok = false;
                if disagreements.len() < 5 {
                    disagreements.push(format!(
                        "  {}: native {b:?}\n    vs {} {other:?}",
                        evals[i].external_id, m.name
                    ));
                }
            }
        }
        agreeing += usize::from(ok);
    }
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
        for d in &disagreements {
            eprintln!("{d}");
        }
        std::process::exit(1);
    }
}
