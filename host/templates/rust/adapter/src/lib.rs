//! {{name}}: an adapter plugin (world `adapter`, API 0.3.0).
//!
//! Reads a vendor's "call ended" webhook (see `samples/call-ended.json`):
//!
//! ```json
//! {"event": "call.ended",
//!  "call": {"id": "c-1001", "channel": "voice", "queue": "billing",
//!           "started": "2026-11-24T09:00:00Z", "ended": "2026-11-24T09:05:12Z",
//!           "agent": {"id": "u-ana", "name": "Ana Lima", "team": "Care"}},
//!  "survey": {"score": 2, "scale": 5, "comment": "…", "topics": ["billing"]}}
//! ```
//!
//! into Sidecoach events: the agent, the interaction, and the survey answer
//! as CSAT feedback on it. One body may also be a JSON array or JSON lines of
//! such webhooks; a bad one is rejected on its own (`rejected`, with the
//! field at fault) and the others are kept. Other `event` types are refused
//! as `unsupported`. Change [`read_webhook`] for your vendor's payload.

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{
    Agent, Channel, Direction, Event, Feedback, InboundRequest, IngestOutput, Interaction,
    LogLevel, PluginError, RatingKind, RejectedRecord,
};
use sidecoach_guest::fault::{Fault, invalid, unsupported};
use sidecoach_guest::json::{self, Body, Rec};

sidecoach_guest::export_adapter! {
    /// The exported component.
    Plugin {
        id: "{{id}}",
        api: "0.3.0",
        wit: "wit",
        name: "{{name}}",
        description: "Reads call-ended webhooks with their survey answer.",
        ingest: ingest,
    }
}

mod errors {
    //! `From<Fault>` for this crate's WIT `plugin-error`.
    sidecoach_guest::plugin_errors!(crate::bindings::sidecoach::plugin::types);
}

/// The `ingest` export: the events of every webhook in the body.
fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
    let lines = json::check_content_type(&request.headers)?;
    let documents = match json::read_body(&request.body, lines)? {
        Body::One(serde_json::Value::Array(items)) => items.into_iter().map(Ok).collect(),
        Body::One(value) => vec![Ok(value)],
        Body::Lines(values) => values,
    };
    let mut output = IngestOutput {
        events: Vec::new(),
        rejected: Vec::new(),
    };
    let many = documents.len() > 1;
    for (index, document) in documents.into_iter().enumerate() {
        let path = if many {
            format!("[{index}]")
        } else {
            String::new()
        };
        match document.and_then(|value| read_webhook(&value, &path)) {
            Ok(events) => output.events.extend(events),
            // One webhook alone: its error is the request's.
            Err(fault) if !many => return Err(fault.into()),
            Err(fault) => output.rejected.push(RejectedRecord {
                index: index as u32,
                error: fault.into(),
            }),
        }
    }
    log(
        LogLevel::Info,
        &format!(
            "read {} events ({} webhooks rejected)",
            output.events.len(),
            output.rejected.len()
        ),
    );
    Ok(output)
}

/// The events of one webhook found at `path` of the body.
pub fn read_webhook(value: &serde_json::Value, path: &str) -> Result<Vec<Event>, Fault> {
    let hook = Rec::new(value, path)?;
    let kind = hook.req_str("event")?;
    if kind != "call.ended" {
        return Err(unsupported(
            hook.at("event"),
            format!("`{kind}` webhooks are not read; this adapter reads `call.ended`"),
        ));
    }
    let call = hook
        .child("call")?
        .ok_or_else(|| invalid(hook.at("call"), "a call.ended webhook needs its `call`"))?;
    let contact = call.req_id("id")?;
    let agent = call
        .child("agent")?
        .ok_or_else(|| invalid(call.at("agent"), "the call names no agent"))?;
    let agent_id = agent.req_id("id")?;
    let channel = match call.str("channel")?.unwrap_or("voice") {
        "voice" | "phone" => Channel::Voice,
        "chat" => Channel::Chat,
        "email" => Channel::Email,
        "sms" => Channel::Sms,
        other => {
            return Err(invalid(
                call.at("channel"),
                format!("unknown channel `{other}`; expected voice, chat, email or sms"),
            ));
        }
    };
    let started_at = call.timestamp("started")?;
    let ended_at = call.timestamp("ended")?;
    let handle_ms = match (started_at, ended_at) {
        (Some(start), Some(end)) if end < start => {
            return Err(invalid(call.at("ended"), "the call ends before it starts"));
        }
        (Some(start), Some(end)) => Some((end - start) as u64),
        _ => None,
    };
    let mut events = vec![
        Event::Agent(Agent {
            vendor_user_id: agent_id.clone(),
            name: agent.str("name")?.map(str::to_owned),
            email: None,
            team: agent.str("team")?.map(str::to_owned),
            supervisor_vendor_id: None,
        }),
        Event::Interaction(Interaction {
            external_id: contact.clone(),
            agent_vendor_id: Some(agent_id.clone()),
            channel,
            direction: Direction::Inbound,
            started_at,
            ended_at,
            handle_ms,
            talk_ms: None,
            hold_ms: None,
            after_work_ms: None,
            non_talk_ms: None,
            agent_talk_ms: None,
            customer_talk_ms: None,
            alert_ms: None,
            answer_ms: None,
            agent_interruptions: None,
            related_external_ids: Vec::new(),
            queue: call.str("queue")?.map(str::to_owned),
            topics: Vec::new(),
            issues: Vec::new(),
            outcomes: Vec::new(),
            action_items: Vec::new(),
            sentiment: None,
            wrap_up: None,
            updated_at: ended_at,
        }),
    ];
    if let Some(survey) = hook.child("survey")? {
        let scale = survey.number("scale")?.unwrap_or(5.0);
        let score = survey
            .number("score")?
            .ok_or_else(|| invalid(survey.at("score"), "a survey needs its `score`"))?;
        if !(1.0..=scale).contains(&score) {
            return Err(invalid(
                survey.at("score"),
                format!("{score} is outside the survey's scale of 1 to {scale}"),
            ));
        }
        let topics = match survey.get("topics") {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|t| t.as_str().and_then(sidecoach_guest::topic_slug))
                .collect(),
            _ => Vec::new(),
        };
        events.push(Event::Feedback(Feedback {
            external_id: format!("{contact}-survey"),
            kind: RatingKind::Csat,
            value: score,
            scale_min: 1.0,
            scale_max: scale,
            interaction_external_id: Some(contact),
            agent_vendor_id: Some(agent_id),
            topics,
            verbatim: survey.str("comment")?.map(str::to_owned),
            received_at: ended_at,
        }));
    }
    Ok(events)
}
