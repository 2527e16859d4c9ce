//! Hostile test plugin: returns about 20 MiB of events from `ingest`.
//!
//! 20 000 interaction events, each with one 1 KiB topic. The host's output limit
//! (or its memory limit while lifting the result) must reject it.
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
    Channel, Direction, Event, InboundRequest, Interaction, PluginError, PluginInfo,
};

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-output".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Returns about 20 MiB of events, to test output limits."
                .into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        const EVENTS: usize = 20_000;
        let topic = "x".repeat(1024);
        Ok((0..EVENTS)
            .map(|i| {
                Event::Interaction(Interaction {
                    external_id: format!("flood-{i}"),
                    agent_vendor_id: None,
                    channel: Channel::Other,
                    direction: Direction::Unknown,
                    started_at: None,
                    ended_at: None,
                    handle_ms: None,
                    talk_ms: None,
                    hold_ms: None,
                    after_work_ms: None,
                    queue: None,
                    topics: vec![topic.clone()],
                    sentiment: None,
                    wrap_up: None,
                    updated_at: None,
                })
            })
            .collect())
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
        assert_eq!(manifest_value("id"), "hostile-output");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(Hostile::describe().version, manifest_value("version"));
    }
}
