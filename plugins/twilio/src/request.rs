//! One inbound request, start to finish: configuration, content type,
//! signature, then the TaskRouter mapping. Pure (no host calls), so the whole
//! path is tested natively.

use crate::bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, PluginError};
use crate::errors::{bad_json, config, invalid};
use crate::{signature, taskrouter};
use serde_json::Value;
use sidecoach_guest::config::SourceConfig;

/// The source-config key holding the account's auth token.
pub const AUTH_TOKEN: &str = "auth_token";

/// The form media type TaskRouter posts.
const FORM: &str = "application/x-www-form-urlencoded";
/// The JSON media type (signed through `bodySHA256`).
const JSON: &str = "application/json";

/// Verifies and maps one request. A callback is one record, so every failure
/// rejects the whole request and `rejected` is always empty.
pub fn ingest(request: &InboundRequest) -> Result<IngestOutput, PluginError> {
    let cfg = SourceConfig(&request.source_config);
    let token = cfg.get(AUTH_TOKEN).ok_or_else(|| {
        config(
            AUTH_TOKEN,
            format!(
                "`{AUTH_TOKEN}` is required: the Twilio account's auth token, which signs \
                 every callback"
            ),
        )
    })?;
    let params = match sidecoach_guest::media_type(&request.headers).as_deref() {
        Some(FORM) => {
            let params = sidecoach_guest::form_pairs(&request.body);
            signature::verify_form(token.as_bytes(), &request.headers, &request.url, &params)?;
            params
        }
        Some(JSON) => {
            signature::verify_json(
                token.as_bytes(),
                &request.headers,
                &request.url,
                &request.body,
            )?;
            json_params(&request.body)?
        }
        other => {
            return Err(invalid(
                "content-type",
                format!(
                    "expected `{FORM}` (or `{JSON}` with a `bodySHA256` URL parameter), got {}",
                    other.map_or("no content type".to_string(), |t| format!("`{t}`"))
                ),
            ));
        }
    };
    Ok(IngestOutput {
        events: taskrouter::parse(&params)?,
        rejected: Vec::new(),
    })
}

