//! The fuzzing loop: mutate a seed, call the adapter under `catch_unwind`,
//! check the properties, time the call; keep one finding per (adapter,
//! kind), shrink its input, and report per adapter.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use crate::check::clip;
use crate::mutate::{self, Rng, Shape};
use crate::targets::{Setup, Target};

/// How long and how hard to run.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Stop after this long in total (all adapters share it, round robin).
    pub time: Option<Duration>,
    /// Stop each adapter after this many inputs.
    pub inputs_per_adapter: Option<u64>,
    /// The random seed (the same seed replays the same inputs).
    pub seed: u64,
    /// A call slower than this is a finding (the parser must stay bounded).
    pub slow: Duration,
    /// At most this many calls to shrink one finding's input.
    pub shrink_calls: usize,
}

/// What went wrong, once per (adapter, kind).
#[derive(Debug, Clone)]
pub struct Finding {
    /// The adapter.
    pub adapter: &'static str,
    /// `panic`, `violation` or `slow`.
    pub class: &'static str,
    /// What identifies it: the panic's location, the property broken.
    pub kind: String,
    /// The panic message or the offending value.
    pub detail: String,
    /// The request around the body.
    pub setup: Setup,
    /// The smallest body found that still shows it.
    pub input: Vec<u8>,
    /// How many inputs showed it.
    pub hits: u64,
}

/// Per-adapter figures.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Inputs tried.
    pub inputs: u64,
    /// Inputs that panicked.
    pub panics: u64,
    /// Inputs whose output broke a property.
    pub violations: u64,
    /// Inputs slower than the budget's `slow`.
    pub slow: u64,
    /// Inputs the adapter refused as a whole (an error, as it should).
    pub failed: u64,
    /// Events emitted over all inputs.
    pub events: u64,
    /// The slowest call.
    pub slowest: Duration,
}

/// A run's result.
#[derive(Debug, Default)]
pub struct Report {
    /// Figures per adapter, in run order.
    pub tallies: Vec<(&'static str, Tally)>,
    /// Unique findings.
    pub findings: Vec<Finding>,
    /// Wall time of the fuzzing (shrinking the findings not included).
    pub elapsed: Duration,
}

thread_local! {
    /// The last panic's message and location on this thread, set by the hook.
    static LAST_PANIC: std::cell::RefCell<Option<(String, String)>> =
        const { std::cell::RefCell::new(None) };
}

/// Replace the panic hook with one that records instead of printing (the
/// run reports panics itself).
fn quiet_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic)".into());
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some((location, message)));
        }));
    });
}

