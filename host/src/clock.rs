//! The crate's clock, its one way of reading and writing times as text,
//! and the content digest: helpers every layer uses, kept below all of them
//! so that none has to import another layer (the runtime, say) just to read
//! the time or hash a payload.
//!
//! Times are milliseconds since the Unix epoch everywhere inside the host
//! ([`crate::model::TimestampMs`]); as text they are RFC 3339 (ISO 8601
//! with a zone), parsed and written by `jiff` rather than by hand.

use sha2::{Digest, Sha256};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A time given as text: epoch milliseconds (`"1796634000000"`) or RFC 3339
/// / ISO 8601 with `Z` or a numeric offset (`"2026-12-07T09:00:00Z"`,
/// `"2026-12-07T10:00:00.250+01:00"`). A time without a zone is refused:
/// the host cannot know which one was meant.
pub fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    let at: jiff::Timestamp = text.parse().ok()?;
    Some(at.as_millisecond())
}

/// Epoch milliseconds as RFC 3339 in UTC (`"2026-12-07T09:00:00Z"`, with
/// the fraction only when there is one: `"…:00.25Z"`); `None` outside the
/// years −9999..=9999.
pub fn iso8601(ms: i64) -> Option<String> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_string())
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_from_epoch_ms_or_rfc_3339_with_any_offset() {
        let nine = 1_796_634_000_000;
        assert_eq!(parse_time("1796634000000"), Some(nine));
        assert_eq!(parse_time("2026-12-07T09:00:00Z"), Some(nine));
        assert_eq!(parse_time("2026-12-07T10:00:00+01:00"), Some(nine));
        assert_eq!(parse_time("2026-12-07T04:00:00-05:00"), Some(nine));
        assert_eq!(parse_time("2026-12-07T09:00:00.250Z"), Some(nine + 250));
        assert_eq!(parse_time("2026-12-07T09:00:00"), None, "a zone is needed");
        assert_eq!(parse_time("2026-02-30T09:00:00Z"), None, "no such day");
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn times_are_written_as_rfc_3339_in_utc() {
        assert_eq!(
            iso8601(1_796_634_000_000).as_deref(),
            Some("2026-12-07T09:00:00Z")
        );
        assert_eq!(
            iso8601(1_796_634_000_250).as_deref(),
            Some("2026-12-07T09:00:00.25Z")
        );
        assert_eq!(iso8601(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(iso8601(i64::MAX), None);
        for ms in [-86_400_001, 0, 1, 1_796_634_000_123] {
            assert_eq!(parse_time(&iso8601(ms).unwrap()), Some(ms));
        }
    }
}
