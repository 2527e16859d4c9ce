//! The scoring benchmark's data and methods (`scoring.rs` describes them):
//! a contact-center QA form, fixed-seed evaluations written through the
//! records service and read back, and the three ways of scoring them — the
//! reference scorer plugin through `Runtime::score`, the same arithmetic
//! compiled natively, and the same rule as a Rhai script — with the check
//! that they agree.

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

use super::measure::{fail, median};
use super::rng::Rng;

/// The plugin every plugin row calls.
pub const PLUGIN: &str = "reference-scorer";
/// The form's id.
pub const FORM_ID: &str = "qa-bench";
/// Agents the evaluations are spread over.
pub const AGENTS: usize = 50;
/// Tolerance for "the same score".
pub const EPS: f64 = 1e-9;
/// Operations one Rhai call may run (a scored evaluation takes a few
/// hundred): the script engine's counterpart of the plugin's fuel.
pub const RHAI_MAX_OPERATIONS: u64 = 100_000;

/// The rule as a user would write it for Rhai: the reference scorer's
/// arithmetic for this form's settings (question weighting, N/A excluded,
/// a failed fatal criterion zeroes the score, min–max), with the same input
/// checks. Settings it does not implement are refused, not approximated.
pub const RHAI_SCORER: &str = r#"
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

