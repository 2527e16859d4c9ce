//! Coaching record routes under `/v1`: agents, teams, forms, interactions,
//! evaluations, feedback; and API tokens.
//!
//! Bodies are JSON (`Content-Type: application/json`, unknown fields
//! refused); listings take `?agent=|team=|topic=…&from=&to=&cursor=&limit=`
//! (unknown parameters refused) and return `{items, next_cursor}`. Vendor
//! records (interactions, evaluations, feedback) are upserted on `(source,
//! external_id)`: a redelivery answers 200 with `outcome: unchanged` and is
//! stored once. Agent tokens see only their own agent's records.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, Caller, ErrorBody};
use crate::auth::Principal;
use crate::model::{
    Agent, AuditEntry, Evaluation, Feedback, Form, Interaction, Role, StoredForm, Team,
};
use crate::records::{Filter, RecordError};
use crate::store::{Page, Upserted};

use super::roles::{ADMIN, ANYONE, AUDIT, EVALUATE, INGEST, MANAGE, READ, STAFF};

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> ApiError {
        match e {
            RecordError::Invalid { field, message } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("{field}: {message}"),
            )
            .with_details(serde_json::json!({ "field": field })),
            RecordError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            RecordError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            RecordError::Store(s) => s.into(),
        }
    }
}

/// Parse a JSON body: 415 for another content type, 400 for bad JSON or
/// fields that do not fit (the message names the field).
pub(super) fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("expected Content-Type: application/json, got {ct:?}"),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let code = if e.is_syntax() || e.is_eof() {
            "invalid_json"
        } else {
            "invalid_body"
        };
        ApiError::bad_request(code, format!("request body: {e}"))
    })
}

/// Parse a query string into `T` (unknown parameters refused): 400
/// `invalid_query` naming what is wrong.
pub(super) fn query<T: DeserializeOwned>(q: Option<String>) -> Result<T, ApiError> {
    serde_urlencoded::from_str(q.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad_request("invalid_query", format!("query string: {e}")))
}

/// Listing parameters. Each route accepts the filters its description
/// names, one at a time; unknown parameters are refused.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Records of this agent.
    agent: Option<String>,
    /// Records of this team (the agent's team when stored).
    team: Option<String>,
    /// Records with this topic.
    topic: Option<String>,
    /// Evaluations of, or versions of, this form.
    form: Option<String>,
    /// Records about this interaction.
    interaction: Option<String>,
    /// The agent holding this vendor identity (`source:user-id`).
    identity: Option<String>,
    /// Agents or teams under this supervisor.
    supervisor: Option<String>,
    /// Audit entries of this action (e.g. `plugin.install`).
    action: Option<String>,
    /// Audit entries about this target (e.g. a plugin id).
    target: Option<String>,
    /// Inclusive lower bound on the record time (ms since epoch).
    from: Option<i64>,
    /// Exclusive upper bound on the record time (ms since epoch).
    to: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    limit: Option<usize>,
}

/// Parse the query string into a filter, allowing the index terms in
/// `allowed`, and confine agent tokens to their own records.
pub(super) fn filter(
    who: &Principal,
    query: Option<String>,
    allowed: &[&'static str],
) -> Result<Filter, ApiError> {
    let p: ListParams = self::query(query)?;
    let given: Vec<(&'static str, String)> = [
        ("agent", p.agent),
        ("team", p.team),
        ("topic", p.topic),
        ("form", p.form),
        ("interaction", p.interaction),
        ("identity", p.identity),
        ("supervisor", p.supervisor),
        ("action", p.action),
        ("target", p.target),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    if let Some((k, _)) = given.iter().find(|(k, _)| !allowed.contains(k)) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "`{k}` is not a filter here (use one of: {})",
                allowed.join(", ")
            ),
        ));
    }
    if given.len() > 1 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "give at most one of the filters at a time",
        ));
    }
    if let Some(limit) = p.limit
        && !(1..=1000).contains(&limit)
    {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`limit` must be within 1..=1000",
        ));
    }
    let mut term = given.into_iter().next();
    if who.role == Role::Agent {
        let own = own_agent(who)?;
        match &term {
            None => term = Some(("agent", own.to_string())),
            Some(("agent", a)) if a == own => {}
            Some(_) => return Err(forbidden_other_agent()),
        }
        if !allowed.contains(&"agent") {
            return Err(forbidden_other_agent());
        }
    }
    Ok(Filter {
        term,
        from: p.from,
        to: p.to,
        cursor: p.cursor,
        limit: p.limit,
    })
}

pub(super) fn own_agent(who: &Principal) -> Result<&str, ApiError> {
    who.agent_id.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this agent token is not bound to an agent",
        )
    })
}

fn forbidden_other_agent() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "an agent token sees only its own agent's records",
    )
}

