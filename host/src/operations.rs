//! What a platform admin watches: readiness (store open, plugins loaded,
//! not shutting down), the Prometheus exposition, the configured vendor
//! sources and whether each one's adapter can be called, and the few
//! settings the HTTP layer needs (body limit, stream keep-alive).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::model::PluginKind;
use crate::runtime::{PluginState, Runtime};
use crate::store::{Store, StoreError};

/// The readiness report.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// Always `ready` (a host that is not ready answers an error).
    pub status: &'static str,
    /// The store's schema version.
    pub schema_version: u32,
    /// Plugins loaded and callable.
    pub plugins_loaded: usize,
    /// Plugins whose stored version could not be loaded.
    pub plugins_failed: usize,
    /// In a cluster: this node's place in the log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterReadiness>,
}

/// A cluster node's place in the log, on `/readyz`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClusterReadiness {
    /// The node's name.
    pub node: String,
    /// The last log entry it applied.
    pub applied: u64,
    /// Entries it has still to apply, as last seen.
    pub lag: u64,
}

/// A node this many log entries behind answers `/readyz` 503 (catching up).
const CATCHING_UP: u64 = 100;

/// A configured source as operators see it (secret values hidden).
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct SourceStatus {
    /// The source name (`POST /v1/ingest/{name}`).
    pub name: String,
    /// Its adapter plugin id.
    adapter: String,
    /// Whether that adapter is installed, is an adapter, and is callable.
    adapter_ready: bool,
    /// What is wrong with the adapter, if anything.
    problem: Option<String>,
    /// The names of its secrets (values are never returned).
    secret_keys: Vec<String>,
    /// Its options.
    options: BTreeMap<String, String>,
}

/// The operations service.
#[derive(Clone)]
pub struct Operations {
    store: Store,
    runtime: Arc<Runtime>,
    metrics: Arc<Metrics>,
    config: Arc<Config>,
    /// False until start-up finishes and again once shutdown begins.
    ready: Arc<AtomicBool>,
    /// Why the store cannot take writes, while it cannot.
    storage_fault: Arc<std::sync::Mutex<Option<String>>>,
    /// This node's place in a cluster, if it is in one.
    cluster: Option<crate::cluster::Cluster>,
}

/// How often the storage watch checks that the store takes writes.
const STORAGE_CHECK: std::time::Duration = std::time::Duration::from_secs(1);
/// Free space the data volume needs before a store that filled it is
/// reopened.
const REOPEN_FREE_BYTES: u64 = 4 << 20;

impl Operations {
    /// The service over the host's parts; ready from the start.
    pub fn new(
        store: Store,
        runtime: Arc<Runtime>,
        metrics: Arc<Metrics>,
        config: Arc<Config>,
        cluster: Option<crate::cluster::Cluster>,
    ) -> Operations {
        Operations {
            store,
            runtime,
            metrics,
            config,
            ready: Arc::new(AtomicBool::new(true)),
            storage_fault: Default::default(),
            cluster,
        }
    }

