//! The scoring arithmetic of the reference scorer, free of any WIT binding type.
//!
//! A scorer plugin converts the WIT `form` and `evaluation` records into the
//! plain types below and back (the [`wit_glue!`] macro writes those
//! conversions for it); everything here is ordinary Rust so it is unit-tested
//! natively against the published figures in
//! `shared/fixtures/reference/reference-figures.md`, and the host's benchmarks
//! call it natively as the baseline for the plugin.
//!
//! # Layout
//!
//! * this file — the plain types, [`validate_form`] and [`score`];
//! * `glue.rs` — [`wit_glue!`], the WIT ↔ plain conversions, expanded in each
//!   scorer plugin against its own generated bindings;
//! * `props.rs` — property tests of the arithmetic.
//!
//! # The model
//!
//! Every answered criterion yields *earned* and *possible* points:
//!
//! * `min-max`: earned = (v − min) / (max − min) × weight, possible = weight;
//! * `raw`: earned = v × weight, possible = max × weight (the value counts as
//!   points out of `max`; the weight is a multiplier, 1 for plain points), so
//!   a raw scale must start at 0 or above.
//!
//! N/A answers (and criteria without an answer) are either excluded (0 of 0) or
//! counted as the top of the scale. Under `exclude` + `equal` redistribution, the
//! possible points of a section's excluded questions are split equally among the
//! section's remaining (non-bonus) questions; `proportional` needs no work, since
//! dividing by the smaller total keeps the others' relative weights.
//!
//! The total then combines the points:
//!
//! * `question`: Σ earned × section weight / Σ possible × section weight;
//! * `section`: Σ_s (earned_s / possible_s) × weight_s / Σ weight_s over the
//!   sections with possible > 0;
//! * `points`: Σ earned / Σ possible (section weights ignored).
//!
//! Bonus criteria add to earned, never to possible. A section made only of bonus
//! criteria adds (its earned / its bonus maximum) × its weight under `section`
//! weighting, without adding its weight to the divisor. The total is capped at
//! 100 unless the form allows bonus.
//!
//! A fatal criterion fails when its answer is below its scale max (an N/A never
//! fails); `zero-score` then sets the total to 0, `keep-score` keeps it, and the
//! outcome is fail either way. Under `zero-score` a failed fatal criterion scores
//! 0 even when nothing else is left to divide by (every other answer N/A, or a
//! zero-weight gate question). The critical sub-score is Σ earned / Σ possible over
//! the answered critical criteria (criterion points, no section weights); with a
//! critical threshold, a critical criterion under that fraction of its points
//! fails the evaluation too.

use std::collections::BTreeMap;

mod glue;

#[cfg(test)]
mod props;

/// How weights combine (WIT `weighting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// Σ earned·w / Σ possible·w, the section weight multiplying its questions'.
    Question,
    /// Σ section percent × section weight / Σ weights of scorable sections.
    Section,
    /// Σ earned / Σ possible.
    Points,
}

/// What N/A answers do (WIT `na-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NaPolicy {
    /// 0 of 0 possible.
    Exclude,
    /// The top of the scale.
    CountAsPass,
}

/// Where an excluded N/A question's weight goes (WIT `na-redistribution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NaRedistribution {
    /// The others keep their relative weights.
    Proportional,
    /// Split equally among the section's remaining questions.
    Equal,
}

/// What a failed fatal criterion does (WIT `auto-fail-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoFail {
    /// The score becomes 0.
    ZeroScore,
    /// The score stands; the outcome is fail.
    KeepScore,
}

/// How a value becomes points (WIT `normalization`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalization {
    /// (v − min) / (max − min) of the weight.
    MinMax,
    /// v out of max, times the weight.
    Raw,
}

/// A form's scoring switches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// How weights combine.
    pub weighting: Weighting,
    /// What N/A answers do.
    pub na_policy: NaPolicy,
    /// Where excluded weight goes.
    pub na_redistribution: NaRedistribution,
    /// What a failed fatal criterion does.
    pub auto_fail: AutoFail,
    /// How values become points.
    pub normalization: Normalization,
    /// A critical criterion under this fraction (0..1) of its points fails the evaluation.
    pub critical_threshold: Option<f64>,
    /// Percent at or above which the outcome is pass.
    pub pass_mark: f64,
    /// Whether bonus items may lift the score above 100.
    pub allow_bonus: bool,
}

/// One question.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Id referenced by answers.
    pub id: String,
    /// Weight or points.
    pub weight: f64,
    /// Lowest scale value.
    pub scale_min: f64,
    /// Highest scale value.
    pub scale_max: f64,
    /// Counted in the critical sub-score.
    pub critical: bool,
    /// Failing it fails the evaluation.
    pub fatal: bool,
    /// Adds to earned, never to possible.
    pub bonus: bool,
}

/// A weighted group of questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Section id.
    pub id: String,
    /// Percent (section weighting) or multiplier (question weighting).
    pub weight: f64,
    /// The questions.
    pub criteria: Vec<Criterion>,
}

/// A form: sections and switches.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Sections in display order.
    pub sections: Vec<Section>,
    /// Scoring switches.
    pub settings: Settings,
}

