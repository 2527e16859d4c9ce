//! The store: the only code that touches sled.
//!
//! One tree per entity. Writes that must agree across trees run in one sled
//! transaction. **Durability:** sled makes a write durable only after a
//! flush, so every public async write method here awaits [`Store::flush`]
//! (sled's synchronous `flush` on a blocking thread; its `flush_async` can
//! hang concurrent callers) before returning; callers (the API) answer 2xx
//! only after it returns. A crash before that point may lose the write, and
//! the client was never told it succeeded.

pub mod collection;
mod export;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::model::{PluginRecord, PluginVersion, TokenRecord};
pub use collection::{Collection, Page, Query, Unreadable, Upserted, WriteError};
pub use schema::{Record, Term, alert_state, pairing_state};

/// The schema version this build writes. Bump it with a migration step in
/// [`Store::migrate`].
pub const SCHEMA_VERSION: u32 = 2;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled reported an I/O or corruption error.
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    /// A stored value did not decode.
    #[error("stored {what} is corrupt: {source}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The database is being reopened after a storage fault.
    #[error("the data store is reopening after a storage fault")]
    Unavailable,
    /// A listing cursor that this store did not issue.
    #[error("invalid cursor")]
    BadCursor,
    /// The database was written by a newer Sidecoach.
    #[error(
        "data directory has schema version {found}, newer than this build's {SCHEMA_VERSION}; upgrade sidecoach"
    )]
    TooNew {
        /// The stored version.
        found: u32,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// Whether the data volume is full (`ENOSPC`): sled reports it on the
    /// write that hit it and on every write after, until reopened.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Sled(sled::Error::Io(e))
            if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28))
    }

    /// Whether this is a fault of the storage itself (I/O, a store being
    /// reopened), as opposed to bad stored data or a bad cursor.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            StoreError::Sled(sled::Error::Io(_)) | StoreError::Unavailable
        )
    }
}

/// Open sled in `dir/db`, waiting up to two seconds for its lock.
fn open_db(dir: &Path, cache_bytes: u64) -> Result<sled::Db> {
    let config = sled::Config::new()
        .path(dir.join("db"))
        .cache_capacity(cache_bytes);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(sled::Error::Io(e))
                if e.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// The page cache a store gets unless configured (`[store] cache_mib`).
pub const DEFAULT_CACHE_BYTES: u64 = 64 << 20;

/// The database and its trees other than the record kinds'.
#[derive(Clone)]
struct Base {
    db: sled::Db,
    meta: sled::Tree,
    plugins: sled::Tree,
    plugin_versions: sled::Tree,
    blobs: sled::Tree,
    tokens: sled::Tree,
}

impl Base {
    fn open(db: sled::Db) -> Result<Base> {
        Ok(Base {
            meta: db.open_tree("meta")?,
            plugins: db.open_tree("plugins")?,
            plugin_versions: db.open_tree("plugin_versions")?,
            blobs: db.open_tree("blobs")?,
            tokens: db.open_tree("tokens")?,
            db,
        })
    }
}

/// The embedded database and its trees. Clones share one database: after
/// a storage fault (a full disk) sled refuses every write until it is
/// reopened, and [`Store::reopen`] does that for every clone at once.
#[derive(Clone)]
pub struct Store {
    base: Arc<RwLock<Option<Base>>>,
    /// Where it lives and its cache, to reopen it.
    dir: Arc<PathBuf>,
    cache_bytes: u64,
    /// One reopen at a time.
    reopening: Arc<Mutex<()>>,
    /// Agents, with their vendor identities as unique terms.
    pub agents: Collection,
    /// Teams and their targets.
    pub teams: Collection,
    /// Staff people (supervisors, coaches, QA leads, operators).
    pub staff: Collection,
    /// QA form versions.
    pub forms: Collection,
    /// Interactions.
    pub interactions: Collection,
    /// QA evaluations.
    pub evaluations: Collection,
    /// Customer feedback.
    pub feedback: Collection,
    /// The audit trail of administrative actions.
    pub audit: Collection,
    /// Vendor payloads that were not (fully) ingested, kept for replay.
    pub dead_letters: Collection,
    /// Alerts raised by flags, for supervisors to coach on.
    pub alerts: Collection,
    /// Recognition candidates: high QA scores.
    pub recognitions: Collection,
    /// Coaching sessions.
    pub sessions: Collection,
    /// Staffing forecasts per queue and interval.
    pub staffing: Collection,
    /// Agents' shifts.
    pub shifts: Collection,
    /// Mentor opt-in profiles, one per agent.
    pub mentors: Collection,
    /// Mentoring-program enrolments (with the monitoring notice), one per agent.
    pub enrolments: Collection,
    /// Mentor–protégé pairings.
    pub pairings: Collection,
    /// Mentors' progress reports.
    pub progress_reports: Collection,
}

/// Calls `$m!` with every record tree of [`Store`] and its record type.
macro_rules! for_each_record_tree {
    ($m:ident) => {
        $m! {
            agents: crate::model::Agent,
            teams: crate::model::Team,
            staff: crate::model::Staff,
            forms: crate::model::StoredForm,
            interactions: crate::model::Interaction,
            evaluations: crate::model::Evaluation,
            feedback: crate::model::Feedback,
            audit: crate::model::AuditEntry,
            dead_letters: crate::model::DeadLetter,
            alerts: crate::model::Alert,
            recognitions: crate::model::Recognition,
            sessions: crate::model::CoachingSession,
            staffing: crate::model::StaffingInterval,
            shifts: crate::model::Shift,
            mentors: crate::model::MentorProfile,
            enrolments: crate::model::Enrolment,
            pairings: crate::model::Pairing,
            progress_reports: crate::model::ProgressReport,
        }
    };
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("model types always serialise")
}

pub(crate) fn decode<T: DeserializeOwned>(what: impl Into<String>, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        what: what.into(),
        source,
    })
}

