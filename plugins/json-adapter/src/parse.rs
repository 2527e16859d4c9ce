//! Parsing Sidecoach's own JSON event format into WIT events.
//!
//! A body is one of:
//!
//! * an array of events: `[{"type":"agent",...}, ...]`;
//! * an object holding them: `{"events":[...]}`;
//! * a single event object: `{"type":"interaction",...}`;
//! * JSON lines: one event object per line (any whitespace between values).
//!
//! An event is an object whose `type` is `agent`, `interaction`, `evaluation`,
//! `feedback`, `agent-state` or `staffing`; its other keys are the fields of the
//! WIT record with `_` for `-` (`external_id`, `started_at`…). Timestamps are
//! milliseconds since the Unix epoch, enums are their kebab-case case names
//! (`"channel":"voice"`), an answer's `value` is a number or `"n/a"`. Optional
//! fields may be omitted or `null`; `topics` and `answers` default to `[]`, an
//! interaction's `direction` to `"unknown"` and a vendor score's `auto_failed` to
//! `false`. Any other key is an error naming it, so a typo never loses data.
//!
//! Values are checked as the host would: strings (ids, names, states,
//! topics) are not blank (a blank verbatim or comment counts as absent),
//! timestamps lie within the years 0000..=9999, durations up to
//! `sidecoach_guest::time::MAX_DURATION_MS`, sentiment on −5..+5, a feedback
//! value on its scale (`scale_min` < `scale_max`), percentages and staffing
//! figures not negative, `length_minutes` within 1..=1440, and an
//! interaction does not end before it starts.
//!
//! Errors carry the path of the offending field, e.g. `events[3].started_at`.

use crate::bindings::sidecoach::plugin::types::{
    Agent, AgentState, Answer, AnswerValue, Channel, Direction, ErrorCode, Evaluation, Event,
    Feedback, Interaction, PluginError, RatingKind, Sentiment, StaffingInterval, VendorScore,
};
use serde_json::{Map, Value};

type Result<T> = std::result::Result<T, PluginError>;

fn invalid(field: impl Into<String>, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::InvalidInput,
        message: message.into(),
        field: Some(field.into()),
    }
}

/// Parses a request body into events.
pub fn parse_body(body: &[u8]) -> Result<Vec<Event>> {
    let mut documents = Vec::new();
    for item in serde_json::Deserializer::from_slice(body).into_iter::<Value>() {
        match item {
            Ok(value) => documents.push(value),
            Err(e) if documents.is_empty() => {
                return Err(invalid("body", format!("the body is not valid JSON: {e}")));
            }
            Err(e) => {
                return Err(invalid(
                    format!("events[{}]", documents.len()),
                    format!(
                        "JSON lines: event {} is not valid JSON: {e}",
                        documents.len() + 1
                    ),
                ));
            }
        }
    }
    match documents.len() {
        0 => Err(invalid(
            "body",
            "the body is empty; expected a JSON array of events, {\"events\":[...]}, \
             one event object or JSON lines",
        )),
        1 => match documents.pop() {
            Some(Value::Array(items)) => parse_events(&items),
            Some(Value::Object(map)) if map.contains_key("events") => {
                if let Some(other) = map.keys().find(|k| *k != "events") {
                    return Err(invalid(
                        other.clone(),
                        format!(
                            "unknown top-level field `{other}`; an object with `events` holds \
                             nothing else"
                        ),
                    ));
                }
                match &map["events"] {
                    Value::Array(items) => parse_events(items),
                    _ => Err(invalid(
                        "events",
                        "`events` must be an array of event objects",
                    )),
                }
            }
            Some(Value::Object(map)) => Ok(vec![parse_event(&map, "events[0]")?]),
            _ => Err(invalid(
                "body",
                "expected a JSON array of events, {\"events\":[...]}, one event object or \
                 JSON lines",
            )),
        },
        _ => documents
            .iter()
            .enumerate()
            .map(|(i, doc)| match doc {
                Value::Object(map) => parse_event(map, &format!("events[{i}]")),
                _ => Err(invalid(
                    format!("events[{i}]"),
                    format!("JSON lines: line {} must be one event object", i + 1),
                )),
            })
            .collect(),
    }
}

