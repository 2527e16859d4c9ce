//! The API's request parsing under hostile input: every route of the
//! OpenAPI document is sent bodies, path ids and query values built from
//! its own schema with the wrong types, out-of-range numbers, odd text,
//! unknown fields and malformed JSON. Whatever arrives, the answer must be
//! a JSON answer below 500 (a plugin's own failure, 502/504, only on the
//! routes that run one) and nothing may panic.
//!
//! `SIDECOACH_API_FUZZ_ROUNDS` sets the rounds over every route (default 20)
//! and `SIDECOACH_API_FUZZ_SEED` the seed (printed on failure).

use std::panic::AssertUnwindSafe;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::FutureExt;
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::tests::{TOKEN, app};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Text that has broken parsers before.
const TEXTS: &[&str] = &[
    "",
    " ",
    "x",
    "💥\u{200b}é",
    "\u{0}",
    "-1",
    "NaN",
    "1e309",
    "null",
    "true",
    "2026-12-07T09:00:00Z",
    "2026-02-30T09:00:00Z",
    "9999-12-31T23:59:59Z",
    "01NOSUCHRECORD000000000000",
    "../../etc/passwd",
    "%00%ff",
    "a,b;c=d&e",
    "<script>alert(1)</script>",
    "genesys:u-1",
];

/// Numbers at and past the edges.
const NUMBERS: &[f64] = &[
    0.0,
    -1.0,
    1.5,
    -0.0,
    1e308,
    -1e308,
    2147483648.0,
    9007199254740993.0,
    1.8446744073709552e19,
    253402300800000.0,
    -62135596800001.0,
];

fn any_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 2 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 1),
        2 => json!(*rng.pick(NUMBERS)),
        3 => json!(rng.next() as i64),
        4 => {
            if rng.below(8) == 0 {
                Value::String("x".repeat(70_000))
            } else {
                Value::String((*rng.pick(TEXTS)).to_string())
            }
        }
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| any_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut m = Map::new();
            for _ in 0..rng.below(4) {
                m.insert((*rng.pick(TEXTS)).to_string(), any_value(rng, depth + 1));
            }
            Value::Object(m)
        }
    }
}

/// The schema `s` points at (one `$ref` followed).
fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| doc["components"]["schemas"].get(name))
            .unwrap_or(s),
        None => s,
    }
}

/// A value for a field of `schema`: usually of the wrong shape, sometimes
/// a fitting one built from the schema itself.
fn for_schema(rng: &mut Rng, doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    // Mostly fitting at the top (so requests reach past the parsers into
    // the services), mostly wrong further down.
    if depth < 3 && rng.below(4) < 3 - depth.min(2) {
        // `Option<T>` fields are `oneOf [null, T]` or `allOf [T]`.
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(options) = schema[key].as_array() {
                let options: Vec<&Value> = options.iter().filter(|o| o["type"] != "null").collect();
                if !options.is_empty() {
                    let chosen = *rng.pick(&options);
                    return for_schema(rng, doc, chosen, depth);
                }
            }
        }
        match schema["type"].as_str() {
            Some("string") if schema.get("enum").is_none() => {
                return Value::String(
                    ["Ana", "u-1", "2026-12-07T09:00:00Z", "voice", "note"][rng.below(5)].into(),
                );
            }
            Some("integer") => return json!(rng.below(6) as i64),
            Some("number") => return json!(rng.below(6) as f64 / 2.0),
            Some("boolean") => return Value::Bool(rng.below(2) == 1),
            _ => {}
        }
        if let Some(props) = schema["properties"].as_object() {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut m = Map::new();
            for (name, field) in props {
                let keep = if required.contains(&name.as_str()) {
                    8
                } else {
                    3
                };
                if rng.below(10) < keep {
                    m.insert(name.clone(), for_schema(rng, doc, field, depth + 1));
                }
            }
            if rng.below(4) == 0 {
                m.insert("no_such_field".into(), any_value(rng, depth));
            }
            return Value::Object(m);
        }
        if let Some(items) = schema.get("items") {
            return Value::Array(
                (0..rng.below(3))
                    .map(|_| for_schema(rng, doc, items, depth + 1))
                    .collect(),
            );
        }
        if let Some(options) = schema["enum"].as_array().filter(|o| !o.is_empty()) {
            return rng.pick(options).clone();
        }
    }
    any_value(rng, depth)
}