fn version_key(id: &str, version: &str) -> Vec<u8> {
    let mut k = id.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(version.as_bytes());
    k
}

fn tx_err(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Sled(e),
    }
}

impl Store {
    /// Open (or create) the database under `dir/db` and migrate it.
    pub fn open(dir: &Path) -> Result<Store> {
        Store::open_with(dir, DEFAULT_CACHE_BYTES)
    }

    /// Open (or create) the store with a page cache of `cache_bytes` (sled's
    /// own default is 1 GiB, which is what a long ingest grows RSS
    /// towards). The directory's lock is retried for up to two seconds, so
    /// a store reopened right after its previous handle was dropped (or a
    /// host restarted while the old process exits) does not fail on sled's
    /// flusher still holding it.
    pub fn open_with(dir: &Path, cache_bytes: u64) -> Result<Store> {
        let db = open_db(dir, cache_bytes)?;
        let store = Store {
            dir: Arc::new(dir.to_path_buf()),
            cache_bytes,
            reopening: Default::default(),
            agents: Collection::open(&db, "agents")?,
            teams: Collection::open(&db, "teams")?,
            staff: Collection::open(&db, "staff")?,
            forms: Collection::open(&db, "forms")?,
            interactions: Collection::open(&db, "interactions")?,
            evaluations: Collection::open(&db, "evaluations")?,
            feedback: Collection::open(&db, "feedback")?,
            audit: Collection::open(&db, "audit")?,
            dead_letters: Collection::open(&db, "dead_letters")?,
            alerts: Collection::open(&db, "alerts")?,
            recognitions: Collection::open(&db, "recognitions")?,
            sessions: Collection::open(&db, "sessions")?,
            staffing: Collection::open(&db, "staffing")?,
            shifts: Collection::open(&db, "shifts")?,
            mentors: Collection::open(&db, "mentors")?,
            enrolments: Collection::open(&db, "enrolments")?,
            pairings: Collection::open(&db, "pairings")?,
            progress_reports: Collection::open(&db, "progress_reports")?,
            base: Arc::new(RwLock::new(Some(Base::open(db)?))),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The database and base trees, or `Unavailable` while it is being
    /// reopened.
    fn b(&self) -> Result<Base> {
        self.base
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(StoreError::Unavailable)
    }

    fn collections(&self) -> Vec<&Collection> {
        let mut all: Vec<&Collection> = Vec::new();
        macro_rules! each {
            ($($tree:ident: $ty:ty),* $(,)?) => {
                $(all.push(&self.$tree);)*
            };
        }
        for_each_record_tree!(each);
        all
    }

    /// Close the database and open it again: how sled recovers from a
    /// write that failed (after `ENOSPC` it refuses every later write
    /// until reopened). Every write acknowledged before the fault was
    /// flushed, so it is there again; calls made while this runs answer
    /// [`StoreError::Unavailable`]. Blocking: run it off the async workers.
    pub fn reopen(&self) -> Result<()> {
        let _one = self.reopening.lock().unwrap_or_else(|p| p.into_inner());
        // Let go of every handle on the old database so it closes (a call
        // in flight holds its own until it returns; the open below waits
        // for the lock they keep).
        let old_base = self.base.write().unwrap_or_else(|p| p.into_inner()).take();
        let old_trees: Vec<_> = self.collections().iter().map(|c| c.detach()).collect();
        // Dropping a sled database flushes it, and after a failed write
        // that flush can wait forever: drop the old handles on a thread of
        // their own, so this one goes on to open the database again (which
        // waits for the old one's lock) and a hung close costs one thread,
        // not the host.
        let _ = std::thread::Builder::new()
            .name("sled-close".into())
            .spawn(move || drop((old_base, old_trees)));
        let db = open_db(&self.dir, self.cache_bytes)?;
        for c in self.collections() {
            c.attach(&db)?;
        }
        *self.base.write().unwrap_or_else(|p| p.into_inner()) = Some(Base::open(db)?);
        Ok(())
    }

    /// A small write that sled refuses once a storage fault has poisoned
    /// it (made `durable` when asked): whether the store takes writes now.
    pub fn probe(&self, durable: bool) -> Result<()> {
        let b = self.b()?;
        b.meta.insert("probe", encode(&crate::clock::now_ms()))?;
        if durable {
            b.db.flush()?;
        }
        Ok(())
    }

    /// Leak this handle on purpose: used when the store failed to write
    /// and the process is about to exit, since dropping a sled database
    /// whose write failed can block forever in sled's closing flush (every
    /// acknowledged write was flushed already).
    pub fn abandon(self) {
        std::mem::forget(self);
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every stored record, in every record tree, that does not read as its
    /// kind (written by an older build; this one refuses such writes).
    pub fn unreadable(&self) -> Result<Vec<Unreadable>> {
        let mut out = Vec::new();
        macro_rules! scan {
            ($($tree:ident: $ty:ty),* $(,)?) => {
                $(out.extend(self.$tree.unreadable::<$ty>()?);)*
            };
        }
        for_each_record_tree!(scan);
        Ok(out)
    }

    /// Remove one unreadable record of `kind` (a tree name) with its index
    /// entries; durable on return. Returns the text removed, `None` when
    /// `kind` has no unreadable record `id` (a readable record is never
    /// removed here).
    pub async fn remove_unreadable(&self, kind: &str, id: &str) -> Result<Option<String>> {
        let mut removed = None;
        macro_rules! remove {
            ($($tree:ident: $ty:ty),* $(,)?) => {
                $(if kind == <$ty as Record>::KIND {
                    removed = Some(self.$tree.remove_unreadable::<$ty>(id)?);
                })*
            };
        }
        for_each_record_tree!(remove);
        let removed = removed.flatten();
        if removed.is_some() {
            self.flush().await?;
        }
        Ok(removed)
    }

    /// Overwrite one unreadable record of `kind` with `json`, which must
    /// read as that kind, carry the same id and read back as written;
    /// durable on return. Returns the text replaced, `None` when `kind` has
    /// no unreadable record `id`.
    pub async fn repair_unreadable(
        &self,
        kind: &str,
        id: &str,
        json: &[u8],
    ) -> std::result::Result<Option<String>, WriteError> {
        let mut repaired = None;
        macro_rules! repair {
            ($($tree:ident: $ty:ty),* $(,)?) => {
                $(if kind == <$ty as Record>::KIND {
                    repaired = Some(self.$tree.repair_unreadable::<$ty>(id, json)?);
                })*
            };
        }
        for_each_record_tree!(repair);
        let repaired = repaired.flatten();
        if repaired.is_some() {
            self.flush().await?;
        }
        Ok(repaired)
    }

    /// Bring an older database up to [`SCHEMA_VERSION`]; refuse a newer one.
    fn migrate(&self) -> Result<()> {
        let b = self.b()?;
        let found = match b.meta.get("schema_version")? {
            Some(v) => decode::<u32>("schema_version", &v)?,
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { found });
        }
        // Version 0 is an empty database: nothing to convert.
        // 1 → 2: interactions gained the `external` index term.
        if found == 1 {
            let n = self.interactions.reindex::<crate::model::Interaction>()?;
            tracing::info!(interactions = n, "schema 1 -> 2: interactions reindexed");
        }
        if found < SCHEMA_VERSION {
            b.meta.insert("schema_version", encode(&SCHEMA_VERSION))?;
            b.db.flush()?;
        }
        Ok(())
    }

    /// The stored schema version.
    pub fn schema_version(&self) -> Result<u32> {
        match self.b()?.meta.get("schema_version")? {
            Some(v) => decode("schema_version", &v),
            None => Ok(0),
        }
    }

    /// Make every write so far durable.
    ///
    /// sled 0.34's `flush_async` can leave concurrent callers waiting
    /// forever (a lost wake-up: spacejam/sled#1241, #1308; our ingest
    /// benchmark hung on it with 8 concurrent writers). A synchronous
    /// `flush` on a blocking thread gives the same guarantee (sled's log is
    /// fsynced when it returns) without that hazard.
    pub async fn flush(&self) -> Result<()> {
        let db = self.b()?.db;
        match tokio::task::spawn_blocking(move || db.flush()).await {
            Ok(r) => {
                r?;
                Ok(())
            }
            Err(e) => Err(StoreError::Sled(sled::Error::ReportableBug(format!(
                "flush task failed: {e}"
            )))),
        }
    }

    // ---- plugin registry -------------------------------------------------

    /// One plugin's record.
    pub fn plugin(&self, id: &str) -> Result<Option<PluginRecord>> {
        self.b()?
            .plugins
            .get(id)?
            .map(|v| decode(format!("plugin {id}"), &v))
            .transpose()
    }

    /// Every plugin record, by id.
    pub fn plugins(&self) -> Result<Vec<PluginRecord>> {
        self.b()?
            .plugins
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(format!("plugin {}", String::from_utf8_lossy(&k)), &v)
            })
            .collect()
    }

