//! Hostile test plugin: loops forever inside `ingest`.
//!
//! The loop keeps a counter the optimizer must assume is observed
//! (`core::hint::black_box`), so it cannot be removed. The host must stop it at its
//! deadline (epoch interruption) or when its fuel runs out, and keep serving.
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

use bindings::sidecoach::plugin::types::{Event, InboundRequest, PluginError, PluginInfo};

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-loop".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Loops forever inside ingest, to test deadlines and fuel."
                .into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        let mut counter: u64 = 0;
        loop {
            core::hint::black_box(&mut counter);
            counter = counter.wrapping_add(1);
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
        assert_eq!(manifest_value("id"), "hostile-loop");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(Hostile::describe().version, manifest_value("version"));
    }
}
