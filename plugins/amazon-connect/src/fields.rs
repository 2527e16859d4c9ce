//! Typed access to the fields of one JSON object, with errors that name the
//! field by its dotted path (`Agent.AgentInteractionDuration`,
//! `questions[1].answer.value`).
//!
//! Amazon Connect spells keys inconsistently across its own documentation
//! (`agentInfo.agentArn` next to `AgentInfo.AgentArn` in contact events), so
//! an [`Obj`] can be told to match keys regardless of ASCII case; children
//! inherit the setting.
//!
//! [`Context`] is what a request says besides its body (its URL query),
//! shared by the parsers that need it.

use crate::bindings::sidecoach::plugin::types::{
    Channel, Direction, ErrorCode, Interaction, PluginError,
};
use serde_json::{Map, Value};

/// Every parser's result type.
pub type Result<T> = std::result::Result<T, PluginError>;

/// An `invalid-input` error about `field`.
pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::InvalidInput,
        message: message.into(),
        field: Some(field.into()),
    }
}

/// An `unsupported` error, naming `field` when one decided it.
pub fn unsupported(field: Option<String>, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::Unsupported,
        message: message.into(),
        field,
    }
}

/// A short description of a JSON value for error messages: its type and, for
/// scalars, the value itself (strings cut at 40 characters).
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > 40 => {
            format!("the string {:?}…", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The id at the end of an ARN (`…/agent/<id>` → `<id>`). A value without
/// `/` is taken as a bare id, except `arn` itself and a resource-less
/// `arn:…` (AWS's samples use such dummy values), which name nobody.
pub fn arn_id(arn: &str) -> Option<String> {
    let arn = arn.trim();
    let id = match arn.rsplit_once('/') {
        Some((_, last)) => last,
        None if arn.eq_ignore_ascii_case("arn") || arn.starts_with("arn:") => return None,
        None => arn,
    };
    (!id.is_empty()).then(|| id.to_string())
}

/// A Connect channel name (any case) as a WIT channel; unknown or missing
/// names are `other`.
pub fn channel(name: Option<&str>) -> Channel {
    match name.map(str::to_ascii_uppercase).as_deref() {
        Some("VOICE") => Channel::Voice,
        Some("CHAT") => Channel::Chat,
        Some("TASK") => Channel::Task,
        Some("EMAIL") => Channel::Email,
        _ => Channel::Other,
    }
}

/// A Connect initiation method as a WIT direction: `INBOUND` → inbound,
/// `OUTBOUND` → outbound, `TRANSFER`/`QUEUE_TRANSFER` → internal, anything
/// else (`CALLBACK`, `API`, `DISCONNECT`, missing…) → unknown.
pub fn direction(method: Option<&str>) -> Direction {
    match method.map(str::to_ascii_uppercase).as_deref() {
        Some("INBOUND") => Direction::Inbound,
        Some("OUTBOUND") => Direction::Outbound,
        Some("TRANSFER" | "QUEUE_TRANSFER") => Direction::Internal,
        _ => Direction::Unknown,
    }
}

/// One JSON object and where it sits in the record.
#[derive(Clone, Debug)]
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    /// The dotted path of this object inside the record ("" at the top).
    path: String,
    /// Whether keys match regardless of ASCII case.
    any_case: bool,
}

impl<'a> Obj<'a> {
    /// The object at `path` (`""` for a record's top level).
    pub fn new(map: &'a Map<String, Value>, path: impl Into<String>) -> Self {
        Obj {
            map,
            path: path.into(),
            any_case: false,
        }
    }

    /// The same object, matching keys regardless of ASCII case.
    pub fn any_case(self) -> Self {
        Obj {
            any_case: true,
            ..self
        }
    }

    /// The path of `key` inside this object.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The key as spelled in the payload, and its value (`null` included).
    fn entry(&self, key: &str) -> Option<(&'a str, &'a Value)> {
        if let Some((k, v)) = self.map.get_key_value(key) {
            return Some((k.as_str(), v));
        }
        if self.any_case {
            return self
                .map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(k, v)| (k.as_str(), v));
        }
        None
    }

    /// Whether the object has `key` (even with a `null` value).
    pub fn has(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    /// The value of `key` and its path; `None` when missing or `null`.
    pub fn get(&self, key: &str) -> Option<(String, &'a Value)> {
        match self.entry(key) {
            None | Some((_, Value::Null)) => None,
            Some((k, v)) => Some((self.path_of(k), v)),
        }
    }

    /// The object under `key`, if any; an error if it is not an object.
    pub fn child(&self, key: &str) -> Result<Option<Obj<'a>>> {
        match self.get(key) {
            None => Ok(None),
            Some((path, Value::Object(map))) => Ok(Some(Obj {
                map,
                path,
                any_case: self.any_case,
            })),
            Some((path, other)) => Err(invalid(
                path,
                format!("must be an object, got {}", describe(other)),
            )),
        }
    }

    /// The array under `key`, if any, with its path.
    pub fn array(&self, key: &str) -> Result<Option<(String, &'a [Value])>> {
        match self.get(key) {
            None => Ok(None),
            Some((path, Value::Array(items))) => Ok(Some((path, items))),
            Some((path, other)) => Err(invalid(
                path,
                format!("must be an array, got {}", describe(other)),
            )),
        }
    }

    /// The string under `key`, if any; empty or blank strings count as absent.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(s.as_str()).filter(|s| !s.trim().is_empty())),
            Some((path, other)) => Err(invalid(
                path,
                format!("must be a string, got {}", describe(other)),
            )),
        }
    }

    /// The string under `key`, which must be present.
    pub fn required_str(&self, key: &str) -> Result<&'a str> {
        self.str(key)?
            .ok_or_else(|| invalid(self.path_of(key), format!("`{key}` is missing or empty")))
    }

    /// The number under `key`, if any (a JSON number, finite).
    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some((path, value)) => match value.as_f64() {
                Some(n) if n.is_finite() => Ok(Some(n)),
                _ => Err(invalid(
                    path,
                    format!("must be a number, got {}", describe(value)),
                )),
            },
        }
    }

    /// The number under `key`, if any, and not negative (a percentage).
    pub fn non_negative(&self, key: &str) -> Result<Option<f64>> {
        match self.number(key)? {
            Some(n) if n < 0.0 => Err(invalid(
                self.path_of(key),
                format!("must not be negative, got {n}"),
            )),
            n => Ok(n),
        }
    }

    /// The boolean under `key`, if any.
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some((_, Value::Bool(b))) => Ok(Some(*b)),
            Some((path, other)) => Err(invalid(
                path,
                format!("must be true or false, got {}", describe(other)),
            )),
        }
    }

    /// A non-negative duration given in `unit` (`"seconds"` ×1000 or
    /// `"milliseconds"` ×1), as whole milliseconds.
    fn duration(&self, key: &str, factor: f64, unit: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some((path, value)) => match value.as_f64() {
                Some(n)
                    if n >= 0.0 && n * factor <= sidecoach_guest::time::MAX_DURATION_MS as f64 =>
                {
                    Ok(Some((n * factor).round() as u64))
                }
                _ => Err(invalid(
                    path,
                    format!(
                        "must be a non-negative number of {unit} (at most {} ms), got {}",
                        sidecoach_guest::time::MAX_DURATION_MS,
                        describe(value)
                    ),
                )),
            },
        }
    }

    /// A duration in seconds (CTR `…Duration` fields) as milliseconds.
    pub fn seconds_as_ms(&self, key: &str) -> Result<Option<u64>> {
        self.duration(key, 1_000.0, "seconds")
    }

    /// A duration in milliseconds (Contact Lens `…Millis` fields).
    pub fn millis(&self, key: &str) -> Result<Option<u64>> {
        self.duration(key, 1.0, "milliseconds")
    }

    /// A timestamp (ISO 8601 string, or epoch seconds/milliseconds) as epoch
    /// milliseconds.
    pub fn timestamp(&self, key: &str) -> Result<Option<i64>> {
        let Some((path, value)) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::String(s) if s.trim().is_empty() => return Ok(None),
            Value::String(s) => sidecoach_guest::time::parse_any_ms(s),
            Value::Number(n) => n.as_f64().and_then(sidecoach_guest::time::epoch_number_ms),
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| {
            invalid(
                path,
                format!(
                    "must be an ISO 8601 timestamp such as \"2024-05-01T10:00:00Z\", got {}",
                    describe(value)
                ),
            )
        })
    }

    /// The id at the end of the ARN under `key` (see [`arn_id`]).
    pub fn arn_id(&self, key: &str) -> Result<Option<String>> {
        Ok(self.str(key)?.and_then(arn_id))
    }

    /// The object's keys, as spelled in the payload.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.map.keys().map(String::as_str)
    }

    /// The record's top-level keys, for "unrecognised payload" messages
    /// (at most 12, then `…`).
    pub fn key_list(&self) -> String {
        let mut keys: Vec<&str> = self.map.keys().map(String::as_str).take(12).collect();
        if self.map.len() > 12 {
            keys.push("…");
        }
        if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        }
    }
}

