//! Fuzz harness for what the host accepts from plugins: scorer cards
//! through [`Scorecard::check`] and vendor records (adapter output) through
//! the records services, each then written to a real sled store.
//!
//! A stable-Rust property harness (no nightly, no cargo-fuzz): a fixed-seed
//! xorshift generator builds inputs around seeds taken from the vendor
//! fixtures (the Amazon Connect evaluation form of
//! `tests/data/vendors/amazon-connect_evaluation-output.json`, the Contact
//! Lens sentiment scale, a Zendesk 1..2 rating), mixing in the values that
//! break hosts: NaN, ±∞, −0, huge and tiny numbers, ids not on the form,
//! duplicate sections, empty and very long strings. Properties:
//!
//! 1. nothing panics;
//! 2. a card `check` accepts has only finite numbers, sections on the form
//!    (once each), a score within bounds and an outcome consistent with
//!    auto-fail — and an evaluation carrying it is stored and reads back
//!    equal;
//! 3. a card with any non-finite number is refused by `check`, and the
//!    store refuses to write it even when asked directly (it would read back
//!    as `null`);
//! 4. a vendor interaction or rating the records service accepts reads
//!    back equal, and a listing never reports it unreadable.
//!
//! Prints inputs tried, panics and property violations per target; exits
//! non-zero on any. Run with `cargo bench -p sidecoach --bench fuzz_outputs`
//! (60 s); `SIDECOACH_FUZZ_SECONDS=N` sets the time, `SIDECOACH_FUZZ_SEED`
//! the seed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use sidecoach::model::{
    AutoFailPolicy, Channel, Criterion, Direction, Evaluation, Feedback, Form, FormSection,
    Interaction, NaPolicy, NaRedistribution, Normalization, Outcome, RatingKind, Scorecard,
    ScoringSettings, SectionScore, Sentiment, StoredScorecard, Weighting,
};
use sidecoach::records::{Filter, Records};
use sidecoach::store::{Store, WriteError};

/// xorshift64*: small, fast and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// A number a plugin might return, honest or not.
    fn number(&mut self, honest: (f64, f64)) -> f64 {
        const NASTY: [f64; 12] = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            -250.0,
            100.000_000_1,
            79.999_999_9,
            f64::MAX,
            f64::EPSILON,
        ];
        if self.chance(4) {
            *self.pick(&NASTY)
        } else {
            let unit = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
            honest.0 + unit * (honest.1 - honest.0)
        }
    }
    fn maybe(&mut self, honest: (f64, f64)) -> Option<f64> {
        (!self.chance(3)).then(|| self.number(honest))
    }
    fn text(&mut self, seeds: &[&str]) -> String {
        match self.below(8) {
            0 => String::new(),
            1 => "x".repeat(10_000),
            2 => "é\u{0}\u{202e}😀".into(),
            _ => (*self.pick(seeds)).to_string(),
        }
    }
}

/// The Amazon Connect evaluation form of the fixture (as the adapter
/// tests create it), with the bonus switch and pass mark varied.
fn connect_form(rng: &mut Rng) -> Form {
    let criterion = |id: &str, max: f64| Criterion {
        id: id.into(),
        label: id.into(),
        weight: 1.0,
        scale_min: if max > 1.0 { 1.0 } else { 0.0 },
        scale_max: max,
        critical: false,
        fatal: false,
        bonus: false,
        topic: None,
    };
    Form {
        id: "15d8fbf1-b4b2-4ace-869b-82714e2f6e3e".into(),
        version: 2,
        name: "Compliance Evaluation Form".into(),
        sections: vec![FormSection {
            id: "s46661c49".into(),
            name: "The title of the subsection".into(),
            weight: 1.0,
            criteria: vec![criterion("q570b206a", 10.0), criterion("q73bc5b9d", 100.0)],
        }],
        settings: ScoringSettings {
            weighting: Weighting::Question,
            na_policy: NaPolicy::Exclude,
            na_redistribution: NaRedistribution::Proportional,
            auto_fail: AutoFailPolicy::ZeroScore,
            normalization: Normalization::MinMax,
            critical_threshold: None,
            pass_mark: *rng.pick(&[0.0, 80.0, 100.0]),
            allow_bonus: rng.chance(3),
        },
        scorer: None,
    }
}

const EVALUATION: &str = "fb90de35-4507-479a-8b57-970290fd5c2c";

