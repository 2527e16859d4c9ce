//! Vendor ingest, dead letters and replay, identities and agent merges.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::records::page_limit;
use super::{ApiError, ApiJson, ApiQuery, AppState, Caller, ErrorBody};
use crate::ingest::{Delivery, IngestError, IngestReport, ReplayResult, ReplaySummary};
use crate::model::{DeadLetter, ReplayCorrection};
use crate::records::{Filter, IdentityMapping, MergeReport, Page, Term};

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> ApiError {
        let (message, code) = (e.to_string(), e.code());
        match e {
            IngestError::UnknownSource(_) => ApiError::new(StatusCode::NOT_FOUND, code, message),
            IngestError::Unauthenticated { .. } => {
                ApiError::new(StatusCode::UNAUTHORIZED, code, message)
            }
            IngestError::Refused { report, .. } => {
                let status = match code {
                    "unsupported_media_type" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "source_misconfigured" => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError::new(status, code, message)
                    .with_details(serde_json::to_value(&*report).expect("reports always serialise"))
            }
            IngestError::AdapterFailed { error, report } => ApiError::from(error)
                .with_details(serde_json::to_value(&*report).expect("reports always serialise")),
            IngestError::Store(r) => r.into(),
        }
    }
}

/// The URL the vendor called: the source's `public_url` (scheme and host)
/// when configured, else the forwarded or direct Host header, plus the
/// path and query as received.
fn vendor_url(public_url: Option<&str>, headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_string(), |p| p.as_str().to_string());
    if let Some(base) = public_url {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or(v).trim().to_string())
    };
    let scheme = get("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = get("x-forwarded-host")
        .or_else(|| get("host"))
        .unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}{path}")
}

/// `POST /v1/ingest/{source}`: a vendor delivery, parsed by the source's
/// adapter. Signed sources (`signed = true`) need no token; the adapter
/// checks the vendor's signature. Others need an integrator or admin token.
#[utoipa::path(
    post,
    path = "/v1/ingest/{source}",
    tag = "ingest",
    params(("source" = String, Path, description = "a configured `[sources.NAME]`")),
    request_body(content = String, description = "the vendor's payload, as the vendor sends it", content_type = "*/*"),
    responses(
        (status = 200, description = "stored: counts of accepted, duplicate, rejected and ignored events; a dead letter id when anything was rejected", body = IngestReport),
        (status = 401, description = "no token on an unsigned source, or the vendor signature is invalid (nothing kept)", body = ErrorBody),
        (status = 415, description = "the adapter does not read this content type (dead letter kept)", body = ErrorBody),
        (status = 422, description = "the adapter refused the payload (dead letter kept)", body = ErrorBody)
    )
)]
pub async fn ingest(
    State(s): State<AppState>,
    Path(source): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // A token, when sent, was checked by the route's access layer. Without
    // one, an unknown source answers exactly like a known unsigned one, so
    // source names cannot be enumerated without a token.
    if !headers.contains_key(header::AUTHORIZATION) {
        let message = format!(
            "source {source:?} needs an integrator or admin bearer token (or, if it is a signed source, the vendor's signature)"
        );
        match s.ingest.source(&source) {
            Ok(src) if src.signed => {}
            Ok(_) => return Err(s.ingest.refuse_unauthenticated(&source, message).into()),
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    message,
                ));
            }
        }
    }
    let src = s.ingest.source(&source)?.clone();
    let url = vendor_url(
        src.options.get("public_url").map(String::as_str),
        &headers,
        &uri,
    );
    let pairs = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let delivery = Delivery::new(method.as_str(), url, pairs, body.to_vec());
    let report = s.ingest.deliver(&source, delivery).await?;
    let timing = format!(
        "adapter;dur={:.3}, store;dur={:.3}",
        report.adapter_ms, report.store_ms
    );
    let mut resp = Json(report).into_response();
    if let Ok(v) = HeaderValue::from_str(&timing) {
        resp.headers_mut().insert("server-timing", v);
    }
    Ok(resp)
}

/// Query of the dead-letter listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterParams {
    /// Only this source's.
    source: Option<String>,
    /// `open` or `resolved`.
    state: Option<String>,
    /// Inclusive lower bound on the failure time (ms since epoch).
    from: Option<i64>,
    /// Exclusive upper bound on the failure time (ms since epoch).
    to: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    limit: Option<usize>,
}

/// `GET /v1/dead-letters?source=&state=open|resolved`
#[utoipa::path(get, path = "/v1/dead-letters", tag = "ingest", params(DeadLetterParams), responses((status = 200, description = "ok", body = Page<DeadLetter>)))]
pub async fn list_dead_letters(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<DeadLetterParams>,
) -> Result<Json<Page<DeadLetter>>, ApiError> {
    if let Some(st) = p.state.as_deref()
        && st != "open"
        && st != "resolved"
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("`state` must be open or resolved, got {st:?}"),
        ));
    }
    let term = match (p.source, p.state) {
        (Some(src), Some(st)) => Some(Term::SourceState(src, st)),
        (Some(src), None) => Some(Term::Source(src)),
        (None, Some(st)) => Some(Term::State(st)),
        (None, None) => None,
    };
    page_limit(p.limit)?;
    Ok(Json(s.records.dead_letters.dead_letters(Filter {
        term,
        from: p.from,
        to: p.to,
        cursor: p.cursor,
        limit: p.limit,
        ..Filter::default()
    })?))
}

