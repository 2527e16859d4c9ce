//! QA forms and scorecards: what a scorer plugin reads and returns.

use super::Invalid;
use serde::{Deserialize, Serialize};

/// How section or question weights combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Weighting {
    /// Σ earned·weight / Σ possible·weight over questions (Genesys).
    Question,
    /// Σ section percent × section weight (MaestroQA).
    Section,
    /// Plain points.
    Points,
}

/// What N/A answers do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NaPolicy {
    /// N/A answers leave the calculation.
    Exclude,
    /// N/A answers count as the top of the scale.
    CountAsPass,
}

/// Where the weight of an excluded N/A question goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NaRedistribution {
    /// The rest keep their relative weights.
    Proportional,
    /// The weight is split equally among the rest.
    Equal,
}

/// What a failed fatal criterion does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AutoFailPolicy {
    /// The score becomes 0.
    ZeroScore,
    /// The score stands; the outcome is fail.
    KeepScore,
}

/// How selected values become points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Normalization {
    /// (value − min) / (max − min).
    MinMax,
    /// The raw value out of max.
    Raw,
}

/// A form's scoring switches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoringSettings {
    /// How weights combine.
    pub weighting: Weighting,
    /// What N/A answers do.
    pub na_policy: NaPolicy,
    /// Where an excluded N/A question's weight goes.
    pub na_redistribution: NaRedistribution,
    /// What a failed fatal criterion does.
    pub auto_fail: AutoFailPolicy,
    /// How values become points.
    pub normalization: Normalization,
    /// A critical criterion under this fraction of its points fails the evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub critical_threshold: Option<f64>,
    /// Percent at or above which the outcome is pass.
    pub pass_mark: f64,
    /// Whether bonus items may lift the score above 100.
    #[serde(default)]
    pub allow_bonus: bool,
}

/// One question on a QA form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Stable id.
    pub id: String,
    /// The question.
    pub label: String,
    /// Weight or points.
    pub weight: f64,
    /// Lowest value on the scale.
    pub scale_min: f64,
    /// Highest value on the scale.
    pub scale_max: f64,
    /// In the critical sub-score.
    #[serde(default)]
    pub critical: bool,
    /// Failing it fails the evaluation.
    #[serde(default)]
    pub fatal: bool,
    /// A bonus item.
    #[serde(default)]
    pub bonus: bool,
    /// The coaching topic it measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

impl Criterion {
    /// How much of the scale a selected value earns, 0..1 (min–max); `None`
    /// for a degenerate scale.
    pub fn fraction(&self, value: f64) -> Option<f64> {
        (self.scale_max > self.scale_min)
            .then(|| (value - self.scale_min) / (self.scale_max - self.scale_min))
    }
}

/// A group of criteria with a weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormSection {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Section weight.
    pub weight: f64,
    /// Criteria.
    pub criteria: Vec<Criterion>,
}

/// A QA form definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Stable id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Display name.
    pub name: String,
    /// Sections in order.
    pub sections: Vec<FormSection>,
    /// Scoring switches.
    pub settings: ScoringSettings,
    /// The scorer plugin for this form (a center's own rules); the host's
    /// `[scoring] default_scorer` (the reference scorer) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorer: Option<String>,
}

impl Form {
    /// The form's own rules: an id of letters, digits, `-` and `_`; at
    /// least one section; finite, non-negative weights; criterion ids
    /// used once; each scale's top above its bottom; a pass mark in
    /// 0..100 and a critical threshold in 0..1.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.id.is_empty()
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Invalid::new("id", "must be letters, digits, - and _"));
        }
        if self.sections.is_empty() {
            return Err(Invalid::new(
                "sections",
                "a form needs at least one section",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (si, s) in self.sections.iter().enumerate() {
            Invalid::within(
                &format!("sections[{si}].weight"),
                s.weight,
                -super::MAX_SCALE,
                super::MAX_SCALE,
            )?;
            if s.weight < 0.0 {
                return Err(Invalid::new(
                    format!("sections[{si}].weight"),
                    "must not be negative",
                ));
            }
            for (ci, c) in s.criteria.iter().enumerate() {
                let at = |f: &str| format!("sections[{si}].criteria[{ci}].{f}");
                if !seen.insert(c.id.as_str()) {
                    return Err(Invalid::new(
                        at("id"),
                        format!("criterion id {:?} is used twice", c.id),
                    ));
                }
                for (f, v) in [
                    ("weight", c.weight),
                    ("scale_min", c.scale_min),
                    ("scale_max", c.scale_max),
                ] {
                    Invalid::within(&at(f), v, -super::MAX_SCALE, super::MAX_SCALE)?;
                }
                if c.scale_max <= c.scale_min {
                    return Err(Invalid::new(
                        at("scale_max"),
                        "must be greater than scale_min",
                    ));
                }
                if c.weight < 0.0 {
                    return Err(Invalid::new(at("weight"), "must not be negative"));
                }
            }
        }
        let st = &self.settings;
        if !(0.0..=100.0).contains(&st.pass_mark) {
            return Err(Invalid::new("settings.pass_mark", "must be within 0..100"));
        }
        if let Some(t) = st.critical_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(Invalid::new(
                "settings.critical_threshold",
                "must be within 0..1",
            ));
        }
        Ok(())
    }
}

