//! End-to-end tests: whole requests through [`crate::ingest::ingest`], with
//! the synthetic vendor fixtures and the example source configs.

use crate::bindings::sidecoach::plugin::types::{
    Agent, AnswerValue, Channel, Direction, ErrorCode, Evaluation, Event, Feedback, InboundRequest,
    IngestOutput, Interaction, PluginError, RatingKind,
};
use crate::ingest::ingest;

const FIVE9_FORM: &str =
    include_str!("../../../tests/data/vendors/five9_web-connector.SYNTHETIC.form.txt");
const FIVE9_CSV: &str = include_str!("../../../tests/data/vendors/five9_call-log.SYNTHETIC.csv");
const QA_JSONL: &str =
    include_str!("../../../tests/data/vendors/generic-qa_evaluations.SYNTHETIC.jsonl");
const FIVE9_TOML: &str = include_str!("../../../examples/sources/five9.toml");
const FIVE9_CSV_TOML: &str = include_str!("../../../examples/sources/five9-csv.toml");
const QA_TOML: &str = include_str!("../../../examples/sources/qa-jsonl.toml");

/// Option pairs as the host hands them over.
fn opts(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The `[sources.NAME.options]` of an example config, parsed as the host
/// parses it (a table of strings), in file order (the host sorts them; order
/// does not matter to the adapter).
fn example_options(toml_text: &str, source: &str) -> Vec<(String, String)> {
    let doc: toml::Table = toml_text.parse().expect("the example is valid TOML");
    let src = doc["sources"][source]
        .as_table()
        .unwrap_or_else(|| panic!("no [sources.{source}]"));
    assert_eq!(src["adapter"].as_str(), Some("mapping"));
    src["options"]
        .as_table()
        .expect("an options table")
        .iter()
        .map(|(k, v)| {
            let v = v.as_str().unwrap_or_else(|| {
                panic!("option `{k}` must be a string (the host reads strings)")
            });
            (k.clone(), v.to_string())
        })
        .collect()
}

/// A fixture without its `#` header lines.
fn strip_header(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A request as the host builds it.
fn request(
    body: &str,
    content_type: Option<&str>,
    url: &str,
    options: Vec<(String, String)>,
) -> InboundRequest {
    InboundRequest {
        source: "test".into(),
        method: "POST".into(),
        url: url.into(),
        headers: content_type
            .map(|c| vec![("content-type".to_string(), c.to_string())])
            .unwrap_or_default(),
        body: body.as_bytes().to_vec(),
        source_config: options,
    }
}

/// Ingests `body` with `options`, expecting success.
fn run(body: &str, content_type: Option<&str>, options: &[(&str, &str)]) -> IngestOutput {
    ingest(&request(
        body,
        content_type,
        "https://sidecoach.example/v1/ingest/test",
        opts(options),
    ))
    .unwrap_or_else(|e| panic!("ingest failed: {e:?}"))
}

/// Ingests `body` with `options`, expecting an error.
fn fail(body: &str, content_type: Option<&str>, options: &[(&str, &str)]) -> PluginError {
    ingest(&request(
        body,
        content_type,
        "https://sidecoach.example/v1/ingest/test",
        opts(options),
    ))
    .expect_err("ingest should fail")
}

/// Epoch milliseconds of an ISO 8601 test time.
fn iso(s: &str) -> i64 {
    sidecoach_guest::time::parse_iso8601_ms(s).expect("a valid test timestamp")
}

/// The interaction `e` is.
fn interaction(e: &Event) -> &Interaction {
    match e {
        Event::Interaction(i) => i,
        other => panic!("not an interaction: {other:?}"),
    }
}

/// The feedback `e` is.
fn feedback(e: &Event) -> &Feedback {
    match e {
        Event::Feedback(f) => f,
        other => panic!("not a feedback: {other:?}"),
    }
}

/// The agent `e` is.
fn agent(e: &Event) -> &Agent {
    match e {
        Event::Agent(a) => a,
        other => panic!("not an agent: {other:?}"),
    }
}

/// The evaluation `e` is.
fn evaluation(e: &Event) -> &Evaluation {
    match e {
        Event::Evaluation(v) => v,
        other => panic!("not an evaluation: {other:?}"),
    }
}

#[test]
fn five9_web_connector_post() {
    let body = strip_header(FIVE9_FORM);
    let out = ingest(&request(
        body.trim_end(),
        Some("application/x-www-form-urlencoded"),
        "https://sidecoach.example/v1/ingest/five9",
        example_options(FIVE9_TOML, "five9"),
    ))
    .unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(out.events.len(), 2);
    let start = iso("2024-05-01T17:00:00Z");
    assert_eq!(
        interaction(&out.events[0]),
        &Interaction {
            external_id: "300000000000001".into(),
            agent_vendor_id: Some("alice@example.com".into()),
            channel: Channel::Voice,
            direction: Direction::Inbound,
            started_at: Some(start),
            ended_at: None,
            handle_ms: Some(325_000),
            talk_ms: None,
            hold_ms: None,
            after_work_ms: None,
            non_talk_ms: None,
            agent_interruptions: None,
            related_external_ids: vec![],
            queue: Some("Billing Inbound".into()),
            topics: vec!["billing".into(), "late-fee".into()],
            sentiment: None,
            wrap_up: Some("Resolved".into()),
            updated_at: None,
        }
    );
    assert_eq!(
        feedback(&out.events[1]),
        &Feedback {
            external_id: "300000000000001".into(),
            kind: RatingKind::Csat,
            value: 4.0,
            scale_min: 1.0,
            scale_max: 5.0,
            interaction_external_id: Some("300000000000001".into()),
            agent_vendor_id: Some("alice@example.com".into()),
            topics: vec!["billing".into(), "late-fee".into()],
            verbatim: None,
            received_at: Some(start),
        }
    );
}

#[test]
fn five9_post_without_a_survey_answer_still_yields_the_interaction() {
    let body = strip_header(FIVE9_FORM).replace("&Custom.csat=4", "&Custom.csat=");
    let out = ingest(&request(
        body.trim_end(),
        Some("application/x-www-form-urlencoded"),
        "https://sidecoach.example/v1/ingest/five9",
        example_options(FIVE9_TOML, "five9"),
    ))
    .unwrap();
    assert!(out.rejected.is_empty());
    assert_eq!(out.events.len(), 1);
    assert_eq!(interaction(&out.events[0]).external_id, "300000000000001");

    // A malformed answer is not "no answer": the record is rejected.
    let body = strip_header(FIVE9_FORM).replace("&Custom.csat=4", "&Custom.csat=great");
    let out = ingest(&request(
        body.trim_end(),
        Some("application/x-www-form-urlencoded"),
        "https://sidecoach.example/v1/ingest/five9",
        example_options(FIVE9_TOML, "five9"),
    ))
    .unwrap();
    assert!(out.events.is_empty());
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].error.field.as_deref(), Some("Custom.csat"));
    assert!(
        out.rejected[0]
            .error
            .message
            .contains("`great` is not a number")
    );
}

