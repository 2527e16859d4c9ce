//! Coaching routes: alerts and their workflow, recognition, coaching
//! sessions, the live stream, analytics and re-scoring.
//!
//! Alerts list in deadline (`coach_by`) order; `?overdue=true` lists the
//! open and acknowledged ones whose deadline has passed. The stream is
//! Server-Sent Events: a `ready` event first, then `feedback`, `scorecard`,
//! `alert` and `recognition` events as records become durable, and a
//! `resync` event when the client fell behind and missed some.

use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;

use super::practice::{all_seen_by, seen_by};
use super::records::{
    ListParams, agent_in_scope, filter, own_agent, page_limit, seen, within_scope,
};
use super::{ApiError, ApiJson, ApiQuery, AppState, Caller, ErrorBody};
use crate::analytics::Cohort;
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::live::{LiveFilter, Received};
use crate::model::{
    AcknowledgeRecognition, Alert, CoachAlert, CoachingSession, DismissAlert, LiveKind,
    Recognition, RescoreReport, RescoreRequest, Role, SessionKind, TopicReport, TrendReport,
};
use crate::records::{Filter, Page, RecordError, Term};

const DAY_MS: i64 = 86_400_000;

// ---- alerts ---------------------------------------------------------------------

/// `GET /v1/alerts` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// Alerts about this agent.
    agent: Option<String>,
    /// Alerts of this team.
    team: Option<String>,
    /// Alerts for this supervisor.
    supervisor: Option<String>,
    /// `open`, `acknowledged`, `coached` or `dismissed` (alone, or with
    /// `team` or `supervisor`).
    state: Option<String>,
    /// Only open or acknowledged alerts past their deadline.
    #[serde(default)]
    overdue: bool,
    /// Deadline at or after (ms).
    from: Option<i64>,
    /// Deadline before (ms).
    to: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    limit: Option<usize>,
}

fn alert_filter(who: &Principal, mut p: AlertParams) -> Result<Filter, ApiError> {
    if who.role == Role::Agent {
        let own = own_agent(who)?.to_string();
        if p.agent.as_ref().is_some_and(|a| *a != own) || p.team.is_some() || p.supervisor.is_some()
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "an agent token sees only its own agent's alerts",
            ));
        }
        p.agent = Some(own);
    }
    let scope: Vec<(&str, String)> = [
        ("agent", p.agent),
        ("team", p.team),
        ("supervisor", p.supervisor),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    if scope.len() > 1 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "give at most one of agent, team, supervisor",
        ));
    }
    if let Some(state) = &p.state
        && !["open", "acknowledged", "coached", "dismissed"].contains(&state.as_str())
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("state {state:?} is not one of open, acknowledged, coached, dismissed"),
        ));
    }
    let scope = scope.into_iter().next();
    let mut to = p.to;
    let term: Option<Term> = match (p.overdue, p.state, scope) {
        (true, Some(_), _) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`overdue` lists open and acknowledged alerts; leave out `state`",
            ));
        }
        (true, None, scope) => {
            let now = now_ms();
            to = Some(to.map_or(now, |t| t.min(now)));
            Some(match scope {
                None => Term::PendingAll,
                Some(("agent", a)) => Term::PendingAgent(a),
                Some(("team", t)) => Term::PendingTeam(t),
                Some((_, s)) => Term::PendingSupervisor(s),
            })
        }
        (false, Some(state), None) => Some(Term::State(state)),
        (false, Some(state), Some(("team", t))) => Some(Term::TeamState(t, state)),
        (false, Some(state), Some(("supervisor", s))) => Some(Term::SupervisorState(s, state)),
        (false, Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`state` combines with `team` or `supervisor`; for one agent use `overdue` or no state",
            ));
        }
        (false, None, Some(("agent", a))) => Some(Term::Agent(a)),
        (false, None, Some(("team", t))) => Some(Term::Team(t)),
        (false, None, Some((_, s))) => Some(Term::Supervisor(s)),
        (false, None, None) => None,
    };
    page_limit(p.limit)?;
    if let Some(t) = &term {
        within_scope(who, t)?;
    }
    Ok(Filter {
        term,
        from: p.from,
        to,
        cursor: p.cursor,
        limit: p.limit,
        scope: who.scope.clone(),
    })
}

/// `GET /v1/alerts?agent=|team=|supervisor=&state=&overdue=&from=&to=`
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", params(AlertParams), responses((status = 200, description = "ok, in deadline order", body = Page<Alert>)))]
pub async fn list_alerts(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<AlertParams>,
) -> Result<Json<Page<Alert>>, ApiError> {
    Ok(Json(s.records.coaching.alerts(alert_filter(&who, q)?)?))
}

