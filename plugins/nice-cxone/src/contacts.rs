//! Completed contacts (reporting API `GET /contacts/completed`, type
//! `contactsCompleted`): one contact → one interaction, plus an agent event
//! when the contact names its agent.
//!
//! | CXone | normalized |
//! |---|---|
//! | contactId | external-id |
//! | masterContactId, when it differs from contactId | related-external-ids |
//! | agentId (as a string; 0 means no agent) | agent-vendor-id |
//! | mediaTypeName (else mediaTypeId) | channel |
//! | isOutbound (else a `direction` string) | direction |
//! | contactStartDate (older APIs: contactStart) | started-at |
//! | contactEndDate, else started-at + totalDurationSeconds | ended-at |
//! | agentSeconds (s → ms) | handle-ms |
//! | holdSeconds (s → ms) | hold-ms |
//! | acwSeconds (s → ms) | after-work-ms |
//! | skillName (else skillId) | queue |
//! | tags (strings, or objects with tagName / TagName / name), slugged | topics |
//! | primaryDispositionName, else a non-zero primaryDispositionId | wrap-up |
//! | lastUpdateTime | updated-at |
//! | firstName + lastName, teamName | agent name, team |
//!
//! Media types (name, any case and spacing; id in brackets): Phone Call / Call
//! (4) and Voice Mail (5) → voice, Chat (3) → chat, Email (1) → email, SMS (7)
//! → sms, Work Item (6) → task, Social (8) → social, Video → video, Digital
//! (9) and anything else → other (Digital First covers many channels; its
//! sub-type is not mapped).
//!
//! CXone reports no separate talk time, sentiment or interruptions here, so
//! those stay empty.

use serde_json::Value;
use sidecoach_guest::topic_slug;

use crate::bindings::sidecoach::plugin::types::{Agent, Channel, Direction, Event, Interaction};
use crate::input::{Rec, Result, invalid};

/// One completed contact.
pub fn contact(rec: &Rec<'_>) -> Result<Vec<Event>> {
    let external_id = rec.req_id("contactId")?;
    let related_external_ids = match rec.id("masterContactId")? {
        Some(master) if master != external_id && master != "0" => vec![master],
        _ => Vec::new(),
    };
    let agent_vendor_id = rec.id("agentId")?.filter(|id| id != "0");

    let started_at = match rec.timestamp("contactStartDate")? {
        Some(t) => Some(t),
        None => rec.timestamp("contactStart")?,
    };
    let ended_at = match rec.timestamp("contactEndDate")? {
        Some(t) => Some(t),
        None => match (started_at, rec.seconds_as_millis("totalDurationSeconds")?) {
            (Some(start), Some(duration)) => Some(
                i64::try_from(duration)
                    .ok()
                    .and_then(|d| start.checked_add(d))
                    .and_then(sidecoach_guest::time::in_range)
                    .ok_or_else(|| {
                        let field = rec.at("totalDurationSeconds");
                        invalid(field.clone(), format!("`{field}` is too large"))
                    })?,
            ),
            _ => None,
        },
    };

    let queue = match rec.str("skillName")? {
        Some(name) => Some(name.to_string()),
        None => rec.id("skillId")?.filter(|id| id != "0"),
    };
    let wrap_up = match rec.str("primaryDispositionName")? {
        Some(name) => Some(name.to_string()),
        None => rec.id("primaryDispositionId")?.filter(|id| id != "0"),
    };

    let mut events = Vec::new();
    if let Some(agent_id) = &agent_vendor_id {
        let name = [rec.str("firstName")?, rec.str("lastName")?]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let team = rec.str("teamName")?;
        if !name.is_empty() || team.is_some() {
            events.push(Event::Agent(Agent {
                vendor_user_id: agent_id.clone(),
                name: Some(name).filter(|n| !n.is_empty()),
                email: None,
                team: team.map(str::to_string),
                supervisor_vendor_id: None,
            }));
        }
    }
    events.push(Event::Interaction(Interaction {
        external_id,
        agent_vendor_id,
        channel: channel(rec)?,
        direction: direction(rec)?,
        started_at,
        ended_at,
        handle_ms: rec.seconds_as_millis("agentSeconds")?,
        talk_ms: None,
        hold_ms: rec.seconds_as_millis("holdSeconds")?,
        after_work_ms: rec.seconds_as_millis("acwSeconds")?,
        non_talk_ms: None,
        agent_interruptions: None,
        related_external_ids,
        queue,
        topics: topics(rec)?,
        sentiment: None,
        wrap_up,
        updated_at: rec.timestamp("lastUpdateTime")?,
    }));
    Ok(events)
}

/// The channel from `mediaTypeName`, else `mediaTypeId`.
fn channel(rec: &Rec<'_>) -> Result<Channel> {
    if let Some(name) = rec.str("mediaTypeName")? {
        let key: String = name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        return Ok(match key.as_str() {
            "call" | "phonecall" | "phone" | "voice" | "voicemail" => Channel::Voice,
            "chat" => Channel::Chat,
            "email" => Channel::Email,
            "sms" => Channel::Sms,
            "workitem" => Channel::Task,
            "social" => Channel::Social,
            "video" => Channel::Video,
            _ => Channel::Other,
        });
    }
    Ok(match rec.id("mediaTypeId")?.as_deref() {
        Some("1") => Channel::Email,
        Some("3") => Channel::Chat,
        Some("4" | "5") => Channel::Voice,
        Some("6") => Channel::Task,
        Some("7") => Channel::Sms,
        Some("8") => Channel::Social,
        _ => Channel::Other,
    })
}