#[test]
fn five9_get_connector_reads_the_query_string() {
    // A GET-style connector: no body, no content type, parameters in the URL.
    let query = strip_header(FIVE9_FORM);
    let mut req = request(
        "",
        None,
        &format!(
            "https://sidecoach.example/v1/ingest/five9?{}#frag",
            query.trim_end()
        ),
        example_options(FIVE9_TOML, "five9")
            .into_iter()
            .filter(|(k, _)| k != "format")
            .collect(),
    );
    req.method = "GET".into();
    let out = ingest(&req).unwrap();
    assert_eq!(out.events.len(), 2);
    assert_eq!(
        interaction(&out.events[0]).queue.as_deref(),
        Some("Billing Inbound")
    );
}

#[test]
fn five9_call_log_csv() {
    let body = strip_header(FIVE9_CSV);
    let out = ingest(&request(
        &body,
        Some("text/csv"),
        "https://sidecoach.example/v1/ingest/five9-call-log",
        example_options(FIVE9_CSV_TOML, "five9-call-log"),
    ))
    .unwrap();
    // Exactly the bad row is rejected, naming the column and the value.
    assert_eq!(out.rejected.len(), 1, "{:?}", out.rejected);
    assert_eq!(out.rejected[0].index, 3);
    let e = &out.rejected[0].error;
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("CALL TIME"));
    assert!(
        e.message.contains("handle_ms") && e.message.contains("#VALUE!"),
        "{}",
        e.message
    );

    // Five good rows, each an interaction then an agent, in payload order.
    assert_eq!(out.events.len(), 10);
    let calls: Vec<&Interaction> = out.events.iter().step_by(2).map(interaction).collect();
    let agents: Vec<&Agent> = out.events.iter().skip(1).step_by(2).map(agent).collect();
    assert_eq!(
        calls
            .iter()
            .map(|c| c.external_id.as_str())
            .collect::<Vec<_>>(),
        vec![
            "300000000000101",
            "300000000000102",
            "300000000000103",
            "300000000000105",
            "300000000000106"
        ]
    );
    let first = calls[0];
    assert_eq!(first.channel, Channel::Voice);
    assert_eq!(first.direction, Direction::Inbound);
    assert_eq!(first.started_at, Some(iso("2024-05-01T16:00:12Z")));
    assert_eq!(first.handle_ms, Some(325_000));
    assert_eq!(first.talk_ms, Some(250_000));
    assert_eq!(first.hold_ms, Some(30_000));
    assert_eq!(first.after_work_ms, Some(45_000));
    assert_eq!(first.queue.as_deref(), Some("Billing Inbound"));
    assert_eq!(first.wrap_up.as_deref(), Some("Resolved"));
    assert_eq!(first.agent_vendor_id.as_deref(), Some("alice@example.com"));
    assert_eq!(first.topics, vec!["billing"]);
    assert_eq!(calls[1].topics, vec!["billing", "late-fee"]);
    assert_eq!(calls[2].direction, Direction::Outbound, "Manual dial");
    assert!(calls[2].topics.is_empty());
    assert_eq!(calls[3].handle_ms, Some(3_723_000));
    assert_eq!(calls[3].topics, vec!["billing", "payment-plan"]);
    assert_eq!(
        calls[4].direction,
        Direction::Internal,
        "values.direction.*"
    );
    assert_eq!(
        agents[0],
        &Agent {
            vendor_user_id: "alice@example.com".into(),
            name: Some("Agent, Alice".into()),
            email: None,
            team: None,
            supervisor_vendor_id: None,
        }
    );
    assert_eq!(agents[3].name.as_deref(), Some("Agent, \"Dave\""));
}

