//! Hostile test plugin: allocates memory without bound inside `ingest`.
//!
//! Every MiB is filled with non-zero bytes so the pages are really touched, and the
//! hoard is passed through `black_box` so nothing is optimized away. The host's
//! memory limit must stop it (a failed `memory.grow` aborts the guest).
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
            name: "hostile-alloc".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Test plugin. Allocates memory without bound inside ingest, to test memory limits."
                    .into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        const MIB: usize = 1 << 20;
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![0xA5; MIB]);
            core::hint::black_box(&mut hoard);
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
        assert_eq!(manifest_value("id"), "hostile-alloc");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(Hostile::describe().version, manifest_value("version"));
    }
}
