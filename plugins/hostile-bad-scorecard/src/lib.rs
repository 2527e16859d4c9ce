//! Hostile test plugin: a scorer whose scorecards break the contract.
//!
//! What each evaluation gets depends on a keyword in its external id:
//!
//! * `other-id`: the scorecard names another evaluation (the next one in
//!   the batch, or `not-in-this-batch` when it is alone);
//! * `pass-autofail`: outcome `pass` with `auto-failed` set (and score 0);
//! * `negative`: score −250;
//! * `huge`: score 1e300;
//! * `unknown-section`: a section score for a section not on the form
//!   (scorecards of API 0.1.0 carry section ids only, no criterion ids);
//! * anything else: a well-formed 100, pass, one score per form section.
//!
//! Never installed by default: the host's integration tests load it explicitly.

mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `scorer`.
    wit_bindgen::generate!({ path: "../../wit/0.1.0", world: "scorer" });
}

use bindings::sidecoach::plugin::types::{
    Evaluation, Form, Outcome, PluginError, PluginInfo, Scorecard, SectionScore,
};

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-bad-scorecard".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Returns scorecards that break the scorer contract.".into(),
        }
    }

    fn score(form: Form, evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
        let ids: Vec<String> = evaluations.iter().map(|e| e.external_id.clone()).collect();
        evaluations
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let id = &e.external_id;
                let mut card = Scorecard {
                    evaluation_external_id: id.clone(),
                    score: 100.0,
                    outcome: Outcome::Pass,
                    critical_score: None,
                    auto_failed: false,
                    sections: form
                        .sections
                        .iter()
                        .map(|s| SectionScore {
                            section_id: s.id.clone(),
                            earned: 1.0,
                            possible: 1.0,
                            percent: Some(100.0),
                        })
                        .collect(),
                };
                if id.contains("other-id") {
                    card.evaluation_external_id = ids
                        .get(i + 1)
                        .or(if i > 0 { ids.first() } else { None })
                        .cloned()
                        .unwrap_or_else(|| "not-in-this-batch".into());
                } else if id.contains("pass-autofail") {
                    card.score = 0.0;
                    card.auto_failed = true;
                } else if id.contains("negative") {
                    card.score = -250.0;
                } else if id.contains("huge") {
                    card.score = 1e300;
                } else if id.contains("unknown-section") {
                    card.sections.push(SectionScore {
                        section_id: "no-such-section".into(),
                        earned: 1.0,
                        possible: 1.0,
                        percent: Some(100.0),
                    });
                }
                Ok(card)
            })
            .collect()
    }
}

bindings::export!(Hostile with_types_in bindings);
