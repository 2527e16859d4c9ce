//! The plugin API as the host sees it, one file per released WIT version
//! (Zed's versioned-WIT layout): `v0_1_0.rs`, `v0_2_0.rs` and `v0_3_0.rs` each run
//! `bindgen!` on their frozen `wit/<version>/` and hold the conversions
//! between that version's types and the model. The manifest's
//! `api_version` picks the bindings ([`super::plugin`]); every version
//! converts straight to the model, the common form (converting 0.1.0
//! forward through 0.2.0 would add a copy per record and nothing 0.2.0
//! lacks). This file holds what all versions share: [`WireSize`], the
//! estimate the input and output limits use. The output limit also holds
//! while an export's result is lifted (the store's hostcall budget, set in
//! `call.rs`), for every export of every version alike: a new version
//! needs no per-version code for it.
//!
//! Exports are async: a call runs as a future under a tokio timeout, so a
//! guest blocked inside a WASI host call (a sleep, a poll) is cancelled at
//! its deadline just like one spinning in wasm. Host imports stay sync.

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

/// The conversions every version's `types` has, word for word: channels,
/// error codes, plugin errors (their text bounded, since it ends up in
/// errors and `score_error`) and plugin info.
macro_rules! core_conversions {
    () => {
        enum_map!(
            m::Channel,
            w::Channel,
            [Voice, Chat, Email, Sms, Video, Social, Task, Other]
        );
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
                    message: crate::runtime::error::bounded_text(&e.message),
                    field: e.field.as_deref().map(crate::runtime::error::bounded_text),
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
    };
}

/// The matcher's inputs, the same records in 0.1.0 and 0.4.0.
macro_rules! matching_conversions {
    () => {
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

        impl From<m::TopicNeed> for w::TopicNeed {
            fn from(n: m::TopicNeed) -> Self {
                w::TopicNeed {
                    topic: n.topic,
                    weakness: n.weakness,
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
    };
}

/// The conversions every version shares word for word: the enums, plugin
/// errors (their text bounded, since it ends up in errors and
/// `score_error`), plugin info, the inbound request, sentiment and
/// feedback. Expanded inside each version's module, where `w` is that
/// version's types and `m` the model, so a new version cannot miss one
/// (as 0.3.0 once missed bounding plugin errors).
macro_rules! shared_conversions {
    () => {
        core_conversions!();
        enum_map!(
            m::Direction,
            w::Direction,
            [Inbound, Outbound, Internal, Unknown]
        );
        enum_map!(m::RatingKind, w::RatingKind, [Csat, Nps, Ces, Custom]);
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
    };
}

/// The evaluation lift of the adapter worlds from 0.2.0 on (0.1.0 also
/// converts the other way, for scorers, and keeps its own).
macro_rules! evaluation_lift {
    () => {
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
    };
}

pub mod v0_1_0;
pub mod v0_2_0;
pub mod v0_3_0;
pub mod v0_4_0;

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
        related_external_ids,
        issues,
        outcomes,
        action_items
    ]
);
record_size!(m::RejectedRecord, [error]);
record_size!(m::IngestOutput, [events, rejected, segments]);
record_size!(
    m::SegmentEvent,
    [
        interaction_external_id,
        segment_id,
        agent_vendor_id,
        text,
        categories,
        issues
    ]
);
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

impl WireSize for m::PairScores {
    fn wire_size(&self) -> u64 {
        match self {
            m::PairScores::Ranked(pairs) => pairs.wire_size(),
            m::PairScores::Matrix(scores) => scores.wire_size(),
        }
    }
}
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

#[cfg(test)]
mod frozen_tests {
    /// Every released interface version, with the sha256 of its file as
    /// released. Plugins built against a version must keep loading, so its
    /// file never changes: a change is a new version directory (and a line
    /// here), never an edit.
    const RELEASED: [(&str, &str); 4] = [
        (
            "0.1.0",
            "686950db736dd1492b599c67f6b773c9a1d2cd01a364830ad04d067e9e566135",
        ),
        (
            "0.2.0",
            "eaa48412ffe77eb30c72d98a7e6b4da0ed5e1d2b1ef6966506509f0dcc6282d9",
        ),
        (
            "0.3.0",
            "9aff21d3c336ab38f98d56b22e35173a56aad2588a0b28c7866b3988538333c4",
        ),
        (
            "0.4.0",
            "696896c02201b9028cc38ccb43ec7ee4c9afee31acd2f08d8a2b09922954a00e",
        ),
    ];

    #[test]
    fn released_wit_versions_are_frozen_and_every_version_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
        let mut found: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        found.sort();
        let listed: Vec<&str> = RELEASED.iter().map(|(v, _)| *v).collect();
        assert_eq!(
            found, listed,
            "wit/ holds a version this list does not (or lost one): list a new version with \
             its file's sha256 when it is released"
        );
        for (version, sha) in RELEASED {
            let text = std::fs::read(root.join(version).join("sidecoach.wit")).unwrap();
            assert_eq!(
                crate::clock::sha256_hex(&text),
                sha,
                "wit/{version}/sidecoach.wit changed after its release: released interfaces are \
                 frozen (plugins built against them must keep loading); put the change in a new \
                 version"
            );
        }
    }
}
