//! Mentor-matching inputs and outputs: what a matcher plugin reads and returns.

use serde::{Deserialize, Serialize};

use super::Channel;

/// A topic a protégé needs help with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicNeed {
    /// The topic.
    pub topic: String,
    /// Weakness from 0 (fine) to 1 (weakest).
    pub weakness: f64,
}

/// Attributes shared by protégés and mentors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchProfile {
    /// Sidecoach agent id.
    pub agent_id: String,
    /// Communication style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// UTC offset in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset_minutes: Option<i32>,
    /// Channels the person can use.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Works from home.
    #[serde(default)]
    pub home_based: bool,
}

/// An agent who needs a mentor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Protege {
    /// Matching attributes.
    pub profile: MatchProfile,
    /// Needs, weakest first.
    #[serde(default)]
    pub needs: Vec<TopicNeed>,
}

/// An agent who opted in to mentor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mentor {
    /// Matching attributes.
    pub profile: MatchProfile,
    /// Strong topics.
    #[serde(default)]
    pub strengths: Vec<String>,
    /// How many protégés they can take.
    pub capacity: u32,
}

/// What a matcher's scoring call returned, by the matcher's API version.
#[derive(Clone, Debug, PartialEq)]
pub enum PairScores {
    /// API 0.1.0 (`rank`): the pairs worth considering, each with its
    /// reasons; a pair left out may not be matched.
    Ranked(Vec<PairScore>),
    /// API 0.4.0 (`score`): one score per pair, row-major (protégé `i`,
    /// mentor `j` at `i × mentors + j`); a negative score means the pair may
    /// not be matched. Reasons come from `explain`, for the pairs offered.
    Matrix(Vec<f64>),
}

impl PairScores {
    /// The pairs that may be matched, as (protégé, mentor, score), checked
    /// against a call of `proteges` × `mentors`: indices in range, each pair
    /// once, scores within 0..1 (a matrix's negative entries are the pairs
    /// that may not be matched). The error says what is wrong with which
    /// pair.
    pub fn allowed(
        &self,
        proteges: usize,
        mentors: usize,
    ) -> Result<Vec<(usize, usize, f64)>, String> {
        let in_range = |p: usize, m: usize, score: f64| {
            if p >= proteges || m >= mentors {
                Err(format!(
                    "scored a pair out of range ({p}, {m}) of {proteges} protégés × {mentors} mentors"
                ))
            } else if !(0.0..=1.0).contains(&score) {
                Err(format!(
                    "gave pair ({p}, {m}) the score {score}, outside 0..1"
                ))
            } else {
                Ok((p, m, score))
            }
        };
        match self {
            PairScores::Ranked(pairs) => {
                let mut seen = std::collections::HashSet::with_capacity(pairs.len());
                pairs
                    .iter()
                    .map(|s| {
                        let (p, m) = (s.protege_index as usize, s.mentor_index as usize);
                        if !seen.insert((p, m)) {
                            return Err(format!("scored pair ({p}, {m}) twice"));
                        }
                        in_range(p, m, s.score)
                    })
                    .collect()
            }
            PairScores::Matrix(scores) => {
                let expected = proteges.saturating_mul(mentors);
                if scores.len() != expected {
                    return Err(format!(
                        "returned {} scores for {proteges} protégés × {mentors} mentors = {expected} pairs",
                        scores.len()
                    ));
                }
                let mut out = Vec::new();
                for (k, &score) in scores.iter().enumerate() {
                    // Negative: not a fit. NaN is neither and fails below.
                    if score < 0.0 {
                        continue;
                    }
                    out.push(in_range(k / mentors, k % mentors, score)?);
                }
                Ok(out)
            }
        }
    }
}

/// How well one mentor suits one protégé.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PairScore {
    /// Index into the protégés of the call.
    pub protege_index: u32,
    /// Index into the mentors of the call.
    pub mentor_index: u32,
    /// Higher is better.
    pub score: f64,
    /// Reasons in plain words.
    pub reasons: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(p: u32, m: u32, score: f64) -> PairScore {
        PairScore {
            protege_index: p,
            mentor_index: m,
            score,
            reasons: vec![],
        }
    }

    #[test]
    fn a_matrix_leaves_out_negative_scores_and_refuses_nan_over_one_or_a_wrong_length() {
        let ok = PairScores::Matrix(vec![0.5, -1.0, 1.0, 0.0]);
        assert_eq!(
            ok.allowed(2, 2).unwrap(),
            vec![(0, 0, 0.5), (1, 0, 1.0), (1, 1, 0.0)]
        );
        let nan = PairScores::Matrix(vec![0.5, f64::NAN]).allowed(1, 2);
        assert!(nan.unwrap_err().contains("(0, 1)"));
        let over = PairScores::Matrix(vec![1.5]).allowed(1, 1);
        assert!(over.unwrap_err().contains("outside 0..1"));
        let short = PairScores::Matrix(vec![0.5; 3]).allowed(2, 2);
        assert!(short.unwrap_err().contains("3 scores"));
    }

    #[test]
    fn ranked_pairs_are_checked_for_range_score_and_repeats() {
        let ok = PairScores::Ranked(vec![ranked(1, 0, 0.25)]);
        assert_eq!(ok.allowed(2, 1).unwrap(), vec![(1, 0, 0.25)]);
        let out = PairScores::Ranked(vec![ranked(2, 0, 0.25)]).allowed(2, 1);
        assert!(out.unwrap_err().contains("out of range (2, 0)"));
        let twice = PairScores::Ranked(vec![ranked(0, 0, 0.2), ranked(0, 0, 0.3)]).allowed(1, 1);
        assert!(twice.unwrap_err().contains("twice"));
    }
}
