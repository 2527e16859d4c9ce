//! Contact events: the near-real-time contact lifecycle stream, either the
//! bare `detail` object or the EventBridge envelope around it
//! (`detail-type: "Amazon Connect Contact Event"`). Keys are matched
//! regardless of case: AWS's own samples spell them both ways
//! (`agentInfo.agentArn`, `AgentInfo.AgentArn`).

use crate::bindings::sidecoach::plugin::types::{Event, Interaction};
use crate::fields::{Obj, Result, channel, check_span, direction, related_ids, unsupported};

/// The contact event types this adapter knows (Connect's contact events
/// data model).
pub const EVENT_TYPES: &[&str] = &[
    "INITIATED",
    "CONNECTED_TO_SYSTEM",
    "CONTACT_DATA_UPDATED",
    "QUEUED",
    "CONNECTED_TO_AGENT",
    "DISCONNECTED",
    "COMPLETED",
    "AMD_DISABLED",
];

/// The keys that link a contact to others.
const RELATED_KEYS: &[&str] = &["initialContactId", "previousContactId", "relatedContactId"];

/// Whether a record is a bare contact event: `eventType` and `contactId`.
pub fn matches(top: &Obj<'_>) -> bool {
    let top = top.clone().any_case();
    top.has("eventType") && top.has("contactId")
}

