//! The Zendesk adapter plugin (world `adapter`, API 0.2.0): satisfaction
//! ratings (CSAT) delivered by a Zendesk webhook into Sidecoach feedback.
//!
//! * [`signature`] checks `X-Zendesk-Webhook-Signature` with the source's
//!   `signing_secret`;
//! * [`ratings`] reads the body (one rating, a list, or a bare rating) and
//!   maps each rating;
//! * [`request`] wires config, content type, signature and parsing together
//!   (pure, so the whole request path is tested natively).
//!
//! # Source configuration
//!
//! | key | required | default | meaning |
//! |---|---|---|---|
//! | `signing_secret` | yes | | the webhook's signing secret |
//! | `good_value` | no | 5 | the value of a `good` rating |
//! | `bad_value` | no | 1 | the value of a `bad` rating |
//! | `scale_min` | no | 1 | the scale's bottom |
//! | `scale_max` | no | 5 | the scale's top |
//!
//! Options that are not numbers, a scale whose bottom is not below its top,
//! `good_value`/`bad_value` off the scale, or `bad_value` ≥ `good_value` are
//! `config-invalid` naming the key.
//!
//! # Mapping (normalized feedback ← Zendesk satisfaction rating)
//!
//! | feedback | Zendesk |
//! |---|---|
//! | `external-id` | `id` |
//! | `kind` | always `csat` |
//! | `value` | `score`: `good` (or `good_with_comment`) → `good_value`, `bad` (or `bad_with_comment`) → `bad_value`; `offered`/`unoffered` → record rejected (`unsupported`: not a rating) |
//! | `scale-min`, `scale-max` | the options |
//! | `interaction-external-id` | `ticket_id` |
//! | `agent-vendor-id` | `assignee_id` |
//! | `topics` | `reason` slugged (skipped when it says nothing: "No reason provided", "Some other reason", "none", "n/a", "unknown"), then `tags` slugged, deduplicated |
//! | `verbatim` | `comment` (trimmed; empty → none) |
//! | `received-at` | `updated_at`, else `created_at` (a rating can be changed; `updated_at` is when the current score was given) |
//!
//! Ids are accepted as numbers or strings. No agent event is emitted: a
//! rating carries only the assignee's id, and an agent record with nothing
//! but an id would add nothing.

mod errors;
mod ratings;
mod request;
mod signature;

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, LogLevel, PluginError};

sidecoach_guest::export_adapter! {
    /// The exported component.
    Zendesk {
        id: "zendesk",
        api: "0.2.0",
        name: "Zendesk CSAT adapter",
        description: "Reads Zendesk satisfaction-rating webhooks, checks \
                      X-Zendesk-Webhook-Signature and maps good/bad ratings to CSAT feedback.",
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
                "source `{}`: signature verified, {} ratings, {} rejected",
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
