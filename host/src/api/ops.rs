//! Operations routes: liveness, readiness, Prometheus metrics, 404.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::operations::SourceStatus;

use super::{ApiError, AppState};

/// `GET /healthz`: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "the process is up")))]
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: start-up finished (store open, plugins loaded) and no
/// shutdown under way.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "ready"), (status = 503, description = "starting or stopping", body = super::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
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
#[utoipa::path(get, path = "/v1/sources", tag = "operations", responses((status = 200, description = "ok", body = Vec<SourceStatus>)))]
pub async fn sources(State(state): State<AppState>) -> Json<Vec<SourceStatus>> {
    Json(state.ops.sources())
}
