//! {{name}}: a flagger plugin (world `flagger`, API 0.1.0).
//!
//! Raises a coaching flag on customer feedback that lands in the bottom of
//! its scale: at or below the config key `low.fraction` (default 0.4) of the
//! way from the scale's minimum to its maximum (2 of 1–5, 4 of 0–10). A
//! rating at the very minimum is `critical`, any other low one a `warning`.
//! The flag's topic is the feedback's first topic, so the alert is about the
//! thing the customer complained of. Change [`flag_feedback`] for your rule.

use bindings::sidecoach::plugin::host::{config_get, log};
use bindings::sidecoach::plugin::types::{
    ErrorCode, Event, Feedback, Flag, LogLevel, PluginError, Severity,
};

sidecoach_guest::export_flagger! {
    /// The exported component.
    Plugin {
        id: "{{id}}",
        wit: "wit",
        name: "{{name}}",
        description: "Flags feedback in the bottom of its scale.",
        flag: flag,
    }
}

/// The config key of the threshold.
const LOW_KEY: &str = "low.fraction";

/// The `flag` export: the flags raised over a batch of events.
fn flag(events: Vec<Event>) -> Result<Vec<Flag>, PluginError> {
    let low = match config_get(LOW_KEY) {
        None => 0.4,
        Some(text) => match text.trim().parse::<f64>() {
            Ok(v) if (0.0..=1.0).contains(&v) => v,
            _ => {
                return Err(PluginError {
                    code: ErrorCode::ConfigInvalid,
                    message: format!("`{LOW_KEY}` is {text:?}; give a fraction from 0 to 1"),
                    field: Some(LOW_KEY.into()),
                });
            }
        },
    };
    let flags: Vec<Flag> = events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| match event {
            Event::Feedback(f) => flag_feedback(i as u32, f, low),
            _ => None,
        })
        .collect();
    log(
        LogLevel::Info,
        &format!("{} flags over {} events", flags.len(), events.len()),
    );
    Ok(flags)
}

/// The flag one piece of feedback raises, if any.
pub fn flag_feedback(index: u32, feedback: &Feedback, low: f64) -> Option<Flag> {
    let span = feedback.scale_max - feedback.scale_min;
    if span <= 0.0 {
        return None;
    }
    let fraction = (feedback.value - feedback.scale_min) / span;
    if fraction > low {
        return None;
    }
    let severity = if fraction <= 0.0 {
        Severity::Critical
    } else {
        Severity::Warning
    };
    Some(Flag {
        event_index: index,
        rule_id: "low-rating".into(),
        severity,
        reason: format!(
            "rated {} on a scale of {} to {} (at or below {:.0}% of the scale)",
            feedback.value,
            feedback.scale_min,
            feedback.scale_max,
            low * 100.0
        ),
        topic: feedback.topics.first().cloned(),
    })
}
