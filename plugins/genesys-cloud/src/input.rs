//! Reading a request: the shared JSON reader ([`sidecoach_guest::json`]: content
//! type, JSON documents or JSON lines, [`Rec`] with errors naming the dotted
//! path), plus what touches this adapter's own WIT types: its `plugin-error`
//! and collecting a multi-record body into an `ingest-output`.

pub use sidecoach_guest::json::{Body, Rec, check_content_type, describe, read_body};

use crate::bindings::sidecoach::plugin::types::{
    Channel, Direction, Event, IngestOutput, PluginError, RejectedRecord,
};

sidecoach_guest::plugin_errors!(crate::bindings::sidecoach::plugin::types);

/// A result whose error is a WIT plugin error.
pub type Result<T> = std::result::Result<T, PluginError>;

/// Collects the records of a multi-record body: each record's events, or its
/// error as a rejected record with its 0-based index.
pub fn batch(records: impl IntoIterator<Item = Result<Vec<Event>>>) -> IngestOutput {
    let mut output = IngestOutput {
        events: Vec::new(),
        rejected: Vec::new(),
    };
    for (index, record) in records.into_iter().enumerate() {
        match record {
            Ok(events) => output.events.extend(events),
            Err(error) => output.rejected.push(RejectedRecord {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                error,
            }),
        }
    }
    output
}

/// A Genesys media type (`voice`, `CALL`, `callback`, `chat`, `email`,
/// `message`…, any case) as a channel; `message_type` refines `message`.
///
/// | Genesys | channel |
/// |---|---|
/// | voice, call, callback | voice (a callback is a phone call placed later) |
/// | chat | chat |
/// | email | email |
/// | message + messageType webmessaging | chat |
/// | message + messageType facebook, twitter, instagram, line, whatsapp, apple | social |
/// | message + messageType sms, open or none | sms ("SMS or other text messaging") |
/// | video, screenshare | video |
/// | cobrowse, anything else, none | other |
pub fn channel(media_type: Option<&str>, message_type: Option<&str>) -> Channel {
    let media = media_type.unwrap_or_default().to_ascii_lowercase();
    match media.as_str() {
        "voice" | "call" | "callback" => Channel::Voice,
        "chat" => Channel::Chat,
        "email" => Channel::Email,
        "message" => match message_type
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "webmessaging" => Channel::Chat,
            "facebook" | "twitter" | "instagram" | "line" | "whatsapp" | "apple" => Channel::Social,
            _ => Channel::Sms,
        },
        "video" | "screenshare" => Channel::Video,
        _ => Channel::Other,
    }
}

/// A Genesys direction (`inbound`/`INBOUND`, `outbound`); anything else is unknown.
pub fn direction(raw: Option<&str>) -> Direction {
    match raw.unwrap_or_default().to_ascii_lowercase().as_str() {
        "inbound" => Direction::Inbound,
        "outbound" => Direction::Outbound,
        _ => Direction::Unknown,
    }
}
