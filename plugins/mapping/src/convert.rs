//! Turning one source value (always seen as text: a CSV cell, a form
//! parameter, a JSON scalar printed as JSON prints it) into a normalized
//! field's type: durations with units, timestamps with an optional zone for
//! naive local times, numbers, flags, and the vendor-to-normalized value maps
//! for `channel`, `direction` and `kind`.

use crate::bindings::sidecoach::plugin::types::{Channel, Direction, RatingKind};

/// A unit a source gives durations in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
    /// Minutes.
    Min,
    /// Hours.
    H,
}

impl Unit {
    /// Parses a `unit.<field>` value.
    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "ms" | "millis" | "milliseconds" => Unit::Ms,
            "s" | "sec" | "secs" | "seconds" => Unit::S,
            "min" | "mins" | "minutes" => Unit::Min,
            "h" | "hr" | "hours" => Unit::H,
            _ => return None,
        })
    }

    /// Milliseconds in one of this unit.
    pub fn ms(self) -> f64 {
        match self {
            Unit::Ms => 1.0,
            Unit::S => 1_000.0,
            Unit::Min => 60_000.0,
            Unit::H => 3_600_000.0,
        }
    }

    /// The unit's name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Ms => "milliseconds",
            Unit::S => "seconds",
            Unit::Min => "minutes",
            Unit::H => "hours",
        }
    }
}

/// A duration in milliseconds: `h:mm:ss` / `mm:ss` (seconds may have a
/// fraction; the unit does not apply), or a non-negative number in `unit`;
/// at most `sidecoach_guest::time::MAX_DURATION_MS`.
pub fn duration_ms(text: &str, unit: Unit) -> Result<f64, String> {
    let ms = unbounded_duration_ms(text, unit)?;
    if ms > sidecoach_guest::time::MAX_DURATION_MS as f64 {
        return Err(format!(
            "`{}` is longer than any duration ({} ms at most)",
            text.trim(),
            sidecoach_guest::time::MAX_DURATION_MS
        ));
    }
    Ok(ms)
}

/// [`duration_ms`] before its upper bound.
fn unbounded_duration_ms(text: &str, unit: Unit) -> Result<f64, String> {
    let t = text.trim();
    if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        if parts.len() > 3 {
            return Err(format!("`{t}` is not a duration (h:mm:ss)"));
        }
        let mut ms = 0.0;
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let ok = !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (last && b == b'.'));
            let n: f64 = part
                .parse()
                .ok()
                .filter(|_| ok)
                .ok_or_else(|| format!("`{t}` is not a duration (h:mm:ss)"))?;
            ms = ms * 60.0 + n;
        }
        return Ok(ms * 1_000.0);
    }
    match number(t) {
        Some(n) if n >= 0.0 => Ok(n * unit.ms()),
        Some(_) => Err(format!("`{t}` is negative; a duration cannot be")),
        None => Err(format!(
            "`{t}` is not a duration (a number of {} or h:mm:ss)",
            unit.name()
        )),
    }
}

/// A finite number (`4`, `-1.5`, `1e3`).
pub fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A non-negative whole number that fits in 32 bits (`3`, `3.0`).
pub fn count(text: &str) -> Result<u32, String> {
    match number(text) {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Ok(n as u32),
        _ => Err(format!("`{}` is not a whole number", text.trim())),
    }
}

/// A yes/no value: `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0`.
pub fn flag(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        t => Err(format!("`{t}` is not true/false, yes/no or 1/0")),
    }
}

/// Parses a `time_zone_offset` option (`-05:00`, `+0530`, `+02`, `Z`,
/// `UTC`) into the suffix appended to naive local times (`-05:00`).
pub fn zone_suffix(s: &str) -> Option<String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Some("Z".into());
    }
    let suffix = t.to_string();
    // Valid exactly when it completes a naive time.
    sidecoach_guest::time::parse_iso8601_ms(&format!("2000-01-01T00:00:00{suffix}"))
        .map(|_| suffix)
        .filter(|s| s.starts_with(['+', '-']))
}

/// A timestamp in epoch milliseconds: ISO 8601 (a time without a zone is read
/// in `zone`, UTC when `None`) or epoch seconds / milliseconds.
pub fn timestamp_ms(text: &str, zone: Option<&str>) -> Result<i64, String> {
    let t = text.trim();
    let digits = t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if let (Some(zone), false) = (zone, digits) {
        let naive = if t.len() == 10 {
            format!("{t}T00:00:00{zone}")
        } else {
            format!("{t}{zone}")
        };
        if let Some(ms) = sidecoach_guest::time::parse_iso8601_ms(&naive) {
            return Ok(ms);
        }
    }
    sidecoach_guest::time::parse_any_ms(t).ok_or_else(|| {
        format!("`{t}` is not a timestamp (ISO 8601 such as 2024-05-01T10:00:00Z, or epoch seconds / milliseconds)")
    })
}