/// `GET /v1/alerts/{id}`
#[utoipa::path(get, path = "/v1/alerts/{id}", tag = "alerts", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Alert)))]
pub async fn get_alert(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    Ok(Json(seen(
        &who,
        s.records.coaching.alert(&id),
        "alert",
        &id,
    )?))
}

/// `POST /v1/alerts/{id}/acknowledge`: the supervisor has seen it.
#[utoipa::path(post, path = "/v1/alerts/{id}/acknowledge", tag = "alerts", params(("id" = String, Path)), responses((status = 200, description = "acknowledged", body = Alert), (status = "default", description = "an error with a stable code (409 when it is not open)", body = ErrorBody)))]
pub async fn acknowledge_alert(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Alert>, ApiError> {
    seen(&who, s.records.coaching.alert(&id), "alert", &id)?;
    Ok(Json(s.pipeline.acknowledge_alert(&id, &who.name).await?))
}

/// `POST /v1/alerts/{id}/dismiss {"reason"}`: closed without coaching.
#[utoipa::path(post, path = "/v1/alerts/{id}/dismiss", tag = "alerts", params(("id" = String, Path)), request_body(content = DismissAlert, content_type = "application/json"), responses((status = 200, description = "dismissed", body = Alert)))]
pub async fn dismiss_alert(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DismissAlert>,
) -> Result<Json<Alert>, ApiError> {
    seen(&who, s.records.coaching.alert(&id), "alert", &id)?;
    Ok(Json(
        s.pipeline.dismiss_alert(&id, &who.name, req.reason).await?,
    ))
}

/// `POST /v1/flags/rerun {"from", "to"}`: run the flag rules and flagger
/// plugins again over a window's records (after a flagger failed, or to
/// apply a new rule to past records); opens only alerts not raised before.
#[utoipa::path(post, path = "/v1/flags/rerun", tag = "alerts", request_body(content = crate::model::RerunFlagsRequest, content_type = "application/json"), responses((status = 200, description = "what the run looked at, the alerts it opened and any flagger that failed", body = crate::model::RerunFlagsReport)))]
pub async fn rerun_flags(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(req): ApiJson<crate::model::RerunFlagsRequest>,
) -> Result<Json<crate::model::RerunFlagsReport>, ApiError> {
    Ok(Json(s.pipeline.rerun_flags(req, &who.name).await?))
}

/// `POST /v1/alerts/{id}/coach {"session_id"}`: handled in that session.
#[utoipa::path(post, path = "/v1/alerts/{id}/coach", tag = "alerts", params(("id" = String, Path)), request_body(content = CoachAlert, content_type = "application/json"), responses((status = 200, description = "coached", body = Alert)))]
pub async fn coach_alert(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CoachAlert>,
) -> Result<Json<Alert>, ApiError> {
    seen(&who, s.records.coaching.alert(&id), "alert", &id)?;
    seen(
        &who,
        s.records.coaching.session(&req.session_id),
        "session",
        &req.session_id,
    )?;
    Ok(Json(
        s.pipeline
            .coach_alert(&id, &who.name, &req.session_id)
            .await?,
    ))
}

// ---- recognition ------------------------------------------------------------

/// `GET /v1/recognitions?agent=|team=&from=&to=`
#[utoipa::path(get, path = "/v1/recognitions", tag = "recognitions", params(super::records::ListParams), responses((status = 200, description = "ok", body = Page<Recognition>)))]
pub async fn list_recognitions(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<Recognition>>, ApiError> {
    Ok(Json(s.records.coaching.recognitions(filter(
        &who,
        q,
        &["agent", "team"],
    )?)?))
}

/// `POST /v1/recognitions/{id}/acknowledge {"note"?}`: a leader recognises
/// the score.
#[utoipa::path(post, path = "/v1/recognitions/{id}/acknowledge", tag = "recognitions", params(("id" = String, Path)), request_body(content = AcknowledgeRecognition, content_type = "application/json"), responses((status = 200, description = "acknowledged", body = Recognition)))]
pub async fn acknowledge_recognition(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Option<ApiJson<AcknowledgeRecognition>>,
) -> Result<Json<Recognition>, ApiError> {
    seen(
        &who,
        s.records.coaching.recognition(&id),
        "recognition",
        &id,
    )?;
    let req = body.map_or_else(AcknowledgeRecognition::default, |b| b.0);
    Ok(Json(
        s.pipeline
            .acknowledge_recognition(&id, &who.name, req.note)
            .await?,
    ))
}

// ---- sessions -------------------------------------------------------------------

/// `POST /v1/sessions`: record a coaching session. Its `rapport_notes`
/// only from a token belonging to its coach.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body(content = CoachingSession, content_type = "application/json"), responses((status = 201, description = "created", body = CoachingSession)))]
pub async fn create_session(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(mut body): ApiJson<CoachingSession>,
) -> Result<(StatusCode, Json<CoachingSession>), ApiError> {
    if who.role == Role::Agent {
        // A mentor records the sessions of their own pairing.
        let me = own_agent(&who)?;
        if body.kind != SessionKind::Mentoring || body.coach_id != me {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "an agent records only mentoring sessions they run as the mentor (`kind: mentoring`, `coach_id`: themself)",
            ));
        }
        if body.pairing_id.is_none() {
            body.pairing_id = s
                .records
                .mentoring
                .current_pairing(me, &body.agent_id)?
                .map(|p| p.id);
        }
        if body.pairing_id.is_none() {
            return Err(RecordError::Invalid {
                field: "agent_id".into(),
                message: format!(
                    "you have no accepted or active pairing with {:?} as its mentor",
                    body.agent_id
                ),
            }
            .into());
        }
    } else {
        agent_in_scope(&who, "agent_id", &body.agent_id)?;
    }
    let session = s
        .records
        .coaching
        .create_session_by(body, who.person())
        .await?;
    Ok((StatusCode::CREATED, Json(seen_by(&who, session))))
}

