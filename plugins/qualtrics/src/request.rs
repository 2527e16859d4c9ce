//! One inbound request, start to finish: options, content type, then the
//! responses. Pure (no host calls), so the whole path is tested natively.
//!
//! Qualtrics does not sign its deliveries: the source is unsigned, and the
//! host requires its bearer token instead.

use crate::bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, PluginError};
use crate::errors::invalid;
use crate::options::Options;
use crate::{responses, subscription};
use sidecoach_guest::config::SourceConfig;

/// Maps one request.
pub fn ingest(request: &InboundRequest) -> Result<IngestOutput, PluginError> {
    let options = Options::from_config(SourceConfig(&request.source_config))?;
    match sidecoach_guest::media_type(&request.headers).as_deref() {
        None | Some("application/json") => responses::parse(&request.body, &options),
        Some("application/x-www-form-urlencoded") => subscription::parse(&request.body, &options),
        Some(other) => Err(invalid(
            "content-type",
            format!(
                "expected `application/json` (responses) or \
                 `application/x-www-form-urlencoded` (an event subscription), got `{other}`"
            ),
        )),
    }
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{ErrorCode, Event, Feedback, RatingKind};

    /// The export fixture: one response, QID1 a choice, QID2 a text entry,
    /// embedded data `userId` and `segment`.
    const EXPORT: &[u8] =
        include_bytes!("../../../tests/data/vendors/qualtrics_response-export.json");
    /// The completedResponse event subscription fixture, with its `#` header.
    const SUBSCRIPTION: &[u8] = include_bytes!(
        "../../../tests/data/vendors/qualtrics_event-subscription-completedResponse.SYNTHETIC.form.txt"
    );

    /// A request as the host would pass it.
    fn request(content_type: Option<&str>, body: &[u8], config: &[(&str, &str)]) -> InboundRequest {
        InboundRequest {
            source: "qualtrics-main".into(),
            method: "POST".into(),
            url: "https://coach.example.com/v1/ingest/qualtrics".into(),
            headers: content_type
                .map(|ct| vec![("content-type".to_string(), ct.to_string())])
                .unwrap_or_default(),
            body: body.to_vec(),
            source_config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The subscription fixture's body: the lines after the `#` header.
    fn subscription_body() -> Vec<u8> {
        let text = std::str::from_utf8(SUBSCRIPTION).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .as_bytes()
            .to_vec()
    }

    /// The export fixture with defaults: one CSAT feedback, no agent nor
    /// interaction (the default keys are absent), comment from QID2.
    #[test]
    fn the_export_fixture_maps_field_by_field() {
        let out = ingest(&request(
            Some("application/json"),
            EXPORT,
            &[("csat_question", "QID1"), ("comment_question", "QID2")],
        ))
        .unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(
            out.events,
            vec![Event::Feedback(Feedback {
                external_id: "R_abc123xyz:QID1".into(),
                kind: RatingKind::Csat,
                // choiceId "1" ("Very Satisfied"): the value is the recode,
                // whatever its label says.
                value: 1.0,
                scale_min: 1.0,
                scale_max: 5.0,
                interaction_external_id: None,
                agent_vendor_id: None,
                topics: vec![],
                verbatim: Some("Great service!".into()),
                // endDate 2024-12-20T10:30:45Z.
                received_at: Some(1_734_690_645_000),
            })]
        );
    }

    /// Embedded-data keys are configurable: `userId` as the agent, `segment`
    /// as topics; a text question as a rating is a rejected record.
    #[test]
    fn the_export_fixture_with_embedded_data_keys() {
        let out = ingest(&request(
            None,
            EXPORT,
            &[
                ("csat_question", "QID1"),
                ("agent_key", "userId"),
                ("topic_key", "segment"),
            ],
        ))
        .unwrap();
        let [Event::Feedback(f)] = &out.events[..] else {
            panic!("{:?}", out.events)
        };
        assert_eq!(f.agent_vendor_id.as_deref(), Some("user123"));
        assert_eq!(f.interaction_external_id, None);
        assert_eq!(f.topics, vec!["enterprise"]);
        assert_eq!(f.verbatim, None);

        let out = ingest(&request(None, EXPORT, &[("ces_question", "QID2")])).unwrap();
        assert!(out.events.is_empty());
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].index, 0);
        assert_eq!(
            out.rejected[0].error.field.as_deref(),
            Some("responses[0].values.QID2")
        );
    }

    /// The ids-only subscription fixture is `unsupported`, saying what to do.
    #[test]
    fn the_subscription_fixture_is_unsupported_with_the_fetch_to_do() {
        let e = ingest(&request(
            Some("application/x-www-form-urlencoded"),
            &subscription_body(),
            &[("csat_question", "QID1")],
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert!(
            e.message
                .contains("GET /API/v3/surveys/SV_abc123xyz/responses/R_abc123xyz"),
            "{}",
            e.message
        );
    }

    /// No question configured: `config-invalid` naming the option keys.
    #[test]
    fn no_question_is_config_invalid() {
        let e = ingest(&request(Some("application/json"), EXPORT, &[])).unwrap_err();
        assert_eq!(e.code, ErrorCode::ConfigInvalid);
        assert!(e.message.contains("csat_question") && e.message.contains("nps_question"));
    }

    /// Other content types are `invalid-input` on `content-type`.
    #[test]
    fn wrong_content_type() {
        let e = ingest(&request(
            Some("text/csv"),
            EXPORT,
            &[("csat_question", "QID1")],
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("content-type"));
    }

    /// A truncated export fails the request, naming line and column.
    #[test]
    fn a_truncated_export_is_invalid_input() {
        let e = ingest(&request(
            Some("application/json"),
            &EXPORT[..EXPORT.len() - 20],
            &[("csat_question", "QID1")],
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(
            e.message.contains("line ") && e.message.contains("column"),
            "{}",
            e.message
        );
    }
}
