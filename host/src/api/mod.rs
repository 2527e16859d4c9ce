//! The HTTP API: the only code that touches axum.
//!
//! [`router`] builds every route over an [`AppState`]; handlers are thin:
//! authenticate, parse, call the runtime or the store, map errors through
//! [`ApiError`]. Health, readiness and metrics are unauthenticated (probes
//! and scrapers); everything under `/v1` needs a bearer token whose role
//! the route admits.

mod coaching;
mod error;
mod ingest;
mod mentoring;
mod ops;
mod plugins;
mod records;
mod roles;
mod schedule;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::get;

pub use error::{ApiError, ErrorBody};

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
    /// Vendor ingest through adapter plugins.
    pub ingest: crate::ingest::Ingest,
    /// Scoring, flags and the live feed for records written through the API.
    pub pipeline: crate::pipeline::Pipeline,
    /// Trends and topic focus.
    pub analytics: crate::analytics::Analytics,
    /// Staffing figures and the session planner.
    pub scheduling: crate::scheduling::service::Scheduling,
    /// The mentoring program.
    pub mentoring: crate::mentoring::Mentoring,
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
pub const ROUTES: &[(&str, &str, &[Role])] = {
    use roles::*;
    &[
        ("GET", "/v1/plugins", PLUGIN_READ),
        ("POST", "/v1/plugins", PLUGIN_WRITE),
        ("GET", "/v1/plugins/json-adapter", PLUGIN_READ),
        ("POST", "/v1/plugins/json-adapter/enable", PLUGIN_WRITE),
        ("POST", "/v1/plugins/json-adapter/disable", PLUGIN_WRITE),
        ("POST", "/v1/plugins/json-adapter/rollback", PLUGIN_WRITE),
        ("POST", "/v1/plugins/json-adapter/invoke", PLUGIN_WRITE),
        ("GET", "/v1/agents", STAFF),
        ("POST", "/v1/agents", MANAGE),
        ("GET", "/v1/agents/X", READ),
        ("PUT", "/v1/agents/X", MANAGE),
        ("GET", "/v1/teams", ANYONE),
        ("POST", "/v1/teams", MANAGE),
        ("GET", "/v1/teams/X", ANYONE),
        ("PUT", "/v1/teams/X", MANAGE),
        ("GET", "/v1/forms", ANYONE),
        ("POST", "/v1/forms", MANAGE),
        ("GET", "/v1/forms/X", ANYONE),
        ("GET", "/v1/forms/X/versions/1", ANYONE),
        ("GET", "/v1/interactions", READ),
        ("POST", "/v1/interactions", INGEST),
        ("GET", "/v1/interactions/X", READ),
        ("PUT", "/v1/interactions/X", INGEST),
        ("GET", "/v1/evaluations", READ),
        ("POST", "/v1/evaluations", EVALUATE),
        ("GET", "/v1/evaluations/X", READ),
        ("PUT", "/v1/evaluations/X", EVALUATE),
        ("GET", "/v1/feedback", READ),
        ("POST", "/v1/feedback", INGEST),
        ("GET", "/v1/feedback/X", READ),
        ("PUT", "/v1/feedback/X", INGEST),
        ("POST", "/v1/tokens", ADMIN),
        ("GET", "/v1/audit", AUDIT),
        ("GET", "/v1/sources", SOURCES),
        ("GET", "/v1/dead-letters", DEAD_LETTERS),
        ("GET", "/v1/dead-letters/X", DEAD_LETTERS),
        ("POST", "/v1/dead-letters/X/replay", INGEST),
        ("POST", "/v1/sources/S/replay", INGEST),
        ("GET", "/v1/identities", STAFF),
        ("POST", "/v1/agents/X/merge", MANAGE),
        ("POST", "/v1/forms/X/rescore", LEAD),
        ("GET", "/v1/alerts", READ),
        ("GET", "/v1/alerts/X", READ),
        ("POST", "/v1/alerts/X/acknowledge", COACHING),
        ("POST", "/v1/alerts/X/dismiss", COACHING),
        ("POST", "/v1/alerts/X/coach", COACHING),
        ("GET", "/v1/recognitions", READ),
        ("POST", "/v1/recognitions/X/acknowledge", LEAD),
        ("GET", "/v1/sessions", READ),
        ("POST", "/v1/sessions", COACHING),
        ("GET", "/v1/sessions/X", READ),
        ("GET", "/v1/stream", READ),
        ("GET", "/v1/analytics/trends", READ),
        ("GET", "/v1/analytics/topics", STAFF),
        ("POST", "/v1/staffing", PLANNING),
        ("GET", "/v1/staffing?queue=q", STAFF),
        ("POST", "/v1/shifts", PLANNING),
        ("GET", "/v1/shifts", STAFF),
        ("POST", "/v1/schedule/plan", COACHING),
        ("POST", "/v1/mentors", SELF),
        ("DELETE", "/v1/mentors/me", SELF),
        ("GET", "/v1/mentors", STAFF),
        ("POST", "/v1/mentoring/enrol", SELF),
        ("GET", "/v1/agents/X/needs", READ),
        ("POST", "/v1/mentoring/match", COACHING),
        ("GET", "/v1/pairings", READ),
        ("POST", "/v1/pairings/X/accept", PARTICIPANT),
        ("POST", "/v1/pairings/X/end", PARTICIPANT),
        ("POST", "/v1/pairings/X/drop-in", MANAGE),
        ("POST", "/v1/pairings/X/reports", MENTOR),
        ("GET", "/v1/agents/X/mentoring", COACHING),
        ("PUT", "/v1/sessions/X", COACHING),
        ("POST", "/v1/sessions/X/acknowledge", SELF),
        ("POST", "/v1/sessions/X/close", COACHING),
        ("POST", "/v1/sessions/X/action-items/0", PARTICIPANT),
        ("GET", "/v1/coaching/overdue?coach=c", COACHING),
    ]
};

