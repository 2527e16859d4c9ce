//! The API's one shape for times and names, applied in one place for every
//! `/v1` route: handlers return model types and never format either.
//!
//! **Times.** Inside the host a time is epoch milliseconds
//! ([`crate::model::TimestampMs`]). Every time in a `/v1` answer keeps that
//! field as it is and gets an RFC 3339 sibling in UTC: `X_iso` beside `X`
//! (`created_at` → `created_at_iso`; a name ending in `_ms` drops it,
//! `installed_at_ms` → `installed_at_iso`). Requests take every time either
//! way, in JSON bodies and in query parameters: epoch ms, or RFC 3339 / ISO
//! 8601 with `Z` or an offset; a time that is neither is refused with the
//! field named and both forms shown.
//!
//! **Names.** Beside every id of a person or a team in a `/v1` answer, the
//! name it has now, looked up when answering (names are never copied into
//! stored records): `agent_name` beside `agent_id`, `team_name` beside
//! `team_id`, likewise `coach_`, `mentor_`, `protege_`, `supervisor_`,
//! `owner_` and `observer_name`, and `observer_names` / `focus_names`
//! beside the lists `observers` / `focus`. A person id may be an agent's or
//! a staff person's; one naming nobody gets `null`.
//!
//! **Round trips.** A record read from the API can be written back as it
//! was read: a request's `X_iso` beside `X` must agree with it and is then
//! dropped (alone, it stands for `X`), and a `*_name` beside its id is
//! dropped.
//!
//! **Which fields are times** is derived from the model, not listed here:
//! every field typed `TimestampMs` is a `$ref` in the OpenAPI document
//! (utoipa names the alias after `i64`; [`document`] renames it
//! `TimestampMs`), and those fields' names are the *time names*. An integer
//! field or query parameter with a time name is a time wherever it appears
//! (the scheduling types spell theirs `i64`), so the document, the answers
//! and the requests all follow the same rule. The tests below hold the
//! rule sound: every time name looks like a time, every integer that looks
//! like a time has a time name, and every time field of every schema in
//! the document gets its sibling.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState};
use crate::clock::{iso8601, parse_time};

/// Where the time schema lives in the document.
const TIME_REF: &str = "#/components/schemas/TimestampMs";
/// The name utoipa gives the `TimestampMs` alias (it is `i64`).
const ALIAS_REF: &str = "#/components/schemas/i64";

/// Fields holding a person's id (an agent's or a staff person's), with the
/// field their name goes in.
const PERSON_IDS: &[(&str, &str)] = &[
    ("agent_id", "agent_name"),
    ("coach_id", "coach_name"),
    ("mentor_id", "mentor_name"),
    ("protege_id", "protege_name"),
    ("supervisor_id", "supervisor_name"),
    ("owner_id", "owner_name"),
    ("observer_id", "observer_name"),
];
/// Fields holding a team's id, with the field its name goes in.
const TEAM_IDS: &[(&str, &str)] = &[("team_id", "team_name")];
/// Fields holding a list of people's ids, with the list of their names.
const PERSON_ID_LISTS: &[(&str, &str)] =
    &[("observers", "observer_names"), ("focus", "focus_names")];

/// An example of each accepted form, for error messages.
const BOTH_FORMS: &str = "give epoch milliseconds (1796634000000) or RFC 3339 / ISO 8601 with a \
                          zone (\"2026-12-07T09:00:00Z\", \"2026-12-07T10:00:00+01:00\")";

/// The name of the RFC 3339 sibling of time field `field`.
pub fn iso_sibling(field: &str) -> String {
    format!("{}_iso", field.strip_suffix("_ms").unwrap_or(field))
}

/// The time names, derived once from the OpenAPI document.
pub(super) struct Shape {
    times: BTreeSet<String>,
}

/// The shape of this build's API.
pub(super) fn shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(|| {
        let doc = super::openapi();
        Shape {
            times: time_names(&doc, TIME_REF),
        }
    })
}

