//! Conversions between the model and the WIT types of API version 0.1.0;
//! [`v0_2_0`] holds those of the revised adapter world.
//!
//! The host speaks model types everywhere; only the runtime sees generated
//! WIT types, and this file is where the two meet.

use super::bindings::v0_1_0::types as w;
use crate::model as m;

/// Both-way `From` impls between a model enum and its WIT twin.
macro_rules! enum_map {
    ($model:ty, $wit:ty, [$($case:ident),+ $(,)?]) => {
        impl From<$model> for $wit {
            fn from(v: $model) -> Self {
                match v { $(<$model>::$case => <$wit>::$case),+ }
            }
        }
        impl From<$wit> for $model {
            fn from(v: $wit) -> Self {
                match v { $(<$wit>::$case => <$model>::$case),+ }
            }
        }
    };
}

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
enum_map!(m::Weighting, w::Weighting, [Question, Section, Points]);
enum_map!(m::NaPolicy, w::NaPolicy, [Exclude, CountAsPass]);
enum_map!(
    m::NaRedistribution,
    w::NaRedistribution,
    [Proportional, Equal]
);
enum_map!(m::AutoFailPolicy, w::AutoFailPolicy, [ZeroScore, KeepScore]);
enum_map!(m::Normalization, w::Normalization, [MinMax, Raw]);
enum_map!(m::Outcome, w::Outcome, [Pass, Fail]);
enum_map!(m::Severity, w::Severity, [Info, Warning, Critical]);
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
            message: e.message,
            field: e.field,
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

impl From<m::Sentiment> for w::Sentiment {
    fn from(s: m::Sentiment) -> Self {
        w::Sentiment {
            customer: s.customer,
            agent: s.agent,
            customer_final_quarter: s.customer_final_quarter,
        }
    }
}

impl From<w::AnswerValue> for m::AnswerValue {
    fn from(v: w::AnswerValue) -> Self {
        match v {
            w::AnswerValue::Score(s) => m::AnswerValue::Score(s),
            w::AnswerValue::NotApplicable => m::AnswerValue::NotApplicable,
        }
    }
}

impl From<m::AnswerValue> for w::AnswerValue {
    fn from(v: m::AnswerValue) -> Self {
        match v {
            m::AnswerValue::Score(s) => w::AnswerValue::Score(s),
            m::AnswerValue::NotApplicable => w::AnswerValue::NotApplicable,
        }
    }
}

impl From<w::Answer> for m::Answer {
    fn from(a: w::Answer) -> Self {
        m::Answer {
            criterion_id: a.criterion_id,
            value: a.value.into(),
            comment: a.comment,
        }
    }
}

impl From<m::Answer> for w::Answer {
    fn from(a: m::Answer) -> Self {
        w::Answer {
            criterion_id: a.criterion_id,
            value: a.value.into(),
            comment: a.comment,
        }
    }
}

impl From<w::VendorScore> for m::VendorScore {
    fn from(v: w::VendorScore) -> Self {
        m::VendorScore {
            percentage: v.percentage,
            auto_failed: v.auto_failed,
            critical_percentage: v.critical_percentage,
        }
    }
}

impl From<m::VendorScore> for w::VendorScore {
    fn from(v: m::VendorScore) -> Self {
        w::VendorScore {
            percentage: v.percentage,
            auto_failed: v.auto_failed,
            critical_percentage: v.critical_percentage,
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
            vendor_score: e.vendor_score.map(Into::into),
        }
    }
}

impl From<m::EvaluationEvent> for w::Evaluation {
    fn from(e: m::EvaluationEvent) -> Self {
        w::Evaluation {
            external_id: e.external_id,
            form_id: e.form_id,
            form_version: e.form_version,
            interaction_external_id: e.interaction_external_id,
            agent_vendor_id: e.agent_vendor_id,
            evaluator_vendor_id: e.evaluator_vendor_id,
            evaluated_at: e.evaluated_at,
            answers: e.answers.into_iter().map(Into::into).collect(),
            vendor_score: e.vendor_score.map(Into::into),
        }
    }
}

/// Both-way `From` impls between two records with identical field names.
macro_rules! record_map {
    ($model:path, $wit:path, [$($field:ident),+ $(,)?], [$($conv:ident),* $(,)?]) => {
        impl From<$wit> for $model {
            fn from(v: $wit) -> Self {
                Self { $($field: v.$field,)+ $($conv: v.$conv.into_iter().map(Into::into).collect(),)* }
            }
        }
        impl From<$model> for $wit {
            fn from(v: $model) -> Self {
                Self { $($field: v.$field,)+ $($conv: v.$conv.into_iter().map(Into::into).collect(),)* }
            }
        }
    };
}

