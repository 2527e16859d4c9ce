//! The per-call sandbox: the store data every plugin instance gets, the WASI
//! context built from its grants, the memory limiter and the host imports.
//!
//! Defaults are explicit: a plugin sees no files, no sockets, an empty
//! environment, clocks frozen at the Unix epoch and a fixed-seed random
//! stream. Each capability opens only when the manifest declares it *and*
//! the operator grants it (see [`EffectiveGrants`]); stdout is discarded and
//! stderr is captured (bounded like `log()`: what does not fit is dropped and
//! counted, a write never fails) into the call's logs, so a panic message
//! reaches the operator. Plugin text quoted in an error is cut to
//! [`super::error::MAX_PLUGIN_TEXT`] bytes ([`super::error::bounded_text`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Serialize;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::random::Deterministic;
use wasmtime_wasi::{
    HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView,
};

use crate::config::Grants;
use crate::model::Capability;

/// What a plugin may actually use: the manifest's declarations intersected
/// with the operator's grants.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EffectiveGrants {
    /// Real clocks.
    pub clocks: bool,
    /// Real random numbers.
    pub random: bool,
    /// Environment variables passed through (name, value read at load).
    pub environment: Vec<String>,
    /// Addresses it may connect to.
    pub network: Vec<SocketAddr>,
    /// Host directory mounted read-only at `/data`.
    pub filesystem: Option<PathBuf>,
}

impl EffectiveGrants {
    /// Intersect declarations with grants. Returns the first declared
    /// capability the operator did not grant as an error.
    pub fn resolve(
        declared: &[Capability],
        granted: &Grants,
    ) -> Result<EffectiveGrants, Capability> {
        if let Some(missing) = declared.iter().find(|c| !granted.grants(**c)) {
            return Err(*missing);
        }
        let has = |c| declared.contains(&c);
        Ok(EffectiveGrants {
            clocks: has(Capability::Clocks),
            random: has(Capability::Random),
            environment: if has(Capability::Environment) {
                granted.environment.clone()
            } else {
                vec![]
            },
            network: if has(Capability::Network) {
                granted.network.clone()
            } else {
                vec![]
            },
            filesystem: if has(Capability::Filesystem) {
                granted.filesystem.clone()
            } else {
                None
            },
        })
    }

    /// The capabilities in effect, by name.
    pub fn names(&self) -> Vec<Capability> {
        let mut out = vec![];
        if self.clocks {
            out.push(Capability::Clocks);
        }
        if self.random {
            out.push(Capability::Random);
        }
        if !self.environment.is_empty() {
            out.push(Capability::Environment);
        }
        if !self.network.is_empty() {
            out.push(Capability::Network);
        }
        if self.filesystem.is_some() {
            out.push(Capability::Filesystem);
        }
        out
    }
}

/// A clock stopped at the Unix epoch: what a plugin without the `clocks`
/// grant sees, so its output cannot depend on when it ran.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// One line a plugin logged during a call.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LogLine {
    /// `trace`…`error`, or `stderr` for captured standard error.
    pub level: &'static str,
    /// The message.
    pub message: String,
}

/// Bytes charged per log line on top of its text.
pub const LOG_LINE_OVERHEAD: u64 = 64;

/// The bounded log of one call.
#[derive(Debug, Default)]
pub struct CallLog {
    max_bytes: u64,
    used_bytes: u64,
    /// Lines kept, in order.
    pub lines: Vec<LogLine>,
    /// Lines dropped for being over the limit.
    pub dropped_lines: u64,
    /// Bytes dropped for being over the limit.
    pub dropped_bytes: u64,
}

impl CallLog {
    /// Bytes the kept lines count against the plugin's log limit.
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// Add a later call's log after this one's (one report of two calls).
    pub fn append(&mut self, later: CallLog) {
        self.max_bytes += later.max_bytes;
        self.used_bytes += later.used_bytes;
        self.lines.extend(later.lines);
        self.dropped_lines += later.dropped_lines;
        self.dropped_bytes += later.dropped_bytes;
    }