/// Check that an interaction does not end before it starts; the error
/// names `end_field`.
pub fn check_span(started: Option<i64>, ended: Option<i64>, end_field: String) -> Result<()> {
    match (started, ended) {
        (Some(s), Some(e)) if e < s => Err(invalid(
            end_field,
            format!("the contact ends ({e} ms) before it starts ({s} ms)"),
        )),
        _ => Ok(()),
    }
}

/// Contact ids linked to `own`: the non-empty values of `keys`, without
/// `own` itself and without repeats, in `keys` order.
pub fn related_ids(obj: &Obj<'_>, own: &str, keys: &[&str]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        if let Some(id) = obj.str(key)? {
            let id = id.trim();
            if id != own && !out.iter().any(|o| o == id) {
                out.push(id.to_string());
            }
        }
    }
    Ok(out)
}

/// The team of an agent: the group name at the deepest level of a Connect
/// hierarchy (`Level5` … `Level1`, each `{ "GroupName" | "Name" }`).
pub fn hierarchy_team(groups: Option<Obj<'_>>) -> Result<Option<String>> {
    let Some(groups) = groups else {
        return Ok(None);
    };
    for level in ["Level5", "Level4", "Level3", "Level2", "Level1"] {
        if let Some(group) = groups.child(level)? {
            let name = match group.str("GroupName")? {
                Some(name) => Some(name),
                None => group.str("Name")?,
            };
            if let Some(name) = name {
                return Ok(Some(name.trim().to_string()));
            }
        }
    }
    Ok(None)
}