/// `GET /v1/sessions?agent=|coach=|observer=|strategy=&from=&to=`
#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", params(super::records::ListParams), responses((status = 200, description = "ok, in scheduled order", body = Page<CoachingSession>)))]
pub async fn list_sessions(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<CoachingSession>>, ApiError> {
    let mut page = s.records.coaching.sessions(filter(
        &who,
        q,
        &["agent", "coach", "observer", "strategy"],
    )?)?;
    page.items = all_seen_by(&who, page.items);
    Ok(Json(page))
}

/// `GET /v1/sessions/{id}`
#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "sessions", params(("id" = String, Path)), responses((status = 200, description = "ok", body = CoachingSession)))]
pub async fn get_session(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<CoachingSession>, ApiError> {
    let r = seen(&who, s.records.coaching.session(&id), "session", &id)?;
    Ok(Json(seen_by(&who, r)))
}

// ---- live stream ----------------------------------------------------------------

/// `GET /v1/stream` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Only this team's events.
    team: Option<String>,
    /// Only this agent's events.
    agent: Option<String>,
    /// Comma-separated kinds: feedback, scorecard, alert, recognition.
    kinds: Option<String>,
}

/// `GET /v1/stream?team=&agent=&kinds=`: Server-Sent Events.
#[utoipa::path(get, path = "/v1/stream", tag = "live", params(StreamParams), responses((status = 200, description = "text/event-stream: `ready`, then `feedback` / `scorecard` / `alert` / `recognition` events (data: a LiveEvent), and `resync` {missed, hint} when this client fell behind", content_type = "text/event-stream", body = crate::model::LiveEvent)))]
pub async fn stream(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<StreamParams>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let mut kinds = Vec::new();
    for k in p.kinds.iter().flat_map(|k| k.split(',')).map(str::trim) {
        match LiveKind::ALL.iter().find(|x| x.as_str() == k) {
            Some(kind) => kinds.push(*kind),
            None => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("kind {k:?} is not one of feedback, scorecard, alert, recognition"),
                ));
            }
        }
    }
    let mut agent = p.agent;
    if who.role == Role::Agent {
        let own = own_agent(&who)?.to_string();
        if agent.as_ref().is_some_and(|a| *a != own) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "an agent token sees only its own agent's events",
            ));
        }
        agent = Some(own);
    }
    if let Some(a) = &agent {
        within_scope(&who, &Term::Agent(a.clone()))?;
    }
    if let Some(t) = &p.team {
        within_scope(&who, &Term::Team(t.clone()))?;
    }
    let sub = s.pipeline.hub.subscribe(LiveFilter {
        team: p.team,
        agent,
        kinds,
        scope: who.scope.clone(),
    });
    let ready = SseEvent::default()
        .event("ready")
        .json_data(serde_json::json!({ "seq": s.pipeline.hub.last_seq() }))
        .expect("json serialises");
    // Events are shaped as every answer is (`_iso` and `_name` siblings).
    let events = futures_util::stream::unfold((sub, s.clone()), |(mut sub, s)| async move {
        let event = match sub.next().await {
            Received::Event(e) => {
                let mut data = serde_json::to_value(&*e).expect("json serialises");
                super::present(&s, &mut data);
                SseEvent::default()
                    .event(e.kind.as_str())
                    .id(e.seq.to_string())
                    .json_data(data)
                    .expect("json serialises")
            }
            Received::Lagged { missed } => SseEvent::default()
                .event("resync")
                .json_data(serde_json::json!({
                    "missed": missed,
                    "hint": "this client fell behind and missed events; reload GET /v1/alerts?overdue=false, /v1/feedback and /v1/evaluations for the window, then keep reading"
                }))
                .expect("json serialises"),
            Received::Closed => return None,
        };
        Some((Ok(event), (sub, s)))
    });
    let stream = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(ready) }),
        events,
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(s.ops.stream_keep_alive())))
}

