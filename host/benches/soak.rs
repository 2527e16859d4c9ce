//! Memory soak: the real host in-process (`App::open` + `serve` on
//! loopback, temporary data directory) takes durable ingest at a fixed
//! rate — `POST /v1/interactions`, each answered after its flush — for ten
//! minutes, while the process's resident set size is sampled every ten
//! seconds from `/proc/self/status`.
//!
//! What it shows: whether RSS levels off (the growth of the last half of
//! the run against the first half's) and where it settles against the
//! memory the configuration allows to grow with the data, the sled page
//! cache (`[store] cache_mib`, default 64 MiB; sled's own default was
//! 1 GiB, which is what RSS grew towards before it was configurable).
//!
//! `cargo bench -p sidecoach --bench soak`. Environment: `SIDECOACH_SOAK_SECONDS`
//! (default 600), `SIDECOACH_SOAK_RATE` (requests per second, default 100),
//! `SIDECOACH_SOAK_CACHE_MIB` (default the host's default),
//! `SIDECOACH_SOAK_DISTINCT` (records per client before they are sent
//! again unchanged: growth then is per request, not per stored record;
//! default unlimited).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sidecoach::config::Config;

const TOKEN: &str = "soak-bench-token";
const CLIENTS: usize = 4;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident set size of this process, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn body(client: usize, i: usize) -> String {
    serde_json::json!({
        "source": "soak",
        "external_id": format!("soak-{client}-{i}"),
        "channel": "voice",
        "direction": "inbound",
        "started_at": 1_790_000_000_000_i64 + i as i64 * 1_000,
        "handle_ms": 300_000,
        "queue": "billing",
        "topics": ["billing", "refund"],
        "wrap_up": "resolved",
    })
    .to_string()
}

#[tokio::main]
async fn main() {
    let seconds: u64 = env_or("SIDECOACH_SOAK_SECONDS", 600);
    let rate: u64 = env_or("SIDECOACH_SOAK_RATE", 100);
    let distinct: usize = env_or("SIDECOACH_SOAK_DISTINCT", usize::MAX);
    let mut config = Config {
        admin_token: Some(TOKEN.into()),
        ..Config::default()
    };
    config.store.cache_mib = env_or("SIDECOACH_SOAK_CACHE_MIB", config.store.cache_mib);
    let cache_mib = config.store.cache_mib;
    let tmp = tempfile::tempdir().expect("temp dir");
    config.data_dir = tmp.path().join("data");
    let app = sidecoach::App::open(config).await.expect("host opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sidecoach::serve(listener, app, async {
        let _ = stopped.await;
    }));

    let started_rss = rss_mib();
    println!(
        "sidecoach memory soak: {rate} durable ingests/s for {seconds} s, {CLIENTS} clients, \
         [store] cache_mib = {cache_mib}, {} distinct records per client; RSS at start \
         (plugins loaded) {started_rss:.1} MiB\n",
        if distinct == usize::MAX {
            "all".to_string()
        } else {
            distinct.to_string()
        }
    );
    println!(
        "{:>6}  {:>9}  {:>9}  {:>8}",
        "t (s)", "records", "RSS MiB", "errors"
    );

    let sent = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (base, sent, errors) = (base.clone(), sent.clone(), errors.clone());
        // Each client sends its share of the rate on a fixed schedule.
        let period = Duration::from_secs_f64(CLIENTS as f64 / rate.max(1) as f64);
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut i = 0;
            while Instant::now() < end {
                tick.tick().await;
                let r = http
                    .post(format!("{base}/v1/interactions"))
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(body(c, i % distinct))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                i += 1;
            }
        }));
    }

    let mut samples: Vec<(f64, f64)> = vec![(0.0, started_rss)];
    let every = Duration::from_secs(10.min(seconds.max(1)));
    while Instant::now() < end {
        tokio::time::sleep(every.min(end.saturating_duration_since(Instant::now()))).await;
        let t = start.elapsed().as_secs_f64();
        let rss = rss_mib();
        samples.push((t, rss));
        println!(
            "{t:>6.0}  {:>9}  {rss:>9.1}  {:>8}",
            sent.load(Ordering::Relaxed),
            errors.load(Ordering::Relaxed)
        );
    }
    for c in clients {
        c.await.expect("client");
    }
    let _ = stop.send(());
    server.await.expect("server task").expect("server");

    let peak = samples.iter().map(|s| s.1).fold(f64::MIN, f64::max);
    let last = samples.last().map_or(f64::NAN, |s| s.1);
    let mid = samples[samples.len() / 2].1;
    let first_half = mid - started_rss;
    let second_half = last - mid;
    let records = sent.load(Ordering::Relaxed);
    println!(
        "\n{records} records acknowledged ({:.1}/s), {} errors",
        records as f64 / start.elapsed().as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    println!(
        "RSS: start {started_rss:.1} MiB, mid-run {mid:.1}, end {last:.1}, peak {peak:.1}; \
         growth first half {first_half:+.1} MiB, second half {second_half:+.1} MiB \
         (second/first = {:.2})",
        if first_half.abs() > f64::EPSILON {
            second_half / first_half
        } else {
            f64::NAN
        }
    );
    // sled's page cache is the part config bounds; what grows beyond it
    // is sled's per-page table (it keeps every page's location in memory)
    // and the allocator's arenas.
    println!(
        "start + page cache = {:.1} MiB; the peak is {:.0}% of it ({:+.1} MiB beyond the cache)",
        started_rss + cache_mib as f64,
        100.0 * peak / (started_rss + cache_mib as f64),
        peak - started_rss - cache_mib as f64
    );
}
