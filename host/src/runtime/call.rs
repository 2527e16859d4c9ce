//! The call path every plugin call takes, re-scoring with another version
//! included, start to end: the plugin looked up (enabled, not tripped, the
//! right kind) and the version picked (non-active versions cached), input
//! cap, a call slot of the plugin and a fair share of the instance pool
//! (bounded wait), then [`LoadedPlugin::run`]: a fresh store under the
//! plugin's limits, instantiation from its `InstancePre` and the call under
//! one deadline, traps classified; then output cap, metrics, and the
//! circuit breaker that trips a plugin off after repeated failures.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::Trap;

use super::error::bounded_text;
use super::sandbox::HostState;
use super::*;

impl Runtime {
    // ---- calls ---------------------------------------------------------------

    /// Run `f` on a plugin version under its limits: input cap, a call
    /// slot of the plugin (`slots`) and a slot of `installer`'s share of
    /// the instance pool (waiting at most `queue_wait_ms` for both), a
    /// fresh store in the caller's task, output cap, metrics. Breaker
    /// accounting is the caller's.
    pub(super) async fn execute<I, O>(
        &self,
        plugin: &Arc<LoadedPlugin>,
        slots: &Arc<tokio::sync::Semaphore>,
        installer: &str,
        input: I,
        f: CallFn<I, O>,
    ) -> Result<CallReport<O>, Box<FailedCall>>
    where
        I: WireSize + Send + 'static,
        O: WireSize + Send + 'static,
    {
        let id = plugin.id.to_string();
        let fail = FailedCall::refused;
        let size = input.wire_size();
        let input_size = size;
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
        let deadline = tokio::time::Instant::now() + wait;
        let busy = |id: String| {
            self.metrics.record_call(&id, "busy", wait, None, 0);
            fail(RuntimeError::Busy {
                id,
                max_concurrency: plugin.limits.max_concurrency,
                waited_ms: plugin.limits.queue_wait_ms,
            })
        };
        // A free slot is taken at once; only a wait arms a timer.
        let permit = match slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                match tokio::time::timeout_at(deadline, slots.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(busy(id)),
                }
            }
        };
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Some(pool_slot) = self.pool.acquire(installer, &id, remaining).await else {
            return Err(busy(id));
        };
        // Run in the caller's task: a task of its own per call cost ~8 µs
        // (a wake-up on another thread) and bought nothing, since a caller
        // that goes away (a closed HTTP connection) drops its handler with
        // everything after the call anyway. Callers that want calls on
        // several cores spawn them (the mentor match does).
        let result = {
            let _slots = (permit, pool_slot);
            plugin.run(&self.engine, input, f).await
        };
        let result = result.and_then(|mut report| {
            let size = report.output.wire_size();
            report.input_bytes = input_size;
            report.output_bytes = size;
            if size > plugin.limits.max_output_bytes {
                Err(Box::new(FailedCall {
                    error: RuntimeError::OutputTooLarge {
                        id: id.clone(),
                        size: Some(size),
                        limit: plugin.limits.max_output_bytes,
                    },
                    log: report.log,
                    duration: report.duration,
                    fuel_consumed: report.fuel_consumed,
                    peak_memory_bytes: report.peak_memory_bytes,
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

    /// The one path of every plugin call: look up the plugin (installed,
    /// the right kind, enabled, not tripped), pick the version (`None` =
    /// the active one; another installed version is loaded once and
    /// cached), run `f` in the plugin's call slots under that version's
    /// limits, and count the outcome toward the plugin's breaker.
    pub(super) async fn call<I, O>(
        &self,
        id: &str,
        kind: PluginKind,
        version: Option<&str>,
        input: I,
        f: CallFn<I, O>,
    ) -> Result<CallReport<O>, Box<FailedCall>>
    where
        I: WireSize + Send + 'static,
        O: WireSize + Send + 'static,
    {
        let refuse = FailedCall::refused;
        let (active, other, failures, installer) = {
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
            let Some(active) = entry.loaded.clone() else {
                return Err(refuse(RuntimeError::Engine {
                    id: id.into(),
                    message: entry
                        .load_error
                        .clone()
                        .unwrap_or_else(|| "not loaded".into()),
                }));
            };
            let other = version
                .filter(|v| *v != entry.record.active_version)
                .map(|v| (v.to_string(), entry.others.get(v).cloned()));
            (
                active,
                other,
                entry.failures.clone(),
                entry.record.installer().to_string(),
            )
        };
        let plugin = match other {
            None => active.clone(),
            Some((_, Some(cached))) => cached,
            Some((v, None)) => {
                // Loaded with no lock held (the compile cache makes this a
                // load, not a compile), then kept for the next call.
                let (loaded, _) = self.load_version(id, &v).await.map_err(refuse)?;
                let mut entries = self.entries.write().expect("entries lock");
                match entries.get_mut(id) {
                    Some(e) if Arc::ptr_eq(&e.failures, &failures) => {
                        e.others.entry(v).or_insert(loaded).clone()
                    }
                    _ => loaded,
                }
            }
        };
        let result = self
            .execute(&plugin, &active.slots, &installer, input, f)
            .await;
        match &result {
            Ok(_) => failures.store(0, Ordering::Relaxed),
            Err(failed) if failed.error.counts_as_plugin_failure() => {
                let n = failures.fetch_add(1, Ordering::Relaxed) + 1;
                let threshold = self.config.runtime.breaker_threshold;
                if threshold > 0 && n >= threshold {
                    self.trip(id, &failures, n, failed.error.to_string()).await;
                }
            }
            Err(_) => {}
        }
        result
    }

    /// Trip the plugin's breaker, unless it is already tripped or the
    /// failures were counted for an entry that has since been replaced.
    pub(super) async fn trip(
        &self,
        id: &str,
        generation: &Arc<AtomicU32>,
        failures: u32,
        last_error: String,
    ) {
        let _guard = self.lifecycle.lock().await;
        let current = self
            .entries
            .read()
            .expect("entries lock")
            .get(id)
            .is_some_and(|e| Arc::ptr_eq(&e.failures, generation) && e.record.tripped.is_none());
        if !current {
            return;
        }
        let info = TripInfo {
            at_ms: now_ms(),
            failures,
            // Already bounded where it quotes the plugin; bounded again in
            // case a message ever is not.
            last_error: bounded_text(&last_error),
        };
        tracing::error!(plugin = %id, failures, last_error = %info.last_error, "circuit breaker tripped: plugin held off until re-enabled");
        match self.update_record(id, |r| r.tripped = Some(info)).await {
            Ok(_) => self.metrics.record_trip(id),
            Err(e) => tracing::error!(plugin = %id, error = %e, "could not record breaker trip"),
        }
    }
}

impl LoadedPlugin {
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
                    peak_memory_bytes: 0,
                }));
            }
        };
        let mut store = wasmtime::Store::new(engine.engine(), state);
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
        // The output limit holds while the result is lifted, before the host
        // copies it: wasmtime charges every string and list it lifts from
        // the guest against this budget (bytes the host would allocate) and
        // fails the lift when it runs out. A guest returning one buffer many
        // times over (aliased strings or lists) is refused at the alias that
        // crosses the limit. The same budget bounds each host import call's
        // arguments (a `log` line), with a floor so WASI writes work under a
        // tiny output limit; outputs under the floor are checked after
        // conversion (`Runtime::execute`).
        store.set_hostcall_fuel(
            usize::try_from(self.limits.max_output_bytes)
                .unwrap_or(usize::MAX)
                .max(MIN_HOSTCALL_BYTES),
        );

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
        let peak_memory_bytes = store.data().limiter.peak_bytes as u64;
        let log = store.data_mut().finish_log();
        let duration = started.elapsed();
        match result {
            Ok(output) => Ok(CallReport {
                output,
                plugin_version: self.version.clone(),
                log,
                duration,
                fuel_consumed,
                peak_memory_bytes,
                input_bytes: 0,
                output_bytes: 0,
            }),
            Err((None, _)) => Err(Box::new(FailedCall {
                error: RuntimeError::Timeout {
                    id: self.id.to_string(),
                    deadline_ms: self.limits.deadline_ms,
                },
                log,
                duration,
                fuel_consumed,
                peak_memory_bytes,
            })),
            Err((Some(e), during_call)) => {
                let error = self.classify(e, exceeded_memory, during_call, &log);
                Err(Box::new(FailedCall {
                    error,
                    log,
                    duration,
                    fuel_consumed,
                    peak_memory_bytes,
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
        if lift_budget_exhausted(&e) {
            return RuntimeError::OutputTooLarge {
                id,
                size: None,
                limit: self.limits.max_output_bytes,
            };
        }
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
                // The plugin's own text is quoted, bounded: the whole of it
                // is in the call's log.
                let message = if said.is_empty() {
                    trap.to_string()
                } else {
                    format!(
                        "{trap}; the plugin wrote: {}",
                        bounded_text(&said.join(" / "))
                    )
                };
                RuntimeError::Trap { id, message }
            }
            // Not a trap: an instantiation failure (pool exhausted, a start
            // function's error) or a host-side error during the call.
            None if during_call => RuntimeError::Trap {
                id,
                message: bounded_text(&format!("{e:#}")),
            },
            None => RuntimeError::Engine {
                id,
                message: format!("instantiation failed: {e:#}"),
            },
        }
    }
}

/// The hostcall budget never goes below this, whatever the output limit: a
/// WASI write (up to 64 KiB a call) must not fail because of it.
const MIN_HOSTCALL_BYTES: usize = 64 << 10;

/// Whether wasmtime refused to lift a value for running out of the store's
/// hostcall budget (see `set_hostcall_fuel` in [`LoadedPlugin::run`]). Its
/// error type is private, so the message is the only handle.
fn lift_budget_exhausted(e: &wasmtime::Error) -> bool {
    e.chain().any(|c| {
        c.to_string()
            .contains("fuel allocated for hostcalls has been exhausted")
    })
}
