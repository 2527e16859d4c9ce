//! Ingest benchmark: sustained, durable record ingest over HTTP on loopback,
//! against a bare sled insert + flush loop measured side by side in the
//! same run.
//!
//! 1. The API: the real host runs in-process (`App::open` + `serve` on
//!    `127.0.0.1:0`, temporary data directory, known admin token). C
//!    concurrent clients, each a tokio task with its own `reqwest::Client`
//!    (so its own keep-alive connection), `POST /v1/interactions` with
//!    unique external ids. The host answers 201 only after its store's
//!    flush (sled's `flush` on a blocking thread) returned, so every counted
//!    record is durable.
//! 2. Bare sled: a fresh sled 0.34 database (same default configuration as
//!    the host's store) in a temporary directory; the same C tasks on the
//!    same runtime each insert the record the host would store (the same
//!    JSON bytes) under a counter key and flushes the same way the host does
//!    (`flush` on a blocking thread) before counting it acknowledged.
//!
//! Both are run at C = 1 and C = 8: a flush writes and fsyncs everything
//! buffered so far, so concurrent writers share fsyncs and concurrency
//! changes the picture. (sled 0.34's `flush_async` is not used: with
//! concurrent callers it can hang forever, spacejam/sled#1241 — this
//! benchmark found it.) The ratio of the two throughputs is the overhead of our API and
//! model (HTTP, auth, JSON, validation, index maintenance) over the storage
//! engine's own durable write.
//!
//! Run with `cargo bench -p sidecoach --bench ingest`. Set
//! `SIDECOACH_BENCH_QUICK=1` for a short smoke run (a tenth of the records).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use sidecoach::config::Config;
use sidecoach::model::Interaction;

/// The admin token the in-process host is started with.
const TOKEN: &str = "ingest-bench-token";

/// Concurrency levels and the records each one writes (full run).
const RUNS: [(usize, usize); 2] = [(1, 1_000), (8, 4_000)];

/// Records written (and thrown away) per path before measuring.
const WARM_UP: usize = 50;

/// How long without a single acknowledged record counts as a stall.
const STALL: Duration = Duration::from_secs(60);

/// Progress seen by the stall watchdog.
#[derive(Default)]
struct Progress {
    /// Records acknowledged so far, over all phases.
    acked: AtomicUsize,
    /// The phase running now.
    phase: Mutex<String>,
}

impl Progress {
    fn enter(&self, phase: String) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = phase;
    }

    fn ack(&self) {
        self.acked.fetch_add(1, Ordering::Relaxed);
    }
}

/// End the process if no record is acknowledged for [`STALL`]: a deadlocked
/// flush never returns, so waiting on it would hang the run forever.
fn watchdog(progress: Arc<Progress>) {
    std::thread::spawn(move || {
        let (mut last, mut since) = (progress.acked.load(Ordering::Relaxed), Instant::now());
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = progress.acked.load(Ordering::Relaxed);
            if now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() > STALL {
                let phase = progress.phase.lock().unwrap_or_else(|p| p.into_inner());
                eprintln!(
                    "STALLED: no record acknowledged for {}s during {phase} ({now} acknowledged in all); \
                     a sled flush that never returns (spacejam/sled#1308)?",
                    STALL.as_secs()
                );
                std::process::exit(2);
            }
        }
    });
}

/// One measured phase: total wall time and each record's latency, sorted.
struct Phase {
    wall: Duration,
    latencies: Vec<Duration>,
}

impl Phase {
    fn new(wall: Duration, mut latencies: Vec<Duration>) -> Phase {
        latencies.sort_unstable();
        Phase { wall, latencies }
    }

    fn per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    /// Nearest-rank percentile, in milliseconds.
    fn pct_ms(&self, p: f64) -> f64 {
        let n = self.latencies.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.latencies[rank.clamp(1, n) - 1].as_secs_f64() * 1e3
    }
}

/// The request body of record `i` of client `client` in run `run`.
fn body(run: &str, client: usize, i: usize) -> String {
    serde_json::json!({
        "source": "bench",
        "external_id": format!("{run}-{client}-{i}"),
        "channel": "voice",
        "direction": "inbound",
        "started_at": 1_700_000_000_000_i64 + i as i64 * 1_000,
        "handle_ms": 300_000,
        "topics": ["billing"],
    })
    .to_string()
}

/// The bytes the host stores for that body: the record with its server-set
/// id and receive time, as JSON.
fn stored(body: &str) -> Vec<u8> {
    let mut record: Interaction = serde_json::from_str(body).expect("bench body is a record");
    record.id = sidecoach::model::new_id();
    record.received_at = 1_700_000_000_000;
    serde_json::to_vec(&record).expect("record serialises")
}

/// How many of `total` records client `client` of `clients` writes.
fn share(total: usize, clients: usize, client: usize) -> usize {
    total / clients + usize::from(client < total % clients)
}

