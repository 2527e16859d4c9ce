//! One request, whole: the content type, splitting the body into records
//! (one object, a JSON array, or JSON lines / concatenated objects as
//! Kinesis Firehose writes them), recognising each record's shape and
//! gathering the events and the rejected records.

use crate::bindings::sidecoach::plugin::types::{
    ErrorCode, Event, IngestOutput, PluginError, RejectedRecord,
};
use crate::fields::{Context, Obj, Result, describe, invalid, unsupported};
use crate::{agent_event, contact_event, ctr, evaluation, lens, realtime};
use serde_json::{Deserializer, Value};

/// The media types a body may be sent as (or no `content-type` at all).
pub const ACCEPTED_TYPES: &[&str] = &[
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
];

/// The `detail-type` of the EventBridge events this adapter reads.
pub const CONTACT_EVENT_DETAIL_TYPE: &str = "Amazon Connect Contact Event";

/// Parse one request: check the media type, split the body, parse every
/// record. Errors reject the whole request; a bad record of a multi-record
/// body lands in `rejected` instead.
pub fn parse_request(media_type: Option<&str>, url: &str, body: &[u8]) -> Result<IngestOutput> {
    check_media_type(media_type)?;
    let ctx = Context::from_url(url);
    match split(body)? {
        Records::One(value) => Ok(IngestOutput {
            events: parse_record(&value, &ctx)?,
            rejected: Vec::new(),
        }),
        Records::Many(records) => {
            let mut out = IngestOutput {
                events: Vec::new(),
                rejected: Vec::new(),
            };
            for (index, record) in records.into_iter().enumerate() {
                match record.and_then(|value| parse_record(&value, &ctx)) {
                    Ok(events) => out.events.extend(events),
                    Err(error) => out.rejected.push(RejectedRecord {
                        index: u32::try_from(index).unwrap_or(u32::MAX),
                        error,
                    }),
                }
            }
            // Nothing recognisable at all: the payload type is unsupported,
            // not a few bad records.
            if out.events.is_empty()
                && !out.rejected.is_empty()
                && out
                    .rejected
                    .iter()
                    .all(|r| r.error.code == ErrorCode::Unsupported)
            {
                let first = out.rejected.swap_remove(0);
                return Err(PluginError {
                    message: format!(
                        "no record is an Amazon Connect payload this adapter reads; record {}: {}",
                        first.index, first.error.message
                    ),
                    ..first.error
                });
            }
            Ok(out)
        }
    }
}

/// Refuse anything but JSON (a missing `content-type` is accepted).
pub fn check_media_type(media_type: Option<&str>) -> Result<()> {
    match media_type {
        None | Some("") => Ok(()),
        Some(t) if ACCEPTED_TYPES.contains(&t) => Ok(()),
        Some(t) => Err(invalid(
            "content-type",
            format!(
                "unsupported content type {t:?}; send {}",
                ACCEPTED_TYPES.join(", ")
            ),
        )),
    }
}

/// A body split into records.
#[derive(Debug)]
pub enum Records {
    /// A single JSON object: its errors are the request's.
    One(Value),
    /// Array elements or JSON lines, each parsed or failed on its own.
    Many(Vec<Result<Value>>),
}

