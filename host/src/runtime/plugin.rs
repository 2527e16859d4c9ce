//! A loaded plugin: its pre-instantiated component, effective limits and
//! grants, and the code that runs one call in a fresh store.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::Component;

use super::engine::PluginEngine;
use super::error::RuntimeError;
use super::sandbox::{CallLog, EffectiveGrants, HostState};
use super::wit::v0_1_0::{adapter, flagger, matcher, scorer};
use super::wit::v0_2_0::adapter as adapter_v2;
use super::wit::v0_3_0::adapter as adapter_v3;
use super::wit::v0_4_0::matcher as matcher_v4;
use crate::model::{Limits, PluginKind};

/// The pre-instantiated component, typed by its world.
pub enum Bindings {
    /// An adapter built against API 0.1.0.
    Adapter(adapter::AdapterPre<HostState>),
    /// An adapter built against API 0.2.0.
    AdapterV2(adapter_v2::AdapterPre<HostState>),
    /// An adapter built against API 0.3.0.
    AdapterV3(adapter_v3::AdapterPre<HostState>),
    /// A scorer.
    Scorer(scorer::ScorerPre<HostState>),
    /// A matcher built against API 0.1.0.
    Matcher(matcher::MatcherPre<HostState>),
    /// A matcher built against API 0.4.0.
    MatcherV4(matcher_v4::MatcherPre<HostState>),
    /// A flagger.
    Flagger(flagger::FlaggerPre<HostState>),
}

/// A live instance for one call.
pub enum Instance {
    /// An adapter built against API 0.1.0.
    Adapter(adapter::Adapter),
    /// An adapter built against API 0.2.0.
    AdapterV2(adapter_v2::Adapter),
    /// An adapter built against API 0.3.0.
    AdapterV3(adapter_v3::Adapter),
    /// A scorer.
    Scorer(scorer::Scorer),
    /// A matcher built against API 0.1.0.
    Matcher(matcher::Matcher),
    /// A matcher built against API 0.4.0.
    MatcherV4(matcher_v4::Matcher),
    /// A flagger.
    Flagger(flagger::Flagger),
}

impl Bindings {
    pub(super) async fn instantiate(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Instance> {
        Ok(match self {
            Bindings::Adapter(pre) => Instance::Adapter(pre.instantiate_async(store).await?),
            Bindings::AdapterV2(pre) => Instance::AdapterV2(pre.instantiate_async(store).await?),
            Bindings::AdapterV3(pre) => Instance::AdapterV3(pre.instantiate_async(store).await?),
            Bindings::Scorer(pre) => Instance::Scorer(pre.instantiate_async(store).await?),
            Bindings::Matcher(pre) => Instance::Matcher(pre.instantiate_async(store).await?),
            Bindings::MatcherV4(pre) => Instance::MatcherV4(pre.instantiate_async(store).await?),
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
    /// The WIT API version it was built against (its manifest's).
    pub api_version: String,
    /// Hex sha256 of the component.
    pub sha256: String,
    /// Effective limits.
    pub limits: Limits,
    /// Effective capability grants.
    pub grants: Arc<EffectiveGrants>,
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
    /// The largest linear memory the instance was granted, in bytes.
    pub peak_memory_bytes: u64,
    /// The input's size as the input limit counts it.
    pub input_bytes: u64,
    /// The output's size as the output limit counts it.
    pub output_bytes: u64,
}

impl<T> CallReport<T> {
    /// The same report with its output mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> CallReport<U> {
        CallReport {
            output: f(self.output),
            plugin_version: self.plugin_version,
            log: self.log,
            duration: self.duration,
            fuel_consumed: self.fuel_consumed,
            peak_memory_bytes: self.peak_memory_bytes,
            input_bytes: self.input_bytes,
            output_bytes: self.output_bytes,
        }
    }
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
    /// The largest linear memory the instance was granted, in bytes.
    pub peak_memory_bytes: u64,
}

impl FailedCall {
    /// A call refused before the plugin ran: no log, no time, no fuel.
    pub fn refused(error: RuntimeError) -> Box<FailedCall> {
        Box::new(FailedCall {
            error,
            log: CallLog::default(),
            duration: Duration::ZERO,
            fuel_consumed: None,
            peak_memory_bytes: 0,
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
            .required_exports(api_version)
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
            PluginKind::Adapter if api_version == "0.3.0" => {
                Bindings::AdapterV3(adapter_v3::AdapterPre::new(pre).map_err(engine_err)?)
            }
            PluginKind::Adapter => {
                Bindings::Adapter(adapter::AdapterPre::new(pre).map_err(engine_err)?)
            }
            PluginKind::Scorer => {
                Bindings::Scorer(scorer::ScorerPre::new(pre).map_err(engine_err)?)
            }
            PluginKind::Matcher if api_version == "0.4.0" => {
                Bindings::MatcherV4(matcher_v4::MatcherPre::new(pre).map_err(engine_err)?)
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
            api_version: api_version.to_string(),
            sha256: sha256.to_string(),
            slots: Arc::new(tokio::sync::Semaphore::new(
                limits.max_concurrency.max(1) as usize
            )),
            limits,
            grants: Arc::new(grants),
            config: Arc::new(config),
            bindings,
        })
    }
}