fn card(rng: &mut Rng) -> Scorecard {
    let sections = (0..rng.below(4))
        .map(|_| SectionScore {
            section_id: rng.text(&["s46661c49", "s46661c49", "upsell"]),
            earned: rng.number((0.0, 2.0)),
            possible: rng.number((0.0, 2.0)),
            percent: rng.maybe((0.0, 100.0)),
        })
        .collect();
    Scorecard {
        evaluation_external_id: rng.text(&[EVALUATION, EVALUATION, EVALUATION, "other"]),
        score: rng.number((0.0, 110.0)),
        outcome: *rng.pick(&[Outcome::Pass, Outcome::Fail]),
        critical_score: rng.maybe((0.0, 100.0)),
        auto_failed: rng.chance(4),
        sections,
    }
}

fn numbers_of(c: &Scorecard) -> Vec<f64> {
    let mut n = vec![c.score];
    n.extend(c.critical_score);
    for s in &c.sections {
        n.extend([s.earned, s.possible]);
        n.extend(s.percent);
    }
    n
}

fn evaluation(n: u64, card: Scorecard) -> Evaluation {
    Evaluation {
        id: format!("01FUZZ{n:020}"),
        source: "fuzz".into(),
        external_id: format!("e-{n}"),
        form_id: "15d8fbf1-b4b2-4ace-869b-82714e2f6e3e".into(),
        form_version: 2,
        interaction_id: None,
        interaction_ref: None,
        agent_id: "a1".into(),
        team_id: None,
        evaluator: None,
        evaluated_at: 1_000 + n as i64,
        answers: Vec::new(),
        vendor_score: None,
        scorecard: Some(StoredScorecard {
            card,
            plugin_id: "fuzz".into(),
            plugin_version: "1".into(),
            scored_at: 1,
        }),
        score_error: None,
    }
}

/// Totals for one target.
#[derive(Default)]
struct Tally {
    tried: u64,
    accepted: u64,
    panics: u64,
    violations: Vec<String>,
}

impl Tally {
    fn violation(&mut self, what: String) {
        if self.violations.len() < 10 {
            self.violations.push(what);
        } else {
            self.violations.push(String::new());
        }
    }
}

fn scorecards(rng: &mut Rng, store: &Store, n: u64, t: &mut Tally) {
    let form = connect_form(rng);
    let c = card(rng);
    t.tried += 1;
    let checked = catch_unwind(AssertUnwindSafe(|| c.check(&form, EVALUATION)));
    let Ok(checked) = checked else {
        t.panics += 1;
        return;
    };
    let finite = numbers_of(&c).iter().all(|v| v.is_finite());
    match checked {
        Ok(()) => {
            t.accepted += 1;
            let mut seen = std::collections::HashSet::new();
            let sections_ok = c.sections.iter().all(|s| {
                form.sections.iter().any(|f| f.id == s.section_id)
                    && seen.insert(s.section_id.clone())
            });
            let bounded = c.score >= 0.0 && (form.settings.allow_bonus || c.score <= 100.0);
            let outcome_ok = !(c.auto_failed && c.outcome == Outcome::Pass);
            if !(finite && sections_ok && bounded && outcome_ok) {
                t.violation(format!("check accepted {c:?}"));
                return;
            }
            let e = evaluation(n, c);
            match store.evaluations.upsert(e.clone()) {
                Ok(_) => match store.evaluations.get::<Evaluation>(&e.id) {
                    Ok(Some(back)) if back == e => {}
                    other => t.violation(format!("{} read back as {other:?}", e.id)),
                },
                Err(err) => t.violation(format!("a checked card was not stored: {err}")),
            }
        }
        Err(_) if finite => {}
        Err(_) => {
            // Refused by the check; the store must refuse it on its own too.
            let e = evaluation(n, c);
            match store.evaluations.upsert(e.clone()) {
                Err(WriteError::Unreadable { .. }) => {}
                other => t.violation(format!("the store took a non-finite card: {other:?}")),
            }
        }
    }
}

