//! The reference flagger plugin (world `flagger`): coaching flags over events.
//!
//! This file is only the component glue: it reads the thresholds through the
//! host's `config-get`, converts the WIT events into the plain types of
//! [`rules`], where the rules live and are unit-tested, and converts back.

mod rules;

use bindings::sidecoach::plugin::host::{config_get, log};
use bindings::sidecoach::plugin::types::{
    ErrorCode, Event, Flag, LogLevel, PluginError, RatingKind, Severity,
};

sidecoach_guest::export_flagger! {
    /// The exported component.
    ReferenceFlagger {
        id: "reference-flagger",
        name: "Reference flagger",
        description: "Flags low CSAT, NPS detractors, customer sentiment that drops at the \
                      end of a contact, and QA evaluations failed on a fatal question.",
        flag: flag,
    }
}

/// The `flag` export.
fn flag(events: Vec<Event>) -> Result<Vec<Flag>, PluginError> {
    let thresholds = rules::Thresholds::from_config(config_get).map_err(|e| PluginError {
        code: ErrorCode::ConfigInvalid,
        message: e.message,
        field: Some(e.key.to_owned()),
    })?;
    let plain: Vec<rules::Event> = events.into_iter().map(convert_event).collect();
    let flags = rules::flag(&plain, &thresholds);
    log(
        LogLevel::Debug,
        &format!("raised {} flags over {} events", flags.len(), plain.len()),
    );
    Ok(flags
        .into_iter()
        .map(|f| Flag {
            event_index: f.event_index,
            rule_id: f.rule_id.to_owned(),
            severity: match f.severity {
                rules::Severity::Info => Severity::Info,
                rules::Severity::Warning => Severity::Warning,
                rules::Severity::Critical => Severity::Critical,
            },
            reason: f.reason,
            topic: f.topic,
        })
        .collect())
}

/// Keeps only what the rules look at.
fn convert_event(event: Event) -> rules::Event {
    match event {
        Event::Feedback(f) => rules::Event::Feedback {
            kind: match f.kind {
                RatingKind::Csat => rules::RatingKind::Csat,
                RatingKind::Nps => rules::RatingKind::Nps,
                RatingKind::Ces | RatingKind::Custom => rules::RatingKind::Other,
            },
            value: f.value,
            scale_min: f.scale_min,
            scale_max: f.scale_max,
            topics: f.topics,
        },
        Event::Interaction(i) => rules::Event::Interaction {
            customer_final_quarter: i.sentiment.and_then(|s| s.customer_final_quarter),
            customer_overall: i.sentiment.and_then(|s| s.customer),
            topics: i.topics,
        },
        Event::Evaluation(e) => rules::Event::Evaluation {
            form_id: e.form_id,
            vendor_auto_failed: e.vendor_score.is_some_and(|v| v.auto_failed),
            vendor_percentage: e.vendor_score.and_then(|v| v.percentage),
        },
        Event::Agent(_) | Event::AgentState(_) | Event::Staffing(_) => rules::Event::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = include_str!("../plugin.toml");

    #[test]
    fn manifest_config_defaults_match_the_code() {
        let d = rules::Thresholds::DEFAULT;
        for (key, value) in [
            ("csat.max", d.csat_max),
            ("nps.max", d.nps_max),
            ("sentiment.final-quarter.max", d.sentiment_final_quarter_max),
        ] {
            let line = format!("\"{key}\" = \"{value}\"");
            assert!(MANIFEST.contains(&line), "plugin.toml lacks {line}");
        }
    }
}
