//! Plugin manifests, limits and registry records.
//!
//! A manifest is the plugin author's declaration (TOML); the registry record
//! is what the host keeps about an installed plugin (in sled, via the store).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The WIT API versions this host can load, oldest first.
pub const SUPPORTED_API_VERSIONS: &[&str] = &["0.1.0", "0.2.0", "0.3.0", "0.4.0"];

/// Which world a plugin implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// Vendor payload → normalized events.
    Adapter,
    /// QA evaluations → scorecards.
    Scorer,
    /// Protégé × mentor → pair scores.
    Matcher,
    /// Events → coaching flags.
    Flagger,
}

impl PluginKind {
    /// The functions a component of this kind, built against API `api`,
    /// must export.
    pub fn required_exports(self, api: &str) -> &'static [&'static str] {
        match self {
            PluginKind::Adapter => &["describe", "ingest"],
            PluginKind::Scorer => &["describe", "score"],
            PluginKind::Matcher if api == "0.4.0" => &["describe", "score", "explain"],
            PluginKind::Matcher => &["describe", "rank"],
            PluginKind::Flagger => &["describe", "flag"],
        }
    }

    /// The API versions with a world of this kind, oldest first (each
    /// revision revises one world; the others stay where they were).
    pub fn api_versions(self) -> &'static [&'static str] {
        match self {
            PluginKind::Adapter => &["0.1.0", "0.2.0", "0.3.0"],
            PluginKind::Matcher => &["0.1.0", "0.4.0"],
            PluginKind::Scorer | PluginKind::Flagger => &["0.1.0"],
        }
    }

    /// The newest API version with a world of this kind: what new plugins
    /// are written against.
    pub fn newest_api(self) -> &'static str {
        self.api_versions().last().copied().unwrap_or("0.1.0")
    }

    /// The kind's name as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Adapter => "adapter",
            PluginKind::Scorer => "scorer",
            PluginKind::Matcher => "matcher",
            PluginKind::Flagger => "flagger",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something outside pure computation a plugin may ask for. Nothing is
/// granted by default: a capability is available only when the manifest
/// declares it and the operator grants it in config.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// The real wall and monotonic clocks (otherwise frozen at the epoch).
    Clocks,
    /// Unpredictable random numbers (otherwise a fixed-seed stream).
    Random,
    /// Named environment variables (otherwise an empty environment).
    Environment,
    /// Outbound TCP/UDP to granted addresses (otherwise no sockets).
    Network,
    /// One granted host directory, read-only at `/data` (otherwise no files).
    Filesystem,
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Capability::Clocks => "clocks",
            Capability::Random => "random",
            Capability::Environment => "environment",
            Capability::Network => "network",
            Capability::Filesystem => "filesystem",
        })
    }
}

/// Resource limits for one plugin call. Defaults come from config; a
/// manifest may lower them and the operator's per-plugin settings may raise
/// or lower them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Wall-clock deadline for one call, instantiation included.
    pub deadline_ms: u64,
    /// Linear memory cap per instance, in MiB.
    pub memory_mib: u64,
    /// Fuel (roughly, wasm instructions) per call; `None` = unmetered.
    pub fuel: Option<u64>,
    /// Largest input one call may carry.
    pub max_input_bytes: u64,
    /// Largest output one call may return.
    pub max_output_bytes: u64,
    /// Log bytes kept per call; more is dropped and counted.
    pub max_log_bytes: u64,
    /// Calls running at once; more wait up to `queue_wait_ms`.
    pub max_concurrency: u32,
    /// How long a caller waits for a free slot before a "busy" error.
    pub queue_wait_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline_ms: 2_000,
            memory_mib: 64,
            fuel: None,
            max_input_bytes: 8 << 20,
            max_output_bytes: 8 << 20,
            max_log_bytes: 64 << 10,
            max_concurrency: 4,
            queue_wait_ms: 2_000,
        }
    }
}

/// Optional overrides of [`Limits`], as written in a manifest or in config.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// See [`Limits::deadline_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// See [`Limits::memory_mib`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    /// See [`Limits::fuel`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// See [`Limits::max_input_bytes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_bytes: Option<u64>,
    /// See [`Limits::max_output_bytes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_bytes: Option<u64>,
    /// See [`Limits::max_log_bytes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_log_bytes: Option<u64>,
    /// See [`Limits::max_concurrency`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// See [`Limits::queue_wait_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_wait_ms: Option<u64>,
}