/// The contact alone: its id and channel, every other field empty (what a
/// record that knows only its contact fills in on top).
pub fn bare_interaction(external_id: String, channel: Channel) -> Interaction {
    Interaction {
        external_id,
        agent_vendor_id: None,
        channel,
        direction: Direction::Unknown,
        started_at: None,
        ended_at: None,
        handle_ms: None,
        talk_ms: None,
        hold_ms: None,
        after_work_ms: None,
        non_talk_ms: None,
        agent_talk_ms: None,
        customer_talk_ms: None,
        alert_ms: None,
        answer_ms: None,
        issues: Vec::new(),
        outcomes: Vec::new(),
        action_items: Vec::new(),
        agent_interruptions: None,
        related_external_ids: Vec::new(),
        queue: None,
        topics: Vec::new(),
        sentiment: None,
        wrap_up: None,
        updated_at: None,
    }
}

/// What the request says besides its body.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Context {
    /// A contact id from the URL query (`contact_id` or `contactId`), for
    /// Contact Lens files that do not name their contact.
    pub contact_id: Option<String>,
    /// The S3 object key the file was read from (`object_key` or `key` in
    /// the URL query), as the S3 → Lambda → HTTP forwarder passes it: a
    /// Contact Lens output file is named after its contact
    /// (`…/Analysis/Voice/YYYY/MM/DD/<contactId>_analysis_<time>.json`).
    pub object_key: Option<String>,
}

