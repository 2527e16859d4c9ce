//! Cluster benchmark: durable ingest on one node against the same ingest on
//! a three-node cluster over a three-server NATS JetStream (R3), side by
//! side in one run, on the same machine, with the same client code.
//!
//! 1. Single node: the real host in-process (`App::open` + `serve` on
//!    `127.0.0.1:0`, temporary data directory, known admin token), no
//!    `[cluster]`. Each `POST /v1/feedback` (a CSAT rating with its own
//!    external id) is answered 201 after the store's flush.
//! 2. Cluster: three nats-servers on loopback (`tests/nats.rs`, the
//!    integration tests' harness) and three in-process hosts, each with
//!    `[cluster] urls = [the three servers], node = "nI", replicas = 3`,
//!    started one after the other (the first creates the stream and
//!    installs the reference plugins). Each write runs under its node's
//!    write lock and is answered 201 once JetStream acknowledged its log
//!    entry; a write that lost the race for the next log entry to another
//!    node's is put back and run again over what it missed.
//!
//! The same loads on both: 1 client, then 8 concurrent clients (each a
//! tokio task with its own `reqwest::Client`, so its own keep-alive
//! connection; on the cluster, client c writes to node c mod 3). Then,
//! once, how long the nodes take to apply what the others wrote: from the
//! last acknowledgement of the 8-client run until all three report the
//! same applied entry (`/readyz`'s `cluster.applied`), and, at rest, from a
//! write's acknowledgement on one node until the two others have applied
//! it. Afterwards every node is read back (`GET /v1/feedback`, by pages of
//! 1,000) and must hold every acknowledged record exactly once.
//!
//! A refused write (anything but 2xx, or no answer) or a missing or
//! doubled record on any node ends the run with a non-zero exit, after the
//! table is printed. Everything — clients, hosts and nats-servers — shares
//! this machine's cores.
//!
//! `cargo bench -p sidecoach --bench cluster`; `SIDECOACH_BENCH_QUICK=1`
//! writes a tenth of the records. Needs `nats-server` (Debian's 2.9.10;
//! `NATS_SERVER_BIN` to point elsewhere).

mod common;
#[path = "../../tests/nats.rs"]
mod nats;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::ingest::Phase;
use common::measure::{fail, listing, machine, quick};
use reqwest::header::CONTENT_TYPE;
use sidecoach::config::{ClusterConfig, Config};

/// The admin token every in-process host is started with.
const TOKEN: &str = "cluster-bench-token";

/// Records written (and not measured) on every node before measuring.
const WARM_UP: usize = 30;

/// Writes at rest whose apply lag on the other nodes is measured.
const PROBES: usize = 20;

/// No single request may take longer (a hung write ends the run).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the nodes may take to agree before the run gives up.
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(60);

/// One in-process host on loopback.
struct Node {
    name: String,
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _tmp: tempfile::TempDir,
}

impl Node {
    /// Open the host (catching up with the log when clustered) and serve it.
    async fn start(name: &str, cluster: Option<ClusterConfig>) -> Node {
        let tmp = tempfile::tempdir().expect("temp dir");
        let config = Config {
            data_dir: tmp.path().join("data"),
            admin_token: Some(TOKEN.into()),
            cluster,
            ..Config::default()
        };
        let app = match sidecoach::App::open(config).await {
            Ok(app) => app,
            Err(e) => fail(format!("host {name} did not open: {e:#}")),
        };
        let (base, stop, server) = common::ingest::serve_on_loopback(app).await;
        Node {
            name: name.to_string(),
            base,
            stop,
            server,
            _tmp: tmp,
        }
    }

    async fn shutdown(self) {
        let _ = self.stop.send(());
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => fail(format!(
                "host {} did not shut down cleanly: {e:#}",
                self.name
            )),
            Err(e) => fail(format!("host {} server task: {e}", self.name)),
        }
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("http client")
}

/// The feedback record with external id `id`.
fn body(id: &str, i: usize) -> String {
    serde_json::json!({
        "source": "bench",
        "external_id": id,
        "kind": "csat",
        "value": 1 + i % 5,
        "scale_min": 1,
        "scale_max": 5,
        "topics": ["billing"],
    })
    .to_string()
}

