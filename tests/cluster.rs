//! Cluster mode for real: a three-server NATS JetStream cluster and three
//! sidecars on loopback. Writes go through all three nodes — API writes and
//! vendor deliveries, each delivery sent again to another node — while one
//! sidecar and one nats-server are SIGKILLed at random moments, cycle after
//! cycle. After each cycle every acknowledged record must be readable,
//! exactly once, from every node, the killed one included once it has
//! caught up.
//!
//! Needs `nats-server` (Debian's package, 2.9.10; `.ci/run` installs it).
//! `SIDECOACH_CLUSTER_CYCLES` sets the number of kill cycles (default 3),
//! `SIDECOACH_CLUSTER_SEED` the choice of victims and moments (printed),
//! `SIDECOACH_CLUSTER_SNAPSHOT_EVERY` snapshots every so many entries.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::nats::NatsCluster;
use crate::util::{Client, Host};

/// A node's config: a snapshot every `snapshot_every` entries (0: none).
fn node_config(nats: &NatsCluster, node: usize, snapshot_every: u64) -> String {
    let urls: Vec<String> = nats.urls().iter().map(|u| format!("{u:?}")).collect();
    format!(
        "[cluster]\nurls = [{}]\nnode = \"n{node}\"\nreplicas = {}\ntimeout_ms = 5000\n\
         snapshot_every = {snapshot_every}\n[sources.web]\nadapter = \"json-adapter\"\n",
        urls.join(", "),
        nats.len().min(3)
    )
}

/// A vendor delivery: one contact and its CSAT.
fn delivery(id: &str) -> Vec<u8> {
    json!({"events": [
        {"type": "interaction", "external_id": format!("{id}-call"), "agent_vendor_id": "u-ana",
         "channel": "voice", "started_at": 1732438800000i64, "ended_at": 1732439112000i64},
        {"type": "feedback", "external_id": id, "kind": "csat", "value": 4, "scale_min": 1,
         "scale_max": 5, "interaction_external_id": format!("{id}-call"), "agent_vendor_id": "u-ana"}
    ]})
    .to_string()
    .into_bytes()
}

/// Write through `api` until it stops answering or `stop` is set: API
/// feedback, and vendor deliveries, each also sent to `other` (another
/// node). Acknowledged external ids go to `acked`.
async fn writer(
    api: Client,
    other: Client,
    prefix: String,
    acked: Arc<Mutex<BTreeSet<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut i = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        i += 1;
        let id = format!("{prefix}-{i}");
        let result = if i % 2 == 0 {
            let body = json!({"source": "api", "external_id": id, "kind": "csat", "value": 3,
                              "scale_min": 1, "scale_max": 5});
            tokio::time::timeout(Duration::from_secs(10), api.try_post("/v1/feedback", &body)).await
        } else {
            let first = tokio::time::timeout(
                Duration::from_secs(10),
                api.try_post_raw("/v1/ingest/web", "application/json", delivery(&id)),
            )
            .await;
            // The vendor retries the same delivery at another node.
            let again = tokio::time::timeout(
                Duration::from_secs(10),
                other.try_post_raw("/v1/ingest/web", "application/json", delivery(&id)),
            )
            .await;
            if let Ok(Some((status, _))) = &again
                && status.is_success()
            {
                acked.lock().unwrap().insert(id.clone());
            }
            first
        };
        match result {
            Ok(Some((status, _))) if status.is_success() => {
                acked.lock().unwrap().insert(id);
            }
            // 503 while NATS is down or contended: not acknowledged.
            Ok(Some((status, text))) if status.as_u16() == 503 => {
                let _ = text;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(Some((status, text))) => panic!("write refused with {status}: {text}"),
            // The node was killed.
            Ok(None) | Err(_) => return,
        }
    }
}

/// Every stored record of `kind` by external id, with how often it appears.
async fn counts(api: &Client, kind: &str) -> Option<BTreeMap<String, usize>> {
    let mut counts = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/{kind}?limit=1000&cursor={c}"),
            None => format!("/v1/{kind}?limit=1000"),
        };
        let page = api.try_get(&path).await?;
        if page.status != 200 {
            return None;
        }
        for item in page.json["items"].as_array()? {
            *counts
                .entry(item["external_id"].as_str()?.to_string())
                .or_insert(0) += 1;
        }
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return Some(counts),
        }
    }
}