/// For agent tokens: the record must belong to the caller's agent. Answers
/// 404 rather than 403 so ids of other agents' records are not confirmed.
pub(super) fn visible(
    who: &Principal,
    owner: Option<&str>,
    kind: &str,
    id: &str,
) -> Result<(), ApiError> {
    if who.role == Role::Agent && owner != Some(own_agent(who)?) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{kind} {id} not found"),
        ));
    }
    Ok(())
}

/// The result of a vendor-record write.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Written<T> {
    /// `created`, `updated` or `unchanged` (a redelivery).
    outcome: Upserted,
    /// The record as stored.
    record: T,
}

fn written<T>((outcome, record): (Upserted, T)) -> (StatusCode, Json<Written<T>>) {
    let status = if outcome == Upserted::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(Written { outcome, record }))
}

// ---- agents -------------------------------------------------------------------

/// `POST /v1/agents`
#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body(content = Agent, content_type = "application/json"), responses((status = 201, description = "created", body = Agent), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_agent(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    who.require(MANAGE)?;
    let a: Agent = json_body(&headers, &body)?;
    Ok((StatusCode::CREATED, Json(s.records.create_agent(a).await?)))
}

/// `GET /v1/agents?team=|identity=|supervisor=`
#[utoipa::path(get, path = "/v1/agents", tag = "agents", params(ListParams), responses((status = 200, description = "ok", body = Page<Agent>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_agents(
    State(s): State<AppState>,
    Caller(who): Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Page<Agent>>, ApiError> {
    who.require(STAFF)?;
    Ok(Json(s.records.agents(filter(
        &who,
        q,
        &["team", "identity", "supervisor"],
    )?)?))
}

/// `GET /v1/agents/{id}`
#[utoipa::path(get, path = "/v1/agents/{id}", tag = "agents", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Agent), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_agent(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Agent>, ApiError> {
    who.require(READ)?;
    visible(&who, Some(&id), "agent", &id)?;
    Ok(Json(s.records.agent(&id)?))
}

/// `PUT /v1/agents/{id}`
#[utoipa::path(put, path = "/v1/agents/{id}", tag = "agents", request_body(content = Agent, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Agent), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_agent(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Agent>, ApiError> {
    who.require(MANAGE)?;
    let a: Agent = json_body(&headers, &body)?;
    if !a.id.is_empty() && a.id != id {
        return Err(ApiError::bad_request(
            "invalid_body",
            "`id` does not match the path",
        ));
    }
    Ok(Json(s.records.update_agent(&id, a).await?))
}

// ---- teams --------------------------------------------------------------------

/// `POST /v1/teams`
#[utoipa::path(post, path = "/v1/teams", tag = "teams", request_body(content = Team, content_type = "application/json"), responses((status = 201, description = "created", body = Team), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_team(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    who.require(MANAGE)?;
    let t: Team = json_body(&headers, &body)?;
    Ok((StatusCode::CREATED, Json(s.records.create_team(t).await?)))
}

/// `GET /v1/teams?supervisor=`
#[utoipa::path(get, path = "/v1/teams", tag = "teams", params(ListParams), responses((status = 200, description = "ok", body = Page<Team>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_teams(
    State(s): State<AppState>,
    Caller(who): Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Page<Team>>, ApiError> {
    who.require(ANYONE)?;
    let f = if who.role == Role::Agent {
        Filter::default()
    } else {
        filter(&who, q, &["supervisor"])?
    };
    Ok(Json(s.records.teams(f)?))
}

/// `GET /v1/teams/{id}`
#[utoipa::path(get, path = "/v1/teams/{id}", tag = "teams", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Team), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_team(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Team>, ApiError> {
    who.require(ANYONE)?;
    Ok(Json(s.records.team(&id)?))
}

/// `PUT /v1/teams/{id}`
#[utoipa::path(put, path = "/v1/teams/{id}", tag = "teams", request_body(content = Team, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Team), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_team(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Team>, ApiError> {
    who.require(MANAGE)?;
    let t: Team = json_body(&headers, &body)?;
    if !t.id.is_empty() && t.id != id {
        return Err(ApiError::bad_request(
            "invalid_body",
            "`id` does not match the path",
        ));
    }
    Ok(Json(s.records.update_team(&id, t).await?))
}

// ---- forms --------------------------------------------------------------------