fn vendor_records(rng: &mut Rng, records: &Records, n: u64, t: &mut Tally) {
    t.tried += 1;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if rng.chance(2) {
            let i = Interaction {
                id: String::new(),
                source: "fuzz".into(),
                external_id: rng.text(&["badd4896-75f7-43b3-bee6-c617ed3d04cb", "c-2"]),
                agent_id: None,
                team_id: None,
                channel: Channel::Voice,
                direction: Direction::Inbound,
                started_at: Some(1_714_557_600_000),
                ended_at: Some(1_714_557_900_000 - rng.below(2) as i64 * 600_000),
                handle_ms: Some(rng.next() % 1_000_000),
                talk_ms: None,
                agent_talk_ms: rng.chance(2).then(|| rng.next() % 1_000_000),
                customer_talk_ms: None,
                alert_ms: None,
                answer_ms: None,
                hold_ms: None,
                after_work_ms: None,
                non_talk_ms: None,
                agent_interruptions: None,
                related_external_ids: Vec::new(),
                queue: Some(rng.text(&["Billing"])),
                topics: vec![rng.text(&["agent-intro", "billing"])],
                sentiment: Some(Sentiment {
                    customer: rng.maybe((-5.0, 5.0)),
                    agent: rng.maybe((-5.0, 5.0)),
                    customer_final_quarter: rng.maybe((-5.0, 5.0)),
                }),
                wrap_up: None,
                issues: vec![rng.text(&["I want a refund"])],
                outcomes: Vec::new(),
                action_items: Vec::new(),
                updated_at: None,
                received_at: 0,
            };
            records
                .contacts
                .stage_interaction(i, None)
                .map(|(_, r)| (r.id.clone(), "interaction"))
        } else {
            let f = Feedback {
                id: String::new(),
                source: "fuzz".into(),
                external_id: format!("r-{n}"),
                kind: RatingKind::Csat,
                value: rng.number((1.0, 2.0)),
                scale_min: rng.number((1.0, 1.0)),
                scale_max: rng.number((2.0, 2.0)),
                interaction_id: None,
                interaction_ref: None,
                agent_id: None,
                team_id: None,
                topics: Vec::new(),
                verbatim: Some(rng.text(&["Great service"])),
                received_at: 0,
            };
            records
                .contacts
                .stage_feedback(f, None)
                .map(|(_, r)| (r.id.clone(), "feedback"))
        }
    }));
    match outcome {
        Err(_) => t.panics += 1,
        // Refusing what validation let through is the store's last guard,
        // not a way to lose finite, valid input.
        Ok(Err(e)) if e.to_string().contains("would not read back") => {
            t.violation(format!("a validated record was refused by the store: {e}"))
        }
        Ok(Err(_)) => {}
        Ok(Ok((id, kind))) => {
            t.accepted += 1;
            let readable = match kind {
                "interaction" => records.contacts.interaction(&id).is_ok(),
                _ => records.contacts.feedback(&id).is_ok(),
            };
            if !readable {
                t.violation(format!("accepted {kind} {id} does not read back"));
            }
        }
    }
}

fn report(name: &str, t: &Tally) -> bool {
    println!(
        "{name:<16} {:>9} inputs  {:>8} accepted  {:>3} panics  {:>3} violations",
        t.tried,
        t.accepted,
        t.panics,
        t.violations.len()
    );
    for v in t.violations.iter().filter(|v| !v.is_empty()) {
        println!("  violation: {v}");
    }
    t.panics == 0 && t.violations.is_empty()
}

fn main() {
    let seconds: u64 = std::env::var("SIDECOACH_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed: u64 = std::env::var("SIDECOACH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_c0ac);
    // The harness counts panics itself; keep their messages off the report.
    std::panic::set_hook(Box::new(|_| {}));
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let records = Records::new(store.clone());
    let mut rng = Rng(seed | 1);
    let (mut cards, mut vendor) = (Tally::default(), Tally::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut n = 0u64;
    while Instant::now() < deadline {
        for _ in 0..256 {
            n += 1;
            scorecards(&mut rng, &store, n, &mut cards);
            vendor_records(&mut rng, &records, n, &mut vendor);
        }
    }
    let listed = records
        .contacts
        .evaluations(Filter {
            limit: Some(1000),
            ..Filter::default()
        })
        .expect("listing");
    println!("fuzz_outputs: seed {seed:#x}, {seconds} s");
    let ok = report("scorer cards", &cards) & report("vendor records", &vendor);
    println!(
        "listing after the run: {} evaluations on the first page, {} unreadable",
        listed.items.len(),
        listed.unreadable.len()
    );
    if !ok || !listed.unreadable.is_empty() {
        std::process::exit(1);
    }
}
