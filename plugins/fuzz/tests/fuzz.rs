//! A short fixed-seed fuzz run of every adapter, so `cargo test` exercises
//! the harness and guards the fixes (the long runs are `cargo run --release
//! -p sidecoach-fuzz`, see the README).

#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use sidecoach_fuzz::targets::check_seeds;
use sidecoach_fuzz::{Budget, all, run};

/// Inputs per adapter: a few thousand in all, a few seconds in a debug build.
const INPUTS: u64 = 600;

#[test]
fn every_seed_is_accepted_whole_and_well_formed() {
    let problems: Vec<String> = all().iter().flat_map(check_seeds).collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_fixed_seed_run_finds_nothing_in_any_adapter() {
    let budget = Budget {
        time: None,
        inputs_per_adapter: Some(INPUTS),
        seed: 0x5EED,
        // Debug builds are slow and the machine is shared: only a real hang
        // (a call taking seconds) counts here.
        slow: Duration::from_secs(5),
        shrink_calls: 500,
    };
    let targets = all();
    let report = run(&targets, &budget);
    println!("{}", report.render(budget.seed));
    assert!(report.tallies.iter().all(|(_, t)| t.inputs == INPUTS));
    assert!(
        report.findings.is_empty(),
        "{}",
        report.render(budget.seed)
    );
}
