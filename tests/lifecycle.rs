//! Plugin lifecycle through the real host: install, upgrade, roll back,
//! disable and enable without restart; refusals at install; the circuit
//! breaker; back-pressure; restart with the registry and the compile cache;
//! graceful shutdown.

use serde_json::json;
use sidecoach_plugin_artifacts::{hostile, testing};

use crate::util::{Client, Host, edit_manifest, with_limits};

async fn probe_says(api: &Client) -> String {
    let r = api.invoke("probe", &json!({"body": ""})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["output"]["Ok"]["events"][0]["vendor_user_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_plugin_is_installed_upgraded_rolled_back_and_disabled_without_restart() {
    let host = Host::start();
    let api = host.admin();

    let r = api.install_artifact(&testing::PROBE_V1).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["action"], "installed");
    assert_eq!(probe_says(&api).await, "probe-v1");

    // The same component again changes nothing.
    let r = api.install_artifact(&testing::PROBE_V1).await;
    assert_eq!(
        (r.status.as_u16(), r.json["action"].as_str()),
        (200, Some("unchanged")),
        "{}",
        r.text
    );

    let r = api.install_artifact(&testing::PROBE_V2).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["action"], "upgraded");
    assert_eq!(r.json["status"]["version"], "2.0.0");
    assert_eq!(r.json["status"]["previous_version"], "1.0.0");
    assert_eq!(probe_says(&api).await, "probe-v2");

    let r = api.post("/v1/plugins/probe/rollback", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["version"], "1.0.0");
    assert_eq!(probe_says(&api).await, "probe-v1");

    let r = api.get("/v1/plugins/probe").await;
    let versions: Vec<_> = r.json["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["manifest"]["version"].clone())
        .collect();
    assert_eq!(versions, [json!("1.0.0"), json!("2.0.0")], "{}", r.text);
    assert_eq!(r.json["versions"][1]["info"]["version"], "2.0.0");

    let r = api.post("/v1/plugins/probe/disable", &json!({})).await;
    assert_eq!(r.json["state"], "disabled", "{}", r.text);
    let r = api.invoke("probe", &json!({})).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "plugin_disabled"),
        "{}",
        r.text
    );
    let r = api.post("/v1/plugins/probe/enable", &json!({})).await;
    assert_eq!(r.json["state"], "active", "{}", r.text);
    assert_eq!(probe_says(&api).await, "probe-v1");

    // Every change is in the audit trail, with who made it.
    let audit = api.get("/v1/audit?target=probe").await.json;
    let actions: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "plugin.install",
            "plugin.install",
            "plugin.rollback",
            "plugin.disable",
            "plugin.enable"
        ],
        "{audit}"
    );
    assert_eq!(audit["items"][0]["actor"], "bootstrap");

    // A different component under an installed version is a conflict.
    let forged = edit_manifest(testing::PROBE_V2.manifest, |t| {
        t.insert("version".into(), "1.0.0".into());
    });
    let r = api.install(&forged, testing::PROBE_V2.wasm).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "plugin_version_conflict"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn components_that_do_not_match_their_manifest_are_refused_at_install() {
    let host = Host::start();
    let api = host.admin();
    let as_scorer = edit_manifest(hostile::HOSTILE_LOOP.manifest, |t| {
        t.insert("kind".into(), "scorer".into());
    });
    let r = api.install(&as_scorer, hostile::HOSTILE_LOOP.wasm).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "plugin_kind_mismatch"),
        "{}",
        r.text
    );
    assert!(
        r.message().contains("`score`") && r.message().contains("ingest"),
        "{}",
        r.message()
    );

    let wrong_sha = edit_manifest(testing::PROBE_V1.manifest, |t| {
        t.insert("sha256".into(), "0".repeat(64).into());
    });
    let r = api.install(&wrong_sha, testing::PROBE_V1.wasm).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "plugin_rejected"),
        "{}",
        r.text
    );
    assert!(r.message().contains("sha256"), "{}", r.message());

    let r = api
        .install(testing::PROBE_V1.manifest, b"not a component")
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "plugin_rejected"),
        "{}",
        r.text
    );

    let r = api
        .install(
            "id = \"x\"\nkind = \"adapter\"\nversion = \"1\"\napi_version = \"0.1.0\"",
            testing::PROBE_V1.wasm,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "invalid_manifest"),
        "{}",
        r.text
    );
    assert!(r.message().contains("version"), "{}", r.message());

    let r = api
        .install(
            &testing::PROBE_V1.manifest.replace("1.0.0", "1.0.1"),
            testing::PROBE_V1.wasm,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "plugin_rejected"),
        "describe() must agree with the manifest: {}",
        r.text
    );

    let r = host
        .client(None)
        .install(testing::PROBE_V1.manifest, testing::PROBE_V1.wasm)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        api.get("/v1/plugins").await.json.as_array().unwrap().len(),
        sidecoach_plugin_artifacts::reference::ALL.len(),
        "nothing was installed"
    );
}