/// Pass or fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
}

/// A section's part of a scorecard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SectionScore {
    /// The section.
    pub section_id: String,
    /// Points earned.
    pub earned: f64,
    /// Points possible.
    pub possible: f64,
    /// Percent, when anything was possible.
    pub percent: Option<f64>,
}

/// A scorer's result for one evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scorecard {
    /// The scored evaluation's external id.
    pub evaluation_external_id: String,
    /// Total in percent.
    pub score: f64,
    /// Pass or fail.
    pub outcome: Outcome,
    /// Critical sub-score in percent.
    pub critical_score: Option<f64>,
    /// Whether a fatal criterion failed.
    pub auto_failed: bool,
    /// Per-section breakdown.
    pub sections: Vec<SectionScore>,
}

impl Scorecard {
    /// Check a scorer's card against what it was asked to score: the
    /// evaluation's own id; finite numbers; percentages within 0..100 (a
    /// total above 100 only when the form allows bonus items); sections
    /// that are on the form, each once, with earned points within 0..possible
    /// (beyond only with bonus); an outcome consistent with auto-fail and the
    /// pass mark. The host never stores a card that fails this: a plugin's
    /// output is not trusted because it type-checks.
    pub fn check(&self, form: &Form, evaluation_external_id: &str) -> Result<(), Invalid> {
        if self.evaluation_external_id != evaluation_external_id {
            return Err(Invalid::new(
                "evaluation_external_id",
                format!(
                    "names {:?} but the scorer was asked to score {:?}",
                    self.evaluation_external_id, evaluation_external_id
                ),
            ));
        }
        let bonus = form.settings.allow_bonus;
        let percent = |field: &str, v: f64, bonus: bool| -> Result<(), Invalid> {
            Invalid::finite(field, v)?;
            if v < 0.0 || (!bonus && v > 100.0) {
                let range = if bonus { "at least 0" } else { "within 0..100" };
                return Err(Invalid::new(field, format!("{v} is not {range}")));
            }
            Ok(())
        };
        percent("score", self.score, bonus)?;
        if let Some(c) = self.critical_score {
            percent("critical_score", c, false)?;
        }
        if self.auto_failed && self.outcome == Outcome::Pass {
            return Err(Invalid::new(
                "outcome",
                "is pass although a fatal criterion failed (auto_failed)",
            ));
        }
        if self.outcome == Outcome::Pass && self.score < form.settings.pass_mark {
            return Err(Invalid::new(
                "outcome",
                format!(
                    "is pass with {} below the form's pass mark {}",
                    self.score, form.settings.pass_mark
                ),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, sec) in self.sections.iter().enumerate() {
            let at = |f: &str| format!("sections[{i}].{f}");
            if !form.sections.iter().any(|f| f.id == sec.section_id) {
                return Err(Invalid::new(
                    at("section_id"),
                    format!("{:?} is not a section of form {}", sec.section_id, form.id),
                ));
            }
            if !seen.insert(sec.section_id.as_str()) {
                return Err(Invalid::new(
                    at("section_id"),
                    format!("{:?} is scored twice", sec.section_id),
                ));
            }
            Invalid::finite(&at("earned"), sec.earned)?;
            Invalid::finite(&at("possible"), sec.possible)?;
            if sec.possible < 0.0 {
                return Err(Invalid::new(at("possible"), "must not be negative"));
            }
            if sec.earned < 0.0 || (!bonus && sec.earned > sec.possible) {
                return Err(Invalid::new(
                    at("earned"),
                    format!("{} is outside 0..{}", sec.earned, sec.possible),
                ));
            }
            if let Some(p) = sec.percent {
                percent(&at("percent"), p, bonus)?;
            }
        }
        Ok(())
    }
}

/// `POST /v1/forms/{id}/rescore`: score stored evaluations of a form again,
/// with another scorer or version, and report what would move.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescoreRequest {
    /// The scorer plugin; the form's own (or the default scorer) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// An installed version of it; the active version when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Evaluations submitted at or after this time (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<super::TimestampMs>,
    /// …and before this time (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<super::TimestampMs>,
    /// Store the new scorecards (default: only report the diff).
    #[serde(default)]
    pub commit: bool,
}

/// One evaluation whose score or outcome moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScoreChange {
    /// The evaluation.
    pub evaluation_id: String,
    /// Its agent.
    pub agent_id: String,
    /// The stored score (absent when it had none).
    pub old_score: Option<f64>,
    /// The new score.
    pub new_score: f64,
    /// new − old, in points (absent when it had none).
    pub delta: Option<f64>,
    /// The stored outcome.
    pub old_outcome: Option<Outcome>,
    /// The new outcome.
    pub new_outcome: Outcome,
    /// The scorer that produced the stored scorecard, as `id@version`.
    pub old_scorer: Option<String>,
}