impl Limits {
    /// These limits, lowered where `o` asks for less: what a manifest may
    /// do. A plugin author can tighten the operator's defaults, never
    /// loosen them.
    pub fn tighten(&self, o: &LimitOverrides) -> Limits {
        let min = |a: u64, b: Option<u64>| b.map_or(a, |b| a.min(b));
        Limits {
            deadline_ms: min(self.deadline_ms, o.deadline_ms),
            memory_mib: min(self.memory_mib, o.memory_mib),
            fuel: match (self.fuel, o.fuel) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            max_input_bytes: min(self.max_input_bytes, o.max_input_bytes),
            max_output_bytes: min(self.max_output_bytes, o.max_output_bytes),
            max_log_bytes: min(self.max_log_bytes, o.max_log_bytes),
            max_concurrency: o
                .max_concurrency
                .map_or(self.max_concurrency, |c| self.max_concurrency.min(c)),
            queue_wait_ms: min(self.queue_wait_ms, o.queue_wait_ms),
        }
    }

    /// These limits with `o`'s set fields laid over them: what the
    /// operator's `[plugins.ID.limits]` does (it may raise or lower).
    pub fn overlay(&self, o: &LimitOverrides) -> Limits {
        Limits {
            deadline_ms: o.deadline_ms.unwrap_or(self.deadline_ms),
            memory_mib: o.memory_mib.unwrap_or(self.memory_mib),
            fuel: o.fuel.or(self.fuel),
            max_input_bytes: o.max_input_bytes.unwrap_or(self.max_input_bytes),
            max_output_bytes: o.max_output_bytes.unwrap_or(self.max_output_bytes),
            max_log_bytes: o.max_log_bytes.unwrap_or(self.max_log_bytes),
            max_concurrency: o.max_concurrency.unwrap_or(self.max_concurrency),
            queue_wait_ms: o.queue_wait_ms.unwrap_or(self.queue_wait_ms),
        }
    }
}

/// A plugin's manifest (`plugin.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Unique id, `[a-z0-9-]`, 1–64 characters.
    pub id: String,
    /// The world it implements.
    pub kind: PluginKind,
    /// The plugin's version (semver `MAJOR.MINOR.PATCH`).
    pub version: String,
    /// The WIT API version it was built against.
    pub api_version: String,
    /// One sentence on what it does.
    #[serde(default)]
    pub description: String,
    /// Hex sha256 of the component; verified when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Capabilities it asks for.
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    /// Limit overrides.
    #[serde(default)]
    pub limits: LimitOverrides,
    /// Default configuration for `config-get`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// The configuration keys the plugin reads, with their types. When
    /// given, its defaults and the operator's `[plugins.ID.config]` may
    /// only set these keys, each to a value of its type (a misspelt key
    /// or `"ten"` for a number is refused, naming the key); when absent,
    /// any key is taken.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config_schema: BTreeMap<String, ConfigType>,
}

/// The type of one configuration value (values are text; `config-get`
/// hands them to the plugin as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfigType {
    /// Any text.
    String,
    /// A whole number (`-3`, `42`).
    Integer,
    /// A finite number (`0.5`, `70`).
    Number,
    /// `true` or `false`.
    Boolean,
}

impl ConfigType {
    /// Whether `value` is of this type.
    pub fn admits(self, value: &str) -> bool {
        match self {
            ConfigType::String => true,
            ConfigType::Integer => value.trim().parse::<i64>().is_ok(),
            ConfigType::Number => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
            ConfigType::Boolean => matches!(value.trim(), "true" | "false"),
        }
    }
}

impl Manifest {
    /// Check configuration values (the manifest's defaults, or the
    /// operator's overrides named by `table`) against the schema, when the
    /// manifest has one.
    pub fn check_config(
        &self,
        table: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        if self.config_schema.is_empty() {
            return Ok(());
        }
        for (key, value) in values {
            let Some(ty) = self.config_schema.get(key) else {
                let known: Vec<&str> = self.config_schema.keys().map(String::as_str).collect();
                return Err(format!(
                    "{table}: `{key}` is not a setting of plugin {} (its settings: {})",
                    self.id,
                    known.join(", ")
                ));
            };
            if !ty.admits(value) {
                return Err(format!(
                    "{table}: `{key}` = {value:?} is not {} value",
                    match ty {
                        ConfigType::String => "a string",
                        ConfigType::Integer => "an integer",
                        ConfigType::Number => "a number",
                        ConfigType::Boolean => "a boolean (true or false)",
                    }
                ));
            }
        }
        Ok(())
    }
}

