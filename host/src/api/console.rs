//! The web console: one page (`/`) and its script and style
//! (`/console/…`), embedded in the binary from `host/console/` so the
//! sidecar serves it offline, plus console sign-in and sign-out.
//!
//! The page is a light client of the `/v1` API: it signs in with the
//! person's own token (`POST /console/session`, JSON or a plain form, so
//! signing in works before the script loads), which opens a server-side
//! session ([`crate::auth::Auth::sign_in`]) named by an HttpOnly,
//! SameSite=Strict cookie; the access layer then accepts that cookie on
//! every `/v1` route, with the session's CSRF secret in
//! `X-Sidecoach-CSRF` on anything but a read (see [`super::access`]).
//! The token travels only in that one request body: never in a URL, a
//! cookie or a log line. Every console answer carries a strict
//! Content-Security-Policy (no inline script or style anywhere).
//!
//! Assets are addressed with their content hash (`app.js?v=<hash>`), so
//! they are cached for a year and a new build is fetched at once.

use std::sync::OnceLock;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState};
use super::{SESSION_COOKIE, cookie, session_principal};
use crate::auth::{Auth, SESSION_MS};

/// The Content-Security-Policy of every console answer: nothing but this
/// origin's own files, no inline script or style, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// The embedded files the page loads.
const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../console/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../console/app.css"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../console/icon.svg"),
    },
];

/// The page itself; `{{name}}` stands for an asset's hashed URL.
const INDEX: &str = include_str!("../../console/index.html");

/// The first 16 hex digits of an asset's sha256.
fn hash(body: &[u8]) -> String {
    crate::clock::sha256_hex(body)[..16].to_string()
}

/// The asset hashes, computed once.
fn hashes() -> &'static Vec<String> {
    static HASHES: OnceLock<Vec<String>> = OnceLock::new();
    HASHES.get_or_init(|| ASSETS.iter().map(|a| hash(a.body)).collect())
}

/// The page with its asset URLs filled in, built once.
fn index_html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        ASSETS
            .iter()
            .zip(hashes())
            .fold(INDEX.to_string(), |page, (a, h)| {
                page.replace(
                    &format!("{{{{{}}}}}", a.name),
                    &format!("/console/{}?v={h}", a.name),
                )
            })
    })
}

/// The console's routes (outside `/v1`: they are pages and the session,
/// not the API); every answer gets [`secure_headers`].
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route(
            "/console/session",
            get(current).post(sign_in).delete(sign_out),
        )
        .route("/console/{name}", get(asset))
        .layer(axum::middleware::map_response(secure_headers))
}

/// CSP, no sniffing, no referrer, no framing.
async fn secure_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// `GET /`: the page (never cached: it names the current assets).
async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        index_html(),
    )
        .into_response()
}

/// An asset request's query: the content hash the page asked for.
#[derive(Deserialize)]
struct AssetQuery {
    v: Option<String>,
}

/// `GET /console/{name}`: an embedded asset, with its hash as ETag; a
/// request naming the current hash may keep it for a year.
async fn asset(
    Path(name): Path<String>,
    Query(q): Query<AssetQuery>,
    headers: HeaderMap,
) -> Response {
    let Some((a, h)) = ASSETS.iter().zip(hashes()).find(|(a, _)| a.name == name) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no console file {name:?}"),
        )
        .into_response();
    };
    let etag = format!("\"{h}\"");
    let cache = if q.v.as_deref() == Some(h.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache.into())],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, a.content_type.to_string()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache.into()),
        ],
        a.body,
    )
        .into_response()
}

/// `POST /console/session` as JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    token: String,
}

/// Whether the request reached us over TLS (directly, or through a proxy
/// that says so): the cookie is then `Secure`.
fn over_tls(req_headers: &HeaderMap, uri: &axum::http::Uri) -> bool {
    let forwarded = req_headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let standard = req_headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    forwarded || standard || uri.scheme_str() == Some("https")
}

/// The session cookie for `value` (empty and expired to clear it).
fn session_cookie(value: &str, max_age_s: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_s}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Refuse a sign-in posted from another origin (a page elsewhere signing
/// the visitor in as someone else).
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    if origin_host == host {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "sign in from the console's own page",
        ))
    }
}

/// `POST /console/session {"token"}` (or a form field `token`): open a
/// console session and set its cookie. JSON answers `{csrf, role, name}`;
/// a form (the page before its script loads) is sent back to `/`.
async fn sign_in(req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    same_origin(&parts.headers)?;
    let auth = parts.extensions.get::<Auth>().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the router was built without its token checks",
        )
    })?;
    let body: Bytes =
        super::extract::body_bytes(Request::from_parts(parts.clone(), body), &()).await?;
    let is_form = parts.headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    let token = if is_form {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "token"))
            .map(|(_, v)| v)
            .unwrap_or_default()
    } else {
        super::extract::json_body::<SignIn>(&parts.headers, &body)?.token
    };
    let secure = over_tls(&parts.headers, &parts.uri);
    let signed = match auth.sign_in(&token) {
        Ok(s) => s,
        Err(e) if is_form => {
            tracing::info!(error = %e, "console sign-in refused");
            return Ok((
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/?signin=failed")],
            )
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(token_id = %signed.principal.token_id, role = %signed.principal.role, "console sign-in");
    let set = session_cookie(&signed.id, SESSION_MS / 1000, secure);
    if is_form {
        return Ok((
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/".to_string()),
                (header::SET_COOKIE, set),
            ],
        )
            .into_response());
    }
    Ok((
        [
            (header::SET_COOKIE, set),
            (header::CACHE_CONTROL, "no-store".into()),
        ],
        Json(json!({
            "csrf": signed.csrf,
            "role": signed.principal.role,
            "name": signed.principal.name,
        })),
    )
        .into_response())
}

/// `GET /console/session`: the current session's CSRF secret (the page
/// reloaded), or 401.
async fn current(req: Request) -> Result<Response, ApiError> {
    let auth = req.extensions().get::<Auth>().cloned();
    let (Some(auth), Some(id)) = (auth, cookie(req.headers(), SESSION_COOKIE)) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "not signed in",
        ));
    };
    let (p, csrf) = auth.session(id)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"csrf": csrf, "role": p.role, "name": p.name})),
    )
        .into_response())
}

/// `DELETE /console/session` (with the CSRF header): end the session and
/// clear its cookie.
async fn sign_out(req: Request) -> Result<Response, ApiError> {
    let secure = over_tls(req.headers(), req.uri());
    let auth = req.extensions().get::<Auth>().cloned();
    if let (Some(auth), Some(id)) = (auth, cookie(req.headers(), SESSION_COOKIE)) {
        // A missing CSRF header must not sign anyone out from elsewhere;
        // an ended session is already signed out.
        match session_principal(&auth, &req, id) {
            Ok(_) => auth.sign_out(id),
            Err(e) if e.code() == "csrf_required" => return Err(e),
            Err(_) => {}
        }
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie("", 0, secure))],
    )
        .into_response())
}

#[cfg(test)]
mod tests;
