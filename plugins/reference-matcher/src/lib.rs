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
    Channel, ErrorCode, LogLevel, MatchProfile, Mentor, PairRef, PluginError, Protege,
};
use sidecoach_matching as rank;

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
    let weights = rank::Weights::from_config(config_get).map_err(|e| PluginError {
        code: ErrorCode::ConfigInvalid,
        message: e.message,
        field: Some(e.field),
    })?;
    let (proteges, mentors) = (convert_proteges(proteges), convert_mentors(mentors));
    let scores = rank::score_matrix(&proteges, &mentors, weights).map_err(invalid_input)?;
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
    rank::explain(&proteges, &mentors, &pairs).map_err(invalid_input)
}

fn invalid_input(e: rank::Invalid) -> PluginError {
    PluginError {
        code: ErrorCode::InvalidInput,
        message: e.message,
        field: Some(e.field),
    }
}

fn convert_proteges(proteges: Vec<Protege>) -> Vec<rank::Protege> {
    proteges
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
        .collect()
}

fn convert_mentors(mentors: Vec<Mentor>) -> Vec<rank::Mentor> {
    mentors
        .into_iter()
        .map(|m| rank::Mentor {
            profile: convert_profile(m.profile),
            strengths: m.strengths,
            capacity: m.capacity,
        })
        .collect()
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
