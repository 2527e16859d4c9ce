//! Vendor-mix ingest benchmark: end-to-end `POST /v1/ingest/{source}` on
//! loopback through the real host and its real adapter plugins, for a
//! realistic mix of Amazon Connect CTRs, Genesys Cloud conversations,
//! Twilio TaskRouter callbacks and QA evaluations from a QA tool's export
//! (scored by the reference scorer and flagged by the reference flagger and
//! a config rule), with the time split between the adapter plugin, the
//! scorer and flaggers, the store and the rest — all measured in one run.
//!
//! The host runs in-process (`App::open` + `serve` on `127.0.0.1:0`,
//! temporary data directory, known admin token) with the sources and flags
//! of `examples/demo.toml`: `connect` (amazon-connect), `genesys`
//! (genesys-cloud), `twilio` (signed with the demo auth token) and `qa`
//! (the mapping adapter over JSON lines), and the demo's people and QA form
//! (`demo::prepare`).
//!
//! Every request is built before its phase starts, from the vendor fixtures
//! in `tests/data/vendors/` used as templates, so each carries new records:
//! - Connect: 10 CTRs per request as JSON lines (a Firehose object), each
//!   with a new `ContactId` and `LastUpdateTimestamp` and one of 40 agents
//!   as the last segment of `Agent.ARN`;
//! - Genesys: one analytics conversation detail with a new `conversationId`
//!   and one of 40 agents as the agent participant's `userId`;
//! - Twilio: one `reservation.accepted` form callback with a new `TaskSid`
//!   and one of 40 `WorkerSid`s, signed (`X-Twilio-Signature`) for the exact
//!   URL the request is sent to;
//! - QA: one evaluation of the demo voice form as a JSON line, with a new id
//!   and one of 40 agents, its answers varied so some score under 70.
//!
//! C concurrent clients (each a tokio task with its own `reqwest::Client`,
//! so its own keep-alive connection) take the next request from the shared,
//! bounded list until it is empty, at C = 1 and C = 8. Per request the
//! client's wall latency is recorded, and the host's own split is read from
//! the `IngestReport` body: `adapter_ms` (inside the adapter plugin call,
//! instantiation included), `pipeline_ms` (inside the scorer and flagger
//! calls) and `store_ms` (identity resolution, storing, flush). The rest —
//! HTTP on loopback, routing, auth, JSON of the report, the client — is the
//! wall latency minus those. Every request must answer
//! 200 with `rejected == 0`: the benchmark measures success paths only.
//!
//! Run with `cargo bench -p sidecoach --bench ingest_mix`. Set
//! `SIDECOACH_BENCH_QUICK=1` for a short smoke run (a tenth of the requests).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

/// The admin token the in-process host is started with.
const TOKEN: &str = "bench-admin-token";

/// The demo config's Twilio auth token (`examples/demo.toml`).
const TWILIO_TOKEN: &str = "demo-twilio-auth-token";

/// CTRs per Connect request (one Firehose object of JSON lines).
const CTRS_PER_REQUEST: usize = 10;

/// Distinct agents per vendor.
const AGENTS: usize = 40;

/// Requests per measured phase (full run): a third per vendor.
const REQUESTS: usize = 3_000;

/// Concurrency levels.
const CONCURRENCY: [usize; 2] = [1, 8];

/// Requests sent (and thrown away) before measuring: every adapter is
/// compiled, cached and instantiated at least once.
const WARM_UP: usize = 60;

/// How long without a single answered request counts as a stall.
const STALL: Duration = Duration::from_secs(60);

/// The vendor fixtures, used as templates.
const CTR: &[u8] = include_bytes!("../../tests/data/vendors/amazon-connect_ctr.SYNTHETIC.json");
const GENESYS: &[u8] =
    include_bytes!("../../tests/data/vendors/genesys_analytics-conversation-detail-chat.json");
const TWILIO: &[u8] =
    include_bytes!("../../tests/data/vendors/twilio_taskrouter-event-callback.SYNTHETIC.form.txt");