/// A vendor value reduced for comparison: lower-case letters and digits only
/// (`"Web Chat"`, `"web_chat"` → `"webchat"`).
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || *c == '*')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A normalized field whose value is one of a fixed set of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumField {
    /// `channel`.
    Channel,
    /// `direction`.
    Direction,
    /// A feedback's `kind`.
    Kind,
}

impl EnumField {
    /// The normalized names, for messages.
    pub fn names(self) -> &'static str {
        match self {
            EnumField::Channel => "voice, chat, email, sms, video, social, task, other",
            EnumField::Direction => "inbound, outbound, internal, unknown",
            EnumField::Kind => "csat, nps, ces, custom",
        }
    }

    /// The value a vendor value maps to when neither `values.<field>.<value>`
    /// nor the built-in table knows it, nor a `values.<field>.*` is set.
    pub fn fallback(self) -> Enum {
        match self {
            EnumField::Channel => Enum::Channel(Channel::Other),
            EnumField::Direction => Enum::Direction(Direction::Unknown),
            EnumField::Kind => Enum::Kind(RatingKind::Custom),
        }
    }

    /// A normalized name (as written in `values.*` or `const.*`).
    pub fn parse_name(self, s: &str) -> Option<Enum> {
        let t = s.trim().to_ascii_lowercase();
        Some(match self {
            EnumField::Channel => Enum::Channel(match t.as_str() {
                "voice" => Channel::Voice,
                "chat" => Channel::Chat,
                "email" => Channel::Email,
                "sms" => Channel::Sms,
                "video" => Channel::Video,
                "social" => Channel::Social,
                "task" => Channel::Task,
                "other" => Channel::Other,
                _ => return None,
            }),
            EnumField::Direction => Enum::Direction(match t.as_str() {
                "inbound" => Direction::Inbound,
                "outbound" => Direction::Outbound,
                "internal" => Direction::Internal,
                "unknown" => Direction::Unknown,
                _ => return None,
            }),
            EnumField::Kind => Enum::Kind(match t.as_str() {
                "csat" => RatingKind::Csat,
                "nps" => RatingKind::Nps,
                "ces" => RatingKind::Ces,
                "custom" => RatingKind::Custom,
                _ => return None,
            }),
        })
    }

    /// The built-in reading of a folded vendor value.
    pub fn builtin(self, folded: &str) -> Option<Enum> {
        let name = match self {
            EnumField::Channel => match folded {
                "voice" | "phone" | "call" | "calls" | "telephony" | "audio" | "pstn" => "voice",
                "chat" | "webchat" | "livechat" | "messaging" | "webmessaging" | "im" => "chat",
                "email" | "mail" => "email",
                "sms" | "text" | "texting" | "txt" | "mms" => "sms",
                "video" | "videocall" => "video",
                "social" | "facebook" | "messenger" | "twitter" | "instagram" | "whatsapp" => {
                    "social"
                }
                "task" | "backoffice" | "workitem" | "case" => "task",
                "other" => "other",
                _ => return None,
            },
            EnumField::Direction => match folded {
                "inbound" | "in" | "incoming" | "ib" => "inbound",
                "outbound" | "out" | "outgoing" | "ob" | "manual" | "preview" | "predictive"
                | "progressive" | "autodial" | "callback" => "outbound",
                "internal" | "transfer" | "consult" | "agent" => "internal",
                "unknown" => "unknown",
                _ => return None,
            },
            EnumField::Kind => match folded {
                "csat" | "satisfaction" => "csat",
                "nps" | "netpromoter" | "netpromoterscore" => "nps",
                "ces" | "effort" | "customereffort" => "ces",
                "custom" => "custom",
                _ => return None,
            },
        };
        self.parse_name(name)
    }
}

/// A value of one of the [`EnumField`]s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Enum {
    /// A channel.
    Channel(Channel),
    /// A direction.
    Direction(Direction),
    /// A rating kind.
    Kind(RatingKind),
}

/// An operator's `values.<field>.<vendor value> = <normalized>` entries for
/// one field, vendor values folded.
#[derive(Debug, Clone, Default)]
pub struct ValueMap {
    /// Folded vendor value → normalized value; `*` is the catch-all.
    pub entries: Vec<(String, Enum)>,
}

impl ValueMap {
    /// Reads a vendor value: the operator's entry, else the built-in table,
    /// else the operator's `*`, else the field's fallback.
    pub fn read(&self, field: EnumField, vendor: &str) -> Enum {
        let folded = fold(vendor);
        let entry = |key: &str| self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        entry(&folded)
            .or_else(|| field.builtin(&folded))
            .or_else(|| entry("*"))
            .unwrap_or_else(|| field.fallback())
    }
}

