//! A loaded plugin: its pre-instantiated component, effective limits and
//! grants, and the code that runs one call in a fresh store.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::Component;
use wasmtime::{Store, Trap};

use super::engine::PluginEngine;
use super::error::RuntimeError;
use super::sandbox::{CallLog, EffectiveGrants, HostState};
use super::wit::v0_1_0::{adapter, flagger, matcher, scorer};
use super::wit::v0_2_0::adapter as adapter_v2;
use crate::model::{Limits, PluginKind};

/// The pre-instantiated component, typed by its world.
pub enum Bindings {
    /// An adapter built against API 0.1.0.
    Adapter(adapter::AdapterPre<HostState>),
    /// An adapter built against API 0.2.0.
    AdapterV2(adapter_v2::AdapterPre<HostState>),
    /// A scorer.
    Scorer(scorer::ScorerPre<HostState>),
    /// A matcher.
    Matcher(matcher::MatcherPre<HostState>),
    /// A flagger.
    Flagger(flagger::FlaggerPre<HostState>),
}

/// A live instance for one call.
pub enum Instance {
    /// An adapter built against API 0.1.0.
    Adapter(adapter::Adapter),
    /// An adapter built against API 0.2.0.
    AdapterV2(adapter_v2::Adapter),
    /// A scorer.
    Scorer(scorer::Scorer),
    /// A matcher.
    Matcher(matcher::Matcher),
    /// A flagger.
    Flagger(flagger::Flagger),
}

impl Bindings {
    async fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Instance> {
        Ok(match self {
            Bindings::Adapter(pre) => Instance::Adapter(pre.instantiate_async(store).await?),
            Bindings::AdapterV2(pre) => Instance::AdapterV2(pre.instantiate_async(store).await?),
            Bindings::Scorer(pre) => Instance::Scorer(pre.instantiate_async(store).await?),
            Bindings::Matcher(pre) => Instance::Matcher(pre.instantiate_async(store).await?),
            Bindings::Flagger(pre) => Instance::Flagger(pre.instantiate_async(store).await?),
        })
    }
}

/// The future of one export call, borrowing the instance and the store.
pub type CallFuture<'a, O> = Pin<Box<dyn Future<Output = wasmtime::Result<O>> + Send + 'a>>;

/// Calls one export of an instance with an input.
pub type CallFn<I, O> = for<'a> fn(&'a Instance, &'a mut Store<HostState>, I) -> CallFuture<'a, O>;

/// An installed plugin version, ready to call.
pub struct LoadedPlugin {
    /// Plugin id.
    pub id: Arc<str>,
    /// Active version.
    pub version: String,
    /// World.
    pub kind: PluginKind,
    /// Hex sha256 of the component.
    pub sha256: String,
    /// Effective limits.
    pub limits: Limits,
    /// Effective capability grants.
    pub grants: EffectiveGrants,
    /// Merged configuration (manifest defaults, operator overlay).
    pub config: Arc<BTreeMap<String, String>>,
    pub(super) bindings: Bindings,
    /// Call slots: `max_concurrency` permits.
    pub(super) slots: Arc<tokio::sync::Semaphore>,
}

/// What one call produced, with what it cost.
#[derive(Debug)]
pub struct CallReport<T> {
    /// The plugin's return value.
    pub output: T,
    /// The version that ran.
    pub plugin_version: String,
    /// What it logged (bounded).
    pub log: CallLog,
    /// Wall time, instantiation included.
    pub duration: Duration,
    /// Fuel used, when the engine meters fuel.
    pub fuel_consumed: Option<u64>,
}

/// A call that failed, with whatever the plugin logged before it did.
pub struct FailedCall {
    /// The typed failure.
    pub error: RuntimeError,
    /// The bounded log up to the failure.
    pub log: CallLog,
    /// Wall time.
    pub duration: Duration,
    /// Fuel used.
    pub fuel_consumed: Option<u64>,
}

impl FailedCall {
    /// A call refused before the plugin ran: no log, no time, no fuel.
    pub fn refused(error: RuntimeError) -> Box<FailedCall> {
        Box::new(FailedCall {
            error,
            log: CallLog::default(),
            duration: Duration::ZERO,
            fuel_consumed: None,
        })
    }
}