fn parse_events(items: &[Value]) -> Result<Vec<Event>> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("events[{i}]");
            match item {
                Value::Object(map) => parse_event(map, &path),
                _ => Err(invalid(
                    path,
                    "each event must be a JSON object with a `type`",
                )),
            }
        })
        .collect()
}

/// The event types and the keys each allows besides `type`.
const AGENT_KEYS: &[&str] = &[
    "vendor_user_id",
    "name",
    "email",
    "team",
    "supervisor_vendor_id",
];
const INTERACTION_KEYS: &[&str] = &[
    "external_id",
    "agent_vendor_id",
    "channel",
    "direction",
    "started_at",
    "ended_at",
    "handle_ms",
    "talk_ms",
    "hold_ms",
    "after_work_ms",
    "queue",
    "topics",
    "sentiment",
    "wrap_up",
    "updated_at",
];
const SENTIMENT_KEYS: &[&str] = &["customer", "agent", "customer_final_quarter"];
const EVALUATION_KEYS: &[&str] = &[
    "external_id",
    "form_id",
    "form_version",
    "interaction_external_id",
    "agent_vendor_id",
    "evaluator_vendor_id",
    "evaluated_at",
    "answers",
    "vendor_score",
];
const ANSWER_KEYS: &[&str] = &["criterion_id", "value", "comment"];
const VENDOR_SCORE_KEYS: &[&str] = &["percentage", "auto_failed", "critical_percentage"];
const FEEDBACK_KEYS: &[&str] = &[
    "external_id",
    "kind",
    "value",
    "scale_min",
    "scale_max",
    "interaction_external_id",
    "agent_vendor_id",
    "topics",
    "verbatim",
    "received_at",
];
const AGENT_STATE_KEYS: &[&str] = &["agent_vendor_id", "state", "at"];
const STAFFING_KEYS: &[&str] = &[
    "queue",
    "starts_at",
    "length_minutes",
    "offered",
    "aht_seconds",
    "scheduled_agents",
];

const EVENT_TYPES: &str = "agent, interaction, evaluation, feedback, agent-state, staffing";

