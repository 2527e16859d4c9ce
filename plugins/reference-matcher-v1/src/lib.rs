//! The reference matcher as released for API 0.1.0 (world `matcher`, export
//! `rank`: every pair with its reasons). The host now ships the 0.4.0 matcher
//! (`plugins/reference-matcher`); this version stays as a test plugin, so the
//! tests prove a 0.1.0 matcher still loads, and matches exactly as the 0.4.0
//! one does (both use the arithmetic of `sidecoach-matching`).

use sidecoach_matching as rank;

use bindings::sidecoach::plugin::host::{config_get, log};
use bindings::sidecoach::plugin::types::{
    Channel, ErrorCode, LogLevel, MatchProfile, Mentor, PairScore, PluginError, Protege,
};

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
    let weights = rank::Weights::from_config(config_get).map_err(|e| PluginError {
        code: ErrorCode::ConfigInvalid,
        message: e.message,
        field: Some(e.field),
    })?;
    let proteges: Vec<rank::Protege> = proteges
        .into_iter()
        .map(|p| rank::Protege {
            profile: convert_profile(p.profile),
            needs: p
                .needs
                .into_iter()
                .map(|n| rank::Need {
                    topic: n.topic,
                    weakness: n.weakness,
                })
                .collect(),
        })
        .collect();
    let mentors: Vec<rank::Mentor> = mentors
        .into_iter()
        .map(|m| rank::Mentor {
            profile: convert_profile(m.profile),
            strengths: m.strengths,
            capacity: m.capacity,
        })
        .collect();
    let pairs = rank::rank(&proteges, &mentors, weights).map_err(|e| PluginError {
        code: ErrorCode::InvalidInput,
        message: e.message,
        field: Some(e.field),
    })?;
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

fn convert_profile(p: MatchProfile) -> rank::Profile {
    rank::Profile {
        agent_id: p.agent_id,
        style: p.style,
        utc_offset_minutes: p.utc_offset_minutes,
        channels: p
            .channels
            .into_iter()
            .map(|c| channel_name(c).to_owned())
            .collect(),
    }
}

/// The WIT case name, as reasons show it.
fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Voice => "voice",
        Channel::Chat => "chat",
        Channel::Email => "email",
        Channel::Sms => "sms",
        Channel::Video => "video",
        Channel::Social => "social",
        Channel::Task => "task",
        Channel::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = include_str!("../plugin.toml");

    #[test]
    fn manifest_config_defaults_match_the_code() {
        let d = rank::Weights::DEFAULT;
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
