//! The HTTP API: the only code that touches axum.
//!
//! [`router`] builds every route over an [`AppState`]; handlers are thin:
//! authenticate, parse, call the runtime or the store, map errors through
//! [`ApiError`]. Health, readiness and metrics are unauthenticated (probes
//! and scrapers); everything under `/v1` needs a bearer token whose role
//! the route admits.

mod error;
mod ops;
mod plugins;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post};

pub use error::ApiError;

use crate::auth::{Auth, Principal};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::runtime::Runtime;
use crate::store::Store;

/// Everything a handler may need.
#[derive(Clone)]
pub struct AppState {
    /// The plugin host.
    pub runtime: Arc<Runtime>,
    /// The data store.
    pub store: Store,
    /// Token checks.
    pub auth: Auth,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The configuration in effect.
    pub config: Arc<Config>,
    /// False until start-up finishes and again once shutdown begins.
    pub ready: Arc<AtomicBool>,
}

/// The authenticated caller of a `/v1` route.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        Ok(Caller(state.auth.authenticate(header)?))
    }
}

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/v1/plugins", get(plugins::list).post(plugins::install))
        .route("/v1/plugins/{id}", get(plugins::inspect))
        .route("/v1/plugins/{id}/enable", post(plugins::enable))
        .route("/v1/plugins/{id}/disable", post(plugins::disable))
        .route("/v1/plugins/{id}/rollback", post(plugins::rollback))
        .route("/v1/plugins/{id}/invoke", post(plugins::invoke))
        .fallback(ops::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests;
