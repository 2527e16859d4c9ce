//! The flag rules of the reference flagger, free of WIT binding types.
//!
//! | rule id          | event        | fires when                                         | severity |
//! |------------------|--------------|----------------------------------------------------|----------|
//! | `low-csat`       | feedback     | CSAT mapped onto 1..5 is ≤ `csat.max` (2)          | warning  |
//! | `detractor`      | feedback     | NPS ≤ `nps.max` (6)                                | info     |
//! | `sentiment-drop` | interaction  | final-quarter customer sentiment ≤ `sentiment.final-quarter.max` (−2) | warning |
//! | `fatal-failed`   | evaluation   | the vendor marked the evaluation auto-failed       | critical |
//!
//! A CSAT value on any scale maps onto 1..5 as `1 + 4·(v − min)/(max − min)`;
//! feedback with a degenerate scale (max ≤ min) is skipped. The thresholds come
//! from the plugin configuration (defaults in `plugin.toml`, repeated in
//! [`Thresholds::DEFAULT`]).

/// How urgent a flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Worth a look.
    Info,
    /// Coach soon.
    Warning,
    /// Coach now.
    Critical,
}

/// The kind of a customer rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingKind {
    /// Customer satisfaction.
    Csat,
    /// Net promoter score, 0..10.
    Nps,
    /// Anything else (effort, custom questions): no rule here.
    Other,
}

/// The parts of an event the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Customer feedback.
    Feedback {
        /// What is rated.
        kind: RatingKind,
        /// The rating.
        value: f64,
        /// Lowest value of the scale.
        scale_min: f64,
        /// Highest value of the scale.
        scale_max: f64,
        /// Attached topics.
        topics: Vec<String>,
    },
    /// An interaction.
    Interaction {
        /// The customer's sentiment over the last quarter, −5..+5.
        customer_final_quarter: Option<f64>,
        /// The customer's overall sentiment, −5..+5.
        customer_overall: Option<f64>,
        /// Detected topics.
        topics: Vec<String>,
    },
    /// A QA evaluation.
    Evaluation {
        /// The form evaluated against.
        form_id: String,
        /// Whether the vendor marked it auto-failed.
        vendor_auto_failed: bool,
        /// The vendor's total, in percent.
        vendor_percentage: Option<f64>,
    },
    /// Any event no rule looks at.
    Other,
}

/// One raised flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    /// Index into the events.
    pub event_index: u32,
    /// Stable rule id.
    pub rule_id: &'static str,
    /// How urgent.
    pub severity: Severity,
    /// Why, in a supervisor's words.
    pub reason: String,
    /// The coaching topic, if any.
    pub topic: Option<String>,
}

/// The configurable thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// `csat.max`: a CSAT at or under this (on 1..5) is low.
    pub csat_max: f64,
    /// `nps.max`: an NPS at or under this is a detractor.
    pub nps_max: f64,
    /// `sentiment.final-quarter.max`: a final-quarter sentiment at or under this is a drop.
    pub sentiment_final_quarter_max: f64,
}

/// A configuration value that is not a number.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The key.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

impl Thresholds {
    /// The defaults, also written in `plugin.toml`.
    pub const DEFAULT: Thresholds = Thresholds {
        csat_max: 2.0,
        nps_max: 6.0,
        sentiment_final_quarter_max: -2.0,
    };

    /// Reads the thresholds through `lookup`, keeping the default for a missing key.
    pub fn from_config(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |key: &'static str, default: f64| -> Result<f64, ConfigError> {
            let Some(text) = lookup(key) else {
                return Ok(default);
            };
            match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(ConfigError {
                    key,
                    message: format!("`{key}` must be a number, not {text:?}"),
                }),
            }
        };
        let d = Self::DEFAULT;
        Ok(Thresholds {
            csat_max: read("csat.max", d.csat_max)?,
            nps_max: read("nps.max", d.nps_max)?,
            sentiment_final_quarter_max: read(
                "sentiment.final-quarter.max",
                d.sentiment_final_quarter_max,
            )?,
        })
    }
}