    /// One installed version of a plugin.
    pub fn plugin_version(&self, id: &str, version: &str) -> Result<Option<PluginVersion>> {
        self.b()?
            .plugin_versions
            .get(version_key(id, version))?
            .map(|v| decode(format!("plugin {id} version {version}"), &v))
            .transpose()
    }

    /// Every installed version of a plugin, in install order.
    pub fn plugin_versions(&self, id: &str) -> Result<Vec<PluginVersion>> {
        let mut prefix = id.as_bytes().to_vec();
        prefix.push(0);
        let mut out: Vec<PluginVersion> = self
            .b()?
            .plugin_versions
            .scan_prefix(prefix)
            .map(|kv| decode(format!("plugin {id} version"), &kv?.1))
            .collect::<Result<_>>()?;
        out.sort_by_key(|v| v.installed_at_ms);
        Ok(out)
    }

    /// A component's bytes by hex sha256.
    pub fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.b()?.blobs.get(sha256)?.map(|v| v.to_vec()))
    }

    /// Record a new plugin version and its component, and point the plugin
    /// record at it, atomically; durable when this returns.
    pub async fn install_plugin_version(
        &self,
        record: &PluginRecord,
        version: &PluginVersion,
        wasm: &[u8],
    ) -> Result<()> {
        let sha = version.manifest.sha256.clone().unwrap_or_default();
        let b = self.b()?;
        (&b.plugins, &b.plugin_versions, &b.blobs)
            .transaction(|(plugins, versions, blobs)| {
                blobs.insert(sha.as_bytes(), wasm)?;
                versions.insert(
                    version_key(&record.id, &version.manifest.version),
                    encode(version),
                )?;
                plugins.insert(record.id.as_bytes(), encode(record))?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_err)?;
        self.flush().await
    }

    /// Replace a plugin record (enable, disable, trip, rollback); durable
    /// when this returns.
    pub async fn put_plugin(&self, record: &PluginRecord) -> Result<()> {
        self.b()?
            .plugins
            .insert(record.id.as_bytes(), encode(record))?;
        self.flush().await
    }

    // ---- tokens ------------------------------------------------------------

    /// Store a token record under `key` (its id, or a legacy token's
    /// sha256); durable when this returns.
    pub async fn put_token(&self, key: &[u8], record: &TokenRecord) -> Result<()> {
        self.b()?.tokens.insert(key, encode(record))?;
        self.flush().await
    }

    /// The token record stored under `key`.
    pub fn token(&self, key: &[u8]) -> Result<Option<TokenRecord>> {
        self.b()?
            .tokens
            .get(key)?
            .map(|v| decode("token", &v))
            .transpose()
    }

    /// Every token record with its key.
    pub fn tokens(&self) -> Result<Vec<(Vec<u8>, TokenRecord)>> {
        self.b()?
            .tokens
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((k.to_vec(), decode("token", &v)?))
            })
            .collect()
    }

    /// Remove the token stored under `key`; durable when this returns.
    pub async fn remove_token(&self, key: &[u8]) -> Result<bool> {
        let removed = self.b()?.tokens.remove(key)?.is_some();
        if removed {
            self.flush().await?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Manifest, PluginInfo, PluginKind};

    fn version(v: &str) -> PluginVersion {
        let mut manifest = Manifest::from_toml(&format!(
            "id = \"p\"\nkind = \"scorer\"\nversion = \"{v}\"\napi_version = \"0.1.0\""
        ))
        .unwrap();
        manifest.sha256 = Some(format!("{:0>64}", v.replace('.', "")));
        PluginVersion {
            manifest,
            info: PluginInfo {
                name: "p".into(),
                version: v.into(),
                description: String::new(),
            },
            installed_at_ms: v.replace('.', "").parse().unwrap(),
            size_bytes: 3,
        }
    }

    #[tokio::test]
    async fn plugin_versions_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            for v in ["1.0.0", "1.1.0"] {
                let rec = PluginRecord {
                    id: "p".into(),
                    kind: PluginKind::Scorer,
                    active_version: v.into(),
                    previous_version: None,
                    enabled: true,
                    tripped: None,
                    builtin: false,
                    installed_by: None,
                };
                store
                    .install_plugin_version(&rec, &version(v), b"abc")
                    .await
                    .unwrap();
            }
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.plugin("p").unwrap().unwrap().active_version, "1.1.0");
        let versions: Vec<_> = store
            .plugin_versions("p")
            .unwrap()
            .into_iter()
            .map(|v| v.manifest.version)
            .collect();
        assert_eq!(versions, ["1.0.0", "1.1.0"]);
        let sha = version("1.0.0").manifest.sha256.unwrap();
        assert_eq!(store.blob(&sha).unwrap().unwrap(), b"abc");
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .b()
                .unwrap()
                .meta
                .insert("schema_version", encode(&(SCHEMA_VERSION + 1)))
                .unwrap();
            store.flush().await.unwrap();
        }
        let err = Store::open(dir.path()).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    }
}
