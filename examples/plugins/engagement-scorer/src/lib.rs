//! An example custom scorer plugin (world `scorer`): the reference scorer's
//! arithmetic with one coaching topic — customer engagement by default —
//! weighted up, as a contact center that values engagement would write it.
//!
//! It reuses the reference scorer's arithmetic verbatim: it depends on the
//! `sidecoach-scoring` crate (`plugins/scoring`) that `plugins/reference-scorer`
//! is built on, so a fix there is a fix here. Before scoring, [`engagement::apply`]
//! multiplies by `engagement.factor` (default 2) the weight of every criterion
//! whose `topic` is `engagement.topic` (default `customer-engagement`); under
//! section weighting, a section made only of such criteria has its section
//! weight multiplied instead, since a uniform factor inside a section would
//! cancel out (see `engagement.rs` and README.md). A factor of 1 scores exactly
//! like the reference scorer.
//!
//! # Layout
//!
//! * this file — the component glue: reads the config through the host's
//!   `config-get`, converts the WIT records to the plain types of `score` (and
//!   keeps each criterion's topic aside), and converts the results back;
//! * `engagement.rs` — config parsing and the weight adjustment, tested natively;
//! * `score` — the `sidecoach-scoring` crate (`plugins/scoring`), unchanged,
//!   and `glue`, its WIT conversions expanded against this crate's bindings.

mod engagement;

use sidecoach_scoring as score;

mod glue {
    //! The reference scorer's WIT ↔ plain conversions.
    sidecoach_scoring::wit_glue!(crate::bindings::sidecoach::plugin::types);
}
use glue::{to_plugin_error, to_scorecard};

use bindings::sidecoach::plugin::host::{config_get, log};
use bindings::sidecoach::plugin::types::{
    ErrorCode, Evaluation, Form, LogLevel, PluginError, Scorecard,
};

sidecoach_guest::export_scorer! {
    /// The exported component.
    EngagementScorer {
        id: "engagement-scorer",
        wit: "../../../wit/0.1.0",
        name: "Engagement scorer",
        description: "Scores QA evaluations like the reference scorer, with the criteria of \
                      one coaching topic (engagement.topic, default customer-engagement) \
                      weighted by engagement.factor (default 2).",
        score: score_all,
    }
}

/// Scores every evaluation with the configured topic weighted up (one error
/// for all when the config or the form cannot be used).
fn score_all(form: Form, evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
    let prepared = engagement::Boost::from_config(config_get)
        .map_err(config_error)
        .and_then(|boost| prepare(&form, &boost).map(|(plain, boosted)| (boost, plain, boosted)));
    let (boost, plain, boosted) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            log(
                LogLevel::Warn,
                &format!(
                    "form `{}` v{} cannot be scored: {}",
                    form.id, form.version, error.message
                ),
            );
            return evaluations.iter().map(|_| Err(error.clone())).collect();
        }
    };
    let results: Vec<_> = evaluations
        .into_iter()
        .map(|evaluation| score_one(&plain, evaluation))
        .collect();
    let failed = results.iter().filter(|r| r.is_err()).count();
    log(
        LogLevel::Debug,
        &format!(
            "scored {} evaluations against form `{}` v{} ({failed} not scorable); topic `{}` \
                 ×{}: {} section and {} criterion weights multiplied",
            results.len(),
            form.id,
            form.version,
            boost.topic,
            boost.factor,
            boosted.sections,
            boosted.criteria
        ),
    );
    results
}

/// Validates the form, applies the boost, and validates again (a huge weight
/// times the factor could overflow to infinity).
fn prepare(
    form: &Form,
    boost: &engagement::Boost,
) -> Result<(score::Form, engagement::Boosted), PluginError> {
    let (mut plain, topics) = convert_form(form);
    score::validate_form(&plain).map_err(to_plugin_error)?;
    let boosted = engagement::apply(&mut plain, &topics, boost);
    score::validate_form(&plain).map_err(to_plugin_error)?;
    Ok((plain, boosted))
}

/// Scores one evaluation against the prepared form.
fn score_one(form: &score::Form, evaluation: Evaluation) -> Result<Scorecard, PluginError> {
    let answers = glue::convert_answers(evaluation.answers);
    score::score(form, &answers)
        .map(|card| to_scorecard(evaluation.external_id, card))
        .map_err(to_plugin_error)
}

/// The WIT form as the plain type the arithmetic works on, and each
/// criterion's topic (`topics[s][c]`), which the plain type does not carry.
fn convert_form(form: &Form) -> (score::Form, Vec<Vec<Option<String>>>) {
    let topics = form
        .sections
        .iter()
        .map(|section| section.criteria.iter().map(|c| c.topic.clone()).collect())
        .collect();
    (glue::convert_form(form), topics)
}

/// A config value the plugin cannot use: `config-invalid`, naming the key.
fn config_error(error: engagement::ConfigError) -> PluginError {
    PluginError {
        code: ErrorCode::ConfigInvalid,
        message: error.message,
        field: Some(error.key),
    }
}

#[cfg(test)]
mod tests {
    //! The glue, natively: manifest, config errors and a WIT form end to end
    //! (everything but the host's `config-get` and `log`).

    use super::*;
    use bindings::sidecoach::plugin::types as wit;

