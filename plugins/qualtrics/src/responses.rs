//! Qualtrics survey responses (JSON) → feedback events.
//!
//! Accepted bodies:
//!
//! * the export shape, `{"responses": [{"responseId", "values", "labels",
//!   "embeddedData"?, "endDate"…}, …]}`, where a value may be an object
//!   (`{"choiceId", "choiceText"}`, `{"textEntry"}`);
//! * Qualtrics' single-response API, `{"result": {"responseId", "values",
//!   "labels"}}`, where values are scalars and response metadata (`endDate`,
//!   `recordedDate`…) and embedded data sit inside `values`;
//! * a bare response object (with `responseId`) or a bare array of them.
//!
//! Each response is one record; a broken one goes to `rejected` with its
//! index and the others still count.

use crate::bindings::sidecoach::plugin::types::{
    Event, Feedback, IngestOutput, PluginError, RejectedRecord,
};
use crate::errors::{bad_json, invalid, unsupported};
use crate::options::Options;
use serde_json::{Map, Value};
use sidecoach_guest::time::parse_any_ms;

/// `distributionChannel` values of responses that are not customer feedback.
const NOT_FEEDBACK_CHANNELS: &[&str] = &["preview", "test"];

/// Parses a JSON body of responses.
pub fn parse(body: &[u8], options: &Options) -> Result<IngestOutput, PluginError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "body",
            "the body is empty; expected survey responses",
        ));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad_json("body", "the body", &e))?;
    let (records, prefix, listed): (Vec<&Value>, &str, bool) = match &value {
        Value::Object(map) if map.contains_key("responses") => match &map["responses"] {
            Value::Array(items) => (items.iter().collect(), "responses", true),
            _ => return Err(invalid("responses", "`responses` must be an array")),
        },
        Value::Object(map) if map.contains_key("result") => match &map["result"] {
            result @ Value::Object(_) => (vec![result], "result", false),
            _ => return Err(invalid("result", "`result` must be a response object")),
        },
        Value::Object(map) if map.contains_key("responseId") => (vec![&value], "", false),
        Value::Array(items) => (items.iter().collect(), "", true),
        _ => {
            return Err(invalid(
                "body",
                "expected {\"responses\":[...]} (export), {\"result\":{...}} (single \
                 response), one response object with a `responseId`, or an array of them",
            ));
        }
    };
    let mut output = IngestOutput {
        events: Vec::new(),
        rejected: Vec::new(),
    };
    for (index, record) in records.into_iter().enumerate() {
        let path = if listed {
            format!("{prefix}[{index}]")
        } else {
            prefix.to_string()
        };
        let mapped = match record {
            Value::Object(map) => response(map, &path, options),
            _ => Err(invalid(
                if path.is_empty() { "body" } else { &path },
                "a response must be a JSON object",
            )),
        };
        match mapped {
            Ok(events) => output.events.extend(events),
            Err(error) => output.rejected.push(RejectedRecord {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                error,
            }),
        }
    }
    Ok(output)
}

/// `path.key`, or `key` at the top level.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A response's fields: top level, `values`, and (export shape)
/// `embeddedData`.
struct Response<'a> {
    /// The response object.
    top: &'a Map<String, Value>,
    /// Its `values`.
    values: &'a Map<String, Value>,
    /// Its `path` in the body, for errors.
    path: &'a str,
}

