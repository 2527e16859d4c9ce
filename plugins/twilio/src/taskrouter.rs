//! One TaskRouter event callback's parameters → normalized events.
//!
//! The mapping table is in the crate documentation. Events come out in the
//! order the host needs them: the agent first (an interaction may name it),
//! then its state, then the interaction.

use crate::bindings::sidecoach::plugin::types::{
    Agent, AgentState, Channel, Direction, Event, Interaction, PluginError,
};
use crate::errors::{bad_json, invalid, unsupported};
use serde_json::{Map, Value};
use sidecoach_guest::time::parse_any_ms;

/// Reservation events after which the worker handles the task.
const BINDING_RESERVATION_EVENTS: &[&str] = &[
    "reservation.accepted",
    "reservation.wrapup",
    "reservation.completed",
];

/// Events whose time is the end of the task (or of the worker's leg of it).
const ENDING_EVENTS: &[&str] = &[
    "task.completed",
    "task.canceled",
    "task.deleted",
    "task.system-deleted",
    "reservation.completed",
];

/// `TaskAttributes` keys holding the ids of linked contacts (voice call,
/// Conversations or Programmable Chat channel).
const RELATED_ID_KEYS: &[&str] = &[
    "call_sid",
    "conversationSid",
    "conversation_sid",
    "channelSid",
    "channel_sid",
];

/// `TaskAttributes` keys holding topics.
const TOPIC_KEYS: &[&str] = &["topics", "skills"];

/// The form parameters of one callback.
struct Params<'a>(&'a [(String, String)]);

impl<'a> Params<'a> {
    /// The first value of `name`, trimmed; empty counts as absent.
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A required value.
    fn required(&self, name: &str, why: &str) -> Result<&'a str, PluginError> {
        self.get(name)
            .ok_or_else(|| invalid(name, format!("`{name}` is required {why}")))
    }

    /// A parameter holding a JSON object (`TaskAttributes`,
    /// `WorkerAttributes`); absent → empty.
    fn json_object(&self, name: &str) -> Result<Map<String, Value>, PluginError> {
        let Some(raw) = self.get(name) else {
            return Ok(Map::new());
        };
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(invalid(name, format!("`{name}` must be a JSON object"))),
            Err(e) => Err(bad_json(name, &format!("`{name}`"), &e)),
        }
    }

    /// The event time: `TimestampMs`, else `Timestamp` (epoch seconds).
    fn event_time(&self) -> Result<Option<i64>, PluginError> {
        if let Some(raw) = self.get("TimestampMs") {
            return raw
                .parse::<i64>()
                .ok()
                .and_then(sidecoach_guest::time::in_range)
                .map(Some)
                .ok_or_else(|| {
                    invalid(
                        "TimestampMs",
                        format!("`TimestampMs` must be epoch milliseconds, not `{raw}`"),
                    )
                });
        }
        self.time("Timestamp")
    }

    /// A timestamp parameter (epoch seconds, milliseconds or ISO 8601).
    fn time(&self, name: &str) -> Result<Option<i64>, PluginError> {
        self.get(name)
            .map(|raw| {
                parse_any_ms(raw).ok_or_else(|| {
                    invalid(
                        name,
                        format!("`{name}` must be epoch seconds or an ISO 8601 time, not `{raw}`"),
                    )
                })
            })
            .transpose()
    }
}

/// The event families this adapter maps.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    /// `task.*`
    Task,
    /// `reservation.*`
    Reservation,
    /// `worker.*`
    Worker,
}

/// The family of an `EventType`, if mapped.
fn family(event_type: &str) -> Option<Family> {
    if event_type.starts_with("task.") {
        Some(Family::Task)
    } else if event_type.starts_with("reservation.") {
        Some(Family::Reservation)
    } else if event_type.starts_with("worker.") {
        Some(Family::Worker)
    } else {
        None
    }
}

