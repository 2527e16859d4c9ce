//! The generic JSON adapter plugin (world `adapter`): Sidecoach's own JSON event
//! format, for sources that can send it directly or through a small script.
//!
//! * [`signature`] checks the optional `x-sidecoach-signature` HMAC when the
//!   source is configured with `hmac_secret`;
//! * [`parse`] turns the body (array, `{"events":[...]}`, one object or JSON
//!   lines) into WIT events, with errors that name the offending field.

mod parse;
mod signature;

#[expect(
    clippy::too_many_arguments,
    reason = "generated: the canonical ABI flattens `inbound-request` into many parameters"
)]
mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `adapter`.
    wit_bindgen::generate!({
        path: "../../wit/0.1.0",
        world: "adapter",
        // For the unit tests' assertions.
        additional_derives: [PartialEq],
    });
}

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{
    ErrorCode, Event, InboundRequest, LogLevel, PluginError, PluginInfo,
};

/// The source-config key whose presence turns signature checking on.
const SECRET_KEY: &str = "hmac_secret";

/// The exported component.
struct JsonAdapter;

impl bindings::Guest for JsonAdapter {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "JSON adapter".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Reads Sidecoach's own JSON events (an array, {\"events\":[...]}, one \
                          object or JSON lines), checking an optional HMAC-SHA256 signature."
                .into(),
        }
    }

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
}

bindings::export!(JsonAdapter with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Guest as _;

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

    #[test]
    fn describe_matches_the_manifest() {
        assert_eq!(manifest_value("id"), "json-adapter");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(JsonAdapter::describe().version, manifest_value("version"));
    }
}
