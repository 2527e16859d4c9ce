//! Plugin admin routes under `/v1/plugins`: list, inspect, install/upgrade
//! (multipart upload), enable, disable, roll back, and invoke (run a plugin
//! on a sample input and see its output, logs and cost).

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::{ApiError, AppState, Caller};
use crate::plugins::{
    CallReport, FailedCall, Installed, InvokeInput, LogLine, PluginDetail, PluginStatus,
};

/// `GET /v1/plugins`
#[utoipa::path(get, path = "/v1/plugins", tag = "plugins", responses((status = 200, description = "ok", body = Vec<PluginStatus>)))]
pub async fn list(State(s): State<AppState>) -> Result<Json<Vec<PluginStatus>>, ApiError> {
    Ok(Json(s.plugins.list()))
}

/// `GET /v1/plugins/{id}`
#[utoipa::path(get, path = "/v1/plugins/{id}", tag = "plugins", params(("id" = String, Path)), responses((status = 200, description = "ok", body = PluginDetail)))]
pub async fn inspect(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PluginDetail>, ApiError> {
    Ok(Json(s.plugins.inspect(&id)?))
}

/// `POST /v1/plugins`: multipart with a `manifest` part (plugin.toml) and a
/// `component` part (the .wasm). A new id installs; a new version of an
/// installed id upgrades; the same component again changes nothing.
#[utoipa::path(post, path = "/v1/plugins", tag = "plugins", request_body(content = inline(InstallForm), content_type = "multipart/form-data"), responses((status = 201, description = "installed or upgraded; 200 when unchanged", body = Installed)))]
pub async fn install(
    State(s): State<AppState>,
    Caller(who): Caller,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Installed>), ApiError> {
    // The route's access layer checked the role before the body was read.
    let mut form = form.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send multipart/form-data with `manifest` and `component` parts: {}",
                e.body_text()
            ),
        )
    })?;
    let mut manifest = None;
    let mut component = None;
    let bad_part = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "invalid_multipart"
        };
        ApiError::new(status, code, e.body_text())
    };
    // Uploads have their own limit (a Python component is ~18 MB), read
    // a chunk at a time so a larger one is refused without being held.
    let limit = s.ops.max_plugin_bytes();
    let mut read = 0usize;
    while let Some(mut field) = form.next_field().await.map_err(bad_part)? {
        let name = field.name().map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_part)? {
            read += chunk.len();
            if read > limit {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!(
                        "the plugin upload is larger than max_plugin_bytes ({limit} bytes); raise it in the host's config"
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_deref() {
            Some("manifest") => {
                let text = String::from_utf8(bytes).map_err(|_| {
                    ApiError::bad_request("invalid_manifest", "the manifest part is not UTF-8")
                })?;
                manifest = Some(text);
            }
            Some("component") => component = Some(axum::body::Bytes::from(bytes)),
            other => {
                return Err(ApiError::bad_request(
                    "unknown_part",
                    format!("unexpected multipart part {other:?}; send `manifest` and `component`"),
                ));
            }
        }
    }
    let manifest = manifest.ok_or_else(|| {
        ApiError::bad_request(
            "missing_part",
            "the `manifest` part (plugin.toml) is missing",
        )
    })?;
    let component = component.ok_or_else(|| {
        ApiError::bad_request(
            "missing_part",
            "the `component` part (the .wasm file) is missing",
        )
    })?;
    let installed = s
        .plugins
        .install(&who.name, &manifest, component.to_vec())
        .await?;
    let status = if installed.action == "unchanged" {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(installed)))
}

/// `POST /v1/plugins/{id}/enable` (also clears a breaker trip)
#[utoipa::path(post, path = "/v1/plugins/{id}/enable", tag = "plugins", params(("id" = String, Path)), responses((status = 200, description = "ok", body = PluginStatus)))]
pub async fn enable(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<PluginStatus>, ApiError> {
    Ok(Json(s.plugins.enable(&who.name, &id).await?))
}

/// `POST /v1/plugins/{id}/disable`
#[utoipa::path(post, path = "/v1/plugins/{id}/disable", tag = "plugins", params(("id" = String, Path)), responses((status = 200, description = "ok", body = PluginStatus)))]
pub async fn disable(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<PluginStatus>, ApiError> {
    Ok(Json(s.plugins.disable(&who.name, &id).await?))
}

/// `POST /v1/plugins/{id}/rollback`
#[utoipa::path(post, path = "/v1/plugins/{id}/rollback", tag = "plugins", params(("id" = String, Path)), responses((status = 200, description = "ok", body = PluginStatus)))]
pub async fn rollback(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<PluginStatus>, ApiError> {
    Ok(Json(s.plugins.rollback(&who.name, &id).await?))
}

/// What an invocation returns.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Invocation {
    /// Plugin id.
    plugin: String,
    /// The version that ran.
    version: String,
    /// The plugin's return value (`{"Ok": …}` / `{"Err": …}` for results).
    output: Value,
    /// What it logged.
    logs: Vec<LogLine>,
    /// Lines dropped over its log limit.
    dropped_log_lines: u64,
    /// Wall time of the call.
    duration_ms: f64,
    /// Fuel used, when metered.
    fuel_consumed: Option<u64>,
    /// The largest linear memory the instance was granted, in bytes.
    peak_memory_bytes: u64,
    /// The input's size as the plugin's input limit counts it.
    input_bytes: u64,
    /// The output's size as the plugin's output limit counts it.
    output_bytes: u64,
}

/// The multipart upload of `POST /v1/plugins`.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the multipart parts; the handler reads them field by field"
)]
struct InstallForm {
    /// The manifest (plugin.toml text).
    manifest: String,
    /// The component (.wasm bytes).
    #[schema(format = Binary, value_type = String)]
    component: Vec<u8>,
}

fn report(
    id: &str,
    r: Result<CallReport<Value>, Box<FailedCall>>,
) -> Result<Json<Invocation>, ApiError> {
    match r {
        Ok(r) => Ok(Json(Invocation {
            plugin: id.to_string(),
            version: r.plugin_version,
            output: r.output,
            logs: r.log.lines,
            dropped_log_lines: r.log.dropped_lines,
            duration_ms: r.duration.as_secs_f64() * 1e3,
            fuel_consumed: r.fuel_consumed,
            peak_memory_bytes: r.peak_memory_bytes,
            input_bytes: r.input_bytes,
            output_bytes: r.output_bytes,
        })),
        Err(f) => {
            let details = json!({
                "logs": f.log.lines,
                "dropped_log_lines": f.log.dropped_lines,
                "duration_ms": f.duration.as_secs_f64() * 1e3,
            });
            Err(ApiError::from(f.error).with_details(details))
        }
    }
}

/// `POST /v1/plugins/{id}/invoke`: run a plugin on a JSON input shaped for
/// its kind and return its output, logs, duration and fuel.
#[utoipa::path(post, path = "/v1/plugins/{id}/invoke", tag = "plugins", request_body(content = Object, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Invocation)))]
pub async fn invoke(
    State(s): State<AppState>,
    Path(id): Path<String>,
    super::extract::PluginInput(value): super::extract::PluginInput,
) -> Result<Json<Invocation>, ApiError> {
    let kind = s.plugins.kind(&id)?;
    let input = InvokeInput::from_json(kind, value)
        .map_err(|message| ApiError::bad_request("invalid_input", message))?;
    report(&id, s.plugins.invoke(&id, input).await)
}
