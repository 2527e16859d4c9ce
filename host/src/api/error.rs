//! `ApiError`: every failure the API returns, as JSON with a stable `code`.
//!
//! Internal details (storage errors, engine messages) are logged, not sent;
//! plugin failures are sent in full because integrators need them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::AuthError;
use crate::plugins::RuntimeError;
use crate::records::StoreError;

/// An API failure.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Extra structured context (a plugin's logs, the field at fault…).
    pub details: Option<serde_json::Value>,
}

/// The shape of every error response (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the JSON that `Body` writes")]
pub struct ErrorBody {
    /// The error.
    error: ErrorInner,
}

/// An error's fields.
#[derive(utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the JSON that `Inner` writes")]
struct ErrorInner {
    /// Stable machine-readable code, e.g. `invalid_field`, `plugin_timeout`.
    code: String,
    /// Human-readable explanation.
    message: String,
    /// Extra context (the field at fault, a plugin's logs…).
    details: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Value>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// Its stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Attach structured details.
    pub fn with_details(mut self, details: serde_json::Value) -> ApiError {
        self.details = Some(details);
        self
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                details: self.details.as_ref(),
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        if self.code == "plugin_busy" || self.code == "busy" {
            resp.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        resp
    }
}

/// Turn axum's own plain-text rejections (body too large, a path segment
/// that does not parse, a wrong method) into JSON errors with a code, so
/// every error the API returns has the same shape ([`super::shape::answers`]
/// runs it on every error answer).
pub fn json_rejections(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than the server accepts",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this route does not accept that method",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "unsupported content type")
        }
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        s if s.is_client_error() => (
            "bad_request",
            "the request could not be read (check the path and query)",
        ),
        _ => ("internal_error", "the server failed; see the host log"),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    if let Some(allow) = resp.headers().get(axum::http::header::ALLOW) {
        out.headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
    }
    out
}

impl From<crate::plugins::PluginOpError> for ApiError {
    fn from(e: crate::plugins::PluginOpError) -> ApiError {
        match e {
            crate::plugins::PluginOpError::Runtime(e) => e.into(),
            crate::plugins::PluginOpError::Audit(e) => e.into(),
        }
    }
}

impl From<crate::work::WorkError> for ApiError {
    fn from(e: crate::work::WorkError) -> ApiError {
        use crate::work::WorkError as W;
        match e {
            W::Busy { .. } => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string()),
            W::DeadlineExceeded { .. } => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "deadline_exceeded",
                e.to_string(),
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "storage failure");
        if e.is_disk_full() {
            ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                "the data volume is full: nothing was stored; the host takes writes again \
                 once space is freed (see /readyz)",
            )
        } else if e.is_fault() {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "the data store cannot write right now: nothing was stored; the host is \
                 recovering (see /readyz and the host log)",
            )
        } else {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage_error",
                "the data store failed; see the host log",
            )
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Unauthenticated(_) => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", e.to_string())
            }
            AuthError::Forbidden { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            AuthError::Store(s) => s.into(),
        }
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> ApiError {
        use RuntimeError as R;
        let status = match &e {
            R::NotFound { .. } => StatusCode::NOT_FOUND,
            R::VersionNotFound { .. } => StatusCode::NOT_FOUND,
            R::Disabled { .. } => StatusCode::CONFLICT,
            R::Tripped { .. } => StatusCode::SERVICE_UNAVAILABLE,
            R::WrongKind { .. } => StatusCode::CONFLICT,
            R::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            R::InputTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            R::OutputTooLarge { .. } => StatusCode::BAD_GATEWAY,
            R::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            R::MemoryLimit { .. } => StatusCode::BAD_GATEWAY,
            R::FuelExhausted { .. } => StatusCode::BAD_GATEWAY,
            R::Trap { .. } => StatusCode::BAD_GATEWAY,
            R::Manifest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            R::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            R::KindMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            R::CapabilityNotGranted { .. } => StatusCode::FORBIDDEN,
            R::VersionConflict { .. } => StatusCode::CONFLICT,
            R::NoPrevious { .. } => StatusCode::CONFLICT,
            R::Engine { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            R::Store(_) => {
                let R::Store(s) = e else {
                    unreachable!("matched above")
                };
                return s.into();
            }
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}
