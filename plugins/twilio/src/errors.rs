//! Constructors for the plugin errors this adapter returns.

use crate::bindings::sidecoach::plugin::types::{ErrorCode, PluginError};

/// `invalid-input` at `field`.
pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::InvalidInput,
        message: message.into(),
        field: Some(field.into()),
    }
}

/// `unsupported` at `field`.
pub fn unsupported(field: impl Into<String>, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::Unsupported,
        message: message.into(),
        field: Some(field.into()),
    }
}

/// `config-invalid` naming the source-config `key`.
pub fn config(key: &str, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::ConfigInvalid,
        message: message.into(),
        field: Some(key.into()),
    }
}

/// `signature-invalid` at `field`.
pub fn signature(field: impl Into<String>, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::SignatureInvalid,
        message: message.into(),
        field: Some(field.into()),
    }
}

/// `invalid-input` for JSON that does not parse, naming line and column.
pub fn bad_json(field: &str, what: &str, e: &serde_json::Error) -> PluginError {
    let kind = match e.classify() {
        serde_json::error::Category::Eof => "it ends too early (truncated?)",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    };
    invalid(
        field,
        // serde_json's message ends with "at line L column C".
        format!("{what} is not valid JSON ({kind}): {e}"),
    )
}
