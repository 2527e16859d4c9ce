//! Contact Lens conversational analytics output files (voice and chat): the
//! analysis of one contact, as an interaction carrying sentiment, topics,
//! talk time (both parties and each), non-talk time, agent interruptions and
//! the issues, outcomes and action items detected.
//!
//! Contact Lens writes these files to S3 named after the contact
//! (`…/Analysis/Voice/YYYY/MM/DD/<contactId>_analysis_<time>.json`); the
//! voice file itself does not say which contact it is. So the contact id is
//! `CustomerMetadata.ContactId` when the file has it, else the URL's
//! `?contact_id=`, else the part before the first `_` of the S3 object key
//! in the URL's `?object_key=` (or `?key=`): what an S3 → Lambda → HTTP
//! forwarder has at hand from the S3 event notification.

use crate::bindings::sidecoach::plugin::types::{Event, Interaction, Sentiment};
use crate::fields::{
    Context, Obj, Result, bare_interaction, channel, describe, invalid, unsupported,
};
use serde_json::Value;

/// Whether a record is a Contact Lens analysis: `CustomerMetadata`, or
/// `ConversationCharacteristics` with `Participants` or a `Transcript`.
pub fn matches(top: &Obj<'_>) -> bool {
    top.has("CustomerMetadata")
        || (top.has("ConversationCharacteristics")
            && (top.has("Participants") || top.has("Transcript")))
}

/// A Contact Lens analysis as one interaction.
///
/// The contact id comes from `CustomerMetadata.ContactId`, else from the
/// request URL (`?contact_id=`, else the S3 `?object_key=`), since the
/// file itself may not carry it.
pub fn parse(top: &Obj<'_>, ctx: &Context) -> Result<Vec<Event>> {
    if let Some(status) = top.str("JobStatus")?
        && !status.trim().eq_ignore_ascii_case("COMPLETED")
    {
        return Err(unsupported(
            Some("JobStatus".into()),
            format!(
                "the Contact Lens job status is {status:?}; only COMPLETED analyses carry results"
            ),
        ));
    }
    let from_body = match top.child("CustomerMetadata")? {
        Some(m) => m.str("ContactId")?.map(|s| s.trim().to_string()),
        None => None,
    };
    let from_key = match ctx.object_key.as_deref() {
        Some(key) => Some(contact_id_of_key(key)?),
        None => None,
    };
    let external_id = from_body
        .or_else(|| ctx.contact_id.clone())
        .or(from_key)
        .ok_or_else(|| {
            invalid(
                "CustomerMetadata.ContactId",
                "the analysis names no contact: `CustomerMetadata.ContactId` is missing; add \
                 it, or send the file's S3 object key in the URL as `?object_key=...` (or the \
                 contact id as `?contact_id=...`)",
            )
        })?;
    let topics = topics(top)?;
    let mut interaction = Interaction {
        topics,
        ..bare_interaction(external_id, channel(top.str("Channel")?))
    };
    if let Some(cc) = top.child("ConversationCharacteristics")? {
        if let Some(talk) = cc.child("TalkTime")? {
            interaction.talk_ms = talk.millis("TotalTimeMillis")?;
            if let Some(by) = talk.child("DetailsByParticipant")? {
                if let Some(agent) = by.child("AGENT")? {
                    interaction.agent_talk_ms = agent.millis("TotalTimeMillis")?;
                }
                if let Some(customer) = by.child("CUSTOMER")? {
                    interaction.customer_talk_ms = customer.millis("TotalTimeMillis")?;
                }
            }
        }
        if let Some(quiet) = cc.child("NonTalkTime")? {
            interaction.non_talk_ms = quiet.millis("TotalTimeMillis")?;
        }
        if let Some(interruptions) = cc.child("Interruptions")? {
            interaction.agent_interruptions = agent_interruptions(&interruptions)?;
        }
        if let Some(s) = cc.child("Sentiment")? {
            interaction.sentiment = sentiment(&s)?;
        }
    }
    let detected = detected(top)?;
    interaction.issues = detected.issues;
    interaction.outcomes = detected.outcomes;
    interaction.action_items = detected.action_items;
    Ok(vec![Event::Interaction(interaction)])
}