/// Applies every rule to every event, in event order.
pub fn flag(events: &[Event], t: &Thresholds) -> Vec<Flag> {
    let mut flags = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let event_index = u32::try_from(i).unwrap_or(u32::MAX);
        match event {
            Event::Feedback {
                kind: RatingKind::Csat,
                value,
                scale_min,
                scale_max,
                topics,
            } if scale_max > scale_min => {
                let mapped = 1.0 + 4.0 * (value - scale_min) / (scale_max - scale_min);
                if mapped <= t.csat_max {
                    let on_scale = if *scale_min == 1.0 && *scale_max == 5.0 {
                        format!("{} out of 5", num(*value))
                    } else {
                        format!(
                            "{} on a {}–{} scale ({} out of 5)",
                            num(*value),
                            num(*scale_min),
                            num(*scale_max),
                            num(mapped)
                        )
                    };
                    flags.push(Flag {
                        event_index,
                        rule_id: "low-csat",
                        severity: Severity::Warning,
                        reason: format!(
                            "Customer rated satisfaction {on_scale}{}; \
                             ratings of {} out of 5 or lower are flagged",
                            about(topics),
                            num(t.csat_max)
                        ),
                        topic: topics.first().cloned(),
                    });
                }
            }
            Event::Feedback {
                kind: RatingKind::Nps,
                value,
                topics,
                ..
            } if *value <= t.nps_max => {
                flags.push(Flag {
                    event_index,
                    rule_id: "detractor",
                    severity: Severity::Info,
                    reason: format!(
                        "Customer gave a likelihood-to-recommend score of {} out of 10{}, \
                         which makes them a detractor ({} or lower)",
                        num(*value),
                        about(topics),
                        num(t.nps_max)
                    ),
                    topic: topics.first().cloned(),
                });
            }
            Event::Interaction {
                customer_final_quarter: Some(last),
                customer_overall,
                topics,
            } if *last <= t.sentiment_final_quarter_max => {
                let overall = customer_overall
                    .map(|o| format!(" (overall {})", signed(o)))
                    .unwrap_or_default();
                flags.push(Flag {
                    event_index,
                    rule_id: "sentiment-drop",
                    severity: Severity::Warning,
                    reason: format!(
                        "Customer sentiment was {} (on a −5 to +5 scale) in the last quarter \
                         of the contact{}{overall}; {} or lower is flagged",
                        signed(*last),
                        about(topics),
                        signed(t.sentiment_final_quarter_max)
                    ),
                    topic: topics.first().cloned(),
                });
            }
            Event::Evaluation {
                form_id,
                vendor_auto_failed: true,
                vendor_percentage,
            } => {
                let score = vendor_percentage
                    .map(|p| format!(" with a score of {}%", num(p)))
                    .unwrap_or_default();
                flags.push(Flag {
                    event_index,
                    rule_id: "fatal-failed",
                    severity: Severity::Critical,
                    reason: format!(
                        "A QA evaluation on form {form_id} was automatically failed{score}: \
                         a fatal (must-pass) question was missed"
                    ),
                    topic: None,
                });
            }
            _ => {}
        }
    }
    flags
}

/// " about billing" for the first topic, if any.
fn about(topics: &[String]) -> String {
    topics
        .first()
        .map(|t| format!(" about {t}"))
        .unwrap_or_default()
}

