//! Crash safety: writes are driven over HTTP while the host is killed with
//! SIGKILL at random moments, again and again; after every restart each
//! acknowledged record must be there, and none twice. Half the writers post
//! to the records API, half deliver vendor payloads through
//! `POST /v1/ingest/{source}` (the adapter's path).
//!
//! `SIDECOACH_CRASH_CYCLES` sets the number of kill/restart cycles
//! (default 12); the test prints the cycles and records it checked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::util::{Client, Host};

/// Concurrent writers per cycle: enough that many requests share each of
/// the host's flushes (group commit) when it is killed.
const WRITERS: usize = 16;

/// The source the ingest writers deliver to.
const CONFIG: &str = "[sources.web]\nadapter = \"json-adapter\"\n";

/// Post feedback until the host dies — through the records API, or as a
/// vendor delivery when `ingest` — and note the external ids it acked.
async fn writer(
    api: Client,
    prefix: String,
    resend: Vec<String>,
    acked: Arc<Mutex<Vec<String>>>,
    ingest: bool,
) {
    let mut i = 0;
    loop {
        // Every fourth write redelivers an earlier acknowledged record.
        let id = match (i % 4 == 3)
            .then(|| resend.get(i / 4 % resend.len().max(1)))
            .flatten()
        {
            Some(old) => old.clone(),
            None => format!("{prefix}-{i}"),
        };
        i += 1;
        let r = if ingest {
            let body = json!({"events": [{"type": "feedback", "external_id": id, "kind": "csat",
                              "value": 3, "scale_min": 1, "scale_max": 5,
                              "verbatim": "x".repeat(200)}]});
            let delivery = api.try_post_raw(
                "/v1/ingest/web",
                "application/json",
                body.to_string().into_bytes(),
            );
            tokio::time::timeout(Duration::from_secs(5), delivery).await
        } else {
            let body = json!({"source": "crash", "external_id": id, "kind": "csat", "value": 3,
                              "scale_min": 1, "scale_max": 5, "verbatim": "x".repeat(200)});
            tokio::time::timeout(Duration::from_secs(5), api.try_post("/v1/feedback", &body)).await
        };
        match r {
            Ok(Some((status, _))) if status.is_success() => acked.lock().unwrap().push(id),
            Ok(Some((status, text))) => panic!("write refused with {status}: {text}"),
            // Connection reset or refused: the host was killed.
            Ok(None) | Err(_) => return,
        }
    }
}

async fn all_feedback(api: &Client) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/feedback?limit=1000&cursor={c}"),
            None => "/v1/feedback?limit=1000".to_string(),
        };
        let page = api.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for item in page.json["items"].as_array().unwrap() {
            *counts
                .entry(item["external_id"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return counts,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_repeated_sigkill() {
    let cycles: usize = std::env::var("SIDECOACH_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut host = Host::with_config(CONFIG);
    let mut acked: BTreeSet<String> = BTreeSet::new();
    // A small deterministic generator for the kill moments.
    let mut seed: u64 = 0x5eed_c0ac;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    for cycle in 0..cycles {
        let api = host.admin();
        let got = Arc::new(Mutex::new(Vec::new()));
        // A writer resends only what its own path stored (a record keeps
        // its source: the API's `crash`, the delivery's `web`).
        let resend = |ingest: bool| -> Vec<String> {
            acked
                .iter()
                .rev()
                .filter(|id| id.contains('i') == ingest)
                .take(50)
                .cloned()
                .collect()
        };
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let ingest = w % 2 == 1;
                tokio::spawn(writer(
                    api.clone(),
                    format!("c{cycle}{}{w}", if ingest { "i" } else { "w" }),
                    resend(ingest),
                    got.clone(),
                    ingest,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100 + next() % 500)).await;
        host = host.restart(); // SIGKILL mid-stream, then start again
        for t in tasks {
            t.await.unwrap();
        }
        acked.extend(got.lock().unwrap().drain(..));

        let counts = all_feedback(&host.admin()).await;
        let lost: Vec<_> = acked
            .iter()
            .filter(|id| !counts.contains_key(*id))
            .collect();
        assert!(
            lost.is_empty(),
            "cycle {cycle}: acknowledged writes lost: {lost:?}"
        );
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "cycle {cycle}: stored twice: {twice:?}");
    }
    let delivered = acked.iter().filter(|id| id.contains('i')).count();
    assert!(
        delivered > cycles && acked.len() - delivered > cycles,
        "the writers barely wrote anything: {delivered} delivered, {} posted",
        acked.len() - delivered
    );
    println!(
        "crash test: {cycles} SIGKILL cycles, {} acknowledged records ({delivered} vendor \
         deliveries) all present, none duplicated",
        acked.len()
    );
}
