//! Property tests of the scoring arithmetic in [`crate`].
//!
//! The unit tests in `lib.rs` pin the published figures; these pin the
//! invariants that must hold for *every* valid form under *every* combination
//! of switches: bounded, finite scores, clear errors instead of NaN, the
//! auto-fail policies, and independence from the order of the answers.
//!
//! Forms are generated with 1–4 sections of 1–5 criteria, weights ≥ 0 (zero
//! now and then), scales with min < max (integer and fractional, negative
//! minimums under min-max), random critical, fatal and bonus flags and random
//! settings. Answers are each a scale point (the min, the max or in between),
//! an explicit N/A or missing.

use proptest::prelude::*;
use proptest::sample::Index;

use crate::{Answer, SectionScore};
use crate::{
    AutoFail, Criterion, Form, NaPolicy, NaRedistribution, Normalization, ScoreError, Scorecard,
    Section, Settings, Value, Weighting, score, validate_form,
};

/// Tolerance for comparisons of percentages computed in different orders.
const EPS: f64 = 1e-9;

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

fn arb_settings() -> impl Strategy<Value = Settings> {
    (
        prop_oneof![
            Just(Weighting::Question),
            Just(Weighting::Section),
            Just(Weighting::Points)
        ],
        prop_oneof![Just(NaPolicy::Exclude), Just(NaPolicy::CountAsPass)],
        prop_oneof![
            Just(NaRedistribution::Proportional),
            Just(NaRedistribution::Equal)
        ],
        prop_oneof![Just(AutoFail::ZeroScore), Just(AutoFail::KeepScore)],
        prop_oneof![Just(Normalization::MinMax), Just(Normalization::Raw)],
        proptest::option::of(prop_oneof![Just(0.0), Just(0.5), Just(1.0), 0.0..=1.0]),
        prop_oneof![Just(0.0), Just(80.0), Just(100.0), 0.0..=100.0],
        any::<bool>(),
    )
        .prop_map(
            |(
                weighting,
                na_policy,
                na_redistribution,
                auto_fail,
                normalization,
                critical_threshold,
                pass_mark,
                allow_bonus,
            )| Settings {
                weighting,
                na_policy,
                na_redistribution,
                auto_fail,
                normalization,
                critical_threshold,
                pass_mark,
                allow_bonus,
            },
        )
}

/// A weight ≥ 0: zero now and then, integers (points) and fractions.
fn arb_weight() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        3 => (1..=10u8).prop_map(f64::from),
        3 => 0.01..100.0,
    ]
}

/// A scale `(min, max)` with min < max: 0..1, 1..5, 0..10 and random ones,
/// negative minimums included.
fn arb_scale() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        Just((0.0, 1.0)),
        Just((1.0, 5.0)),
        Just((0.0, 10.0)),
        ((-5..=5i8), (1..=10u8))
            .prop_map(|(min, span)| (f64::from(min), f64::from(min) + f64::from(span))),
        (-10.0..10.0, 0.1..20.0).prop_map(|(min, span): (f64, f64)| (min, min + span)),
    ]
}

/// One criterion without its id: weight, scale and the three flags.
fn arb_criterion() -> impl Strategy<Value = (f64, (f64, f64), bool, bool, bool)> {
    (
        arb_weight(),
        arb_scale(),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.15),
    )
}

