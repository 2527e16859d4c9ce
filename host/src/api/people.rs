//! People and their tokens: `GET /v1/me` (who this token is and what it
//! sees), staff people (`/v1/staff`), and API tokens (`/v1/tokens`:
//! create, list without secrets, revoke).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::records::{ListParams, PageParams, filter, page_of};
use super::{ApiError, ApiJson, ApiQuery, AppState, Caller};
use crate::auth::NewToken as TokenRequest;
use crate::model::{Person, Role, Scope, Staff, TimestampMs, TokenInfo};
use crate::records::{Page, RecordError};

const DAY_MS: i64 = 86_400_000;

// ---- me -----------------------------------------------------------------------

/// Who the calling token is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The token's id.
    pub token_id: String,
    /// The token's label.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The person it belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    /// What it sees: `all`, or `within` these teams and agents (and what
    /// the person takes part in).
    pub scope: Scope,
}

/// `GET /v1/me`: the calling token, its person and its scope.
#[utoipa::path(get, path = "/v1/me", tag = "people", responses((status = 200, description = "ok", body = Me)))]
pub async fn me(State(s): State<AppState>, Caller(who): Caller) -> Result<Json<Me>, ApiError> {
    let person = who
        .person()
        .map(|p| s.records.people.person(p))
        .transpose()?;
    Ok(Json(Me {
        token_id: who.token_id,
        name: who.name,
        role: who.role,
        person,
        scope: who.scope,
    }))
}

// ---- staff --------------------------------------------------------------------

/// `POST /v1/staff`: a supervisor, coach, QA lead or operator.
#[utoipa::path(post, path = "/v1/staff", tag = "people", request_body(content = Staff, content_type = "application/json"), responses((status = 201, description = "created", body = Staff)))]
pub async fn create_staff(
    State(s): State<AppState>,
    ApiJson(p): ApiJson<Staff>,
) -> Result<(StatusCode, Json<Staff>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(s.records.people.create_staff(p).await?),
    ))
}

/// `GET /v1/staff`: every staff person.
#[utoipa::path(get, path = "/v1/staff", tag = "people", params(ListParams), responses((status = 200, description = "ok", body = Page<Staff>)))]
pub async fn list_staff(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<ListParams>,
) -> Result<Json<Page<Staff>>, ApiError> {
    Ok(Json(s.records.people.staff(filter(&who, q, &[])?)?))
}

/// `GET /v1/staff/{id}`
#[utoipa::path(get, path = "/v1/staff/{id}", tag = "people", params(("id" = String, Path)), responses((status = 200, description = "ok", body = Staff)))]
pub async fn get_staff(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Staff>, ApiError> {
    Ok(Json(s.records.people.staff_person(&id)?))
}

/// `PUT /v1/staff/{id}`
#[utoipa::path(put, path = "/v1/staff/{id}", tag = "people", request_body(content = Staff, content_type = "application/json"), params(("id" = String, Path)), responses((status = 200, description = "ok", body = Staff)))]
pub async fn update_staff(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<Staff>,
) -> Result<Json<Staff>, ApiError> {
    if !p.id.is_empty() && p.id != id {
        return Err(ApiError::bad_request(
            "invalid_body",
            "`id` does not match the path",
        ));
    }
    Ok(Json(s.records.people.update_staff(&id, p).await?))
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
    /// The agent it belongs to: required for agent tokens; a supervisor or
    /// coach who is an agent record may name theirs.
    #[serde(default)]
    agent_id: Option<String>,
    /// The staff person it belongs to (supervisors, coaches, QA leads,
    /// operators): a supervisor then sees the teams they lead, a coach
    /// the agents they coach.
    #[serde(default)]
    staff_id: Option<String>,
    /// When it stops working (ms since epoch or RFC 3339).
    #[serde(default)]
    expires_at: Option<TimestampMs>,
    /// Or: how many days it works for.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

/// A created token: shown once, stored only as a salted hash.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewTokenCreated {
    /// The bearer token.
    token: String,
    /// Its id (`DELETE /v1/tokens/{id}` revokes it).
    id: String,
    /// Its label.
    name: String,
    /// Its role.
    role: Role,
    /// The agent it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_id: Option<String>,
    /// The staff person it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    staff_id: Option<String>,
    /// When it stops working (ms since epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<TimestampMs>,
}

/// `POST /v1/tokens` (admin): create a token; the response is the only
/// time it is shown.
#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", request_body(content = NewToken, content_type = "application/json"), responses((status = 201, description = "created; the token is shown only here", body = NewTokenCreated)))]
pub async fn create_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(t): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<NewTokenCreated>), ApiError> {
    let expires_at = match (t.expires_at, t.expires_in_days) {
        (Some(_), Some(_)) => {
            return Err(RecordError::Invalid {
                field: "expires_in_days".into(),
                message: "give `expires_at` or `expires_in_days`, not both".into(),
            }
            .into());
        }
        (Some(at), None) => Some(at),
        (None, Some(0)) => {
            return Err(RecordError::Invalid {
                field: "expires_in_days".into(),
                message: "must be at least 1".into(),
            }
            .into());
        }
        (None, Some(days)) => Some(crate::clock::now_ms() + i64::from(days) * DAY_MS),
        (None, None) => None,
    };
    let (token, r) = s
        .tokens
        .create(
            &who.name,
            TokenRequest {
                name: t.name,
                role: Some(t.role),
                agent_id: t.agent_id,
                staff_id: t.staff_id,
                expires_at,
                created_by: None,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenCreated {
            token,
            id: r.id,
            name: r.name,
            role: r.role,
            agent_id: r.agent_id,
            staff_id: r.staff_id,
            expires_at: r.expires_at,
        }),
    ))
}

/// `GET /v1/tokens?cursor=&limit=` (admin): every token, oldest first,
/// never its secret.
#[utoipa::path(get, path = "/v1/tokens", tag = "tokens", params(PageParams), responses((status = 200, description = "ok, oldest first", body = Page<TokenInfo>)))]
pub async fn list_tokens(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<Page<TokenInfo>>, ApiError> {
    Ok(Json(page_of(s.tokens.list()?, |t| t.id.clone(), p)?))
}

/// `DELETE /v1/tokens/{id}` (admin): revoke a token; its next request is
/// refused. 409 for the last working admin token.
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)), responses((status = 200, description = "revoked", body = TokenInfo)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<TokenInfo>, ApiError> {
    Ok(Json(s.tokens.revoke(&who.name, &id).await?))
}
