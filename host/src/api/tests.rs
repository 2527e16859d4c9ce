//! Router tests through `oneshot`: no socket, the real runtime and store.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::router;
use crate::App;
use crate::config::Config;

/// The admin token every router test's app starts with.
pub(super) const TOKEN: &str = "router-test-token";

/// A response body as text.
pub(super) async fn body_text(resp: axum::response::Response) -> String {
    String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap()
}

/// The router over a fresh app (temporary data directory, the shared
/// compile cache, admin token [`TOKEN`]).
pub(super) async fn app() -> (axum::Router, tempfile::TempDir) {
    app_with_cache(Some(shared_compile_cache())).await
}

/// The compile cache the router tests share, so each reference plugin is
/// compiled once per run rather than once per test (entries are keyed by
/// component and engine settings, and written by atomic rename).
fn shared_compile_cache() -> std::path::PathBuf {
    std::env::temp_dir().join("sidecoach-router-tests-compile-cache")
}

/// An app compiling into `cache` (`None`: the data directory's own).
async fn app_with_cache(cache: Option<std::path::PathBuf>) -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().join("data"),
        admin_token: Some(TOKEN.into()),
        ..Config::default()
    };
    config.runtime.cache_dir = cache;
    let app = App::open(config).await.expect("app opens");
    (router(app.services), dir)
}

async fn call(router: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let sse = resp
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if sse {
        // A live stream never ends: read its first event only.
        let frame = resp.into_body().frame().await.unwrap().unwrap();
        let text = String::from_utf8_lossy(frame.data_ref().unwrap()).into_owned();
        return (status, Value::String(text));
    }
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::empty()).unwrap()
}

