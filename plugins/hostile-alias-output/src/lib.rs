//! Hostile test plugin: `ingest` returns one interaction whose 16 topics are
//! all the same 8 MiB buffer.
//!
//! The canonical ABI passes a string as a pointer and a length, so nothing
//! stops a guest from returning one buffer many times over: 8 MiB of guest
//! memory becomes 128 MiB once the host copies every string out. The host
//! must refuse the output while lifting it (its `max_output_bytes` is
//! counted before anything is copied), not after.
//!
//! The aliases are made with `String::from_raw_parts`, which is unsound on
//! purpose: the strings are never dropped by the guest (the bindings forget
//! them when they lower the result), and the host discards the instance.
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

/// How many times the buffer is returned.
const ALIASES: usize = 16;

/// The size of the one real buffer.
const BUFFER_BYTES: usize = 8 << 20;

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-alias-output".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Returns one 8 MiB buffer 16 times, to test output limits."
                .into(),
        }
    }

    fn ingest(_request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        let mut buffer = core::mem::ManuallyDrop::new("x".repeat(BUFFER_BYTES));
        let (ptr, len) = (buffer.as_mut_ptr(), buffer.len());
        let topics = (0..ALIASES)
            // SAFETY: deliberately unsound (see the file header): every
            // string owns the same buffer, and none of them is ever dropped.
            .map(|_| unsafe { String::from_raw_parts(ptr, len, len) })
            .collect();
        Ok(vec![Event::Interaction(Interaction {
            external_id: "alias".into(),
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
            topics,
            sentiment: None,
            wrap_up: None,
            updated_at: None,
        })])
    }
}

bindings::export!(Hostile with_types_in bindings);