/// The request in flight, for the watchdog in `main` to print if a call
/// never returns.
pub static IN_FLIGHT: Mutex<Option<(&'static str, Instant, Vec<u8>)>> = Mutex::new(None);

/// What one input showed: `(class, kind, detail)` for each problem.
fn probe(target: &Target, setup: &Setup, body: &[u8], budget: &Budget) -> Probe {
    if let Ok(mut slot) = IN_FLIGHT.lock() {
        *slot = Some((target.name, Instant::now(), body.to_vec()));
    }
    let started = Instant::now();
    let result = panic::catch_unwind(AssertUnwindSafe(|| (target.call)(setup, body)));
    let took = started.elapsed();
    let mut problems = Vec::new();
    let outcome = match result {
        Ok(outcome) => Some(outcome),
        Err(_) => {
            let (location, message) = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_default();
            problems.push(("panic", location, message));
            None
        }
    };
    if let Some(out) = &outcome {
        for v in &out.violations {
            problems.push(("violation", v.kind.clone(), v.detail.clone()));
        }
    }
    if took > budget.slow {
        problems.push(("slow", "a call took too long".into(), format!("{took:?}")));
    }
    Probe {
        took,
        problems,
        failed: outcome.as_ref().is_some_and(|o| o.failed),
        events: outcome.as_ref().map_or(0, |o| o.events),
    }
}

/// What one call showed.
struct Probe {
    took: Duration,
    problems: Vec<(&'static str, String, String)>,
    failed: bool,
    events: usize,
}

/// Shrinks `body` while the same (class, kind) still shows: drops chunks
/// from half the input down to single bytes (a simple ddmin).
fn shrink(
    target: &Target,
    setup: &Setup,
    body: &[u8],
    class: &str,
    kind: &str,
    budget: &Budget,
) -> Vec<u8> {
    // Slowness is not shrunk: smaller inputs are faster by nature.
    if class == "slow" {
        return body.to_vec();
    }
    let shows = |candidate: &[u8]| {
        probe(target, setup, candidate, budget)
            .problems
            .iter()
            .any(|(c, k, _)| *c == class && k == kind)
    };
    let mut calls = 0;
    let mut best = shrink_json(body, &mut calls, budget.shrink_calls, &shows);
    let mut chunk = best.len().div_ceil(2).max(1);
    while calls < budget.shrink_calls {
        let mut progressed = false;
        let mut at = 0;
        while at < best.len() && calls < budget.shrink_calls {
            let end = (at + chunk).min(best.len());
            let mut candidate = best[..at].to_vec();
            candidate.extend_from_slice(&best[end..]);
            calls += 1;
            if shows(&candidate) {
                best = candidate;
                progressed = true;
            } else {
                at = end;
            }
        }
        if !progressed {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    best
}

/// For a JSON body: drops object members and array elements, and replaces
/// containers by one of their children, while the finding still shows (byte
/// deletions alone rarely keep JSON valid).
fn shrink_json(
    body: &[u8],
    calls: &mut usize,
    max_calls: usize,
    shows: &dyn Fn(&[u8]) -> bool,
) -> Vec<u8> {
    let Ok(mut best) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    let encode = |v: &serde_json::Value| serde_json::to_vec(v).unwrap_or_default();
    if !shows(&encode(&best)) {
        return body.to_vec();
    }
    // Each pass walks every node (by index in pre-order) and tries its
    // simplifications; stop when a pass changes nothing.
    loop {
        let mut changed = false;
        let mut node = 0;
        while node < count_nodes(&best) && *calls < max_calls {
            let mut kept = false;
            for option in 0..3 {
                let mut candidate = best.clone();
                if !simplify(&mut candidate, node, option) {
                    continue;
                }
                *calls += 1;
                if shows(&encode(&candidate)) {
                    best = candidate;
                    changed = true;
                    kept = true;
                    break;
                }
            }
            if !kept {
                node += 1;
            }
        }
        if !changed || *calls >= max_calls {
            return encode(&best);
        }
    }
}

/// Nodes of a JSON value, in pre-order.
fn count_nodes(v: &serde_json::Value) -> usize {
    1 + match v {
        serde_json::Value::Array(items) => items.iter().map(count_nodes).sum(),
        serde_json::Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Simplifies the `target`-th node (pre-order) of `root`: option 0 removes
/// it from its parent, 1 replaces it by its first child, 2 by `null`.
/// Returns whether anything changed.
fn simplify(root: &mut serde_json::Value, target: usize, option: u8) -> bool {
    fn walk(v: &mut serde_json::Value, target: usize, at: &mut usize, option: u8) -> bool {
        use serde_json::Value;
        let here = *at;
        *at += 1;
        if here == target {
            return match option {
                1 => {
                    let first = match v {
                        Value::Array(items) if !items.is_empty() => items.swap_remove(0),
                        Value::Object(map) if !map.is_empty() => {
                            let key = map.keys().next().cloned().unwrap_or_default();
                            map.remove(&key).unwrap_or(Value::Null)
                        }
                        _ => return false,
                    };
                    *v = first;
                    true
                }
                2 if !v.is_null() => {
                    *v = Value::Null;
                    true
                }
                _ => false,
            };
        }
        match v {
            Value::Array(items) => {
                for i in 0..items.len() {
                    if option == 0 && *at == target {
                        items.remove(i);
                        return true;
                    }
                    if walk(&mut items[i], target, at, option) {
                        return true;
                    }
                    if *at > target {
                        return false;
                    }
                }
                false
            }
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                for key in keys {
                    if option == 0 && *at == target {
                        map.remove(&key);
                        return true;
                    }
                    let child = map.get_mut(&key).expect("key listed above");
                    if walk(child, target, at, option) {
                        return true;
                    }
                    if *at > target {
                        return false;
                    }
                }
                false
            }
            _ => false,
        }
    }
    let mut at = 0;
    walk(root, target, &mut at, option)
}

/// Runs every target within the budget.
pub fn run(targets: &[Target], budget: &Budget) -> Report {
    quiet_panics();
    let started = Instant::now();
    let mut report = Report::default();
    let mut findings: BTreeMap<(&'static str, &'static str, String), Finding> = BTreeMap::new();
    let mut tallies: Vec<Tally> = vec![Tally::default(); targets.len()];
    let mut rngs: Vec<Rng> = (0..targets.len())
        .map(|i| Rng::new(budget.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .collect();
    let seeds: Vec<Vec<(Shape, &[u8])>> = targets
        .iter()
        .map(|t| {
            t.seeds
                .iter()
                .map(|s| (s.shape, s.body.as_slice()))
                .collect()
        })
        .collect();
    // Round robin in small batches, so a time budget is shared evenly.
    const BATCH: u64 = 64;
    loop {
        let mut active = false;
        for (ti, target) in targets.iter().enumerate() {
            let tally = &mut tallies[ti];
            let limit = budget.inputs_per_adapter.unwrap_or(u64::MAX);
            if tally.inputs >= limit {
                continue;
            }
            active = true;
            for _ in 0..BATCH.min(limit - tally.inputs) {
                let rng = &mut rngs[ti];
                let base = rng.below(target.seeds.len());
                let (shape, body) = seeds[ti][base];
                let body = if rng.one_in(50) {
                    body.to_vec()
                } else {
                    mutate::mutate(rng, (shape, body), &seeds[ti])
                };
                let mut setup = target.seeds[base].setup.clone();
                if rng.one_in(16) {
                    setup.content_type = *rng.pick(&[
                        None,
                        Some("application/json"),
                        Some("application/x-ndjson"),
                        Some("text/csv"),
                        Some("application/x-www-form-urlencoded"),
                        Some("text/plain"),
                    ]);
                }
                let result = probe(target, &setup, &body, budget);
                tally.inputs += 1;
                tally.slowest = tally.slowest.max(result.took);
                tally.failed += u64::from(result.failed);
                tally.events += result.events as u64;
                let mut counted = [false; 3];
                for (class, kind, detail) in result.problems {
                    let slot = match class {
                        "panic" => 0,
                        "violation" => 1,
                        _ => 2,
                    };
                    if !counted[slot] {
                        counted[slot] = true;
                        match slot {
                            0 => tally.panics += 1,
                            1 => tally.violations += 1,
                            _ => tally.slow += 1,
                        }
                    }
                    findings
                        .entry((target.name, class, kind.clone()))
                        .and_modify(|f| {
                            f.hits += 1;
                            if body.len() < f.input.len() {
                                f.input = body.clone();
                                f.setup = setup.clone();
                                f.detail = detail.clone();
                            }
                        })
                        .or_insert_with(|| Finding {
                            adapter: target.name,
                            class,
                            kind,
                            detail,
                            setup: setup.clone(),
                            input: body.clone(),
                            hits: 1,
                        });
                }
            }
            if budget.time.is_some_and(|t| started.elapsed() >= t) {
                active = false;
                break;
            }
        }
        if !active {
            break;
        }
    }
    if let Ok(mut slot) = IN_FLIGHT.lock() {
        *slot = None;
    }
    report.elapsed = started.elapsed();
    for mut finding in findings.into_values() {
        let target = targets
            .iter()
            .find(|t| t.name == finding.adapter)
            .expect("a finding names a target");
        finding.input = shrink(
            target,
            &finding.setup,
            &finding.input,
            finding.class,
            &finding.kind,
            budget,
        );
        report.findings.push(finding);
    }
    report.tallies = targets.iter().map(|t| t.name).zip(tallies).collect();
    report
}

/// A body as a Rust byte-string literal, for a regression test.
pub fn escape(body: &[u8]) -> String {
    let mut out = String::from("b\"");
    for &b in body {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

impl Report {
    /// The table and the findings, as printed by the command.
    pub fn render(&self, seed: u64) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "sidecoach-fuzz: seed {seed}, {:.1} s\n",
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "{:<16} {:>10} {:>8} {:>10} {:>6} {:>9} {:>10} {:>11} {:>8}",
            "adapter",
            "inputs",
            "panics",
            "violations",
            "slow",
            "findings",
            "refused",
            "events",
            "slowest"
        );
        for (name, t) in &self.tallies {
            let unique = self.findings.iter().filter(|f| f.adapter == *name).count();
            let _ = writeln!(
                out,
                "{:<16} {:>10} {:>8} {:>10} {:>6} {:>9} {:>10} {:>11} {:>6.1}ms",
                name,
                t.inputs,
                t.panics,
                t.violations,
                t.slow,
                unique,
                t.failed,
                t.events,
                t.slowest.as_secs_f64() * 1000.0
            );
        }
        let total: u64 = self.tallies.iter().map(|(_, t)| t.inputs).sum();
        let _ = writeln!(out, "{:<16} {:>10}", "total", total);
        if self.findings.is_empty() {
            let _ = writeln!(out, "\nno findings");
        }
        for (n, f) in self.findings.iter().enumerate() {
            let _ = writeln!(
                out,
                "\n#{n} {} {}: {} ({} inputs)\n   detail: {}\n   content-type: {:?}, config: {} keys\n   input ({} bytes): {}",
                f.adapter,
                f.class,
                f.kind,
                f.hits,
                clip(&f.detail, 200),
                f.setup.content_type,
                f.setup.config.len(),
                f.input.len(),
                clip(escape(&f.input), 400)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Violation;
    use crate::targets::{Outcome, Signing};

    /// A target that "breaks a property" whenever the body is JSON holding
    /// `"x":1`.
    fn picky(_: &Setup, body: &[u8]) -> Outcome {
        let found = serde_json::from_slice::<serde_json::Value>(body).is_ok()
            && body.windows(5).any(|w| w == b"\"x\":1");
        Outcome {
            violations: if found {
                vec![Violation {
                    kind: "x is one".into(),
                    detail: String::new(),
                }]
            } else {
                Vec::new()
            },
            ..Outcome::default()
        }
    }

    #[test]
    fn findings_shrink_to_the_json_that_shows_them() {
        let target = Target {
            name: "picky",
            seeds: Vec::new(),
            call: picky,
        };
        let setup = Setup {
            content_type: None,
            url: "",
            config: Vec::new(),
            signing: Signing::None,
        };
        let budget = Budget {
            time: None,
            inputs_per_adapter: None,
            seed: 0,
            slow: Duration::from_secs(5),
            shrink_calls: 1000,
        };
        let body = br#"{"a":[1,2,{"x":1,"y":[3]}],"b":"zz","c":{"d":null}}"#;
        let small = shrink(&target, &setup, body, "violation", "x is one", &budget);
        assert_eq!(small, br#"{"x":1}"#);
    }

    #[test]
    fn escaped_inputs_are_rust_byte_strings() {
        assert_eq!(escape(b"a\"\\\n\xff"), r#"b"a\"\\\n\xff""#);
    }
}
