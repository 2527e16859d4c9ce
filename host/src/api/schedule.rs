//! Scheduling routes: staffing forecasts (JSON or a WFM CSV export) with
//! their Erlang figures, agents' shifts, and the session planner.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

use super::extract::json_body;
use super::{ApiError, ApiJson, ApiQuery, AppState, Caller};
use crate::clock::now_ms;
use crate::model::{Shift, StaffingInterval};
use crate::records::{Filter, Page, Term, WriteCounts};
use crate::scheduling::service::{PlanReport, PlanSessions, StaffingView, parse_staffing_csv};

/// `POST /v1/staffing`: a forecast as a JSON array of intervals, or a WFM
/// export as `text/csv`. All rows are checked before any is stored.
#[utoipa::path(post, path = "/v1/staffing", tag = "scheduling", request_body(content = Vec<StaffingInterval>, description = "JSON array, or text/csv with a header naming queue, starts_at, length_minutes, offered, aht_seconds[, scheduled_agents]"), responses((status = 200, description = "stored", body = WriteCounts)))]
pub async fn put_staffing(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WriteCounts>, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let rows = if ct.starts_with("text/csv") {
        let text = std::str::from_utf8(&body)
            .map_err(|_| ApiError::bad_request("invalid_body", "the CSV is not UTF-8"))?;
        parse_staffing_csv(text)?
    } else {
        json_body::<Vec<StaffingInterval>>(&headers, &body)?
    };
    Ok(Json(s.records.scheduling.put_staffing(rows).await?))
}

/// `GET /v1/staffing` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StaffingParams {
    /// The queue.
    queue: String,
    /// From (ms); default now.
    from: Option<i64>,
    /// To (ms); default a week after `from`.
    to: Option<i64>,
}

/// `GET /v1/staffing?queue=&from=&to=`: each interval with its traffic,
/// the agents required for the target (on the phones and scheduled), the
/// predicted service level with the agents scheduled, and the surplus.
#[utoipa::path(get, path = "/v1/staffing", tag = "scheduling", params(StaffingParams), responses((status = 200, description = "ok", body = Vec<StaffingView>)))]
pub async fn get_staffing(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<StaffingParams>,
) -> Result<Json<Vec<StaffingView>>, ApiError> {
    let from = p.from.unwrap_or_else(now_ms);
    let to = p.to.unwrap_or(from + 7 * 86_400_000);
    if to <= from {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`to` must be after `from`",
        ));
    }
    Ok(Json(s.scheduling.staffing(&p.queue, from, to)?))
}

/// `POST /v1/shifts`: agents' shifts (a roster), as a JSON array.
#[utoipa::path(post, path = "/v1/shifts", tag = "scheduling", request_body(content = Vec<Shift>, content_type = "application/json"), responses((status = 200, description = "stored", body = WriteCounts)))]
pub async fn put_shifts(
    State(s): State<AppState>,
    ApiJson(shifts): ApiJson<Vec<Shift>>,
) -> Result<Json<WriteCounts>, ApiError> {
    Ok(Json(s.records.scheduling.put_shifts(shifts).await?))
}

/// `GET /v1/shifts` parameters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftParams {
    agent: Option<String>,
    queue: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    cursor: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/shifts?agent=|queue=&from=&to=`
#[utoipa::path(get, path = "/v1/shifts", tag = "scheduling", params(super::records::ListParams), responses((status = 200, description = "ok", body = Page<Shift>)))]
pub async fn list_shifts(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<ShiftParams>,
) -> Result<Json<Page<Shift>>, ApiError> {
    let term = match (p.agent, p.queue) {
        (Some(a), None) => Some(Term::Agent(a)),
        (None, Some(q)) => Some(Term::Queue(q)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give at most one of `agent`, `queue`",
            ));
        }
    };
    Ok(Json(s.records.scheduling.shifts(Filter {
        term,
        from: p.from,
        to: p.to,
        cursor: p.cursor,
        limit: p.limit,
        ..Filter::default()
    })?))
}

/// `POST /v1/schedule/plan`: place sessions where the interval's surplus
/// covers everyone taken off the phones, inside their shifts, staggered,
/// quietest first; report each touched interval's predicted service level
/// before and after. `commit` creates the placed sessions.
#[utoipa::path(post, path = "/v1/schedule/plan", tag = "scheduling", request_body(content = PlanSessions, content_type = "application/json"), responses((status = 200, description = "the plan (and, with commit, the sessions created)", body = PlanReport)))]
pub async fn plan(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(req): ApiJson<PlanSessions>,
) -> Result<(StatusCode, Json<PlanReport>), ApiError> {
    let report = s.scheduling.plan(req, &who.name).await?;
    Ok((StatusCode::OK, Json(report)))
}
