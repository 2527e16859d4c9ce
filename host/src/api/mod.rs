//! The HTTP API: the only code that touches axum.
//!
//! [`router`] builds every route over an [`AppState`]; handlers are thin:
//! extract, call one service, map errors through [`ApiError`]. Health,
//! readiness and metrics are unauthenticated (probes and scrapers);
//! everything under `/v1` needs a bearer token (or the web console's
//! session cookie) whose role the route admits. `/` and `/console/…` serve
//! the embedded web console ([`console`]).
//!
//! Who may call each route is declared once, beside the route in
//! [`routes`], and everything is derived from that one declaration (this
//! file holds all of it, so a request's way in reads in one place):
//!
//! * the check itself, a route layer that authenticates the bearer token
//!   (or the console's session cookie, with its CSRF header on anything
//!   but a read) and refuses a role the route does not admit (401 / 403)
//!   before any extractor reads the body;
//! * the route's OpenAPI operation: its `security` requirement, the roles
//!   as `x-roles`, and the default error response;
//! * [`AccessTable`], the list the role-walk test walks, so a route cannot
//!   be served without being walked.

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
mod schedule;
mod shape;

use crate::auth::{Auth, Principal};
use crate::model::Role;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

pub use error::{ApiError, ErrorBody};
pub use extract::{ApiJson, ApiQuery, Caller};
pub use shape::{iso_sibling, present};

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
        .route(Access::Roles(ADMIN), routes!(coaching::rerun_flags))
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

/// Every route of the API. A clustered host's [`crate::Services`] carries
/// its cluster before the router is built: the cluster layer is installed
/// here or not at all.
pub fn router(services: crate::Services) -> Router {
    let state: AppState = std::sync::Arc::new(services);
    let max_body = state.ops.max_body_bytes();
    let (api, doc, _) = routes();
    let doc = std::sync::Arc::new(doc);
    let app = api
        .merge(console::router())
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
        .layer(DefaultBodyLimit::max(max_body));
    // In a cluster every write runs as one cluster write; a host standing
    // alone has no such layer, so none of the cluster code is on its path.
    let app = match state.cluster {
        Some(_) => app.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cluster::writes,
        )),
        None => app,
    };
    app.layer(axum::Extension(state.auth.clone()))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Who may call a route.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// Anyone, without a token: probes and scrapers (`/healthz`, `/readyz`,
    /// `/metrics`).
    Open,
    /// A bearer token whose role is one of these.
    Roles(&'static [Role]),
    /// A bearer token whose role is one of these, or no token at all when
    /// the handler verifies the caller another way (vendor ingest into a
    /// signed source checks the vendor's signature; an unsigned source
    /// then answers 401 itself).
    RolesOrSigned(&'static [Role]),
}

impl Access {
    /// The roles admitted with a token (none for an open route).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Access::Open => &[],
            Access::Roles(r) | Access::RolesOrSigned(r) => r,
        }
    }
}

/// One served route: method, path template and who may call it.
#[derive(Clone, Debug)]
pub struct RouteAccess {
    /// The HTTP method.
    pub method: Method,
    /// The path template, e.g. `/v1/agents/{id}`.
    pub path: String,
    /// Who may call it.
    pub access: Access,
}

/// Every route the router serves, with its access.
pub type AccessTable = Vec<RouteAccess>;

/// The router under construction, its OpenAPI document and its access
/// table, grown one route at a time.
struct Routes {
    api: OpenApiRouter<AppState>,
    table: AccessTable,
}

impl Routes {
    /// Start from the document's fixed parts.
    fn new(doc: utoipa::openapi::OpenApi) -> Routes {
        Routes {
            api: OpenApiRouter::with_openapi(doc),
            table: vec![],
        }
    }

