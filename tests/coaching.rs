//! Scoring, flags, alerts, the live stream, recognition and analytics
//! through the real host: a vendor rating or a QA evaluation goes in, and
//! scorecards, alerts and figures come out.

use std::time::Duration;

use serde_json::{Value, json};

use sidecoach::demo::{CONFIG, zendesk_signature};

use crate::util::{Client, Host};

const WAIT: Duration = Duration::from_secs(20);

/// The demo sources with these `[flags]` / `[analytics]` tables instead of
/// the demo's.
fn config_with(extra: &str) -> String {
    let mut table: toml::Table = CONFIG.parse().expect("demo config parses");
    let extra: toml::Table = extra.parse().expect("test config parses");
    for (k, v) in extra {
        table.insert(k, v);
    }
    if !table.contains_key("flags") {
        table.insert("flags".into(), toml::Value::Table(toml::Table::new()));
    }
    toml::to_string(&table).unwrap()
}

async fn created(api: &Client, path: &str, body: Value) -> Value {
    let r = api.post(path, &body).await;
    assert!(r.status == 201 || r.status == 200, "{path}: {}", r.text);
    r.json.get("record").cloned().unwrap_or(r.json)
}

/// A supervisor, their team, and an agent in it holding `identity`.
async fn team_with_agent(api: &Client, identity: &str) -> (String, String, String) {
    let sup = created(api, "/v1/agents", json!({"name": "Sam Supervisor"})).await;
    let sup = sup["id"].as_str().unwrap().to_string();
    let team = created(
        api,
        "/v1/teams",
        json!({"name": "Billing", "supervisor_id": sup, "targets": {"recognition_percent": 90}}),
    )
    .await;
    let team = team["id"].as_str().unwrap().to_string();
    let agent = created(
        api,
        "/v1/agents",
        json!({"name": "Ada Agent", "team_id": team, "identities": [identity]}),
    )
    .await;
    (sup, team, agent["id"].as_str().unwrap().to_string())
}

/// The Zendesk rating fixture with its ids and tags changed.
fn zendesk_rating(id: u64, score: &str, tags: &[&str]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(include_bytes!(
        "data/vendors/zendesk_satisfaction-rating.SYNTHETIC.json"
    ))
    .unwrap();
    let r = &mut v["satisfaction_rating"];
    r["id"] = json!(id);
    r["score"] = json!(score);
    r["reason"] = json!("No reason provided");
    r["tags"] = json!(tags);
    serde_json::to_vec(&v).unwrap()
}

