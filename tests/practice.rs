//! The coaching practice through the real host: the weekly cadence of a
//! team and its coaches, coaching effectiveness over real sessions,
//! evaluations (scored by the reference scorer) and feedback before and
//! after, and rapport notes that nobody but the coach writes or reads.

use serde_json::{Value, json};

use crate::util::{Client, Host};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

async fn created(api: &Client, path: &str, body: Value) -> Value {
    let r = api.post(path, &body).await;
    assert!(r.status == 201 || r.status == 200, "{path}: {}", r.text);
    r.json.get("record").cloned().unwrap_or(r.json)
}

async fn id_of(api: &Client, path: &str, body: Value) -> String {
    created(api, path, body).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// One criterion on 0..10, min–max normalised: an answer of 7 scores 70.
fn form() -> Value {
    json!({
        "id": "voice", "version": 1, "name": "Voice QA",
        "sections": [{"id": "s1", "name": "Call", "weight": 1, "criteria": [
            {"id": "know", "label": "Product knowledge", "weight": 1, "scale_min": 0, "scale_max": 10, "topic": "product-knowledge"}
        ]}],
        "settings": {"weighting": "question", "na_policy": "exclude", "na_redistribution": "proportional",
                     "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 70}
    })
}

/// A care team: Ada and Cy coached by Carl, Ben by Cora (coaches who are
/// agents too).
struct Team {
    team: String,
    carl: String,
    cora: String,
    ada: String,
    ben: String,
    cy: String,
}

async fn care_team(api: &Client) -> Team {
    let team = id_of(api, "/v1/teams", json!({"name": "Care"})).await;
    let carl = id_of(api, "/v1/agents", json!({"name": "Carl"})).await;
    let cora = id_of(api, "/v1/agents", json!({"name": "Cora"})).await;
    let member =
        |name: &str, coach: &str| json!({"name": name, "team_id": team, "coach_id": coach});
    let ada = id_of(api, "/v1/agents", member("Ada", &carl)).await;
    let ben = id_of(api, "/v1/agents", member("Ben", &cora)).await;
    let cy = id_of(api, "/v1/agents", member("Cy", &carl)).await;
    Team {
        team,
        carl,
        cora,
        ada,
        ben,
        cy,
    }
}

#[tokio::test]
async fn coaching_effectiveness_compares_real_scores_after_sessions_with_before() {
    let host = Host::start();
    let api = host.admin();
    let t = care_team(&api).await;
    created(&api, "/v1/forms", form()).await;
    let now = sidecoach::clock::now_ms();
    let (t1, t2, t3) = (now - 40 * DAY, now - 30 * DAY, now - 5 * DAY);

    // Contacts: Ada's billing call two days before her session, Ben's
    // product question.
    let contact = |ext: &str, agent: &str, at: i64, topic: &str| {
        json!({"source": "pbx", "external_id": ext, "channel": "voice", "agent_id": agent,
               "started_at": at, "ended_at": at + 600_000, "topics": [topic]})
    };
    let c1 = id_of(
        &api,
        "/v1/interactions",
        contact("c1", &t.ada, t1 - 2 * DAY, "billing"),
    )
    .await;
    let c2 = id_of(
        &api,
        "/v1/interactions",
        contact("c2", &t.ben, t2 - 3 * DAY, "product-knowledge"),
    )
    .await;

    // QA, scored by the reference scorer. Ada: 50 and 70 before (the 70
    // evaluated after the session, about the call before it), 90 and 100
    // after. Ben: 80 before, 70 after.
    let evaluation = |ext: &str, agent: &str, at: i64, know: f64, contact: Option<&str>| {
        let mut e = json!({"source": "qa", "external_id": ext, "form_id": "voice", "agent_id": agent,
                           "evaluated_at": at, "answers": [{"criterion_id": "know", "value": know}]});
        if let Some(c) = contact {
            e["interaction_id"] = json!(c);
        }
        e
    };
    for (ext, agent, at, know, contact) in [
        ("e1", &t.ada, t1 - 10 * DAY, 5.0, None),
        ("e2", &t.ada, t1 + DAY, 7.0, Some(c1.as_str())),
        ("e3", &t.ada, t1 + 3 * DAY, 9.0, None),
        ("e4", &t.ada, t1 + 7 * DAY, 10.0, None),
        ("e5", &t.ada, t1 - 20 * DAY, 0.0, None), // outside the 14 days
        ("e6", &t.ben, t2 - 3 * DAY, 8.0, Some(c2.as_str())),
        ("e7", &t.ben, t2 + 4 * DAY, 7.0, None),
    ] {
        let e = created(
            &api,
            "/v1/evaluations",
            evaluation(ext, agent, at, know, contact),
        )
        .await;
        assert_eq!(e["scorecard"]["score"], know * 10.0, "{e}");
    }
    // CSAT. Ada: 2 before, and a 1 received after the session about the
    // call before it; 4 after. Ben: 5 before, nothing after.
    let rating = |ext: &str, agent: &str, at: i64, value: f64, contact: Option<&str>| {
        let mut f = json!({"source": "survey", "external_id": ext, "kind": "csat", "value": value,
                           "scale_min": 1, "scale_max": 5, "agent_id": agent, "received_at": at});
        if let Some(c) = contact {
            f["interaction_id"] = json!(c);
        }
        f
    };
    for (ext, agent, at, value, contact) in [
        ("f1", &t.ada, t1 - 5 * DAY, 2.0, None),
        ("f2", &t.ada, t1 + DAY, 1.0, Some(c1.as_str())),
        ("f3", &t.ada, t1 + 2 * DAY, 4.0, None),
        ("f4", &t.ben, t2 - DAY, 5.0, None),
    ] {
        created(&api, "/v1/feedback", rating(ext, agent, at, value, contact)).await;
    }

    // The sessions: Ada's role play, Ben's micro-coaching on awareness, and
    // Cy's one-to-one five days ago (its 14 days after are still open).
    let session = |kind: &str,
                   coach: &str,
                   agent: &str,
                   at: i64,
                   strategy: Option<&str>,
                   contact: Option<&str>| {
        let mut s = json!({"kind": kind, "coach_id": coach, "agent_id": agent, "scheduled_at": at,
                           "duration_minutes": 25});
        if let Some(st) = strategy {
            s["strategy"] = json!(st);
        }
        if let Some(c) = contact {
            s["interaction_ids"] = json!([c]);
        }
        s
    };
    let s1 = id_of(
        &api,
        "/v1/sessions",
        session(
            "one-to-one",
            &t.carl,
            &t.ada,
            t1,
            Some("role-play"),
            Some(&c1),
        ),
    )
    .await;
    let s2 = id_of(
        &api,
        "/v1/sessions",
        session(
            "micro-coaching",
            &t.cora,
            &t.ben,
            t2,
            Some("awareness"),
            Some(&c2),
        ),
    )
    .await;
    let s3 = id_of(
        &api,
        "/v1/sessions",
        session("one-to-one", &t.carl, &t.cy, t3, None, None),
    )
    .await;

    let r = api
        .get(&format!(
            "/v1/coaching/effectiveness?days=14&team={}",
            t.team
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = r.json;
    assert_eq!(
        (r["scope"].as_str(), r["days"].as_u64()),
        (Some("team"), Some(14))
    );
    // QA: Ada 60 → 95 (+35), Ben 80 → 70 (−10); Cy's window is open.
    assert_eq!(r["overall"]["sessions"], 3);
    assert_eq!(
        r["overall"]["qa"],
        json!({"sessions": 2, "excluded": 1, "before_count": 3, "after_count": 3,
               "mean_before": 70.0, "mean_after": 82.5, "delta": 12.5}),
        "{r}"
    );
    // CSAT: only Ada has both sides, 1.5 → 4.
    assert_eq!(
        r["overall"]["csat"],
        json!({"sessions": 1, "excluded": 2, "before_count": 2, "after_count": 1,
               "mean_before": 1.5, "mean_after": 4.0, "delta": 2.5}),
        "{r}"
    );
    let by = |list: &str| -> Vec<(String, u64, Value)> {
        r[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["key"].as_str().unwrap().to_string(),
                    g["sessions"].as_u64().unwrap(),
                    g["qa"]["delta"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        by("by_coach"),
        [
            (t.carl.clone(), 2, json!(35.0)),
            (t.cora.clone(), 1, json!(-10.0))
        ]
    );
    assert_eq!(r["by_coach"][0]["name"], "Carl");
    assert_eq!(
        by("by_kind"),
        [
            ("one-to-one".into(), 2, json!(35.0)),
            ("micro-coaching".into(), 1, json!(-10.0))
        ]
    );
    assert_eq!(
        by("by_strategy"),
        [
            ("awareness".into(), 1, json!(-10.0)),
            ("role-play".into(), 1, json!(35.0)),
            ("unspecified".into(), 1, Value::Null)
        ]
    );
    assert_eq!(
        by("by_topic"),
        [
            ("billing".into(), 1, json!(35.0)),
            ("product-knowledge".into(), 1, json!(-10.0))
        ]
    );
    let sessions: Vec<&str> = r["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(sessions, [s1.as_str(), s2.as_str(), s3.as_str()]);
    assert_eq!(
        r["sessions"][0]["qa"]["before"],
        json!({"mean": 60.0, "count": 2})
    );
    assert_eq!(r["sessions"][1]["csat"]["excluded"], "too-few-after");
    assert_eq!(r["sessions"][2]["qa"]["excluded"], "window-open");
    assert!(
        r["note"]
            .as_str()
            .unwrap()
            .contains("left out of the means")
    );

    // One coach's sessions; sessions need two ratings a side to count.
    let r = api
        .get(&format!(
            "/v1/coaching/effectiveness?days=14&coach={}&min_samples=2",
            t.carl
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["overall"]["sessions"], 2);
    assert_eq!(r.json["overall"]["qa"]["delta"], 35.0, "{}", r.text);
    assert_eq!(r.json["overall"]["csat"]["sessions"], 0, "{}", r.text);
    assert_eq!(r.json["sessions"][0]["csat"]["excluded"], "too-few-after");

    // The strategy filters the session list.
    let r = api.get("/v1/sessions?strategy=role-play").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ids: Vec<&str> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [s1.as_str()]);
}

#[tokio::test]
async fn the_weekly_cadence_shows_who_is_coached_due_or_overdue_per_team_and_per_coach() {
    let host = Host::start();
    let api = host.admin();
    let t = care_team(&api).await;
    // Judged on a Wednesday three weeks ahead: the agents existed through
    // the week before it.
    let week = {
        let ahead = sidecoach::clock::now_ms() + 21 * DAY;
        sidecoach::analytics::week_start(ahead)
    };
    let at = week + 2 * DAY + 9 * HOUR;
    for (kind, coach, agent, when) in [
        ("one-to-one", &t.carl, &t.ada, week + 10 * HOUR), // this week
        ("observed", &t.cora, &t.ben, week - 2 * DAY),     // the previous week
        ("one-to-one", &t.cora, &t.ben, week + 3 * DAY),   // planned for Thursday
        ("micro-coaching", &t.carl, &t.cy, week + HOUR),   // not a one-to-one
    ] {
        let mut s = json!({"kind": kind, "coach_id": coach, "agent_id": agent, "scheduled_at": when,
                           "duration_minutes": 20});
        if kind == "observed" {
            s["observers"] = json!([t.ada]);
        }
        created(&api, "/v1/sessions", s).await;
    }
    let r = api
        .get(&format!("/v1/coaching/cadence?team={}&at={at}", t.team))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = &r.json;
    assert_eq!(c["week_start"], week);
    assert_eq!(c["week_end"], week + 7 * DAY);
    assert_eq!(
        c["counts"],
        json!({"agents": 3, "coached_agents": 1, "due_agents": 1, "overdue_agents": 1})
    );
    let lines: Vec<(&str, &str, u64)> = c["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["agent_name"].as_str().unwrap(),
                l["status"].as_str().unwrap(),
                l["sessions_this_week"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("Cy", "overdue", 0),
            ("Ben", "due", 0),
            ("Ada", "coached", 1)
        ]
    );
    assert_eq!(c["agents"][0]["other_sessions_this_week"], 1);
    assert_eq!(c["agents"][1]["next_session_at"], week + 3 * DAY);
    assert_eq!(c["agents"][1]["last_session_coach_id"], t.cora.as_str());

    // Per coach: Carl coaches Ada and Cy.
    let r = api
        .get(&format!("/v1/coaching/cadence?coach={}&at={at}", t.carl))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["counts"],
        json!({"agents": 2, "coached_agents": 1, "due_agents": 0, "overdue_agents": 1})
    );

    // An agent token reads its own line and nobody else's.
    let token = created(
        &api,
        "/v1/tokens",
        json!({"name": "ben", "role": "agent", "agent_id": t.ben}),
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let ben = host.client(Some(&token));
    let r = ben.get(&format!("/v1/coaching/cadence?at={at}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["agents"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["agents"][0]["status"], "due");
    let r = ben
        .get(&format!("/v1/coaching/cadence?team={}", t.team))
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
}

#[tokio::test]
async fn rapport_notes_are_refused_from_anyone_but_the_coach_and_never_shown_to_others() {
    let host = Host::start();
    let api = host.admin();
    let t = care_team(&api).await;
    let body = json!({"kind": "one-to-one", "coach_id": t.carl, "agent_id": t.ada,
                      "scheduled_at": sidecoach::clock::now_ms(), "duration_minutes": 20,
                      "strategy": "recognition", "rapport_notes": "Loves cycling; ask about the race."});
    // The admin's token is not Carl's: the notes are his alone to write.
    let r = api.post("/v1/sessions", &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.code(), "invalid_field");
    assert_eq!(r.json["error"]["details"]["field"], "rapport_notes");
    // Without them the session is recorded, with its strategy.
    let mut body = body;
    body.as_object_mut().unwrap().remove("rapport_notes");
    let s = created(&api, "/v1/sessions", body).await;
    assert_eq!(s["strategy"], "recognition");
    assert!(s.get("rapport_notes").is_none());
    let id = s["id"].as_str().unwrap();
    let mut edit = s.clone();
    for k in ["id", "figures"] {
        edit.as_object_mut().unwrap().remove(k);
    }
    edit["rapport_notes"] = json!("the admin's words");
    let r = api.put(&format!("/v1/sessions/{id}"), &edit).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json["error"]["details"]["field"], "rapport_notes");
    let r = api.get(&format!("/v1/sessions/{id}")).await;
    assert!(r.json.get("rapport_notes").is_none(), "{}", r.text);
}

#[tokio::test]
async fn a_staff_coach_writes_and_reads_their_rapport_notes_and_their_cadence_through_their_own_token()
 {
    let host = Host::start();
    let api = host.admin();
    let team = id_of(&api, "/v1/teams", json!({"name": "Care"})).await;
    let jo = id_of(&api, "/v1/staff", json!({"name": "Jo", "title": "coach"})).await;
    let ada = id_of(
        &api,
        "/v1/agents",
        json!({"name": "Ada", "team_id": team, "coach_id": jo}),
    )
    .await;
    let r = api
        .post(
            "/v1/tokens",
            &json!({"name": "jo", "role": "coach", "staff_id": jo}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let coach = host.client(Some(r.json["token"].as_str().unwrap()));
    let notes = "Training for a marathon; ask how it went.";
    let s = created(
        &coach,
        "/v1/sessions",
        json!({"kind": "one-to-one", "coach_id": jo, "agent_id": ada, "strategy": "awareness",
               "scheduled_at": sidecoach::clock::now_ms() - 60_000, "duration_minutes": 25,
               "rapport_notes": notes}),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["rapport_notes"], notes, "the coach sees their own notes");
    let mine = coach.get(&format!("/v1/sessions/{id}")).await;
    assert_eq!(mine.json["rapport_notes"], notes, "{}", mine.text);
    let admin_view = api.get(&format!("/v1/sessions/{id}")).await;
    assert!(
        admin_view.json.get("rapport_notes").is_none(),
        "{}",
        admin_view.text
    );
    // Their cadence defaults to their own agents: Ada, coached this week.
    let c = coach.get("/v1/coaching/cadence").await;
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.json["agents"][0]["agent_id"], ada.as_str(), "{}", c.text);
    assert_eq!(c.json["agents"][0]["status"], "coached", "{}", c.text);
}
