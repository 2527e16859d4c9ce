//! Operations routes: liveness, readiness, Prometheus metrics, 404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::operations::SourceStatus;
use crate::records::Unreadable;

use super::records::{PageParams, page_of};
use super::{ApiError, ApiJson, ApiQuery, AppState, Caller};
use crate::records::Page;

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "the process is up")))]
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: start-up finished (store open, plugins loaded) and no
/// shutdown under way.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "ready"), (status = 503, description = "starting, stopping, the store failing, or (in a cluster) catching up with the log", body = super::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    if let Some(fault) = state.ops.storage_fault() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            fault,
        ));
    }
    if let Some(cluster) = &state.cluster
        && !cluster.caught_up()
    {
        let (applied, target) = cluster.catch_up();
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "catching_up",
            format!("this node has applied {applied} of the log's {target} entries"),
        ));
    }
    match state.ops.readiness()? {
        Some(report) => Ok(Json(report)),
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "starting up or shutting down",
        )),
    }
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus/OpenMetrics text", content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.ops.metrics_text(),
    )
}

/// Any unknown path.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// `GET /v1/sources`: the configured vendor sources and whether each one's
/// adapter is installed and callable.
#[utoipa::path(get, path = "/v1/sources", tag = "operations", params(PageParams), responses((status = 200, description = "ok, by name", body = Page<SourceStatus>)))]
pub async fn sources(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<Page<SourceStatus>>, ApiError> {
    Ok(Json(page_of(state.ops.sources(), |s| s.name.clone(), p)?))
}

/// `GET /v1/admin/unreadable`: every stored record that does not read as
/// its kind (written by an older build: this one refuses such writes).
/// Listings skip them and name them in their `unreadable` field.
#[utoipa::path(get, path = "/v1/admin/unreadable", tag = "operations", params(PageParams), responses((status = 200, description = "ok", body = Page<Unreadable>)))]
pub async fn list_unreadable(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<Page<Unreadable>>, ApiError> {
    Ok(Json(page_of(
        state.records.unreadable()?,
        |u| format!("{}/{}", u.kind, u.id),
        p,
    )?))
}

/// `PUT /v1/admin/unreadable/{kind}/{id}`: replace an unreadable record
/// with a corrected one (the same id, readable as its kind); audited.
#[utoipa::path(put, path = "/v1/admin/unreadable/{kind}/{id}", tag = "operations", params(("kind" = String, Path, description = "record kind, e.g. `evaluations`"), ("id" = String, Path)), request_body(content = Object, description = "the corrected record"), responses((status = 204, description = "repaired")))]
pub async fn repair_unreadable(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(record): ApiJson<serde_json::Value>,
) -> Result<StatusCode, ApiError> {
    let json = serde_json::to_vec(&record).expect("JSON values serialise");
    state
        .records
        .repair_unreadable(&kind, &id, &json, &who.name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/admin/unreadable/{kind}/{id}`: remove an unreadable record
/// and its index entries; audited with the text removed.
#[utoipa::path(delete, path = "/v1/admin/unreadable/{kind}/{id}", tag = "operations", params(("kind" = String, Path, description = "record kind, e.g. `evaluations`"), ("id" = String, Path)), responses((status = 204, description = "removed")))]
pub async fn remove_unreadable(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((kind, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .records
        .remove_unreadable(&kind, &id, &who.name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
