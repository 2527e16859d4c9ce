//! The registry: installing, upgrading, enabling, disabling and rolling
//! back plugins, each change persisted in the store before it is swapped
//! in, and what operators see of each plugin.

use std::sync::Arc;

use super::exports::describe;
use super::*;

impl Runtime {
    pub(super) fn update_loaded_gauge(&self) {
        let n = self
            .entries
            .read()
            .expect("entries lock")
            .values()
            .filter(|e| e.loaded.is_some())
            .count();
        self.metrics.set_plugins_loaded(n);
    }

    pub(super) fn put_entry(&self, entry: Entry) {
        let installed: Vec<_> = {
            let mut entries = self.entries.write().expect("entries lock");
            entries.insert(entry.record.id.clone(), entry);
            entries
                .values()
                .map(|e| (e.record.id.clone(), e.record.installer().to_string()))
                .collect()
        };
        self.pool.set_installed(installed);
        self.update_loaded_gauge();
    }

    /// Bring the plugins `ids` in line with their stored records, after
    /// another node changed them (cluster mode) or a write that changed
    /// them was undone: a new active version is loaded (from the compile
    /// cache when it has it), a changed record (enabled, tripped) replaces
    /// the old, a removed plugin is dropped.
    pub async fn reload(&self, ids: Vec<String>) {
        for id in ids {
            let record = match self.store.plugin(&id) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(plugin = %id, error = %e, "could not read a changed plugin's record");
                    continue;
                }
            };
            let Some(record) = record else {
                self.entries.write().expect("entries lock").remove(&id);
                self.update_loaded_gauge();
                continue;
            };
            let kept = self
                .entries
                .read()
                .expect("entries lock")
                .get(&id)
                .filter(|e| e.loaded.is_some() && e.record.active_version == record.active_version)
                .map(|e| (e.loaded.clone(), e.info.clone()));
            let entry = match kept {
                Some((loaded, info)) => Entry::new(record, loaded, info, None),
                None => self.load_entry(record).await,
            };
            if let Some(e) = &entry.load_error {
                tracing::error!(plugin = %id, error = %e, "a changed plugin could not be loaded");
            }
            self.put_entry(entry);
        }
    }

    pub(super) async fn load_entry(&self, record: PluginRecord) -> Entry {
        let loaded = self.load_version(&record.id, &record.active_version).await;
        let (loaded, info, load_error) = match loaded {
            Ok((p, v)) => (Some(p), Some(v.info), None),
            Err(e) => (None, None, Some(e.to_string())),
        };
        Entry::new(record, loaded, info, load_error)
    }

    pub(super) async fn load_version(
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
        let (loaded, _) = self.prepare(&v.manifest, &sha, wasm).await?;
        Ok((loaded, v))
    }

    /// Resolve limits and grants for a manifest, compile (or load from the
    /// cache) and pre-instantiate; says which of the two it was.
    pub(super) async fn prepare(
        &self,
        manifest: &Manifest,
        sha: &str,
        wasm: Vec<u8>,
    ) -> Result<(Arc<LoadedPlugin>, Compiled), RuntimeError> {
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
        manifest
            .check_config(&format!("[plugins.{id}.config]"), &settings.config)
            .map_err(|reason| RuntimeError::Rejected {
                id: id.clone(),
                reason,
            })?;
        let mut config = manifest.config.clone();
        config.extend(settings.config);
        let engine = self.engine.clone();
        let (sha_owned, version, kind) = (sha.to_string(), manifest.version.clone(), manifest.kind);
        let api_version = manifest.api_version.clone();
        let metrics = self.metrics.clone();
        tokio::task::spawn_blocking(move || {
            hold_compile_for_tests();
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
            let loaded = LoadedPlugin::prepare(
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
            )?;
            Ok((Arc::new(loaded), how))
        })
        .await
        .map_err(|e| RuntimeError::Engine {
            id: manifest.id.clone(),
            message: format!("compile task failed: {e}"),
        })?
    }

    // ---- lifecycle ---------------------------------------------------------

    /// Install a new plugin, or a new version of an installed one (an
    /// upgrade: the old version becomes the rollback target). Installing a
    /// component that is already installed under the same version changes
    /// nothing. `installed_by` is the installing principal (`None` for the
    /// embedded plugins: `builtin`); the instance pool is shared fairly
    /// between installers.
    ///
    /// The slow work (sha256, compilation, `describe()`) runs with no lock
    /// held; only the final check, persist and swap hold the lifecycle
    /// lock, so other plugins' enable, disable and breaker trips do not
    /// wait for a compile.
    pub async fn install(
        &self,
        manifest_toml: &str,
        wasm: Vec<u8>,
        builtin: bool,
        installed_by: Option<&str>,
    ) -> Result<Installed, RuntimeError> {
        let mut manifest = Manifest::from_toml(manifest_toml)?;
        let id = manifest.id.clone();
        let (wasm, sha) = tokio::task::spawn_blocking(move || {
            let sha = sha256_hex(&wasm);
            (wasm, sha)
        })
        .await
        .map_err(|e| RuntimeError::Engine {
            id: id.clone(),
            message: format!("hash task failed: {e}"),
        })?;
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
        let installer = installed_by
            .map(str::to_string)
            .unwrap_or_else(|| if builtin { "builtin" } else { "operator" }.to_string());
        if let Some(unchanged) = self.check_install(&manifest, &sha, builtin)? {
            return Ok(unchanged);
        }

        let size_bytes = wasm.len() as u64;
        let started = std::time::Instant::now();
        let (loaded, how) = self.prepare(&manifest, &sha, wasm.clone()).await?;
        let compile = CompileReport {
            ms: started.elapsed().as_secs_f64() * 1e3,
            from_cache: matches!(how, Compiled::Cached),
        };
        let info = self
            .execute(&loaded, &loaded.slots, &installer, (), describe)
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

        let _guard = self.lifecycle.lock().await;
        // Checked again: another install may have landed while this one
        // compiled.
        if let Some(unchanged) = self.check_install(&manifest, &sha, builtin)? {
            return Ok(unchanged);
        }
        let existing = self.store.plugin(&id)?;
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
            installed_by: Some(installer),
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
        self.put_entry(Entry::new(record, Some(loaded), Some(info), None));
        Ok(Installed {
            action,
            status: self.status(&id)?,
            compile: Some(compile),
        })
    }

    /// The checks an install makes against what is installed: `Some` when
    /// this exact component is already the active version (nothing to do),
    /// an error when the id belongs to another kind or the version is
    /// taken by other bytes.
    fn check_install(
        &self,
        manifest: &Manifest,
        sha: &str,
        builtin: bool,
    ) -> Result<Option<Installed>, RuntimeError> {
        let id = &manifest.id;
        let existing = self.store.plugin(id)?;
        if let Some(rec) = &existing
            && rec.kind != manifest.kind
        {
            return Err(RuntimeError::Rejected {
                id: id.clone(),
                reason: format!(
                    "this id belongs to an installed {} plugin; a {} needs its own id",
                    rec.kind, manifest.kind
                ),
            });
        }
        if let Some(v) = self.store.plugin_version(id, &manifest.version)? {
            let same = v.manifest.sha256.as_deref() == Some(sha);
            let active = existing
                .as_ref()
                .is_some_and(|r| r.active_version == manifest.version);
            if same && active {
                return Ok(Some(Installed {
                    action: "unchanged",
                    status: self.status(id)?,
                    compile: None,
                }));
            }
            if !same && !builtin {
                return Err(RuntimeError::VersionConflict {
                    id: id.clone(),
                    version: manifest.version.clone(),
                });
            }
        }
        Ok(None)
    }

    pub(super) async fn update_record(
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
    /// rollback target, so a second rollback undoes the first). The version
    /// is loaded before the lifecycle lock is taken.
    pub async fn rollback(&self, id: &str) -> Result<PluginStatus, RuntimeError> {
        let previous = self
            .store
            .plugin(id)?
            .ok_or_else(|| RuntimeError::NotFound { id: id.into() })?
            .previous_version
            .ok_or_else(|| RuntimeError::NoPrevious { id: id.into() })?;
        let (loaded, version) = self.load_version(id, &previous).await?;
        let _guard = self.lifecycle.lock().await;
        let record = self
            .store
            .plugin(id)?
            .ok_or_else(|| RuntimeError::NotFound { id: id.into() })?;
        if record.previous_version.as_deref() != Some(previous.as_str()) {
            return Err(RuntimeError::Rejected {
                id: id.into(),
                reason: "its versions changed during the rollback; try again".into(),
            });
        }
        let record = PluginRecord {
            active_version: previous,
            previous_version: Some(record.active_version.clone()),
            tripped: None,
            ..record
        };
        self.store.put_plugin(&record).await?;
        tracing::info!(plugin = %id, version = %record.active_version, "plugin rolled back");
        self.put_entry(Entry::new(record, Some(loaded), Some(version.info), None));
        self.status(id)
    }

    // ---- inspection --------------------------------------------------------

    pub(super) fn status_of(entry: &Entry) -> PluginStatus {
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
            api_version: entry.loaded.as_ref().map(|l| l.api_version.clone()),
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
}

/// Test hook: while the file named by `SIDECOACH_TEST_HOLD_COMPILE` exists,
/// compilation waits (having created `<file>.held`, so a test knows it got
/// there). The integration tests use it to hold an install in compilation
/// and check that other plugins' control paths do not wait for it. Unset,
/// it costs one environment lookup per compile.
fn hold_compile_for_tests() {
    let Some(path) = std::env::var_os("SIDECOACH_TEST_HOLD_COMPILE").map(std::path::PathBuf::from)
    else {
        return;
    };
    if !path.exists() {
        return;
    }
    let _ = std::fs::write(path.with_extension("held"), b"");
    while path.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
}
