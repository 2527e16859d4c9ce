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

mod common;

use common::ingest::{Loopback, RUNS, record_bytes};
use common::measure::{listing, quick};
use sidecoach::config::RuntimeConfig;

async fn bench(divisor: usize) {
    let loopback = Loopback::open(RuntimeConfig::default()).await;
    println!(
        "sidecoach ingest benchmark: durable writes on loopback, {} tokio workers, ~{} B per record\n",
        std::thread::available_parallelism().map_or(1, usize::from),
        record_bytes()
    );

    let mut rows = Vec::new();
    for (clients, total) in RUNS {
        let total = total / divisor;
        let (api, bare) = loopback
            .measure(&format!("c{clients}"), clients, total)
            .await;
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

    loopback.shutdown().await;
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