/// What the clients of one load saw.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    acked: Vec<String>,
    refused: Vec<String>,
}

/// Post one record to `node` at `base`; `Ok` when answered 2xx.
async fn post(
    http: &reqwest::Client,
    (node, base): (&str, &str),
    id: &str,
    i: usize,
) -> Result<(), String> {
    let response = http
        .post(format!("{base}/v1/feedback"))
        .bearer_auth(TOKEN)
        .header(CONTENT_TYPE, "application/json")
        .body(body(id, i))
        .send()
        .await
        .map_err(|e| format!("{id} at {node}: no answer: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "{id} at {node}: {status}: {}",
            text.chars().take(300).collect::<String>()
        ))
    }
}

/// `clients` clients write `total` records, client c to `nodes[c % n]`
/// (each a node's name and base URL).
async fn load(
    nodes: &[(String, String)],
    run: &str,
    clients: usize,
    total: usize,
) -> (Phase, Outcome) {
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (name, base) = nodes[c % nodes.len()].clone();
            let n = total / clients + usize::from(c < total % clients);
            let run = run.to_string();
            tokio::spawn(async move {
                let http = http();
                let mut out = Outcome::default();
                for i in 0..n {
                    let id = format!("{run}-{c}-{i}");
                    let t = Instant::now();
                    let result = post(&http, (&name, &base), &id, i).await;
                    let took = t.elapsed();
                    match result {
                        Ok(()) => {
                            out.latencies.push(took);
                            out.acked.push(id);
                        }
                        Err(e) => out.refused.push(e),
                    }
                }
                out
            })
        })
        .collect();
    let mut all = Outcome::default();
    for task in tasks {
        let out = task.await.expect("client task");
        all.latencies.extend(out.latencies);
        all.acked.extend(out.acked);
        all.refused.extend(out.refused);
    }
    let wall = start.elapsed();
    let mut latencies = all.latencies.clone();
    latencies.sort_unstable();
    if latencies.is_empty() {
        fail(format!(
            "{run}: no write was acknowledged; e.g. {:?}",
            all.refused.first()
        ));
    }
    (Phase { wall, latencies }, all)
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let response = http
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("GET {url}: {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("GET {url}: {e}: {text}"))
}

/// The last log entry `base` has applied, from `/readyz` (`None` while it
/// answers 503, i.e. more than 100 entries behind).
async fn applied(http: &reqwest::Client, base: &str) -> Option<u64> {
    get_json(http, &format!("{base}/readyz"))
        .await
        .ok()?
        .pointer("/cluster/applied")?
        .as_u64()
}

/// Every stored feedback record's external id on `base`, with how often.
async fn stored(http: &reqwest::Client, base: &str) -> Result<BTreeMap<String, usize>, String> {
    let mut counts = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{base}/v1/feedback?limit=1000&cursor={c}"),
            None => format!("{base}/v1/feedback?limit=1000"),
        };
        let page = get_json(http, &url).await?;
        let items = page["items"]
            .as_array()
            .ok_or_else(|| format!("GET {url}: no items: {page}"))?;
        for item in items {
            let id = item["external_id"]
                .as_str()
                .ok_or_else(|| format!("GET {url}: an item without external_id: {item}"))?;
            *counts.entry(id.to_string()).or_insert(0) += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return Ok(counts),
        }
    }
}