/// `POST /v1/forms`: a new form, or a new version of one.
#[utoipa::path(post, path = "/v1/forms", tag = "forms", request_body(content = Form, content_type = "application/json"), responses((status = 201, description = "created", body = StoredForm), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_form(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<StoredForm>), ApiError> {
    who.require(MANAGE)?;
    let f: Form = json_body(&headers, &body)?;
    if let Some(scorer) = &f.scorer {
        match s.runtime.status(scorer) {
            Ok(p) if p.kind == crate::model::PluginKind::Scorer => {}
            Ok(p) => {
                return Err(RecordError::Invalid {
                    field: "scorer".into(),
                    message: format!("{scorer} is a {:?} plugin, not a scorer", p.kind),
                }
                .into());
            }
            Err(_) => {
                return Err(RecordError::Invalid {
                    field: "scorer".into(),
                    message: format!("no plugin {scorer:?} is installed; install the scorer first"),
                }
                .into());
            }
        }
    }
    Ok((StatusCode::CREATED, Json(s.records.create_form(f).await?)))
}

/// `GET /v1/forms?form=`: every stored version.
#[utoipa::path(get, path = "/v1/forms", tag = "forms", params(ListParams), responses((status = 200, description = "ok", body = Page<StoredForm>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_forms(
    State(s): State<AppState>,
    Caller(who): Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Page<StoredForm>>, ApiError> {
    who.require(ANYONE)?;
    let f = if who.role == Role::Agent {
        Filter::default()
    } else {
        filter(&who, q, &["form"])?
    };
    Ok(Json(s.records.forms(f)?))
}

/// `GET /v1/forms/{id}`: the latest version.
#[utoipa::path(get, path = "/v1/forms/{id}", tag = "forms", params(("id" = String, Path)), responses((status = 200, description = "ok", body = StoredForm), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_form(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<StoredForm>, ApiError> {
    who.require(ANYONE)?;
    Ok(Json(s.records.form(&id, None)?))
}

/// `GET /v1/forms/{id}/versions/{version}`
#[utoipa::path(get, path = "/v1/forms/{id}/versions/{version}", tag = "forms", params(("id" = String, Path), ("version" = u32, Path)), responses((status = 200, description = "ok", body = StoredForm), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_form_version(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<StoredForm>, ApiError> {
    who.require(ANYONE)?;
    Ok(Json(s.records.form(&id, Some(version))?))
}

// ---- vendor records ----------------------------------------------------------------

/// `POST /v1/interactions`
#[utoipa::path(post, path = "/v1/interactions", tag = "interactions", request_body(content = Interaction, content_type = "application/json"), responses((status = 201, description = "created; 200 when updated or unchanged (a redelivery)", body = Written<Interaction>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_interaction(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Written<Interaction>>), ApiError> {
    who.require(INGEST)?;
    Ok(written(
        s.pipeline
            .put_interaction(json_body(&headers, &body)?, None)
            .await?,
    ))
}

/// `PUT /v1/interactions/{id}`
#[utoipa::path(put, path = "/v1/interactions/{id}", tag = "interactions", request_body(content = Interaction, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Written<Interaction>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_interaction(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Written<Interaction>>), ApiError> {
    who.require(INGEST)?;
    Ok(written(
        s.pipeline
            .put_interaction(json_body(&headers, &body)?, Some(&id))
            .await?,
    ))
}

/// `GET /v1/interactions?agent=|team=|topic=&from=&to=`
#[utoipa::path(get, path = "/v1/interactions", tag = "interactions", params(ListParams), responses((status = 200, description = "ok", body = Page<Interaction>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_interactions(
    State(s): State<AppState>,
    Caller(who): Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Page<Interaction>>, ApiError> {
    who.require(READ)?;
    Ok(Json(s.records.interactions(filter(
        &who,
        q,
        &["agent", "team", "topic"],
    )?)?))
}

/// `GET /v1/interactions/{id}`
#[utoipa::path(get, path = "/v1/interactions/{id}", tag = "interactions", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Interaction), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_interaction(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Interaction>, ApiError> {
    who.require(READ)?;
    let r = s.records.interaction(&id)?;
    visible(&who, r.agent_id.as_deref(), "interaction", &id)?;
    Ok(Json(r))
}

/// `POST /v1/evaluations`
#[utoipa::path(post, path = "/v1/evaluations", tag = "evaluations", request_body(content = Evaluation, content_type = "application/json"), responses((status = 201, description = "created; 200 when updated or unchanged (a redelivery)", body = Written<Evaluation>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_evaluation(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Written<Evaluation>>), ApiError> {
    who.require(EVALUATE)?;
    Ok(written(
        s.pipeline
            .put_evaluation(json_body(&headers, &body)?, None)
            .await?,
    ))
}

/// `PUT /v1/evaluations/{id}`
#[utoipa::path(put, path = "/v1/evaluations/{id}", tag = "evaluations", request_body(content = Evaluation, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Written<Evaluation>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_evaluation(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Written<Evaluation>>), ApiError> {
    who.require(EVALUATE)?;
    Ok(written(
        s.pipeline
            .put_evaluation(json_body(&headers, &body)?, Some(&id))
            .await?,
    ))
}

