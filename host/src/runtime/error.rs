//! Runtime errors: what went wrong with a plugin, typed so callers can branch
//! and every message names the plugin.

use crate::model::{Capability, PluginKind};

/// A failure to install, load or call a plugin.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// No plugin with this id is installed.
    #[error("plugin '{id}' is not installed")]
    NotFound {
        /// Plugin id.
        id: String,
    },
    /// The requested version is not installed.
    #[error("plugin '{id}' has no installed version {version}")]
    VersionNotFound {
        /// Plugin id.
        id: String,
        /// Version.
        version: String,
    },
    /// An operator disabled the plugin.
    #[error("plugin '{id}' is disabled")]
    Disabled {
        /// Plugin id.
        id: String,
    },
    /// The circuit breaker holds the plugin off until it is re-enabled.
    #[error(
        "plugin '{id}' is tripped off after {failures} consecutive failures (last: {last_error}); re-enable it to resume"
    )]
    Tripped {
        /// Plugin id.
        id: String,
        /// Consecutive failures.
        failures: u32,
        /// The last failure.
        last_error: String,
    },
    /// The plugin is a different kind than the caller needs.
    #[error("plugin '{id}' is a {actual}, not a {expected}")]
    WrongKind {
        /// Plugin id.
        id: String,
        /// Needed kind.
        expected: PluginKind,
        /// Its kind.
        actual: PluginKind,
    },
    /// Every call slot stayed busy for the whole queue wait.
    #[error(
        "plugin '{id}' is busy: all {max_concurrency} call slots stayed taken for {waited_ms} ms; retry later"
    )]
    Busy {
        /// Plugin id.
        id: String,
        /// Its concurrency limit.
        max_concurrency: u32,
        /// How long the caller waited.
        waited_ms: u64,
    },
    /// The input is larger than the plugin's limit.
    #[error("input to plugin '{id}' is {size} bytes, over its limit of {limit}")]
    InputTooLarge {
        /// Plugin id.
        id: String,
        /// Input size.
        size: u64,
        /// Limit.
        limit: u64,
    },
    /// The plugin returned (or passed to a host call) more than its output
    /// limit.
    #[error(
        "plugin '{id}' returned {}, over its output limit of {limit} bytes; the output was discarded",
        size.map_or("more".to_string(), |n| format!("about {n} bytes"))
    )]
    OutputTooLarge {
        /// Output size, when it was measured; `None` when the output was
        /// refused while being lifted, before all of it was counted.
        size: Option<u64>,
        /// Plugin id.
        id: String,
        /// Limit.
        limit: u64,
    },
    /// The call ran past its wall-clock deadline and was interrupted.
    #[error("plugin '{id}' exceeded its deadline of {deadline_ms} ms and was stopped")]
    Timeout {
        /// Plugin id.
        id: String,
        /// Deadline.
        deadline_ms: u64,
    },
    /// The plugin tried to grow memory past its cap.
    #[error("plugin '{id}' exceeded its memory limit of {limit_mib} MiB and was stopped")]
    MemoryLimit {
        /// Plugin id.
        id: String,
        /// Cap.
        limit_mib: u64,
    },
    /// The plugin used up its fuel.
    #[error("plugin '{id}' ran out of fuel ({fuel} units) and was stopped")]
    FuelExhausted {
        /// Plugin id.
        id: String,
        /// Fuel allowed.
        fuel: u64,
    },
    /// The plugin trapped (panic, unreachable, out-of-bounds access…).
    #[error("plugin '{id}' trapped: {message}")]
    Trap {
        /// Plugin id.
        id: String,
        /// The trap and, where known, the guest's own panic message.
        message: String,
    },
    /// The manifest is invalid.
    #[error("plugin manifest rejected: {0}")]
    Manifest(#[from] crate::model::ManifestError),
    /// The component does not match its manifest.
    #[error("plugin '{id}' rejected: {reason}")]
    Rejected {
        /// Plugin id.
        id: String,
        /// Why.
        reason: String,
    },
    /// The component does not export what its kind requires.
    #[error(
        "plugin '{id}' declares kind '{kind}' but its component does not export {missing}; it exports: {exports}"
    )]
    KindMismatch {
        /// Plugin id.
        id: String,
        /// Declared kind.
        kind: PluginKind,
        /// The missing exports.
        missing: String,
        /// What it does export.
        exports: String,
    },
    /// The manifest declares a capability the operator has not granted.
    #[error(
        "plugin '{id}' declares capability '{capability}', which the operator has not granted (set it under [plugins.{id}.grants] in the config)"
    )]
    CapabilityNotGranted {
        /// Plugin id.
        id: String,
        /// The capability.
        capability: Capability,
    },
    /// This exact id and version is installed with different bytes.
    #[error(
        "plugin '{id}' version {version} is already installed with a different component; bump the version"
    )]
    VersionConflict {
        /// Plugin id.
        id: String,
        /// Version.
        version: String,
    },
    /// A rollback was asked for with nothing to roll back to.
    #[error("plugin '{id}' has no previous version to roll back to")]
    NoPrevious {
        /// Plugin id.
        id: String,
    },
    /// Compilation or instantiation failed for a reason other than a limit.
    #[error("plugin '{id}': {message}")]
    Engine {
        /// Plugin id.
        id: String,
        /// What failed.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl RuntimeError {
    /// The stable machine-readable code of this failure: the same in an
    /// API answer, in its details, in a dead letter's reasons and in an
    /// evaluation's `score_error`, so one failure has one name everywhere.
    pub fn code(&self) -> &'static str {
        use RuntimeError as R;
        match self {
            R::NotFound { .. } => "plugin_not_found",
            R::VersionNotFound { .. } => "plugin_version_not_found",
            R::Disabled { .. } => "plugin_disabled",
            R::Tripped { .. } => "plugin_tripped",
            R::WrongKind { .. } => "plugin_wrong_kind",
            R::Busy { .. } => "plugin_busy",
            R::InputTooLarge { .. } => "plugin_input_too_large",
            R::OutputTooLarge { .. } => "plugin_output_too_large",
            R::Timeout { .. } => "plugin_timeout",
            R::MemoryLimit { .. } => "plugin_memory_limit",
            R::FuelExhausted { .. } => "plugin_fuel_exhausted",
            R::Trap { .. } => "plugin_trapped",
            R::Manifest(_) => "invalid_manifest",
            R::Rejected { .. } => "plugin_rejected",
            R::KindMismatch { .. } => "plugin_kind_mismatch",
            R::CapabilityNotGranted { .. } => "capability_not_granted",
            R::VersionConflict { .. } => "plugin_version_conflict",
            R::NoPrevious { .. } => "plugin_no_previous_version",
            R::Engine { .. } => "plugin_engine_error",
            R::Store(_) => "storage_error",
        }
    }

    /// A short stable label for metrics and the breaker.
    pub fn kind_label(&self) -> &'static str {
        match self {
            RuntimeError::Busy { .. } => "busy",
            RuntimeError::InputTooLarge { .. } => "input_too_large",
            RuntimeError::OutputTooLarge { .. } => "output_too_large",
            RuntimeError::Timeout { .. } => "timeout",
            RuntimeError::MemoryLimit { .. } => "memory",
            RuntimeError::FuelExhausted { .. } => "fuel",
            RuntimeError::Trap { .. } => "trap",
            RuntimeError::Engine { .. } => "engine",
            RuntimeError::Disabled { .. } | RuntimeError::Tripped { .. } => "refused",
            _ => "other",
        }
    }

    /// Whether this failure counts against the plugin's circuit breaker:
    /// the plugin misbehaved, as opposed to being busy or given bad input.
    pub fn counts_as_plugin_failure(&self) -> bool {
        matches!(
            self,
            RuntimeError::OutputTooLarge { .. }
                | RuntimeError::Timeout { .. }
                | RuntimeError::MemoryLimit { .. }
                | RuntimeError::FuelExhausted { .. }
                | RuntimeError::Trap { .. }
        )
    }
}

/// The most bytes of a plugin's own text (a panic message, stderr, an
/// error message it returned) quoted in any error the host produces: in
/// `RuntimeError` messages, an evaluation's `score_error`, the breaker's
/// `last_error`. The full text stays in the call's bounded log.
pub const MAX_PLUGIN_TEXT: usize = 1024;

/// `text` cut to at most [`MAX_PLUGIN_TEXT`] bytes on a char boundary, with
/// a marker saying how much was cut.
pub fn bounded_text(text: &str) -> String {
    if text.len() <= MAX_PLUGIN_TEXT {
        return text.to_string();
    }
    let mut end = MAX_PLUGIN_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes cut]", &text[..end], text.len() - end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_text_in_errors_is_cut_on_a_char_boundary_with_a_marker() {
        assert_eq!(bounded_text("short"), "short");
        let long = "é".repeat(MAX_PLUGIN_TEXT);
        let cut = bounded_text(&long);
        assert!(cut.len() < MAX_PLUGIN_TEXT + 40, "{}", cut.len());
        assert!(cut.ends_with(&format!("… [{} more bytes cut]", MAX_PLUGIN_TEXT)));
    }
}
