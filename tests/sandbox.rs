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
    ],
    hostile_sleep => [a_plugin_blocked_in_a_host_call_is_stopped_at_its_deadline],
    hostile_alloc => [unbounded_allocation_hits_its_memory_cap],
    hostile_panic => [a_panic_is_isolated_and_its_message_reported],
    hostile_fs => [
        file_reads_are_denied_without_a_grant,
        a_granted_directory_is_readable_and_nothing_else,
    ],
    hostile_env => [the_environment_is_empty_without_a_grant],
    hostile_socket => [sockets_are_refused_without_a_grant],
    hostile_output => [an_oversized_output_is_discarded],
    hostile_logspam => [log_spam_is_capped_and_counted],
}

macro_rules! assert_hostile_test_exists {
    ($name:ident) => {
        #[expect(unused_imports, reason = "the import only proves the tests exist")]
        use self::$name as _;
    };
}
sidecoach_plugin_artifacts::foreach_hostile_plugin!(assert_hostile_test_exists);
