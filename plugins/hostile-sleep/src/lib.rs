//! Hostile test plugin: blocks in a host call inside `ingest`.
//!
//! `std::thread::sleep` becomes a WASI `subscribe-duration` + `poll`: the
//! guest waits inside the host, where epoch interruption never fires. The
//! host must still stop it at its deadline and free its call slot.
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
            name: "hostile-sleep".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Sleeps for an hour inside ingest.".into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        std::thread::sleep(std::time::Duration::from_secs(3600));
        Ok(Vec::new())
    }
}

bindings::export!(Hostile with_types_in bindings);
