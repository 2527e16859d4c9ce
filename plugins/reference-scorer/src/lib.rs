//! The reference scorer plugin (world `scorer`): QA scorecards under the vendors'
//! documented conventions.
//!
//! This file is only the component glue: it converts the WIT records into the
//! plain types of [`score`] (the `sidecoach-scoring` crate, `plugins/scoring`),
//! where the arithmetic lives and is unit-tested, and converts the results
//! back. A form that is itself malformed (a reversed scale, a negative weight)
//! yields the same `invalid-input` error for every evaluation.

use sidecoach_scoring as score;

mod glue {
    //! The WIT ↔ plain conversions, shared with every scorer built on this
    //! arithmetic (examples/plugins/engagement-scorer expands the same macro).
    sidecoach_scoring::wit_glue!(crate::bindings::sidecoach::plugin::types);
}
use glue::{convert_answers, convert_form, to_plugin_error, to_scorecard};

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{Evaluation, Form, LogLevel, PluginError, Scorecard};

sidecoach_guest::export_scorer! {
    /// The exported component.
    ReferenceScorer {
        id: "reference-scorer",
        name: "Reference scorer",
        description: "Scores QA evaluations with question, section or points weighting, \
                      N/A exclusion or pass, auto-fail, critical sub-scores and bonus items, \
                      following Genesys, MaestroQA, Zendesk QA and EvaluAgent.",
        score: score_all,
    }
}

/// Scores every evaluation against the form (one error for all when the form
/// itself cannot be scored).
fn score_all(form: Form, evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
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
            let answers = convert_answers(evaluation.answers);
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
