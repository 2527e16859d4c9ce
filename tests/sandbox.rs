//! Hostile plugins against the real host: each is stopped by its limit or
//! refused by the sandbox, the error names the plugin and the limit, and the
//! host keeps answering other calls in the same test.

use serde_json::json;
use sidecoach_plugin_artifacts::hostile;

use crate::util::{Client, Host, edit_manifest, with_limits};

/// A reference plugin still answers: the host survived.
async fn host_still_serves(api: &Client) {
    let r = api
        .invoke(
            "json-adapter",
            &json!({"body": "[{\"type\":\"agent\",\"vendor_user_id\":\"ok\"}]"}),
        )
        .await;
    assert_eq!(r.status, 200, "host stopped serving: {}", r.text);
    assert_eq!(r.json["output"]["Ok"]["events"][0]["vendor_user_id"], "ok");
    assert_eq!(api.get("/healthz").await.status, 200);
}

fn without_capabilities(manifest: &str) -> String {
    edit_manifest(manifest, |t| {
        t.insert("capabilities".into(), toml::Value::Array(vec![]));
    })
}

#[tokio::test]
async fn infinite_loop_is_stopped_at_its_deadline() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(hostile::HOSTILE_LOOP.manifest, &[("deadline_ms", 300)]);
    let r = api.install(&manifest, hostile::HOSTILE_LOOP.wasm).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let started = std::time::Instant::now();
    let r = api.invoke("hostile-loop", &json!({"body": "x"})).await;
    assert_eq!(r.status, 504, "{}", r.text);
    assert_eq!(r.code(), "plugin_timeout");
    assert!(
        r.message().contains("hostile-loop") && r.message().contains("300 ms"),
        "{}",
        r.message()
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "the deadline did not stop the loop"
    );
    host_still_serves(&api).await;
}

#[tokio::test]
async fn a_plugin_blocked_in_a_host_call_is_stopped_at_its_deadline() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(
        hostile::HOSTILE_SLEEP.manifest,
        &[
            ("deadline_ms", 300),
            ("max_concurrency", 1),
            ("queue_wait_ms", 2000),
        ],
    );
    assert_eq!(
        api.install(&manifest, hostile::HOSTILE_SLEEP.wasm)
            .await
            .status,
        201
    );
    let started = std::time::Instant::now();
    for _ in 0..2 {
        // The second call gets the single slot back: the first really ended.
        let r = api.invoke("hostile-sleep", &json!({})).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (504, "plugin_timeout"),
            "{}",
            r.text
        );
    }
    assert!(
        started.elapsed().as_secs() < 30,
        "the sleep outlived its deadline"
    );
    host_still_serves(&api).await;
}

#[tokio::test]
async fn a_manifest_cannot_raise_the_operators_limits() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(
        hostile::HOSTILE_LOOP.manifest,
        &[("deadline_ms", 86_400_000), ("max_concurrency", 10_000)],
    );
    assert_eq!(
        api.install(&manifest, hostile::HOSTILE_LOOP.wasm)
            .await
            .status,
        201
    );
    let limits = api.get("/v1/plugins/hostile-loop").await.json["limits"].clone();
    assert_eq!(
        (
            limits["deadline_ms"].as_u64(),
            limits["max_concurrency"].as_u64()
        ),
        (Some(2000), Some(4)),
        "{limits}"
    );
    let r = api.invoke("hostile-loop", &json!({})).await;
    assert_eq!(r.code(), "plugin_timeout", "{}", r.text);
}

#[tokio::test]
async fn unbounded_allocation_hits_its_memory_cap() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(hostile::HOSTILE_ALLOC.manifest, &[("memory_mib", 16)]);
    assert_eq!(
        api.install(&manifest, hostile::HOSTILE_ALLOC.wasm)
            .await
            .status,
        201
    );
    let r = api.invoke("hostile-alloc", &json!({})).await;
    assert_eq!(r.status, 502, "{}", r.text);
    assert_eq!(r.code(), "plugin_memory_limit");
    assert!(
        r.message().contains("hostile-alloc") && r.message().contains("16 MiB"),
        "{}",
        r.message()
    );
    host_still_serves(&api).await;
}

