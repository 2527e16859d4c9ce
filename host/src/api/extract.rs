//! The extractors every handler uses, each rejecting with an [`ApiError`]:
//! [`Caller`] (the principal the route's access check admitted),
//! [`ApiJson`] (a JSON body: 415 for another content type, 400 naming the
//! field that does not fit) and [`ApiQuery`] (a query string, unknown
//! parameters refused with 400 `invalid_query`). Both take every time as
//! epoch ms or RFC 3339 (see [`super::shape`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;

use super::{ApiError, AppState};
use crate::auth::Principal;

/// The authenticated caller of a `/v1` route, with their scope resolved.
/// The route's access layer (see [`super::access`]) has already checked
/// the role; handlers narrow further through `Principal::scope` (another
/// team's record answers 404).
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        // Every route that reads its caller is declared with roles, so its
        // access layer has put the principal here.
        let mut who = parts.extensions.remove::<Principal>().ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "this route reads its caller but was declared without roles",
            )
        })?;
        who.scope = s.records.people.scope(who.role, who.person())?;
        Ok(Caller(who))
    }
}

/// A JSON request body of type `T`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let body = body_bytes(req, state).await?;
        json_body(&headers, &body).map(ApiJson)
    }
}

/// An optional JSON body: an empty body is `None` (routes whose body only
/// carries optional fields, such as a note or a comment).
impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let headers = req.headers().clone();
        let body = body_bytes(req, state).await?;
        if body.is_empty() {
            return Ok(None);
        }
        json_body(&headers, &body).map(|v| Some(ApiJson(v)))
    }
}

/// The whole body, within the router's body limit (413
/// `payload_too_large` beyond it).
pub(super) async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "payload_too_large",
                "the request body is larger than the server accepts",
            )
        } else {
            ApiError::new(status, "bad_request", rejection.body_text())
        }
    })
}

/// Parse a JSON body: 415 for another content type, 400 for bad JSON or
/// fields that do not fit (the message and `details.field` name the
/// field); times as epoch ms or RFC 3339, and what answers add beside
/// times and ids taken off (see [`super::shape::read_body`]).
pub(super) fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    json_content(headers)?;
    super::shape::read_body(body)
}

/// A plugin's invocation input: JSON like [`ApiJson`], but without the
/// [`super::bounds`] policy (a vendor payload's header or a scorer's
/// evaluations go to the sandbox as given; its input limit bounds them).
pub struct PluginInput(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for PluginInput {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let body = body_bytes(req, state).await?;
        json_content(&headers)?;
        super::shape::read_unbounded(&body).map(PluginInput)
    }
}

/// 415 unless the request says it is JSON.
fn json_content(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected Content-Type: application/json, got {ct:?}"),
        ));
    }
    Ok(())
}

/// A query string parsed into `T` (declare `#[serde(deny_unknown_fields)]`
/// on `T` so unknown parameters are refused); time parameters (`from`,
/// `to`…) as epoch ms or RFC 3339.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = super::shape::shape().query(parts.uri.query().unwrap_or(""))?;
        serde_urlencoded::from_str(&query)
            .map(ApiQuery)
            .map_err(|e| ApiError::bad_request("invalid_query", format!("query string: {e}")))
    }
}
