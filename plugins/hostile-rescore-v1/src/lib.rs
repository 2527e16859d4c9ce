//! Hostile test plugin: version 1 of scorer `hostile-rescore`, which loops
//! forever inside `score`.
//!
//! Version 2 (`plugins/hostile-rescore-v2`) answers. Re-scoring with this
//! older version must take the same call path as any other call: refused
//! while the plugin is disabled or tripped, within the plugin's call slots,
//! and counted by its circuit breaker.
//!
//! Never installed by default: the host's integration tests load it explicitly.

mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `scorer`.
    wit_bindgen::generate!({ path: "../../wit/0.1.0", world: "scorer" });
}

use bindings::sidecoach::plugin::types::{Evaluation, Form, PluginError, PluginInfo, Scorecard};

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-rescore".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Version 1 loops forever inside score.".into(),
        }
    }

    fn score(_form: Form, _evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
        let mut counter: u64 = 0;
        loop {
            core::hint::black_box(&mut counter);
            counter = counter.wrapping_add(1);
        }
    }
}

bindings::export!(Hostile with_types_in bindings);
