//! Memory benchmark: resident memory of an idle host, and what each loaded
//! plugin adds, measured on the real binary in one run.
//!
//! Every figure is the `VmRSS` of a `sidecoach serve` process (this build's
//! binary, a temporary data directory, loopback), read from
//! `/proc/<pid>/status` after the host has stood idle for two seconds:
//!
//! 1. first start: the host installs and compiles its eleven reference
//!    plugins (an empty compile cache);
//! 2. idle host: the same data directory started again, the compiled
//!    plugins read from the cache — what a restarted sidecar holds;
//! 3. distinct plugins: the test plugins that need no grant (each its own
//!    component) installed over the API: compiled, pre-instantiated, not
//!    called;
//! 4. copies: one component (`json-adapter`) installed again under new ids;
//! 5. the copies called once each (an instance pool per plugin);
//! 6. the host started again with all of them, loaded from the compile
//!    cache (no compiler scratch memory left over from installing).
//!
//! Each plugin's share is the difference over the step before, divided by
//! the plugins the step added. glibc keeps freed memory, so a step's
//! difference is an upper bound on what the plugins hold.
//!
//! Run with `cargo bench -p sidecoach --bench memory`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sidecoach_plugin_artifacts::{Artifact, hostile, reference};

const ADMIN: &str = "memory-bench-admin-token";
/// Copies of one component installed under new ids.
const COPIES: usize = 20;

struct Host {
    child: Child,
    url: String,
}

impl Host {
    fn start(data_dir: &Path, cache_dir: &Path) -> Host {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sidecoach"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("SIDECOACH_LOG", "warn")
            .env("SIDECOACH_ADMIN_TOKEN", ADMIN)
            .env("SIDECOACH_CACHE_DIR", cache_dir)
            .env_remove("SIDECOACH_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn sidecoach");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("the host printed its address")
                .expect("stdout");
            if let Some(rest) = line.strip_prefix("sidecoach listening on ") {
                break rest.split_whitespace().next().expect("address").to_string();
            }
        };
        // Keep draining stdout so the host never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Host { child, url }
    }

    /// Resident memory after two idle seconds, in MiB.
    fn idle_rss_mib(&self) -> f64 {
        std::thread::sleep(Duration::from_secs(2));
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    async fn install(&self, http: &reqwest::Client, manifest: String, wasm: &[u8]) -> bool {
        let form = reqwest::multipart::Form::new()
            .text("manifest", manifest)
            .part(
                "component",
                reqwest::multipart::Part::bytes(wasm.to_vec()).file_name("plugin.wasm"),
            );
        http.post(format!("{}/v1/plugins", self.url))
            .bearer_auth(ADMIN)
            .multipart(form)
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 201)
    }

    async fn invoke(&self, http: &reqwest::Client, id: &str) -> bool {
        let body = serde_json::json!({
            "body": "[{\"type\":\"agent\",\"vendor_user_id\":\"u-1\",\"name\":\"Ana\"}]"
        });
        http.post(format!("{}/v1/plugins/{id}/invoke", self.url))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `artifact`'s manifest under another id.
fn renamed(artifact: &Artifact, id: &str) -> String {
    let mut table: toml::Table = artifact.manifest.parse().expect("manifest parses");
    table.insert("id".into(), toml::Value::String(id.into()));
    table.to_string()
}

fn row(what: &str, rss: f64, before: f64, plugins: usize) {
    let share = if plugins == 0 {
        String::from("—")
    } else {
        format!("{:.2}", (rss - before) / plugins as f64)
    };
    println!("| {what} | {rss:.1} | {:+.1} | {share} |", rss - before);
}

#[tokio::main]
async fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let cache = tmp.path().join("cache");
    let http = reqwest::Client::new();

    let host = Host::start(&data, &cache);
    let first = host.idle_rss_mib();
    host.stop();
    let host = Host::start(&data, &cache);
    let idle = host.idle_rss_mib();

    let mut distinct = 0;
    let mut ids = std::collections::BTreeSet::new();
    for artifact in hostile::ALL {
        // One version per id; those needing no grant install as they are.
        if ids.insert(artifact.id)
            && host
                .install(&http, artifact.manifest.to_string(), artifact.wasm)
                .await
        {
            distinct += 1;
        }
    }
    let with_distinct = host.idle_rss_mib();

    let adapter = reference::ALL
        .iter()
        .find(|a| a.id == "json-adapter")
        .expect("json-adapter is a reference plugin");
    let mut copies = Vec::new();
    for n in 0..COPIES {
        let id = format!("json-adapter-copy-{n}");
        if host
            .install(&http, renamed(adapter, &id), adapter.wasm)
            .await
        {
            copies.push(id);
        }
    }
    let with_copies = host.idle_rss_mib();
    let started = Instant::now();
    let mut called = 0;
    for id in &copies {
        if host.invoke(&http, id).await {
            called += 1;
        }
    }
    let call_ms = started.elapsed().as_secs_f64() * 1e3;
    let after_calls = host.idle_rss_mib();
    host.stop();
    // The same plugins loaded at start from the compile cache: no
    // compiler's scratch memory left behind by the installs.
    let host = Host::start(&data, &cache);
    let restarted = host.idle_rss_mib();
    host.stop();

    println!(
        "sidecoach memory benchmark: RSS of `sidecoach serve` after 2 s idle ({} reference \
         plugins built in)\n",
        reference::ALL.len()
    );
    println!("| step | RSS MiB | change MiB | MiB per plugin added |");
    println!("|---|---:|---:|---:|");
    row(
        "first start (compiles the reference plugins)",
        first,
        first,
        0,
    );
    row("idle host (restarted, compile cache warm)", idle, idle, 0);
    row(
        &format!("+ {distinct} distinct test plugins installed, not called"),
        with_distinct,
        idle,
        distinct,
    );
    row(
        &format!(
            "+ {} copies of json-adapter installed (one component, new ids)",
            copies.len()
        ),
        with_copies,
        with_distinct,
        copies.len(),
    );
    row(
        &format!("+ each copy called once ({called} calls, {call_ms:.0} ms)"),
        after_calls,
        with_copies,
        called,
    );
    let added = distinct + copies.len();
    row(
        &format!("restarted with all of them, loaded from the compile cache ({added} added)"),
        restarted,
        idle,
        added,
    );
    if added > 0 {
        println!(
            "\nLoaded from the cache, an added plugin costs {:.1}% of an idle host; installed \
             and compiled in the running host, a distinct one costs {:.1}% and a copy of a \
             loaded component {:.1}%.",
            100.0 * (restarted - idle) / added as f64 / idle,
            100.0 * (with_distinct - idle) / distinct.max(1) as f64 / idle,
            100.0 * (with_copies - with_distinct) / copies.len().max(1) as f64 / idle
        );
    }
}
