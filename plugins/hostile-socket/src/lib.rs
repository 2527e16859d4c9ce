//! Hostile test plugin: opens a TCP connection inside `ingest`.
//!
//! The request body is the address to connect to, as UTF-8 text such as
//! `127.0.0.1:40000`. A connection yields one agent event `connected`; a refusal
//! yields an `internal` error `network denied: …`. Without a network grant the
//! host must refuse every connection.
//!
//! Never installed by default: the host's integration tests load it explicitly.

#[expect(
    clippy::too_many_arguments,
    reason = "generated: the canonical ABI flattens `inbound-request` into many parameters"
)]
mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `adapter`.
    wit_bindgen::generate!({ path: "../../wit/0.1.0", world: "adapter" });
}

use bindings::sidecoach::plugin::types::{
    Agent, ErrorCode, Event, InboundRequest, PluginError, PluginInfo,
};
use std::net::TcpStream;

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-socket".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Connects to the TCP address given in the body, \
                          to test the network sandbox."
                .into(),
        }
    }

    fn ingest(request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        let address = std::str::from_utf8(&request.body)
            .map_err(|e| PluginError {
                code: ErrorCode::InvalidInput,
                message: format!("the body must be a UTF-8 address like 127.0.0.1:40000: {e}"),
                field: Some("body".into()),
            })?
            .trim();
        match TcpStream::connect(address) {
            Ok(_stream) => Ok(vec![Event::Agent(Agent {
                vendor_user_id: "connected".into(),
                name: Some(address.to_owned()),
                email: None,
                team: None,
                supervisor_vendor_id: None,
            })]),
            Err(e) => Err(PluginError {
                code: ErrorCode::Internal,
                message: format!("network denied: {e}"),
                field: None,
            }),
        }
    }
}

bindings::export!(Hostile with_types_in bindings);

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
        assert_eq!(manifest_value("id"), "hostile-socket");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(Hostile::describe().version, manifest_value("version"));
    }
}
