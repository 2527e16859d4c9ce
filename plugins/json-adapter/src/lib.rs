//! The generic JSON adapter plugin (world `adapter`): Sidecoach's own JSON event
//! format, for sources that can send it directly or through a small script.
//!
//! * [`signature`] checks the optional `x-sidecoach-signature` HMAC when the
//!   source is configured with `hmac_secret`;
//! * [`parse`] turns the body (array, `{"events":[...]}`, one object or JSON
//!   lines) into WIT events, with errors that name the offending field.

mod parse;
mod signature;

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{Event, InboundRequest, LogLevel, PluginError};

/// The source-config key whose presence turns signature checking on.
const SECRET_KEY: &str = "hmac_secret";

sidecoach_guest::export_adapter! {
    /// The exported component.
    JsonAdapter {
        id: "json-adapter",
        api: "0.1.0",
        name: "JSON adapter",
        description: "Reads Sidecoach's own JSON events (an array, {\"events\":[...]}, one \
                      object or JSON lines), checking an optional HMAC-SHA256 signature.",
        ingest: ingest,
    }
}

/// Runs [`native::ingest`] and logs what came of it.
fn ingest(request: InboundRequest) -> Result<Vec<Event>, PluginError> {
    let events = native::ingest(&request)?;
    let signed = request
        .source_config
        .iter()
        .any(|(key, _)| key == SECRET_KEY);
    log(
        LogLevel::Info,
        &format!(
            "parsed {} events from source `{}`{}",
            events.len(),
            request.source,
            if signed { " (signature verified)" } else { "" }
        ),
    );
    Ok(events)
}

/// The request path without the host's `log` and the WIT types it speaks
/// (pure, so the native fuzz harness in `plugins/fuzz` drives it).
#[doc(hidden)]
pub mod native {
    pub use crate::bindings::sidecoach::plugin::types;
    use crate::{SECRET_KEY, parse, signature};
    use types::{ErrorCode, Event, InboundRequest, PluginError};

    /// Checks the signature when the source has a secret and parses the body
    /// (see [`parse`]).
    pub fn ingest(request: &InboundRequest) -> Result<Vec<Event>, PluginError> {
        let secret = request
            .source_config
            .iter()
            .find(|(key, _)| key == SECRET_KEY)
            .map(|(_, value)| value);
        if let Some(secret) = secret {
            if secret.is_empty() {
                return Err(PluginError {
                    code: ErrorCode::ConfigInvalid,
                    message: format!("`{SECRET_KEY}` is set but empty; remove it or set a secret"),
                    field: Some(SECRET_KEY.into()),
                });
            }
            signature::verify(secret.as_bytes(), &request.headers, &request.body)?;
        }
        parse::parse_body(&request.body)
    }
}
