//! The wasmtime engine: configuration, the epoch ticker, compilation with an
//! on-disk cache, and pre-instantiation.
//!
//! One engine serves every plugin. It uses the pooling allocator (instance
//! slots reserved up front, so a fresh instance per call is cheap), epoch
//! interruption for deadlines, and optionally fuel metering. Compiled
//! components are cached under `<data_dir>/cache/` keyed by the component's
//! sha256 and a hash of the engine's compilation settings, so a restart does
//! not recompile and an engine upgrade never loads a stale artifact.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::sandbox::HostState;
use super::wit::v0_1_0::adapter::Adapter;
use super::wit::v0_2_0::adapter::Adapter as AdapterV2;
use super::wit::v0_3_0::adapter::Adapter as AdapterV3;
use super::wit::v0_4_0::matcher::Matcher as MatcherV4;

/// How an engine is built. The server uses [`EngineOptions::server`];
/// benchmarks flip the switches to measure what each one costs.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Use the pooling allocator (otherwise on-demand mmap per instance).
    pub pooling: bool,
    /// Instance slots in the pool.
    pub pool_instances: u32,
    /// Largest linear memory any instance may have.
    pub max_memory_bytes: usize,
    /// Meter fuel.
    pub fuel: bool,
    /// Insert epoch checks: a running guest yields to the executor every
    /// tick, so the call's deadline timer can cancel it (needed for
    /// deadlines on guests that never call the host).
    pub epoch: bool,
    /// Epoch tick period.
    pub tick: Duration,
    /// Where compiled artifacts are cached; `None` = always compile.
    pub cache_dir: Option<PathBuf>,
    /// With pooling: reset the pages an instance touched back to their
    /// initial contents in place when its slot is reused (Linux's
    /// `PAGEMAP_SCAN` finds them; up to this many bytes per linear memory),
    /// instead of handing them back to the kernel and faulting them in
    /// again on the next call. 0 = off. The next instance sees exactly what
    /// a fresh one would, either way.
    pub keep_resident_bytes: usize,
}

impl EngineOptions {
    /// The production settings for a given runtime config and data dir.
    pub fn server(rc: &crate::config::RuntimeConfig, data_dir: &Path) -> EngineOptions {
        EngineOptions {
            pooling: true,
            pool_instances: rc.pool_instances,
            max_memory_bytes: (rc.max_memory_mib as usize) << 20,
            fuel: rc.consume_fuel,
            epoch: true,
            tick: Duration::from_millis(rc.epoch_tick_ms.max(1)),
            keep_resident_bytes: usize::try_from(rc.keep_resident_kib.saturating_mul(1024))
                .unwrap_or(usize::MAX),
            cache_dir: rc.compile_cache.then(|| {
                rc.cache_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join("cache"))
            }),
        }
    }
}

/// Where a compiled component came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compiled {
    /// Compiled now with Cranelift.
    Fresh,
    /// Loaded from the on-disk cache.
    Cached,
}

/// The engine, its linker and its ticker.
pub struct PluginEngine {
    engine: Engine,
    linker: Linker<HostState>,
    options: EngineOptions,
    settings_hash: String,
    compiled_fresh: AtomicU64,
    compiled_cached: AtomicU64,
}

impl PluginEngine {
    /// Build the engine and start its epoch ticker (a thread holding only a
    /// weak handle, so it ends when the engine is dropped).
    pub fn new(options: EngineOptions) -> anyhow::Result<PluginEngine> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(options.epoch);
        config.consume_fuel(options.fuel);
        if options.pooling {
            let n = options.pool_instances.max(1);
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(n)
                .total_core_instances(n * 8)
                .total_memories(n * 2)
                .total_tables(n * 4)
                .max_memory_size(options.max_memory_bytes)
                .total_stacks(n);
            if options.keep_resident_bytes > 0 {
                pool.linear_memory_keep_resident(options.keep_resident_bytes)
                    .table_keep_resident(64 << 10)
                    .pagemap_scan(wasmtime::Enabled::Auto);
            }
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        // Full WASI p2 is linked so that any Rust or Python guest
        // instantiates; what it may *do* is decided per call by the
        // `WasiCtx` built from its grants (see sandbox.rs).
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        // The `host` interface is the same for every world of a version.
        Adapter::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
        AdapterV2::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
        AdapterV3::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;
        MatcherV4::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)?;