impl Context {
    /// The context carried by a request URL.
    pub fn from_url(url: &str) -> Self {
        let query = url
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or_default())
            .unwrap_or_default();
        let pairs = sidecoach_guest::form_pairs(query.as_bytes());
        let first = |names: &[&str]| {
            pairs
                .iter()
                .find(|(k, v)| names.contains(&k.as_str()) && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
        };
        Context {
            contact_id: first(&["contact_id", "contactId"]),
            object_key: first(&["object_key", "key"]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn arn_ids() {
        assert_eq!(
            arn_id("arn:aws:connect:us-east-1:1:instance/i/agent/abc").as_deref(),
            Some("abc")
        );
        assert_eq!(arn_id("bare-id").as_deref(), Some("bare-id"));
        assert_eq!(arn_id("arn"), None);
        assert_eq!(arn_id("arn:aws:connect:us-east-1:1:instance"), None);
        assert_eq!(arn_id("arn:aws:x/"), None);
        assert_eq!(arn_id("  "), None);
    }

    #[test]
    fn channels_and_directions() {
        assert_eq!(channel(Some("Voice")), Channel::Voice);
        assert_eq!(channel(Some("CHAT")), Channel::Chat);
        assert_eq!(channel(Some("TASK")), Channel::Task);
        assert_eq!(channel(Some("EMAIL")), Channel::Email);
        assert_eq!(channel(Some("PIGEON")), Channel::Other);
        assert_eq!(channel(None), Channel::Other);
        assert_eq!(direction(Some("INBOUND")), Direction::Inbound);
        assert_eq!(direction(Some("OUTBOUND")), Direction::Outbound);
        assert_eq!(direction(Some("TRANSFER")), Direction::Internal);
        assert_eq!(direction(Some("QUEUE_TRANSFER")), Direction::Internal);
        assert_eq!(direction(Some("CALLBACK")), Direction::Unknown);
        assert_eq!(direction(None), Direction::Unknown);
    }

    #[test]
    fn typed_getters_name_the_field() {
        let m = map(json!({
            "A": {"Secs": "ten", "Ms": 1500, "When": "2024-05-01T10:00:00Z", "Bad": "soon"},
            "n": null,
            "s": "",
        }));
        let top = Obj::new(&m, "");
        let a = top.child("A").unwrap().unwrap();
        let err = a.seconds_as_ms("Secs").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("A.Secs"));
        assert!(err.message.contains("number of seconds"), "{}", err.message);
        assert!(err.message.contains("\"ten\""), "{}", err.message);
        assert_eq!(a.millis("Ms").unwrap(), Some(1500));
        assert_eq!(a.seconds_as_ms("Ms").unwrap(), Some(1_500_000));
        assert_eq!(a.timestamp("When").unwrap(), Some(1_714_557_600_000));
        assert_eq!(
            a.timestamp("Bad").unwrap_err().field.as_deref(),
            Some("A.Bad")
        );
        assert_eq!(top.str("n").unwrap(), None);
        assert_eq!(top.str("s").unwrap(), None);
        assert!(top.has("n"));
        assert_eq!(
            top.required_str("s").unwrap_err().field.as_deref(),
            Some("s")
        );
        assert_eq!(top.child("s").unwrap_err().field.as_deref(), Some("s"));
    }

    #[test]
    fn any_case_keys_keep_the_payload_spelling_in_paths() {
        let m = map(json!({"AgentInfo": {"AgentArn": 5}}));
        let top = Obj::new(&m, "detail").any_case();
        let info = top.child("agentInfo").unwrap().unwrap();
        let err = info.arn_id("agentArn").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("detail.AgentInfo.AgentArn"));
        // Exact matching does not see it.
        assert!(Obj::new(&m, "").child("agentInfo").unwrap().is_none());
    }

    #[test]
    fn related_ids_skip_self_and_repeats() {
        let m = map(json!({"I": "a", "P": "b", "N": "b", "X": null}));
        let ids = related_ids(&Obj::new(&m, ""), "a", &["I", "P", "N", "X"]).unwrap();
        assert_eq!(ids, vec!["b".to_string()]);
    }

    #[test]
    fn deepest_hierarchy_level_is_the_team() {
        let m = map(json!({"H": {
            "Level1": {"ARN": "x", "GroupName": "Company"},
            "Level3": {"ARN": "y", "Name": "Billing Team"},
            "Level4": null,
        }}));
        let top = Obj::new(&m, "");
        assert_eq!(
            hierarchy_team(top.child("H").unwrap()).unwrap().as_deref(),
            Some("Billing Team")
        );
        assert_eq!(hierarchy_team(None).unwrap(), None);
    }
}
