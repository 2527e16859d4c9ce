//! `sidecoach:plugin@0.3.0`: the adapter world revised again (each
//! party's talk time, alert and answer times, detected issues, outcomes and
//! action items on interactions; the live `segment` event), with its own
//! `types` and `host`, and the conversions an adapter needs: the request
//! in, events, segments and rejections out. Segments leave the event list
//! here: the model keeps them apart ([`m::IngestOutput::segments`]) because
//! they are flagged, never stored.

/// The adapter world.
pub mod adapter {
    wasmtime::component::bindgen!({
        path: "../wit/0.3.0",
        world: "adapter",
        exports: { default: async },
    });
}

pub use adapter::sidecoach::plugin::{host, types};

use crate::model as m;
use types as w;

shared_conversions!();
evaluation_lift!();

impl From<w::Interaction> for m::InteractionEvent {
    fn from(i: w::Interaction) -> Self {
        m::InteractionEvent {
            external_id: i.external_id,
            agent_vendor_id: i.agent_vendor_id,
            channel: i.channel.into(),
            direction: i.direction.into(),
            started_at: i.started_at,
            ended_at: i.ended_at,
            handle_ms: i.handle_ms,
            talk_ms: i.talk_ms,
            hold_ms: i.hold_ms,
            after_work_ms: i.after_work_ms,
            non_talk_ms: i.non_talk_ms,
            agent_interruptions: i.agent_interruptions,
            related_external_ids: i.related_external_ids,
            agent_talk_ms: i.agent_talk_ms,
            customer_talk_ms: i.customer_talk_ms,
            alert_ms: i.alert_ms,
            answer_ms: i.answer_ms,
            issues: i.issues,
            outcomes: i.outcomes,
            action_items: i.action_items,
            queue: i.queue,
            topics: i.topics,
            sentiment: i.sentiment.map(Into::into),
            wrap_up: i.wrap_up,
            updated_at: i.updated_at,
        }
    }
}

/// An event for the model: a stored kind, or a segment (kept apart).
#[expect(
    clippy::large_enum_variant,
    reason = "a transient value, matched away at once"
)]
enum Lifted {
    Event(m::Event),
    Segment(m::SegmentEvent),
}

impl From<w::Event> for Lifted {
    fn from(e: w::Event) -> Self {
        Lifted::Event(match e {
            w::Event::Segment(s) => return Lifted::Segment(s.into()),
            w::Event::Agent(a) => m::Event::Agent(m::AgentEvent {
                vendor_user_id: a.vendor_user_id,
                name: a.name,
                email: a.email,
                team: a.team,
                supervisor_vendor_id: a.supervisor_vendor_id,
            }),
            w::Event::Interaction(i) => m::Event::Interaction(i.into()),
            w::Event::Evaluation(e) => m::Event::Evaluation(e.into()),
            w::Event::Feedback(f) => m::Event::Feedback(f.into()),
            w::Event::AgentState(s) => m::Event::AgentState(m::AgentStateEvent {
                agent_vendor_id: s.agent_vendor_id,
                state: s.state,
                at: s.at,
            }),
            w::Event::Staffing(s) => m::Event::Staffing(m::StaffingEvent {
                queue: s.queue,
                starts_at: s.starts_at,
                length_minutes: s.length_minutes,
                offered: s.offered,
                aht_seconds: s.aht_seconds,
                scheduled_agents: s.scheduled_agents,
            }),
        })
    }
}

enum_map!(
    m::ParticipantRole,
    w::ParticipantRole,
    [Agent, Customer, Supervisor, System, Other]
);
enum_map!(
    m::SegmentSentiment,
    w::SegmentSentiment,
    [Positive, Negative, Neutral, Mixed]
);

impl From<w::Segment> for m::SegmentEvent {
    fn from(s: w::Segment) -> Self {
        m::SegmentEvent {
            interaction_external_id: s.interaction_external_id,
            segment_id: s.segment_id,
            agent_vendor_id: s.agent_vendor_id,
            channel: s.channel.into(),
            role: s.role.map(Into::into),
            begin_offset_ms: s.begin_offset_ms,
            end_offset_ms: s.end_offset_ms,
            text: s.text,
            sentiment: s.sentiment.map(Into::into),
            categories: s.categories,
            issues: s.issues,
        }
    }
}

impl From<w::IngestOutput> for m::IngestOutput {
    fn from(o: w::IngestOutput) -> Self {
        let mut events = Vec::with_capacity(o.events.len());
        let mut segments = Vec::new();
        for e in o.events {
            match e.into() {
                Lifted::Event(e) => events.push(e),
                Lifted::Segment(s) => segments.push(s),
            }
        }
        m::IngestOutput {
            events,
            rejected: o
                .rejected
                .into_iter()
                .map(|r| m::RejectedRecord {
                    index: r.index,
                    error: r.error.into(),
                })
                .collect(),
            segments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_leave_the_event_list_and_keep_their_fields() {
        let segment = w::Segment {
            interaction_external_id: "c-1".into(),
            segment_id: Some("u-1".into()),
            agent_vendor_id: None,
            channel: w::Channel::Voice,
            role: Some(w::ParticipantRole::Customer),
            begin_offset_ms: Some(26_690),
            end_offset_ms: Some(34_280),
            text: Some("This is the third time I call".into()),
            sentiment: Some(w::SegmentSentiment::Negative),
            categories: vec!["cancellation-risk".into()],
            issues: vec!["third time I call".into()],
        };
        let out = m::IngestOutput::from(w::IngestOutput {
            events: vec![
                w::Event::AgentState(w::AgentState {
                    agent_vendor_id: "a".into(),
                    state: "Available".into(),
                    at: 1,
                }),
                w::Event::Segment(segment),
            ],
            rejected: Vec::new(),
        });
        assert_eq!(out.events.len(), 1, "the segment is not an event");
        assert_eq!(
            out.segments,
            vec![m::SegmentEvent {
                interaction_external_id: "c-1".into(),
                segment_id: Some("u-1".into()),
                agent_vendor_id: None,
                channel: m::Channel::Voice,
                role: Some(m::ParticipantRole::Customer),
                begin_offset_ms: Some(26_690),
                end_offset_ms: Some(34_280),
                text: Some("This is the third time I call".into()),
                sentiment: Some(m::SegmentSentiment::Negative),
                categories: vec!["cancellation-risk".into()],
                issues: vec!["third time I call".into()],
            }]
        );
    }
}
