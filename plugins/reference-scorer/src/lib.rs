//! The reference scorer plugin (world `scorer`): QA scorecards under the vendors'
//! documented conventions.
//!
//! This file is only the component glue: it converts the WIT records into the
//! plain types of [`score`], where the arithmetic lives and is unit-tested, and
//! converts the results back. A form that is itself malformed (a reversed scale,
//! a negative weight) yields the same `invalid-input` error for every evaluation.

mod score;

#[cfg(test)]
mod props;

mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `scorer`.
    wit_bindgen::generate!({ path: "../../wit/0.1.0", world: "scorer" });
}

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{
    self as wit, ErrorCode, Evaluation, Form, LogLevel, PluginError, PluginInfo, Scorecard,
};

/// The exported component.
struct ReferenceScorer;

impl bindings::Guest for ReferenceScorer {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "Reference scorer".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Scores QA evaluations with question, section or points weighting, \
                          N/A exclusion or pass, auto-fail, critical sub-scores and bonus items, \
                          following Genesys, MaestroQA, Zendesk QA and EvaluAgent."
                .into(),
        }
    }

    fn score(form: Form, evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
        let plain = convert_form(&form);
        if let Err(e) = score::validate_form(&plain) {
            let error = to_plugin_error(e);
            log(
                LogLevel::Warn,
                &format!(
                    "form `{}` v{} cannot be scored: {}",
                    form.id, form.version, error.message
                ),
            );
            return evaluations.iter().map(|_| Err(error.clone())).collect();
        }
        let results: Vec<_> = evaluations
            .into_iter()
            .map(|evaluation| {
                let answers: Vec<score::Answer> = evaluation
                    .answers
                    .into_iter()
                    .map(|a| score::Answer {
                        criterion_id: a.criterion_id,
                        value: match a.value {
                            wit::AnswerValue::Score(v) => score::Value::Score(v),
                            wit::AnswerValue::NotApplicable => score::Value::NotApplicable,
                        },
                    })
                    .collect();
                score::score(&plain, &answers)
                    .map(|card| to_scorecard(evaluation.external_id, card))
                    .map_err(to_plugin_error)
            })
            .collect();
        let failed = results.iter().filter(|r| r.is_err()).count();
        log(
            LogLevel::Debug,
            &format!(
                "scored {} evaluations against form `{}` v{} ({failed} not scorable)",
                results.len(),
                form.id,
                form.version
            ),
        );
        results
    }
}

bindings::export!(ReferenceScorer with_types_in bindings);

/// The WIT form as the plain type the arithmetic works on.
fn convert_form(form: &Form) -> score::Form {
    let s = &form.settings;
    score::Form {
        sections: form
            .sections
            .iter()
            .map(|section| score::Section {
                id: section.id.clone(),
                weight: section.weight,
                criteria: section
                    .criteria
                    .iter()
                    .map(|c| score::Criterion {
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
        settings: score::Settings {
            weighting: match s.weighting {
                wit::Weighting::Question => score::Weighting::Question,
                wit::Weighting::Section => score::Weighting::Section,
                wit::Weighting::Points => score::Weighting::Points,
            },
            na_policy: match s.na_policy {
                wit::NaPolicy::Exclude => score::NaPolicy::Exclude,
                wit::NaPolicy::CountAsPass => score::NaPolicy::CountAsPass,
            },
            na_redistribution: match s.na_redistribution {
                wit::NaRedistribution::Proportional => score::NaRedistribution::Proportional,
                wit::NaRedistribution::Equal => score::NaRedistribution::Equal,
            },
            auto_fail: match s.auto_fail {
                wit::AutoFailPolicy::ZeroScore => score::AutoFail::ZeroScore,
                wit::AutoFailPolicy::KeepScore => score::AutoFail::KeepScore,
            },
            normalization: match s.normalization {
                wit::Normalization::MinMax => score::Normalization::MinMax,
                wit::Normalization::Raw => score::Normalization::Raw,
            },
            critical_threshold: s.critical_threshold,
            pass_mark: s.pass_mark,
            allow_bonus: s.allow_bonus,
        },
    }
}

fn to_scorecard(evaluation_external_id: String, card: score::Scorecard) -> Scorecard {
    Scorecard {
        evaluation_external_id,
        score: card.score,
        outcome: if card.passed {
            wit::Outcome::Pass
        } else {
            wit::Outcome::Fail
        },
        critical_score: card.critical_score,
        auto_failed: card.auto_failed,
        sections: card
            .sections
            .into_iter()
            .map(|s| wit::SectionScore {
                section_id: s.section_id,
                earned: s.earned,
                possible: s.possible,
                percent: s.percent,
            })
            .collect(),
    }
}

fn to_plugin_error(error: score::ScoreError) -> PluginError {
    match error {
        score::ScoreError::Invalid { field, message } => PluginError {
            code: ErrorCode::InvalidInput,
            message,
            field: Some(field),
        },
        score::ScoreError::NotComputable(message) => PluginError {
            code: ErrorCode::NotComputable,
            message,
            field: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Guest as _;

    const MANIFEST: &str = include_str!("../plugin.toml");

    /// A top-level `key = "value"` of the manifest (before any table).
    fn manifest_value(key: &str) -> &'static str {
        MANIFEST
            .lines()
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| {
                let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                rest.trim().strip_prefix('"')?.split('"').next()
            })
            .unwrap_or_else(|| panic!("plugin.toml has no `{key}`"))
    }

    #[test]
    fn describe_matches_the_manifest() {
        assert_eq!(manifest_value("id"), "reference-scorer");
        assert_eq!(manifest_value("kind"), "scorer");
        assert_eq!(
            ReferenceScorer::describe().version,
            manifest_value("version")
        );
    }
}