/// Split a body into records.
///
/// One JSON value is either an array (each element a record) or an object
/// (the only record). Several values one after another (JSON lines, or
/// Firehose's concatenated objects) are one record each. When that stream
/// breaks and the body's first line is a complete object on its own, the body
/// is read as JSON lines, a line that does not parse becoming a rejected
/// record; otherwise the body is not JSON and the error names line and column.
pub fn split(body: &[u8]) -> Result<Records> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "body",
            "the body is empty; expected a contact trace record, contact event, Contact Lens \
             analysis, evaluation or agent event as JSON",
        ));
    }
    let mut values = Vec::new();
    let mut failure = None;
    for item in Deserializer::from_slice(body).into_iter::<Value>() {
        match item {
            Ok(value) => values.push(value),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    match failure {
        None if values.len() == 1 => match values.pop() {
            Some(Value::Array(items)) => Ok(Records::Many(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::Object(_) => Ok(item),
                        other => Err(invalid(
                            format!("[{i}]"),
                            format!(
                                "array element {i} must be an object, got {}",
                                describe(&other)
                            ),
                        )),
                    })
                    .collect(),
            )),
            Some(value @ Value::Object(_)) => Ok(Records::One(value)),
            Some(other) => Err(invalid(
                "body",
                format!(
                    "expected a JSON object, an array of objects or JSON lines, got {}",
                    describe(&other)
                ),
            )),
            None => unreachable!("one value was parsed"),
        },
        None => Ok(Records::Many(
            values
                .into_iter()
                .enumerate()
                .map(|(i, value)| match value {
                    Value::Object(_) => Ok(value),
                    other => Err(invalid(
                        format!("[{i}]"),
                        format!(
                            "JSON value {} must be an object, got {}",
                            i + 1,
                            describe(&other)
                        ),
                    )),
                })
                .collect(),
        )),
        Some(error) => {
            let text = String::from_utf8_lossy(body);
            let mut lines = text
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty());
            let first_is_object = lines.next().is_some_and(|(_, line)| {
                serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object())
            });
            if first_is_object {
                Ok(Records::Many(
                    text.lines()
                        .enumerate()
                        .filter(|(_, line)| !line.trim().is_empty())
                        .map(|(n, line)| parse_line(n + 1, line))
                        .collect(),
                ))
            } else {
                Err(invalid(
                    "body",
                    format!(
                        "the body is not valid JSON: {error} (line {}, column {})",
                        error.line(),
                        error.column()
                    ),
                ))
            }
        }
    }
}

/// One line of a JSON-lines body (`line` is 1-based in the body).
fn parse_line(line: usize, text: &str) -> Result<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(invalid(
            "body",
            format!(
                "line {line} must be a JSON object, got {}",
                describe(&other)
            ),
        )),
        Err(e) => Err(PluginError {
            code: ErrorCode::InvalidInput,
            message: format!(
                "line {line} is not valid JSON: {e} (line {line}, column {})",
                e.column()
            ),
            field: None,
        }),
    }
}

