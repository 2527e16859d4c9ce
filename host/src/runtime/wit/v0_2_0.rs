//! `sidecoach:plugin@0.2.0`: the revised adapter world (per-record
//! rejections, more interaction fields), with its own `types` and `host`,
//! and the conversions an adapter needs: the request in, events and
//! rejections out.

/// The adapter world.
pub mod adapter {
    wasmtime::component::bindgen!({
        path: "../wit/0.2.0",
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
            // 0.2.0 has no such fields.
            agent_talk_ms: None,
            customer_talk_ms: None,
            alert_ms: None,
            answer_ms: None,
            issues: Vec::new(),
            outcomes: Vec::new(),
            action_items: Vec::new(),
            queue: i.queue,
            topics: i.topics,
            sentiment: i.sentiment.map(Into::into),
            wrap_up: i.wrap_up,
            updated_at: i.updated_at,
        }
    }
}

impl From<w::Event> for m::Event {
    fn from(e: w::Event) -> Self {
        match e {
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
        }
    }
}

impl From<w::IngestOutput> for m::IngestOutput {
    fn from(o: w::IngestOutput) -> Self {
        m::IngestOutput {
            events: o.events.into_iter().map(Into::into).collect(),
            rejected: o
                .rejected
                .into_iter()
                .map(|r| m::RejectedRecord {
                    index: r.index,
                    error: r.error.into(),
                })
                .collect(),
            segments: Vec::new(),
        }
    }
}
