//! Zendesk satisfaction ratings → feedback events.
//!
//! The body is one of
//!
//! * `{"satisfaction_rating": {...}}` (one rating; the API's show format),
//! * `{"satisfaction_ratings": [{...}, ...]}` (the API's list format),
//! * `[{...}, ...]` (a bare array), or
//! * a bare rating object (what a webhook body built from Zendesk's
//!   template variables usually sends).
//!
//! Each rating is one record: a bad rating (no id, an unknown score, an
//! unparseable time) or one that is not a rating at all (`offered`,
//! `unoffered`: the survey was sent, nobody answered) goes to `rejected` with
//! its index, and the other ratings still count. Ids may be numbers or
//! strings (template variables render as strings).

use crate::bindings::sidecoach::plugin::types::{
    Event, Feedback, IngestOutput, PluginError, RatingKind, RejectedRecord,
};
use crate::errors::{bad_json, config, invalid, unsupported};
use serde_json::{Map, Value};
use sidecoach_guest::config::SourceConfig;
use sidecoach_guest::time::parse_any_ms;

/// Option: the value a `good` rating gets.
pub const GOOD_VALUE: &str = "good_value";
/// Option: the value a `bad` rating gets.
pub const BAD_VALUE: &str = "bad_value";
/// Option: the bottom of the rating scale.
pub const SCALE_MIN: &str = "scale_min";
/// Option: the top of the rating scale.
pub const SCALE_MAX: &str = "scale_max";

/// `reason` values that say nothing and so make no topic (compared as slugs).
const NON_REASONS: &[&str] = &[
    "no-reason-provided",
    "some-other-reason",
    "none",
    "n-a",
    "unknown",
];

/// How ratings become numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The value of `good`.
    pub good: f64,
    /// The value of `bad`.
    pub bad: f64,
    /// The scale's bottom.
    pub scale_min: f64,
    /// The scale's top.
    pub scale_max: f64,
}

impl Options {
    /// Reads the options (defaults 5, 1, 1, 5), each a number; the scale
    /// must be increasing and `bad_value` < `good_value`, both on it.
    pub fn from_config(cfg: SourceConfig<'_>) -> Result<Self, PluginError> {
        let number = |key: &str, default: f64| {
            cfg.number(key)
                .map(|v| v.unwrap_or(default))
                .map_err(|message| config(key, message))
        };
        let options = Self {
            good: number(GOOD_VALUE, 5.0)?,
            bad: number(BAD_VALUE, 1.0)?,
            scale_min: number(SCALE_MIN, 1.0)?,
            scale_max: number(SCALE_MAX, 5.0)?,
        };
        if options.scale_min >= options.scale_max {
            return Err(config(
                SCALE_MIN,
                format!(
                    "`{SCALE_MIN}` ({}) must be below `{SCALE_MAX}` ({})",
                    options.scale_min, options.scale_max
                ),
            ));
        }
        for (key, value) in [(GOOD_VALUE, options.good), (BAD_VALUE, options.bad)] {
            if !(options.scale_min..=options.scale_max).contains(&value) {
                return Err(config(
                    key,
                    format!(
                        "`{key}` ({value}) must lie on the scale {}..{}",
                        options.scale_min, options.scale_max
                    ),
                ));
            }
        }
        if options.bad >= options.good {
            return Err(config(
                BAD_VALUE,
                format!(
                    "`{BAD_VALUE}` ({}) must be below `{GOOD_VALUE}` ({})",
                    options.bad, options.good
                ),
            ));
        }
        Ok(options)
    }
}

/// Parses a body of satisfaction ratings.
pub fn parse(body: &[u8], options: &Options) -> Result<IngestOutput, PluginError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "body",
            "the body is empty; expected satisfaction ratings",
        ));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad_json("body", "the body", &e))?;
    let (records, prefix): (Vec<&Value>, &str) = match &value {
        Value::Object(map) if map.contains_key("satisfaction_ratings") => {
            match &map["satisfaction_ratings"] {
                Value::Array(items) => (items.iter().collect(), "satisfaction_ratings"),
                _ => {
                    return Err(invalid(
                        "satisfaction_ratings",
                        "`satisfaction_ratings` must be an array of ratings",
                    ));
                }
            }
        }
        Value::Object(map) if map.contains_key("satisfaction_rating") => {
            match &map["satisfaction_rating"] {
                rating @ Value::Object(_) => (vec![rating], "satisfaction_rating"),
                _ => {
                    return Err(invalid(
                        "satisfaction_rating",
                        "`satisfaction_rating` must be a rating object",
                    ));
                }
            }
        }
        Value::Object(map) if map.contains_key("score") => (vec![&value], ""),
        Value::Array(items) => (items.iter().collect(), ""),
        _ => {
            return Err(invalid(
                "body",
                "expected {\"satisfaction_rating\":{...}}, {\"satisfaction_ratings\":[...]}, an \
                 array of ratings or one rating object with a `score`",
            ));
        }
    };
    let listed = matches!(&value, Value::Array(_))
        || matches!(&value, Value::Object(m) if m.contains_key("satisfaction_ratings"));

    let mut output = IngestOutput {
        events: Vec::new(),
        rejected: Vec::new(),
    };
    for (index, record) in records.into_iter().enumerate() {
        let path = match (listed, prefix.is_empty()) {
            (true, _) => format!("{prefix}[{index}]"),
            (false, true) => String::new(),
            (false, false) => prefix.to_string(),
        };
        match rating(record, &path, options) {
            Ok(feedback) => output.events.push(Event::Feedback(feedback)),
            Err(error) => output.rejected.push(RejectedRecord {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                error,
            }),
        }
    }
    Ok(output)
}

