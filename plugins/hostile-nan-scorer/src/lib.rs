//! Hostile test plugin: a scorer whose scores are not finite numbers.
//!
//! Each evaluation gets NaN, +Inf or -Inf as its score, its critical score
//! and every section's earned points and percent. Which one: the plugin's
//! config key `mode` (`nan`, `inf`, `neginf`) when set, else the suffix of
//! the evaluation's external id (`…-inf`, `…-neginf`, anything else NaN),
//! so one batch can mix all three.
//!
//! Never installed by default: the host's integration tests load it explicitly.

mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `scorer`.
    wit_bindgen::generate!({ path: "../../wit/0.1.0", world: "scorer" });
}

use bindings::sidecoach::plugin::host::config_get;
use bindings::sidecoach::plugin::types::{
    Evaluation, Form, Outcome, PluginError, PluginInfo, Scorecard, SectionScore,
};

/// The non-finite value a mode names.
fn value(mode: &str) -> f64 {
    match mode {
        "inf" => f64::INFINITY,
        "neginf" => f64::NEG_INFINITY,
        _ => f64::NAN,
    }
}

/// The mode for one evaluation: the config's, else its id's suffix.
fn mode_of(configured: Option<&str>, external_id: &str) -> String {
    if let Some(mode) = configured {
        return mode.to_string();
    }
    if external_id.ends_with("-neginf") {
        "neginf".into()
    } else if external_id.ends_with("-inf") {
        "inf".into()
    } else {
        "nan".into()
    }
}

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-nan-scorer".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Scores NaN, +Inf or -Inf.".into(),
        }
    }

    fn score(form: Form, evaluations: Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>> {
        let configured = config_get("mode");
        evaluations
            .into_iter()
            .map(|e| {
                let v = value(&mode_of(configured.as_deref(), &e.external_id));
                Ok(Scorecard {
                    evaluation_external_id: e.external_id,
                    score: v,
                    outcome: Outcome::Pass,
                    critical_score: Some(v),
                    auto_failed: false,
                    sections: form
                        .sections
                        .iter()
                        .map(|s| SectionScore {
                            section_id: s.id.clone(),
                            earned: v,
                            possible: 100.0,
                            percent: Some(v),
                        })
                        .collect(),
                })
            })
            .collect()
    }
}

bindings::export!(Hostile with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_mode_wins_over_the_id_suffix() {
        assert_eq!(mode_of(Some("inf"), "e1-neginf"), "inf");
        assert_eq!(mode_of(None, "e1-neginf"), "neginf");
        assert_eq!(mode_of(None, "e1-inf"), "inf");
        assert_eq!(mode_of(None, "e1"), "nan");
        assert!(value("nan").is_nan());
    }
}
