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
use bindings::sidecoach::plugin::types::{ErrorCode, Event, InboundRequest, LogLevel, PluginError};

/// The source-config key whose presence turns signature checking on.
const SECRET_KEY: &str = "hmac_secret";

adapter_kit::export_adapter! {
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

/// Checks the signature when the source has a secret, parses the body (see
/// [`parse`]) and logs what came of it.
fn ingest(request: InboundRequest) -> Result<Vec<Event>, PluginError> {
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
    let events = parse::parse_body(&request.body)?;
    log(
        LogLevel::Info,
        &format!(
            "parsed {} events from source `{}`{}",
            events.len(),
            request.source,
            if secret.is_some() {
                " (signature verified)"
            } else {
                ""
            }
        ),
    );
    Ok(events)
}
