//! The WIT ↔ plain-type conversions around `score.rs`: the form, the answers,
//! the scorecard and the error. Shared, through `#[path]`, by every scorer
//! built on the reference arithmetic (this crate and
//! `examples/plugins/engagement-scorer`); it expects the including crate to
//! have `bindings` (world `scorer`) and `score` modules.

use crate::bindings::sidecoach::plugin::types::{
    self as wit, ErrorCode, Form, PluginError, Scorecard,
};
use crate::score;

/// A WIT evaluation's answers as the plain type.
pub fn convert_answers(answers: Vec<wit::Answer>) -> Vec<score::Answer> {
    answers
        .into_iter()
        .map(|a| score::Answer {
            criterion_id: a.criterion_id,
            value: match a.value {
                wit::AnswerValue::Score(v) => score::Value::Score(v),
                wit::AnswerValue::NotApplicable => score::Value::NotApplicable,
            },
        })
        .collect()
}

/// The WIT form as the plain type the arithmetic works on.
pub fn convert_form(form: &Form) -> score::Form {
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

/// A plain scorecard as the WIT one.
pub fn to_scorecard(evaluation_external_id: String, card: score::Scorecard) -> Scorecard {
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

/// A scoring error as the plugin error the host receives.
pub fn to_plugin_error(error: score::ScoreError) -> PluginError {
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
