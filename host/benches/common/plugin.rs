//! A plugin component prepared outside a `Runtime`, as the host prepares an
//! installed one, and its smallest call: instantiate + `describe()`.

use std::time::{Duration, Instant};

use sidecoach::clock::sha256_hex;
use sidecoach::config::Config;
use sidecoach::model::Manifest;
use sidecoach::runtime::lowlevel::{
    CallFuture, EffectiveGrants, HostState, Instance, LoadedPlugin, PluginEngine,
};

use super::measure::{fail, median};

/// Compile `wasm` on `engine` (or load it from the engine's compile cache)
/// and pre-instantiate it with what its manifest says: id, version, world,
/// API version, config, and the host's default limits tightened by the
/// manifest's. No capability is granted.
pub fn prepare(engine: &PluginEngine, manifest_toml: &str, wasm: &[u8]) -> LoadedPlugin {
    let manifest =
        Manifest::from_toml(manifest_toml).unwrap_or_else(|e| fail(format!("manifest: {e}")));
    let sha = sha256_hex(wasm);
    let (component, _) = engine
        .compile(&sha, wasm)
        .unwrap_or_else(|e| fail(format!("{} does not compile: {e:#}", manifest.id)));
    let limits = Config::default().limits.tighten(&manifest.limits);
    LoadedPlugin::prepare(
        engine,
        &manifest.id,
        &manifest.version,
        manifest.kind,
        &manifest.api_version,
        &sha,
        &component,
        limits,
        EffectiveGrants::default(),
        manifest.config,
    )
    .unwrap_or_else(|e| fail(format!("{} does not prepare: {e}", manifest.id)))
}

/// A scorer's `describe()`: the length of the name it gives.
fn describe<'a>(
    instance: &'a Instance,
    store: &'a mut wasmtime::Store<HostState>,
    _: (),
) -> CallFuture<'a, usize> {
    Box::pin(async move {
        match instance {
            Instance::Scorer(s) => Ok(s.call_describe(store).await?.name.len()),
            _ => Err(wasmtime::Error::msg("describe() is timed on scorers only")),
        }
    })
}

/// The median time of one `LoadedPlugin::run` of `describe()` (a fresh
/// store under the plugin's limits, instantiation from its `InstancePre`,
/// the call), over `rounds` rounds of `calls` calls each.
pub fn instantiate_describe(
    rt: &tokio::runtime::Runtime,
    engine: &PluginEngine,
    plugin: &LoadedPlugin,
    rounds: usize,
    calls: usize,
) -> Duration {
    let call = || async {
        let report = plugin
            .run(engine, (), describe)
            .await
            .unwrap_or_else(|f| fail(format!("describe() failed: {}", f.error)));
        std::hint::black_box(report.output);
    };
    rt.block_on(call()); // the pool slot and the allocator, warm
    median(
        (0..rounds)
            .map(|_| {
                rt.block_on(async {
                    let t = Instant::now();
                    for _ in 0..calls {
                        call().await;
                    }
                    t.elapsed() / calls as u32
                })
            })
            .collect(),
    )
}
