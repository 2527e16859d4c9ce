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
