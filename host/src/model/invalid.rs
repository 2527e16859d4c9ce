//! [`Invalid`]: a record that fails its own rules, naming the field — the
//! checks that need nothing but the record itself live on the model types
//! ([`super::Form::validate`], [`super::Agent::validate`],
//! [`super::Team::validate`]); checks against other records (does the team
//! exist?) stay in the records services.

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

    /// Refuse a number that is not finite.
    pub fn finite(field: &str, v: f64) -> Result<(), Invalid> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(Invalid::new(field, "must be a finite number"))
        }
    }
}
