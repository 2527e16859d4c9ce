//! The plugin kit end to end, as the tutorial (docs/plugins.md) runs it:
//! `sidecoach plugin new` → `plugin build` → `plugin test` → `plugin
//! install` on a running host → a form (or a source) using the plugin → an
//! evaluation scored (or a vendor request ingested), for a Rust scorer, a
//! Rust adapter, a Python scorer from the template, and the Python and
//! JavaScript example scorers in `examples/plugins/`.
//!
//! Rust projects build into the guests' target folder (`target/wasm-guests`,
//! where the same crates are already built); `plugin test` and the hosts
//! share the test run's compile cache, so a component is compiled once.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::util::{ADMIN, Host, shared_compile_cache};

/// What a `sidecoach plugin …` run printed.
struct Run {
    ok: bool,
    out: String,
}

/// Runs `sidecoach plugin ARGS…` (against `host` when given).
fn plugin(host: Option<&Host>, args: &[&str]) -> Run {
    let guests = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("wasm-guests");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sidecoach"));
    cmd.arg("plugin")
        .args(args)
        .env("CARGO_TARGET_DIR", guests)
        .env("SIDECOACH_CACHE_DIR", shared_compile_cache())
        .env_remove("SIDECOACH_CONFIG")
        // The outer `cargo test`'s flags are for the host, not for wasm.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS");
    if let Some(host) = host {
        cmd.env("SIDECOACH_URL", &host.url)
            .env("SIDECOACH_TOKEN", ADMIN);
    }
    let out = cmd.output().expect("run sidecoach");
    Run {
        ok: out.status.success(),
        out: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `new` (unless `dir` is an existing project), `build`, `test`; returns the
/// component.
fn new_build_test(dir: &Path, new_args: &[&str], cases: usize) -> PathBuf {
    if !new_args.is_empty() {
        let mut args = vec!["new"];
        args.extend_from_slice(new_args);
        args.extend_from_slice(&["--dir", path(dir)]);
        let r = plugin(None, &args);
        assert!(r.ok, "plugin new: {}", r.out);
        assert!(dir.join("wit/sidecoach.wit").is_file(), "{}", r.out);
        assert!(dir.join("plugin.toml").is_file(), "{}", r.out);
    }
    let r = plugin(None, &["build", path(dir)]);
    assert!(r.ok, "plugin build: {}", r.out);
    let id =
        toml::from_str::<toml::Table>(&std::fs::read_to_string(dir.join("plugin.toml")).unwrap())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    let wasm = dir.join("dist").join(format!("{id}.wasm"));
    let built = std::fs::read_to_string(dir.join("dist/plugin.toml")).unwrap();
    let sha = sidecoach::clock::sha256_hex(&std::fs::read(&wasm).unwrap());
    assert!(
        built.contains(&format!("sha256 = \"{sha}\"")),
        "dist/plugin.toml carries the component's sha256: {built}"
    );

    let r = plugin(None, &["test", path(dir)]);
    assert!(r.ok, "plugin test: {}", r.out);
    assert!(
        r.out.contains(&format!("{cases} passed, 0 failed")),
        "{}",
        r.out
    );
    // Every case reports its cost.
    assert!(r.out.contains("fuel "), "{}", r.out);
    assert!(r.out.contains("memory "), "{}", r.out);
    wasm
}

/// A case whose expected output no longer holds fails with a diff naming the
/// path, and the run exits non-zero; `--update` records the observed output.
fn a_wrong_expectation_fails_and_update_rewrites_it(dir: &Path, case: &str, pointer: &str) {
    let file = dir.join("cases").join(case);
    let original = std::fs::read_to_string(&file).unwrap();
    let mut broken: Value = serde_json::from_str(&original).unwrap();
    *broken
        .pointer_mut(pointer)
        .expect("the case has that field") = json!(12.5);
    std::fs::write(&file, serde_json::to_string_pretty(&broken).unwrap()).unwrap();
    let r = plugin(None, &["test", path(dir)]);
    assert!(!r.ok, "a failing case exits non-zero: {}", r.out);
    assert!(r.out.contains("FAIL"), "{}", r.out);
    assert!(r.out.contains("expected 12.5, got"), "{}", r.out);
    let r = plugin(None, &["test", path(dir), "--update"]);
    assert!(r.ok, "{}", r.out);
    assert!(r.out.contains("1 updated"), "{}", r.out);
    let restored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(restored, serde_json::from_str::<Value>(&original).unwrap());
}

/// Installs with `sidecoach plugin install`.
fn install(host: &Host, wasm: &Path) {
    let r = plugin(Some(host), &["install", path(wasm)]);
    assert!(r.ok, "plugin install: {}", r.out);
    assert!(r.out.contains("\"compile\""), "{}", r.out);
}

/// A form scored by `scorer`, an agent, and one evaluation of it; returns
/// the stored scorecard.
async fn score_one(host: &Host, scorer: &str, case: &Path) -> Value {
    let case: Value = serde_json::from_str(&std::fs::read_to_string(case).unwrap()).unwrap();
    let api = host.admin();
    let mut form = case["input"]["form"].clone();
    form["scorer"] = json!(scorer);
    let r = api.post("/v1/forms", &form).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api.post("/v1/agents", &json!({"name": "Ana Lima"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let agent = r.json.get("record").unwrap_or(&r.json)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let evaluation = &case["input"]["evaluations"][0];
    let r = api
        .post(
            "/v1/evaluations",
            &json!({
                "source": "qa", "external_id": evaluation["external_id"],
                "form_id": form["id"], "agent_id": agent,
                "evaluated_at": 1_795_392_000_000_i64,
                "answers": evaluation["answers"],
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let card = r.json["record"]["scorecard"].clone();
    assert_eq!(card["plugin_id"], scorer, "{}", r.text);
    let expected = &case["output"][0]["Ok"];
    assert!(
        (card["score"].as_f64().unwrap() - expected["score"].as_f64().unwrap()).abs() < 1e-9,
        "the stored scorecard is the case's: {card} vs {expected}"
    );
    assert_eq!(card["outcome"], expected["outcome"], "{card}");
    card
}

#[tokio::test]
async fn a_rust_scorer_goes_from_plugin_new_to_a_scored_evaluation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("acme-scorer");
    let wasm = new_build_test(&dir, &["acme-scorer", "--kind", "scorer"], 4);
    a_wrong_expectation_fails_and_update_rewrites_it(
        &dir,
        "not-applicable-left-out.json",
        "/output/0/Ok/score",
    );
    let host = Host::start();
    install(&host, &wasm);
    // N/A left out; the compliance criterion counts double (config default):
    // 6.25 of 8 = 78.125, under the pass mark of 80.
    let card = score_one(
        &host,
        "acme-scorer",
        &dir.join("cases/not-applicable-left-out.json"),
    )
    .await;
    assert_eq!(card["score"], 78.125, "{card}");
    assert_eq!(card["outcome"], "fail", "{card}");
}

#[tokio::test]
async fn a_rust_adapter_goes_from_plugin_new_to_records_ingested_from_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("acme-calls");
    let wasm = new_build_test(&dir, &["acme-calls", "--kind", "adapter"], 3);
    let host = Host::with_config("[sources.acme]\nadapter = \"acme-calls\"\n");
    install(&host, &wasm);
    let api = host.admin();
    let body = std::fs::read(dir.join("samples/call-ended.json")).unwrap();
    let r = api
        .post_raw("/v1/ingest/acme", "application/json", &[], &body)
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let agents = api.get("/v1/agents").await;
    let ana = agents.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Ana Lima")
        .unwrap_or_else(|| panic!("the adapter's agent is stored: {}", agents.text))
        .clone();
    let feedback = api.get("/v1/feedback").await;
    let survey = feedback.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["external_id"] == "c-1001-survey")
        .unwrap_or_else(|| panic!("the survey is stored: {}", feedback.text))
        .clone();
    assert_eq!(survey["value"], 2.0, "{survey}");
    assert_eq!(survey["agent_id"], ana["id"], "{survey}");
    assert_eq!(survey["topics"], json!(["product-knowledge"]), "{survey}");
}

#[tokio::test]
async fn a_python_scorer_goes_from_plugin_new_to_a_scored_evaluation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("center-rule");
    let wasm = new_build_test(
        &dir,
        &["center-rule", "--kind", "scorer", "--lang", "python"],
        3,
    );
    let host = Host::start();
    install(&host, &wasm);
    score_one(
        &host,
        "center-rule",
        &dir.join("cases/1-weighted-score.json"),
    )
    .await;
}

/// Builds, tests (its six cases) and installs `examples/plugins/<name>`,
/// in a copy so the repository's example stays as committed (`copy_dir`
/// leaves out `dist/` and `node_modules/`), then scores the case whose
/// compliance miss caps the score: 60.
async fn the_example_caps_a_compliance_miss(name: &str) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/plugins")
        .join(name);
    let dir = tmp.path().join(name);
    copy_dir(&example, &dir);
    let wasm = new_build_test(&dir, &[], 6);
    let host = Host::start();
    install(&host, &wasm);
    let card = score_one(&host, name, &dir.join("cases/2-compliance-miss-caps.json")).await;
    assert_eq!(
        card["score"], 60.0,
        "capped at the compliance ceiling: {card}"
    );
    card
}

#[tokio::test]
async fn the_python_example_scorer_caps_a_compliance_miss_on_the_real_host() {
    let card = the_example_caps_a_compliance_miss("python-scorer").await;
    assert_eq!(card["outcome"], "fail", "{card}");
}

#[tokio::test]
async fn the_javascript_example_scorer_scores_like_the_python_one_on_the_real_host() {
    // jco (componentize-js) from the example's package-lock.json; its cases
    // are python-scorer's, unchanged.
    the_example_caps_a_compliance_miss("js-scorer").await;
}

#[test]
fn plugin_new_refuses_a_bad_id_and_an_existing_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let r = plugin(
        None,
        &[
            "new",
            "Acme_Scorer",
            "--kind",
            "scorer",
            "--dir",
            path(tmp.path()),
        ],
    );
    assert!(!r.ok);
    assert!(r.out.contains("cannot be a plugin id"), "{}", r.out);
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let r = plugin(
        None,
        &[
            "new",
            "acme",
            "--kind",
            "flagger",
            "--dir",
            path(tmp.path()),
        ],
    );
    assert!(!r.ok);
    assert!(r.out.contains("not empty"), "{}", r.out);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine"
    );
    let r = plugin(None, &["test", path(tmp.path())]);
    assert!(!r.ok);
    assert!(r.out.contains("no plugin.toml"), "{}", r.out);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_name() == "node_modules" || entry.file_name() == "dist" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
