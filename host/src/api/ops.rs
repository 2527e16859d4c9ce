//! Operations routes: liveness, readiness, Prometheus metrics, 404.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

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
    if !state.ready.load(Ordering::SeqCst) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "starting up or shutting down",
        ));
    }
    let plugins = state.runtime.list();
    let loaded = plugins.iter().filter(|p| p.load_error.is_none()).count();
    Ok(Json(json!({
        "status": "ready",
        "schema_version": state.store.schema_version()?,
        "plugins_loaded": loaded,
        "plugins_failed": plugins.len() - loaded,
    })))
}

/// `GET /metrics`: Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus/OpenMetrics text", content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

/// Any unknown path.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// A configured source as operators see it (secret values hidden).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SourceStatus {
    /// The source name (`POST /v1/ingest/{name}` once ingest lands).
    name: String,
    /// Its adapter plugin id.
    adapter: String,
    /// Whether that adapter is installed, is an adapter, and is callable.
    adapter_ready: bool,
    /// What is wrong with the adapter, if anything.
    problem: Option<String>,
    /// The names of its secrets (values are never returned).
    secret_keys: Vec<String>,
    /// Its options.
    options: std::collections::BTreeMap<String, String>,
}

/// `GET /v1/sources`: the configured vendor sources and whether each one's
/// adapter is installed and callable.
#[utoipa::path(get, path = "/v1/sources", tag = "operations", responses((status = 200, description = "ok", body = Vec<SourceStatus>), (status = "default", description = "an error with a stable code", body = super::ErrorBody)), security(("bearer" = [])))]
pub async fn sources(
    State(state): State<AppState>,
    super::Caller(who): super::Caller,
) -> Result<Json<Vec<SourceStatus>>, ApiError> {
    use crate::model::PluginKind;
    use crate::runtime::PluginState;
    who.require(super::roles::SOURCES)?;
    let out = state
        .config
        .sources
        .iter()
        .map(|(name, src)| {
            let problem = match state.runtime.status(&src.adapter) {
                Err(e) => Some(e.to_string()),
                Ok(p) if p.kind != PluginKind::Adapter => {
                    Some(format!("plugin '{}' is a {}, not an adapter", p.id, p.kind))
                }
                Ok(p) if p.state != PluginState::Active => {
                    Some(format!("plugin '{}' is {:?}", p.id, p.state).to_lowercase())
                }
                Ok(_) => None,
            };
            SourceStatus {
                name: name.clone(),
                adapter: src.adapter.clone(),
                adapter_ready: problem.is_none(),
                problem,
                secret_keys: src.secrets.keys().cloned().collect(),
                options: src.options.clone(),
            }
        })
        .collect();
    Ok(Json(out))
}