/// What a re-score found (and did).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RescoreReport {
    /// The form.
    pub form_id: String,
    /// The scorer used, as `id@version`.
    pub scorer: String,
    /// Evaluations looked at.
    pub evaluations: usize,
    /// Scored without a change of score (beyond 1e-9) or outcome.
    pub unchanged: usize,
    /// Score or outcome moved, largest |delta| first.
    pub changed: Vec<ScoreChange>,
    /// Outcomes that flipped (pass → fail or fail → pass).
    pub outcome_flips: usize,
    /// Mean delta over the changed ones with an old score.
    pub mean_delta: Option<f64>,
    /// Evaluations the scorer could not score, with why.
    pub failed: Vec<RescoreFailure>,
    /// Whether the new scorecards were stored.
    pub committed: bool,
}

/// An evaluation a re-score could not score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RescoreFailure {
    /// The evaluation.
    pub evaluation_id: String,
    /// The scorer's error code.
    pub code: String,
    /// Its message.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(allow_bonus: bool) -> Form {
        let criterion = |id: &str| Criterion {
            id: id.into(),
            label: id.into(),
            weight: 1.0,
            scale_min: 0.0,
            scale_max: 1.0,
            critical: false,
            fatal: false,
            bonus: false,
            topic: None,
        };
        Form {
            id: "f".into(),
            version: 1,
            name: "f".into(),
            sections: vec![
                FormSection {
                    id: "greeting".into(),
                    name: "Greeting".into(),
                    weight: 1.0,
                    criteria: vec![criterion("q1")],
                },
                FormSection {
                    id: "resolution".into(),
                    name: "Resolution".into(),
                    weight: 1.0,
                    criteria: vec![criterion("q2")],
                },
            ],
            settings: ScoringSettings {
                weighting: Weighting::Question,
                na_policy: NaPolicy::Exclude,
                na_redistribution: NaRedistribution::Proportional,
                auto_fail: AutoFailPolicy::ZeroScore,
                normalization: Normalization::MinMax,
                critical_threshold: None,
                pass_mark: 80.0,
                allow_bonus,
            },
            scorer: None,
        }
    }

    fn card() -> Scorecard {
        Scorecard {
            evaluation_external_id: "e-1".into(),
            score: 90.0,
            outcome: Outcome::Pass,
            critical_score: Some(100.0),
            auto_failed: false,
            sections: vec![SectionScore {
                section_id: "greeting".into(),
                earned: 1.0,
                possible: 1.0,
                percent: Some(100.0),
            }],
        }
    }

    fn refused(c: Scorecard, f: &Form) -> String {
        c.check(f, "e-1").expect_err("must be refused").field
    }

    #[test]
    fn a_consistent_card_passes_its_check() {
        card().check(&form(false), "e-1").unwrap();
    }

    #[test]
    fn non_finite_scores_are_refused_naming_the_field() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                refused(Scorecard { score: v, ..card() }, &form(true)),
                "score"
            );
            let c = Scorecard {
                critical_score: Some(v),
                ..card()
            };
            assert_eq!(refused(c, &form(false)), "critical_score");
            let mut c = card();
            c.sections[0].earned = v;
            assert_eq!(refused(c, &form(false)), "sections[0].earned");
        }
    }

    #[test]
    fn a_card_inconsistent_with_its_request_or_form_is_refused() {
        let f = form(false);
        let other = Scorecard {
            evaluation_external_id: "e-2".into(),
            ..card()
        };
        assert_eq!(refused(other, &f), "evaluation_external_id");
        let lying = Scorecard {
            auto_failed: true,
            ..card()
        };
        assert_eq!(refused(lying, &f), "outcome");
        let below = Scorecard {
            score: 60.0,
            ..card()
        };
        assert_eq!(refused(below, &f), "outcome");
        for v in [-250.0, 1e300] {
            assert_eq!(
                refused(
                    Scorecard {
                        score: v,
                        outcome: Outcome::Fail,
                        ..card()
                    },
                    &f
                ),
                "score"
            );
        }
        let mut stray = card();
        stray.sections[0].section_id = "upsell".into();
        assert_eq!(refused(stray, &f), "sections[0].section_id");
        let mut twice = card();
        twice.sections.push(twice.sections[0].clone());
        assert_eq!(refused(twice, &f), "sections[1].section_id");
        let mut over = card();
        over.sections[0].earned = 2.0;
        assert_eq!(refused(over, &f), "sections[0].earned");
    }

    #[test]
    fn a_bonus_form_lets_the_total_pass_100_but_not_go_negative() {
        let f = form(true);
        Scorecard {
            score: 104.0,
            ..card()
        }
        .check(&f, "e-1")
        .unwrap();
        let neg = Scorecard {
            score: -1.0,
            outcome: Outcome::Fail,
            ..card()
        };
        assert_eq!(refused(neg, &f), "score");
    }
}
