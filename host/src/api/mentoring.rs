//! Mentoring and session-workflow routes.
//!
//! Opting in as a mentor and enrolling (acknowledging that supervisors may
//! monitor mentoring) are things agents do for themselves: those routes take
//! the agent from the caller's agent token, and no other role can do them
//! on an agent's behalf.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::practice::{all_seen_by, seen_by};
use super::records::{agent_in_scope, coach_in_scope, own_agent, page_limit, seen, within_scope};
use super::{ApiError, ApiJson, ApiQuery, AppState, Caller, ErrorBody};
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::model::{
    AcknowledgeSession, ActionUpdate, CoachingSession, DropIn, EndPairing, Enrolment, MatchReport,
    MatchRequest, MentorProfile, MentoringView, Overdue, Pairing, ProgressReport, Role, TopicNeed,
};
use crate::records::{Filter, Page, Term};

const DAY_MS: i64 = 86_400_000;

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message.to_string())
}

/// The caller's own agent, for routes only an agent may use for themselves.
fn myself(who: &Principal, what: &str) -> Result<String, ApiError> {
    if who.role != Role::Agent {
        return Err(forbidden(&format!(
            "{what} is the agent's own choice: use that agent's token"
        )));
    }
    Ok(own_agent(who)?.to_string())
}

// ---- mentor profiles and enrolment --------------------------------------------

/// `POST /v1/mentors`: the calling agent opts in (or updates their profile).
#[utoipa::path(post, path = "/v1/mentors", tag = "mentoring", request_body(content = MentorProfile, content_type = "application/json"), responses((status = 200, description = "opted in", body = MentorProfile), (status = "default", description = "an error with a stable code (403 for anyone but the agent themself)", body = ErrorBody)))]
pub async fn opt_in(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(mut p): ApiJson<MentorProfile>,
) -> Result<Json<MentorProfile>, ApiError> {
    let me = myself(&who, "opting in as a mentor")?;
    if !p.agent_id.is_empty() && p.agent_id != me {
        return Err(forbidden(
            "an agent opts in as a mentor only for themselves",
        ));
    }
    p.agent_id = me;
    Ok(Json(s.records.mentoring.put_mentor_profile(p).await?))
}

/// `DELETE /v1/mentors/me`: the calling agent opts out; their open pairings end.
#[utoipa::path(delete, path = "/v1/mentors/me", tag = "mentoring", responses((status = 200, description = "opted out, with the pairings that ended", body = Vec<Pairing>)))]
pub async fn opt_out(
    State(s): State<AppState>,
    Caller(who): Caller,
) -> Result<Json<Vec<Pairing>>, ApiError> {
    let me = myself(&who, "opting out")?;
    let (_, ended) = s.records.mentoring.opt_out_mentor(&me).await?;
    Ok(Json(ended))
}

/// `GET /v1/mentors` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MentorParams {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1..=1000 (default 100).
    limit: Option<usize>,
}

/// `GET /v1/mentors`: a page of mentor profiles (opted in or out), in
/// opt-in order, shaped like every listing.
#[utoipa::path(get, path = "/v1/mentors", tag = "mentoring", params(MentorParams), responses((status = 200, description = "ok", body = Page<MentorProfile>)))]
pub async fn list_mentors(
    State(s): State<AppState>,
    ApiQuery(p): ApiQuery<MentorParams>,
) -> Result<Json<Page<MentorProfile>>, ApiError> {
    Ok(Json(s.records.mentoring.mentors(Filter {
        cursor: p.cursor,
        limit: page_limit(p.limit)?,
        ..Filter::default()
    })?))
}

