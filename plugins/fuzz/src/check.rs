//! The properties every adapter's output must have, whatever the input.
//!
//! Each adapter generates its own WIT types (`wit_bindgen::generate!` runs in
//! every guest crate), so the walk over events is a macro,
//! [`check_output!`](crate::check_output), expanded once per adapter; the
//! properties themselves are the plain functions of [`Props`].
//!
//! | property | why |
//! |---|---|
//! | required ids and names (external ids, vendor user ids, form ids, states, queues) are not blank; optional ones, when present, are not blank either | the host keys records on them; a blank id silently merges unrelated contacts |
//! | every `f64` is finite | NaN and infinities do not survive JSON and poison averages |
//! | sentiment within −5..+5; feedback `scale-min < scale-max` and the value on the scale | the WIT contract; the host refuses the event otherwise |
//! | vendor percentages are not negative (a bonus may pass 100) | a score from a mis-read field |
//! | timestamps within years 0000..=9999 (`sidecoach_guest::time::MIN_MS..=MAX_MS`); an interaction does not end before it starts | what ISO 8601 can write; a reversed span is a mis-read field |
//! | durations at most `sidecoach_guest::time::MAX_DURATION_MS` (2^53 − ε) | a saturated `as u64` of a huge number |
//! | staffing intervals of 1..=1440 minutes, non-negative volumes | a day at most; counts are not negative |
//! | rejected indexes are distinct, ascending and within the payload (fewer than its non-blank bytes); every error has a message | the host reports them to the operator by index |

use std::fmt::Display;

pub use sidecoach_guest::time::{MAX_DURATION_MS, MAX_MS, MIN_MS};

/// One broken property: a stable `kind` (which field, which rule) for
/// de-duplicating findings and a `detail` with the offending value.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Which property, e.g. `feedback.value off the scale`.
    pub kind: String,
    /// The values involved.
    pub detail: String,
}

/// The properties, collecting violations.
#[derive(Debug, Default)]
pub struct Props {
    /// What was broken so far.
    pub found: Vec<Violation>,
}

impl Props {
    fn fail(&mut self, kind: String, detail: String) {
        self.found.push(Violation { kind, detail });
    }

    /// A required id or name is not blank.
    pub fn id(&mut self, field: &str, v: &str) {
        if v.trim().is_empty() {
            self.fail(format!("{field} is blank"), format!("{v:?}"));
        }
    }