fn parse_event(map: &Map<String, Value>, path: &str) -> Result<Event> {
    let kind = match map.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => {
            return Err(invalid(
                format!("{path}.type"),
                format!("`type` must be a string, one of: {EVENT_TYPES}"),
            ));
        }
        None => {
            return Err(invalid(
                format!("{path}.type"),
                format!("the event has no `type`; expected one of: {EVENT_TYPES}"),
            ));
        }
    };
    let keys = match kind {
        "agent" => AGENT_KEYS,
        "interaction" => INTERACTION_KEYS,
        "evaluation" => EVALUATION_KEYS,
        "feedback" => FEEDBACK_KEYS,
        "agent-state" => AGENT_STATE_KEYS,
        "staffing" => STAFFING_KEYS,
        other => {
            return Err(PluginError {
                code: ErrorCode::Unsupported,
                message: format!(
                    "unknown event type {other:?}; this adapter handles: {EVENT_TYPES}"
                ),
                field: Some(format!("{path}.type")),
            });
        }
    };
    let o = Obj::new(map, path, keys, &format!("`{kind}` event"), true)?;
    let event = match kind {
        "agent" => Event::Agent(Agent {
            vendor_user_id: o.string("vendor_user_id")?,
            name: o.opt_string("name")?,
            email: o.opt_string("email")?,
            team: o.opt_string("team")?,
            supervisor_vendor_id: o.opt_string("supervisor_vendor_id")?,
        }),
        "interaction" => Event::Interaction(Interaction {
            external_id: o.string("external_id")?,
            agent_vendor_id: o.opt_string("agent_vendor_id")?,
            channel: o.enumeration("channel", CHANNELS)?,
            direction: match o.get("direction") {
                None => Direction::Unknown,
                Some(_) => o.enumeration("direction", DIRECTIONS)?,
            },
            started_at: o.opt_i64("started_at")?,
            ended_at: o.opt_i64("ended_at")?,
            handle_ms: o.opt_u64("handle_ms")?,
            talk_ms: o.opt_u64("talk_ms")?,
            hold_ms: o.opt_u64("hold_ms")?,
            after_work_ms: o.opt_u64("after_work_ms")?,
            queue: o.opt_string("queue")?,
            topics: o.strings("topics")?,
            sentiment: o.opt_object("sentiment", SENTIMENT_KEYS, "sentiment", |s| {
                Ok(Sentiment {
                    customer: s.opt_f64("customer")?,
                    agent: s.opt_f64("agent")?,
                    customer_final_quarter: s.opt_f64("customer_final_quarter")?,
                })
            })?,
            wrap_up: o.opt_string("wrap_up")?,
            updated_at: o.opt_i64("updated_at")?,
        }),
        "evaluation" => Event::Evaluation(Evaluation {
            external_id: o.string("external_id")?,
            form_id: o.string("form_id")?,
            form_version: o.opt_u32("form_version")?,
            interaction_external_id: o.opt_string("interaction_external_id")?,
            agent_vendor_id: o.opt_string("agent_vendor_id")?,
            evaluator_vendor_id: o.opt_string("evaluator_vendor_id")?,
            evaluated_at: o.opt_i64("evaluated_at")?,
            answers: o.objects("answers", ANSWER_KEYS, "answer", |a| {
                Ok(Answer {
                    criterion_id: a.string("criterion_id")?,
                    value: a.answer_value("value")?,
                    comment: a.opt_text("comment")?,
                })
            })?,
            vendor_score: o.opt_object("vendor_score", VENDOR_SCORE_KEYS, "vendor score", |v| {
                Ok(VendorScore {
                    percentage: v.opt_f64("percentage")?,
                    auto_failed: v.opt_bool("auto_failed")?.unwrap_or(false),
                    critical_percentage: v.opt_f64("critical_percentage")?,
                })
            })?,
        }),
        "feedback" => Event::Feedback(Feedback {
            external_id: o.string("external_id")?,
            kind: o.enumeration("kind", RATING_KINDS)?,
            value: o.f64("value")?,
            scale_min: o.f64("scale_min")?,
            scale_max: o.f64("scale_max")?,
            interaction_external_id: o.opt_string("interaction_external_id")?,
            agent_vendor_id: o.opt_string("agent_vendor_id")?,
            topics: o.strings("topics")?,
            verbatim: o.opt_text("verbatim")?,
            received_at: o.opt_i64("received_at")?,
        }),
        "agent-state" => Event::AgentState(AgentState {
            agent_vendor_id: o.string("agent_vendor_id")?,
            state: o.string("state")?,
            at: o.i64("at")?,
        }),
        _ => Event::Staffing(StaffingInterval {
            queue: o.string("queue")?,
            starts_at: o.i64("starts_at")?,
            length_minutes: o.u32("length_minutes")?,
            offered: o.f64("offered")?,
            aht_seconds: o.f64("aht_seconds")?,
            scheduled_agents: o.opt_f64("scheduled_agents")?,
        }),
    };
    check(&event, path)?;
    Ok(event)
}

/// What no single field shows: numbers within their ranges (sentiment on
/// −5..+5, a feedback value on its scale, counts and percentages not
/// negative) and an interaction that does not end before it starts.
fn check(event: &Event, path: &str) -> Result<()> {
    let at = |key: &str| format!("{path}.{key}");
    let within = |key: &str, v: Option<f64>, lo: f64, hi: f64| match v {
        Some(v) if !(lo..=hi).contains(&v) => Err(invalid(
            at(key),
            format!("`{key}` must be within {lo}..={hi}, not {v}"),
        )),
        _ => Ok(()),
    };
    match event {
        Event::Interaction(i) => {
            if let (Some(start), Some(end)) = (i.started_at, i.ended_at)
                && end < start
            {
                return Err(invalid(at("ended_at"), "`ended_at` is before `started_at`"));
            }
            if let Some(s) = &i.sentiment {
                within("sentiment.customer", s.customer, -5.0, 5.0)?;
                within("sentiment.agent", s.agent, -5.0, 5.0)?;
                within(
                    "sentiment.customer_final_quarter",
                    s.customer_final_quarter,
                    -5.0,
                    5.0,
                )?;
            }
        }
        Event::Evaluation(e) => {
            if let Some(v) = &e.vendor_score {
                within("vendor_score.percentage", v.percentage, 0.0, f64::MAX)?;
                within(
                    "vendor_score.critical_percentage",
                    v.critical_percentage,
                    0.0,
                    f64::MAX,
                )?;
            }
        }
        Event::Feedback(f) => {
            if f.scale_min >= f.scale_max {
                return Err(invalid(
                    at("scale_max"),
                    format!(
                        "`scale_max` ({}) must be above `scale_min` ({})",
                        f.scale_max, f.scale_min
                    ),
                ));
            }
            within("value", Some(f.value), f.scale_min, f.scale_max)?;
        }
        Event::Staffing(s) => {
            within(
                "length_minutes",
                Some(f64::from(s.length_minutes)),
                1.0,
                1440.0,
            )?;
            within("offered", Some(s.offered), 0.0, f64::MAX)?;
            within("aht_seconds", Some(s.aht_seconds), 0.0, f64::MAX)?;
            within("scheduled_agents", s.scheduled_agents, 0.0, f64::MAX)?;
        }
        Event::Agent(_) | Event::AgentState(_) => {}
    }
    Ok(())
}

