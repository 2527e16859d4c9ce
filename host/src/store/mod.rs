//! The store: the only code that touches sled.
//!
//! One tree per entity. Writes that must agree across trees run in one sled
//! transaction. **Durability:** sled makes a write durable only after a
//! flush, so every public async write method here awaits [`Store::flush`]
//! (sled's synchronous `flush` on a blocking thread; its `flush_async` can
//! hang concurrent callers) before returning; callers (the API) answer 2xx
//! only after it returns. A crash before that point may lose the write, and
//! the client was never told it succeeded. Concurrent callers share flushes
//! (group commit, `GroupCommit` below): one flush writes and fsyncs
//! everything buffered, so callers that arrive together need only one.

pub mod collection;
mod export;
pub mod journal;
pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};
use tokio::sync::watch;

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
    /// A write outside a cluster write: it would change this node only.
    #[error("a write outside a cluster write was refused (it would reach this node only)")]
    NotCaptured,
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

    /// A copy of the error one shared flush returned, for each caller that
    /// waited on it (`StoreError` is not `Clone`: `Corrupt` holds a
    /// `serde_json::Error`). It keeps what callers branch on: the OS error
    /// code of an I/O error, so [`StoreError::is_disk_full`] and
    /// [`StoreError::is_fault`] answer as for the original.
    fn copy(&self) -> StoreError {
        match self {
            StoreError::Sled(sled::Error::Io(e)) => {
                StoreError::Sled(sled::Error::Io(match e.raw_os_error() {
                    Some(code) => std::io::Error::from_raw_os_error(code),
                    None => std::io::Error::new(e.kind(), e.to_string()),
                }))
            }
            StoreError::Sled(e) => StoreError::Sled(e.clone()),
            StoreError::Unavailable => StoreError::Unavailable,
            StoreError::BadCursor => StoreError::BadCursor,
            StoreError::NotCaptured => StoreError::NotCaptured,
            StoreError::TooNew { found } => StoreError::TooNew { found: *found },
            // A flush never decodes a record; kept whole as text regardless.
            StoreError::Corrupt { .. } => {
                StoreError::Sled(sled::Error::ReportableBug(self.to_string()))
            }
        }
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
pub const DEFAULT_CACHE_BYTES: u64 = 16 << 20;

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
    /// The flushes every clone's writes share.
    commit: Arc<GroupCommit>,
    /// What a cluster write changed (`journal.rs`).
    journal: Arc<journal::Journal>,
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

/// Group commit: concurrent [`Store::flush`] callers share sled flushes.
///
/// Flushes are numbered (generations). A caller joins the next flush to
/// start, which by construction starts after the caller's own writes, so
/// its success makes them durable; a flush already running may have
/// started before them, so a caller never joins it. One blocking task (a
/// [`Flusher`]) runs the flushes back to back while someone waits on one
/// and exits when nobody does: no thread is parked while the store is idle.
#[derive(Default)]
struct GroupCommit {
    /// The next flush and whether a flusher runs. A std mutex: held for a
    /// few instructions, never across an await or a flush.
    state: Mutex<CommitState>,
    /// sled flushes run so far, for `/metrics` and the tests.
    flushes: AtomicU64,
    /// Runs before each flush with its generation; an error it returns is
    /// that flush's outcome. Tests use it to hold a flush or fail it.
    #[cfg(test)]
    before_flush: Mutex<Option<BeforeFlush>>,
}

#[cfg(test)]
type BeforeFlush = Box<dyn Fn(u64) -> std::result::Result<(), sled::Error> + Send + Sync>;

#[derive(Default)]
struct CommitState {
    /// The flush that starts next, once a caller waits on it.
    next: Option<Generation>,
    /// Generations numbered so far.
    generations: u64,
    /// Whether a flusher is running (or spawned and about to).
    flushing: bool,
}

/// What a flush came to, shared by all who waited on it.
type Outcome = std::result::Result<(), Arc<StoreError>>;

/// One flush and the callers waiting for it.
struct Generation {
    number: u64,
    /// Its outcome, once it has one. Dropped unsent if the flusher dies
    /// first, which the waiters see (and report) instead of waiting forever.
    done: watch::Sender<Option<Outcome>>,
}

/// A caller's place in one flush.
struct Ticket {
    generation: u64,
    done: watch::Receiver<Option<Outcome>>,
}

impl Ticket {
    /// Wait for the flush's outcome.
    async fn finished(mut self) -> Result<()> {
        let outcome = self
            .done
            .wait_for(Option::is_some)
            .await
            .map(|outcome| outcome.clone());
        match outcome {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(e))) => Err(e.copy()),
            // The flusher panicked, or the runtime dropped it unrun.
            Ok(None) | Err(_) => Err(StoreError::Sled(sled::Error::ReportableBug(format!(
                "flush {} ended without an outcome (its task panicked or was cancelled)",
                self.generation
            )))),
        }
    }
}

