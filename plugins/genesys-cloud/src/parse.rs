//! One request → an [`IngestOutput`]: recognizing which Genesys Cloud payload
//! each record is, and the value mappings shared by all of them.
//!
//! A body is one record (an object), a batch (a JSON array, an analytics query
//! page `{"conversations":[...]}`, or JSON lines). A record is:
//!
//! * an EventBridge event: `detail-type` + `detail`, where `detail` is a
//!   notification;
//! * a bare notification: `topicName` + `eventBody` (what the notification
//!   API and EventBridge's `detail` carry);
//! * an analytics conversation: `conversationId` + `participants` or
//!   `conversationStart`.
//!
//! The notification topic (EventBridge's `detail-type`, else `topicName`)
//! picks the handler: `v2.detail.events.conversation.{id}.<leg>` → [`detail`],
//! `v2.quality.evaluations` → [`quality`]. Anything else is `unsupported`,
//! naming what was seen. A single record's error fails the request; in a batch
//! it rejects that record only.

use serde_json::Value;

use crate::bindings::sidecoach::plugin::types::{Event, IngestOutput};
use crate::input::{self, Body, Rec, Result, invalid, unsupported};
use crate::{analytics, detail, quality};

/// What one request became: the output, plus notes on records that were
/// understood but deliberately produced nothing (for the log).
#[derive(Debug, PartialEq)]
pub struct Parsed {
    /// Events and rejected records.
    pub output: IngestOutput,
    /// Why some records produced no events (e.g. an evaluation still in progress).
    pub notes: Vec<String>,
}

/// The topic prefix of the conversation detail events.
pub const DETAIL_PREFIX: &str = "v2.detail.events.conversation.";
/// The quality evaluation notification topic.
pub const QUALITY_TOPIC: &str = "v2.quality.evaluations";

/// Parses one request's headers and body.
pub fn ingest(headers: &[(String, String)], body: &[u8]) -> Result<Parsed> {
    let declared_lines = input::check_content_type(headers)?;
    let mut notes = Vec::new();
    let output = match input::read_body(body, declared_lines)? {
        Body::One(Value::Array(items)) => input::batch(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| record(item, &format!("[{i}]"), &mut notes)),
        ),
        Body::One(Value::Object(map)) if map.contains_key("conversations") => {
            match &map["conversations"] {
                Value::Array(items) => input::batch(items.iter().enumerate().map(|(i, item)| {
                    analytics::conversation(&Rec::new(item, format!("conversations[{i}]"))?)
                })),
                other => {
                    return Err(invalid(
                        "conversations",
                        format!(
                            "`conversations` must be an array of analytics conversations, not {}",
                            input::describe(other)
                        ),
                    ));
                }
            }
        }
        Body::One(value) => IngestOutput {
            events: record(&value, "", &mut notes)?,
            rejected: Vec::new(),
        },
        Body::Lines(lines) => input::batch(lines.iter().enumerate().map(|(i, line)| {
            record(
                line.as_ref().map_err(Clone::clone)?,
                &format!("[{i}]"),
                &mut notes,
            )
        })),
    };
    Ok(Parsed { output, notes })
}

/// One record: recognizes its shape and hands it to its parser.
fn record(value: &Value, path: &str, notes: &mut Vec<String>) -> Result<Vec<Event>> {
    let rec = Rec::new(value, path)?;
    if rec.has("detail-type") {
        let topic = rec.req_str("detail-type")?;
        let detail = rec.child("detail")?.ok_or_else(|| {
            invalid(
                rec.at("detail"),
                format!("`{}` is required", rec.at("detail")),
            )
        })?;
        return notification(&detail, topic, &rec.at("detail-type"), notes);
    }
    if rec.has("topicName") && rec.has("eventBody") {
        let topic = rec.req_str("topicName")?;
        return notification(&rec, topic, &rec.at("topicName"), notes);
    }
    if rec.has("conversationId") && (rec.has("participants") || rec.has("conversationStart")) {
        return analytics::conversation(&rec);
    }
    let field = if path.is_empty() { "body" } else { path };
    Err(unsupported(
        field,
        format!(
            "unrecognized Genesys Cloud payload (keys: {}); expected an EventBridge event \
             (`detail-type` + `detail`), a notification (`topicName` + `eventBody`) or an \
             analytics conversation (`conversationId` + `participants`)",
            rec.keys()
        ),
    ))
}

