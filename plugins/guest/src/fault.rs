//! Errors in plain Rust: what the shared helpers return and what every
//! adapter turns into its own WIT `plugin-error` with [`crate::plugin_errors!`]
//! (each guest generates its own bindings, so the WIT type is not nameable
//! here).

/// The `error-code`s an adapter uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The input could not be parsed or failed validation.
    InvalidInput,
    /// Well-formed input this adapter does not handle.
    Unsupported,
    /// A signed request failed verification.
    SignatureInvalid,
    /// A source-config key is missing or malformed.
    ConfigInvalid,
}

/// An error about one field of a request (or of the source config).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What kind.
    pub code: Code,
    /// Explanation for operators.
    pub message: String,
    /// The field at fault, as a dotted path (or the config key).
    pub field: Option<String>,
}

fn at(code: Code, field: impl Into<String>, message: impl Into<String>) -> Fault {
    Fault {
        code,
        message: message.into(),
        field: Some(field.into()),
    }
}

/// `invalid-input` at `field`.
pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Fault {
    at(Code::InvalidInput, field, message)
}

/// `unsupported` at `field`.
pub fn unsupported(field: impl Into<String>, message: impl Into<String>) -> Fault {
    at(Code::Unsupported, field, message)
}

/// `config-invalid` naming the source-config `key`.
pub fn config(key: &str, message: impl Into<String>) -> Fault {
    at(Code::ConfigInvalid, key, message)
}

/// `signature-invalid` at `field`.
pub fn signature(field: impl Into<String>, message: impl Into<String>) -> Fault {
    at(Code::SignatureInvalid, field, message)
}

/// `invalid-input` for JSON that does not parse, naming line and column.
pub fn bad_json(field: &str, what: &str, e: &serde_json::Error) -> Fault {
    let kind = match e.classify() {
        serde_json::error::Category::Eof => "it ends too early (truncated?)",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    };
    // serde_json's message ends with "at line L column C".
    invalid(field, format!("{what} is not valid JSON ({kind}): {e}"))
}

/// In an adapter crate: `From<Fault>` for its WIT `PluginError`, and the
/// constructors (`invalid`, `unsupported`, `config`, `signature`,
/// `bad_json`) returning that `PluginError`. Give it the path of the
/// crate's generated `types` module:
///
/// ```ignore
/// mod errors {
///     sidecoach_guest::plugin_errors!(crate::bindings::sidecoach::plugin::types);
/// }
/// ```
#[macro_export]
macro_rules! plugin_errors {
    ($types:path) => {
        use $types as wit_types;

        impl From<$crate::fault::Fault> for wit_types::PluginError {
            fn from(f: $crate::fault::Fault) -> Self {
                wit_types::PluginError {
                    code: match f.code {
                        $crate::fault::Code::InvalidInput => wit_types::ErrorCode::InvalidInput,
                        $crate::fault::Code::Unsupported => wit_types::ErrorCode::Unsupported,
                        $crate::fault::Code::SignatureInvalid => {
                            wit_types::ErrorCode::SignatureInvalid
                        }
                        $crate::fault::Code::ConfigInvalid => wit_types::ErrorCode::ConfigInvalid,
                    },
                    message: f.message,
                    field: f.field,
                }
            }
        }

        /// `invalid-input` at `field`.
        #[allow(dead_code, reason = "not every adapter uses every constructor")]
        pub fn invalid(
            field: impl Into<String>,
            message: impl Into<String>,
        ) -> wit_types::PluginError {
            $crate::fault::invalid(field, message).into()
        }

        /// `unsupported` at `field`.
        #[allow(dead_code, reason = "not every adapter uses every constructor")]
        pub fn unsupported(
            field: impl Into<String>,
            message: impl Into<String>,
        ) -> wit_types::PluginError {
            $crate::fault::unsupported(field, message).into()
        }

        /// `config-invalid` naming the source-config `key`.
        #[allow(dead_code, reason = "not every adapter uses every constructor")]
        pub fn config(key: &str, message: impl Into<String>) -> wit_types::PluginError {
            $crate::fault::config(key, message).into()
        }

        /// `signature-invalid` at `field`.
        #[allow(dead_code, reason = "not every adapter uses every constructor")]
        pub fn signature(
            field: impl Into<String>,
            message: impl Into<String>,
        ) -> wit_types::PluginError {
            $crate::fault::signature(field, message).into()
        }

        /// `invalid-input` for JSON that does not parse, naming line and column.
        #[allow(dead_code, reason = "not every adapter uses every constructor")]
        pub fn bad_json(field: &str, what: &str, e: &serde_json::Error) -> wit_types::PluginError {
            $crate::fault::bad_json(field, what, e).into()
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_name_the_field_and_json_errors_say_where() {
        assert_eq!(config("auth_token", "missing").code, Code::ConfigInvalid);
        assert_eq!(signature("x-sig", "bad").field.as_deref(), Some("x-sig"));
        let e = serde_json::from_str::<serde_json::Value>("{\"a\":").unwrap_err();
        let f = bad_json("body", "the body", &e);
        assert_eq!(f.code, Code::InvalidInput);
        assert!(
            f.message.contains("truncated") && f.message.contains("line 1"),
            "{}",
            f.message
        );
    }
}