/// The vendors of the mix, in table order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Vendor {
    Connect,
    Genesys,
    Twilio,
    Qa,
}

const VENDORS: [Vendor; 4] = [Vendor::Connect, Vendor::Genesys, Vendor::Twilio, Vendor::Qa];

impl Vendor {
    fn source(self) -> &'static str {
        match self {
            Vendor::Connect => "connect",
            Vendor::Genesys => "genesys",
            Vendor::Twilio => "twilio",
            Vendor::Qa => "qa",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Vendor::Connect => "Connect CTR ×10",
            Vendor::Genesys => "Genesys conv.",
            Vendor::Twilio => "Twilio TaskRouter",
            Vendor::Qa => "QA evaluation",
        }
    }
}

/// One pre-built request.
struct Request {
    vendor: Vendor,
    url: String,
    content_type: &'static str,
    body: Vec<u8>,
    /// `X-Twilio-Signature` for a signed source; a bearer token otherwise.
    signature: Option<String>,
}

/// What one request measured.
struct Sample {
    vendor: Vendor,
    latency: Duration,
    events: usize,
    accepted: usize,
    duplicates: usize,
    agents_created: usize,
    adapter_ms: f64,
    pipeline_ms: f64,
    store_ms: f64,
    /// Alerts the request raised.
    alerts: usize,
}

/// Progress seen by the stall watchdog.
#[derive(Default)]
struct Progress {
    /// Requests answered so far, over all phases.
    answered: AtomicUsize,
    /// The phase running now.
    phase: Mutex<String>,
}

impl Progress {
    fn enter(&self, phase: String) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = phase;
    }
}

/// End the process if no request is answered for [`STALL`].
fn watchdog(progress: Arc<Progress>) {
    std::thread::spawn(move || {
        let (mut last, mut since) = (progress.answered.load(Ordering::Relaxed), Instant::now());
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let now = progress.answered.load(Ordering::Relaxed);
            if now != last {
                (last, since) = (now, Instant::now());
            } else if since.elapsed() > STALL {
                let phase = progress.phase.lock().unwrap_or_else(|p| p.into_inner());
                eprintln!(
                    "STALLED: no ingest request answered for {}s during {phase} ({now} answered in all)",
                    STALL.as_secs()
                );
                std::process::exit(2);
            }
        }
    });
}