// ---- the document -------------------------------------------------------------

/// Every property name whose schema is (or may be) a `$ref` to `time_ref`,
/// in any schema of the document, inline ones included.
fn time_names(doc: &Value, time_ref: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    visit(doc, &mut |obj| {
        if let Some(Value::Object(props)) = obj.get("properties") {
            for (name, schema) in props {
                if refers_to(schema, time_ref) {
                    names.insert(name.clone());
                }
            }
        }
    });
    names
}

/// Whether `schema` is `time_ref`, directly or as a branch of a `oneOf`
/// (an optional field).
fn refers_to(schema: &Value, time_ref: &str) -> bool {
    schema.get("$ref").and_then(Value::as_str) == Some(time_ref)
        || schema
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(|b| refers_to(b, time_ref)))
}

/// Whether `schema` is an integer, directly or as a branch of a `oneOf`.
fn is_integer(schema: &Value) -> bool {
    let integer =
        |t: &Value| t == "integer" || t.as_array().is_some_and(|a| a.contains(&json!("integer")));
    schema.get("type").is_some_and(integer)
        || schema
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|branches| branches.iter().any(is_integer))
}

/// Call `f` on every object in `v`, depth first, parents before children.
fn visit(v: &Value, f: &mut impl FnMut(&Map<String, Value>)) {
    match v {
        Value::Object(obj) => {
            f(obj);
            for child in obj.values() {
                visit(child, f);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| visit(i, f)),
        _ => {}
    }
}

/// Call `f` on every object in `v`, children first.
fn visit_mut(v: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(obj) => {
            for child in obj.values_mut() {
                visit_mut(child, f);
            }
            f(obj);
        }
        Value::Array(items) => items.iter_mut().for_each(|i| visit_mut(i, f)),
        _ => {}
    }
}

/// An integer schema (or the integer branches of a `oneOf`) as a reference
/// to the time schema, keeping its description.
fn as_time(schema: &mut Value) {
    if let Some(Value::Array(branches)) = schema.get_mut("oneOf") {
        branches
            .iter_mut()
            .filter(|b| is_integer(b))
            .for_each(as_time);
        return;
    }
    let mut time = json!({"$ref": TIME_REF});
    if let Some(d) = schema.get("description") {
        time["description"] = d.clone();
    }
    *schema = time;
}

/// The `TimestampMs` schema: what a time is in requests and answers.
fn time_schema() -> Value {
    json!({
        "description": "A time. Answers carry it as epoch milliseconds (UTC) with an RFC 3339 \
            sibling `<field>_iso` (`created_at` → `created_at_iso`; a name ending in `_ms` drops \
            it). Requests take epoch milliseconds or RFC 3339 / ISO 8601 with `Z` or an offset \
            (\"2026-12-07T09:00:00Z\", \"2026-12-07T10:00:00+01:00\"), in bodies and query \
            parameters alike.",
        "oneOf": [
            {"type": "integer", "format": "int64", "description": "epoch milliseconds"},
            {"type": "string", "format": "date-time", "description": "RFC 3339 / ISO 8601 with a zone (requests)"}
        ]
    })
}

