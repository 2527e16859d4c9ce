//! [`Invalid`]: a record that fails its own rules, naming the field — the
//! checks that need nothing but the record itself live on the model types
//! ([`super::Form::validate`], [`super::Agent::validate`],
//! [`super::Team::validate`]); checks against other records (does the team
//! exist?) stay in the records services.

/// The last millisecond of year 9999: the latest time any record holds.
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// The largest magnitude of a rating scale's ends or a QA criterion's
/// scale and weight: far above any survey's (0–10, 1–5, 0–100) or form's,
/// and small enough that sums and means over millions stay exact enough.
pub const MAX_SCALE: f64 = 1_000_000.0;

/// A field that breaks its record's own rules.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The field at fault, as a JSON path (`sections[0].criteria[2].weight`).
    pub field: String,
    /// Why.
    pub message: String,
}

impl Invalid {
    /// A new refusal.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Refuse a number that is not finite or lies outside `lo..=hi`.
    pub fn within(field: &str, v: f64, lo: f64, hi: f64) -> Result<(), Invalid> {
        Invalid::finite(field, v)?;
        if (lo..=hi).contains(&v) {
            Ok(())
        } else {
            Err(Invalid::new(field, format!("{v} is outside {lo}..={hi}")))
        }
    }

    /// Refuse a time before the epoch or after year 9999.
    pub fn time(field: &str, ms: i64) -> Result<(), Invalid> {
        if (0..=MAX_TIME_MS).contains(&ms) {
            Ok(())
        } else {
            Err(Invalid::new(
                field,
                format!("{ms} is not a time this host accepts (from 1970 to the end of year 9999)"),
            ))
        }
    }

    /// Refuse a number that is not finite.
    pub fn finite(field: &str, v: f64) -> Result<(), Invalid> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(Invalid::new(field, "must be a finite number"))
        }
    }
}