/// Turn one record into events, after recognising its shape.
pub fn parse_record(value: &Value, ctx: &Context) -> Result<Vec<Event>> {
    let Value::Object(map) = value else {
        return Err(invalid(
            "body",
            format!("expected a JSON object, got {}", describe(value)),
        ));
    };
    let top = Obj::new(map, "");
    // An EventBridge envelope.
    if top.has("detail-type") {
        let detail_type = top.required_str("detail-type")?;
        if detail_type != CONTACT_EVENT_DETAIL_TYPE {
            return Err(unsupported(
                Some("detail-type".into()),
                format!(
                    "unsupported EventBridge detail-type {detail_type:?}; this adapter reads \
                     {CONTACT_EVENT_DETAIL_TYPE:?}"
                ),
            ));
        }
        let detail = top.child("detail")?.ok_or_else(|| {
            invalid(
                "detail",
                "an \"Amazon Connect Contact Event\" must carry its `detail` object",
            )
        })?;
        let sent_at = top.timestamp("time")?;
        return contact_event::parse(&detail.any_case(), sent_at);
    }
    // Before contact events: real-time records also carry an event type
    // and a contact id.
    if realtime::matches(&top) {
        return realtime::parse(&top);
    }
    if lens::matches(&top) {
        return lens::parse(&top, ctx);
    }
    if evaluation::matches(&top) {
        return evaluation::parse(&top);
    }
    if agent_event::matches(&top) {
        return agent_event::parse(&top);
    }
    if contact_event::matches(&top) {
        return contact_event::parse(&top.clone().any_case(), None);
    }
    if ctr::matches(&top) {
        return ctr::parse(&top);
    }
    Err(unsupported(
        None,
        format!(
            "unrecognised payload: not a contact trace record, contact event, Contact Lens \
             analysis, evaluation or agent event; its keys are: {}",
            top.key_list()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTR: &[u8] =
        include_bytes!("../../../tests/data/vendors/amazon-connect_ctr.SYNTHETIC.json");

    fn ctr_value() -> Value {
        serde_json::from_slice(CTR).unwrap()
    }

    fn compact(value: &Value) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn accepted_content_types() {
        for ok in [
            None,
            Some(""),
            Some("application/json"),
            Some("application/x-ndjson"),
            Some("application/jsonl"),
        ] {
            assert!(check_media_type(ok).is_ok(), "{ok:?}");
        }
        let err = check_media_type(Some("text/csv")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("content-type"));
        assert!(err.message.contains("\"text/csv\""), "{}", err.message);
        let err = parse_request(Some("application/xml"), "", CTR).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("content-type"));
        assert!(err.message.contains("application/xml"), "{}", err.message);
    }

    #[test]
    fn contact_id_from_the_url() {
        assert_eq!(
            Context::from_url("https://h/v1/ingest/c?contact_id=abc-1&x=2").contact_id,
            Some("abc-1".into())
        );
        assert_eq!(
            Context::from_url("https://h/p?contactId=z#frag").contact_id,
            Some("z".into())
        );
        assert_eq!(
            Context::from_url("https://h/p?contact_id=").contact_id,
            None
        );
        assert_eq!(Context::from_url("https://h/p").contact_id, None);
    }

    #[test]
    fn truncated_json_names_line_and_column() {
        let truncated = &CTR[..CTR.len() / 2];
        let err = parse_request(Some("application/json"), "", truncated).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("body"));
        assert!(err.message.contains("not valid JSON"), "{}", err.message);
        assert!(err.message.contains("line "), "{}", err.message);
        assert!(err.message.contains("column "), "{}", err.message);
        let err = parse_request(None, "", b"{\"ContactId\": ").unwrap_err();
        assert!(err.message.contains("line 1, column"), "{}", err.message);
    }

    #[test]
    fn empty_and_scalar_bodies_are_invalid() {
        let err = parse_request(None, "", b"  \n").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("empty"), "{}", err.message);
        let err = parse_request(None, "", b"42").unwrap_err();
        assert!(err.message.contains("the number 42"), "{}", err.message);
    }

    #[test]
    fn json_lines_and_concatenated_objects_are_records() {
        let line = compact(&ctr_value());
        let lines = format!("{line}\n\n{line}\n");
        let out = parse_request(Some("application/x-ndjson"), "", lines.as_bytes()).unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(out.events.len(), 4, "agent + interaction per line");
        let glued = format!("{line}{line}");
        let out = parse_request(None, "", glued.as_bytes()).unwrap();
        assert_eq!(out.events.len(), 4);
    }

    #[test]
    fn a_broken_json_line_is_rejected_alone() {
        let line = compact(&ctr_value());
        let body = format!("{line}\n{{\"ContactId\": \"x\", \n{line}\n");
        let out = parse_request(Some("application/jsonl"), "", body.as_bytes()).unwrap();
        assert_eq!(out.events.len(), 4);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].index, 1);
        let e = &out.rejected[0].error;
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(
            e.message.contains("line 2 is not valid JSON"),
            "{}",
            e.message
        );
    }

    #[test]
    fn an_array_of_unrecognised_objects_is_unsupported() {
        let err =
            parse_request(None, "", br#"[{"conversationId": "g-1"}, {"foo": 1}]"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert!(err.message.contains("record 0"), "{}", err.message);
        assert!(err.message.contains("conversationId"), "{}", err.message);
    }

    #[test]
    fn unrecognised_objects_name_their_keys() {
        let err = parse_request(
            None,
            "",
            br#"{"conversationId": "g-1", "participants": []}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert_eq!(err.field, None);
        assert!(
            err.message.contains("conversationId, participants"),
            "{}",
            err.message
        );
    }

    #[test]
    fn other_eventbridge_detail_types_are_unsupported() {
        let body = br#"{"version":"0","detail-type":"Contact Lens Post Call Rules Matched","source":"aws.connect","detail":{}}"#;
        let err = parse_request(None, "", body).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert_eq!(err.field.as_deref(), Some("detail-type"));
        assert!(
            err.message.contains("Contact Lens Post Call Rules Matched"),
            "{}",
            err.message
        );
        let err = parse_request(
            None,
            "",
            br#"{"detail-type":"Amazon Connect Contact Event","time":"2021-08-04T17:43:48Z"}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("detail"));
    }

    #[test]
    fn non_object_array_elements_are_rejected() {
        let body = format!("[{}, 7]", compact(&ctr_value()));
        let out = parse_request(None, "", body.as_bytes()).unwrap();
        assert_eq!(out.events.len(), 2);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].index, 1);
        assert_eq!(out.rejected[0].error.field.as_deref(), Some("[1]"));
    }
}
