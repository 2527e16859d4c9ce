//! One request → an [`IngestOutput`].
//!
//! A body is a reporting API page (`{"contacts":[...]}`, also
//! `{"completedContacts":[...]}`; its other keys such as `totalRecords`,
//! `_links` and `lastPollTime` are ignored), a JSON array of contacts, one
//! contact object, or JSON lines with one contact per line. In a page, array
//! or JSON lines a contact that cannot be read is a rejected record (its
//! index in the list or among the lines) and the others still count; a single
//! contact that cannot be read fails the request.

use serde_json::Value;

use crate::bindings::sidecoach::plugin::types::IngestOutput;
use crate::contacts;
use crate::input::{self, Body, Rec, Result, invalid, unsupported};

/// The keys of a reporting page that hold its contacts.
const LIST_KEYS: &[&str] = &["contacts", "completedContacts"];

/// Parses one request's headers and body.
pub fn ingest(headers: &[(String, String)], body: &[u8]) -> Result<IngestOutput> {
    let declared_lines = input::check_content_type(headers)?;
    match input::read_body(body, declared_lines)? {
        Body::One(Value::Array(items)) => Ok(list(&items, "")),
        Body::One(value @ Value::Object(_)) => {
            let rec = Rec::new(&value, "")?;
            if let Some(key) = LIST_KEYS.iter().find(|k| rec.has(k)) {
                return match rec.get(key) {
                    Some(Value::Array(items)) => Ok(list(items, key)),
                    other => Err(invalid(
                        *key,
                        format!(
                            "`{key}` must be an array of contacts, not {}",
                            other.map_or_else(|| "null".into(), input::describe)
                        ),
                    )),
                };
            }
            if rec.has("contactId") {
                return Ok(IngestOutput {
                    events: contacts::contact(&rec)?,
                    rejected: Vec::new(),
                });
            }
            Err(unsupported(
                "body",
                format!(
                    "unrecognized NICE CXone payload (keys: {}); expected a completed-contacts \
                     page {{\"contacts\":[...]}}, an array of contacts or one contact with a \
                     `contactId`",
                    rec.keys()
                ),
            ))
        }
        Body::One(other) => Err(invalid(
            "body",
            format!(
                "expected a JSON object, an array of contacts or JSON lines, not {}",
                input::describe(&other)
            ),
        )),
        Body::Lines(lines) => Ok(input::batch(lines.iter().enumerate().map(|(i, line)| {
            contacts::contact(&Rec::new(
                line.as_ref().map_err(Clone::clone)?,
                format!("[{i}]"),
            )?)
        }))),
    }
}

