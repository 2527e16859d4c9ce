//! Analytics conversation details (`POST /api/v2/analytics/conversations/details/query`
//! and the jobs API): one conversation object → one interaction, plus an agent
//! event for each agent the payload names.
//!
//! | Genesys | interaction field |
//! |---|---|
//! | conversationId | external-id |
//! | the last `purpose: "agent"` participant's userId (else `purpose: "user"`) | agent-vendor-id |
//! | that agent's first session's mediaType (+ messageType); else any participant's | channel |
//! | originatingDirection | direction |
//! | conversationStart / conversationEnd | started-at / ended-at |
//! | conversationEnd | updated-at |
//! | sum of metrics tHandle / tHeld / tAcw over that agent's sessions (ms) | handle-ms / hold-ms / after-work-ms |
//! | sum of metric tTalk over that agent's sessions (the agent's own interacting time, ms) | agent-talk-ms (not talk-ms, which means both parties' speech; Genesys reports no customer talk time) |
//! | sum of metrics tAlert / tAnswered over that agent's sessions (ms) | alert-ms / answer-ms |
//! | queueId of the last acd participant's segments; else the agent's; else any | queue |
//! | the agent's last segment wrapUpCode | wrap-up |
//!
//! Several agents (transfers): the interaction is attributed to the last one,
//! and only that agent's metrics are summed (a coaching record must not charge
//! one agent with another's talk time); every agent participant with a
//! `participantName` still yields an agent event. The analytics model has no
//! topics or sentiment, so those stay empty.

use std::collections::HashSet;

use crate::bindings::sidecoach::plugin::types::{Agent, Event, Interaction};
use crate::input::{Rec, Result, channel, direction, invalid};

/// The duration metrics read from an agent's sessions, all in milliseconds.
#[derive(Debug, Default, PartialEq)]
struct Metrics {
    handle: Option<u64>,
    talk: Option<u64>,
    held: Option<u64>,
    acw: Option<u64>,
    alert: Option<u64>,
    answered: Option<u64>,
}

/// Adds `value` to a running sum that starts absent.
fn add(sum: &mut Option<u64>, value: u64) {
    *sum = Some(sum.unwrap_or(0).saturating_add(value));
}

/// One analytics conversation.
pub fn conversation(rec: &Rec<'_>) -> Result<Vec<Event>> {
    let external_id = rec.req_id("conversationId")?;
    let started_at = rec.timestamp("conversationStart")?;
    let ended_at = rec.timestamp("conversationEnd")?;
    if let (Some(start), Some(end)) = (started_at, ended_at)
        && end < start
    {
        let field = rec.at("conversationEnd");
        return Err(invalid(field, "the conversation ends before it starts"));
    }
    let participants = rec.children("participants")?;

    let mut purposes = Vec::with_capacity(participants.len());
    for p in &participants {
        purposes.push(p.str("purpose")?.unwrap_or_default().to_ascii_lowercase());
    }
    let agent_purpose = if purposes.iter().any(|p| p == "agent") {
        "agent"
    } else {
        "user"
    };
    let agents: Vec<&Rec<'_>> = participants
        .iter()
        .zip(&purposes)
        .filter(|(_, purpose)| *purpose == agent_purpose)
        .map(|(p, _)| p)
        .collect();

    // Agent events, one per user id, in participant order.
    let mut events = Vec::new();
    let mut seen = HashSet::new();
    let mut handler = None;
    for p in &agents {
        let Some(user_id) = p.id("userId")? else {
            continue;
        };
        if let Some(name) = p.str("participantName")?
            && seen.insert(user_id.clone())
        {
            events.push(Event::Agent(Agent {
                vendor_user_id: user_id.clone(),
                name: Some(name.to_string()),
                email: None,
                team: None,
                supervisor_vendor_id: None,
            }));
        }
        handler = Some(user_id);
    }

    // The handling agent's sessions: metrics, media, segments.
    let mut metrics = Metrics::default();
    let mut media = None;
    let mut wrap_up = None;
    let mut agent_queue = None;
    for p in &agents {
        if p.id("userId")? != handler {
            continue;
        }
        for session in p.children("sessions")? {
            if media.is_none() {
                media = session_media(&session)?;
            }
            for m in session.children("metrics")? {
                let slot = match m.str("name")? {
                    Some("tHandle") => &mut metrics.handle,
                    Some("tTalk") => &mut metrics.talk,
                    Some("tHeld") => &mut metrics.held,
                    Some("tAcw") => &mut metrics.acw,
                    Some("tAlert") => &mut metrics.alert,
                    Some("tAnswered") => &mut metrics.answered,
                    _ => continue,
                };
                if let Some(value) = m.millis("value")? {
                    add(slot, value);
                }
            }
            for segment in session.children("segments")? {
                if let Some(code) = segment.str("wrapUpCode")? {
                    wrap_up = Some(code.to_string());
                }
                if let Some(queue) = segment.id("queueId")? {
                    agent_queue = Some(queue);
                }
            }
        }
    }

    // Queue: the last acd participant's, else the agent's, else anyone's.
    let mut acd_queue = None;
    let mut any_queue = None;
    for (p, purpose) in participants.iter().zip(&purposes) {
        for session in p.children("sessions")? {
            if media.is_none() {
                media = session_media(&session)?;
            }
            for segment in session.children("segments")? {
                if let Some(queue) = segment.id("queueId")? {
                    if purpose == "acd" {
                        acd_queue = Some(queue.clone());
                    }
                    any_queue.get_or_insert(queue);
                }
            }
        }
    }

    events.push(Event::Interaction(Interaction {
        external_id,
        agent_vendor_id: handler,
        channel: channel(
            media.as_ref().map(|(media, _)| media.as_str()),
            media.as_ref().and_then(|(_, message)| message.as_deref()),
        ),
        direction: direction(rec.str("originatingDirection")?),
        started_at,
        ended_at,
        handle_ms: metrics.handle,
        talk_ms: None,
        hold_ms: metrics.held,
        after_work_ms: metrics.acw,
        non_talk_ms: None,
        agent_talk_ms: metrics.talk,
        customer_talk_ms: None,
        alert_ms: metrics.alert,
        answer_ms: metrics.answered,
        issues: Vec::new(),
        outcomes: Vec::new(),
        action_items: Vec::new(),
        agent_interruptions: None,
        related_external_ids: Vec::new(),
        queue: acd_queue.or(agent_queue).or(any_queue),
        topics: Vec::new(),
        sentiment: None,
        wrap_up,
        updated_at: ended_at,
    }));
    Ok(events)
}

