//! Coaching record routes under `/v1`: agents, teams, forms, interactions,
//! evaluations, feedback; the audit trail.
//!
//! Bodies are JSON (`Content-Type: application/json`, unknown fields
//! refused); listings take `?agent=|team=|topic=…&from=&to=&cursor=&limit=`
//! (unknown parameters refused) and return `{items, next_cursor}`. Vendor
//! records (interactions, evaluations, feedback) are upserted on `(source,
//! external_id)`: a redelivery answers 200 with `outcome: unchanged` and is
//! stored once. Agent tokens see only their own agent's records.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson, ApiQuery, AppState, Caller};
use crate::auth::Principal;
use crate::model::{
    About, Agent, AuditEntry, Evaluation, Feedback, Form, Interaction, Role, SessionStrategy,
    StoredForm, Team,
};
use crate::records::{Filter, Page, RecordError, Term, Upserted};

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
            RecordError::Work(w) => w.into(),
        }
    }
}

/// Listing parameters. Each route accepts the filters its description
/// names, one at a time; unknown parameters are refused.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Records of this agent.
    pub(super) agent: Option<String>,
    /// Records of this team (the agent's team when stored).
    pub(super) team: Option<String>,
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
    /// Sessions this person runs (coach or mentor).
    coach: Option<String>,
    /// Sessions this person observes.
    observer: Option<String>,
    /// Audit entries of this action (e.g. `plugin.install`).
    pub(super) action: Option<String>,
    /// Audit entries about this target (e.g. a plugin id).
    target: Option<String>,
    /// Sessions of this coaching strategy (`awareness`, `training`,
    /// `role-play`, `recognition`).
    strategy: Option<String>,
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
    p: ListParams,
    allowed: &[&'static str],
) -> Result<Filter, ApiError> {
    if let Some(st) = &p.strategy
        && !SessionStrategy::ALL.iter().any(|x| x.as_str() == st)
    {
        let names: Vec<_> = SessionStrategy::ALL.iter().map(|x| x.as_str()).collect();
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("strategy {st:?} is not one of {}", names.join(", ")),
        ));
    }
    let given: Vec<(&'static str, Term)> = [
        ("agent", p.agent.map(Term::Agent)),
        ("team", p.team.map(Term::Team)),
        ("topic", p.topic.map(Term::Topic)),
        ("form", p.form.map(Term::Form)),
        ("interaction", p.interaction.map(Term::Interaction)),
        ("identity", p.identity.map(Term::Identity)),
        ("supervisor", p.supervisor.map(Term::Supervisor)),
        ("coach", p.coach.map(Term::Coach)),
        ("observer", p.observer.map(Term::Observer)),
        ("action", p.action.map(Term::Action)),
        ("target", p.target.map(Term::Target)),
        ("strategy", p.strategy.map(Term::Strategy)),
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
    page_limit(p.limit)?;
    let mut term = given.into_iter().next().map(|(_, term)| term);
    if who.role == Role::Agent {
        let own = own_agent(who)?;
        match &term {
            None => term = Some(Term::Agent(own.to_string())),
            // Their own records, or sessions they run (as a mentor) or
            // observe.
            Some(Term::Agent(a) | Term::Coach(a) | Term::Observer(a)) if a == own => {}
            Some(_) => return Err(forbidden_other_agent()),
        }
        if !allowed.contains(&"agent") {
            return Err(forbidden_other_agent());
        }
    }
    if let Some(t) = &term {
        within_scope(who, t)?;
    }
    Ok(Filter {
        term,
        from: p.from,
        to: p.to,
        cursor: p.cursor,
        limit: p.limit,
        scope: who.scope.clone(),
    })
}

/// A listing's page size: 1..=1000 on every listing (default 100 when
/// absent), else 400 `invalid_query`.
pub(super) fn page_limit(limit: Option<usize>) -> Result<Option<usize>, ApiError> {
    match limit {
        Some(l) if !(1..=1000).contains(&l) => Err(ApiError::bad_request(
            "invalid_query",
            "`limit` must be within 1..=1000",
        )),
        _ => Ok(limit),
    }
}

/// Paging parameters of a listing built in memory (tokens, unreadable
/// records): the same `cursor` and `limit` rules as every other listing.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    limit: Option<usize>,
}