/// `GET /v1/evaluations?agent=|team=|form=|interaction=&from=&to=`
#[utoipa::path(get, path = "/v1/evaluations", tag = "evaluations", params(ListParams), responses((status = 200, description = "ok", body = Page<Evaluation>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_evaluations(
    State(s): State<AppState>,
    Caller(who): Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Page<Evaluation>>, ApiError> {
    who.require(READ)?;
    Ok(Json(s.records.evaluations(filter(
        &who,
        q,
        &["agent", "team", "form", "interaction"],
    )?)?))
}

/// `GET /v1/evaluations/{id}`
#[utoipa::path(get, path = "/v1/evaluations/{id}", tag = "evaluations", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Evaluation), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_evaluation(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Evaluation>, ApiError> {
    who.require(READ)?;
    let r = s.records.evaluation(&id)?;
    visible(&who, Some(&r.agent_id), "evaluation", &id)?;
    Ok(Json(r))
}

/// `POST /v1/feedback`
#[utoipa::path(post, path = "/v1/feedback", tag = "feedback", request_body(content = Feedback, content_type = "application/json"), responses((status = 201, description = "created; 200 when updated or unchanged (a redelivery)", body = Written<Feedback>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn put_feedback(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Written<Feedback>>), ApiError> {
    who.require(INGEST)?;
    Ok(written(
        s.pipeline
            .put_feedback(json_body(&headers, &body)?, None)
            .await?,
    ))
}

/// `PUT /v1/feedback/{id}`
#[utoipa::path(put, path = "/v1/feedback/{id}", tag = "feedback", request_body(content = Feedback, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Written<Feedback>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_feedback(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Written<Feedback>>), ApiError> {
    who.require(INGEST)?;
    Ok(written(
        s.pipeline
            .put_feedback(json_body(&headers, &body)?, Some(&id))
            .await?,
    ))
}

/// `GET /v1/feedback?agent=|team=|topic=|interaction=&from=&to=`
#[utoipa::path(get, path = "/v1/feedback", tag = "feedback", params(ListParams), responses((status = 200, description = "ok", body = Page<Feedback>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_feedback(
    State(s): State<AppState>,
    Caller(who): Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Page<Feedback>>, ApiError> {
    who.require(READ)?;
    Ok(Json(s.records.feedback_list(filter(
        &who,
        q,
        &["agent", "team", "topic", "interaction"],
    )?)?))
}

/// `GET /v1/feedback/{id}`
#[utoipa::path(get, path = "/v1/feedback/{id}", tag = "feedback", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Feedback), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_feedback(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Feedback>, ApiError> {
    who.require(READ)?;
    let r = s.records.feedback(&id)?;
    visible(&who, r.agent_id.as_deref(), "feedback", &id)?;
    Ok(Json(r))
}

// ---- tokens -------------------------------------------------------------------

/// A token request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label for operators.
    name: String,
    /// What it may do.
    role: Role,
    /// For agent tokens: the agent it speaks for.
    #[serde(default)]
    agent_id: Option<String>,
}

/// A created token: shown once, stored only as a hash.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewTokenCreated {
    /// The bearer token.
    token: String,
    /// Its label.
    name: String,
    /// Its role.
    role: Role,
    /// Its agent, for agent tokens.
    agent_id: Option<String>,
}

/// `POST /v1/tokens` (admin): create a token; the response is the only
/// time it is shown.
#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", request_body(content = NewToken, content_type = "application/json"), responses((status = 201, description = "created; the token is shown only here", body = NewTokenCreated), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<NewTokenCreated>), ApiError> {
    who.require(ADMIN)?;
    let t: NewToken = json_body(&headers, &body)?;
    if t.name.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "name: must not be empty",
        ));
    }
    match (&t.role, &t.agent_id) {
        (Role::Agent, None) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "agent_id: an agent token must name its agent",
            ));
        }
        (Role::Agent, Some(a)) => {
            s.records.agent(a).map_err(|_| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    format!("agent_id: unknown agent {a:?}"),
                )
            })?;
        }
        (_, Some(_)) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "agent_id: only agent tokens are bound to an agent",
            ));
        }
        _ => {}
    }
    let token = s.auth.create(&t.name, t.role, t.agent_id.clone()).await?;
    s.records
        .audit(
            &who.name,
            "token.create",
            &t.name,
            Some(format!("role {}", t.role)),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenCreated {
            token,
            name: t.name,
            role: t.role,
            agent_id: t.agent_id,
        }),
    ))
}

/// `GET /v1/audit?action=|target=&from=&to=`: who did what.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(ListParams), responses((status = 200, description = "ok", body = Page<AuditEntry>), (status = "default", description = "an error with a stable code", body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_audit(
    State(s): State<AppState>,
    Caller(who): Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    who.require(AUDIT)?;
    Ok(Json(s.records.audit_log(filter(
        &who,
        q,
        &["action", "target"],
    )?)?))
}