    fn push(&mut self, plugin: &str, level: &'static str, message: String) -> bool {
        // Each line costs its bytes plus a fixed overhead, so a flood of
        // empty lines is bounded too.
        let len = message.len() as u64 + LOG_LINE_OVERHEAD;
        if self.used_bytes + len > self.max_bytes {
            self.dropped_lines += 1;
            self.dropped_bytes += len;
            return false;
        }
        self.used_bytes += len;
        // One plugin log line is one host log line: no forged entries.
        let message = if message.contains(['\n', '\r']) {
            message.replace('\n', "\\n").replace('\r', "\\r")
        } else {
            message
        };
        match level {
            "trace" => tracing::trace!(plugin, "{message}"),
            "debug" => tracing::debug!(plugin, "{message}"),
            "info" => tracing::info!(plugin, "{message}"),
            "warn" => tracing::warn!(plugin, "{message}"),
            _ => tracing::error!(plugin, level, "{message}"),
        }
        self.lines.push(LogLine { level, message });
        true
    }
}

/// The guest's stderr: keeps up to `capacity` bytes and drops (and counts)
/// the rest. Unlike wasmtime's `MemoryOutputPipe`, which fails a write past
/// its capacity (and Rust's `eprintln!` then panics, trapping the plugin),
/// a write here always succeeds: a chatty plugin loses lines, as with
/// `log()`, and does not fail its call.
#[derive(Clone)]
pub struct BoundedPipe {
    capacity: usize,
    /// A std mutex: held only to append or read, never across an await.
    inner: Arc<Mutex<Captured>>,
}

#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    dropped_bytes: u64,
}

impl BoundedPipe {
    /// A pipe keeping at most `capacity` bytes.
    pub fn new(capacity: usize) -> BoundedPipe {
        BoundedPipe {
            capacity,
            inner: Arc::default(),
        }
    }

    fn append(&self, bytes: &[u8]) {
        let mut c = self.inner.lock().expect("stderr lock");
        let room = self.capacity.saturating_sub(c.kept.len());
        let keep = bytes.len().min(room);
        c.kept.extend_from_slice(&bytes[..keep]);
        c.dropped_bytes += (bytes.len() - keep) as u64;
    }

    /// What was kept, and how many bytes were dropped.
    pub fn take(&self) -> (Vec<u8>, u64) {
        let mut c = self.inner.lock().expect("stderr lock");
        let dropped = std::mem::take(&mut c.dropped_bytes);
        (std::mem::take(&mut c.kept), dropped)
    }
}

/// The most a guest may write in one `write` (WASI's check-write answer);
/// it can always write again.
const STDERR_WRITE_CHUNK: usize = 64 << 10;

impl OutputStream for BoundedPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(STDERR_WRITE_CHUNK)
    }
}

// `Pollable` is an `async_trait`; this is its desugared form (always ready).
impl Pollable for BoundedPipe {
    fn ready<'a, 'b>(&'a mut self) -> Pin<Box<dyn Future<Output = ()> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        Box::pin(std::future::ready(()))
    }
}

impl tokio::io::AsyncWrite for BoundedPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for BoundedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for BoundedPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// Counts memory growth against the plugin's cap and remembers a refusal,
/// so a guest that aborts on allocation failure is reported as "memory
/// limit", not as an anonymous trap.
#[derive(Debug)]
pub struct MemoryLimiter {
    limit_bytes: usize,
    /// Set when a growth past the cap was refused.
    pub exceeded: bool,
    /// The largest linear memory this instance was granted, in bytes (its
    /// initial memory counts: wasmtime asks the limiter for it too).
    pub peak_bytes: usize,
}

/// The most table elements one instance may grow to; Rust guests use a few
/// hundred.
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit_bytes {
            self.exceeded = true;
            return Ok(false);
        }
        self.peak_bytes = self.peak_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// The data of one plugin store: built fresh for every call.