    /// Serve one handler (`routes!(handler)`) admitting `access`.
    fn route(mut self, access: Access, route: UtoipaMethodRouter<AppState>) -> Routes {
        let (schemas, mut paths, method_router) = route;
        let mut takes_query = false;
        for (path, item) in paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                // A parameter not in the path template is a query one
                // (a derived `IntoParams` may leave `in` at its default).
                takes_query |= op.parameters.iter().flatten().any(|p| {
                    matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)
                        || !path.contains(&format!("{{{}}}", p.name))
                });
                describe(op, access);
                self.table.push(RouteAccess {
                    method,
                    path: path.clone(),
                    access,
                });
            }
        }
        // One rule for query strings: a route refuses parameters it does
        // not declare (those that declare some refuse unknown ones through
        // `ApiQuery`); vendor ingest hands its query to the adapter.
        let method_router = if takes_query || matches!(access, Access::RolesOrSigned(_)) {
            method_router
        } else {
            method_router.route_layer(axum::middleware::from_fn(no_query))
        };
        let method_router = match access {
            Access::Open => method_router,
            Access::Roles(_) | Access::RolesOrSigned(_) => {
                method_router.route_layer(axum::middleware::from_fn(move |req, next| {
                    check(access, req, next)
                }))
            }
        };
        self.api = self.api.routes((schemas, paths, method_router));
        self
    }

    /// Serve a handler whose body has its own limit, enforced by the
    /// handler itself (plugin uploads: `max_plugin_bytes`, not the API's
    /// `max_body_bytes`).
    fn route_own_body_limit(
        self,
        access: Access,
        (schemas, paths, method_router): UtoipaMethodRouter<AppState>,
    ) -> Routes {
        let unlimited = method_router.layer(axum::extract::DefaultBodyLimit::disable());
        self.route(access, (schemas, paths, unlimited))
    }

    /// The router, its OpenAPI document and its access table.
    fn finish(
        self,
    ) -> (
        axum::Router<AppState>,
        utoipa::openapi::OpenApi,
        AccessTable,
    ) {
        let (router, doc) = self.api.split_for_parts();
        (router, doc, self.table)
    }
}

/// Refuse a query string on a route that declares no query parameters.
async fn no_query(req: Request, next: Next) -> Response {
    match req.uri().query() {
        Some(q) if !q.is_empty() => {
            // Names only: a value may be a secret sent by mistake.
            let names: Vec<String> = serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .map(|pairs| pairs.into_iter().map(|(k, _)| k).collect())
                .unwrap_or_default();
            ApiError::bad_request(
                "invalid_query",
                format!(
                    "this route takes no query parameters; got {}",
                    names.join(", ")
                ),
            )
            .into_response()
        }
        _ => next.run(req).await,
    }
}

/// The operations of one path item, with their methods.
fn operations(item: &mut PathItem) -> Vec<(Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::HEAD, item.head.as_mut()),
        (Method::OPTIONS, item.options.as_mut()),
        (Method::TRACE, item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// Write the route's access into its OpenAPI operation: the bearer
/// security requirement (optional for signed ingest), the admitted roles
/// as `x-roles`, and the error response every route may give.
fn describe(op: &mut Operation, access: Access) {
    let bearer = || SecurityRequirement::new("bearer", Vec::<String>::new());
    match access {
        Access::Open => {}
        Access::Roles(_) => op.security = Some(vec![bearer()]),
        Access::RolesOrSigned(_) => {
            op.security = Some(vec![SecurityRequirement::default(), bearer()]);
        }
    }
    if !matches!(access, Access::Open) {
        let roles: Vec<&str> = access.roles().iter().map(|r| r.as_str()).collect();
        let ext = op.extensions.get_or_insert_with(Default::default);
        ext.insert("x-roles".into(), serde_json::json!(roles));
    }
    op.responses
        .responses
        .entry("default".into())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description("an error with a stable code")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        });
}

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "sc_session";

/// The header a cookie-authenticated state-changing request must carry,
/// equal to its session's CSRF secret.
pub const CSRF_HEADER: &str = "x-sidecoach-csrf";

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The principal behind a console session cookie; a state-changing
/// request must echo the session's CSRF secret in [`CSRF_HEADER`] (a
/// form or script on another site can send the cookie, never the header).
pub fn session_principal(auth: &Auth, req: &Request, id: &str) -> Result<Principal, ApiError> {
    let (principal, csrf) = auth.session(id)?;
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let echoed = req
        .headers()
        .get(CSRF_HEADER)
        .is_some_and(|v| same(v.as_bytes(), csrf.as_bytes()));
    if !reads && !echoed {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "csrf_required",
            format!("a console request that changes something must carry {CSRF_HEADER}"),
        ));
    }
    Ok(principal)
}