/// `path.key`, or `key` at the top level.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// One rating as feedback.
fn rating(record: &Value, path: &str, options: &Options) -> Result<Feedback, PluginError> {
    let Value::Object(map) = record else {
        return Err(invalid(
            if path.is_empty() { "body" } else { path },
            "a rating must be a JSON object",
        ));
    };
    let id =
        id_at(map, path, "id")?.ok_or_else(|| invalid(join(path, "id"), "`id` is required"))?;
    let score = match map.get("score") {
        Some(Value::String(s)) => s.trim().to_ascii_lowercase(),
        Some(Value::Null) | None => {
            return Err(invalid(join(path, "score"), "`score` is required"));
        }
        Some(_) => return Err(invalid(join(path, "score"), "`score` must be a string")),
    };
    let value = match score.as_str() {
        "good" | "good_with_comment" => options.good,
        "bad" | "bad_with_comment" => options.bad,
        "offered" | "unoffered" => {
            return Err(unsupported(
                join(path, "score"),
                format!(
                    "rating {id} has score `{score}`: the survey was {} but not answered, so \
                     this is not a rating",
                    if score == "offered" {
                        "offered"
                    } else {
                        "not offered"
                    }
                ),
            ));
        }
        other => {
            return Err(invalid(
                join(path, "score"),
                format!("unknown score `{other}`; expected good, bad, offered or unoffered"),
            ));
        }
    };

    let mut topics = Vec::new();
    if let Some(Value::String(reason)) = map.get("reason")
        && let Some(slug) = sidecoach_guest::topic_slug(reason)
        && !NON_REASONS.contains(&slug.as_str())
    {
        topics.push(slug);
    }
    match map.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tags)) => {
            for tag in tags.iter().filter_map(Value::as_str) {
                if let Some(slug) = sidecoach_guest::topic_slug(tag)
                    && !topics.contains(&slug)
                {
                    topics.push(slug);
                }
            }
        }
        Some(_) => {
            return Err(invalid(
                join(path, "tags"),
                "`tags` must be an array of strings",
            ));
        }
    }

    let verbatim = match map.get("comment") {
        Some(Value::String(c)) if !c.trim().is_empty() => Some(c.trim().to_string()),
        _ => None,
    };

    let mut received_at = None;
    for key in ["updated_at", "created_at"] {
        if let Some(Value::String(raw)) = map.get(key) {
            received_at = Some(parse_any_ms(raw).ok_or_else(|| {
                invalid(
                    join(path, key),
                    format!("`{key}` must be an ISO 8601 time, not `{raw}`"),
                )
            })?);
            break;
        }
    }

    Ok(Feedback {
        external_id: id,
        kind: RatingKind::Csat,
        value,
        scale_min: options.scale_min,
        scale_max: options.scale_max,
        interaction_external_id: id_at(map, path, "ticket_id")?,
        agent_vendor_id: id_at(map, path, "assignee_id")?,
        topics,
        verbatim,
        received_at,
    })
}