#[test]
fn json_document_with_a_records_path() {
    let body = r#"{
        "meta": {"page": 1},
        "data": [
            {"surveyId": "s-1", "type": "NPS", "answer": {"score": 9},
             "ticket": {"id": 4411}, "agent": "u-7", "comment": "  Quick and kind ",
             "tags": ["Billing", "late fee"], "at": "2024-05-01T10:15:00Z"},
            {"surveyId": "s-2", "type": "CSAT", "answer": {"score": "2", "min": 1, "max": 5},
             "at": 1714558500000, "tags": "Refund|Billing"},
            {"surveyId": "s-3", "type": "NPS", "answer": {"score": null}},
            {"surveyId": "s-4", "type": "NPS", "answer": {"score": 11}},
            {"surveyId": "s-5", "type": "CSAT", "answer": {"score": 4}}
        ]
    }"#;
    let options = [
        ("event", "feedback"),
        ("records", "$.data[*]"),
        ("map.external_id", "$.surveyId"),
        ("map.kind", "type"),
        ("map.value", "$.answer.score"),
        ("map.scale_min", "$.answer.min"),
        ("map.scale_max", "$.answer.max"),
        ("map.interaction_external_id", "$['ticket']['id']"),
        ("map.agent_vendor_id", "agent"),
        ("map.verbatim", "$.comment"),
        ("map.topics", "$.tags"),
        ("map.received_at", "$.at"),
    ];
    let out = run(body, Some("application/json; charset=utf-8"), &options);
    assert_eq!(out.events.len(), 2, "{:?}", out.rejected);
    // An NPS without a scale in the payload is on 0..10.
    assert_eq!(
        feedback(&out.events[0]),
        &Feedback {
            external_id: "s-1".into(),
            kind: RatingKind::Nps,
            value: 9.0,
            scale_min: 0.0,
            scale_max: 10.0,
            interaction_external_id: Some("4411".into()),
            agent_vendor_id: Some("u-7".into()),
            topics: vec!["billing".into(), "late-fee".into()],
            verbatim: Some("Quick and kind".into()),
            received_at: Some(iso("2024-05-01T10:15:00Z")),
        }
    );
    let csat = feedback(&out.events[1]);
    assert_eq!(
        (csat.kind, csat.value, csat.scale_min, csat.scale_max),
        (RatingKind::Csat, 2.0, 1.0, 5.0)
    );
    assert_eq!(csat.received_at, Some(1_714_558_500_000));
    assert_eq!(csat.topics, vec!["refund", "billing"]);
    assert_eq!(csat.verbatim, None);

    assert_eq!(
        out.rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    let missing = &out.rejected[0].error;
    assert_eq!(missing.code, ErrorCode::InvalidInput);
    assert_eq!(missing.field.as_deref(), Some("$.answer.score"));
    assert!(
        missing.message.contains("`value`") && missing.message.contains("missing or empty"),
        "{}",
        missing.message
    );
    assert!(out.rejected[1].error.message.contains("outside the scale"));
    // A CSAT needs its scale: the message names the field and the path.
    let e = &out.rejected[2].error;
    assert_eq!(e.field.as_deref(), Some("$.answer.min"));
    assert!(e.message.contains("`scale_min`"), "{}", e.message);
}

