//! {{name}}: a matcher plugin (world `matcher`, API 0.1.0).
//!
//! Scores every (protégé, mentor) pair from 0 to 1:
//!
//! * skills (weight 0.7): the share of the protégé's needs, weighted by how
//!   weak the protégé is on each, that are among the mentor's strengths;
//! * time zones (weight 0.3): 1 when their UTC offsets are within 3 hours,
//!   falling to 0 at 9 hours apart (or 0.5 when either is unknown).
//!
//! A mentor with no capacity left is not scored. Every pair carries its
//! reasons, which the host shows to the protégé beside the shortlist.
//! Change [`score_pair`] for your center's rule.

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{LogLevel, Mentor, PairScore, PluginError, Protege};

sidecoach_guest::export_matcher! {
    /// The exported component.
    Plugin {
        id: "{{id}}",
        wit: "wit",
        name: "{{name}}",
        description: "Scores pairs on skills the protégé needs and time-zone overlap.",
        rank: rank,
    }
}

/// The `rank` export: a score with reasons for every pair worth scoring.
fn rank(proteges: Vec<Protege>, mentors: Vec<Mentor>) -> Result<Vec<PairScore>, PluginError> {
    let mut pairs = Vec::new();
    for (p, protege) in proteges.iter().enumerate() {
        for (m, mentor) in mentors.iter().enumerate() {
            if mentor.capacity == 0 || mentor.profile.agent_id == protege.profile.agent_id {
                continue;
            }
            let (score, reasons) = score_pair(protege, mentor);
            pairs.push(PairScore {
                protege_index: p as u32,
                mentor_index: m as u32,
                score,
                reasons,
            });
        }
    }
    log(
        LogLevel::Info,
        &format!(
            "scored {} pairs of {} protégés and {} mentors",
            pairs.len(),
            proteges.len(),
            mentors.len()
        ),
    );
    Ok(pairs)
}

/// One pair's score from 0 to 1 and the reasons for it.
pub fn score_pair(protege: &Protege, mentor: &Mentor) -> (f64, Vec<String>) {
    let mut reasons = Vec::new();
    let total: f64 = protege.needs.iter().map(|n| n.weakness.max(0.0)).sum();
    let covered: Vec<&str> = protege
        .needs
        .iter()
        .filter(|n| mentor.strengths.contains(&n.topic))
        .map(|n| n.topic.as_str())
        .collect();
    let covered_weight: f64 = protege
        .needs
        .iter()
        .filter(|n| mentor.strengths.contains(&n.topic))
        .map(|n| n.weakness.max(0.0))
        .sum();
    let skills = if total > 0.0 {
        covered_weight / total
    } else {
        0.0
    };
    if covered.is_empty() {
        reasons.push("strong in none of the protégé's needs".to_string());
    } else {
        reasons.push(format!("strong in {}", covered.join(", ")));
    }
    let zones = match (protege.profile.utc_offset_minutes, mentor.profile.utc_offset_minutes) {
        (Some(a), Some(b)) => {
            let hours = f64::from((a - b).abs()) / 60.0;
            reasons.push(format!("{hours:.1} h apart"));
            (1.0 - (hours - 3.0).max(0.0) / 6.0).clamp(0.0, 1.0)
        }
        _ => {
            reasons.push("time zone unknown".to_string());
            0.5
        }
    };
    (0.7 * skills + 0.3 * zones, reasons)
}
