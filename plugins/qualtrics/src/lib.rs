//! The Qualtrics adapter plugin (world `adapter`, API 0.2.0): survey
//! responses into Sidecoach feedback (CSAT, NPS, CES).
//!
//! * [`options`] reads which questions are ratings and where the agent,
//!   interaction, comment and topics live;
//! * [`responses`] reads JSON responses (export shape, single-response API
//!   shape, a bare response or an array);
//! * [`subscription`] reads the form POST of a `completedResponse` event
//!   subscription;
//! * [`request`] picks the reader by content type (pure, so the whole request
//!   path is tested natively).
//!
//! Qualtrics does not sign deliveries: configure the source unsigned, so the
//! host requires its bearer token.
//!
//! # Source configuration (all options)
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `csat_question` | | QID of the CSAT question |
//! | `csat_scale_min`, `csat_scale_max` | 1, 5 | its scale |
//! | `nps_question` | | QID of the NPS question (scale 0..10) |
//! | `ces_question` | | QID of the CES question |
//! | `ces_scale_min`, `ces_scale_max` | 1, 7 | its scale |
//! | `comment_question` | | QID of the free-text question (the verbatim) |
//! | `agent_key` | `agentId` | embedded-data key of the agent's vendor user id |
//! | `interaction_key` | `interactionId` | embedded-data key of the interaction's external id |
//! | `topic_key` | | embedded-data key of topics (`a, b; c` or an array) |
//!
//! At least one of `csat_question`, `nps_question`, `ces_question` is
//! required (`config-invalid` naming them otherwise); scale options that are
//! not numbers, or whose bottom is not below the top, are `config-invalid`
//! naming the key.
//!
//! # Mapping (normalized feedback ← Qualtrics response)
//!
//! | feedback | Qualtrics |
//! |---|---|
//! | one event per configured question answered | `values.QIDn` (null/empty = unanswered = no event) |
//! | `external-id` | `<responseId>:<QID>` |
//! | `kind`, `scale-min`, `scale-max` | from the option that named the question |
//! | `value` | the answer's number: a number, numeric text, or an object's `recode`/`value`/`choiceId` |
//! | `interaction-external-id` | `interaction_key` looked up at the top level, in `values`, then in `embeddedData` |
//! | `agent-vendor-id` | `agent_key`, looked up the same way |
//! | `topics` | `topic_key`, looked up the same way, split on `,` `;` `\|`, slugged |
//! | `verbatim` | `values.<comment_question>_TEXT`, else `values.<comment_question>` (text or `{"textEntry"}`) |
//! | `received-at` | `endDate`, else `recordedDate` (top level or in `values`) |
//!
//! A response without the agent or interaction keys still counts (those
//! fields are none). A response whose configured answer is not a number, or
//! is off its scale, whose `responseId` is missing or whose date does not
//! parse is rejected whole (index and field named); so is one whose
//! `distributionChannel` is `preview` or `test` (`unsupported`: not customer
//! feedback).
//!
//! The value is the answer's recode value: for a rating to mean "higher is
//! better" the survey's recode values must ascend with satisfaction (in the
//! export fixture `choiceId` 1 is labelled "Very Satisfied": on a 1..5 scale it
//! reads as the worst score unless the survey is recoded).
//!
//! The `completedResponse` event subscription carries ids only: see
//! [`subscription`] for why it is answered `unsupported` unless it carries
//! answers.

mod errors;
mod options;
mod request;
mod responses;
mod subscription;

#[expect(
    clippy::too_many_arguments,
    reason = "generated: the canonical ABI flattens `inbound-request` into many parameters"
)]
mod bindings {
    //! Bindings generated from `wit/0.2.0/sidecoach.wit`, world `adapter`.
    wit_bindgen::generate!({
        path: "../../wit/0.2.0",
        world: "adapter",
        // For the unit tests' assertions.
        additional_derives: [PartialEq],
    });
}

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{
    InboundRequest, IngestOutput, LogLevel, PluginError, PluginInfo,
};

/// The exported component.
struct Qualtrics;

impl bindings::Guest for Qualtrics {
    /// Name, version (the crate's, equal to `plugin.toml`) and description.
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "Qualtrics survey adapter".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Reads Qualtrics survey responses and maps the configured CSAT, NPS and \
                          CES questions to feedback linked to agents and interactions through \
                          embedded data."
                .into(),
        }
    }

    /// Runs [`request::ingest`] and logs the outcome.
    fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
        let result = request::ingest(&request);
        match &result {
            Ok(output) => log(
                LogLevel::Info,
                &format!(
                    "source `{}`: {} feedback events, {} responses rejected",
                    request.source,
                    output.events.len(),
                    output.rejected.len()
                ),
            ),
            Err(e) => log(
                LogLevel::Warn,
                &format!("source `{}`: rejected: {}", request.source, e.message),
            ),
        }
        result
    }
}

bindings::export!(Qualtrics with_types_in bindings);

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Guest as _;

    /// The plugin manifest, as shipped.
    const MANIFEST: &str = include_str!("../plugin.toml");

    /// A top-level `key = "value"` of the manifest (before any table).
    fn manifest_value(key: &str) -> &'static str {
        MANIFEST
            .lines()
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| {
                let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                rest.trim().strip_prefix('"')?.split('"').next()
            })
            .unwrap_or_else(|| panic!("plugin.toml has no `{key}`"))
    }

    /// `describe()` and the manifest agree on id, kind, API and version.
    #[test]
    fn describe_matches_the_manifest() {
        assert_eq!(manifest_value("id"), "qualtrics");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(manifest_value("api_version"), "0.2.0");
        assert_eq!(Qualtrics::describe().version, manifest_value("version"));
    }
}
