//! The mentoring program and the coaching-session workflow through the real
//! host: QA data → needs → matching → a protégé's choice → mentoring
//! sessions, progress reports and the supervisor's view; consent; and
//! sessions from action plan to follow-up.

use serde_json::{Value, json};

use sidecoach_plugin_artifacts::testing;

use crate::util::{Client, Host};

async fn agent(api: &Client, name: &str, team: &str) -> String {
    let r = api
        .post("/v1/agents", &json!({"name": name, "team_id": team}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

async fn token_for(host: &Host, api: &Client, agent: &str) -> Client {
    let r = api
        .post(
            "/v1/tokens",
            &json!({"name": format!("agent-{agent}"), "role": "agent", "agent_id": agent}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    host.client(Some(r.json["token"].as_str().unwrap()))
}

/// A form with one criterion per topic (1..5).
fn form() -> Value {
    json!({"id": "qa", "version": 1, "name": "QA", "sections": [{"id": "s", "name": "All", "weight": 1, "criteria": [
        {"id": "know", "label": "Product knowledge", "weight": 1, "scale_min": 1, "scale_max": 5, "topic": "product-knowledge"},
        {"id": "empathy", "label": "Empathy", "weight": 1, "scale_min": 1, "scale_max": 5, "topic": "empathy"}
    ]}], "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                      "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 70}})
}

fn shortlist(report: &Value, protege: &str) -> Vec<Value> {
    report["proteges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["protege_id"] == protege)
        .unwrap_or_else(|| panic!("{protege} not in {report}"))["shortlist"]
        .as_array()
        .unwrap()
        .clone()
}

/// The program as far as a step: a team (supervisor Sam) with protégés
/// Pia and Pat, mentors Max, Mia and Moe, Lee who never enrols, and QA
/// data where Pia is weak on product knowledge and Pat on empathy. Each
/// test below replays the steps before its own, so one failing step does
/// not hide the others.
struct Program {
    host: Host,
    api: Client,
    now: i64,
    p1: String,
    p2: String,
    m1: String,
    m2: String,
    m3: String,
    loner: String,
    /// Sam, the team's supervisor (an agent record), and the team.
    sup: String,
    team: String,
}

async fn program() -> Program {
    let host = Host::start();
    let api = host.admin();
    let sup = api
        .post("/v1/agents", &json!({"name": "Sam Supervisor"}))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let team = api
        .post("/v1/teams", &json!({"name": "Care", "supervisor_id": sup}))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (p1, p2) = (
        agent(&api, "Pia", &team).await,
        agent(&api, "Pat", &team).await,
    );
    let (m1, m2, m3) = (
        agent(&api, "Max", &team).await,
        agent(&api, "Mia", &team).await,
        agent(&api, "Moe", &team).await,
    );
    let loner = agent(&api, "Lee", &team).await;
    assert_eq!(api.post("/v1/forms", &form()).await.status, 201);

    // QA: Pia is weak on product knowledge, Pat on empathy.
    let now = sidecoach::clock::now_ms();
    for (n, (who, know, empathy)) in [(&p1, 1, 5), (&p1, 2, 5), (&p2, 5, 1)]
        .into_iter()
        .enumerate()
    {
        let r = api
            .post(
                "/v1/evaluations",
                &json!({"source": "qa", "external_id": format!("e{n}"), "form_id": "qa", "agent_id": who,
                        "evaluated_at": now - 86_400_000,
                        "answers": [{"criterion_id": "know", "value": know}, {"criterion_id": "empathy", "value": empathy}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    Program {
        host,
        api,
        now,
        p1,
        p2,
        m1,
        m2,
        m3,
        loner,
        sup,
        team,
    }
}

/// A program's tokens once mentors opted in (Moe out again) and the
/// protégés enrolled.
struct Tokens {
    t_m1: Client,
    t_p1: Client,
    t_p2: Client,
}

async fn opted_in(p: &Program) -> Tokens {
    let Program {
        host,
        api,
        p1,
        p2,
        m1,
        m2,
        m3,
        loner,
        ..
    } = p;
    // Mentors opt in themselves; nobody can opt them in.
    let profile = |strength: &str| json!({"capacity": 1, "strengths": [strength], "style": "direct", "utc_offset_minutes": 0, "channels": ["chat"]});
    let r = api.post("/v1/mentors", &profile("product-knowledge")).await;
    assert_eq!(
        r.status, 403,
        "an admin cannot make an agent a mentor: {}",
        r.text
    );
    let (t_m1, t_m2, t_m3) = (
        token_for(host, api, m1).await,
        token_for(host, api, m2).await,
        token_for(host, api, m3).await,
    );
    let mut as_other = profile("empathy");
    as_other["agent_id"] = json!(m2);
    assert_eq!(t_m1.post("/v1/mentors", &as_other).await.status, 403);
    for (t, s) in [
        (&t_m1, "product-knowledge"),
        (&t_m2, "empathy"),
        (&t_m3, "product-knowledge"),
    ] {
        let r = t.post("/v1/mentors", &profile(s)).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // Moe opts out again: never offered.
    let r = t_m3.delete("/v1/mentors/me").await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Mentors enrol too, acknowledging that supervisors may monitor
    // mentoring: only then are they matched.
    for t in [&t_m1, &t_m2] {
        let r = t
            .post(
                "/v1/mentoring/enrol",
                &json!({"monitoring_acknowledged": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // Protégés enrol themselves, acknowledging monitoring; Lee does not.
    let (t_p1, t_p2) = (
        token_for(host, api, p1).await,
        token_for(host, api, p2).await,
    );
    let r = t_p1
        .post(
            "/v1/mentoring/enrol",
            &json!({"monitoring_acknowledged": false}),
        )
        .await;
    assert_eq!(r.status, 422, "the notice must be acknowledged: {}", r.text);
    for t in [&t_p1, &t_p2] {
        let r = t
            .post(
                "/v1/mentoring/enrol",
                &json!({"monitoring_acknowledged": true, "style": "direct", "utc_offset_minutes": 0, "channels": ["chat"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = api
        .post("/v1/mentoring/match", &json!({"proteges": [loner]}))
        .await;
    assert_eq!(r.status, 422, "not enrolled, not matched: {}", r.text);

    let _ = (m1, loner);
    Tokens { t_m1, t_p1, t_p2 }
}

/// The committed match.
async fn matched(p: &Program) -> Value {
    let Program {
        api,
        p1,
        p2,
        m1,
        m2,
        m3,
        ..
    } = p;
    // The match: each protégé gets the mentor strong where they are weak
    // (score 1.0), with the other mentor as the alternative (0.5, full).
    let r = api
        .post(
            "/v1/mentoring/match",
            &json!({"proteges": [p1, p2], "commit": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["matcher"], "reference-matcher@0.2.0");
    assert_eq!(r.json["matched"], 2);
    assert!(
        (r.json["total_score"].as_f64().unwrap() - 2.0).abs() < 1e-9,
        "{}",
        r.text
    );
    let s1 = shortlist(&r.json, p1);
    assert_eq!(s1.len(), 2, "two opted-in mentors: {}", r.text);
    assert_eq!(s1[0]["mentor_id"], m1.as_str());
    assert_eq!(s1[0]["assigned"], true);
    assert_eq!(s1[0]["score"], 1.0);
    assert!(
        s1[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str().unwrap().contains("product-knowledge")),
        "{}",
        r.text
    );
    assert_eq!(s1[1]["mentor_id"], m2.as_str());
    assert_eq!(s1[1]["assigned"], false);
    assert_eq!(s1[1]["full"], true);
    assert_eq!(shortlist(&r.json, p2)[0]["mentor_id"], m2.as_str());
    assert!(
        r.json.to_string().find(m3.as_str()).is_none(),
        "an opted-out mentor is never offered"
    );

    r.json
}

/// Pia's chosen pairing (with Max).
async fn picked(p: &Program, t: &Tokens, report: &Value) -> String {
    let (t_p1, t_p2) = (&t.t_p1, &t.t_p2);
    let s1 = shortlist(report, &p.p1);
    // Pia picks Max; her other offer ends; Pat cannot take Pia's offer
    // (nor see it: another agent's pairing answers 404).
    let pick = s1[0]["pairing_id"].as_str().unwrap().to_string();
    let other = s1[1]["pairing_id"].as_str().unwrap().to_string();
    assert_eq!(
        t_p2.post(&format!("/v1/pairings/{pick}/accept"), &json!({}))
            .await
            .status,
        404
    );
    let r = t_p1
        .post(&format!("/v1/pairings/{pick}/accept"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["state"], "accepted");
    let r = t_p1
        .post(&format!("/v1/pairings/{other}/accept"), &json!({}))
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    pick
}

#[tokio::test]
async fn qa_data_leads_to_needs_and_only_mentors_themselves_opt_in() {
    let p = program().await;
    let (api, p1) = (&p.api, &p.p1);
    let needs = api.get(&format!("/v1/agents/{p1}/needs")).await;
    assert_eq!(
        needs.json[0]["topic"], "product-knowledge",
        "{}",
        needs.text
    );
    assert!(
        (needs.json[0]["weakness"].as_f64().unwrap() - 0.875).abs() < 1e-9,
        "{}",
        needs.text
    );
    assert_eq!(
        needs.json.as_array().unwrap().len(),
        1,
        "empathy is fine: {}",
        needs.text
    );

    opted_in(&p).await;
}

#[tokio::test]
async fn the_match_offers_each_protege_a_shortlist_and_the_protege_chooses() {
    let p = program().await;
    let t = opted_in(&p).await;
    let report = matched(&p).await;
    picked(&p, &t, &report).await;
}

#[tokio::test]
async fn a_matcher_of_api_0_1_0_still_matches_exactly_as_the_0_4_0_one() {
    let p = program().await;
    opted_in(&p).await;
    let ask = json!({"proteges": [p.p1, p.p2]});
    // The shipped matcher (API 0.4.0: a score matrix, then reasons for the
    // offers only).
    let now = p.api.post("/v1/mentoring/match", &ask).await;
    assert_eq!(now.status, 200, "{}", now.text);
    assert_eq!(now.json["matcher"], "reference-matcher@0.2.0");
    // The same arithmetic released against API 0.1.0 (every pair with its
    // reasons) installed over it.
    let r = p.api.install_artifact(&testing::REFERENCE_MATCHER_V1).await;
    assert!(r.status.is_success(), "{}", r.text);
    let then = p.api.post("/v1/mentoring/match", &ask).await;
    assert_eq!(then.status, 200, "{}", then.text);
    assert_eq!(then.json["matcher"], "reference-matcher@0.1.0");
    for key in ["proteges", "matched", "total_score"] {
        assert_eq!(
            now.json[key], then.json[key],
            "{key}: {} vs {}",
            now.text, then.text
        );
    }
    let offers = now.json["proteges"].as_array().unwrap();
    assert!(
        offers.iter().all(|o| o["shortlist"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c["reasons"].as_array().unwrap().is_empty())),
        "every offer explained: {}",
        now.text
    );
}

#[tokio::test]
async fn a_drop_in_on_two_acknowledged_agents_is_allowed_and_audited() {
    let p = program().await;
    let t = opted_in(&p).await;
    let report = matched(&p).await;
    let pick = picked(&p, &t, &report).await;
    let api = &p.api;
    let _ = &t.t_m1;
    // Both agents acknowledged monitoring when they enrolled (a mentor who
    // did not is never matched: see
    // `a_mentor_who_never_acknowledged_monitoring_is_not_matched`).
    let r = api
        .post(
            &format!("/v1/pairings/{pick}/drop-in"),
            &json!({"note": "listening in"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let audit = api.get(&format!("/v1/audit?target={pick}")).await;
    let actions: Vec<&str> = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["mentoring.drop-in"], "{}", audit.text);

    // Sam, the team's supervisor, reads the drop-ins on his agents'
    // pairings; a supervisor of another team does not.
    let sam = token_as(&p.host, api, "supervisor", &p.sup).await;
    let r = sam.get(&format!("/v1/audit?team={}", p.team)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["items"][0]["action"], "mentoring.drop-in",
        "{}",
        r.text
    );
    let r = sam.get(&format!("/v1/audit?agent={}", p.p1)).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1, "{}", r.text);
    let other_lead = api.post("/v1/agents", &json!({"name": "Otto"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_team = api
        .post(
            "/v1/teams",
            &json!({"name": "Sales", "supervisor_id": other_lead}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let otto = token_as(&p.host, api, "supervisor", &other_lead).await;
    let r = otto.get(&format!("/v1/audit?team={}", p.team)).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = otto.get(&format!("/v1/audit?team={other_team}")).await;
    assert_eq!(r.json["items"], json!([]), "{}", r.text);
    assert_eq!(otto.get("/v1/audit").await.status, 400);
}

async fn token_as(host: &Host, api: &Client, role: &str, agent: &str) -> Client {
    let r = api
        .post(
            "/v1/tokens",
            &json!({"name": format!("{role}-{agent}"), "role": role, "agent_id": agent}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    host.client(Some(r.json["token"].as_str().unwrap()))
}

#[tokio::test]
async fn only_the_protege_chooses_and_a_mentor_without_the_monitoring_notice_is_not_matched() {
    let p = program().await;
    let t = opted_in(&p).await;
    // Lou opts in as a mentor, strong where Pia is weak, but never
    // acknowledges the monitoring notice: left out of the match, and said so.
    let lou = agent(&p.api, "Lou", &p.team).await;
    let t_lou = token_for(&p.host, &p.api, &lou).await;
    let r = t_lou
        .post(
            "/v1/mentors",
            &json!({"capacity": 3, "strengths": ["product-knowledge"], "style": "direct", "utc_offset_minutes": 0, "channels": ["chat"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let report = matched(&p).await;
    assert_eq!(report["mentors_unacknowledged"], json!([lou]), "{report}");
    assert!(
        report["proteges"].to_string().find(lou.as_str()).is_none(),
        "never offered: {report}"
    );

    // Nobody but the protégé accepts an offer, not even an admin or the
    // team's supervisor.
    let offer = shortlist(&report, &p.p1)[0]["pairing_id"]
        .as_str()
        .unwrap()
        .to_string();
    let sam = token_as(&p.host, &p.api, "supervisor", &p.sup).await;
    for who in [&p.api, &sam] {
        let r = who
            .post(&format!("/v1/pairings/{offer}/accept"), &json!({}))
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
    }
    let r = t
        .t_p1
        .post(&format!("/v1/pairings/{offer}/accept"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn mentors_protégés_and_observers_act_on_what_they_take_part_in_and_nothing_else() {
    let p = program().await;
    let t = opted_in(&p).await;
    let report = matched(&p).await;
    let pick = picked(&p, &t, &report).await;
    let (api, now) = (&p.api, p.now);
    let t_m2 = token_for(&p.host, api, &p.m2).await;

    // The mentor records the mentoring session themself (the pairing is
    // found for them) and reads it; the protégé reads it too.
    let r = t
        .t_m1
        .post(
            "/v1/sessions",
            &json!({"kind": "mentoring", "coach_id": p.m1, "agent_id": p.p1,
                    "scheduled_at": now, "duration_minutes": 20}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["pairing_id"], pick.as_str(), "{}", r.text);
    let session = r.json["id"].as_str().unwrap().to_string();
    for who in [&t.t_m1, &t.t_p1] {
        let r = who.get(&format!("/v1/sessions/{session}")).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let mine = t.t_m1.get(&format!("/v1/sessions?coach={}", p.m1)).await;
    assert_eq!(
        mine.json["items"][0]["id"],
        session.as_str(),
        "{}",
        mine.text
    );
    // Not a one-to-one, not for someone who is not their protégé.
    for body in [
        json!({"kind": "one-to-one", "coach_id": p.m1, "agent_id": p.p1, "scheduled_at": now, "duration_minutes": 20}),
        json!({"kind": "mentoring", "coach_id": p.m1, "agent_id": p.p2, "scheduled_at": now, "duration_minutes": 20}),
    ] {
        let r = t.t_m1.post("/v1/sessions", &body).await;
        assert!(matches!(r.status.as_u16(), 403 | 422), "{}", r.text);
    }
    assert_eq!(
        t_m2.get(&format!("/v1/sessions/{session}")).await.status,
        404
    );

    // The protégé's mentoring view: the protégé and their mentor read it;
    // another mentor does not.
    for who in [&t.t_p1, &t.t_m1] {
        let r = who.get(&format!("/v1/agents/{}/mentoring", p.p1)).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = t_m2.get(&format!("/v1/agents/{}/mentoring", p.p1)).await;
    assert_eq!(r.status, 404, "{}", r.text);

    // An observed session: the observer reads it and adds their own note;
    // someone else neither reads nor notes it.
    let t_lee = token_for(&p.host, api, &p.loner).await;
    let r = api
        .post(
            "/v1/sessions",
            &json!({"kind": "observed", "coach_id": p.sup, "agent_id": p.p2, "observers": [p.loner],
                    "scheduled_at": now, "duration_minutes": 30,
                    "action_items": [{"description": "shadow Lee on two calls", "owner_id": p.p1, "due": now, "status": "open"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let observed = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        t_lee.get(&format!("/v1/sessions/{observed}")).await.status,
        200
    );
    let r = t_lee
        .put(
            &format!("/v1/sessions/{observed}/observer-note"),
            &json!({"note": "slow to confirm the account"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["observer_notes"][0]["observer_id"], p.loner.as_str());
    let r = t
        .t_m1
        .put(
            &format!("/v1/sessions/{observed}/observer-note"),
            &json!({"note": "me too"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = t_lee
        .post(
            &format!("/v1/sessions/{observed}/acknowledge"),
            &json!({"comment": "not mine"}),
        )
        .await;
    assert_eq!(r.status, 403, "only the coached agent: {}", r.text);

    // Pia owns an action item on Pat's session: she moves it and gets her
    // item back, not Pat's session; a non-owner gets 404 as GET answers.
    let r = t
        .t_p1
        .post(
            &format!("/v1/sessions/{observed}/action-items/0"),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["item"]["status"], "done", "{}", r.text);
    assert!(
        r.json.get("behaviours").is_none() && r.json.get("agent_id").is_none(),
        "{}",
        r.text
    );
    assert_eq!(
        t.t_p1.get(&format!("/v1/sessions/{observed}")).await.status,
        404
    );
    let r = t_m2
        .post(
            &format!("/v1/sessions/{observed}/action-items/0"),
            &json!({"status": "open"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);

    // The mentor ending the pairing is told it ended, without the
    // protégé's needs or new shortlist.
    let r = t
        .t_m1
        .post(
            &format!("/v1/pairings/{pick}/end"),
            &json!({"reason": "moving teams"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["pairing"]["state"], "ended", "{}", r.text);
    assert!(r.json.get("proteges").is_none(), "{}", r.text);
}

#[tokio::test]
async fn a_mentoring_session_activates_the_pairing_and_the_mentors_report_reaches_the_supervisor() {
    let p = program().await;
    let t = opted_in(&p).await;
    let report = matched(&p).await;
    let pick = picked(&p, &t, &report).await;
    let (api, t_m1, t_p1, now, p1, m1) = (&p.api, &t.t_m1, &t.t_p1, p.now, &p.p1, &p.m1);
    // A mentoring session makes the pairing active; Max reports on Pia.
    let r = api
        .post(
            "/v1/sessions",
            &json!({"kind": "mentoring", "coach_id": m1, "agent_id": p1, "pairing_id": pick,
                    "scheduled_at": now, "duration_minutes": 15, "behaviours": ["guesses at plan details"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json["figures"]["qa_count"], 2,
        "the agent's figures are pulled in: {}",
        r.text
    );
    let p = api.get(&format!("/v1/pairings?protege={p1}")).await;
    let active: Vec<&Value> = p.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["state"] == "active")
        .collect();
    assert_eq!(active.len(), 1, "{}", p.text);
    let report = json!({"doing_well": "Owns the call", "to_improve": "Plan details", "next_focus": "Roaming add-ons"});
    assert_eq!(
        t_p1.post(&format!("/v1/pairings/{pick}/reports"), &report)
            .await
            .status,
        403
    );
    let r = t_m1
        .post(&format!("/v1/pairings/{pick}/reports"), &report)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // The supervisor's view: pairing, report, trend, needs.
    let v = api.get(&format!("/v1/agents/{p1}/mentoring")).await;
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.json["reports"][0]["next_focus"], "Roaming add-ons");
    assert_eq!(v.json["reports"][0]["mentor_id"], m1.as_str());
    assert_eq!(v.json["trend"]["qa"]["count"], 2, "{}", v.text);
    assert_eq!(v.json["needs"][0]["topic"], "product-knowledge");

    // Ending it re-matches Pia without Max.
    let r = t_p1
        .post(
            &format!("/v1/pairings/{pick}/end"),
            &json!({"reason": "shift change"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let again = shortlist(&r.json, p1);
    assert!(!again.is_empty(), "{}", r.text);
    assert!(
        again.iter().all(|o| o["mentor_id"] != m1.as_str()),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_session_runs_from_action_plan_to_acknowledgement_follow_up_and_closing_its_alert() {
    let host = Host::with_config(
        "[[flags.rules]]\nid = \"low-csat\"\non = \"feedback\"\ncsat_at_most = 2\n",
    );
    let api = host.admin();
    let sup = api.post("/v1/agents", &json!({"name": "Sam"})).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let team = api.post("/v1/teams", &json!({"name": "Care", "supervisor_id": sup, "targets": {"qa_percent": 85, "csat": 4.2}})).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ada = agent(&api, "Ada", &team).await;
    let t_ada = token_for(&host, &api, &ada).await;
    let r = api
        .post(
            "/v1/feedback",
            &json!({"source": "survey", "external_id": "f1", "kind": "csat", "value": 1, "scale_min": 1, "scale_max": 5, "agent_id": ada}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let alert = api.get(&format!("/v1/alerts?agent={ada}")).await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let past = sidecoach::clock::now_ms() - 3_600_000;
    let r = api
        .post(
            "/v1/sessions",
            &json!({"kind": "micro-coaching", "coach_id": sup, "agent_id": ada, "alert_ids": [alert],
                    "scheduled_at": past - 86_400_000, "duration_minutes": 10,
                    "targets_reviewed": ["CSAT 1.0 vs 4.2"], "behaviours": ["rushed the close"],
                    "root_causes": ["queue pressure"], "follow_up_at": past,
                    "action_items": [{"description": "recap before closing", "owner_id": ada, "due": past, "status": "open"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let s = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["figures"]["csat"], 1.0, "{}", r.text);
    assert_eq!(r.json["figures"]["csat_target"], 4.2, "{}", r.text);

    // Overdue: the follow-up and the action item.
    let o = api.get(&format!("/v1/coaching/overdue?coach={sup}")).await;
    assert_eq!(o.status, 200, "{}", o.text);
    assert_eq!(o.json["follow_ups"][0]["id"], s.as_str(), "{}", o.text);
    assert_eq!(
        o.json["action_items"][0]["item"]["description"],
        "recap before closing"
    );

    // The agent acknowledges (only they can) and marks their item done.
    assert_eq!(
        api.post(&format!("/v1/sessions/{s}/acknowledge"), &json!({}))
            .await
            .status,
        403
    );
    let r = t_ada
        .post(
            &format!("/v1/sessions/{s}/acknowledge"),
            &json!({"comment": "Fair. I'll recap."}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["agent_comment"], "Fair. I'll recap.");
    let r = t_ada
        .post(
            &format!("/v1/sessions/{s}/action-items/0"),
            &json!({"status": "done"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A follow-up session clears the follow-up.
    let r = api
        .post(
            "/v1/sessions",
            &json!({"kind": "one-to-one", "coach_id": sup, "agent_id": ada, "follows_up": s,
                    "scheduled_at": past + 1_800_000, "duration_minutes": 20}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let o = api.get(&format!("/v1/coaching/overdue?coach={sup}")).await;
    assert_eq!(o.json["follow_ups"], json!([]), "{}", o.text);
    assert_eq!(o.json["action_items"], json!([]), "{}", o.text);

    // Closing the micro-coaching session closes its alert.
    let r = api
        .post(&format!("/v1/sessions/{s}/close"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let a = api.get(&format!("/v1/alerts/{alert}")).await;
    assert_eq!(a.json["state"], "coached", "{}", a.text);
    assert_eq!(a.json["session_id"], s.as_str());
    assert_eq!(
        api.post(&format!("/v1/sessions/{s}/close"), &json!({}))
            .await
            .status,
        409
    );

    // A packet: the observer's notes on the agent's areas of improvement
    // are kept; a note by someone not observing is refused.
    let olu = agent(&api, "Olu", &team).await;
    let packet = |by: &str| {
        json!({"kind": "observed", "coach_id": sup, "agent_id": ada, "observers": [olu],
               "scheduled_at": past, "duration_minutes": 30,
               "observer_notes": [{"observer_id": by, "note": "talks over the customer when rushed"}]})
    };
    let r = api.post("/v1/sessions", &packet(&olu)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["observer_notes"][0]["observer_id"], olu.as_str());
    let r = api.post("/v1/sessions", &packet(&sup)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json["error"]["details"]["field"],
        "observer_notes[0].observer_id"
    );

    // The agent's acknowledgement cannot be forged by whoever records the
    // session.
    for (field, value) in [
        ("acknowledged_at", json!(past)),
        ("agent_comment", json!("agreed")),
    ] {
        let mut forged = packet(&olu);
        forged[field] = value;
        let r = api.post("/v1/sessions", &forged).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert_eq!(r.json["error"]["details"]["field"], field, "{}", r.text);
    }
}