/// A JSON body's top-level keys read as form parameters: strings as they are,
/// numbers and booleans as text, objects and arrays (attributes) as JSON text.
fn json_params(body: &[u8]) -> Result<Vec<(String, String)>, PluginError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad_json("body", "the body", &e))?;
    let Value::Object(map) = value else {
        return Err(invalid(
            "body",
            "a JSON body must be one object of TaskRouter event parameters",
        ));
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::Null => None,
            Value::String(s) => Some((k, s)),
            other => Some((k, other.to_string())),
        })
        .collect())
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{
        Agent, Channel, Direction, ErrorCode, Event, Interaction,
    };
    use sidecoach_guest::signature::{base64, hmac_sha1, sha256_hex};

    /// The fixture, with its `#` comment lines.
    const FIXTURE: &[u8] = include_bytes!(
        "../../../tests/data/vendors/twilio_taskrouter-event-callback.SYNTHETIC.form.txt"
    );
    /// A test auth token.
    const TOKEN: &str = "test-auth-token-0123456789abcdef";
    /// The URL the test "configured" in Twilio.
    const URL: &str = "https://coach.example.com/v1/ingest/twilio";

    /// The fixture body: the lines after the `#` header.
    fn fixture_body() -> Vec<u8> {
        let text = std::str::from_utf8(FIXTURE).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .as_bytes()
            .to_vec()
    }

    /// A request as the host would pass it.
    fn request(
        url: &str,
        content_type: Option<&str>,
        signature: Option<&str>,
        body: Vec<u8>,
    ) -> InboundRequest {
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("content-type".to_string(), ct.to_string()));
        }
        if let Some(sig) = signature {
            headers.push((signature::HEADER.to_string(), sig.to_string()));
        }
        InboundRequest {
            source: "twilio-main".into(),
            method: "POST".into(),
            url: url.into(),
            headers,
            body,
            source_config: vec![(AUTH_TOKEN.into(), TOKEN.into())],
        }
    }

    /// The fixture signed as Twilio would sign it.
    fn signed_fixture() -> InboundRequest {
        let body = fixture_body();
        let sig = signature::compute(TOKEN.as_bytes(), URL, &sidecoach_guest::form_pairs(&body));
        request(
            URL,
            Some("application/x-www-form-urlencoded"),
            Some(&sig),
            body,
        )
    }

    /// The whole fixture: signature, then agent and interaction, field by field.
    #[test]
    fn the_fixture_maps_field_by_field() {
        let request = signed_fixture();
        // Computed independently with Python (`hmac`, `urllib.parse.parse_qsl`).
        assert_eq!(request.headers[1].1, "EeQ9PjfFh8QplkIJ4lX6AzpuNTk=");
        let out = ingest(&request).unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(
            out.events,
            vec![
                Event::Agent(Agent {
                    vendor_user_id: "WK00000000000000000000000000000001".into(),
                    name: Some("alice".into()),
                    email: None,
                    team: None,
                    supervisor_vendor_id: None,
                }),
                Event::Interaction(Interaction {
                    external_id: "WT00000000000000000000000000000001".into(),
                    agent_vendor_id: Some("WK00000000000000000000000000000001".into()),
                    channel: Channel::Voice,
                    direction: Direction::Unknown,
                    // TimestampMs − TaskAge (42 s).
                    started_at: Some(1_714_564_800_123 - 42_000),
                    ended_at: None,
                    handle_ms: None,
                    talk_ms: None,
                    hold_ms: None,
                    after_work_ms: None,
                    non_talk_ms: None,
                    agent_interruptions: None,
                    related_external_ids: vec!["CA00000000000000000000000000000001".into()],
                    queue: Some("Billing".into()),
                    // The worker's skills are not the task's topics.
                    topics: vec![],
                    sentiment: None,
                    wrap_up: None,
                    updated_at: Some(1_714_564_800_123),
                }),
            ]
        );
    }

    /// The fixture signed over the URL without port passes when the host sees
    /// `:443`, and a charset parameter on the content type is fine.
    #[test]
    fn the_fixture_passes_with_the_default_port_and_a_charset() {
        let mut r = signed_fixture();
        r.url = "https://coach.example.com:443/v1/ingest/twilio".into();
        r.headers[0].1 = "application/x-www-form-urlencoded; charset=utf-8".into();
        assert_eq!(ingest(&r).unwrap().events.len(), 2);
    }

    /// A tampered body, signature or URL, or no signature: `signature-invalid`.
    #[test]
    fn tampered_requests_are_signature_invalid() {
        let mut body = signed_fixture();
        body.body = String::from_utf8(body.body)
            .unwrap()
            .replace("TaskQueueName=Billing", "TaskQueueName=Sales")
            .into_bytes();
        let mut sig = signed_fixture();
        sig.headers[1].1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
        let mut url = signed_fixture();
        url.url = "https://coach.example.com/v1/ingest/twilio?x=1".into();
        let mut missing = signed_fixture();
        missing.headers.truncate(1);
        let mut token = signed_fixture();
        token.source_config[0].1 = "another-token".into();
        for r in [body, sig, url, missing, token] {
            let e = ingest(&r).unwrap_err();
            assert_eq!(e.code, ErrorCode::SignatureInvalid, "{}", e.message);
        }
    }

    /// Without `auth_token` the source is misconfigured.
    #[test]
    fn a_missing_auth_token_is_config_invalid() {
        let mut r = signed_fixture();
        r.source_config.clear();
        let e = ingest(&r).unwrap_err();
        assert_eq!(e.code, ErrorCode::ConfigInvalid);
        assert_eq!(e.field.as_deref(), Some(AUTH_TOKEN));
        assert!(e.message.contains("auth_token"));
    }

    /// Other content types, or none, are `invalid-input` on `content-type`.
    #[test]
    fn wrong_content_types_are_rejected() {
        for ct in [Some("text/plain"), Some("multipart/form-data"), None] {
            let mut r = signed_fixture();
            r.headers.retain(|(k, _)| k != "content-type");
            if let Some(ct) = ct {
                r.headers.push(("content-type".into(), ct.into()));
            }
            let e = ingest(&r).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{ct:?}");
            assert_eq!(e.field.as_deref(), Some("content-type"));
        }
    }

    /// A signed JSON body (bodySHA256) maps like the form; a tampered one
    /// fails; truncated JSON names line and column.
    #[test]
    fn json_bodies_signed_with_body_sha256() {
        let body = br#"{"EventType":"reservation.accepted","TaskSid":"WT9","WorkerSid":"WK9","TaskChannelUniqueName":"sms","TaskAttributes":{"direction":"inbound","topics":"Late Delivery"},"TimestampMs":1714564800123}"#;
        let url = format!("{URL}?bodySHA256={}", sha256_hex(body));
        let sig = base64(&hmac_sha1(TOKEN.as_bytes(), &[url.as_bytes()]));
        let out = ingest(&request(
            &url,
            Some("application/json"),
            Some(&sig),
            body.to_vec(),
        ))
        .unwrap();
        let Some(Event::Interaction(i)) = out.events.last() else {
            panic!("{:?}", out.events)
        };
        assert_eq!(i.external_id, "WT9");
        assert_eq!(i.agent_vendor_id.as_deref(), Some("WK9"));
        assert_eq!(i.channel, Channel::Sms);
        assert_eq!(i.direction, Direction::Inbound);
        assert_eq!(i.topics, vec!["late-delivery"]);
        assert_eq!(i.updated_at, Some(1_714_564_800_123));

        let mut tampered = body.to_vec();
        tampered[20] = b'X';
        let e = ingest(&request(
            &url,
            Some("application/json"),
            Some(&sig),
            tampered,
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::SignatureInvalid);

        let truncated = &body[..body.len() - 10];
        let url = format!("{URL}?bodySHA256={}", sha256_hex(truncated));
        let sig = base64(&hmac_sha1(TOKEN.as_bytes(), &[url.as_bytes()]));
        let e = ingest(&request(
            &url,
            Some("application/json"),
            Some(&sig),
            truncated.to_vec(),
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("body"));
        assert!(e.message.contains("line 1 column"), "{}", e.message);
    }

    /// A signed event of an unmapped type is `unsupported`, naming it.
    #[test]
    fn an_unknown_event_type_is_unsupported() {
        let body = b"EventType=workflow.timeout&WorkflowSid=WW1".to_vec();
        let sig = signature::compute(TOKEN.as_bytes(), URL, &sidecoach_guest::form_pairs(&body));
        let e = ingest(&request(
            URL,
            Some("application/x-www-form-urlencoded"),
            Some(&sig),
            body,
        ))
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert!(e.message.contains("workflow.timeout"));
    }
}
