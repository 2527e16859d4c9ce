//! Conversation detail events (`v2.detail.events.conversation.{id}.<leg>`):
//! one event per participant leg starting or ending, each a partial view of
//! the conversation. Every one becomes an interaction keyed by the
//! conversation id, carrying what that leg knows:
//!
//! | eventBody field | interaction field | legs |
//! |---|---|---|
//! | conversationId | external-id | all |
//! | mediaType (+ messageType) | channel | all |
//! | direction | direction | all |
//! | eventTime | updated-at | all |
//! | queueId | queue | all that carry it |
//! | eventTime | started-at | customer.start |
//! | eventTime | ended-at | customer.end |
//! | eventTime − interactingDurationMs | started-at | customer.end (the customer is connected for the whole conversation) |
//! | userId | agent-vendor-id | user.start, user.end, acw |
//! | answeredUserId | agent-vendor-id | acd.end |
//! | interactingDurationMs | agent-talk-ms (the agent's own interacting time) | user.end |
//! | heldDurationMs | hold-ms | user.end |
//! | wrapupCode | wrap-up | acw |
//! | wrapupDurationMs | after-work-ms | acw |
//!
//! `disconnectType`, `provider`, `participantId`, `sessionId` and the external
//! contact ids have no normalized field and are dropped.

use crate::bindings::sidecoach::plugin::types::{Event, Interaction};
use crate::input::{Rec, Result, channel, direction, invalid};

/// The participant legs whose detail events this adapter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// `customer.start`: the customer joined (the conversation started).
    CustomerStart,
    /// `customer.end`: the customer left (the conversation ended).
    CustomerEnd,
    /// `user.start`: an agent (a Genesys user) joined.
    UserStart,
    /// `user.end`: an agent left; carries talk and hold time.
    UserEnd,
    /// `acd.start`: the conversation entered a queue.
    AcdStart,
    /// `acd.end`: the conversation left the queue (answered or not).
    AcdEnd,
    /// `acw`: an agent finished after-call work; carries the wrap-up code.
    Acw,
}

impl Leg {
    /// The leg names this adapter reads, for error messages.
    pub const NAMES: &'static str = "customer.start, customer.end, user.start, user.end, \
                                     acd.start, acd.end, acw";

    /// The leg named at the end of a detail topic (`customer.end`…).
    pub fn from_topic(leg: &str) -> Option<Self> {
        Some(match leg {
            "customer.start" => Self::CustomerStart,
            "customer.end" => Self::CustomerEnd,
            "user.start" => Self::UserStart,
            "user.end" => Self::UserEnd,
            "acd.start" => Self::AcdStart,
            "acd.end" => Self::AcdEnd,
            "acw" => Self::Acw,
            _ => return None,
        })
    }
}

/// The interaction one detail event's `eventBody` describes.
pub fn event(body: &Rec<'_>, leg: Leg) -> Result<Vec<Event>> {
    let at = body.timestamp("eventTime")?;
    let mut i = Interaction {
        external_id: body.req_id("conversationId")?,
        agent_vendor_id: None,
        channel: channel(body.str("mediaType")?, body.str("messageType")?),
        direction: direction(body.str("direction")?),
        started_at: None,
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
        related_external_ids: Vec::new(),
        queue: body.id("queueId")?,
        topics: Vec::new(),
        sentiment: None,
        wrap_up: None,
        updated_at: at,
    };
    match leg {
        Leg::CustomerStart => i.started_at = at,
        Leg::CustomerEnd => {
            i.ended_at = at;
            if let (Some(end), Some(connected)) = (at, body.millis("interactingDurationMs")?) {
                let start = i64::try_from(connected)
                    .ok()
                    .and_then(|d| end.checked_sub(d))
                    .and_then(sidecoach_guest::time::in_range)
                    .ok_or_else(|| {
                        let field = body.at("interactingDurationMs");
                        invalid(
                            field.clone(),
                            format!(
                                "`{field}` ({connected} ms) is longer than the time since the epoch"
                            ),
                        )
                    })?;
                i.started_at = Some(start);
            }
        }
        Leg::UserStart => i.agent_vendor_id = body.id("userId")?,
        Leg::UserEnd => {
            i.agent_vendor_id = body.id("userId")?;
            i.agent_talk_ms = body.millis("interactingDurationMs")?;
            i.hold_ms = body.millis("heldDurationMs")?;
        }
        Leg::AcdStart => {}
        Leg::AcdEnd => i.agent_vendor_id = body.id("answeredUserId")?,
        Leg::Acw => {
            i.agent_vendor_id = body.id("userId")?;
            i.wrap_up = body.str("wrapupCode")?.map(str::to_string);
            i.after_work_ms = body.millis("wrapupDurationMs")?;
        }
    }
    Ok(vec![Event::Interaction(i)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{Channel, Direction};
    use serde_json::json;

    /// The interaction of one detail event body at `detail.eventBody`.
    fn one(body: serde_json::Value, leg: Leg) -> Result<Interaction> {
        let rec = Rec::new(&body, "detail.eventBody")?;
        match event(&rec, leg)?.pop() {
            Some(Event::Interaction(i)) => Ok(i),
            other => panic!("{other:?}"),
        }
    }

    /// Each leg fills its own fields.
    #[test]
    fn legs() {
        assert_eq!(Leg::from_topic("acw"), Some(Leg::Acw));
        assert_eq!(Leg::from_topic("flow.end"), None);
        let i = one(
            json!({"eventTime": 1000, "conversationId": "c", "mediaType": "CALLBACK", "direction": "INBOUND"}),
            Leg::CustomerStart,
        )
        .unwrap();
        // 1000 is read as epoch seconds (adapter-kit's rule for small numbers).
        assert_eq!(i.started_at, Some(1_000_000));
        assert_eq!(i.channel, Channel::Voice);
        assert_eq!(i.direction, Direction::Inbound);

        let i = one(
            json!({"eventTime": 1_700_000_000_000u64, "conversationId": "c", "queueId": "q", "answeredUserId": "u"}),
            Leg::AcdEnd,
        )
        .unwrap();
        assert_eq!(i.agent_vendor_id.as_deref(), Some("u"));
        assert_eq!(i.queue.as_deref(), Some("q"));
    }

    /// Missing ids and bad durations name their field.
    #[test]
    fn bad_values_name_the_field() {
        let e = one(json!({"eventTime": 1_700_000_000_000u64}), Leg::AcdStart).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("detail.eventBody.conversationId"));
        let e = one(
            json!({"conversationId": "c", "userId": "u", "heldDurationMs": "long"}),
            Leg::UserEnd,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("detail.eventBody.heldDurationMs"));
        assert!(e.message.contains("milliseconds"), "{}", e.message);
    }
}