/// Maps one callback's parameters to events.
pub fn parse(params: &[(String, String)]) -> Result<Vec<Event>, PluginError> {
    let p = Params(params);
    let event_type = p.required("EventType", "in a TaskRouter event callback")?;
    let family = family(event_type).ok_or_else(|| {
        unsupported(
            "EventType",
            format!(
                "TaskRouter event type `{event_type}` is not mapped; this adapter handles \
                 task.*, reservation.* and worker.* events (set the workspace's EventsFilter \
                 to leave the others out)"
            ),
        )
    })?;
    let at = p.event_time()?;
    let mut events = Vec::new();

    let worker_sid = p.get("WorkerSid");
    if let Some(sid) = worker_sid {
        events.push(Event::Agent(agent(&p, sid)?));
    }

    match family {
        Family::Worker => {
            let sid = p.required("WorkerSid", "in a worker event")?;
            if let Some(state) = p.get("WorkerActivityName") {
                let at = at.ok_or_else(|| {
                    invalid(
                        "Timestamp",
                        "an agent state needs the event time: `TimestampMs` or `Timestamp`",
                    )
                })?;
                events.push(Event::AgentState(AgentState {
                    agent_vendor_id: sid.to_string(),
                    state: state.to_string(),
                    at,
                }));
            }
        }
        Family::Reservation if !BINDING_RESERVATION_EVENTS.contains(&event_type) => {
            // Offered, rejected, timed out…: the worker does not handle the
            // task, so no interaction that would name them.
            p.required("WorkerSid", "in a reservation event")?;
        }
        Family::Task | Family::Reservation => {
            let agent = if family == Family::Reservation {
                Some(p.required("WorkerSid", "in a reservation event")?)
            } else {
                worker_sid
            };
            events.push(Event::Interaction(interaction(
                &p,
                event_type,
                at,
                agent.map(str::to_string),
            )?));
        }
    }
    Ok(events)
}

/// The agent of `WorkerSid`.
fn agent(p: &Params<'_>, sid: &str) -> Result<Agent, PluginError> {
    let attributes = p.json_object("WorkerAttributes")?;
    Ok(Agent {
        vendor_user_id: sid.to_string(),
        name: string_at(&attributes, "full_name").or_else(|| p.get("WorkerName").map(String::from)),
        email: string_at(&attributes, "email"),
        team: string_at(&attributes, "team_name").or_else(|| string_at(&attributes, "team")),
        supervisor_vendor_id: None,
    })
}

/// The task as an interaction.
fn interaction(
    p: &Params<'_>,
    event_type: &str,
    at: Option<i64>,
    agent: Option<String>,
) -> Result<Interaction, PluginError> {
    let task_sid = p.required("TaskSid", "in a task or reservation event")?;
    let attributes = p.json_object("TaskAttributes")?;

    let channel_name = p
        .get("TaskChannelUniqueName")
        .map(String::from)
        .or_else(|| string_at(&attributes, "channel"));
    let direction = string_at(&attributes, "direction")
        .map(|d| d.to_ascii_lowercase())
        .map_or(Direction::Unknown, |d| {
            if d.starts_with("inbound") {
                Direction::Inbound
            } else if d.starts_with("outbound") {
                Direction::Outbound
            } else {
                Direction::Unknown
            }
        });

    let started_at = match p.time("TaskDateCreated")? {
        Some(created) => Some(created),
        None => match (at, p.get("TaskAge")) {
            (Some(at), Some(age)) => {
                let seconds = age.parse::<u32>().map_err(|_| {
                    invalid(
                        "TaskAge",
                        format!("`TaskAge` must be whole seconds, not `{age}`"),
                    )
                })?;
                // An age reaching before the year 0000 is no age.
                let started = at
                    .checked_sub(i64::from(seconds) * 1_000)
                    .and_then(sidecoach_guest::time::in_range)
                    .ok_or_else(|| {
                        invalid(
                            "TaskAge",
                            format!("`TaskAge` {seconds} s reaches before any valid start"),
                        )
                    })?;
                Some(started)
            }
            _ => None,
        },
    };

    let mut related = Vec::new();
    for key in RELATED_ID_KEYS {
        if let Some(id) = string_at(&attributes, key)
            && !related.contains(&id)
        {
            related.push(id);
        }
    }

    let mut topics = Vec::new();
    for key in TOPIC_KEYS {
        let raw: Vec<&str> = match attributes.get(*key) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for slug in raw.into_iter().filter_map(sidecoach_guest::topic_slug) {
            if !topics.contains(&slug) {
                topics.push(slug);
            }
        }
    }

    Ok(Interaction {
        external_id: task_sid.to_string(),
        agent_vendor_id: agent,
        channel: channel(channel_name.as_deref()),
        direction,
        started_at,
        ended_at: if ENDING_EVENTS.contains(&event_type) {
            at
        } else {
            None
        },
        handle_ms: None,
        talk_ms: None,
        hold_ms: None,
        after_work_ms: None,
        non_talk_ms: None,
        agent_interruptions: None,
        related_external_ids: related,
        queue: p
            .get("TaskQueueName")
            .or_else(|| p.get("TaskQueueSid"))
            .map(String::from),
        topics,
        sentiment: None,
        wrap_up: None,
        updated_at: at,
    })
}

