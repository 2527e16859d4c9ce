//! Reading a request: the content type, the body's JSON documents (one value,
//! or JSON lines where each line is its own record), and [`Rec`], typed access
//! to a JSON object whose errors name the dotted path of the field at fault
//! (`participants[2].sessions[0].metrics[4].value`). Shared by the JSON
//! vendor adapters; errors are [`Fault`]s, which each adapter turns into its
//! WIT `plugin-error` (see [`crate::plugin_errors!`]).
//!
//! Vendor payloads carry many keys an adapter does not use, so unknown keys are
//! ignored; a key that is used but holds the wrong kind of value is an error.

use serde_json::{Map, Value};

use crate::fault::Fault;
pub use crate::fault::{invalid, unsupported};
use crate::time::{epoch_number_ms, parse_any_ms};

/// A result whose error is a [`Fault`].
pub type Result<T> = std::result::Result<T, Fault>;

/// Checks the request's `content-type`: JSON, JSON lines or none at all.
/// Returns whether the sender declared JSON lines.
pub fn check_content_type(headers: &[(String, String)]) -> Result<bool> {
    match crate::media_type(headers).as_deref() {
        None | Some("" | "application/json") => Ok(false),
        Some("application/x-ndjson" | "application/jsonl") => Ok(true),
        Some(other) => Err(invalid(
            "content-type",
            format!(
                "unsupported content type `{other}`; this adapter reads application/json, \
                 application/x-ndjson or application/jsonl"
            ),
        )),
    }
}

/// The JSON documents of a body.
#[derive(Debug)]
pub enum Body {
    /// Exactly one JSON value.
    One(Value),
    /// Several values: JSON lines (or values one after another). Each is one
    /// record; a line that is not valid JSON is an error for that record only.
    Lines(Vec<Result<Value>>),
}

/// Reads the body's JSON documents.
///
/// A body that is not valid JSON is a whole-request error naming the line and
/// column, unless it is JSON lines (declared by the content type, or at least
/// two lines of which one is a JSON object or array on its own): then only the
/// lines that fail are bad records.
pub fn read_body(body: &[u8], declared_lines: bool) -> Result<Body> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "body",
            "the body is empty; expected a JSON object, a JSON array or JSON lines",
        ));
    }
    let mut documents = Vec::new();
    let mut failure = None;
    for item in serde_json::Deserializer::from_slice(body).into_iter::<Value>() {
        match item {
            Ok(value) => documents.push(value),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    match failure {
        None if documents.len() == 1 => Ok(Body::One(documents.remove(0))),
        None => Ok(Body::Lines(documents.into_iter().map(Ok).collect())),
        Some(_) if declared_lines || looks_like_json_lines(body) => {
            Ok(Body::Lines(split_lines(body)))
        }
        Some(e) => Err(invalid(
            "body",
            format!(
                "the body is not valid JSON: {} at line {}, column {}",
                json_error_message(&e),
                e.line(),
                e.column()
            ),
        )),
    }
}

/// A serde_json error's message without its " at line L column C" suffix.
fn json_error_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// The non-blank lines of a body, without their line ending.
fn non_blank_lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim_ascii()))
        .filter(|(_, line)| !line.is_empty())
}

/// Whether an invalid body is rather JSON lines with a bad line: two or more
/// lines, one of which is a whole JSON object or array by itself.
fn looks_like_json_lines(body: &[u8]) -> bool {
    non_blank_lines(body).nth(1).is_some()
        && non_blank_lines(body).any(|(_, line)| {
            matches!(
                serde_json::from_slice::<Value>(line),
                Ok(Value::Object(_) | Value::Array(_))
            )
        })
}

/// Parses each non-blank line on its own.
fn split_lines(body: &[u8]) -> Vec<Result<Value>> {
    non_blank_lines(body)
        .enumerate()
        .map(|(index, (line_number, line))| {
            serde_json::from_slice(line).map_err(|e| {
                invalid(
                    format!("[{index}]"),
                    format!(
                        "JSON line {line_number} is not valid JSON: {} at column {}",
                        json_error_message(&e),
                        e.column()
                    ),
                )
            })
        })
        .collect()
}