/// A contact event's `detail` (matched in any case) as an interaction.
/// `sent_at` is the EventBridge envelope's `time`, used as the update time.
pub fn parse(detail: &Obj<'_>, sent_at: Option<i64>) -> Result<Vec<Event>> {
    let event_type = detail.required_str("eventType")?;
    if !EVENT_TYPES
        .iter()
        .any(|t| t.eq_ignore_ascii_case(event_type.trim()))
    {
        return Err(unsupported(
            Some(detail.path_of("eventType")),
            format!(
                "unsupported contact event type {event_type:?}; known: {}",
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    let contact_id = detail.required_str("contactId")?.trim().to_string();
    let related_external_ids = related_ids(detail, &contact_id, RELATED_KEYS)?;
    let (agent_vendor_id, handle_ms, hold_ms, after_work_ms) = match detail.child("agentInfo")? {
        Some(a) => {
            let id = match a.arn_id("agentArn")? {
                Some(id) => Some(id),
                None => a.str("id")?.map(|s| s.trim().to_string()),
            };
            (
                id,
                a.seconds_as_ms("agentInteractionDuration")?,
                a.seconds_as_ms("customerHoldDuration")?,
                a.seconds_as_ms("afterContactWorkDuration")?,
            )
        }
        None => (None, None, None, None),
    };
    let started_at = detail.timestamp("initiationTimestamp")?;
    let ended_at = detail.timestamp("disconnectTimestamp")?;
    check_span(started_at, ended_at, detail.path_of("disconnectTimestamp"))?;
    Ok(vec![Event::Interaction(Interaction {
        external_id: contact_id,
        agent_vendor_id,
        channel: channel(detail.str("channel")?),
        direction: direction(detail.str("initiationMethod")?),
        started_at,
        ended_at,
        handle_ms,
        talk_ms: None,
        hold_ms,
        after_work_ms,
        non_talk_ms: None,
        agent_talk_ms: None,
        customer_talk_ms: None,
        alert_ms: None,
        answer_ms: None,
        issues: Vec::new(),
        outcomes: Vec::new(),
        action_items: Vec::new(),
        agent_interruptions: None,
        related_external_ids,
        // Contact events name the queue only by ARN; `queue` carries the
        // queue's name, which the contact record brings.
        queue: None,
        topics: Vec::new(),
        sentiment: None,
        wrap_up: None,
        updated_at: sent_at,
    })])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{Channel, Direction, ErrorCode};
    use crate::payload::parse_request;
    use serde_json::{Value, json};

    const CONNECTED: &[u8] = include_bytes!(
        "../../../tests/data/vendors/amazon-connect_contact-event-connected-to-agent.json"
    );
    const DISCONNECTED: &[u8] = include_bytes!(
        "../../../tests/data/vendors/amazon-connect_contact-event-disconnected-eventbridge.json"
    );

    fn only_interaction(body: &[u8]) -> Interaction {
        let out = parse_request(Some("application/json"), "", body).unwrap();
        assert!(out.rejected.is_empty());
        match <[Event; 1]>::try_from(out.events) {
            Ok([Event::Interaction(i)]) => i,
            other => panic!("expected one interaction, got {other:?}"),
        }
    }

    #[test]
    fn connected_to_agent_detail() {
        assert_eq!(
            only_interaction(CONNECTED),
            Interaction {
                external_id: "11111111-1111-1111-1111-111111111111".into(),
                agent_vendor_id: Some("12345678-1234-1234-1234-123456789012".into()),
                channel: Channel::Voice,
                direction: Direction::Inbound,
                // 2021-08-04T17:17:53.000Z
                started_at: Some(1_628_097_473_000),
                ended_at: None,
                handle_ms: None,
                talk_ms: None,
                hold_ms: None,
                after_work_ms: None,
                non_talk_ms: None,
                agent_talk_ms: None,
                customer_talk_ms: None,
                alert_ms: None,
                answer_ms: None,
                issues: Vec::new(),
                outcomes: Vec::new(),
                action_items: Vec::new(),
                agent_interruptions: None,
                related_external_ids: vec![],
                queue: None,
                topics: vec![],
                sentiment: None,
                wrap_up: None,
                updated_at: None,
            }
        );
    }

    #[test]
    fn disconnected_eventbridge_event() {
        assert_eq!(
            only_interaction(DISCONNECTED),
            Interaction {
                external_id: "11111111-1111-1111-1111-111111111111".into(),
                // AWS's published sample has `AgentInfo.AgentArn` = "arn", an ARN
                // with no agent in it: no agent.
                agent_vendor_id: None,
                // "Voice", in mixed case.
                channel: Channel::Voice,
                direction: Direction::Outbound,
                // 2021-08-04T17:17:53.000Z .. 17:18:37.000Z
                started_at: Some(1_628_097_473_000),
                ended_at: Some(1_628_097_517_000),
                handle_ms: None,
                talk_ms: None,
                hold_ms: None,
                after_work_ms: None,
                non_talk_ms: None,
                agent_talk_ms: None,
                customer_talk_ms: None,
                alert_ms: None,
                answer_ms: None,
                issues: Vec::new(),
                outcomes: Vec::new(),
                action_items: Vec::new(),
                agent_interruptions: None,
                // initial and previous are the same contact: listed once.
                related_external_ids: vec!["11111111-2222-3333-4444-555555555555".into()],
                queue: None,
                topics: vec![],
                sentiment: None,
                wrap_up: None,
                // the envelope's `time`, 2021-08-04T17:43:48Z
                updated_at: Some(1_628_099_028_000),
            }
        );
    }

    #[test]
    fn completed_events_carry_after_contact_work() {
        let mut v: Value = serde_json::from_slice(DISCONNECTED).unwrap();
        v["detail"]["eventType"] = json!("COMPLETED");
        v["detail"]["AgentInfo"]["AgentArn"] =
            json!("arn:aws:connect:us-west-2:1:instance/i/agent/agent-7");
        v["detail"]["AgentInfo"]["afterContactWorkDuration"] = json!(12);
        let i = only_interaction(&serde_json::to_vec(&v).unwrap());
        assert_eq!(i.agent_vendor_id.as_deref(), Some("agent-7"));
        assert_eq!(i.after_work_ms, Some(12_000));
    }

    #[test]
    fn unknown_event_types_are_unsupported() {
        let mut v: Value = serde_json::from_slice(DISCONNECTED).unwrap();
        v["detail"]["eventType"] = json!("TELEPORTED");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert_eq!(err.field.as_deref(), Some("detail.eventType"));
        assert!(err.message.contains("\"TELEPORTED\""), "{}", err.message);

        let mut v: Value = serde_json::from_slice(CONNECTED).unwrap();
        v["eventType"] = json!("TELEPORTED");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert_eq!(err.field.as_deref(), Some("eventType"));
    }

    #[test]
    fn bad_fields_are_named_with_the_detail_path() {
        let mut v: Value = serde_json::from_slice(DISCONNECTED).unwrap();
        v["detail"]["disconnectTimestamp"] = json!("later");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("detail.disconnectTimestamp"));
        let mut v: Value = serde_json::from_slice(DISCONNECTED).unwrap();
        v["detail"]["disconnectTimestamp"] = json!("2021-08-04T17:00:00Z");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("detail.disconnectTimestamp"));
        let mut v: Value = serde_json::from_slice(DISCONNECTED).unwrap();
        v["detail"]["contactId"] = Value::Null;
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("detail.contactId"));
    }
}
