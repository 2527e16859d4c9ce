//! Staffing forecasts, shifts and the session planner through the real
//! host: a WFM export in, Erlang figures and a service-level-safe plan out,
//! committed as coaching sessions.

use serde_json::{Value, json};

use crate::util::{Client, Host};

const DAY: i64 = 1_795_392_000_000; // Monday 2026-11-23 00:00 UTC
const H: i64 = 3_600_000;

async fn agent(api: &Client, name: &str) -> String {
    let r = api.post("/v1/agents", &json!({ "name": name })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_forecast_and_shifts_plan_sessions_off_peak_and_commit_them() {
    let host = Host::start();
    let api = host.admin();

    // The published worked example at 09:00 (100 calls, AHT 180 s, 20
    // scheduled: 14 on the phones after 30% shrinkage), quieter after it.
    let csv = "queue,starts_at,length_minutes,offered,aht_seconds,scheduled_agents\n\
               Billing,2026-11-23T09:00:00Z,30,100,180,20\n\
               Billing,2026-11-23T09:30:00Z,30,60,180,20\n\
               Billing,2026-11-23T10:00:00Z,30,30,180,20\n";
    let r = api
        .post_raw("/v1/staffing", "text/csv", &[], csv.as_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["created"], 3);
    let r = api
        .post_raw("/v1/staffing", "text/csv", &[], csv.as_bytes())
        .await;
    assert_eq!(
        r.json["unchanged"], 3,
        "a re-sent export stores nothing twice: {}",
        r.text
    );
    let bad = api
        .post_raw(
            "/v1/staffing",
            "text/csv",
            &[],
            b"queue,starts_at,length_minutes,offered,aht_seconds\nBilling,yesterday,30,1,180\n",
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("line 2.starts_at"), "{}", bad.text);

    let s = api
        .get(&format!(
            "/v1/staffing?queue=Billing&from={}&to={}",
            DAY,
            DAY + 24 * H
        ))
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    let peak = &s.json[0];
    assert_eq!(peak["traffic_erlangs"], 10.0);
    assert_eq!(peak["required_on_phones"], 14);
    assert_eq!(peak["required_scheduled"], 20);
    assert_eq!(peak["surplus"], 0);
    assert_eq!(peak["at_scheduled"]["agents"], 14);
    let sl = peak["at_scheduled"]["service_level"].as_f64().unwrap();
    assert!((sl - 0.8884).abs() < 5e-5, "{sl}");

    // Four agents on the phones 08:00–17:00, one only in the afternoon, and
    // a supervisor with no roster.
    let coach = agent(&api, "Sam Supervisor").await;
    let (a, b, c) = (
        agent(&api, "Ann").await,
        agent(&api, "Bo").await,
        agent(&api, "Cy").await,
    );
    let late = agent(&api, "Lu").await;
    let mut shifts: Vec<Value> = [&a, &b, &c]
        .iter()
        .map(|id| json!({"agent_id": id, "queue": "Billing", "start": DAY + 8 * H, "end": DAY + 17 * H}))
        .collect();
    shifts.push(
        json!({"agent_id": late, "queue": "Billing", "start": DAY + 13 * H, "end": DAY + 17 * H}),
    );
    let r = api.post("/v1/shifts", &json!(shifts)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["created"], 4);

    let window = json!({"start": DAY + 9 * H, "end": DAY + 11 * H});
    let plan = |commit: bool, ids: [&str; 3]| {
        json!({"commit": commit, "sessions": [
            {"id": ids[0], "kind": "mentoring", "coach_id": a, "agent_id": b, "duration_minutes": 30, "window": window},
            {"id": ids[1], "kind": "one-to-one", "coach_id": coach, "agent_id": c, "duration_minutes": 30, "window": window},
            {"id": ids[2], "kind": "one-to-one", "coach_id": coach, "agent_id": late, "duration_minutes": 30, "window": window}
        ]})
    };
    let r = api
        .post("/v1/schedule/plan", &plan(false, ["m", "o", "x"]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = &r.json;
    let placed = p["placed"].as_array().unwrap();
    assert_eq!(placed.len(), 2, "{p}");
    for s in placed {
        assert_ne!(
            s["start"],
            DAY + 9 * H,
            "the peak interval is never used: {p}"
        );
    }
    assert_eq!(p["unplaced"][0]["id"], "x");
    assert_eq!(p["unplaced"][0]["reason"], "no_shift_overlap", "{p}");
    for i in p["intervals"].as_array().unwrap() {
        assert_ne!(i["starts_at"], DAY + 9 * H, "{p}");
        assert_eq!(i["meets_target"], true, "{p}");
        assert!(
            i["service_level_after"].as_f64() <= i["service_level_before"].as_f64(),
            "{i}"
        );
    }
    assert_eq!(p["created"], json!([]));
    assert_eq!(api.get("/v1/sessions").await.json["items"], json!([]));

    // Committed: the sessions exist at the planned times.
    let r = api
        .post("/v1/schedule/plan", &plan(true, ["m", "o", "x"]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let created = r.json["created"].as_array().unwrap().clone();
    assert_eq!(created.len(), 2, "{}", r.text);
    let mentoring = created.iter().find(|c| c["request_id"] == "m").unwrap();
    let stored = api
        .get(&format!(
            "/v1/sessions/{}",
            mentoring["session_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stored.json["kind"], "mentoring");
    let planned = r.json["placed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "m")
        .unwrap()
        .clone();
    assert_eq!(stored.json["scheduled_at"], planned["start"]);

    // Planning the same people again: the booked half-hour is theirs no
    // more, so the new sessions go elsewhere or wait.
    let r = api
        .post("/v1/schedule/plan", &plan(false, ["m2", "o2", "x2"]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for s in r.json["placed"].as_array().unwrap() {
        let clash = s["id"] == "m2" && s["start"] == planned["start"];
        assert!(
            !clash,
            "Ann and Bo are already in a session then: {}",
            r.text
        );
    }

    // Bad requests name the field.
    let r = api
        .post(
            "/v1/schedule/plan",
            &json!({"sessions": [{"id": "z", "kind": "mentoring", "coach_id": a, "agent_id": "nobody", "duration_minutes": 15, "window": window}]}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json["error"]["details"]["field"], "sessions[0].agent_id",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn the_demo_loads_scores_flags_and_plans_mentoring_over_its_forecast() {
    let host = Host::demo();
    let loaded = host
        .banner
        .iter()
        .find(|l| l.starts_with("demo data loaded"))
        .unwrap_or_else(|| panic!("{:?}", host.banner))
        .clone();
    assert!(loaded.contains("evaluations scored"), "{loaded}");
    let api = host.admin();
    let scored = api.get("/v1/evaluations?limit=1000").await;
    let items = scored.json["items"].as_array().unwrap();
    assert!(items.len() >= 30, "{}", items.len());
    assert!(
        items
            .iter()
            .all(|e| e["scorecard"]["plugin_id"] == "reference-scorer"
                || e["form_id"] != "demo-voice-qa")
    );
    let alerts = api.get("/v1/alerts?limit=1000").await;
    assert!(
        !alerts.json["items"].as_array().unwrap().is_empty(),
        "{}",
        alerts.text
    );
    let topics = api.get("/v1/analytics/topics").await;
    assert!(
        topics.json["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| !t["focus"].as_array().unwrap().is_empty()),
        "{}",
        topics.text
    );

    // Next week's forecast and the agents' shifts are there: plan a
    // mentoring session between two demo agents on the same queue.
    let team = &api.get("/v1/teams").await.json["items"][0];
    let agents = api
        .get(&format!("/v1/agents?team={}", team["id"].as_str().unwrap()))
        .await;
    let ids: Vec<&str> = agents.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    let shifts = api.get(&format!("/v1/shifts?agent={}", ids[0])).await;
    let first = &shifts.json["items"][0];
    let (start, queue) = (
        first["start"].as_i64().unwrap(),
        first["queue"].as_str().unwrap(),
    );
    let mate = api
        .get(&format!("/v1/shifts?queue={queue}&limit=1000"))
        .await
        .json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["agent_id"].as_str().unwrap().to_string())
        .find(|a| a != ids[0])
        .expect("two demo agents share a queue");
    let r = api
        .post(
            "/v1/schedule/plan",
            &json!({"sessions": [{"id": "m", "kind": "mentoring", "coach_id": ids[0], "agent_id": mate,
                    "duration_minutes": 15, "window": {"start": start, "end": start + 8 * H}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["placed"].as_array().unwrap().len(), 1, "{}", r.text);
    assert!(
        r.json["intervals"][0]["service_level_after"]
            .as_f64()
            .unwrap()
            >= 0.8,
        "{}",
        r.text
    );

    // Its mentoring program: two mentors (3 places each), five protégés,
    // and a mentor who never acknowledged monitoring, left out.
    let r = api.post("/v1/mentoring/match", &json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["matched"], 5, "{}", r.text);
    assert_eq!(
        r.json["mentors_unacknowledged"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    let lists = r.json["proteges"].as_array().unwrap();
    assert!(
        lists
            .iter()
            .all(|p| p["shortlist"].as_array().unwrap().len() == 2),
        "{}",
        r.text
    );
}
