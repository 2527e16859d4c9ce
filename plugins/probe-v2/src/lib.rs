//! Test plugin: version 2 of the upgrade probe.
//!
//! `ingest` returns one agent event whose vendor user id is `probe-v2`, so a
//! test can tell which version of plugin `probe` answered after an upgrade or
//! a rollback. Never installed by default.

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
struct Probe;

impl bindings::Guest for Probe {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "probe".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin: answers with its own version.".into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        Ok(vec![Event::Agent(Agent {
            vendor_user_id: "probe-v2".into(),
            name: None,
            email: None,
            team: None,
            supervisor_vendor_id: None,
        })])
    }
}

bindings::export!(Probe with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Guest as _;

    #[test]
    fn describe_matches_the_manifest() {
        let manifest = include_str!("../plugin.toml");
        assert!(manifest.contains(&format!("version = \"{}\"", Probe::describe().version)));
        assert_eq!(Probe::describe().version, "2.0.0");
    }
}
