//! Agent event stream records (Kinesis): `LOGIN`, `LOGOUT`, `STATE_CHANGE`
//! and `HEART_BEAT`, each with a snapshot of the agent's configuration and
//! status.

use crate::bindings::sidecoach::plugin::types::{Agent, AgentState, Event};
use crate::fields::{Obj, Result, hierarchy_team, invalid, unsupported};

/// The agent event types (Connect's agent event streams data model).
pub const EVENT_TYPES: &[&str] = &["LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"];

/// The state reported for a `LOGOUT` that carries no current status.
pub const LOGGED_OUT_STATE: &str = "Offline";

/// Whether a record is an agent event: `EventType` with `AgentARN` or a
/// `CurrentAgentSnapshot`.
pub fn matches(top: &Obj<'_>) -> bool {
    top.has("EventType") && (top.has("AgentARN") || top.has("CurrentAgentSnapshot"))
}

/// An agent event as the agent (when the snapshot names them) and their
/// current state.
///
/// The state is `CurrentAgentSnapshot.AgentStatus.Name`, at its
/// `StartTimestamp` (when the state began; a heartbeat repeats it), else at
/// the event's `EventTimestamp`. A `LOGOUT` without a current status is the
/// state "Offline" at the event time.
pub fn parse(top: &Obj<'_>) -> Result<Vec<Event>> {
    let event_type = top.required_str("EventType")?.trim();
    if !EVENT_TYPES.contains(&event_type) {
        return Err(unsupported(
            Some("EventType".into()),
            format!(
                "unsupported agent event type {event_type:?}; known: {}",
                EVENT_TYPES.join(", ")
            ),
        ));
    }
    let agent_vendor_id = top.arn_id("AgentARN")?.ok_or_else(|| {
        invalid(
            "AgentARN",
            "`AgentARN` is missing or names no agent (expected arn:…/agent/<id>)",
        )
    })?;
    let event_at = top.timestamp("EventTimestamp")?;
    let snapshot = top.child("CurrentAgentSnapshot")?;
    let mut events = Vec::with_capacity(2);
    if let Some(config) = match &snapshot {
        Some(s) => s.child("Configuration")?,
        None => None,
    } {
        let first = config.str("FirstName")?.map(str::trim);
        let last = config.str("LastName")?.map(str::trim);
        let full = [first, last]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let name = if full.is_empty() {
            config.str("Username")?.map(|u| u.trim().to_string())
        } else {
            Some(full)
        };
        events.push(Event::Agent(Agent {
            vendor_user_id: agent_vendor_id.clone(),
            name,
            email: None,
            team: hierarchy_team(config.child("AgentHierarchyGroups")?)?,
            supervisor_vendor_id: None,
        }));
    }
    let status = match &snapshot {
        Some(s) => s.child("AgentStatus")?,
        None => None,
    };
    let state = match &status {
        Some(status) => {
            let name = status.required_str("Name")?.trim().to_string();
            let at = match status.timestamp("StartTimestamp")? {
                Some(at) => at,
                None => event_at.ok_or_else(|| {
                    invalid(
                        "EventTimestamp",
                        "neither the status's `StartTimestamp` nor `EventTimestamp` is set",
                    )
                })?,
            };
            Some((name, at))
        }
        None if event_type == "LOGOUT" => {
            let at = event_at
                .ok_or_else(|| invalid("EventTimestamp", "`EventTimestamp` is missing or empty"))?;
            Some((LOGGED_OUT_STATE.to_string(), at))
        }
        None => None,
    };
    if let Some((state, at)) = state {
        events.push(Event::AgentState(AgentState {
            agent_vendor_id,
            state,
            at,
        }));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::ErrorCode;
    use crate::payload::parse_request;
    use serde_json::{Value, json};

    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/data/vendors/amazon-connect_agent-event-stream.json");

    fn fixture() -> Value {
        serde_json::from_slice(FIXTURE).unwrap()
    }

    fn events_of(v: &Value) -> Vec<Event> {
        let out = parse_request(None, "", &serde_json::to_vec(v).unwrap()).unwrap();
        assert!(out.rejected.is_empty());
        out.events
    }

    #[test]
    fn the_heartbeat_fixture_carries_agent_and_state() {
        let out = parse_request(Some("application/json"), "", FIXTURE).unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(
            out.events,
            vec![
                Event::Agent(Agent {
                    vendor_user_id: "agent-ARN".into(),
                    name: Some("AgentEventStreamTest Agent".into()),
                    email: None,
                    team: None,
                    supervisor_vendor_id: None,
                }),
                Event::AgentState(AgentState {
                    agent_vendor_id: "agent-ARN".into(),
                    state: "Available".into(),
                    // AgentStatus.StartTimestamp 2019-08-13T20:52:30.704Z
                    at: 1_565_729_550_704,
                }),
            ]
        );
    }

    #[test]
    fn names_teams_and_missing_start_times() {
        let mut v = fixture();
        let config = &mut v["CurrentAgentSnapshot"]["Configuration"];
        config["FirstName"] = Value::Null;
        config["LastName"] = Value::Null;
        config["AgentHierarchyGroups"] = json!({"Level1": {"ARN": "x", "Name": "Tier 2"}});
        v["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] = Value::Null;
        v["EventType"] = json!("STATE_CHANGE");
        let events = events_of(&v);
        match &events[0] {
            Event::Agent(a) => {
                assert_eq!(a.name.as_deref(), Some("aestest"));
                assert_eq!(a.team.as_deref(), Some("Tier 2"));
            }
            other => panic!("expected an agent, got {other:?}"),
        }
        match &events[1] {
            // EventTimestamp 2019-08-13T20:58:44.031Z
            Event::AgentState(s) => assert_eq!(s.at, 1_565_729_924_031),
            other => panic!("expected a state, got {other:?}"),
        }
    }

    #[test]
    fn a_logout_without_a_snapshot_is_offline() {
        let mut v = fixture();
        v["EventType"] = json!("LOGOUT");
        v["CurrentAgentSnapshot"] = Value::Null;
        assert_eq!(
            events_of(&v),
            vec![Event::AgentState(AgentState {
                agent_vendor_id: "agent-ARN".into(),
                state: "Offline".into(),
                at: 1_565_729_924_031,
            })]
        );
    }

    #[test]
    fn unknown_event_types_and_bad_fields() {
        let mut v = fixture();
        v["EventType"] = json!("TELEPORT");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert_eq!(err.field.as_deref(), Some("EventType"));
        assert!(err.message.contains("\"TELEPORT\""), "{}", err.message);

        let mut v = fixture();
        v["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] = json!("noonish");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            err.field.as_deref(),
            Some("CurrentAgentSnapshot.AgentStatus.StartTimestamp")
        );

        let mut v = fixture();
        v["AgentARN"] = json!("arn");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("AgentARN"));
    }
}