/// The contacts of a list found under `key` (`""` for a top-level array).
fn list(items: &[Value], key: &str) -> IngestOutput {
    input::batch(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| contacts::contact(&Rec::new(item, format!("{key}[{i}]"))?)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{
        Agent, Channel, Direction, ErrorCode, Event, Interaction,
    };
    use serde_json::json;

    /// A completed-contacts page (synthetic).
    const COMPLETED: &[u8] =
        include_bytes!("../../../tests/data/vendors/nice-cxone_contacts-completed.SYNTHETIC.json");

    /// Parses a JSON body.
    fn parse(body: &[u8]) -> Result<IngestOutput> {
        ingest(&[("content-type".into(), "application/json".into())], body)
    }

    /// Epoch milliseconds of an ISO 8601 time.
    fn ms(iso: &str) -> i64 {
        sidecoach_guest::time::parse_iso8601_ms(iso).unwrap()
    }

    /// The fixture as a JSON value.
    fn fixture() -> Value {
        serde_json::from_slice(COMPLETED).unwrap()
    }

    /// The fixture, field by field.
    #[test]
    fn completed_contacts_fixture() {
        let output = parse(COMPLETED).unwrap();
        assert!(output.rejected.is_empty());
        assert_eq!(
            output.events,
            vec![
                Event::Agent(Agent {
                    vendor_user_id: "1234567".into(),
                    name: Some("Alice Agent".into()),
                    email: None,
                    team: Some("Team Blue".into()),
                    supervisor_vendor_id: None,
                }),
                Event::Interaction(Interaction {
                    external_id: "987654321001".into(),
                    agent_vendor_id: Some("1234567".into()),
                    channel: Channel::Voice,
                    direction: Direction::Inbound,
                    started_at: Some(ms("2024-05-01T10:00:00.000Z")),
                    // contactStartDate + totalDurationSeconds 450.
                    ended_at: Some(ms("2024-05-01T10:07:30.000Z")),
                    handle_ms: Some(300_000),
                    talk_ms: None,
                    hold_ms: Some(45_000),
                    after_work_ms: Some(30_000),
                    non_talk_ms: None,
                    agent_interruptions: None,
                    // masterContactId equals contactId.
                    related_external_ids: vec![],
                    queue: Some("Billing".into()),
                    topics: vec![],
                    sentiment: None,
                    // primaryDispositionId 0: no disposition.
                    wrap_up: None,
                    updated_at: Some(ms("2024-05-01T10:08:00.000Z")),
                }),
            ]
        );
    }

    /// A bad contact in a page is rejected by index; the others count.
    #[test]
    fn page_with_one_bad_contact() {
        let mut v = fixture();
        let good = v["contacts"][0].clone();
        let mut bad = good.clone();
        bad["contactId"] = json!(987654321002u64);
        bad["contactStartDate"] = json!("01/05/2024 10:00");
        let mut transfer = good.clone();
        transfer["contactId"] = json!(987654321003u64);
        transfer["tags"] = json!(["Refund Request", "vip"]);
        transfer["isOutbound"] = json!(true);
        v["contacts"] = json!([good, bad, transfer]);
        let output = parse(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(output.rejected.len(), 1);
        assert_eq!(output.rejected[0].index, 1);
        assert_eq!(output.rejected[0].error.code, ErrorCode::InvalidInput);
        assert_eq!(
            output.rejected[0].error.field.as_deref(),
            Some("contacts[1].contactStartDate")
        );
        assert!(
            output.rejected[0]
                .error
                .message
                .contains("01/05/2024 10:00")
        );
        let interactions: Vec<&Interaction> = output
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Interaction(i) => Some(i),
                _ => None,
            })
            .collect();
        assert_eq!(interactions.len(), 2);
        assert_eq!(interactions[1].external_id, "987654321003");
        assert_eq!(
            interactions[1].related_external_ids,
            vec!["987654321001".to_string()]
        );
        assert_eq!(interactions[1].direction, Direction::Outbound);
        assert_eq!(
            interactions[1].topics,
            vec!["refund-request".to_string(), "vip".to_string()]
        );
    }

    /// An array, a single contact and JSON lines read like the page.
    #[test]
    fn array_single_object_and_json_lines() {
        let contact = fixture()["contacts"][0].clone();
        let from_page = parse(COMPLETED).unwrap();
        let array = serde_json::to_vec(&json!([contact])).unwrap();
        assert_eq!(parse(&array).unwrap(), from_page);
        let single = serde_json::to_vec(&contact).unwrap();
        assert_eq!(parse(&single).unwrap(), from_page);
        let line = String::from_utf8(single).unwrap();
        let body = format!("{line}\n{{\"contactId\": 5, \"acwSeconds\": \"x\"}}\n{line}\n");
        let output = ingest(
            &[("content-type".into(), "application/jsonl".into())],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(output.events.len(), 4);
        assert_eq!(output.rejected.len(), 1);
        assert_eq!(output.rejected[0].index, 1);
        assert_eq!(
            output.rejected[0].error.field.as_deref(),
            Some("[1].acwSeconds")
        );
    }

    /// Truncated JSON, wrong content type, unknown payload and a single bad contact fail the request.
    #[test]
    fn whole_request_failures() {
        // Truncated JSON.
        let e = parse(&COMPLETED[..COMPLETED.len() - 20]).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("body"));
        assert!(
            e.message.contains("line ") && e.message.contains("column "),
            "{}",
            e.message
        );

        // Wrong content type.
        let e = ingest(&[("content-type".into(), "text/xml".into())], COMPLETED).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("content-type"));
        assert!(e.message.contains("text/xml"), "{}", e.message);
        // No content type is fine.
        assert!(ingest(&[], COMPLETED).is_ok());

        // Not a contacts payload.
        let e = parse(br#"{"agentStates": [], "totalRecords": 0}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert!(e.message.contains("agentStates"), "{}", e.message);

        // A single contact with a bad timestamp fails the request.
        let mut contact = fixture()["contacts"][0].clone();
        contact["lastUpdateTime"] = json!("later");
        let e = parse(&serde_json::to_vec(&contact).unwrap()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("lastUpdateTime"));

        let e = parse(br#"{"contacts": {"contactId": 1}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("contacts"));
        let e = parse(b"42").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("body"));
    }
}
