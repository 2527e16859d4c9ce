//! The console through the router (`oneshot`): the page and its headers,
//! assets, sign-in and sign-out, cookie flags, CSRF refusal, and the token
//! never in a log line or a URL.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use super::CSP;
use crate::api::tests::{TOKEN, app, body_text as text};

async fn send(r: &axum::Router, req: Request<Body>) -> axum::response::Response {
    r.clone().oneshot(req).await.unwrap()
}

fn sign_in_json(token: &str) -> Request<Body> {
    Request::post("/console/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::json!({ "token": token }).to_string(),
        ))
        .unwrap()
}

/// Sign in; returns the cookie pair (`sc_session=…`), the Set-Cookie
/// line and the CSRF secret.
async fn signed_in(r: &axum::Router) -> (String, String, String) {
    let resp = send(r, sign_in_json(TOKEN)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let set = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = serde_json::from_str(&text(resp).await).unwrap();
    let pair = set.split(';').next().unwrap().to_string();
    (pair, set, body["csrf"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_csp_and_hashed_assets() {
    let (r, _dir) = app().await;
    let resp = send(&r, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP);
    assert!(CSP.contains("script-src 'self'") && !CSP.contains("unsafe"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = text(resp).await;
    assert!(!page.contains("{{"), "every asset placeholder is filled");
    assert!(
        !page.contains("<script>") && !page.contains("style="),
        "no inline script or style"
    );
    // The script named by the page is served, cached for a year, with an
    // ETag that answers 304.
    let src = page
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(src.starts_with("/console/app.js?v="), "{src}");
    let resp = send(&r, Request::get(src).body(Body::empty()).unwrap()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        resp.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = resp.headers()[header::ETAG].clone();
    let again = Request::get("/console/app.js")
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&r, again).await.status(), StatusCode::NOT_MODIFIED);
    let missing = send(
        &r,
        Request::get("/console/nope.js")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_sets_an_http_only_strict_cookie_that_authenticates_the_api() {
    let (r, _dir) = app().await;
    let (pair, set, csrf) = signed_in(&r).await;
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "plain HTTP: no Secure flag");
    assert!(
        !set.contains(TOKEN),
        "the cookie is a session id, not the token"
    );
    assert!(csrf.len() >= 43);
    let me = Request::get("/v1/me")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    let resp = send(&r, me).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = serde_json::from_str(&text(resp).await).unwrap();
    assert_eq!(me["role"], "admin");
    // The page reloaded: the session gives its CSRF secret back.
    let cur = Request::get("/console/session")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    let cur: Value = serde_json::from_str(&text(send(&r, cur).await).await).unwrap();
    assert_eq!(cur["csrf"], csrf.as_str());
    // Over TLS (a proxy says so) the cookie is Secure.
    let tls = Request::post("/console/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-proto", "https")
        .body(Body::from(
            serde_json::json!({ "token": TOKEN }).to_string(),
        ))
        .unwrap();
    let resp = send(&r, tls).await;
    assert!(
        resp.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
}

#[tokio::test]
async fn a_wrong_token_or_another_origin_opens_no_session() {
    let (r, _dir) = app().await;
    let resp = send(&r, sign_in_json("not-a-token")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().get(header::SET_COOKIE).is_none());
    let cross = Request::post("/console/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "sidecoach.local")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from(
            serde_json::json!({ "token": TOKEN }).to_string(),
        ))
        .unwrap();
    let resp = send(&r, cross).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get(header::SET_COOKIE).is_none());
    // A made-up cookie is refused like a missing token.
    let forged = Request::get("/v1/me")
        .header(header::COOKIE, "sc_session=forged")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&r, forged).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_form_sign_in_works_before_the_script_loads() {
    let (r, _dir) = app().await;
    let form = Request::post("/console/session")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={TOKEN}")))
        .unwrap();
    let resp = send(&r, form).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[header::LOCATION], "/");
    assert!(
        resp.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("sc_session=")
    );
    let bad = Request::post("/console/session")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("token=wrong"))
        .unwrap();
    let resp = send(&r, bad).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(to.starts_with("/?signin=failed") && !to.contains("wrong"));
}

#[tokio::test]
async fn a_cookie_request_that_changes_something_needs_the_csrf_header() {
    let (r, _dir) = app().await;
    let (pair, _, csrf) = signed_in(&r).await;
    let create = |csrf: Option<&str>| {
        let mut b = Request::post("/v1/staff")
            .header(header::COOKIE, &pair)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            b = b.header("x-sidecoach-csrf", c);
        }
        b.body(Body::from(r#"{"name": "Pat Doe"}"#)).unwrap()
    };
    let resp = send(&r, create(None)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(text(resp).await.contains("csrf_required"));
    assert_eq!(
        send(&r, create(Some("wrong"))).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&r, create(Some(&csrf))).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let (r, _dir) = app().await;
    let (pair, _, csrf) = signed_in(&r).await;
    // Without the CSRF header nobody can sign you out from elsewhere.
    let out = Request::delete("/console/session")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&r, out).await.status(), StatusCode::FORBIDDEN);
    let out = Request::delete("/console/session")
        .header(header::COOKIE, &pair)
        .header("x-sidecoach-csrf", &csrf)
        .body(Body::empty())
        .unwrap();
    let resp = send(&r, out).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(
        resp.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let me = Request::get("/v1/me")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&r, me).await.status(), StatusCode::UNAUTHORIZED);
}

/// A writer the test reads back: everything the host logs.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_never_reaches_a_log_line_or_a_url() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (r, _dir) = app().await;
    let (pair, _, _) = signed_in(&r).await;
    // Another test's thread may have been registering the sign-in log's
    // callsite while this thread set its subscriber; tracing then caches
    // "nobody listens" for it. Rebuild the cache before the request logged.
    tracing::callsite::rebuild_interest_cache();
    let form = Request::post("/console/session")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("token={TOKEN}")))
        .unwrap();
    let resp = send(&r, form).await;
    let location = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let me = Request::get("/v1/me")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    send(&r, me).await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("console sign-in"),
        "the sign-in is logged: {logs}"
    );
    assert!(!logs.contains(TOKEN), "the token appears in the log");
    let session = pair.trim_start_matches("sc_session=");
    assert!(!logs.contains(session), "the session id appears in the log");
    assert!(!location.contains(TOKEN));
}