const CHANNELS: &[(&str, Channel)] = &[
    ("voice", Channel::Voice),
    ("chat", Channel::Chat),
    ("email", Channel::Email),
    ("sms", Channel::Sms),
    ("video", Channel::Video),
    ("social", Channel::Social),
    ("task", Channel::Task),
    ("other", Channel::Other),
];
const DIRECTIONS: &[(&str, Direction)] = &[
    ("inbound", Direction::Inbound),
    ("outbound", Direction::Outbound),
    ("internal", Direction::Internal),
    ("unknown", Direction::Unknown),
];
const RATING_KINDS: &[(&str, RatingKind)] = &[
    ("csat", RatingKind::Csat),
    ("nps", RatingKind::Nps),
    ("ces", RatingKind::Ces),
    ("custom", RatingKind::Custom),
];

/// A JSON object whose keys were checked, with typed getters that name the
/// field path in their errors.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    /// Rejects any key not in `allowed` (nor `type`, when `typed`).
    fn new(
        map: &'a Map<String, Value>,
        path: &'a str,
        allowed: &[&str],
        what: &str,
        typed: bool,
    ) -> Result<Self> {
        for key in map.keys() {
            if (typed && key == "type") || allowed.contains(&key.as_str()) {
                continue;
            }
            let underscored = key.replace('-', "_");
            let hint = if allowed.contains(&underscored.as_str()) {
                format!("; did you mean `{underscored}`?")
            } else {
                format!("; expected one of: {}", allowed.join(", "))
            };
            return Err(invalid(
                format!("{path}.{key}"),
                format!("unknown field `{key}` in a {what}{hint}"),
            ));
        }
        Ok(Self { map, path })
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// The value, treating `null` as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&self, key: &str) -> Result<&'a Value> {
        self.get(key).ok_or_else(|| {
            let message = if self.map.contains_key(key) {
                format!("`{key}` must not be null")
            } else {
                format!("`{key}` is required")
            };
            invalid(self.field(key), message)
        })
    }

    /// A string that says something: ids, names and states are never blank.
    fn string(&self, key: &str) -> Result<String> {
        match self.required(key)? {
            Value::String(s) if s.trim().is_empty() => Err(invalid(
                self.field(key),
                format!("`{key}` must not be blank (omit it or send null when optional)"),
            )),
            Value::String(s) => Ok(s.clone()),
            other => Err(self.wrong(key, "a string", other)),
        }
    }

    fn opt_string(&self, key: &str) -> Result<Option<String>> {
        self.get(key).map(|_| self.string(key)).transpose()
    }

    /// Free text (a verbatim, a comment): blank is the same as absent.
    fn opt_text(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            _ => self.opt_string(key),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                    other => Err(invalid(
                        format!("{}[{i}]", self.field(key)),
                        format!("must be a non-blank string, not {}", describe(other)),
                    )),
                })
                .collect(),
            Some(other) => Err(self.wrong(key, "an array of strings", other)),
        }
    }

    fn f64(&self, key: &str) -> Result<f64> {
        match self.required(key)? {
            Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| invalid(self.field(key), format!("`{key}` is out of range"))),
            other => Err(self.wrong(key, "a number", other)),
        }
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.get(key).map(|_| self.f64(key)).transpose()
    }

    fn i64(&self, key: &str) -> Result<i64> {
        match self.required(key)? {
            Value::Number(n) => n
                .as_i64()
                .and_then(sidecoach_guest::time::in_range)
                .ok_or_else(|| {
                    invalid(
                        self.field(key),
                        format!(
                            "`{key}` must be a whole number of milliseconds since the Unix \
                             epoch, within the years 0000..=9999, not {n}"
                        ),
                    )
                }),
            other => Err(self.wrong(
                key,
                "a whole number of milliseconds since the Unix epoch",
                other,
            )),
        }
    }

    fn opt_i64(&self, key: &str) -> Result<Option<i64>> {
        self.get(key).map(|_| self.i64(key)).transpose()
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|ms| *ms <= sidecoach_guest::time::MAX_DURATION_MS)
                .map(Some)
                .ok_or_else(|| {
                    invalid(
                        self.field(key),
                        format!(
                            "`{key}` must be a whole, non-negative number of milliseconds up to \
                             {}, not {n}",
                            sidecoach_guest::time::MAX_DURATION_MS
                        ),
                    )
                }),
            Some(other) => Err(self.wrong(key, "a whole, non-negative number", other)),
        }
    }

    fn u32(&self, key: &str) -> Result<u32> {
        match self.required(key)? {
            Value::Number(n) => n
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| {
                    invalid(
                        self.field(key),
                        format!(
                            "`{key}` must be a whole number from 0 to {}, not {n}",
                            u32::MAX
                        ),
                    )
                }),
            other => Err(self.wrong(key, "a whole, non-negative number", other)),
        }
    }

    fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.get(key).map(|_| self.u32(key)).transpose()
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong(key, "true or false", other)),
        }
    }

    fn enumeration<T: Copy>(&self, key: &str, cases: &[(&str, T)]) -> Result<T> {
        let names = || cases.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        match self.required(key)? {
            Value::String(s) => cases
                .iter()
                .find(|(name, _)| name == s)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    invalid(
                        self.field(key),
                        format!("unknown {key} {s:?}; expected one of: {}", names()),
                    )
                }),
            other => Err(self.wrong(key, &format!("one of: {}", names()), other)),
        }
    }

    fn answer_value(&self, key: &str) -> Result<AnswerValue> {
        match self.required(key)? {
            Value::Number(n) => n
                .as_f64()
                .map(AnswerValue::Score)
                .ok_or_else(|| invalid(self.field(key), format!("`{key}` is out of range"))),
            Value::String(s) if s.eq_ignore_ascii_case("n/a") => Ok(AnswerValue::NotApplicable),
            other => Err(self.wrong(key, "a number or \"n/a\"", other)),
        }
    }

    fn opt_object<T>(
        &self,
        key: &str,
        allowed: &[&str],
        what: &str,
        parse: impl FnOnce(&Obj<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => {
                let path = self.field(key);
                let inner = Obj::new(map, &path, allowed, what, false)?;
                parse(&inner).map(Some)
            }
            Some(other) => Err(self.wrong(key, "an object", other)),
        }
    }

    fn objects<T>(
        &self,
        key: &str,
        allowed: &[&str],
        what: &str,
        parse: impl Fn(&Obj<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = format!("{}[{i}]", self.field(key));
                    match item {
                        Value::Object(map) => parse(&Obj::new(map, &path, allowed, what, false)?),
                        other => Err(invalid(
                            path.clone(),
                            format!("each {what} must be an object, not {}", describe(other)),
                        )),
                    }
                })
                .collect(),
            Some(other) => Err(self.wrong(key, &format!("an array of {what} objects"), other)),
        }
    }

    fn wrong(&self, key: &str, expected: &str, found: &Value) -> PluginError {
        invalid(
            self.field(key),
            format!("`{key}` must be {expected}, not {}", describe(found)),
        )
    }
}

