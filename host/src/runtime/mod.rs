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
//!
//! # Layout
//!
//! - this file: [`Runtime`], start-up (load the registry, install the
//!   embedded reference plugins) and the types operators see;
//! - `registry.rs`: install, upgrade, enable, disable, rollback, status;
//! - `call.rs`: the one call path (limits, call slots, breaker);
//! - `pool.rs`: fair shares of the engine's instance pool per installer
//!   and per plugin;
//! - `exports.rs`: the typed exports of each world, in model types;
//! - [`engine`]: the wasmtime engine, compile cache, pre-instantiation;
//! - [`plugin`]: one loaded plugin version and its per-call store;
//! - [`sandbox`]: the WASI context, grants, limits and the call log;
//! - [`wit`]: one file per WIT version with its `bindgen!` and the
//!   conversions between that version's types and the model.

mod call;
pub(crate) mod engine;
pub(crate) mod error;
mod exports;
mod invoke;
pub(crate) mod plugin;
mod pool;
mod registry;
pub(crate) mod sandbox;
pub(crate) mod wit;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::clock::{now_ms, sha256_hex};
use serde::Serialize;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::model::{
    Capability, EvaluationEvent, Event, Flag, Form, InboundRequest, IngestOutput, Limits, Manifest,
    Mentor, PairScores, PluginError, PluginInfo, PluginKind, PluginRecord, PluginVersion, Protege,
    Scorecard, TripInfo,
};
use crate::store::Store;
pub use engine::{Compiled, EngineOptions, PluginEngine};
pub use error::RuntimeError;
pub use invoke::InvokeInput;
pub use plugin::{CallFn, CallFuture, CallReport, FailedCall, Instance, LoadedPlugin};
pub use sandbox::{CallLog, EffectiveGrants, LogLine};
/// Sizes of call inputs and outputs as they cross the boundary.
pub use wit::WireSize;

/// The engine-level pieces the runtime benchmark measures directly
/// (instantiation with and without pooling, the raw scorer export against
/// native code). Embedding the host needs none of them: use [`Runtime`].
pub mod lowlevel {
    pub use super::engine::{EngineOptions, PluginEngine};
    pub use super::plugin::{CallFuture, Instance, LoadedPlugin};
    pub use super::sandbox::{EffectiveGrants, HostState};
    pub use super::wit::v0_1_0::{scorer::Scorer, types as wit};
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
    /// The WIT API version the active version was built against.
    pub api_version: Option<String>,
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
    /// How long compiling (or loading from the compile cache) and
    /// pre-instantiating took; absent when nothing changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compile: Option<CompileReport>,
}

/// What preparing an installed component cost.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CompileReport {
    /// Milliseconds to compile (or load from the cache) and pre-instantiate.
    pub ms: f64,
    /// Loaded from the compile cache rather than compiled.
    pub from_cache: bool,
}

struct Entry {
    record: PluginRecord,
    /// The active version.
    loaded: Option<Arc<LoadedPlugin>>,
    info: Option<PluginInfo>,
    load_error: Option<String>,
    /// Consecutive failures of this entry's calls, whatever version ran.
    /// A new entry (install, upgrade, rollback) starts a new counter, so a
    /// late failure of a replaced version cannot trip its successor.
    failures: Arc<AtomicU32>,
    /// Installed versions other than the active one that a call asked for
    /// (re-scoring with an older rule), loaded once and kept until the
    /// entry is replaced. They run under their own limits but in the
    /// active version's call slots and breaker.
    others: BTreeMap<String, Arc<LoadedPlugin>>,
}

impl Entry {
    fn new(
        record: PluginRecord,
        loaded: Option<Arc<LoadedPlugin>>,
        info: Option<PluginInfo>,
        load_error: Option<String>,
    ) -> Entry {
        Entry {
            record,
            loaded,
            info,
            load_error,
            failures: Arc::new(AtomicU32::new(0)),
            others: BTreeMap::new(),
        }
    }
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
    /// Held only for the final check-persist-swap, never while compiling
    /// or calling `describe()`, so a slow install does not hold up another
    /// plugin's enable, disable or breaker trip.
    lifecycle: tokio::sync::Mutex<()>,
    /// Every call's slot in the engine's instance pool, shared fairly.
    pool: Arc<pool::InstancePool>,
}

impl Runtime {
    /// Build the engine, load every installed plugin, and install the
    /// embedded reference plugins on first start.
    pub async fn start(
        config: Arc<Config>,
        store: Store,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Runtime> {
        let runtime = Runtime::open(config, store, metrics).await?;
        runtime.install_reference_plugins().await?;
        Ok(runtime)
    }

    /// Build the engine and load every plugin installed in `store`, without
    /// the embedded reference plugins (`sidecoach plugin test` runs one
    /// plugin under exactly this runtime).
    pub async fn open(
        config: Arc<Config>,
        store: Store,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Runtime> {
        let options = EngineOptions::server(&config.runtime, &config.data_dir);
        let engine =
            Arc::new(tokio::task::spawn_blocking(move || PluginEngine::new(options)).await??);
        let pool = pool::InstancePool::new(config.runtime.pool_instances);
        let runtime = Runtime {
            engine,
            store,
            config,
            metrics,
            entries: RwLock::new(BTreeMap::new()),
            lifecycle: tokio::sync::Mutex::new(()),
            pool,
        };
        for record in runtime.store.plugins()? {
            let entry = runtime.load_entry(record).await;
            if let Some(e) = &entry.load_error {
                tracing::error!(plugin = %entry.record.id, error = %e, "plugin could not be loaded");
            }
            runtime.put_entry(entry);
        }
        runtime.update_loaded_gauge();
        Ok(runtime)
    }

    /// Install the embedded reference plugins on first start, and again
    /// when this binary carries a rebuilt component of the same version.
    pub async fn install_reference_plugins(&self) -> anyhow::Result<()> {
        let runtime = self;
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
                    .install(artifact.manifest, artifact.wasm.to_vec(), true, None)
                    .await?;
            }
        }
        runtime.update_loaded_gauge();
        Ok(())
    }

    /// The engine (for benchmarks and diagnostics).
    pub fn engine(&self) -> &PluginEngine {
        &self.engine
    }
}
