//! Memory soak: the real host in-process (`App::open` + `serve` on
//! loopback, temporary data directory) takes durable ingest at a fixed
//! rate — `POST /v1/interactions`, each answered after its flush — for ten
//! minutes, while the process's resident set size is sampled every ten
//! seconds from `/proc/self/status`.
//!
//! What it shows: whether RSS levels off (the growth of each third of the
//! run) and whether it stays under the ceiling the configuration allows
//! (`Config::memory_ceiling_mib`: a base, the sled page cache `[store]
//! cache_mib`, the plugin pool's resident pages, and a little per stored
//! record). Like the `sidecoach` binary, the bench caps malloc arenas
//! before any thread starts (`cli::cap_malloc_arenas`). The process exits
//! non-zero when RSS passes the ceiling.
//!
//! `cargo bench -p sidecoach --bench soak`. Environment: `SIDECOACH_SOAK_SECONDS`
//! (default 600), `SIDECOACH_SOAK_RATE` (requests per second, default 100;
//! a rate the clients cannot reach means as fast as they go),
//! `SIDECOACH_SOAK_CLIENTS` (concurrent clients, default 4),
//! `SIDECOACH_SOAK_CACHE_MIB` (default the host's default),
//! `SIDECOACH_SOAK_DISTINCT` (records per client before they are sent
//! again unchanged: growth then is per request, not per stored record;
//! default unlimited), `SIDECOACH_SOAK_PREFILL` (records stored as fast as
//! they go before the timed run, to start from a store larger than the
//! cache; default 0).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sidecoach::config::Config;

const TOKEN: &str = "soak-bench-token";
/// Clients unless `SIDECOACH_SOAK_CLIENTS` says.
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

fn main() -> std::process::ExitCode {
    sidecoach::cli::cap_malloc_arenas();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(soak())
}

/// POST one record; whether it was stored.
async fn ingest(http: &reqwest::Client, base: &str, client: usize, i: usize) -> bool {
    http.post(format!("{base}/v1/interactions"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(body(client, i))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// POST `count` records from `clients` clients as fast as they go.
async fn prefill(base: &str, count: usize, client_count: usize) {
    let per_client = count.div_ceil(client_count);
    let mut clients = Vec::new();
    for c in 0..client_count {
        let base = base.to_string();
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..per_client {
                assert!(
                    ingest(&http, &base, client_count + c, i).await,
                    "a prefill record was refused"
                );
            }
        }));
    }
    for c in clients {
        c.await.expect("prefill client");
    }
}

async fn soak() -> std::process::ExitCode {
    let seconds: u64 = env_or("SIDECOACH_SOAK_SECONDS", 600);
    let rate: u64 = env_or("SIDECOACH_SOAK_RATE", 100);
    let distinct: usize = env_or("SIDECOACH_SOAK_DISTINCT", usize::MAX);
    let prefilled: usize = env_or("SIDECOACH_SOAK_PREFILL", 0);
    let client_count: usize = env_or("SIDECOACH_SOAK_CLIENTS", CLIENTS).max(1);
    let mut config = Config {
        admin_token: Some(TOKEN.into()),
        ..Config::default()
    };
    config.store.cache_mib = env_or("SIDECOACH_SOAK_CACHE_MIB", config.store.cache_mib);
    let cache_mib = config.store.cache_mib;
    let limits = config.clone();
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

    let opened_rss = rss_mib();
    let prefill_started = Instant::now();
    prefill(&base, prefilled, client_count).await;
    let started_rss = rss_mib();
    println!(
        "sidecoach memory soak: {rate} durable ingests/s for {seconds} s, {client_count} clients, \
         [store] cache_mib = {cache_mib}, malloc arenas {}, {} distinct records per client; \
         RSS with plugins loaded {opened_rss:.1} MiB; {prefilled} records prefilled in {:.0} s, \
         RSS then {started_rss:.1} MiB\n",
        std::env::var("MALLOC_ARENA_MAX")
            .unwrap_or_else(|_| sidecoach::cli::MALLOC_ARENAS.to_string()),
        if distinct == usize::MAX {
            "all".to_string()
        } else {
            distinct.to_string()
        },
        prefill_started.elapsed().as_secs_f64()
    );
    println!(
        "{:>6}  {:>9}  {:>9}  {:>8}  {:>12}",
        "t (s)", "records", "RSS MiB", "errors", "ceiling MiB"
    );

    let sent = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let end = start + Duration::from_secs(seconds);
    let mut clients = Vec::new();
    for c in 0..client_count {
        let (base, sent, errors) = (base.clone(), sent.clone(), errors.clone());
        // Each client sends its share of the rate on a fixed schedule.
        let period = Duration::from_secs_f64(client_count as f64 / rate.max(1) as f64);
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut i = 0;
            while Instant::now() < end {
                tick.tick().await;
                if ingest(&http, &base, c, i % distinct).await {
                    sent.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        }));
    }

    let mut samples: Vec<(f64, f64, f64)> = vec![(
        0.0,
        started_rss,
        limits.memory_ceiling_mib(prefilled as u64),
    )];
    let every = Duration::from_secs(10.min(seconds.max(1)));
    while Instant::now() < end {
        tokio::time::sleep(every.min(end.saturating_duration_since(Instant::now()))).await;
        let t = start.elapsed().as_secs_f64();
        let rss = rss_mib();
        let records = sent.load(Ordering::Relaxed);
        let ceiling = limits.memory_ceiling_mib((prefilled + records) as u64);
        samples.push((t, rss, ceiling));
        println!(
            "{t:>6.0}  {records:>9}  {rss:>9.1}  {:>8}  {ceiling:>12.1}",
            errors.load(Ordering::Relaxed)
        );
    }
    for c in clients {
        c.await.expect("client");
    }
    let _ = stop.send(());
    server.await.expect("server task").expect("server");

    let peak = samples.iter().map(|s| s.1).fold(f64::MIN, f64::max);
    let over: Vec<&(f64, f64, f64)> = samples.iter().filter(|s| s.1 > s.2).collect();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize].1;
    let (third, two_thirds, last) = (at(1.0 / 3.0), at(2.0 / 3.0), at(1.0));
    let records = sent.load(Ordering::Relaxed);
    println!(
        "\n{records} records acknowledged ({:.1}/s), {} errors",
        records as f64 / start.elapsed().as_secs_f64(),
        errors.load(Ordering::Relaxed)
    );
    println!(
        "RSS: start {started_rss:.1} MiB, a third in {third:.1}, two thirds {two_thirds:.1}, \
         end {last:.1}, peak {peak:.1}; growth per third {:+.1} / {:+.1} / {:+.1} MiB",
        third - started_rss,
        two_thirds - third,
        last - two_thirds
    );
    let ceiling = limits.memory_ceiling_mib((prefilled + records) as u64);
    println!(
        "ceiling at the end ({} records stored): {ceiling:.1} MiB = {:.0} base + {:.1} × {cache_mib} \
         MiB cache + {} pooled instances × {} KiB kept resident + {:.0} B per record; peak is \
         {:.0}% of it",
        prefilled + records,
        sidecoach::config::MEMORY_BASE_MIB,
        sidecoach::config::MEMORY_PER_CACHE_MIB,
        limits.runtime.pool_instances,
        limits.runtime.keep_resident_kib,
        sidecoach::config::MEMORY_PER_RECORD_BYTES,
        100.0 * peak / ceiling
    );
    if over.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        for (t, rss, ceiling) in over {
            println!("OVER THE CEILING at {t:.0} s: {rss:.1} MiB > {ceiling:.1} MiB");
        }
        std::process::ExitCode::FAILURE
    }
}