/// A yes/no question (0..1).
pub fn yes_no(id: &str, label: &str, weight: f64) -> Criterion {
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
pub fn scale(id: &str, label: &str, weight: f64) -> Criterion {
    Criterion {
        scale_min: 1.0,
        scale_max: 5.0,
        ..yes_no(id, label, weight)
    }
}

/// Counted in the critical sub-score.
pub fn critical(c: Criterion) -> Criterion {
    Criterion {
        critical: true,
        ..c
    }
}

/// Anything below its top fails the evaluation.
pub fn fatal(c: Criterion) -> Criterion {
    Criterion { fatal: true, ..c }
}

pub fn section(id: &str, name: &str, weight: f64, criteria: Vec<Criterion>) -> FormSection {
    FormSection {
        id: id.into(),
        name: name.into(),
        weight,
        criteria,
    }
}

/// A contact-center QA form: four weighted sections of three questions.
pub fn form() -> Form {
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
pub fn answers(form: &Form, rng: &mut Rng) -> Vec<Answer> {
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
pub struct Setup {
    pub runtime_start: Duration,
    pub fuel_off_start: Duration,
    pub agents_and_form: Duration,
    pub staged: Duration,
    pub flushed: Duration,
}

/// Start the host's runtime on the store with `runtime` settings (the
/// reference plugins are installed by the first start and loaded by the
/// second).
pub async fn start_runtime(dir: &Path, store: &Store, runtime: RuntimeConfig) -> Runtime {
    let config = Config {
        data_dir: dir.to_path_buf(),
        runtime,
        ..Config::default()
    };
    Runtime::start(Arc::new(config), store.clone(), Arc::new(Metrics::new()))
        .await
        .unwrap_or_else(|e| fail(format!("runtime did not start: {e:#}")))
}

/// Open the store, start both runtimes (`runtime` as given, then the same
/// with fuel metering off), write agents, the form and `n` evaluations
/// through the records service.
pub async fn set_up(
    dir: &Path,
    n: usize,
    runtime: RuntimeConfig,
) -> (Runtime, Runtime, Records, Setup) {
    let store = Store::open(dir).unwrap_or_else(|e| fail(format!("store: {e}")));
    let fuel_off_config = RuntimeConfig {
        consume_fuel: false,
        ..runtime.clone()
    };
    let t = Instant::now();
    let runtime = start_runtime(dir, &store, runtime).await;
    let runtime_start = t.elapsed();
    let t = Instant::now();
    let fuel_off = start_runtime(dir, &store, fuel_off_config).await;
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
pub fn read_back(records: &Records) -> (Form, Vec<Evaluation>) {
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
pub struct Card {
    pub score: f64,
    pub passed: bool,
    pub auto_failed: bool,
    pub critical: Option<f64>,
    pub sections: Vec<Option<f64>>,
}

/// One timed pass of a method over its evaluations.
pub struct Pass {
    pub wall: Duration,
    /// Time inside the plugin calls (instantiation included), for plugins.
    pub inside: Option<Duration>,
    pub cards: Vec<Card>,
}

/// Score `evals` with scorer `plugin` through `Runtime::score`, `per_call`
/// to a call. Every evaluation must be scored. Awaited from outside the
/// tokio runtime (`block_on`, as `scoring.rs` does) or in a task on a worker
/// thread (as the host's request handlers await their calls).
pub async fn plugin_pass(
    runtime: &Runtime,
    plugin: &str,
    form: &Form,
    evals: &[Evaluation],
    per_call: usize,
) -> Pass {
    let mut cards = Vec::with_capacity(evals.len());
    let mut inside = Duration::ZERO;
    let t = Instant::now();
    for chunk in evals.chunks(per_call) {
        let events = chunk.iter().map(EvaluationEvent::from).collect();
        let report = runtime
            .score(plugin, form.clone(), events)
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
            if c.evaluation_external_id != e.external_id {
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
}

pub fn native_form(f: &Form) -> native::Form {
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

pub fn native_answers(answers: &[Answer]) -> Vec<native::Answer> {
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
pub fn native_pass(form: &Form, evals: &[Evaluation]) -> Pass {
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
pub fn json_to_rhai(v: serde_json::Value) -> Dynamic {
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
pub fn rhai_form(form: &Form) -> Dynamic {
    let json = serde_json::to_value(form).unwrap_or_else(|e| fail(format!("form JSON: {e}")));
    json_to_rhai(json).into_shared()
}

/// One evaluation's answers as a Rhai array of maps (`value` is `()` for
/// N/A): the per-evaluation conversion a Rhai user pays.
pub fn rhai_answers(answers: &[Answer]) -> Dynamic {
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
pub fn rhai_engine() -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(RHAI_MAX_OPERATIONS);
    engine
}

/// The card in the map the script returns.
pub fn rhai_card(m: &Map) -> Card {
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
pub fn rhai_pass(engine: &Engine, ast: &AST, form: &Dynamic, evals: &[Evaluation]) -> Pass {
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

// ---- agreement and rounds ---------------------------------------------------

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < EPS
}

pub fn close_opt(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => close(a, b),
        (None, None) => true,
        _ => false,
    }
}

pub fn agrees(a: &Card, b: &Card) -> bool {
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
pub struct Method<'a> {
    pub name: &'static str,
    pub evaluations: usize,
    /// Median time of the input conversion alone, over all evaluations.
    pub convert: Option<Duration>,
    pub pass: Box<dyn FnMut() -> Pass + 'a>,
    /// Wall time of every round.
    pub walls: Vec<Duration>,
    /// The first round (its cards are checked; later rounds compute the same).
    pub first: Option<Pass>,
}

impl<'a> Method<'a> {
    pub fn new(
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
    pub fn cards(&self) -> &[Card] {
        self.first.as_ref().map_or(&[], |p| &p.cards)
    }

    pub fn per_eval(&self) -> f64 {
        median(self.walls.clone()).as_secs_f64() * 1e6 / self.evaluations as f64
    }
}

/// Run every method `runs` times, rounds interleaved so drift hits them all
/// alike; the first round's cards are kept for the agreement check.
pub fn rounds(methods: &mut [Method], runs: usize) {
    for _ in 0..runs {
        for m in methods.iter_mut() {
            let pass = (m.pass)();
            m.walls.push(pass.wall);
            m.first.get_or_insert(pass);
        }
    }
}

/// How far the methods agree with the baseline's cards.
pub struct Agreement {
    /// Evaluations every method scored alike.
    pub agreeing: usize,
    /// The first few evaluations they did not, described.
    pub disagreements: Vec<String>,
    /// The largest difference of a score from the baseline's.
    pub max_delta: f64,
}

/// Every method's first-round cards against `base`, evaluation by
/// evaluation (`evals` names them). A method that scored a sample (fewer
/// cards) is checked on the evaluations it scored.
pub fn agreement(base: &[Card], methods: &[Method], evals: &[Evaluation]) -> Agreement {
    let mut agreeing = 0;
    let mut disagreements = Vec::new();
    let mut max_delta: f64 = 0.0;
    for (i, b) in base.iter().enumerate() {
        let mut ok = true;
        for m in methods {
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
    Agreement {
        agreeing,
        disagreements,
        max_delta,
    }
}
