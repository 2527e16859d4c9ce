//! Cluster mode at the HTTP edge: every request that may write runs as one
//! cluster write (`cluster.rs`), and `GET /v1/cluster` shows the log and
//! the nodes applying it.

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::cluster::{ClusterError, ClusterStatus};

use super::{ApiError, AppState};

/// Run a request that may write (any method but GET, HEAD, OPTIONS) as one
/// cluster write: it is answered once the log holds what it changed, and
/// run again if another node's write got into the log first. A vendor
/// delivery's `Nats-Msg-Id` is the digest of its method, URL and body, so
/// a retry reaching another node is logged once. Installed only on a
/// clustered host (a pass should one stand alone).
pub async fn writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(cluster) = state.cluster.clone() else {
        return next.run(req).await;
    };
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // The routes enforce their own (smaller) limits on what they read.
    let limit = state.ops.max_plugin_bytes().max(state.ops.max_body_bytes()) + 1;
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body is larger than {} bytes", limit - 1),
            )
            .into_response();
        }
    };
    let msg_id = parts.uri.path().starts_with("/v1/ingest/").then(|| {
        let mut bytes = format!("{} {}\n", parts.method, parts.uri).into_bytes();
        bytes.extend_from_slice(&body);
        crate::clock::sha256_hex(&bytes)
    });
    let (method, uri, version, headers, extensions) = (
        parts.method,
        parts.uri,
        parts.version,
        parts.headers,
        parts.extensions,
    );
    // The write runs in its own task, so a client that hangs up cannot cut
    // it short between changing this node's store and the log's answer.
    let write = tokio::spawn(async move {
        cluster
            .write(msg_id, || {
                let mut req = Request::new(Body::from(body.clone()));
                *req.method_mut() = method.clone();
                *req.uri_mut() = uri.clone();
                *req.version_mut() = version;
                *req.headers_mut() = headers.clone();
                *req.extensions_mut() = extensions.clone();
                next.clone().run(req)
            })
            .await
    });
    match write.await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => unavailable(e).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a cluster write failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the write failed; see the host log",
            )
            .into_response()
        }
    }
}

fn unavailable(e: ClusterError) -> ApiError {
    let code = match &e {
        ClusterError::Contended(..) => "cluster_contended",
        ClusterError::Store(s) if s.is_disk_full() => "storage_full",
        ClusterError::Store(_) => "storage_unavailable",
        _ => "cluster_unavailable",
    };
    tracing::warn!(error = %e, code, "cluster write failed");
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, e.to_string())
}

/// `GET /v1/cluster`: the log (stream, last entry, replicas, leader) and
/// every node that has reported, with how far behind it is. 404
/// `not_clustered` on a host standing alone.
#[utoipa::path(get, path = "/v1/cluster", tag = "operations", responses((status = 200, description = "ok", body = ClusterStatus), (status = 404, description = "this host is not in a cluster", body = super::ErrorBody), (status = 503, description = "NATS unreachable", body = super::ErrorBody)))]
pub async fn status(State(state): State<AppState>) -> Result<Json<ClusterStatus>, ApiError> {
    let Some(cluster) = &state.cluster else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_clustered",
            "this host stands alone: no [cluster] is configured",
        ));
    };
    cluster.status().await.map(Json).map_err(unavailable)
}