impl GroupCommit {
    fn lock(&self) -> std::sync::MutexGuard<'_, CommitState> {
        // Nothing panics while holding it, but a poisoned lock must not
        // stop every later write.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many callers wait on the next flush.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.lock()
            .next
            .as_ref()
            .map_or(0, |next| next.done.receiver_count())
    }
}

/// The task that runs flushes while callers wait on them.
struct Flusher {
    commit: Arc<GroupCommit>,
    /// The store's database slot, read afresh for every flush:
    /// [`Store::reopen`] swaps the database after a storage fault.
    base: Arc<RwLock<Option<Base>>>,
    /// Set when it stopped because nobody waits; otherwise its drop is a
    /// panic or a task dropped unrun.
    finished: bool,
}

impl Flusher {
    fn run(mut self) {
        loop {
            let generation = {
                let mut state = self.commit.lock();
                match state.next.take() {
                    Some(generation) => generation,
                    None => {
                        // Under the same lock a new caller checks `flushing`:
                        // it either joined a generation taken above or
                        // starts a flusher of its own.
                        state.flushing = false;
                        self.finished = true;
                        return;
                    }
                }
            };
            let outcome = self.flush(generation.number).map_err(Arc::new);
            // No receivers left (callers gave up) is fine: nothing to tell.
            generation.done.send_replace(Some(outcome));
        }
    }

    /// Run the next generation here, then hand any later one to a flusher
    /// thread (a caller flushing inline never flushes for later arrivals).
    fn run_one(mut self) {
        let generation = self.commit.lock().next.take();
        if let Some(generation) = generation {
            let outcome = self.flush(generation.number).map_err(Arc::new);
            generation.done.send_replace(Some(outcome));
        }
        let more = {
            let mut state = self.commit.lock();
            if state.next.is_none() {
                state.flushing = false;
                self.finished = true;
            }
            state.next.is_some()
        };
        if more {
            tokio::task::spawn_blocking(move || self.run());
        }
    }

