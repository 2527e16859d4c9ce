//! `sidecoach-fuzz`: fuzz every adapter for a while and print, per adapter,
//! the inputs tried, the panics, the property violations and slow calls,
//! then each unique finding with its shrunk input.
//!
//! ```text
//! cargo run --release --manifest-path plugins/Cargo.toml -p sidecoach-fuzz -- --seconds 60
//!     [--inputs N]        stop each adapter after N inputs (instead of, or as well as, --seconds)
//!     [--seed S]          the random seed (default 1); the same seed replays the same inputs
//!     [--adapter NAME]    only this adapter (repeatable)
//!     [--slow-ms MS]      a call slower than this is a finding (default 1000)
//!     [--hang-seconds S]  a call running this long aborts the run, printing its input (default 20)
//! ```
//!
//! Exits 1 when anything was found, so a script can gate on it.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::process::ExitCode;
    use std::time::{Duration, Instant};

    use sidecoach_fuzz::run::{IN_FLIGHT, escape};
    use sidecoach_fuzz::{Budget, all, run};

    /// The parsed command line.
    struct Args {
        budget: Budget,
        adapters: Vec<String>,
        hang: Duration,
    }

    fn parse_args() -> Result<Args, String> {
        let mut budget = Budget {
            time: None,
            inputs_per_adapter: None,
            seed: 1,
            slow: Duration::from_millis(1000),
            shrink_calls: 4000,
        };
        let mut adapters = Vec::new();
        let mut hang = Duration::from_secs(20);
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            let number = |v: String| {
                v.parse::<u64>()
                    .map_err(|_| format!("{flag}: not a number: {v}"))
            };
            match flag.as_str() {
                "--seconds" => budget.time = Some(Duration::from_secs(number(value()?)?)),
                "--inputs" => budget.inputs_per_adapter = Some(number(value()?)?),
                "--seed" => budget.seed = number(value()?)?,
                "--adapter" => adapters.push(value()?),
                "--slow-ms" => budget.slow = Duration::from_millis(number(value()?)?),
                "--hang-seconds" => hang = Duration::from_secs(number(value()?)?),
                "-h" | "--help" => {
                    return Err(
                        "usage: sidecoach-fuzz [--seconds N] [--inputs N] [--seed S] \
                                [--adapter NAME]... [--slow-ms MS] [--hang-seconds S]"
                            .into(),
                    );
                }
                other => return Err(format!("unknown argument `{other}` (try --help)")),
            }
        }
        if budget.time.is_none() && budget.inputs_per_adapter.is_none() {
            budget.time = Some(Duration::from_secs(60));
        }
        Ok(Args {
            budget,
            adapters,
            hang,
        })
    }

    /// Aborts the process when one call runs longer than `hang`, printing
    /// the adapter and the input: a loop that never ends cannot be caught.
    fn watchdog(hang: Duration) {
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(250));
                let Ok(slot) = IN_FLIGHT.lock() else { continue };
                if let Some((adapter, since, body)) = &*slot
                    && since.elapsed() > hang
                {
                    eprintln!(
                        "HANG: {adapter} has been parsing one input for {:?}; input ({} bytes):\n{}",
                        since.elapsed(),
                        body.len(),
                        escape(body)
                    );
                    std::process::exit(3);
                }
            }
        });
    }

    pub fn main() -> ExitCode {
        let args = match parse_args() {
            Ok(args) => args,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        };
        let mut targets = all();
        if !args.adapters.is_empty() {
            targets.retain(|t| args.adapters.iter().any(|a| a == t.name));
            if targets.is_empty() {
                eprintln!("no adapter named {:?}", args.adapters);
                return ExitCode::from(2);
            }
        }
        watchdog(args.hang);
        let started = Instant::now();
        let report = run(&targets, &args.budget);
        print!("{}", report.render(args.budget.seed));
        println!("(with shrinking: {:.1} s)", started.elapsed().as_secs_f64());
        if report.findings.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