#[tokio::test]
async fn a_failing_plugin_is_tripped_off_until_re_enabled() {
    let host = Host::with_config("[runtime]\nbreaker_threshold = 3\n");
    let api = host.admin();
    assert_eq!(
        api.install_artifact(&hostile::HOSTILE_PANIC).await.status,
        201
    );
    for _ in 0..3 {
        assert_eq!(
            api.invoke("hostile-panic", &json!({})).await.code(),
            "plugin_trapped"
        );
    }
    let r = api.invoke("hostile-panic", &json!({})).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (503, "plugin_tripped"),
        "{}",
        r.text
    );
    let s = api.get("/v1/plugins/hostile-panic").await.json;
    assert_eq!(s["state"], "tripped", "{s}");
    assert_eq!(s["tripped"]["failures"], 3);
    assert!(
        s["tripped"]["last_error"]
            .as_str()
            .unwrap()
            .contains("deliberate panic"),
        "{s}"
    );
    let metrics = api.get("/metrics").await.text;
    assert!(
        metrics.contains("sidecoach_plugin_breaker_trips_total{plugin=\"hostile-panic\"} 1"),
        "{metrics}"
    );

    // The trip survives a restart, and enabling clears it.
    let host = host.restart();
    let api = host.admin();
    assert_eq!(
        api.get("/v1/plugins/hostile-panic").await.json["state"],
        "tripped"
    );
    assert_eq!(
        api.post("/v1/plugins/hostile-panic/enable", &json!({}))
            .await
            .json["state"],
        "active"
    );
    assert_eq!(
        api.invoke("hostile-panic", &json!({})).await.code(),
        "plugin_trapped"
    );
}

#[tokio::test]
async fn callers_beyond_the_concurrency_cap_get_busy_not_a_crash() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(
        hostile::HOSTILE_LOOP.manifest,
        &[
            ("max_concurrency", 1),
            ("queue_wait_ms", 100),
            ("deadline_ms", 1500),
        ],
    );
    assert_eq!(
        api.install(&manifest, hostile::HOSTILE_LOOP.wasm)
            .await
            .status,
        201
    );
    let input = json!({});
    let (a, b) = tokio::join!(api.invoke("hostile-loop", &input), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        api.invoke("hostile-loop", &input).await
    });
    assert_eq!(a.code(), "plugin_timeout", "{}", a.text);
    assert_eq!(
        (b.status.as_u16(), b.code()),
        (503, "plugin_busy"),
        "{}",
        b.text
    );
    assert!(b.message().contains("1 call slots"), "{}", b.message());
}

#[tokio::test]
async fn the_registry_and_compiled_code_survive_a_kill_and_restart() {
    let host = Host::start_with_own_compile_cache();
    let api = host.admin();
    assert_eq!(api.install_artifact(&testing::PROBE_V1).await.status, 201);
    assert_eq!(api.install_artifact(&testing::PROBE_V2).await.status, 201);
    assert_eq!(
        api.post("/v1/plugins/reference-matcher/disable", &json!({}))
            .await
            .status,
        200
    );
    let fresh_before = compile_count(&api, "fresh").await;
    assert!(
        fresh_before >= 6,
        "first start compiles everything: {fresh_before}"
    );

    let host = host.restart();
    let api = host.admin();
    let list = api.get("/v1/plugins").await.json;
    let state = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| (p["state"].clone(), p["version"].clone()))
    };
    assert_eq!(
        state("probe"),
        Some((json!("active"), json!("2.0.0"))),
        "{list}"
    );
    assert_eq!(state("reference-matcher").unwrap().0, "disabled");
    assert_eq!(
        compile_count(&api, "fresh").await,
        0,
        "a restart must not recompile"
    );
    // Every reference plugin (the disabled one too) and the probe.
    assert_eq!(
        compile_count(&api, "cache").await as usize,
        sidecoach_plugin_artifacts::reference::ALL.len() + 1
    );
    assert_eq!(probe_says(&api).await, "probe-v2");
    // The rollback target survived too.
    assert_eq!(
        api.post("/v1/plugins/probe/rollback", &json!({}))
            .await
            .json["version"],
        "1.0.0"
    );
}