/// `GET /v1/dead-letters/{id}`
#[utoipa::path(get, path = "/v1/dead-letters/{id}", tag = "ingest", params(("id" = String, Path)), responses((status = 200, description = "ok", body = DeadLetter)))]
pub async fn get_dead_letter(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DeadLetter>, ApiError> {
    Ok(Json(s.records.dead_letters.dead_letter(&id)?))
}

/// `POST /v1/dead-letters/{id}/replay`: run the payload through the source's
/// current adapter again (after a fix or an upgrade). Records stored before
/// count as duplicates; the dead letter is resolved when nothing is rejected.
/// An optional body carries the operator's correction (query parameters
/// and headers set on the stored request, e.g. `{"query": {"contact_id":
/// "…"}}`); it is kept on the dead letter and audited.
#[utoipa::path(post, path = "/v1/dead-letters/{id}/replay", tag = "ingest", params(("id" = String, Path)), request_body(content = Option<ReplayCorrection>, description = "a correction to apply (optional)"), responses((status = 200, description = "replayed", body = ReplayResult)))]
pub async fn replay_dead_letter(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    correction: Option<ApiJson<ReplayCorrection>>,
) -> Result<Json<ReplayResult>, ApiError> {
    let correction = correction.map(|ApiJson(c)| c);
    Ok(Json(s.ingest.replay(&id, &who.name, correction).await?))
}

/// `POST /v1/sources/{name}/replay`: replay every open dead letter of a source.
#[utoipa::path(post, path = "/v1/sources/{name}/replay", tag = "ingest", params(("name" = String, Path)), responses((status = 200, description = "replayed", body = ReplaySummary)))]
pub async fn replay_source(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> Result<Json<ReplaySummary>, ApiError> {
    Ok(Json(s.ingest.replay_source(&name, &who.name).await?))
}

/// Query of the identity listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IdentityParams {
    /// One identity, `namespace:vendor-user-id`.
    identity: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Agents per page, 1..=1000 (default 100).
    limit: Option<usize>,
}

/// A page of identity mappings.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct IdentityPage {
    /// Identities with their agents.
    pub items: Vec<IdentityMapping>,
    /// Cursor of the next page (`null` on the last page, as on every
    /// listing).
    pub next_cursor: Option<String>,
}

/// `GET /v1/identities?identity=`: which agent each vendor user id is.
#[utoipa::path(get, path = "/v1/identities", tag = "agents", params(IdentityParams), responses((status = 200, description = "ok", body = IdentityPage)))]
pub async fn list_identities(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<IdentityParams>,
) -> Result<Json<IdentityPage>, ApiError> {
    let (items, next_cursor) = s.records.people.identities(
        p.identity.as_deref(),
        Filter {
            cursor: p.cursor,
            limit: page_limit(p.limit)?,
            scope: who.scope,
            ..Filter::default()
        },
    )?;
    Ok(Json(IdentityPage { items, next_cursor }))
}

/// Body of a merge.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The agent to merge into the one in the path (its identities and
    /// records move; it stays, marked `merged_into`).
    pub from: String,
}

/// `POST /v1/agents/{id}/merge`: one person seen under two vendor ids.
#[utoipa::path(post, path = "/v1/agents/{id}/merge", tag = "agents", params(("id" = String, Path)), request_body(content = MergeRequest, content_type = "application/json"), responses((status = 200, description = "merged", body = MergeReport)))]
pub async fn merge_agents(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(m): ApiJson<MergeRequest>,
) -> Result<Json<MergeReport>, ApiError> {
    // A scoped lead merges only agents they see.
    for a in [&id, &m.from] {
        if !who.scope.sees_agent(a) {
            return Err(super::records::not_found("agent", a));
        }
    }
    Ok(Json(
        s.records
            .people
            .merge_agents(&id, &m.from, &who.name)
            .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendor_url_prefers_public_url_then_forwarded_headers() {
        let uri: axum::http::Uri = "/v1/ingest/twilio?bodySHA256=ab".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(
            vendor_url(None, &h, &uri),
            "http://127.0.0.1:8080/v1/ingest/twilio?bodySHA256=ab"
        );
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("coach.example.com, proxy"),
        );
        assert_eq!(
            vendor_url(None, &h, &uri),
            "https://coach.example.com/v1/ingest/twilio?bodySHA256=ab"
        );
        assert_eq!(
            vendor_url(Some("https://c.example.com/"), &h, &uri),
            "https://c.example.com/v1/ingest/twilio?bodySHA256=ab"
        );
    }
}
