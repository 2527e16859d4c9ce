//! The source options: which survey questions are ratings, and where the
//! agent, interaction, comment and topics live.

use crate::bindings::sidecoach::plugin::types::{PluginError, RatingKind};
use crate::errors::config;
use sidecoach_guest::config::SourceConfig;

/// Option: the embedded-data key holding the agent's vendor user id.
pub const AGENT_KEY: &str = "agent_key";
/// Option: the embedded-data key holding the interaction's external id.
pub const INTERACTION_KEY: &str = "interaction_key";
/// Option: the CSAT question id (`QID1`…).
pub const CSAT_QUESTION: &str = "csat_question";
/// Option: the CSAT scale's bottom.
pub const CSAT_SCALE_MIN: &str = "csat_scale_min";
/// Option: the CSAT scale's top.
pub const CSAT_SCALE_MAX: &str = "csat_scale_max";
/// Option: the NPS question id (answers 0..10).
pub const NPS_QUESTION: &str = "nps_question";
/// Option: the CES question id.
pub const CES_QUESTION: &str = "ces_question";
/// Option: the CES scale's bottom.
pub const CES_SCALE_MIN: &str = "ces_scale_min";
/// Option: the CES scale's top.
pub const CES_SCALE_MAX: &str = "ces_scale_max";
/// Option: the free-text question whose answer is the verbatim.
pub const COMMENT_QUESTION: &str = "comment_question";
/// Option: the embedded-data key holding topics.
pub const TOPIC_KEY: &str = "topic_key";

/// One configured rating question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// The question id as Qualtrics names it in `values` (`QID1`).
    pub qid: String,
    /// What it measures.
    pub kind: RatingKind,
    /// The scale's bottom.
    pub scale_min: f64,
    /// The scale's top.
    pub scale_max: f64,
}

/// The source's options, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Embedded-data key of the agent id.
    pub agent_key: String,
    /// Embedded-data key of the interaction id.
    pub interaction_key: String,
    /// The rating questions, in the order CSAT, NPS, CES.
    pub questions: Vec<Question>,
    /// The free-text question, if any.
    pub comment_question: Option<String>,
    /// Embedded-data key of the topics, if any.
    pub topic_key: Option<String>,
}

impl Options {
    /// Reads the options. At least one of `csat_question`, `nps_question`,
    /// `ces_question` must be set; scales are numbers with bottom < top.
    pub fn from_config(cfg: SourceConfig<'_>) -> Result<Self, PluginError> {
        let number = |key: &str, default: f64| {
            cfg.number(key)
                .map(|v| v.unwrap_or(default))
                .map_err(|message| config(key, message))
        };
        let scale = |min_key: &'static str, max_key: &'static str, min: f64, max: f64| {
            let (min, max) = (number(min_key, min)?, number(max_key, max)?);
            if min >= max {
                return Err(config(
                    min_key,
                    format!("`{min_key}` ({min}) must be below `{max_key}` ({max})"),
                ));
            }
            Ok((min, max))
        };
        let mut questions = Vec::new();
        if let Some(qid) = cfg.get(CSAT_QUESTION) {
            let (scale_min, scale_max) = scale(CSAT_SCALE_MIN, CSAT_SCALE_MAX, 1.0, 5.0)?;
            questions.push(Question {
                qid: qid.trim().to_string(),
                kind: RatingKind::Csat,
                scale_min,
                scale_max,
            });
        }
        if let Some(qid) = cfg.get(NPS_QUESTION) {
            questions.push(Question {
                qid: qid.trim().to_string(),
                kind: RatingKind::Nps,
                scale_min: 0.0,
                scale_max: 10.0,
            });
        }
        if let Some(qid) = cfg.get(CES_QUESTION) {
            let (scale_min, scale_max) = scale(CES_SCALE_MIN, CES_SCALE_MAX, 1.0, 7.0)?;
            questions.push(Question {
                qid: qid.trim().to_string(),
                kind: RatingKind::Ces,
                scale_min,
                scale_max,
            });
        }
        if questions.is_empty() {
            return Err(config(
                &format!("{CSAT_QUESTION}, {NPS_QUESTION}, {CES_QUESTION}"),
                format!(
                    "no rating question is configured: set at least one of `{CSAT_QUESTION}`, \
                     `{NPS_QUESTION}` or `{CES_QUESTION}` to a question id such as QID1"
                ),
            ));
        }
        Ok(Self {
            agent_key: cfg.get(AGENT_KEY).unwrap_or("agentId").to_string(),
            interaction_key: cfg
                .get(INTERACTION_KEY)
                .unwrap_or("interactionId")
                .to_string(),
            questions,
            comment_question: cfg.get(COMMENT_QUESTION).map(|q| q.trim().to_string()),
            topic_key: cfg.get(TOPIC_KEY).map(str::to_string),
        })
    }
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::ErrorCode;

    /// Options from literal pairs.
    pub(crate) fn options(pairs: &[(&str, &str)]) -> Result<Options, PluginError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Options::from_config(SourceConfig(&pairs))
    }

    /// Defaults: keys `agentId`/`interactionId`, CSAT 1..5, NPS 0..10,
    /// CES 1..7.
    #[test]
    fn defaults() {
        let o = options(&[
            ("csat_question", "QID1"),
            ("nps_question", "QID3"),
            ("ces_question", "QID4"),
        ])
        .unwrap();
        assert_eq!(o.agent_key, "agentId");
        assert_eq!(o.interaction_key, "interactionId");
        assert_eq!(o.comment_question, None);
        assert_eq!(o.topic_key, None);
        let scales: Vec<(&str, RatingKind, f64, f64)> = o
            .questions
            .iter()
            .map(|q| (q.qid.as_str(), q.kind, q.scale_min, q.scale_max))
            .collect();
        assert_eq!(
            scales,
            vec![
                ("QID1", RatingKind::Csat, 1.0, 5.0),
                ("QID3", RatingKind::Nps, 0.0, 10.0),
                ("QID4", RatingKind::Ces, 1.0, 7.0),
            ]
        );
    }

    /// No question, non-numeric or inverted scales: `config-invalid` naming
    /// the keys.
    #[test]
    fn bad_configurations_name_the_keys() {
        let e = options(&[("agent_key", "agent")]).unwrap_err();
        assert_eq!(e.code, ErrorCode::ConfigInvalid);
        for key in [CSAT_QUESTION, NPS_QUESTION, CES_QUESTION] {
            assert!(e.message.contains(key), "{}", e.message);
        }
        for (pairs, key) in [
            (
                vec![("csat_question", "QID1"), ("csat_scale_max", "ten")],
                CSAT_SCALE_MAX,
            ),
            (
                vec![("csat_question", "QID1"), ("csat_scale_min", "5")],
                CSAT_SCALE_MIN,
            ),
            (
                vec![("ces_question", "QID1"), ("ces_scale_min", "x")],
                CES_SCALE_MIN,
            ),
        ] {
            let e = options(&pairs).unwrap_err();
            assert_eq!(e.code, ErrorCode::ConfigInvalid);
            assert_eq!(e.field.as_deref(), Some(key), "{pairs:?}");
        }
        // A scale option without its question is ignored.
        assert!(options(&[("nps_question", "QID2"), ("csat_scale_max", "ten")]).is_ok());
    }
}
