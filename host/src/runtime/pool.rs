//! Fair shares of the engine's instance pool.
//!
//! Every call instantiates into the pooling allocator, which has
//! `runtime.pool_instances` component-instance slots; when they are all
//! taken, wasmtime refuses the next instantiation with an engine error. A
//! plugin's own `max_concurrency` does not prevent that: 33 copies of one
//! looping plugin, each within its limit of 4, take 132 slots. So every
//! call also takes a pool slot here, before it instantiates, and the pool
//! is split evenly:
//!
//! - between *installers* (the principal that installed each plugin;
//!   `builtin` for the embedded reference plugins): each of the K
//!   installers with a plugin installed may hold at most
//!   `max(1, pool_instances / K)` slots;
//! - between the plugins of one installer: each of its N plugins may hold
//!   at most `max(1, installer share / N)` slots.
//!
//! The shares are hard caps (a plugin never borrows another's idle share),
//! so no plugin, and no installer however many plugins it installs, can
//! take a slot another plugin is owed. A call over its share waits for a
//! slot of its own (at most the plugin's `queue_wait_ms`) and is then
//! answered `plugin_busy`, never with an engine error.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// The pool's slots and who holds them.
pub(super) struct InstancePool {
    capacity: u32,
    /// A std mutex: held only to count, never across an await.
    state: Mutex<PoolState>,
    /// Woken whenever a slot is returned.
    freed: Notify,
}

#[derive(Default)]
struct PoolState {
    in_use: u32,
    by_installer: HashMap<String, u32>,
    by_plugin: HashMap<String, u32>,
    /// Installed plugins per installer (the shares' denominators).
    plugins_of: BTreeMap<String, u32>,
    /// Each installed plugin's installer.
    installer_of: HashMap<String, String>,
}

impl PoolState {
    /// The most slots `plugin` (installed by `installer`) may hold; a
    /// plugin not installed yet (`describe()` at install) counts as one
    /// more plugin of its installer.
    fn plugin_share(&self, capacity: u32, installer: &str, plugin: &str) -> (u32, u32) {
        let known_installer = self.plugins_of.contains_key(installer);
        let installers = self.plugins_of.len() as u32 + u32::from(!known_installer);
        let installer_share = (capacity / installers.max(1)).max(1);
        let known_plugin = self
            .installer_of
            .get(plugin)
            .is_some_and(|i| i == installer);
        let plugins =
            self.plugins_of.get(installer).copied().unwrap_or(0) + u32::from(!known_plugin);
        (installer_share, (installer_share / plugins.max(1)).max(1))
    }
}

/// One pool slot, returned on drop.
pub(super) struct PoolSlot {
    pool: Arc<InstancePool>,
    installer: String,
    plugin: String,
}

impl Drop for PoolSlot {
    fn drop(&mut self) {
        fn release(map: &mut HashMap<String, u32>, key: &str) {
            if let Some(n) = map.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
        let mut guard = self.pool.state.lock().expect("pool lock");
        let s = &mut *guard;
        s.in_use -= 1;
        release(&mut s.by_installer, &self.installer);
        release(&mut s.by_plugin, &self.plugin);
        drop(guard);
        self.pool.freed.notify_waiters();
    }
}

impl InstancePool {
    /// A pool of `capacity` instance slots (the engine's pool size).
    pub(super) fn new(capacity: u32) -> Arc<InstancePool> {
        Arc::new(InstancePool {
            capacity: capacity.max(1),
            state: Mutex::default(),
            freed: Notify::new(),
        })
    }

    /// Record who installed which plugin (called whenever the set of
    /// installed plugins changes).
    pub(super) fn set_installed(&self, installed: impl IntoIterator<Item = (String, String)>) {
        let mut s = self.state.lock().expect("pool lock");
        s.plugins_of.clear();
        s.installer_of.clear();
        for (plugin, installer) in installed {
            *s.plugins_of.entry(installer.clone()).or_default() += 1;
            s.installer_of.insert(plugin, installer);
        }
    }

    /// Take a slot within the plugin's share, waiting at most `wait` for
    /// one to free up; `None` when none did.
    pub(super) async fn acquire(
        self: &Arc<Self>,
        installer: &str,
        plugin: &str,
        wait: Duration,
    ) -> Option<PoolSlot> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a slot freed in between wakes us.
            freed.as_mut().enable();
            {
                let mut s = self.state.lock().expect("pool lock");
                let (installer_share, plugin_share) =
                    s.plugin_share(self.capacity, installer, plugin);
                let held = |m: &HashMap<String, u32>, k: &str| m.get(k).copied().unwrap_or(0);
                if s.in_use < self.capacity
                    && held(&s.by_installer, installer) < installer_share
                    && held(&s.by_plugin, plugin) < plugin_share
                {
                    s.in_use += 1;
                    *s.by_installer.entry(installer.to_string()).or_default() += 1;
                    *s.by_plugin.entry(plugin.to_string()).or_default() += 1;
                    return Some(PoolSlot {
                        pool: self.clone(),
                        installer: installer.to_string(),
                        plugin: plugin.to_string(),
                    });
                }
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed(pool: &InstancePool, list: &[(&str, &str)]) {
        pool.set_installed(list.iter().map(|(p, i)| (p.to_string(), i.to_string())));
    }

    #[tokio::test]
    async fn one_installers_many_plugins_cannot_take_another_installers_share() {
        let pool = InstancePool::new(8);
        let mut list: Vec<(String, String)> = (0..33)
            .map(|n| (format!("loop-{n}"), "mallory".to_string()))
            .collect();
        list.push(("reference-scorer".into(), "builtin".into()));
        pool.set_installed(list);
        let mut held = vec![];
        for n in 0..33 {
            // Each copy gets its one slot until the installer's half is used.
            if let Some(slot) = pool
                .acquire("mallory", &format!("loop-{n}"), Duration::ZERO)
                .await
            {
                held.push(slot);
            }
        }
        assert_eq!(held.len(), 4, "mallory holds half the pool");
        let scorer = pool
            .acquire("builtin", "reference-scorer", Duration::ZERO)
            .await;
        assert!(
            scorer.is_some(),
            "the other installer's plugin still gets a slot"
        );
    }

    #[tokio::test]
    async fn a_call_over_its_share_waits_for_a_slot_of_its_own() {
        let pool = InstancePool::new(2);
        installed(&pool, &[("a", "x"), ("b", "x")]);
        let first = pool.acquire("x", "a", Duration::ZERO).await.unwrap();
        assert!(pool.acquire("x", "a", Duration::ZERO).await.is_none());
        let waiter = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.acquire("x", "a", Duration::from_secs(60))
                    .await
                    .is_some()
            })
        };
        drop(first);
        assert!(waiter.await.unwrap(), "the freed slot went to the waiter");
    }
}