pub struct HostState {
    /// The WASI context, built on the guest's first WASI call: most calls
    /// (a scorer, a matcher) make none, and building it (clocks, random
    /// streams, stderr, socket rules, preopens) is a measurable part of a
    /// small call. What it grants is fixed by `grants` either way.
    wasi: Option<WasiCtx>,
    grants: Arc<EffectiveGrants>,
    table: ResourceTable,
    /// Memory accounting for this instance.
    pub limiter: MemoryLimiter,
    plugin_id: Arc<str>,
    config: Arc<BTreeMap<String, String>>,
    /// What the plugin logged.
    pub log: CallLog,
    stderr: BoundedPipe,
}

impl HostState {
    /// A fresh sandbox for one call of `plugin_id`. A granted directory
    /// that is not there fails here, before the call, not inside it.
    pub fn new(
        plugin_id: Arc<str>,
        grants: &Arc<EffectiveGrants>,
        config: Arc<BTreeMap<String, String>>,
        memory_limit_bytes: usize,
        max_log_bytes: u64,
    ) -> anyhow::Result<HostState> {
        if let Some(dir) = &grants.filesystem
            && !dir.is_dir()
        {
            anyhow::bail!("the granted directory {} is not there", dir.display());
        }
        Ok(HostState {
            wasi: None,
            grants: grants.clone(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                peak_bytes: 0,
                limit_bytes: memory_limit_bytes,
                exceeded: false,
            },
            plugin_id,
            config,
            log: CallLog {
                max_bytes: max_log_bytes,
                ..CallLog::default()
            },
            stderr: BoundedPipe::new(max_log_bytes.min(1 << 20) as usize),
        })
    }

    /// The WASI context of the grants: nothing but what they open (the
    /// granted directory only `with_dir`).
    fn build_wasi(&self, with_dir: bool) -> anyhow::Result<WasiCtx> {
        let grants = &self.grants;
        let mut b = WasiCtxBuilder::new();
        // stdin is empty and stdout goes nowhere: plugins talk through their
        // return values and the `log` import.
        b.stderr(self.stderr.clone());
        if !grants.clocks {
            b.wall_clock(FrozenClock);
            b.monotonic_clock(FrozenClock);
        }
        if !grants.random {
            // Fixed seed: reproducible output, and nothing to mistake for
            // real entropy.
            b.secure_random(Deterministic::new(vec![0x5c, 0x0a, 0xc4, 0x11]));
            b.insecure_random(Deterministic::new(vec![0x5c, 0x0a, 0xc4, 0x11]));
            b.insecure_random_seed(0);
        }
        for name in &grants.environment {
            if let Ok(value) = std::env::var(name) {
                b.env(name, value);
            }
        }
        if !grants.network.is_empty() {
            let allowed = Arc::new(grants.network.clone());
            // Name lookup stays off: grants are addresses, and a lookup of an
            // arbitrary name would leak data through the host's resolver.
            b.allow_tcp(true).allow_udp(true);
            let id = self.plugin_id.clone();
            b.socket_addr_check(move |addr, use_| {
                use wasmtime_wasi::sockets::SocketAddrUse as U;
                let ok = match use_ {
                    // Connecting implicitly binds an ephemeral local port
                    // first; that bind is allowed, nothing else is.
                    U::TcpBind | U::UdpBind => addr.ip().is_unspecified() && addr.port() == 0,
                    _ => allowed.contains(&addr),
                };
                if !ok {
                    tracing::warn!(plugin = &*id, %addr, "network use refused: address not granted");
                }
                Box::pin(async move { ok })
            });
        }
        // Without a grant TCP and UDP stay off too (the WASI
        // context's defaults) and every socket address is refused.
        if let Some(dir) = grants.filesystem.as_ref().filter(|_| with_dir) {
            b.preopened_dir(dir, "/data", wasmtime_wasi::FsPerms::ReadOnly)?;
        }
        Ok(b.build())
    }