/// A valid form: 1–4 sections of 1–5 criteria with unique ids `s{i}c{j}`.
fn arb_form() -> impl Strategy<Value = Form> {
    let section = (arb_weight(), prop::collection::vec(arb_criterion(), 1..=5));
    (prop::collection::vec(section, 1..=4), arb_settings()).prop_map(|(sections, settings)| {
        let sections = sections
            .into_iter()
            .enumerate()
            .map(|(s, (weight, criteria))| Section {
                id: format!("s{s}"),
                weight,
                criteria: criteria
                    .into_iter()
                    .enumerate()
                    .map(|(c, (weight, (min, max), critical, fatal, bonus))| {
                        // Raw points need a scale starting at 0 or above.
                        let shift = match settings.normalization {
                            Normalization::Raw => (-min).max(0.0),
                            Normalization::MinMax => 0.0,
                        };
                        Criterion {
                            id: format!("s{s}c{c}"),
                            weight,
                            scale_min: min + shift,
                            scale_max: max + shift,
                            critical,
                            fatal,
                            bonus,
                        }
                    })
                    .collect(),
            })
            .collect();
        Form { sections, settings }
    })
}

/// What an evaluation says about one criterion.
#[derive(Debug, Clone, Copy)]
enum Choice {
    /// The bottom of the scale.
    Min,
    /// The top of the scale.
    Max,
    /// This fraction of the way from min to max.
    Between(f64),
    /// An explicit N/A.
    NotApplicable,
    /// No answer at all (treated as N/A).
    Missing,
}

fn arb_choice() -> impl Strategy<Value = Choice> {
    prop_oneof![
        2 => Just(Choice::Min),
        3 => Just(Choice::Max),
        4 => (0.0..1.0).prop_map(Choice::Between),
        1 => Just(Choice::NotApplicable),
        1 => Just(Choice::Missing),
    ]
}

/// The value a choice selects on a criterion's scale (always within it).
fn value_of(c: &Criterion, choice: Choice) -> Option<Value> {
    match choice {
        Choice::Min => Some(Value::Score(c.scale_min)),
        Choice::Max => Some(Value::Score(c.scale_max)),
        Choice::Between(u) => {
            let v = c.scale_min + u * (c.scale_max - c.scale_min);
            Some(Value::Score(v.clamp(c.scale_min, c.scale_max)))
        }
        Choice::NotApplicable => Some(Value::NotApplicable),
        Choice::Missing => None,
    }
}

fn criteria(form: &Form) -> impl Iterator<Item = &Criterion> {
    form.sections.iter().flat_map(|s| s.criteria.iter())
}

fn criteria_mut(form: &mut Form) -> impl Iterator<Item = &mut Criterion> {
    form.sections.iter_mut().flat_map(|s| s.criteria.iter_mut())
}

/// The answers the choices make, in form order (missing ones left out).
fn answers(form: &Form, choices: &[Choice]) -> Vec<Answer> {
    criteria(form)
        .zip(choices)
        .filter_map(|(c, &choice)| {
            value_of(c, choice).map(|value| Answer {
                criterion_id: c.id.clone(),
                value,
            })
        })
        .collect()
}

/// Fewer cases than proptest's default would find less; more costs seconds.
/// Failures are not persisted: the shrunk input is in the test output.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A form with one choice per criterion.
fn arb_evaluation() -> impl Strategy<Value = (Form, Vec<Choice>)> {
    arb_form().prop_flat_map(|form| {
        let n = criteria(&form).count();
        (Just(form), prop::collection::vec(arb_choice(), n))
    })
}

/// Every criterion answered at the top of its scale.
fn full_marks(form: &Form) -> Vec<Answer> {
    answers(form, &vec![Choice::Max; criteria(form).count()])
}

/// Whether some regular (non-bonus) criterion carries weight that counts under
/// the form's weighting: otherwise the form has nothing to divide by.
fn carries_weight(form: &Form) -> bool {
    form.sections.iter().any(|s| {
        (form.settings.weighting == Weighting::Points || s.weight > 0.0)
            && s.criteria
                .iter()
                .any(|c| !c.bonus && c.weight > 0.0 && full_points_positive(c, form))
    })
}

fn full_points_positive(c: &Criterion, form: &Form) -> bool {
    match form.settings.normalization {
        Normalization::MinMax => true,
        Normalization::Raw => c.scale_max > 0.0,
    }
}