/// `POST /v1/mentoring/enrol`: the calling agent enrols, acknowledging that
/// supervisors may occasionally monitor mentoring interactions.
#[utoipa::path(post, path = "/v1/mentoring/enrol", tag = "mentoring", request_body(content = Enrolment, content_type = "application/json"), responses((status = 200, description = "enrolled", body = Enrolment)))]
pub async fn enrol(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(mut e): ApiJson<Enrolment>,
) -> Result<Json<Enrolment>, ApiError> {
    let me = myself(&who, "enrolling in the mentoring program")?;
    if !e.agent_id.is_empty() && e.agent_id != me {
        return Err(forbidden("an agent enrols only themselves"));
    }
    e.agent_id = me;
    Ok(Json(s.records.mentoring.enrol(e).await?))
}

/// `GET /v1/agents/{id}/needs`: the agent's weakest topics (28 days).
#[utoipa::path(get, path = "/v1/agents/{id}/needs", tag = "mentoring", params(("id" = String, Path)), responses((status = 200, description = "weakest first", body = Vec<TopicNeed>)))]
pub async fn needs(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<TopicNeed>>, ApiError> {
    within_scope(&who, &Term::Agent(id.clone()))?;
    let now = now_ms();
    Ok(Json(s.mentoring.needs(&id, now - 28 * DAY_MS, now + 1)?))
}

// ---- matching and pairings ------------------------------------------------------

/// `POST /v1/mentoring/match`: needs → matcher plugin → optimal assignment
/// → a shortlist per protégé; `commit` stores the offers.
#[utoipa::path(post, path = "/v1/mentoring/match", tag = "mentoring", request_body(content = MatchRequest, content_type = "application/json"), responses((status = 200, description = "the shortlists", body = MatchReport)))]
pub async fn run_match(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiJson(req): ApiJson<MatchRequest>,
) -> Result<Json<MatchReport>, ApiError> {
    // A scoped lead matches their own agents (mentors come from the whole
    // center).
    for (k, p) in req.proteges.iter().enumerate() {
        agent_in_scope(&who, &format!("proteges[{k}]"), p)?;
    }
    Ok(Json(
        s.mentoring
            .run_match(req, &Default::default(), &who.scope)
            .await?,
    ))
}

/// `GET /v1/pairings` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PairingParams {
    /// A protégé's pairings.
    protege: Option<String>,
    /// A mentor's pairings.
    mentor: Option<String>,
    /// `cursor` of the previous page.
    cursor: Option<String>,
    /// Page size.
    limit: Option<usize>,
}

/// `GET /v1/pairings?protege=|mentor=`: agents see pairings they are in
/// (their own as protégé by default).
#[utoipa::path(get, path = "/v1/pairings", tag = "mentoring", params(PairingParams), responses((status = 200, description = "ok", body = Page<Pairing>)))]
pub async fn list_pairings(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<PairingParams>,
) -> Result<Json<Page<Pairing>>, ApiError> {
    let mut term = match (p.protege, p.mentor) {
        (Some(a), None) => Some(Term::Protege(a)),
        (None, Some(m)) => Some(Term::Mentor(m)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give at most one of `protege`, `mentor`",
            ));
        }
    };
    if who.role == Role::Agent {
        let own = own_agent(&who)?;
        if term.is_none() {
            term = Some(Term::Protege(own.to_string()));
        }
        let is_own = |t: &Term| matches!(t, Term::Protege(v) | Term::Mentor(v) if v == own);
        if !term.as_ref().is_some_and(is_own) {
            return Err(forbidden(
                "an agent token lists only its own pairings (?protege= or ?mentor= itself)",
            ));
        }
    }
    if let Some(Term::Protege(a) | Term::Mentor(a)) = &term {
        within_scope(&who, &Term::Agent(a.clone()))?;
    }
    Ok(Json(s.records.mentoring.pairings(Filter {
        term,
        cursor: p.cursor,
        limit: page_limit(p.limit)?,
        scope: who.scope.clone(),
        ..Filter::default()
    })?))
}

