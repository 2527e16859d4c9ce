//! Timestamps: vendors send ISO 8601 / RFC 3339 strings ("2019-08-14T21:51:26Z",
//! "2023-05-01T10:00:00.123+02:00", "2023-05-01 10:00:00"), epoch seconds or
//! epoch milliseconds. Everything becomes milliseconds since the Unix epoch, UTC.

/// The earliest time an adapter emits: 0000-01-01T00:00:00Z, the first
/// instant a four-digit ISO 8601 year can write.
pub const MIN_MS: i64 = -62_167_219_200_000;
/// The latest time an adapter emits: 9999-12-31T23:59:59.999Z.
pub const MAX_MS: i64 = 253_402_300_799_999;
/// The longest duration an adapter emits, in milliseconds (under 2^53, so
/// exact as a JSON number; about 285,000 years).
pub const MAX_DURATION_MS: u64 = 9_000_000_000_000_000;

/// `ms` when it lies within [`MIN_MS`]..=[`MAX_MS`]: a time that can be
/// written back as ISO 8601 (epoch numbers and zone offsets can reach past it).
pub fn in_range(ms: i64) -> Option<i64> {
    (MIN_MS..=MAX_MS).contains(&ms).then_some(ms)
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &str, from: usize, len: usize) -> Option<u32> {
    let part = s.get(from..from + len)?;
    if !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// Parse an ISO 8601 / RFC 3339 date-time into epoch milliseconds.
///
/// Accepts `T` or a space between date and time, optional seconds fraction
/// (any number of digits, truncated to milliseconds), and `Z`, `±HH:MM`,
/// `±HHMM` or no zone (read as UTC). A bare date (`2023-05-01`) is midnight UTC.
pub fn parse_iso8601_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let year = i64::from(digits(s, 0, 4)?);
    if s.as_bytes().get(4) != Some(&b'-') || s.as_bytes().get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if s.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(s, 11, 2)?;
    if s.as_bytes().get(13) != Some(&b':') {
        return None;
    }
    let minute = digits(s, 14, 2)?;
    let (second, mut rest) = if s.as_bytes().get(16) == Some(&b':') {
        (digits(s, 17, 2)?, &s[19..])
    } else {
        (0, &s[16..])
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut millis = 0i64;
    if let Some(frac) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(',')) {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let mut ms = frac[..n.min(3)].to_string();
        while ms.len() < 3 {
            ms.push('0');
        }
        millis = ms.parse().ok()?;
        rest = &frac[n..];
    }
    let offset_minutes: i64 = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = rest[1..].replace(':', "");
            if zone.len() != 4 && zone.len() != 2 {
                return None;
            }
            let h = i64::from(digits(&zone, 0, 2)?);
            let m = if zone.len() == 4 {
                i64::from(digits(&zone, 2, 2)?)
            } else {
                0
            };
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    let seconds = days * 86_400
        + i64::from(hour) * 3_600
        + i64::from(minute) * 60
        + i64::from(second.min(59))
        - offset_minutes * 60;
    in_range(seconds * 1_000 + millis)
}

/// A number read as epoch time: values under 10^11 are seconds, larger ones
/// milliseconds (10^11 s is the year 5138; 10^11 ms is March 1973). Past
/// [`MAX_MS`] it is no time at all.
pub fn epoch_number_ms(n: f64) -> Option<i64> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ms = if n < 1e11 { n * 1_000.0 } else { n };
    // The range check before the cast: `as` would saturate, not fail.
    (ms <= MAX_MS as f64).then(|| ms.round() as i64)
}

/// A timestamp given either as an ISO 8601 string or as epoch digits.
pub fn parse_any_ms(s: &str) -> Option<i64> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return epoch_number_ms(t.parse().ok()?);
    }
    parse_iso8601_ms(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_forms() {
        assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso8601_ms("2019-08-14T21:51:26Z"),
            Some(1_565_819_486_000)
        );
        assert_eq!(
            parse_iso8601_ms("2019-08-14T21:51:26.123456Z"),
            Some(1_565_819_486_123)
        );
        assert_eq!(
            parse_iso8601_ms("2019-08-14 21:51:26"),
            Some(1_565_819_486_000)
        );
        assert_eq!(
            parse_iso8601_ms("2019-08-14T21:51Z"),
            Some(1_565_819_460_000)
        );
        assert_eq!(parse_iso8601_ms("2019-08-14"), Some(1_565_740_800_000));
        // Leap day.
        assert_eq!(
            parse_iso8601_ms("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000)
        );
    }

    #[test]
    fn offsets() {
        let utc = parse_iso8601_ms("2023-05-01T08:00:00Z");
        assert_eq!(parse_iso8601_ms("2023-05-01T10:00:00+02:00"), utc);
        assert_eq!(parse_iso8601_ms("2023-05-01T10:00:00+0200"), utc);
        assert_eq!(parse_iso8601_ms("2023-05-01T03:00:00-05"), utc);
    }

    #[test]
    fn rejects_junk() {
        for bad in [
            "",
            "yesterday",
            "2023-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-05-01T24:00:00Z",
            "2023-05-01T10:00:00+25:00",
            "2023-05-01X10:00:00Z",
            "2023-05-01T10:00:00.Z",
            "2023-05-01T10:00:00 UTC",
        ] {
            assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn epoch_numbers() {
        assert_eq!(parse_any_ms("1565819486"), Some(1_565_819_486_000));
        assert_eq!(parse_any_ms("1565819486123"), Some(1_565_819_486_123));
        assert_eq!(
            parse_any_ms("2019-08-14T21:51:26Z"),
            Some(1_565_819_486_000)
        );
        assert_eq!(epoch_number_ms(-1.0), None);
    }

    /// Fuzz findings (plugins/fuzz): epoch numbers past the year 9999 came
    /// out as times (`1e15` ms is the year 33658; `1e300` saturated to
    /// `i64::MAX`), and zone offsets could push a year-0000 time before it.
    #[test]
    fn times_past_what_iso_8601_can_write_are_refused() {
        assert_eq!(parse_any_ms("1000000000000000"), None);
        assert_eq!(epoch_number_ms(1e300), None);
        assert_eq!(epoch_number_ms(MAX_MS as f64), Some(MAX_MS));
        assert_eq!(parse_iso8601_ms("9999-12-31T23:59:59.999Z"), Some(MAX_MS));
        assert_eq!(parse_iso8601_ms("9999-12-31T23:59:59-01:00"), None);
        assert_eq!(parse_iso8601_ms("0000-01-01T00:00:00Z"), Some(MIN_MS));
        assert_eq!(parse_iso8601_ms("0000-01-01T00:00:00+01:00"), None);
        assert_eq!(in_range(MIN_MS - 1), None);
    }
}
