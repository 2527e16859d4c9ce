//! Integrity under real vendor traffic and misbehaving plugins, through
//! the real host: every dead letter is the whole request it was and
//! replays itself (with an operator's correction when one is needed), a
//! late older snapshot never takes a contact's newer values back, and one
//! failure has one code in the answer, its details and the dead letter.

use serde_json::{Value, json};

use sidecoach::demo::CONFIG;
use sidecoach_plugin_artifacts::hostile;

use crate::util::{Client, Host, Reply};

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("data/vendors/", $name)).as_slice()
    };
}

async fn deliver(api: &Client, path: &str, ct: &str, body: &[u8]) -> Reply {
    api.post_raw(path, ct, &[], body).await
}

async fn dead_letter(api: &Client, id: &str) -> Value {
    let r = api.get(&format!("/v1/dead-letters/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

fn dead_letter_of(r: &Reply) -> String {
    r.json["error"]["details"]["dead_letter"]
        .as_str()
        .or_else(|| r.json["dead_letter"].as_str())
        .unwrap_or_else(|| panic!("no dead letter in {}", r.text))
        .to_string()
}

#[tokio::test]
async fn the_same_body_sent_as_two_requests_is_two_dead_letters_each_replaying_itself() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let lens = fixture!("amazon-connect_contact-lens-voice-analysis.json");
    // The same file, once with the wrong content type, once as JSON but
    // without the contact id its S3 object key carried.
    let as_text = deliver(&api, "/v1/ingest/connect", "text/plain", lens).await;
    assert_eq!(as_text.status, 415, "{}", as_text.text);
    let no_contact = deliver(&api, "/v1/ingest/connect", "application/json", lens).await;
    assert_eq!(no_contact.status, 422, "{}", no_contact.text);
    let (a, b) = (dead_letter_of(&as_text), dead_letter_of(&no_contact));
    assert_ne!(a, b, "two requests, two dead letters");
    let (da, db) = (dead_letter(&api, &a).await, dead_letter(&api, &b).await);
    assert_eq!(da["reasons"][0]["code"], "unsupported_media_type", "{da}");
    assert_eq!(db["reasons"][0]["code"], as_code(&no_contact), "{db}");
    assert!(
        db["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("contact_id"),
        "{db}"
    );
    // Each is its own request: the first still holds its own headers.
    let ct = |d: &Value| {
        d["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "content-type")
            .map(|h| h[1].clone())
    };
    assert_eq!(ct(&da), Some(json!("text/plain")));
    assert_eq!(ct(&db), Some(json!("application/json")));
    // The exact same request again is another delivery of its own letter.
    let again = deliver(&api, "/v1/ingest/connect", "application/json", lens).await;
    assert_eq!(dead_letter_of(&again), b);
    assert_eq!(dead_letter(&api, &b).await["deliveries"], 2);

    // Replaying without a correction runs each request as it was.
    let r = api
        .post(&format!("/v1/dead-letters/{a}/replay"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "open");
    assert_eq!(
        dead_letter(&api, &a).await["reasons"][0]["code"],
        "unsupported_media_type"
    );
    // With the operator's correction (the contact id from the object key)
    // the file is stored and the dead letter resolved; the correction is
    // kept and audited.
    let contact = "0e3b5a1c-5c4d-4a7e-9f0b-1f2e3d4c5b6a";
    let r = api
        .post(
            &format!("/v1/dead-letters/{b}/replay"),
            &json!({"query": {"contact_id": contact}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "resolved", "{}", r.text);
    assert_eq!(r.json["report"]["accepted"], 1, "{}", r.text);
    let db = dead_letter(&api, &b).await;
    assert_eq!(db["correction"]["query"]["contact_id"], contact);
    let stored = api.get("/v1/interactions?limit=100").await.json;
    assert!(
        stored["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["external_id"] == contact),
        "{stored}"
    );
    let audit = api.get("/v1/audit").await.json;
    assert!(
        audit["items"].as_array().unwrap().iter().any(|e| {
            e["action"] == "dead_letter.replay"
                && e["target"] == b.as_str()
                && e["detail"].as_str().unwrap_or("").contains(contact)
        }),
        "{audit}"
    );
    // A correction cannot smuggle a credential into a dead letter.
    let r = api
        .post(
            &format!("/v1/dead-letters/{a}/replay"),
            &json!({"headers": {"Authorization": "Bearer x"}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(dead_letter(&api, &a).await.get("correction").is_none());
}

fn as_code(r: &Reply) -> String {
    r.code().to_string()
}

#[tokio::test]
async fn a_refusal_has_one_code_in_the_answer_its_details_and_the_dead_letter() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let cases: [(&str, &[u8], u16, &str); 3] = [
        (
            "application/json",
            br#"{"what": "is this"}"#,
            422,
            "unsupported_payload",
        ),
        (
            "application/json",
            br#"{"ContactId": "x","#,
            422,
            "adapter_rejected",
        ),
        ("text/plain", b"hello", 415, "unsupported_media_type"),
    ];
    for (ct, body, status, code) in cases {
        let r = deliver(&api, "/v1/ingest/connect", ct, body).await;
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.code(), code, "{}", r.text);
        assert_eq!(
            r.json["error"]["details"]["errors"][0]["code"], code,
            "{}",
            r.text
        );
        let d = dead_letter(&api, &dead_letter_of(&r)).await;
        assert_eq!(d["reasons"][0]["code"], code, "{d}");
    }
    // An adapter that cannot run: the runtime's code, everywhere.
    let r = api
        .post("/v1/plugins/amazon-connect/disable", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = deliver(
        &api,
        "/v1/ingest/connect",
        "application/json",
        fixture!("amazon-connect_ctr.SYNTHETIC.json"),
    )
    .await;
    assert_eq!(r.code(), "plugin_disabled", "{}", r.text);
    assert_eq!(
        r.json["error"]["details"]["errors"][0]["code"], "plugin_disabled",
        "{}",
        r.text
    );
    let d = dead_letter(&api, &dead_letter_of(&r)).await;
    assert_eq!(d["reasons"][0]["code"], "plugin_disabled", "{d}");
}

#[tokio::test]
async fn a_live_snapshot_delivered_after_the_final_one_never_takes_its_values_back() {
    let host = Host::with_config(CONFIG);
    let api = host.admin();
    let done = fixture!("genesys_analytics-conversation-detail-chat.json");
    // The same conversation while it was live: no conversationEnd yet and
    // less talk time so far.
    let mut live: Value = serde_json::from_slice(done).unwrap();
    live.as_object_mut().unwrap().remove("conversationEnd");
    for p in live["participants"].as_array_mut().unwrap() {
        for s in p["sessions"].as_array_mut().into_iter().flatten() {
            for m in s["metrics"].as_array_mut().into_iter().flatten() {
                if ["tTalk", "tTalkComplete", "tHandle"].contains(&m["name"].as_str().unwrap_or(""))
                {
                    m["value"] = json!(1000);
                }
            }
        }
    }
    let live = serde_json::to_vec(&live).unwrap();
    let id = "genesys";
    let conversation = |api: &Client| {
        let api = api.clone();
        async move {
            let all = api.get("/v1/interactions?limit=100").await.json;
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["source"] == id)
                .cloned()
                .expect("the conversation")
        }
    };
    let r = deliver(&api, "/v1/ingest/genesys", "application/json", done).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let final_one = conversation(&api).await;
    assert!(final_one["ended_at"].is_number(), "{final_one}");
    // Genesys reports the agent's own talk time (tTalk).
    assert!(
        final_one["agent_talk_ms"].as_u64().unwrap() > 1000,
        "{final_one}"
    );
    assert!(
        final_one["handle_ms"].as_u64().unwrap() > 1000,
        "{final_one}"
    );
    // Alternate deliveries, live after final and again, never flip it.
    for _ in 0..2 {
        for body in [&live[..], done] {
            let r = deliver(&api, "/v1/ingest/genesys", "application/json", body).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(
                r.json["accepted"], 0,
                "a stale or repeated snapshot changes nothing: {}",
                r.text
            );
            let now = conversation(&api).await;
            assert_eq!(now["agent_talk_ms"], final_one["agent_talk_ms"], "{now}");
            assert_eq!(now["handle_ms"], final_one["handle_ms"], "{now}");
            assert_eq!(now["ended_at"], final_one["ended_at"], "{now}");
        }
    }
    // …and across a restart.
    let host = host.restart();
    let now = conversation(&host.admin()).await;
    assert_eq!(now["agent_talk_ms"], final_one["agent_talk_ms"], "{now}");
    assert_eq!(now["handle_ms"], final_one["handle_ms"], "{now}");
}

/// A form scored by `scorer`, a team with an agent, and the evaluations
/// `ids` (full marks) posted; returns (team, agent).
async fn scored_by(api: &Client, scorer: &str, ids: &[&str]) -> (String, String) {
    let install = match scorer {
        "hostile-nan-scorer" => &hostile::HOSTILE_NAN_SCORER,
        _ => &hostile::HOSTILE_BAD_SCORECARD,
    };
    let r = api.install_artifact(install).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let team = api
        .post(
            "/v1/teams",
            &json!({"name": "Billing", "targets": {"recognition_percent": 0}}),
        )
        .await;
    assert_eq!(team.status, 201, "{}", team.text);
    let team = team.json["record"]["id"]
        .as_str()
        .unwrap_or_else(|| team.json["id"].as_str().unwrap())
        .to_string();
    let agent = api
        .post("/v1/agents", &json!({"name": "Ada", "team_id": team}))
        .await;
    assert_eq!(agent.status, 201, "{}", agent.text);
    let agent = agent.json["record"]["id"]
        .as_str()
        .unwrap_or_else(|| agent.json["id"].as_str().unwrap())
        .to_string();
    let form = json!({
        "id": "voice", "version": 1, "name": "Voice QA", "scorer": scorer,
        "sections": [{"id": "s1", "name": "Call", "weight": 1, "criteria": [
            {"id": "engage", "label": "Engagement", "weight": 1, "scale_min": 1, "scale_max": 5, "topic": "customer-engagement"}]}],
        "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                     "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 70}
    });
    let r = api.post("/v1/forms", &form).await;
    assert_eq!(r.status, 201, "{}", r.text);
    for (n, id) in ids.iter().enumerate() {
        let r = api
            .post(
                "/v1/evaluations",
                &json!({"source": "qa", "external_id": id, "form_id": "voice", "agent_id": agent,
                        "evaluated_at": 1_795_392_000_000_i64 + n as i64,
                        "answers": [{"criterion_id": "engage", "value": 5}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{id}: {}", r.text);
    }
    (team, agent)
}

/// Every stored evaluation, by external id.
async fn evaluations(api: &Client) -> std::collections::BTreeMap<String, Value> {
    let r = api.get("/v1/evaluations?limit=1000").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("unreadable").is_none(), "{}", r.text);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["external_id"].as_str().unwrap().to_string(), e.clone()))
        .collect()
}

#[tokio::test]
async fn a_scorer_returning_nan_or_infinity_leaves_evaluations_unscored_and_every_read_working() {
    let host = Host::start();
    let api = host.admin();
    let ids = ["e-nan", "e-inf", "e-neginf"];
    let (team, agent) = scored_by(&api, "hostile-nan-scorer", &ids).await;
    let stored = evaluations(&api).await;
    for id in ids {
        let e = &stored[id];
        assert!(e.get("scorecard").is_none(), "{e}");
        assert_eq!(e["score_error"]["code"], "plugin_invalid_output", "{e}");
        assert!(
            e["score_error"]["message"]
                .as_str()
                .unwrap()
                .contains("score"),
            "the error names the field: {e}"
        );
    }
    // Every read that used to fail on a stored null answers.
    for path in [
        format!("/v1/evaluations?agent={agent}"),
        format!("/v1/evaluations?team={team}"),
        format!("/v1/analytics/trends?agent={agent}&from=0&to=4000000000000"),
        format!("/v1/analytics/topics?team={team}&from=0&to=4000000000000"),
        format!("/v1/agents/{agent}/needs"),
        "/v1/recognitions".to_string(),
    ] {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }
    let r = api.get("/v1/recognitions").await;
    assert_eq!(
        r.json["items"],
        json!([]),
        "no recognition for a NaN: {}",
        r.text
    );
    // Rescore with commit and a PUT of one of them work too, and store
    // nothing unreadable.
    let r = api
        .post("/v1/forms/voice/rescore", &json!({"commit": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["failed"].as_array().unwrap().len(), 3, "{}", r.text);
    assert_eq!(
        r.json["failed"][0]["code"], "plugin_invalid_output",
        "{}",
        r.text
    );
    let e = &stored["e-nan"];
    let mut body = e.clone();
    body.as_object_mut().unwrap().remove("score_error");
    let r = api
        .put(
            &format!("/v1/evaluations/{}", e["id"].as_str().unwrap()),
            &body,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api.get("/v1/admin/unreadable").await;
    assert_eq!(r.json["items"], json!([]), "{}", r.text);
}

#[tokio::test]
async fn a_scorecard_that_contradicts_its_request_or_form_is_refused_naming_the_field() {
    let host = Host::start();
    let api = host.admin();
    let cases = [
        ("e-other-id", "evaluation_external_id"),
        ("e-pass-autofail", "outcome"),
        ("e-negative", "score"),
        ("e-huge", "score"),
        ("e-unknown-section", "section_id"),
    ];
    let mut ids: Vec<&str> = cases.iter().map(|(id, _)| *id).collect();
    ids.push("e-fine");
    scored_by(&api, "hostile-bad-scorecard", &ids).await;
    let stored = evaluations(&api).await;
    for (id, field) in cases {
        let e = &stored[id];
        assert!(e.get("scorecard").is_none(), "{id}: {e}");
        assert_eq!(
            e["score_error"]["code"], "plugin_invalid_output",
            "{id}: {e}"
        );
        assert!(
            e["score_error"]["message"]
                .as_str()
                .unwrap()
                .contains(field),
            "{id} names {field}: {e}"
        );
    }
    let fine = &stored["e-fine"];
    assert_eq!(fine["scorecard"]["score"], 100.0, "{fine}");
    assert_eq!(fine["scorecard"]["outcome"], "pass", "{fine}");
}
