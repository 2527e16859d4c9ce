//! The reference matcher plugin (API 0.4.0, world `matcher`): scores every
//! (protégé, mentor) pair as one flat matrix, then explains the pairs the host
//! offers.
//!
//! This file is only the component glue: it reads the component weights through
//! the host's `config-get`, converts the WIT records into the plain types of
//! [`sidecoach_matching`], where the arithmetic lives and is unit-tested, and
//! converts back.

use bindings::sidecoach::plugin::host::{config_get, log};
use bindings::sidecoach::plugin::types::{
    ErrorCode, LogLevel, Mentor, PairRef, PluginError, Protege,
};
use sidecoach_matching as rank;

mod glue {
    sidecoach_matching::wit_glue!(crate::bindings::sidecoach::plugin::types);
}
use glue::{convert_mentors, convert_proteges, to_plugin_error};

sidecoach_guest::export_matcher! {
    /// The exported component.
    ReferenceMatcher {
        id: "reference-matcher",
        api: "0.4.0",
        name: "Reference matcher",
        description: "Scores protégé–mentor pairs on skill complement, communication style, \
                      time-zone overlap and shared channels, with configurable weights.",
        score: score,
        explain: explain,
    }
}

/// The `score` export: the matrix, row by protégé, -1 where a pair may not be
/// matched.
fn score(proteges: Vec<Protege>, mentors: Vec<Mentor>) -> Result<Vec<f64>, PluginError> {
    let weights = rank::Weights::from_config(config_get)
        .map_err(|e| to_plugin_error(ErrorCode::ConfigInvalid, e))?;
    let (proteges, mentors) = (convert_proteges(proteges), convert_mentors(mentors));
    let scores = rank::score_matrix(&proteges, &mentors, weights)
        .map_err(|e| to_plugin_error(ErrorCode::InvalidInput, e))?;
    log(
        LogLevel::Debug,
        &format!(
            "scored {} protégés × {} mentors",
            proteges.len(),
            mentors.len()
        ),
    );
    Ok(scores)
}

/// The `explain` export: each named pair's reasons.
fn explain(
    proteges: Vec<Protege>,
    mentors: Vec<Mentor>,
    pairs: Vec<PairRef>,
) -> Result<Vec<Vec<String>>, PluginError> {
    let (proteges, mentors) = (convert_proteges(proteges), convert_mentors(mentors));
    let pairs: Vec<(u32, u32)> = pairs
        .iter()
        .map(|p| (p.protege_index, p.mentor_index))
        .collect();
    rank::explain(&proteges, &mentors, &pairs)
        .map_err(|e| to_plugin_error(ErrorCode::InvalidInput, e))
}

#[cfg(test)]
mod tests {
    const MANIFEST: &str = include_str!("../plugin.toml");

    #[test]
    fn manifest_config_defaults_match_the_code() {
        let d = sidecoach_matching::Weights::DEFAULT;
        for (key, value) in [
            ("weight.skill", d.skill),
            ("weight.style", d.style),
            ("weight.timezone", d.timezone),
            ("weight.channels", d.channels),
        ] {
            let line = format!("\"{key}\" = \"{value}\"");
            assert!(MANIFEST.contains(&line), "plugin.toml lacks {line}");
        }
    }
}