        if options.epoch {
            let weak = engine.weak();
            let tick = options.tick;
            std::thread::Builder::new()
                .name("sidecoach-epoch".into())
                .spawn(move || {
                    while let Some(engine) = weak.upgrade() {
                        engine.increment_epoch();
                        drop(engine);
                        std::thread::sleep(tick);
                    }
                })?;
        }

        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let settings_hash = format!("{:016x}", h.finish());
        Ok(PluginEngine {
            engine,
            linker,
            options,
            settings_hash,
            compiled_fresh: AtomicU64::new(0),
            compiled_cached: AtomicU64::new(0),
        })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The options it was built with.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// (fresh compilations, cache loads) since start.
    pub fn compile_counts(&self) -> (u64, u64) {
        (
            self.compiled_fresh.load(Ordering::Relaxed),
            self.compiled_cached.load(Ordering::Relaxed),
        )
    }

    fn cache_path(&self, sha256: &str) -> Option<PathBuf> {
        let dir = self.options.cache_dir.as_ref()?;
        Some(dir.join(format!("{sha256}-{}.cwasm", self.settings_hash)))
    }

    /// Compile a component, or load it from the cache when this exact
    /// component was compiled by an engine with these exact settings.
    pub fn compile(&self, sha256: &str, wasm: &[u8]) -> anyhow::Result<(Component, Compiled)> {
        if let Some(path) = self.cache_path(sha256)
            && path.exists()
        {
            match self.load_cached(&path) {
                Ok(component) => {
                    self.compiled_cached.fetch_add(1, Ordering::Relaxed);
                    return Ok((component, Compiled::Cached));
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable compile cache entry");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(&self.engine, wasm)?;
        self.compiled_fresh.fetch_add(1, Ordering::Relaxed);
        if let Some(path) = self.cache_path(sha256)
            && let Err(e) = write_atomically(&path, &component.serialize()?)
        {
            tracing::warn!(path = %path.display(), error = %e, "could not write compile cache");
        }
        Ok((component, Compiled::Fresh))
    }

    #[expect(
        unsafe_code,
        reason = "deserialising a compiled artifact is unsafe in wasmtime: the bytes become \
                  executable code. Only files this host wrote itself, named by the sha256 of \
                  their source component and the engine's settings hash and written by atomic \
                  rename into its own data directory, are loaded; wasmtime still checks the \
                  engine compatibility header."
    )]
    fn load_cached(&self, path: &Path) -> anyhow::Result<Component> {
        // SAFETY: see the `expect` reason above: the file is our own output.
        Ok(unsafe { Component::deserialize_file(&self.engine, path) }?)
    }

    /// Names of the functions and instances a component exports.
    pub fn export_names(&self, component: &Component) -> Vec<String> {
        component
            .component_type()
            .exports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// Resolve every import of a component against the linker once, so each
    /// call only has to instantiate.
    pub fn instantiate_pre(&self, component: &Component) -> anyhow::Result<InstancePre<HostState>> {
        Ok(self.linker.instantiate_pre(component)?)
    }

    /// The linker, for benchmarks that instantiate without pre-instantiation.
    pub fn linker(&self) -> &Linker<HostState> {
        &self.linker
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    use std::io::Write;
    // Unique per writer: several hosts (or several engines in one test
    // process) may share a cache directory and compile the same component.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    // Synced before the rename, so a crash leaves either no entry or a whole one.
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}
