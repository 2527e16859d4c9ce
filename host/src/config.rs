//! One typed configuration: embedded defaults, an optional TOML file, then
//! environment overrides, then command-line flags.
//!
//! Unknown keys are errors that name the key, so a typo never silently falls
//! back to a default. `sidecoach serve` runs with no file at all.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::model::{Capability, LimitOverrides, Limits};

/// Default listen address: loopback only, a sidecar's usual place.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";
/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "sidecoach-data";
/// Default request body limit (bytes) for the HTTP API.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;
/// Default largest plugin upload (manifest and component): room for a
/// Python component (componentize-py's are about 18 MB).
pub const DEFAULT_MAX_PLUGIN_BYTES: usize = 64 << 20;

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// Where sled and the compiled-plugin cache live.
    pub data_dir: PathBuf,
    /// An admin token to install at start (stored hashed); prefer the
    /// `SIDECOACH_ADMIN_TOKEN` environment variable to writing it here.
    pub admin_token: Option<String>,
    /// Largest request body the API accepts, in bytes (plugin uploads
    /// have their own limit).
    pub max_body_bytes: usize,
    /// Largest plugin upload (`POST /v1/plugins`), in bytes.
    pub max_plugin_bytes: usize,
    /// Engine-wide runtime settings.
    pub runtime: RuntimeConfig,
    /// Default per-plugin limits; manifests and `[plugins.ID.limits]` override.
    pub limits: Limits,
    /// Per-plugin operator settings: grants, limits and config overlays.
    pub plugins: BTreeMap<String, PluginSettings>,
    /// Vendor sources: each names its adapter plugin and carries the
    /// secrets and options handed to it with every request.
    pub sources: BTreeMap<String, Source>,
    /// Which scorer scores a form that names none.
    pub scoring: ScoringConfig,
    /// Flag rules and flagger plugins that open alerts.
    pub flags: FlagsConfig,
    /// Analytics thresholds.
    pub analytics: AnalyticsConfig,
    /// The live stream (`GET /v1/stream`).
    pub live: LiveConfig,
    /// The service-level target and staffing model the planner keeps.
    pub scheduling: SchedulingConfig,
    /// The mentoring program.
    pub mentoring: MentoringConfig,
    /// The embedded database.
    pub store: StoreConfig,
    /// CPU-heavy request work (planning, matching, rescoring): how much
    /// runs at once and for how long.
    pub work: WorkConfig,
    /// Several sidecars sharing one log on NATS JetStream; absent, this
    /// host stands alone (the default).
    pub cluster: Option<ClusterConfig>,
}

/// `[cluster]`: this host is one node of several sharing one durable log
/// on NATS JetStream. Every write a node answers 2xx is in the log, and
/// every node applies the log to its own store, so each serves every read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// The NATS servers (`nats://host:port`), any of which will do.
    pub urls: Vec<String>,
    /// This node's name, unique in the cluster (default: the host name
    /// and listen port).
    pub node: Option<String>,
    /// NATS user and password, if the servers require them.
    pub user: Option<String>,
    /// The password for `user`.
    pub password: Option<String>,
    /// A NATS token, if the servers require one.
    pub token: Option<String>,
    /// The JetStream stream holding the log (created if missing).
    pub stream: String,
    /// Its subject (the stream takes exactly this subject).
    pub subject: String,
    /// Copies JetStream keeps of every entry: 3 in a cluster of three or
    /// more servers, 1 on a single server.
    pub replicas: usize,
    /// The key-value bucket where nodes report their applied position.
    pub status_bucket: String,
    /// The object-store bucket holding plugin components too large for
    /// one log entry.
    pub blob_bucket: String,
    /// How long to wait for NATS at start and for each acknowledgement.
    pub timeout_ms: u64,
    /// Every this many log entries the node that wrote the entry stores a
    /// snapshot of its store: a new or far-behind node starts from the
    /// newest snapshot instead of the first entry. 0: never. (The log
    /// itself keeps every entry.)
    pub snapshot_every: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            urls: vec!["nats://127.0.0.1:4222".into()],
            node: None,
            user: None,
            password: None,
            token: None,
            stream: "SIDECOACH".into(),
            subject: "sidecoach.log".into(),
            replicas: 3,
            status_bucket: "sidecoach-nodes".into(),
            blob_bucket: "sidecoach-blobs".into(),
            timeout_ms: 5_000,
            snapshot_every: 10_000,
        }
    }
}