#[test]
fn nps_defaults_to_a_zero_to_ten_scale() {
    let options = [
        ("event", "feedback"),
        ("map.external_id", "id"),
        ("map.value", "score"),
        ("const.kind", "nps"),
    ];
    let out = run(
        r#"[{"id":"a","score":10},{"id":"b","score":0}]"#,
        Some("application/json"),
        &options,
    );
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let f = feedback(&out.events[0]);
    assert_eq!(
        (f.kind, f.scale_min, f.scale_max, f.value),
        (RatingKind::Nps, 0.0, 10.0, 10.0)
    );
}

#[test]
fn records_path_shapes() {
    let options = |records: &'static str| {
        vec![
            ("event", "agent"),
            ("records", records),
            ("map.vendor_user_id", "id"),
        ]
    };
    let ids = |out: &IngestOutput| {
        out.events
            .iter()
            .map(|e| agent(e).vendor_user_id.clone())
            .collect::<Vec<_>>()
    };
    let doc = r#"{"data":[{"id":"a"},{"id":"b"}],"teams":[{"members":[{"id":"c"}]},{"members":[{"id":"d"},{"id":"e"}]}]}"#;
    let json = Some("application/json");
    assert_eq!(ids(&run(doc, json, &options("$.data"))), vec!["a", "b"]);
    assert_eq!(ids(&run(doc, json, &options("$.data[*]"))), vec!["a", "b"]);
    assert_eq!(ids(&run(doc, json, &options("$.data[1]"))), vec!["b"]);
    assert_eq!(
        ids(&run(doc, json, &options("$.teams[*].members"))),
        vec!["c", "d", "e"]
    );
    // Without `records`, a top-level array's elements, or the one object.
    let plain = [("event", "agent"), ("map.vendor_user_id", "$.id")];
    assert_eq!(
        ids(&run(r#"[{"id":"x"},{"id":"y"}]"#, json, &plain)),
        vec!["x", "y"]
    );
    assert_eq!(ids(&run(r#"{"id":"z"}"#, json, &plain)), vec!["z"]);
    assert_eq!(ids(&run("[]", json, &plain)), Vec::<String>::new());
    // A records path that finds nothing is a body error naming it.
    let e = fail(doc, json, &options("$.rows[*]"));
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("$.rows[*]"));
    // A record that is not an object just lacks the field.
    let out = run(r#"[{"id":"x"},42]"#, json, &plain);
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].index, 1);
    // An object where a single value belongs is a record error.
    let out = run(r#"[{"id":{"nested":1}}]"#, json, &plain);
    assert!(out.rejected[0].error.message.contains("an object"));
}

#[test]
fn json_lines_evaluations() {
    let body = strip_header(QA_JSONL);
    let out = ingest(&request(
        &body,
        Some("application/x-ndjson"),
        "https://sidecoach.example/v1/ingest/qa-export",
        example_options(QA_TOML, "qa-export"),
    ))
    .unwrap();
    assert_eq!(out.events.len(), 2, "{:?}", out.rejected);
    let first = evaluation(&out.events[0]);
    assert_eq!(first.external_id, "ev-1001");
    assert_eq!(first.form_id, "qa-core");
    assert_eq!(first.form_version, Some(3));
    assert_eq!(
        first.interaction_external_id.as_deref(),
        Some("300000000000101")
    );
    assert_eq!(first.agent_vendor_id.as_deref(), Some("alice@example.com"));
    assert_eq!(
        first.evaluator_vendor_id.as_deref(),
        Some("sam@example.com")
    );
    assert_eq!(first.evaluated_at, Some(iso("2024-05-02T15:04:05Z")));
    // In option order; the host hands options over sorted by key.
    let answers: Vec<(&str, AnswerValue)> = first
        .answers
        .iter()
        .map(|a| (a.criterion_id.as_str(), a.value))
        .collect();
    assert_eq!(
        answers,
        vec![
            ("greeting", AnswerValue::Score(1.0)),
            ("resolution", AnswerValue::Score(4.0)),
            ("verification", AnswerValue::NotApplicable),
        ]
    );
    let score = first.vendor_score.unwrap();
    assert_eq!((score.percentage, score.auto_failed), (Some(87.5), false));

    let second = evaluation(&out.events[1]);
    assert_eq!(second.evaluated_at, Some(1_714_662_000_000));
    assert_eq!(second.answers[2].value, AnswerValue::Score(1.0), "yes → 1");
    assert!(second.vendor_score.unwrap().auto_failed);

    // Line 3 lacks its form id, line 4 is cut off: each rejected alone.
    assert_eq!(
        out.rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(out.rejected[0].error.field.as_deref(), Some("$.form.id"));
    assert!(out.rejected[0].error.message.contains("`form_id`"));
    assert!(
        out.rejected[1]
            .error
            .message
            .contains("line 4 is not valid JSON"),
        "{}",
        out.rejected[1].error.message
    );
}

#[test]
fn json_lines_skip_blank_lines_and_accept_crlf() {
    let options = [
        ("event", "agent"),
        ("map.vendor_user_id", "id"),
        ("map.team", "$.team"),
    ];
    let out = run(
        "{\"id\":\"a\",\"team\":\"T1\"}\r\n\r\n  \n{\"id\":\"b\"}\r\n",
        Some("application/jsonl"),
        &options,
    );
    assert_eq!(out.events.len(), 2);
    assert_eq!(agent(&out.events[0]).team.as_deref(), Some("T1"));
    assert_eq!(agent(&out.events[1]).team, None);
}

#[test]
fn csv_quoting_crlf_and_row_errors() {
    let body = "id,\"queue, name\",notes,topics\r\n\
                c1,\"Billing, EU\",\"line one\r\nline \"\"two\"\"\",\"a,b\"\r\n\
                c2,Support,,\r\n\
                c3,Support,x,y,extra\r\n\
                ,Support,,\r\n";
    let options = [
        ("event", "interaction"),
        ("map.external_id", "id"),
        ("map.queue", "queue, name"),
        ("map.wrap_up", "NOTES"),
        ("map.topics", "topics"),
    ];
    let out = run(body, Some("text/csv; header=present"), &options);
    assert_eq!(out.events.len(), 2);
    let c1 = interaction(&out.events[0]);
    assert_eq!(c1.queue.as_deref(), Some("Billing, EU"));
    assert_eq!(c1.wrap_up.as_deref(), Some("line one\r\nline \"two\""));
    assert_eq!(c1.topics, vec!["a", "b"]);
    assert_eq!(c1.channel, Channel::Other);
    assert_eq!(c1.direction, Direction::Unknown);
    let c2 = interaction(&out.events[1]);
    assert_eq!((c2.wrap_up.clone(), c2.topics.clone()), (None, vec![]));
    assert_eq!(
        out.rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert!(
        out.rejected[0]
            .error
            .message
            .contains("5 fields; the header has 4")
    );
    assert_eq!(out.rejected[1].error.field.as_deref(), Some("id"));
}

#[test]
fn csv_row_errors_name_the_line_after_embedded_line_breaks() {
    let body = "id,notes\n\
                c1,\"first line\nsecond, with a comma\nthird \"\"quoted\"\"\"\n\
                c2,x,extra\n";
    let options = [
        ("event", "interaction"),
        ("map.external_id", "id"),
        ("map.wrap_up", "notes"),
    ];
    let out = run(body, Some("text/csv"), &options);
    assert_eq!(
        interaction(&out.events[0]).wrap_up.as_deref(),
        Some("first line\nsecond, with a comma\nthird \"quoted\"")
    );
    assert_eq!(out.rejected.len(), 1);
    let message = &out.rejected[0].error.message;
    assert!(
        message.contains("the row on line 5 has 3 fields; the header has 2"),
        "{message}"
    );
}

#[test]
fn csv_body_errors() {
    let options = [
        ("event", "interaction"),
        ("map.external_id", "id"),
        ("format", "csv"),
    ];
    let e = fail("id,note\n1,\"never closed\n", None, &options);
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("line 2"), "{}", e.message);
    let e = fail("", None, &options);
    assert!(e.message.contains("header"), "{}", e.message);
    let e = fail("call,note\n1,x\n", None, &options);
    assert_eq!(e.field.as_deref(), Some("id"));
    assert!(e.message.contains("no column `id`"), "{}", e.message);
    // Semicolon-separated, as European spreadsheets export.
    let out = run(
        "id;queue\n1;EU\n",
        Some("text/csv"),
        &[
            ("event", "interaction"),
            ("map.external_id", "id"),
            ("map.queue", "queue"),
            ("csv_delimiter", ";"),
        ],
    );
    assert_eq!(interaction(&out.events[0]).queue.as_deref(), Some("EU"));
}

#[test]
fn staffing_and_agent_state() {
    let body = "Queue,Interval Start,Minutes,Forecast Calls,AHT,Agents\n\
                Billing,2024-05-01 08:00,30,120,4:30,14.5\n\
                Billing,2024-05-01 08:30,30,n/a,4:30,\n";
    let out = run(
        body,
        Some("text/csv"),
        &[
            ("event", "staffing"),
            ("map.queue", "Queue"),
            ("map.starts_at", "Interval Start"),
            ("time_zone_offset", "+02:00"),
            ("map.length_minutes", "Minutes"),
            ("map.offered", "Forecast Calls"),
            ("map.aht_seconds", "AHT"),
            ("map.scheduled_agents", "Agents"),
        ],
    );
    let Event::Staffing(s) = &out.events[0] else {
        panic!("not staffing")
    };
    assert_eq!(s.queue, "Billing");
    assert_eq!(s.starts_at, iso("2024-05-01T06:00:00Z"));
    assert_eq!(s.length_minutes, 30);
    assert_eq!(s.offered, 120.0);
    assert_eq!(s.aht_seconds, 270.0);
    assert_eq!(s.scheduled_agents, Some(14.5));
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(
        out.rejected[0].error.field.as_deref(),
        Some("Forecast Calls")
    );

    let out = run(
        r#"[{"who":"u1","state":"Ready","ts":"2024-05-01T08:00:00Z"},{"who":"u2","state":"Break"}]"#,
        Some("application/json"),
        &[
            ("event", "agent-state"),
            ("map.agent_vendor_id", "who"),
            ("map.state", "state"),
            ("map.at", "ts"),
        ],
    );
    let Event::AgentState(s) = &out.events[0] else {
        panic!("not an agent state")
    };
    assert_eq!(
        (s.agent_vendor_id.as_str(), s.state.as_str(), s.at),
        ("u1", "Ready", iso("2024-05-01T08:00:00Z"))
    );
    assert_eq!(out.rejected[0].error.field.as_deref(), Some("ts"));
}

#[test]
fn durations_units_and_value_maps() {
    let options = [
        ("event", "interaction"),
        ("map.external_id", "id"),
        ("map.channel", "media"),
        ("values.channel.WA", "social"),
        ("values.channel.*", "task"),
        ("map.direction", "dir"),
        ("map.handle_ms", "handle"),
        ("map.talk_ms", "talk"),
        ("unit.talk_ms", "ms"),
        ("map.hold_ms", "hold"),
        ("unit.hold-ms", "min"),
        ("map.related_external_ids", "$.legs[*].id"),
        ("map.agent_interruptions", "interruptions"),
        ("map.sentiment_customer", "$.sentiment.customer"),
        ("map.ended_at", "end"),
        ("const.ended_at", "2024-05-01T00:00:00Z"),
    ];
    let body = r#"[
        {"id":1,"media":"PHONE","dir":"OUTGOING","handle":90.5,"talk":"1500","hold":"1.5",
         "legs":[{"id":"l1"},{"id":"l2"}],"interruptions":3,"sentiment":{"customer":-1.25},
         "end":"2024-05-02T00:00:00Z"},
        {"id":"2","media":"wa","dir":"sideways","handle":"0:01:30"},
        {"id":"3","media":"Web Chat","end":null},
        {"id":"4","media":"fax machine"},
        {"id":"5","handle":-4},
        {"id":"6","interruptions":2.5}
    ]"#;
    let out = run(body, Some("application/json"), &options);
    let calls: Vec<&Interaction> = out.events.iter().map(interaction).collect();
    assert_eq!(calls.len(), 4);
    let c = calls[0];
    assert_eq!(c.external_id, "1");
    assert_eq!(
        (c.channel, c.direction),
        (Channel::Voice, Direction::Outbound)
    );
    assert_eq!(
        (c.handle_ms, c.talk_ms, c.hold_ms),
        (Some(90_500), Some(1_500), Some(90_000))
    );
    assert_eq!(c.related_external_ids, vec!["l1", "l2"]);
    assert_eq!(c.agent_interruptions, Some(3));
    assert_eq!(c.sentiment.unwrap().customer, Some(-1.25));
    assert_eq!(c.ended_at, Some(iso("2024-05-02T00:00:00Z")));
    assert_eq!(
        (calls[1].channel, calls[1].direction),
        (Channel::Social, Direction::Unknown)
    );
    assert_eq!(calls[1].handle_ms, Some(90_000));
    assert_eq!(calls[2].channel, Channel::Chat);
    // A missing value falls back to the constant.
    assert_eq!(calls[2].ended_at, Some(iso("2024-05-01T00:00:00Z")));
    assert_eq!(calls[3].channel, Channel::Task, "values.channel.*");
    assert_eq!(
        out.rejected.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert!(out.rejected[0].error.message.contains("negative"));
    assert!(out.rejected[1].error.message.contains("whole number"));
}

#[test]
fn config_errors_come_before_the_body() {
    // The body is garbage in every case: the config is checked first.
    let garbage = "{not json";
    for (options, key) in [
        (vec![("map.external_id", "id")], "event"),
        (
            vec![
                ("event", "interaction"),
                ("map.external_id", "id"),
                ("map.wibble", "w"),
            ],
            "map.wibble",
        ),
        (
            vec![("event", "interaction"), ("map.external_id", "$.call[")],
            "map.external_id",
        ),
        (
            vec![("event", "interaction"), ("map.external_id", "$..id")],
            "map.external_id",
        ),
        (
            vec![
                ("event", "interaction"),
                ("map.external_id", "id"),
                ("records", "data["),
            ],
            "records",
        ),
        (
            vec![
                ("event", "interaction"),
                ("map.external_id", "id"),
                ("format", "xml"),
            ],
            "format",
        ),
    ] {
        let e = fail(garbage, Some("application/json"), &options);
        assert_eq!(e.code, ErrorCode::ConfigInvalid, "{options:?}: {e:?}");
        assert_eq!(e.field.as_deref(), Some(key), "{options:?}: {}", e.message);
    }
}

#[test]
fn truncated_json_is_invalid_input() {
    let options = [("event", "interaction"), ("map.external_id", "id")];
    for body in [r#"[{"id":"a"},{"id":"#, "", "{\"id\":\"a\"} trailing"] {
        let e = fail(body, Some("application/json"), &options);
        assert_eq!(e.code, ErrorCode::InvalidInput, "{body:?}");
        assert_eq!(e.field.as_deref(), Some("body"));
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
    }
}

#[test]
fn content_types() {
    let options = [("event", "interaction"), ("map.external_id", "id")];
    let e = fail("id\n1\n", Some("text/plain"), &options);
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(e.field.as_deref(), Some("content-type"));
    assert!(e.message.contains("text/plain"));
    let e = fail("id\n1\n", None, &options);
    assert_eq!(e.field.as_deref(), Some("content-type"));
    // The `format` option overrides a mislabelled content type.
    let mut with_format = options.to_vec();
    with_format.push(("format", "csv"));
    let out = run("id\n1\n", Some("text/plain"), &with_format);
    assert_eq!(interaction(&out.events[0]).external_id, "1");
    // A vendor-specific JSON media type.
    let out = run(
        r#"{"id":"v"}"#,
        Some("application/vnd.vendor+json"),
        &options,
    );
    assert_eq!(interaction(&out.events[0]).external_id, "v");
}

#[test]
fn form_posts_prefer_the_body_over_the_query() {
    let req = request(
        "id=body-1&Queue=Sales",
        Some("application/x-www-form-urlencoded"),
        "https://h.example/in?id=query-1&wrap=Done",
        opts(&[
            ("event", "interaction"),
            ("map.external_id", "id"),
            ("map.queue", "queue"),
            ("map.wrap_up", "wrap"),
        ]),
    );
    let out = ingest(&req).unwrap();
    let i = interaction(&out.events[0]);
    assert_eq!(i.external_id, "body-1");
    assert_eq!(
        i.queue.as_deref(),
        Some("Sales"),
        "case-insensitive fallback"
    );
    assert_eq!(i.wrap_up.as_deref(), Some("Done"));
    // The one record of a form lacking a required value is rejected at 0.
    let out = run(
        "x=1",
        Some("application/x-www-form-urlencoded"),
        &[
            ("event", "interaction"),
            ("map.external_id", "call.call_id"),
        ],
    );
    assert_eq!(out.rejected[0].index, 0);
    assert_eq!(out.rejected[0].error.field.as_deref(), Some("call.call_id"));
    assert!(
        out.rejected[0]
            .error
            .message
            .contains("`interaction` needs `external_id`")
    );
}

#[test]
fn the_readme_documents_every_option() {
    let readme = include_str!("../README.md");
    for key in [
        "event",
        "format",
        "records",
        "map.<field>",
        "map.<event>.<field>",
        "const.<field>",
        "unit.<field>",
        "values.<field>.<vendor value>",
        "answer.<criterion>",
        "time_zone_offset",
        "csv_delimiter",
    ] {
        assert!(readme.contains(&format!("`{key}`")), "README lacks `{key}`");
    }
}

/// Fuzz findings (plugins/fuzz), minimized: a duration of `8e+19` s
/// saturated to `u64::MAX` ms, epoch numbers past the year 9999 came out as
/// times, and negative counts and percentages were accepted.
#[test]
fn values_out_of_range_reject_the_record() {
    let out = ingest(&request(
        "call.call_id=0&call.length=8e%2B19",
        Some("application/x-www-form-urlencoded"),
        "https://sidecoach.example/v1/ingest/five9",
        example_options(FIVE9_TOML, "five9"),
    ))
    .unwrap();
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.rejected[0].error.field.as_deref(), Some("call.length"));
    assert!(
        out.rejected[0]
            .error
            .message
            .contains("longer than any duration"),
        "{}",
        out.rejected[0].error.message
    );

    let out = ingest(&request(
        r#"{"id":"1","form":{"id":"e"},"submitted_at":1000000000000000}"#,
        Some("application/x-ndjson"),
        "https://sidecoach.example/v1/ingest/qa-export",
        example_options(QA_TOML, "qa-export"),
    ))
    .unwrap();
    assert_eq!(
        out.rejected[0].error.field.as_deref(),
        Some("$.submitted_at")
    );

    let out = run(
        r#"[{"id":"e","form":"f","score":-5.5},{"id":"e2","form":"f","score":"101"}]"#,
        Some("application/json"),
        &[
            ("event", "evaluation"),
            ("map.external_id", "id"),
            ("map.form_id", "form"),
            ("map.vendor_score_percentage", "score"),
        ],
    );
    assert_eq!(out.events.len(), 1, "a bonus may pass 100%");
    assert_eq!(out.rejected[0].index, 0);
    assert!(out.rejected[0].error.message.contains("negative"));

    let staffing = [
        ("event", "staffing"),
        ("map.queue", "Queue"),
        ("map.starts_at", "Start"),
        ("map.length_minutes", "Minutes"),
        ("map.offered", "Offered"),
        ("map.aht_seconds", "AHT"),
        ("map.scheduled_agents", "Agents"),
    ];
    let out = run(
        "Queue,Start,Minutes,Offered,AHT,Agents\n\
         Billing,2024-05-01T08:00:00Z,30,-1,270,14\n\
         Billing,2024-05-01T08:30:00Z,30,80,270,-0.5\n\
         Billing,2024-05-01T09:00:00Z,2880,80,270,12\n",
        Some("text/csv"),
        &staffing,
    );
    assert!(out.events.is_empty(), "{:?}", out.events);
    let fields: Vec<Option<&str>> = out
        .rejected
        .iter()
        .map(|r| r.error.field.as_deref())
        .collect();
    assert_eq!(fields, [Some("Offered"), Some("Agents"), Some("Minutes")]);
}