/// Problems with `node`'s copy of the acknowledged records, if any.
async fn check(http: &reqwest::Client, node: &Node, acked: &[String]) -> Vec<String> {
    let counts = match stored(http, &node.base).await {
        Ok(c) => c,
        Err(e) => return vec![format!("{}: {e}", node.name)],
    };
    let missing: Vec<&String> = acked
        .iter()
        .filter(|id| !counts.contains_key(*id))
        .collect();
    let twice: Vec<(&String, &usize)> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!(
            "{} lacks {} of {} acknowledged records, e.g. {:?}",
            node.name,
            missing.len(),
            acked.len(),
            &missing[..missing.len().min(5)]
        ));
    }
    if !twice.is_empty() {
        problems.push(format!(
            "{} stores {} records more than once, e.g. {:?}",
            node.name,
            twice.len(),
            &twice[..twice.len().min(5)]
        ));
    }
    println!(
        "  {}: {} feedback records stored, every one of the {} acknowledged {}",
        node.name,
        counts.len(),
        acked.len(),
        if problems.is_empty() {
            "present once"
        } else {
            "NOT present once"
        }
    );
    problems
}

/// A metric's value (summed over its label sets) in `/metrics` of `base`.
async fn metric(http: &reqwest::Client, base: &str, name: &str) -> f64 {
    let Ok(response) = http
        .get(format!("{base}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
    else {
        return f64::NAN;
    };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Conflicts (writes run again) counted on each node so far.
async fn conflicts(http: &reqwest::Client, nodes: &[Node]) -> Vec<f64> {
    let mut out = Vec::new();
    for node in nodes {
        out.push(metric(http, &node.base, "sidecoach_cluster_conflicts_total").await);
    }
    out
}

/// Poll until every node has applied the same entry: that entry, the time
/// from `since`, and how far apart the nodes were at the first poll.
async fn converge(http: &reqwest::Client, nodes: &[Node], since: Instant) -> (u64, Duration, u64) {
    let mut spread = None;
    loop {
        let mut seen = Vec::new();
        for node in nodes {
            seen.push(applied(http, &node.base).await);
        }
        let done =
            seen.iter().flatten().count() == nodes.len() && seen.iter().all(|s| *s == seen[0]);
        if spread.is_none() {
            let known: Vec<u64> = seen.iter().flatten().copied().collect();
            let (lo, hi) = (
                known.iter().min().copied().unwrap_or(0),
                known.iter().max().copied().unwrap_or(0),
            );
            spread = Some(if known.len() == nodes.len() {
                hi - lo
            } else {
                u64::MAX
            });
        }
        if done {
            return (
                seen[0].expect("all known"),
                since.elapsed(),
                spread.unwrap_or(0),
            );
        }
        if since.elapsed() > CONVERGE_TIMEOUT {
            fail(format!(
                "the nodes did not reach the same applied entry within {CONVERGE_TIMEOUT:?}: {seen:?}"
            ));
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

/// At rest, write one record on node `w` and time, from its
/// acknowledgement, until each other node has applied it.
async fn probe(
    http: &reqwest::Client,
    nodes: &[Node],
    w: usize,
    i: usize,
    acked: &mut Vec<String>,
) -> Result<Vec<Duration>, String> {
    let before = applied(http, &nodes[w].base)
        .await
        .ok_or("the writer is not ready")?;
    let id = format!("probe-{i}");
    post(http, (&nodes[w].name, &nodes[w].base), &id, i).await?;
    let t = Instant::now();
    acked.push(id);
    let seq = before + 1;
    let waits = nodes
        .iter()
        .enumerate()
        .filter(|(n, _)| *n != w)
        .map(|(_, node)| async move {
            loop {
                if applied(http, &node.base).await.is_some_and(|a| a >= seq) {
                    return Ok(t.elapsed());
                }
                if t.elapsed() > CONVERGE_TIMEOUT {
                    return Err(format!("{} did not apply entry {seq}", node.name));
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        });
    let lags = futures_util::future::join_all(waits).await;
    let after = applied(http, &nodes[w].base).await;
    if after != Some(seq) {
        return Err(format!(
            "probe {i}: {} applied {after:?} after writing on {before} at rest (another write?)",
            nodes[w].name
        ));
    }
    lags.into_iter().collect()
}

/// One measured load on both setups.
struct Row {
    clients: usize,
    total: usize,
    single: Phase,
    cluster: Phase,
    /// Writes refused or unanswered: single node, cluster.
    refused: (usize, usize),
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn bench(divisor: usize) {
    let runs = [(1, 2_000 / divisor), (8, 4_000 / divisor)];
    let started = Instant::now();
    println!(
        "sidecoach cluster benchmark: durable POST /v1/feedback on one node vs a 3-node cluster \
         over 3 nats-servers (R3), all on this machine: {}\n",
        machine()
    );
    let http = http();
    let mut refused: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();

    // 1. Single node.
    let single = Node::start("single", None).await;
    let single_target = vec![(single.name.clone(), single.base.clone())];
    let mut single_acked = Vec::new();
    let (_, warm) = load(&single_target, "s-warm", 1, WARM_UP).await;
    single_acked.extend(warm.acked);
    refused.extend(warm.refused);
    let mut single_phases = Vec::new();
    for (clients, total) in runs {
        let (phase, out) = load(&single_target, &format!("s-c{clients}"), clients, total).await;
        println!(
            "single node, {clients} client(s): {} records in {:.2} s, {} refused",
            out.acked.len(),
            phase.wall.as_secs_f64(),
            out.refused.len()
        );
        single_acked.extend(out.acked);
        single_phases.push((phase, out.refused.len()));
        refused.extend(out.refused);
    }
    problems.extend(check(&http, &single, &single_acked).await);
    single.shutdown().await;

    // 2. Three nodes over a three-server JetStream.
    let nats = nats::NatsCluster::start3().await;
    let mut nodes = Vec::new();
    for n in 0..3 {
        let name = format!("n{n}");
        let cluster = ClusterConfig {
            urls: nats.urls(),
            node: Some(name.clone()),
            replicas: 3,
            ..Default::default()
        };
        nodes.push(Node::start(&name, Some(cluster)).await);
    }
    let targets: Vec<(String, String)> = nodes
        .iter()
        .map(|n| (n.name.clone(), n.base.clone()))
        .collect();
    let mut acked = Vec::new();
    // Each node writes its warm-up records in turn.
    for (n, target) in targets.iter().enumerate() {
        let (_, warm) = load(
            std::slice::from_ref(target),
            &format!("c-warm{n}"),
            1,
            WARM_UP,
        )
        .await;
        acked.extend(warm.acked);
        refused.extend(warm.refused);
    }
    converge(&http, &nodes, Instant::now()).await;
    let mut cluster_phases = Vec::new();
    let mut run_conflicts = Vec::new();
    let mut catch_up = None;
    for (clients, total) in runs {
        let before = conflicts(&http, &nodes).await;
        // One client writes to n0; eight are spread over the three nodes.
        let (phase, out) = load(&targets, &format!("c-c{clients}"), clients, total).await;
        let done = Instant::now();
        let (seq, lag, spread) = converge(&http, &nodes, done).await;
        let after = conflicts(&http, &nodes).await;
        let per_node: Vec<f64> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
        println!(
            "cluster, {clients} client(s): {} records in {:.2} s, {} refused; conflicts (writes \
             run again) per node {per_node:?}; all nodes at entry {seq} {:.1} ms after the \
             last acknowledgement",
            out.acked.len(),
            phase.wall.as_secs_f64(),
            out.refused.len(),
            ms(lag)
        );
        if clients > 1 {
            catch_up = Some((seq, lag, spread));
        }
        run_conflicts.push(per_node.iter().sum::<f64>());
        acked.extend(out.acked);
        cluster_phases.push((phase, out.refused.len()));
        refused.extend(out.refused);
    }
    // At rest: one write at a time, each node in turn, timed until applied
    // by the other two.
    let mut probe_lags = Vec::new();
    for i in 0..PROBES {
        match probe(&http, &nodes, i % nodes.len(), i, &mut acked).await {
            Ok(lags) => probe_lags.extend(lags),
            Err(e) => problems.push(format!("apply-lag probe: {e}")),
        }
    }
    probe_lags.sort_unstable();
    converge(&http, &nodes, Instant::now()).await;
    let status = get_json(&http, &format!("{}/v1/cluster", nodes[0].base)).await;
    let mut publish_ms = Vec::new();
    for node in &nodes {
        let sum = metric(&http, &node.base, "sidecoach_cluster_publish_seconds_sum").await;
        let count = metric(&http, &node.base, "sidecoach_cluster_publish_seconds_count").await;
        publish_ms.push(1e3 * sum / count);
    }
    for node in &nodes {
        problems.extend(check(&http, node, &acked).await);
    }
    for node in nodes {
        node.shutdown().await;
    }
    drop(nats);

    let rows: Vec<Row> = runs
        .iter()
        .zip(single_phases.into_iter().zip(cluster_phases))
        .map(|(&(clients, total), ((single, s), (cluster, c)))| Row {
            clients,
            total,
            single,
            cluster,
            refused: (s, c),
        })
        .collect();
    println!(
        "\n| what | single node | cluster (3 nodes, R3) | ratio cluster/single |\n|---|---:|---:|---:|"
    );
    for r in &rows {
        let who = if r.clients == 1 {
            "1 client (to n0)".to_string()
        } else {
            format!("{} clients (spread over n0..n2)", r.clients)
        };
        let (s, c) = (&r.single, &r.cluster);
        println!(
            "| records/s, {who}, {} records | {:.0} | {:.0} | {:.2}× |",
            r.total,
            s.per_sec(),
            c.per_sec(),
            c.per_sec() / s.per_sec()
        );
        for p in [50.0, 99.0] {
            println!(
                "| p{p:.0} latency ms, {who} | {:.2} | {:.2} | {:.2}× |",
                s.pct_ms(p),
                c.pct_ms(p),
                c.pct_ms(p) / s.pct_ms(p)
            );
        }
        println!(
            "| writes refused (not in the figures above), {who} | {} | {} | — |",
            r.refused.0, r.refused.1
        );
    }
    if let Some((seq, lag, spread)) = catch_up {
        println!(
            "| apply lag after the 8-client run: last acknowledgement → all 3 nodes at entry {seq} \
             (spread at first look: {}) | — | {:.1} ms | — |",
            if spread == u64::MAX {
                "a node > 100 behind".to_string()
            } else {
                format!("{spread} entries")
            },
            ms(lag)
        );
    }
    if !probe_lags.is_empty() {
        let pick = |p: f64| {
            let n = probe_lags.len();
            probe_lags[(((p / 100.0) * n as f64).ceil() as usize).clamp(1, n) - 1]
        };
        println!(
            "| apply lag of one write at rest: acknowledgement → applied on another node, \
             p50 / max of {} | — | {:.2} / {:.2} ms | — |",
            probe_lags.len(),
            ms(pick(50.0)),
            ms(pick(100.0))
        );
    }
    println!(
        "| conflicts (writes run again), 1 client / 8 clients | — | {:.0} / {:.0} | — |",
        run_conflicts.first().copied().unwrap_or(f64::NAN),
        run_conflicts.get(1).copied().unwrap_or(f64::NAN)
    );
    println!(
        "\nmean publish → acknowledgement per node (whole run, ms): {:?}",
        publish_ms
            .iter()
            .map(|m| (m * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
    match status {
        Ok(s) => println!(
            "log: last entry {}, {} entries, replicas {}, leader {}",
            s["last_sequence"], s["entries"], s["replicas"], s["leader"]
        ),
        Err(e) => problems.push(format!("GET /v1/cluster: {e}")),
    }
    println!(
        "single node: 201 after sled's flush (fsync) of the write; cluster: 201 after \
         JetStream's acknowledgement (a majority of the three servers stored the entry), \
         the node's own sled not flushed per write. Run took {:.0} s.",
        started.elapsed().as_secs_f64()
    );

    if !refused.is_empty() || !problems.is_empty() {
        let mut message = String::new();
        if !refused.is_empty() {
            message.push_str(&format!(
                "{} writes refused or unanswered, e.g.:\n  {}\n",
                refused.len(),
                refused[..refused.len().min(5)].join("\n  ")
            ));
        }
        for p in &problems {
            message.push_str(p);
            message.push('\n');
        }
        fail(message);
    }
}

fn main() {
    if listing() {
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(bench(if quick() { 10 } else { 1 }));
}
