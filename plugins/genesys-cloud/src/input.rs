//! Reading a request: the shared JSON reader ([`sidecoach_guest::json`]: content
//! type, JSON documents or JSON lines, [`Rec`] with errors naming the dotted
//! path), plus what touches this adapter's own WIT types: its `plugin-error`
//! and collecting a multi-record body into an `ingest-output`.

pub use sidecoach_guest::json::{Body, Rec, check_content_type, describe, read_body};

use crate::bindings::sidecoach::plugin::types::{Event, IngestOutput, PluginError, RejectedRecord};

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