/// A number without needless decimals: 2, 2.5, 3.33.
fn num(v: f64) -> String {
    let rounded = (v * 100.0).round() / 100.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// A sentiment value with its sign: +1.5, −3, 0.
fn signed(v: f64) -> String {
    let text = num(v.abs());
    if v > 0.0 && text != "0" {
        format!("+{text}")
    } else if v < 0.0 && text != "0" {
        format!("−{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csat(value: f64, min: f64, max: f64, topics: &[&str]) -> Event {
        Event::Feedback {
            kind: RatingKind::Csat,
            value,
            scale_min: min,
            scale_max: max,
            topics: topics.iter().map(|t| (*t).into()).collect(),
        }
    }

    fn nps(value: f64) -> Event {
        Event::Feedback {
            kind: RatingKind::Nps,
            value,
            scale_min: 0.0,
            scale_max: 10.0,
            topics: vec![],
        }
    }

    fn interaction(last: Option<f64>, overall: Option<f64>) -> Event {
        Event::Interaction {
            customer_final_quarter: last,
            customer_overall: overall,
            topics: vec!["billing".into()],
        }
    }

    fn ids(flags: &[Flag]) -> Vec<(u32, &'static str)> {
        flags.iter().map(|f| (f.event_index, f.rule_id)).collect()
    }

    #[test]
    fn low_csat_on_one_to_five_is_a_warning_with_the_first_topic() {
        let events = [
            csat(2.0, 1.0, 5.0, &["billing", "refunds"]),
            csat(3.0, 1.0, 5.0, &[]),
        ];
        let flags = flag(&events, &Thresholds::DEFAULT);
        assert_eq!(ids(&flags), vec![(0, "low-csat")]);
        assert_eq!(flags[0].severity, Severity::Warning);
        assert_eq!(flags[0].topic.as_deref(), Some("billing"));
        assert_eq!(
            flags[0].reason,
            "Customer rated satisfaction 2 out of 5 about billing; \
             ratings of 2 out of 5 or lower are flagged"
        );
    }

    #[test]
    fn csat_on_other_scales_is_mapped_onto_one_to_five() {
        // 0..10: 2.5 → 1 + 4·0.25 = 2 (flagged); 3 → 2.2 (not flagged).
        let events = [csat(2.5, 0.0, 10.0, &[]), csat(3.0, 0.0, 10.0, &[])];
        let flags = flag(&events, &Thresholds::DEFAULT);
        assert_eq!(ids(&flags), vec![(0, "low-csat")]);
        assert!(
            flags[0].reason.contains("2.5 on a 0–10 scale (2 out of 5)"),
            "{}",
            flags[0].reason
        );
        // A thumbs-down on 0..1 maps to 1.
        assert_eq!(
            flag(&[csat(0.0, 0.0, 1.0, &[])], &Thresholds::DEFAULT).len(),
            1
        );
        // A degenerate scale is skipped rather than divided by zero.
        assert!(flag(&[csat(1.0, 1.0, 1.0, &[])], &Thresholds::DEFAULT).is_empty());
    }

    #[test]
    fn nps_of_six_or_less_is_a_detractor() {
        let flags = flag(&[nps(6.0), nps(7.0), nps(0.0)], &Thresholds::DEFAULT);
        assert_eq!(ids(&flags), vec![(0, "detractor"), (2, "detractor")]);
        assert_eq!(flags[0].severity, Severity::Info);
        assert!(
            flags[0].reason.contains("6 out of 10"),
            "{}",
            flags[0].reason
        );
    }

    #[test]
    fn final_quarter_sentiment_drop_is_a_warning() {
        let events = [
            interaction(Some(-3.2), Some(-0.5)),
            interaction(Some(-1.0), None),
            interaction(None, Some(-5.0)),
            interaction(Some(-2.0), None),
        ];
        let flags = flag(&events, &Thresholds::DEFAULT);
        assert_eq!(
            ids(&flags),
            vec![(0, "sentiment-drop"), (3, "sentiment-drop")]
        );
        assert_eq!(flags[0].severity, Severity::Warning);
        assert_eq!(flags[0].topic.as_deref(), Some("billing"));
        assert_eq!(
            flags[0].reason,
            "Customer sentiment was −3.2 (on a −5 to +5 scale) in the last quarter \
             of the contact about billing (overall −0.5); −2 or lower is flagged"
        );
    }

    #[test]
    fn vendor_auto_failed_evaluation_is_critical() {
        let events = [
            Event::Evaluation {
                form_id: "F-1".into(),
                vendor_auto_failed: true,
                vendor_percentage: Some(0.0),
            },
            Event::Evaluation {
                form_id: "F-1".into(),
                vendor_auto_failed: false,
                vendor_percentage: Some(40.0),
            },
            Event::Other,
        ];
        let flags = flag(&events, &Thresholds::DEFAULT);
        assert_eq!(ids(&flags), vec![(0, "fatal-failed")]);
        assert_eq!(flags[0].severity, Severity::Critical);
        assert!(flags[0].reason.contains("F-1") && flags[0].reason.contains("0%"));
    }

    #[test]
    fn thresholds_come_from_config() {
        let t = Thresholds::from_config(|k| match k {
            "csat.max" => Some("3".into()),
            "sentiment.final-quarter.max" => Some(" -1.5 ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(t.csat_max, 3.0);
        assert_eq!(t.nps_max, 6.0);
        assert_eq!(t.sentiment_final_quarter_max, -1.5);
        let flags = flag(&[csat(3.0, 1.0, 5.0, &[])], &t);
        assert_eq!(ids(&flags), vec![(0, "low-csat")]);
    }

    #[test]
    fn a_non_numeric_threshold_is_a_config_error() {
        let err = Thresholds::from_config(|k| (k == "nps.max").then(|| "six".into())).unwrap_err();
        assert_eq!(err.key, "nps.max");
        assert!(err.message.contains("six"));
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(num(2.0), "2");
        assert_eq!(num(2.25), "2.25");
        assert_eq!(num(1.0 / 3.0), "0.33");
        assert_eq!(signed(1.5), "+1.5");
        assert_eq!(signed(-3.0), "−3");
        assert_eq!(signed(0.0), "0");
    }
}