#[tokio::test]
async fn a_panic_is_isolated_and_its_message_reported() {
    let host = Host::start();
    let api = host.admin();
    assert_eq!(
        api.install_artifact(&hostile::HOSTILE_PANIC).await.status,
        201
    );
    let r = api.invoke("hostile-panic", &json!({})).await;
    assert_eq!(r.status, 502, "{}", r.text);
    assert_eq!(r.code(), "plugin_trapped");
    assert!(r.message().contains("deliberate panic"), "{}", r.message());
    host_still_serves(&api).await;
}

#[tokio::test]
async fn file_reads_are_denied_without_a_grant() {
    // Declared but not granted: refused at install, naming plugin and capability.
    let host = Host::start();
    let api = host.admin();
    let r = api.install_artifact(&hostile::HOSTILE_FS).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.code(), "capability_not_granted");
    assert!(
        r.message().contains("hostile-fs") && r.message().contains("filesystem"),
        "{}",
        r.message()
    );

    // Not declared: installs, and every read fails inside the sandbox.
    let r = api
        .install(
            &without_capabilities(hostile::HOSTILE_FS.manifest),
            hostile::HOSTILE_FS.wasm,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api.invoke("hostile-fs", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let err = &r.json["output"]["Err"];
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("filesystem denied"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("root:"), "/etc/passwd leaked: {}", r.text);
    host_still_serves(&api).await;
}

#[tokio::test]
async fn a_granted_directory_is_readable_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hello from the grant").unwrap();
    let config = format!(
        "[plugins.hostile-fs.grants]\nfilesystem = {:?}\n",
        dir.path().display().to_string()
    );
    let host = Host::with_config(&config);
    let api = host.admin();
    assert_eq!(api.install_artifact(&hostile::HOSTILE_FS).await.status, 201);
    let r = api
        .invoke(
            "hostile-fs",
            &json!({"source_config": {"path": "/data/hello.txt"}}),
        )
        .await;
    assert_eq!(
        r.json["output"]["Ok"]["events"][0]["name"], "hello from the grant",
        "{}",
        r.text
    );
    let r = api.invoke("hostile-fs", &json!({})).await;
    assert!(
        r.json["output"]["Err"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("filesystem denied"),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn the_environment_is_empty_without_a_grant() {
    let host = Host::start();
    let api = host.admin();
    let r = api
        .install(
            &without_capabilities(hostile::HOSTILE_ENV.manifest),
            hostile::HOSTILE_ENV.wasm,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api.invoke("hostile-env", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["output"]["Ok"]["events"][0]["name"], "",
        "{}",
        r.text
    );
    assert!(
        !r.text.contains(crate::util::ADMIN),
        "the host's environment leaked"
    );

    // Granted and declared: exactly the named variable is visible.
    let host =
        Host::with_config("[plugins.hostile-env.grants]\nenvironment = [\"SIDECOACH_LOG\"]\n");
    let api = host.admin();
    assert_eq!(
        api.install_artifact(&hostile::HOSTILE_ENV).await.status,
        201
    );
    let r = api.invoke("hostile-env", &json!({})).await;
    assert_eq!(
        r.json["output"]["Ok"]["events"][0]["name"], "SIDECOACH_LOG=warn",
        "{}",
        r.text
    );
}

/// What the hostile-clock plugin saw: (wall clock ms, monotonic ns over
/// its work).
async fn clocks_seen(api: &Client) -> (u128, u128) {
    let r = api.invoke("hostile-clock", &json!({"body": "tick"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let agent = &r.json["output"]["Ok"]["events"][0];
    let read = |field: &str| -> u128 {
        agent[field]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{field}: {}", r.text))
    };
    (read("name"), read("team"))
}

#[tokio::test]
async fn the_clocks_are_stopped_at_the_epoch_without_a_grant() {
    let host = Host::start();
    let api = host.admin();
    let r = api
        .install(
            &without_capabilities(hostile::HOSTILE_CLOCK.manifest),
            hostile::HOSTILE_CLOCK.wasm,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(clocks_seen(&api).await, (0, 0), "both clocks stopped");

    // Declared but not granted: the install is refused, naming the grant.
    let host = Host::start();
    let api = host.admin();
    let r = api.install_artifact(&hostile::HOSTILE_CLOCK).await;
    assert!(r.status.is_client_error(), "{}", r.text);
    assert_eq!(r.code(), "capability_not_granted", "{}", r.text);

    // Declared and granted: the real clocks.
    let host = Host::with_config("[plugins.hostile-clock.grants]\nclocks = true\n");
    let api = host.admin();
    assert_eq!(
        api.install_artifact(&hostile::HOSTILE_CLOCK).await.status,
        201
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let (wall, monotonic) = clocks_seen(&api).await;
    assert!(
        wall.abs_diff(now_ms) < 60_000,
        "the wall clock is real: {wall} vs {now_ms}"
    );
    assert!(monotonic > 0, "the monotonic clock moves");
}

#[tokio::test]
async fn sockets_are_refused_without_a_grant() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let host = Host::start();
    let api = host.admin();
    let r = api
        .install(
            &without_capabilities(hostile::HOSTILE_SOCKET.manifest),
            hostile::HOSTILE_SOCKET.wasm,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api.invoke("hostile-socket", &json!({"body": addr})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.json["output"]["Err"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("network denied"),
        "{}",
        r.text
    );
    host_still_serves(&api).await;

    // With the address granted, the same plugin connects.
    let host = Host::with_config(&format!(
        "[plugins.hostile-socket.grants]\nnetwork = [\"{addr}\"]\n"
    ));
    let api = host.admin();
    assert_eq!(
        api.install_artifact(&hostile::HOSTILE_SOCKET).await.status,
        201
    );
    let r = api.invoke("hostile-socket", &json!({"body": addr})).await;
    assert_eq!(
        r.json["output"]["Ok"]["events"][0]["vendor_user_id"], "connected",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn an_oversized_output_is_discarded() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(
        hostile::HOSTILE_OUTPUT.manifest,
        &[("memory_mib", 256), ("max_output_bytes", 1 << 20)],
    );
    assert_eq!(
        api.install(&manifest, hostile::HOSTILE_OUTPUT.wasm)
            .await
            .status,
        201
    );
    let r = api.invoke("hostile-output", &json!({})).await;
    assert_eq!(r.status, 502, "{}", &r.text[..r.text.len().min(500)]);
    assert_eq!(r.code(), "plugin_output_too_large");
    assert!(r.text.len() < 10_000, "the oversized output was sent back");
    host_still_serves(&api).await;
}

#[tokio::test]
async fn log_spam_is_capped_and_counted() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(
        hostile::HOSTILE_LOGSPAM.manifest,
        &[("max_log_bytes", 8192), ("deadline_ms", 20_000)],
    );
    assert_eq!(
        api.install(&manifest, hostile::HOSTILE_LOGSPAM.wasm)
            .await
            .status,
        201
    );
    let r = api.invoke("hostile-logspam", &json!({})).await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(500)]);
    let kept = r.json["logs"].as_array().unwrap();
    let kept_bytes: usize = kept
        .iter()
        .map(|l| l["message"].as_str().unwrap().len())
        .sum();
    assert!(kept_bytes <= 8192, "kept {kept_bytes} bytes");
    assert!(!kept.is_empty());
    assert_eq!(
        r.json["dropped_log_lines"].as_u64().unwrap() + kept.len() as u64,
        100_000
    );
    let metrics = api.get("/metrics").await.text;
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("sidecoach_plugin_log_bytes_dropped_total{plugin=\"hostile-logspam\"}")
        })
        .expect("dropped log bytes are in /metrics");
    let dropped: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(dropped > 90_000_000, "{line}");
    host_still_serves(&api).await;
}

/// A small form and evaluations of it, as the scorer `invoke` takes them.
fn scorer_input(external_ids: &[&str]) -> serde_json::Value {
    json!({
        "form": {
            "id": "f", "version": 1, "name": "QA",
            "sections": [{"id": "s1", "name": "Call", "weight": 1, "criteria": [
                {"id": "c1", "label": "Greeted", "weight": 1, "scale_min": 0, "scale_max": 1}]}],
            "settings": {"weighting": "question", "na_policy": "exclude",
                         "na_redistribution": "proportional", "auto_fail": "zero-score",
                         "normalization": "min-max", "pass_mark": 70}
        },
        "evaluations": external_ids.iter().map(|id| json!({
            "external_id": id, "form_id": "f",
            "answers": [{"criterion_id": "c1", "value": 1}]
        })).collect::<Vec<_>>()
    })
}

/// The reference scorer answers with a scorecard.
async fn reference_scorer_scores(api: &Client) {
    let r = api
        .invoke("reference-scorer", &scorer_input(&["still-scored"]))
        .await;
    assert_eq!(r.status, 200, "the reference scorer failed: {}", r.text);
    assert_eq!(r.json["output"][0]["Ok"]["score"], 100.0, "{}", r.text);
}

/// The host's peak resident memory so far, in bytes.
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    kib << 10
}

#[tokio::test]
async fn an_output_aliasing_one_buffer_is_refused_before_the_host_copies_it() {
    let host = Host::start();
    let api = host.admin();
    let manifest = with_limits(
        hostile::HOSTILE_ALIAS_OUTPUT.manifest,
        &[("memory_mib", 64), ("max_output_bytes", 1 << 20)],
    );
    let r = api
        .install(&manifest, hostile::HOSTILE_ALIAS_OUTPUT.wasm)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let before = peak_rss_bytes(host.pid());
    // Each call returns 16 strings aliasing one 8 MiB buffer: 128 MiB if
    // the host copied them before checking.
    for _ in 0..3 {
        let r = api.invoke("hostile-alias-output", &json!({})).await;
        assert_eq!(r.status, 502, "{}", &r.text[..r.text.len().min(500)]);
        assert_eq!(r.code(), "plugin_output_too_large", "{}", r.text);
        assert!(r.message().contains("1048576"), "{}", r.message());
    }
    let grown = peak_rss_bytes(host.pid()).saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "the host's peak memory grew by {} MiB",
        grown >> 20
    );
    host_still_serves(&api).await;
}

#[tokio::test]
async fn stderr_past_the_log_limit_is_dropped_not_a_trap_and_errors_quote_little_of_it() {
    let host = Host::with_config("[runtime]\nbreaker_threshold = 1\n");
    let api = host.admin();
    let manifest = with_limits(
        hostile::HOSTILE_STDERR.manifest,
        &[("max_log_bytes", 65_536)],
    );
    let r = api.install(&manifest, hostile::HOSTILE_STDERR.wasm).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // 256 KiB of stderr: kept up to the limit, the rest counted, call fine.
    let r = api
        .invoke("hostile-stderr", &json!({"body": "flood"}))
        .await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(500)]);
    assert_eq!(
        r.json["output"]["Ok"]["events"][0]["vendor_user_id"],
        "still-here"
    );
    let kept: usize = r.json["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap().len())
        .sum();
    assert!(kept > 0 && kept <= 65_536, "kept {kept} bytes");
    assert!(
        r.json["dropped_log_lines"].as_u64().unwrap() > 0,
        "{}",
        &r.text[..500]
    );

    // A panic after the flood: the error quotes at most ~1 KiB of it, and
    // so does the breaker record it trips.
    let r = api
        .invoke("hostile-stderr", &json!({"body": "panic"}))
        .await;
    assert_eq!(
        r.code(),
        "plugin_trapped",
        "{}",
        &r.text[..r.text.len().min(500)]
    );
    assert!(r.message().len() < 2048, "{} bytes", r.message().len());
    assert!(r.message().contains("more bytes cut]"), "{}", r.message());
    let status = api.get("/v1/plugins/hostile-stderr").await;
    assert_eq!(status.json["state"], "tripped", "{}", &status.text[..500]);
    let last = status.json["tripped"]["last_error"].as_str().unwrap();
    assert!(last.len() < 2048, "last_error is {} bytes", last.len());
    let r = api
        .invoke("hostile-stderr", &json!({"body": "flood"}))
        .await;
    assert_eq!(r.code(), "plugin_tripped");
    assert!(r.text.len() < 4096, "{} bytes", r.text.len());
    host_still_serves(&api).await;
}

/// Re-score form `f` with `version` of `hostile-rescore`; the failure
/// codes of its evaluations.
async fn rescore_codes(api: &Client, version: &str) -> Vec<String> {
    let r = api
        .post(
            "/v1/forms/f/rescore",
            &json!({"plugin": "hostile-rescore", "version": version}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["failed"]
        .as_array()
        .unwrap_or_else(|| panic!("no failures listed: {}", r.text))
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn rescoring_with_an_old_version_takes_the_plugins_call_path() {
    let host = Host::with_config("[runtime]\nbreaker_threshold = 2\n");
    let api = host.admin();
    let limits = [
        ("deadline_ms", 1500),
        ("max_concurrency", 2),
        ("queue_wait_ms", 100),
    ];
    for artifact in [hostile::HOSTILE_RESCORE_V1, hostile::HOSTILE_RESCORE_V2] {
        let r = api
            .install(&with_limits(artifact.manifest, &limits), artifact.wasm)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let agent = api.post("/v1/agents", &json!({"name": "Ada"})).await;
    assert!(agent.status.is_success(), "{}", agent.text);
    let agent = agent.json.get("record").unwrap_or(&agent.json)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let form = scorer_input(&[])["form"].clone();
    assert!(api.post("/v1/forms", &form).await.status.is_success());
    let r = api
        .post(
            "/v1/evaluations",
            &json!({"source": "qa", "external_id": "e1", "form_id": "f", "agent_id": agent,
                    "evaluated_at": 1_795_392_000_000_i64,
                    "answers": [{"criterion_id": "c1", "value": 1}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Disabled: the old version is not run either.
    let r = api
        .post("/v1/plugins/hostile-rescore/disable", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(rescore_codes(&api, "1.0.0").await, ["plugin_disabled"]);
    let r = api
        .post("/v1/plugins/hostile-rescore/enable", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Concurrent re-scores with the looping version 1: at most two run (the
    // plugin's call slots), and two timeouts trip the plugin's breaker.
    let mut codes: Vec<String> =
        futures_util::future::join_all((0..6).map(|_| rescore_codes(&api, "1.0.0")))
            .await
            .into_iter()
            .flatten()
            .collect();
    for _ in 0..5 {
        let state = api.get("/v1/plugins/hostile-rescore").await.json["state"].clone();
        if state == "tripped" {
            break;
        }
        codes.extend(rescore_codes(&api, "1.0.0").await);
    }
    let timeouts = codes.iter().filter(|c| *c == "plugin_timeout").count();
    assert_eq!(timeouts, 2, "{codes:?}");
    assert!(
        codes
            .iter()
            .all(|c| ["plugin_timeout", "plugin_busy", "plugin_tripped"].contains(&c.as_str())),
        "{codes:?}"
    );
    let status = api.get("/v1/plugins/hostile-rescore").await.json;
    assert_eq!(status["state"], "tripped", "{status}");
    assert_eq!(status["version"], "2.0.0", "{status}");
    assert!(
        status["tripped"]["last_error"]
            .as_str()
            .unwrap()
            .contains("1500 ms"),
        "{status}"
    );
    // Tripped: refused too, old version or not.
    assert_eq!(rescore_codes(&api, "1.0.0").await, ["plugin_tripped"]);
}

#[tokio::test]
async fn many_copies_of_a_looping_plugin_cannot_starve_the_reference_scorer() {
    let host = Host::with_config("[runtime]\npool_instances = 8\nbreaker_threshold = 0\n");
    let api = host.admin();
    const COPIES: usize = 6;
    for n in 0..COPIES {
        let manifest = edit_manifest(
            &with_limits(
                hostile::HOSTILE_LOOP.manifest,
                &[
                    ("deadline_ms", 1500),
                    ("max_concurrency", 4),
                    ("queue_wait_ms", 50),
                ],
            ),
            |t| {
                t.insert("id".into(), toml::Value::String(format!("loop-{n}")));
            },
        );
        let r = api.install(&manifest, hostile::HOSTILE_LOOP.wasm).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    // 24 looping calls against a pool of 8, while the reference scorer scores.
    let loops = futures_util::future::join_all((0..COPIES * 4).map(|i| {
        let api = api.clone();
        async move {
            api.invoke(&format!("loop-{}", i % COPIES), &json!({}))
                .await
        }
    }));
    let scoring = async {
        for _ in 0..5 {
            reference_scorer_scores(&api).await;
        }
    };
    let (loops, ()) = tokio::join!(loops, scoring);
    for r in &loops {
        assert!(
            ["plugin_timeout", "plugin_busy"].contains(&r.code()),
            "a looping copy got {} {}",
            r.status,
            r.text
        );
    }
    assert!(
        loops.iter().any(|r| r.code() == "plugin_busy"),
        "the pool share held no one back"
    );
    host_still_serves(&api).await;
}

#[tokio::test]
async fn the_nan_scorer_installs_and_scores_non_finite_numbers() {
    let host = Host::start();
    let api = host.admin();
    let r = api.install_artifact(&hostile::HOSTILE_NAN_SCORER).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api
        .invoke(
            "hostile-nan-scorer",
            &scorer_input(&["a-nan", "b-inf", "c-neginf"]),
        )
        .await;
    // What the host makes of NaN and infinities is the scoring layer's
    // to decide; here the plugin runs and answers one result each.
    assert!(r.status == 200 || r.status.is_server_error(), "{}", r.text);
    if r.status == 200 {
        assert_eq!(r.json["output"].as_array().unwrap().len(), 3, "{}", r.text);
    }
    host_still_serves(&api).await;
}

#[tokio::test]
async fn the_bad_scorecard_scorer_installs_and_answers_each_evaluation() {
    let host = Host::start();
    let api = host.admin();
    let r = api.install_artifact(&hostile::HOSTILE_BAD_SCORECARD).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let ids = [
        "e-other-id",
        "e-pass-autofail",
        "e-negative",
        "e-huge",
        "e-unknown-section",
        "e-fine",
    ];
    let r = api
        .invoke("hostile-bad-scorecard", &scorer_input(&ids))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cards: Vec<_> = r.json["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Ok"].clone())
        .collect();
    assert_eq!(cards.len(), ids.len(), "{}", r.text);
    assert_eq!(cards[0]["evaluation_external_id"], "e-pass-autofail");
    assert_eq!(
        (
            cards[1]["outcome"].as_str(),
            cards[1]["auto_failed"].as_bool()
        ),
        (Some("pass"), Some(true))
    );
    assert_eq!(cards[2]["score"], -250.0);
    assert_eq!(cards[3]["score"], 1e300);
    assert_eq!(cards[4]["sections"][1]["section_id"], "no-such-section");
    assert_eq!(cards[5]["score"], 100.0);
    host_still_serves(&api).await;
}

/// The tests that exercise each hostile plugin. `foreach_hostile_plugin!`
/// names every `plugins/hostile-*` guest, so a hostile plugin added
/// without a test here fails to compile.
macro_rules! hostile_tests {
    ($($plugin:ident => [$($test:ident),+ $(,)?]),+ $(,)?) => {
        $(mod $plugin {
            #[expect(unused_imports, reason = "the imports only prove the tests exist")]
            pub(super) use super::{$($test),+};
        })+
    };
}
hostile_tests! {
    hostile_loop => [
        infinite_loop_is_stopped_at_its_deadline,
        a_manifest_cannot_raise_the_operators_limits,
        many_copies_of_a_looping_plugin_cannot_starve_the_reference_scorer,
    ],
    hostile_sleep => [a_plugin_blocked_in_a_host_call_is_stopped_at_its_deadline],
    hostile_alloc => [unbounded_allocation_hits_its_memory_cap],
    hostile_panic => [a_panic_is_isolated_and_its_message_reported],
    hostile_fs => [
        file_reads_are_denied_without_a_grant,
        a_granted_directory_is_readable_and_nothing_else,
    ],
    hostile_env => [the_environment_is_empty_without_a_grant],
    hostile_clock => [the_clocks_are_stopped_at_the_epoch_without_a_grant],
    hostile_socket => [sockets_are_refused_without_a_grant],
    hostile_output => [an_oversized_output_is_discarded],
    hostile_logspam => [log_spam_is_capped_and_counted],
    hostile_alias_output => [an_output_aliasing_one_buffer_is_refused_before_the_host_copies_it],
    hostile_stderr => [stderr_past_the_log_limit_is_dropped_not_a_trap_and_errors_quote_little_of_it],
    hostile_rescore_v1 => [rescoring_with_an_old_version_takes_the_plugins_call_path],
    hostile_rescore_v2 => [rescoring_with_an_old_version_takes_the_plugins_call_path],
    hostile_nan_scorer => [the_nan_scorer_installs_and_scores_non_finite_numbers],
    hostile_bad_scorecard => [the_bad_scorecard_scorer_installs_and_answers_each_evaluation],
}

macro_rules! assert_hostile_test_exists {
    ($name:ident) => {
        #[expect(unused_imports, reason = "the import only proves the tests exist")]
        use self::$name as _;
    };
}
sidecoach_plugin_artifacts::foreach_hostile_plugin!(assert_hostile_test_exists);

/// A vendor delivery that a hostile adapter loops on, exhausts memory on or
/// panics on is refused with the runtime's code, and kept as a dead letter
/// holding the payload (never silently dropped); the host keeps serving.
#[tokio::test]
async fn a_delivery_a_hostile_adapter_fails_on_is_kept_as_a_dead_letter() {
    let host = Host::with_config(
        "[sources.looping]\nadapter = \"hostile-loop\"\n\
         [sources.hungry]\nadapter = \"hostile-alloc\"\n\
         [sources.panicking]\nadapter = \"hostile-panic\"\n",
    );
    let api = host.admin();
    let installs = [
        with_limits(hostile::HOSTILE_LOOP.manifest, &[("deadline_ms", 300)]),
        with_limits(hostile::HOSTILE_ALLOC.manifest, &[("memory_mib", 16)]),
        hostile::HOSTILE_PANIC.manifest.to_string(),
    ];
    let wasms = [
        hostile::HOSTILE_LOOP.wasm,
        hostile::HOSTILE_ALLOC.wasm,
        hostile::HOSTILE_PANIC.wasm,
    ];
    for (manifest, wasm) in installs.iter().zip(wasms) {
        let r = api.install(manifest, wasm).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    for (source, code) in [
        ("looping", "plugin_timeout"),
        ("hungry", "plugin_memory_limit"),
        ("panicking", "plugin_trapped"),
    ] {
        let body = format!("{{\"events\": [], \"delivery\": \"kept-{source}-7f3a\"}}");
        let r = api
            .post_raw(
                &format!("/v1/ingest/{source}"),
                "application/json",
                &[],
                body.as_bytes(),
            )
            .await;
        assert!(r.status.is_server_error(), "{source}: {}", r.text);
        assert_eq!(r.code(), code, "{source}: {}", r.text);
        let id = r.json["error"]["details"]["dead_letter"]
            .as_str()
            .unwrap_or_else(|| panic!("{source}: no dead letter in {}", r.text));
        let d = api.get(&format!("/v1/dead-letters/{id}")).await;
        assert_eq!(d.status, 200, "{}", d.text);
        assert_eq!(d.json["source"], source, "{}", d.text);
        assert_eq!(d.json["reasons"][0]["code"], code, "{}", d.text);
        let kept = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            d.json["body_base64"].as_str().unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(kept, body.as_bytes(), "the payload is kept: {}", d.text);
    }
    host_still_serves(&api).await;
}