/// The document with the API's shape written in: the `TimestampMs` schema
/// in place of utoipa's `i64`, every time field (and time query parameter)
/// referring to it, and each time's `_iso` sibling and each id's `_name`
/// sibling declared (read-only: answers carry them, requests may leave
/// them out).
pub(super) fn document(doc: utoipa::openapi::OpenApi) -> Value {
    let mut v = serde_json::to_value(&doc).expect("the document serialises");
    let times = time_names(&v, ALIAS_REF);
    if let Some(Value::Object(schemas)) = v.pointer_mut("/components/schemas") {
        schemas.remove("i64");
        schemas.insert("TimestampMs".into(), time_schema());
    }
    visit_mut(&mut v, &mut |obj| {
        if obj.get("$ref").and_then(Value::as_str) == Some(ALIAS_REF) {
            obj.insert("$ref".into(), json!(TIME_REF));
        }
        // A query parameter with a time name.
        if obj.get("in").and_then(Value::as_str) == Some("query")
            && let Some(name) = obj.get("name").and_then(Value::as_str)
            && times.contains(name)
            && obj.get("schema").is_some_and(is_integer)
        {
            obj.insert("schema".into(), json!({"$ref": TIME_REF}));
        }
        let Some(Value::Object(props)) = obj.get_mut("properties") else {
            return;
        };
        let mut added = Vec::new();
        for (name, schema) in props.iter_mut() {
            if times.contains(name) && (is_integer(schema) || refers_to(schema, TIME_REF)) {
                if !refers_to(schema, TIME_REF) {
                    as_time(schema);
                }
                added.push((
                    iso_sibling(name),
                    json!({"type": "string", "format": "date-time", "readOnly": true,
                           "description": format!("`{name}` as RFC 3339 in UTC (answers only)")}),
                ));
            }
            let single = PERSON_IDS.iter().chain(TEAM_IDS).find(|(id, _)| id == name);
            if let Some((_, sibling)) = single {
                let whose = if TEAM_IDS.iter().any(|(id, _)| id == name) {
                    "the team's"
                } else {
                    "the person's (agent or staff)"
                };
                added.push((
                    sibling.to_string(),
                    json!({"type": ["string", "null"], "readOnly": true,
                           "description": format!("{whose} name for `{name}`, looked up when answering; null when it names nobody (answers only)")}),
                ));
            }
            if let Some((_, sibling)) = PERSON_ID_LISTS.iter().find(|(id, _)| id == name) {
                added.push((
                    sibling.to_string(),
                    json!({"type": "array", "items": {"type": ["string", "null"]}, "readOnly": true,
                           "description": format!("the names of `{name}`, in order, looked up when answering (answers only)")}),
                ));
            }
        }
        for (name, schema) in added {
            props.entry(name).or_insert(schema);
        }
    });
    super::bounds::document(&mut v, TIME_REF);
    v
}

// ---- answers ------------------------------------------------------------------

/// The one layer every answer passes on its way out: an error axum itself
/// answered in plain text (a body too large, a wrong method) becomes a
/// JSON error with a code ([`super::error::json_rejections`]), and every
/// successful JSON answer under `/v1` is shaped (the live stream shapes its
/// events with [`present`] itself).
pub(super) async fn answers(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let shaped = req.uri().path().starts_with("/v1/");
    let resp = next.run(req).await;
    if resp.status().is_client_error() || resp.status().is_server_error() {
        return super::error::json_rejections(resp);
    }
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !shaped || !json || !resp.status().is_success() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "an answer's body could not be read");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server failed; see the host log",
            )
            .into_response();
        }
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    present(&s, &mut v);
    let out = serde_json::to_vec(&v).expect("a JSON value serialises");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(out))
}

/// Shape one answer: `_iso` beside every time, `_name` beside every id of
/// a person or team (looked up once per id).
pub fn present(s: &AppState, v: &mut Value) {
    let shape = shape();
    let mut people: BTreeMap<String, Value> = BTreeMap::new();
    let mut teams: BTreeMap<String, Value> = BTreeMap::new();
    let mut person = |id: &str| -> Value {
        people
            .entry(id.to_string())
            .or_insert_with(|| {
                let name = match s.records.people.agent(id) {
                    Ok(a) => Some(a.name),
                    Err(_) => s.records.people.staff_person(id).ok().map(|p| p.name),
                };
                name.map_or(Value::Null, Value::String)
            })
            .clone()
    };
    visit_mut(v, &mut |obj| {
        shape.add_times(obj);
        let mut added = Vec::new();
        for (id, sibling) in PERSON_IDS.iter().chain(TEAM_IDS) {
            let Some(Value::String(value)) = obj.get(*id) else {
                continue;
            };
            let name = if TEAM_IDS.iter().any(|(t, _)| t == id) {
                teams
                    .entry(value.clone())
                    .or_insert_with(|| {
                        s.records
                            .people
                            .team(value)
                            .map_or(Value::Null, |t| Value::String(t.name))
                    })
                    .clone()
            } else {
                person(value)
            };
            added.push((*sibling, name));
        }
        for (list, sibling) in PERSON_ID_LISTS {
            let Some(Value::Array(ids)) = obj.get(*list) else {
                continue;
            };
            let names = ids
                .iter()
                .map(|i| i.as_str().map_or(Value::Null, &mut person))
                .collect();
            added.push((*sibling, Value::Array(names)));
        }
        for (k, v) in added {
            obj.entry(k).or_insert(v);
        }
    });
}

