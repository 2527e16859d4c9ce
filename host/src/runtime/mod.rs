//! The plugin runtime: the only code that touches wasmtime.
//!
//! [`Runtime`] owns the engine and the registry of installed plugins. It
//! installs, upgrades, enables, disables and rolls back plugins without a
//! restart (the registry lives in sled through the store), and runs calls
//! under each plugin's limits: a fresh store per call from a pre-instantiated
//! component, a concurrency cap with a bounded wait, a wall-clock deadline,
//! a memory cap, optional fuel, input/output/log caps, and a circuit breaker
//! that trips a plugin off after repeated failures.
//!
//! Callers speak model types; WIT types stay inside this module.

pub mod bindings;
pub mod convert;
pub mod engine;
pub mod error;
pub mod plugin;
pub mod sandbox;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::model::{
    Capability, EvaluationEvent, Event, Flag, Form, InboundRequest, IngestOutput, Limits, Manifest,
    Mentor, PairScore, PluginError, PluginInfo, PluginKind, PluginRecord, PluginVersion, Protege,
    Scorecard, TripInfo,
};
use crate::store::Store;
use convert::WireSize;
pub use engine::{Compiled, EngineOptions, PluginEngine};
pub use error::RuntimeError;
pub use plugin::{CallFn, CallFuture, CallReport, FailedCall, Instance, LoadedPlugin};
pub use sandbox::{CallLog, EffectiveGrants, LogLine};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A plugin's state as operators see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PluginState {
    /// Enabled and callable.
    Active,
    /// Disabled by an operator.
    Disabled,
    /// Held off by the circuit breaker.
    Tripped,
    /// Could not be loaded (see `load_error`).
    Failed,
}

/// What `GET /v1/plugins` shows for one plugin.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PluginStatus {
    /// Plugin id.
    pub id: String,
    /// World.
    pub kind: PluginKind,
    /// Current state.
    pub state: PluginState,
    /// Whether an operator has it enabled.
    pub enabled: bool,
    /// Whether it ships in the binary.
    pub builtin: bool,
    /// Active version.
    pub version: String,
    /// The version a rollback returns to.
    pub previous_version: Option<String>,
    /// Hex sha256 of the active component.
    pub sha256: Option<String>,
    /// What the plugin says about itself.
    pub info: Option<PluginInfo>,
    /// Capabilities in effect.
    pub capabilities: Vec<Capability>,
    /// Effective limits.
    pub limits: Option<Limits>,
    /// Consecutive failed calls.
    pub consecutive_failures: u32,
    /// Breaker trip details.
    pub tripped: Option<TripInfo>,
    /// Why it could not be loaded.
    pub load_error: Option<String>,
}

/// `PluginStatus` plus every installed version.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PluginDetail {
    /// Current status.
    #[serde(flatten)]
    pub status: PluginStatus,
    /// Installed versions, oldest first.
    pub versions: Vec<PluginVersion>,
}

/// The result of an install request.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Installed {
    /// `installed` (new id), `upgraded` (new version of an id) or
    /// `unchanged` (this exact component was already installed).
    pub action: &'static str,
    /// The plugin afterwards.
    pub status: PluginStatus,
}

struct Entry {
    record: PluginRecord,
    loaded: Option<Arc<LoadedPlugin>>,
    info: Option<PluginInfo>,
    load_error: Option<String>,
    failures: Arc<AtomicU32>,
}

/// The plugin host.
pub struct Runtime {
    engine: Arc<PluginEngine>,
    store: Store,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
    /// A std lock: held only to read or swap entries, never across an await.
    entries: RwLock<BTreeMap<String, Entry>>,
    /// Serialises lifecycle changes (install, rollback…) so two uploads of
    /// the same id cannot interleave their read-modify-write of the record.
    lifecycle: tokio::sync::Mutex<()>,
}