/// Why a manifest is unacceptable.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The TOML did not parse or had unknown keys.
    #[error("manifest is not valid: {0}")]
    Parse(String),
    /// A field has a bad value.
    #[error("manifest field `{field}` is invalid: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

impl Manifest {
    /// Parse and validate a manifest's TOML text.
    pub fn from_toml(text: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest = toml::from_str(text).map_err(|e| ManifestError::Parse(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// Check the fields that serde cannot.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let bad = |field, reason: String| Err(ManifestError::Field { field, reason });
        if self.id.is_empty()
            || self.id.len() > 64
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return bad(
                "id",
                format!("{:?} must be 1–64 characters of a-z, 0-9 and -", self.id),
            );
        }
        if parse_semver(&self.version).is_none() {
            return bad(
                "version",
                format!("{:?} is not MAJOR.MINOR.PATCH", self.version),
            );
        }
        if !SUPPORTED_API_VERSIONS.contains(&self.api_version.as_str()) {
            return bad(
                "api_version",
                format!(
                    "{:?} is not supported by this host (supported: {})",
                    self.api_version,
                    SUPPORTED_API_VERSIONS.join(", ")
                ),
            );
        }
        let versions = self.kind.api_versions();
        if !versions.contains(&self.api_version.as_str()) {
            return bad(
                "api_version",
                format!(
                    "{} has no {} world; a {} targets {}",
                    self.api_version,
                    self.kind.as_str(),
                    self.kind.as_str(),
                    versions.join(" or ")
                ),
            );
        }
        if let Some(sha) = &self.sha256
            && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return bad("sha256", "must be 64 hex digits".to_string());
        }
        if self.limits.max_concurrency == Some(0) {
            return bad("limits.max_concurrency", "must be at least 1".to_string());
        }
        if self.limits.deadline_ms == Some(0) {
            return bad("limits.deadline_ms", "must be at least 1".to_string());
        }
        if let Err(reason) = self.check_config("config", &self.config) {
            return bad("config", reason);
        }
        Ok(())
    }
}

/// Parse `MAJOR.MINOR.PATCH` (pre-release and build suffixes are ignored).
pub fn parse_semver(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    let t = (it.next()??, it.next()??, it.next()??);
    it.next().is_none().then_some(t)
}

/// Why a plugin was tripped off by the circuit breaker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TripInfo {
    /// When (ms since epoch).
    pub at_ms: super::TimestampMs,
    /// Consecutive failures that tripped it.
    pub failures: u32,
    /// The last failure.
    pub last_error: String,
}

/// One installed version of a plugin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginVersion {
    /// The manifest as installed, with `sha256` filled in.
    pub manifest: Manifest,
    /// What `describe()` returned at install.
    pub info: PluginInfo,
    /// When it was installed (ms since epoch).
    pub installed_at_ms: super::TimestampMs,
    /// Size of the component in bytes.
    pub size_bytes: u64,
}

/// The registry's record of one plugin id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PluginRecord {
    /// Plugin id.
    pub id: String,
    /// Kind (fixed for an id).
    pub kind: PluginKind,
    /// The version calls go to.
    pub active_version: String,
    /// The version a rollback returns to.
    pub previous_version: Option<String>,
    /// Whether an operator has enabled it.
    pub enabled: bool,
    /// Set while the circuit breaker holds it off.
    pub tripped: Option<TripInfo>,
    /// Whether it ships embedded in the binary.
    pub builtin: bool,
    /// The principal that installed it (the install API's caller); `None`
    /// on records written before this was kept. Its share of the instance
    /// pool is split between the plugins of one installer.
    #[serde(default)]
    pub installed_by: Option<String>,
}

impl PluginRecord {
    /// Who installed it, for the instance pool's fair shares: the recorded
    /// principal, else `builtin` for the embedded plugins and `operator`
    /// for plugins installed before the principal was recorded.
    pub fn installer(&self) -> &str {
        match &self.installed_by {
            Some(who) => who,
            None if self.builtin => "builtin",
            None => "operator",
        }
    }
}

