//! Staffing forecasts, shifts and the session planner through the real
//! host: a WFM export in, Erlang figures and a service-level-safe plan out,
//! committed as coaching sessions (a mentoring session on its pairing);
//! and the answers that used to be silent or wrong: a window outside the
//! forecast, shrinkage rounding, the occupancy cap, hourly exports.

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
    assert_eq!(s.json["next_cursor"], Value::Null, "{}", s.text);
    assert_eq!(s.json["note"], Value::Null, "{}", s.text);
    let peak = &s.json["items"][0];
    assert_eq!(peak["traffic_erlangs"], 10.0);
    assert_eq!(peak["required_on_phones"], 14);
    assert_eq!(peak["required_by"], "service_level");
    assert_eq!(peak["required_for_occupancy"], 12);
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

async fn token_for(api: &Client, host: &Host, agent: &str) -> Client {
    let r = api
        .post(
            "/v1/tokens",
            &json!({"name": format!("agent-{agent}"), "role": "agent", "agent_id": agent}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    host.client(Some(r.json["token"].as_str().unwrap()))
}

/// Billing's forecast for 2026-11-23 09:00–11:00 (quiet half-hours, 20
/// scheduled) and `agents` on shift that day 08:00–17:00.
async fn quiet_morning(api: &Client, agents: &[&str]) {
    let csv = "queue,starts_at,length_minutes,offered,aht_seconds,scheduled_agents\n\
               Billing,2026-11-23T09:00:00Z,30,40,180,20\n\
               Billing,2026-11-23T09:30:00Z,30,40,180,20\n\
               Billing,2026-11-23T10:00:00Z,30,40,180,20\n\
               Billing,2026-11-23T10:30:00Z,30,40,180,20\n";
    let r = api
        .post_raw("/v1/staffing", "text/csv", &[], csv.as_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let shifts: Vec<Value> = agents
        .iter()
        .map(|id| json!({"agent_id": id, "queue": "Billing", "start": DAY + 8 * H, "end": DAY + 17 * H}))
        .collect();
    let r = api.post("/v1/shifts", &json!(shifts)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_planned_mentoring_session_names_its_pairing_and_committing_it_activates_the_pairing() {
    let host = Host::start();
    let api = host.admin();
    let (max, pia) = (agent(&api, "Max").await, agent(&api, "Pia").await);
    let (t_max, t_pia) = (
        token_for(&api, &host, &max).await,
        token_for(&api, &host, &pia).await,
    );
    // Max opts in as a mentor; both acknowledge the monitoring notice.
    let r = t_max
        .post(
            "/v1/mentors",
            &json!({"capacity": 2, "strengths": ["billing"], "style": "direct", "utc_offset_minutes": 0, "channels": ["chat"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for t in [&t_max, &t_pia] {
        let r = t
            .post(
                "/v1/mentoring/enrol",
                &json!({"monitoring_acknowledged": true, "style": "direct", "utc_offset_minutes": 0, "channels": ["chat"]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // Mentors list like every other listing.
    let mentors = api.get("/v1/mentors").await;
    assert_eq!(mentors.status, 200, "{}", mentors.text);
    assert_eq!(mentors.json["items"][0]["agent_id"], max.as_str());
    assert_eq!(mentors.json["next_cursor"], Value::Null, "{}", mentors.text);
    let paged = api.get("/v1/mentors?limit=1&cursor=nonsense").await;
    assert_eq!(paged.status, 422, "{}", paged.text);

    let r = api
        .post(
            "/v1/mentoring/match",
            &json!({"proteges": [pia], "commit": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let pairing = r.json["proteges"][0]["shortlist"][0]["pairing_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", r.text))
        .to_string();
    let r = t_pia
        .post(&format!("/v1/pairings/{pairing}/accept"), &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    quiet_morning(&api, &[&max, &pia]).await;
    let plan = |commit: bool| {
        json!({"commit": commit, "sessions": [
            {"id": "m", "kind": "mentoring", "coach_id": max, "agent_id": pia, "pairing_id": pairing,
             "duration_minutes": 15, "window": {"start": DAY + 9 * H, "end": DAY + 11 * H}}]})
    };
    let dry = api.post("/v1/schedule/plan", &plan(false)).await;
    assert_eq!(
        dry.status, 200,
        "pairing_id is part of a plan: {}",
        dry.text
    );
    assert_eq!(dry.json["placed"][0]["pairing_id"], pairing.as_str());
    let state = || async {
        api.get(&format!("/v1/pairings?protege={pia}")).await.json["items"][0]["state"].clone()
    };
    assert_eq!(state().await, "accepted");

    let done = api.post("/v1/schedule/plan", &plan(true)).await;
    assert_eq!(done.status, 200, "{}", done.text);
    let created = &done.json["created"][0];
    assert_eq!(created["pairing_id"], pairing.as_str(), "{}", done.text);
    let session = api
        .get(&format!(
            "/v1/sessions/{}",
            created["session_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(session.json["pairing_id"], pairing.as_str());
    assert_eq!(
        state().await,
        "active",
        "recorded like POST /v1/sessions with pairing_id"
    );

    // A pairing that is not the session's is refused by name.
    let mut other = plan(false);
    other["sessions"][0]["coach_id"] = json!(pia);
    other["sessions"][0]["agent_id"] = json!(max);
    let r = api.post("/v1/schedule/plan", &other).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json["error"]["details"]["field"], "sessions[0].pairing_id",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn a_window_outside_the_forecast_leaves_sessions_unplaced_and_empty_staffing_says_why() {
    let host = Host::start();
    let api = host.admin();
    let (ann, bo) = (agent(&api, "Ann").await, agent(&api, "Bo").await);
    quiet_morning(&api, &[&ann, &bo]).await;
    // A week later both are on shift, but no forecast is loaded yet.
    let week = 7 * 24 * H;
    let shifts: Vec<Value> = [&ann, &bo]
        .iter()
        .map(|id| json!({"agent_id": id, "queue": "Billing", "start": DAY + week + 8 * H, "end": DAY + week + 17 * H}))
        .collect();
    assert_eq!(api.post("/v1/shifts", &json!(shifts)).await.status, 200);

    let r = api
        .post(
            "/v1/schedule/plan",
            &json!({"sessions": [{"id": "m", "kind": "mentoring", "coach_id": ann, "agent_id": bo,
                    "duration_minutes": 15, "window": {"start": DAY + week + 9 * H, "end": DAY + week + 11 * H}}]}),
        )
        .await;
    assert_eq!(
        r.status, 200,
        "no 422 naming agents[0].queue, a field never sent: {}",
        r.text
    );
    let u = &r.json["unplaced"][0];
    assert_eq!(u["reason"], "no_forecast", "{}", r.text);
    let message = u["message"].as_str().unwrap();
    assert!(
        message.contains("no forecast for queue Billing"),
        "{message}"
    );
    assert!(
        message.ends_with(&format!(
            "the stored forecast of queue Billing spans [{}, {})",
            DAY + 9 * H,
            DAY + 11 * H
        )),
        "{message}"
    );

    // The staffing listing for that week is empty, and says why.
    let s = api
        .get(&format!(
            "/v1/staffing?queue=Billing&from={}&to={}",
            DAY + week,
            DAY + 2 * week
        ))
        .await;
    assert_eq!(s.status, 200, "{}", s.text);
    assert_eq!(s.json["items"], json!([]));
    assert_eq!(s.json["stored_range"]["start"], DAY + 9 * H);
    assert_eq!(s.json["stored_range"]["end"], DAY + 11 * H);
    assert!(
        s.json["stored_range"]["start_iso"].is_string(),
        "every time is answered with its ISO 8601 form too: {}",
        s.text
    );
    assert_eq!(s.json["window"]["start"], DAY + week);
    assert_eq!(s.json["window"]["end"], DAY + 2 * week);
    let note = s.json["note"]
        .as_str()
        .unwrap_or_else(|| panic!("{}", s.text));
    assert!(
        note.contains("the stored forecast of queue Billing spans"),
        "{note}"
    );
    let none = api.get("/v1/staffing?queue=Sales").await;
    assert_eq!(none.json["items"], json!([]));
    assert!(
        none.json["note"]
            .as_str()
            .is_some_and(|n| n.ends_with("no forecast is stored for queue Sales")),
        "{}",
        none.text
    );
}

#[tokio::test]
async fn taking_one_of_eleven_agents_off_at_30_percent_shrinkage_is_explained_in_the_plan() {
    let host = Host::start();
    let api = host.admin();
    let (ann, bo) = (agent(&api, "Ann").await, agent(&api, "Bo").await);
    let csv = "queue,starts_at,length_minutes,offered,aht_seconds,scheduled_agents\n\
               Billing,2026-11-23T09:00:00Z,30,40,180,11\n";
    let r = api
        .post_raw("/v1/staffing", "text/csv", &[], csv.as_bytes())
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let shifts =
        json!([{"agent_id": ann, "queue": "Billing", "start": DAY + 8 * H, "end": DAY + 17 * H}]);
    assert_eq!(api.post("/v1/shifts", &shifts).await.status, 200);
    // Ann (on the phones) with a supervisor who is not: one agent off.
    let r = api
        .post(
            "/v1/schedule/plan",
            &json!({"sessions": [{"id": "o", "kind": "one-to-one", "coach_id": bo, "agent_id": ann,
                    "duration_minutes": 30, "window": {"start": DAY + 9 * H, "end": DAY + 9 * H + H / 2}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let i = &r.json["intervals"][0];
    assert_eq!(i["scheduled_agents"], 11, "{}", r.text);
    assert_eq!(i["agents_offline"], 1);
    assert_eq!(i["agents_on_phones_before"], 7);
    assert_eq!(i["agents_on_phones"], 7);
    assert_eq!(i["service_level_before"], i["service_level_after"]);
    assert_eq!(i["required_on_phones"], 7);
    assert_eq!(i["required_by"], "service_level");
    let note = i["note"].as_str().unwrap_or_else(|| panic!("{}", r.text));
    assert!(
        note.starts_with("⌊11 × 0.7⌋ = 7 on the phones before, ⌊10 × 0.7⌋ = 7 after"),
        "{note}"
    );
    assert!(note.contains("30% shrinkage"), "{note}");
}

#[tokio::test]
async fn hourly_exports_are_accepted_and_a_5000_call_interval_is_capped_at_85_percent_occupancy() {
    let host = Host::start();
    let api = host.admin();
    // An hourly WFM export for Billing, and a 5,000-call half-hour (500
    // Erlangs, which Erlang C alone staffs at 98% occupancy) on Mass.
    let csv = "queue,starts_at,length_minutes,offered,aht_seconds,scheduled_agents\n\
               Billing,2026-11-23T09:00:00Z,60,200,180,30\n\
               Billing,2026-11-23T10:00:00Z,60,120,180,30\n\
               Mass,2026-11-23T09:00:00Z,30,5000,180,600\n";
    let r = api
        .post_raw("/v1/staffing", "text/csv", &[], csv.as_bytes())
        .await;
    assert_eq!(
        r.status, 200,
        "60-minute intervals are accepted: {}",
        r.text
    );
    assert_eq!(r.json["created"], 3);

    let window = format!("from={}&to={}", DAY, DAY + 24 * H);
    let hourly = api
        .get(&format!("/v1/staffing?queue=Billing&{window}"))
        .await;
    assert_eq!(
        hourly.json["items"][0]["length_minutes"], 60,
        "{}",
        hourly.text
    );
    assert_eq!(hourly.json["items"][0]["traffic_erlangs"], 10.0);

    let mass = api.get(&format!("/v1/staffing?queue=Mass&{window}")).await;
    assert_eq!(mass.json["max_occupancy"], 0.85, "{}", mass.text);
    let big = &mass.json["items"][0];
    assert_eq!(big["traffic_erlangs"], 500.0);
    assert_eq!(big["required_on_phones"], 589, "{}", mass.text);
    assert_eq!(big["required_by"], "max_occupancy");
    let erlang = big["required_for_service_level"].as_u64().unwrap();
    assert!(
        500.0 / erlang as f64 > 0.97,
        "Erlang C alone: {erlang} agents"
    );
    // A request may set its own cap.
    let loose = api
        .get(&format!("/v1/staffing?queue=Mass&{window}&max_occupancy=1"))
        .await;
    assert_eq!(
        loose.json["items"][0]["required_by"], "service_level",
        "{}",
        loose.text
    );
    assert_eq!(loose.json["items"][0]["required_on_phones"], erlang);
    let bad = api
        .get(&format!("/v1/staffing?queue=Mass&{window}&max_occupancy=2"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);

    // A session planned against the hourly forecast.
    let (ann, sam) = (agent(&api, "Ann").await, agent(&api, "Sam").await);
    let shifts =
        json!([{"agent_id": ann, "queue": "Billing", "start": DAY + 8 * H, "end": DAY + 17 * H}]);
    assert_eq!(api.post("/v1/shifts", &shifts).await.status, 200);
    let r = api
        .post(
            "/v1/schedule/plan",
            &json!({"max_occupancy": 0.8, "sessions": [{"id": "o", "kind": "one-to-one", "coach_id": sam, "agent_id": ann,
                    "duration_minutes": 30, "window": {"start": DAY + 9 * H, "end": DAY + 11 * H}}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["max_occupancy"], 0.8);
    assert_eq!(
        r.json["placed"][0]["start"],
        DAY + 10 * H,
        "the quieter hour: {}",
        r.text
    );
    assert_eq!(r.json["intervals"][0]["length_minutes"], 60);
}

#[tokio::test]
async fn forecast_intervals_past_the_documented_ceilings_are_refused_before_any_work() {
    let host = Host::start();
    let api = host.admin();
    let interval = |offered: f64, aht: f64, scheduled: f64| {
        json!([{"queue": "Big", "starts_at": DAY, "length_minutes": 30,
                "offered": offered, "aht_seconds": aht, "scheduled_agents": scheduled}])
    };
    // The held-out reproductions: a million agents, 1e308, a huge queue.
    for (body, field) in [
        (interval(100.0, 300.0, 1_000_000.0), "[0].scheduled_agents"),
        (interval(100.0, 300.0, 1e308), "[0].scheduled_agents"),
        (interval(2_000_000.0, 300.0, 10.0), "[0].offered"),
        (interval(100.0, 1e9, 10.0), "[0].aht_seconds"),
        // 600,000 calls of 10 minutes in half an hour: 200,000 Erlangs.
        (interval(600_000.0, 600.0, 10.0), "[0].offered"),
    ] {
        let r = api.post("/v1/staffing", &body).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json["error"]["details"]["field"], field, "{}", r.text);
    }
    // The largest realistic load fits: 30,000 scheduled, 15,000 Erlangs.
    let r = api
        .post("/v1/staffing", &interval(90_000.0, 300.0, 30_000.0))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(api.get("/healthz").await.status, 200);
}

/// The heaviest forecast the ceilings admit, all week, and a plan of many
/// sessions over it: the plan runs off the async workers and is stopped at
/// `[work] deadline_ms`, while `/healthz` keeps answering and SIGTERM still
/// stops the host promptly.
#[tokio::test]
async fn a_plan_past_its_deadline_answers_504_while_health_checks_and_shutdown_go_on() {
    let mut host = Host::with_config("[work]\nslots = 1\ndeadline_ms = 300\nqueue_wait_ms = 100\n");
    let api = host.admin();
    // 30,000 scheduled and 15,000 Erlangs in every half-hour of a week.
    let intervals: Vec<Value> = (0..7 * 48)
        .map(|k| {
            json!({"queue": "Big", "starts_at": DAY + k * H / 2, "length_minutes": 30,
                   "offered": 90_000.0, "aht_seconds": 300.0, "scheduled_agents": 30_000.0})
        })
        .collect();
    let r = api.post("/v1/staffing", &json!(intervals)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut people = Vec::new();
    for n in 0..40 {
        people.push(agent(&api, &format!("Agent {n}")).await);
    }
    let shifts: Vec<Value> = people
        .iter()
        .flat_map(|a| {
            (0..7).map(move |d| {
                json!({"agent_id": a, "queue": "Big", "start": DAY + d * 24 * H, "end": DAY + (d * 24 + 23) * H})
            })
        })
        .collect();
    let r = api.post("/v1/shifts", &json!(shifts)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let sessions: Vec<Value> = people
        .chunks(2)
        .enumerate()
        .map(|(k, pair)| {
            json!({"id": format!("s{k}"), "kind": "one-to-one", "coach_id": pair[0], "agent_id": pair[1],
                   "duration_minutes": 30, "window": {"start": DAY, "end": DAY + 7 * 24 * H}})
        })
        .collect();
    let plan = json!({"sessions": sessions});

    // Two such plans at once, and a health check every 50 ms meanwhile.
    let started = std::time::Instant::now();
    let first = tokio::spawn({
        let (api, plan) = (host.admin(), plan.clone());
        async move { api.post("/v1/schedule/plan", &plan).await }
    });
    let second = tokio::spawn({
        let (api, plan) = (host.admin(), plan.clone());
        async move { api.post("/v1/schedule/plan", &plan).await }
    });
    let mut slowest = std::time::Duration::ZERO;
    while !(first.is_finished() && second.is_finished()) {
        let t = std::time::Instant::now();
        assert_eq!(api.get("/healthz").await.status, 200);
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let answers = [first.await.unwrap(), second.await.unwrap()];
    println!(
        "two heavy plans answered in {:?}: {:?}; slowest health check {slowest:?}",
        started.elapsed(),
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        slowest < std::time::Duration::from_secs(1),
        "health checks were starved: {slowest:?}"
    );
    let codes: Vec<&str> = answers
        .iter()
        .map(|r| r.json["error"]["code"].as_str().unwrap_or(""))
        .collect();
    assert!(
        answers.iter().any(|r| r.status == 504) && codes.contains(&"deadline_exceeded"),
        "the plan is stopped at its deadline: {codes:?}"
    );
    for r in &answers {
        assert!(
            (r.status == 504 && r.json["error"]["code"] == "deadline_exceeded")
                || (r.status == 503 && r.json["error"]["code"] == "busy"),
            "{}",
            r.text
        );
    }
    // Shutdown is not held up by the work either.
    let t = std::time::Instant::now();
    let status = host.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
}
