//! The reference matcher as released for API 0.1.0 (world `matcher`, export
//! `rank`: every pair with its reasons). The host now ships the 0.4.0 matcher
//! (`plugins/reference-matcher`); this version stays as a test plugin, so the
//! tests prove a 0.1.0 matcher still loads, and matches exactly as the 0.4.0
//! one does (both use the arithmetic and the WIT glue of `sidecoach-matching`).

use sidecoach_matching as rank;

use bindings::sidecoach::plugin::host::{config_get, log};
use bindings::sidecoach::plugin::types::{
    ErrorCode, LogLevel, Mentor, PairScore, PluginError, Protege,
};

mod glue {
    sidecoach_matching::wit_glue!(crate::bindings::sidecoach::plugin::types);
}
use glue::{convert_mentors, convert_proteges, to_plugin_error};

sidecoach_guest::export_matcher! {
    /// The exported component.
    ReferenceMatcher {
        id: "reference-matcher",
        name: "Reference matcher",
        description: "Scores protégé–mentor pairs on skill complement, communication style, \
                      time-zone overlap and shared channels, with configurable weights.",
        rank: rank,
    }
}

/// The `rank` export.
fn rank(proteges: Vec<Protege>, mentors: Vec<Mentor>) -> Result<Vec<PairScore>, PluginError> {
    let weights = rank::Weights::from_config(config_get)
        .map_err(|e| to_plugin_error(ErrorCode::ConfigInvalid, e))?;
    let (proteges, mentors) = (convert_proteges(proteges), convert_mentors(mentors));
    let pairs = rank::rank(&proteges, &mentors, weights)
        .map_err(|e| to_plugin_error(ErrorCode::InvalidInput, e))?;
    log(
        LogLevel::Debug,
        &format!(
            "scored {} pairs from {} protégés and {} mentors",
            pairs.len(),
            proteges.len(),
            mentors.len()
        ),
    );
    Ok(pairs
        .into_iter()
        .map(|p| PairScore {
            protege_index: p.protege_index,
            mentor_index: p.mentor_index,
            score: p.score,
            reasons: p.reasons,
        })
        .collect())
}
