//! Hostile test plugin: floods the host log inside `ingest`.
//!
//! 100 000 info lines of 1 KiB each (about 100 MiB), then an empty result. The
//! host must drop the lines beyond the plugin's log-byte limit and count them.
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

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{
    Event, InboundRequest, LogLevel, PluginError, PluginInfo,
};

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-logspam".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Writes 100 000 log lines of 1 KiB, to test log limits."
                .into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        const LINES: usize = 100_000;
        let filler = "x".repeat(1024 - "hostile-logspam 000000 ".len());
        for i in 0..LINES {
            log(LogLevel::Info, &format!("hostile-logspam {i:06} {filler}"));
        }
        Ok(Vec::new())
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
        assert_eq!(manifest_value("id"), "hostile-logspam");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(Hostile::describe().version, manifest_value("version"));
    }
}