impl<'a> Response<'a> {
    /// Metadata or embedded data: top level, then `values`, then
    /// `embeddedData`; null and empty strings count as absent.
    fn lookup(&self, key: &str) -> Option<&'a Value> {
        let embedded = match self.top.get("embeddedData") {
            Some(Value::Object(e)) => e.get(key),
            _ => None,
        };
        [self.top.get(key), self.values.get(key), embedded]
            .into_iter()
            .flatten()
            .find(|v| !is_blank(v))
    }

    /// A lookup read as text (strings trimmed, numbers as written).
    fn text(&self, key: &str) -> Option<String> {
        match self.lookup(key)? {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The `values` path of a question, for errors.
    fn field(&self, qid: &str) -> String {
        join(self.path, &format!("values.{qid}"))
    }
}

/// Null, or a string of whitespace: an unanswered question.
fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Whether any configured rating question has an answer in `values`.
pub fn answers_any(values: &Map<String, Value>, options: &Options) -> bool {
    options
        .questions
        .iter()
        .any(|q| values.get(&q.qid).is_some_and(|v| !is_blank(v)))
}

/// One response → one feedback event per configured question it answers.
pub fn response(
    top: &Map<String, Value>,
    path: &str,
    options: &Options,
) -> Result<Vec<Event>, PluginError> {
    let empty = Map::new();
    let values = match top.get("values") {
        Some(Value::Object(values)) => values,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err(invalid(join(path, "values"), "`values` must be an object")),
    };
    let r = Response { top, values, path };
    let response_id = r
        .text("responseId")
        .or_else(|| r.text("ResponseID"))
        .ok_or_else(|| invalid(join(path, "responseId"), "`responseId` is required"))?;

    if let Some(channel) = r.text("distributionChannel")
        && NOT_FEEDBACK_CHANNELS.contains(&channel.to_ascii_lowercase().as_str())
    {
        return Err(unsupported(
            join(path, "distributionChannel"),
            format!("response {response_id} is a survey {channel} response, not customer feedback"),
        ));
    }

    let received_at = match ["endDate", "recordedDate"]
        .iter()
        .find_map(|k| Some((*k, r.text(k)?)))
    {
        None => None,
        Some((key, raw)) => Some(parse_any_ms(&raw).ok_or_else(|| {
            invalid(
                join(path, key),
                format!("`{key}` must be an ISO 8601 time, not `{raw}`"),
            )
        })?),
    };
    let agent = r.text(&options.agent_key).filter(|s| !s.is_empty());
    let interaction = r.text(&options.interaction_key).filter(|s| !s.is_empty());
    let topics = options
        .topic_key
        .as_deref()
        .map(|key| topics(r.lookup(key)))
        .unwrap_or_default();
    let verbatim = options
        .comment_question
        .as_deref()
        .and_then(|qid| comment(values, qid));

    let mut events = Vec::new();
    for q in &options.questions {
        let Some(raw) = values.get(&q.qid).filter(|v| !is_blank(v)) else {
            continue;
        };
        let field = r.field(&q.qid);
        let value = rating(raw).ok_or_else(|| {
            invalid(
                &field,
                format!(
                    "the answer to {} must be a number (its recode value), not {raw}",
                    q.qid
                ),
            )
        })?;
        if !(q.scale_min..=q.scale_max).contains(&value) {
            return Err(invalid(
                &field,
                format!(
                    "the answer to {} ({value}) is off the configured scale {}..{}",
                    q.qid, q.scale_min, q.scale_max
                ),
            ));
        }
        events.push(Event::Feedback(Feedback {
            external_id: format!("{response_id}:{}", q.qid),
            kind: q.kind,
            value,
            scale_min: q.scale_min,
            scale_max: q.scale_max,
            interaction_external_id: interaction.clone(),
            agent_vendor_id: agent.clone(),
            topics: topics.clone(),
            verbatim: verbatim.clone(),
            received_at,
        }));
    }
    Ok(events)
}

/// A rating answer as a number: a number, numeric text, or (export shape) an
/// object's `recode`, `value` or `choiceId`.
fn rating(raw: &Value) -> Option<f64> {
    match raw {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        Value::Object(o) => ["recode", "value", "choiceId"]
            .iter()
            .find_map(|k| o.get(*k))
            .and_then(rating),
        _ => None,
    }
}

/// The answer to the comment question: `QIDn_TEXT` (single-response API),
/// else `QIDn` as text or `{"textEntry"}` (export shape).
fn comment(values: &Map<String, Value>, qid: &str) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(o) => o
            .get("textEntry")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string()),
        _ => None,
    };
    values
        .get(&format!("{qid}_TEXT"))
        .and_then(text)
        .filter(|s| !s.is_empty())
        .or_else(|| values.get(qid).and_then(text).filter(|s| !s.is_empty()))
}

