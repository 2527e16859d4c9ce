//! The field-mapping adapter plugin (world `adapter`, API 0.2.0): adapts a
//! vendor that posts tenant-shaped data (Five9 call variables, a WFM or QA
//! tool's CSV export) without code. The operator writes, in the source's
//! options, which field of the payload becomes which normalized field.
//!
//! # Configuration language
//!
//! All options are strings in `[sources.NAME.options]` (keys with dots must be
//! quoted in TOML). Plain keys this adapter does not know are ignored (the
//! host hands secrets over in the same list); a dotted key with an unknown
//! prefix is an error.
//!
//! | key | meaning |
//! |---|---|
//! | `event` | **required**: `interaction`, `feedback`, `evaluation`, `agent`, `agent_state` or `staffing`; or several, comma-separated (`interaction,feedback`). The first is primary. |
//! | `format` | `json`, `jsonl` (`ndjson`), `csv` or `form`. Default: from the content type (`application/json` or `+json`; `application/x-ndjson`, `jsonl`…; `text/csv`; `application/x-www-form-urlencoded`); no content type and no body is a form in the URL's query string. |
//! | `records` | json only: the path of the records, default `$` (a top-level array's elements, or the one object). Any selected array counts as its elements, so `$.data` and `$.data[*]` are alike. |
//! | `map.<field>` | where a normalized field is read: a JSON path for json/jsonl (`$.call.id`, `call.id`, `$.legs[0].agent`, `$['odd key']`; `[*]` only for list fields), a column name for csv, a parameter name for form (exact, else case-insensitive). |
//! | `map.<event>.<field>` | the same for one event only, winning over `map.<field>` (`map.feedback.external_id`). |
//! | `const.<field>`, `const.<event>.<field>` | a constant: the value when there is no `map`, or when the mapped value is missing or empty. |
//! | `unit.<field>` | a duration field's source unit: `ms`, `s`, `min`, `h`. Default `s` for the `_ms` fields and `aht_seconds`, `min` for `length_minutes`. `h:mm:ss` / `mm:ss` values are read as clock durations whatever the unit. |
//! | `values.<field>.<vendor value>` | for `channel`, `direction`, `kind`: what a vendor value means (`values.direction.Manual = "outbound"`); `values.<field>.*` is the catch-all. Vendor values compare case- and punctuation-insensitively. |
//! | `answer.<criterion>` | evaluation only: where the answer to a criterion is (a number, yes/no → 1/0, or `n/a`); a missing answer is left out. |
//! | `time_zone_offset` | the zone of timestamps without one (`-05:00`, `+0530`, `UTC`). |
//! | `csv_delimiter` | one character (`,` default, `;`, `\|`, `tab`). |
//!
//! Fields per event (snake or kebab case; **bold** = required):
//!
//! * interaction: **`external_id`**, `agent_vendor_id`, `channel` (default
//!   `other`), `direction` (default `unknown`), `started_at`, `ended_at`,
//!   `handle_ms`, `talk_ms`, `hold_ms`, `after_work_ms`, `non_talk_ms`,
//!   `agent_interruptions`, `related_external_ids`, `queue`, `topics`,
//!   `sentiment_customer`, `sentiment_agent`,
//!   `sentiment_customer_final_quarter`, `wrap_up`, `updated_at`;
//! * feedback: **`external_id`**, `kind` (default `custom`), **`value`**,
//!   **`scale_min`**, **`scale_max`** (both default to 0..10 when the kind is
//!   `nps`), `interaction_external_id`, `agent_vendor_id`, `topics`,
//!   `verbatim`, `received_at`; a value outside the scale is rejected;
//! * evaluation: **`external_id`**, **`form_id`**, `form_version`,
//!   `interaction_external_id`, `agent_vendor_id`, `evaluator_vendor_id`,
//!   `evaluated_at`, `vendor_score_percentage`, `vendor_auto_failed`,
//!   `vendor_critical_percentage`, plus `answer.<criterion>`;
//! * agent: **`vendor_user_id`**, `name`, `email`, `team`,
//!   `supervisor_vendor_id`;
//! * agent_state: **`agent_vendor_id`**, **`state`**, **`at`**;
//! * staffing: **`queue`**, **`starts_at`**, **`length_minutes`**,
//!   **`offered`**, **`aht_seconds`**, `scheduled_agents`.
//!
//! Values: timestamps are ISO 8601 or epoch seconds/milliseconds (years
//! 0000..=9999); durations are not negative, nor past
//! `sidecoach_guest::time::MAX_DURATION_MS`; percentages, `offered` and
//! `scheduled_agents` are not negative; `length_minutes` is 1..=1440; channels,
//! directions and kinds go through `values.*`, then a built-in table (VOICE,
//! PHONE, CALL → voice; CHAT, WEBCHAT → chat; EMAIL; SMS, TEXT → sms; INBOUND;
//! OUTBOUND, MANUAL, PREVIEW → outbound…), then the catch-all; `topics` and
//! `related_external_ids` take a JSON array or text split on `,` `;` `|`
//! (topics are slugged: `Late Fee` → `late-fee`).
//!
//! # Errors
//!
//! * `config-invalid`, naming the key, for any mistake in the options (missing
//!   `event`, unknown field, malformed path, a required field with neither
//!   `map` nor `const`, a bad constant), found before the body is read;
//! * `invalid-input` for the whole request when its content type is not
//!   supported (`content-type`), or the body cannot be split into records
//!   (malformed JSON document, unclosed CSV quote, a required CSV column
//!   absent from the header);
//! * a rejected record (0-based index among records, JSON lines or CSV data
//!   rows) when a record lacks a required value (the message names the field
//!   and the path tried) or holds one that does not convert. When `event`
//!   names several kinds, a later kind that lacks a required value is just
//!   left out for that record.
//!
//! The logic lives in pure modules tested natively: `config` (options),
//! `path` (JSON paths), `csv` (RFC 4180), `convert` (values),
//! `record` (events of one record) and `ingest` (a whole request).

mod config;
mod convert;
mod csv;
mod ingest;
mod path;
mod record;
#[cfg(test)]
mod tests;

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, LogLevel, PluginError};

sidecoach_guest::export_adapter! {
    /// The exported component.
    Mapping {
        id: "mapping",
        api: "0.2.0",
        name: "Field-mapping adapter",
        description: "Maps a tenant-configured vendor's JSON, JSON lines, CSV or form posts \
                      onto normalized events, driven by a field map in the source's options.",
        ingest: ingest,
    }
}

/// Runs [`ingest::ingest`] and logs the outcome.
fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
    let result = ingest::ingest(&request);
    match &result {
        Ok(out) => log(
            if out.rejected.is_empty() {
                LogLevel::Info
            } else {
                LogLevel::Warn
            },
            &format!(
                "mapped {} events from source `{}`, rejected {} records",
                out.events.len(),
                request.source,
                out.rejected.len()
            ),
        ),
        Err(e) => log(
            LogLevel::Warn,
            &format!("source `{}`: {:?}: {}", request.source, e.code, e.message),
        ),
    }
    result
}

/// The request path without the host's `log` ([`ingest::ingest`]) and the WIT
/// types it speaks, for the native fuzz harness in `plugins/fuzz`.
#[doc(hidden)]
pub mod native {
    pub use crate::bindings::sidecoach::plugin::types;
    pub use crate::ingest::ingest;
}
