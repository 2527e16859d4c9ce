//! Test plugin: version 2 of scorer `hostile-rescore`, which gives every
//! evaluation 100 and a pass. Its version 1 (`plugins/hostile-rescore-v1`)
//! loops forever; the tests install 1 then 2 and re-score with 1.
//!
//! Never installed by default: the host's integration tests load it explicitly.

mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `scorer`.
    wit_bindgen::generate!({ path: "../../wit/0.1.0", world: "scorer" });
}

use bindings::sidecoach::plugin::types::{
    Evaluation, Form, Outcome, PluginError, PluginInfo, Scorecard,
};

/// The exported component.
struct Answering;

impl bindings::Guest for Answering {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-rescore".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Version 2 gives every evaluation 100.".into(),
        }
    }

    fn score(_form: Form, evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
        evaluations
            .into_iter()
            .map(|e| {
                Ok(Scorecard {
                    evaluation_external_id: e.external_id,
                    score: 100.0,
                    outcome: Outcome::Pass,
                    critical_score: None,
                    auto_failed: false,
                    sections: vec![],
                })
            })
            .collect()
    }
}

bindings::export!(Answering with_types_in bindings);