impl Shape {
    /// Whether `name` is a time name.
    pub(super) fn is_time(&self, name: &str) -> bool {
        self.times.contains(name)
    }

    /// `X_iso` beside every integer time `X` of one object.
    fn add_times(&self, obj: &mut Map<String, Value>) {
        let added: Vec<(String, String)> = obj
            .iter()
            .filter(|(k, _)| self.is_time(k))
            .filter_map(|(k, v)| Some((iso_sibling(k), iso8601(v.as_i64()?)?)))
            .collect();
        for (k, iso) in added {
            obj.entry(k).or_insert(Value::String(iso));
        }
    }
}

// ---- requests -----------------------------------------------------------------

/// A JSON body as `T`, every time in it given as epoch ms or RFC 3339: 400
/// `invalid_json` when it is not JSON, else 400 `invalid_body` naming the
/// field that does not fit (`details.field`).
///
/// The body is read as sent first; only when `T` refuses it is it read
/// again as a value, with the answer's siblings taken off and each time
/// string `T` refused as a time converted, the field named by the refusal
/// (so a string field that happens to share a time's name is left alone).
pub(super) fn read_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let v = parse_json(body)?;
    super::bounds::check(&|k| shape().is_time(k), &v)?;
    from_value(v)
}

/// [`read_body`] without the [`super::bounds`] policy: a plugin's
/// invocation input, which the sandbox's own input limit bounds.
pub(super) fn read_unbounded<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    from_value(parse_json(body)?)
}

/// The body as JSON (parsed once: the bounds check, the reading and any
/// time conversion all work on this value): 400 `invalid_json` otherwise.
fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("request body: {e}")))
}

/// `v` as `T`: as sent first, then with the answer's siblings taken off and
/// each time string `T` refused converted (see [`read_body`]).
fn from_value<T: DeserializeOwned>(mut v: Value) -> Result<T, ApiError> {
    if let Ok(t) = serde_path_to_error::deserialize::<_, T>(&v) {
        return Ok(t);
    }
    let shape = shape();
    shape.take_siblings(&mut v)?;
    // Each round converts at least one string, so this ends.
    loop {
        let e = match serde_path_to_error::deserialize::<_, T>(&v) {
            Ok(t) => return Ok(t),
            Err(e) => e,
        };
        let path: Vec<Step> = e.path().iter().filter_map(Step::of).collect();
        let field = e.path().to_string();
        let refused_time = match path.last() {
            Some(Step::Key(k)) if shape.is_time(k) => {
                at(&v, &path).and_then(Value::as_str).map(str::to_string)
            }
            _ => None,
        };
        let Some(text) = refused_time else {
            return Err(body_error(&field, &e.into_inner().to_string()));
        };
        if parse_time(&text).is_none() {
            return Err(body_error(
                &field,
                &format!("{text:?} is not a time: {BOTH_FORMS}"),
            ));
        }
        // This field in every element of the arrays on the way, at once.
        convert_times(&mut v, &path);
    }
}

fn body_error(field: &str, message: &str) -> ApiError {
    if field == "." {
        return ApiError::bad_request("invalid_body", format!("request body: {message}"));
    }
    ApiError::bad_request(
        "invalid_body",
        format!("request body: `{field}`: {message}"),
    )
    .with_details(json!({ "field": field }))
}

/// One step of a path into a JSON value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

