//! Coaching-practice routes: the weekly cadence and coaching
//! effectiveness; and [`seen_by`], which every answer carrying a session
//! goes through so its rapport notes reach only its coach.
//!
//! **Cadence** (`GET /v1/coaching/cadence`): weeks run Monday 00:00 UTC to
//! Monday; an agent is *coached* with a counted session (one-to-one or
//! observed by default) held this week, *due* without one yet but with one
//! the previous full week (or when newer than that week), *overdue* with
//! none in either. **Effectiveness** (`GET /v1/coaching/effectiveness`):
//! QA and CSAT in the `days` after each session against the `days`
//! before; see [`crate::practice`] for every rule.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::records::{coach_in_scope, own_agent, within_scope};
use super::{ApiError, ApiQuery, AppState, Caller};
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::model::{CadenceReport, CoachingSession, EffectivenessReport, Role, SessionKind};
use crate::practice::{CADENCE_KINDS, Who};
use crate::records::Term;

/// A session as `who` may see it: the rapport notes only when the token
/// belongs to the session's coach; to anyone else (the agent, observers,
/// other coaches, supervisors, admins) the session comes without them.
pub(super) fn seen_by(who: &Principal, s: CoachingSession) -> CoachingSession {
    s.seen_by(who.person())
}

/// Sessions as `who` may see them (see [`seen_by`]).
pub(super) fn all_seen_by(who: &Principal, sessions: Vec<CoachingSession>) -> Vec<CoachingSession> {
    sessions.into_iter().map(|s| seen_by(who, s)).collect()
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message.to_string())
}

// ---- cadence ------------------------------------------------------------------

/// `GET /v1/coaching/cadence` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CadenceParams {
    /// A team's agents.
    team: Option<String>,
    /// The agents a person coaches (`Agent.coach_id`); a coach token that
    /// belongs to a person lists its own agents when no scope is given.
    coach: Option<String>,
    /// One agent (an agent token: only its own, the default).
    agent: Option<String>,
    /// Judge the cadence at this moment (ms since epoch; default now): the
    /// week holding it and the one before.
    at: Option<i64>,
    /// Comma-separated session kinds that count as the weekly session
    /// (default `one-to-one,observed`).
    kinds: Option<String>,
}

fn session_kinds(text: Option<&str>) -> Result<Vec<SessionKind>, ApiError> {
    let Some(text) = text else {
        return Ok(CADENCE_KINDS.to_vec());
    };
    let mut kinds = Vec::new();
    for k in text.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match SessionKind::ALL.into_iter().find(|x| x.as_str() == k) {
            Some(kind) if !kinds.contains(&kind) => kinds.push(kind),
            Some(_) => {}
            None => {
                let names: Vec<_> = SessionKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("kind {k:?} is not one of {}", names.join(", ")),
                ));
            }
        }
    }
    if kinds.is_empty() {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`kinds` names no session kind",
        ));
    }
    Ok(kinds)
}

fn cadence_scope(who: &Principal, p: &CadenceParams) -> Result<Who, ApiError> {
    if who.role == Role::Agent {
        let own = own_agent(who)?;
        if p.team.is_some() || p.coach.is_some() || p.agent.as_ref().is_some_and(|a| a != own) {
            return Err(forbidden("an agent token sees only its own cadence line"));
        }
        return Ok(Who::Agent(own.to_string()));
    }
    match (&p.team, &p.coach, &p.agent) {
        (Some(t), None, None) => Ok(Who::Team(t.clone())),
        (None, Some(c), None) => Ok(Who::Coach(c.clone())),
        (None, None, Some(a)) => Ok(Who::Agent(a.clone())),
        (None, None, None) => match (who.role, who.person()) {
            (Role::Coach, Some(me)) => Ok(Who::Coach(me.to_string())),
            _ => Err(ApiError::bad_request(
                "invalid_query",
                "give one of `team`, `coach` or `agent`",
            )),
        },
        _ => Err(ApiError::bad_request(
            "invalid_query",
            "give only one of `team`, `coach` or `agent`",
        )),
    }
}

