//! The WIT → plain-type conversions around the arithmetic (protégés, mentors,
//! profiles, channel names) and the error mapping, as a macro. The matcher of
//! API 0.4.0 (`plugins/reference-matcher`) and its 0.1.0 predecessor
//! (`plugins/reference-matcher-v1`) generate their own WIT bindings, so their
//! types are not nameable here; the macro is expanded in the plugin, against
//! its `types` module (the records it reads are the same in both versions).

/// In a matcher plugin: `convert_proteges`, `convert_mentors` and
/// `to_plugin_error`, from the plugin's WIT types to this crate's. Give it the
/// path of the generated `types` module:
///
/// ```ignore
/// mod glue {
///     sidecoach_matching::wit_glue!(crate::bindings::sidecoach::plugin::types);
/// }
/// ```
#[macro_export]
macro_rules! wit_glue {
    ($types:path) => {
        use $types as wit;

        /// The WIT protégés as the plain type.
        pub(crate) fn convert_proteges(proteges: Vec<wit::Protege>) -> Vec<$crate::Protege> {
            proteges
                .into_iter()
                .map(|p| $crate::Protege {
                    profile: convert_profile(p.profile),
                    needs: p
                        .needs
                        .into_iter()
                        .map(|n| $crate::Need {
                            topic: n.topic,
                            weakness: n.weakness,
                        })
                        .collect(),
                })
                .collect()
        }

        /// The WIT mentors as the plain type.
        pub(crate) fn convert_mentors(mentors: Vec<wit::Mentor>) -> Vec<$crate::Mentor> {
            mentors
                .into_iter()
                .map(|m| $crate::Mentor {
                    profile: convert_profile(m.profile),
                    strengths: m.strengths,
                    capacity: m.capacity,
                })
                .collect()
        }

        /// A rejected input or setting as the plugin error, with its field.
        pub(crate) fn to_plugin_error(
            code: wit::ErrorCode,
            e: $crate::Invalid,
        ) -> wit::PluginError {
            wit::PluginError {
                code,
                message: e.message,
                field: Some(e.field),
            }
        }

        fn convert_profile(p: wit::MatchProfile) -> $crate::Profile {
            $crate::Profile {
                agent_id: p.agent_id,
                style: p.style,
                utc_offset_minutes: p.utc_offset_minutes,
                channels: p
                    .channels
                    .into_iter()
                    .map(|c| channel_name(c).to_owned())
                    .collect(),
            }
        }

        /// The WIT case name, as reasons show it.
        fn channel_name(channel: wit::Channel) -> &'static str {
            match channel {
                wit::Channel::Voice => "voice",
                wit::Channel::Chat => "chat",
                wit::Channel::Email => "email",
                wit::Channel::Sms => "sms",
                wit::Channel::Video => "video",
                wit::Channel::Social => "social",
                wit::Channel::Task => "task",
                wit::Channel::Other => "other",
            }
        }
    };
}