impl Step {
    fn of(s: &serde_path_to_error::Segment) -> Option<Step> {
        use serde_path_to_error::Segment;
        match s {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        }
    }
}

fn at<'v>(v: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, step| match step {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
    })
}

/// Convert the time strings at `path` to epoch ms, with every array index
/// on the way taken as "each element": a forecast of 2,000 intervals with
/// ISO `starts_at` is converted in one round, not 2,000.
fn convert_times(v: &mut Value, path: &[Step]) {
    match path.split_first() {
        None => {
            if let Some(ms) = v.as_str().and_then(parse_time) {
                *v = json!(ms);
            }
        }
        Some((Step::Key(k), rest)) => {
            if let Some(child) = v.get_mut(k) {
                convert_times(child, rest);
            }
        }
        Some((Step::Index(_), rest)) => {
            if let Value::Array(items) = v {
                items.iter_mut().for_each(|i| convert_times(i, rest));
            }
        }
    }
}

impl Shape {
    /// Take off what answers add, so a record read can be written back:
    /// `X_iso` beside `X` (it must name the same instant), `*_name` beside
    /// its id. `X_iso` alone is read as `X`.
    fn take_siblings(&self, v: &mut Value) -> Result<(), ApiError> {
        let mut failure = None;
        visit_mut(v, &mut |obj| {
            for time in self.times.iter() {
                let sibling = iso_sibling(time);
                let Some(iso) = obj.remove(&sibling) else {
                    continue;
                };
                match obj.get(time) {
                    None => {
                        obj.insert(time.clone(), iso);
                    }
                    Some(given) => {
                        let instant =
                            |v: &Value| v.as_i64().or_else(|| v.as_str().and_then(parse_time));
                        if instant(given) != instant(&iso) {
                            failure.get_or_insert_with(|| {
                                ApiError::bad_request(
                                    "invalid_body",
                                    format!("request body: `{sibling}` {iso} is not the time `{time}` {given} names: send one of them"),
                                )
                                .with_details(json!({ "field": sibling }))
                            });
                        }
                    }
                }
            }
            for (id, sibling) in PERSON_IDS.iter().chain(TEAM_IDS).chain(PERSON_ID_LISTS) {
                if obj.contains_key(*id) {
                    obj.remove(*sibling);
                }
            }
        });
        failure.map_or(Ok(()), Err)
    }

    /// A query string with every time parameter given as RFC 3339 turned
    /// into epoch ms; 400 `invalid_query` naming a parameter that is
    /// neither.
    pub(super) fn query<'q>(&self, query: &'q str) -> Result<std::borrow::Cow<'q, str>, ApiError> {
        let Ok(mut pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) else {
            // Left to the caller's parse, which names what is wrong.
            return Ok(query.into());
        };
        let mut changed = false;
        for (k, v) in pairs.iter_mut() {
            if !self.is_time(k) || v.trim().parse::<i64>().is_ok() {
                continue;
            }
            let Some(ms) = parse_time(v).or_else(|| parse_time(&unescaped_offset(v))) else {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("query parameter `{k}`: {v:?} is not a time: {BOTH_FORMS}"),
                )
                .with_details(json!({ "field": k })));
            };
            *v = ms.to_string();
            changed = true;
        }
        if !changed {
            return Ok(query.into());
        }
        Ok(serde_urlencoded::to_string(&pairs)
            .expect("pairs of strings encode")
            .into())
    }
}