/// `GET /v1/coaching/cadence?team=|coach=|agent=&at=&kinds=`: who has had
/// their weekly coaching session — coached, due or overdue — with the
/// week's bounds and counts.
#[utoipa::path(get, path = "/v1/coaching/cadence", tag = "sessions", params(CadenceParams), responses((status = 200, description = "one line per agent, overdue first", body = CadenceReport)))]
pub async fn cadence(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<CadenceParams>,
) -> Result<Json<CadenceReport>, ApiError> {
    let scope = cadence_scope(&who, &p)?;
    within(&who, &scope)?;
    let kinds = session_kinds(p.kinds.as_deref())?;
    let at = p.at.unwrap_or_else(now_ms);
    Ok(Json(s.practice.cadence(scope, at, &kinds, &who.scope)?))
}

// ---- effectiveness --------------------------------------------------------------

/// `GET /v1/coaching/effectiveness` parameters.
#[derive(Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EffectivenessParams {
    /// Sessions of this team's agents (default: everyone).
    team: Option<String>,
    /// Sessions this person ran.
    coach: Option<String>,
    /// Days on each side of a session, 1..=90 (default 14).
    days: Option<u32>,
    /// Sessions held from (ms; default 12 weeks before `to`).
    from: Option<i64>,
    /// Sessions held before (ms; default just after now).
    to: Option<i64>,
    /// Records each side needs for a session to enter a measure's means,
    /// 1..=1000 (default 1).
    min_samples: Option<usize>,
}

/// `GET /v1/coaching/effectiveness?days=&from=&to=&team=|coach=&min_samples=`:
/// each coached agent's QA and CSAT in the `days` after a session against
/// the `days` before, per coach, session kind, strategy and topic, with
/// the sample sizes; sessions with too little data are counted and left
/// out of the means.
#[utoipa::path(get, path = "/v1/coaching/effectiveness", tag = "analytics", params(EffectivenessParams), responses((status = 200, description = "ok", body = EffectivenessReport)))]
pub async fn effectiveness(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(p): ApiQuery<EffectivenessParams>,
) -> Result<Json<EffectivenessReport>, ApiError> {
    let scope = match (p.team, p.coach) {
        (Some(t), None) => Who::Team(t),
        (None, Some(c)) => Who::Coach(c),
        (None, None) => Who::All,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "give at most one of `team` or `coach`",
            ));
        }
    };
    let days = p.days.unwrap_or(14);
    if !(1..=90).contains(&days) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`days` must be within 1..=90",
        ));
    }
    let min_samples = p.min_samples.unwrap_or(1);
    if !(1..=1000).contains(&min_samples) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`min_samples` must be within 1..=1000",
        ));
    }
    let now = now_ms();
    let (from, to) = super::coaching::window(p.from, p.to, 12 * 7)?;
    within(&who, &scope)?;
    Ok(Json(s.practice.effectiveness(
        scope,
        (from, to),
        days,
        min_samples,
        now,
        &who.scope,
    )?))
}

