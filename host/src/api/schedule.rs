//! Scheduling routes: staffing forecasts (JSON or a WFM CSV export, 15-,
//! 30- or 60-minute intervals) with their Erlang figures as a listing page
//! that says why when it is empty, agents' shifts, and the session planner.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

use super::extract::json_body;
use super::records::{agent_in_scope, page_limit, within_scope};
use super::{ApiError, ApiJson, ApiQuery, AppState, Caller};
use crate::clock::now_ms;
use crate::model::{Shift, StaffingInterval};
use crate::records::{Filter, Page, Term, WriteCounts};
use crate::scheduling::TimeRange;
use crate::scheduling::service::{PlanReport, PlanSessions, StaffingPage, parse_staffing_csv};

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
    /// The highest occupancy to staff to, in (0, 1]; default `[scheduling]
    /// max_occupancy` (0.85).
    max_occupancy: Option<f64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    limit: Option<usize>,
}

/// `GET /v1/staffing?queue=&from=&to=`: a page of intervals, each with its
/// traffic, the agents required on the phones (for the service-level
/// target and for the occupancy cap, and which set it) and scheduled, the
/// predicted service level with the agents scheduled, and the surplus. An
/// empty page has a `note` naming the window asked and the range the
/// queue's stored forecast spans (`stored_range`), or that none is stored.
#[utoipa::path(get, path = "/v1/staffing", tag = "scheduling", params(StaffingParams), responses((status = 200, description = "ok", body = StaffingPage)))]
pub async fn get_staffing(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<StaffingParams>,
) -> Result<Json<StaffingPage>, ApiError> {
    let from = p.from.unwrap_or_else(now_ms);
    let to = p.to.unwrap_or(from + 7 * 86_400_000);
    if to <= from {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`to` must be after `from`",
        ));
    }
    page_limit(p.limit)?;
    let window = TimeRange {
        start: from,
        end: to,
    };
    Ok(Json(
        s.scheduling
            .staffing(&p.queue, window, p.cursor, p.limit, p.max_occupancy)
            .await?,
    ))
}

/// `POST /v1/shifts`: agents' shifts (a roster), as a JSON array.
#[utoipa::path(post, path = "/v1/shifts", tag = "scheduling", request_body(content = Vec<Shift>, content_type = "application/json"), responses((status = 200, description = "stored", body = WriteCounts)))]
pub async fn put_shifts(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(shifts): ApiJson<Vec<Shift>>,
) -> Result<Json<WriteCounts>, ApiError> {
    // A scoped supervisor loads the roster of the agents they see.
    for (k, shift) in shifts.iter().enumerate() {
        agent_in_scope(&who, &format!("[{k}].agent_id"), &shift.agent_id)?;
    }
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
    Caller(who): Caller,
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
    if let Some(t) = &term {
        within_scope(&who, t)?;
    }
    Ok(Json(s.records.scheduling.shifts(Filter {
        term,
        from: p.from,
        to: p.to,
        cursor: p.cursor,
        limit: page_limit(p.limit)?,
        scope: who.scope,
    })?))
}

/// `POST /v1/schedule/plan`: place sessions where the interval's surplus
/// (within the service-level target and the occupancy cap) covers everyone
/// taken off the phones, inside their shifts, staggered, quietest first;
/// report each touched interval's predicted service level before and after,
/// the agents on the phones and required, and a note where shrinkage
/// rounding hides agents taken offline. Sessions outside the forecast come
/// back unplaced (`no_forecast`) with what is stored. `commit` creates the
/// placed sessions (a mentoring session with `pairing_id` activates it).
#[utoipa::path(post, path = "/v1/schedule/plan", tag = "scheduling", request_body(content = PlanSessions, content_type = "application/json"), responses((status = 200, description = "the plan (and, with commit, the sessions created)", body = PlanReport)))]
pub async fn plan(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(req): ApiJson<PlanSessions>,
) -> Result<(StatusCode, Json<PlanReport>), ApiError> {
    // A scoped lead plans sessions for the agents they see.
    for (k, session) in req.sessions.iter().enumerate() {
        agent_in_scope(&who, &format!("sessions[{k}].agent_id"), &session.agent_id)?;
    }
    let report = s.scheduling.plan(req, &who.name).await?;
    Ok((StatusCode::OK, Json(report)))
}
