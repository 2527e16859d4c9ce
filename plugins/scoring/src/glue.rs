//! The WIT ↔ plain-type conversions around the arithmetic: the form, the
//! answers, the scorecard and the error, as a macro. Every scorer built on this
//! arithmetic (`plugins/reference-scorer`, `examples/plugins/engagement-scorer`)
//! generates its own WIT bindings, so their types are not nameable here; the
//! macro is expanded in the plugin, against its `types` module.

/// In a scorer plugin: `convert_answers`, `convert_form`, `to_scorecard` and
/// `to_plugin_error`, between the plugin's WIT types (world `scorer`, API
/// 0.1.0) and this crate's. Give it the path of the generated `types` module:
///
/// ```ignore
/// mod glue {
///     sidecoach_scoring::wit_glue!(crate::bindings::sidecoach::plugin::types);
/// }
/// ```
#[macro_export]
macro_rules! wit_glue {
    ($types:path) => {
        use $types as wit;

        /// A WIT evaluation's answers as the plain type.
        pub(crate) fn convert_answers(answers: Vec<wit::Answer>) -> Vec<$crate::Answer> {
            answers
                .into_iter()
                .map(|a| $crate::Answer {
                    criterion_id: a.criterion_id,
                    value: match a.value {
                        wit::AnswerValue::Score(v) => $crate::Value::Score(v),
                        wit::AnswerValue::NotApplicable => $crate::Value::NotApplicable,
                    },
                })
                .collect()
        }

        /// The WIT form as the plain type the arithmetic works on.
        pub(crate) fn convert_form(form: &wit::Form) -> $crate::Form {
            let s = &form.settings;
            $crate::Form {
                sections: form
                    .sections
                    .iter()
                    .map(|section| $crate::Section {
                        id: section.id.clone(),
                        weight: section.weight,
                        criteria: section
                            .criteria
                            .iter()
                            .map(|c| $crate::Criterion {
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
                settings: $crate::Settings {
                    weighting: match s.weighting {
                        wit::Weighting::Question => $crate::Weighting::Question,
                        wit::Weighting::Section => $crate::Weighting::Section,
                        wit::Weighting::Points => $crate::Weighting::Points,
                    },
                    na_policy: match s.na_policy {
                        wit::NaPolicy::Exclude => $crate::NaPolicy::Exclude,
                        wit::NaPolicy::CountAsPass => $crate::NaPolicy::CountAsPass,
                    },
                    na_redistribution: match s.na_redistribution {
                        wit::NaRedistribution::Proportional => {
                            $crate::NaRedistribution::Proportional
                        }
                        wit::NaRedistribution::Equal => $crate::NaRedistribution::Equal,
                    },
                    auto_fail: match s.auto_fail {
                        wit::AutoFailPolicy::ZeroScore => $crate::AutoFail::ZeroScore,
                        wit::AutoFailPolicy::KeepScore => $crate::AutoFail::KeepScore,
                    },
                    normalization: match s.normalization {
                        wit::Normalization::MinMax => $crate::Normalization::MinMax,
                        wit::Normalization::Raw => $crate::Normalization::Raw,
                    },
                    critical_threshold: s.critical_threshold,
                    pass_mark: s.pass_mark,
                    allow_bonus: s.allow_bonus,
                },
            }
        }

        /// A plain scorecard as the WIT one.
        pub(crate) fn to_scorecard(
            evaluation_external_id: String,
            card: $crate::Scorecard,
        ) -> wit::Scorecard {
            wit::Scorecard {
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
        pub(crate) fn to_plugin_error(error: $crate::ScoreError) -> wit::PluginError {
            match error {
                $crate::ScoreError::Invalid { field, message } => wit::PluginError {
                    code: wit::ErrorCode::InvalidInput,
                    message,
                    field: Some(field),
                },
                $crate::ScoreError::NotComputable(message) => wit::PluginError {
                    code: wit::ErrorCode::NotComputable,
                    message,
                    field: None,
                },
            }
        }
    };
}
