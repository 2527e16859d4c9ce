//! Hostile test plugin: reads the clocks inside `ingest`.
//!
//! It returns one agent event `clock` whose name is the wall clock in
//! milliseconds since the Unix epoch, and whose team is how many
//! nanoseconds the monotonic clock advanced over some work. Without a
//! `clocks` grant the host must show it both clocks stopped at the epoch:
//! `0` and `0`.
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

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bindings::sidecoach::plugin::types::{Agent, Event, InboundRequest, PluginError, PluginInfo};

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-clock".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Returns what the wall and monotonic clocks say, \
                          to test that they are frozen without a grant."
                .into(),
        }
    }

    fn ingest(request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let started = Instant::now();
        // Some work the monotonic clock can see pass.
        let mut sum = 0u64;
        for (i, b) in request.body.iter().cycle().take(200_000).enumerate() {
            sum = sum.wrapping_add(u64::from(*b) ^ i as u64);
        }
        let elapsed_ns = started.elapsed().as_nanos();
        Ok(vec![Event::Agent(Agent {
            vendor_user_id: "clock".into(),
            name: Some(wall_ms.to_string()),
            email: Some(format!("{sum}@work")),
            team: Some(elapsed_ns.to_string()),
            supervisor_vendor_id: None,
        })])
    }
}

bindings::export!(Hostile with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Guest as _;
    use sidecoach_guest::manifest::top_level;

    const MANIFEST: &str = include_str!("../plugin.toml");

    #[test]
    fn describe_matches_the_manifest() {
        assert_eq!(top_level(MANIFEST, "id"), Some("hostile-clock"));
        assert_eq!(top_level(MANIFEST, "kind"), Some("adapter"));
        assert_eq!(
            Some(Hostile::describe().version.as_str()),
            top_level(MANIFEST, "version")
        );
    }
}
