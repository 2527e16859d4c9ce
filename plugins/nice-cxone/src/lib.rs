//! The NICE CXone adapter plugin (world `adapter`, API 0.2.0).
//!
//! It reads completed contacts as the CXone reporting API returns them
//! (`GET /contacts/completed`: `{"contacts":[...]}`), an array of contacts,
//! one contact or JSON lines, sent as `application/json`, `application/x-ndjson`,
//! `application/jsonl` or with no content type (module `parse`), and turns each
//! contact into an interaction and, when named, its agent (module `contacts`).
//!
//! | CXone field | normalized |
//! |---|---|
//! | contactId | interaction external-id |
//! | masterContactId (when different) | related-external-ids |
//! | agentId | agent-vendor-id / agent vendor-user-id |
//! | firstName + lastName, teamName | agent name, team |
//! | mediaTypeName (mediaTypeId) | channel |
//! | isOutbound | direction |
//! | contactStartDate | started-at |
//! | contactEndDate, else contactStartDate + totalDurationSeconds | ended-at |
//! | agentSeconds, holdSeconds, acwSeconds (s) | handle-ms, hold-ms, after-work-ms |
//! | skillName | queue |
//! | tags | topics (slugged) |
//! | primaryDispositionName / primaryDispositionId | wrap-up |
//! | lastUpdateTime | updated-at |
//!
//! The parsing lives in pure modules, tested natively; this file only wires
//! them to the host.

mod contacts;
mod input;
mod parse;

#[expect(
    clippy::too_many_arguments,
    reason = "generated: the canonical ABI flattens `inbound-request` into many parameters"
)]
mod bindings {
    //! Bindings generated from `wit/0.2.0/sidecoach.wit`, world `adapter`.
    wit_bindgen::generate!({
        path: "../../wit/0.2.0",
        world: "adapter",
        // For the unit tests' assertions.
        additional_derives: [PartialEq],
    });
}

use bindings::sidecoach::plugin::host::log;
use bindings::sidecoach::plugin::types::{
    InboundRequest, IngestOutput, LogLevel, PluginError, PluginInfo,
};

/// The exported component.
struct NiceCxone;

impl bindings::Guest for NiceCxone {
    /// Names the plugin; the version is the crate's, which the manifest repeats.
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "NICE CXone adapter".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Reads NICE CXone completed contacts (reporting API) into interactions \
                          and agents."
                .into(),
        }
    }

    /// Parses the request (see [`parse`]) and logs what came of it.
    fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
        let output = parse::ingest(&request.headers, &request.body)?;
        let rejected = output.rejected.len();
        log(
            if rejected == 0 {
                LogLevel::Info
            } else {
                LogLevel::Warn
            },
            &format!(
                "parsed {} events from source `{}`, rejected {rejected} records",
                output.events.len(),
                request.source,
            ),
        );
        Ok(output)
    }
}

bindings::export!(NiceCxone with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Guest as _;

    /// The plugin manifest, as shipped.
    const MANIFEST: &str = include_str!("../plugin.toml");

    /// A top-level `key = "value"` of the manifest (before any table).
    fn manifest_value(key: &str) -> &'static str {
        MANIFEST
            .lines()
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| {
                let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                rest.trim().strip_prefix('"')?.split('"').next()
            })
            .unwrap_or_else(|| panic!("plugin.toml has no `{key}`"))
    }

    /// `describe()` agrees with `plugin.toml`.
    #[test]
    fn describe_matches_the_manifest() {
        assert_eq!(manifest_value("id"), "nice-cxone");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(manifest_value("api_version"), "0.2.0");
        assert_eq!(NiceCxone::describe().version, manifest_value("version"));
    }
}
