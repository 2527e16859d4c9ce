//! One inbound request, start to finish: configuration, content type,
//! signature, then the ratings. Pure (no host calls), so the whole path is
//! tested natively.

use crate::bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, PluginError};
use crate::errors::{config, invalid};
use crate::ratings::{self, Options};
use crate::signature;
use sidecoach_guest::config::SourceConfig;

/// The source-config key holding the webhook's signing secret.
pub const SIGNING_SECRET: &str = "signing_secret";

/// Verifies and maps one request.
pub fn ingest(request: &InboundRequest) -> Result<IngestOutput, PluginError> {
    let cfg = SourceConfig(&request.source_config);
    let secret = cfg.get(SIGNING_SECRET).ok_or_else(|| {
        config(
            SIGNING_SECRET,
            format!(
                "`{SIGNING_SECRET}` is required: the Zendesk webhook's signing secret \
                 (Admin Center > Webhooks > the webhook > Reveal secret)"
            ),
        )
    })?;
    let options = Options::from_config(cfg)?;
    match sidecoach_guest::media_type(&request.headers).as_deref() {
        None | Some("application/json") => {}
        Some(other) => {
            return Err(invalid(
                "content-type",
                format!("expected `application/json`, got `{other}`"),
            ));
        }
    }
    signature::verify(secret.as_bytes(), &request.headers, &request.body)?;
    ratings::parse(&request.body, &options)
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{ErrorCode, Event, Feedback, RatingKind};

    /// The fixture: one `bad` rating with a comment and a reason.
    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/data/vendors/zendesk_satisfaction-rating.SYNTHETIC.json");
    /// Zendesk's documented static test signing secret.
    const SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
    /// The timestamp the test deliveries carry.
    const TIMESTAMP: &str = "2024-05-01T11:00:05Z";
    /// The fixture's signature under SECRET and TIMESTAMP, computed
    /// independently with Python's `hmac`.
    const FIXTURE_SIGNATURE: &str = "UJAePl7dBnvEh4ytlEQ+cXnHKwB25m/bRF6Ml9dG5Yw=";

    /// A signed request as the host would pass it.
    fn request(body: &[u8], config: &[(&str, &str)]) -> InboundRequest {
        InboundRequest {
            source: "zendesk-main".into(),
            method: "POST".into(),
            url: "https://coach.example.com/v1/ingest/zendesk".into(),
            headers: vec![
                (
                    "content-type".into(),
                    "application/json; charset=utf-8".into(),
                ),
                (
                    signature::SIGNATURE_HEADER.into(),
                    signature::compute(SECRET.as_bytes(), TIMESTAMP, body),
                ),
                (signature::TIMESTAMP_HEADER.into(), TIMESTAMP.into()),
            ],
            body: body.to_vec(),
            source_config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The fixture, signed: one CSAT feedback, field by field.
    #[test]
    fn the_fixture_maps_field_by_field() {
        let r = request(FIXTURE, &[(SIGNING_SECRET, SECRET)]);
        assert_eq!(r.headers[1].1, FIXTURE_SIGNATURE);
        let out = ingest(&r).unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(
            out.events,
            vec![Event::Feedback(Feedback {
                external_id: "35436".into(),
                kind: RatingKind::Csat,
                value: 1.0,
                scale_min: 1.0,
                scale_max: 5.0,
                interaction_external_id: Some("208".into()),
                agent_vendor_id: Some("135".into()),
                topics: vec!["the-issue-took-too-long-to-resolve".into()],
                verbatim: Some("Took three transfers to get my refund.".into()),
                received_at: Some(1_714_561_200_000),
            })]
        );
    }

    /// The options shape the value and the scale.
    #[test]
    fn options_apply_to_the_fixture() {
        let out = ingest(&request(
            FIXTURE,
            &[
                (SIGNING_SECRET, SECRET),
                ("bad_value", "0"),
                ("scale_min", "0"),
                ("scale_max", "10"),
                ("good_value", "10"),
            ],
        ))
        .unwrap();
        let [Event::Feedback(f)] = &out.events[..] else {
            panic!("{:?}", out.events)
        };
        assert_eq!((f.value, f.scale_min, f.scale_max), (0.0, 0.0, 10.0));
    }

    /// A tampered body or signature, or a missing header: `signature-invalid`.
    #[test]
    fn tampered_requests_are_signature_invalid() {
        let mut body = request(FIXTURE, &[(SIGNING_SECRET, SECRET)]);
        body.body = String::from_utf8(body.body)
            .unwrap()
            .replace("\"bad\"", "\"good\"")
            .into_bytes();
        let mut sig = request(FIXTURE, &[(SIGNING_SECRET, SECRET)]);
        sig.headers[1].1 = FIXTURE_SIGNATURE.replace('U', "V");
        let mut missing = request(FIXTURE, &[(SIGNING_SECRET, SECRET)]);
        missing.headers.remove(1);
        let mut timestamp = request(FIXTURE, &[(SIGNING_SECRET, SECRET)]);
        timestamp.headers.remove(2);
        for r in [body, sig, missing, timestamp] {
            let e = ingest(&r).unwrap_err();
            assert_eq!(e.code, ErrorCode::SignatureInvalid, "{}", e.message);
        }
    }

    /// Configuration errors name the key.
    #[test]
    fn configuration_errors_name_the_key() {
        let e = ingest(&request(FIXTURE, &[])).unwrap_err();
        assert_eq!(e.code, ErrorCode::ConfigInvalid);
        assert_eq!(e.field.as_deref(), Some(SIGNING_SECRET));
        assert!(e.message.contains(SIGNING_SECRET));
        let e = ingest(&request(
            FIXTURE,
            &[(SIGNING_SECRET, SECRET), ("good_value", "five")],
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::ConfigInvalid);
        assert_eq!(e.field.as_deref(), Some("good_value"));
    }

    /// JSON or no content type is fine; anything else is `invalid-input`.
    #[test]
    fn content_types() {
        let mut none = request(FIXTURE, &[(SIGNING_SECRET, SECRET)]);
        none.headers.remove(0);
        assert_eq!(ingest(&none).unwrap().events.len(), 1);
        for ct in ["application/x-www-form-urlencoded", "text/xml"] {
            let mut r = request(FIXTURE, &[(SIGNING_SECRET, SECRET)]);
            r.headers[0].1 = ct.into();
            let e = ingest(&r).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput);
            assert_eq!(e.field.as_deref(), Some("content-type"));
        }
    }

    /// A signed but truncated body fails the request, naming line and column.
    #[test]
    fn a_truncated_body_is_invalid_input() {
        let e = ingest(&request(
            &FIXTURE[..FIXTURE.len() / 2],
            &[(SIGNING_SECRET, SECRET)],
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(
            e.message.contains("line ") && e.message.contains("column"),
            "{}",
            e.message
        );
    }

    /// A signed list with one bad rating: the others count, the bad one is
    /// rejected with its index.
    #[test]
    fn a_list_with_one_bad_rating() {
        let body = br#"{"satisfaction_ratings":[{"id":1,"score":"good","ticket_id":5},{"id":2,"score":"excellent"},{"id":3,"score":"bad"}]}"#;
        let out = ingest(&request(body, &[(SIGNING_SECRET, SECRET)])).unwrap();
        assert_eq!(out.events.len(), 2);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].index, 1);
        assert_eq!(
            out.rejected[0].error.field.as_deref(),
            Some("satisfaction_ratings[1].score")
        );
    }
}
