//! The reference plugins, each exercised through the real host.

use serde_json::{Value, json};

use crate::util::Host;

/// Fails to compile if a reference plugin has no test function here.
macro_rules! assert_test_exists {
    ($name:ident) => {
        #[expect(unused_imports, reason = "the import only proves the test exists")]
        use self::$name as _;
    };
}
sidecoach_plugin_artifacts::foreach_reference_plugin!(assert_test_exists);

/// The vendor adapters, each through `POST /v1/ingest/{source}`.
macro_rules! adapter_tests {
    ($($name:ident => $body:path),+ $(,)?) => {
        $(#[tokio::test]
        async fn $name() {
            $body().await
        })+
    };
}
adapter_tests!(
    amazon_connect => crate::adapters::amazon_connect_impl,
    genesys_cloud => crate::adapters::genesys_cloud_impl,
    nice_cxone => crate::adapters::nice_cxone_impl,
    twilio => crate::adapters::twilio_impl,
    zendesk => crate::adapters::zendesk_impl,
    qualtrics => crate::adapters::qualtrics_impl,
    mapping => crate::adapters::mapping_impl,
);

#[tokio::test]
async fn json_adapter() {
    let host = Host::start();
    let api = host.admin();
    let body = json!({"events": [
        {"type": "interaction", "external_id": "c-1", "agent_vendor_id": "u-7", "channel": "voice",
         "direction": "inbound", "started_at": 1700000000000_i64, "handle_ms": 312000, "topics": ["billing"],
         "sentiment": {"customer_final_quarter": -3.0}},
        {"type": "feedback", "external_id": "r-1", "kind": "csat", "value": 2, "scale_min": 1, "scale_max": 5,
         "agent_vendor_id": "u-7", "topics": ["product-knowledge"], "verbatim": "did not know the plan"},
        {"type": "evaluation", "external_id": "e-1", "form_id": "f-1",
         "answers": [{"criterion_id": "greet", "value": 1}, {"criterion_id": "verify", "value": "n/a"}]}
    ]});
    let r = api
        .invoke("json-adapter", &json!({"body": body.to_string()}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let events = r.json["output"]["Ok"]["events"]
        .as_array()
        .expect("events")
        .clone();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["type"], "interaction");
    assert_eq!(events[0]["external_id"], "c-1");
    assert_eq!(events[0]["handle_ms"], 312000);
    assert_eq!(events[0]["sentiment"]["customer_final_quarter"], -3.0);
    assert_eq!(events[1]["kind"], "csat");
    assert_eq!(events[1]["topics"], json!(["product-knowledge"]));
    assert_eq!(events[2]["answers"][1]["value"], "n/a");
    assert!(
        r.json["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["level"] == "info"),
        "{}",
        r.text
    );

    // JSON lines work too.
    let lines = "{\"type\":\"agent\",\"vendor_user_id\":\"u-1\",\"name\":\"Ana\"}\n{\"type\":\"agent\",\"vendor_user_id\":\"u-2\"}\n";
    let r = api.invoke("json-adapter", &json!({"body": lines})).await;
    assert_eq!(
        r.json["output"]["Ok"]["events"].as_array().map(Vec::len),
        Some(2),
        "{}",
        r.text
    );

    // A bad field is named, as a plugin error (not a trap).
    let bad = json!([{"type": "interaction", "external_id": "c-2", "channel": "voice", "direction": "inbound", "started_at": "yesterday"}]);
    let r = api
        .invoke("json-adapter", &json!({"body": bad.to_string()}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["output"]["Err"]["code"], "invalid_input",
        "{}",
        r.text
    );
    assert!(
        r.json["output"]["Err"]["field"]
            .as_str()
            .unwrap_or("")
            .contains("started_at"),
        "{}",
        r.text
    );

    // With a secret configured, an unsigned request is refused.
    let r = api
        .invoke(
            "json-adapter",
            &json!({"body": "[]", "source_config": {"hmac_secret": "s3cret"}}),
        )
        .await;
    assert_eq!(
        r.json["output"]["Err"]["code"], "signature_invalid",
        "{}",
        r.text
    );
}

/// The Genesys Cloud example of reference-figures.md: (1·40 + 1·20) / (2·40 + 1·20) = 60%.
#[tokio::test]
async fn reference_scorer() {
    let host = Host::start();
    let q = |id: &str| json!({"id": id, "label": id, "weight": 1, "scale_min": 0, "scale_max": 1});
    let form = json!({
        "id": "genesys", "version": 1, "name": "Genesys example",
        "sections": [
            {"id": "g1", "name": "group 1", "weight": 40, "criteria": [q("q1"), q("q2")]},
            {"id": "g2", "name": "group 2", "weight": 20, "criteria": [q("q3")]}
        ],
        "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                     "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 80}
    });
    let eval = |id: &str, answers: Value| json!({"external_id": id, "form_id": "genesys", "answers": answers});
    let input = json!({"form": form, "evaluations": [
        eval("e-60", json!([{"criterion_id": "q1", "value": 1}, {"criterion_id": "q2", "value": 0}, {"criterion_id": "q3", "value": 1}])),
        eval("e-bad", json!([{"criterion_id": "q9", "value": 1}])),
        eval("e-range", json!([{"criterion_id": "q1", "value": 7}])),
    ]});
    let r = host.admin().invoke("reference-scorer", &input).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let out = r.json["output"].as_array().unwrap();
    assert_eq!(out.len(), 3);
    let card = &out[0]["Ok"];
    assert!(
        (card["score"].as_f64().unwrap() - 60.0).abs() < 1e-9,
        "{card}"
    );
    assert_eq!(card["outcome"], "fail");
    assert_eq!(card["evaluation_external_id"], "e-60");
    assert_eq!(out[1]["Err"]["code"], "invalid_input", "{}", out[1]);
    assert!(
        out[1]["Err"]["message"].as_str().unwrap().contains("q9"),
        "{}",
        out[1]
    );
    assert_eq!(out[2]["Err"]["code"], "invalid_input", "{}", out[2]);
    assert!(r.json["fuel_consumed"].as_u64().unwrap() > 0, "{}", r.text);
}

#[tokio::test]
async fn reference_matcher() {
    let host = Host::start();
    let input = json!({
        "proteges": [{"profile": {"agent_id": "p1", "style": "supportive", "utc_offset_minutes": 60, "channels": ["chat"]},
                      "needs": [{"topic": "product-knowledge", "weakness": 1.0}]}],
        "mentors": [
            {"profile": {"agent_id": "m1", "style": "supportive", "utc_offset_minutes": 60, "channels": ["chat", "voice"]},
             "strengths": ["product-knowledge"], "capacity": 2},
            {"profile": {"agent_id": "m2", "style": "direct", "utc_offset_minutes": 780, "channels": ["email"]},
             "strengths": ["billing"], "capacity": 2},
            {"profile": {"agent_id": "m3"}, "strengths": ["product-knowledge"], "capacity": 0}
        ]
    });
    let r = host.admin().invoke("reference-matcher", &input).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let pairs = r.json["output"]["Ok"].as_array().expect("pairs").clone();
    let score = |m: u64| {
        pairs
            .iter()
            .find(|p| p["mentor_index"] == m)
            .map(|p| p["score"].as_f64().unwrap())
    };
    assert!((score(0).unwrap() - 1.0).abs() < 1e-9, "{pairs:?}");
    assert!(score(1).unwrap().abs() < 1e-9, "{pairs:?}");
    assert_eq!(score(2), None, "a mentor with no capacity is not ranked");
    let reasons = pairs.iter().find(|p| p["mentor_index"] == 0).unwrap()["reasons"].to_string();
    assert!(reasons.contains("product-knowledge"), "{reasons}");
}

#[tokio::test]
async fn reference_flagger() {
    let host = Host::start();
    let events = json!([
        {"type": "feedback", "external_id": "f1", "kind": "csat", "value": 1, "scale_min": 1, "scale_max": 5, "topics": ["product-knowledge"]},
        {"type": "feedback", "external_id": "f2", "kind": "csat", "value": 5, "scale_min": 1, "scale_max": 5},
        {"type": "interaction", "external_id": "c1", "channel": "voice", "direction": "inbound", "sentiment": {"customer_final_quarter": -3}},
        {"type": "evaluation", "external_id": "e1", "form_id": "f", "vendor_score": {"auto_failed": true}}
    ]);
    let r = host
        .admin()
        .invoke("reference-flagger", &json!({"events": events}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let flags = r.json["output"]["Ok"].as_array().expect("flags").clone();
    let rule = |i: u64| {
        flags
            .iter()
            .find(|f| f["event_index"] == i)
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
    };
    assert_eq!(rule(0).as_deref(), Some("low-csat"), "{flags:?}");
    assert_eq!(rule(1), None, "a CSAT of 5 is not flagged");
    assert_eq!(rule(2).as_deref(), Some("sentiment-drop"));
    assert_eq!(rule(3).as_deref(), Some("fatal-failed"));
    let low = flags.iter().find(|f| f["event_index"] == 0).unwrap();
    assert_eq!(low["topic"], "product-knowledge");
    assert_eq!(low["severity"], "warning");
}