impl ClusterConfig {
    /// Checks serde cannot make.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.urls.is_empty() {
            anyhow::bail!("invalid config: cluster.urls must name at least one NATS server");
        }
        for url in &self.urls {
            if !(url.starts_with("nats://") || url.starts_with("tls://")) || url.len() < 8 {
                anyhow::bail!(
                    "invalid config: cluster.urls: {url:?} is not a NATS URL (nats://host:port)"
                );
            }
        }
        if !(1..=5).contains(&self.replicas) {
            anyhow::bail!("invalid config: cluster.replicas must be within 1..=5 (3 in a cluster)");
        }
        let name = |field: &str, v: &str| -> anyhow::Result<()> {
            if v.is_empty()
                || !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                anyhow::bail!(
                    "invalid config: cluster.{field} {v:?} must be letters, digits, '-' or '_'"
                );
            }
            Ok(())
        };
        name("stream", &self.stream)?;
        name("status_bucket", &self.status_bucket)?;
        name("blob_bucket", &self.blob_bucket)?;
        if let Some(node) = &self.node {
            name("node", node)?;
        }
        if self.subject.is_empty()
            || self.subject.contains(['*', '>', ' '])
            || self.subject.starts_with('.')
            || self.subject.ends_with('.')
        {
            anyhow::bail!(
                "invalid config: cluster.subject {:?} must be a plain subject such as sidecoach.log",
                self.subject
            );
        }
        if self.user.is_some() != self.password.is_some() {
            anyhow::bail!("invalid config: cluster.user and cluster.password go together");
        }
        if self.timeout_ms == 0 {
            anyhow::bail!("invalid config: cluster.timeout_ms must be at least 1");
        }
        Ok(())
    }
}

/// `[store]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// sled's page cache, in MiB: the largest part of the host's memory
    /// that grows with the data (sled's own default is 1 GiB).
    pub cache_mib: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            cache_mib: crate::store::DEFAULT_CACHE_BYTES >> 20,
        }
    }
}

/// `[work]`: CPU-heavy work runs off the async workers, on at most
/// `slots` threads, each piece within `deadline_ms`, so `/healthz`, other
/// requests and shutdown are never starved.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkConfig {
    /// Pieces of CPU-heavy work running at once (default: the CPUs, at
    /// least 1).
    pub slots: usize,
    /// How long one piece may run before it is stopped (504
    /// `deadline_exceeded`).
    pub deadline_ms: u64,
    /// How long a request waits for a free slot (503 `busy` after).
    pub queue_wait_ms: u64,
}

impl Default for WorkConfig {
    fn default() -> Self {
        WorkConfig {
            slots: std::thread::available_parallelism().map_or(1, usize::from),
            deadline_ms: 20_000,
            queue_wait_ms: 5_000,
        }
    }
}

/// `[mentoring]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MentoringConfig {
    /// The matcher plugin that scores (protégé, mentor) pairs.
    pub matcher: String,
}

impl Default for MentoringConfig {
    fn default() -> Self {
        MentoringConfig {
            matcher: "reference-matcher".into(),
        }
    }
}

/// `[scheduling]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulingConfig {
    /// The service-level target: this share of contacts…
    pub target_level: f64,
    /// …answered within this many seconds.
    pub answer_seconds: f64,
    /// Breaks, absence and other time off the phones: agents on the phones
    /// are ⌊scheduled × (1 − shrinkage)⌋.
    pub shrinkage: f64,
    /// Erlang C (default) or Erlang A with a mean patience:
    /// `{ kind = "erlang-a", patience_seconds = 120 }`.
    pub model: crate::scheduling::StaffingModel,
    /// The highest occupancy an interval may be staffed at, in (0, 1]:
    /// agents required are at least `⌈traffic / max_occupancy⌉`, whatever
    /// the service-level target alone would need (Erlang C runs a
    /// 5,000-call half-hour at 98%). A request may override it.
    pub max_occupancy: f64,
}

/// `[scheduling] max_occupancy` by default: the cap common WFM practice
/// staffs to.
pub const DEFAULT_MAX_OCCUPANCY: f64 = 0.85;

