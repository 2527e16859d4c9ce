//! People and access through the real host: tokens that belong to a
//! staff person or an agent, scoped to the teams a supervisor leads and
//! the agents a coach coaches; `GET /v1/me`; tokens listed, revoked and
//! expired.

use serde_json::{Value, json};

use crate::util::{Client, Host};

async fn created(api: &Client, path: &str, body: Value) -> String {
    let r = api.post(path, &body).await;
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

async fn token(host: &Host, api: &Client, body: Value) -> Client {
    let r = api.post("/v1/tokens", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    host.client(Some(r.json["token"].as_str().unwrap()))
}

fn ids(page: &Value) -> Vec<String> {
    let mut v: Vec<String> = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<&String>) -> Vec<String> {
    v.sort();
    v.into_iter().cloned().collect()
}

/// Two teams: Care (led by Sam, a staff person; agents Ana, coached by
/// Cora, and Ben) and Sales (led by Oli; agent Bea). One evaluation each.
struct Center {
    host: Host,
    api: Client,
    sam: String,
    cora: String,
    care: String,
    sales: String,
    ana: String,
    ben: String,
    bea: String,
    /// Evaluation ids by agent: Ana's, Bea's.
    eval_ana: String,
    eval_bea: String,
}

async fn center() -> Center {
    let host = Host::start();
    let api = host.admin();
    let sam = created(
        &api,
        "/v1/staff",
        json!({"name": "Sam", "title": "supervisor"}),
    )
    .await;
    let oli = created(
        &api,
        "/v1/staff",
        json!({"name": "Oli", "title": "supervisor"}),
    )
    .await;
    let cora = created(&api, "/v1/staff", json!({"name": "Cora", "title": "coach"})).await;
    let care = created(
        &api,
        "/v1/teams",
        json!({"name": "Care", "supervisor_id": sam}),
    )
    .await;
    let sales = created(
        &api,
        "/v1/teams",
        json!({"name": "Sales", "supervisor_id": oli}),
    )
    .await;
    let ana = created(
        &api,
        "/v1/agents",
        json!({"name": "Ana", "team_id": care, "coach_id": cora}),
    )
    .await;
    let ben = created(&api, "/v1/agents", json!({"name": "Ben", "team_id": care})).await;
    let bea = created(&api, "/v1/agents", json!({"name": "Bea", "team_id": sales})).await;
    let form = json!({"id": "qa", "version": 1, "name": "QA", "sections": [{"id": "s", "name": "All", "weight": 1, "criteria": [
        {"id": "know", "label": "Knowledge", "weight": 1, "scale_min": 1, "scale_max": 5}]}],
        "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                     "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 70}});
    assert_eq!(api.post("/v1/forms", &form).await.status, 201);
    let mut evals = Vec::new();
    for (n, who) in [&ana, &bea].into_iter().enumerate() {
        let r = api
            .post(
                "/v1/evaluations",
                &json!({"source": "qa", "external_id": format!("e{n}"), "form_id": "qa", "agent_id": who,
                        "evaluated_at": sidecoach::clock::now_ms() - 3_600_000,
                        "answers": [{"criterion_id": "know", "value": 4}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        evals.push(r.json["record"]["id"].as_str().unwrap().to_string());
    }
    Center {
        host,
        api,
        sam,
        cora,
        care,
        sales,
        ana,
        ben,
        bea,
        eval_ana: evals[0].clone(),
        eval_bea: evals[1].clone(),
    }
}

#[tokio::test]
async fn a_supervisor_token_belongs_to_a_person_and_sees_only_the_teams_they_lead() {
    let c = center().await;
    let sup = token(
        &c.host,
        &c.api,
        json!({"name": "sam", "role": "supervisor", "staff_id": c.sam}),
    )
    .await;

    let me = sup.get("/v1/me").await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["person"]["name"], "Sam");
    assert_eq!(me.json["person"]["kind"], "staff");
    assert_eq!(me.json["scope"]["kind"], "within");
    assert_eq!(me.json["scope"]["teams"], json!([c.care]));

    // Lists hold their own team's records only.
    assert_eq!(
        ids(&sup.get("/v1/agents").await.json),
        sorted(vec![&c.ana, &c.ben])
    );
    assert_eq!(ids(&sup.get("/v1/teams").await.json), vec![c.care.clone()]);
    assert_eq!(
        ids(&sup.get("/v1/evaluations").await.json),
        vec![c.eval_ana.clone()]
    );

    // Another team's records answer 404, exactly like records that do not
    // exist, for reads, filters and writes.
    for path in [
        format!("/v1/agents/{}", c.bea),
        format!("/v1/teams/{}", c.sales),
        format!("/v1/evaluations/{}", c.eval_bea),
        format!("/v1/evaluations?agent={}", c.bea),
        format!("/v1/evaluations?team={}", c.sales),
        format!("/v1/analytics/trends?team={}", c.sales),
        format!("/v1/agents/{}/needs", c.bea),
    ] {
        let r = sup.get(&path).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    let r = sup
        .put(
            &format!("/v1/agents/{}", c.bea),
            &json!({"name": "Bea", "team_id": c.care}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = sup
        .post(
            "/v1/evaluations",
            &json!({"source": "qa", "external_id": "sup-1", "form_id": "qa", "agent_id": c.bea,
                    "answers": [{"criterion_id": "know", "value": 2}]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["details"]["field"], "agent_id");
    let r = sup
        .post(
            "/v1/sessions",
            &json!({"kind": "one-to-one", "coach_id": c.sam, "agent_id": c.bea,
                    "scheduled_at": sidecoach::clock::now_ms(), "duration_minutes": 30}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);

    // Within the team, work goes on: a session with Ana.
    let r = sup
        .post(
            "/v1/sessions",
            &json!({"kind": "one-to-one", "coach_id": c.sam, "agent_id": c.ana,
                    "scheduled_at": sidecoach::clock::now_ms(), "duration_minutes": 30}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);

    // A token that belongs to nobody is center-wide, as before.
    let all = token(
        &c.host,
        &c.api,
        json!({"name": "wfm", "role": "supervisor"}),
    )
    .await;
    assert_eq!(
        ids(&all.get("/v1/agents").await.json),
        sorted(vec![&c.ana, &c.ben, &c.bea])
    );
    assert_eq!(all.get("/v1/me").await.json["scope"]["kind"], "all");
}

#[tokio::test]
async fn a_coach_token_sees_the_agents_they_coach_and_an_agent_can_be_a_supervisor() {
    let c = center().await;
    let coach = token(
        &c.host,
        &c.api,
        json!({"name": "cora", "role": "coach", "staff_id": c.cora}),
    )
    .await;
    assert_eq!(
        ids(&coach.get("/v1/agents").await.json),
        vec![c.ana.clone()]
    );
    assert_eq!(
        coach.get(&format!("/v1/agents/{}", c.ben)).await.status,
        404
    );
    assert_eq!(
        ids(&coach.get("/v1/evaluations").await.json),
        vec![c.eval_ana.clone()]
    );
    let overdue = coach.get("/v1/coaching/overdue").await;
    assert_eq!(
        overdue.status, 200,
        "their own, by default: {}",
        overdue.text
    );
    assert_eq!(overdue.json["coach_id"], c.cora.as_str());

    // `token create --role supervisor --agent ID` works: a team lead who is
    // an agent record.
    let lead = created(
        &c.api,
        "/v1/agents",
        json!({"name": "Lia", "team_id": c.sales}),
    )
    .await;
    let r = c
        .api
        .put(
            &format!("/v1/teams/{}", c.sales),
            &json!({"name": "Sales", "supervisor_id": lead}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let lia = token(
        &c.host,
        &c.api,
        json!({"name": "lia", "role": "supervisor", "agent_id": lead}),
    )
    .await;
    assert_eq!(
        ids(&lia.get("/v1/agents").await.json),
        sorted(vec![&c.bea, &lead])
    );
    assert_eq!(lia.get("/v1/me").await.json["person"]["kind"], "agent");

    // Tokens for people that do not exist, or for two people, are refused.
    for (body, field) in [
        (
            json!({"name": "x", "role": "coach", "staff_id": "nobody"}),
            "staff_id",
        ),
        (
            json!({"name": "x", "role": "coach", "staff_id": c.cora, "agent_id": c.ana}),
            "staff_id",
        ),
        (
            json!({"name": "x", "role": "admin", "agent_id": c.ana}),
            "agent_id",
        ),
    ] {
        let r = c.api.post("/v1/tokens", &body).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json["error"]["details"]["field"], field, "{}", r.text);
    }
}

#[tokio::test]
async fn tokens_are_listed_without_secrets_revoked_at_once_and_expire() {
    let host = Host::start();
    let api = host.admin();
    let r = api
        .post(
            "/v1/tokens",
            &json!({"name": "nightly-export", "role": "read-only", "expires_in_days": 7}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let secret = r.json["token"].as_str().unwrap().to_string();
    let id = r.json["id"].as_str().unwrap().to_string();
    assert!(r.json["expires_at"].as_i64().unwrap() > sidecoach::clock::now_ms());
    let ro = host.client(Some(&secret));
    assert_eq!(ro.get("/v1/me").await.status, 200);

    let list = api.get("/v1/tokens").await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(
        !list.text.contains(&secret),
        "never the secret: {}",
        list.text
    );
    let names: Vec<&str> = list.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bootstrap", "nightly-export"], "{}", list.text);
    assert_eq!(ro.get("/v1/tokens").await.status, 403);

    let r = api.delete(&format!("/v1/tokens/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = ro.get("/v1/me").await;
    assert_eq!(r.status, 401, "revoked on the next request: {}", r.text);
    assert_eq!(api.delete(&format!("/v1/tokens/{id}")).await.status, 404);
    let audit = api.get(&format!("/v1/audit?target={id}")).await;
    let actions: Vec<&str> = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token.create", "token.revoke"], "{}", audit.text);

    // The last admin token cannot be revoked; an expiry in the past is
    // refused.
    let r = api.delete("/v1/tokens/bootstrap").await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = api
        .post(
            "/v1/tokens",
            &json!({"name": "old", "role": "coach", "expires_at": 1}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
}

#[tokio::test]
async fn the_demo_prints_persona_tokens_that_work_and_three_things_to_try() {
    let host = Host::demo();
    let persona = |which: &str| -> Client {
        let line = host
            .banner
            .iter()
            .find(|l| l.trim_start().starts_with(which))
            .unwrap_or_else(|| panic!("no {which} persona in {:#?}", host.banner));
        let token = line.split_whitespace().last().unwrap();
        assert!(token.starts_with("sc_"), "{line}");
        host.client(Some(token))
    };
    assert!(
        host.banner.iter().any(|l| l.starts_with("things to try")),
        "{:#?}",
        host.banner
    );
    let (sup, protege) = (persona("supervisor"), persona("protégé"));

    // Every demo agent has a team; Morgan's token sees the eight demo
    // agents of Customer Care only.
    let all = host.admin().get("/v1/agents?limit=100").await;
    assert!(
        all.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["team_id"].is_string()),
        "{}",
        all.text
    );
    let mine = sup.get("/v1/agents?limit=100").await;
    assert_eq!(
        mine.json["items"].as_array().unwrap().len(),
        8,
        "{}",
        mine.text
    );
    assert_eq!(
        sup.get("/v1/me").await.json["person"]["name"],
        "Morgan Reyes"
    );
    let r = sup.get("/v1/alerts?overdue=true").await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The match leaves out the mentor who never acknowledged monitoring.
    let r = sup
        .post("/v1/mentoring/match", &json!({"commit": true}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["mentors_unacknowledged"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );

    // The protégé sees their offers and accepts one; the supervisor cannot.
    // (The demo ran a match at load; this run replaced its offers, which
    // stay listed as ended.)
    let offers = protege.get("/v1/pairings").await;
    let offer = offers.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["state"] == "offered")
        .unwrap_or_else(|| panic!("an open offer: {}", offers.text))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = sup
        .post(&format!("/v1/pairings/{offer}/accept"), &json!({}))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = protege
        .post(&format!("/v1/pairings/{offer}/accept"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_supervisors_live_stream_carries_their_teams_events_only() {
    let c = center().await;
    let sup = token(
        &c.host,
        &c.api,
        json!({"name": "sam", "role": "supervisor", "staff_id": c.sam}),
    )
    .await;
    let mut stream = sup.stream("/v1/stream?kinds=feedback").await;
    stream
        .until("ready", std::time::Duration::from_secs(10))
        .await;
    // Bea's feedback (another team) first, then Ana's: Sam gets Ana's.
    for (n, who) in [(1, &c.bea), (2, &c.ana)] {
        let r = c
            .api
            .post(
                "/v1/feedback",
                &json!({"source": "survey", "external_id": format!("s{n}"), "kind": "csat",
                        "value": 4, "scale_min": 1, "scale_max": 5, "agent_id": who}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let event = stream
        .until("feedback", std::time::Duration::from_secs(10))
        .await;
    assert_eq!(event["agent_id"], c.ana.as_str(), "{event}");
    let r = sup.get(&format!("/v1/stream?agent={}", c.bea)).await;
    assert_eq!(r.status, 404, "{}", r.text);
}
