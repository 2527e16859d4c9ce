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

enum_map!(
    m::Channel,
    w::Channel,
    [Voice, Chat, Email, Sms, Video, Social, Task, Other]
);
enum_map!(
    m::Direction,
    w::Direction,
    [Inbound, Outbound, Internal, Unknown]
);
enum_map!(m::RatingKind, w::RatingKind, [Csat, Nps, Ces, Custom]);
enum_map!(
    m::PluginErrorCode,
    w::ErrorCode,
    [
        InvalidInput,
        Unsupported,
        SignatureInvalid,
        ConfigInvalid,
        NotComputable,
        Internal
    ]
);

impl From<w::PluginError> for m::PluginError {
    fn from(e: w::PluginError) -> Self {
        m::PluginError {
            code: e.code.into(),
            // Plugin text that ends up in errors and `score_error`: bounded.
            message: crate::runtime::sandbox::bounded_text(&e.message),
            field: e
                .field
                .as_deref()
                .map(crate::runtime::sandbox::bounded_text),
        }
    }
}

impl From<w::PluginInfo> for m::PluginInfo {
    fn from(i: w::PluginInfo) -> Self {
        m::PluginInfo {
            name: i.name,
            version: i.version,
            description: i.description,
        }
    }
}

impl From<m::InboundRequest> for w::InboundRequest {
    fn from(r: m::InboundRequest) -> Self {
        w::InboundRequest {
            source: r.source,
            method: r.method,
            url: r.url,
            headers: r.headers,
            body: r.body,
            source_config: r.source_config,
        }
    }
}

impl From<w::Sentiment> for m::Sentiment {
    fn from(s: w::Sentiment) -> Self {
        m::Sentiment {
            customer: s.customer,
            agent: s.agent,
            customer_final_quarter: s.customer_final_quarter,
        }
    }
}

impl From<w::Answer> for m::Answer {
    fn from(a: w::Answer) -> Self {
        m::Answer {
            criterion_id: a.criterion_id,
            value: match a.value {
                w::AnswerValue::Score(s) => m::AnswerValue::Score(s),
                w::AnswerValue::NotApplicable => m::AnswerValue::NotApplicable,
            },
            comment: a.comment,
        }
    }
}

impl From<w::Evaluation> for m::EvaluationEvent {
    fn from(e: w::Evaluation) -> Self {
        m::EvaluationEvent {
            external_id: e.external_id,
            form_id: e.form_id,
            form_version: e.form_version,
            interaction_external_id: e.interaction_external_id,
            agent_vendor_id: e.agent_vendor_id,
            evaluator_vendor_id: e.evaluator_vendor_id,
            evaluated_at: e.evaluated_at,
            answers: e.answers.into_iter().map(Into::into).collect(),
            vendor_score: e.vendor_score.map(|v| m::VendorScore {
                percentage: v.percentage,
                auto_failed: v.auto_failed,
                critical_percentage: v.critical_percentage,
            }),
        }
    }
}

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

impl From<w::Feedback> for m::FeedbackEvent {
    fn from(f: w::Feedback) -> Self {
        m::FeedbackEvent {
            external_id: f.external_id,
            kind: f.kind.into(),
            value: f.value,
            scale_min: f.scale_min,
            scale_max: f.scale_max,
            interaction_external_id: f.interaction_external_id,
            agent_vendor_id: f.agent_vendor_id,
            topics: f.topics,
            verbatim: f.verbatim,
            received_at: f.received_at,
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