/// Topics from an embedded-data value: a list separated by `,`, `;` or `|`,
/// or an array of strings; slugged, deduplicated.
fn topics(raw: Option<&Value>) -> Vec<String> {
    let parts: Vec<&str> = match raw {
        Some(Value::String(s)) => s.split([',', ';', '|']).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for slug in parts.into_iter().filter_map(sidecoach_guest::topic_slug) {
        if !out.contains(&slug) {
            out.push(slug);
        }
    }
    out
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{ErrorCode, RatingKind};
    use crate::options::tests::options;

    /// The feedback events of an output.
    fn feedback(output: &IngestOutput) -> Vec<&Feedback> {
        output
            .events
            .iter()
            .map(|e| match e {
                Event::Feedback(f) => f,
                other => panic!("not feedback: {other:?}"),
            })
            .collect()
    }

    /// The single-response API shape: scalars in `values`, metadata and
    /// embedded data inside `values`, `QIDn_TEXT` comments, topics.
    #[test]
    fn the_single_response_shape() {
        let o = options(&[
            ("csat_question", "QID1"),
            ("nps_question", "QID3"),
            ("ces_question", "QID9"),
            ("comment_question", "QID2"),
            ("topic_key", "topics"),
        ])
        .unwrap();
        let body = br#"{"result":{"responseId":"R_1","values":{
            "startDate":"2024-05-01T10:58:00Z","endDate":"2024-05-01T11:05:00Z","recordedDate":"2024-05-01T11:05:01Z",
            "QID1":4,"QID3":"9","QID2_TEXT":"Quick and kind.",
            "agentId":"U-42","interactionId":9001,"topics":"Billing; late delivery , billing"},
            "labels":{"QID1":"Satisfied","QID3":"9"}}}"#;
        let out = parse(body, &o).unwrap();
        assert!(out.rejected.is_empty());
        assert_eq!(
            out.events,
            vec![
                Event::Feedback(Feedback {
                    external_id: "R_1:QID1".into(),
                    kind: RatingKind::Csat,
                    value: 4.0,
                    scale_min: 1.0,
                    scale_max: 5.0,
                    interaction_external_id: Some("9001".into()),
                    agent_vendor_id: Some("U-42".into()),
                    topics: vec!["billing".into(), "late-delivery".into()],
                    verbatim: Some("Quick and kind.".into()),
                    received_at: Some(1_714_561_500_000),
                }),
                Event::Feedback(Feedback {
                    external_id: "R_1:QID3".into(),
                    kind: RatingKind::Nps,
                    value: 9.0,
                    scale_min: 0.0,
                    scale_max: 10.0,
                    interaction_external_id: Some("9001".into()),
                    agent_vendor_id: Some("U-42".into()),
                    topics: vec!["billing".into(), "late-delivery".into()],
                    verbatim: Some("Quick and kind.".into()),
                    received_at: Some(1_714_561_500_000),
                }),
            ]
        );
    }

    /// Several responses, some broken: the good ones count, the broken ones
    /// are rejected with index and field; unanswered questions are skipped.
    #[test]
    fn bad_responses_are_rejected_with_their_index() {
        let o = options(&[("csat_question", "QID1"), ("nps_question", "QID3")]).unwrap();
        let body = br#"{"responses":[
            {"responseId":"R_ok","values":{"QID1":{"choiceId":"5","choiceText":"Very satisfied"},"QID3":""}},
            {"responseId":"R_text","values":{"QID1":{"textEntry":"great"}}},
            {"values":{"QID1":3}},
            {"responseId":"R_far","values":{"QID3":11}},
            {"responseId":"R_date","endDate":"last week","values":{"QID1":3}},
            "not an object",
            {"responseId":"R_preview","distributionChannel":"preview","values":{"QID1":3}},
            {"responseId":"R_none","values":{}}
        ]}"#;
        let out = parse(body, &o).unwrap();
        let f = feedback(&out);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].external_id, "R_ok:QID1");
        assert_eq!(f[0].value, 5.0);
        assert_eq!(
            (f[0].agent_vendor_id.as_deref(), f[0].received_at),
            (None, None)
        );
        let rejected: Vec<(u32, ErrorCode, Option<&str>)> = out
            .rejected
            .iter()
            .map(|r| (r.index, r.error.code, r.error.field.as_deref()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (1, ErrorCode::InvalidInput, Some("responses[1].values.QID1")),
                (2, ErrorCode::InvalidInput, Some("responses[2].responseId")),
                (3, ErrorCode::InvalidInput, Some("responses[3].values.QID3")),
                (4, ErrorCode::InvalidInput, Some("responses[4].endDate")),
                (5, ErrorCode::InvalidInput, Some("responses[5]")),
                (
                    6,
                    ErrorCode::Unsupported,
                    Some("responses[6].distributionChannel")
                ),
            ]
        );
        assert!(out.rejected[0].error.message.contains("must be a number"));
        assert!(
            out.rejected[2]
                .error
                .message
                .contains("off the configured scale")
        );
    }

    /// Bodies that are not responses, or not JSON, fail the request.
    #[test]
    fn malformed_bodies_fail_the_request() {
        let o = options(&[("csat_question", "QID1")]).unwrap();
        let e = parse(b"{\"responses\": [\n  {\"responseId\": \"R_1\",\n", &o).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains("line 3 column"), "{}", e.message);
        for body in [
            &b""[..],
            b"[1",
            b"\"x\"",
            br#"{"meta":{}}"#,
            br#"{"responses":{}}"#,
            br#"{"result":[]}"#,
        ] {
            let e = parse(body, &o).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{body:?}");
        }
    }

    /// Comment lookup orders and topic arrays.
    #[test]
    fn comments_and_topics() {
        let values: Map<String, Value> = serde_json::from_str(
            r#"{"QID2":{"textEntry":" fine "},"QID5_TEXT":"","QID5":"plain","QID6":3}"#,
        )
        .unwrap();
        assert_eq!(comment(&values, "QID2").as_deref(), Some("fine"));
        assert_eq!(comment(&values, "QID5").as_deref(), Some("plain"));
        assert_eq!(comment(&values, "QID6"), None);
        assert_eq!(comment(&values, "QID7"), None);
        let arr = serde_json::json!(["Returns", "returns", 4, "Gift Cards"]);
        assert_eq!(topics(Some(&arr)), vec!["returns", "gift-cards"]);
        assert!(topics(None).is_empty());
    }
}