/// A notification (`{topicName, eventBody, ...}`) under `topic`.
fn notification(
    notification: &Rec<'_>,
    topic: &str,
    topic_field: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<Event>> {
    let body = || {
        notification.child("eventBody")?.ok_or_else(|| {
            let field = notification.at("eventBody");
            invalid(field.clone(), format!("`{field}` is required"))
        })
    };
    if let Some(rest) = topic.strip_prefix(DETAIL_PREFIX) {
        // `{id}.customer.end`: the id (or the literal `{id}` of a detail-type).
        let leg = rest.split_once('.').map_or("", |(_, leg)| leg);
        return match detail::Leg::from_topic(leg) {
            Some(leg) => detail::event(&body()?, leg),
            None => Err(unsupported(
                topic_field,
                format!(
                    "unsupported Genesys detail event `{topic}`; this adapter reads the \
                     conversation detail events {}",
                    detail::Leg::NAMES
                ),
            )),
        };
    }
    if topic == QUALITY_TOPIC {
        return quality::evaluation(&body()?, notes);
    }
    Err(unsupported(
        topic_field,
        format!(
            "unsupported Genesys topic `{topic}`; this adapter reads {DETAIL_PREFIX}{{id}}.<{}> \
             and {QUALITY_TOPIC}",
            detail::Leg::NAMES
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{
        Agent, Answer, AnswerValue, Channel, Direction, ErrorCode, Evaluation, Interaction,
        VendorScore,
    };
    use crate::input::{channel, direction};
    use serde_json::json;

    /// EventBridge `customer.end` detail event (verbatim blueprint sample).
    const CUSTOMER_END: &[u8] = include_bytes!(
        "../../../tests/data/vendors/genesys_eventbridge-detail-events-customer-end.json"
    );
    /// One analytics chat conversation (verbatim blueprint sample).
    const ANALYTICS_CHAT: &[u8] = include_bytes!(
        "../../../tests/data/vendors/genesys_analytics-conversation-detail-chat.json"
    );
    /// `v2.quality.evaluations` notification (synthetic).
    const QUALITY: &[u8] = include_bytes!(
        "../../../tests/data/vendors/genesys_quality-evaluation-notification.SYNTHETIC.json"
    );

    /// A JSON content type.
    fn json_headers() -> Vec<(String, String)> {
        vec![("content-type".into(), "application/json".into())]
    }

    /// Parses a JSON body.
    fn parse(body: &[u8]) -> Result<Parsed> {
        ingest(&json_headers(), body)
    }

    /// Epoch milliseconds of an ISO 8601 time.
    fn ms(iso: &str) -> i64 {
        sidecoach_guest::time::parse_iso8601_ms(iso).unwrap()
    }

    /// The interactions among the output's events.
    fn interactions(output: &IngestOutput) -> Vec<&Interaction> {
        output
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Interaction(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    /// The EventBridge fixture, field by field.
    #[test]
    fn eventbridge_customer_end_fixture() {
        let parsed = parse(CUSTOMER_END).unwrap();
        assert!(parsed.output.rejected.is_empty());
        assert_eq!(
            parsed.output.events,
            vec![Event::Interaction(Interaction {
                external_id: "2f7bf00a-0fc2-4d6a-9b56-92238191433e".into(),
                agent_vendor_id: None,
                channel: Channel::Chat,
                direction: Direction::Inbound,
                // eventTime 1649237504949 minus interactingDurationMs 60000.
                started_at: Some(1_649_237_444_949),
                ended_at: Some(1_649_237_504_949),
                handle_ms: None,
                talk_ms: None,
                hold_ms: None,
                after_work_ms: None,
                non_talk_ms: None,
                agent_talk_ms: None,
                customer_talk_ms: None,
                alert_ms: None,
                answer_ms: None,
                issues: Vec::new(),
                outcomes: Vec::new(),
                action_items: Vec::new(),
                agent_interruptions: None,
                related_external_ids: vec![],
                queue: None,
                topics: vec![],
                sentiment: None,
                wrap_up: None,
                updated_at: Some(1_649_237_504_949),
            })]
        );
    }

    /// The fixture's envelope with another detail event body.
    fn eventbridge(detail_type: &str, topic: &str, body: Value) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(CUSTOMER_END).unwrap();
        v["detail-type"] = json!(detail_type);
        v["detail"]["topicName"] = json!(topic);
        v["detail"]["eventBody"] = body;
        serde_json::to_vec(&v).unwrap()
    }

    /// acw carries wrap-up and after-work time; user.end talk and hold time.
    #[test]
    fn eventbridge_acw_and_user_end() {
        let acw = eventbridge(
            "v2.detail.events.conversation.{id}.acw",
            "v2.detail.events.conversation.c1.acw",
            json!({
                "eventTime": 1_700_000_100_000u64, "conversationId": "c1", "mediaType": "VOICE",
                "direction": "OUTBOUND", "userId": "u1", "queueId": "q1",
                "wrapupCode": "wc-resolved", "wrapupDurationMs": 25_000
            }),
        );
        let parsed = parse(&acw).unwrap();
        let i = interactions(&parsed.output)[0];
        assert_eq!(i.external_id, "c1");
        assert_eq!(i.agent_vendor_id.as_deref(), Some("u1"));
        assert_eq!(i.channel, Channel::Voice);
        assert_eq!(i.direction, Direction::Outbound);
        assert_eq!(i.queue.as_deref(), Some("q1"));
        assert_eq!(i.wrap_up.as_deref(), Some("wc-resolved"));
        assert_eq!(i.after_work_ms, Some(25_000));
        assert_eq!(i.started_at, None);
        assert_eq!(i.ended_at, None);
        assert_eq!(i.updated_at, Some(1_700_000_100_000));

        let user_end = eventbridge(
            "v2.detail.events.conversation.{id}.user.end",
            "v2.detail.events.conversation.c1.user.end",
            json!({
                "eventTime": 1_700_000_000_000u64, "conversationId": "c1", "mediaType": "MESSAGE",
                "messageType": "WHATSAPP", "userId": "u1", "queueId": "q1",
                "disconnectType": "CLIENT", "interactingDurationMs": 300_000, "heldDurationMs": 15_000
            }),
        );
        let parsed = parse(&user_end).unwrap();
        let i = interactions(&parsed.output)[0];
        assert_eq!(i.agent_vendor_id.as_deref(), Some("u1"));
        assert_eq!(i.channel, Channel::Social);
        assert_eq!(i.direction, Direction::Unknown);
        assert_eq!(i.agent_talk_ms, Some(300_000));
        assert_eq!(i.talk_ms, None);
        assert_eq!(i.hold_ms, Some(15_000));
    }

    /// The notification without its EventBridge envelope reads the same.
    #[test]
    fn bare_notification_is_read_like_eventbridge() {
        let v: Value = serde_json::from_slice(CUSTOMER_END).unwrap();
        let bare = serde_json::to_vec(&v["detail"]).unwrap();
        assert_eq!(parse(&bare).unwrap(), parse(CUSTOMER_END).unwrap());
    }

    /// Unknown detail legs, topics and shapes are `unsupported`, naming what was seen.
    #[test]
    fn unknown_detail_type_is_unsupported() {
        let flow = eventbridge(
            "v2.detail.events.conversation.{id}.flow.end",
            "v2.detail.events.conversation.c1.flow.end",
            json!({"conversationId": "c1"}),
        );
        let e = parse(&flow).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert_eq!(e.field.as_deref(), Some("detail-type"));
        assert!(
            e.message
                .contains("v2.detail.events.conversation.{id}.flow.end"),
            "{}",
            e.message
        );

        let other = eventbridge("v2.users.{id}.presence", "v2.users.u1.presence", json!({}));
        let e = parse(&other).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert!(
            e.message.contains("v2.users.{id}.presence"),
            "{}",
            e.message
        );

        let e = parse(br#"{"hello": "world"}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert_eq!(e.field.as_deref(), Some("body"));
        assert!(e.message.contains("hello"), "{}", e.message);
    }

    /// The analytics fixture, field by field.
    #[test]
    fn analytics_conversation_fixture() {
        let parsed = parse(ANALYTICS_CHAT).unwrap();
        assert!(parsed.output.rejected.is_empty());
        // No participantName on the agent participant: no agent event.
        assert_eq!(parsed.output.events.len(), 1);
        assert_eq!(
            parsed.output.events[0],
            Event::Interaction(Interaction {
                external_id: "1bc96a39-6725-40c4-9345-db72aa67b8c6".into(),
                agent_vendor_id: Some("50fcd33c-f432-4726-abc9-979f3ca01555".into()),
                channel: Channel::Chat,
                direction: Direction::Inbound,
                started_at: Some(ms("2021-04-01T12:27:53.386Z")),
                ended_at: Some(ms("2021-04-01T12:43:23.306Z")),
                handle_ms: Some(918_737),
                // tTalk is the agent's own: agent-talk, not talk (both parties).
                talk_ms: None,
                hold_ms: Some(544_176),
                after_work_ms: None,
                non_talk_ms: None,
                agent_talk_ms: Some(374_561),
                customer_talk_ms: None,
                alert_ms: Some(11_050),
                answer_ms: Some(11_179),
                issues: Vec::new(),
                outcomes: Vec::new(),
                action_items: Vec::new(),
                agent_interruptions: None,
                related_external_ids: vec![],
                queue: Some("a623d83c-96d7-4baa-af1f-d46ad6700d8b".into()),
                topics: vec![],
                sentiment: None,
                wrap_up: None,
                updated_at: Some(ms("2021-04-01T12:43:23.306Z")),
            })
        );
    }

    /// A bad conversation in a page or an array is rejected by index; the rest count.
    #[test]
    fn analytics_page_and_array_with_one_bad_conversation() {
        let good: Value = serde_json::from_slice(ANALYTICS_CHAT).unwrap();
        let mut bad = good.clone();
        bad["conversationId"] = json!("c-bad");
        bad["participants"][2]["sessions"][0]["metrics"][2]["value"] = json!("lots");
        let page = serde_json::to_vec(&json!({"conversations": [good, bad, good], "totalHits": 3}))
            .unwrap();
        let parsed = parse(&page).unwrap();
        assert_eq!(interactions(&parsed.output).len(), 2);
        assert_eq!(parsed.output.rejected.len(), 1);
        let r = &parsed.output.rejected[0];
        assert_eq!(r.index, 1);
        assert_eq!(r.error.code, ErrorCode::InvalidInput);
        assert_eq!(
            r.error.field.as_deref(),
            Some("conversations[1].participants[2].sessions[0].metrics[2].value")
        );

        let array = serde_json::to_vec(&json!([bad, good])).unwrap();
        let parsed = parse(&array).unwrap();
        assert_eq!(interactions(&parsed.output).len(), 1);
        assert_eq!(parsed.output.rejected[0].index, 0);
        assert_eq!(
            parsed.output.rejected[0].error.field.as_deref(),
            Some("[0].participants[2].sessions[0].metrics[2].value")
        );
    }

    /// A truncated JSON line is rejected by index; the other lines count.
    #[test]
    fn json_lines_with_one_truncated_line() {
        let line = String::from_utf8(
            serde_json::to_vec(&serde_json::from_slice::<Value>(CUSTOMER_END).unwrap()).unwrap(),
        )
        .unwrap();
        let body = format!("{line}\n{{\"detail-type\": \"v2.detail\n{line}\n");
        let headers = vec![("content-type".into(), "application/x-ndjson".into())];
        let parsed = ingest(&headers, body.as_bytes()).unwrap();
        assert_eq!(parsed.output.events.len(), 2);
        assert_eq!(parsed.output.rejected.len(), 1);
        assert_eq!(parsed.output.rejected[0].index, 1);
        assert!(
            parsed.output.rejected[0]
                .error
                .message
                .contains("JSON line 2")
        );
    }

    /// The evaluation fixture, field by field.
    #[test]
    fn quality_evaluation_fixture() {
        let parsed = parse(QUALITY).unwrap();
        assert!(parsed.output.rejected.is_empty());
        assert_eq!(
            parsed.output.events,
            vec![
                Event::Agent(Agent {
                    vendor_user_id: "50fcd33c-f432-4726-abc9-979f3ca01555".into(),
                    name: Some("Agent A".into()),
                    email: None,
                    team: None,
                    supervisor_vendor_id: None,
                }),
                Event::Evaluation(Evaluation {
                    external_id: "11111111-2222-3333-4444-555555555555".into(),
                    form_id: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".into(),
                    form_version: None,
                    interaction_external_id: Some("2f7bf00a-0fc2-4d6a-9b56-92238191433e".into()),
                    agent_vendor_id: Some("50fcd33c-f432-4726-abc9-979f3ca01555".into()),
                    evaluator_vendor_id: Some("9f3b4669-8593-4c95-bd7d-ef92c50f5a86".into()),
                    evaluated_at: Some(ms("2024-05-01T12:00:00.000Z")),
                    answers: vec![],
                    vendor_score: Some(VendorScore {
                        percentage: Some(60.0),
                        auto_failed: false,
                        critical_percentage: Some(100.0),
                    }),
                }),
            ]
        );
    }

    /// Per-question answers, N/A and a failed fatal question, through EventBridge.
    #[test]
    fn quality_evaluation_with_answers_through_eventbridge() {
        let mut v: Value = serde_json::from_slice(QUALITY).unwrap();
        v["eventBody"]["answers"] = json!({
            "totalScore": 72.5, "totalCriticalScore": 50, "anyFailedKillQuestions": true,
            "questionGroupScores": [
                {"questionGroupId": "g1", "questionScores": [
                    {"questionId": "q1", "answerId": "a1", "score": 1, "comments": "Greeted by name"},
                    {"questionId": "q2", "markedNA": true}
                ]},
                {"questionGroupId": "g2", "questionScores": [
                    {"questionId": "q3", "score": 0, "failedKillQuestion": true}
                ]}
            ]
        });
        v["eventBody"].as_object_mut().unwrap().remove("scoringSet");
        let envelope = json!({
            "version": "0", "id": "e1", "detail-type": QUALITY_TOPIC,
            "source": "aws.partner/genesys.com/cloud/x/y", "time": "2024-05-01T12:00:01Z",
            "detail": v
        });
        let parsed = parse(&serde_json::to_vec(&envelope).unwrap()).unwrap();
        let Event::Evaluation(e) = &parsed.output.events[1] else {
            panic!("{:?}", parsed.output.events)
        };
        assert_eq!(
            e.answers,
            vec![
                Answer {
                    criterion_id: "q1".into(),
                    value: AnswerValue::Score(1.0),
                    comment: Some("Greeted by name".into()),
                },
                Answer {
                    criterion_id: "q2".into(),
                    value: AnswerValue::NotApplicable,
                    comment: None,
                },
                Answer {
                    criterion_id: "q3".into(),
                    value: AnswerValue::Score(0.0),
                    comment: None,
                },
            ]
        );
        assert_eq!(
            e.vendor_score,
            Some(VendorScore {
                percentage: Some(72.5),
                auto_failed: true,
                critical_percentage: Some(50.0),
            })
        );
    }

    /// An evaluation still in progress yields no event, only a note.
    #[test]
    fn unfinished_evaluation_is_noted_not_emitted() {
        let mut v: Value = serde_json::from_slice(QUALITY).unwrap();
        v["eventBody"]["status"] = json!("INPROGRESS");
        let parsed = parse(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert!(parsed.output.events.is_empty());
        assert!(parsed.notes[0].contains("INPROGRESS"), "{:?}", parsed.notes);
    }

    /// Unparseable timestamps fail with their dotted path.
    #[test]
    fn bad_timestamp_names_the_field() {
        let mut v: Value = serde_json::from_slice(ANALYTICS_CHAT).unwrap();
        v["conversationStart"] = json!("2021-04-01 noon");
        let e = parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("conversationStart"));
        assert!(e.message.contains("2021-04-01 noon"), "{}", e.message);

        let mut v: Value = serde_json::from_slice(QUALITY).unwrap();
        v["eventBody"]["releaseDate"] = json!("soon");
        let e = parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("eventBody.releaseDate"));

        let mut v: Value = serde_json::from_slice(CUSTOMER_END).unwrap();
        v["detail"]["eventBody"]["eventTime"] = json!(true);
        let e = parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("detail.eventBody.eventTime"));
    }

    /// Truncated JSON names line and column; a wrong content type names the type.
    #[test]
    fn truncated_json_and_wrong_content_type() {
        let e = parse(&CUSTOMER_END[..CUSTOMER_END.len() / 2]).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("body"));
        assert!(
            e.message.contains("line ") && e.message.contains("column "),
            "{}",
            e.message
        );

        let headers = vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        )];
        let e = ingest(&headers, CUSTOMER_END).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("content-type"));
        assert!(
            e.message.contains("application/x-www-form-urlencoded"),
            "{}",
            e.message
        );

        // No content type at all is fine.
        assert!(ingest(&[], CUSTOMER_END).is_ok());
    }

    /// The media type and direction mappings.
    #[test]
    fn media_types_map_to_channels() {
        assert_eq!(channel(Some("CALLBACK"), None), Channel::Voice);
        assert_eq!(channel(Some("call"), None), Channel::Voice);
        assert_eq!(channel(Some("email"), None), Channel::Email);
        assert_eq!(channel(Some("message"), Some("sms")), Channel::Sms);
        assert_eq!(channel(Some("message"), None), Channel::Sms);
        assert_eq!(
            channel(Some("message"), Some("webmessaging")),
            Channel::Chat
        );
        assert_eq!(channel(Some("message"), Some("facebook")), Channel::Social);
        assert_eq!(channel(Some("screenshare"), None), Channel::Video);
        assert_eq!(channel(Some("cobrowse"), None), Channel::Other);
        assert_eq!(channel(None, None), Channel::Other);
        assert_eq!(direction(Some("OUTBOUND")), Direction::Outbound);
        assert_eq!(direction(None), Direction::Unknown);
    }
}
