//! The mentoring program and the coaching-session workflow through the real
//! host: QA data → needs → matching → a protégé's choice → mentoring
//! sessions, progress reports and the supervisor's view; consent; and
//! sessions from action plan to follow-up.

use serde_json::{Value, json};

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
    assert_eq!(r.json["matcher"], "reference-matcher@0.1.0");
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
    // Pia picks Max; her other offer ends; Pat cannot take Pia's offer.
    let pick = s1[0]["pairing_id"].as_str().unwrap().to_string();
    let other = s1[1]["pairing_id"].as_str().unwrap().to_string();
    assert_eq!(
        t_p2.post(&format!("/v1/pairings/{pick}/accept"), &json!({}))
            .await
            .status,
        403
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
async fn a_drop_in_needs_both_agents_acknowledgement_and_is_audited() {
    let p = program().await;
    let t = opted_in(&p).await;
    let report = matched(&p).await;
    let pick = picked(&p, &t, &report).await;
    let (api, t_m1) = (&p.api, &t.t_m1);
    // A drop-in needs both agents' acknowledgement: Max has not enrolled.
    let r = api
        .post(
            &format!("/v1/pairings/{pick}/drop-in"),
            &json!({"note": "listening in"}),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(r.text.contains("acknowledged"), "{}", r.text);
    let r = t_m1
        .post(
            "/v1/mentoring/enrol",
            &json!({"monitoring_acknowledged": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
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
    assert_eq!(
        actions,
        ["mentoring.drop-in.refused", "mentoring.drop-in"],
        "{}",
        audit.text
    );
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