/// The OpenAPI document's fixed parts; the paths and schemas are collected
/// from the handlers' `#[utoipa::path]` annotations by the router below.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Sidecoach API", description = "Contact-center coaching sidecar: records, plugins, operations."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes with their OpenAPI document, built from the same handlers.
fn routes() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi as _;
    use utoipa_axum::router::OpenApiRouter;
    use utoipa_axum::routes;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(plugins::list, plugins::install))
        .routes(routes!(plugins::inspect))
        .routes(routes!(plugins::enable))
        .routes(routes!(plugins::disable))
        .routes(routes!(plugins::rollback))
        .routes(routes!(plugins::invoke))
        .routes(routes!(records::list_agents, records::create_agent))
        .routes(routes!(records::get_agent, records::update_agent))
        .routes(routes!(records::list_teams, records::create_team))
        .routes(routes!(records::get_team, records::update_team))
        .routes(routes!(records::list_forms, records::create_form))
        .routes(routes!(records::get_form))
        .routes(routes!(records::get_form_version))
        .routes(routes!(
            records::list_interactions,
            records::put_interaction
        ))
        .routes(routes!(
            records::get_interaction,
            records::update_interaction
        ))
        .routes(routes!(records::list_evaluations, records::put_evaluation))
        .routes(routes!(records::get_evaluation, records::update_evaluation))
        .routes(routes!(records::list_feedback, records::put_feedback))
        .routes(routes!(records::get_feedback, records::update_feedback))
        .routes(routes!(records::create_token))
        .routes(routes!(records::list_audit))
        .routes(routes!(ops::sources))
        .routes(routes!(ingest::ingest))
        .routes(routes!(ingest::list_dead_letters))
        .routes(routes!(ingest::get_dead_letter))
        .routes(routes!(ingest::replay_dead_letter))
        .routes(routes!(ingest::replay_source))
        .routes(routes!(ingest::list_identities))
        .routes(routes!(ingest::merge_agents))
        .routes(routes!(coaching::rescore))
        .routes(routes!(coaching::list_alerts))
        .routes(routes!(coaching::get_alert))
        .routes(routes!(coaching::acknowledge_alert))
        .routes(routes!(coaching::dismiss_alert))
        .routes(routes!(coaching::coach_alert))
        .routes(routes!(coaching::list_recognitions))
        .routes(routes!(coaching::acknowledge_recognition))
        .routes(routes!(coaching::list_sessions, coaching::create_session))
        .routes(routes!(coaching::stream))
        .routes(routes!(coaching::trends))
        .routes(routes!(coaching::topics))
        .routes(routes!(schedule::get_staffing, schedule::put_staffing))
        .routes(routes!(schedule::list_shifts, schedule::put_shifts))
        .routes(routes!(schedule::plan))
        .routes(routes!(mentoring::list_mentors, mentoring::opt_in))
        .routes(routes!(mentoring::opt_out))
        .routes(routes!(mentoring::enrol))
        .routes(routes!(mentoring::needs))
        .routes(routes!(mentoring::run_match))
        .routes(routes!(mentoring::list_pairings))
        .routes(routes!(mentoring::accept))
        .routes(routes!(mentoring::end))
        .routes(routes!(mentoring::drop_in))
        .routes(routes!(mentoring::file_report))
        .routes(routes!(mentoring::view))
        .routes(routes!(coaching::get_session, mentoring::update_session))
        .routes(routes!(mentoring::acknowledge_session))
        .routes(routes!(mentoring::close_session))
        .routes(routes!(mentoring::update_action))
        .routes(routes!(mentoring::overdue))
        .split_for_parts()
}

/// The OpenAPI document, generated from the handlers' annotations and types.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// Every route of the API.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let (api, doc) = routes();
    let doc = std::sync::Arc::new(doc);
    api.route(
        "/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    )
    .fallback(ops::not_found)
    .layer(axum::middleware::map_response(error::json_rejections))
    .layer(DefaultBodyLimit::max(max_body))
    .layer(tower_http::trace::TraceLayer::new_for_http())
    .with_state(state)
}

#[cfg(test)]
mod tests;