async fn send_zendesk(host: &Host, body: &[u8]) -> Value {
    let ts = "2024-05-01T11:00:05Z";
    let sig = zendesk_signature("demo-zendesk-signing-secret", ts, body);
    let headers = [
        ("x-zendesk-webhook-signature", sig.as_str()),
        ("x-zendesk-webhook-signature-timestamp", ts),
    ];
    let r = host
        .client(None)
        .post_raw("/v1/ingest/zendesk", "application/json", &headers, body)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

#[tokio::test]
async fn a_bad_zendesk_rating_on_a_topic_streams_an_alert_that_is_acknowledged_then_coached() {
    let host = Host::with_config(&config_with(
        r#"
        [[flags.rules]]
        id = "low-csat-product-knowledge"
        on = "feedback"
        csat_at_most = 2
        topic = "product-knowledge"
        severity = "critical"
        coach_within_hours = 24
        "#,
    ));
    let api = host.admin();
    let (sup, team, agent) = team_with_agent(&api, "zendesk:135").await;
    let mut live = api.stream(&format!("/v1/stream?team={team}")).await;
    live.until("ready", WAIT).await;

    // A bad rating tagged product-knowledge, signed as Zendesk signs it.
    let report = send_zendesk(&host, &zendesk_rating(900, "bad", &["product-knowledge"])).await;
    assert_eq!(report["accepted"], 1, "{report}");
    let alerts = report["alerts"].as_array().expect("an alert id").clone();
    assert_eq!(alerts.len(), 1, "{report}");

    // The feedback, then its alert, arrive on the team's stream.
    let feedback = live.until("feedback", WAIT).await;
    assert_eq!(feedback["kind"], "feedback");
    assert_eq!(feedback["record"]["external_id"], "900");
    let event = live.until("alert", WAIT).await;
    let alert = &event["record"];
    assert_eq!(alert["id"], alerts[0]);
    assert_eq!(event["team_id"], team.as_str());
    assert_eq!(alert["agent_id"], agent.as_str());
    assert_eq!(alert["supervisor_id"], sup.as_str());
    assert_eq!(alert["rule_id"], "low-csat-product-knowledge");
    assert_eq!(alert["raised_by"], "config");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["topic"], "product-knowledge");
    assert_eq!(alert["feedback_id"], feedback["record"]["id"]);
    assert_eq!(alert["state"], "open");
    assert!(
        alert["reason"].as_str().unwrap().contains("CSAT 1 of 5"),
        "{alert}"
    );
    assert_eq!(
        alert["coach_by"].as_i64().unwrap() - alert["raised_at"].as_i64().unwrap(),
        24 * 3_600_000
    );
    let id = alert["id"].as_str().unwrap().to_string();

    // The supervisor's queue has it, not yet overdue.
    let q = api
        .get(&format!("/v1/alerts?supervisor={sup}&state=open"))
        .await;
    assert_eq!(q.json["items"].as_array().unwrap().len(), 1, "{}", q.text);
    let overdue = api.get("/v1/alerts?overdue=true").await;
    assert_eq!(overdue.json["items"], json!([]), "{}", overdue.text);

    // Acknowledged: on the stream too.
    let r = api
        .post(&format!("/v1/alerts/{id}/acknowledge"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "acknowledged");
    let event = live.until("alert", WAIT).await;
    assert_eq!(event["record"]["state"], "acknowledged");

    // A micro-coaching session on that interaction handles it.
    let session = created(
        &api,
        "/v1/sessions",
        json!({
            "kind": "micro-coaching", "coach_id": sup, "agent_id": agent,
            "scheduled_at": 1_714_561_200_000_i64, "duration_minutes": 10,
            "behaviours": ["guessed at the refund policy"],
            "root_causes": ["policy changed last week"],
            "action_items": [{"description": "read the new refund policy", "owner_id": agent, "due": 1_714_647_600_000_i64, "status": "open"}]
        }),
    )
    .await;
    let r = api
        .post(
            &format!("/v1/alerts/{id}/coach"),
            &json!({"session_id": session["id"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "coached");
    assert_eq!(r.json["session_id"], session["id"]);
    let event = live.until("alert", WAIT).await;
    assert_eq!(event["record"]["state"], "coached");
    let s = api
        .get(&format!("/v1/sessions/{}", session["id"].as_str().unwrap()))
        .await;
    assert_eq!(s.json["alert_ids"], json!([id]), "{}", s.text);

    // Done is done; dismissing needs a reason; a redelivery raises nothing.
    let r = api
        .post(
            &format!("/v1/alerts/{id}/dismiss"),
            &json!({"reason": "late"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    let report = send_zendesk(&host, &zendesk_rating(900, "bad", &["product-knowledge"])).await;
    assert_eq!(report["duplicates"], 1, "{report}");
    assert!(report.get("alerts").is_none(), "{report}");
    // A bad rating on another topic and a good one on this topic: no alert.
    for body in [
        zendesk_rating(901, "bad", &["billing"]),
        zendesk_rating(902, "good", &["product-knowledge"]),
    ] {
        let report = send_zendesk(&host, &body).await;
        assert_eq!(report["accepted"], 1, "{report}");
        assert!(report.get("alerts").is_none(), "{report}");
    }
    let r = api
        .post("/v1/alerts/nope/dismiss", &json!({"reason": "x"}))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let all = api.get(&format!("/v1/alerts?agent={agent}")).await;
    assert_eq!(
        all.json["items"].as_array().unwrap().len(),
        1,
        "{}",
        all.text
    );
}

/// A QA form: yes/no greeting on customer engagement, a 1..5 product
/// knowledge question, and a fatal compliance question.
fn form(id: &str) -> Value {
    json!({
        "id": id, "version": 1, "name": "Voice QA",
        "sections": [
            {"id": "s1", "name": "Call", "weight": 1, "criteria": [
                {"id": "engage", "label": "Customer engagement", "weight": 2, "scale_min": 1, "scale_max": 5, "topic": "customer-engagement"},
                {"id": "know", "label": "Product knowledge", "weight": 2, "scale_min": 1, "scale_max": 5, "topic": "product-knowledge"},
                {"id": "comply", "label": "Read the disclosure", "weight": 1, "scale_min": 0, "scale_max": 1, "fatal": true, "topic": "compliance"}
            ]}
        ],
        "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                     "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 70}
    })
}

fn evaluation(
    ext: &str,
    form: &str,
    agent: &str,
    at: i64,
    engage: f64,
    know: f64,
    comply: f64,
) -> Value {
    json!({
        "source": "qa", "external_id": ext, "form_id": form, "agent_id": agent, "evaluated_at": at,
        "answers": [
            {"criterion_id": "engage", "value": engage},
            {"criterion_id": "know", "value": know},
            {"criterion_id": "comply", "value": comply}
        ]
    })
}

#[tokio::test]
async fn evaluations_are_scored_flagged_recognised_and_summed_into_trends_and_topic_focus() {
    let host = Host::with_config(&config_with(
        r#"
        [flags]
        plugins = ["reference-flagger"]
        [[flags.rules]]
        id = "fatal-criterion"
        on = "evaluation"
        fatal_failed = true
        severity = "critical"
        [[flags.rules]]
        id = "sentiment-dropped"
        on = "interaction"
        final_quarter_sentiment_at_most = -2
        "#,
    ));
    let api = host.admin();
    let (_sup, team, ada) = team_with_agent(&api, "qa:ada").await;
    let bob = created(&api, "/v1/agents", json!({"name": "Bob", "team_id": team})).await;
    let bob = bob["id"].as_str().unwrap().to_string();
    created(&api, "/v1/forms", form("voice")).await;
    let day = 86_400_000_i64;
    let monday = 1_795_392_000_000_i64; // 2026-11-23
    let mut live = api.stream("/v1/stream?kinds=scorecard,recognition").await;
    live.until("ready", WAIT).await;

    // Full marks: scored by the reference scorer, recognised (team threshold 90).
    let r = api
        .post(
            "/v1/evaluations",
            &evaluation("e1", "voice", &ada, monday + day, 5.0, 5.0, 1.0),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let card = &r.json["record"]["scorecard"];
    assert_eq!(card["score"], 100.0, "{}", r.text);
    assert_eq!(card["outcome"], "pass");
    assert_eq!(card["plugin_id"], "reference-scorer");
    assert_eq!(card["plugin_version"], "0.1.0");
    assert_eq!(
        live.until("scorecard", WAIT).await["record"]["external_id"],
        "e1"
    );
    let rec = live.until("recognition", WAIT).await["record"].clone();
    assert_eq!(rec["agent_id"], ada.as_str());
    assert_eq!(rec["threshold"], 90.0);

    // Weak on product knowledge twice (Ada) and once (Bob); a fatal miss (Bob).
    for (ext, agent, at, engage, know, comply) in [
        ("e2", &ada, monday + 2 * day, 4.0, 2.0, 1.0),
        ("e3", &ada, monday - 5 * day, 5.0, 1.0, 1.0),
        ("e4", &bob, monday + day, 5.0, 2.0, 1.0),
        ("e5", &bob, monday + 3 * day, 5.0, 5.0, 0.0),
    ] {
        let r = api
            .post(
                "/v1/evaluations",
                &evaluation(ext, "voice", agent, at, engage, know, comply),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let fatal = api.get("/v1/alerts?state=open").await;
    let rules: Vec<(String, String)> = fatal.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["rule_id"].as_str().unwrap().to_string(),
                a["agent_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The config rule and the reference flagger plugin both see Bob's fatal miss.
    assert!(
        rules.contains(&("fatal-criterion".into(), bob.clone())),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("fatal-failed".into(), bob.clone())),
        "{rules:?}"
    );
    assert_eq!(rules.len(), 2, "{rules:?}");
    let plugin_alert = fatal.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule_id"] == "fatal-failed")
        .unwrap()
        .clone();
    assert_eq!(plugin_alert["raised_by"], "reference-flagger@0.1.0");

    // Topic focus: Ada was dinged twice on product knowledge, Bob once.
    let from = monday - 14 * day;
    let to = monday + 7 * day;
    let t = api
        .get(&format!(
            "/v1/analytics/topics?team={team}&from={from}&to={to}"
        ))
        .await;
    assert_eq!(t.status, 200, "{}", t.text);
    let pk = t.json["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["topic"] == "product-knowledge")
        .unwrap_or_else(|| panic!("{}", t.text))
        .clone();
    assert_eq!(pk["dings"], 3, "{pk}");
    assert_eq!(pk["focus"], json!([ada]), "{pk}");
    let compliance = t.json["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["topic"] == "compliance")
        .unwrap()
        .clone();
    assert_eq!(
        compliance["focus"],
        json!([]),
        "one ding is not a pattern: {compliance}"
    );

    // Trends: Ada's two weeks; the week of e1 and e2 averages 100 and 60.
    let tr = api
        .get(&format!(
            "/v1/analytics/trends?agent={ada}&from={from}&to={to}"
        ))
        .await;
    assert_eq!(tr.status, 200, "{}", tr.text);
    let weeks = tr.json["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 2, "{}", tr.text);
    assert_eq!(weeks[0]["week_start"], monday - 7 * day);
    assert_eq!(weeks[1]["week_start"], monday);
    assert_eq!(weeks[1]["qa"]["count"], 2);
    assert!(
        (weeks[1]["qa"]["mean"].as_f64().unwrap() - 80.0).abs() < 1e-9,
        "{}",
        tr.text
    );

    // Recognition: a leader acknowledges once.
    let id = rec["id"].as_str().unwrap();
    let r = api
        .post(
            &format!("/v1/recognitions/{id}/acknowledge"),
            &json!({"note": "Great call!"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "acknowledged");
    let r = api
        .post(&format!("/v1/recognitions/{id}/acknowledge"), &json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // An interaction whose customer soured at the end: the sentiment rule.
    let r = api
        .post(
            "/v1/interactions",
            &json!({"source": "qa", "external_id": "c-1", "agent_id": ada, "channel": "voice",
                    "direction": "inbound", "sentiment": {"customer": 1.0, "customer_final_quarter": -3.5}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let a = api.get(&format!("/v1/alerts?agent={ada}")).await;
    let rules: Vec<&str> = a.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"sentiment-dropped"), "{rules:?}");
    assert!(
        rules.contains(&"sentiment-drop"),
        "the reference flagger agrees: {rules:?}"
    );
}

#[tokio::test]
async fn a_custom_scorer_rescores_history_with_a_diff_then_commits_it() {
    let host = Host::with_config(&config_with(""));
    let api = host.admin();
    let ada = created(&api, "/v1/agents", json!({"name": "Ada"})).await;
    let ada = ada["id"].as_str().unwrap().to_string();
    created(&api, "/v1/forms", form("voice")).await;
    let at = 1_795_392_000_000_i64;
    let mut ids = Vec::new();
    // Weak on engagement, strong on engagement, full marks.
    for (ext, engage, know) in [("w", 2.0, 5.0), ("s", 5.0, 2.0), ("f", 5.0, 5.0)] {
        let r = api
            .post(
                "/v1/evaluations",
                &evaluation(ext, "voice", &ada, at, engage, know, 1.0),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        // (0.25·2 + 1·2 + 1) / 5 = 70% for both weak and strong.
        let expected = if ext == "f" { 100.0 } else { 70.0 };
        assert_eq!(
            r.json["record"]["scorecard"]["score"], expected,
            "{}",
            r.text
        );
        ids.push(r.json["record"]["id"].as_str().unwrap().to_string());
    }

    // A center's own rule: customer engagement weighs double.
    let artifact = sidecoach_plugin_artifacts::examples::ENGAGEMENT_SCORER;
    let r = api.install_artifact(&artifact).await;
    assert!(r.status.is_success(), "{}", r.text);

    let bad = api
        .post(
            "/v1/forms/voice/rescore",
            &json!({"plugin": "engagement-scorer", "version": "9.9.9"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(
        bad.json["error"]["details"]["field"], "version",
        "{}",
        bad.text
    );
    let bad = api
        .post(
            "/v1/forms/voice/rescore",
            &json!({"plugin": "json-adapter"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    let bad = api.post("/v1/forms/nope/rescore", &json!({})).await;
    assert_eq!(bad.status, 404, "{}", bad.text);

    // The diff: engage 4, know 2, comply 1 → weak (1+2+1)/7, strong (4+0.5+1)/7.
    let diff = api
        .post(
            "/v1/forms/voice/rescore",
            &json!({"plugin": "engagement-scorer"}),
        )
        .await;
    assert_eq!(diff.status, 200, "{}", diff.text);
    let d = &diff.json;
    assert_eq!(d["scorer"], "engagement-scorer@0.1.0", "{d}");
    assert_eq!(d["evaluations"], 3);
    assert_eq!(d["unchanged"], 1);
    assert_eq!(d["outcome_flips"], 1, "weak now fails the 70% mark: {d}");
    assert_eq!(d["committed"], false);
    let changed = d["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 2, "{d}");
    assert_eq!(
        changed[0]["evaluation_id"],
        ids[0].as_str(),
        "largest move first: {d}"
    );
    let close = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-9;
    assert!(close(&changed[0]["new_score"], 400.0 / 7.0), "{d}");
    assert!(close(&changed[0]["delta"], 400.0 / 7.0 - 70.0), "{d}");
    assert_eq!(changed[0]["new_outcome"], "fail");
    assert_eq!(changed[0]["old_scorer"], "reference-scorer@0.1.0");
    assert!(close(&changed[1]["new_score"], 550.0 / 7.0), "{d}");
    // Not committed: the stored scorecards are the reference scorer's.
    let e = api.get(&format!("/v1/evaluations/{}", ids[0])).await;
    assert_eq!(e.json["scorecard"]["plugin_id"], "reference-scorer");

    // Committed: every scorecard now names the scorer that produced it.
    let r = api
        .post(
            "/v1/forms/voice/rescore",
            &json!({"plugin": "engagement-scorer", "commit": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["committed"], true);
    for id in &ids {
        let e = api.get(&format!("/v1/evaluations/{id}")).await;
        assert_eq!(
            e.json["scorecard"]["plugin_id"], "engagement-scorer",
            "{}",
            e.text
        );
        assert_eq!(e.json["scorecard"]["plugin_version"], "0.1.0");
    }
    let e = api.get(&format!("/v1/evaluations/{}", ids[0])).await;
    assert_eq!(e.json["scorecard"]["outcome"], "fail");
    let audit = api.get("/v1/audit?action=form.rescore").await;
    assert_eq!(
        audit.json["items"].as_array().unwrap().len(),
        1,
        "{}",
        audit.text
    );

    // Re-scoring again with the same rule moves nothing.
    let again = api
        .post(
            "/v1/forms/voice/rescore",
            &json!({"plugin": "engagement-scorer"}),
        )
        .await;
    assert_eq!(again.json["unchanged"], 3, "{}", again.text);

    // A form can name its scorer; new evaluations use it from then on.
    let mut v2 = form("voice");
    v2["version"] = json!(2);
    v2["scorer"] = json!("engagement-scorer");
    created(&api, "/v1/forms", v2).await;
    let r = api
        .post(
            "/v1/evaluations",
            &evaluation("w2", "voice", &ada, at + 1, 2.0, 5.0, 1.0),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["record"]["form_version"], 2);
    assert_eq!(
        r.json["record"]["scorecard"]["plugin_id"],
        "engagement-scorer"
    );
    let mut v3 = form("voice");
    v3["version"] = json!(3);
    v3["scorer"] = json!("json-adapter");
    let r = api.post("/v1/forms", &v3).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["details"]["field"], "scorer", "{}", r.text);
}

#[tokio::test]
async fn feedback_posted_through_the_api_on_a_known_contact_reaches_the_team_stream_with_its_alert()
{
    let host = Host::with_config(&config_with(
        r#"
        [[flags.rules]]
        id = "low-csat-product-knowledge"
        on = "feedback"
        csat_at_most = 2
        topic = "product-knowledge"
        "#,
    ));
    let api = host.admin();
    let (sup, team, agent) = team_with_agent(&api, "zendesk:135").await;
    let mut live = api.stream(&format!("/v1/stream?team={team}")).await;
    live.until("ready", WAIT).await;

    // A contact handled by the agent on product knowledge, then a CSAT 1
    // posted by hand naming the contact by the vendor's id, in ISO time.
    let contact = created(
        &api,
        "/v1/interactions",
        json!({"source": "genesys", "external_id": "c-77", "agent_id": agent, "channel": "voice",
               "direction": "inbound", "started_at": "2026-12-07T09:00:00Z",
               "topics": ["product-knowledge"]}),
    )
    .await;
    let feedback = created(
        &api,
        "/v1/feedback",
        json!({"source": "survey", "external_id": "s-77", "kind": "csat", "value": 1,
               "scale_min": 1, "scale_max": 5, "interaction_ref": "c-77"}),
    )
    .await;
    assert_eq!(feedback["interaction_id"], contact["id"], "{feedback}");
    assert_eq!(feedback["agent_id"], agent.as_str(), "{feedback}");
    assert_eq!(feedback["team_id"], team.as_str(), "{feedback}");

    // On the team's stream: the feedback, then its alert, with names.
    let event = live.until("feedback", WAIT).await;
    assert_eq!(event["record"]["id"], feedback["id"], "{event}");
    assert_eq!(event["team_id"], team.as_str());
    assert_eq!(event["agent_name"], "Ada Agent", "{event}");
    assert!(event["record"]["received_at_iso"].is_string(), "{event}");
    let event = live.until("alert", WAIT).await;
    let alert = &event["record"];
    assert_eq!(alert["rule_id"], "low-csat-product-knowledge", "{event}");
    assert_eq!(alert["feedback_id"], feedback["id"]);
    assert_eq!(alert["topic"], "product-knowledge");
    assert_eq!(alert["supervisor_id"], sup.as_str());
    assert_eq!(alert["supervisor_name"], "Sam Supervisor", "{event}");
    assert_eq!(alert["agent_name"], "Ada Agent");
    assert_eq!(alert["team_name"], "Billing");

    // In the team's trend, and in the topic report with the agent's name.
    let trend = api.get(&format!("/v1/analytics/trends?team={team}")).await;
    assert_eq!(trend.json["csat"]["count"], 1, "{}", trend.text);
    let topics = api
        .get(&format!("/v1/analytics/topics?team={team}&min_dings=1"))
        .await;
    let topic = &topics.json["topics"][0];
    assert_eq!(topic["topic"], "product-knowledge", "{}", topics.text);
    assert_eq!(
        topic["agents"][0]["agent_name"], "Ada Agent",
        "{}",
        topics.text
    );
}