/// Wait (bounded) until `node` answers `/readyz` 200; until then it may
/// only answer 503 `catching_up` (or not answer: it is starting).
async fn wait_ready(name: &str, api: &Client) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::from("no answer");
    loop {
        if let Some(r) = api.try_get("/readyz").await {
            last = r.text.clone();
            if r.status == 200 {
                assert!(
                    r.json["cluster"]["applied"].as_u64().is_some(),
                    "{}",
                    r.text
                );
                return;
            }
            assert_eq!(r.code(), "catching_up", "node {name}: {}", r.text);
        }
        assert!(
            Instant::now() < deadline,
            "node {name} never caught up: {last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the log holds `id` (a failing check says whether a missing
/// record was lost by the log or by the node): every entry carrying it,
/// with the log's bounds and any sequence it lacks.
async fn in_the_log(nats: &NatsCluster, id: &str) -> String {
    let read = async {
        let client = async_nats::connect(nats.urls())
            .await
            .map_err(|e| e.to_string())?;
        let js = async_nats::jetstream::new(client);
        let mut stream = js
            .get_stream("SIDECOACH")
            .await
            .map_err(|e| e.to_string())?;
        let state = stream
            .info()
            .await
            .map_err(|e| e.to_string())?
            .state
            .clone();
        // The entry names the record by its external id, in quotes.
        let needle = format!("\"{id}\"").into_bytes();
        let (mut holding, mut absent) = (Vec::new(), Vec::new());
        for seq in state.first_sequence..=state.last_sequence {
            match stream.get_raw_message(seq).await {
                Ok(m) if m.payload.windows(needle.len()).any(|w| w == needle) => holding.push(seq),
                Ok(_) => {}
                Err(_) => absent.push(seq),
            }
        }
        Ok::<_, String>(format!(
            "the log (entries {}..={}, {} held) has {id:?} in entries {holding:?}; \
             sequences it lacks: {absent:?}",
            state.first_sequence, state.last_sequence, state.messages
        ))
    };
    match tokio::time::timeout(Duration::from_secs(60), read).await {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => format!("the log could not be read: {e}"),
        Err(_) => "the log could not be read within 60 s".into(),
    }
}

/// Wait (bounded) until `node` holds every acknowledged record exactly once.
async fn check_node(
    name: &str,
    api: &Client,
    acked: &BTreeSet<String>,
    cycle: usize,
    nats: &NatsCluster,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let feedback = counts(api, "feedback").await;
        let interactions = counts(api, "interactions").await;
        if let (Some(f), Some(i)) = (&feedback, &interactions) {
            let missing: Vec<_> = acked.iter().filter(|id| !f.contains_key(*id)).collect();
            let twice: Vec<_> = f.iter().chain(i.iter()).filter(|(_, n)| **n > 1).collect();
            if !twice.is_empty() {
                let page = api.get("/v1/feedback?limit=1000").await;
                let copies: Vec<_> = page.json["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|it| twice.iter().any(|(id, _)| it["external_id"] == ***id))
                    .collect();
                panic!("cycle {cycle}: node {name} stores records twice: {twice:?}: {copies:#?}");
            }
            if missing.is_empty() {
                return;
            }
            if Instant::now() > deadline {
                let cluster = api.try_get("/v1/cluster").await.map(|r| r.text);
                panic!(
                    "cycle {cycle}: node {name} lacks {} acknowledged records, e.g. {:?}; {}; \
                     its view: {cluster:?}",
                    missing.len(),
                    &missing[..missing.len().min(5)],
                    in_the_log(nats, missing[0]).await
                );
            }
        } else if Instant::now() > deadline {
            panic!("cycle {cycle}: node {name} does not answer");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_write_is_on_every_node_once_through_sidecar_and_nats_kills() {
    let cycles: usize = std::env::var("SIDECOACH_CLUSTER_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // `SIDECOACH_CLUSTER_SNAPSHOT_EVERY` adds snapshots (default none).
    let snapshot_every: u64 = std::env::var("SIDECOACH_CLUSTER_SNAPSHOT_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut nats = NatsCluster::start3().await;
    let mut hosts: Vec<Host> = (0..3)
        .map(|n| Host::with_config(&node_config(&nats, n, snapshot_every)))
        .collect();
    let status = hosts[0].admin().get("/v1/cluster").await;
    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(status.json["replicas"], 3, "{}", status.text);

    let mut acked: BTreeSet<String> = BTreeSet::new();
    // Which sidecar and which server die, and when, differ run to run;
    // `SIDECOACH_CLUSTER_SEED` repeats a run.
    let mut seed: u64 = std::env::var("SIDECOACH_CLUSTER_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0xc1a5_7e12, |d| d.as_nanos() as u64)
        });
    println!("SIDECOACH_CLUSTER_SEED={seed}");
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    for cycle in 0..cycles {
        let got = Arc::new(Mutex::new(BTreeSet::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tasks: Vec<_> = (0..3)
            .map(|n| {
                tokio::spawn(writer(
                    hosts[n].admin(),
                    hosts[(n + 1) % 3].admin(),
                    format!("c{cycle}n{n}"),
                    got.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        let victim = (next() % 3) as usize;
        let server = (next() % 3) as usize;
        tokio::time::sleep(Duration::from_millis(300 + next() % 700)).await;
        nats.kill(server).await;
        tokio::time::sleep(Duration::from_millis(200 + next() % 600)).await;
        let killed = hosts.remove(victim);
        let restarted = killed.restart_later();
        tokio::time::sleep(Duration::from_millis(300 + next() % 700)).await;
        nats.restart(server).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        hosts.insert(victim, restarted.start());
        wait_ready(&format!("n{victim}"), &hosts[victim].admin()).await;
        acked.extend(got.lock().unwrap().iter().cloned());
        for (n, host) in hosts.iter().enumerate() {
            check_node(&format!("n{n}"), &host.admin(), &acked, cycle, &nats).await;
        }
        println!(
            "cycle {cycle}: sidecar n{victim} and nats-server {server} killed; {} acknowledged records on every node, none twice",
            acked.len()
        );
    }
    assert!(
        acked.len() > 3 * cycles,
        "the writers barely wrote anything: {}",
        acked.len()
    );
    let status = hosts[1].admin().get("/v1/cluster").await;
    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(
        status.json["nodes"].as_array().unwrap().len(),
        3,
        "{}",
        status.text
    );
    // `sidecoach cluster status` prints every node with its lag.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sidecoach"))
        .args([
            "cluster",
            "status",
            "--url",
            &hosts[2].url,
            "--token",
            crate::util::ADMIN,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for node in ["n0", "n1", "n2"] {
        assert!(text.contains(node), "{text}");
    }
    assert!(text.contains("LAG"), "{text}");
}

/// Snapshots, without kills: every `snapshot_every` entries the writing
/// node stores its store in the object store and names it; a node joining
/// later starts from the newest snapshot and holds every record.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_joining_later_starts_from_the_newest_snapshot_and_holds_every_record() {
    let nats = NatsCluster::start1().await;
    let hosts: Vec<Host> = (0..2)
        .map(|n| Host::with_config(&node_config(&nats, n, 20)))
        .collect();
    let mut acked = BTreeSet::new();
    for i in 0..120 {
        let id = format!("snap-{i}");
        let api = hosts[i % 2].admin();
        let body = json!({"source": "api", "external_id": id, "kind": "csat", "value": 4,
                          "scale_min": 1, "scale_max": 5});
        let r = api.post("/v1/feedback", &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        acked.insert(id);
    }
    // The snapshot tasks run after the write that triggered them.
    let deadline = Instant::now() + Duration::from_secs(30);
    let snapshot = loop {
        let status = hosts[0].admin().get("/v1/cluster").await;
        assert_eq!(status.status, 200, "{}", status.text);
        let last = status.json["last_sequence"].as_u64().unwrap();
        if let Some(seq) = status.json["snapshot"].as_u64()
            && seq + 20 >= last
        {
            assert!(seq <= last, "{}", status.text);
            break seq;
        }
        assert!(
            Instant::now() < deadline,
            "no recent snapshot was named: {}",
            status.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(snapshot >= 100, "snapshot {snapshot}");
    let newcomer = Host::with_config(&node_config(&nats, 2, 20));
    wait_ready("n2 (new)", &newcomer.admin()).await;
    for (name, host) in [
        ("n0", &hosts[0]),
        ("n1", &hosts[1]),
        ("n2 (new)", &newcomer),
    ] {
        check_node(name, &host.admin(), &acked, 0, &nats).await;
    }
}