fn not_computable_message(result: &Result<Scorecard, ScoreError>) -> Option<&str> {
    match result {
        Err(ScoreError::NotComputable(message)) => Some(message),
        _ => None,
    }
}

fn assert_sub_scores_within_bounds(form: &Form, card: &Scorecard) -> Result<(), TestCaseError> {
    if let Some(critical) = card.critical_score {
        prop_assert!(
            critical.is_finite() && (-EPS..=100.0 + EPS).contains(&critical),
            "critical sub-score {critical}"
        );
    }
    prop_assert_eq!(card.sections.len(), form.sections.len());
    for (
        section,
        SectionScore {
            section_id,
            earned,
            possible,
            percent,
        },
    ) in form.sections.iter().zip(&card.sections)
    {
        prop_assert_eq!(section_id, &section.id);
        prop_assert!(
            earned.is_finite() && *earned >= -EPS,
            "{section_id} earned {earned}"
        );
        prop_assert!(
            possible.is_finite() && *possible >= 0.0,
            "{section_id} possible {possible}"
        );
        prop_assert_eq!(percent.is_some(), *possible > 0.0);
        if let Some(p) = *percent {
            prop_assert!(p.is_finite() && p >= -EPS, "{section_id} percent {p}");
            // Bonus points may lift a section above its possible points.
            if section.criteria.iter().all(|c| !c.bonus) {
                prop_assert!(p <= 100.0 + EPS, "{section_id} percent {p}");
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_forms_are_valid(form in arb_form()) {
        prop_assert_eq!(validate_form(&form), Ok(()));
    }

    #[test]
    fn score_is_finite_and_within_bounds((form, choices) in arb_evaluation()) {
        match score(&form, &answers(&form, &choices)) {
            Ok(card) => {
                prop_assert!(card.score.is_finite(), "score {}", card.score);
                prop_assert!(card.score >= -EPS, "score {}", card.score);
                if !form.settings.allow_bonus {
                    prop_assert!(card.score <= 100.0 + EPS, "score {}", card.score);
                }
                assert_sub_scores_within_bounds(&form, &card)?;
            }
            // Valid answers to a valid form are never invalid input.
            Err(ScoreError::NotComputable(message)) => {
                prop_assert!(message.starts_with("nothing to score"), "{message}");
            }
            Err(other) => prop_assert!(false, "valid input rejected: {other:?}"),
        }
    }

    #[test]
    fn full_marks_score_100_and_pass((mut form, _) in arb_evaluation()) {
        for c in criteria_mut(&mut form) {
            c.bonus = false;
        }
        let result = score(&form, &full_marks(&form));
        if carries_weight(&form) {
            let card = result.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert!((card.score - 100.0).abs() < EPS, "score {}", card.score);
            prop_assert!(card.passed, "pass mark {}", form.settings.pass_mark);
            prop_assert!(!card.auto_failed);
            if let Some(critical) = card.critical_score {
                prop_assert!((critical - 100.0).abs() < EPS);
            }
        } else {
            let message = not_computable_message(&result);
            prop_assert!(message.is_some_and(|m| m.contains("zero weight")), "{result:?}");
        }
    }

    #[test]
    fn all_na_under_exclude_is_not_computable(
        mut form in arb_form(),
        explicit in prop::collection::vec(any::<bool>(), 20),
    ) {
        form.settings.na_policy = NaPolicy::Exclude;
        let answers: Vec<Answer> = criteria(&form)
            .zip(&explicit)
            .filter(|(_, explicit)| **explicit)
            .map(|(c, _)| Answer { criterion_id: c.id.clone(), value: Value::NotApplicable })
            .collect();
        let result = score(&form, &answers);
        let message = not_computable_message(&result);
        prop_assert!(
            message.is_some_and(|m| m.contains("N/A")),
            "expected a not-computable error naming N/A, got {result:?}"
        );
    }

    #[test]
    fn zero_criterion_weights_are_a_clear_error((mut form, choices) in arb_evaluation()) {
        for c in criteria_mut(&mut form) {
            c.weight = 0.0;
            c.fatal = false;
        }
        let result = score(&form, &answers(&form, &choices));
        let message = not_computable_message(&result);
        prop_assert!(
            message.is_some_and(|m| m.contains("zero weight")),
            "expected a not-computable error naming zero weight, got {result:?}"
        );
    }

    #[test]
    fn zero_section_weights_are_a_clear_error_unless_points_ignore_them(
        (mut form, choices) in arb_evaluation(),
    ) {
        for s in &mut form.sections {
            s.weight = 0.0;
        }
        for c in criteria_mut(&mut form) {
            c.fatal = false;
        }
        prop_assume!(form.settings.weighting != Weighting::Points);
        let result = score(&form, &answers(&form, &choices));
        let message = not_computable_message(&result);
        prop_assert!(
            message.is_some_and(|m| m.contains("zero weight")),
            "expected a not-computable error naming zero weight, got {result:?}"
        );
    }

    #[test]
    fn a_single_criterion_scores_its_min_max_fraction(
        settings in arb_settings(),
        (scale_min, scale_max) in arb_scale(),
        weight in 0.01..100.0f64,
        section_weight in 0.01..100.0f64,
        critical in any::<bool>(),
        choice in prop_oneof![Just(Choice::Min), Just(Choice::Max), (0.0..1.0).prop_map(Choice::Between)],
    ) {
        let criterion = Criterion {
            id: "only".into(),
            weight,
            scale_min,
            scale_max,
            critical,
            fatal: false,
            bonus: false,
        };
        let Some(Value::Score(v)) = value_of(&criterion, choice) else { unreachable!() };
        let form = Form {
            sections: vec![Section { id: "s".into(), weight: section_weight, criteria: vec![criterion] }],
            settings: Settings { normalization: Normalization::MinMax, ..settings },
        };
        let card = score(&form, &[Answer { criterion_id: "only".into(), value: Value::Score(v) }])
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let expected = (v - scale_min) / (scale_max - scale_min) * 100.0;
        prop_assert!((card.score - expected).abs() < 1e-9, "{} vs {expected}", card.score);
        if critical {
            prop_assert!((card.critical_score.unwrap() - expected).abs() < 1e-9);
        }
    }

    #[test]
    fn zero_score_auto_fail_zeroes_and_fails(
        (mut form, mut choices) in arb_evaluation(),
        which in any::<Index>(),
        below in prop_oneof![Just(Choice::Min), (0.0..0.999).prop_map(Choice::Between)],
    ) {
        form.settings.auto_fail = AutoFail::ZeroScore;
        let i = which.index(choices.len());
        criteria_mut(&mut form).nth(i).unwrap().fatal = true;
        choices[i] = below;
        let result = score(&form, &answers(&form, &choices));
        // Even with nothing else to divide by: a failed kill question is 0%.
        let Ok(card) = result else {
            return Err(TestCaseError::fail(format!("expected 0 and fail, got {result:?}")));
        };
        prop_assert_eq!(card.score, 0.0);
        prop_assert!(card.auto_failed);
        prop_assert!(!card.passed);
    }

    #[test]
    fn keep_score_auto_fail_keeps_the_score_and_fails(
        (mut form, mut choices) in arb_evaluation(),
        which in any::<Index>(),
        below in prop_oneof![Just(Choice::Min), (0.0..0.999).prop_map(Choice::Between)],
    ) {
        form.settings.auto_fail = AutoFail::KeepScore;
        let i = which.index(choices.len());
        choices[i] = below;
        for c in criteria_mut(&mut form) {
            c.fatal = false;
        }
        let without = score(&form, &answers(&form, &choices));
        criteria_mut(&mut form).nth(i).unwrap().fatal = true;
        let with = score(&form, &answers(&form, &choices));
        match (without, with) {
            (Ok(without), Ok(with)) => {
                prop_assert_eq!(with.score, without.score);
                prop_assert_eq!(&with.sections, &without.sections);
                prop_assert_eq!(with.critical_score, without.critical_score);
                prop_assert!(with.auto_failed && !without.auto_failed);
                prop_assert!(!with.passed);
            }
            (Err(ScoreError::NotComputable(_)), Err(ScoreError::NotComputable(_))) => {}
            (without, with) => prop_assert!(false, "without fatal {without:?}, with {with:?}"),
        }
    }

    #[test]
    fn answer_order_does_not_matter(
        (form, shuffled) in arb_evaluation().prop_flat_map(|(form, choices)| {
            let answers = answers(&form, &choices);
            (Just(form), Just(answers).prop_shuffle())
        }),
    ) {
        let in_order = {
            let mut sorted = shuffled.clone();
            let position = |id: &str| criteria(&form).position(|c| c.id == id);
            sorted.sort_by_key(|a| position(&a.criterion_id));
            sorted
        };
        prop_assert_eq!(score(&form, &shuffled), score(&form, &in_order));
    }

    #[test]
    fn validate_form_names_the_malformed_field(
        form in arb_form(),
        which in any::<Index>(),
        defect in 0..10u8,
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)],
        negative in -100.0..-0.001f64,
    ) {
        let mut form = form;
        let count = criteria(&form).count();
        if defect == 8 {
            // Raw points: every scale starts at 0 or above but the broken one.
            form.settings.normalization = Normalization::Raw;
            for c in criteria_mut(&mut form) {
                let shift = (-c.scale_min).max(0.0);
                c.scale_min += shift;
                c.scale_max += shift;
            }
        }
        prop_assume!(defect != 9 || count >= 2);
        let first_id = criteria(&form).next().unwrap().id.clone();
        let i = if defect == 9 {
            1 + which.index(count - 1)
        } else {
            which.index(count)
        };
        let (s, c) = form
            .sections
            .iter()
            .enumerate()
            .flat_map(|(s, section)| (0..section.criteria.len()).map(move |c| (s, c)))
            .nth(i)
            .unwrap();
        let section = &mut form.sections[s];
        let section_id = section.id.clone();
        let criterion = &mut section.criteria[c];
        let criterion_id = criterion.id.clone();
        let at = format!("form.sections[{s}].criteria[{c}]");
        let (field, names) = match defect {
            0 => {
                criterion.weight = negative;
                (format!("{at}.weight"), criterion_id)
            }
            1 => {
                criterion.weight = bad;
                (format!("{at}.weight"), criterion_id)
            }
            2 => {
                criterion.scale_max = criterion.scale_min;
                (format!("{at}.scale_max"), criterion_id)
            }
            3 => {
                criterion.scale_max = criterion.scale_min + negative;
                (format!("{at}.scale_max"), criterion_id)
            }
            4 => {
                criterion.scale_max = bad;
                (format!("{at}.scale_max"), criterion_id)
            }
            5 => {
                criterion.scale_min = bad;
                (format!("{at}.scale_min"), criterion_id)
            }
            8 => {
                criterion.scale_min = negative;
                (format!("{at}.scale_min"), criterion_id)
            }
            9 => {
                criterion.id.clone_from(&first_id);
                (format!("{at}.id"), first_id)
            }
            6 => {
                section.weight = negative;
                (format!("form.sections[{s}].weight"), section_id)
            }
            _ => {
                section.weight = bad;
                (format!("form.sections[{s}].weight"), section_id)
            }
        };
        match validate_form(&form) {
            Err(ScoreError::Invalid { field: got, message }) => {
                prop_assert_eq!(got, field);
                prop_assert!(message.contains(&format!("`{names}`")), "{message}");
            }
            other => prop_assert!(false, "expected invalid `{field}`, got {other:?}"),
        }
    }
}