/// One page of `all` (in its order), continuing after the item whose
/// `key` is the cursor.
pub(super) fn page_of<T: Clone>(
    all: Vec<T>,
    key: impl Fn(&T) -> String,
    p: PageParams,
) -> Result<Page<T>, ApiError> {
    let limit = page_limit(p.limit)?.unwrap_or(100);
    let start = match &p.cursor {
        None => 0,
        Some(c) => {
            all.iter().position(|t| key(t) == *c).ok_or_else(|| {
                ApiError::bad_request("invalid_query", "`cursor` is not one this listing gave")
            })? + 1
        }
    };
    let items: Vec<T> = all.iter().skip(start).take(limit).cloned().collect();
    let next_cursor = (start + items.len() < all.len())
        .then(|| items.last().map(&key))
        .flatten();
    Ok(Page {
        items,
        next_cursor,
        unreadable: Vec::new(),
    })
}

/// Refuse a listing filter naming an agent, team or supervisor outside
/// the caller's scope, as if it did not exist (404). Filters on other
/// terms (a topic, a form) need no check: the listing itself keeps only
/// the records the scope sees.
pub(super) fn within_scope(who: &Principal, term: &Term) -> Result<(), ApiError> {
    let scope = &who.scope;
    let hidden = |kind, id: &str| Err(not_found(kind, id));
    match term {
        Term::Agent(a) | Term::PendingAgent(a) if !scope.sees_agent(a) => hidden("agent", a),
        Term::Team(t) | Term::TeamState(t, _) | Term::PendingTeam(t) if !scope.sees_team(t) => {
            hidden("team", t)
        }
        Term::Supervisor(p) | Term::SupervisorState(p, _) | Term::PendingSupervisor(p)
            if !scope.is_all() && !scope.is_one_of(&[p]) =>
        {
            hidden("supervisor", p)
        }
        _ => Ok(()),
    }
}

/// A coach named in a query (`?coach=`) must be the caller themself or a
/// person within their scope (a lead who is an agent); 404 otherwise.
pub(super) fn coach_in_scope(who: &Principal, coach: &str) -> Result<(), ApiError> {
    // `sees_agent` is true for everything in an unscoped token and for the
    // scope's own person.
    if who.scope.sees_agent(coach) {
        return Ok(());
    }
    Err(not_found("coach", coach))
}