record_map!(
    m::AgentEvent,
    w::Agent,
    [vendor_user_id, name, email, team, supervisor_vendor_id],
    []
);
record_map!(
    m::AgentStateEvent,
    w::AgentState,
    [agent_vendor_id, state, at],
    []
);
record_map!(
    m::StaffingEvent,
    w::StaffingInterval,
    [
        queue,
        starts_at,
        length_minutes,
        offered,
        aht_seconds,
        scheduled_agents
    ],
    []
);
record_map!(m::TopicNeed, w::TopicNeed, [topic, weakness], []);

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
            // 0.1.0 has no such fields.
            non_talk_ms: None,
            agent_interruptions: None,
            related_external_ids: Vec::new(),
            queue: i.queue,
            topics: i.topics,
            sentiment: i.sentiment.map(Into::into),
            wrap_up: i.wrap_up,
            updated_at: i.updated_at,
        }
    }
}

impl From<m::InteractionEvent> for w::Interaction {
    fn from(i: m::InteractionEvent) -> Self {
        w::Interaction {
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

impl From<m::FeedbackEvent> for w::Feedback {
    fn from(f: m::FeedbackEvent) -> Self {
        w::Feedback {
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
            w::Event::Agent(a) => m::Event::Agent(a.into()),
            w::Event::Interaction(i) => m::Event::Interaction(i.into()),
            w::Event::Evaluation(e) => m::Event::Evaluation(e.into()),
            w::Event::Feedback(f) => m::Event::Feedback(f.into()),
            w::Event::AgentState(s) => m::Event::AgentState(s.into()),
            w::Event::Staffing(s) => m::Event::Staffing(s.into()),
        }
    }
}

impl From<m::Event> for w::Event {
    fn from(e: m::Event) -> Self {
        match e {
            m::Event::Agent(a) => w::Event::Agent(a.into()),
            m::Event::Interaction(i) => w::Event::Interaction(i.into()),
            m::Event::Evaluation(e) => w::Event::Evaluation(e.into()),
            m::Event::Feedback(f) => w::Event::Feedback(f.into()),
            m::Event::AgentState(s) => w::Event::AgentState(s.into()),
            m::Event::Staffing(s) => w::Event::Staffing(s.into()),
        }
    }
}

impl From<m::Criterion> for w::Criterion {
    fn from(c: m::Criterion) -> Self {
        w::Criterion {
            id: c.id,
            label: c.label,
            weight: c.weight,
            scale_min: c.scale_min,
            scale_max: c.scale_max,
            critical: c.critical,
            fatal: c.fatal,
            bonus: c.bonus,
            topic: c.topic,
        }
    }
}

impl From<m::FormSection> for w::FormSection {
    fn from(s: m::FormSection) -> Self {
        w::FormSection {
            id: s.id,
            name: s.name,
            weight: s.weight,
            criteria: s.criteria.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<m::ScoringSettings> for w::ScoringSettings {
    fn from(s: m::ScoringSettings) -> Self {
        w::ScoringSettings {
            weighting: s.weighting.into(),
            na_policy: s.na_policy.into(),
            na_redistribution: s.na_redistribution.into(),
            auto_fail: s.auto_fail.into(),
            normalization: s.normalization.into(),
            critical_threshold: s.critical_threshold,
            pass_mark: s.pass_mark,
            allow_bonus: s.allow_bonus,
        }
    }
}

impl From<m::Form> for w::Form {
    fn from(f: m::Form) -> Self {
        w::Form {
            id: f.id,
            version: f.version,
            name: f.name,
            sections: f.sections.into_iter().map(Into::into).collect(),
            settings: f.settings.into(),
        }
    }
}

impl From<w::SectionScore> for m::SectionScore {
    fn from(s: w::SectionScore) -> Self {
        m::SectionScore {
            section_id: s.section_id,
            earned: s.earned,
            possible: s.possible,
            percent: s.percent,
        }
    }
}

impl From<w::Scorecard> for m::Scorecard {
    fn from(s: w::Scorecard) -> Self {
        m::Scorecard {
            evaluation_external_id: s.evaluation_external_id,
            score: s.score,
            outcome: s.outcome.into(),
            critical_score: s.critical_score,
            auto_failed: s.auto_failed,
            sections: s.sections.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<m::MatchProfile> for w::MatchProfile {
    fn from(p: m::MatchProfile) -> Self {
        w::MatchProfile {
            agent_id: p.agent_id,
            style: p.style,
            utc_offset_minutes: p.utc_offset_minutes,
            channels: p.channels.into_iter().map(Into::into).collect(),
            home_based: p.home_based,
        }
    }
}

impl From<m::Protege> for w::Protege {
    fn from(p: m::Protege) -> Self {
        w::Protege {
            profile: p.profile.into(),
            needs: p.needs.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<m::Mentor> for w::Mentor {
    fn from(p: m::Mentor) -> Self {
        w::Mentor {
            profile: p.profile.into(),
            strengths: p.strengths,
            capacity: p.capacity,
        }
    }
}

impl From<w::PairScore> for m::PairScore {
    fn from(p: w::PairScore) -> Self {
        m::PairScore {
            protege_index: p.protege_index,
            mentor_index: p.mentor_index,
            score: p.score,
            reasons: p.reasons,
        }
    }
}

impl From<w::Flag> for m::Flag {
    fn from(f: w::Flag) -> Self {
        m::Flag {
            event_index: f.event_index,
            rule_id: f.rule_id,
            severity: f.severity.into(),
            reason: f.reason,
            topic: f.topic,
        }
    }
}

/// An estimate of the bytes a value occupies when it crosses the boundary
/// (string and list payloads plus a fixed cost per record), used for the
/// input and output size limits without serialising anything.
pub trait WireSize {
    /// Approximate size in bytes.
    fn wire_size(&self) -> u64;
}

impl WireSize for String {
    fn wire_size(&self) -> u64 {
        self.len() as u64 + 8
    }
}

impl<T: WireSize> WireSize for Option<T> {
    fn wire_size(&self) -> u64 {
        self.as_ref().map_or(1, |v| v.wire_size() + 1)
    }
}

impl<T: WireSize> WireSize for Vec<T> {
    fn wire_size(&self) -> u64 {
        8 + self.iter().map(WireSize::wire_size).sum::<u64>()
    }
}

impl<T: WireSize, E: WireSize> WireSize for Result<T, E> {
    fn wire_size(&self) -> u64 {
        1 + match self {
            Ok(v) => v.wire_size(),
            Err(e) => e.wire_size(),
        }
    }
}

/// Fixed-size values.
macro_rules! fixed_size {
    ($($t:ty = $n:expr),+ $(,)?) => { $(impl WireSize for $t { fn wire_size(&self) -> u64 { $n } })+ };
}
fixed_size!(f64 = 8, u32 = 4, i64 = 8, u64 = 8, bool = 1, m::Channel = 1);

/// Records: a fixed overhead plus the sizes of their variable fields.
macro_rules! record_size {
    ($t:ty, [$($field:ident),* $(,)?]) => {
        impl WireSize for $t {
            fn wire_size(&self) -> u64 { 16 $(+ self.$field.wire_size())* }
        }
    };
}
record_size!(m::PluginError, [message, field]);
record_size!(
    m::AgentEvent,
    [vendor_user_id, name, email, team, supervisor_vendor_id]
);
record_size!(
    m::InteractionEvent,
    [
        external_id,
        agent_vendor_id,
        queue,
        topics,
        wrap_up,
        related_external_ids
    ]
);
record_size!(m::RejectedRecord, [error]);
record_size!(m::IngestOutput, [events, rejected]);
record_size!(m::Answer, [criterion_id, comment]);
record_size!(
    m::EvaluationEvent,
    [
        external_id,
        form_id,
        interaction_external_id,
        agent_vendor_id,
        evaluator_vendor_id,
        answers
    ]
);
record_size!(
    m::FeedbackEvent,
    [
        external_id,
        interaction_external_id,
        agent_vendor_id,
        topics,
        verbatim
    ]
);
record_size!(m::AgentStateEvent, [agent_vendor_id, state]);
record_size!(m::StaffingEvent, [queue]);
record_size!(m::SectionScore, [section_id]);
record_size!(m::Scorecard, [evaluation_external_id, sections]);
record_size!(m::PairScore, [reasons]);
record_size!(m::Flag, [rule_id, reason, topic]);
record_size!(m::Criterion, [id, label, topic]);
record_size!(m::FormSection, [id, name, criteria]);
record_size!(m::Form, [id, name, sections]);
record_size!(m::TopicNeed, [topic]);
record_size!(m::MatchProfile, [agent_id, style, channels]);
record_size!(m::Protege, [profile, needs]);
record_size!(m::Mentor, [profile, strengths]);

impl WireSize for m::InboundRequest {
    fn wire_size(&self) -> u64 {
        16 + self.body.len() as u64
            + self.source.wire_size()
            + self.method.wire_size()
            + self.url.wire_size()
            + self.headers.wire_size()
            + self.source_config.wire_size()
    }
}

impl<A: WireSize, B: WireSize> WireSize for (A, B) {
    fn wire_size(&self) -> u64 {
        self.0.wire_size() + self.1.wire_size()
    }
}

impl WireSize for m::Event {
    fn wire_size(&self) -> u64 {
        1 + match self {
            m::Event::Agent(a) => a.wire_size(),
            m::Event::Interaction(i) => i.wire_size(),
            m::Event::Evaluation(e) => e.wire_size(),
            m::Event::Feedback(f) => f.wire_size(),
            m::Event::AgentState(s) => s.wire_size(),
            m::Event::Staffing(s) => s.wire_size(),
        }
    }
}

// Declared last so it sees the macros above.
pub mod v0_2_0;