/// A pairing the caller sees (either agent within their scope), or 404.
fn pairing_seen(s: &AppState, who: &Principal, id: &str) -> Result<Pairing, ApiError> {
    seen(who, s.records.mentoring.pairing(id), "pairing", id)
}

/// `POST /v1/pairings/{id}/accept`: the protégé picks this offer.
#[utoipa::path(post, path = "/v1/pairings/{id}/accept", tag = "mentoring", params(("id" = String, Path)), responses((status = 200, description = "accepted", body = Pairing)))]
pub async fn accept(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<Pairing>, ApiError> {
    let p = pairing_seen(&s, &who, &id)?;
    if who.agent_id.as_deref() != Some(p.protege_id.as_str()) {
        return Err(forbidden("only the protégé chooses among their offers"));
    }
    Ok(Json(s.mentoring.accept(&id).await?))
}

/// `POST /v1/pairings/{id}/end {"reason"}`: end it and re-match the protégé.
#[utoipa::path(post, path = "/v1/pairings/{id}/end", tag = "mentoring", params(("id" = String, Path)), request_body(content = EndPairing, content_type = "application/json"), responses((status = 200, description = "ended: the protégé's new offers, or to the mentor only the ended pairing", body = EndAnswer)))]
pub async fn end(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EndPairing>,
) -> Result<Json<EndAnswer>, ApiError> {
    let p = pairing_seen(&s, &who, &id)?;
    if who.role == Role::Agent && !who.scope.is_one_of(&[&p.protege_id, &p.mentor_id]) {
        return Err(forbidden("an agent ends only their own pairings"));
    }
    let (ended, rematch) = s.mentoring.end(&id, &req.reason).await?;
    // The protégé's new offers carry their needs: the mentor ending the
    // pairing is told it ended, not the protégé's needs or shortlist.
    if who.agent_id.as_deref() == Some(p.mentor_id.as_str()) {
        return Ok(Json(EndAnswer::Ended { pairing: ended }));
    }
    Ok(Json(EndAnswer::Rematched(rematch)))
}

/// `POST /v1/pairings/{id}/drop-in`: a supervisor monitors a mentoring
/// pairing; refused unless both agents acknowledged monitoring; audited.
#[utoipa::path(post, path = "/v1/pairings/{id}/drop-in", tag = "mentoring", params(("id" = String, Path)), request_body(content = DropIn, content_type = "application/json"), responses((status = 200, description = "allowed and audited", body = Pairing), (status = "default", description = "an error with a stable code (409 without the agents' acknowledgement)", body = ErrorBody)))]
pub async fn drop_in(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Option<ApiJson<DropIn>>,
) -> Result<Json<Pairing>, ApiError> {
    pairing_seen(&s, &who, &id)?;
    let req = body.map_or_else(DropIn::default, |b| b.0);
    Ok(Json(s.mentoring.drop_in(&id, &who.name, req.note).await?))
}

/// `POST /v1/pairings/{id}/reports`: the mentor's progress report.
#[utoipa::path(post, path = "/v1/pairings/{id}/reports", tag = "mentoring", params(("id" = String, Path)), request_body(content = ProgressReport, content_type = "application/json"), responses((status = 201, description = "filed", body = ProgressReport)))]
pub async fn file_report(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<ProgressReport>,
) -> Result<(StatusCode, Json<ProgressReport>), ApiError> {
    let p = pairing_seen(&s, &who, &id)?;
    if who.role == Role::Agent && who.agent_id.as_deref() != Some(p.mentor_id.as_str()) {
        return Err(forbidden(
            "only the pairing's mentor files its progress reports",
        ));
    }
    Ok((StatusCode::CREATED, Json(s.mentoring.report(&id, r).await?)))
}

/// `GET /v1/agents/{id}/mentoring`: a protégé's pairings and mentors'
/// reports beside their score trend, for their supervisor or coach, the
/// protégé themself, and their current mentor.
#[utoipa::path(get, path = "/v1/agents/{id}/mentoring", tag = "mentoring", params(("id" = String, Path)), responses((status = 200, description = "ok", body = MentoringView)))]
pub async fn view(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<MentoringView>, ApiError> {
    let allowed = who.scope.sees_agent(&id)
        || match who.role {
            Role::Agent => s
                .records
                .mentoring
                .current_pairing(own_agent(&who)?, &id)?
                .is_some(),
            _ => false,
        };
    if !allowed {
        return Err(super::records::not_found("agent", &id));
    }
    Ok(Json(s.mentoring.view(&id)?))
}

// ---- the session workflow -----------------------------------------------------

/// `PUT /v1/sessions/{id}`: the session's content (targets, behaviours,
/// root causes, action plan, notes, links, follow-up).
#[utoipa::path(put, path = "/v1/sessions/{id}", tag = "sessions", params(("id" = String, Path)), request_body(content = CoachingSession, content_type = "application/json"), responses((status = 200, description = "updated", body = CoachingSession)))]
pub async fn update_session(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(session): ApiJson<CoachingSession>,
) -> Result<Json<CoachingSession>, ApiError> {
    seen(&who, s.records.coaching.session(&id), "session", &id)?;
    agent_in_scope(&who, "agent_id", &session.agent_id)?;
    let updated = s
        .records
        .coaching
        .update_session(&id, session, who.person())
        .await?;
    Ok(Json(seen_by(&who, updated)))
}

/// `POST /v1/sessions/{id}/acknowledge {"comment"}`: the coached agent.
#[utoipa::path(post, path = "/v1/sessions/{id}/acknowledge", tag = "sessions", params(("id" = String, Path)), request_body(content = AcknowledgeSession, content_type = "application/json"), responses((status = 200, description = "acknowledged", body = CoachingSession)))]
pub async fn acknowledge_session(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    body: Option<ApiJson<AcknowledgeSession>>,
) -> Result<Json<CoachingSession>, ApiError> {
    let me = myself(&who, "acknowledging a session")?;
    let session = seen(&who, s.records.coaching.session(&id), "session", &id)?;
    if session.agent_id != me {
        return Err(forbidden("only the coached agent acknowledges a session"));
    }
    let req = body.map_or_else(AcknowledgeSession::default, |b| b.0);
    let acknowledged = s
        .records
        .coaching
        .acknowledge_session(&id, req.comment)
        .await?;
    Ok(Json(seen_by(&who, acknowledged)))
}

/// `PUT /v1/sessions/{id}/observer-note {"note"}`: an observer of the
/// session writes their own note (an empty note removes it).
#[utoipa::path(put, path = "/v1/sessions/{id}/observer-note", tag = "sessions", params(("id" = String, Path)), request_body(content = ObserverNoteBody, content_type = "application/json"), responses((status = 200, description = "noted", body = CoachingSession)))]
pub async fn observer_note(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ObserverNoteBody>,
) -> Result<Json<CoachingSession>, ApiError> {
    let me = myself(&who, "an observer's note")?;
    let session = seen(&who, s.records.coaching.session(&id), "session", &id)?;
    if !session.observers.contains(&me) {
        return Err(forbidden("only the session's observers add observer notes"));
    }
    Ok(Json(
        s.records
            .coaching
            .set_observer_note(&id, &me, &req.note)
            .await?,
    ))
}

/// `PUT /v1/sessions/{id}/observer-note`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObserverNoteBody {
    /// The area of improvement the observer names.
    pub note: String,
}

/// `POST /v1/sessions/{id}/close`: the coach closes the session; a
/// micro-coaching session's alerts become coached.
#[utoipa::path(post, path = "/v1/sessions/{id}/close", tag = "sessions", params(("id" = String, Path)), responses((status = 200, description = "closed", body = CoachingSession)))]
pub async fn close_session(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path(id): Path<String>,
) -> Result<Json<CoachingSession>, ApiError> {
    seen(&who, s.records.coaching.session(&id), "session", &id)?;
    let closed = s.pipeline.close_session(&id, &who.name).await?;
    Ok(Json(seen_by(&who, closed)))
}

/// `POST /v1/sessions/{id}/action-items/{n} {"status"}`: the coach or the
/// item's owner moves one action item.
#[utoipa::path(post, path = "/v1/sessions/{id}/action-items/{n}", tag = "sessions", params(("id" = String, Path), ("n" = usize, Path)), request_body(content = ActionUpdate, content_type = "application/json"), responses((status = 200, description = "updated: the session, or to an item's owner who does not see the session only their item", body = ActionAnswer)))]
pub async fn update_action(
    State(s): State<AppState>,
    Caller(who): Caller,
    Path((id, n)): Path<(String, usize)>,
    ApiJson(req): ApiJson<ActionUpdate>,
) -> Result<Json<ActionAnswer>, ApiError> {
    let session = s.records.coaching.session(&id)?;
    let sees = who.scope.sees(&session);
    let owns = who.role == Role::Agent && {
        let own = own_agent(&who)?;
        session.action_items.get(n).map(|i| i.owner_id.as_str()) == Some(own)
    };
    if !sees && !owns {
        // As GET answers: the session's existence is not confirmed.
        return Err(super::records::not_found("session", &id));
    }
    if who.role == Role::Agent && !owns {
        return Err(forbidden("an agent updates only action items they own"));
    }
    let updated = s
        .records
        .coaching
        .set_action_status(&id, n, req.status)
        .await?;
    if sees {
        return Ok(Json(ActionAnswer::Session(Box::new(seen_by(
            &who, updated,
        )))));
    }
    // The item's owner does not see the rest of someone else's session.
    Ok(Json(ActionAnswer::Item(OwnActionItem {
        session_id: updated.id,
        index: n,
        item: updated.action_items[n].clone(),
    })))
}

/// `GET /v1/coaching/overdue` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueParams {
    /// The coach (default: the caller's own person).
    coach: Option<String>,
}