    /// Move captured stderr into the log (each line counted against the
    /// limit, what the pipe already dropped counted as dropped) and return
    /// the finished log.
    pub fn finish_log(&mut self) -> CallLog {
        let (captured, dropped) = self.stderr.take();
        if dropped > 0 {
            self.log.dropped_bytes += dropped;
            // At least one line was lost; its exact count is unknown.
            self.log.dropped_lines += 1;
        }
        if !captured.is_empty() {
            let text = String::from_utf8_lossy(&captured).into_owned();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let id = self.plugin_id.clone();
                self.log.push(&id, "stderr", line.to_string());
            }
        }
        std::mem::take(&mut self.log)
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        if self.wasi.is_none() {
            let ctx = self.build_wasi(true).or_else(|e| {
                // The directory was there when the call began and is gone
                // now: the call runs without it (less, never more, than
                // granted) and the operator hears why.
                tracing::error!(plugin = &*self.plugin_id, error = %e, "granted directory unavailable; running without it");
                self.build_wasi(false)
            });
            let ctx = ctx.expect("a WASI context without a preopen always builds");
            self.wasi = Some(ctx);
        }
        WasiCtxView {
            ctx: self.wasi.as_mut().expect("built above"),
            table: &mut self.table,
        }
    }
}

/// The `host` interface of one API version, implemented once: every
/// version's `log` and `config-get` behave the same.
macro_rules! host_interface {
    ($version:ident) => {
        impl super::wit::$version::types::Host for HostState {}

        impl super::wit::$version::host::Host for HostState {
            fn log(&mut self, level: super::wit::$version::types::LogLevel, message: String) {
                use super::wit::$version::types::LogLevel;
                let level = match level {
                    LogLevel::Trace => "trace",
                    LogLevel::Debug => "debug",
                    LogLevel::Info => "info",
                    LogLevel::Warn => "warn",
                    LogLevel::Error => "error",
                };
                let id = self.plugin_id.clone();
                self.log.push(&id, level, message);
            }

            fn config_get(&mut self, key: String) -> Option<String> {
                self.config.get(&key).cloned()
            }
        }
    };
}

host_interface!(v0_1_0);
host_interface!(v0_2_0);
host_interface!(v0_3_0);
host_interface!(v0_4_0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_capability_without_a_grant_is_named() {
        let err = EffectiveGrants::resolve(
            &[Capability::Clocks, Capability::Network],
            &Grants {
                clocks: true,
                ..Grants::default()
            },
        )
        .unwrap_err();
        assert_eq!(err, Capability::Network);
    }

    #[test]
    fn a_grant_without_a_declaration_gives_nothing() {
        let granted = Grants {
            clocks: true,
            environment: vec!["HOME".into()],
            ..Grants::default()
        };
        let eff = EffectiveGrants::resolve(&[], &granted).unwrap();
        assert_eq!(eff, EffectiveGrants::default());
        assert!(eff.names().is_empty());
    }

    #[test]
    fn the_log_keeps_lines_up_to_its_byte_limit_and_counts_the_rest() {
        let mut log = CallLog {
            max_bytes: 10 + 2 * LOG_LINE_OVERHEAD,
            ..CallLog::default()
        };
        assert!(log.push("p", "info", "12345".into()));
        assert!(log.push("p", "info", "12\n45".into()));
        assert!(
            !log.push("p", "info", String::new()),
            "empty lines cost their overhead"
        );
        assert_eq!(
            (log.lines.len(), log.dropped_lines, log.dropped_bytes),
            (2, 1, LOG_LINE_OVERHEAD)
        );
        assert_eq!(log.lines[1].message, "12\\n45", "newlines are escaped");
    }

    #[test]
    fn stderr_past_its_capacity_is_dropped_and_counted_never_refused() {
        let mut pipe = BoundedPipe::new(10);
        for _ in 0..3 {
            pipe.write(bytes::Bytes::from_static(b"123456")).unwrap();
            assert_eq!(pipe.check_write().unwrap(), STDERR_WRITE_CHUNK);
        }
        assert_eq!(pipe.take(), (b"1234561234".to_vec(), 8));
    }
}
