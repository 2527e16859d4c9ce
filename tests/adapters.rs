//! The vendor adapter plugins through the real host's `POST /v1/ingest/{source}`
//! with the published fixtures (tests/data/vendors), the demo sources
//! (examples/demo.toml) and hand-made bad cases: what is stored, what is
//! refused, what becomes a dead letter, and what a replay does.

use serde_json::{Value, json};

use sidecoach::demo::{CONFIG, form_body, strip_comments};

use crate::util::{Client, Host, Reply};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("data/vendors/", $name)).as_slice()
    };
}

async fn ingest(api: &Client, source: &str, ct: &str, body: &[u8]) -> Reply {
    api.post_raw(&format!("/v1/ingest/{source}"), ct, &[], body)
        .await
}

/// Every stored interaction (the test hosts hold a few).
async fn interactions(api: &Client) -> Vec<Value> {
    let r = api.get("/v1/interactions?limit=1000").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().unwrap().clone()
}

async fn interaction(api: &Client, source: &str, external_id: &str) -> Value {
    interactions(api)
        .await
        .into_iter()
        .find(|i| i["source"] == source && i["external_id"] == external_id)
        .unwrap_or_else(|| panic!("no interaction {source}/{external_id}"))
}

async fn agent_for(api: &Client, identity: &str) -> Value {
    let r = api
        .get(&format!("/v1/identities?identity={identity}"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let id = r.json["items"][0]["agent_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no agent for {identity}: {}", r.text))
        .to_string();
    api.get(&format!("/v1/agents/{id}")).await.json
}

async fn dead_letters(api: &Client, source: &str) -> Vec<Value> {
    let r = api.get(&format!("/v1/dead-letters?source={source}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().unwrap().clone()
}

pub(crate) async fn amazon_connect_impl() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();

    // A CTR: the contact and its agent (ARN's last segment).
    let r = ingest(
        &api,
        "connect",
        "application/json",
        fixture!("amazon-connect_ctr.SYNTHETIC.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["adapter"], "amazon-connect");
    assert_eq!(r.json["rejected"], 0, "{}", r.text);
    assert_eq!(r.json["agents_created"], 1, "{}", r.text);
    let contact = "badd4896-75f7-43b3-bee6-c617ed3d04cb";
    let i = interaction(&api, "connect", contact).await;
    assert_eq!(i["channel"], "voice");
    assert_eq!(i["direction"], "inbound");
    assert_eq!(i["handle_ms"], 300_000);
    assert_eq!(i["hold_ms"], 45_000);
    assert_eq!(i["after_work_ms"], 30_000);
    assert_eq!(i["queue"], "Billing");
    assert_eq!(i["started_at"], 1_714_557_600_000_i64);
    let agent = agent_for(&api, "amazon-connect:22222222-3333-4444-5555-666666666666").await;
    assert_eq!(i["agent_id"], agent["id"]);
    assert_eq!(agent["name"], "agent.a");

    // The same CTR again: stored once.
    let r = ingest(
        &api,
        "connect",
        "application/json",
        fixture!("amazon-connect_ctr.SYNTHETIC.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["accepted"], 0, "{}", r.text);
    assert!(r.json["duplicates"].as_u64().unwrap() >= 1, "{}", r.text);
    assert_eq!(
        interactions(&api)
            .await
            .iter()
            .filter(|i| i["external_id"] == contact)
            .count(),
        1
    );

    // A Contact Lens analysis of the same contact adds topics and talk
    // time and keeps what the CTR said.
    let mut lens: Value =
        serde_json::from_slice(fixture!("amazon-connect_contact-lens-chat-analysis.json")).unwrap();
    lens["CustomerMetadata"]["ContactId"] = json!(contact);
    let r = ingest(
        &api,
        "connect",
        "application/json",
        &serde_json::to_vec(&lens).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.json["accepted"].as_u64(), r.json["rejected"].as_u64()),
        (Some(1), Some(0)),
        "{}",
        r.text
    );
    let i = interaction(&api, "connect", contact).await;
    assert_eq!(i["topics"], json!(["agent-intro"]), "{i}");
    assert_eq!(i["handle_ms"], 300_000, "{i}");
    assert_eq!(i["queue"], "Billing");
    assert!(i["sentiment"]["customer"].is_number(), "{i}");

    // The evaluation export names a form this host does not have yet: the
    // payload is kept as a dead letter; once the form exists, a replay
    // stores it and resolves the dead letter.
    let r = ingest(
        &api,
        "connect",
        "application/json",
        fixture!("amazon-connect_evaluation-output.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["rejected"], 1, "{}", r.text);
    assert_eq!(r.json["errors"][0]["code"], "record_invalid", "{}", r.text);
    assert!(
        r.json["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown form"),
        "{}",
        r.text
    );
    let dead = r.json["dead_letter"].as_str().unwrap().to_string();
    let d = api.get(&format!("/v1/dead-letters/{dead}")).await;
    assert_eq!(d.json["state"], "open");
    assert_eq!(d.json["adapter"], "amazon-connect");
    assert_eq!(d.json["adapter_version"], "0.1.0");
    assert!(d.json["body_base64"].as_str().unwrap().len() > 100);
    let form = json!({"id": "15d8fbf1-b4b2-4ace-869b-82714e2f6e3e", "version": 2, "name": "Compliance Evaluation Form",
        "sections": [{"id": "s46661c49", "name": "The title of the subsection", "weight": 1, "criteria": [
            {"id": "q570b206a", "label": "How do you rate the contact between 1 and 10?", "weight": 1, "scale_min": 1, "scale_max": 10},
            {"id": "q73bc5b9d", "label": "Did the agent introduce themselves?", "weight": 1, "scale_min": 0, "scale_max": 100}]}],
        "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                     "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 80}});
    let r = api.post("/v1/forms", &form).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api
        .post(&format!("/v1/dead-letters/{dead}/replay"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "resolved", "{}", r.text);
    let evals = api.get("/v1/evaluations").await.json["items"].clone();
    let e = &evals[0];
    assert_eq!(e["external_id"], "fb90de35-4507-479a-8b57-970290fd5c2c");
    assert_eq!(e["vendor_score"]["percentage"], 100.0);
    // The evaluation names the contact the CTR stored.
    assert_eq!(
        e["interaction_id"],
        interaction(&api, "connect", contact).await["id"]
    );
    assert_eq!(
        api.get(&format!("/v1/dead-letters/{dead}")).await.json["replays"],
        1
    );

    // Bad input: truncated JSON and a wrong content type are refused with a
    // clear error, and the payload is kept.
    let before = dead_letters(&api, "connect").await.len();
    let r = ingest(
        &api,
        "connect",
        "application/json",
        b"{\"ContactId\": \"x\",",
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "adapter_rejected");
    assert!(r.json["error"]["details"]["dead_letter"].is_string());
    let r = ingest(&api, "connect", "text/plain", b"hello").await;
    assert_eq!(r.status, 415, "{}", r.text);
    assert_eq!(r.code(), "unsupported_media_type");
    let r = ingest(
        &api,
        "connect",
        "application/json",
        b"{\"what\": \"is this\"}",
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "unsupported_payload");
    assert_eq!(dead_letters(&api, "connect").await.len(), before + 3);
    // The vendor retrying the same junk is one dead letter, delivered twice.
    let r = ingest(&api, "connect", "text/plain", b"hello").await;
    assert_eq!(r.status, 415);
    assert_eq!(dead_letters(&api, "connect").await.len(), before + 3);

    // Unsigned source without a token: 401, nothing kept.
    let anon = host.client(None);
    let r = ingest(
        &anon,
        "connect",
        "application/json",
        fixture!("amazon-connect_ctr.SYNTHETIC.json"),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = ingest(&api, "nowhere", "application/json", b"{}").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "source_not_found");
}

pub(crate) async fn genesys_cloud_impl() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let r = ingest(
        &api,
        "genesys",
        "application/json",
        fixture!("genesys_analytics-conversation-detail-chat.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["adapter"], "genesys-cloud");
    assert!(r.json["accepted"].as_u64().unwrap() >= 1, "{}", r.text);
    let all = interactions(&api).await;
    let i = all
        .iter()
        .find(|i| i["source"] == "genesys")
        .expect("a conversation");
    assert_eq!(i["channel"], "chat", "{i}");
    assert!(i["agent_id"].is_string(), "{i}");
    assert!(
        i["started_at"].is_number() && i["ended_at"].is_number(),
        "{i}"
    );
    let r = ingest(
        &api,
        "genesys",
        "application/json",
        fixture!("genesys_eventbridge-detail-events-customer-end.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["rejected"], 0, "{}", r.text);
    // Redelivery stores nothing twice.
    let again = ingest(
        &api,
        "genesys",
        "application/json",
        fixture!("genesys_eventbridge-detail-events-customer-end.json"),
    )
    .await;
    assert_eq!(again.json["accepted"], 0, "{}", again.text);
    let r = ingest(
        &api,
        "genesys",
        "application/json",
        br#"{"detail-type":"v2.detail.events.conversation.x.flow.end","detail":{}}"#,
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "unsupported_payload");
}

pub(crate) async fn nice_cxone_impl() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let r = ingest(
        &api,
        "nice",
        "application/json",
        fixture!("nice-cxone_contacts-completed.SYNTHETIC.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["rejected"], 0, "{}", r.text);
    let i = interaction(&api, "nice", "987654321001").await;
    assert_eq!(i["handle_ms"], 300_000, "{i}");
    assert_eq!(i["after_work_ms"], 30_000, "{i}");
    assert_eq!(
        agent_for(&api, "nice-cxone:1234567").await["id"],
        i["agent_id"]
    );
}

pub(crate) async fn twilio_impl() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let anon = host.client(None);
    let url = format!("{}/v1/ingest/twilio", host.url);
    let body = form_body(fixture!(
        "twilio_taskrouter-event-callback.SYNTHETIC.form.txt"
    ));
    let sig = sidecoach::demo::twilio_signature("demo-twilio-auth-token", &url, &body);
    let ct = "application/x-www-form-urlencoded";

    // Signed source: no token, the signature is the credential.
    let r = anon
        .post_raw(
            "/v1/ingest/twilio",
            ct,
            &[("x-twilio-signature", &sig)],
            &body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["adapter"], "twilio");
    let stored = interactions(&api).await;
    let i = stored
        .iter()
        .find(|i| i["source"] == "twilio")
        .expect("the task");
    assert_eq!(i["channel"], "voice", "{i}");
    assert!(i["agent_id"].is_string(), "{i}");
    assert!(
        agent_for(&api, "twilio:WK00000000000000000000000000000001").await["id"] == i["agent_id"]
    );

    // A tampered signature (or body) is 401 and leaves no dead letter.
    let before = dead_letters(&api, "twilio").await.len();
    let mut bad = sig.clone();
    bad.replace_range(0..1, if bad.starts_with('A') { "B" } else { "A" });
    let r = anon
        .post_raw(
            "/v1/ingest/twilio",
            ct,
            &[("x-twilio-signature", &bad)],
            &body,
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b"&Extra=1");
    let r = anon
        .post_raw(
            "/v1/ingest/twilio",
            ct,
            &[("x-twilio-signature", &sig)],
            &tampered,
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = anon.post_raw("/v1/ingest/twilio", ct, &[], &body).await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(dead_letters(&api, "twilio").await.len(), before);
    // Counted for operators.
    let metrics = api.get("/metrics").await.text;
    assert!(
        metrics.contains("sidecoach_ingest_unauthenticated_total{source=\"twilio\"} 3"),
        "{metrics}"
    );
}

pub(crate) async fn zendesk_impl() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let anon = host.client(None);
    let body = fixture!("zendesk_satisfaction-rating.SYNTHETIC.json");
    let ts = "2024-05-01T11:00:05Z";
    let sig = sidecoach::demo::zendesk_signature("demo-zendesk-signing-secret", ts, body);
    let headers = [
        ("x-zendesk-webhook-signature", sig.as_str()),
        ("x-zendesk-webhook-signature-timestamp", ts),
    ];
    let r = anon
        .post_raw("/v1/ingest/zendesk", "application/json", &headers, body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let f = api.get("/v1/feedback").await.json["items"][0].clone();
    assert_eq!(f["source"], "zendesk");
    assert_eq!(f["external_id"], "35436");
    assert_eq!(f["kind"], "csat");
    assert_eq!(f["value"], 1.0, "bad → bad_value 1: {f}");
    assert_eq!(
        (f["scale_min"].as_f64(), f["scale_max"].as_f64()),
        (Some(1.0), Some(5.0))
    );
    assert_eq!(f["verbatim"], "Took three transfers to get my refund.");
    assert_eq!(f["interaction_ref"], "208", "ticket 208 is not stored: {f}");
    assert_eq!(
        agent_for(&api, "zendesk:135").await["id"],
        f["agent_id"],
        "assignee 135"
    );

    let before = dead_letters(&api, "zendesk").await.len();
    let bad_headers = [
        ("x-zendesk-webhook-signature", sig.as_str()),
        (
            "x-zendesk-webhook-signature-timestamp",
            "2024-05-01T11:00:06Z",
        ),
    ];
    let r = anon
        .post_raw("/v1/ingest/zendesk", "application/json", &bad_headers, body)
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(dead_letters(&api, "zendesk").await.len(), before);
}

pub(crate) async fn qualtrics_impl() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let r = ingest(
        &api,
        "qualtrics",
        "application/json",
        fixture!("qualtrics_response-export.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["rejected"], 0, "{}", r.text);
    assert!(r.json["accepted"].as_u64().unwrap() >= 1, "{}", r.text);
    let f = api.get("/v1/feedback").await.json["items"][0].clone();
    assert_eq!(f["source"], "qualtrics");
    assert_eq!(f["kind"], "csat");
    assert!(
        f["external_id"]
            .as_str()
            .unwrap()
            .starts_with("R_abc123xyz"),
        "{f}"
    );
    assert_eq!(f["verbatim"], "Great service!", "{f}");

    // Survey feedback naming a stored contact and its agent links to both.
    let connect = ingest(
        &api,
        "connect",
        "application/json",
        fixture!("amazon-connect_ctr.SYNTHETIC.json"),
    )
    .await;
    assert_eq!(connect.status, 200, "{}", connect.text);
    let survey = json!({"responses": [{"responseId": "R_linked", "values": {"QID1": {"choiceId": "2", "choiceText": "2"},
        "QID2": {"textEntry": "Slow."}}, "embeddedData": {"agentId": "22222222-3333-4444-5555-666666666666",
        "interactionId": "badd4896-75f7-43b3-bee6-c617ed3d04cb"}, "endDate": "2024-05-01T11:00:00Z"}]});
    let r = ingest(
        &api,
        "qualtrics",
        "application/json",
        &serde_json::to_vec(&survey).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["accepted"], 1, "{}", r.text);
    let contact = interaction(&api, "connect", "badd4896-75f7-43b3-bee6-c617ed3d04cb").await;
    let linked = api
        .get(&format!(
            "/v1/feedback?interaction={}",
            contact["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        linked.json["items"][0]["agent_id"], contact["agent_id"],
        "{}",
        linked.text
    );
}

pub(crate) async fn mapping_impl() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let body = form_body(fixture!("five9_web-connector.SYNTHETIC.form.txt"));
    let r = ingest(&api, "five9", "application/x-www-form-urlencoded", &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["adapter"], "mapping");
    let i = interaction(&api, "five9", "300000000000001").await;
    assert_eq!(i["handle_ms"], 325_000, "{i}");
    assert_eq!(i["queue"], "Billing Inbound", "{i}");
    assert_eq!(i["topics"], json!(["billing", "late-fee"]), "{i}");
    let f = api.get("/v1/feedback").await.json["items"][0].clone();
    assert_eq!(f["value"], 4.0, "{f}");
    assert_eq!(f["interaction_id"], i["id"], "{f}");
    assert_eq!(
        agent_for(&api, "mapping:alice@example.com").await["id"],
        i["agent_id"]
    );

    // The call-log CSV has one bad row: the rest is stored, the file is
    // kept as a dead letter naming the row, and a replay does not store
    // anything twice.
    let r = ingest(
        &api,
        "five9-call-log",
        "text/csv",
        &strip_comments(fixture!("five9_call-log.SYNTHETIC.csv")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["rejected"], 1, "{}", r.text);
    assert_eq!(r.json["errors"][0]["index"], 3, "{}", r.text);
    let accepted = r.json["accepted"].as_u64().unwrap();
    assert!(accepted >= 4, "{}", r.text);
    let dead = r.json["dead_letter"].as_str().unwrap().to_string();
    let r = api
        .post("/v1/sources/five9-call-log/replay", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["replayed"], 1, "{}", r.text);
    assert_eq!(r.json["still_open"], 1, "{}", r.text);
    assert_eq!(r.json["results"][0]["dead_letter"], dead);
    assert_eq!(r.json["results"][0]["report"]["accepted"], 0, "{}", r.text);
}

/// The Contact Lens real-time session fixture, one record a line (its `#`
/// note dropped).
fn realtime_line(n: usize) -> &'static str {
    std::str::from_utf8(fixture!(
        "amazon-connect_contact-lens-realtime-voice.SYNTHETIC.jsonl"
    ))
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with('#'))
    .nth(n)
    .expect("the fixture has the line")
}

/// A live rule: the customer sounding negative, coach within the hour.
const LIVE_RULE: &str = r#"
[[flags.rules]]
id = "customer-upset-live"
on = "live"
role = "customer"
sentiment = "negative"
severity = "critical"
coach_within_hours = 1
"#;

#[tokio::test]
async fn a_contact_lens_real_time_segment_raises_a_live_alert_before_the_delivery_is_answered() {
    let host = Host::with_config(&format!("{CONFIG}\n{LIVE_RULE}"));
    let api = host.admin();
    // The contact is known from its CONNECTED_TO_AGENT contact event.
    let r = ingest(
        &api,
        "connect",
        "application/json",
        fixture!("amazon-connect_contact-event-connected-to-agent.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let contact = "11111111-1111-1111-1111-111111111111";
    let stored = interaction(&api, "connect", contact).await;
    let agent = agent_for(&api, "amazon-connect:12345678-1234-1234-1234-123456789012").await;
    assert_eq!(stored["agent_id"], agent["id"]);
    let mut live = api.stream("/v1/stream?kinds=alert").await;
    // Subscribed once the stream says so.
    live.until("ready", std::time::Duration::from_secs(30))
        .await;

    // The agent's greeting: neutral, nothing to coach.
    let r = ingest(
        &api,
        "connect",
        "application/json",
        realtime_line(1).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["segments"], 2, "{}", r.text);
    assert!(r.json.get("alerts").is_none(), "{}", r.text);

    // The customer, upset: the alert is raised inside this request.
    let r = ingest(
        &api,
        "connect",
        "application/json",
        realtime_line(2).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["segments"], 2, "{}", r.text);
    assert_eq!(r.json["ignored"], 0, "{}", r.text);
    let raised = r.json["alerts"].as_array().expect("an alert").clone();
    assert_eq!(raised.len(), 1, "{}", r.text);
    // Readable the moment the POST returns.
    let a = api
        .get(&format!("/v1/alerts/{}", raised[0].as_str().unwrap()))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["rule_id"], "customer-upset-live");
    assert_eq!(a.json["severity"], "critical");
    assert_eq!(a.json["agent_id"], agent["id"]);
    assert_eq!(a.json["interaction_id"], stored["id"]);
    let reason = a.json["reason"].as_str().unwrap();
    assert!(
        reason.contains("customer at 0:26") && reason.contains("charged twice"),
        "{reason}"
    );
    // And already published on the live stream.
    let pushed = live
        .until("alert", std::time::Duration::from_secs(30))
        .await;
    assert_eq!(pushed["record"]["id"], a.json["id"]);

    // Kinesis redelivers the record, then the whole session arrives again
    // as JSON lines: nothing new is raised, and no segment is stored.
    let r = ingest(
        &api,
        "connect",
        "application/json",
        realtime_line(3).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("alerts").is_none(), "{}", r.text);
    let session: String = (0..5).map(|n| format!("{}\n", realtime_line(n))).collect();
    let r = ingest(&api, "connect", "application/x-ndjson", session.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["rejected"], 0, "{}", r.text);
    assert_eq!(r.json["segments"], 6, "{}", r.text);
    assert!(r.json.get("alerts").is_none(), "{}", r.text);
    let alerts = api.get("/v1/alerts?limit=100").await;
    let live_alerts = alerts.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["rule_id"] == "customer-upset-live")
        .count();
    assert_eq!(live_alerts, 1);
    assert_eq!(
        interactions(&api)
            .await
            .iter()
            .filter(|i| i["external_id"] == contact)
            .count(),
        1,
        "segments are not stored as interactions"
    );

    // A segment of a contact the host has never seen reaches nobody: it is
    // counted as ignored, not refused.
    let other = realtime_line(2).replace(contact, "99999999-0000-0000-0000-000000000000");
    let r = ingest(&api, "connect", "application/json", other.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["ignored"], 2, "{}", r.text);
    assert!(r.json.get("alerts").is_none(), "{}", r.text);
}

#[tokio::test]
async fn vendor_analysis_fields_are_stored_per_party_and_returned_by_the_api() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    // Contact Lens post-call voice file, delivered with its S3 object key
    // as the S3 → Lambda forwarder knows it: linked to its contact.
    let contact = "11111111-1111-1111-1111-111111111111";
    let r = ingest(
        &api,
        "connect",
        "application/json",
        fixture!("amazon-connect_contact-event-connected-to-agent.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let key = format!(
        "connect%2Fexample%2FAnalysis%2FVoice%2F2021%2F08%2F04%2F{contact}_analysis_2021-08-04T17%3A40%3A00Z.json"
    );
    let r = api
        .post_raw(
            &format!("/v1/ingest/connect?object_key={key}"),
            "application/json",
            &[],
            fixture!("amazon-connect_contact-lens-voice-analysis.json"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["accepted"], 1, "{}", r.text);
    let i = interaction(&api, "connect", contact).await;
    assert!(
        i["agent_id"].is_string(),
        "the contact event's agent is kept: {i}"
    );
    assert_eq!(i["talk_ms"], 28_698, "both parties: {i}");
    assert_eq!(i["agent_talk_ms"], 15_079, "{i}");
    assert_eq!(i["customer_talk_ms"], 13_619, "{i}");
    assert_eq!(
        i["issues"],
        json!(["I need to cancel. I want to cancel my plan subscription"])
    );
    assert_eq!(
        i["outcomes"],
        json!(["I made all the changes to the account and now these discounts applied"])
    );
    assert_eq!(i["action_items"].as_array().map(Vec::len), Some(1), "{i}");
    let one = api
        .get(&format!("/v1/interactions/{}", i["id"].as_str().unwrap()))
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json["agent_talk_ms"], 15_079);

    // Genesys: tTalk is the agent's own time (agent_talk_ms, not talk_ms);
    // tAlert and tAnswered are kept.
    let r = ingest(
        &api,
        "genesys",
        "application/json",
        fixture!("genesys_analytics-conversation-detail-chat.json"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let g = interaction(&api, "genesys", "1bc96a39-6725-40c4-9345-db72aa67b8c6").await;
    assert_eq!(g["agent_talk_ms"], 374_561, "{g}");
    assert!(g.get("talk_ms").is_none(), "{g}");
    assert_eq!(g["alert_ms"], 11_050, "{g}");
    assert_eq!(g["answer_ms"], 11_179, "{g}");
}
