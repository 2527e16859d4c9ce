//! {{name}}: a scorer plugin (world `scorer`, API 0.1.0).
//!
//! The rule, per evaluation:
//!
//! * every answered criterion earns `weight × (value − min) / (max − min)` of
//!   a possible `weight`; a criterion whose topic is listed in the config key
//!   `double.topics` counts twice; `not-applicable` answers leave it out;
//! * the score is earned / possible as a percent, and passes at the form's
//!   pass mark;
//! * a fatal criterion answered at its scale minimum fails the evaluation
//!   with a score of 0 (`auto-failed`).
//!
//! Change [`score_one`] to make it your center's rule; `sidecoach plugin test`
//! runs the cases in `cases/` against the built component.

use bindings::sidecoach::plugin::host::{config_get, log};
use bindings::sidecoach::plugin::types::{
    AnswerValue, ErrorCode, Evaluation, Form, LogLevel, Outcome, PluginError, Scorecard,
    SectionScore,
};

sidecoach_guest::export_scorer! {
    /// The exported component.
    Plugin {
        id: "{{id}}",
        wit: "wit",
        name: "{{name}}",
        description: "Weighted percent of the answered criteria; a fatal criterion answered \
                      at its minimum fails the evaluation.",
        score: score,
    }
}

/// The `score` export: one result per evaluation, in order.
fn score(form: Form, evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
    let doubled = config_get("double.topics").unwrap_or_default();
    let doubled: Vec<&str> = doubled
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    let cards: Vec<_> = evaluations
        .iter()
        .map(|e| score_one(&form, e, &doubled))
        .collect();
    let refused = cards.iter().filter(|c| c.is_err()).count();
    log(
        LogLevel::Info,
        &format!(
            "scored {} evaluations of form `{}` ({refused} refused)",
            cards.len(),
            form.id
        ),
    );
    cards
}

/// Scores one evaluation (see the crate docs for the rule).
pub fn score_one(
    form: &Form,
    evaluation: &Evaluation,
    doubled: &[&str],
) -> Result<Scorecard, PluginError> {
    // Every answer must name a criterion of the form, within its scale.
    for (i, answer) in evaluation.answers.iter().enumerate() {
        let Some(criterion) = form
            .sections
            .iter()
            .flat_map(|s| &s.criteria)
            .find(|c| c.id == answer.criterion_id)
        else {
            return Err(invalid(
                format!("answers[{i}].criterion_id"),
                format!(
                    "`{}` is not a criterion of form `{}`",
                    answer.criterion_id, form.id
                ),
            ));
        };
        if let AnswerValue::Score(v) = answer.value
            && !(criterion.scale_min..=criterion.scale_max).contains(&v)
        {
            return Err(invalid(
                format!("answers[{i}].value"),
                format!(
                    "{v} is outside the scale of `{}` ({} to {})",
                    criterion.id, criterion.scale_min, criterion.scale_max
                ),
            ));
        }
    }
    let mut sections = Vec::with_capacity(form.sections.len());
    let (mut earned, mut possible, mut auto_failed) = (0.0, 0.0, false);
    for section in &form.sections {
        let (mut s_earned, mut s_possible) = (0.0, 0.0);
        for criterion in &section.criteria {
            let answer = evaluation
                .answers
                .iter()
                .find(|a| a.criterion_id == criterion.id);
            let Some(AnswerValue::Score(value)) = answer.map(|a| a.value) else {
                continue; // unanswered or not applicable
            };
            let span = criterion.scale_max - criterion.scale_min;
            let fraction = if span > 0.0 {
                (value - criterion.scale_min) / span
            } else {
                1.0
            };
            if criterion.fatal && value <= criterion.scale_min {
                auto_failed = true;
            }
            let factor = match &criterion.topic {
                Some(topic) if doubled.contains(&topic.as_str()) => 2.0,
                _ => 1.0,
            };
            s_earned += criterion.weight * factor * fraction;
            s_possible += criterion.weight * factor;
        }
        sections.push(SectionScore {
            section_id: section.id.clone(),
            earned: s_earned,
            possible: s_possible,
            percent: (s_possible > 0.0).then(|| 100.0 * s_earned / s_possible),
        });
        earned += s_earned;
        possible += s_possible;
    }
    if possible <= 0.0 {
        return Err(PluginError {
            code: ErrorCode::NotComputable,
            message: "no criterion was answered, so there is nothing to score".into(),
            field: Some("answers".into()),
        });
    }
    let score = if auto_failed {
        0.0
    } else {
        100.0 * earned / possible
    };
    Ok(Scorecard {
        evaluation_external_id: evaluation.external_id.clone(),
        score,
        outcome: if !auto_failed && score >= form.settings.pass_mark {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        critical_score: None,
        auto_failed,
        sections,
    })
}

/// An `invalid-input` error at `field`.
fn invalid(field: String, message: String) -> PluginError {
    PluginError {
        code: ErrorCode::InvalidInput,
        message,
        field: Some(field),
    }
}