    /// An optional id, when present, is not blank.
    pub fn opt_id(&mut self, field: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.id(field, v);
        }
    }

    /// A number is finite.
    pub fn finite(&mut self, field: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.fail(format!("{field} is not finite"), v.to_string());
            false
        }
    }

    /// A number is finite and within `lo..=hi`.
    pub fn within(&mut self, field: &str, v: f64, lo: f64, hi: f64) {
        if self.finite(field, v) && !(lo..=hi).contains(&v) {
            self.fail(format!("{field} is outside {lo}..={hi}"), format!("{v}"));
        }
    }

    /// A number is finite and not negative.
    pub fn non_negative(&mut self, field: &str, v: f64) {
        if self.finite(field, v) && v < 0.0 {
            self.fail(format!("{field} is negative"), format!("{v}"));
        }
    }

    /// An optional number is finite and not negative.
    pub fn opt_non_negative(&mut self, field: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.non_negative(field, v);
        }
    }

    /// An optional number is finite and within `lo..=hi`.
    pub fn opt_within(&mut self, field: &str, v: Option<f64>, lo: f64, hi: f64) {
        if let Some(v) = v {
            self.within(field, v, lo, hi);
        }
    }

    /// A timestamp falls within years 0000..=9999.
    pub fn timestamp(&mut self, field: &str, v: i64) {
        if !(MIN_MS..=MAX_MS).contains(&v) {
            self.fail(format!("{field} is not a sane time"), v.to_string());
        }
    }

    /// An optional timestamp falls within years 0000..=9999.
    pub fn opt_timestamp(&mut self, field: &str, v: Option<i64>) {
        if let Some(v) = v {
            self.timestamp(field, v);
        }
    }

    /// A duration is at most `MAX_DURATION_MS` (exact in f64).
    pub fn duration(&mut self, field: &str, v: Option<u64>) {
        if let Some(v) = v.filter(|v| *v > MAX_DURATION_MS) {
            self.fail(format!("{field} is past MAX_DURATION_MS"), v.to_string());
        }
    }

    /// An interval does not end before it starts.
    pub fn span(&mut self, what: &str, started: Option<i64>, ended: Option<i64>) {
        if let (Some(s), Some(e)) = (started, ended)
            && e < s
        {
            self.fail(
                format!("{what} ends before it starts"),
                format!("{s} > {e}"),
            );
        }
    }

    /// A feedback rating: a proper scale and the value on it.
    pub fn rating(&mut self, value: f64, min: f64, max: f64) {
        let ok = self.finite("feedback.scale-min", min)
            & self.finite("feedback.scale-max", max)
            & self.finite("feedback.value", value);
        if !ok {
            return;
        }
        if min >= max {
            self.fail("feedback scale is empty".into(), format!("{min}..{max}"));
        } else if !(min..=max).contains(&value) {
            self.fail(
                "feedback.value is off the scale".into(),
                format!("{value} not in {min}..{max}"),
            );
        }
    }

    /// An error message says something.
    pub fn message(&mut self, what: &str, message: &str) {
        if message.trim().is_empty() {
            self.fail(format!("{what} has no message"), String::new());
        }
    }

    /// Rejected indexes: distinct, ascending, and fewer than `bound` (the
    /// most records the body could hold).
    pub fn rejected_indexes(&mut self, indexes: impl IntoIterator<Item = u32>, bound: usize) {
        let mut previous: Option<u32> = None;
        for index in indexes {
            if index as usize >= bound {
                self.fail(
                    "rejected index is beyond the payload's records".into(),
                    format!("{index} ≥ {bound}"),
                );
            }
            if previous.is_some_and(|p| p >= index) {
                self.fail(
                    "rejected indexes are not ascending".into(),
                    format!("{previous:?} then {index}"),
                );
            }
            previous = Some(index);
        }
    }
}

/// The most records a request can hold: each takes at least one byte of the
/// body that is not whitespace (array elements, JSON lines, concatenated
/// values, CSV rows alike); an empty body may still be one record (the
/// mapping adapter reads a form from the URL's query).
pub fn record_bound(body: &[u8]) -> usize {
    body.iter()
        .filter(|b| !b.is_ascii_whitespace())
        .count()
        .max(1)
}