/// "a string", "the number 3"… for error messages.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() <= 40 => format!("the string {s:?}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Event>> {
        parse_body(text.as_bytes())
    }

    fn error(text: &str) -> PluginError {
        parse(text).expect_err("expected an error")
    }

    const AGENT: &str = r#"{"type":"agent","vendor_user_id":"u1","name":"Ada"}"#;

    fn agent() -> Event {
        Event::Agent(Agent {
            vendor_user_id: "u1".into(),
            name: Some("Ada".into()),
            email: None,
            team: None,
            supervisor_vendor_id: None,
        })
    }

    #[test]
    fn all_four_body_shapes_parse_alike() {
        let expected = vec![agent(), agent()];
        assert_eq!(parse(&format!("[{AGENT},{AGENT}]")).unwrap(), expected);
        assert_eq!(
            parse(&format!("{{\"events\":[{AGENT},{AGENT}]}}")).unwrap(),
            expected
        );
        assert_eq!(parse(&format!("{AGENT}\n{AGENT}\n")).unwrap(), expected);
        assert_eq!(parse(&format!("\n{AGENT}\r\n\n{AGENT}")).unwrap(), expected);
        assert_eq!(parse(AGENT).unwrap(), vec![agent()]);
        assert_eq!(parse("[]").unwrap(), vec![]);
    }

    /// Fuzz findings (plugins/fuzz), minimized: each was accepted and
    /// produced an event the host cannot store or that means nothing.
    #[test]
    fn values_out_of_their_ranges_are_errors_naming_the_field() {
        for (body, field) in [
            (
                r#"{"type":"agent","vendor_user_id":" "}"#,
                "events[0].vendor_user_id",
            ),
            (
                r#"{"type":"agent","vendor_user_id":"u","name":""}"#,
                "events[0].name",
            ),
            (
                r#"{"type":"agent-state","agent_vendor_id":"u","state":" ","at":1}"#,
                "events[0].state",
            ),
            (
                r#"{"type":"agent-state","agent_vendor_id":"u","state":"s","at":-9223372036854775808}"#,
                "events[0].at",
            ),
            (
                r#"{"type":"interaction","external_id":"c","channel":"chat","started_at":1700000000000,"ended_at":1700}"#,
                "events[0].ended_at",
            ),
            (
                r#"{"type":"interaction","external_id":"c","channel":"chat","handle_ms":18446744073709551615}"#,
                "events[0].handle_ms",
            ),
            (
                r#"{"type":"interaction","external_id":"c","channel":"chat","topics":[""]}"#,
                "events[0].topics[0]",
            ),
            (
                r#"{"type":"interaction","external_id":"c","channel":"chat","sentiment":{"customer":-1e300}}"#,
                "events[0].sentiment.customer",
            ),
            (
                r#"{"type":"evaluation","external_id":"e","form_id":" "}"#,
                "events[0].form_id",
            ),
            (
                r#"{"type":"evaluation","external_id":"e","form_id":"f","vendor_score":{"percentage":-5.5}}"#,
                "events[0].vendor_score.percentage",
            ),
            (
                r#"{"type":"feedback","external_id":"r","kind":"csat","value":1,"scale_min":1.7976931348623157e308,"scale_max":5}"#,
                "events[0].scale_max",
            ),
            (
                r#"{"type":"feedback","external_id":"r","kind":"csat","value":11,"scale_min":1,"scale_max":5}"#,
                "events[0].value",
            ),
            (
                r#"{"type":"staffing","queue":"q","starts_at":0,"length_minutes":30,"offered":1,"aht_seconds":-1}"#,
                "events[0].aht_seconds",
            ),
            (
                r#"{"type":"staffing","queue":"q","starts_at":0,"length_minutes":0,"offered":1,"aht_seconds":1}"#,
                "events[0].length_minutes",
            ),
        ] {
            let e = error(body);
            assert_eq!(e.code, ErrorCode::InvalidInput, "{body}");
            assert_eq!(e.field.as_deref(), Some(field), "{body}: {}", e.message);
        }
        // Free text may be blank: it is just absent.
        let text = r#"{"type":"feedback","external_id":"r","kind":"csat","value":5,"scale_min":1,"scale_max":5,"verbatim":"  "}"#;
        let Event::Feedback(f) = &parse(text).unwrap()[0] else {
            panic!("not a feedback")
        };
        assert_eq!(f.verbatim, None);
    }

    #[test]
    fn an_interaction_with_every_field_parses() {
        let text = r#"{
            "type": "interaction", "external_id": "c-1", "agent_vendor_id": "u1",
            "channel": "voice", "direction": "inbound",
            "started_at": 1700000000000, "ended_at": 1700000300000,
            "handle_ms": 300000, "talk_ms": 250000, "hold_ms": 20000, "after_work_ms": 30000,
            "queue": "billing", "topics": ["refund", "late-fee"],
            "sentiment": {"customer": 1.5, "agent": 2, "customer_final_quarter": -3.5},
            "wrap_up": "resolved", "updated_at": 1700000400000
        }"#;
        let Event::Interaction(i) = &parse(text).unwrap()[0] else {
            panic!("not an interaction")
        };
        assert_eq!(i.external_id, "c-1");
        assert_eq!(i.channel, Channel::Voice);
        assert_eq!(i.direction, Direction::Inbound);
        assert_eq!(i.started_at, Some(1_700_000_000_000));
        assert_eq!(i.handle_ms, Some(300_000));
        assert_eq!(i.topics, vec!["refund", "late-fee"]);
        let s = i.sentiment.unwrap();
        assert_eq!(
            (s.customer, s.agent, s.customer_final_quarter),
            (Some(1.5), Some(2.0), Some(-3.5))
        );
        assert_eq!(i.updated_at, Some(1_700_000_400_000));
    }

    #[test]
    fn optional_fields_may_be_omitted_or_null() {
        let text = r#"{"type":"interaction","external_id":"c-2","channel":"chat","queue":null}"#;
        let Event::Interaction(i) = &parse(text).unwrap()[0] else {
            panic!("not an interaction")
        };
        assert_eq!(i.direction, Direction::Unknown);
        assert!(i.topics.is_empty());
        assert_eq!(i.queue, None);
        assert_eq!(i.sentiment, None);
    }

    #[test]
    fn evaluations_carry_answers_and_vendor_scores() {
        let text = r#"{"type":"evaluation","external_id":"e-1","form_id":"f-1","form_version":3,
            "answers":[{"criterion_id":"q1","value":3},{"criterion_id":"q2","value":"n/a","comment":"no hold"}],
            "vendor_score":{"percentage":0,"auto_failed":true}}"#;
        let Event::Evaluation(e) = &parse(text).unwrap()[0] else {
            panic!("not an evaluation")
        };
        assert_eq!(e.form_version, Some(3));
        assert_eq!(e.answers[0].value, AnswerValue::Score(3.0));
        assert_eq!(e.answers[1].value, AnswerValue::NotApplicable);
        assert_eq!(e.answers[1].comment.as_deref(), Some("no hold"));
        let v = e.vendor_score.unwrap();
        assert!(v.auto_failed);
        assert_eq!(v.percentage, Some(0.0));
        assert_eq!(v.critical_percentage, None);
    }

    #[test]
    fn feedback_agent_state_and_staffing_parse() {
        let text = r#"[
            {"type":"feedback","external_id":"r-1","kind":"csat","value":2,"scale_min":1,"scale_max":5,
             "topics":["billing"],"verbatim":"slow","received_at":1700000000000},
            {"type":"agent-state","agent_vendor_id":"u1","state":"available","at":1700000000000},
            {"type":"staffing","queue":"billing","starts_at":1700000000000,"length_minutes":30,
             "offered":100,"aht_seconds":180,"scheduled_agents":14}
        ]"#;
        let events = parse(text).unwrap();
        let Event::Feedback(f) = &events[0] else {
            panic!()
        };
        assert_eq!((f.kind, f.value, f.scale_max), (RatingKind::Csat, 2.0, 5.0));
        let Event::AgentState(s) = &events[1] else {
            panic!()
        };
        assert_eq!(s.state, "available");
        let Event::Staffing(st) = &events[2] else {
            panic!()
        };
        assert_eq!(
            (st.length_minutes, st.offered, st.scheduled_agents),
            (30, 100.0, Some(14.0))
        );
    }

    #[test]
    fn errors_name_the_field_by_path() {
        let text = format!(
            "[{AGENT},{AGENT},{AGENT},{}]",
            r#"{"type":"interaction","external_id":"c","channel":"chat","started_at":"yesterday"}"#
        );
        let e = error(&text);
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("events[3].started_at"));
        assert!(e.message.contains("milliseconds"), "{}", e.message);
    }

    #[test]
    fn unknown_keys_are_rejected_with_a_hint() {
        let e = error(r#"{"type":"agent","vendor_user_id":"u1","nickname":"A"}"#);
        assert_eq!(e.field.as_deref(), Some("events[0].nickname"));
        assert!(
            e.message.contains("unknown field `nickname`"),
            "{}",
            e.message
        );
        let e = error(r#"{"type":"agent","vendor-user-id":"u1"}"#);
        assert!(
            e.message.contains("did you mean `vendor_user_id`"),
            "{}",
            e.message
        );
        let e = error(
            r#"{"type":"interaction","external_id":"c","channel":"chat","sentiment":{"mood":1}}"#,
        );
        assert_eq!(e.field.as_deref(), Some("events[0].sentiment.mood"));
        let e = error(r#"{"events":[],"extra":1}"#);
        assert_eq!(e.field.as_deref(), Some("extra"));
    }

    #[test]
    fn nested_errors_name_the_answer() {
        let e = error(
            r#"{"type":"evaluation","external_id":"e","form_id":"f","answers":[{"criterion_id":"q1","value":1},{"criterion_id":"q2","value":"maybe"}]}"#,
        );
        assert_eq!(e.field.as_deref(), Some("events[0].answers[1].value"));
        let e = error(
            r#"{"type":"evaluation","external_id":"e","form_id":"f","answers":[{"value":1}]}"#,
        );
        assert_eq!(
            e.field.as_deref(),
            Some("events[0].answers[0].criterion_id")
        );
        assert!(e.message.contains("required"));
    }

    #[test]
    fn bad_values_are_explained() {
        let e = error(r#"{"type":"interaction","external_id":"c","channel":"pigeon"}"#);
        assert_eq!(e.field.as_deref(), Some("events[0].channel"));
        assert!(e.message.contains("voice, chat"), "{}", e.message);
        let e =
            error(r#"{"type":"interaction","external_id":"c","channel":"chat","handle_ms":-5}"#);
        assert_eq!(e.field.as_deref(), Some("events[0].handle_ms"));
        let e = error(r#"{"type":"interaction","channel":"chat"}"#);
        assert_eq!(e.field.as_deref(), Some("events[0].external_id"));
        let e = error(r#"{"type":"agent","vendor_user_id":null}"#);
        assert!(e.message.contains("must not be null"));
        let e = error(
            r#"{"type":"staffing","queue":"q","starts_at":0,"length_minutes":5000000000,"offered":1,"aht_seconds":1}"#,
        );
        assert_eq!(e.field.as_deref(), Some("events[0].length_minutes"));
    }

    #[test]
    fn missing_or_unknown_types_are_reported() {
        let e = error(r#"{"vendor_user_id":"u1"}"#);
        assert_eq!(e.field.as_deref(), Some("events[0].type"));
        assert_eq!(e.code, ErrorCode::InvalidInput);
        let e = error(r#"[{"type":"wrapup"}]"#);
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert_eq!(e.field.as_deref(), Some("events[0].type"));
    }

    #[test]
    fn malformed_bodies_are_invalid_input() {
        for (body, field) in [
            ("", "body"),
            ("   \n", "body"),
            ("{\"type\":", "body"),
            ("42", "body"),
            ("[1]", "events[0]"),
            ("{\"events\":{}}", "events"),
        ] {
            let e = error(body);
            assert_eq!(e.code, ErrorCode::InvalidInput, "{body:?}");
            assert_eq!(e.field.as_deref(), Some(field), "{body:?}: {}", e.message);
        }
        let e = error(&format!("{AGENT}\n{{\"type\":"));
        assert_eq!(e.field.as_deref(), Some("events[1]"));
        let e = error(&format!("{AGENT}\n[]"));
        assert_eq!(e.field.as_deref(), Some("events[1]"));
        assert!(parse_body(b"\xff\xfe").is_err());
    }
}