/// Equal without an early exit.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The route layer: authenticate the bearer token or the console session
/// cookie (the router puts the [`Auth`] service in every request's
/// extensions), admit the route's roles, and hand the [`Principal`] to
/// the handler's [`super::Caller`].
async fn check(access: Access, mut req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let session = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
    if header.is_none() && session.is_none() && matches!(access, Access::RolesOrSigned(_)) {
        return next.run(req).await;
    }
    let Some(auth) = req.extensions().get::<Auth>() else {
        return ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the router was built without its token checks",
        )
        .into_response();
    };
    let principal = match (header, session) {
        (None, Some(id)) => session_principal(auth, &req, &id),
        _ => auth.authenticate(header).map_err(ApiError::from),
    };
    let principal = principal.and_then(|p| {
        p.require(access.roles())
            .map(|()| p)
            .map_err(ApiError::from)
    });
    match principal {
        Ok(p) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The role groups routes admit, named once; [`routes`] assigns one
/// group to each route beside the route itself.
mod roles {
    use crate::model::Role;

    /// Shared reference data (teams, forms): every role.
    pub const ANYONE: &[Role] = &Role::ALL;
    /// People's records, one at a time or listed (agent tokens are then
    /// confined to their own agent).
    pub const READ: &[Role] = &[
        Role::Admin,
        Role::Integrator,
        Role::Supervisor,
        Role::Coach,
        Role::ReadOnly,
        Role::Agent,
    ];
    /// Listing agents: staff only.
    pub const STAFF: &[Role] = &[
        Role::Admin,
        Role::Integrator,
        Role::Supervisor,
        Role::Coach,
        Role::ReadOnly,
    ];
    /// Managing agents, teams and forms.
    pub const MANAGE: &[Role] = &[Role::Admin, Role::Supervisor];
    /// Writing vendor records (interactions, feedback).
    pub const INGEST: &[Role] = &[Role::Admin, Role::Integrator];
    /// Writing evaluations: QA is done by supervisors and coaches too.
    pub const EVALUATE: &[Role] = &[Role::Admin, Role::Integrator, Role::Supervisor, Role::Coach];
    /// Looking at plugins.
    pub const PLUGIN_READ: &[Role] = &[
        Role::Admin,
        Role::Integrator,
        Role::Supervisor,
        Role::ReadOnly,
    ];
    /// Changing or running plugins.
    pub const PLUGIN_WRITE: &[Role] = &[Role::Admin, Role::Integrator];
    /// Creating tokens.
    pub const ADMIN: &[Role] = &[Role::Admin];
    /// Reading the audit trail (supervisors: about their agents).
    pub const AUDIT: &[Role] = &[Role::Admin, Role::ReadOnly, Role::Supervisor];
    /// Reading the configured sources.
    pub const SOURCES: &[Role] = &[Role::Admin, Role::Integrator, Role::ReadOnly];
    /// Reading dead letters (they hold raw vendor payloads).
    pub const DEAD_LETTERS: &[Role] = &[Role::Admin, Role::Integrator, Role::ReadOnly];
    /// Working alerts and recording coaching sessions.
    pub const COACHING: &[Role] = &[Role::Admin, Role::Supervisor, Role::Coach];
    /// Acknowledging recognition (a senior leader) and re-scoring history.
    pub const LEAD: &[Role] = &[Role::Admin, Role::Supervisor];
    /// Loading forecasts and rosters.
    pub const PLANNING: &[Role] = &[Role::Admin, Role::Integrator, Role::Supervisor];
    /// What an agent does for themselves (opting in, enrolling, acknowledging):
    /// the handler takes the agent from the token.
    pub const SELF: &[Role] = &[Role::Agent];
    /// Acting on a pairing, an action item, a mentoring session or a
    /// protégé's mentoring view as a participant (an agent: the handler checks
    /// they take part) or a lead.
    pub const PARTICIPANT: &[Role] = &[Role::Admin, Role::Supervisor, Role::Coach, Role::Agent];
    /// Filing a progress report: the mentor (an agent), or an admin.
    pub const MENTOR: &[Role] = &[Role::Admin, Role::Agent];
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz;