/// A short description of a JSON value for error messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 60 => {
            format!("{:?}…", s.chars().take(60).collect::<String>())
        }
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The path of `key` inside the object at `path` (`""` is the body itself).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A JSON object at a known path, with typed getters whose errors name the
/// field's dotted path. `null` counts as absent everywhere.
#[derive(Debug, Clone)]
pub struct Rec<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Rec<'a> {
    /// The object `value`, found at `path`; an error if it is not an object.
    pub fn new(value: &'a Value, path: impl Into<String>) -> Result<Self> {
        let path = path.into();
        match value {
            Value::Object(map) => Ok(Self { map, path }),
            other => {
                let field = if path.is_empty() { "body" } else { &path };
                Err(invalid(
                    field,
                    format!("`{field}` must be a JSON object, not {}", describe(other)),
                ))
            }
        }
    }

    /// The path of one of this object's fields.
    pub fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// This object's keys, for messages about unrecognized payloads.
    pub fn keys(&self) -> String {
        let mut keys: Vec<&str> = self.map.keys().map(String::as_str).take(8).collect();
        if self.map.len() > keys.len() {
            keys.push("…");
        }
        keys.join(", ")
    }

    /// The value of `key`; `None` when absent or `null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Whether `key` is present and not `null`.
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The error for `key` holding `got` where `expected` was needed.
    fn wrong(&self, key: &str, expected: &str, got: &Value) -> Fault {
        let field = self.at(key);
        invalid(
            field.clone(),
            format!("`{field}` must be {expected}, not {}", describe(got)),
        )
    }

    /// The error for a required `key` that is absent.
    fn missing(&self, key: &str) -> Fault {
        let field = self.at(key);
        invalid(field.clone(), format!("`{field}` is required"))
    }

    /// The object under `key`, if present.
    pub fn child(&self, key: &str) -> Result<Option<Rec<'a>>> {
        self.get(key).map(|v| Rec::new(v, self.at(key))).transpose()
    }

    /// The objects of the array under `key` (an absent key is an empty array).
    pub fn children(&self, key: &str) -> Result<Vec<Rec<'a>>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| Rec::new(item, format!("{}[{i}]", self.at(key))))
                .collect(),
            Some(other) => Err(self.wrong(key, "an array of objects", other)),
        }
    }

    /// A string, trimmed; an empty string counts as absent.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    /// A required string.
    pub fn req_str(&self, key: &str) -> Result<&'a str> {
        self.str(key)?.ok_or_else(|| self.missing(key))
    }

    /// An identifier given as a string or a whole number.
    pub fn id(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
            Some(other) => Err(self.wrong(key, "a string or whole-number id", other)),
        }
    }

    /// A required identifier.
    pub fn req_id(&self, key: &str) -> Result<String> {
        self.id(key)?.ok_or_else(|| self.missing(key))
    }

    /// A finite number, given as a JSON number or a numeric string.
    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        let value = match self.get(key) {
            None => return Ok(None),
            Some(v) => v,
        };
        let n = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(self.wrong(key, "a number", value)),
        }
    }

    /// A finite number that is not negative (a percentage, a count).
    pub fn non_negative(&self, key: &str) -> Result<Option<f64>> {
        match self.number(key)? {
            Some(n) if n < 0.0 => {
                let field = self.at(key);
                Err(invalid(
                    field.clone(),
                    format!("`{field}` must not be negative, not {n}"),
                ))
            }
            n => Ok(n),
        }
    }

    /// A non-negative number scaled to whole milliseconds.
    fn scaled_millis(&self, key: &str, scale: f64, unit: &str) -> Result<Option<u64>> {
        let n = match self.number(key) {
            Ok(None) => return Ok(None),
            Ok(Some(n)) => n * scale,
            Err(_) => {
                return Err(self.wrong(
                    key,
                    &format!("a non-negative number of {unit}"),
                    self.get(key).unwrap_or(&Value::Null),
                ));
            }
        };
        if !(0.0..=crate::time::MAX_DURATION_MS as f64).contains(&n) {
            let field = self.at(key);
            return Err(invalid(
                field.clone(),
                format!("`{field}` must be a non-negative number of {unit}, not {n}"),
            ));
        }
        Ok(Some(n.round() as u64))
    }

    /// A duration given in milliseconds.
    pub fn millis(&self, key: &str) -> Result<Option<u64>> {
        self.scaled_millis(key, 1.0, "milliseconds")
    }

    /// A duration given in seconds, as milliseconds.
    pub fn seconds_as_millis(&self, key: &str) -> Result<Option<u64>> {
        self.scaled_millis(key, 1_000.0, "seconds")
    }

    /// A point in time: an ISO 8601 string or epoch seconds/milliseconds
    /// (as a number or a digit string), as epoch milliseconds.
    pub fn timestamp(&self, key: &str) -> Result<Option<i64>> {
        let value = match self.get(key) {
            None => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(v) => v,
        };
        let ms = match value {
            Value::String(s) => parse_any_ms(s),
            Value::Number(n) => n.as_f64().and_then(epoch_number_ms),
            _ => None,
        };
        ms.map(Some).ok_or_else(|| {
            self.wrong(
                key,
                "an ISO 8601 timestamp (e.g. 2024-05-01T10:00:00Z) or epoch milliseconds",
                value,
            )
        })
    }

    /// A boolean: `true`/`false`, or the strings `"true"`/`"false"` in any case.
    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(self.wrong(key, "true or false", other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::Code;
    use serde_json::json;

    /// A `content-type` header.
    fn headers(content_type: &str) -> Vec<(String, String)> {
        vec![("content-type".into(), content_type.into())]
    }

    /// JSON and JSON lines pass; anything else is named in the error.
    #[test]
    fn content_types() {
        assert_eq!(check_content_type(&[]), Ok(false));
        assert_eq!(
            check_content_type(&headers("application/json; charset=utf-8")),
            Ok(false)
        );
        assert_eq!(
            check_content_type(&headers("application/x-ndjson")),
            Ok(true)
        );
        assert_eq!(check_content_type(&headers("application/jsonl")), Ok(true));
        let e = check_content_type(&headers("text/csv")).unwrap_err();
        assert_eq!(e.code, Code::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("content-type"));
        assert!(e.message.contains("text/csv"), "{}", e.message);
    }

    /// One value, JSON lines, invalid JSON and a bad line among good ones.
    #[test]
    fn bodies() {
        assert!(matches!(read_body(b" {\"a\":1} ", false), Ok(Body::One(_))));
        match read_body(b"{\"a\":1}\n{\"a\":2}\n", false).unwrap() {
            Body::Lines(lines) => assert_eq!(lines.len(), 2),
            other => panic!("{other:?}"),
        }
        let e = read_body(b"{\n  \"a\": [1,\n", false).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("body"));
        assert!(e.message.contains("at line 3, column 0"), "{}", e.message);
        let e = read_body(b"  \n", false).unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        // One bad line among good ones is that line's problem only.
        match read_body(b"{\"a\":1}\n{\"a\":\n\n{\"a\":3}\n", false).unwrap() {
            Body::Lines(lines) => {
                assert_eq!(lines.len(), 3);
                assert!(lines[0].is_ok() && lines[2].is_ok());
                let e = lines[1].as_ref().unwrap_err();
                assert_eq!(e.field.as_deref(), Some("[1]"));
                assert!(e.message.contains("JSON line 2"), "{}", e.message);
            }
            other => panic!("{other:?}"),
        }
    }

    /// Each getter's error names the dotted path.
    #[test]
    fn typed_getters_name_the_path() {
        let v = json!({
            "s": " x ", "empty": "", "n": 12, "ns": "1.5", "bad": "abc", "neg": -1,
            "t": "2024-05-01T10:00:00Z", "te": 1649237504949u64, "tb": "yesterday",
            "b": "True", "o": {"k": [{"x": 1}, 3]}
        });
        let r = Rec::new(&v, "contacts[2]").unwrap();
        assert_eq!(r.str("s"), Ok(Some("x")));
        assert_eq!(r.str("empty"), Ok(None));
        assert_eq!(r.id("n"), Ok(Some("12".into())));
        assert_eq!(r.millis("ns"), Ok(Some(2)));
        assert_eq!(r.seconds_as_millis("ns"), Ok(Some(1_500)));
        assert_eq!(r.millis("n"), Ok(Some(12)));
        let e = r.millis("bad").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("contacts[2].bad"));
        assert!(e.message.contains("`contacts[2].bad`"), "{}", e.message);
        assert!(r.millis("neg").is_err());
        assert_eq!(r.timestamp("t"), Ok(Some(1_714_557_600_000)));
        assert_eq!(r.timestamp("te"), Ok(Some(1_649_237_504_949)));
        let e = r.timestamp("tb").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("contacts[2].tb"));
        assert_eq!(r.bool("b"), Ok(Some(true)));
        let o = r.child("o").unwrap().unwrap();
        let e = o.children("k").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("contacts[2].o.k[1]"));
        assert_eq!(
            r.req_str("missing").unwrap_err().field.as_deref(),
            Some("contacts[2].missing")
        );
        assert!(r.str("o").is_err());
        assert_eq!(
            r.req_id("missing").unwrap_err().field.as_deref(),
            Some("contacts[2].missing")
        );
        let root = Rec::new(&json!([1]), "").unwrap_err();
        assert_eq!(root.field.as_deref(), Some("body"));
    }
}