/// 404 for a record the caller may not see, worded exactly as the answer
/// for one that does not exist ([`RecordError::NotFound`]), so a scoped
/// caller cannot tell the two apart.
pub(super) fn not_found(kind: &'static str, id: &str) -> ApiError {
    RecordError::NotFound {
        kind,
        id: id.to_string(),
    }
    .into()
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

/// A record read for `who`, which must be within their scope (about an
/// agent or team they see, or one they take part in): 404 otherwise,
/// exactly as when it does not exist, so ids outside the scope are not
/// confirmed.
pub(super) fn seen<R: About>(
    who: &Principal,
    read: Result<R, RecordError>,
    kind: &'static str,
    id: &str,
) -> Result<R, ApiError> {
    // One answer, word for word, whether the record is missing or hidden.
    let r = match read {
        Err(RecordError::NotFound { .. }) => return Err(not_found(kind, id)),
        read => read?,
    };
    if who.scope.sees(&r) {
        return Ok(r);
    }
    Err(not_found(kind, id))
}

/// A scoped caller writes only about agents they see: another agent is
/// unknown to them (422 naming `field`, as for an agent that does not
/// exist).
pub(super) fn agent_in_scope(who: &Principal, field: &str, agent: &str) -> Result<(), ApiError> {
    if who.scope.sees_agent(agent) {
        return Ok(());
    }
    Err(ApiError::from(RecordError::Invalid {
        field: field.into(),
        message: format!("unknown agent {agent:?}"),
    }))
}

/// A scoped caller places agents only in teams they see (`team_id`).
fn team_in_scope(who: &Principal, team: Option<&str>) -> Result<(), ApiError> {
    match team {
        Some(t) if !who.scope.sees_team(t) => Err(ApiError::from(RecordError::Invalid {
            field: "team_id".into(),
            message: format!("unknown team {t:?}"),
        })),
        _ => Ok(()),
    }
}

/// A scoped supervisor creates or keeps teams they lead: the team's
/// supervisor is filled in as them, and naming another is refused.
fn lead_in_scope(who: &Principal, t: &mut Team) -> Result<(), ApiError> {
    let crate::model::Scope::Within { person, .. } = &who.scope else {
        return Ok(());
    };
    match &t.supervisor_id {
        None => t.supervisor_id = Some(person.clone()),
        Some(s) if s == person => {}
        Some(_) => {
            return Err(ApiError::from(RecordError::Invalid {
                field: "supervisor_id".into(),
                message: "a supervisor's token creates and keeps teams it leads".into(),
            }));
        }
    }
    Ok(())
}

// ---- agents -------------------------------------------------------------------

/// `POST /v1/agents`
#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body(content = Agent, content_type = "application/json"), responses((status = 201, description = "created", body = Agent)))]
pub async fn create_agent(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(a): ApiJson<Agent>,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    team_in_scope(&who, a.team_id.as_deref())?;
    Ok((
        StatusCode::CREATED,
        Json(s.records.people.create_agent(a).await?),
    ))
}

/// `GET /v1/agents?team=|identity=|supervisor=`
#[utoipa::path(get, path = "/v1/agents", tag = "agents", params(ListParams), responses((status = 200, description = "ok", body = Page<Agent>)))]
pub async fn list_agents(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<Agent>>, ApiError> {
    Ok(Json(s.records.people.agents(filter(
        &who,
        q,
        &["team", "identity", "supervisor"],
    )?)?))
}

/// `GET /v1/agents/{id}`
#[utoipa::path(get, path = "/v1/agents/{id}", tag = "agents", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Agent)))]
pub async fn get_agent(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Agent>, ApiError> {
    Ok(Json(seen(&who, s.records.people.agent(&id), "agent", &id)?))
}

/// `PUT /v1/agents/{id}`
#[utoipa::path(put, path = "/v1/agents/{id}", tag = "agents", request_body(content = Agent, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Agent)))]
pub async fn update_agent(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<Agent>,
) -> Result<Json<Agent>, ApiError> {
    if !a.id.is_empty() && a.id != id {
        return Err(ApiError::bad_request(
            "invalid_body",
            "`id` does not match the path",
        ));
    }
    seen(&who, s.records.people.agent(&id), "agent", &id)?;
    team_in_scope(&who, a.team_id.as_deref())?;
    Ok(Json(s.records.people.update_agent(&id, a).await?))
}

// ---- teams --------------------------------------------------------------------

/// `POST /v1/teams`
#[utoipa::path(post, path = "/v1/teams", tag = "teams", request_body(content = Team, content_type = "application/json"), responses((status = 201, description = "created", body = Team)))]
pub async fn create_team(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(mut t): ApiJson<Team>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    lead_in_scope(&who, &mut t)?;
    Ok((
        StatusCode::CREATED,
        Json(s.records.people.create_team(t).await?),
    ))
}

/// `GET /v1/teams?supervisor=`
#[utoipa::path(get, path = "/v1/teams", tag = "teams", params(ListParams), responses((status = 200, description = "ok", body = Page<Team>)))]
pub async fn list_teams(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<Team>>, ApiError> {
    let f = if who.role == Role::Agent {
        Filter {
            scope: who.scope.clone(),
            ..Filter::default()
        }
    } else {
        filter(&who, q, &["supervisor"])?
    };
    Ok(Json(s.records.people.teams(f)?))
}

/// `GET /v1/teams/{id}`
#[utoipa::path(get, path = "/v1/teams/{id}", tag = "teams", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Team)))]
pub async fn get_team(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Team>, ApiError> {
    Ok(Json(seen(&who, s.records.people.team(&id), "team", &id)?))
}

/// `PUT /v1/teams/{id}`
#[utoipa::path(put, path = "/v1/teams/{id}", tag = "teams", request_body(content = Team, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Team)))]
pub async fn update_team(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(mut t): ApiJson<Team>,
) -> Result<Json<Team>, ApiError> {
    if !t.id.is_empty() && t.id != id {
        return Err(ApiError::bad_request(
            "invalid_body",
            "`id` does not match the path",
        ));
    }
    seen(&who, s.records.people.team(&id), "team", &id)?;
    lead_in_scope(&who, &mut t)?;
    Ok(Json(s.records.people.update_team(&id, t).await?))
}

// ---- forms --------------------------------------------------------------------

/// `POST /v1/forms`: a new form, or a new version of one.
#[utoipa::path(post, path = "/v1/forms", tag = "forms", request_body(content = Form, content_type = "application/json"), responses((status = 201, description = "created", body = StoredForm)))]
pub async fn create_form(
    State(s): State<AppState>,
    ApiJson(f): ApiJson<Form>,
) -> Result<(StatusCode, Json<StoredForm>), ApiError> {
    if let Some(scorer) = &f.scorer {
        match s.plugins.status(scorer) {
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
    Ok((
        StatusCode::CREATED,
        Json(s.records.contacts.create_form(f).await?),
    ))
}

/// `GET /v1/forms?form=`: every stored version.
#[utoipa::path(get, path = "/v1/forms", tag = "forms", params(ListParams), responses((status = 200, description = "ok", body = Page<StoredForm>)))]
pub async fn list_forms(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<StoredForm>>, ApiError> {
    let f = if who.role == Role::Agent {
        Filter::default()
    } else {
        filter(&who, q, &["form"])?
    };
    Ok(Json(s.records.contacts.forms(f)?))
}

/// `GET /v1/forms/{id}`: the latest version.
#[utoipa::path(get, path = "/v1/forms/{id}", tag = "forms", params(("id" = String, Path)), responses((status = 200, description = "ok", body = StoredForm)))]
pub async fn get_form(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<StoredForm>, ApiError> {
    Ok(Json(s.records.contacts.form(&id, None)?))
}

/// `GET /v1/forms/{id}/versions/{version}`
#[utoipa::path(get, path = "/v1/forms/{id}/versions/{version}", tag = "forms", params(("id" = String, Path), ("version" = u32, Path)), responses((status = 200, description = "ok", body = StoredForm)))]
pub async fn get_form_version(
    State(s): State<AppState>,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<StoredForm>, ApiError> {
    Ok(Json(s.records.contacts.form(&id, Some(version))?))
}

// ---- vendor records ----------------------------------------------------------------

/// `POST /v1/interactions`
#[utoipa::path(post, path = "/v1/interactions", tag = "interactions", request_body(content = Interaction, content_type = "application/json"), responses((status = 201, description = "created; 200 when updated or unchanged (a redelivery)", body = Written<Interaction>)))]
pub async fn put_interaction(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<Interaction>,
) -> Result<(StatusCode, Json<Written<Interaction>>), ApiError> {
    Ok(written(s.pipeline.put_interaction(body, None).await?))
}

/// `PUT /v1/interactions/{id}`
#[utoipa::path(put, path = "/v1/interactions/{id}", tag = "interactions", request_body(content = Interaction, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Written<Interaction>)))]
pub async fn update_interaction(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Interaction>,
) -> Result<(StatusCode, Json<Written<Interaction>>), ApiError> {
    Ok(written(s.pipeline.put_interaction(body, Some(&id)).await?))
}

/// `GET /v1/interactions?agent=|team=|topic=&from=&to=`
#[utoipa::path(get, path = "/v1/interactions", tag = "interactions", params(ListParams), responses((status = 200, description = "ok", body = Page<Interaction>)))]
pub async fn list_interactions(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<Interaction>>, ApiError> {
    Ok(Json(s.records.contacts.interactions(filter(
        &who,
        q,
        &["agent", "team", "topic"],
    )?)?))
}

/// `GET /v1/interactions/{id}`
#[utoipa::path(get, path = "/v1/interactions/{id}", tag = "interactions", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Interaction)))]
pub async fn get_interaction(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Interaction>, ApiError> {
    Ok(Json(seen(
        &who,
        s.records.contacts.interaction(&id),
        "interaction",
        &id,
    )?))
}

/// `POST /v1/evaluations`
#[utoipa::path(post, path = "/v1/evaluations", tag = "evaluations", request_body(content = Evaluation, content_type = "application/json"), responses((status = 201, description = "created; 200 when updated or unchanged (a redelivery)", body = Written<Evaluation>)))]
pub async fn put_evaluation(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(body): ApiJson<Evaluation>,
) -> Result<(StatusCode, Json<Written<Evaluation>>), ApiError> {
    agent_in_scope(&who, "agent_id", &body.agent_id)?;
    Ok(written(s.pipeline.put_evaluation(body, None).await?))
}

/// `PUT /v1/evaluations/{id}`
#[utoipa::path(put, path = "/v1/evaluations/{id}", tag = "evaluations", request_body(content = Evaluation, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Written<Evaluation>)))]
pub async fn update_evaluation(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Evaluation>,
) -> Result<(StatusCode, Json<Written<Evaluation>>), ApiError> {
    if !who.scope.is_all() {
        seen(&who, s.records.contacts.evaluation(&id), "evaluation", &id)?;
    }
    agent_in_scope(&who, "agent_id", &body.agent_id)?;
    Ok(written(s.pipeline.put_evaluation(body, Some(&id)).await?))
}

/// `GET /v1/evaluations?agent=|team=|form=|interaction=&from=&to=`
#[utoipa::path(get, path = "/v1/evaluations", tag = "evaluations", params(ListParams), responses((status = 200, description = "ok", body = Page<Evaluation>)))]
pub async fn list_evaluations(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<Evaluation>>, ApiError> {
    Ok(Json(s.records.contacts.evaluations(filter(
        &who,
        q,
        &["agent", "team", "form", "interaction"],
    )?)?))
}

/// `GET /v1/evaluations/{id}`
#[utoipa::path(get, path = "/v1/evaluations/{id}", tag = "evaluations", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Evaluation)))]
pub async fn get_evaluation(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Evaluation>, ApiError> {
    Ok(Json(seen(
        &who,
        s.records.contacts.evaluation(&id),
        "evaluation",
        &id,
    )?))
}

/// `POST /v1/feedback`
#[utoipa::path(post, path = "/v1/feedback", tag = "feedback", request_body(content = Feedback, content_type = "application/json"), responses((status = 201, description = "created; 200 when updated or unchanged (a redelivery)", body = Written<Feedback>)))]
pub async fn put_feedback(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<Feedback>,
) -> Result<(StatusCode, Json<Written<Feedback>>), ApiError> {
    Ok(written(s.pipeline.put_feedback(body, None).await?))
}

/// `PUT /v1/feedback/{id}`
#[utoipa::path(put, path = "/v1/feedback/{id}", tag = "feedback", request_body(content = Feedback, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Written<Feedback>)))]
pub async fn update_feedback(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Feedback>,
) -> Result<(StatusCode, Json<Written<Feedback>>), ApiError> {
    Ok(written(s.pipeline.put_feedback(body, Some(&id)).await?))
}

/// `GET /v1/feedback?agent=|team=|topic=|interaction=&from=&to=`
#[utoipa::path(get, path = "/v1/feedback", tag = "feedback", params(ListParams), responses((status = 200, description = "ok", body = Page<Feedback>)))]
pub async fn list_feedback(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<Feedback>>, ApiError> {
    Ok(Json(s.records.contacts.feedback_list(filter(
        &who,
        q,
        &["agent", "team", "topic", "interaction"],
    )?)?))
}

/// `GET /v1/feedback/{id}`
#[utoipa::path(get, path = "/v1/feedback/{id}", tag = "feedback", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Feedback)))]
pub async fn get_feedback(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Feedback>, ApiError> {
    Ok(Json(seen(
        &who,
        s.records.contacts.feedback(&id),
        "feedback",
        &id,
    )?))
}

// ---- tokens -------------------------------------------------------------------

/// `GET /v1/audit?action=|target=|agent=|team=&from=&to=`: who did what.
/// Supervisors read the entries about their agents (drop-ins on their
/// agents' pairings), one agent or team at a time.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(ListParams), responses((status = 200, description = "ok", body = Page<AuditEntry>)))]
pub async fn list_audit(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    if who.role == Role::Supervisor && q.agent.is_none() && q.team.is_none() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "a supervisor reads the audit about one of their agents or teams: give `agent` or `team`",
        ));
    }
    Ok(Json(s.records.audit.audit_log(filter(
        &who,
        q,
        &["action", "target", "agent", "team"],
    )?)?))
}