    const MANIFEST: &str = include_str!("../plugin.toml");

    /// A `key = "value"` of the manifest; `table` is `None` for the top level.
    fn manifest_value(table: Option<&str>, key: &str) -> &'static str {
        let mut current = None;
        MANIFEST
            .lines()
            .find_map(|l| {
                if let Some(name) = l.strip_prefix('[') {
                    current = name.strip_suffix(']');
                    return None;
                }
                if current != table {
                    return None;
                }
                let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                rest.trim().strip_prefix('"')?.split('"').next()
            })
            .unwrap_or_else(|| panic!("plugin.toml has no `{key}` in {table:?}"))
    }

    #[test]
    fn manifest_config_defaults_match_the_code() {
        let topic = manifest_value(Some("config"), "\"engagement.topic\"");
        let factor = manifest_value(Some("config"), "\"engagement.factor\"");
        assert_eq!(topic, engagement::DEFAULT_TOPIC);
        assert_eq!(factor.parse::<f64>().unwrap(), engagement::DEFAULT_FACTOR);
    }

    #[test]
    fn config_errors_are_config_invalid_naming_the_key() {
        let err =
            engagement::Boost::from_config(|k| (k == "engagement.factor").then(|| "-2".into()))
                .map_err(config_error)
                .unwrap_err();
        assert_eq!(err.code, ErrorCode::ConfigInvalid);
        assert_eq!(err.field.as_deref(), Some("engagement.factor"));
        assert!(err.message.contains("\"-2\""), "{}", err.message);
    }

    fn criterion(id: &str, weight: f64, topic: Option<&str>) -> wit::Criterion {
        wit::Criterion {
            id: id.into(),
            label: id.into(),
            weight,
            scale_min: 1.0,
            scale_max: 5.0,
            critical: false,
            fatal: false,
            bonus: false,
            topic: topic.map(str::to_owned),
        }
    }

    fn wit_form(criteria: Vec<wit::Criterion>) -> Form {
        Form {
            id: "call-review".into(),
            version: 3,
            name: "Call review".into(),
            sections: vec![wit::FormSection {
                id: "call".into(),
                name: "Call".into(),
                weight: 1.0,
                criteria,
            }],
            settings: wit::ScoringSettings {
                weighting: wit::Weighting::Question,
                na_policy: wit::NaPolicy::Exclude,
                na_redistribution: wit::NaRedistribution::Proportional,
                auto_fail: wit::AutoFailPolicy::ZeroScore,
                normalization: wit::Normalization::MinMax,
                critical_threshold: None,
                pass_mark: 80.0,
                allow_bonus: false,
            },
        }
    }

    fn evaluation(values: &[(&str, f64)]) -> Evaluation {
        Evaluation {
            external_id: "eval-1".into(),
            form_id: "call-review".into(),
            form_version: Some(3),
            answers: values
                .iter()
                .map(|(id, v)| wit::Answer {
                    criterion_id: (*id).into(),
                    value: wit::AnswerValue::Score(*v),
                    comment: None,
                })
                .collect(),
            interaction_external_id: None,
            agent_vendor_id: None,
            evaluator_vendor_id: None,
            evaluated_at: None,
            vendor_score: None,
        }
    }

    #[test]
    fn a_wit_form_carries_its_topics_into_the_boost() {
        let form = wit_form(vec![
            criterion("empathy", 1.0, Some("customer-engagement")),
            criterion("accuracy", 2.0, Some("product-knowledge")),
            criterion("close", 1.0, None),
        ]);
        let weak = || evaluation(&[("empathy", 2.0), ("accuracy", 5.0), ("close", 5.0)]);
        let score_with = |factor: f64| {
            let boost = engagement::Boost {
                topic: "customer-engagement".into(),
                factor,
            };
            let (plain, _) = prepare(&form, &boost).unwrap();
            score_one(&plain, weak()).unwrap()
        };
        // The reference scorer's figure (3.25 / 4), then engagement ×2 (3.5 / 5).
        let (reference, _) = convert_form(&form);
        let answers =
            [("empathy", 2.0), ("accuracy", 5.0), ("close", 5.0)].map(|(id, v)| score::Answer {
                criterion_id: id.into(),
                value: score::Value::Score(v),
            });
        let reference = score::score(&reference, &answers).unwrap();
        let same = score_with(1.0);
        assert_eq!(same.score, reference.score);
        assert_eq!(same.score, 81.25);
        assert_eq!(same.outcome, wit::Outcome::Pass);
        let doubled = score_with(2.0);
        assert!((doubled.score - 70.0).abs() < 1e-9, "{}", doubled.score);
        assert_eq!(doubled.outcome, wit::Outcome::Fail);
        assert_eq!(doubled.evaluation_external_id, "eval-1");
    }

    #[test]
    fn a_malformed_form_is_invalid_input_naming_the_field_before_boosting() {
        let form = wit_form(vec![criterion(
            "empathy",
            -1.0,
            Some("customer-engagement"),
        )]);
        let boost = engagement::Boost {
            topic: "customer-engagement".into(),
            factor: 2.0,
        };
        let err = prepare(&form, &boost).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            err.field.as_deref(),
            Some("form.sections[0].criteria[0].weight")
        );
        assert!(err.message.contains("weight -1"), "{}", err.message);
    }
}
