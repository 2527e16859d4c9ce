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

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, LogLevel, PluginError};

sidecoach_guest::export_adapter! {
    /// The exported component.
    Qualtrics {
        id: "qualtrics",
        api: "0.2.0",
        name: "Qualtrics survey adapter",
        description: "Reads Qualtrics survey responses and maps the configured CSAT, NPS and \
                      CES questions to feedback linked to agents and interactions through \
                      embedded data.",
        ingest: ingest,
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

/// The request path without the host's `log` ([`request::ingest`]) and the WIT
/// types it speaks, for the native fuzz harness in `plugins/fuzz`.
#[doc(hidden)]
pub mod native {
    pub use crate::bindings::sidecoach::plugin::types;
    pub use crate::request::ingest;
}
