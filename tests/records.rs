//! The coaching records API through the real host: a team, its agents with
//! vendor identities, a form, and the vendor records that reference them;
//! filters, pagination, agent-token scoping, restart, tokens and backup.

use serde_json::{Value, json};

use crate::util::{ADMIN, Client, Host};

async fn created(api: &Client, path: &str, body: Value) -> Value {
    let r = api.post(path, &body).await;
    assert_eq!(r.status, 201, "POST {path}: {}", r.text);
    if r.json.get("record").is_some() {
        r.json["record"].clone()
    } else {
        r.json
    }
}

/// A team, two agents and a form; returns (team, ana, bo).
async fn seed(api: &Client) -> (String, String, String) {
    let team = created(
        api,
        "/v1/teams",
        json!({"name": "Billing East", "targets": {"qa_percent": 85, "csat": 4.2}}),
    )
    .await;
    let team = team["id"].as_str().unwrap().to_string();
    let ana = created(
        api,
        "/v1/agents",
        json!({"name": "Ana", "team_id": team, "identities": ["genesys:u-ana", "twilio:WKana"]}),
    )
    .await;
    let bo = created(
        api,
        "/v1/agents",
        json!({"name": "Bo", "team_id": team, "identities": ["connect:bo"]}),
    )
    .await;
    created(
        api,
        "/v1/forms",
        json!({"id": "qa", "version": 1, "name": "QA", "sections": [{"id": "s", "name": "S", "weight": 1, "criteria": [
            {"id": "greet", "label": "Greeting", "weight": 1, "scale_min": 1, "scale_max": 5},
            {"id": "pk", "label": "Product knowledge", "weight": 2, "scale_min": 1, "scale_max": 5, "topic": "product-knowledge"}]}],
            "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                         "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 80}}),
    )
    .await;
    (
        team,
        ana["id"].as_str().unwrap().to_string(),
        bo["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn records_are_stored_filtered_paged_and_kept_across_a_restart() {
    let host = Host::start();
    let api = host.admin();
    let (team, ana, bo) = seed(&api).await;

    for (i, (agent, topic)) in [
        (&ana, "billing"),
        (&bo, "billing"),
        (&ana, "product-knowledge"),
    ]
    .iter()
    .enumerate()
    {
        let r = api
            .post(
                "/v1/interactions",
                &json!({"source": "genesys", "external_id": format!("c-{i}"), "agent_id": agent, "channel": "voice",
                        "direction": "inbound", "started_at": 1_700_000_000_000_i64 + i as i64 * 60_000, "topics": [topic]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            r.json["record"]["team_id"],
            team.as_str(),
            "the agent's team is recorded"
        );
    }
    let eval = json!({"source": "genesys", "external_id": "ev-1", "form_id": "qa", "agent_id": ana,
                      "answers": [{"criterion_id": "greet", "value": 5}, {"criterion_id": "pk", "value": "n/a"}]});
    let r = api.post("/v1/evaluations", &eval).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["record"]["form_version"], 1);
    let mut bad = eval.clone();
    bad["answers"][1] = json!({"criterion_id": "nope", "value": 1});
    bad["external_id"] = json!("ev-2");
    let r = api.post("/v1/evaluations", &bad).await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.json["error"]["details"]["field"].as_str()
        ),
        (422, Some("answers[1].criterion_id")),
        "{}",
        r.text
    );

    let by = |q: String| {
        let api = api.clone();
        async move { api.get(&format!("/v1/interactions?{q}")).await }
    };
    assert_eq!(
        by(format!("agent={ana}")).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        by(format!("team={team}")).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        by("topic=billing".into()).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let window = by("from=1700000060000&to=1700000120000".into()).await.json;
    assert_eq!(window["items"].as_array().unwrap().len(), 1, "{window}");
    assert_eq!(window["items"][0]["external_id"], "c-1");
    let page = by("limit=2".into()).await.json;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let rest = by(format!(
        "limit=2&cursor={}",
        page["next_cursor"].as_str().unwrap()
    ))
    .await
    .json;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    // Identity mapping is queryable and unique.
    let r = api.get("/v1/agents?identity=twilio:WKana").await;
    assert_eq!(r.json["items"][0]["id"], ana.as_str(), "{}", r.text);
    let r = api
        .post(
            "/v1/agents",
            &json!({"name": "Impostor", "identities": ["twilio:WKana"]}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "conflict"),
        "{}",
        r.text
    );

    // SIGKILL and restart: everything acknowledged is there.
    let host = host.restart();
    let api = host.admin();
    assert_eq!(
        api.get("/v1/interactions").await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        api.get(&format!("/v1/evaluations?agent={ana}")).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(api.get("/v1/forms/qa").await.json["version"], 1);
    assert_eq!(
        api.get(&format!("/v1/teams/{team}")).await.json["targets"]["qa_percent"],
        85.0
    );
}

#[tokio::test]
async fn an_agent_token_sees_only_its_own_records() {
    let host = Host::start();
    let api = host.admin();
    let (_, ana, bo) = seed(&api).await;
    for (i, agent) in [&ana, &bo].iter().enumerate() {
        let r = api
            .post("/v1/feedback", &json!({"source": "zendesk", "external_id": format!("r-{i}"), "kind": "csat", "value": 4,
                                         "scale_min": 1, "scale_max": 5, "agent_id": agent}))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let bo_feedback = api.get(&format!("/v1/feedback?agent={bo}")).await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let r = api
        .post(
            "/v1/tokens",
            &json!({"name": "ana", "role": "agent", "agent_id": ana}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let token = r.json["token"].as_str().unwrap().to_string();
    let me = host.client(Some(&token));
    let mine = me.get("/v1/feedback").await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    let items = mine.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["agent_id"], ana.as_str());
    assert_eq!(
        me.get(&format!("/v1/feedback?agent={bo}")).await.status,
        403
    );
    assert_eq!(
        me.get(&format!("/v1/feedback/{bo_feedback}")).await.status,
        404,
        "another agent's record is not confirmed"
    );
    assert_eq!(me.get(&format!("/v1/agents/{ana}")).await.status, 200);
    assert_eq!(me.get(&format!("/v1/agents/{bo}")).await.status, 404);
    assert_eq!(me.get("/v1/agents").await.status, 403);
    assert_eq!(
        me.post("/v1/feedback", &json!({})).await.status,
        403,
        "agents cannot write feedback"
    );
}

#[tokio::test]
async fn tokens_are_created_by_the_cli_and_backups_restore_exactly() {
    let mut host = Host::start();
    let api = host.admin();
    let (_, ana, _) = seed(&api).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sidecoach"))
        .args([
            "token",
            "create",
            "--role",
            "read-only",
            "--name",
            "auditor",
        ])
        .env("SIDECOACH_URL", &host.url)
        .env("SIDECOACH_TOKEN", ADMIN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let auditor = host.client(printed["token"].as_str());
    assert_eq!(auditor.get(&format!("/v1/agents/{ana}")).await.status, 200);
    assert_eq!(
        auditor
            .post("/v1/teams", &json!({"name": "x"}))
            .await
            .status,
        403
    );

    // Export needs the host stopped (sled's lock), then import into a new dir.
    let data_dir = host.data_dir.clone();
    let status = host.terminate();
    assert!(status.success());
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("backup.jsonl");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sidecoach"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "export",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--output",
        dump.to_str().unwrap(),
    ]);
    let restored = tmp.path().join("restored");
    run(&[
        "import",
        "--data-dir",
        restored.to_str().unwrap(),
        dump.to_str().unwrap(),
    ]);
    let again = tmp.path().join("again.jsonl");
    run(&[
        "export",
        "--data-dir",
        restored.to_str().unwrap(),
        "--output",
        again.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&dump).unwrap(),
        std::fs::read(&again).unwrap(),
        "the round trip is exact"
    );
    // A second import into a non-empty directory is refused.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sidecoach"))
        .args([
            "import",
            "--data-dir",
            restored.to_str().unwrap(),
            dump.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
}

#[tokio::test]
async fn configured_sources_report_whether_their_adapter_is_ready_and_hide_secrets() {
    let host = Host::with_config(
        "[sources.web]\nadapter = \"json-adapter\"\n[sources.web.secrets]\nhmac_secret = \"top-secret-value\"\n[sources.web.options]\nregion = \"eu\"\n\
         [sources.oops]\nadapter = \"reference-scorer\"\n[sources.gone]\nadapter = \"five9-adapter\"\n",
    );
    let r = host.admin().get("/v1/sources").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        !r.text.contains("top-secret-value"),
        "a secret leaked: {}",
        r.text
    );
    let by = |n: &str| {
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by("web")["adapter_ready"], true);
    assert_eq!(by("web")["secret_keys"], json!(["hmac_secret"]));
    assert_eq!(by("web")["options"]["region"], "eu");
    assert_eq!(by("oops")["adapter_ready"], false);
    assert!(
        by("oops")["problem"]
            .as_str()
            .unwrap()
            .contains("not an adapter")
    );
    assert!(
        by("gone")["problem"]
            .as_str()
            .unwrap()
            .contains("not installed")
    );
}