/// An id (number or non-empty string) at `key`, as text.
fn id_at(map: &Map<String, Value>, path: &str, key: &str) -> Result<Option<String>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Some(Value::String(_)) => Ok(None),
        Some(_) => Err(invalid(
            join(path, key),
            format!("`{key}` must be a whole number or a string"),
        )),
    }
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::ErrorCode;

    /// The default options.
    fn defaults() -> Options {
        Options::from_config(SourceConfig(&[])).unwrap()
    }

    /// Options from literal pairs.
    fn options(pairs: &[(&str, &str)]) -> Result<Options, PluginError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Options::from_config(SourceConfig(&pairs))
    }

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

    /// Defaults, overrides, and the checks on them.
    #[test]
    fn options_default_and_are_checked() {
        assert_eq!(
            defaults(),
            Options {
                good: 5.0,
                bad: 1.0,
                scale_min: 1.0,
                scale_max: 5.0
            }
        );
        assert_eq!(
            options(&[
                ("good_value", "1"),
                ("bad_value", "0"),
                ("scale_min", "0"),
                ("scale_max", "1")
            ])
            .unwrap(),
            Options {
                good: 1.0,
                bad: 0.0,
                scale_min: 0.0,
                scale_max: 1.0
            }
        );
        for (pairs, key) in [
            (vec![("good_value", "great")], GOOD_VALUE),
            (vec![("bad_value", "x")], BAD_VALUE),
            (vec![("scale_min", "low")], SCALE_MIN),
            (vec![("scale_max", "NaN")], SCALE_MAX),
            (vec![("scale_min", "5")], SCALE_MIN),
            (vec![("good_value", "7")], GOOD_VALUE),
            (vec![("bad_value", "5")], BAD_VALUE),
        ] {
            let e = options(&pairs).unwrap_err();
            assert_eq!(e.code, ErrorCode::ConfigInvalid, "{pairs:?}");
            assert_eq!(e.field.as_deref(), Some(key), "{pairs:?}");
            assert!(e.message.contains(key), "{}", e.message);
        }
    }

    /// The list format with a good rating, an offered one and a broken one:
    /// one event, two rejected records with their indexes.
    #[test]
    fn a_list_with_bad_records_keeps_the_good_ones() {
        let body = br#"{"satisfaction_ratings":[
            {"id":1,"score":"good","ticket_id":"10","assignee_id":20,"reason":"No reason provided","tags":["VIP","refund_request"],"created_at":"2024-05-01T10:00:00Z"},
            {"id":2,"score":"offered","ticket_id":11},
            {"score":"bad","ticket_id":12},
            {"id":4,"score":"meh"},
            {"id":5,"score":"bad","created_at":"yesterday"}
        ]}"#;
        let out = parse(body, &defaults()).unwrap();
        let f = feedback(&out);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].external_id, "1");
        assert_eq!(f[0].value, 5.0);
        assert_eq!(f[0].interaction_external_id.as_deref(), Some("10"));
        assert_eq!(f[0].agent_vendor_id.as_deref(), Some("20"));
        assert_eq!(f[0].topics, vec!["vip", "refund-request"]);
        assert_eq!(f[0].verbatim, None);
        assert_eq!(f[0].received_at, Some(1_714_557_600_000));

        let rejected: Vec<(u32, ErrorCode, Option<&str>)> = out
            .rejected
            .iter()
            .map(|r| (r.index, r.error.code, r.error.field.as_deref()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (
                    1,
                    ErrorCode::Unsupported,
                    Some("satisfaction_ratings[1].score")
                ),
                (
                    2,
                    ErrorCode::InvalidInput,
                    Some("satisfaction_ratings[2].id")
                ),
                (
                    3,
                    ErrorCode::InvalidInput,
                    Some("satisfaction_ratings[3].score")
                ),
                (
                    4,
                    ErrorCode::InvalidInput,
                    Some("satisfaction_ratings[4].created_at")
                ),
            ]
        );
        assert!(out.rejected[0].error.message.contains("not a rating"));
    }

    /// A bare object and a bare array parse; option values are used.
    #[test]
    fn bare_objects_and_arrays() {
        let opts = options(&[
            ("good_value", "1"),
            ("bad_value", "0"),
            ("scale_min", "0"),
            ("scale_max", "1"),
        ])
        .unwrap();
        let out = parse(
            br#"{"id":"77","score":"bad_with_comment","comment":"  slow  ","reason":"Some other reason"}"#,
            &opts,
        )
        .unwrap();
        let f = feedback(&out);
        assert_eq!(
            (f[0].value, f[0].scale_min, f[0].scale_max),
            (0.0, 0.0, 1.0)
        );
        assert_eq!(f[0].verbatim.as_deref(), Some("slow"));
        assert!(f[0].topics.is_empty());
        assert_eq!(f[0].interaction_external_id, None);

        let out = parse(
            br#"[{"id":1,"score":"good"},{"id":2,"score":"unoffered"}]"#,
            &opts,
        )
        .unwrap();
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.rejected[0].index, 1);
        assert_eq!(out.rejected[0].error.field.as_deref(), Some("[1].score"));
    }

    /// A lone `offered` rating is a rejected record, not a failed request.
    #[test]
    fn a_single_offered_rating_is_rejected_not_failed() {
        let out = parse(
            br#"{"satisfaction_rating":{"id":9,"score":"offered"}}"#,
            &defaults(),
        )
        .unwrap();
        assert!(out.events.is_empty());
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].index, 0);
        assert_eq!(
            out.rejected[0].error.field.as_deref(),
            Some("satisfaction_rating.score")
        );
    }

    /// Whole-body problems fail the request, naming line and column for JSON.
    #[test]
    fn malformed_bodies_fail_the_request() {
        let e = parse(
            b"{\"satisfaction_rating\": {\"id\": 1,\n \"score\": \"go",
            &defaults(),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("body"));
        assert!(e.message.contains("line 2 column"), "{}", e.message);
        for body in [
            &b""[..],
            b"  ",
            b"42",
            br#"{"ticket":{}}"#,
            br#"{"satisfaction_ratings":{}}"#,
            br#"{"satisfaction_rating":[]}"#,
        ] {
            let e = parse(body, &defaults()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{body:?}");
        }
    }
}