/// A time whose offset's `+` was left unencoded in a query string, and so
/// read as a space (`…T10:00:00 01:00`), with the `+` put back.
fn unescaped_offset(v: &str) -> String {
    match v.rsplit_once(' ') {
        Some((time, offset)) if offset.len() == 5 && offset.as_bytes()[2] == b':' => {
            format!("{time}+{offset}")
        }
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object schema of the document, inline ones included, with
    /// where it is.
    fn schemas(doc: &Value) -> Vec<(String, Map<String, Value>)> {
        fn walk(v: &Value, at: String, out: &mut Vec<(String, Map<String, Value>)>) {
            match v {
                Value::Object(obj) => {
                    if let Some(Value::Object(props)) = obj.get("properties") {
                        out.push((at.clone(), props.clone()));
                    }
                    for (k, child) in obj {
                        walk(child, format!("{at}/{k}"), out);
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        walk(child, format!("{at}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk(doc, String::new(), &mut out);
        out
    }

    /// A name that reads as a point in time.
    fn looks_like_a_time(name: &str) -> bool {
        let name = name.strip_suffix("_ms").unwrap_or(name);
        name == "at"
            || name.ends_with("_at")
            || name.ends_with("_by")
            || name.ends_with("_start")
            || name.ends_with("_end")
            || [
                "due", "since", "until", "from", "to", "start", "end", "before", "after",
            ]
            .contains(&name)
    }

    fn doc() -> Value {
        super::super::openapi()
    }

    #[test]
    fn every_time_field_of_every_schema_in_the_document_gets_its_iso_sibling() {
        let doc = doc();
        let shape = shape();
        for expected in [
            "created_at",
            "scheduled_at",
            "due",
            "raised_at",
            "coach_by",
            "from",
        ] {
            assert!(shape.is_time(expected), "{expected} is a time");
        }
        let mut seen = 0;
        for (at, props) in schemas(&doc) {
            for (name, schema) in &props {
                if !refers_to(schema, TIME_REF) {
                    continue;
                }
                seen += 1;
                assert!(shape.is_time(name), "{at}: {name} is a time field");
                let sibling = iso_sibling(name);
                assert_eq!(
                    props.get(&sibling).and_then(|s| s.get("format")),
                    Some(&json!("date-time")),
                    "{at}: {name} has its sibling {sibling} documented"
                );
                let mut answer = Map::new();
                answer.insert(name.clone(), json!(1_796_634_000_000_i64));
                shape.add_times(&mut answer);
                assert_eq!(
                    answer.get(&sibling),
                    Some(&json!("2026-12-07T09:00:00Z")),
                    "{at}: {name}"
                );
            }
        }
        assert!(seen > 50, "only {seen} time fields found");
    }

    #[test]
    fn time_names_look_like_times_and_every_integer_that_looks_like_one_is_a_time() {
        let doc = doc();
        let shape = shape();
        for name in &shape.times {
            assert!(
                looks_like_a_time(name),
                "{name} is typed TimestampMs but does not read as a time"
            );
        }
        for (at, props) in schemas(&doc) {
            for (name, schema) in &props {
                assert!(
                    !(is_integer(schema) && looks_like_a_time(name)),
                    "{at}: the integer {name} reads as a time: type it `TimestampMs`"
                );
                // Answers get `_iso` siblings by name: an integer that is
                // not a time must not share a time's name (a count called
                // `due` would be answered as a date).
                assert!(
                    !(is_integer(schema) && shape.is_time(name)),
                    "{at}: the integer {name} shares its name with a time: rename it"
                );
            }
        }
        // Query parameters too: a time parameter refers to the time schema.
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap();
                    if p["in"] == "query" && (shape.is_time(name) || looks_like_a_time(name)) {
                        assert!(
                            refers_to(&p["schema"], TIME_REF),
                            "{method} {path}: query parameter {name} is a time"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ids_of_people_and_teams_have_their_names_documented_beside_them() {
        let doc = doc();
        let mut seen = BTreeSet::new();
        for (at, props) in schemas(&doc) {
            for (id, sibling) in PERSON_IDS.iter().chain(TEAM_IDS).chain(PERSON_ID_LISTS) {
                if props.contains_key(*id) {
                    seen.insert(*id);
                    assert!(props.contains_key(*sibling), "{at}: {id} without {sibling}");
                }
            }
        }
        for id in [
            "agent_id",
            "team_id",
            "coach_id",
            "mentor_id",
            "protege_id",
            "observers",
        ] {
            assert!(seen.contains(id), "no schema has {id}");
        }
    }

    #[test]
    fn the_document_has_one_time_schema_and_no_reference_left_to_the_alias() {
        let doc = doc();
        assert!(doc["components"]["schemas"].get("i64").is_none());
        assert_eq!(
            doc["components"]["schemas"]["TimestampMs"]["oneOf"][1]["format"],
            "date-time"
        );
        assert!(!doc.to_string().contains(ALIAS_REF));
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        due: i64,
        owner_id: String,
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        from: String,
        scheduled_at: i64,
        #[serde(default)]
        follow_up_at: Option<i64>,
        items: Vec<Item>,
    }

    #[test]
    fn a_body_takes_each_time_as_epoch_ms_or_rfc_3339_and_leaves_other_strings_alone() {
        let body = br#"{"from": "2026-12-07T09:00:00Z", "scheduled_at": "2026-12-07T10:00:00+01:00",
            "follow_up_at": 1796634000001,
            "items": [{"due": "2026-12-07T09:00:00.5Z", "owner_id": "a"}, {"due": 7, "owner_id": "b"},
                      {"due": "2026-12-08T09:00:00Z", "owner_id": "c", "owner_name": "Cy", "due_iso": "2026-12-08T09:00:00Z"}]}"#;
        let b: Body = read_body(body).unwrap();
        assert_eq!(
            b.from, "2026-12-07T09:00:00Z",
            "a string field is not a time"
        );
        assert_eq!(b.scheduled_at, 1_796_634_000_000);
        assert_eq!(b.follow_up_at, Some(1_796_634_000_001));
        assert_eq!(b.items[0].due, 1_796_634_000_500);
        assert_eq!(b.items[1].due, 7);
        assert_eq!(b.items[2].due, 1_796_720_400_000);
    }

    #[test]
    fn a_bad_time_is_refused_with_its_field_and_both_forms() {
        let err = read_body::<Body>(
            br#"{"from": "x", "scheduled_at": 1, "items": [{"due": 1, "owner_id": "a"}, {"due": "next week", "owner_id": "b"}]}"#,
        )
        .unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.code, "invalid_body");
        assert!(err.message.contains("`items[1].due`"), "{}", err.message);
        assert!(
            err.message.contains("epoch milliseconds"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("2026-12-07T09:00:00Z"),
            "{}",
            err.message
        );
        assert_eq!(err.details.unwrap()["field"], "items[1].due");
        // A sibling that disagrees with its field is refused, by name.
        let err = read_body::<Body>(
            br#"{"from": "x", "scheduled_at": 1, "scheduled_at_iso": "2026-12-07T09:00:00Z", "items": []}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("scheduled_at_iso"), "{}", err.message);
        // Other fields keep serde's words, with the field named.
        let err = read_body::<Body>(
            br#"{"from": "x", "scheduled_at": 1, "items": [{"due": 1, "owner_id": 5}]}"#,
        )
        .unwrap_err();
        assert!(
            err.message.contains("`items[0].owner_id`"),
            "{}",
            err.message
        );
        assert_eq!(read_body::<Body>(b"{").unwrap_err().code, "invalid_json");
    }

    #[test]
    fn a_query_takes_each_time_as_epoch_ms_or_rfc_3339() {
        let shape = shape();
        assert_eq!(
            shape
                .query("agent=a&from=2026-12-07T10%3A00%3A00%2B01%3A00&to=5")
                .unwrap(),
            "agent=a&from=1796634000000&to=5"
        );
        assert_eq!(shape.query("from=5&agent=x").unwrap(), "from=5&agent=x");
        assert_eq!(
            shape.query("from=2026-12-07T10:00:00+01:00").unwrap(),
            "from=1796634000000",
            "an unencoded + is read as the offset's sign"
        );
        let err = shape.query("from=yesterday").unwrap_err();
        assert_eq!(err.code, "invalid_query");
        assert!(err.message.contains("`from`"), "{}", err.message);
        assert!(err.message.contains("RFC 3339"), "{}", err.message);
    }
}