impl Default for SchedulingConfig {
    fn default() -> Self {
        SchedulingConfig {
            target_level: 0.8,
            answer_seconds: 20.0,
            shrinkage: 0.3,
            model: crate::scheduling::StaffingModel::default(),
            max_occupancy: DEFAULT_MAX_OCCUPANCY,
        }
    }
}

/// `[scoring]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoringConfig {
    /// The scorer plugin for forms that name none.
    pub default_scorer: String,
    /// Evaluations per scorer call (one call carries many: crossing into
    /// wasm costs microseconds).
    pub batch: usize,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            default_scorer: "reference-scorer".into(),
            batch: 500,
        }
    }
}

/// `[flags]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlagsConfig {
    /// Flagger plugins run over every new feedback, scored evaluation and
    /// interaction (none by default).
    pub plugins: Vec<String>,
    /// Coach within this many hours unless a rule says otherwise.
    pub coach_within_hours: u32,
    /// Config rules.
    pub rules: Vec<crate::model::FlagRule>,
}

impl Default for FlagsConfig {
    fn default() -> Self {
        FlagsConfig {
            plugins: Vec::new(),
            coach_within_hours: 48,
            rules: Vec::new(),
        }
    }
}

/// `[analytics]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsConfig {
    /// A QA score at or above this (percent) makes a recognition candidate,
    /// unless the team's `targets.recognition_percent` says otherwise.
    pub recognition_percent: f64,
    /// A QA criterion earning under this fraction of its points dings the
    /// agent on the criterion's topic.
    pub ding_fraction: f64,
    /// A CSAT rating (mapped onto 1..5) at or under this dings the agent on
    /// the feedback's topics.
    pub ding_csat_at_most: f64,
    /// Dings on one topic in the window that make an agent a focus.
    pub focus_min_dings: usize,
    /// At most this many focus agents per topic.
    pub focus_max_agents: usize,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        AnalyticsConfig {
            recognition_percent: 95.0,
            ding_fraction: 0.5,
            ding_csat_at_most: 2.0,
            focus_min_dings: 2,
            focus_max_agents: 5,
        }
    }
}

/// `[live]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// Events buffered for stream clients; a client further behind loses
    /// the oldest and is told to resync.
    pub buffer: usize,
    /// Seconds between keep-alive comments on an idle stream.
    pub keep_alive_seconds: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            buffer: 1024,
            keep_alive_seconds: 15,
        }
    }
}

/// One configured vendor source (`[sources.NAME]`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The adapter plugin id.
    pub adapter: String,
    /// Secrets (signing keys…), passed to the adapter; never shown by the API.
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// Options passed to the adapter. The host itself reads two:
    /// `identity_namespace` (vendor user ids become agent identities
    /// `NAMESPACE:id`; default: the adapter id, so two sources of one vendor
    /// share agents) and `public_url` (the scheme and host the vendor calls,
    /// e.g. `https://coach.example.com`, for signatures over the URL).
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// The adapter verifies the vendor's signature (Twilio, Zendesk…), so
    /// requests need no bearer token. Unsigned sources require an
    /// integrator or admin token.
    #[serde(default)]
    pub signed: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("default listen address parses"),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            admin_token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_plugin_bytes: DEFAULT_MAX_PLUGIN_BYTES,
            runtime: RuntimeConfig::default(),
            limits: Limits::default(),
            plugins: BTreeMap::new(),
            sources: BTreeMap::new(),
            scoring: ScoringConfig::default(),
            flags: FlagsConfig::default(),
            analytics: AnalyticsConfig::default(),
            live: LiveConfig::default(),
            scheduling: SchedulingConfig::default(),
            mentoring: MentoringConfig::default(),
            store: StoreConfig::default(),
            work: WorkConfig::default(),
            cluster: None,
        }
    }
}

