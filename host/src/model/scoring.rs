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
            Invalid::finite(&format!("sections[{si}].weight"), s.weight)?;
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
                    Invalid::finite(&at(f), v)?;
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
    pub from: Option<i64>,
    /// …and before this time (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
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
