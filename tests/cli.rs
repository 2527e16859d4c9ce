//! The `sidecoach plugin …` commands against a running host, with the sample
//! inputs in `examples/data/`, and `sidecoach token …`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use sidecoach_plugin_artifacts::testing;

use crate::util::{ADMIN, Host};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// Run `sidecoach plugin ARGS…` against `host`; returns (success, stdout JSON).
fn plugin_cmd(host: &Host, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sidecoach"))
        .arg("plugin")
        .args(args)
        .env("SIDECOACH_URL", &host.url)
        .env("SIDECOACH_TOKEN", ADMIN)
        .output()
        .expect("run sidecoach");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (
        out.status.success(),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        format!("{stdout}{stderr}"),
    )
}

#[test]
fn the_sample_inputs_run_through_every_reference_plugin_from_the_cli() {
    let host = Host::start();
    let (ok, v, text) = plugin_cmd(
        &host,
        &[
            "invoke",
            "reference-scorer",
            repo("examples/data/invoke-reference-scorer.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(ok, "{text}");
    assert!(
        (v["output"][0]["Ok"]["score"].as_f64().unwrap() - 70.0).abs() < 1e-9,
        "MaestroQA example is 70%: {text}"
    );

    let (ok, v, text) = plugin_cmd(
        &host,
        &[
            "invoke",
            "json-adapter",
            repo("examples/data/invoke-json-adapter.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(ok, "{text}");
    assert_eq!(
        v["output"]["Ok"]["events"].as_array().map(Vec::len),
        Some(2),
        "{text}"
    );

    let (ok, v, text) = plugin_cmd(
        &host,
        &[
            "invoke",
            "reference-matcher",
            repo("examples/data/invoke-reference-matcher.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(ok, "{text}");
    let best = v["output"]["Ok"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| {
            a["score"]
                .as_f64()
                .partial_cmp(&b["score"].as_f64())
                .unwrap()
        })
        .unwrap()
        .clone();
    assert_eq!(
        best["mentor_index"], 0,
        "bo complements ana's weakest topic: {text}"
    );

    let (ok, v, text) = plugin_cmd(
        &host,
        &[
            "invoke",
            "reference-flagger",
            repo("examples/data/invoke-reference-flagger.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(ok, "{text}");
    let rules: Vec<_> = v["output"]["Ok"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rules.len(), 3, "{text}");
}

#[test]
fn the_cli_installs_lists_and_rolls_back_plugins_on_a_running_host() {
    let host = Host::start();
    let v1 = repo("plugins/probe-v1/plugin.toml");
    let (ok, v, text) = plugin_cmd(
        &host,
        &[
            "install",
            testing::PROBE_V1.path,
            "--manifest",
            v1.to_str().unwrap(),
        ],
    );
    assert!(ok, "{text}");
    assert_eq!(v["action"], "installed");
    let v2 = repo("plugins/probe-v2/plugin.toml");
    let (ok, v, text) = plugin_cmd(
        &host,
        &[
            "install",
            testing::PROBE_V2.path,
            "--manifest",
            v2.to_str().unwrap(),
        ],
    );
    assert!(ok, "{text}");
    assert_eq!(v["action"], "upgraded");
    let (ok, v, _) = plugin_cmd(&host, &["list"]);
    assert!(ok);
    assert_eq!(
        v.as_array().unwrap().len(),
        sidecoach_plugin_artifacts::reference::ALL.len() + 1
    );
    let (ok, v, text) = plugin_cmd(&host, &["rollback", "probe"]);
    assert!(ok, "{text}");
    assert_eq!(v["version"], "1.0.0");

    // Failures exit non-zero and print the host's error.
    let (ok, v, _) = plugin_cmd(&host, &["rollback", "no-such-plugin"]);
    assert!(!ok);
    assert_eq!(v["error"]["code"], "plugin_not_found");
    let out = Command::new(env!("CARGO_BIN_EXE_sidecoach"))
        .args(["plugin", "list"])
        .env("SIDECOACH_URL", &host.url)
        .env("SIDECOACH_TOKEN", "wrong")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}

/// Run `sidecoach token ARGS…` against `host` as the admin.
fn token_cmd(host: &Host, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sidecoach"))
        .arg("token")
        .args(args)
        .env("SIDECOACH_URL", &host.url)
        .env("SIDECOACH_TOKEN", ADMIN)
        .output()
        .expect("run sidecoach");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (
        out.status.success(),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        format!("{stdout}{stderr}"),
    )
}

#[tokio::test]
async fn the_cli_creates_lists_and_revokes_tokens_for_staff_people() {
    let host = Host::start();
    let api = host.admin();
    let cora = api
        .post(
            "/v1/staff",
            &serde_json::json!({"name": "Cora", "title": "coach"}),
        )
        .await;
    assert_eq!(cora.status, 201, "{}", cora.text);
    let cora = cora.json["id"].as_str().unwrap().to_string();
    let (ok, created, text) = token_cmd(
        &host,
        &[
            "create",
            "--role",
            "coach",
            "--name",
            "cora",
            "--staff",
            &cora,
            "--expires-in-days",
            "30",
        ],
    );
    assert!(ok, "{text}");
    let secret = created["token"].as_str().unwrap();
    let me = host.client(Some(secret)).get("/v1/me").await;
    assert_eq!(me.json["person"]["name"], "Cora", "{}", me.text);

    let (ok, list, text) = token_cmd(&host, &["list"]);
    assert!(ok, "{text}");
    assert!(!text.contains(secret), "never the secret: {text}");
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cora")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(listed["staff_id"], cora.as_str());
    assert!(listed["expires_at"].is_i64(), "{text}");

    let id = created["id"].as_str().unwrap();
    let (ok, _, text) = token_cmd(&host, &["revoke", id]);
    assert!(ok, "{text}");
    assert_eq!(host.client(Some(secret)).get("/v1/me").await.status, 401);
    let (ok, _, text) = token_cmd(&host, &["revoke", id]);
    assert!(!ok, "a second revoke is refused: {text}");
}

/// `sidecoach ingest` against a running host: a JSON-lines file goes in
/// chunks through the source's adapter, a second run stores nothing twice,
/// and a file with a record the host refuses fails the command, naming the
/// dead letter that keeps it.
#[tokio::test]
async fn the_cli_ingests_a_file_in_chunks_and_names_the_dead_letter_of_a_refused_record() {
    let host = Host::with_config("[sources.web]\nadapter = \"json-adapter\"\n");
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..1100)
        .map(|i| {
            serde_json::json!({"type": "feedback", "external_id": format!("r-{i}"), "kind": "csat",
                               "value": 1 + i % 5, "scale_min": 1, "scale_max": 5})
            .to_string()
        })
        .collect();
    let good = dir.path().join("ratings.jsonl");
    std::fs::write(&good, lines.join("\n")).unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        r#"{"type": "feedback", "external_id": "off-scale", "kind": "csat", "value": 9, "scale_min": 1, "scale_max": 5}"#,
    )
    .unwrap();
    let ingest = |file: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_sidecoach"))
            .args(["ingest", "--source", "web", "--chunk", "500"])
            .arg(file)
            .env("SIDECOACH_URL", &host.url)
            .env("SIDECOACH_TOKEN", ADMIN)
            .output()
            .expect("run sidecoach");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let stored = || async {
        let mut n = 0;
        let mut cursor = String::new();
        loop {
            let page = host
                .admin()
                .get(&format!("/v1/feedback?limit=1000{cursor}"))
                .await;
            n += page.json["items"].as_array().unwrap().len();
            match page.json["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return n,
            }
        }
    };

    let (ok, out) = ingest(&good);
    assert!(ok, "{out}");
    assert!(out.contains("source web: 1100 accepted"), "{out}");
    assert_eq!(stored().await, 1100);
    let (ok, out) = ingest(&good);
    assert!(ok, "a second run is a redelivery: {out}");
    assert_eq!(stored().await, 1100, "nothing stored twice");

    let (ok, out) = ingest(&bad);
    assert!(!ok, "a refused record fails the command: {out}");
    assert!(out.contains("1 rejected"), "{out}");
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("dead letter kept: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no dead letter named: {out}"));
    let d = host.admin().get(&format!("/v1/dead-letters/{id}")).await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(d.json["source"], "web", "{}", d.text);
    assert_eq!(stored().await, 1100);
}