/// Engine-wide runtime settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// Epoch tick: the granularity of plugin deadlines.
    pub epoch_tick_ms: u64,
    /// Meter fuel in every call, so `/metrics` reports fuel used and
    /// per-plugin fuel limits can apply. Costs some speed (see the benchmark).
    pub consume_fuel: bool,
    /// Consecutive failed calls (trap, timeout, memory, fuel, oversized
    /// output) after which a plugin is tripped off until re-enabled.
    pub breaker_threshold: u32,
    /// Keep compiled components on disk so a restart does not recompile.
    pub compile_cache: bool,
    /// Where the compile cache lives; default `<data_dir>/cache`. Entries
    /// are keyed by component hash and engine settings, so several hosts
    /// may share one directory.
    pub cache_dir: Option<PathBuf>,
    /// Instances the pooling allocator keeps slots for (across plugins).
    /// Every call holds one; they are shared fairly: evenly between the
    /// principals that installed plugins, and an installer's share evenly
    /// between its plugins (see `runtime/pool.rs`), so a call over its
    /// share waits and answers `plugin_busy` rather than failing another
    /// plugin's call.
    pub pool_instances: u32,
    /// The largest memory cap any plugin may have, in MiB; the pool reserves
    /// address space for it per slot.
    pub max_memory_mib: u64,
    /// KiB of each instance slot's linear memory kept resident between
    /// calls and reset in place (faster calls: no page faults, no
    /// `madvise`); what stays resident is at most `pool_instances` × this,
    /// and only pages calls touched. 0 hands every page back to the kernel
    /// after each call.
    pub keep_resident_kib: u64,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            epoch_tick_ms: 10,
            consume_fuel: true,
            breaker_threshold: 5,
            compile_cache: true,
            cache_dir: None,
            pool_instances: 128,
            max_memory_mib: 512,
            // A Rust guest's stack (its first MiB) and the heap a typical
            // call uses.
            keep_resident_kib: 2048,
        }
    }
}

/// What the operator allows one plugin, and how they tune it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginSettings {
    /// Capabilities granted (only those the manifest also declares apply).
    pub grants: Grants,
    /// Limit overrides that win over the manifest's.
    pub limits: LimitOverrides,
    /// Config values laid over the manifest's `[config]`.
    pub config: BTreeMap<String, String>,
}

/// Capability grants for one plugin.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grants {
    /// Real clocks.
    pub clocks: bool,
    /// Real random numbers.
    pub random: bool,
    /// Host environment variables passed through, by name.
    pub environment: Vec<String>,
    /// Socket addresses (`ip:port`) the plugin may connect to.
    pub network: Vec<SocketAddr>,
    /// A host directory mounted read-only at `/data`.
    pub filesystem: Option<PathBuf>,
}

impl Grants {
    /// Whether the operator granted `cap` at all.
    pub fn grants(&self, cap: Capability) -> bool {
        match cap {
            Capability::Clocks => self.clocks,
            Capability::Random => self.random,
            Capability::Environment => !self.environment.is_empty(),
            Capability::Network => !self.network.is_empty(),
            Capability::Filesystem => self.filesystem.is_some(),
        }
    }
}

/// Environment variables read by [`Config::load`].
pub mod env {
    /// Path of the TOML config file.
    pub const CONFIG: &str = "SIDECOACH_CONFIG";
    /// Overrides `listen`.
    pub const LISTEN: &str = "SIDECOACH_LISTEN";
    /// Overrides `data_dir`.
    pub const DATA_DIR: &str = "SIDECOACH_DATA_DIR";
    /// Overrides `admin_token`.
    pub const ADMIN_TOKEN: &str = "SIDECOACH_ADMIN_TOKEN";
    /// Overrides `runtime.cache_dir` (several hosts may share one
    /// compile cache: entries are keyed by component and engine settings).
    pub const CACHE_DIR: &str = "SIDECOACH_CACHE_DIR";
}

/// The host's resident memory with no data and its plugins loaded, plus
/// what its threads, HTTP buffers and allocator keep around under load
/// (measured: 57–75 MiB), in MiB.
pub const MEMORY_BASE_MIB: f64 = 96.0;

/// What sled's page cache costs in resident memory per configured MiB:
/// cached pages sit in allocations larger than the page, and pages being
/// replaced are held until readers let go (measured: 2.2).
pub const MEMORY_PER_CACHE_MIB: f64 = 2.5;

/// Resident memory per stored record beyond the cache, in bytes: sled
/// keeps every page's location in memory (measured: up to 140).
pub const MEMORY_PER_RECORD_BYTES: f64 = 192.0;