/// Splits a list value on `,`, `;` or `|`, trimming and dropping empties.
pub fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Unit tests.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_ms("90", Unit::S), Ok(90_000.0));
        assert_eq!(duration_ms("1.5", Unit::Min), Ok(90_000.0));
        assert_eq!(duration_ms(" 250 ", Unit::Ms), Ok(250.0));
        assert_eq!(duration_ms("1", Unit::H), Ok(3_600_000.0));
        assert_eq!(duration_ms("00:05:23", Unit::Ms), Ok(323_000.0));
        assert_eq!(duration_ms("5:23.5", Unit::S), Ok(323_500.0));
        assert!(duration_ms("1:00:00:00", Unit::S).is_err());
        assert!(duration_ms("abc", Unit::S).unwrap_err().contains("seconds"));
        assert!(duration_ms("-3", Unit::S).unwrap_err().contains("negative"));
        assert!(duration_ms("1:-2", Unit::S).is_err());
        assert!(duration_ms("1.5:00", Unit::S).is_err());
    }

    #[test]
    fn numbers_counts_flags() {
        assert_eq!(number(" 4.5 "), Some(4.5));
        assert_eq!(number("NaN"), None);
        assert_eq!(count("3"), Ok(3));
        assert_eq!(count("3.0"), Ok(3));
        assert!(count("3.5").is_err());
        assert!(count("-1").is_err());
        assert_eq!(flag("Yes"), Ok(true));
        assert_eq!(flag("0"), Ok(false));
        assert!(flag("maybe").is_err());
    }

    #[test]
    fn timestamps_and_zones() {
        assert_eq!(zone_suffix("-05:00").as_deref(), Some("-05:00"));
        assert_eq!(zone_suffix("+0530").as_deref(), Some("+0530"));
        assert_eq!(zone_suffix("utc").as_deref(), Some("Z"));
        assert_eq!(zone_suffix("EST"), None);
        assert_eq!(zone_suffix("05:00"), None);
        let utc = timestamp_ms("2024-05-01T15:00:00Z", None).unwrap();
        assert_eq!(timestamp_ms("2024-05-01 10:00:00", Some("-05:00")), Ok(utc));
        // An explicit zone wins over the configured one.
        assert_eq!(
            timestamp_ms("2024-05-01T15:00:00Z", Some("-05:00")),
            Ok(utc)
        );
        assert_eq!(
            timestamp_ms("2024-05-01T17:00:00+02:00", Some("-05:00")),
            Ok(utc)
        );
        assert_eq!(
            timestamp_ms("2024-05-01", Some("-05:00")),
            Ok(utc - 10 * 3_600_000)
        );
        assert_eq!(timestamp_ms("1714575600", Some("-05:00")), Ok(utc));
        assert_eq!(timestamp_ms("1714575600000", None), Ok(utc));
        assert!(timestamp_ms("yesterday", None).is_err());
    }

    #[test]
    fn value_maps() {
        let mut map = ValueMap::default();
        assert_eq!(
            map.read(EnumField::Channel, "PHONE"),
            Enum::Channel(Channel::Voice)
        );
        assert_eq!(
            map.read(EnumField::Channel, "Web Chat"),
            Enum::Channel(Channel::Chat)
        );
        assert_eq!(
            map.read(EnumField::Channel, "carrier pigeon"),
            Enum::Channel(Channel::Other)
        );
        assert_eq!(
            map.read(EnumField::Direction, "Manual"),
            Enum::Direction(Direction::Outbound)
        );
        map.entries
            .push((fold("Carrier Pigeon"), Enum::Channel(Channel::Task)));
        map.entries
            .push(("*".into(), Enum::Channel(Channel::Voice)));
        assert_eq!(
            map.read(EnumField::Channel, "carrier_pigeon"),
            Enum::Channel(Channel::Task)
        );
        assert_eq!(
            map.read(EnumField::Channel, "smoke signal"),
            Enum::Channel(Channel::Voice)
        );
        assert_eq!(
            map.read(EnumField::Channel, "email"),
            Enum::Channel(Channel::Email)
        );
        assert_eq!(
            EnumField::Kind.parse_name("NPS"),
            Some(Enum::Kind(RatingKind::Nps))
        );
        assert_eq!(EnumField::Kind.parse_name("stars"), None);
    }

    #[test]
    fn lists_split_on_any_separator() {
        assert_eq!(
            split_list(" a, b;c | |d ").collect::<Vec<_>>(),
            vec!["a", "b", "c", "d"]
        );
    }
}