impl LoadedPlugin {
    /// Check a compiled component against its declared kind and
    /// pre-instantiate it.
    #[expect(
        clippy::too_many_arguments,
        reason = "one constructor gathering the parts resolved by the registry"
    )]
    pub fn prepare(
        engine: &PluginEngine,
        id: &str,
        version: &str,
        kind: PluginKind,
        api_version: &str,
        sha256: &str,
        component: &Component,
        limits: Limits,
        grants: EffectiveGrants,
        config: BTreeMap<String, String>,
    ) -> Result<LoadedPlugin, RuntimeError> {
        let exports = engine.export_names(component);
        let missing: Vec<_> = kind
            .required_exports()
            .iter()
            .filter(|name| !exports.iter().any(|e| e == *name))
            .map(|name| format!("`{name}`"))
            .collect();
        if !missing.is_empty() {
            return Err(RuntimeError::KindMismatch {
                id: id.to_string(),
                kind,
                missing: missing.join(" and "),
                exports: if exports.is_empty() {
                    "nothing".into()
                } else {
                    exports.join(", ")
                },
            });
        }
        let engine_err = |e: wasmtime::Error| RuntimeError::Rejected {
            id: id.to_string(),
            reason: format!("{e:#}"),
        };
        let pre = engine
            .instantiate_pre(component)
            .map_err(|e| RuntimeError::Rejected {
                id: id.to_string(),
                reason: format!("its imports cannot be satisfied by this host: {e:#}"),
            })?;
        let bindings = match kind {
            PluginKind::Adapter if api_version == "0.2.0" => {
                Bindings::AdapterV2(adapter_v2::AdapterPre::new(pre).map_err(engine_err)?)
            }
            PluginKind::Adapter => {
                Bindings::Adapter(adapter::AdapterPre::new(pre).map_err(engine_err)?)
            }
            PluginKind::Scorer => {
                Bindings::Scorer(scorer::ScorerPre::new(pre).map_err(engine_err)?)
            }
            PluginKind::Matcher => {
                Bindings::Matcher(matcher::MatcherPre::new(pre).map_err(engine_err)?)
            }
            PluginKind::Flagger => {
                Bindings::Flagger(flagger::FlaggerPre::new(pre).map_err(engine_err)?)
            }
        };
        Ok(LoadedPlugin {
            id: Arc::from(id),
            version: version.to_string(),
            kind,
            sha256: sha256.to_string(),
            slots: Arc::new(tokio::sync::Semaphore::new(
                limits.max_concurrency.max(1) as usize
            )),
            limits,
            grants,
            config: Arc::new(config),
            bindings,
        })
    }

    /// Run one call in a fresh store. The whole call (instantiation
    /// included) runs under a timer of `deadline_ms`: a guest spinning in
    /// wasm yields every epoch tick, and one blocked in a host call waits
    /// on a future, so either way the timer cancels it.
    pub async fn run<I: Send, O: Send>(
        &self,
        engine: &PluginEngine,
        input: I,
        f: CallFn<I, O>,
    ) -> Result<CallReport<O>, Box<FailedCall>> {
        let started = Instant::now();
        let memory_limit = (self.limits.memory_mib as usize).saturating_mul(1 << 20);
        let state = match HostState::new(
            self.id.clone(),
            &self.grants,
            self.config.clone(),
            memory_limit,
            self.limits.max_log_bytes,
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(plugin = %self.id, error = %e, "sandbox setup failed");
                return Err(Box::new(FailedCall {
                    error: RuntimeError::Engine {
                        id: self.id.to_string(),
                        message: "sandbox setup failed; see the host log".into(),
                    },
                    log: CallLog::default(),
                    duration: started.elapsed(),
                    fuel_consumed: None,
                }));
            }
        };
        let mut store = Store::new(engine.engine(), state);
        store.limiter(|s| &mut s.limiter);
        let fuel_budget = self.limits.fuel.unwrap_or(u64::MAX);
        let metering = engine.options().fuel;
        if metering {
            store
                .set_fuel(fuel_budget)
                .expect("fuel is enabled on this engine");
        }
        if engine.options().epoch {
            store.epoch_deadline_async_yield_and_update(1);
        }

        let deadline = Duration::from_millis(self.limits.deadline_ms);
        let bindings = &self.bindings;
        let store_ref = &mut store;
        let result = tokio::time::timeout(deadline, async move {
            let instance = bindings
                .instantiate(store_ref)
                .await
                .map_err(|e| (Some(e), false))?;
            f(&instance, store_ref, input)
                .await
                .map_err(|e| (Some(e), true))
        })
        .await
        .unwrap_or(Err((None, true)));
        let fuel_consumed = metering.then(|| fuel_budget - store.get_fuel().unwrap_or(0));
        let exceeded_memory = store.data().limiter.exceeded;
        let log = store.data_mut().finish_log();
        let duration = started.elapsed();
        match result {
            Ok(output) => Ok(CallReport {
                output,
                plugin_version: self.version.clone(),
                log,
                duration,
                fuel_consumed,
            }),
            Err((None, _)) => Err(Box::new(FailedCall {
                error: RuntimeError::Timeout {
                    id: self.id.to_string(),
                    deadline_ms: self.limits.deadline_ms,
                },
                log,
                duration,
                fuel_consumed,
            })),
            Err((Some(e), during_call)) => {
                let error = self.classify(e, exceeded_memory, during_call, &log);
                Err(Box::new(FailedCall {
                    error,
                    log,
                    duration,
                    fuel_consumed,
                }))
            }
        }
    }

    fn classify(
        &self,
        e: wasmtime::Error,
        exceeded_memory: bool,
        during_call: bool,
        log: &CallLog,
    ) -> RuntimeError {
        let id = self.id.to_string();
        if exceeded_memory {
            return RuntimeError::MemoryLimit {
                id,
                limit_mib: self.limits.memory_mib,
            };
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => RuntimeError::Timeout {
                id,
                deadline_ms: self.limits.deadline_ms,
            },
            Some(Trap::OutOfFuel) => RuntimeError::FuelExhausted {
                id,
                fuel: self.limits.fuel.unwrap_or(u64::MAX),
            },
            Some(trap) => {
                let said: Vec<_> = log
                    .lines
                    .iter()
                    .filter(|l| l.level == "stderr")
                    .map(|l| l.message.as_str())
                    .collect();
                let message = if said.is_empty() {
                    trap.to_string()
                } else {
                    format!("{trap}; the plugin wrote: {}", said.join(" / "))
                };
                RuntimeError::Trap { id, message }
            }
            // Not a trap: an instantiation failure (pool exhausted, a start
            // function's error) or a host-side error during the call.
            None if during_call => RuntimeError::Trap {
                id,
                message: format!("{e:#}"),
            },
            None => RuntimeError::Engine {
                id,
                message: format!("instantiation failed: {e:#}"),
            },
        }
    }
}
