//! Router tests through `oneshot`: no socket, the real runtime and store.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use super::router;
use crate::App;
use crate::config::Config;

const TOKEN: &str = "router-test-token";

async fn app() -> (axum::Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        admin_token: Some(TOKEN.into()),
        ..Config::default()
    };
    let app = App::open(config).await.expect("app opens");
    (router(app.state), dir)
}

async fn call(router: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
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
    assert_eq!(body["plugins_loaded"], 4, "{body}");
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
            "json-adapter",
            "reference-flagger",
            "reference-matcher",
            "reference-scorer"
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
    let (r, _dir) = app().await;
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
    let text = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    // Two: `describe()` at install, then the invocation.
    assert!(
        text.contains(r#"sidecoach_plugin_calls_total{plugin="json-adapter",outcome="ok"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"sidecoach_plugin_compilations_total{source="fresh"} 4"#),
        "{text}"
    );
}