/// A UUID-shaped id, unique per (tag, n).
fn uuid_like(tag: u32, n: u64) -> String {
    format!(
        "{tag:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 32) as u16,
        (n >> 20) & 0xfff,
        (n >> 8) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// A Twilio SID: two letters and 32 hex digits.
fn sid(prefix: &str, n: u64) -> String {
    format!("{prefix}{n:032x}")
}

/// `2024-05-01T10:08:00Z` plus `secs` (within one day's arithmetic).
fn iso(secs: u64) -> String {
    let day = 1 + secs / 86_400;
    let rem = secs % 86_400;
    format!(
        "2024-05-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// The request templates, parsed once.
struct Templates {
    base: String,
    ctr: Value,
    genesys: Value,
    twilio: String,
}

impl Templates {
    fn new(base: String) -> Templates {
        let mut ctr: Value = serde_json::from_slice(CTR).expect("CTR fixture is JSON");
        ctr.as_object_mut()
            .expect("CTR is an object")
            .remove("_note");
        let genesys = serde_json::from_slice(GENESYS).expect("Genesys fixture is JSON");
        let twilio = String::from_utf8_lossy(TWILIO)
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect::<String>();
        Templates {
            base,
            ctr,
            genesys,
            twilio,
        }
    }

    fn url(&self, vendor: Vendor) -> String {
        format!("{}/v1/ingest/{}", self.base, vendor.source())
    }

    /// Request `n` (globally unique over the run) of `vendor`.
    fn build(&self, vendor: Vendor, n: u64) -> Request {
        let agent = n % AGENTS as u64;
        let url = self.url(vendor);
        match vendor {
            Vendor::Connect => {
                let mut lines = String::new();
                for i in 0..CTRS_PER_REQUEST as u64 {
                    let k = n * CTRS_PER_REQUEST as u64 + i;
                    let mut r = self.ctr.clone();
                    r["ContactId"] = json!(uuid_like(0xC0_17AC, k));
                    // 08:00 on 2024-05-01 plus 7 s per contact: under 28 days
                    // for the whole run.
                    r["LastUpdateTimestamp"] = json!(iso(8 * 3600 + k * 7));
                    let arn = r["Agent"]["ARN"].as_str().unwrap_or_default().to_string();
                    let prefix = arn.rsplit_once('/').map_or(arn.as_str(), |(p, _)| p);
                    r["Agent"]["ARN"] = json!(format!(
                        "{prefix}/{}",
                        uuid_like(0xA6E7_0001, k % AGENTS as u64)
                    ));
                    lines.push_str(&serde_json::to_string(&r).expect("CTR serialises"));
                    lines.push('\n');
                }
                Request {
                    vendor,
                    url,
                    content_type: "application/x-ndjson",
                    body: lines.into_bytes(),
                    signature: None,
                }
            }
            Vendor::Genesys => {
                let mut c = self.genesys.clone();
                c["conversationId"] = json!(uuid_like(0x6E_5E55, n));
                let user = uuid_like(0xA6E7_0002, agent);
                for p in c["participants"].as_array_mut().expect("participants") {
                    if p["purpose"] == "agent" {
                        p["userId"] = json!(user);
                    }
                    for s in p["sessions"].as_array_mut().into_iter().flatten() {
                        if s.get("selectedAgentId").is_some() {
                            s["selectedAgentId"] = json!(user);
                        }
                    }
                }
                Request {
                    vendor,
                    url,
                    content_type: "application/json",
                    body: serde_json::to_vec(&c).expect("conversation serialises"),
                    signature: None,
                }
            }
            Vendor::Qa => {
                // Answers vary with n: some evaluations fail the form's
                // disclosure or score under the demo's 70% rule.
                let line = json!({
                    "id": format!("bench-qa-{n}"),
                    "form": {"id": sidecoach::demo::DEMO_FORM, "version": 1},
                    "call": {"id": uuid_like(0x0A_CA11, n)},
                    "agent": {"login": uuid_like(0xA6E7_0003, agent)},
                    "evaluator": "morgan.reyes",
                    "submitted_at": iso(9 * 3600 + n * 7),
                    "scores": {
                        "greeting": u64::from(!n.is_multiple_of(6)),
                        "empathy": 5 - n % 3,
                        "knowledge": 5 - n % 4,
                        "resolution": 5 - n % 5,
                        "disclosure": u64::from(!n.is_multiple_of(9)),
                    },
                });
                Request {
                    vendor,
                    url,
                    content_type: "application/x-ndjson",
                    body: format!("{line}\n").into_bytes(),
                    signature: None,
                }
            }
            Vendor::Twilio => {
                let body = self
                    .twilio
                    .replace("WT00000000000000000000000000000001", &sid("WT", n + 1))
                    .replace("WK00000000000000000000000000000001", &sid("WK", agent + 1))
                    .into_bytes();
                let signature = sidecoach::demo::twilio_signature(TWILIO_TOKEN, &url, &body);
                Request {
                    vendor,
                    url,
                    content_type: "application/x-www-form-urlencoded",
                    body,
                    signature: Some(signature),
                }
            }
        }
    }
}

/// The mixes measured: the realistic one (interleaved, a quarter each) and
/// each vendor alone.
#[derive(Clone, Copy)]
enum Mix {
    All,
    Only(Vendor),
}

impl Mix {
    fn label(self) -> &'static str {
        match self {
            Mix::All => "mixed ¼ each",
            Mix::Only(Vendor::Connect) => "Connect only",
            Mix::Only(Vendor::Genesys) => "Genesys only",
            Mix::Only(Vendor::Twilio) => "Twilio only",
            Mix::Only(Vendor::Qa) => "QA only",
        }
    }

    fn vendor(self, i: usize) -> Vendor {
        match self {
            Mix::All => VENDORS[i % VENDORS.len()],
            Mix::Only(v) => v,
        }
    }
}

/// Build `count` requests of `mix`, ids starting at `*next`.
fn requests(t: &Templates, mix: Mix, count: usize, next: &mut u64) -> Vec<Request> {
    (0..count)
        .map(|i| {
            *next += 1;
            t.build(mix.vendor(i), *next)
        })
        .collect()
}

/// One measured phase.
struct Phase {
    wall: Duration,
    samples: Vec<Sample>,
}

/// Nearest-rank percentile of sorted latencies, in milliseconds.
fn pct_ms(sorted: &[Duration], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1].as_secs_f64() * 1e3
}

/// Totals over a set of samples.
struct Totals {
    requests: usize,
    events: usize,
    accepted: usize,
    duplicates: usize,
    agents_created: usize,
    alerts: usize,
    wall_ms: f64,
    adapter_ms: f64,
    pipeline_ms: f64,
    store_ms: f64,
    p50: f64,
    p99: f64,
}

impl Totals {
    fn of<'a>(samples: impl Iterator<Item = &'a Sample>) -> Totals {
        let mut latencies = Vec::new();
        let (mut events, mut accepted, mut duplicates, mut agents_created) = (0, 0, 0, 0);
        let mut alerts = 0;
        let (mut adapter_ms, mut pipeline_ms, mut store_ms) = (0.0, 0.0, 0.0);
        for s in samples {
            latencies.push(s.latency);
            events += s.events;
            accepted += s.accepted;
            duplicates += s.duplicates;
            agents_created += s.agents_created;
            alerts += s.alerts;
            adapter_ms += s.adapter_ms;
            pipeline_ms += s.pipeline_ms;
            store_ms += s.store_ms;
        }
        latencies.sort_unstable();
        Totals {
            requests: latencies.len(),
            events,
            accepted,
            duplicates,
            agents_created,
            alerts,
            wall_ms: latencies.iter().map(|d| d.as_secs_f64() * 1e3).sum(),
            adapter_ms,
            pipeline_ms,
            store_ms,
            p50: pct_ms(&latencies, 50.0),
            p99: pct_ms(&latencies, 99.0),
        }
    }

    fn mean(&self, ms: f64) -> f64 {
        ms / self.requests as f64
    }

    /// Share of the summed request wall time, in percent.
    fn share(&self, ms: f64) -> f64 {
        100.0 * ms / self.wall_ms
    }

    /// Share of the wall time outside the plugins and the store.
    fn rest(&self) -> f64 {
        100.0 - self.share(self.adapter_ms + self.pipeline_ms + self.store_ms)
    }
}

/// `clients` HTTP clients send every request of `batch` once.
async fn run(
    progress: &Arc<Progress>,
    phase: String,
    clients: usize,
    batch: Vec<Request>,
) -> Phase {
    progress.enter(phase.clone());
    let batch = Arc::new(batch);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (batch, next, progress, phase) =
                (batch.clone(), next.clone(), progress.clone(), phase.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut samples = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = batch.get(i) else { break };
                    let mut request = client
                        .post(&r.url)
                        .header(CONTENT_TYPE, r.content_type)
                        .body(r.body.clone());
                    request = match &r.signature {
                        Some(sig) => request.header("x-twilio-signature", sig),
                        None => request.bearer_auth(TOKEN),
                    };
                    let t = Instant::now();
                    let response = request.send().await.expect("request sent");
                    let status = response.status();
                    let text = response.text().await.expect("response body read");
                    let latency = t.elapsed();
                    assert!(
                        status == StatusCode::OK,
                        "{phase}: POST {} answered {status}: {text}",
                        r.url
                    );
                    let report: Value = serde_json::from_str(&text).expect("IngestReport JSON");
                    let count = |k: &str| report[k].as_u64().expect("report count") as usize;
                    assert!(
                        count("rejected") == 0,
                        "{phase}: POST {} rejected records: {text}",
                        r.url
                    );
                    assert!(
                        count("events") > 0,
                        "{phase}: POST {} produced no events: {text}",
                        r.url
                    );
                    if r.vendor == Vendor::Qa {
                        assert!(
                            count("scored") == 1,
                            "{phase}: the QA evaluation was not scored: {text}"
                        );
                    }
                    let alerts = report["alerts"].as_array().map_or(0, Vec::len);
                    samples.push(Sample {
                        vendor: r.vendor,
                        alerts,
                        latency,
                        events: count("events"),
                        accepted: count("accepted"),
                        duplicates: count("duplicates"),
                        agents_created: count("agents_created"),
                        adapter_ms: report["adapter_ms"].as_f64().expect("adapter_ms"),
                        pipeline_ms: report["pipeline_ms"].as_f64().unwrap_or(0.0),
                        store_ms: report["store_ms"].as_f64().expect("store_ms"),
                    });
                    progress.answered.fetch_add(1, Ordering::Relaxed);
                }
                samples
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(batch.len());
    for task in tasks {
        samples.extend(task.await.expect("client task"));
    }
    Phase {
        wall: start.elapsed(),
        samples,
    }
}

async fn bench(divisor: usize) {
    let tmp = tempfile::tempdir().expect("temp dir");

    // The real host, in-process, with the demo sources.
    let mut config = sidecoach::demo::config().expect("demo config");
    config.data_dir = tmp.path().join("host");
    config.admin_token = Some(TOKEN.into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    config.listen = addr;
    let app = sidecoach::App::open(config).await.expect("host opens");
    // The demo's people and QA form, which the QA evaluations name.
    sidecoach::demo::prepare(&app.services.records)
        .await
        .expect("demo people and form");
    let base = format!("http://{addr}");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sidecoach::serve(listener, app, async {
        let _ = stopped.await;
    }));

    let progress = Arc::new(Progress::default());
    watchdog(progress.clone());

    let templates = Templates::new(base);
    let mut next_id = 0u64;
    let sizes: Vec<String> = VENDORS
        .iter()
        .map(|&v| {
            let r = templates.build(v, u64::MAX / 2);
            format!("{} {} B", v.source(), r.body.len())
        })
        .collect();
    let requests_per_phase = REQUESTS / divisor;
    println!(
        "sidecoach vendor-mix ingest benchmark: POST /v1/ingest/{{source}} on loopback, real adapters,\n\
         {} tokio workers, {requests_per_phase} requests per phase; bodies: {}\n",
        std::thread::available_parallelism().map_or(1, usize::from),
        sizes.join(", "),
    );

    let warm = requests(&templates, Mix::All, WARM_UP, &mut next_id);
    run(&progress, "warm-up".into(), 1, warm).await;

    let mixes = [
        Mix::All,
        Mix::Only(Vendor::Connect),
        Mix::Only(Vendor::Genesys),
        Mix::Only(Vendor::Twilio),
        Mix::Only(Vendor::Qa),
    ];
    let mut rows = Vec::new();
    for clients in CONCURRENCY {
        for mix in mixes {
            // The single-vendor mixes are a quarter of the mixed run's size.
            let count = match mix {
                Mix::All => requests_per_phase,
                Mix::Only(_) => requests_per_phase / VENDORS.len(),
            };
            let batch = requests(&templates, mix, count, &mut next_id);
            let phase = run(
                &progress,
                format!("{} (C = {clients})", mix.label()),
                clients,
                batch,
            )
            .await;
            rows.push((mix, clients, phase));
        }
    }

    println!(
        "  mix            C  requests  events │    req/s  events/s   p50 ms   p99 ms │ adapter ms  scorer+flag ms  store ms │ adapter scorer+flag  store   rest"
    );
    for (mix, clients, phase) in &rows {
        let t = Totals::of(phase.samples.iter());
        let secs = phase.wall.as_secs_f64();
        println!(
            "  {:<13} {clients:>2}  {:>8}  {:>6} │ {:>8.0}  {:>8.0} {:>8.2} {:>8.2} │ {:>10.3}  {:>14.3}  {:>8.3} │ {:>6.1}% {:>10.1}% {:>5.1}% {:>5.1}%",
            mix.label(),
            t.requests,
            t.events,
            t.requests as f64 / secs,
            t.events as f64 / secs,
            t.p50,
            t.p99,
            t.mean(t.adapter_ms),
            t.mean(t.pipeline_ms),
            t.mean(t.store_ms),
            t.share(t.adapter_ms),
            t.share(t.pipeline_ms),
            t.share(t.store_ms),
            t.rest(),
        );
    }

    println!(
        "\n  per vendor, within the mixed runs:\n  \
         vendor             C  requests ev/req │   p50 ms   p99 ms │ adapter ms  per event  scorer+flag ms  store ms │ adapter scorer+flag  store   rest"
    );
    for (mix, clients, phase) in &rows {
        if !matches!(mix, Mix::All) {
            continue;
        }
        for v in VENDORS {
            let t = Totals::of(phase.samples.iter().filter(|s| s.vendor == v));
            println!(
                "  {:<17} {clients:>2}  {:>8} {:>6} │ {:>8.2} {:>8.2} │ {:>10.3} {:>10.4} {:>15.3} {:>9.3} │ {:>6.1}% {:>10.1}% {:>5.1}% {:>5.1}%",
                v.label(),
                t.requests,
                t.events / t.requests.max(1),
                t.p50,
                t.p99,
                t.mean(t.adapter_ms),
                t.adapter_ms / t.events.max(1) as f64,
                t.mean(t.pipeline_ms),
                t.mean(t.store_ms),
                t.share(t.adapter_ms),
                t.share(t.pipeline_ms),
                t.share(t.store_ms),
                t.rest(),
            );
        }
    }
    println!(
        "\n  per vendor, over all measured phases (mixed and alone, C = 1 and 8):\n  \
         vendor            requests  events  accepted  duplicates  agents new  alerts │ adapter ms  per event"
    );
    for v in VENDORS {
        let t = Totals::of(
            rows.iter()
                .flat_map(|(_, _, p)| p.samples.iter())
                .filter(|s| s.vendor == v),
        );
        println!(
            "  {:<17} {:>8} {:>7} {:>9} {:>11} {:>11} {:>7} │ {:>10.3} {:>10.4}",
            v.label(),
            t.requests,
            t.events,
            t.accepted,
            t.duplicates,
            t.agents_created,
            t.alerts,
            t.mean(t.adapter_ms),
            t.adapter_ms / t.events.max(1) as f64,
        );
    }
    println!(
        "\n  0 rejected (asserted on every report). events/s counts the reports' `events`: a CTR\n  \
         is an interaction and an agent event, a TaskRouter reservation an interaction and a\n  \
         worker, a QA line an evaluation; duplicates are agent events of the {AGENTS} agents\n  \
         per vendor already known. adapter = `adapter_ms` (inside the plugin call,\n  \
         instantiation included), scorer+flag = `pipeline_ms` (inside the reference scorer\n  \
         and the reference flagger, with the config rules), store = `store_ms` (identity\n  \
         resolution, merge, write, one flush), all from the host's IngestReport; shares are\n  \
         of the summed client wall latency, rest = 1 − all three\n  \
         (HTTP/1.1 on loopback, routing, auth, body copy, report JSON, client, and at C = 8\n  \
         waiting for a CPU)."
    );

    progress.enter("shutdown".into());
    stop.send(()).expect("host still running");
    server
        .await
        .expect("server task")
        .expect("host shut down cleanly");
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