/// `GET /v1/coaching/overdue?coach=`: a coach's overdue follow-ups and
/// action items (the caller's own when `coach` is left out).
#[utoipa::path(get, path = "/v1/coaching/overdue", tag = "sessions", params(OverdueParams), responses((status = 200, description = "ok", body = Overdue)))]
pub async fn overdue(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<OverdueParams>,
) -> Result<Json<Overdue>, ApiError> {
    let coach = match (p.coach, who.person()) {
        (Some(c), _) => c,
        (None, Some(me)) => me.to_string(),
        (None, None) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "`coach` is required: this token belongs to nobody",
            ));
        }
    };
    coach_in_scope(&who, &coach)?;
    s.records.people.person(&coach)?;
    let mut overdue = s.records.coaching.overdue(&coach, now_ms())?;
    overdue.follow_ups = all_seen_by(&who, overdue.follow_ups);
    Ok(Json(overdue))
}

/// The answer to `POST /v1/pairings/{id}/end`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EndAnswer {
    /// To a lead or the protégé: the protégé's new offers.
    Rematched(MatchReport),
    /// To the mentor: only the pairing that ended (the protégé's needs
    /// and shortlist are not theirs to read).
    Ended {
        /// The ended pairing.
        pairing: Pairing,
    },
}

/// The answer to `POST /v1/sessions/{id}/action-items/{n}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ActionAnswer {
    /// To whoever sees the session: the whole session.
    Session(Box<CoachingSession>),
    /// To an item's owner who does not see the session (an agent owning
    /// an item on another agent's session): only their item.
    Item(OwnActionItem),
}

/// One action item, for its owner.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OwnActionItem {
    /// The session it belongs to.
    pub session_id: String,
    /// Its index in the session's action plan.
    pub index: usize,
    /// The item.
    pub item: crate::model::ActionItem,
}