// ---- analytics ------------------------------------------------------------------

/// `GET /v1/analytics/trends` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendParams {
    /// One agent's trend.
    agent: Option<String>,
    /// One team's trend.
    team: Option<String>,
    /// Window start (ms); default 12 weeks before `to`.
    from: Option<i64>,
    /// Window end (ms); default just after now (a record written now is in it).
    to: Option<i64>,
}

/// A report's window `[from, to)`: `to` defaults to just after now (so a
/// record written this very millisecond is in it), `from` to `default_days`
/// before `to`.
pub(super) fn window(
    from: Option<i64>,
    to: Option<i64>,
    default_days: i64,
) -> Result<(i64, i64), ApiError> {
    let to = to.unwrap_or_else(|| now_ms() + 1);
    let from = from.unwrap_or(to - default_days * DAY_MS);
    if to <= from {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`to` must be after `from`",
        ));
    }
    Ok((from, to))
}

/// `GET /v1/analytics/trends?agent=|team=&from=&to=`: weekly QA (IQS) and
/// CSAT.
#[utoipa::path(get, path = "/v1/analytics/trends", tag = "analytics", params(TrendParams), responses((status = 200, description = "ok", body = TrendReport)))]
pub async fn trends(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<TrendParams>,
) -> Result<Json<TrendReport>, ApiError> {
    let scope = match (p.agent, p.team) {
        (Some(a), None) => Cohort::Agent(a),
        (None, Some(t)) => Cohort::Team(t),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give exactly one of `agent` or `team`",
            ));
        }
    };
    if who.role == Role::Agent {
        let own = own_agent(&who)?;
        if !matches!(&scope, Cohort::Agent(a) if a == own) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "an agent token sees only its own agent's trend",
            ));
        }
    }
    within_scope(
        &who,
        &match &scope {
            Cohort::Agent(a) => Term::Agent(a.clone()),
            Cohort::Team(t) => Term::Team(t.clone()),
            Cohort::All => Term::All,
        },
    )?;
    let (from, to) = window(p.from, p.to, 12 * 7)?;
    Ok(Json(s.analytics.trends(scope, from, to)?))
}

/// `GET /v1/analytics/topics` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TopicParams {
    /// One team (default: everyone).
    team: Option<String>,
    /// Window start (ms); default 28 days before `to`.
    from: Option<i64>,
    /// Window end (ms); default just after now (a record written now is in it).
    to: Option<i64>,
    /// Dings that make an agent a focus (default `[analytics]
    /// focus_min_dings`).
    min_dings: Option<usize>,
}

/// `GET /v1/analytics/topics?team=&from=&to=&min_dings=`: dinged topics
/// and the agents to focus on.
#[utoipa::path(get, path = "/v1/analytics/topics", tag = "analytics", params(TopicParams), responses((status = 200, description = "ok", body = TopicReport)))]
pub async fn topics(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<TopicParams>,
) -> Result<Json<TopicReport>, ApiError> {
    if let Some(t) = &p.team {
        within_scope(&who, &Term::Team(t.clone()))?;
    }
    let (from, to) = window(p.from, p.to, 28)?;
    Ok(Json(s.analytics.topics(
        p.team,
        from,
        to,
        p.min_dings,
        &who.scope,
    )?))
}

// ---- re-scoring -------------------------------------------------------------------

/// `POST /v1/forms/{id}/rescore`: re-score a form's evaluations in a time
/// range with another scorer or version; the diff, stored when `commit`.
#[utoipa::path(post, path = "/v1/forms/{id}/rescore", tag = "forms", params(("id" = String, Path)), request_body(content = RescoreRequest, content_type = "application/json"), responses((status = 200, description = "the diff", body = RescoreReport)))]
pub async fn rescore(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RescoreRequest>,
) -> Result<Json<RescoreReport>, ApiError> {
    if !who.scope.is_all() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "re-scoring a form reaches every team's evaluations: use a center-wide token (one that belongs to no person)",
        ));
    }
    Ok(Json(s.pipeline.scoring.rescore(&id, req, &who.name).await?))
}
