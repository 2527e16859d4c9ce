//! The HTTP API: the only code that touches axum.
//!
//! [`router`] builds every route over an [`AppState`]; handlers are thin:
//! authenticate, parse, call the runtime or the store, map errors through
//! [`ApiError`]. Health, readiness and metrics are unauthenticated (probes
//! and scrapers); everything under `/v1` needs a bearer token (or the web
//! console's session cookie) whose role the route admits. `/` and
//! `/console/…` serve the embedded web console ([`console`]).

mod access;
mod bounds;
mod cluster;
mod coaching;
mod console;
mod error;
mod extract;
mod ingest;
mod mentoring;
mod ops;
mod people;
mod plugins;
mod practice;
mod records;
mod roles;
mod schedule;
mod shape;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;

pub use access::{Access, AccessTable, RouteAccess};
pub use error::{ApiError, ErrorBody};
pub use extract::{ApiJson, ApiQuery, Caller};
pub use shape::{iso_sibling, present};

use access::Routes;

/// The router's state: the services, nothing else.
/// Shared by every request: axum clones the state per request, and one
/// `Arc` is one counter (the services themselves hold dozens of handles).
pub type AppState = std::sync::Arc<crate::Services>;

/// The OpenAPI document's fixed parts; the paths and schemas are collected
/// from the handlers' `#[utoipa::path]` annotations by the router below.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Sidecoach API", description = "Contact-center coaching sidecar: records, plugins, operations.\n\nTimes: every time field is a `TimestampMs`. Requests take epoch milliseconds or RFC 3339 / ISO 8601 with a zone (\"2026-12-07T09:00:00Z\", \"2026-12-07T10:00:00+01:00\") in bodies and query parameters; answers keep the epoch milliseconds and add `<field>_iso` in UTC (`created_at_iso`; `installed_at_ms` → `installed_at_iso`).\n\nNames: beside every id of a person or team in an answer, its current name (`agent_name`, `team_name`, `coach_name`, `mentor_name`, `protege_name`, `supervisor_name`, `owner_name`, `observer_name`; `observer_names`, `focus_names` beside lists), looked up when answering; null when the id names nobody. Requests may send these answer-only fields back; they are dropped (an `_iso` sibling must agree with its field)."),
    components(schemas(ErrorBody)),
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

