//! Contact Lens conversational analytics output files (voice and chat): the
//! analysis of one contact, as an interaction carrying sentiment, topics,
//! talk/non-talk time and agent interruptions.

use crate::bindings::sidecoach::plugin::types::{Direction, Event, Interaction, Sentiment};
use crate::fields::{Obj, Result, channel, describe, invalid, unsupported};
use crate::payload::Context;
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
/// request URL (`?contact_id=`), since the file itself may not carry it.
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
    let external_id = from_body.or_else(|| ctx.contact_id.clone()).ok_or_else(|| {
        invalid(
            "CustomerMetadata.ContactId",
            "the analysis names no contact: `CustomerMetadata.ContactId` is missing; add it, or \
             send the contact id in the URL as `?contact_id=...`",
        )
    })?;
    let topics = topics(top)?;
    let mut interaction = Interaction {
        external_id,
        agent_vendor_id: None,
        channel: channel(top.str("Channel")?),
        direction: Direction::Unknown,
        started_at: None,
        ended_at: None,
        handle_ms: None,
        talk_ms: None,
        hold_ms: None,
        after_work_ms: None,
        non_talk_ms: None,
        agent_interruptions: None,
        related_external_ids: Vec::new(),
        queue: None,
        topics,
        sentiment: None,
        wrap_up: None,
        updated_at: None,
    };
    if let Some(cc) = top.child("ConversationCharacteristics")? {
        if let Some(talk) = cc.child("TalkTime")? {
            interaction.talk_ms = talk.millis("TotalTimeMillis")?;
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
    Ok(vec![Event::Interaction(interaction)])
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
        if let Some(slug) = adapter_kit::topic_slug(name)
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
    use crate::bindings::sidecoach::plugin::types::{Channel, ErrorCode};
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
                talk_ms: Some(28_698),
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
    fn voice_analysis_without_any_contact_id_names_the_field() {
        let err = parse_request(None, "https://sidecoach/v1/ingest/connect", VOICE).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.field.as_deref(), Some("CustomerMetadata.ContactId"));
        assert!(err.message.contains("contact_id"), "{}", err.message);
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