/// A task channel's unique name as a channel.
fn channel(name: Option<&str>) -> Channel {
    match name.map(str::to_ascii_lowercase).as_deref() {
        Some("voice") => Channel::Voice,
        Some("chat") => Channel::Chat,
        Some("sms") => Channel::Sms,
        Some("email") => Channel::Email,
        Some("video") => Channel::Video,
        _ => Channel::Other,
    }
}

/// A non-empty string (or number, as text) at `key` of a JSON object.
fn string_at(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::ErrorCode;

    /// Parameters from literal pairs.
    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A task event with attributes.
    fn task_event(event_type: &str, attributes: &str) -> Vec<(String, String)> {
        params(&[
            ("EventType", event_type),
            ("TaskSid", "WT1"),
            ("TaskAttributes", attributes),
            ("TaskChannelUniqueName", "chat"),
            ("TaskQueueSid", "WQ1"),
            ("Timestamp", "1714564800"),
            ("TaskAge", "60"),
        ])
    }

    /// The single interaction among `events`.
    fn the_interaction(events: &[Event]) -> &Interaction {
        let mut found = events.iter().filter_map(|e| match e {
            Event::Interaction(i) => Some(i),
            _ => None,
        });
        let i = found.next().expect("an interaction");
        assert!(found.next().is_none());
        i
    }

    /// A task event without a worker: interaction only, direction, topics,
    /// queue id and time fields from the task.
    #[test]
    fn a_completed_task_maps_to_an_ended_interaction() {
        let events = parse(&task_event(
            "task.completed",
            r#"{"direction":"outbound-api","topics":["Billing Dispute","billing dispute"],"skills":"Refunds","conversationSid":"CH9"}"#,
        ))
        .unwrap();
        assert_eq!(events.len(), 1);
        let i = the_interaction(&events);
        assert_eq!(i.external_id, "WT1");
        assert_eq!(i.agent_vendor_id, None);
        assert_eq!(i.channel, Channel::Chat);
        assert_eq!(i.direction, Direction::Outbound);
        assert_eq!(i.queue.as_deref(), Some("WQ1"));
        assert_eq!(i.topics, vec!["billing-dispute", "refunds"]);
        assert_eq!(i.related_external_ids, vec!["CH9"]);
        assert_eq!(i.updated_at, Some(1_714_564_800_000));
        assert_eq!(i.ended_at, Some(1_714_564_800_000));
        assert_eq!(i.started_at, Some(1_714_564_740_000));
    }

    /// `TaskDateCreated` wins over the `TaskAge` estimate; a created task has
    /// no end.
    #[test]
    fn task_date_created_sets_the_start() {
        let mut p = task_event("task.created", r#"{"direction":"inbound"}"#);
        p.push(("TaskDateCreated".into(), "2024-05-01T11:00:00Z".into()));
        let events = parse(&p).unwrap();
        let i = the_interaction(&events);
        assert_eq!(i.started_at, Some(1_714_561_200_000));
        assert_eq!(i.ended_at, None);
        assert_eq!(i.direction, Direction::Inbound);
    }

    /// Worker events: the agent (attributes win over the friendly name) and
    /// the activity as an agent state; no interaction.
    #[test]
    fn worker_activity_updates_map_to_agent_states() {
        let events = parse(&params(&[
            ("EventType", "worker.activity.update"),
            ("WorkerSid", "WK7"),
            ("WorkerName", "bob"),
            (
                "WorkerAttributes",
                r#"{"full_name":"Bob Jones","email":"bob@example.com","team_name":"Tier 2"}"#,
            ),
            ("WorkerActivityName", "Break"),
            ("TimestampMs", "1714564800123"),
        ]))
        .unwrap();
        assert_eq!(
            events,
            vec![
                Event::Agent(Agent {
                    vendor_user_id: "WK7".into(),
                    name: Some("Bob Jones".into()),
                    email: Some("bob@example.com".into()),
                    team: Some("Tier 2".into()),
                    supervisor_vendor_id: None,
                }),
                Event::AgentState(AgentState {
                    agent_vendor_id: "WK7".into(),
                    state: "Break".into(),
                    at: 1_714_564_800_123,
                }),
            ]
        );
    }

    /// A worker event without an activity yields the agent only; one without
    /// a time cannot make a state.
    #[test]
    fn worker_events_without_activity_or_time() {
        let events = parse(&params(&[
            ("EventType", "worker.attributes.update"),
            ("WorkerSid", "WK7"),
            ("WorkerAttributes", r#"{"team":"Tier 1"}"#),
        ]))
        .unwrap();
        assert!(
            matches!(&events[..], [Event::Agent(a)] if a.team.as_deref() == Some("Tier 1") && a.name.is_none())
        );
        let e = parse(&params(&[
            ("EventType", "worker.activity.update"),
            ("WorkerSid", "WK7"),
            ("WorkerActivityName", "Offline"),
        ]))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("Timestamp"));
    }

    /// A rejected reservation names the worker but makes no interaction.
    #[test]
    fn non_binding_reservations_yield_only_the_agent() {
        let mut p = task_event("reservation.rejected", "{}");
        p.push(("WorkerSid".into(), "WK2".into()));
        let events = parse(&p).unwrap();
        assert!(matches!(&events[..], [Event::Agent(a)] if a.vendor_user_id == "WK2"));
    }

    /// Channel names.
    #[test]
    fn channels_map_and_default_is_other() {
        for (name, expected) in [
            ("voice", Channel::Voice),
            ("Chat", Channel::Chat),
            ("sms", Channel::Sms),
            ("email", Channel::Email),
            ("video", Channel::Video),
            ("default", Channel::Other),
            ("whatsapp", Channel::Other),
        ] {
            assert_eq!(channel(Some(name)), expected, "{name}");
        }
        assert_eq!(channel(None), Channel::Other);
    }

    /// Unmapped families are `unsupported` naming the type; missing or
    /// malformed fields are `invalid-input` naming the field.
    #[test]
    fn errors_name_the_event_type_or_field() {
        let e = parse(&params(&[("EventType", "task-queue.created")])).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert_eq!(e.field.as_deref(), Some("EventType"));
        assert!(e.message.contains("`task-queue.created`"), "{}", e.message);

        let e = parse(&params(&[("TaskSid", "WT1")])).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidInput, Some("EventType"))
        );

        let e = parse(&params(&[("EventType", "task.created")])).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("TaskSid"));

        let e = parse(&task_event("task.updated", r#"{"direction":"#)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("TaskAttributes"));
        assert!(e.message.contains("line 1 column"), "{}", e.message);

        let e = parse(&task_event("task.updated", "[1]")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("TaskAttributes"));

        let mut p = task_event("task.updated", "{}");
        p.retain(|(k, _)| k != "Timestamp");
        p.push(("TimestampMs".into(), "soon".into()));
        let e = parse(&p).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("TimestampMs"));
    }

    /// Fuzz findings (plugins/fuzz), minimized: `TimestampMs` at `i64::MIN`
    /// made `event time − TaskAge` overflow (a panic, a trap in the
    /// component), and one past the year 9999 came out as the event time.
    #[test]
    fn event_times_and_task_ages_out_of_range_are_invalid() {
        let e = parse(&params(&[
            ("EventType", "reservation.accepted"),
            ("TimestampMs", "-9223372036854775808"),
            ("TaskSid", "W"),
            ("TaskAge", "4"),
            ("WorkerSid", "W"),
        ]))
        .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::InvalidInput, Some("TimestampMs"))
        );

        let e = parse(&params(&[
            ("EventType", "reservation.accepted"),
            ("TimestampMs", "260344956319844"),
            ("TaskSid", "1"),
            ("WorkerSid", "W"),
        ]))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("TimestampMs"));

        let e = parse(&params(&[
            ("EventType", "task.created"),
            ("TimestampMs", "-62167219200000"),
            ("TaskSid", "WT1"),
            ("TaskAge", "4"),
        ]))
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("TaskAge"));
    }
}