/// An answer's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A point on the scale.
    Score(f64),
    /// Not applicable.
    NotApplicable,
}

/// One answer of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The criterion answered.
    pub criterion_id: String,
    /// The value.
    pub value: Value,
}

/// A section's part of the result.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionScore {
    /// The section.
    pub section_id: String,
    /// Earned points, bonus included (criterion weights, not the section weight).
    pub earned: f64,
    /// Possible points after N/A handling; 0 when nothing in it was scorable.
    pub possible: f64,
    /// earned / possible in percent, when possible > 0.
    pub percent: Option<f64>,
}

/// The result for one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// Total in percent.
    pub score: f64,
    /// Whether the outcome is pass.
    pub passed: bool,
    /// Critical sub-score in percent, when critical criteria were answered.
    pub critical_score: Option<f64>,
    /// Whether a fatal criterion failed.
    pub auto_failed: bool,
    /// Per-section breakdown, in form order.
    pub sections: Vec<SectionScore>,
}

/// Why an evaluation could not be scored.
#[derive(Debug, Clone, PartialEq)]
pub enum ScoreError {
    /// The input is wrong; `field` is a dotted path into the evaluation or form.
    Invalid {
        /// The field at fault, e.g. `answers[2].criterion_id`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// Well-formed, but there is nothing to score.
    NotComputable(String),
}

impl ScoreError {
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Checks the form itself: scales, weights and ids that no answer could fix.
///
/// Weights must be finite and ≥ 0; a scale's max must be above its min (both
/// finite), and at or above 0 at the min under raw normalization; criterion ids
/// must be unique. The error's `field` names the first offending field.
pub fn validate_form(form: &Form) -> Result<(), ScoreError> {
    let finite_non_negative = |v: f64| v.is_finite() && v >= 0.0;
    if !form.settings.pass_mark.is_finite() {
        return Err(ScoreError::invalid(
            "form.settings.pass_mark",
            "the pass mark must be a finite number",
        ));
    }
    if let Some(t) = form.settings.critical_threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err(ScoreError::invalid(
            "form.settings.critical_threshold",
            format!("the critical threshold must be a fraction between 0 and 1, not {t}"),
        ));
    }
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for (s, section) in form.sections.iter().enumerate() {
        if !finite_non_negative(section.weight) {
            return Err(ScoreError::invalid(
                format!("form.sections[{s}].weight"),
                format!(
                    "section `{}` has weight {}; weights must be finite and not negative",
                    section.id, section.weight
                ),
            ));
        }
        for (c, criterion) in section.criteria.iter().enumerate() {
            let path = format!("form.sections[{s}].criteria[{c}]");
            if !finite_non_negative(criterion.weight) {
                return Err(ScoreError::invalid(
                    format!("{path}.weight"),
                    format!(
                        "criterion `{}` has weight {}; weights must be finite and not negative",
                        criterion.id, criterion.weight
                    ),
                ));
            }
            if !criterion.scale_min.is_finite() {
                return Err(ScoreError::invalid(
                    format!("{path}.scale_min"),
                    format!(
                        "criterion `{}` has the scale min {}; it must be a finite number",
                        criterion.id, criterion.scale_min
                    ),
                ));
            }
            // Strictly above, as the host's form validation requires: a
            // one-point scale cannot tell a good answer from a bad one.
            if !(criterion.scale_max.is_finite() && criterion.scale_max > criterion.scale_min) {
                return Err(ScoreError::invalid(
                    format!("{path}.scale_max"),
                    format!(
                        "criterion `{}` has the scale {}..{}; the max must be a finite number above the min",
                        criterion.id, criterion.scale_min, criterion.scale_max
                    ),
                ));
            }
            // Raw points are the value itself: a negative value would earn
            // negative points and drag the total below 0%.
            if form.settings.normalization == Normalization::Raw && criterion.scale_min < 0.0 {
                return Err(ScoreError::invalid(
                    format!("{path}.scale_min"),
                    format!(
                        "criterion `{}` has the scale {}..{}; raw points need a scale starting at 0 \
                         or above (use min-max normalization for negative values)",
                        criterion.id, criterion.scale_min, criterion.scale_max
                    ),
                ));
            }
            // Answers name criteria by id: a second criterion with the same id
            // could never be answered and would silently count as N/A.
            if let Some(first) = seen.insert(criterion.id.as_str(), path.clone()) {
                return Err(ScoreError::invalid(
                    format!("{path}.id"),
                    format!(
                        "criterion id `{}` is already used by {first}; ids must be unique",
                        criterion.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Per-criterion points once N/A handling is applied.
#[derive(Debug, Clone, Copy)]
struct Points {
    /// The fraction of the scale reached (1 for an N/A counted as pass).
    fraction: f64,
    /// Possible points; earned is `fraction × possible`.
    possible: f64,
    /// Excluded as N/A: contributes 0 of 0.
    excluded: bool,
}

impl Points {
    fn earned(&self) -> f64 {
        self.fraction * self.possible
    }
}

/// The fraction of the scale a value reaches, under the normalization.
fn fraction(c: &Criterion, v: f64, normalization: Normalization) -> f64 {
    match normalization {
        Normalization::MinMax => {
            let span = c.scale_max - c.scale_min;
            if span > 0.0 {
                (v - c.scale_min) / span
            } else {
                // Unreachable for a validated form (max > min); kept so an
                // unvalidated one-point scale cannot divide by zero.
                1.0
            }
        }
        Normalization::Raw => {
            if c.scale_max > 0.0 {
                v / c.scale_max
            } else {
                0.0
            }
        }
    }
}

/// The criterion's full points (what a top answer earns).
fn full_points(c: &Criterion, normalization: Normalization) -> f64 {
    match normalization {
        Normalization::MinMax => c.weight,
        Normalization::Raw => c.scale_max.max(0.0) * c.weight,
    }
}

/// Scores one evaluation's answers against a validated form.
pub fn score(form: &Form, answers: &[Answer]) -> Result<Scorecard, ScoreError> {
    let settings = &form.settings;

    // Index the form, then match answers to criteria.
    // A BTreeMap, not a HashMap: its RandomState would import wasi:random.
    let mut position: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (s, section) in form.sections.iter().enumerate() {
        for (c, criterion) in section.criteria.iter().enumerate() {
            position.entry(criterion.id.as_str()).or_insert((s, c));
        }
    }
    let mut given: Vec<Vec<Option<Value>>> = form
        .sections
        .iter()
        .map(|s| vec![None; s.criteria.len()])
        .collect();
    for (i, answer) in answers.iter().enumerate() {
        let Some(&(s, c)) = position.get(answer.criterion_id.as_str()) else {
            return Err(ScoreError::invalid(
                format!("answers[{i}].criterion_id"),
                format!("the form has no criterion `{}`", answer.criterion_id),
            ));
        };
        if given[s][c].is_some() {
            return Err(ScoreError::invalid(
                format!("answers[{i}].criterion_id"),
                format!(
                    "criterion `{}` is answered more than once",
                    answer.criterion_id
                ),
            ));
        }
        let criterion = &form.sections[s].criteria[c];
        if let Value::Score(v) = answer.value
            && !(v >= criterion.scale_min && v <= criterion.scale_max)
        {
            return Err(ScoreError::invalid(
                format!("answers[{i}].value"),
                format!(
                    "{v} is outside the scale {}..{} of criterion `{}`",
                    criterion.scale_min, criterion.scale_max, criterion.id
                ),
            ));
        }
        given[s][c] = Some(answer.value);
    }

    // Points per criterion, fatal and critical checks.
    let mut auto_failed = false;
    let mut critical_failed = false;
    let (mut critical_earned, mut critical_possible) = (0.0, 0.0);
    let mut points: Vec<Vec<Points>> = Vec::with_capacity(form.sections.len());
    for (s, section) in form.sections.iter().enumerate() {
        let mut row = Vec::with_capacity(section.criteria.len());
        for (c, criterion) in section.criteria.iter().enumerate() {
            // A criterion without an answer is N/A.
            let value = given[s][c].unwrap_or(Value::NotApplicable);
            let full = full_points(criterion, settings.normalization);
            let p = match (value, settings.na_policy) {
                (Value::Score(v), _) => {
                    if criterion.fatal && v < criterion.scale_max {
                        auto_failed = true;
                    }
                    Points {
                        fraction: fraction(criterion, v, settings.normalization),
                        possible: full,
                        excluded: false,
                    }
                }
                (Value::NotApplicable, NaPolicy::CountAsPass) => Points {
                    fraction: 1.0,
                    possible: full,
                    excluded: false,
                },
                (Value::NotApplicable, NaPolicy::Exclude) => Points {
                    fraction: 0.0,
                    possible: 0.0,
                    excluded: true,
                },
            };
            if criterion.critical && !criterion.bonus && !p.excluded {
                critical_earned += p.earned();
                critical_possible += p.possible;
                if let Some(threshold) = settings.critical_threshold
                    && p.possible > 0.0
                    && p.fraction < threshold
                {
                    critical_failed = true;
                }
            }
            row.push(p);
        }
        points.push(row);
    }

    // Equal redistribution: an excluded question's weight is shared equally by
    // the remaining (non-bonus) questions of its section.
    if settings.na_policy == NaPolicy::Exclude
        && settings.na_redistribution == NaRedistribution::Equal
    {
        for (section, row) in form.sections.iter().zip(points.iter_mut()) {
            let freed: f64 = section
                .criteria
                .iter()
                .zip(row.iter())
                .filter(|(c, p)| !c.bonus && p.excluded)
                .map(|(c, _)| full_points(c, settings.normalization))
                .sum();
            let remaining = section
                .criteria
                .iter()
                .zip(row.iter())
                .filter(|(c, p)| !c.bonus && !p.excluded)
                .count();
            if freed > 0.0 && remaining > 0 {
                let share = freed / remaining as f64;
                for (c, p) in section.criteria.iter().zip(row.iter_mut()) {
                    if !c.bonus && !p.excluded {
                        p.possible += share;
                    }
                }
            }
        }
    }

    // Sections.
    let mut sections = Vec::with_capacity(form.sections.len());
    let (mut q_earned, mut q_possible) = (0.0, 0.0);
    let (mut p_earned, mut p_possible) = (0.0, 0.0);
    let (mut s_weighted, mut s_weights) = (0.0, 0.0);
    for (section, row) in form.sections.iter().zip(points.iter()) {
        let (mut earned, mut possible, mut bonus_earned, mut bonus_full) = (0.0, 0.0, 0.0, 0.0);
        for (c, p) in section.criteria.iter().zip(row.iter()) {
            if c.bonus {
                if !p.excluded {
                    bonus_earned += p.earned();
                    bonus_full += p.possible;
                }
            } else {
                earned += p.earned();
                possible += p.possible;
            }
        }
        let total_earned = earned + bonus_earned;
        q_earned += total_earned * section.weight;
        q_possible += possible * section.weight;
        p_earned += total_earned;
        p_possible += possible;
        if possible > 0.0 {
            s_weighted += total_earned / possible * section.weight;
            s_weights += section.weight;
        } else if bonus_full > 0.0 {
            // A bonus-only section lifts the score without adding to the divisor.
            s_weighted += bonus_earned / bonus_full * section.weight;
        }
        sections.push(SectionScore {
            section_id: section.id.clone(),
            earned: total_earned,
            possible,
            percent: (possible > 0.0).then(|| total_earned / possible * 100.0),
        });
    }

    let (numerator, denominator) = match settings.weighting {
        Weighting::Question => (q_earned, q_possible),
        Weighting::Section => (s_weighted, s_weights),
        Weighting::Points => (p_earned, p_possible),
    };
    let critical_score =
        (critical_possible > 0.0).then(|| critical_earned / critical_possible * 100.0);
    if denominator <= 0.0 {
        // A failed kill question fails the evaluation at 0% whatever else
        // there is to score: a zero-weight compliance gate must not vanish
        // into "not computable".
        if auto_failed && settings.auto_fail == AutoFail::ZeroScore {
            return Ok(Scorecard {
                score: 0.0,
                passed: false,
                critical_score,
                auto_failed,
                sections,
            });
        }
        let why = if form.sections.iter().all(|s| s.criteria.is_empty()) {
            "the form has no criteria"
        } else {
            "every criterion is N/A (excluded) or carries zero weight"
        };
        let fatal = if auto_failed {
            " (a fatal criterion failed, but under keep-score there is no score to keep)"
        } else {
            ""
        };
        return Err(ScoreError::NotComputable(format!(
            "nothing to score: {why}{fatal}"
        )));
    }
    let mut score = numerator / denominator * 100.0;
    if !settings.allow_bonus {
        score = score.min(100.0);
    }
    if auto_failed && settings.auto_fail == AutoFail::ZeroScore {
        score = 0.0;
    }
    let passed = !auto_failed && !critical_failed && score >= settings.pass_mark;
    Ok(Scorecard {
        score,
        passed,
        critical_score,
        auto_failed,
        sections,
    })
}

#[cfg(test)]
mod tests {
    //! Every QA example of `reference-figures.md`, plus the edge cases of the model.

    use super::*;

    const EPS: f64 = 1e-9;

    fn settings(weighting: Weighting) -> Settings {
        Settings {
            weighting,
            na_policy: NaPolicy::Exclude,
            na_redistribution: NaRedistribution::Proportional,
            auto_fail: AutoFail::ZeroScore,
            normalization: Normalization::MinMax,
            critical_threshold: None,
            pass_mark: 80.0,
            allow_bonus: false,
        }
    }

    /// A criterion on the scale `min..=max` with the given weight.
    fn q(id: &str, weight: f64, min: f64, max: f64) -> Criterion {
        Criterion {
            id: id.into(),
            weight,
            scale_min: min,
            scale_max: max,
            critical: false,
            fatal: false,
            bonus: false,
        }
    }

    /// A 1-point yes/no criterion.
    fn yes_no(id: &str) -> Criterion {
        q(id, 1.0, 0.0, 1.0)
    }

    fn section(id: &str, weight: f64, criteria: Vec<Criterion>) -> Section {
        Section {
            id: id.into(),
            weight,
            criteria,
        }
    }

    fn a(id: &str, v: f64) -> Answer {
        Answer {
            criterion_id: id.into(),
            value: Value::Score(v),
        }
    }

    fn na(id: &str) -> Answer {
        Answer {
            criterion_id: id.into(),
            value: Value::NotApplicable,
        }
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-6,
            "expected {expected}, got {actual}"
        );
    }

    /// Genesys Cloud: group 1 (weight 40) has two 1-point questions answered Yes
    /// and No; group 2 (weight 20) has one answered Yes → 60%.
    fn genesys_form() -> Form {
        Form {
            sections: vec![
                section("g1", 40.0, vec![yes_no("q1"), yes_no("q2")]),
                section("g2", 20.0, vec![yes_no("q3")]),
            ],
            settings: settings(Weighting::Question),
        }
    }

    #[test]
    fn genesys_question_weighting_gives_sixty_percent() {
        let form = genesys_form();
        let card = score(&form, &[a("q1", 1.0), a("q2", 0.0), a("q3", 1.0)]).unwrap();
        assert_close(card.score, 60.0);
        assert!(!card.passed, "60 is under the pass mark of 80");
        assert!(!card.auto_failed);
        assert_eq!(card.critical_score, None);
        assert_close(card.sections[0].earned, 1.0);
        assert_close(card.sections[0].possible, 2.0);
        assert_eq!(card.sections[0].percent, Some(50.0));
        assert_eq!(card.sections[1].percent, Some(100.0));
    }

    #[test]
    fn genesys_na_question_counts_zero_of_zero() {
        let form = genesys_form();
        // q2 N/A: (1·40 + 1·20) / (1·40 + 1·20) = 100%.
        let card = score(&form, &[a("q1", 1.0), na("q2"), a("q3", 1.0)]).unwrap();
        assert_close(card.score, 100.0);
        // A whole N/A group leaves the calculation too: 1·40 / 2·40 = 50%.
        let card = score(&form, &[a("q1", 1.0), a("q2", 0.0), na("q3")]).unwrap();
        assert_close(card.score, 50.0);
        assert_eq!(card.sections[1].possible, 0.0);
        assert_eq!(card.sections[1].percent, None);
    }

    #[test]
    fn genesys_critical_sub_score_is_kept_apart() {
        let mut form = genesys_form();
        form.sections[0].criteria[1].critical = true; // q2, answered No
        form.sections[1].criteria[0].critical = true; // q3, answered Yes
        let card = score(&form, &[a("q1", 1.0), a("q2", 0.0), a("q3", 1.0)]).unwrap();
        assert_close(card.score, 60.0);
        assert_close(card.critical_score.unwrap(), 50.0);
    }

    /// MaestroQA: sections 3/3 at 10%, 5/10 at 30%, 4/5 at 50%, 1/2 at 10%.
    fn maestro_form(weighting: Weighting) -> (Form, Vec<Answer>) {
        let mut s = settings(weighting);
        s.normalization = Normalization::Raw;
        let form = Form {
            sections: vec![
                section("s1", 10.0, vec![q("a", 1.0, 0.0, 3.0)]),
                section("s2", 30.0, vec![q("b", 1.0, 0.0, 10.0)]),
                section("s3", 50.0, vec![q("c", 1.0, 0.0, 5.0)]),
                section("s4", 10.0, vec![q("d", 1.0, 0.0, 2.0)]),
            ],
            settings: s,
        };
        let answers = vec![a("a", 3.0), a("b", 5.0), a("c", 4.0), a("d", 1.0)];
        (form, answers)
    }

    #[test]
    fn maestroqa_section_weighting_gives_seventy_percent() {
        let (form, answers) = maestro_form(Weighting::Section);
        let card = score(&form, &answers).unwrap();
        assert_close(card.score, 70.0);
        let earned: Vec<f64> = card.sections.iter().map(|s| s.earned).collect();
        assert_eq!(earned, vec![3.0, 5.0, 4.0, 1.0]);
        let possible: Vec<f64> = card.sections.iter().map(|s| s.possible).collect();
        assert_eq!(possible, vec![3.0, 10.0, 5.0, 2.0]);
    }

    #[test]
    fn maestroqa_plain_points_give_sixty_five_percent() {
        let (form, answers) = maestro_form(Weighting::Points);
        let card = score(&form, &answers).unwrap();
        assert_close(card.score, 65.0);
    }

    #[test]
    fn maestroqa_section_weighting_also_holds_with_yes_no_questions() {
        // The same 3/3, 5/10, 4/5, 1/2 built from 1-point questions, min-max.
        let build = |id: &str, weight: f64, yes: usize, total: usize| {
            let criteria = (0..total).map(|i| yes_no(&format!("{id}{i}"))).collect();
            let answers: Vec<Answer> = (0..total)
                .map(|i| a(&format!("{id}{i}"), if i < yes { 1.0 } else { 0.0 }))
                .collect();
            (section(id, weight, criteria), answers)
        };
        let parts = [
            build("a", 10.0, 3, 3),
            build("b", 30.0, 5, 10),
            build("c", 50.0, 4, 5),
            build("d", 10.0, 1, 2),
        ];
        let mut form = Form {
            sections: parts.iter().map(|(s, _)| s.clone()).collect(),
            settings: settings(Weighting::Section),
        };
        let answers: Vec<Answer> = parts.iter().flat_map(|(_, a)| a.clone()).collect();
        assert_close(score(&form, &answers).unwrap().score, 70.0);
        form.settings.weighting = Weighting::Points;
        assert_close(score(&form, &answers).unwrap().score, 65.0);
    }

    #[test]
    fn maestroqa_section_weighting_drops_an_all_na_section_from_the_divisor() {
        let (form, mut answers) = maestro_form(Weighting::Section);
        answers[3] = na("d");
        // (1·10 + 0.5·30 + 0.8·50) / 90 = 65 / 90.
        assert_close(score(&form, &answers).unwrap().score, 65.0 / 90.0 * 100.0);
    }

    #[test]
    fn auto_fail_answer_zeroes_the_score() {
        let (mut form, answers) = maestro_form(Weighting::Section);
        form.sections[2].criteria[0].fatal = true; // 4 of 5: below the max
        let card = score(&form, &answers).unwrap();
        assert_eq!(card.score, 0.0);
        assert!(card.auto_failed);
        assert!(!card.passed);
    }

    #[test]
    fn auto_fail_keep_score_keeps_the_score_but_fails() {
        let (mut form, answers) = maestro_form(Weighting::Section);
        form.sections[2].criteria[0].fatal = true;
        form.settings.auto_fail = AutoFail::KeepScore;
        form.settings.pass_mark = 50.0;
        let card = score(&form, &answers).unwrap();
        assert_close(card.score, 70.0);
        assert!(card.auto_failed);
        assert!(
            !card.passed,
            "a failed fatal criterion fails despite 70 ≥ 50"
        );
    }

    #[test]
    fn fatal_criterion_at_the_top_of_its_scale_or_na_does_not_fail() {
        let (mut form, mut answers) = maestro_form(Weighting::Section);
        form.sections[0].criteria[0].fatal = true; // answered 3 of 3
        form.settings.pass_mark = 70.0;
        let card = score(&form, &answers).unwrap();
        assert!(!card.auto_failed);
        assert!(card.passed, "70 is at the pass mark");
        answers[0] = na("a");
        assert!(!score(&form, &answers).unwrap().auto_failed);
    }

    #[test]
    fn zendesk_min_max_maps_one_to_five_onto_quarters() {
        let form = Form {
            sections: vec![section("s", 1.0, vec![q("rating", 1.0, 1.0, 5.0)])],
            settings: settings(Weighting::Points),
        };
        let scores: Vec<f64> = (1..=5)
            .map(|v| score(&form, &[a("rating", f64::from(v))]).unwrap().score)
            .collect();
        assert_eq!(scores, vec![0.0, 25.0, 50.0, 75.0, 100.0]);
    }

    #[test]
    fn zendesk_review_averages_rated_categories_and_skips_the_rest() {
        // Σ cat·w / Σ w over rated categories: (100·2 + 25·1) / 3; c skipped.
        let form = Form {
            sections: vec![section(
                "s",
                1.0,
                vec![
                    q("a", 2.0, 1.0, 5.0),
                    q("b", 1.0, 1.0, 5.0),
                    q("c", 5.0, 1.0, 5.0),
                ],
            )],
            settings: settings(Weighting::Question),
        };
        let card = score(&form, &[a("a", 5.0), a("b", 2.0)]).unwrap();
        assert_close(card.score, 225.0 / 3.0);
    }

    #[test]
    fn raw_normalization_counts_the_value_out_of_the_max() {
        let mut form = Form {
            sections: vec![section("s", 1.0, vec![q("rating", 1.0, 1.0, 5.0)])],
            settings: settings(Weighting::Points),
        };
        form.settings.normalization = Normalization::Raw;
        assert_close(score(&form, &[a("rating", 1.0)]).unwrap().score, 20.0);
        assert_close(score(&form, &[a("rating", 4.0)]).unwrap().score, 80.0);
    }

    /// Genesys Engage: weights 40/30/30, the third skipped.
    fn engage_form(redistribution: NaRedistribution) -> Form {
        let mut s = settings(Weighting::Question);
        s.na_redistribution = redistribution;
        Form {
            sections: vec![section(
                "s",
                1.0,
                vec![
                    q("q1", 40.0, 0.0, 1.0),
                    q("q2", 30.0, 0.0, 1.0),
                    q("q3", 30.0, 0.0, 1.0),
                ],
            )],
            settings: s,
        }
    }

    #[test]
    fn genesys_engage_equal_redistribution_gives_fifty_five_forty_five() {
        let form = engage_form(NaRedistribution::Equal);
        // Only q1 earned: its effective weight is 55 of 100.
        let card = score(&form, &[a("q1", 1.0), a("q2", 0.0), na("q3")]).unwrap();
        assert_close(card.score, 55.0);
        assert_close(card.sections[0].possible, 100.0);
        // Only q2 earned: 45 of 100.
        let card = score(&form, &[a("q1", 0.0), a("q2", 1.0)]).unwrap();
        assert_close(card.score, 45.0);
    }

    #[test]
    fn genesys_engage_proportional_exclusion_gives_57_14_and_42_86() {
        let form = engage_form(NaRedistribution::Proportional);
        let card = score(&form, &[a("q1", 1.0), a("q2", 0.0), na("q3")]).unwrap();
        assert_close(card.score, 40.0 / 70.0 * 100.0);
        assert!((card.score - 57.14).abs() < 0.005);
        let card = score(&form, &[a("q1", 0.0), a("q2", 1.0), na("q3")]).unwrap();
        assert!((card.score - 42.86).abs() < 0.005);
    }

    #[test]
    fn equal_redistribution_stays_within_its_section() {
        let mut form = engage_form(NaRedistribution::Equal);
        form.sections
            .push(section("other", 1.0, vec![q("x", 100.0, 0.0, 1.0)]));
        // Section s: q1 earns its 55; section other: x earns 0 of 100.
        let card = score(&form, &[a("q1", 1.0), a("q2", 0.0), a("x", 0.0)]).unwrap();
        assert_close(card.score, 55.0 / 200.0 * 100.0);
    }

    #[test]
    fn evaluagent_na_counts_as_pass_or_is_removed() {
        let mut form = engage_form(NaRedistribution::Proportional);
        let answers = [a("q1", 1.0), a("q2", 0.0), na("q3")];
        form.settings.na_policy = NaPolicy::CountAsPass;
        assert_close(score(&form, &answers).unwrap().score, 70.0);
        form.settings.na_policy = NaPolicy::Exclude;
        assert_close(score(&form, &answers).unwrap().score, 40.0 / 70.0 * 100.0);
    }

    #[test]
    fn a_criterion_without_an_answer_is_na() {
        let form = engage_form(NaRedistribution::Proportional);
        let with_na = score(&form, &[a("q1", 1.0), a("q2", 0.0), na("q3")]).unwrap();
        let without = score(&form, &[a("q1", 1.0), a("q2", 0.0)]).unwrap();
        assert_eq!(with_na, without);
    }

    #[test]
    fn critical_threshold_fails_an_evaluation_under_it() {
        let mut form = Form {
            sections: vec![section(
                "s",
                1.0,
                vec![q("crit", 1.0, 1.0, 5.0), q("other", 3.0, 1.0, 5.0)],
            )],
            settings: settings(Weighting::Question),
        };
        form.sections[0].criteria[0].critical = true;
        form.settings.pass_mark = 50.0;
        let answers = [a("crit", 2.0), a("other", 5.0)]; // crit at 25%
        let card = score(&form, &answers).unwrap();
        assert_close(card.score, (0.25 + 3.0) / 4.0 * 100.0);
        assert_close(card.critical_score.unwrap(), 25.0);
        assert!(card.passed, "without a threshold only the pass mark counts");
        form.settings.critical_threshold = Some(0.5);
        let card = score(&form, &answers).unwrap();
        assert!(!card.passed, "a critical criterion under 50% fails");
        assert!(!card.auto_failed, "critical is not fatal");
    }

    #[test]
    fn bonus_items_add_earned_but_not_possible() {
        let mut form = Form {
            sections: vec![section(
                "s",
                1.0,
                vec![yes_no("a"), yes_no("b"), yes_no("bonus")],
            )],
            settings: settings(Weighting::Points),
        };
        form.sections[0].criteria[2].bonus = true;
        let answers = [a("a", 1.0), a("b", 1.0), a("bonus", 1.0)];
        let card = score(&form, &answers).unwrap();
        assert_eq!(card.score, 100.0, "capped without allow-bonus");
        assert_close(card.sections[0].earned, 3.0);
        assert_close(card.sections[0].possible, 2.0);
        form.settings.allow_bonus = true;
        assert_close(score(&form, &answers).unwrap().score, 150.0);
        // A bonus lifts a lower score even when capping applies.
        form.settings.allow_bonus = false;
        let card = score(&form, &[a("a", 1.0), a("b", 0.0), a("bonus", 1.0)]).unwrap();
        assert_close(card.score, 100.0);
    }

    #[test]
    fn a_bonus_section_adds_to_the_numerator_only_under_section_weighting() {
        let (mut form, mut answers) = maestro_form(Weighting::Section);
        let mut extra = q("wow", 1.0, 0.0, 1.0);
        extra.bonus = true;
        form.sections.push(section("bonus", 10.0, vec![extra]));
        form.settings.allow_bonus = true;
        answers.push(a("wow", 1.0));
        // (70 + 1·10) / 100, the regular sections' weights.
        assert_close(score(&form, &answers).unwrap().score, 80.0);
        // All full marks plus the bonus: (100 + 10) / 100.
        let full = [
            a("a", 3.0),
            a("b", 10.0),
            a("c", 5.0),
            a("d", 2.0),
            a("wow", 1.0),
        ];
        assert_close(score(&form, &full).unwrap().score, 110.0);
        form.settings.allow_bonus = false;
        assert_close(score(&form, &full).unwrap().score, 100.0);
    }

    #[test]
    fn unknown_criterion_is_invalid_input_naming_the_answer() {
        let form = genesys_form();
        let err = score(&form, &[a("q1", 1.0), a("nope", 1.0)]).unwrap_err();
        match err {
            ScoreError::Invalid { field, message } => {
                assert_eq!(field, "answers[1].criterion_id");
                assert!(message.contains("nope"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn duplicate_answer_is_invalid_input() {
        let form = genesys_form();
        let err = score(&form, &[a("q1", 1.0), a("q1", 0.0)]).unwrap_err();
        assert!(
            matches!(err, ScoreError::Invalid { ref field, .. } if field == "answers[1].criterion_id"),
            "{err:?}"
        );
    }

    #[test]
    fn value_outside_the_scale_is_invalid_input() {
        let form = genesys_form();
        for bad in [2.0, -1.0, f64::NAN] {
            let err = score(&form, &[a("q1", 1.0), a("q2", bad)]).unwrap_err();
            assert!(
                matches!(err, ScoreError::Invalid { ref field, .. } if field == "answers[1].value"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn all_na_under_exclude_is_not_computable() {
        let form = genesys_form();
        let err = score(&form, &[na("q1"), na("q2")]).unwrap_err();
        assert!(
            matches!(err, ScoreError::NotComputable(ref m) if m.contains("N/A")),
            "{err:?}"
        );
        // With count-as-pass the same answers score 100.
        let mut form = form;
        form.settings.na_policy = NaPolicy::CountAsPass;
        assert_close(score(&form, &[na("q1"), na("q2")]).unwrap().score, 100.0);
    }

    #[test]
    fn all_zero_weights_are_not_computable() {
        let mut form = genesys_form();
        for s in &mut form.sections {
            s.weight = 0.0;
        }
        let err = score(&form, &[a("q1", 1.0)]).unwrap_err();
        assert!(matches!(err, ScoreError::NotComputable(_)), "{err:?}");
    }

    #[test]
    fn malformed_forms_are_rejected_before_scoring() {
        let mut form = genesys_form();
        assert_eq!(validate_form(&form), Ok(()));
        form.sections[1].criteria[0].scale_max = -1.0;
        let err = validate_form(&form).unwrap_err();
        assert!(
            matches!(err, ScoreError::Invalid { ref field, .. } if field == "form.sections[1].criteria[0].scale_max"),
            "{err:?}"
        );
        let mut form = genesys_form();
        form.sections[0].weight = f64::NAN;
        assert!(validate_form(&form).is_err());
        let mut form = genesys_form();
        form.settings.critical_threshold = Some(50.0);
        assert!(validate_form(&form).is_err());
    }

    #[test]
    fn a_one_point_scale_is_malformed_as_the_host_says() {
        let mut form = genesys_form();
        form.sections[0].criteria[1].scale_min = 1.0; // 1..1
        let err = validate_form(&form).unwrap_err();
        assert!(
            matches!(err, ScoreError::Invalid { ref field, .. } if field == "form.sections[0].criteria[1].scale_max"),
            "{err:?}"
        );
    }

    #[test]
    fn a_non_finite_scale_min_is_named_as_such() {
        let mut form = genesys_form();
        form.sections[1].criteria[0].scale_min = f64::NAN;
        let err = validate_form(&form).unwrap_err();
        assert!(
            matches!(err, ScoreError::Invalid { ref field, .. } if field == "form.sections[1].criteria[0].scale_min"),
            "{err:?}"
        );
    }

    #[test]
    fn a_negative_raw_scale_is_malformed_instead_of_scoring_below_zero() {
        // Found by `props::score_is_finite_and_within_bounds`: -5 on -5..5 in
        // raw points used to score -100%.
        let mut form = Form {
            sections: vec![section("s", 1.0, vec![q("t", 1.0, -5.0, 5.0)])],
            settings: settings(Weighting::Points),
        };
        assert_close(score(&form, &[a("t", -5.0)]).unwrap().score, 0.0);
        form.settings.normalization = Normalization::Raw;
        let err = validate_form(&form).unwrap_err();
        assert!(
            matches!(err, ScoreError::Invalid { ref field, ref message }
                if field == "form.sections[0].criteria[0].scale_min" && message.contains("min-max")),
            "{err:?}"
        );
    }

    #[test]
    fn duplicate_criterion_ids_are_malformed() {
        let mut form = genesys_form();
        form.sections[1].criteria[0].id = "q1".into();
        let err = validate_form(&form).unwrap_err();
        assert!(
            matches!(err, ScoreError::Invalid { ref field, ref message }
                if field == "form.sections[1].criteria[0].id" && message.contains("form.sections[0].criteria[0]")),
            "{err:?}"
        );
    }

    #[test]
    fn a_failed_zero_weight_gate_question_still_zeroes_and_fails() {
        // Found by `props::zero_score_auto_fail_zeroes_and_fails`: with every
        // other answer N/A, a failed kill question used to be "not computable".
        let mut form = genesys_form();
        form.sections[1].criteria[0].weight = 0.0;
        form.sections[1].criteria[0].fatal = true; // q3: a 0-point compliance gate
        let answers = [na("q1"), na("q2"), a("q3", 0.0)];
        let card = score(&form, &answers).unwrap();
        assert_eq!(card.score, 0.0);
        assert!(card.auto_failed && !card.passed);
        form.settings.auto_fail = AutoFail::KeepScore;
        let err = score(&form, &answers).unwrap_err();
        assert!(
            matches!(err, ScoreError::NotComputable(ref m) if m.contains("fatal criterion failed")),
            "{err:?}"
        );
    }

    #[test]
    fn full_marks_score_100_and_pass() {
        let form = genesys_form();
        let card = score(&form, &[a("q1", 1.0), a("q2", 1.0), a("q3", 1.0)]).unwrap();
        assert!((card.score - 100.0).abs() < EPS);
        assert!(card.passed);
    }
}