/// The direction from `isOutbound`, else a `direction` string.
fn direction(rec: &Rec<'_>) -> Result<Direction> {
    if let Some(outbound) = rec.bool("isOutbound")? {
        return Ok(if outbound {
            Direction::Outbound
        } else {
            Direction::Inbound
        });
    }
    Ok(
        match rec
            .str("direction")?
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            _ => Direction::Unknown,
        },
    )
}

/// The contact's tags as topic slugs, without duplicates.
fn topics(rec: &Rec<'_>) -> Result<Vec<String>> {
    let items = match rec.get("tags") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            let field = rec.at("tags");
            return Err(invalid(
                field.clone(),
                format!(
                    "`{field}` must be an array of tags, not {}",
                    crate::input::describe(other)
                ),
            ));
        }
    };
    let mut topics: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", rec.at("tags"));
        let raw = match item {
            Value::String(s) => Some(s.as_str()),
            Value::Object(_) => {
                let tag = Rec::new(item, path.clone())?;
                match tag.str("tagName")? {
                    Some(name) => Some(name),
                    None => match tag.str("TagName")? {
                        Some(name) => Some(name),
                        None => tag.str("name")?,
                    },
                }
            }
            other => {
                return Err(invalid(
                    path.clone(),
                    format!(
                        "`{path}` must be a tag name or a tag object, not {}",
                        crate::input::describe(other)
                    ),
                ));
            }
        };
        if let Some(slug) = raw.and_then(topic_slug)
            && !topics.contains(&slug)
        {
            topics.push(slug);
        }
    }
    Ok(topics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The interaction, which comes last among a contact's events.
    fn interaction(events: &[Event]) -> &Interaction {
        match events.last() {
            Some(Event::Interaction(i)) => i,
            other => panic!("{other:?}"),
        }
    }

    /// Older field names, ids instead of names, string booleans and tag objects.
    #[test]
    fn older_and_sparser_shapes() {
        let v = json!({
            "contactId": "77", "masterContactId": "70", "agentId": 0,
            "contactStart": "2024-05-01T10:00:00Z", "contactEndDate": "2024-05-01T10:05:00Z",
            "totalDurationSeconds": 9999, "mediaTypeId": 6, "isOutbound": "True",
            "skillId": 12, "primaryDispositionId": "2896",
            "tags": ["Billing Issue", {"tagName": "billing_issue"}, {"TagName": "VIP"}, " "]
        });
        let events = contact(&Rec::new(&v, "contacts[0]").unwrap()).unwrap();
        assert_eq!(events.len(), 1, "no agent, no agent event");
        let i = interaction(&events);
        assert_eq!(i.external_id, "77");
        assert_eq!(i.related_external_ids, vec!["70".to_string()]);
        assert_eq!(i.agent_vendor_id, None);
        assert_eq!(i.channel, Channel::Task);
        assert_eq!(i.direction, Direction::Outbound);
        assert_eq!(i.started_at, Some(1_714_557_600_000));
        // contactEndDate wins over start + totalDurationSeconds.
        assert_eq!(i.ended_at, Some(1_714_557_900_000));
        assert_eq!(i.queue.as_deref(), Some("12"));
        assert_eq!(i.wrap_up.as_deref(), Some("2896"));
        assert_eq!(
            i.topics,
            vec!["billing-issue".to_string(), "vip".to_string()]
        );
    }

    /// Media type names in CXone's spellings.
    #[test]
    fn media_type_names() {
        for (name, expected) in [
            ("Phone Call", Channel::Voice),
            ("Voice Mail", Channel::Voice),
            ("Chat", Channel::Chat),
            ("EMAIL", Channel::Email),
            ("SMS", Channel::Sms),
            ("Work Item", Channel::Task),
            ("Social", Channel::Social),
            ("Digital", Channel::Other),
        ] {
            let v = json!({"mediaTypeName": name});
            assert_eq!(
                channel(&Rec::new(&v, "").unwrap()).unwrap(),
                expected,
                "{name}"
            );
        }
    }

    /// Bad values and missing ids name their dotted path.
    #[test]
    fn bad_values_name_the_field() {
        let v = json!({"contactId": 1, "holdSeconds": "forty"});
        let e = contact(&Rec::new(&v, "contacts[3]").unwrap()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("contacts[3].holdSeconds"));
        assert!(
            e.message.contains("seconds") && e.message.contains("forty"),
            "{}",
            e.message
        );
        let v = json!({"contactId": 1, "tags": [1]});
        let e = contact(&Rec::new(&v, "").unwrap()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tags[0]"));
        let v = json!({"agentId": 5});
        let e = contact(&Rec::new(&v, "[2]").unwrap()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("[2].contactId"));
        let v = json!({"contactId": 1.5});
        assert!(contact(&Rec::new(&v, "").unwrap()).is_err());
    }

    /// Fuzz findings (plugins/fuzz), minimized: times past the year 9999
    /// were emitted, from an epoch number (`contactStart`, `lastUpdateTime`)
    /// or from a start plus a duration that reaches past it.
    #[test]
    fn times_past_the_year_9999_are_errors() {
        for (v, field) in [
            (
                json!({"contactId": 9, "contactStart": "2", "totalDurationSeconds": "714558500000"}),
                "totalDurationSeconds",
            ),
            (
                json!({"contactId": 2, "contactStart": 316992310347105_i64}),
                "contactStart",
            ),
            (
                json!({"contactId": 9, "lastUpdateTime": 1e30}),
                "lastUpdateTime",
            ),
        ] {
            let e = contact(&Rec::new(&v, "").unwrap()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{v}: {}", e.message);
        }
    }
}