    #[cfg_attr(
        not(test),
        expect(unused_variables, reason = "the generation is for the test hook")
    )]
    fn flush(&self, generation: u64) -> Result<()> {
        #[cfg(test)]
        if let Some(hook) = &*self
            .commit
            .before_flush
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            hook(generation)?;
        }
        let db = self
            .base
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|b| b.db.clone())
            .ok_or(StoreError::Unavailable)?;
        self.commit.flushes.fetch_add(1, Ordering::Relaxed);
        db.flush()?;
        Ok(())
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        if !self.finished {
            // It died (a panic in sled, or the runtime shutting down before
            // it ran): fail the callers of the next flush rather than leave
            // them waiting for a flusher that no longer exists, and let the
            // next caller start a new one. The flush it was running drops
            // with its stack, failing its callers the same way.
            let next = {
                let mut state = self.commit.lock();
                state.flushing = false;
                state.next.take()
            };
            drop(next);
        }
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
        let journal = Arc::new(journal::Journal::default());
        let store = Store {
            dir: Arc::new(dir.to_path_buf()),
            cache_bytes,
            reopening: Default::default(),
            commit: Default::default(),
            journal: journal.clone(),
            agents: Collection::open(&db, "agents", &journal)?,
            teams: Collection::open(&db, "teams", &journal)?,
            staff: Collection::open(&db, "staff", &journal)?,
            forms: Collection::open(&db, "forms", &journal)?,
            interactions: Collection::open(&db, "interactions", &journal)?,
            evaluations: Collection::open(&db, "evaluations", &journal)?,
            feedback: Collection::open(&db, "feedback", &journal)?,
            audit: Collection::open(&db, "audit", &journal)?,
            dead_letters: Collection::open(&db, "dead_letters", &journal)?,
            alerts: Collection::open(&db, "alerts", &journal)?,
            recognitions: Collection::open(&db, "recognitions", &journal)?,
            sessions: Collection::open(&db, "sessions", &journal)?,
            staffing: Collection::open(&db, "staffing", &journal)?,
            shifts: Collection::open(&db, "shifts", &journal)?,
            mentors: Collection::open(&db, "mentors", &journal)?,
            enrolments: Collection::open(&db, "enrolments", &journal)?,
            pairings: Collection::open(&db, "pairings", &journal)?,
            progress_reports: Collection::open(&db, "progress_reports", &journal)?,
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

    /// The database itself, or `Unavailable` while it is being reopened.
    fn db(&self) -> Result<sled::Db> {
        Ok(self.b()?.db)
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

    /// A number this node keeps for itself in `meta` (never replicated);
    /// 0 when unset.
    pub fn local_u64(&self, key: &str) -> Result<u64> {
        Ok(match self.b()?.meta.get(key)? {
            Some(v) => decode(key, &v)?,
            None => 0,
        })
    }

    /// Set a number this node keeps for itself (not flushed here).
    pub fn set_local_u64(&self, key: &str, value: u64) -> Result<()> {
        self.b()?.meta.insert(key, encode(&value))?;
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
    /// fsynced when it returns) without that hazard. Callers arriving
    /// together share one such flush (group commit); each returns after a
    /// flush that started after it was called, and so covers the writes it
    /// made before the call.
    pub async fn flush(&self) -> Result<()> {
        if self.journal.capturing() {
            // A cluster write: the log's acknowledgement makes it durable,
            // once the whole write is published (`cluster.rs`).
            return Ok(());
        }
        self.join_flush().finished().await
    }

    /// A place in the next flush to start (see [`GroupCommit`]), starting a
    /// flusher if none runs.
    fn join_flush(&self) -> Ticket {
        let (ticket, start) = {
            let mut guard = self.commit.lock();
            let state = &mut *guard;
            let generations = &mut state.generations;
            let next = state.next.get_or_insert_with(|| {
                *generations += 1;
                Generation {
                    number: *generations,
                    done: watch::channel(None).0,
                }
            });
            let ticket = Ticket {
                generation: next.number,
                done: next.done.subscribe(),
            };
            let start = !state.flushing;
            state.flushing = true;
            (ticket, start)
        };
        // Spawned with the lock released: a task the runtime refuses (it is
        // shutting down) is dropped right here, and its drop takes the lock.
        if start {
            let flusher = Flusher {
                commit: self.commit.clone(),
                base: self.base.clone(),
                finished: false,
            };
            let multi_thread = tokio::runtime::Handle::try_current()
                .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
            if multi_thread {
                // No flush is running, so the next one is this caller's:
                // run it on this thread (its other tasks move to another
                // worker meanwhile) instead of waking a flusher thread and
                // waiting to be woken back: two thread hand-offs fewer on
                // every lone write. Callers who joined meanwhile get a
                // flusher thread of their own.
                tokio::task::block_in_place(move || flusher.run_one());
            } else {
                tokio::task::spawn_blocking(move || flusher.run());
            }
        }
        ticket
    }

    /// How many sled flushes [`Store::flush`] has run, over every clone.
    pub fn flush_count(&self) -> u64 {
        self.commit.flushes.load(Ordering::Relaxed)
    }

    /// [`Store::flush_count`] as a function that does not hold the
    /// database open (it keeps only the flush counter), for `/metrics`.
    pub fn flush_counter(&self) -> impl Fn() -> u64 + Send + Sync + 'static {
        let commit = self.commit.clone();
        move || commit.flushes.load(Ordering::Relaxed)
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
        self.journal.check()?;
        let sha = version.manifest.sha256.clone().unwrap_or_default();
        let b = self.b()?;
        let (vkey, vbytes, pbytes) = (
            version_key(&record.id, &version.manifest.version),
            encode(version),
            encode(record),
        );
        let log = self.journal.tx_log();
        (&b.plugins, &b.plugin_versions, &b.blobs)
            .transaction(|(plugins, versions, blobs)| {
                log.restart();
                log.note(
                    2,
                    sha.as_bytes(),
                    blobs.insert(sha.as_bytes(), wasm)?,
                    Some(wasm),
                );
                log.note(
                    1,
                    &vkey,
                    versions.insert(vkey.as_slice(), vbytes.as_slice())?,
                    Some(&vbytes),
                );
                log.note(
                    0,
                    record.id.as_bytes(),
                    plugins.insert(record.id.as_bytes(), pbytes.as_slice())?,
                    Some(&pbytes),
                );
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_err)?;
        log.commit(&self.journal, &["plugins", "plugin_versions", "blobs"]);
        self.flush().await
    }

    /// Replace a plugin record (enable, disable, trip, rollback); durable
    /// when this returns.
    pub async fn put_plugin(&self, record: &PluginRecord) -> Result<()> {
        self.journal.check()?;
        let bytes = encode(record);
        let before = self
            .b()?
            .plugins
            .insert(record.id.as_bytes(), bytes.as_slice())?;
        self.journal.record(
            "plugins",
            record.id.as_bytes(),
            before.as_deref(),
            Some(&bytes),
        );
        self.flush().await
    }

    // ---- tokens ------------------------------------------------------------

    /// Store a token record under `key` (its id, or a legacy token's
    /// sha256); durable when this returns.
    pub async fn put_token(&self, key: &[u8], record: &TokenRecord) -> Result<()> {
        self.journal.check()?;
        let bytes = encode(record);
        let before = self.b()?.tokens.insert(key, bytes.as_slice())?;
        self.journal
            .record("tokens", key, before.as_deref(), Some(&bytes));
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
        self.journal.check()?;
        let before = self.b()?.tokens.remove(key)?;
        self.journal.record("tokens", key, before.as_deref(), None);
        let removed = before.is_some();
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

    /// Hold every flush at its start until the test lets it go: the
    /// returned receiver says which generation has started, the sender
    /// releases it with the result it should have (`Ok` flushes for real).
    fn hold_flushes(
        store: &Store,
    ) -> (
        tokio::sync::mpsc::UnboundedReceiver<u64>,
        std::sync::mpsc::Sender<std::result::Result<(), sled::Error>>,
    ) {
        let (started_tx, started) = tokio::sync::mpsc::unbounded_channel();
        let (release, release_rx) = std::sync::mpsc::channel();
        let release_rx = Mutex::new(release_rx);
        *store.commit.before_flush.lock().unwrap() = Some(Box::new(move |generation| {
            started_tx.send(generation).unwrap();
            release_rx.lock().unwrap().recv().unwrap()
        }));
        (started, release)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_share_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (mut started, release) = hold_flushes(&store);
        let before = store.flush_count();
        // A flush in progress while the writers arrive, as under load; held
        // until all of them wait, so the count below is exact.
        // From a task: on a worker the first caller flushes inline, and
        // this thread must stay free to release it.
        let running = {
            let store = store.clone();
            tokio::spawn(async move { store.flush().await })
        };
        started.recv().await.unwrap();

        let writers = 64;
        let tasks: Vec<_> = (0..writers)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let key = format!("writer-{i}");
                    store.b().unwrap().meta.insert(&key, encode(&i)).unwrap();
                    store.flush().await
                })
            })
            .collect();
        let all_waiting = async {
            while store.commit.waiting() < writers {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), all_waiting)
            .await
            .expect("every writer joins the next flush");
        release.send(Ok(())).unwrap();
        running.await.unwrap().unwrap();
        assert!(started.recv().await.is_some());
        release.send(Ok(())).unwrap();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        // One flush for the 64 writers, after the one they found running.
        assert_eq!(store.flush_count() - before, 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lone_writer_flushes_on_its_own_thread_and_later_ones_still_share() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let before = store.flush_count();
        store.b().unwrap().meta.insert("lone", encode(&1)).unwrap();
        store.flush().await.unwrap();
        assert_eq!(store.flush_count() - before, 1, "one write, one flush");
        assert!(
            !store.commit.lock().flushing,
            "no flusher left behind by an inline flush"
        );
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .b()
                        .unwrap()
                        .meta
                        .insert(format!("w{i}"), encode(&i))
                        .unwrap();
                    store.flush().await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert!(store.flush_count() - before <= 33);
        // Waiters hear their outcome before the flusher checks for more
        // work and stops: give it a moment, then it must be gone.
        let stopped = async {
            while store.commit.lock().flushing {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), stopped)
            .await
            .expect("the flusher stops once nobody waits");
    }

    #[tokio::test]
    async fn a_caller_arriving_during_a_flush_waits_for_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (mut started, release) = hold_flushes(&store);
        let before = store.flush_count();

        let a = store.join_flush();
        let a_gen = a.generation;
        let a = tokio::spawn(a.finished());
        assert_eq!(started.recv().await, Some(a_gen));

        // Flush `a_gen` has started, so it may miss this write: the caller
        // must get the next generation, not this one.
        store.b().unwrap().meta.insert("late", "1").unwrap();
        let b = store.join_flush();
        assert_eq!(b.generation, a_gen + 1);
        let b = tokio::spawn(b.finished());

        release.send(Ok(())).unwrap();
        a.await.unwrap().unwrap();
        // The flusher went on to the next flush, which is held: `b` cannot
        // have finished.
        assert_eq!(started.recv().await, Some(a_gen + 1));
        assert!(!b.is_finished());
        release.send(Ok(())).unwrap();
        b.await.unwrap().unwrap();
        assert_eq!(store.flush_count() - before, 2);
    }

    #[tokio::test]
    async fn a_failed_flush_fails_every_caller_waiting_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (mut started, release) = hold_flushes(&store);

        let first = tokio::spawn(store.join_flush().finished());
        let running = started.recv().await.unwrap();
        // Three callers join the next flush while the first is held.
        let waiting: Vec<_> = (0..3).map(|_| store.join_flush()).collect();
        assert!(waiting.iter().all(|t| t.generation == running + 1));
        let waiting: Vec<_> = waiting
            .into_iter()
            .map(|t| tokio::spawn(t.finished()))
            .collect();
        release.send(Ok(())).unwrap();
        first.await.unwrap().unwrap();

        assert_eq!(started.recv().await, Some(running + 1));
        let full = std::io::Error::from_raw_os_error(28);
        release.send(Err(sled::Error::Io(full))).unwrap();
        for t in waiting {
            let e = t.await.unwrap().unwrap_err();
            assert!(e.is_disk_full(), "{e}");
        }

        // The store goes on flushing after the failure.
        *store.commit.before_flush.lock().unwrap() = None;
        store.flush().await.unwrap();
    }

    #[tokio::test]
    async fn a_flusher_that_panics_fails_its_callers_instead_of_hanging_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (mut started, release) = hold_flushes(&store);

        let running = tokio::spawn(store.join_flush().finished());
        started.recv().await.unwrap();
        let next = tokio::spawn(store.join_flush().finished());
        // Dropping the sender makes the held hook panic (its `recv` fails).
        drop(release);
        assert!(running.await.unwrap().is_err());
        assert!(next.await.unwrap().is_err());

        // The hook panicked holding its lock.
        *store
            .commit
            .before_flush
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        store.flush().await.unwrap();
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
    async fn a_schema_1_database_is_reindexed_so_contacts_are_found_by_vendor_id() {
        let dir = tempfile::tempdir().unwrap();
        let contact: crate::model::Interaction = serde_json::from_value(serde_json::json!({
            "id": "01J00000000000000000000001", "source": "genesys", "external_id": "conv-7",
            "channel": "voice", "direction": "inbound", "received_at": 1_700_000_000_000_i64
        }))
        .unwrap();
        let by_vendor_id = Term::External("conv-7".into());
        {
            // A schema-1 database: interactions stored without the
            // `external` index term (here: with no index entries at all).
            let store = Store::open(dir.path()).unwrap();
            store.interactions.upsert(contact.clone()).unwrap();
            let b = store.b().unwrap();
            b.db.open_tree("interactions.idx").unwrap().clear().unwrap();
            b.meta.insert("schema_version", encode(&1u32)).unwrap();
            store.flush().await.unwrap();
            assert!(
                store
                    .interactions
                    .last::<crate::model::Interaction>(&by_vendor_id)
                    .unwrap()
                    .is_none()
            );
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let found: Option<crate::model::Interaction> =
            store.interactions.last(&by_vendor_id).unwrap();
        assert_eq!(found, Some(contact));
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