fn post(path: &str, content_type: &str, body: &'static str) -> Request<Body> {
    Request::post(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn probes_are_open_and_v1_needs_a_token() {
    let (r, _dir) = app().await;
    assert_eq!(call(&r, get("/healthz", None)).await.0, StatusCode::OK);
    let (status, body) = call(&r, get("/readyz", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["plugins_loaded"],
        sidecoach_plugin_artifacts::reference::ALL.len(),
        "{body}"
    );
    let (status, body) = call(&r, get("/v1/plugins", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
    assert_eq!(
        call(&r, get("/v1/plugins", Some("wrong"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = call(&r, get("/v1/plugins", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<_> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "amazon-connect",
            "genesys-cloud",
            "json-adapter",
            "mapping",
            "nice-cxone",
            "qualtrics",
            "reference-flagger",
            "reference-matcher",
            "reference-scorer",
            "twilio",
            "zendesk"
        ]
    );
    assert!(
        body.as_array()
            .unwrap()
            .iter()
            .all(|p| p["state"] == "active" && p["builtin"] == true)
    );
}

#[tokio::test]
async fn bad_invocations_get_clear_4xx_errors() {
    let (r, _dir) = app().await;
    let (status, body) = call(
        &r,
        post("/v1/plugins/json-adapter/invoke", "text/plain", "{}"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );
    let (status, body) = call(
        &r,
        post(
            "/v1/plugins/json-adapter/invoke",
            "application/json",
            "{nope",
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
    let (status, body) = call(
        &r,
        post(
            "/v1/plugins/json-adapter/invoke",
            "application/json",
            r#"{"bdy":"x"}"#,
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("bdy"),
        "{body}"
    );
    let (status, body) = call(
        &r,
        post("/v1/plugins/nope/invoke", "application/json", "{}"),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("plugin_not_found"))
    );
    let (status, body) = call(
        &r,
        post("/v1/plugins/json-adapter/rollback", "application/json", ""),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("plugin_no_previous_version"))
    );
    let (status, _) = call(&r, get("/v1/nothing-here", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_count_calls_per_plugin() {
    let (r, _dir) = app_with_cache(None).await;
    let (status, body) = call(
        &r,
        post(
            "/v1/plugins/json-adapter/invoke",
            "application/json",
            r#"{"body":"[]"}"#,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp = r.clone().oneshot(get("/metrics", None)).await.unwrap();
    let text = body_text(resp).await;
    // Two: `describe()` at install, then the invocation.
    assert!(
        text.contains(r#"sidecoach_plugin_calls_total{plugin="json-adapter",outcome="ok"} 2"#),
        "{text}"
    );
    // Every embedded reference plugin was compiled once, fresh.
    let fresh = format!(
        r#"sidecoach_plugin_compilations_total{{source="fresh"}} {}"#,
        sidecoach_plugin_artifacts::reference::ALL.len()
    );
    assert!(text.contains(&fresh), "{fresh} in {text}");
}

/// An app plus one token per role (the agent token bound to a real agent).
async fn app_with_roles() -> (axum::Router, tempfile::TempDir, Vec<(Role, String)>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_toml(
        "[sources.walk]\nadapter = \"json-adapter\"\n[sources.walk-signed]\nadapter = \"json-adapter\"\nsigned = true\n",
    )
    .unwrap();
    config.data_dir = dir.path().join("data");
    config.admin_token = Some(TOKEN.into());
    config.runtime.cache_dir = Some(shared_compile_cache());
    let app = App::open(config).await.expect("app opens");
    let agent = app
        .services
        .records
        .people
        .create_agent(serde_json::from_value(serde_json::json!({"name": "Ana"})).unwrap())
        .await
        .unwrap();
    let mut tokens = vec![];
    for role in Role::ALL {
        let agent_id = (role == Role::Agent).then(|| agent.id.clone());
        let (token, _) = app
            .services
            .auth
            .create(crate::auth::NewToken {
                name: "t".into(),
                role: Some(role),
                agent_id,
                ..Default::default()
            })
            .await
            .unwrap();
        tokens.push((role, token));
    }
    (router(app.services), dir, tokens, agent.id)
}

fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

use crate::model::Role;

/// A request path for a route template: sample ids, a configured unsigned
/// source for ingest, and the query parameters a route requires.
fn sample_path(route: &super::RouteAccess) -> String {
    let path = route
        .path
        .replace("/v1/plugins/{id}", "/v1/plugins/json-adapter")
        .replace("{id}", "X")
        .replace("{name}", "S")
        .replace("{version}", "1")
        .replace("{n}", "0")
        .replace("{source}", "walk");
    match path.as_str() {
        "/v1/staffing" if route.method == axum::http::Method::GET => format!("{path}?queue=q"),
        "/v1/coaching/overdue" => format!("{path}?coach=c"),
        _ => path,
    }
}

#[tokio::test]
async fn every_route_refuses_a_missing_or_under_privileged_token() {
    let (r, _dir, tokens, _) = app_with_roles().await;
    let table = super::access_table();
    for route in table
        .iter()
        .filter(|r| !matches!(r.access, super::Access::Open))
    {
        let method = route.method.as_str();
        let path = sample_path(route);
        let allowed = route.access.roles();
        let (status, body) = call(
            &r,
            request(method, &path, None, "application/json", b"{}".to_vec()),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token: {body}"
        );
        assert_eq!(body["error"]["code"], "unauthenticated");
        for (role, token) in &tokens {
            let (status, body) = call(
                &r,
                request(
                    method,
                    &path,
                    Some(token),
                    "application/json",
                    b"{}".to_vec(),
                ),
            )
            .await;
            if allowed.contains(role) {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{method} {path} as {role} should be admitted: {status} {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {role}: {body}"
                );
                assert_eq!(body["error"]["code"], "forbidden");
            }
        }
    }
}

#[tokio::test]
async fn the_role_walk_covers_every_route_the_router_serves() {
    use std::collections::BTreeSet;
    let table = super::access_table();
    let walked: BTreeSet<(String, String)> = table
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(walked.len(), table.len(), "a route is declared twice");
    // The routes axum serves are the ones the document lists: every
    // operation of the OpenAPI document is in the walked table, and back.
    let doc = serde_json::to_value(super::openapi()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            documented.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    assert_eq!(walked, documented);
    // Ingest is walked (its token is optional only for signed sources).
    assert!(walked.contains(&("POST".into(), "/v1/ingest/{source}".into())));
    // Only probes and scrapers are open.
    let open: BTreeSet<&str> = table
        .iter()
        .filter(|r| matches!(r.access, super::Access::Open))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(open, BTreeSet::from(["/healthz", "/readyz", "/metrics"]));
    // Every route the router answers is in the table: a path template not
    // in it answers the JSON not-found of the fallback, not a handler.
    let (r, _dir, tokens, _) = app_with_roles().await;
    let admin = &tokens
        .iter()
        .find(|(role, _)| *role == Role::Admin)
        .unwrap()
        .1;
    for route in &table {
        let path = sample_path(route);
        let (status, body) = call(
            &r,
            request(
                route.method.as_str(),
                &path,
                Some(admin),
                "application/json",
                b"{}".to_vec(),
            ),
        )
        .await;
        assert!(
            !(status == StatusCode::NOT_FOUND && body["error"]["message"] == "no such route")
                && status != StatusCode::METHOD_NOT_ALLOWED,
            "{} {path} is in the table but not served: {status} {body}",
            route.method
        );
    }
}

#[tokio::test]
async fn a_signed_source_takes_deliveries_without_a_token_and_an_unsigned_one_does_not() {
    let (r, _dir, _, _) = app_with_roles().await;
    let (status, body) = call(
        &r,
        request(
            "POST",
            "/v1/ingest/walk-signed",
            None,
            "application/json",
            b"{}".to_vec(),
        ),
    )
    .await;
    assert!(
        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
        "{status} {body}"
    );
    let (status, body) = call(
        &r,
        request(
            "POST",
            "/v1/ingest/walk",
            None,
            "application/json",
            b"{}".to_vec(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Without a token an unknown source answers exactly like a known
    // unsigned one: source names cannot be enumerated.
    let (unknown_status, unknown) = call(
        &r,
        request(
            "POST",
            "/v1/ingest/nowhere",
            None,
            "application/json",
            b"{}".to_vec(),
        ),
    )
    .await;
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED, "{unknown}");
    assert_eq!(unknown["error"]["code"], body["error"]["code"]);
    let shape = |v: &Value| {
        v["error"]["message"]
            .as_str()
            .unwrap()
            .replace("\"nowhere\"", "\"walk\"")
    };
    assert_eq!(shape(&unknown), shape(&body));
    // With a token, the unknown name is a plain 404.
    let (status, body) = call(
        &r,
        request(
            "POST",
            "/v1/ingest/nowhere",
            Some(TOKEN),
            "application/json",
            b"{}".to_vec(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn the_live_stream_opens_with_a_ready_event_and_refuses_unknown_kinds() {
    let (r, _dir, _, _) = app_with_roles().await;
    let (status, first) = call(&r, get("/v1/stream?kinds=alert,feedback", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::OK);
    let first = first.as_str().unwrap();
    assert!(
        first.starts_with("event: ready\ndata: {\"seq\":"),
        "{first:?}"
    );
    let (status, body) = call(&r, get("/v1/stream?kinds=alerts", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("alerts"),
        "{body}"
    );
}

#[tokio::test]
async fn bad_input_gets_the_right_4xx_and_nothing_is_stored_twice() {
    let (r, _dir, _, agent) = app_with_roles().await;
    let good = format!(
        r#"{{"source":"s","external_id":"e-1","kind":"csat","value":2,"scale_min":1,"scale_max":5,"agent_id":"{agent}"}}"#
    );
    let post = |ct: &str, body: Vec<u8>| request("POST", "/v1/feedback", Some(TOKEN), ct, body);
    let big = vec![b' '; crate::config::DEFAULT_MAX_BODY_BYTES + 10];
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            post("application/json", b"{\"source\":".to_vec()),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "wrong content type",
            post("text/csv", good.clone().into_bytes()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversized body",
            post("application/json", big),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "invalid UTF-8",
            post("application/json", b"{\"source\":\"\xff\xfe\"}".to_vec()),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "unknown field",
            post(
                "application/json",
                good.replace("\"kind\"", "\"knd\"").into_bytes(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            "rating out of scale",
            post(
                "application/json",
                good.replace("\"value\":2", "\"value\":9").into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "unknown agent",
            post(
                "application/json",
                good.replace(&agent, "nobody").into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        // The bounds every body is held to (issue 15's held-out inputs).
        (
            "a scale of ±1e308",
            post(
                "application/json",
                good.replace("\"value\":2", "\"value\":1e308")
                    .replace("\"scale_min\":1", "\"scale_min\":-1e308")
                    .replace("\"scale_max\":5", "\"scale_max\":1e308")
                    .into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "a scale wider than any survey's",
            post(
                "application/json",
                good.replace("\"scale_max\":5", "\"scale_max\":1e9")
                    .into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "a 1 MB external id",
            post(
                "application/json",
                good.replace("e-1", &"e".repeat(1 << 20)).into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "a verbatim over 20,000 characters",
            post(
                "application/json",
                good.replace(
                    "\"kind\"",
                    &format!("\"verbatim\":\"{}\",\"kind\"", "é".repeat(20_001)),
                )
                .into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "a time before 1970",
            post(
                "application/json",
                good.replace("\"kind\"", "\"received_at\":-1,\"kind\"")
                    .into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "a time after year 9999",
            post(
                "application/json",
                good.replace("\"kind\"", "\"received_at\":253402300800000,\"kind\"")
                    .into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "a query on a route that takes none",
            request(
                "GET",
                &format!("/v1/agents/{agent}?expand=all"),
                Some(TOKEN),
                "application/json",
                vec![],
            ),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "reversed scale",
            post(
                "application/json",
                good.replace("\"scale_max\":5", "\"scale_max\":0")
                    .into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "bad query",
            request(
                "GET",
                "/v1/feedback?agnet=x",
                Some(TOKEN),
                "application/json",
                vec![],
            ),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "bad limit",
            request(
                "GET",
                "/v1/feedback?limit=0",
                Some(TOKEN),
                "application/json",
                vec![],
            ),
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "bad cursor",
            request(
                "GET",
                "/v1/feedback?cursor=zzz",
                Some(TOKEN),
                "application/json",
                vec![],
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "bad path type",
            request(
                "GET",
                "/v1/forms/x/versions/one",
                Some(TOKEN),
                "application/json",
                vec![],
            ),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "wrong method",
            request(
                "DELETE",
                "/v1/feedback",
                Some(TOKEN),
                "application/json",
                vec![],
            ),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (what, req, status, code) in cases {
        let (got, body) = call(&r, req).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (status, Some(code)),
            "{what}: {body}"
        );
    }
    // Refused naming the field: interaction times out of order or before
    // 1970, and form weights bounded like scales (1e308, 2^63, 2e6).
    let form = |weight: &str| {
        format!(
            r#"{{"id":"f-big","version":1,"name":"Big","sections":[{{"id":"s","name":"S","weight":1,"criteria":[{{"id":"c","label":"C","weight":{weight},"scale_min":0,"scale_max":1}}]}}],"settings":{{"weighting":"question","na_policy":"exclude","na_redistribution":"proportional","auto_fail":"zero-score","normalization":"min-max","pass_mark":80}}}}"#
        )
    };
    let weight = "sections[0].criteria[0].weight";
    let refused = [
        (
            "/v1/interactions",
            format!(
                r#"{{"source":"s","external_id":"c","channel":"voice","agent_id":"{agent}","started_at":20,"ended_at":10}}"#
            ),
            "ended_at",
        ),
        (
            "/v1/interactions",
            format!(
                r#"{{"source":"s","external_id":"c","channel":"voice","agent_id":"{agent}","started_at":-1}}"#
            ),
            "started_at",
        ),
        ("/v1/forms", form("1e308"), weight),
        ("/v1/forms", form("9223372036854775808"), weight),
        ("/v1/forms", form("2000000"), weight),
    ];
    for (path, body, field) in refused {
        let req = request(
            "POST",
            path,
            Some(TOKEN),
            "application/json",
            body.into_bytes(),
        );
        let (status, body) = call(&r, req).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["error"]["details"]["field"], field, "{path}: {body}");
    }

    // Nothing above was stored; the good record, delivered twice, once.
    let (_, list) = call(&r, get("/v1/feedback", Some(TOKEN))).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "{list}");
    let (s1, b1) = call(&r, post("application/json", good.clone().into_bytes())).await;
    let (s2, b2) = call(&r, post("application/json", good.clone().into_bytes())).await;
    assert_eq!(
        (s1, b1["outcome"].as_str()),
        (StatusCode::CREATED, Some("created")),
        "{b1}"
    );
    assert_eq!(
        (s2, b2["outcome"].as_str()),
        (StatusCode::OK, Some("unchanged")),
        "{b2}"
    );
    assert_eq!(b1["record"]["id"], b2["record"]["id"]);
    let (_, list) = call(&r, get("/v1/feedback", Some(TOKEN))).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn the_openapi_document_is_generated_from_every_route() {
    let (r, _dir) = app().await;
    let (status, doc) = call(&r, get("/openapi.json", None)).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    // Every authenticated route of the access table, with its method.
    let table = super::access_table();
    for route in table
        .iter()
        .filter(|r| matches!(r.access, super::Access::Roles(_)))
    {
        let (method, templated) = (route.method.as_str(), &route.path);
        let op = &paths
            .get(templated)
            .unwrap_or_else(|| panic!("{templated} missing from the OpenAPI document"))
            [method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {templated} missing");
        assert_eq!(
            op["security"][0]["bearer"],
            serde_json::json!([]),
            "{method} {templated} must declare bearer auth"
        );
    }
    for p in ["/healthz", "/readyz", "/metrics"] {
        assert!(paths.contains_key(p), "{p}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "Agent",
        "Interaction",
        "Evaluation",
        "Feedback",
        "Form",
        "ErrorBody",
        "PluginStatus",
        "AnswerValue",
    ] {
        assert!(
            schemas.contains_key(s),
            "schema {s} missing: {:?}",
            schemas.keys().collect::<Vec<_>>()
        );
    }
    // Types come from the Rust definitions: a required field and an enum.
    assert!(
        schemas["Feedback"]["required"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("scale_max"))
    );
    assert_eq!(
        schemas["RatingKind"]["enum"],
        serde_json::json!(["csat", "nps", "ces", "custom"])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// An evaluation as an older build could have stored it: scored, then
/// written with its score as `null` (what serde writes for NaN).
fn stored_evaluation(id: &str, external_id: &str, at: i64) -> crate::model::Evaluation {
    serde_json::from_value(serde_json::json!({
        "id": id, "source": "api", "external_id": external_id, "form_id": "f",
        "form_version": 1, "agent_id": "a1", "evaluated_at": at, "answers": [],
        "scorecard": {
            "evaluation_external_id": external_id, "score": 50.0, "outcome": "fail",
            "critical_score": null, "auto_failed": false, "sections": [],
            "plugin_id": "reference-scorer", "plugin_version": "1.0.0", "scored_at": at
        }
    }))
    .unwrap()
}

#[tokio::test]
async fn an_unreadable_record_never_fails_a_listing_and_an_admin_repairs_or_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let good = stored_evaluation("01GOOD", "e-good", 1_000);
    let bad = stored_evaluation("01BAD", "e-bad", 2_000);
    let worse = stored_evaluation("01WORSE", "e-worse", 3_000);
    {
        let store = crate::store::Store::open(&data).unwrap();
        for e in [&good, &bad, &worse] {
            store.evaluations.upsert(e.clone()).unwrap();
        }
        for e in [&bad, &worse] {
            let mut v = serde_json::to_value(e).unwrap();
            v["scorecard"]["score"] = Value::Null;
            store
                .evaluations
                .put_raw(&e.id, v.to_string().as_bytes())
                .unwrap();
        }
        store.flush().await.unwrap();
    }
    let mut config = Config {
        data_dir: data,
        admin_token: Some(TOKEN.into()),
        ..Config::default()
    };
    config.runtime.cache_dir = Some(shared_compile_cache());
    let r = router(App::open(config).await.expect("app opens").services);

    for path in ["/v1/evaluations", "/v1/evaluations?agent=a1"] {
        let (status, page) = call(&r, get(path, Some(TOKEN))).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{path}");
        assert_eq!(page["items"][0]["id"], "01GOOD");
        assert_eq!(page["unreadable"], serde_json::json!(["01BAD", "01WORSE"]));
    }
    let (status, listed) = call(&r, get("/v1/admin/unreadable", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::OK);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{listed}");
    assert_eq!(items[0]["kind"], "evaluations");
    assert!(
        items[0]["error"].as_str().unwrap().contains("null"),
        "{listed}"
    );

    // Repair one with a corrected record, remove the other.
    let mut fixed = serde_json::to_value(&bad).unwrap();
    fixed["scorecard"]["score"] = serde_json::json!(55.0);
    let put = |body: String| {
        Request::put("/v1/admin/unreadable/evaluations/01BAD")
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let mut wrong_id = fixed.clone();
    wrong_id["id"] = "01OTHER".into();
    let (status, body) = call(&r, put(wrong_id.to_string())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(&r, put(fixed.to_string())).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let delete = |id: &str| {
        Request::delete(format!("/v1/admin/unreadable/evaluations/{id}"))
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(call(&r, delete("01WORSE")).await.0, StatusCode::NO_CONTENT);
    // A readable record is never removed as an unreadable one.
    assert_eq!(call(&r, delete("01GOOD")).await.0, StatusCode::NOT_FOUND);

    let (_, page) = call(&r, get("/v1/evaluations", Some(TOKEN))).await;
    let ids: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["01GOOD", "01BAD"]);
    assert!(page.get("unreadable").is_none(), "{page}");
    assert_eq!(page["items"][1]["scorecard"]["score"], 55.0);
    let (_, listed) = call(&r, get("/v1/admin/unreadable", Some(TOKEN))).await;
    assert_eq!(listed["items"], serde_json::json!([]));
    let (_, audit) = call(&r, get("/v1/audit", Some(TOKEN))).await;
    let actions: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"record.repair_unreadable"), "{audit}");
    assert!(actions.contains(&"record.remove_unreadable"), "{audit}");
}

/// A center of two teams for the scope walk: Care (led by Sam, a staff
/// person) and Sales (led by Oli), each with one agent and one record of
/// every kind the API reads by id. Returns the router, Sam's token, and
/// `(template, inside id, outside id)` for every id a route reads.
async fn two_teams() -> (
    axum::Router,
    tempfile::TempDir,
    String,
    Vec<(&'static str, String, String)>,
) {
    use crate::model::{CoachingSession, Evaluation, Feedback, Interaction, Staff};
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_toml(
        "[[flags.rules]]\nid = \"low-csat\"\non = \"feedback\"\ncsat_at_most = 2\n",
    )
    .unwrap();
    config.data_dir = dir.path().join("data");
    config.admin_token = Some(TOKEN.into());
    config.runtime.cache_dir = Some(shared_compile_cache());
    let app = App::open(config).await.expect("app opens");
    let s = &app.services;
    let person = |name: &str| Staff {
        id: String::new(),
        name: name.into(),
        email: None,
        title: Some("supervisor".into()),
        created_at: 0,
    };
    let sam = s.records.people.create_staff(person("Sam")).await.unwrap();
    let oli = s.records.people.create_staff(person("Oli")).await.unwrap();
    let now = crate::clock::now_ms();
    let mut ids: Vec<Vec<String>> = vec![];
    for (lead, n) in [(&sam, 0), (&oli, 1)] {
        let team = s
            .records
            .people
            .create_team(
                serde_json::from_value(
                    serde_json::json!({"name": format!("T{n}"), "supervisor_id": lead.id}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let agent = s
            .records
            .people
            .create_agent(
                serde_json::from_value(
                    serde_json::json!({"name": format!("A{n}"), "team_id": team.id}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
        let interaction: Interaction = serde_json::from_value(serde_json::json!({
            "source": "t", "external_id": format!("i{n}"), "channel": "voice", "agent_id": agent.id,
            "started_at": now - 60_000, "topics": ["billing"]}))
        .unwrap();
        let interaction = s
            .pipeline
            .put_interaction(interaction, None)
            .await
            .unwrap()
            .1;
        if n == 0 {
            let form = serde_json::from_value(serde_json::json!({"id": "qa", "version": 1, "name": "QA", "sections": [{"id": "s", "name": "All", "weight": 1, "criteria": [
                {"id": "know", "label": "Knowledge", "weight": 1, "scale_min": 1, "scale_max": 5}]}],
                "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                             "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 70}})).unwrap();
            s.records.contacts.create_form(form).await.unwrap();
        }
        let evaluation: Evaluation = serde_json::from_value(serde_json::json!({
            "source": "qa", "external_id": format!("e{n}"), "form_id": "qa", "agent_id": agent.id,
            "evaluated_at": now - 60_000, "answers": [{"criterion_id": "know", "value": 4}]}))
        .unwrap();
        let evaluation = s.pipeline.put_evaluation(evaluation, None).await.unwrap().1;
        let feedback: Feedback = serde_json::from_value(serde_json::json!({
            "source": "survey", "external_id": format!("f{n}"), "kind": "csat", "value": 1,
            "scale_min": 1, "scale_max": 5, "agent_id": agent.id}))
        .unwrap();
        let feedback = s.pipeline.put_feedback(feedback, None).await.unwrap().1;
        let alert = s
            .records
            .coaching
            .alerts(crate::records::Filter::term(crate::records::Term::Agent(
                agent.id.clone(),
            )))
            .unwrap()
            .items
            .remove(0);
        let session: CoachingSession = serde_json::from_value(serde_json::json!({
            "kind": "one-to-one", "coach_id": lead.id, "agent_id": agent.id,
            "scheduled_at": now, "duration_minutes": 30}))
        .unwrap();
        let session = s.records.coaching.create_session(session).await.unwrap();
        ids.push(vec![
            team.id,
            agent.id,
            interaction.id,
            evaluation.id,
            feedback.id,
            alert.id,
            session.id,
        ]);
    }
    let (token, _) = s
        .auth
        .create(crate::auth::NewToken {
            name: "sam".into(),
            role: Some(Role::Supervisor),
            staff_id: Some(sam.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let pair = |k: usize| (ids[0][k].clone(), ids[1][k].clone());
    let mut samples = vec![];
    for (template, k) in [
        ("/v1/teams/{id}", 0),
        ("/v1/agents/{id}", 1),
        ("/v1/agents/{id}/needs", 1),
        ("/v1/agents/{id}/mentoring", 1),
        ("/v1/interactions/{id}", 2),
        ("/v1/evaluations/{id}", 3),
        ("/v1/feedback/{id}", 4),
        ("/v1/alerts/{id}", 5),
        ("/v1/sessions/{id}", 6),
    ] {
        let (inside, outside) = pair(k);
        samples.push((template, inside, outside));
    }
    (router(app.services), dir, token, samples)
}

#[tokio::test]
async fn every_route_answers_a_scoped_supervisor_404_for_another_teams_records_and_lists_only_their_own()
 {
    let (r, _dir, sam, samples) = two_teams().await;
    let outside: Vec<&str> = samples.iter().map(|(_, _, o)| o.as_str()).collect();
    for route in super::access_table() {
        if route.method != axum::http::Method::GET
            || !route.access.roles().contains(&Role::Supervisor)
            || route.path == "/v1/stream"
        {
            continue;
        }
        if route.path.contains("{id}") {
            // Every record a supervisor reads by id is walked from inside
            // and outside their team: a new route cannot skip the check.
            let Some((_, inside, out)) = samples.iter().find(|(t, _, _)| *t == route.path) else {
                if route.path.starts_with("/v1/plugins/")
                    || route.path.starts_with("/v1/forms/")
                    || route.path.starts_with("/v1/staff/")
                    || route.path.starts_with("/v1/dead-letters/")
                {
                    continue; // Reference data and operations, not people's records.
                }
                panic!(
                    "GET {} reads a record by id but has no scope sample",
                    route.path
                );
            };
            let (status, body) = call(&r, get(&route.path.replace("{id}", out), Some(&sam))).await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "GET {} outside: {body}",
                route.path
            );
            assert_eq!(body["error"]["code"], "not_found");
            let (status, body) =
                call(&r, get(&route.path.replace("{id}", inside), Some(&sam))).await;
            assert_eq!(status, StatusCode::OK, "GET {} inside: {body}", route.path);
            continue;
        }
        // Listings and reports: nothing of the other team's in the answer.
        let path = sample_path(&route);
        let (status, body) = call(&r, get(&path, Some(&sam))).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "GET {path}: {status} {body}"
        );
        let text = body.to_string();
        for o in &outside {
            assert!(
                !text.contains(o),
                "GET {path} shows {o} from another team: {text}"
            );
        }
        // And the listing filters naming the other team's agent or team.
        for (filter, k) in [("agent", 1usize), ("team", 0)] {
            let q = if path.contains('?') { '&' } else { '?' };
            let (status, body) = call(
                &r,
                get(&format!("{path}{q}{filter}={}", samples[k].2), Some(&sam)),
            )
            .await;
            let text = body.to_string();
            assert!(
                !status.is_success() || outside.iter().all(|o| !text.contains(o)),
                "GET {path} {filter}=outside: {status} {text}"
            );
        }
    }
}

// ---- feedback keeps its context; one API shape (issue 16, items 4 and 6) --------

/// An app with one topic flag rule (CSAT ≤ 2 on product knowledge), and
/// its services for what the API does not create (staff, profiles).
/// `toml` as the config of a host whose data lives under `dir`, with the
/// admin token and the shared compile cache.
fn config_in(dir: &std::path::Path, toml: &str) -> Config {
    let mut config = Config::from_toml(toml).unwrap();
    config.data_dir = dir.join("data");
    config.admin_token = Some(TOKEN.into());
    config.runtime.cache_dir = Some(shared_compile_cache());
    config
}

async fn app_with_topic_rule() -> (axum::Router, tempfile::TempDir, crate::Services) {
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(
        dir.path(),
        "[[flags.rules]]\nid = \"low-csat-product-knowledge\"\non = \"feedback\"\ncsat_at_most = 2\ntopic = \"product-knowledge\"\n",
    );
    let app = App::open(config).await.expect("app opens");
    let services = app.services.clone();
    (router(app.services), dir, services)
}

/// A JSON request with the admin token.
fn send(method: &str, path: &str, body: Value) -> Request<Body> {
    request(
        method,
        path,
        Some(TOKEN),
        "application/json",
        serde_json::to_vec(&body).unwrap(),
    )
}

/// `POST`, expecting 201; the record written.
async fn made(r: &axum::Router, path: &str, body: Value) -> Value {
    let (status, out) = call(r, send("POST", path, body)).await;
    assert_eq!(status, StatusCode::CREATED, "POST {path}: {out}");
    out.get("record").cloned().unwrap_or(out)
}

/// A product-knowledge contact of `agent`'s and a CSAT 1 rating on it (the
/// topic rule's alert, with [`app_with_topic_rule`]); the contact.
async fn low_csat_on_a_contact(
    r: &axum::Router,
    agent: &str,
    contact: &str,
    survey: &str,
) -> Value {
    use serde_json::json;
    let contact = made(
        r,
        "/v1/interactions",
        json!({"source": "genesys", "external_id": contact, "agent_id": agent, "channel": "voice",
               "direction": "inbound", "topics": ["product-knowledge"]}),
    )
    .await;
    made(
        r,
        "/v1/feedback",
        json!({"source": "survey", "external_id": survey, "kind": "csat", "value": 1,
               "scale_min": 1, "scale_max": 5, "interaction_id": contact["id"]}),
    )
    .await;
    contact
}

/// A supervisor (Sam), their team (Billing) and an agent in it (Ada).
async fn sam_billing_ada(r: &axum::Router) -> (String, String, String) {
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let sam = id(made(
        r,
        "/v1/agents",
        serde_json::json!({"name": "Sam Supervisor"}),
    )
    .await);
    let team = id(made(
        r,
        "/v1/teams",
        serde_json::json!({"name": "Billing", "supervisor_id": sam}),
    )
    .await);
    let ada = id(made(
        r,
        "/v1/agents",
        serde_json::json!({"name": "Ada Agent", "team_id": team}),
    )
    .await);
    (sam, team, ada)
}

#[tokio::test]
async fn feedback_posted_on_a_known_contact_takes_its_agent_team_and_topics_and_raises_the_topic_alert()
 {
    use serde_json::json;
    let (r, _dir, _) = app_with_topic_rule().await;
    let (_, team, ada) = sam_billing_ada(&r).await;
    let contact = made(
        &r,
        "/v1/interactions",
        json!({"source": "genesys", "external_id": "c-1", "agent_id": ada, "channel": "voice",
               "direction": "inbound", "topics": ["product-knowledge"]}),
    )
    .await;
    let csat_1 = |external_id: &str| {
        json!({"source": "survey", "external_id": external_id, "kind": "csat", "value": 1,
               "scale_min": 1, "scale_max": 5})
    };

    // By the contact's id: the agent, team and topic are the contact's.
    let mut body = csat_1("s-1");
    body["interaction_id"] = contact["id"].clone();
    let fb = made(&r, "/v1/feedback", body).await;
    assert_eq!(fb["agent_id"], ada.as_str(), "{fb}");
    assert_eq!(fb["team_id"], team.as_str(), "{fb}");
    assert_eq!(fb["topics"], json!(["product-knowledge"]), "{fb}");

    // …so the topic rule raises its alert for CSAT 1.
    let (_, alerts) = call(&r, get(&format!("/v1/alerts?agent={ada}"), Some(TOKEN))).await;
    let alerts = alerts["items"].as_array().unwrap().clone();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["rule_id"], "low-csat-product-knowledge");
    assert_eq!(alerts[0]["feedback_id"], fb["id"]);
    assert_eq!(alerts[0]["interaction_id"], contact["id"]);
    assert_eq!(alerts[0]["team_id"], team.as_str());

    // By the vendor's id of the contact (any source's): linked the same way.
    let mut body = csat_1("s-2");
    body["interaction_ref"] = json!("c-1");
    let fb2 = made(&r, "/v1/feedback", body).await;
    assert_eq!(fb2["interaction_id"], contact["id"], "{fb2}");
    assert!(fb2.get("interaction_ref").is_none(), "{fb2}");
    assert_eq!(fb2["agent_id"], ada.as_str(), "{fb2}");

    // Both count in the team's trend and its topic listing.
    let (_, trend) = call(
        &r,
        get(&format!("/v1/analytics/trends?team={team}"), Some(TOKEN)),
    )
    .await;
    assert_eq!(trend["csat"]["count"], 2, "{trend}");
    let (_, on_topic) = call(&r, get("/v1/feedback?topic=product-knowledge", Some(TOKEN))).await;
    assert_eq!(on_topic["items"].as_array().unwrap().len(), 2, "{on_topic}");

    // An unknown contact given by id is refused, naming the field…
    let mut body = csat_1("s-3");
    body["interaction_id"] = json!("01NOSUCHCONTACT");
    let (status, err) = call(&r, send("POST", "/v1/feedback", body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["details"]["field"], "interaction_id", "{err}");
    // …and an id and a vendor id naming different contacts too.
    let mut body = csat_1("s-3");
    body["interaction_id"] = contact["id"].clone();
    body["interaction_ref"] = json!("c-other");
    let (status, err) = call(&r, send("POST", "/v1/feedback", body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["details"]["field"], "interaction_ref", "{err}");
    // A vendor id no stored contact has yet is kept, as ingest keeps it.
    let mut body = csat_1("s-4");
    body["interaction_ref"] = json!("c-later");
    let fb4 = made(&r, "/v1/feedback", body).await;
    assert_eq!(fb4["interaction_ref"], "c-later", "{fb4}");
    assert!(fb4.get("agent_id").is_none(), "{fb4}");
}

#[tokio::test]
async fn times_are_taken_as_rfc_3339_or_epoch_ms_and_answered_with_both() {
    use serde_json::json;
    let (r, _dir) = app().await;
    let contact = made(
        &r,
        "/v1/interactions",
        json!({"source": "genesys", "external_id": "c-iso", "channel": "voice", "direction": "inbound",
               "started_at": "2026-12-07T10:00:00+01:00", "ended_at": 1_796_634_060_000_i64}),
    )
    .await;
    assert_eq!(contact["started_at"], 1_796_634_000_000_i64, "{contact}");
    assert_eq!(contact["started_at_iso"], "2026-12-07T09:00:00Z");
    assert_eq!(contact["ended_at_iso"], "2026-12-07T09:01:00Z");
    assert!(contact["received_at_iso"].is_string(), "{contact}");

    // Query parameters likewise (`+` spelled %2B in a query).
    for q in [
        "from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z",
        "from=2026-12-07T01:00:00%2B01:00&to=1796688000000",
    ] {
        let (status, page) = call(&r, get(&format!("/v1/interactions?{q}"), Some(TOKEN))).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{q}: {page}");
        assert_eq!(page["items"][0]["started_at_iso"], "2026-12-07T09:00:00Z");
    }
    let (_, none) = call(
        &r,
        get("/v1/interactions?from=2026-12-08T00:00:00Z", Some(TOKEN)),
    )
    .await;
    assert_eq!(none["items"], json!([]), "{none}");

    // A bad time names its field and both forms, in a body…
    let (status, err) = call(
        &r,
        send(
            "POST",
            "/v1/interactions",
            json!({"source": "genesys", "external_id": "c-bad", "channel": "voice",
                   "direction": "inbound", "started_at": "next tuesday"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("`started_at`"), "{message}");
    assert!(message.contains("epoch milliseconds"), "{message}");
    assert!(message.contains("RFC 3339"), "{message}");
    assert_eq!(err["error"]["details"]["field"], "started_at");
    // …and in a query.
    let (status, err) = call(&r, get("/v1/alerts?from=yesterday", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["code"], "invalid_query");
    assert_eq!(err["error"]["details"]["field"], "from");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("RFC 3339"),
        "{err}"
    );
}

#[tokio::test]
async fn alerts_sessions_and_topics_carry_names_beside_ids_and_read_records_write_back_as_read() {
    use serde_json::json;
    let (r, _dir, services) = app_with_topic_rule().await;
    let (sam, team, ada) = sam_billing_ada(&r).await;
    let ola = made(
        &r,
        "/v1/agents",
        json!({"name": "Ola Observer", "team_id": team}),
    )
    .await;
    // A staff person coaches: names are looked up among staff too.
    let coach = services
        .records
        .people
        .create_staff(serde_json::from_value(json!({"name": "Cleo Coach"})).unwrap())
        .await
        .unwrap();

    // The agent as read, with its team's and supervisor's names…
    let (_, agent) = call(&r, get(&format!("/v1/agents/{ada}"), Some(TOKEN))).await;
    assert_eq!(agent["team_name"], "Billing", "{agent}");
    assert!(agent["created_at_iso"].is_string(), "{agent}");
    // …writes back as read.
    let (status, again) = call(&r, send("PUT", &format!("/v1/agents/{ada}"), agent.clone())).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["created_at"], agent["created_at"]);

    // A session: coach, agent, observer and action-item owner named.
    let session = made(
        &r,
        "/v1/sessions",
        json!({"kind": "observed", "coach_id": coach.id, "agent_id": ada, "observers": [ola["id"]],
               "scheduled_at": "2026-12-07T09:00:00Z", "duration_minutes": 30,
               "action_items": [{"description": "Recap the refund policy", "owner_id": ada,
                                 "due": "2026-12-14T09:00:00Z", "status": "open"}]}),
    )
    .await;
    assert_eq!(session["coach_name"], "Cleo Coach", "{session}");
    assert_eq!(session["agent_name"], "Ada Agent");
    assert_eq!(session["observer_names"], json!(["Ola Observer"]));
    assert_eq!(session["scheduled_at"], 1_796_634_000_000_i64);
    assert_eq!(session["scheduled_at_iso"], "2026-12-07T09:00:00Z");
    assert_eq!(session["action_items"][0]["owner_name"], "Ada Agent");
    assert_eq!(
        session["action_items"][0]["due_iso"],
        "2026-12-14T09:00:00Z"
    );
    let id = session["id"].as_str().unwrap();
    let (status, again) = call(
        &r,
        send("PUT", &format!("/v1/sessions/{id}"), session.clone()),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a session writes back as read: {again}"
    );
    assert_eq!(again["scheduled_at"], session["scheduled_at"]);
    // A sibling that disagrees with its field is refused, by name.
    let mut moved = session.clone();
    moved["scheduled_at_iso"] = json!("2026-12-08T09:00:00Z");
    let (status, err) = call(&r, send("PUT", &format!("/v1/sessions/{id}"), moved)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["details"]["field"], "scheduled_at_iso");

    // An alert names the agent, team and supervisor.
    low_csat_on_a_contact(&r, &ada, "c-1", "s-1").await;
    let (_, alerts) = call(&r, get(&format!("/v1/alerts?team={team}"), Some(TOKEN))).await;
    let alert = &alerts["items"][0];
    assert_eq!(alert["agent_name"], "Ada Agent", "{alerts}");
    assert_eq!(alert["team_name"], "Billing");
    assert_eq!(alert["supervisor_id"], sam.as_str());
    assert_eq!(alert["supervisor_name"], "Sam Supervisor");
    assert!(alert["coach_by_iso"].is_string(), "{alert}");

    // The topic report names the agents dinged and the ones to focus on.
    let (_, topics) = call(
        &r,
        get(
            &format!("/v1/analytics/topics?team={team}&min_dings=1"),
            Some(TOKEN),
        ),
    )
    .await;
    assert_eq!(topics["team_name"], "Billing", "{topics}");
    let topic = &topics["topics"][0];
    assert_eq!(topic["topic"], "product-knowledge", "{topics}");
    assert_eq!(topic["agents"][0]["agent_name"], "Ada Agent");
    assert_eq!(topic["focus_names"], json!(["Ada Agent"]));
    assert!(topics["from_iso"].is_string(), "{topics}");
}

#[tokio::test]
async fn a_mentor_match_shortlist_names_the_protege_and_each_mentor() {
    use serde_json::json;
    let (r, _dir, services) = app_with_topic_rule().await;
    let (_, team, pia) = sam_billing_ada(&r).await;
    let max = made(
        &r,
        "/v1/agents",
        json!({"name": "Max Mentor", "team_id": team}),
    )
    .await;
    let max = max["id"].as_str().unwrap().to_string();
    let mentoring = &services.records.mentoring;
    for agent in [&pia, &max] {
        mentoring
            .enrol(
                serde_json::from_value(
                    json!({"agent_id": agent, "monitoring_acknowledged": true, "style": "direct",
                       "utc_offset_minutes": 0, "channels": ["chat"]}),
                )
                .unwrap(),
            )
            .await
            .unwrap();
    }
    mentoring
        .put_mentor_profile(
            serde_json::from_value(
                json!({"agent_id": max, "capacity": 1, "strengths": ["product-knowledge"],
                       "style": "direct", "utc_offset_minutes": 0, "channels": ["chat"]}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    made(
        &r,
        "/v1/interactions",
        json!({"source": "genesys", "external_id": "c-1", "agent_id": pia, "channel": "voice",
               "direction": "inbound", "topics": ["product-knowledge"]}),
    )
    .await;
    made(
        &r,
        "/v1/feedback",
        json!({"source": "survey", "external_id": "s-1", "kind": "csat", "value": 1, "scale_min": 1,
               "scale_max": 5, "interaction_ref": "c-1"}),
    )
    .await;
    let (status, report) = call(
        &r,
        send("POST", "/v1/mentoring/match", json!({"proteges": [pia]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let protege = &report["proteges"][0];
    assert_eq!(protege["protege_name"], "Ada Agent", "{report}");
    assert_eq!(
        protege["shortlist"][0]["mentor_id"],
        max.as_str(),
        "{report}"
    );
    assert_eq!(protege["shortlist"][0]["mentor_name"], "Max Mentor");
}

#[tokio::test]
async fn every_route_refuses_a_query_parameter_it_does_not_take() {
    let (r, _dir) = app().await;
    let mut walked = 0;
    for route in super::access_table() {
        if matches!(route.access, super::Access::RolesOrSigned(_)) {
            continue; // vendor ingest hands its query to the adapter
        }
        if !matches!(route.access, super::Access::Open)
            && !route.access.roles().contains(&Role::Admin)
        {
            continue; // the token walk covers who may call it
        }
        let base = sample_path(&route);
        let q = if base.contains('?') { '&' } else { '?' };
        let path = format!("{base}{q}zz_unknown=1");
        let (status, body) = call(
            &r,
            request(
                route.method.as_str(),
                &path,
                Some(TOKEN),
                "application/json",
                b"{}".to_vec(),
            ),
        )
        .await;
        // A route that takes parameters may refuse the body first; every
        // other answer is the query's refusal.
        if status == StatusCode::BAD_REQUEST && body["error"]["code"] == "invalid_body" {
            continue;
        }
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_query")),
            "{} {path}: {body}",
            route.method
        );
        walked += 1;
    }
    assert!(walked >= 60, "only {walked} routes walked");
}

#[tokio::test]
async fn the_openapi_document_states_every_bound_the_api_checks() {
    let doc = super::openapi();
    let feedback = &doc["components"]["schemas"]["Feedback"]["properties"];
    assert_eq!(
        feedback["verbatim"]["maxLength"],
        super::bounds::MAX_TEXT_CHARS
    );
    assert_eq!(
        feedback["external_id"]["maxLength"],
        super::bounds::MAX_NAME_CHARS
    );
    assert_eq!(feedback["value"]["maximum"], super::bounds::MAX_NUMBER);
    assert_eq!(
        feedback["topics"]["items"]["maxLength"],
        super::bounds::MAX_NAME_CHARS
    );
    let time = &doc["components"]["schemas"]["TimestampMs"]["oneOf"][0];
    assert_eq!(time["minimum"], 0);
    assert_eq!(time["maximum"], crate::model::MAX_TIME_MS);
}

#[tokio::test]
async fn every_listing_refuses_a_page_size_outside_1_to_1000() {
    let (r, _dir) = app().await;
    let mut walked = 0;
    for route in super::access_table() {
        if route.method != axum::http::Method::GET
            || route.path.contains('{')
            || !route.access.roles().contains(&Role::Admin)
            || route.path == "/v1/stream"
        {
            continue;
        }
        let base = sample_path(&route);
        let q = if base.contains('?') { '&' } else { '?' };
        let (status, page) = call(&r, get(&base, Some(TOKEN))).await;
        if !(status.is_success() && page.get("items").is_some()) {
            continue; // not a listing
        }
        walked += 1;
        for limit in ["0", "1001", "1e9"] {
            let path = format!("{base}{q}limit={limit}");
            let (status, body) = call(&r, get(&path, Some(TOKEN))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "GET {path}: {body}");
            assert_eq!(body["error"]["code"], "invalid_query", "GET {path}: {body}");
        }
    }
    assert!(walked >= 15, "only {walked} listings walked");
}

#[test]
fn a_default_report_window_holds_a_record_written_this_millisecond() {
    // Reports ask for `[from, to)`; a feedback stamped in the millisecond
    // the report is asked for (a fast POST then GET) must be in it.
    let written_at = crate::clock::now_ms();
    let (from, to) = super::coaching::window(None, None, 28).unwrap();
    assert!(to > written_at, "{written_at} is not before {to}");
    assert_eq!(to - from, 28 * 86_400_000);
    // A `to` the caller gives is taken as given; an empty window is refused.
    assert_eq!(super::coaching::window(None, Some(5), 1).unwrap().1, 5);
    assert!(super::coaching::window(Some(5), Some(5), 1).is_err());
}

#[tokio::test]
async fn coaching_an_alert_ties_the_session_to_the_contact_the_alert_is_about() {
    use serde_json::json;
    let (r, _dir, _) = app_with_topic_rule().await;
    let (sam, _, ada) = sam_billing_ada(&r).await;
    let contact = low_csat_on_a_contact(&r, &ada, "c-9", "s-9").await;
    let (_, alerts) = call(&r, get(&format!("/v1/alerts?agent={ada}"), Some(TOKEN))).await;
    let alert = alerts["items"][0].clone();
    assert_eq!(alert["interaction_id"], contact["id"], "{alerts}");
    let session = made(
        &r,
        "/v1/sessions",
        json!({"kind": "micro-coaching", "coach_id": sam, "agent_id": ada,
               "scheduled_at": 1_796_634_000_000_i64, "duration_minutes": 10}),
    )
    .await;
    assert_eq!(session["interaction_ids"], json!([]), "{session}");
    let (status, coached) = call(
        &r,
        send(
            "POST",
            &format!("/v1/alerts/{}/coach", alert["id"].as_str().unwrap()),
            json!({"session_id": session["id"]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{coached}");
    let (_, session) = call(
        &r,
        get(
            &format!("/v1/sessions/{}", session["id"].as_str().unwrap()),
            Some(TOKEN),
        ),
    )
    .await;
    assert_eq!(session["alert_ids"], json!([alert["id"]]), "{session}");
    assert_eq!(
        session["interaction_ids"],
        json!([contact["id"]]),
        "{session}"
    );
}

#[tokio::test]
async fn a_contact_whose_customer_sours_at_the_end_raises_the_sentiment_drop_alert() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let config = config_in(
        dir.path(),
        "[[flags.rules]]\nid = \"sentiment-drop\"\non = \"interaction\"\nsentiment_drop_at_least = 3\n",
    );
    let r = router(App::open(config).await.expect("app opens").services);
    let (_, _, ada) = sam_billing_ada(&r).await;
    for (id, overall, last) in [("soured", 3.5, -1.0), ("low-throughout", -3.0, -3.5)] {
        made(
            &r,
            "/v1/interactions",
            json!({"source": "connect", "external_id": id, "agent_id": ada, "channel": "voice",
                   "direction": "inbound",
                   "sentiment": {"customer": overall, "customer_final_quarter": last}}),
        )
        .await;
    }
    let (_, alerts) = call(&r, get(&format!("/v1/alerts?agent={ada}"), Some(TOKEN))).await;
    let items = alerts["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{alerts}");
    assert_eq!(items[0]["rule_id"], "sentiment-drop");
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .contains("fell from 3.5"),
        "{alerts}"
    );
}

#[tokio::test]
async fn rerunning_the_flags_applies_a_new_rule_to_past_contacts_once_and_names_a_failed_flagger() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    // Contacts stored before the rule existed raise nothing.
    let app = App::open(config_in(dir.path(), ""))
        .await
        .expect("app opens");
    let r = router(app.services.clone());
    let (_, _, ada) = sam_billing_ada(&r).await;
    let start = crate::clock::now_ms();
    for (id, overall, last) in [("soured", 3.0, -2.0), ("steady", 1.0, 1.0)] {
        made(
            &r,
            "/v1/interactions",
            json!({"source": "connect", "external_id": id, "agent_id": ada, "channel": "voice",
                   "direction": "inbound", "started_at": start,
                   "sentiment": {"customer": overall, "customer_final_quarter": last}}),
        )
        .await;
    }
    drop(r);
    drop(app);

    // The rule added later (and a flagger that is not installed): a re-run
    // over the window opens the one alert and names the failed flagger.
    let config = config_in(
        dir.path(),
        "[flags]\nplugins = [\"absent-flagger\"]\n[[flags.rules]]\nid = \"sentiment-drop\"\n\
         on = \"interaction\"\nsentiment_drop_at_least = 3\n",
    );
    let r = router(App::open(config).await.expect("app reopens").services);
    let window = json!({"from": start - 1000, "to": start + 1000});
    let (status, report) = call(&r, send("POST", "/v1/flags/rerun", window.clone())).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["interactions"], 2, "{report}");
    let alerts = report["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{report}");
    assert_eq!(alerts[0]["rule_id"], "sentiment-drop");
    assert_eq!(alerts[0]["agent_id"], ada.as_str());
    assert_eq!(
        report["failures"][0]["plugin"], "absent-flagger",
        "{report}"
    );
    // Run again: the flag was raised already, so nothing new opens.
    let (_, again) = call(&r, send("POST", "/v1/flags/rerun", window)).await;
    assert_eq!(again["alerts"], json!([]), "{again}");
    let (_, listed) = call(&r, get(&format!("/v1/alerts?agent={ada}"), Some(TOKEN))).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    // The run is audited.
    let (_, audit) = call(&r, get("/v1/audit", Some(TOKEN))).await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "flags.rerun"),
        "{audit}"
    );
    // An empty or over-long window is refused by name.
    for window in [
        json!({"from": start, "to": start}),
        json!({"from": start, "to": start + 93 * 86_400_000_i64}),
    ] {
        let (status, err) = call(&r, send("POST", "/v1/flags/rerun", window)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["details"]["field"], "to", "{err}");
    }
}

#[test]
fn every_documented_parameter_is_where_the_route_reads_it() {
    // A parameter the document puts in the path must be in the path
    // template; every other one is a query parameter (a derived
    // `IntoParams` without `parameter_in = Query` says `path`).
    let doc = serde_json::to_value(super::openapi()).unwrap();
    let mut wrong = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let in_template = path.contains(&format!("{{{name}}}"));
                let fits = match p["in"].as_str() {
                    Some("path") => in_template,
                    Some("query") => !in_template,
                    _ => true,
                };
                if !fits {
                    wrong.push(format!("{method} {path}: `{name}` in {}", p["in"]));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn a_record_outside_the_scope_is_answered_word_for_word_as_a_missing_one() {
    let (r, _dir, sam, samples) = two_teams().await;
    for (route, _, out) in &samples {
        if !route.contains("{id}") {
            continue;
        }
        // The same id shape, one character off: no such record.
        let mut missing = out.clone();
        let last = missing.pop().unwrap();
        missing.push(if last == 'Z' { 'Y' } else { 'Z' });
        let (hidden_status, hidden) = call(&r, get(&route.replace("{id}", out), Some(&sam))).await;
        let (missing_status, absent) =
            call(&r, get(&route.replace("{id}", &missing), Some(&sam))).await;
        assert_eq!(hidden_status, missing_status, "GET {route}");
        assert_eq!(
            hidden.to_string().replace(out.as_str(), "ID"),
            absent.to_string().replace(&missing, "ID"),
            "GET {route}: a hidden record must not be told from a missing one"
        );
    }
}

#[tokio::test]
async fn the_plugin_listing_names_each_plugins_api_version() {
    let (r, _dir) = app().await;
    let (status, list) = call(&r, get("/v1/plugins", Some(TOKEN))).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let api = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["api_version"].clone())
    };
    assert_eq!(api("amazon-connect"), Some(Value::from("0.3.0")), "{list}");
    assert_eq!(
        api("reference-scorer"),
        Some(Value::from("0.1.0")),
        "{list}"
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|p| p["api_version"].is_string()),
        "{list}"
    );
}
