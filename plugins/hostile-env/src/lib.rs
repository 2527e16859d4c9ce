//! Hostile test plugin: reads the environment variables inside `ingest`.
//!
//! It returns one agent event `env` whose name is every variable it can see, as
//! `K=V;K2=V2` (empty when it sees none). Without an environment grant the host
//! must give it an empty environment.
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

use bindings::sidecoach::plugin::types::{Agent, Event, InboundRequest, PluginError, PluginInfo};

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-env".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Returns the environment variables it can see, \
                          to test the environment sandbox."
                .into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
        Ok(vec![Event::Agent(Agent {
            vendor_user_id: "env".into(),
            name: Some(vars.join(";")),
            email: None,
            team: None,
            supervisor_vendor_id: None,
        })])
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
        assert_eq!(manifest_value("id"), "hostile-env");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(Hostile::describe().version, manifest_value("version"));
    }
}