impl Config {
    /// The resident memory (MiB) this configuration allows with `records`
    /// stored: [`MEMORY_BASE_MIB`], the page cache times
    /// [`MEMORY_PER_CACHE_MIB`], every pooled plugin instance keeping
    /// `keep_resident_kib`, and [`MEMORY_PER_RECORD_BYTES`] per record.
    /// The soak benchmark checks RSS against it; the README gives it.
    pub fn memory_ceiling_mib(&self, records: u64) -> f64 {
        MEMORY_BASE_MIB
            + MEMORY_PER_CACHE_MIB * self.store.cache_mib as f64
            + f64::from(self.runtime.pool_instances) * self.runtime.keep_resident_kib as f64
                / 1024.0
            + records as f64 * MEMORY_PER_RECORD_BYTES / f64::from(1 << 20)
    }

    /// Parse a TOML document; unknown keys are errors naming the key.
    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        let config: Config =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks serde cannot make: flag rules fit their subject, ids are
    /// unique, thresholds are in range.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut ids = std::collections::BTreeSet::new();
        for rule in &self.flags.rules {
            rule.validate()
                .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
            if !ids.insert(rule.id.as_str()) {
                anyhow::bail!(
                    "invalid config: flags.rules: two rules have the id `{}`",
                    rule.id
                );
            }
        }
        if self.scoring.batch == 0 {
            anyhow::bail!("invalid config: scoring.batch must be at least 1");
        }
        if self.live.buffer == 0 {
            anyhow::bail!("invalid config: live.buffer must be at least 1");
        }
        let sched = &self.scheduling;
        crate::scheduling::ServiceTarget::new(sched.target_level, sched.answer_seconds)
            .map_err(|e| anyhow::anyhow!("invalid config: scheduling: {e}"))?;
        sched
            .model
            .validate()
            .map_err(|e| anyhow::anyhow!("invalid config: scheduling.model: {e}"))?;
        if !(0.0..1.0).contains(&sched.shrinkage) {
            anyhow::bail!("invalid config: scheduling.shrinkage must be within 0..1 (e.g. 0.3)");
        }
        if !(sched.max_occupancy > 0.0 && sched.max_occupancy <= 1.0) {
            anyhow::bail!(
                "invalid config: scheduling.max_occupancy must be above 0 and at most 1 (e.g. 0.85)"
            );
        }
        if !(1..=1 << 20).contains(&self.store.cache_mib) {
            anyhow::bail!("invalid config: store.cache_mib must be within 1..=1048576 (e.g. 16)");
        }
        let rt = &self.runtime;
        if rt.keep_resident_kib > rt.max_memory_mib.saturating_mul(1024) {
            anyhow::bail!(
                "invalid config: runtime.keep_resident_kib ({}) must be at most runtime.max_memory_mib × 1024 ({})",
                rt.keep_resident_kib,
                rt.max_memory_mib.saturating_mul(1024)
            );
        }
        if let Some(cluster) = &self.cluster {
            cluster.validate()?;
        }
        if self.work.slots == 0 || self.work.deadline_ms == 0 {
            anyhow::bail!("invalid config: work.slots and work.deadline_ms must be at least 1");
        }
        let a = &self.analytics;
        if !(0.0..=1.0).contains(&a.ding_fraction) {
            anyhow::bail!("invalid config: analytics.ding_fraction must be within 0..1");
        }
        if !a.recognition_percent.is_finite() || a.focus_min_dings == 0 {
            anyhow::bail!(
                "invalid config: analytics.recognition_percent must be a number and focus_min_dings at least 1"
            );
        }
        Ok(())
    }

    /// Defaults, then the file (if any), then environment overrides.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let from_env = std::env::var_os(env::CONFIG).map(PathBuf::from);
        let mut config = match file.map(Path::to_path_buf).or(from_env) {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                Config::from_toml(&text).with_context(|| format!("in {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    /// Apply environment overrides from `get` (a seam for tests).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get(env::LISTEN) {
            self.listen = v
                .parse()
                .with_context(|| format!("{}={v:?} is not ip:port", env::LISTEN))?;
        }
        if let Some(v) = get(env::DATA_DIR) {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get(env::ADMIN_TOKEN).filter(|v| !v.is_empty()) {
            self.admin_token = Some(v);
        }
        if let Some(v) = get(env::CACHE_DIR).filter(|v| !v.is_empty()) {
            self.runtime.cache_dir = Some(PathBuf::from(v));
        }
        Ok(())
    }

    /// The operator settings for a plugin (empty when not configured).
    pub fn plugin(&self, id: &str) -> PluginSettings {
        self.plugins.get(id).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_means_embedded_defaults() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.limits, Limits::default());
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let err = Config::from_toml("listen = \"127.0.0.1:1\"\nlsiten = 3").unwrap_err();
        assert!(format!("{err:#}").contains("lsiten"), "{err:#}");
        let err = Config::from_toml("[plugins.x.grants]\nclock = true").unwrap_err();
        assert!(format!("{err:#}").contains("clock"), "{err:#}");
    }

    #[test]
    fn sources_name_their_adapter_and_refuse_unknown_keys() {
        let c = Config::from_toml("[sources.zendesk-eu]\nadapter = \"json-adapter\"\n[sources.zendesk-eu.secrets]\nhmac_secret = \"s\"\n").unwrap();
        assert_eq!(c.sources["zendesk-eu"].adapter, "json-adapter");
        let err = Config::from_toml("[sources.x]\nadaptor = \"a\"").unwrap_err();
        assert!(format!("{err:#}").contains("adaptor"), "{err:#}");
    }

    #[test]
    fn live_rules_are_validated_at_load_like_the_other_subjects() {
        let c = Config::from_toml(
            "[[flags.rules]]\nid = \"upset\"\non = \"live\"\nrole = \"customer\"\nsentiment = \"negative\"\n",
        )
        .unwrap();
        assert_eq!(c.flags.rules[0].on, crate::model::FlagSubject::Live);
        for (toml, names) in [
            // a feedback condition on a live rule
            ("on = \"live\"\ncsat_at_most = 2", "csat_at_most"),
            // a live condition on an interaction rule
            (
                "on = \"interaction\"\nsentiment = \"negative\"",
                "sentiment",
            ),
            // a role alone would flag everything the customer says
            ("on = \"live\"\nrole = \"customer\"", "no condition"),
            // labels are typed
            ("on = \"live\"\nsentiment = \"furious\"", "furious"),
        ] {
            let err =
                Config::from_toml(&format!("[[flags.rules]]\nid = \"r\"\n{toml}\n")).unwrap_err();
            assert!(format!("{err:#}").contains(names), "{toml}: {err:#}");
        }
    }

    #[test]
    fn max_occupancy_defaults_to_85_percent_and_must_be_a_share() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.scheduling.max_occupancy, 0.85);
        let c = Config::from_toml("[scheduling]\nmax_occupancy = 0.9\n").unwrap();
        assert_eq!(c.scheduling.max_occupancy, 0.9);
        for bad in ["0", "1.2", "-0.5"] {
            let err =
                Config::from_toml(&format!("[scheduling]\nmax_occupancy = {bad}\n")).unwrap_err();
            assert!(
                format!("{err:#}").contains("scheduling.max_occupancy"),
                "{bad}: {err:#}"
            );
        }
    }

    #[test]
    fn resident_pages_default_to_2_mib_and_stay_within_the_memory_ceiling() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.runtime.keep_resident_kib, 2048);
        let c = Config::from_toml("[runtime]\nkeep_resident_kib = 0\n").unwrap();
        assert_eq!(c.runtime.keep_resident_kib, 0);
        let err = Config::from_toml("[runtime]\nmax_memory_mib = 1\nkeep_resident_kib = 2048\n")
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("runtime.keep_resident_kib"),
            "{err:#}"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut c = Config::from_toml("data_dir = \"/a\"\n[limits]\ndeadline_ms = 5\nmemory_mib = 1\nmax_input_bytes = 1\nmax_output_bytes = 1\nmax_log_bytes = 1\nmax_concurrency = 1\nqueue_wait_ms = 1").unwrap();
        c.apply_env(|k| (k == env::DATA_DIR).then(|| "/b".to_string()))
            .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/b"));
        assert_eq!(c.limits.deadline_ms, 5);
        let err = c
            .apply_env(|k| (k == env::LISTEN).then(|| "nope".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("SIDECOACH_LISTEN"));
    }
}