    /// Why the store cannot take writes now, if it cannot.
    pub fn storage_fault(&self) -> Option<String> {
        self.storage_fault
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_fault(&self, fault: Option<String>) {
        *self.storage_fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// Watch the store until the process ends: once a second, a small
    /// write that sled refuses after a storage fault. On a fault,
    /// `/readyz` answers 503 naming it, and the store is reopened (for a
    /// full disk, once the volume has room again) and checked with a
    /// durable write: writes succeed again without a restart, and every
    /// write acknowledged before the fault is still there (each was
    /// flushed before its answer).
    pub async fn watch_storage(self) {
        let mut ticks = tokio::time::interval(STORAGE_CHECK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let failing = self.storage_fault().is_some();
            let store = self.store.clone();
            // While healthy, an in-memory write (sled reports a poisoned
            // store at once); while failing, a reopen then a durable one.
            let checked = tokio::task::spawn_blocking(move || -> Result<(), String> {
                if failing {
                    if let Ok(free) = fs2::available_space(store.dir())
                        && free < REOPEN_FREE_BYTES
                    {
                        return Err(format!(
                            "the data volume of {} is full ({free} bytes free); free some space",
                            store.dir().display()
                        ));
                    }
                    store.reopen().map_err(|e| describe(&e, store.dir()))?;
                }
                store.probe(failing).map_err(|e| describe(&e, store.dir()))
            })
            .await
            .unwrap_or_else(|e| Err(format!("storage check failed: {e}")));
            match (failing, checked) {
                (_, Err(fault)) => {
                    if !failing {
                        tracing::error!(fault = %fault, "the store stopped taking writes");
                    }
                    self.set_fault(Some(fault));
                }
                (true, Ok(())) => {
                    tracing::warn!("the store takes writes again");
                    self.set_fault(None);
                }
                (false, Ok(())) => {}
            }
        }
    }

    /// The readiness report, or `None` while starting or stopping.
    pub fn readiness(&self) -> Result<Option<Readiness>, StoreError> {
        if !self.ready.load(Ordering::SeqCst) {
            return Ok(None);
        }
        let plugins = self.runtime.list();
        let loaded = plugins.iter().filter(|p| p.load_error.is_none()).count();
        let cluster = self.cluster.as_ref().map(|c| ClusterReadiness {
            node: c.node().to_string(),
            applied: c.applied(),
            lag: c.lag(),
        });
        if cluster.as_ref().is_some_and(|c| c.lag > CATCHING_UP) {
            return Ok(None);
        }
        Ok(Some(Readiness {
            status: "ready",
            schema_version: self.store.schema_version()?,
            plugins_loaded: loaded,
            plugins_failed: plugins.len() - loaded,
            cluster,
        }))
    }

    /// Mark the host as shutting down: `/readyz` answers 503 from now on.
    pub fn stopping(&self) {
        self.ready.store(false, Ordering::SeqCst);
    }

    /// Keep the store from closing (see [`Store::abandon`]): the process is
    /// exiting after a storage fault.
    pub fn abandon_store(&self) {
        self.store.clone().abandon();
    }

    /// Flush the store (on shutdown).
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.store.flush().await
    }

    /// The Prometheus text exposition.
    pub fn metrics_text(&self) -> String {
        self.metrics.encode()
    }

    /// The configured sources and whether each one's adapter is callable.
    pub fn sources(&self) -> Vec<SourceStatus> {
        self.config
            .sources
            .iter()
            .map(|(name, src)| {
                let problem = match self.runtime.status(&src.adapter) {
                    Err(e) => Some(e.to_string()),
                    Ok(p) if p.kind != PluginKind::Adapter => {
                        Some(format!("plugin '{}' is a {}, not an adapter", p.id, p.kind))
                    }
                    Ok(p) if p.state != PluginState::Active => {
                        Some(format!("plugin '{}' is {:?}", p.id, p.state).to_lowercase())
                    }
                    Ok(_) => None,
                };
                SourceStatus {
                    name: name.clone(),
                    adapter: src.adapter.clone(),
                    adapter_ready: problem.is_none(),
                    problem,
                    secret_keys: src.secrets.keys().cloned().collect(),
                    options: src.options.clone(),
                }
            })
            .collect()
    }

    /// The largest request body the API reads.
    pub fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes
    }

    /// The largest plugin upload accepted.
    pub fn max_plugin_bytes(&self) -> usize {
        self.config.max_plugin_bytes
    }

    /// How often an idle live stream sends a keep-alive.
    pub fn stream_keep_alive(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.config.live.keep_alive_seconds.max(1))
    }
}

/// A storage fault in words for `/readyz`.
fn describe(e: &StoreError, dir: &std::path::Path) -> String {
    if e.is_disk_full() {
        format!(
            "the data volume of {} is full; writes answer 507 until space is freed",
            dir.display()
        )
    } else {
        format!("the store in {} cannot write: {e}", dir.display())
    }
}
