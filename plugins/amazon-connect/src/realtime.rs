//! Contact Lens real-time analysis: the conversational analytics segment
//! stream (Kinesis) of a contact in progress, one record per event.
//!
//! A session publishes `STARTED`, zero or more `SEGMENTS`, then `COMPLETED`
//! or `FAILED` (`EventType`; chat's schema 2.0.0 says `StreamingEventType`).
//! Every record carries `Version`, `Channel`, `AccountId`, `InstanceId`,
//! `ContactId` and `LanguageCode` (chat: `StreamingSettings.LanguageCode`);
//! no record names the agent, so the host pairs each segment with the
//! contact it already knows (from a contact event or trace record).
//!
//! | record | events |
//! |---|---|
//! | `STARTED`, `COMPLETED`, `FAILED` | the contact as an interaction (id and channel only, so a later contact event merges into it) |
//! | `SEGMENTS`: `Utterance` or `Transcript` | a segment: `Id` → segment-id, `ParticipantRole` → role, `Content` (else `PartialContent`) → text, `BeginOffsetMillis`/`EndOffsetMillis`, `Sentiment` POSITIVE/NEGATIVE/NEUTRAL/MIXED, `IssuesDetected[].CharacterOffsets` → the issue's words cut from the text |
//! | `SEGMENTS`: `Categories` | a segment: `MatchedCategories` (slugged) → categories, earliest `MatchedDetails.*.PointsOfInterest[].BeginOffsetMillis` → begin offset |
//! | `SEGMENTS`: `Issues` (chat) | a segment: each `IssuesDetected[].TranscriptItems[]` with its `Content` → an issue |
//! | `SEGMENTS`: `PostContactSummary`, `Attachments`, `Events` | nothing (no coaching signal) |

use crate::bindings::sidecoach::plugin::types::{
    Event, ParticipantRole, Segment, SegmentSentiment,
};
use crate::fields::{Obj, Result, bare_interaction, channel, describe, invalid, unsupported};
use crate::lens::excerpt;
use serde_json::Value;

/// The real-time event types (Contact Lens segment stream data model).
pub const EVENT_TYPES: &[&str] = &["STARTED", "SEGMENTS", "COMPLETED", "FAILED"];

/// Whether a record is a real-time analysis event: `EventType` (or
/// `StreamingEventType`) and `ContactId`, with `Segments`, `LanguageCode` or
/// `StreamingSettings` (which contact events, also carrying an event type
/// and a contact id, never have).
pub fn matches(top: &Obj<'_>) -> bool {
    (top.has("EventType") || top.has("StreamingEventType"))
        && top.has("ContactId")
        && (top.has("Segments") || top.has("LanguageCode") || top.has("StreamingSettings"))
}

