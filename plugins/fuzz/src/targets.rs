//! The adapters under test: each one's seeds (the vendor fixtures in
//! `tests/data/vendors/`, byte for byte the published ones in
//! `shared/fixtures/vendors/` plus this project's own, embedded with
//! `include_bytes!` as the adapters' unit tests embed them), the request
//! around a body (content type, URL, source config, a valid signature for
//! the body as mutated, so the parsers behind the signature checks are
//! reached), and the call into the adapter's pure request path
//! (`<adapter>::native::ingest`) with the output's properties checked.

use crate::check::Violation;
use crate::mutate::Shape;
use sidecoach_guest::signature::{base64, hmac_sha1, hmac_sha256, sha256_hex};

/// The vendor fixtures, relative to this file.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/data/vendors/", $name)).as_slice()
    };
}

/// How a request proves where it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Signing {
    /// Unsigned.
    None,
    /// `x-sidecoach-signature: sha256=<hex HMAC-SHA256 of the body>`.
    Sidecoach(&'static str),
    /// `X-Twilio-Signature` with this auth token (form parameters, or
    /// `bodySHA256` for JSON).
    Twilio(&'static str),
    /// `X-Zendesk-Webhook-Signature` with this signing secret.
    Zendesk(&'static str),
}

/// Everything of a request but its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// The `content-type` header, if any.
    pub content_type: Option<&'static str>,
    /// The URL the vendor called.
    pub url: &'static str,
    /// The source's options and secrets.
    pub config: Vec<(String, String)>,
    /// The signature scheme.
    pub signing: Signing,
}

/// One seed: a fixture body, its structure and its request.
#[derive(Debug, Clone)]
pub struct Seed {
    /// How the body is structured.
    pub shape: Shape,
    /// The body.
    pub body: Vec<u8>,
    /// The request around it.
    pub setup: Setup,
}

/// What one call came to.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Events emitted.
    pub events: usize,
    /// Records rejected.
    pub rejected: usize,
    /// The request failed as a whole (an error, not a panic).
    pub failed: bool,
    /// Properties broken.
    pub violations: Vec<Violation>,
}

/// One adapter under test.
pub struct Target {
    /// The plugin id.
    pub name: &'static str,
    /// Its seeds.
    pub seeds: Vec<Seed>,
    /// Runs the adapter's request path on `body` and checks the output.
    pub call: fn(&Setup, &[u8]) -> Outcome,
}

/// The URL of every request (Twilio and Amazon Connect read it).
const URL: &str = "https://coach.example.com/v1/ingest/source";
/// Amazon Connect: a Contact Lens file's contact id comes from the URL.
const URL_CONTACT: &str = "https://coach.example.com/v1/ingest/connect?contact_id=c-from-url";
/// Twilio JSON bodies are signed through `bodySHA256` in the URL.
const URL_BODY_HASH: &str = "https://coach.example.com:443/v1/ingest/twilio?bodySHA256=";

/// The headers of a request for `body`, signed as `setup` says; and its URL.
pub fn headers_and_url(setup: &Setup, body: &[u8]) -> (Vec<(String, String)>, String) {
    let mut headers = Vec::new();
    if let Some(ct) = setup.content_type {
        headers.push(("content-type".to_string(), ct.to_string()));
    }
    let mut url = setup.url.to_string();
    match setup.signing {
        Signing::None => {}
        Signing::Sidecoach(secret) => headers.push((
            "x-sidecoach-signature".into(),
            format!(
                "sha256={}",
                hex_of(&hmac_sha256(secret.as_bytes(), &[body]))
            ),
        )),
        Signing::Twilio(token) => {
            let signature = if setup.url == URL_BODY_HASH {
                url.push_str(&sha256_hex(body));
                base64(&hmac_sha1(token.as_bytes(), &[url.as_bytes()]))
            } else {
                let mut params: Vec<(String, String)> =
                    form_urlencoded::parse(body).into_owned().collect();
                params.sort();
                let mut message: Vec<&[u8]> = vec![url.as_bytes()];
                for (k, v) in &params {
                    message.push(k.as_bytes());
                    message.push(v.as_bytes());
                }
                base64(&hmac_sha1(token.as_bytes(), &message))
            };
            headers.push(("x-twilio-signature".into(), signature));
        }
        Signing::Zendesk(secret) => {
            let timestamp = "2024-05-01T11:00:05Z";
            let signature = base64(&hmac_sha256(
                secret.as_bytes(),
                &[timestamp.as_bytes(), body],
            ));
            headers.push(("x-zendesk-webhook-signature".into(), signature));
            headers.push((
                "x-zendesk-webhook-signature-timestamp".into(),
                timestamp.into(),
            ));
        }
    }
    (headers, url)
}

