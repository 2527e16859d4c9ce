//! Timing and reporting helpers.

use std::time::{Duration, Instant};

/// Whether this is a smoke run (`SIDECOACH_BENCH_QUICK` set).
pub fn quick() -> bool {
    std::env::var_os("SIDECOACH_BENCH_QUICK").is_some()
}

/// `cargo test --benches` runs every bench with `--list`: there are no
/// named cases to list, so the bench should just return.
pub fn listing() -> bool {
    std::env::args().any(|a| a == "--list")
}

/// End the run with a message and a non-zero exit.
pub fn fail(message: String) -> ! {
    let bench = std::env::args()
        .next()
        .and_then(|a| {
            let name = std::path::Path::new(&a).file_stem()?.to_str()?.to_owned();
            // Cargo names the binary `<bench>-<hash>`.
            Some(
                name.rsplit_once('-')
                    .map_or(name.clone(), |(b, _)| b.to_owned()),
            )
        })
        .unwrap_or_else(|| "bench".into());
    eprintln!("{bench} bench: {message}");
    std::process::exit(1)
}

/// The median of some samples.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median time of `runs` runs of `f`.
pub fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// Milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Microseconds.
pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The machine, for the heading of a report: cores, CPU model, OS, and a
/// warning when the build is not optimised.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| format!(" ({})", m.trim()))
        })
        .unwrap_or_default();
    format!(
        "{cores} cores{model}, {} {}{}",
        std::env::consts::OS,
        std::env::consts::ARCH,
        if cfg!(debug_assertions) {
            ", DEBUG build: numbers mean little"
        } else {
            ""
        }
    )
}