/// A session's media type and, for messages, its message type.
type Media = (String, Option<String>);

/// The media of one session, when it has a `mediaType`.
fn session_media(session: &Rec<'_>) -> Result<Option<Media>> {
    let Some(media) = session.str("mediaType")? else {
        return Ok(None);
    };
    Ok(Some((
        media.to_string(),
        session.str("messageType")?.map(str::to_string),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{Channel, Direction};
    use serde_json::{Value, json};

    /// An agent participant with two message sessions and the usual metrics.
    fn agent(user: &str, name: Option<&str>, talk: u64, wrap: Option<&str>) -> Value {
        json!({
            "purpose": "agent", "userId": user, "participantName": name,
            "sessions": [{
                "mediaType": "message", "messageType": "sms",
                "segments": [
                    {"segmentType": "interact", "queueId": format!("q-{user}")},
                    {"segmentType": "wrapup", "wrapUpCode": wrap}
                ],
                "metrics": [
                    {"name": "tTalk", "value": talk}, {"name": "tHeld", "value": 1000},
                    {"name": "tAcw", "value": 5000}, {"name": "tHandle", "value": talk + 6000},
                    {"name": "nTransferred", "value": 1}
                ]
            }, {
                "mediaType": "message",
                "metrics": [{"name": "tTalk", "value": 10}]
            }]
        })
    }

    /// A transferred conversation is the last agent's; only their metrics count.
    #[test]
    fn transfers_attribute_to_the_last_agent() {
        let v = json!({
            "conversationId": "c1", "conversationStart": "2024-01-01T00:00:00Z",
            "originatingDirection": "outbound",
            "participants": [
                {"purpose": "customer", "sessions": [{"mediaType": "message", "messageType": "sms"}]},
                agent("a1", Some("Ann"), 100_000, Some("wc-transfer")),
                agent("a2", Some("Bob"), 200_000, Some("wc-done")),
                agent("a2", Some("Bob"), 50_000, None)
            ]
        });
        let events = conversation(&Rec::new(&v, "").unwrap()).unwrap();
        let names: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::Agent(a) => Some((a.vendor_user_id.as_str(), a.name.as_deref())),
                _ => None,
            })
            .collect();
        assert_eq!(names, vec![("a1", Some("Ann")), ("a2", Some("Bob"))]);
        let Some(Event::Interaction(i)) = events.last() else {
            panic!("{events:?}")
        };
        assert_eq!(i.agent_vendor_id.as_deref(), Some("a2"));
        assert_eq!(i.channel, Channel::Sms);
        assert_eq!(i.direction, Direction::Outbound);
        // a2's two participants, two sessions each: 200000+10 + 50000+10.
        assert_eq!(i.agent_talk_ms, Some(250_020));
        assert_eq!(
            i.talk_ms, None,
            "tTalk is the agent's own, not both parties'"
        );
        assert_eq!(i.hold_ms, Some(2_000));
        assert_eq!(i.after_work_ms, Some(10_000));
        assert_eq!(i.handle_ms, Some(262_000));
        assert_eq!(i.wrap_up.as_deref(), Some("wc-done"));
        // No acd participant: the agent's own queue.
        assert_eq!(i.queue.as_deref(), Some("q-a2"));
        assert_eq!(i.ended_at, None);
    }

    /// A conversation no agent answered still becomes an interaction.
    #[test]
    fn no_agent_no_metrics() {
        let v = json!({"conversationId": "c2", "participants": [
            {"purpose": "customer", "sessions": [{"mediaType": "voice", "segments": [{"queueId": "q9"}]}]}
        ]});
        let events = conversation(&Rec::new(&v, "").unwrap()).unwrap();
        let Event::Interaction(i) = &events[0] else {
            panic!()
        };
        assert_eq!(i.agent_vendor_id, None);
        assert_eq!(i.channel, Channel::Voice);
        assert_eq!(i.agent_talk_ms, None);
        assert_eq!(i.queue.as_deref(), Some("q9"));
        assert_eq!(i.direction, Direction::Unknown);
    }
}
