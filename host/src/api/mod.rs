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
mod records;

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
use crate::model::Role;
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
    /// The coaching records.
    pub records: crate::records::Records,
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

/// Every authenticated route: method, path (with sample ids) and the roles
/// it admits. Kept beside [`router`]; the route-walk test checks each one
/// refuses a missing token and every role not listed.
pub const ROUTES: &[(&str, &str, &[Role])] = &[
    (
        "GET",
        "/v1/plugins",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::ReadOnly,
        ],
    ),
    ("POST", "/v1/plugins", &[Role::Admin, Role::Integrator]),
    (
        "GET",
        "/v1/plugins/json-adapter",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::ReadOnly,
        ],
    ),
    (
        "POST",
        "/v1/plugins/json-adapter/enable",
        &[Role::Admin, Role::Integrator],
    ),
    (
        "POST",
        "/v1/plugins/json-adapter/disable",
        &[Role::Admin, Role::Integrator],
    ),
    (
        "POST",
        "/v1/plugins/json-adapter/rollback",
        &[Role::Admin, Role::Integrator],
    ),
    (
        "POST",
        "/v1/plugins/json-adapter/invoke",
        &[Role::Admin, Role::Integrator],
    ),
    (
        "GET",
        "/v1/agents",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
        ],
    ),
    ("POST", "/v1/agents", &[Role::Admin, Role::Supervisor]),
    (
        "GET",
        "/v1/agents/X",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
            Role::Agent,
        ],
    ),
    ("PUT", "/v1/agents/X", &[Role::Admin, Role::Supervisor]),
    ("GET", "/v1/teams", &Role::ALL),
    ("POST", "/v1/teams", &[Role::Admin, Role::Supervisor]),
    ("GET", "/v1/teams/X", &Role::ALL),
    ("PUT", "/v1/teams/X", &[Role::Admin, Role::Supervisor]),
    ("GET", "/v1/forms", &Role::ALL),
    ("POST", "/v1/forms", &[Role::Admin, Role::Supervisor]),
    ("GET", "/v1/forms/X", &Role::ALL),
    ("GET", "/v1/forms/X/versions/1", &Role::ALL),
    (
        "GET",
        "/v1/interactions",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
            Role::Agent,
        ],
    ),
    ("POST", "/v1/interactions", &[Role::Admin, Role::Integrator]),
    (
        "GET",
        "/v1/interactions/X",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
            Role::Agent,
        ],
    ),
    (
        "PUT",
        "/v1/interactions/X",
        &[Role::Admin, Role::Integrator],
    ),
    (
        "GET",
        "/v1/evaluations",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
            Role::Agent,
        ],
    ),
    (
        "POST",
        "/v1/evaluations",
        &[Role::Admin, Role::Integrator, Role::Supervisor, Role::Coach],
    ),
    (
        "GET",
        "/v1/evaluations/X",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
            Role::Agent,
        ],
    ),
    (
        "PUT",
        "/v1/evaluations/X",
        &[Role::Admin, Role::Integrator, Role::Supervisor, Role::Coach],
    ),
    (
        "GET",
        "/v1/feedback",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
            Role::Agent,
        ],
    ),
    ("POST", "/v1/feedback", &[Role::Admin, Role::Integrator]),
    (
        "GET",
        "/v1/feedback/X",
        &[
            Role::Admin,
            Role::Integrator,
            Role::Supervisor,
            Role::Coach,
            Role::ReadOnly,
            Role::Agent,
        ],
    ),
    ("PUT", "/v1/feedback/X", &[Role::Admin, Role::Integrator]),
    ("POST", "/v1/tokens", &[Role::Admin]),
];

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
        .route(
            "/v1/agents",
            get(records::list_agents).post(records::create_agent),
        )
        .route(
            "/v1/agents/{id}",
            get(records::get_agent).put(records::update_agent),
        )
        .route(
            "/v1/teams",
            get(records::list_teams).post(records::create_team),
        )
        .route(
            "/v1/teams/{id}",
            get(records::get_team).put(records::update_team),
        )
        .route(
            "/v1/forms",
            get(records::list_forms).post(records::create_form),
        )
        .route("/v1/forms/{id}", get(records::get_form))
        .route(
            "/v1/forms/{id}/versions/{version}",
            get(records::get_form_version),
        )
        .route(
            "/v1/interactions",
            get(records::list_interactions).post(records::put_interaction),
        )
        .route(
            "/v1/interactions/{id}",
            get(records::get_interaction).put(records::update_interaction),
        )
        .route(
            "/v1/evaluations",
            get(records::list_evaluations).post(records::put_evaluation),
        )
        .route(
            "/v1/evaluations/{id}",
            get(records::get_evaluation).put(records::update_evaluation),
        )
        .route(
            "/v1/feedback",
            get(records::list_feedback).post(records::put_feedback),
        )
        .route(
            "/v1/feedback/{id}",
            get(records::get_feedback).put(records::update_feedback),
        )
        .route("/v1/tokens", post(records::create_token))
        .fallback(ops::not_found)
        .layer(axum::middleware::map_response(error::json_rejections))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests;
