//! The ingest benchmark's two paths (`ingest.rs` describes them): the real
//! host in-process on loopback, posting interactions over HTTP, and a bare
//! sled insert + flush loop writing the same bytes, both acknowledged only
//! once durable, with a watchdog against a flush that never returns.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use sidecoach::config::{Config, RuntimeConfig};
use sidecoach::model::Interaction;

/// The admin token the in-process host is started with.
pub const TOKEN: &str = "ingest-bench-token";

/// Concurrency levels and the records each one writes (full run).
pub const RUNS: [(usize, usize); 2] = [(1, 1_000), (8, 4_000)];

/// Records written (and thrown away) per path before measuring.
pub const WARM_UP: usize = 50;

/// How long without a single acknowledged record counts as a stall.
pub const STALL: Duration = Duration::from_secs(60);

/// Progress seen by the stall watchdog.
#[derive(Default)]
pub struct Progress {
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
pub fn watchdog(progress: Arc<Progress>) {
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
pub struct Phase {
    pub wall: Duration,
    pub latencies: Vec<Duration>,
}

impl Phase {
    fn new(wall: Duration, mut latencies: Vec<Duration>) -> Phase {
        latencies.sort_unstable();
        Phase { wall, latencies }
    }

    pub fn per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    /// Nearest-rank percentile, in milliseconds.
    pub fn pct_ms(&self, p: f64) -> f64 {
        let n = self.latencies.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.latencies[rank.clamp(1, n) - 1].as_secs_f64() * 1e3
    }
}

/// The request body of record `i` of client `client` in run `run`.
pub fn body(run: &str, client: usize, i: usize) -> String {
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
pub fn stored(body: &str) -> Vec<u8> {
    let mut record: Interaction = serde_json::from_str(body).expect("bench body is a record");
    record.id = sidecoach::model::new_id();
    record.received_at = 1_700_000_000_000;
    serde_json::to_vec(&record).expect("record serialises")
}

/// How many of `total` records client `client` of `clients` writes.
pub fn share(total: usize, clients: usize, client: usize) -> usize {
    total / clients + usize::from(client < total % clients)
}

/// Phase A: `clients` HTTP clients post `total` interactions.
pub async fn api_phase(
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
pub async fn sled_phase(
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

/// The host serving on loopback and the bare store beside it, in one
/// temporary directory.
pub struct Loopback {
    /// The host's base URL.
    pub base: String,
    db: sled::Db,
    next_key: Arc<AtomicU64>,
    progress: Arc<Progress>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    _tmp: tempfile::TempDir,
}

/// Serve `app` on a free loopback port until the sender is used: the base
/// URL, the stop sender and the server task.
pub async fn serve_on_loopback(
    app: sidecoach::App,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sidecoach::serve(listener, app, async {
        let _ = stopped.await;
    }));
    (base, stop, server)
}

impl Loopback {
    /// Start the real host in-process (with `runtime` settings for its
    /// plugin runtime) and open the bare store, configured as the host's
    /// (`Store::open`); start the watchdog and warm both paths up.
    pub async fn open(runtime: RuntimeConfig) -> Loopback {
        let tmp = tempfile::tempdir().expect("temp dir");
        let config = Config {
            data_dir: tmp.path().join("host"),
            admin_token: Some(TOKEN.into()),
            runtime,
            ..Config::default()
        };
        let app = sidecoach::App::open(config).await.expect("host opens");
        let (base, stop, server) = serve_on_loopback(app).await;
        let db = sled::Config::new()
            .path(tmp.path().join("bare"))
            .cache_capacity(sidecoach::store::DEFAULT_CACHE_BYTES)
            .open()
            .expect("bare sled opens");
        let progress = Arc::new(Progress::default());
        watchdog(progress.clone());
        let loopback = Loopback {
            base,
            db,
            next_key: Arc::new(AtomicU64::new(0)),
            progress,
            stop,
            server,
            _tmp: tmp,
        };
        loopback.measure("warm", 1, WARM_UP).await;
        loopback
    }

    /// `clients` clients write `total` records through the API, then
    /// `clients` tasks write as many into bare sled: (API, bare sled).
    pub async fn measure(&self, run: &str, clients: usize, total: usize) -> (Phase, Phase) {
        let api = api_phase(&self.progress, &self.base, run, clients, total).await;
        let bare = sled_phase(
            &self.progress,
            &self.db,
            &self.next_key,
            run,
            clients,
            total,
        )
        .await;
        (api, bare)
    }

    /// Stop the host and flush the bare store.
    pub async fn shutdown(self) {
        self.progress.enter("shutdown".into());
        self.stop.send(()).expect("host still running");
        self.server
            .await
            .expect("server task")
            .expect("host shut down cleanly");
        self.db.flush().expect("bare sled flush");
    }
}

/// The size of a stored record.
pub fn record_bytes() -> usize {
    stored(&body("c8", 7, 999)).len()
}
