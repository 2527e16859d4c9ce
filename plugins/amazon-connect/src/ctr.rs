//! Contact trace records (contact records): one per contact, delivered by
//! Kinesis Data Streams or Firehose, redelivered whenever it changes.

use crate::bindings::sidecoach::plugin::types::{Agent, Event, Interaction};
use crate::fields::{Obj, Result, channel, check_span, direction, hierarchy_team, related_ids};

/// The keys that link a contact to others.
const RELATED_KEYS: &[&str] = &[
    "InitialContactId",
    "PreviousContactId",
    "NextContactId",
    "RelatedContactId",
];

/// Whether a record looks like a CTR: a `ContactId` with an `Agent`, an
/// `InitiationTimestamp` or the CTR format version.
pub fn matches(top: &Obj<'_>) -> bool {
    top.has("ContactId")
        && (top.has("Agent")
            || top.has("InitiationTimestamp")
            || top.has("AWSContactTraceRecordFormatVersion"))
}

/// A CTR as an agent (when it names one) followed by its interaction.
pub fn parse(top: &Obj<'_>) -> Result<Vec<Event>> {
    let contact_id = top.required_str("ContactId")?.trim().to_string();
    let related_external_ids = related_ids(top, &contact_id, RELATED_KEYS)?;
    let agent = top.child("Agent")?;
    let (agent_vendor_id, handle_ms, hold_ms, after_work_ms) = match &agent {
        Some(a) => (
            a.arn_id("ARN")?,
            a.seconds_as_ms("AgentInteractionDuration")?,
            a.seconds_as_ms("CustomerHoldDuration")?,
            a.seconds_as_ms("AfterContactWorkDuration")?,
        ),
        None => (None, None, None, None),
    };
    let queue = match top.child("Queue")? {
        Some(q) => q.str("Name")?.map(|n| n.trim().to_string()),
        None => None,
    };
    let started_at = top.timestamp("InitiationTimestamp")?;
    let ended_at = top.timestamp("DisconnectTimestamp")?;
    check_span(started_at, ended_at, top.path_of("DisconnectTimestamp"))?;
    let interaction = Interaction {
        external_id: contact_id,
        agent_vendor_id: agent_vendor_id.clone(),
        channel: channel(top.str("Channel")?),
        direction: direction(top.str("InitiationMethod")?),
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
        queue,
        topics: Vec::new(),
        sentiment: None,
        wrap_up: None,
        updated_at: top.timestamp("LastUpdateTimestamp")?,
    };
    let mut events = Vec::with_capacity(2);
    if let (Some(vendor_user_id), Some(a)) = (agent_vendor_id, &agent) {
        events.push(Event::Agent(Agent {
            vendor_user_id,
            name: a.str("Username")?.map(|n| n.trim().to_string()),
            email: None,
            team: hierarchy_team(a.child("HierarchyGroups")?)?,
            supervisor_vendor_id: None,
        }));
    }
    events.push(Event::Interaction(interaction));
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{Channel, Direction, ErrorCode};
    use crate::fields::Context;
    use crate::payload::{parse_record, parse_request};
    use serde_json::{Value, json};

    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/data/vendors/amazon-connect_ctr.SYNTHETIC.json");

    const CONTACT: &str = "badd4896-75f7-43b3-bee6-c617ed3d04cb";
    const AGENT: &str = "22222222-3333-4444-5555-666666666666";

    fn fixture() -> Value {
        serde_json::from_slice(FIXTURE).unwrap()
    }

    fn parse_value(v: &Value) -> Result<Vec<Event>> {
        parse_record(v, &Context::default())
    }

    fn interaction(events: &[Event]) -> &Interaction {
        events
            .iter()
            .find_map(|e| match e {
                Event::Interaction(i) => Some(i),
                _ => None,
            })
            .expect("an interaction")
    }

    #[test]
    fn the_fixture_maps_every_field() {
        let out = parse_request(Some("application/json"), "", FIXTURE).unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(out.events.len(), 2);
        assert_eq!(
            out.events[0],
            Event::Agent(Agent {
                vendor_user_id: AGENT.into(),
                name: Some("agent.a".into()),
                email: None,
                team: None,
                supervisor_vendor_id: None,
            })
        );
        assert_eq!(
            out.events[1],
            Event::Interaction(Interaction {
                external_id: CONTACT.into(),
                agent_vendor_id: Some(AGENT.into()),
                channel: Channel::Voice,
                direction: Direction::Inbound,
                // 2024-05-01T10:00:00Z and 10:07:00Z
                started_at: Some(1_714_557_600_000),
                ended_at: Some(1_714_558_020_000),
                handle_ms: Some(300_000),
                talk_ms: None,
                hold_ms: Some(45_000),
                after_work_ms: Some(30_000),
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
                queue: Some("Billing".into()),
                topics: vec![],
                sentiment: None,
                wrap_up: None,
                // 2024-05-01T10:08:00Z
                updated_at: Some(1_714_558_080_000),
            })
        );
    }

    #[test]
    fn linked_contacts_channels_directions_and_teams() {
        let mut v = fixture();
        v["InitialContactId"] = json!("first-leg");
        v["PreviousContactId"] = json!("first-leg");
        v["NextContactId"] = json!("next-leg");
        v["RelatedContactId"] = json!(CONTACT);
        v["Channel"] = json!("CHAT");
        v["InitiationMethod"] = json!("TRANSFER");
        v["Agent"]["HierarchyGroups"] = json!({
            "Level1": {"ARN": "a", "GroupName": "Support"},
            "Level2": {"ARN": "b", "GroupName": "Billing Tier 1"}
        });
        let events = parse_value(&v).unwrap();
        let i = interaction(&events);
        assert_eq!(i.related_external_ids, vec!["first-leg", "next-leg"]);
        assert_eq!(i.channel, Channel::Chat);
        assert_eq!(i.direction, Direction::Internal);
        match &events[0] {
            Event::Agent(a) => assert_eq!(a.team.as_deref(), Some("Billing Tier 1")),
            other => panic!("expected an agent, got {other:?}"),
        }
        for (method, want) in [
            ("OUTBOUND", Direction::Outbound),
            ("QUEUE_TRANSFER", Direction::Internal),
            ("CALLBACK", Direction::Unknown),
        ] {
            v["InitiationMethod"] = json!(method);
            assert_eq!(interaction(&parse_value(&v).unwrap()).direction, want);
        }
        for (name, want) in [("TASK", Channel::Task), ("EMAIL", Channel::Email)] {
            v["Channel"] = json!(name);
            assert_eq!(interaction(&parse_value(&v).unwrap()).channel, want);
        }
    }

    #[test]
    fn an_abandoned_contact_has_no_agent() {
        let mut v = fixture();
        v["Agent"] = Value::Null;
        v["Queue"] = Value::Null;
        let events = parse_value(&v).unwrap();
        assert_eq!(events.len(), 1, "no agent event");
        let i = interaction(&events);
        assert_eq!(i.agent_vendor_id, None);
        assert_eq!(i.handle_ms, None);
        assert_eq!(i.queue, None);
    }

    #[test]
    fn a_non_numeric_duration_names_its_field() {
        let mut v = fixture();
        v["Agent"]["AgentInteractionDuration"] = json!("five minutes");
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("Agent.AgentInteractionDuration"));
        assert!(err.message.contains("number of seconds"), "{}", err.message);
        assert!(err.message.contains("\"five minutes\""), "{}", err.message);
        v["Agent"]["AgentInteractionDuration"] = json!(-3);
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("Agent.AgentInteractionDuration"));
    }

    #[test]
    fn bad_timestamps_and_missing_ids_name_their_field() {
        let mut v = fixture();
        v["DisconnectTimestamp"] = json!("yesterday");
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("DisconnectTimestamp"));
        assert!(err.message.contains("\"yesterday\""), "{}", err.message);
        let mut v = fixture();
        v["DisconnectTimestamp"] = json!("2024-05-01T09:00:00Z");
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("DisconnectTimestamp"));
        assert!(err.message.contains("before it starts"), "{}", err.message);
        let mut v = fixture();
        v["ContactId"] = json!("");
        let err = parse_value(&v).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("ContactId"));
    }

    #[test]
    fn an_array_with_one_bad_ctr_rejects_only_that_one() {
        let good = fixture();
        let mut second = fixture();
        second["ContactId"] = json!("second-contact");
        let mut bad = fixture();
        bad["Agent"]["CustomerHoldDuration"] = json!({"seconds": 4});
        let body = serde_json::to_vec(&json!([good, bad, second])).unwrap();
        let out = parse_request(Some("application/json"), "", &body).unwrap();
        assert_eq!(
            out.events.len(),
            4,
            "agent + interaction for records 0 and 2"
        );
        let ids: Vec<&str> = out
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Interaction(i) => Some(i.external_id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(ids, vec![CONTACT, "second-contact"]);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].index, 1);
        assert_eq!(out.rejected[0].error.code, ErrorCode::InvalidInput);
        assert_eq!(
            out.rejected[0].error.field.as_deref(),
            Some("Agent.CustomerHoldDuration")
        );
    }

    #[test]
    fn a_single_bad_ctr_fails_the_request() {
        let mut v = fixture();
        v["Agent"]["AfterContactWorkDuration"] = json!(true);
        let body = serde_json::to_vec(&v).unwrap();
        let err = parse_request(None, "", &body).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("Agent.AfterContactWorkDuration"));
    }
}