impl Runtime {
    /// Build the engine, load every installed plugin, and install the
    /// embedded reference plugins on first start.
    pub async fn start(
        config: Arc<Config>,
        store: Store,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Runtime> {
        let options = EngineOptions::server(&config.runtime, &config.data_dir);
        let engine =
            Arc::new(tokio::task::spawn_blocking(move || PluginEngine::new(options)).await??);
        let runtime = Runtime {
            engine,
            store,
            config,
            metrics,
            entries: RwLock::new(BTreeMap::new()),
            lifecycle: tokio::sync::Mutex::new(()),
        };
        for record in runtime.store.plugins()? {
            let entry = runtime.load_entry(record).await;
            if let Some(e) = &entry.load_error {
                tracing::error!(plugin = %entry.record.id, error = %e, "plugin could not be loaded");
            }
            runtime.put_entry(entry);
        }
        for artifact in sidecoach_plugin_artifacts::reference::ALL {
            let embedded = Manifest::from_toml(artifact.manifest)
                .map_err(|e| anyhow::anyhow!("embedded manifest of {}: {e}", artifact.id))?;
            let installed = runtime.store.plugin(&embedded.id)?;
            let stale_build = match &installed {
                // Same version, different bytes: this binary was rebuilt.
                Some(r) if r.builtin && r.active_version == embedded.version => runtime
                    .store
                    .plugin_version(&r.id, &r.active_version)?
                    .and_then(|v| v.manifest.sha256)
                    .is_some_and(|sha| sha != sha256_hex(artifact.wasm)),
                _ => false,
            };
            if installed.is_none() || stale_build {
                runtime
                    .install(artifact.manifest, artifact.wasm.to_vec(), true)
                    .await?;
            }
        }
        runtime.update_loaded_gauge();
        Ok(runtime)
    }

    /// The engine (for benchmarks and diagnostics).
    pub fn engine(&self) -> &PluginEngine {
        &self.engine
    }

    fn update_loaded_gauge(&self) {
        let n = self
            .entries
            .read()
            .expect("entries lock")
            .values()
            .filter(|e| e.loaded.is_some())
            .count();
        self.metrics.set_plugins_loaded(n);
    }

    fn put_entry(&self, entry: Entry) {
        self.entries
            .write()
            .expect("entries lock")
            .insert(entry.record.id.clone(), entry);
        self.update_loaded_gauge();
    }

    async fn load_entry(&self, record: PluginRecord) -> Entry {
        let loaded = self.load_version(&record.id, &record.active_version).await;
        let (loaded, info, load_error) = match loaded {
            Ok((p, v)) => (Some(p), Some(v.info), None),
            Err(e) => (None, None, Some(e.to_string())),
        };
        Entry {
            record,
            loaded,
            info,
            load_error,
            failures: Arc::new(AtomicU32::new(0)),
        }
    }

    async fn load_version(
        &self,
        id: &str,
        version: &str,
    ) -> Result<(Arc<LoadedPlugin>, PluginVersion), RuntimeError> {
        let v = self.store.plugin_version(id, version)?.ok_or_else(|| {
            RuntimeError::VersionNotFound {
                id: id.into(),
                version: version.into(),
            }
        })?;
        let sha = v.manifest.sha256.clone().unwrap_or_default();
        let wasm = self
            .store
            .blob(&sha)?
            .ok_or_else(|| RuntimeError::Rejected {
                id: id.into(),
                reason: format!("component {sha} is missing from the store"),
            })?;
        let loaded = self.prepare(&v.manifest, &sha, wasm).await?;
        Ok((loaded, v))
    }

    /// Resolve limits and grants for a manifest, compile (or load from the
    /// cache) and pre-instantiate.
    async fn prepare(
        &self,
        manifest: &Manifest,
        sha: &str,
        wasm: Vec<u8>,
    ) -> Result<Arc<LoadedPlugin>, RuntimeError> {
        let id = manifest.id.clone();
        let settings = self.config.plugin(&id);
        let grants = EffectiveGrants::resolve(&manifest.capabilities, &settings.grants).map_err(
            |capability| RuntimeError::CapabilityNotGranted {
                id: id.clone(),
                capability,
            },
        )?;
        for cap in [
            Capability::Clocks,
            Capability::Random,
            Capability::Environment,
            Capability::Network,
            Capability::Filesystem,
        ] {
            if settings.grants.grants(cap) && !manifest.capabilities.contains(&cap) {
                tracing::warn!(plugin = %id, capability = %cap, "granted in config but not declared by the manifest; not given");
            }
        }
        let limits = self
            .config
            .limits
            .tighten(&manifest.limits)
            .overlay(&settings.limits);
        let ceiling = self.engine.options().max_memory_bytes as u64 >> 20;
        if limits.memory_mib > ceiling {
            return Err(RuntimeError::Rejected {
                id,
                reason: format!(
                    "memory limit {} MiB is above the host's maximum of {ceiling} MiB (runtime.max_memory_mib)",
                    limits.memory_mib
                ),
            });
        }
        let mut config = manifest.config.clone();
        config.extend(settings.config);
        let engine = self.engine.clone();
        let (sha_owned, version, kind) = (sha.to_string(), manifest.version.clone(), manifest.kind);
        let api_version = manifest.api_version.clone();
        let metrics = self.metrics.clone();
        tokio::task::spawn_blocking(move || {
            let (component, how) =
                engine
                    .compile(&sha_owned, &wasm)
                    .map_err(|e| RuntimeError::Rejected {
                        id: id.clone(),
                        reason: format!("not a valid component: {e:#}"),
                    })?;
            metrics.record_compile(match how {
                Compiled::Fresh => "fresh",
                Compiled::Cached => "cache",
            });
            LoadedPlugin::prepare(
                &engine,
                &id,
                &version,
                kind,
                &api_version,
                &sha_owned,
                &component,
                limits,
                grants,
                config,
            )
        })
        .await
        .map_err(|e| RuntimeError::Engine {
            id: manifest.id.clone(),
            message: format!("compile task failed: {e}"),
        })?
        .map(Arc::new)
    }

    // ---- lifecycle ---------------------------------------------------------

    /// Install a new plugin, or a new version of an installed one (an
    /// upgrade: the old version becomes the rollback target). Installing a
    /// component that is already installed under the same version changes
    /// nothing.
    pub async fn install(
        &self,
        manifest_toml: &str,
        wasm: Vec<u8>,
        builtin: bool,
    ) -> Result<Installed, RuntimeError> {
        let _guard = self.lifecycle.lock().await;
        let mut manifest = Manifest::from_toml(manifest_toml)?;
        let id = manifest.id.clone();
        let sha = sha256_hex(&wasm);
        if let Some(declared) = &manifest.sha256
            && !declared.eq_ignore_ascii_case(&sha)
        {
            return Err(RuntimeError::Rejected {
                id,
                reason: format!(
                    "the manifest's sha256 {declared} does not match the component's {sha}"
                ),
            });
        }
        manifest.sha256 = Some(sha.clone());
        let existing = self.store.plugin(&id)?;
        if let Some(rec) = &existing
            && rec.kind != manifest.kind
        {
            return Err(RuntimeError::Rejected {
                id,
                reason: format!(
                    "this id belongs to an installed {} plugin; a {} needs its own id",
                    rec.kind, manifest.kind
                ),
            });
        }
        if let Some(v) = self.store.plugin_version(&id, &manifest.version)? {
            let same = v.manifest.sha256.as_deref() == Some(sha.as_str());
            let active = existing
                .as_ref()
                .is_some_and(|r| r.active_version == manifest.version);
            if same && active {
                return Ok(Installed {
                    action: "unchanged",
                    status: self.status(&id)?,
                });
            }
            if !same && !builtin {
                return Err(RuntimeError::VersionConflict {
                    id,
                    version: manifest.version,
                });
            }
        }

        let size_bytes = wasm.len() as u64;
        let loaded = self.prepare(&manifest, &sha, wasm.clone()).await?;
        let info = self
            .execute(&loaded, (), describe)
            .await
            .map_err(|f| f.error)?
            .output;
        if info.version != manifest.version {
            return Err(RuntimeError::Rejected {
                id,
                reason: format!(
                    "describe() reports version {} but the manifest says {}",
                    info.version, manifest.version
                ),
            });
        }
        let previous_version = existing
            .as_ref()
            .map(|r| r.active_version.clone())
            .filter(|v| *v != manifest.version)
            .or_else(|| existing.as_ref().and_then(|r| r.previous_version.clone()));
        let record = PluginRecord {
            id: id.clone(),
            kind: manifest.kind,
            active_version: manifest.version.clone(),
            previous_version,
            enabled: existing.as_ref().is_none_or(|r| r.enabled),
            tripped: None,
            builtin,
        };
        let version = PluginVersion {
            manifest,
            info: info.clone(),
            installed_at_ms: now_ms(),
            size_bytes,
        };
        self.store
            .install_plugin_version(&record, &version, &wasm)
            .await?;
        let action = if existing.is_some() {
            "upgraded"
        } else {
            "installed"
        };
        tracing::info!(plugin = %id, version = %record.active_version, action, "plugin installed");
        self.put_entry(Entry {
            record,
            loaded: Some(loaded),
            info: Some(info),
            load_error: None,
            failures: Arc::new(AtomicU32::new(0)),
        });
        Ok(Installed {
            action,
            status: self.status(&id)?,
        })
    }

    async fn update_record(
        &self,
        id: &str,
        change: impl FnOnce(&mut PluginRecord),
    ) -> Result<PluginRecord, RuntimeError> {
        let mut record = self
            .store
            .plugin(id)?
            .ok_or_else(|| RuntimeError::NotFound { id: id.into() })?;
        change(&mut record);
        self.store.put_plugin(&record).await?;
        if let Some(e) = self.entries.write().expect("entries lock").get_mut(id) {
            e.record = record.clone();
        }
        Ok(record)
    }

    /// Enable a plugin; also clears a breaker trip.
    pub async fn enable(&self, id: &str) -> Result<PluginStatus, RuntimeError> {
        let _guard = self.lifecycle.lock().await;
        self.update_record(id, |r| {
            r.enabled = true;
            r.tripped = None;
        })
        .await?;
        if let Some(e) = self.entries.read().expect("entries lock").get(id) {
            e.failures.store(0, Ordering::Relaxed);
        }
        tracing::info!(plugin = %id, "plugin enabled");
        self.status(id)
    }

    /// Disable a plugin: calls are refused until it is enabled.
    pub async fn disable(&self, id: &str) -> Result<PluginStatus, RuntimeError> {
        let _guard = self.lifecycle.lock().await;
        self.update_record(id, |r| r.enabled = false).await?;
        tracing::info!(plugin = %id, "plugin disabled");
        self.status(id)
    }

    /// Make the previous version active again (and the current one the
    /// rollback target, so a second rollback undoes the first).
    pub async fn rollback(&self, id: &str) -> Result<PluginStatus, RuntimeError> {
        let _guard = self.lifecycle.lock().await;
        let record = self
            .store
            .plugin(id)?
            .ok_or_else(|| RuntimeError::NotFound { id: id.into() })?;
        let previous = record
            .previous_version
            .clone()
            .ok_or_else(|| RuntimeError::NoPrevious { id: id.into() })?;
        let (loaded, version) = self.load_version(id, &previous).await?;
        let record = PluginRecord {
            active_version: previous,
            previous_version: Some(record.active_version.clone()),
            tripped: None,
            ..record
        };
        self.store.put_plugin(&record).await?;
        tracing::info!(plugin = %id, version = %record.active_version, "plugin rolled back");
        self.put_entry(Entry {
            record,
            loaded: Some(loaded),
            info: Some(version.info),
            load_error: None,
            failures: Arc::new(AtomicU32::new(0)),
        });
        self.status(id)
    }

    // ---- inspection --------------------------------------------------------

    fn status_of(entry: &Entry) -> PluginStatus {
        let r = &entry.record;
        let state = if entry.loaded.is_none() {
            PluginState::Failed
        } else if !r.enabled {
            PluginState::Disabled
        } else if r.tripped.is_some() {
            PluginState::Tripped
        } else {
            PluginState::Active
        };
        PluginStatus {
            id: r.id.clone(),
            kind: r.kind,
            state,
            enabled: r.enabled,
            builtin: r.builtin,
            version: r.active_version.clone(),
            previous_version: r.previous_version.clone(),
            sha256: entry.loaded.as_ref().map(|l| l.sha256.clone()),
            info: entry.info.clone(),
            capabilities: entry
                .loaded
                .as_ref()
                .map(|l| l.grants.names())
                .unwrap_or_default(),
            limits: entry.loaded.as_ref().map(|l| l.limits.clone()),
            consecutive_failures: entry.failures.load(Ordering::Relaxed),
            tripped: r.tripped.clone(),
            load_error: entry.load_error.clone(),
        }
    }

    /// Every plugin's status, by id.
    pub fn list(&self) -> Vec<PluginStatus> {
        self.entries
            .read()
            .expect("entries lock")
            .values()
            .map(Self::status_of)
            .collect()
    }

    /// One plugin's status.
    pub fn status(&self, id: &str) -> Result<PluginStatus, RuntimeError> {
        self.entries
            .read()
            .expect("entries lock")
            .get(id)
            .map(Self::status_of)
            .ok_or_else(|| RuntimeError::NotFound { id: id.into() })
    }

    /// One plugin's status and installed versions.
    pub fn inspect(&self, id: &str) -> Result<PluginDetail, RuntimeError> {
        let status = self.status(id)?;
        Ok(PluginDetail {
            status,
            versions: self.store.plugin_versions(id)?,
        })
    }

    // ---- calls ---------------------------------------------------------------

    /// Run `f` on a plugin under its limits: input cap, a call slot (waiting
    /// at most `queue_wait_ms`), a fresh store on a blocking thread, output
    /// cap, metrics. Breaker accounting is the caller's.
    async fn execute<I, O>(
        &self,
        plugin: &Arc<LoadedPlugin>,
        input: I,
        f: CallFn<I, O>,
    ) -> Result<CallReport<O>, Box<FailedCall>>
    where
        I: WireSize + Send + 'static,
        O: WireSize + Send + 'static,
    {
        let id = plugin.id.to_string();
        let fail = |error: RuntimeError| {
            Box::new(FailedCall {
                error,
                log: CallLog::default(),
                duration: Duration::ZERO,
                fuel_consumed: None,
            })
        };
        let size = input.wire_size();
        if size > plugin.limits.max_input_bytes {
            self.metrics
                .record_call(&id, "input_too_large", Duration::ZERO, None, 0);
            return Err(fail(RuntimeError::InputTooLarge {
                id,
                size,
                limit: plugin.limits.max_input_bytes,
            }));
        }
        let wait = Duration::from_millis(plugin.limits.queue_wait_ms);
        let permit = match tokio::time::timeout(wait, plugin.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => {
                self.metrics.record_call(&id, "busy", wait, None, 0);
                return Err(fail(RuntimeError::Busy {
                    id,
                    max_concurrency: plugin.limits.max_concurrency,
                    waited_ms: plugin.limits.queue_wait_ms,
                }));
            }
        };
        let (engine, p) = (self.engine.clone(), plugin.clone());
        // A task of its own: the call finishes (or hits its deadline) even
        // if the HTTP client that asked for it goes away.
        let joined = tokio::spawn(async move {
            let _permit = permit;
            p.run(&engine, input, f).await
        })
        .await;
        let result = match joined {
            Ok(r) => r,
            Err(e) => Err(fail(RuntimeError::Engine {
                id: id.clone(),
                message: format!("call task failed: {e}"),
            })),
        };
        let result = result.and_then(|report| {
            let size = report.output.wire_size();
            if size > plugin.limits.max_output_bytes {
                Err(Box::new(FailedCall {
                    error: RuntimeError::OutputTooLarge {
                        id: id.clone(),
                        size,
                        limit: plugin.limits.max_output_bytes,
                    },
                    log: report.log,
                    duration: report.duration,
                    fuel_consumed: report.fuel_consumed,
                }))
            } else {
                Ok(report)
            }
        });
        match &result {
            Ok(r) => self.metrics.record_call(
                &id,
                "ok",
                r.duration,
                r.fuel_consumed,
                r.log.dropped_bytes,
            ),
            Err(f) => self.metrics.record_call(
                &id,
                f.error.kind_label(),
                f.duration,
                f.fuel_consumed,
                f.log.dropped_bytes,
            ),
        }
        result
    }

    /// Look up a callable plugin of `kind`, run `f`, and keep the breaker.
    async fn call<I, O>(
        &self,
        id: &str,
        kind: PluginKind,
        input: I,
        f: CallFn<I, O>,
    ) -> Result<CallReport<O>, Box<FailedCall>>
    where
        I: WireSize + Send + 'static,
        O: WireSize + Send + 'static,
    {
        let refuse = |error| {
            Box::new(FailedCall {
                error,
                log: CallLog::default(),
                duration: Duration::ZERO,
                fuel_consumed: None,
            })
        };
        let (plugin, failures) = {
            let entries = self.entries.read().expect("entries lock");
            let entry = entries
                .get(id)
                .ok_or_else(|| refuse(RuntimeError::NotFound { id: id.into() }))?;
            if entry.record.kind != kind {
                return Err(refuse(RuntimeError::WrongKind {
                    id: id.into(),
                    expected: kind,
                    actual: entry.record.kind,
                }));
            }
            if !entry.record.enabled {
                return Err(refuse(RuntimeError::Disabled { id: id.into() }));
            }
            if let Some(t) = &entry.record.tripped {
                return Err(refuse(RuntimeError::Tripped {
                    id: id.into(),
                    failures: t.failures,
                    last_error: t.last_error.clone(),
                }));
            }
            let Some(plugin) = entry.loaded.clone() else {
                return Err(refuse(RuntimeError::Engine {
                    id: id.into(),
                    message: entry
                        .load_error
                        .clone()
                        .unwrap_or_else(|| "not loaded".into()),
                }));
            };
            (plugin, entry.failures.clone())
        };
        let result = self.execute(&plugin, input, f).await;
        match &result {
            Ok(_) => failures.store(0, Ordering::Relaxed),
            Err(failed) if failed.error.counts_as_plugin_failure() => {
                let n = failures.fetch_add(1, Ordering::Relaxed) + 1;
                let threshold = self.config.runtime.breaker_threshold;
                if threshold > 0 && n >= threshold {
                    self.trip(id, &plugin.version, n, failed.error.to_string())
                        .await;
                }
            }
            Err(_) => {}
        }
        result
    }

    async fn trip(&self, id: &str, version: &str, failures: u32, last_error: String) {
        let _guard = self.lifecycle.lock().await;
        let current = self.store.plugin(id).ok().flatten();
        // Only trip the version that failed, and only once.
        if current
            .as_ref()
            .is_none_or(|r| r.tripped.is_some() || r.active_version != version)
        {
            return;
        }
        let info = TripInfo {
            at_ms: now_ms(),
            failures,
            last_error,
        };
        tracing::error!(plugin = %id, failures, last_error = %info.last_error, "circuit breaker tripped: plugin held off until re-enabled");
        match self.update_record(id, |r| r.tripped = Some(info)).await {
            Ok(_) => self.metrics.record_trip(id),
            Err(e) => tracing::error!(plugin = %id, error = %e, "could not record breaker trip"),
        }
    }

    /// Ask an adapter to verify and parse one vendor request.
    pub async fn ingest(
        &self,
        id: &str,
        request: InboundRequest,
    ) -> Result<CallReport<Result<IngestOutput, PluginError>>, Box<FailedCall>> {
        self.call(id, PluginKind::Adapter, request, ingest_call)
            .await
    }

    /// Score a batch of evaluations of one form.
    pub async fn score(
        &self,
        id: &str,
        form: Form,
        evaluations: Vec<EvaluationEvent>,
    ) -> Result<CallReport<Vec<Result<Scorecard, PluginError>>>, Box<FailedCall>> {
        self.call(
            id,
            PluginKind::Scorer,
            ScoreInput { form, evaluations },
            score_call,
        )
        .await
    }

    /// Score a batch with a given installed version of a scorer (re-scoring
    /// history with an older or newer rule). The active version takes the
    /// usual path; any other is loaded from the store (and the compile
    /// cache) for this call, runs under the same limits, and does not move
    /// the active version's breaker.
    pub async fn score_with_version(
        &self,
        id: &str,
        version: Option<&str>,
        form: Form,
        evaluations: Vec<EvaluationEvent>,
    ) -> Result<CallReport<Vec<Result<Scorecard, PluginError>>>, Box<FailedCall>> {
        let refuse = |error| {
            Box::new(FailedCall {
                error,
                log: CallLog::default(),
                duration: Duration::ZERO,
                fuel_consumed: None,
            })
        };
        let active = {
            let entries = self.entries.read().expect("entries lock");
            let entry = entries
                .get(id)
                .ok_or_else(|| refuse(RuntimeError::NotFound { id: id.into() }))?;
            if entry.record.kind != PluginKind::Scorer {
                return Err(refuse(RuntimeError::WrongKind {
                    id: id.into(),
                    expected: PluginKind::Scorer,
                    actual: entry.record.kind,
                }));
            }
            entry.record.active_version.clone()
        };
        match version {
            Some(v) if v != active => {
                let (plugin, _) = self.load_version(id, v).await.map_err(refuse)?;
                self.execute(&plugin, ScoreInput { form, evaluations }, score_call)
                    .await
            }
            _ => self.score(id, form, evaluations).await,
        }
    }

    /// Score (protégé, mentor) pairs.
    pub async fn rank(
        &self,
        id: &str,
        proteges: Vec<Protege>,
        mentors: Vec<Mentor>,
    ) -> Result<CallReport<Result<Vec<PairScore>, PluginError>>, Box<FailedCall>> {
        self.call(id, PluginKind::Matcher, (proteges, mentors), rank_call)
            .await
    }

    /// Flag a batch of events.
    pub async fn flag(
        &self,
        id: &str,
        events: Vec<Event>,
    ) -> Result<CallReport<Result<Vec<Flag>, PluginError>>, Box<FailedCall>> {
        self.call(id, PluginKind::Flagger, events, flag_call).await
    }
}

type HostStore = wasmtime::Store<sandbox::HostState>;

fn ingest_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    request: InboundRequest,
) -> CallFuture<'a, Result<IngestOutput, PluginError>> {
    Box::pin(async move {
        match instance {
            // 0.1.0 adapters reject whole requests only.
            Instance::Adapter(a) => {
                let out = a.call_ingest(store, &request.into()).await?;
                Ok(out
                    .map(|events| IngestOutput {
                        events: events.into_iter().map(Into::into).collect(),
                        rejected: Vec::new(),
                    })
                    .map_err(Into::into))
            }
            Instance::AdapterV2(a) => {
                let out = a.call_ingest(store, &request.into()).await?;
                Ok(out.map(Into::into).map_err(Into::into))
            }
            _ => unreachable!("kind checked before the call"),
        }
    })
}