/// The routes, each with who may call it (declared here, once), their
/// OpenAPI document and the access table, all from the same declarations.
fn routes() -> (axum::Router<AppState>, serde_json::Value, AccessTable) {
    use roles::*;
    use utoipa::OpenApi as _;
    use utoipa_axum::routes;
    let (router, doc, table) = Routes::new(ApiDoc::openapi())
        .route(Access::Open, routes!(ops::healthz))
        .route(Access::Open, routes!(ops::readyz))
        .route(Access::Open, routes!(ops::metrics))
        .route(Access::Roles(PLUGIN_READ), routes!(plugins::list))
        .route_own_body_limit(Access::Roles(PLUGIN_WRITE), routes!(plugins::install))
        .route(Access::Roles(PLUGIN_READ), routes!(plugins::inspect))
        .route(Access::Roles(PLUGIN_WRITE), routes!(plugins::enable))
        .route(Access::Roles(PLUGIN_WRITE), routes!(plugins::disable))
        .route(Access::Roles(PLUGIN_WRITE), routes!(plugins::rollback))
        .route(Access::Roles(PLUGIN_WRITE), routes!(plugins::invoke))
        .route(Access::Roles(STAFF), routes!(records::list_agents))
        .route(Access::Roles(MANAGE), routes!(records::create_agent))
        .route(Access::Roles(READ), routes!(records::get_agent))
        .route(Access::Roles(MANAGE), routes!(records::update_agent))
        .route(Access::Roles(ANYONE), routes!(records::list_teams))
        .route(Access::Roles(MANAGE), routes!(records::create_team))
        .route(Access::Roles(ANYONE), routes!(records::get_team))
        .route(Access::Roles(MANAGE), routes!(records::update_team))
        .route(Access::Roles(ANYONE), routes!(records::list_forms))
        .route(Access::Roles(MANAGE), routes!(records::create_form))
        .route(Access::Roles(ANYONE), routes!(records::get_form))
        .route(Access::Roles(ANYONE), routes!(records::get_form_version))
        .route(Access::Roles(READ), routes!(records::list_interactions))
        .route(Access::Roles(INGEST), routes!(records::put_interaction))
        .route(Access::Roles(READ), routes!(records::get_interaction))
        .route(Access::Roles(INGEST), routes!(records::update_interaction))
        .route(Access::Roles(READ), routes!(records::list_evaluations))
        .route(Access::Roles(EVALUATE), routes!(records::put_evaluation))
        .route(Access::Roles(READ), routes!(records::get_evaluation))
        .route(Access::Roles(EVALUATE), routes!(records::update_evaluation))
        .route(Access::Roles(READ), routes!(records::list_feedback))
        .route(Access::Roles(INGEST), routes!(records::put_feedback))
        .route(Access::Roles(READ), routes!(records::get_feedback))
        .route(Access::Roles(INGEST), routes!(records::update_feedback))
        .route(Access::Roles(ANYONE), routes!(people::me))
        .route(Access::Roles(STAFF), routes!(people::list_staff))
        .route(Access::Roles(ADMIN), routes!(people::create_staff))
        .route(Access::Roles(STAFF), routes!(people::get_staff))
        .route(Access::Roles(ADMIN), routes!(people::update_staff))
        .route(Access::Roles(ADMIN), routes!(people::list_tokens))
        .route(Access::Roles(ADMIN), routes!(people::create_token))
        .route(Access::Roles(ADMIN), routes!(people::revoke_token))
        .route(Access::Roles(AUDIT), routes!(records::list_audit))
        .route(Access::Roles(SOURCES), routes!(ops::sources))
        .route(Access::Roles(ADMIN), routes!(cluster::status))
        .route(Access::Roles(ADMIN), routes!(ops::list_unreadable))
        .route(
            Access::Roles(ADMIN),
            routes!(ops::repair_unreadable, ops::remove_unreadable),
        )
        .route(Access::RolesOrSigned(INGEST), routes!(ingest::ingest))
        .route(
            Access::Roles(DEAD_LETTERS),
            routes!(ingest::list_dead_letters),
        )
        .route(
            Access::Roles(DEAD_LETTERS),
            routes!(ingest::get_dead_letter),
        )
        .route(Access::Roles(INGEST), routes!(ingest::replay_dead_letter))
        .route(Access::Roles(INGEST), routes!(ingest::replay_source))
        .route(Access::Roles(STAFF), routes!(ingest::list_identities))
        .route(Access::Roles(MANAGE), routes!(ingest::merge_agents))
        .route(Access::Roles(LEAD), routes!(coaching::rescore))
        .route(Access::Roles(READ), routes!(coaching::list_alerts))
        .route(Access::Roles(READ), routes!(coaching::get_alert))
        .route(
            Access::Roles(COACHING),
            routes!(coaching::acknowledge_alert),
        )
        .route(Access::Roles(COACHING), routes!(coaching::dismiss_alert))
        .route(Access::Roles(COACHING), routes!(coaching::coach_alert))
        .route(Access::Roles(READ), routes!(coaching::list_recognitions))
        .route(
            Access::Roles(LEAD),
            routes!(coaching::acknowledge_recognition),
        )
        .route(Access::Roles(READ), routes!(coaching::list_sessions))
        .route(
            Access::Roles(PARTICIPANT),
            routes!(coaching::create_session),
        )
        .route(Access::Roles(READ), routes!(coaching::get_session))
        .route(Access::Roles(COACHING), routes!(mentoring::update_session))
        .route(Access::Roles(SELF), routes!(mentoring::acknowledge_session))
        .route(Access::Roles(COACHING), routes!(mentoring::close_session))
        .route(Access::Roles(SELF), routes!(mentoring::observer_note))
        .route(
            Access::Roles(PARTICIPANT),
            routes!(mentoring::update_action),
        )
        .route(Access::Roles(COACHING), routes!(mentoring::overdue))
        .route(Access::Roles(READ), routes!(practice::cadence))
        .route(Access::Roles(STAFF), routes!(practice::effectiveness))
        .route(Access::Roles(READ), routes!(coaching::stream))
        .route(Access::Roles(READ), routes!(coaching::trends))
        .route(Access::Roles(STAFF), routes!(coaching::topics))
        .route(Access::Roles(STAFF), routes!(schedule::get_staffing))
        .route(Access::Roles(PLANNING), routes!(schedule::put_staffing))
        .route(Access::Roles(STAFF), routes!(schedule::list_shifts))
        .route(Access::Roles(PLANNING), routes!(schedule::put_shifts))
        .route(Access::Roles(COACHING), routes!(schedule::plan))
        .route(Access::Roles(STAFF), routes!(mentoring::list_mentors))
        .route(Access::Roles(SELF), routes!(mentoring::opt_in))
        .route(Access::Roles(SELF), routes!(mentoring::opt_out))
        .route(Access::Roles(SELF), routes!(mentoring::enrol))
        .route(Access::Roles(READ), routes!(mentoring::needs))
        .route(Access::Roles(COACHING), routes!(mentoring::run_match))
        .route(Access::Roles(READ), routes!(mentoring::list_pairings))
        .route(Access::Roles(SELF), routes!(mentoring::accept))
        .route(Access::Roles(PARTICIPANT), routes!(mentoring::end))
        .route(Access::Roles(MANAGE), routes!(mentoring::drop_in))
        .route(Access::Roles(MENTOR), routes!(mentoring::file_report))
        .route(Access::Roles(PARTICIPANT), routes!(mentoring::view))
        .finish();
    (router, shape::document(doc), table)
}

/// The OpenAPI document, generated from the handlers' annotations and types
/// (as JSON: [`shape`] writes the API's time and name conventions into it).
pub fn openapi() -> serde_json::Value {
    routes().1
}

/// Every route the router serves with who may call it: the table the
/// role-walk test walks, built by the same declarations as the router.
pub fn access_table() -> AccessTable {
    routes().2
}

/// Every route of the API.
pub fn router(services: crate::Services) -> Router {
    let state: AppState = std::sync::Arc::new(services);
    let max_body = state.ops.max_body_bytes();
    let (api, doc, _) = routes();
    let doc = std::sync::Arc::new(doc);
    api.merge(console::router())
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            shape::answers,
        ))
        .layer(axum::middleware::map_response(error::json_rejections))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cluster::writes,
        ))
        .layer(axum::Extension(state.auth.clone()))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests;