/// Phase A: `clients` HTTP clients post `total` interactions.
async fn api_phase(
    progress: &Arc<Progress>,
    base: &str,
    run: &str,
    clients: usize,
    total: usize,
) -> Phase {
    progress.enter(format!("API {run} (C = {clients})"));
    let url = format!("{base}/v1/interactions");
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (url, run, progress) = (url.clone(), run.to_string(), progress.clone());
            let n = share(total, clients, c);
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut latencies = Vec::with_capacity(n);
                for i in 0..n {
                    let body = body(&run, c, i);
                    let t = Instant::now();
                    let response = client
                        .post(&url)
                        .bearer_auth(TOKEN)
                        .header(CONTENT_TYPE, "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("request sent");
                    let status = response.status();
                    let text = response.text().await.expect("response body read");
                    latencies.push(t.elapsed());
                    assert!(
                        status == StatusCode::CREATED,
                        "POST /v1/interactions answered {status}: {text}"
                    );
                    progress.ack();
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    Phase::new(start.elapsed(), latencies)
}

/// Phase B: `clients` tasks insert + flush `total` records into bare sled.
async fn sled_phase(
    progress: &Arc<Progress>,
    db: &sled::Db,
    next_key: &Arc<AtomicU64>,
    run: &str,
    clients: usize,
    total: usize,
) -> Phase {
    progress.enter(format!("bare sled {run} (C = {clients})"));
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (db, next_key, run) = (db.clone(), next_key.clone(), run.to_string());
            let progress = progress.clone();
            let n = share(total, clients, c);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(n);
                for i in 0..n {
                    let value = stored(&body(&run, c, i));
                    let key = next_key.fetch_add(1, Ordering::Relaxed).to_be_bytes();
                    let t = Instant::now();
                    db.insert(key, value).expect("sled insert");
                    let d = db.clone();
                    tokio::task::spawn_blocking(move || d.flush())
                        .await
                        .expect("flush task")
                        .expect("sled flush");
                    latencies.push(t.elapsed());
                    progress.ack();
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for task in tasks {
        latencies.extend(task.await.expect("sled task"));
    }
    Phase::new(start.elapsed(), latencies)
}

async fn bench(divisor: usize) {
    let tmp = tempfile::tempdir().expect("temp dir");

    // The real host, in-process.
    let config = Config {
        data_dir: tmp.path().join("host"),
        admin_token: Some(TOKEN.into()),
        ..Config::default()
    };
    let app = sidecoach::App::open(config).await.expect("host opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sidecoach::serve(listener, app, async {
        let _ = stopped.await;
    }));

    // The bare store, configured as the host's (`Store::open`).
    let db = sled::Config::new()
        .path(tmp.path().join("bare"))
        .cache_capacity(sidecoach::store::DEFAULT_CACHE_BYTES)
        .open()
        .expect("bare sled opens");
    let next_key = Arc::new(AtomicU64::new(0));
    let progress = Arc::new(Progress::default());
    watchdog(progress.clone());

    let value_bytes = stored(&body("c8", 7, 999)).len();
    println!(
        "sidecoach ingest benchmark: durable writes on loopback, {} tokio workers, ~{value_bytes} B per record\n",
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    api_phase(&progress, &base, "warm", 1, WARM_UP).await;
    sled_phase(&progress, &db, &next_key, "warm", 1, WARM_UP).await;

    let mut rows = Vec::new();
    for (clients, total) in RUNS {
        let total = total / divisor;
        let run = format!("c{clients}");
        let api = api_phase(&progress, &base, &run, clients, total).await;
        let bare = sled_phase(&progress, &db, &next_key, &run, clients, total).await;
        rows.push((clients, total, api, bare));
    }

    println!(
        "   C  records │ API rec/s   p50 ms   p99 ms │ sled rec/s   p50 ms   p99 ms │ overhead"
    );
    for (clients, total, api, bare) in &rows {
        println!(
            "  {clients:>2}  {total:>7} │ {:>9.0} {:>8.2} {:>8.2} │ {:>10.0} {:>8.2} {:>8.2} │ {:>7.2}×",
            api.per_sec(),
            api.pct_ms(50.0),
            api.pct_ms(99.0),
            bare.per_sec(),
            bare.pct_ms(50.0),
            bare.pct_ms(99.0),
            bare.per_sec() / api.per_sec(),
        );
    }
    println!(
        "\n  overhead = sled records/s ÷ API records/s. The API path adds HTTP/1.1 on loopback,\n  \
         auth (token sha256 lookup), JSON parse + validation, index maintenance in a sled\n  \
         transaction (data, external-id and index trees) and a flush per request; the bare\n  \
         path is one insert + flush of the same JSON bytes. A flush writes and fsyncs all\n  \
         buffered writes, so concurrent writers share fsyncs and throughput depends on\n  \
         concurrency: hence C = 1 and C = 8."
    );

    progress.enter("shutdown".into());
    stop.send(()).expect("host still running");
    server
        .await
        .expect("server task")
        .expect("host shut down cleanly");
    db.flush().expect("bare sled flush");
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a listing; there are no named cases.
    }
    let quick = std::env::var_os("SIDECOACH_BENCH_QUICK").is_some();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(bench(if quick { 10 } else { 1 }));
}
