//! `sidecoach:plugin@0.4.0`: the matcher world revised for scale (`score`
//! returns a flat matrix of scores, `explain` the reasons of the pairs the
//! host offers), with its own `types` and `host`, and the conversions a
//! matcher needs: protégés and mentors in, scores and reasons out.

/// The matcher world.
pub mod matcher {
    wasmtime::component::bindgen!({
        path: "../wit/0.4.0",
        world: "matcher",
        exports: { default: async },
    });
}

pub use matcher::sidecoach::plugin::{host, types};

use crate::model as m;
use types as w;

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
            // Plugin text that ends up in errors: bounded.
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