/// Short text for a report line.
pub fn clip(text: impl Display, max: usize) -> String {
    let text = text.to_string();
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// In a module per adapter: `fn check_events(props, events)` over that
/// adapter's WIT `Event`s. The `interaction` block adds checks of fields only
/// some API versions have (it sees the interaction as `$i`); the optional
/// `segment` block checks API 0.3.0's live segments (as `$s`).
#[macro_export]
macro_rules! check_output {
    ($types:path, |$p:ident, $i:ident| $interaction:block
     $(, segment: |$sp:ident, $s:ident| $segment:block)?) => {
        use $types as wit;

        /// Checks every event's properties.
        pub(crate) fn check_events(props: &mut $crate::check::Props, events: &[wit::Event]) {
            for event in events {
                check_event(props, event);
            }
        }

        fn check_event(p: &mut $crate::check::Props, event: &wit::Event) {
            match event {
                wit::Event::Agent(a) => {
                    p.id("agent.vendor-user-id", &a.vendor_user_id);
                    p.opt_id("agent.name", a.name.as_deref());
                    p.opt_id("agent.email", a.email.as_deref());
                    p.opt_id("agent.team", a.team.as_deref());
                    p.opt_id(
                        "agent.supervisor-vendor-id",
                        a.supervisor_vendor_id.as_deref(),
                    );
                }
                wit::Event::Interaction(i) => {
                    p.id("interaction.external-id", &i.external_id);
                    p.opt_id("interaction.agent-vendor-id", i.agent_vendor_id.as_deref());
                    p.opt_timestamp("interaction.started-at", i.started_at);
                    p.opt_timestamp("interaction.ended-at", i.ended_at);
                    p.opt_timestamp("interaction.updated-at", i.updated_at);
                    p.span("interaction", i.started_at, i.ended_at);
                    p.duration("interaction.handle-ms", i.handle_ms);
                    p.duration("interaction.talk-ms", i.talk_ms);
                    p.duration("interaction.hold-ms", i.hold_ms);
                    p.duration("interaction.after-work-ms", i.after_work_ms);
                    p.opt_id("interaction.queue", i.queue.as_deref());
                    p.opt_id("interaction.wrap-up", i.wrap_up.as_deref());
                    for topic in &i.topics {
                        p.id("interaction.topics[]", topic);
                    }
                    if let Some(s) = &i.sentiment {
                        p.opt_within("sentiment.customer", s.customer, -5.0, 5.0);
                        p.opt_within("sentiment.agent", s.agent, -5.0, 5.0);
                        p.opt_within(
                            "sentiment.customer-final-quarter",
                            s.customer_final_quarter,
                            -5.0,
                            5.0,
                        );
                    }
                    let $p = &mut *p;
                    let $i = i;
                    $interaction
                }
                wit::Event::Evaluation(e) => {
                    p.id("evaluation.external-id", &e.external_id);
                    p.id("evaluation.form-id", &e.form_id);
                    p.opt_id(
                        "evaluation.interaction-external-id",
                        e.interaction_external_id.as_deref(),
                    );
                    p.opt_id("evaluation.agent-vendor-id", e.agent_vendor_id.as_deref());
                    p.opt_id(
                        "evaluation.evaluator-vendor-id",
                        e.evaluator_vendor_id.as_deref(),
                    );
                    p.opt_timestamp("evaluation.evaluated-at", e.evaluated_at);
                    for a in &e.answers {
                        p.id("answer.criterion-id", &a.criterion_id);
                        if let wit::AnswerValue::Score(v) = a.value {
                            p.finite("answer.score", v);
                        }
                    }
                    if let Some(v) = &e.vendor_score {
                        p.opt_non_negative("vendor-score.percentage", v.percentage);
                        p.opt_non_negative(
                            "vendor-score.critical-percentage",
                            v.critical_percentage,
                        );
                    }
                }
                wit::Event::Feedback(f) => {
                    p.id("feedback.external-id", &f.external_id);
                    p.rating(f.value, f.scale_min, f.scale_max);
                    p.opt_id(
                        "feedback.interaction-external-id",
                        f.interaction_external_id.as_deref(),
                    );
                    p.opt_id("feedback.agent-vendor-id", f.agent_vendor_id.as_deref());
                    for topic in &f.topics {
                        p.id("feedback.topics[]", topic);
                    }
                    p.opt_timestamp("feedback.received-at", f.received_at);
                }
                wit::Event::AgentState(s) => {
                    p.id("agent-state.agent-vendor-id", &s.agent_vendor_id);
                    p.id("agent-state.state", &s.state);
                    p.timestamp("agent-state.at", s.at);
                }
                wit::Event::Staffing(s) => {
                    p.id("staffing.queue", &s.queue);
                    p.timestamp("staffing.starts-at", s.starts_at);
                    p.within(
                        "staffing.length-minutes",
                        f64::from(s.length_minutes),
                        1.0,
                        1440.0,
                    );
                    p.non_negative("staffing.offered", s.offered);
                    p.non_negative("staffing.aht-seconds", s.aht_seconds);
                    p.opt_non_negative("staffing.scheduled-agents", s.scheduled_agents);
                }
                $(wit::Event::Segment($s) => {
                    let $sp = &mut *p;
                    $segment
                })?
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_name_what_they_found() {
        let mut p = Props::default();
        p.id("x", " ");
        p.rating(6.0, 1.0, 5.0);
        p.rating(1.0, 5.0, 5.0);
        p.finite("n", f64::NAN);
        p.timestamp("t", i64::MAX);
        p.span("i", Some(2), Some(1));
        p.rejected_indexes([0, 0, 9], 3);
        let kinds: Vec<&str> = p.found.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "x is blank",
                "feedback.value is off the scale",
                "feedback scale is empty",
                "n is not finite",
                "t is not a sane time",
                "i ends before it starts",
                "rejected indexes are not ascending",
                "rejected index is beyond the payload's records",
            ]
        );
        assert_eq!(record_bound(b"[1, 2]"), 5);
        assert_eq!(record_bound(b"1\n2\n"), 2);
        assert_eq!(record_bound(b""), 1);
    }
}
