//! One validation policy for every JSON body the API reads, checked at the
//! edge before the body becomes a request, and written into the OpenAPI
//! document from the same rules:
//!
//! * **strings**: free text (comments, notes, verbatims, reasons, the
//!   lines of a coaching session) at most [`MAX_TEXT_CHARS`] characters;
//!   every other string (ids, names, topics, queues, token names…) at most
//!   [`MAX_NAME_CHARS`]; a vendor payload handed to a plugin (`body`,
//!   `body_base64`) is bounded by the body limit only;
//! * **numbers**: within ±[`MAX_NUMBER`] (JSON has no infinities, but
//!   `1e308` parses and overflows every sum it enters);
//! * **times**: from the epoch to the end of year 9999 ([`MAX_TIME_MS`]),
//!   as epoch ms or RFC 3339.
//!
//! Field-specific ranges (a feedback value within its scale, weights,
//! pass marks) stay with the model types' own `validate`.

use serde_json::{Map, Value, json};

use super::ApiError;
use crate::clock::parse_time;

/// Longest free-text string, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest other string (ids, names, topics…), in characters.
pub const MAX_NAME_CHARS: usize = 1_000;
/// Largest magnitude of any number.
pub const MAX_NUMBER: f64 = 1e15;
pub use crate::model::MAX_TIME_MS;

/// Fields holding free text (or lists of its lines).
const FREE_TEXT: &[&str] = &[
    "agent_comment",
    "behaviours",
    "comment",
    "description",
    "detail",
    "dismissed_reason",
    "doing_well",
    "ended_reason",
    "focus",
    "issues",
    "message",
    "next_focus",
    "note",
    "notes",
    "outcomes",
    "problem",
    "rapport_notes",
    "reason",
    "reasons",
    "root_causes",
    "strategy",
    "targets_reviewed",
    "to_improve",
    "verbatim",
];

/// Fields carrying a vendor's payload as received.
const PAYLOAD: &[&str] = &["body", "body_base64"];

/// The longest string `key` may hold; `None` for a payload.
fn max_chars(key: &str) -> Option<usize> {
    if PAYLOAD.contains(&key) {
        None
    } else if FREE_TEXT.contains(&key) {
        Some(MAX_TEXT_CHARS)
    } else {
        Some(MAX_NAME_CHARS)
    }
}

/// Check `body` against the policy: 422 `invalid_field` naming the first
/// field that breaks it.
pub(super) fn check(is_time: &dyn Fn(&str) -> bool, body: &Value) -> Result<(), ApiError> {
    walk(is_time, body, "", &mut String::new())
}

fn refuse(path: &str, message: String) -> ApiError {
    let field = if path.is_empty() { "." } else { path };
    ApiError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        format!("{field}: {message}"),
    )
    .with_details(json!({ "field": field }))
}

fn walk(
    is_time: &dyn Fn(&str) -> bool,
    v: &Value,
    key: &str,
    path: &mut String,
) -> Result<(), ApiError> {
    match v {
        Value::Object(obj) => walk_object(is_time, obj, path),
        Value::Array(items) => {
            let len = path.len();
            for (i, item) in items.iter().enumerate() {
                path.push_str(&format!("[{i}]"));
                walk(is_time, item, key, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::String(s) => {
            if is_time(key)
                && let Some(ms) = parse_time(s)
            {
                return check_time(path, ms);
            }
            match max_chars(key) {
                Some(max) if s.len() > max && s.chars().count() > max => Err(refuse(
                    path,
                    format!(
                        "is {} characters long, above the limit of {max}",
                        s.chars().count()
                    ),
                )),
                _ => Ok(()),
            }
        }
        Value::Number(n) => {
            if is_time(key)
                && let Some(ms) = n.as_i64()
            {
                return check_time(path, ms);
            }
            let x = n.as_f64().unwrap_or(f64::INFINITY);
            if x.is_finite() && x.abs() <= MAX_NUMBER {
                Ok(())
            } else {
                Err(refuse(
                    path,
                    format!("{n} is outside the range this API accepts (±{MAX_NUMBER:e})"),
                ))
            }
        }
        Value::Bool(_) | Value::Null => Ok(()),
    }
}

fn walk_object(
    is_time: &dyn Fn(&str) -> bool,
    obj: &Map<String, Value>,
    path: &mut String,
) -> Result<(), ApiError> {
    let len = path.len();
    for (k, child) in obj {
        if k.chars().count() > MAX_NAME_CHARS {
            return Err(refuse(
                path,
                format!(
                    "has a key {} characters long, above the limit of {MAX_NAME_CHARS}",
                    k.chars().count()
                ),
            ));
        }
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(k);
        walk(is_time, child, k, path)?;
        path.truncate(len);
    }
    Ok(())
}

fn check_time(path: &str, ms: i64) -> Result<(), ApiError> {
    crate::model::Invalid::time(path, ms).map_err(|e| refuse(path, e.message))
}

/// Write the policy into the document: `maxLength` on every string
/// property (and string list item), `minimum`/`maximum` on every number,
/// and the time range on the time schema.
pub(super) fn document(doc: &mut Value, time_ref: &str) {
    if let Some(Value::Object(time)) = doc.pointer_mut(&format!(
        "/components/schemas/{}",
        time_ref.trim_start_matches("#/components/schemas/")
    )) && let Some(Value::Array(forms)) = time.get_mut("oneOf")
    {
        for form in forms.iter_mut().filter_map(Value::as_object_mut) {
            if form.get("type").and_then(Value::as_str) == Some("integer") {
                form.insert("minimum".into(), json!(0));
                form.insert("maximum".into(), json!(MAX_TIME_MS));
            }
        }
    }
    fn bound(name: &str, schema: &mut Value) {
        let Some(obj) = schema.as_object_mut() else {
            return;
        };
        let has = |t: &str| match obj.get("type") {
            Some(Value::String(s)) => s == t,
            Some(Value::Array(a)) => a.iter().any(|x| x == t),
            _ => false,
        };
        if has("string") && !obj.contains_key("maxLength") {
            if let Some(max) = max_chars(name) {
                obj.insert("maxLength".into(), json!(max));
            }
        } else if has("number") || has("integer") {
            obj.entry("minimum").or_insert(json!(-MAX_NUMBER));
            obj.entry("maximum").or_insert(json!(MAX_NUMBER));
        } else if has("array")
            && let Some(items) = obj.get_mut("items")
        {
            bound(name, items);
        }
    }
    visit_props(doc, &mut |props| {
        for (name, schema) in props.iter_mut() {
            if schema.get("readOnly") == Some(&Value::Bool(true)) {
                continue;
            }
            bound(name, schema);
        }
    });
}

fn visit_props(v: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(obj) => {
            if let Some(Value::Object(props)) = obj.get_mut("properties") {
                f(props);
            }
            for child in obj.values_mut() {
                visit_props(child, f);
            }
        }
        Value::Array(items) => {
            for child in items {
                visit_props(child, f);
            }
        }
        _ => {}
    }
}
