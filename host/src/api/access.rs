//! Who may call each route, declared once beside the route in
//! [`super::routes`], and everything derived from that one declaration:
//!
//! * the check itself, a route layer that authenticates the bearer token
//!   (or the console's session cookie, with its CSRF header on anything
//!   but a read) and refuses a role the route does not admit (401 / 403)
//!   before any extractor reads the body;
//! * the route's OpenAPI operation: its `security` requirement, the roles
//!   as `x-roles`, and the default error response;
//! * [`AccessTable`], the list the role-walk test walks, so a route cannot
//!   be served without being walked.

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use super::{ApiError, AppState};
use crate::auth::{Auth, Principal};
use crate::model::Role;

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
pub(super) struct Routes {
    api: OpenApiRouter<AppState>,
    table: AccessTable,
}

impl Routes {
    /// Start from the document's fixed parts.
    pub(super) fn new(doc: utoipa::openapi::OpenApi) -> Routes {
        Routes {
            api: OpenApiRouter::with_openapi(doc),
            table: vec![],
        }
    }

    /// Serve one handler (`routes!(handler)`) admitting `access`.
    pub(super) fn route(mut self, access: Access, route: UtoipaMethodRouter<AppState>) -> Routes {
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
    pub(super) fn route_own_body_limit(
        self,
        access: Access,
        (schemas, paths, method_router): UtoipaMethodRouter<AppState>,
    ) -> Routes {
        let unlimited = method_router.layer(axum::extract::DefaultBodyLimit::disable());
        self.route(access, (schemas, paths, unlimited))
    }

    /// The router, its OpenAPI document and its access table.
    pub(super) fn finish(
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