async fn compile_count(api: &Client, source: &str) -> u64 {
    let text = api.get("/metrics").await.text;
    text.lines()
        .find(|l| {
            l.starts_with(&format!(
                "sidecoach_plugin_compilations_total{{source=\"{source}\"}}"
            ))
        })
        .map_or(0, |l| l.rsplit(' ').next().unwrap().parse().unwrap())
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully() {
    let mut host = Host::start();
    assert_eq!(host.admin().get("/readyz").await.status, 200);
    let status = host.terminate();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn first_start_without_a_configured_token_prints_one_that_works() {
    let host = Host::without_admin_token();
    let i = host
        .banner
        .iter()
        .position(|l| l.contains("created an admin API token"))
        .expect("a token is printed");
    let token = host.banner[i + 1].trim().to_string();
    assert!(token.starts_with("sc_"), "{:?}", host.banner);
    assert!(
        host.banner
            .iter()
            .any(|l| l.starts_with("plugins: ") && l.contains("reference-scorer@")),
        "{:?}",
        host.banner
    );
    let r = host.client(Some(&token)).get("/v1/plugins").await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Only once: a restart prints no new token, and the first still works.
    let host = host.restart();
    assert!(
        !host
            .banner
            .iter()
            .any(|l| l.contains("created an admin API token")),
        "{:?}",
        host.banner
    );
    assert_eq!(
        host.client(Some(&token)).get("/v1/plugins").await.status,
        200
    );
}

#[tokio::test]
async fn a_slow_install_does_not_hold_up_other_plugins_control_paths() {
    let host = Host::with_config("[runtime]\nbreaker_threshold = 1\n");
    let api = host.admin();
    assert_eq!(
        api.install_artifact(&hostile::HOSTILE_PANIC).await.status,
        201
    );
    // Held in compilation until `hold` is dropped.
    let hold = host.hold_compile();
    let install = {
        let api = api.clone();
        tokio::spawn(async move { api.install_artifact(&testing::PROBE_V1).await })
    };
    hold.reached().await;

    // Disabling another plugin answers while the install is held.
    let r = api
        .post("/v1/plugins/json-adapter/disable", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "disabled");
    let r = api
        .post("/v1/plugins/json-adapter/enable", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A call to another plugin answers, and so does a failing one whose
    // failure trips its breaker (the trip takes the lifecycle lock).
    let r = api
        .invoke(
            "json-adapter",
            &json!({"body": "[{\"type\":\"agent\",\"vendor_user_id\":\"ok\"}]"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api.invoke("hostile-panic", &json!({})).await;
    assert_eq!(r.code(), "plugin_trapped", "{}", r.text);
    let status = api.get("/v1/plugins/hostile-panic").await;
    assert_eq!(status.json["state"], "tripped", "{}", status.text);

    assert!(
        !install.is_finished(),
        "everything above answered before the held install did"
    );
    drop(hold);
    let r = install.await.unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(probe_says(&api).await, "probe-v1");
}

#[tokio::test]
async fn plugin_uploads_have_their_own_size_limit_and_the_answer_reports_the_compile() {
    // A plugin the host has not installed yet (the reference ones are).
    let artifact = &hostile::HOSTILE_LOOP;
    let (manifest, wasm) = (artifact.manifest, artifact.wasm);
    // An API body limit far below the component's size: the upload still
    // goes through, under its own (larger) limit; other bodies do not.
    let small = 4096;
    assert!(wasm.len() > small, "the component is {} bytes", wasm.len());
    let host = Host::with_config(&format!("max_body_bytes = {small}\n"));
    let api = host.admin();
    let r = api.install(manifest, wasm).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert!(
        r.json["compile"]["ms"].as_f64().unwrap() > 0.0,
        "{}",
        r.text
    );
    assert!(r.json["compile"]["from_cache"].is_boolean(), "{}", r.text);
    let big_name = "x".repeat(small + 1);
    let r = api
        .post("/v1/agents", &serde_json::json!({"name": big_name}))
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.code(), "payload_too_large");

    // And a plugin limit below the component refuses it, naming the limit.
    let host = Host::with_config(&format!("max_plugin_bytes = {}\n", wasm.len() / 2));
    let r = host.admin().install(manifest, wasm).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert!(r.message().contains("max_plugin_bytes"), "{}", r.text);
}

/// A manifest's `[config_schema]` holds the operator's settings for the
/// plugin to its keys and types: a misspelt key or a value of the wrong
/// type refuses the install, naming the key; fitting settings install.
#[tokio::test]
async fn a_plugins_config_schema_refuses_settings_it_does_not_name_or_type() {
    let adapter = sidecoach_plugin_artifacts::reference::JSON_ADAPTER;
    let manifest = edit_manifest(adapter.manifest, |t| {
        t.insert("id".into(), "schema-adapter".into());
        let mut schema = toml::Table::new();
        schema.insert("batch.size".into(), "integer".into());
        schema.insert("label".into(), "string".into());
        t.insert("config_schema".into(), toml::Value::Table(schema));
    });
    for (settings, key) in [
        ("\"batch.sise\" = \"10\"", "batch.sise"),
        ("\"batch.size\" = \"ten\"", "batch.size"),
    ] {
        let host = Host::with_config(&format!("[plugins.schema-adapter.config]\n{settings}\n"));
        let r = host.admin().install(&manifest, adapter.wasm).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.message().contains(&format!("`{key}`"))
                && r.message().contains("[plugins.schema-adapter.config]"),
            "{}",
            r.message()
        );
    }
    let host = Host::with_config(
        "[plugins.schema-adapter.config]\n\"batch.size\" = \"10\"\nlabel = \"web\"\n",
    );
    let r = host.admin().install(&manifest, adapter.wasm).await;
    assert_eq!(r.status, 201, "{}", r.text);
}