/// A URL-safe rendering of `text`.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One request to `path` (templated) by `method`, built from `op`.
fn build(rng: &mut Rng, doc: &Value, method: &str, path: &str, op: &Value) -> (String, Vec<u8>) {
    let mut uri = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        uri.push('/');
        if part.starts_with('{') {
            let id: &str = rng.pick::<&str>(TEXTS);
            uri.push_str(&encoded(id));
            if uri.ends_with('/') {
                uri.push('x');
            }
        } else {
            uri.push_str(part);
        }
    }
    let params: Vec<&Value> = op["parameters"]
        .as_array()
        .map(|p| p.iter().filter(|p| p["in"] == "query").collect())
        .unwrap_or_default();
    let mut query = Vec::new();
    for p in params {
        if rng.below(2) == 0 {
            let value = match for_schema(rng, doc, &p["schema"], 2) {
                Value::String(s) => s,
                other => other.to_string(),
            };
            // A URI has a length limit of its own (the `http` crate's).
            let value: String = value.chars().take(1000).collect();
            query.push(format!(
                "{}={}",
                p["name"].as_str().unwrap_or("x"),
                encoded(&value)
            ));
        }
    }
    if rng.below(6) == 0 {
        query.push("no_such_parameter=1".into());
    }
    if !query.is_empty() {
        uri = format!("{uri}?{}", query.join("&"));
    }
    let body = if method == "get" || method == "delete" {
        Vec::new()
    } else {
        match rng.below(10) {
            0 => b"{\"unterminated\": ".to_vec(),
            1 => Vec::new(),
            2 => any_value(rng, 0).to_string().into_bytes(),
            _ => {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                for_schema(rng, doc, schema, 0).to_string().into_bytes()
            }
        }
    };
    (uri, body)
}

#[tokio::test]
async fn no_route_answers_a_5xx_or_panics_on_malformed_input() {
    let rounds: usize = std::env::var("SIDECOACH_API_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("SIDECOACH_API_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x05ee_da11);
    let (r, _dir) = app().await;
    let doc = serde_json::to_value(super::openapi()).unwrap();
    let mut routes: Vec<(String, String, Value)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        // The live stream never ends; the probes and metrics take no input.
        if path == "/v1/stream" || !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in ops.as_object().unwrap() {
            routes.push((method.clone(), path.clone(), op.clone()));
        }
    }
    assert!(routes.len() > 80, "{} routes", routes.len());
    let mut rng = Rng(seed);
    let mut sent = 0;
    let mut statuses: std::collections::BTreeMap<u16, usize> = Default::default();
    let mut failures = Vec::new();
    for _ in 0..rounds {
        for (method, path, op) in &routes {
            let (uri, body) = build(&mut rng, &doc, method, path, op);
            let req = Request::builder()
                .method(method.to_ascii_uppercase().as_str())
                .uri(&uri)
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            let answer = AssertUnwindSafe(async {
                let resp = tokio::time::timeout(
                    std::time::Duration::from_secs(30),
                    r.clone().oneshot(req),
                )
                .await
                .map_err(|_| "no answer within 30 s".to_string())?
                .unwrap();
                let status = resp.status();
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                Ok::<_, String>((status, bytes))
            })
            .catch_unwind()
            .await;
            sent += 1;
            let runs_a_plugin = path.contains("/invoke") || path.starts_with("/v1/ingest/");
            let problem = match answer {
                Err(_) => Some("panicked".to_string()),
                Ok(Err(e)) => Some(e),
                Ok(Ok((status, bytes))) => {
                    *statuses.entry(status.as_u16()).or_default() += 1;
                    let plugin_failure = runs_a_plugin
                        && [StatusCode::BAD_GATEWAY, StatusCode::GATEWAY_TIMEOUT].contains(&status);
                    let json = serde_json::from_slice::<Value>(&bytes).is_ok();
                    if status.is_server_error() && !plugin_failure {
                        Some(format!("{status}: {}", String::from_utf8_lossy(&bytes)))
                    } else if !json && status != StatusCode::NO_CONTENT {
                        Some(format!(
                            "{status}, not JSON: {}",
                            String::from_utf8_lossy(&bytes)
                        ))
                    } else {
                        None
                    }
                }
            };
            if let Some(p) = problem {
                failures.push(format!("{} {uri} {shown:?}: {p}", method.to_uppercase()));
            }
        }
    }
    println!("{sent} requests, answers by status: {statuses:?}");
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {sent} requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The inputs reach past the parsers: some are taken as they are.
    let accepted: usize = statuses
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();
    assert!(accepted > 0, "nothing was accepted: {statuses:?}");
}
