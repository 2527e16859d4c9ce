//! A short fixed-seed fuzz run of every adapter, so `cargo test` exercises
//! the harness and guards the fixes (the long runs are `cargo run --release
//! -p sidecoach-fuzz`, see the README).

#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use sidecoach_fuzz::targets::check_seeds;
use sidecoach_fuzz::{Budget, all, run};

/// Inputs per adapter: a few thousand in all, a few seconds in a debug build.
const INPUTS: u64 = 500;

/// The harness's findings, shrunk (and tidied by hand: members that did not
/// matter removed): `(adapter, seed whose request carries the body, body)`.
/// Before the fixes each was accepted into an event that broke a property
/// or panicked; now each is refused, whole or as a rejected record.
const FINDINGS: &[(&str, usize, &[u8])] = &[
    // Epoch numbers past the year 9999 (sidecoach_guest::time).
    ("amazon-connect", 6, br#"{"evaluationId":"f","metadata":{"evaluationDefinitionId":"e","evaluationSubmitTimestamp":8e19}}"#),
    ("amazon-connect", 0, br#"{"Agent":{},"ContactId":"3","DisconnectTimestamp":615449465726261}"#),
    ("amazon-connect", 2, br#"{"contactId":"1","eventType":"CONNECTED_TO_AGENT","initiationTimestamp":582888704165452}"#),
    ("amazon-connect", 3, br#"{"detail":{"contactId":"1","eventType":"DISCONNECTED"},"detail-type":"Amazon Connect Contact Event","time":"650231879441955"}"#),
    ("genesys-cloud", 1, br#"{"conversationEnd":1e19,"conversationId":"9","participants":[]}"#),
    ("genesys-cloud", 1, br#"{"conversationId":"6","conversationStart":947660488630916,"participants":[]}"#),
    ("nice-cxone", 1, br#"{"contactId":2,"contactStart":316992310347105}"#),
    ("nice-cxone", 1, br#"{"contactId":9,"lastUpdateTime":1e30}"#),
    ("qualtrics", 1, b"ResponseID=D&CompletedDate=1000000000000000&QID3=9"),
    ("zendesk", 1, br#"{"satisfaction_ratings":[{"score":"bad","updated_at":"398201732971331","id":6}]}"#),
    ("mapping", 2, br#"{"id":"1","form":{"id":"e"},"submitted_at":1000000000000000}"#),
    // A start plus a duration past the year 9999 (nice-cxone).
    ("nice-cxone", 1, br#"{"contactId":9,"contactStart":"2","totalDurationSeconds":"714558500000"}"#),
    // Event time minus TaskAge overflowed: a panic (twilio).
    ("twilio", 0, b"EventType=reservation.accepted&TimestampMs=-9223372036854775808&TaskSid=W&TaskAge=4&WorkerSid=W"),
    ("twilio", 0, b"EventType=reservation.accepted&TimestampMs=351494971014612&TaskSid=0&WorkerSid=W"),
    // Durations saturating `as u64` (amazon-connect, mapping).
    ("amazon-connect", 4, br#"{"ConversationCharacteristics":{"TalkTime":{"TotalTimeMillis":1e30}},"Participants":[]}"#),
    ("mapping", 0, b"call.call_id=0&call.length=8e%2B19"),
    // Negative percentages (amazon-connect, genesys-cloud).
    ("amazon-connect", 6, br#"{"evaluationId":"f","metadata":{"evaluationDefinitionId":"1","score":{"percentage":-808}}}"#),
    ("genesys-cloud", 2, br#"{"eventBody":{"evaluationFormId":"a","id":"Z","scoringSet":{"totalCriticalScore":-6}},"topicName":"v2.quality.evaluations"}"#),
    // A conversation ending before it starts (genesys-cloud).
    ("genesys-cloud", 1, br#"{"conversationEnd":"2021-04-01T12:06","conversationId":"c","conversationStart":"2024-05-01T10:15:00Z","participants":[]}"#),
    // Blank ids and states, values off their scales (json-adapter).
    ("json-adapter", 0, br#"{"type":"agent-state","agent_vendor_id":"u","state":" ","at":1}"#),
    ("json-adapter", 0, br#"{"type":"feedback","external_id":"r","kind":"csat","value":11,"scale_min":1,"scale_max":5}"#),
];

#[test]
fn every_finding_is_refused_now() {
    let targets = all();
    for (adapter, seed, body) in FINDINGS {
        let target = targets
            .iter()
            .find(|t| t.name == *adapter)
            .expect("a known adapter");
        let out = (target.call)(&target.seeds[*seed].setup, body);
        let shown = String::from_utf8_lossy(body);
        assert!(
            out.violations.is_empty(),
            "{adapter} {shown}: {:?}",
            out.violations
        );
        assert!(
            out.failed || out.rejected > 0,
            "{adapter} {shown}: accepted ({} events)",
            out.events
        );
    }
}

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
    assert!(report.findings.is_empty(), "{}", report.render(budget.seed));
}