use super::event::PluginInfo;

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        id = "acme-adapter"
        kind = "adapter"
        version = "1.2.3"
        api_version = "0.1.0"
        capabilities = ["clocks"]
        [limits]
        deadline_ms = 500
        [config]
        "weight.skill" = "0.5"
    "#;

    #[test]
    fn a_good_manifest_parses_with_its_overrides() {
        let m = Manifest::from_toml(GOOD).unwrap();
        assert_eq!(m.kind, PluginKind::Adapter);
        assert_eq!(m.capabilities, vec![Capability::Clocks]);
        let l = Limits::default().tighten(&m.limits);
        assert_eq!(l.deadline_ms, 500);
        assert_eq!(l.memory_mib, Limits::default().memory_mib);
        let greedy = LimitOverrides {
            deadline_ms: Some(86_400_000),
            max_concurrency: Some(10_000),
            fuel: Some(7),
            ..Default::default()
        };
        let l = Limits::default().tighten(&greedy);
        assert_eq!(
            (l.deadline_ms, l.max_concurrency, l.fuel),
            (2_000, 4, Some(7)),
            "a manifest cannot raise limits"
        );
        let l = Limits::default().overlay(&greedy);
        assert_eq!(l.deadline_ms, 86_400_000, "the operator can");
        assert_eq!(m.config["weight.skill"], "0.5");
    }

    #[test]
    fn a_config_schema_holds_the_defaults_and_the_operators_settings_to_its_keys_and_types() {
        let with_schema = format!(
            "{GOOD}        [config_schema]\n        \"weight.skill\" = \"number\"\n        \
             \"strict\" = \"boolean\"\n        \"label\" = \"string\"\n"
        );
        let m = Manifest::from_toml(&with_schema).unwrap();
        let set = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let table = "[plugins.acme-adapter.config]";
        assert!(
            m.check_config(
                table,
                &set(&[("weight.skill", "0.75"), ("strict", "true"), ("label", "x")])
            )
            .is_ok()
        );
        let misspelt = m
            .check_config(table, &set(&[("weight.skil", "1")]))
            .unwrap_err();
        assert!(
            misspelt.contains("`weight.skil`") && misspelt.contains("weight.skill"),
            "{misspelt}"
        );
        for (key, value) in [
            ("weight.skill", "ten"),
            ("weight.skill", "inf"),
            ("strict", "yes"),
        ] {
            let err = m.check_config(table, &set(&[(key, value)])).unwrap_err();
            assert!(err.contains(key) && err.contains(table), "{err}");
        }
        // The manifest's own defaults are held to it too.
        let bad_default =
            with_schema.replace("\"weight.skill\" = \"0.5\"", "\"weight.skill\" = \"half\"");
        let err = Manifest::from_toml(&bad_default).unwrap_err().to_string();
        assert!(err.contains("`config`") && err.contains("half"), "{err}");
        let bad_type = with_schema.replace("= \"boolean\"", "= \"bool\"");
        assert!(Manifest::from_toml(&bad_type).is_err());
        // Without a schema, any key is taken (as before schemas existed).
        let m = Manifest::from_toml(GOOD).unwrap();
        assert!(
            m.check_config(table, &set(&[("anything", "at all")]))
                .is_ok()
        );
    }

    #[test]
    fn bad_manifests_name_the_field_at_fault() {
        let unknown = GOOD.replace("capabilities", "capabilitiez");
        assert!(
            Manifest::from_toml(&unknown)
                .unwrap_err()
                .to_string()
                .contains("capabilitiez")
        );
        let bad_id = GOOD.replace("acme-adapter", "Acme Adapter");
        assert!(
            Manifest::from_toml(&bad_id)
                .unwrap_err()
                .to_string()
                .contains("`id`")
        );
        let bad_api = GOOD.replace("api_version = \"0.1.0\"", "api_version = \"9.0.0\"");
        assert!(
            Manifest::from_toml(&bad_api)
                .unwrap_err()
                .to_string()
                .contains("9.0.0")
        );
        let bad_cap = GOOD.replace("\"clocks\"", "\"telepathy\"");
        assert!(
            Manifest::from_toml(&bad_cap)
                .unwrap_err()
                .to_string()
                .contains("telepathy")
        );
    }

    #[test]
    fn semver_parses_only_three_numbers() {
        assert_eq!(parse_semver("1.2.3-beta+x"), Some((1, 2, 3)));
        assert_eq!(parse_semver("1.2"), None);
        assert_eq!(parse_semver("1.2.3.4"), None);
    }
}