/// The contact id an S3 object key names: the file name up to its first
/// `_` (`<contactId>_analysis_<time>.json`).
fn contact_id_of_key(key: &str) -> Result<String> {
    let name = key.rsplit('/').next().unwrap_or_default();
    let id = name.split('_').next().unwrap_or_default().trim();
    if name.contains('_')
        && !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        Ok(id.to_string())
    } else {
        Err(invalid(
            "object_key",
            format!(
                "the S3 object key {key:?} is not named like a Contact Lens output file \
                 (`<contactId>_analysis_<time>.json`)"
            ),
        ))
    }
}

/// Issues, outcomes and action items in the transcript's words.
#[derive(Debug, Default)]
struct Detected {
    issues: Vec<String>,
    outcomes: Vec<String>,
    action_items: Vec<String>,
}

/// The items Contact Lens detected. Voice: on each transcript turn
/// (`Transcript[].IssuesDetected` / `OutcomesDetected` /
/// `ActionItemsDetected`, each with `CharacterOffsets` and usually the
/// `Text`). Chat: in `ConversationCharacteristics.ContactSummary.
/// SummaryItemsDetected[]`, each pointing at transcript turns by `Id`.
fn detected(top: &Obj<'_>) -> Result<Detected> {
    const KINDS: [&str; 3] = ["IssuesDetected", "OutcomesDetected", "ActionItemsDetected"];
    let mut out = Detected::default();
    let mut turns: Vec<(Option<&str>, &str, Obj<'_>)> = Vec::new();
    if let Some((path, transcript)) = top.array("Transcript")? {
        for (i, turn) in transcript.iter().enumerate() {
            if let Value::Object(map) = turn {
                let turn = Obj::new(map, format!("{path}[{i}]"));
                let content = turn.str("Content")?.unwrap_or_default();
                turns.push((turn.str("Id")?, content, turn));
            }
        }
    }
    let push = |out: &mut Detected, kind: &str, words: String| {
        let list = match kind {
            "IssuesDetected" => &mut out.issues,
            "OutcomesDetected" => &mut out.outcomes,
            _ => &mut out.action_items,
        };
        if !list.contains(&words) {
            list.push(words);
        }
    };
    for (_, content, turn) in &turns {
        for kind in KINDS {
            for item in objects(turn, kind)? {
                if let Some(words) = excerpt(&item, content)? {
                    push(&mut out, kind, words);
                }
            }
        }
    }
    let summary = match top.child("ConversationCharacteristics")? {
        Some(cc) => cc.child("ContactSummary")?,
        None => None,
    };
    if let Some(summary) = summary {
        for group in objects(&summary, "SummaryItemsDetected")? {
            for kind in KINDS {
                for item in objects(&group, kind)? {
                    for t in objects(&item, "TranscriptItems")? {
                        let id = t.str("Id")?;
                        let content = turns
                            .iter()
                            .find(|(turn_id, _, _)| id.is_some() && *turn_id == id)
                            .map_or("", |(_, content, _)| content);
                        if let Some(words) = excerpt(&t, content)? {
                            push(&mut out, kind, words);
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The objects of the array under `key` (none when absent); a non-object
/// element is an error naming it.
fn objects<'a>(obj: &Obj<'a>, key: &str) -> Result<Vec<Obj<'a>>> {
    let Some((path, items)) = obj.array(key)? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok(Obj::new(map, format!("{path}[{i}]"))),
            other => Err(invalid(
                format!("{path}[{i}]"),
                format!("expected an object, got {}", describe(other)),
            )),
        })
        .collect()
}

/// The words a detected item points at: its own `Text` when it has one,
/// else `content` cut to its `CharacterOffsets` (in characters, widened to
/// whole words; an end past the content is cut at the content's end, as
/// AWS's own chat sample needs; a start past it leaves nothing). `None`
/// when no words are left.
pub fn excerpt(item: &Obj<'_>, content: &str) -> Result<Option<String>> {
    if let Some(text) = item.str("Text")? {
        return Ok(Some(text.trim().to_string()));
    }
    let Some(offsets) = item.child("CharacterOffsets")? else {
        return Ok(None);
    };
    let begin = offsets.number("BeginOffsetChar")?.unwrap_or(0.0);
    let end = offsets.number("EndOffsetChar")?.unwrap_or(f64::MAX);
    if !(begin >= 0.0 && end >= begin) {
        return Err(invalid(
            offsets.path_of("EndOffsetChar"),
            format!("character offsets {begin}..{end} are not a range"),
        ));
    }
    let chars: Vec<char> = content.chars().collect();
    let mut from = (begin as usize).min(chars.len());
    let mut to = (end.min(chars.len() as f64) as usize).max(from);
    // Widened to whole words: offsets that land inside a word (AWS's chat
    // sample has one) would otherwise cut it.
    while from > 0
        && from < chars.len()
        && chars[from].is_alphanumeric()
        && chars[from - 1].is_alphanumeric()
    {
        from -= 1;
    }
    while to > from
        && to < chars.len()
        && chars[to - 1].is_alphanumeric()
        && chars[to].is_alphanumeric()
    {
        to += 1;
    }
    let words: String = chars[from..to].iter().collect();
    let words = words.trim();
    Ok((!words.is_empty()).then(|| words.to_string()))
}

/// `Categories.MatchedCategories`, slugged and without repeats.
fn topics(top: &Obj<'_>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let Some(categories) = top.child("Categories")? else {
        return Ok(out);
    };
    let Some((path, matched)) = categories.array("MatchedCategories")? else {
        return Ok(out);
    };
    for (i, item) in matched.iter().enumerate() {
        let Value::String(name) = item else {
            return Err(invalid(
                format!("{path}[{i}]"),
                format!("a category must be a string, got {}", describe(item)),
            ));
        };
        if let Some(slug) = sidecoach_guest::topic_slug(name)
            && !out.contains(&slug)
        {
            out.push(slug);
        }
    }
    Ok(out)
}

/// How often the agent interrupted: the number of instances under
/// `InterruptionsByInterrupter.AGENT` (0 when the map has no `AGENT`).
fn agent_interruptions(interruptions: &Obj<'_>) -> Result<Option<u32>> {
    let Some(by) = interruptions.child("InterruptionsByInterrupter")? else {
        return Ok(None);
    };
    let count = by.array("AGENT")?.map_or(0, |(_, items)| items.len());
    Ok(Some(u32::try_from(count).unwrap_or(u32::MAX)))
}

/// A sentiment score, which must lie on Contact Lens' −5..+5 scale.
fn score(obj: &Obj<'_>, key: &str) -> Result<Option<f64>> {
    match obj.number(key)? {
        Some(n) if !(-5.0..=5.0).contains(&n) => Err(invalid(
            obj.path_of(key),
            format!("{n} is outside the sentiment scale -5..5"),
        )),
        other => Ok(other),
    }
}

/// Overall sentiment per role (voice: `OverallSentiment.{AGENT,CUSTOMER}`;
/// chat: `OverallSentiment.DetailsByParticipantRole.{AGENT,CUSTOMER}`) and the
/// customer's final quarter (`SentimentByPeriod.QUARTER.CUSTOMER`, last
/// period; else chat's `SentimentShift…CUSTOMER.EndScore`).
fn sentiment(s: &Obj<'_>) -> Result<Option<Sentiment>> {
    let mut out = Sentiment {
        customer: None,
        agent: None,
        customer_final_quarter: None,
    };
    if let Some(overall) = s.child("OverallSentiment")? {
        let roles = overall
            .child("DetailsByParticipantRole")?
            .unwrap_or(overall);
        out.customer = score(&roles, "CUSTOMER")?;
        out.agent = score(&roles, "AGENT")?;
    }
    if let Some(by_period) = s.child("SentimentByPeriod")?
        && let Some(quarter) = by_period.child("QUARTER")?
        && let Some((path, periods)) = quarter.array("CUSTOMER")?
        && let Some(last) = periods.last()
    {
        let at = format!("{path}[{}]", periods.len() - 1);
        let Value::Object(map) = last else {
            return Err(invalid(
                at,
                format!(
                    "a sentiment period must be an object, got {}",
                    describe(last)
                ),
            ));
        };
        out.customer_final_quarter = score(&Obj::new(map, at), "Score")?;
    }
    if out.customer_final_quarter.is_none()
        && let Some(shift) = s.child("SentimentShift")?
        && let Some(roles) = shift.child("DetailsByParticipantRole")?
        && let Some(customer) = roles.child("CUSTOMER")?
    {
        out.customer_final_quarter = score(&customer, "EndScore")?;
    }
    let any = out.customer.is_some() || out.agent.is_some() || out.customer_final_quarter.is_some();
    Ok(any.then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::{Channel, Direction, ErrorCode};
    use crate::payload::parse_request;
    use serde_json::json;

    const VOICE: &[u8] = include_bytes!(
        "../../../tests/data/vendors/amazon-connect_contact-lens-voice-analysis.json"
    );
    const CHAT: &[u8] = include_bytes!(
        "../../../tests/data/vendors/amazon-connect_contact-lens-chat-analysis.json"
    );

    fn only_interaction(url: &str, body: &[u8]) -> Interaction {
        let out = parse_request(Some("application/json"), url, body).unwrap();
        assert!(out.rejected.is_empty());
        match <[Event; 1]>::try_from(out.events) {
            Ok([Event::Interaction(i)]) => i,
            other => panic!("expected one interaction, got {other:?}"),
        }
    }

    #[test]
    fn voice_analysis() {
        // The documented voice sample has no `CustomerMetadata`: the id
        // comes from the URL.
        let i = only_interaction(
            "https://sidecoach/v1/ingest/connect?contact_id=voice-1",
            VOICE,
        );
        assert_eq!(
            i,
            Interaction {
                external_id: "voice-1".into(),
                agent_vendor_id: None,
                channel: Channel::Voice,
                direction: Direction::Unknown,
                started_at: None,
                ended_at: None,
                handle_ms: None,
                // both parties' speech, and each party's own
                talk_ms: Some(28_698),
                agent_talk_ms: Some(15_079),
                customer_talk_ms: Some(13_619),
                alert_ms: None,
                answer_ms: None,
                issues: vec!["I need to cancel. I want to cancel my plan subscription".into()],
                outcomes: vec![
                    "I made all the changes to the account and now these discounts applied".into()
                ],
                action_items: vec![
                    "I will send you all the details later today and call you back next week \
                     to check up on you"
                        .into()
                ],
                hold_ms: None,
                after_work_ms: None,
                non_talk_ms: Some(0),
                // `InterruptionsByInterrupter` is `{}`: nobody interrupted.
                agent_interruptions: Some(0),
                related_external_ids: vec![],
                queue: None,
                topics: vec![],
                sentiment: Some(Sentiment {
                    customer: Some(3.1),
                    agent: Some(0.0),
                    // the last CUSTOMER quarter's score
                    customer_final_quarter: Some(5.0),
                }),
                wrap_up: None,
                updated_at: None,
            }
        );
    }

    #[test]
    fn a_voice_analysis_delivered_with_its_s3_object_key_is_linked_to_its_contact() {
        let i = only_interaction(
            "https://sidecoach/v1/ingest/connect?object_key=connect%2Fexample%2FAnalysis%2FVoice\
             %2F2024%2F01%2F15%2Fa1b2c3d4-5678-90ab-cdef-EXAMPLE22222_analysis_2024-01-15T10%3A00%3A00Z.json",
            VOICE,
        );
        assert_eq!(i.external_id, "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222");
        // `key` is accepted too; `contact_id` wins over the key.
        let i = only_interaction(
            "https://h/x?key=Analysis/Voice/c-7_analysis_1.json&contact_id=c-8",
            VOICE,
        );
        assert_eq!(i.external_id, "c-8");
        let err = parse_request(
            None,
            "https://h/x?object_key=Analysis/Voice/report.json",
            VOICE,
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("object_key"));
    }

    #[test]
    fn voice_analysis_without_any_contact_id_names_the_field() {
        let err = parse_request(None, "https://sidecoach/v1/ingest/connect", VOICE).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("CustomerMetadata.ContactId"));
        assert!(err.message.contains("object_key"), "{}", err.message);
    }

    #[test]
    fn chat_analysis() {
        // The body's own contact id wins over the URL's.
        let mut i = only_interaction("https://sidecoach/x?contact_id=ignored", CHAT);
        // 1.1538461538461537 in the file; serde_json's fast float parsing
        // may be one ulp off.
        let agent = i.sentiment.as_mut().and_then(|s| s.agent.take());
        assert!(
            agent.is_some_and(|a| (a - 1.153_846_153_846_153_7).abs() < 1e-12),
            "{agent:?}"
        );
        assert_eq!(
            i,
            Interaction {
                external_id: "b49644f6-672f-445c-b209-f76b36482830".into(),
                agent_vendor_id: None,
                channel: Channel::Chat,
                direction: Direction::Unknown,
                started_at: None,
                ended_at: None,
                handle_ms: None,
                talk_ms: None,
                hold_ms: None,
                after_work_ms: None,
                non_talk_ms: None,
                agent_interruptions: None,
                related_external_ids: vec![],
                queue: None,
                agent_talk_ms: None,
                customer_talk_ms: None,
                alert_ms: None,
                answer_ms: None,
                // `ContactSummary` points at transcript turns by id; the
                // issue's offsets (72..244 of a 150-character turn) are
                // cut at its end and widened to whole words.
                issues: vec![
                    "How can you guys be sending out defective seeds? Isn't that your whole \
                     business?"
                        .into()
                ],
                outcomes: vec![
                    "We are not only refunding the cost of the grow-it-yourself indoor herb kit \
                     but we will also be sending you a replacement. Would you be okay with this?"
                        .into()
                ],
                action_items: vec![],
                topics: vec!["agent-intro".into()],
                sentiment: Some(Sentiment {
                    customer: Some(0.0),
                    agent: None, // checked above
                    // SentimentShift.DetailsByParticipantRole.CUSTOMER.EndScore
                    customer_final_quarter: Some(3.75),
                }),
                wrap_up: None,
                updated_at: None,
            }
        );
    }

    #[test]
    fn interruptions_categories_and_bad_scores() {
        let mut v: Value = serde_json::from_slice(VOICE).unwrap();
        v["CustomerMetadata"] = json!({"ContactId": "c-9"});
        v["ConversationCharacteristics"]["Interruptions"]["InterruptionsByInterrupter"] = json!({
            "AGENT": [
                {"BeginOffsetMillis": 1, "EndOffsetMillis": 2, "DurationMillis": 1},
                {"BeginOffsetMillis": 5, "EndOffsetMillis": 9, "DurationMillis": 4}
            ],
            "CUSTOMER": [{"BeginOffsetMillis": 3, "EndOffsetMillis": 4, "DurationMillis": 1}]
        });
        v["Categories"]["MatchedCategories"] =
            json!(["Cancellation Risk", "cancellation_risk", "Upsell"]);
        let i = only_interaction("", &serde_json::to_vec(&v).unwrap());
        assert_eq!(i.external_id, "c-9");
        assert_eq!(i.agent_interruptions, Some(2));
        assert_eq!(i.topics, vec!["cancellation-risk", "upsell"]);

        v["ConversationCharacteristics"]["Sentiment"]["OverallSentiment"]["CUSTOMER"] = json!(7);
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("ConversationCharacteristics.Sentiment.OverallSentiment.CUSTOMER")
        );
        v["ConversationCharacteristics"]["Sentiment"]["OverallSentiment"]["CUSTOMER"] = json!(1);
        v["ConversationCharacteristics"]["TalkTime"]["TotalTimeMillis"] = json!("long");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("ConversationCharacteristics.TalkTime.TotalTimeMillis")
        );
        assert!(err.message.contains("milliseconds"), "{}", err.message);
        v["ConversationCharacteristics"]["TalkTime"]["TotalTimeMillis"] = json!(1);
        v["Categories"]["MatchedCategories"] = json!(["ok", 3]);
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("Categories.MatchedCategories[1]")
        );
    }

    #[test]
    fn failed_jobs_are_unsupported() {
        let mut v: Value = serde_json::from_slice(CHAT).unwrap();
        v["JobStatus"] = json!("FAILED");
        let err = parse_request(None, "", &serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert_eq!(err.field.as_deref(), Some("JobStatus"));
    }
}
