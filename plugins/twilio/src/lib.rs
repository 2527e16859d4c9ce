//! The Twilio adapter plugin (world `adapter`, API 0.2.0): TaskRouter event
//! callbacks into Sidecoach interactions, agents and agent states.
//!
//! TaskRouter POSTs one event per request to the workspace's
//! `EventCallbackUrl`, form-encoded (`application/x-www-form-urlencoded`), and
//! signs it with `X-Twilio-Signature`. A JSON body is accepted too when the URL
//! carries `bodySHA256` (Twilio's scheme for signed JSON bodies); its keys are
//! read exactly like the form parameters.
//!
//! * [`signature`] checks `X-Twilio-Signature` with the source's `auth_token`;
//! * [`taskrouter`] maps one event's parameters to events;
//! * [`request`] wires config, content type, signature and parsing together
//!   (pure, so the whole request path is tested natively).
//!
//! # Source configuration
//!
//! | key | required | meaning |
//! |---|---|---|
//! | `auth_token` | yes | the Twilio account's auth token, which keys the signature |
//!
//! # Mapping (normalized ← TaskRouter)
//!
//! | normalized | TaskRouter parameter |
//! |---|---|
//! | interaction `external-id` | `TaskSid` (always; see below) |
//! | interaction `related-external-ids` | `call_sid`, `conversationSid`/`conversation_sid`, `channelSid`/`channel_sid` inside `TaskAttributes` |
//! | interaction `agent-vendor-id` | `WorkerSid`, only on `reservation.accepted`/`wrapup`/`completed` and task events that carry it |
//! | interaction `channel` | `TaskChannelUniqueName` (else `TaskAttributes.channel`): voice, chat, sms, email, video; `default` and anything else → other |
//! | interaction `direction` | `TaskAttributes.direction`: `inbound*` → inbound, `outbound*` → outbound, else unknown |
//! | interaction `started-at` | `TaskDateCreated` when sent, else event time − `TaskAge` seconds |
//! | interaction `ended-at` | event time of `task.completed`, `task.canceled`, `task.deleted`, `task.system-deleted`, `reservation.completed` |
//! | interaction `updated-at` | event time: `TimestampMs`, else `Timestamp` (epoch seconds) |
//! | interaction `queue` | `TaskQueueName`, else `TaskQueueSid` |
//! | interaction `topics` | `TaskAttributes.topics` and `TaskAttributes.skills` (strings or arrays), slugged; none when absent |
//! | agent | `WorkerSid`; name = `WorkerAttributes.full_name`, else `WorkerName`; email = `WorkerAttributes.email`; team = `WorkerAttributes.team_name`, else `.team` |
//! | agent-state | `worker.*` events carrying `WorkerActivityName`: state = that name, at = event time |
//!
//! The interaction id is the `TaskSid`, never the `call_sid`: every task event
//! has a `TaskSid` whatever the channel, while only voice tasks carry a call
//! sid, and one call can produce several tasks (transfers). The call sid (and a
//! chat's conversation or channel sid) goes to `related-external-ids`, so a
//! recording or transcript keyed by call sid can still be matched.
//!
//! Reservation events that do not bind the task to the worker
//! (`reservation.created`, `rejected`, `timeout`, `canceled`, `rescinded`,
//! `failed`) yield only the agent: an interaction from them would name the
//! wrong agent, or none. Event families other than `task.*`, `reservation.*`
//! and `worker.*` (`task-queue.*`, `workflow.*`, `workspace.*`,
//! `task-channel.*`…) are answered with `unsupported`; filter them out with the
//! workspace's `EventsFilter`.
//!
//! Each callback is a snapshot of one moment of the task: fields it does not
//! carry are `None`, not "cleared".

mod errors;
mod request;
mod signature;
mod taskrouter;

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, LogLevel, PluginError};

sidecoach_guest::export_adapter! {
    /// The exported component.
    Twilio {
        id: "twilio",
        api: "0.2.0",
        name: "Twilio TaskRouter adapter",
        description: "Reads TaskRouter event callbacks, checks X-Twilio-Signature and maps \
                      task, reservation and worker events to interactions, agents and agent \
                      states.",
        ingest: ingest,
    }
}

/// Runs [`request::ingest`] and logs the outcome.
fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
    let result = request::ingest(&request);
    match &result {
        Ok(output) => log(
            LogLevel::Info,
            &format!(
                "source `{}`: signature verified, {} events",
                request.source,
                output.events.len()
            ),
        ),
        Err(e) => log(
            LogLevel::Warn,
            &format!("source `{}`: rejected: {}", request.source, e.message),
        ),
    }
    result
}

/// The request path without the host's `log` ([`request::ingest`]) and the WIT
/// types it speaks, for the native fuzz harness in `plugins/fuzz`.
#[doc(hidden)]
pub mod native {
    pub use crate::bindings::sidecoach::plugin::types;
    pub use crate::request::ingest;
}