/// The team, coach or agent a report is about must be within the
/// caller's scope (404 otherwise, as for one that does not exist); the
/// report itself keeps only the agents and sessions the scope sees.
fn within(who: &Principal, about: &Who) -> Result<(), ApiError> {
    match about {
        Who::Team(t) => within_scope(who, &Term::Team(t.clone())),
        Who::Agent(a) => within_scope(who, &Term::Agent(a.clone())),
        Who::Coach(c) => coach_in_scope(who, c),
        Who::All => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    //! Router tests through `oneshot`: rapport notes in every answer that
    //! carries a session, the cadence and the effectiveness report.

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use crate::auth::Principal;
    use crate::clock::now_ms;
    use crate::config::Config;
    use crate::model::{CoachingSession, Role};
    use crate::{App, Services};

    const ADMIN: &str = "practice-router-admin";
    const DAY: i64 = 86_400_000;
    const HOUR: i64 = 3_600_000;

    async fn services() -> (Services, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().join("data"),
            admin_token: Some(ADMIN.into()),
            ..Config::default()
        };
        // The compile cache the router tests share (see api::tests).
        config.runtime.cache_dir =
            Some(std::env::temp_dir().join("sidecoach-router-tests-compile-cache"));
        (App::open(config).await.expect("app opens").services, dir)
    }

    async fn call(
        r: &axum::Router,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let resp = r.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn agent(s: &Services, body: Value) -> String {
        s.records
            .people
            .create_agent(serde_json::from_value(body).unwrap())
            .await
            .unwrap()
            .id
    }

    /// A team, its agents Ada and Bob coached by Carl (an agent who
    /// coaches), and tokens: Carl's and Olga's coach tokens (each bound to
    /// their person), a supervisor's, Ada's and the admin's.
    struct World {
        r: axum::Router,
        _dir: tempfile::TempDir,
        team: String,
        ada: String,
        bob: String,
        carl: String,
        t_carl: String,
        t_olga: String,
        t_sup: String,
        t_ada: String,
    }

    async fn world() -> World {
        let (s, dir) = services().await;
        let team = s
            .records
            .people
            .create_team(serde_json::from_value(json!({"name": "Care"})).unwrap())
            .await
            .unwrap()
            .id;
        let carl = agent(&s, json!({"name": "Carl"})).await;
        let olga = agent(&s, json!({"name": "Olga"})).await;
        let ada = agent(
            &s,
            json!({"name": "Ada", "team_id": team, "coach_id": carl}),
        )
        .await;
        let bob = agent(
            &s,
            json!({"name": "Bob", "team_id": team, "coach_id": carl}),
        )
        .await;
        let auth = s.auth.clone();
        let token = |name: &'static str, role, person: Option<String>| {
            let auth = auth.clone();
            async move {
                auth.create(crate::auth::NewToken {
                    name: name.into(),
                    role: Some(role),
                    agent_id: person,
                    ..Default::default()
                })
                .await
                .unwrap()
                .0
            }
        };
        let t_carl = token("carl", Role::Coach, Some(carl.clone())).await;
        let t_olga = token("olga", Role::Coach, Some(olga)).await;
        let t_sup = token("sup", Role::Supervisor, None).await;
        let t_ada = token("ada", Role::Agent, Some(ada.clone())).await;
        World {
            r: super::super::router(s),
            _dir: dir,
            team,
            ada,
            bob,
            carl,
            t_carl,
            t_olga,
            t_sup,
            t_ada,
        }
    }

    const NOTES: &str = "Ada's mother is in hospital; ask how she is first.";

    #[test]
    fn a_staff_coachs_token_sees_the_notes_and_every_other_person_does_not() {
        let session: CoachingSession = serde_json::from_value(json!({
            "kind": "one-to-one", "coach_id": "staff-1", "agent_id": "a1",
            "scheduled_at": 1, "duration_minutes": 20, "rapport_notes": NOTES
        }))
        .unwrap();
        let token = |role, agent_id: Option<&str>, staff_id: Option<&str>| Principal {
            name: "t".into(),
            role,
            agent_id: agent_id.map(str::to_string),
            staff_id: staff_id.map(str::to_string),
            token_id: String::new(),
            scope: Default::default(),
        };
        let sees = |p: &Principal| super::seen_by(p, session.clone()).rapport_notes.is_some();
        assert!(sees(&token(Role::Coach, None, Some("staff-1"))));
        assert!(!sees(&token(Role::Coach, None, Some("staff-2"))));
        assert!(!sees(&token(Role::Supervisor, None, Some("staff-3"))));
        assert!(!sees(&token(Role::Admin, None, None)));
        assert!(!sees(&token(Role::Agent, Some("a1"), None)));
    }

    #[tokio::test]
    async fn rapport_notes_reach_only_the_sessions_coach_in_every_answer() {
        let w = world().await;
        let past = now_ms() - DAY;
        let body = json!({
            "kind": "one-to-one", "coach_id": w.carl, "agent_id": w.ada,
            "scheduled_at": past, "duration_minutes": 25, "strategy": "role-play",
            "rapport_notes": format!("  {NOTES}  "), "follow_up_at": past + HOUR,
            "action_items": [{"description": "recap before closing", "owner_id": w.ada, "due": past, "status": "open"}]
        });
        // Only the coach writes them: the admin, acting for Carl, is refused.
        let (status, err) = call(&w.r, "POST", "/v1/sessions", ADMIN, Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["details"]["field"], "rapport_notes");
        let (status, created) = call(&w.r, "POST", "/v1/sessions", &w.t_carl, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(
            created["rapport_notes"], NOTES,
            "trimmed, and shown to Carl"
        );
        assert_eq!(created["strategy"], "role-play");
        let id = created["id"].as_str().unwrap().to_string();
        let one = format!("/v1/sessions/{id}");
        // Olga coaches nobody here: Ada's session is outside her scope.
        let (status, _) = call(&w.r, "GET", &one, &w.t_olga, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let others = [ADMIN, &w.t_sup, &w.t_ada];

        // Reads: one session and listings.
        let (_, s) = call(&w.r, "GET", &one, &w.t_carl, None).await;
        assert_eq!(s["rapport_notes"], NOTES);
        for t in others {
            let (status, s) = call(&w.r, "GET", &one, t, None).await;
            assert_eq!(status, StatusCode::OK, "{s}");
            assert!(s.get("rapport_notes").is_none(), "{s}");
            assert_eq!(s["strategy"], "role-play");
        }
        let list = format!("/v1/sessions?agent={}", w.ada);
        let (_, page) = call(&w.r, "GET", &list, &w.t_carl, None).await;
        assert_eq!(page["items"][0]["rapport_notes"], NOTES);
        for t in others {
            let (_, page) = call(&w.r, "GET", &list, t, None).await;
            assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
            assert!(page["items"][0].get("rapport_notes").is_none(), "{page}");
        }
        let (_, page) = call(&w.r, "GET", "/v1/sessions?strategy=role-play", ADMIN, None).await;
        assert_eq!(page["items"][0]["id"], id.as_str(), "{page}");
        assert!(page["items"][0].get("rapport_notes").is_none());
        let (_, page) = call(&w.r, "GET", "/v1/sessions?strategy=training", ADMIN, None).await;
        assert_eq!(page["items"], json!([]));
        let (status, _) = call(&w.r, "GET", "/v1/sessions?strategy=nagging", ADMIN, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // Overdue follow-ups carry whole sessions.
        let overdue = format!("/v1/coaching/overdue?coach={}", w.carl);
        let (_, o) = call(&w.r, "GET", &overdue, &w.t_carl, None).await;
        assert_eq!(o["follow_ups"][0]["rapport_notes"], NOTES, "{o}");
        let (_, o) = call(&w.r, "GET", &overdue, &w.t_sup, None).await;
        assert_eq!(o["follow_ups"][0]["id"], id.as_str(), "{o}");
        assert!(o["follow_ups"][0].get("rapport_notes").is_none(), "{o}");

        // Writes by others answer without them, cannot set them, and keep them.
        let mut edit = s.clone();
        edit.as_object_mut().unwrap().remove("rapport_notes");
        edit["behaviours"] = json!(["rushed the close"]);
        for key in ["id", "figures"] {
            edit.as_object_mut().unwrap().remove(key);
        }
        let (status, updated) = call(&w.r, "PUT", &one, &w.t_sup, Some(edit.clone())).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["behaviours"], json!(["rushed the close"]));
        assert!(updated.get("rapport_notes").is_none(), "{updated}");
        let mut forged = edit.clone();
        forged["rapport_notes"] = json!("the supervisor's words");
        let (status, err) = call(&w.r, "PUT", &one, ADMIN, Some(forged.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let (_, s) = call(&w.r, "GET", &one, &w.t_carl, None).await;
        assert_eq!(
            s["rapport_notes"], NOTES,
            "kept through the supervisor's edit"
        );
        // The coach changes them.
        forged["rapport_notes"] = json!("Her mother is home again.");
        let (status, updated) = call(&w.r, "PUT", &one, &w.t_carl, Some(forged)).await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["rapport_notes"], "Her mother is home again.");

        // The agent's acknowledgement and action item, and the close.
        let (status, acked) = call(
            &w.r,
            "POST",
            &format!("{one}/acknowledge"),
            &w.t_ada,
            Some(json!({"comment": "Thanks"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{acked}");
        assert!(acked.get("rapport_notes").is_none(), "{acked}");
        let (status, item) = call(
            &w.r,
            "POST",
            &format!("{one}/action-items/0"),
            &w.t_ada,
            Some(json!({"status": "done"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{item}");
        assert!(item.get("rapport_notes").is_none(), "{item}");
        let (status, closed) = call(&w.r, "POST", &format!("{one}/close"), &w.t_sup, None).await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        assert!(closed.get("closed_at").is_some());
        assert!(closed.get("rapport_notes").is_none(), "{closed}");
        let (_, s) = call(&w.r, "GET", &one, &w.t_carl, None).await;
        assert_eq!(s["rapport_notes"], "Her mother is home again.");
    }

    #[tokio::test]
    async fn a_session_strategy_is_one_of_the_four_and_a_recognition_session_only_recognises() {
        let w = world().await;
        let session = |kind: &str, strategy: &str| {
            json!({"kind": kind, "coach_id": w.carl, "agent_id": w.ada, "scheduled_at": now_ms(),
                   "duration_minutes": 20, "strategy": strategy})
        };
        for strategy in ["awareness", "training", "role-play", "recognition"] {
            let (status, s) = call(
                &w.r,
                "POST",
                "/v1/sessions",
                ADMIN,
                Some(session("one-to-one", strategy)),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{s}");
            assert_eq!(s["strategy"], strategy);
        }
        let (status, err) = call(
            &w.r,
            "POST",
            "/v1/sessions",
            ADMIN,
            Some(session("one-to-one", "shouting")),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert_eq!(err["error"]["code"], "invalid_body");
        let (status, err) = call(
            &w.r,
            "POST",
            "/v1/sessions",
            ADMIN,
            Some(session("recognition", "role-play")),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["details"]["field"], "strategy");
    }

    #[tokio::test]
    async fn the_cadence_lists_a_team_as_coached_due_or_overdue_and_an_agent_sees_only_itself() {
        let w = world().await;
        // Judged on a Wednesday three weeks from now, so the agents (created
        // now) existed through the previous week.
        let week = crate::analytics::week_start(now_ms() + 21 * DAY);
        let at = week + 2 * DAY + 9 * HOUR;
        let cleo = {
            let (status, a) = call(
                &w.r,
                "POST",
                "/v1/agents",
                ADMIN,
                Some(json!({"name": "Cleo", "team_id": w.team})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{a}");
            a["id"].as_str().unwrap().to_string()
        };
        for (agent, kind, t) in [
            (&w.ada, "one-to-one", week + 10 * HOUR),
            (&w.bob, "one-to-one", week - 3 * DAY),
            (&w.bob, "one-to-one", week + 4 * DAY),
            (&cleo, "one-to-one", week - 10 * DAY),
            (&cleo, "micro-coaching", week + HOUR),
        ] {
            let body = json!({"kind": kind, "coach_id": w.carl, "agent_id": agent,
                              "scheduled_at": t, "duration_minutes": 20});
            let (status, s) = call(&w.r, "POST", "/v1/sessions", ADMIN, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{s}");
        }
        let (status, c) = call(
            &w.r,
            "GET",
            &format!("/v1/coaching/cadence?team={}&at={at}", w.team),
            &w.t_sup,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{c}");
        assert_eq!(
            (c["week_start"].as_i64(), c["week_end"].as_i64()),
            (Some(week), Some(week + 7 * DAY))
        );
        assert_eq!(c["previous_week_start"], week - 7 * DAY);
        assert_eq!(c["kinds"], json!(["one-to-one", "observed"]));
        assert_eq!(
            c["counts"],
            json!({"agents": 3, "coached_agents": 1, "due_agents": 1, "overdue_agents": 1})
        );
        let lines: Vec<(&str, &str)> = c["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["agent_name"].as_str().unwrap(),
                    l["status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [("Cleo", "overdue"), ("Bob", "due"), ("Ada", "coached")]
        );
        let cleo_line = &c["agents"][0];
        assert_eq!(cleo_line["other_sessions_this_week"], 1);
        assert_eq!(cleo_line["last_session_at"], week - 10 * DAY);
        let bob_line = &c["agents"][1];
        assert_eq!(bob_line["next_session_at"], week + 4 * DAY);
        assert_eq!(bob_line["sessions_previous_week"], 1);
        assert_eq!(c["agents"][2]["coach_id"], w.carl.as_str());

        // Per coach: Ada and Bob; Carl's own token defaults to his agents.
        let (_, c) = call(
            &w.r,
            "GET",
            &format!("/v1/coaching/cadence?coach={}&at={at}", w.carl),
            ADMIN,
            None,
        )
        .await;
        assert_eq!(
            c["counts"],
            json!({"agents": 2, "coached_agents": 1, "due_agents": 1, "overdue_agents": 0}),
            "{c}"
        );
        let (_, mine) = call(
            &w.r,
            "GET",
            &format!("/v1/coaching/cadence?at={at}"),
            &w.t_carl,
            None,
        )
        .await;
        assert_eq!(mine["scope"], "coach");
        assert_eq!(mine["agents"], c["agents"]);
        // Counting micro-coaching too, Cleo is coached.
        let (_, c) = call(
            &w.r,
            "GET",
            &format!(
                "/v1/coaching/cadence?team={}&at={at}&kinds=one-to-one,micro-coaching",
                w.team
            ),
            ADMIN,
            None,
        )
        .await;
        assert_eq!(c["counts"]["coached_agents"], 2, "{c}");

        // An agent sees its own line only.
        let (status, own) = call(
            &w.r,
            "GET",
            &format!("/v1/coaching/cadence?at={at}"),
            &w.t_ada,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{own}");
        assert_eq!(own["scope"], "agent");
        assert_eq!(own["agents"].as_array().unwrap().len(), 1);
        assert_eq!(own["agents"][0]["status"], "coached");
        for q in [format!("team={}", w.team), format!("agent={}", w.bob)] {
            let (status, _) = call(
                &w.r,
                "GET",
                &format!("/v1/coaching/cadence?{q}"),
                &w.t_ada,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{q}");
        }
        // Clear refusals.
        for (q, want) in [
            (String::new(), StatusCode::BAD_REQUEST),
            (
                format!("team={}&coach={}", w.team, w.carl),
                StatusCode::BAD_REQUEST,
            ),
            (
                format!("team={}&kinds=nap", w.team),
                StatusCode::BAD_REQUEST,
            ),
            ("team=nope".to_string(), StatusCode::NOT_FOUND),
            ("coach=nobody".to_string(), StatusCode::NOT_FOUND),
        ] {
            let (status, body) = call(
                &w.r,
                "GET",
                &format!("/v1/coaching/cadence?{q}"),
                &w.t_sup,
                None,
            )
            .await;
            assert_eq!(status, want, "{q}: {body}");
        }
    }

    #[tokio::test]
    async fn effectiveness_compares_scores_after_a_session_with_before_per_coach_kind_strategy_and_topic()
     {
        let w = world().await;
        let form = json!({
            "id": "voice", "version": 1, "name": "Voice QA",
            "sections": [{"id": "s1", "name": "Call", "weight": 1, "criteria": [
                {"id": "know", "label": "Product knowledge", "weight": 1, "scale_min": 0, "scale_max": 10, "topic": "product-knowledge"}
            ]}],
            "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                         "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 70}
        });
        let (status, f) = call(&w.r, "POST", "/v1/forms", ADMIN, Some(form)).await;
        assert_eq!(status, StatusCode::CREATED, "{f}");
        // Ada's session 30 days ago; Bob's 20 days ago with nothing after.
        let t = now_ms() - 30 * DAY;
        let eval = |ext: &str, agent: &str, at: i64, know: f64| {
            json!({"source": "qa", "external_id": ext, "form_id": "voice", "agent_id": agent,
                   "evaluated_at": at, "answers": [{"criterion_id": "know", "value": know}]})
        };
        for (ext, agent, at, know) in [
            ("e1", &w.ada, t - 3 * DAY, 6.0),  // 60 before
            ("e2", &w.ada, t - 2 * DAY, 8.0),  // 80 before
            ("e3", &w.ada, t + 2 * DAY, 10.0), // 100 after
            ("e4", &w.ada, t - 20 * DAY, 0.0), // outside the 7 days
            ("e5", &w.bob, t + 5 * DAY, 3.0),  // 30 before Bob's session
        ] {
            let (status, e) = call(
                &w.r,
                "POST",
                "/v1/evaluations",
                ADMIN,
                Some(eval(ext, agent, at, know)),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{e}");
            assert!(e["record"]["scorecard"].is_object(), "{e}");
        }
        for (ext, at, value) in [
            ("f1", t - DAY, 2.0),
            ("f2", t + DAY, 4.0),
            ("f3", t + 3 * DAY, 5.0),
        ] {
            let body = json!({"source": "survey", "external_id": ext, "kind": "csat", "value": value,
                              "scale_min": 1, "scale_max": 5, "agent_id": w.ada, "received_at": at});
            let (status, f) = call(&w.r, "POST", "/v1/feedback", ADMIN, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{f}");
        }
        let (_, page) = call(
            &w.r,
            "GET",
            &format!("/v1/evaluations?agent={}", w.ada),
            ADMIN,
            None,
        )
        .await;
        let weak = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["external_id"] == "e4")
            .unwrap()["id"]
            .clone();
        for (agent, at, strategy, evals) in [
            (&w.ada, t, "training", json!([weak])),
            (&w.bob, t + 10 * DAY, "awareness", json!([])),
        ] {
            let body = json!({"kind": "one-to-one", "coach_id": w.carl, "agent_id": agent, "scheduled_at": at,
                              "duration_minutes": 20, "strategy": strategy, "evaluation_ids": evals});
            let (status, s) = call(&w.r, "POST", "/v1/sessions", ADMIN, Some(body)).await;
            assert_eq!(status, StatusCode::CREATED, "{s}");
        }
        let (status, r) = call(
            &w.r,
            "GET",
            &format!("/v1/coaching/effectiveness?days=7&team={}", w.team),
            &w.t_sup,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(
            (r["days"].as_u64(), r["min_samples"].as_u64()),
            (Some(7), Some(1))
        );
        // Ada: QA 70 → 100 (+30), CSAT 2 → 4.5 (+2.5). Bob: nothing after.
        let qa = &r["overall"]["qa"];
        assert_eq!(r["overall"]["sessions"], 2);
        assert_eq!(
            (
                &qa["sessions"],
                &qa["excluded"],
                &qa["before_count"],
                &qa["after_count"]
            ),
            (&json!(1), &json!(1), &json!(2), &json!(1)),
            "{r}"
        );
        assert_eq!(
            (&qa["mean_before"], &qa["mean_after"], &qa["delta"]),
            (&json!(70.0), &json!(100.0), &json!(30.0))
        );
        let csat = &r["overall"]["csat"];
        assert_eq!(
            (&csat["mean_before"], &csat["mean_after"], &csat["delta"]),
            (&json!(2.0), &json!(4.5), &json!(2.5))
        );
        assert_eq!(
            (
                &csat["before_count"],
                &csat["after_count"],
                &csat["excluded"]
            ),
            (&json!(1), &json!(2), &json!(1))
        );
        assert_eq!(r["by_coach"][0]["key"], w.carl.as_str());
        assert_eq!(r["by_coach"][0]["name"], "Carl");
        assert_eq!(r["by_kind"][0]["key"], "one-to-one");
        let strategies: Vec<(&str, &Value)> = r["by_strategy"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["key"].as_str().unwrap(), &g["qa"]["delta"]))
            .collect();
        assert_eq!(
            strategies,
            [("awareness", &Value::Null), ("training", &json!(30.0))]
        );
        // The evaluation the session covered was weak on product knowledge.
        assert_eq!(r["by_topic"][0]["key"], "product-knowledge", "{r}");
        assert_eq!(r["sessions"][1]["qa"]["excluded"], "too-few-after");
        assert!(r["note"].as_str().unwrap().contains("excluded"));
        // Agents do not read it; a bad window is refused.
        let (status, _) = call(&w.r, "GET", "/v1/coaching/effectiveness", &w.t_ada, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for q in [
            "days=0",
            "days=91",
            "min_samples=0",
            "from=10&to=5",
            "team=a&coach=b",
        ] {
            let (status, _) = call(
                &w.r,
                "GET",
                &format!("/v1/coaching/effectiveness?{q}"),
                ADMIN,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        }
    }
}
