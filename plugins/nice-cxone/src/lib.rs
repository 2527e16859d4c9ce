//! The NICE CXone adapter plugin (world `adapter`, API 0.2.0).
//!
//! It reads completed contacts as the CXone reporting API returns them
//! (`GET /contacts/completed`: `{"contacts":[...]}`), an array of contacts,
//! one contact or JSON lines, sent as `application/json`, `application/x-ndjson`,
//! `application/jsonl` or with no content type (module `parse`), and turns each
//! contact into an interaction and, when named, its agent (module `contacts`).
//!
//! | CXone field | normalized |
//! |---|---|
//! | contactId | interaction external-id |
//! | masterContactId (when different) | related-external-ids |
//! | agentId | agent-vendor-id / agent vendor-user-id |
//! | firstName + lastName, teamName | agent name, team |
//! | mediaTypeName (mediaTypeId) | channel |
//! | isOutbound | direction |
//! | contactStartDate | started-at |
//! | contactEndDate, else contactStartDate + totalDurationSeconds | ended-at |
//! | agentSeconds, holdSeconds, acwSeconds (s) | handle-ms, hold-ms, after-work-ms |
//! | skillName | queue |
//! | tags | topics (slugged) |
//! | primaryDispositionName / primaryDispositionId | wrap-up |
//! | lastUpdateTime | updated-at |
//!
//! The parsing lives in pure modules, tested natively; this file only wires
//! them to the host.

mod contacts;
mod input;
mod parse;

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, LogLevel, PluginError};

sidecoach_guest::export_adapter! {
    /// The exported component.
    NiceCxone {
        id: "nice-cxone",
        api: "0.2.0",
        name: "NICE CXone adapter",
        description: "Reads NICE CXone completed contacts (reporting API) into interactions \
                      and agents.",
        ingest: ingest,
    }
}

/// Parses the request (see [`parse`]) and logs what came of it.
fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
    let output = parse::ingest(&request.headers, &request.body)?;
    let rejected = output.rejected.len();
    log(
        if rejected == 0 {
            LogLevel::Info
        } else {
            LogLevel::Warn
        },
        &format!(
            "parsed {} events from source `{}`, rejected {rejected} records",
            output.events.len(),
            request.source,
        ),
    );
    Ok(output)
}

/// The request path without the host's `log` and the WIT types it speaks, for
/// the native fuzz harness in `plugins/fuzz`.
#[doc(hidden)]
pub mod native {
    pub use crate::bindings::sidecoach::plugin::types;
    use types::{InboundRequest, IngestOutput, PluginError};

    /// What [`ingest`](super::ingest) returns, without logging.
    pub fn ingest(request: &InboundRequest) -> Result<IngestOutput, PluginError> {
        crate::parse::ingest(&request.headers, &request.body)
    }
}