/// One real-time record as events.
pub fn parse(top: &Obj<'_>) -> Result<Vec<Event>> {
    let key = if top.has("EventType") {
        "EventType"
    } else {
        "StreamingEventType"
    };
    let event_type = top.required_str(key)?.trim().to_ascii_uppercase();
    let contact_id = top.required_str("ContactId")?.trim().to_string();
    let channel = channel(top.str("Channel")?);
    match event_type.as_str() {
        "SEGMENTS" => {}
        "STARTED" | "COMPLETED" | "FAILED" => {
            return Ok(vec![Event::Interaction(bare_interaction(
                contact_id, channel,
            ))]);
        }
        other => {
            return Err(unsupported(
                Some(key.into()),
                format!(
                    "unsupported Contact Lens real-time event type {other:?}; known: {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
    }
    let (path, segments) = top.array("Segments")?.ok_or_else(|| {
        invalid(
            "Segments",
            "a SEGMENTS event must carry its `Segments` list",
        )
    })?;
    let mut out = Vec::new();
    for (i, item) in segments.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Value::Object(map) = item else {
            return Err(invalid(
                at,
                format!("a segment must be an object, got {}", describe(item)),
            ));
        };
        let seg = Obj::new(map, at);
        let blank = || Segment {
            interaction_external_id: contact_id.clone(),
            segment_id: None,
            agent_vendor_id: None,
            channel,
            role: None,
            begin_offset_ms: None,
            end_offset_ms: None,
            text: None,
            sentiment: None,
            categories: Vec::new(),
            issues: Vec::new(),
        };
        if let Some(u) = seg.child("Utterance")?.or(seg.child("Transcript")?) {
            out.push(Event::Segment(utterance(&u, blank())?));
        } else if let Some(c) = seg.child("Categories")? {
            let mut s = blank();
            categories(&c, &mut s)?;
            if !s.categories.is_empty() {
                out.push(Event::Segment(s));
            }
        } else if let Some(issues) = seg.child("Issues")? {
            let mut s = blank();
            s.issues = chat_issues(&issues)?;
            if !s.issues.is_empty() {
                out.push(Event::Segment(s));
            }
        }
        // PostContactSummary, Attachments, Events: no coaching signal.
    }
    Ok(out)
}

/// An `Utterance` or `Transcript` segment.
fn utterance(u: &Obj<'_>, mut s: Segment) -> Result<Segment> {
    s.segment_id = u.str("Id")?.map(|v| v.trim().to_string());
    s.role = u.str("ParticipantRole")?.map(role);
    s.text = match u.str("Content")? {
        Some(t) => Some(t.to_string()),
        None => u.str("PartialContent")?.map(str::to_string),
    };
    s.begin_offset_ms = u.millis("BeginOffsetMillis")?;
    s.end_offset_ms = u.millis("EndOffsetMillis")?;
    s.sentiment = match u.str("Sentiment")? {
        None => None,
        Some(label) => Some(sentiment(label).ok_or_else(|| {
            invalid(
                u.path_of("Sentiment"),
                format!("{label:?} is not POSITIVE, NEGATIVE, NEUTRAL or MIXED"),
            )
        })?),
    };
    if let Some((path, issues)) = u.array("IssuesDetected")? {
        let text = s.text.as_deref().unwrap_or_default();
        for (i, issue) in issues.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let Value::Object(map) = issue else {
                return Err(invalid(
                    at,
                    format!("an issue must be an object, got {}", describe(issue)),
                ));
            };
            if let Some(words) = excerpt(&Obj::new(map, at), text)?
                && !s.issues.contains(&words)
            {
                s.issues.push(words);
            }
        }
    }
    Ok(s)
}

/// A `Categories` segment: the matched categories and where the first one
/// matched.
fn categories(c: &Obj<'_>, s: &mut Segment) -> Result<()> {
    if let Some((path, matched)) = c.array("MatchedCategories")? {
        for (i, item) in matched.iter().enumerate() {
            let Value::String(name) = item else {
                return Err(invalid(
                    format!("{path}[{i}]"),
                    format!("a category must be a string, got {}", describe(item)),
                ));
            };
            if let Some(slug) = sidecoach_guest::topic_slug(name)
                && !s.categories.contains(&slug)
            {
                s.categories.push(slug);
            }
        }
    }
    if let Some(details) = c.child("MatchedDetails")? {
        for name in details.keys() {
            let Some(detail) = details.child(name)? else {
                continue;
            };
            let Some((path, points)) = detail.array("PointsOfInterest")? else {
                continue;
            };
            for (i, point) in points.iter().enumerate() {
                if let Value::Object(map) = point {
                    let begin =
                        Obj::new(map, format!("{path}[{i}]")).millis("BeginOffsetMillis")?;
                    s.begin_offset_ms = match (s.begin_offset_ms, begin) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
            }
        }
    }
    Ok(())
}

/// A chat `Issues` segment: each detected issue's transcript item, cut to
/// its character offsets.
fn chat_issues(issues: &Obj<'_>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let Some((path, detected)) = issues.array("IssuesDetected")? else {
        return Ok(out);
    };
    for (i, item) in detected.iter().enumerate() {
        let Value::Object(map) = item else { continue };
        let issue = Obj::new(map, format!("{path}[{i}]"));
        let Some((items_path, items)) = issue.array("TranscriptItems")? else {
            continue;
        };
        for (j, t) in items.iter().enumerate() {
            let Value::Object(map) = t else { continue };
            let t = Obj::new(map, format!("{items_path}[{j}]"));
            let content = t.str("Content")?.unwrap_or_default();
            if let Some(words) = excerpt(&t, content)?
                && !out.contains(&words)
            {
                out.push(words);
            }
        }
    }
    Ok(out)
}

/// `ParticipantRole` as a role; unknown roles are `other`.
fn role(raw: &str) -> ParticipantRole {
    match raw.trim().to_ascii_uppercase().as_str() {
        "AGENT" => ParticipantRole::Agent,
        "CUSTOMER" => ParticipantRole::Customer,
        "SUPERVISOR" => ParticipantRole::Supervisor,
        "SYSTEM" | "AUTOMATED" => ParticipantRole::System,
        _ => ParticipantRole::Other,
    }
}

/// A `Sentiment` label.
fn sentiment(raw: &str) -> Option<SegmentSentiment> {
    Some(match raw.trim().to_ascii_uppercase().as_str() {
        "POSITIVE" => SegmentSentiment::Positive,
        "NEGATIVE" => SegmentSentiment::Negative,
        "NEUTRAL" => SegmentSentiment::Neutral,
        "MIXED" => SegmentSentiment::Mixed,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::Channel;
    use crate::bindings::sidecoach::plugin::types::ErrorCode;
    use crate::payload::parse_request;
    use serde_json::json;

    /// The session fixture, its `#` note stripped: one record a line.
    const SESSION: &str = include_str!(
        "../../../tests/data/vendors/amazon-connect_contact-lens-realtime-voice.SYNTHETIC.jsonl"
    );
    const CONTACT: &str = "11111111-1111-1111-1111-111111111111";

    fn line(n: usize) -> &'static str {
        SESSION
            .lines()
            .filter(|l| !l.starts_with('#'))
            .nth(n)
            .expect("the fixture has the line")
    }

    fn segments(body: &str) -> Vec<Segment> {
        let out = parse_request(Some("application/json"), "", body.as_bytes()).unwrap();
        assert!(out.rejected.is_empty(), "{:?}", out.rejected);
        out.events
            .into_iter()
            .map(|e| match e {
                Event::Segment(s) => s,
                other => panic!("expected segments only, got {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_segments_event_is_read_as_live_segments_not_refused_as_a_contact_event() {
        let got = segments(line(2));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            got[0],
            Segment {
                interaction_external_id: CONTACT.into(),
                segment_id: Some("4b3f5a8e-2c1d-4e6f-9a7b-0c8d1e2f3a4b".into()),
                agent_vendor_id: None,
                channel: Channel::Voice,
                role: Some(ParticipantRole::Customer),
                begin_offset_ms: Some(26_690),
                end_offset_ms: Some(31_280),
                text: Some(
                    "I was charged twice for my plan this month and nobody called me back.".into()
                ),
                sentiment: Some(SegmentSentiment::Negative),
                categories: vec![],
                issues: vec!["I was charged twice for my plan this month".into()],
            }
        );
        assert_eq!(got[1].categories, vec!["billing-dispute"]);
        assert_eq!(got[1].begin_offset_ms, Some(26_690));
        assert_eq!(got[1].role, None);
    }

    #[test]
    fn an_utterance_keeps_its_partial_content_and_a_transcript_its_sentiment() {
        let got = segments(line(1));
        assert_eq!(got[0].role, Some(ParticipantRole::Agent));
        assert_eq!(
            got[0].text.as_deref(),
            Some("Hello, thank you for calling Example Corp. My name is Adam.")
        );
        assert_eq!(got[0].sentiment, None);
        assert_eq!(got[1].sentiment, Some(SegmentSentiment::Neutral));
        assert_eq!(got[1].end_offset_ms, Some(24_598));
    }

    #[test]
    fn started_and_completed_name_the_contact_and_nothing_else() {
        for n in [0, 4] {
            let out = parse_request(None, "", line(n).as_bytes()).unwrap();
            match <[Event; 1]>::try_from(out.events) {
                Ok([Event::Interaction(i)]) => {
                    assert_eq!(i, bare_interaction(CONTACT.into(), Channel::Voice))
                }
                other => panic!("line {n}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_whole_session_as_json_lines_is_one_delivery() {
        let body: String = SESSION
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let out = parse_request(Some("application/x-ndjson"), "", body.as_bytes()).unwrap();
        assert!(out.rejected.is_empty());
        let segments = out
            .events
            .iter()
            .filter(|e| matches!(e, Event::Segment(_)))
            .count();
        // 2 (agent) + 2 (customer, categories) + the same 2 redelivered.
        assert_eq!(segments, 6);
        assert_eq!(out.events.len(), 8, "STARTED and COMPLETED as the contact");
    }

    #[test]
    fn a_chat_issues_segment_cuts_each_issue_from_its_transcript_item() {
        let body = json!({
            "Version": "2.0.0", "Channel": "CHAT", "AccountId": "1", "InstanceId": "i",
            "ContactId": "chat-1", "StreamingEventType": "SEGMENTS",
            "StreamingSettings": {"LanguageCode": "en-US"},
            "Segments": [
                {"Issues": {"IssuesDetected": [{"TranscriptItems": [{
                    "Id": "t-1", "Content": "My seeds arrived dead, twice.",
                    "CharacterOffsets": {"BeginOffsetChar": 3, "EndOffsetChar": 21}
                }]}]}},
                {"Attachments": {"Id": "a"}}
            ]
        });
        let got = segments(&body.to_string());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].channel, Channel::Chat);
        assert_eq!(got[0].issues, vec!["seeds arrived dead"]);
    }

    #[test]
    fn a_bad_sentiment_label_or_missing_segments_name_the_field() {
        let mut v: Value = serde_json::from_str(line(2)).unwrap();
        v["Segments"][0]["Transcript"]["Sentiment"] = json!("FURIOUS");
        let err = parse_request(None, "", v.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(
            err.field.as_deref(),
            Some("Segments[0].Transcript.Sentiment")
        );
        v.as_object_mut().unwrap().remove("Segments");
        let err = parse_request(None, "", v.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("Segments"));
        v["EventType"] = json!("PAUSED");
        v["Segments"] = json!([]);
        let err = parse_request(None, "", v.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
    }
}