/// Lower-case hex.
fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fixture without its `#` note lines (the `.form.txt`, `.csv`, `.jsonl`
/// files start with them).
fn strip_notes(text: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .as_bytes()
        .to_vec()
}

/// Option pairs.
fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The `[sources.NAME.options]` of an example source config.
fn example_options(toml_text: &str) -> Vec<(String, String)> {
    let doc: toml::Table = toml_text
        .parse()
        .expect("the example sources are valid TOML");
    let (_, source) = doc["sources"]
        .as_table()
        .and_then(|s| s.iter().next())
        .expect("one [sources.NAME]");
    source["options"]
        .as_table()
        .expect("an options table")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// A seed with a JSON body, no config, unsigned.
fn json_seed(body: &[u8], content_type: Option<&'static str>, url: &'static str) -> Seed {
    Seed {
        shape: Shape::Json,
        body: body.to_vec(),
        setup: Setup {
            content_type,
            url,
            config: Vec::new(),
            signing: Signing::None,
        },
    }
}

/// JSON lines from several fixtures (each compacted onto one line).
fn json_lines(bodies: &[&[u8]]) -> Vec<u8> {
    bodies
        .iter()
        .filter_map(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

/// One module per adapter: the call and the property walk over its types.
macro_rules! adapter {
    ($module:ident, $krate:ident, output: $output:ident, |$p:ident, $i:ident| $extra:block
     $(, segment: |$sp:ident, $s:ident| $segment:block)?) => {
        mod $module {
            use super::{Outcome, Setup, headers_and_url};
            use crate::check::Props;
            $crate::check_output!($krate::native::types, |$p, $i| $extra
                $(, segment: |$sp, $s| $segment)?);

            /// Calls the adapter and checks what it returned.
            pub(crate) fn call(setup: &Setup, body: &[u8]) -> Outcome {
                let (headers, url) = headers_and_url(setup, body);
                let request = wit::InboundRequest {
                    source: "fuzz".into(),
                    method: "POST".into(),
                    url,
                    headers,
                    body: body.to_vec(),
                    source_config: setup.config.clone(),
                };
                let mut props = Props::default();
                let result = $krate::native::ingest(&request);
                adapter!(@output $output, result, props, body)
            }
        }
    };
    (@output v2, $result:ident, $props:ident, $body:ident) => {
        match $result {
            Ok(out) => {
                check_events(&mut $props, &out.events);
                $props.rejected_indexes(
                    out.rejected.iter().map(|r| r.index),
                    $crate::check::record_bound($body),
                );
                for r in &out.rejected {
                    $props.message("rejected record", &r.error.message);
                }
                Outcome {
                    events: out.events.len(),
                    rejected: out.rejected.len(),
                    failed: false,
                    violations: $props.found,
                }
            }
            Err(e) => {
                $props.message("error", &e.message);
                Outcome {
                    failed: true,
                    violations: $props.found,
                    ..Outcome::default()
                }
            }
        }
    };
    (@output v1, $result:ident, $props:ident, $_body:ident) => {
        match $result {
            Ok(events) => {
                check_events(&mut $props, &events);
                Outcome {
                    events: events.len(),
                    violations: $props.found,
                    ..Outcome::default()
                }
            }
            Err(e) => {
                $props.message("error", &e.message);
                Outcome {
                    failed: true,
                    violations: $props.found,
                    ..Outcome::default()
                }
            }
        }
    };
}

/// The checks of API 0.2.0's interaction-only fields.
macro_rules! v2_adapter {
    ($module:ident, $krate:ident) => {
        adapter!($module, $krate, output: v2, |p, i| {
            p.duration("interaction.non-talk-ms", i.non_talk_ms);
            for id in &i.related_external_ids {
                p.id("interaction.related-external-ids[]", id);
            }
        });
    };
}

adapter!(json_adapter_target, json_adapter, output: v1, |p, i| {
    let _ = (p, i);
});
/// The checks of API 0.3.0: 0.2.0's, per-party and ring times, detected
/// items, and live segments.
macro_rules! v3_adapter {
    ($module:ident, $krate:ident) => {
        adapter!($module, $krate, output: v2, |p, i| {
            p.duration("interaction.non-talk-ms", i.non_talk_ms);
            for id in &i.related_external_ids {
                p.id("interaction.related-external-ids[]", id);
            }
            p.duration("interaction.agent-talk-ms", i.agent_talk_ms);
            p.duration("interaction.customer-talk-ms", i.customer_talk_ms);
            p.duration("interaction.alert-ms", i.alert_ms);
            p.duration("interaction.answer-ms", i.answer_ms);
            for item in i.issues.iter().chain(&i.outcomes).chain(&i.action_items) {
                p.id("interaction.issues/outcomes/action-items[]", item);
            }
        }, segment: |p, s| {
            p.id("segment.interaction-external-id", &s.interaction_external_id);
            p.opt_id("segment.segment-id", s.segment_id.as_deref());
            p.opt_id("segment.agent-vendor-id", s.agent_vendor_id.as_deref());
            p.duration("segment.begin-offset-ms", s.begin_offset_ms);
            p.duration("segment.end-offset-ms", s.end_offset_ms);
            for c in s.categories.iter().chain(&s.issues) {
                p.id("segment.categories/issues[]", c);
            }
        });
    };
}

v3_adapter!(amazon_connect_target, amazon_connect);
v3_adapter!(genesys_cloud_target, genesys_cloud);
v2_adapter!(nice_cxone_target, nice_cxone);
v2_adapter!(twilio_target, twilio);
v2_adapter!(zendesk_target, zendesk);
v2_adapter!(qualtrics_target, qualtrics);
v2_adapter!(mapping_target, mapping);

/// Sidecoach's own format: one of each event type (no vendor fixture exists).
const SIDECOACH_EVENTS: &[u8] = br#"[
 {"type":"agent","vendor_user_id":"u1","name":"Ada","email":"ada@example.com","team":"Billing","supervisor_vendor_id":"u9"},
 {"type":"interaction","external_id":"c-1","agent_vendor_id":"u1","channel":"voice","direction":"inbound",
  "started_at":1700000000000,"ended_at":1700000300000,"handle_ms":300000,"talk_ms":250000,"hold_ms":20000,
  "after_work_ms":30000,"queue":"billing","topics":["refund","late-fee"],
  "sentiment":{"customer":1.5,"agent":2,"customer_final_quarter":-3.5},"wrap_up":"resolved","updated_at":1700000400000},
 {"type":"evaluation","external_id":"e-1","form_id":"f-1","form_version":3,"interaction_external_id":"c-1",
  "agent_vendor_id":"u1","evaluator_vendor_id":"u9","evaluated_at":1700000500000,
  "answers":[{"criterion_id":"q1","value":3},{"criterion_id":"q2","value":"n/a","comment":"no hold"}],
  "vendor_score":{"percentage":80,"auto_failed":false,"critical_percentage":100}},
 {"type":"feedback","external_id":"r-1","kind":"csat","value":2,"scale_min":1,"scale_max":5,
  "interaction_external_id":"c-1","agent_vendor_id":"u1","topics":["billing"],"verbatim":"slow","received_at":1700000000000},
 {"type":"agent-state","agent_vendor_id":"u1","state":"available","at":1700000000000},
 {"type":"staffing","queue":"billing","starts_at":1700000000000,"length_minutes":30,"offered":100,"aht_seconds":180,"scheduled_agents":14}
]"#;

/// Every adapter with its seeds.
pub fn all() -> Vec<Target> {
    vec![
        json_adapter(),
        amazon_connect(),
        genesys_cloud(),
        nice_cxone(),
        twilio(),
        zendesk(),
        qualtrics(),
        mapping(),
    ]
}

fn json_adapter() -> Target {
    let mut signed = json_seed(SIDECOACH_EVENTS, Some("application/json"), URL);
    signed.setup.config = pairs(&[("hmac_secret", "fuzz-secret")]);
    signed.setup.signing = Signing::Sidecoach("fuzz-secret");
    let events: Vec<serde_json::Value> =
        serde_json::from_slice(SIDECOACH_EVENTS).expect("valid seed");
    let jsonl = events
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    Target {
        name: "json-adapter",
        seeds: vec![
            json_seed(SIDECOACH_EVENTS, Some("application/json"), URL),
            json_seed(jsonl.as_bytes(), None, URL),
            signed,
        ],
        call: json_adapter_target::call,
    }
}

fn amazon_connect() -> Target {
    let ctr = fixture!("amazon-connect_ctr.SYNTHETIC.json");
    let agent = fixture!("amazon-connect_agent-event-stream.json");
    let bare = fixture!("amazon-connect_contact-event-connected-to-agent.json");
    let bridge = fixture!("amazon-connect_contact-event-disconnected-eventbridge.json");
    let voice = fixture!("amazon-connect_contact-lens-voice-analysis.json");
    let chat = fixture!("amazon-connect_contact-lens-chat-analysis.json");
    let eval = fixture!("amazon-connect_evaluation-output.json");
    let json = Some("application/json");
    Target {
        name: "amazon-connect",
        seeds: vec![
            json_seed(ctr, json, URL),
            json_seed(agent, json, URL),
            json_seed(bare, None, URL),
            json_seed(bridge, json, URL),
            json_seed(voice, json, URL_CONTACT),
            json_seed(chat, json, URL_CONTACT),
            json_seed(eval, json, URL),
            json_seed(
                &json_lines(&[ctr, agent, bare, bridge, eval]),
                Some("application/x-ndjson"),
                URL,
            ),
        ],
        call: amazon_connect_target::call,
    }
}

fn genesys_cloud() -> Target {
    let detail = fixture!("genesys_eventbridge-detail-events-customer-end.json");
    let analytics = fixture!("genesys_analytics-conversation-detail-chat.json");
    let quality = fixture!("genesys_quality-evaluation-notification.SYNTHETIC.json");
    let json = Some("application/json");
    let page = format!(
        "{{\"conversations\":[{}]}}",
        String::from_utf8_lossy(analytics)
    );
    Target {
        name: "genesys-cloud",
        seeds: vec![
            json_seed(detail, json, URL),
            json_seed(analytics, None, URL),
            json_seed(quality, json, URL),
            json_seed(page.as_bytes(), json, URL),
            json_seed(
                &json_lines(&[detail, analytics, quality]),
                Some("application/x-ndjson"),
                URL,
            ),
        ],
        call: genesys_cloud_target::call,
    }
}

fn nice_cxone() -> Target {
    let page = fixture!("nice-cxone_contacts-completed.SYNTHETIC.json");
    let contacts: Vec<serde_json::Value> = serde_json::from_slice::<serde_json::Value>(page)
        .ok()
        .and_then(|v| v.get("contacts").and_then(|c| c.as_array()).cloned())
        .unwrap_or_default();
    let one = contacts.first().map(|c| c.to_string()).unwrap_or_default();
    let lines = contacts
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    Target {
        name: "nice-cxone",
        seeds: vec![
            json_seed(page, Some("application/json"), URL),
            json_seed(one.as_bytes(), None, URL),
            json_seed(lines.as_bytes(), Some("application/x-ndjson"), URL),
        ],
        call: nice_cxone_target::call,
    }
}

fn twilio() -> Target {
    const TOKEN: &str = "fuzz-auth-token";
    let form = strip_notes(fixture!(
        "twilio_taskrouter-event-callback.SYNTHETIC.form.txt"
    ));
    let as_json: serde_json::Map<String, serde_json::Value> = form_urlencoded::parse(&form)
        .into_owned()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let setup = |content_type, url| Setup {
        content_type: Some(content_type),
        url,
        config: pairs(&[("auth_token", TOKEN)]),
        signing: Signing::Twilio(TOKEN),
    };
    // The same callback as other event types.
    let worker = String::from_utf8_lossy(&form)
        .replace("EventType=task.created", "EventType=worker.activity.update")
        .into_bytes();
    let reservation = String::from_utf8_lossy(&form)
        .replace("EventType=task.created", "EventType=reservation.accepted")
        .into_bytes();
    Target {
        name: "twilio",
        seeds: vec![
            Seed {
                shape: Shape::Form,
                body: form.clone(),
                setup: setup("application/x-www-form-urlencoded", URL),
            },
            Seed {
                shape: Shape::Form,
                body: worker,
                setup: setup("application/x-www-form-urlencoded", URL),
            },
            Seed {
                shape: Shape::Form,
                body: reservation,
                setup: setup("application/x-www-form-urlencoded", URL),
            },
            Seed {
                shape: Shape::Json,
                body: serde_json::Value::Object(as_json).to_string().into_bytes(),
                setup: setup("application/json", URL_BODY_HASH),
            },
        ],
        call: twilio_target::call,
    }
}

fn zendesk() -> Target {
    const SECRET: &str = "fuzz-signing-secret";
    let rating = fixture!("zendesk_satisfaction-rating.SYNTHETIC.json");
    let setup = |config: &[(&str, &str)]| Setup {
        content_type: Some("application/json"),
        url: URL,
        config: pairs(config),
        signing: Signing::Zendesk(SECRET),
    };
    let inner = serde_json::from_slice::<serde_json::Value>(rating)
        .ok()
        .and_then(|v| v.get("satisfaction_rating").cloned())
        .unwrap_or_default();
    let list = serde_json::json!({ "satisfaction_ratings": [inner.clone(), inner] }).to_string();
    Target {
        name: "zendesk",
        seeds: vec![
            Seed {
                shape: Shape::Json,
                body: rating.to_vec(),
                setup: setup(&[("signing_secret", SECRET)]),
            },
            Seed {
                shape: Shape::Json,
                body: list.into_bytes(),
                setup: setup(&[
                    ("signing_secret", SECRET),
                    ("scale_min", "0"),
                    ("scale_max", "10"),
                    ("good_value", "9"),
                    ("bad_value", "2"),
                ]),
            },
        ],
        call: zendesk_target::call,
    }
}

fn qualtrics() -> Target {
    let export = fixture!("qualtrics_response-export.json");
    // The subscription as a relay forwards it with the answers added (the
    // bare fixture carries ids only and is refused as `unsupported`).
    let mut subscription = strip_notes(fixture!(
        "qualtrics_event-subscription-completedResponse.SYNTHETIC.form.txt"
    ));
    subscription
        .extend_from_slice(b"&QID1=4&QID3=9&QID4=2&QID2=Quick+and+kind&userId=u-1&segment=billing");
    let config = pairs(&[
        ("csat_question", "QID1"),
        ("nps_question", "QID3"),
        ("ces_question", "QID4"),
        ("comment_question", "QID2"),
        ("agent_key", "userId"),
        ("topic_key", "segment"),
    ]);
    let setup = |content_type| Setup {
        content_type,
        url: URL,
        config: config.clone(),
        signing: Signing::None,
    };
    Target {
        name: "qualtrics",
        seeds: vec![
            Seed {
                shape: Shape::Json,
                body: export.to_vec(),
                setup: setup(Some("application/json")),
            },
            Seed {
                shape: Shape::Form,
                body: subscription,
                setup: setup(Some("application/x-www-form-urlencoded")),
            },
        ],
        call: qualtrics_target::call,
    }
}

fn mapping() -> Target {
    let five9_form = strip_notes(fixture!("five9_web-connector.SYNTHETIC.form.txt"));
    let five9_csv = strip_notes(fixture!("five9_call-log.SYNTHETIC.csv"));
    let qa = strip_notes(fixture!("generic-qa_evaluations.SYNTHETIC.jsonl"));
    let seed = |shape, body: Vec<u8>, content_type, config| Seed {
        shape,
        body,
        setup: Setup {
            content_type,
            url: URL,
            config,
            signing: Signing::None,
        },
    };
    let feedback = br#"{"meta":{"page":1},"data":[
        {"surveyId":"s-1","type":"NPS","answer":{"score":9},"ticket":{"id":4411},"agent":"u-7",
         "comment":"  Quick and kind ","tags":["Billing","late fee"],"at":"2024-05-01T10:15:00Z"},
        {"surveyId":"s-2","type":"CSAT","answer":{"score":"2","min":1,"max":5},"at":1714558500000,"tags":"Refund|Billing"}]}"#;
    let staffing = b"Queue,Interval Start,Minutes,Forecast Calls,AHT,Agents\n\
        Billing,2024-05-01 08:00,30,120,4:30,14.5\n\
        Billing,2024-05-01 08:30,30,80,0:04:10,12\n";
    Target {
        name: "mapping",
        seeds: vec![
            seed(
                Shape::Form,
                five9_form,
                Some("application/x-www-form-urlencoded"),
                example_options(include_str!("../../../examples/sources/five9.toml")),
            ),
            seed(
                Shape::Csv,
                five9_csv,
                Some("text/csv"),
                example_options(include_str!("../../../examples/sources/five9-csv.toml")),
            ),
            seed(
                Shape::Json,
                qa,
                Some("application/x-ndjson"),
                example_options(include_str!("../../../examples/sources/qa-jsonl.toml")),
            ),
            seed(
                Shape::Json,
                feedback.to_vec(),
                Some("application/json"),
                pairs(&[
                    ("event", "feedback"),
                    ("records", "$.data[*]"),
                    ("map.external_id", "$.surveyId"),
                    ("map.kind", "type"),
                    ("map.value", "$.answer.score"),
                    ("map.scale_min", "$.answer.min"),
                    ("map.scale_max", "$.answer.max"),
                    ("map.interaction_external_id", "$['ticket']['id']"),
                    ("map.agent_vendor_id", "agent"),
                    ("map.verbatim", "$.comment"),
                    ("map.topics", "$.tags"),
                    ("map.received_at", "$.at"),
                ]),
            ),
            seed(
                Shape::Csv,
                staffing.to_vec(),
                Some("text/csv"),
                pairs(&[
                    ("event", "staffing"),
                    ("map.queue", "Queue"),
                    ("map.starts_at", "Interval Start"),
                    ("time_zone_offset", "+02:00"),
                    ("map.length_minutes", "Minutes"),
                    ("map.offered", "Forecast Calls"),
                    ("map.aht_seconds", "AHT"),
                    ("map.scheduled_agents", "Agents"),
                ]),
            ),
        ],
        call: mapping_target::call,
    }
}

/// Every seed parses without breaking a property (else the fixtures, the
/// setups or the properties are wrong, and fuzzing from them means little).
pub fn check_seeds(target: &Target) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, seed) in target.seeds.iter().enumerate() {
        let out = (target.call)(&seed.setup, &seed.body);
        if out.failed || out.events == 0 || !out.violations.is_empty() {
            problems.push(format!(
                "{} seed {i}: failed={} events={} violations={:?}",
                target.name, out.failed, out.events, out.violations
            ));
        }
    }
    problems
}
