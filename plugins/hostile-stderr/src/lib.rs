//! Hostile test plugin: `ingest` writes 256 lines of 1 KiB to stderr, then
//! answers with one agent event; with the request body `panic` it panics
//! instead, with a 100 000-character message.
//!
//! The host must keep what fits in the call's log and count the rest (a
//! write to stderr never traps), and must not copy the plugin's long text
//! into every error message, score error and breaker record.
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

/// Lines written to stderr per call.
const LINES: usize = 256;

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-stderr".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Floods stderr, then answers or panics.".into(),
        }
    }

    fn ingest(request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        let line = "e".repeat(1023);
        for _ in 0..LINES {
            eprintln!("{line}");
        }
        if request.body == b"panic" {
            panic!("{}", "p".repeat(100_000));
        }
        Ok(vec![Event::Agent(Agent {
            vendor_user_id: "still-here".into(),
            name: None,
            email: None,
            team: None,
            supervisor_vendor_id: None,
        })])
    }
}

bindings::export!(Hostile with_types_in bindings);