fn score_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    input: ScoreInput,
) -> CallFuture<'a, Vec<Result<Scorecard, PluginError>>> {
    Box::pin(async move {
        let Instance::Scorer(s) = instance else {
            unreachable!("kind checked before the call")
        };
        let evals: Vec<_> = input.evaluations.into_iter().map(Into::into).collect();
        let out = s.call_score(store, &input.form.into(), &evals).await?;
        Ok(out
            .into_iter()
            .map(|r| r.map(Into::into).map_err(Into::into))
            .collect())
    })
}

fn rank_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    (proteges, mentors): (Vec<Protege>, Vec<Mentor>),
) -> CallFuture<'a, Result<Vec<PairScore>, PluginError>> {
    Box::pin(async move {
        let Instance::Matcher(m) = instance else {
            unreachable!("kind checked before the call")
        };
        let p: Vec<_> = proteges.into_iter().map(Into::into).collect();
        let mentors: Vec<_> = mentors.into_iter().map(Into::into).collect();
        let out = m.call_rank(store, &p, &mentors).await?;
        Ok(out
            .map(|v| v.into_iter().map(Into::into).collect())
            .map_err(Into::into))
    })
}

fn flag_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    events: Vec<Event>,
) -> CallFuture<'a, Result<Vec<Flag>, PluginError>> {
    Box::pin(async move {
        let Instance::Flagger(f) = instance else {
            unreachable!("kind checked before the call")
        };
        let ev: Vec<_> = events.into_iter().map(Into::into).collect();
        let out = f.call_flag(store, &ev).await?;
        Ok(out
            .map(|v| v.into_iter().map(Into::into).collect())
            .map_err(Into::into))
    })
}

/// A scorer call's input.
struct ScoreInput {
    form: Form,
    evaluations: Vec<EvaluationEvent>,
}

impl WireSize for ScoreInput {
    fn wire_size(&self) -> u64 {
        self.form.wire_size() + self.evaluations.wire_size()
    }
}

impl WireSize for () {
    fn wire_size(&self) -> u64 {
        0
    }
}

impl WireSize for PluginInfo {
    fn wire_size(&self) -> u64 {
        self.name.wire_size() + self.version.wire_size() + self.description.wire_size()
    }
}

fn describe<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    _: (),
) -> CallFuture<'a, PluginInfo> {
    Box::pin(async move {
        Ok(match instance {
            Instance::Adapter(p) => p.call_describe(store).await?.into(),
            Instance::AdapterV2(p) => p.call_describe(store).await?.into(),
            Instance::Scorer(p) => p.call_describe(store).await?.into(),
            Instance::Matcher(p) => p.call_describe(store).await?.into(),
            Instance::Flagger(p) => p.call_describe(store).await?.into(),
        })
    })
}
