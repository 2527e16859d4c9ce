//! Generic storage for the coaching records: one tree per entity, an index
//! tree per entity, and idempotent upserts keyed by (source, external id).
//!
//! Trees for a record kind `K`:
//! - `K`: id → JSON;
//! - `K.ext`: `source \0 external_id` → id, so a redelivered vendor event
//!   maps to the record it created;
//! - `K.idx`: `term \0 value \0 time(8 bytes, big-endian, sign-flipped) \0 id`
//!   → empty, one entry per index term the record declares (agent, team,
//!   topic, identity…) plus `all` for plain time-ordered listing.
//!
//! An upsert reads the old record, removes its index entries and writes the
//! new ones in one sled transaction over the three trees, then flushes.

use serde::Serialize;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::journal::{Journal, TxLog};
use super::schema::{Record, Term};
use super::{StoreError, decode, encode};

/// The trees of a collection's transactions, as [`TxLog`] numbers them.
const DATA: usize = 0;
const EXT: usize = 1;
const IDX: usize = 2;

/// What an upsert did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Upserted {
    /// A new record.
    Created,
    /// An existing record changed.
    Updated,
    /// The same record again (a redelivery): nothing written.
    Unchanged,
}

/// A failed write.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A unique term already belongs to another record.
    #[error("{term} {value:?} already belongs to {owner}")]
    Conflict {
        /// The term.
        term: &'static str,
        /// Its value.
        value: String,
        /// The record holding it.
        owner: String,
    },
    /// The record to update does not exist.
    #[error("no record with id {0}")]
    NotFound(String),
    /// The record would not read back as written (a non-finite number
    /// serialises as `null`, which no `f64` reads): refused, so the store
    /// never holds a record it cannot read.
    #[error("{kind} {id} would not read back as written: {reason}")]
    Unreadable {
        /// Record kind.
        kind: &'static str,
        /// Its id.
        id: String,
        /// What failed.
        reason: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WriteError {
    fn conflict(term: &Term, owner: String) -> WriteError {
        WriteError::Conflict {
            term: term.name(),
            value: term.value(),
            owner,
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The records, in time order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Ids of records in this page's range that are stored but cannot be
    /// read (written by an older build); skipped, not failing the listing.
    /// `GET /v1/admin/unreadable` lists them; an admin repairs or removes
    /// them there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// A stored record that does not read as its kind.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Unreadable {
    /// Record kind (tree), e.g. `evaluations`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Why it does not read.
    pub error: String,
    /// The stored JSON as text, for an admin to correct.
    pub stored: String,
}

/// The bytes of `r`, refused unless they read back as `r` itself.
fn encode_readable<R: Record>(r: &R) -> Result<Vec<u8>, WriteError> {
    let bytes = encode(r);
    let unreadable = |reason: String| WriteError::Unreadable {
        kind: R::KIND,
        id: r.id().to_string(),
        reason,
    };
    match serde_json::from_slice::<R>(&bytes) {
        Ok(back) if back == *r => Ok(bytes),
        Ok(_) => Err(unreadable(
            "a value does not survive JSON (a non-finite number?)".into(),
        )),
        Err(e) => Err(unreadable(e.to_string())),
    }
}

/// How many index entries a scoped listing reads per item it may return.
pub const SCAN_PER_ITEM: usize = 50;

/// A listing query.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Filter by one index term (`Term::Agent(id)`); none = every record.
    pub term: Option<Term>,
    /// Inclusive lower bound on the record time.
    pub from: Option<i64>,
    /// Exclusive upper bound on the record time.
    pub to: Option<i64>,
    /// Continue after this cursor.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: usize,
}

/// The three trees of one record kind in the open database.
#[derive(Clone)]
struct Trees {
    data: sled::Tree,
    ext: sled::Tree,
    idx: sled::Tree,
}

/// The trees of one record kind. Every clone shares one handle, which
/// [`super::Store::reopen`] detaches and attaches again when the database
/// is reopened after a storage fault.
#[derive(Clone)]
pub struct Collection {
    kind: std::sync::Arc<str>,
    trees: std::sync::Arc<std::sync::RwLock<Option<Trees>>>,
    /// Serialises upserts of this kind: the external-id lookup and the
    /// unique-term check happen before the transaction, so two concurrent
    /// deliveries of one vendor event must not both pass them. A std mutex:
    /// held only across synchronous sled calls, never across an await.
    writer: std::sync::Arc<std::sync::Mutex<()>>,
    /// Where a cluster write's changes are recorded (`journal.rs`).
    journal: std::sync::Arc<Journal>,
}

/// Time as 8 bytes that sort like the signed value.
fn time_key(t: i64) -> [u8; 8] {
    ((t as u64) ^ (1 << 63)).to_be_bytes()
}

fn term_prefix(term: &Term) -> Vec<u8> {
    let (name, value) = (term.name(), term.value());
    let mut k = Vec::with_capacity(name.len() + value.len() + 2);
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k.extend_from_slice(value.as_bytes());
    k.push(0);
    k
}

fn index_key(term: &Term, time: i64, id: &str) -> Vec<u8> {
    let mut k = term_prefix(term);
    k.extend_from_slice(&time_key(time));
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

fn ext_key(source: &str, external_id: &str) -> Vec<u8> {
    let mut k = source.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(external_id.as_bytes());
    k
}

fn all_terms<R: Record>(r: &R) -> Vec<Term> {
    let mut t = r.terms();
    t.push(Term::All);
    t.extend(r.unique_terms());
    t
}

type Tx = ConflictableTransactionError<WriteError>;

impl Collection {
    /// Open (or create) the trees of `kind`.
    pub(super) fn open(
        db: &sled::Db,
        kind: &str,
        journal: &std::sync::Arc<Journal>,
    ) -> Result<Collection, StoreError> {
        let c = Collection {
            kind: kind.into(),
            trees: Default::default(),
            writer: Default::default(),
            journal: journal.clone(),
        };
        c.attach(db)?;
        Ok(c)
    }

    /// Open this kind's trees in `db` (a reopened database).
    pub(super) fn attach(&self, db: &sled::Db) -> Result<(), StoreError> {
        let kind = &*self.kind;
        let trees = Trees {
            data: db.open_tree(kind)?,
            ext: db.open_tree(format!("{kind}.ext"))?,
            idx: db.open_tree(format!("{kind}.idx"))?,
        };
        *self.trees.write().unwrap_or_else(|p| p.into_inner()) = Some(trees);
        Ok(())
    }

    /// Drop this kind's trees, so the database they belong to can close;
    /// until [`Collection::attach`], every call answers
    /// [`StoreError::Unavailable`].
    pub(super) fn detach(&self) -> Option<impl Send + 'static> {
        self.trees.write().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// The trees, or `Unavailable` while the database is being reopened.
    fn t(&self) -> Result<Trees, StoreError> {
        self.trees
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(StoreError::Unavailable)
    }

    /// A record by id.
    pub fn get<R: Record>(&self, id: &str) -> Result<Option<R>, StoreError> {
        self.t()?
            .data
            .get(id)?
            .map(|v| decode(format!("{} {id}", R::KIND), &v))
            .transpose()
    }

    /// The id a `(source, external id)` maps to.
    pub fn id_for_external(
        &self,
        source: &str,
        external_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .t()?
            .ext
            .get(ext_key(source, external_id))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The id of the record holding a unique term value, if any.
    pub fn owner_of(&self, term: &Term) -> Result<Option<String>, StoreError> {
        let prefix = term_prefix(term);
        match self.t()?.idx.scan_prefix(&prefix).next() {
            Some(kv) => {
                let (k, _) = kv?;
                Ok(Some(
                    String::from_utf8_lossy(&k[prefix.len() + 9..]).into_owned(),
                ))
            }
            None => Ok(None),
        }
    }

    /// The latest record (by time) holding `term = value`, read from the
    /// end of the index without scanning the rest.
    pub fn last<R: Record>(&self, term: &Term) -> Result<Option<R>, StoreError> {
        let prefix = term_prefix(term);
        match self.t()?.idx.scan_prefix(&prefix).next_back() {
            Some(kv) => {
                let (k, _) = kv?;
                self.get(&String::from_utf8_lossy(&k[prefix.len() + 9..]))
            }
            None => Ok(None),
        }
    }

    /// The names of this kind's trees, in [`TxLog`] order: data, ext, idx.
    fn names(&self) -> [String; 3] {
        let kind = &*self.kind;
        [
            kind.to_string(),
            format!("{kind}.ext"),
            format!("{kind}.idx"),
        ]
    }

    /// Hand a committed transaction's writes to the journal.
    fn journal(&self, log: TxLog) {
        if self.journal.capturing() {
            let names = self.names();
            log.commit(&self.journal, &[&names[0], &names[1], &names[2]]);
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the three trees, the log, and the record before and after"
    )]
    fn write_tx<R: Record>(
        log: &TxLog,
        data: &TransactionalTree,
        ext: &TransactionalTree,
        idx: &TransactionalTree,
        old: Option<&R>,
        stale: &[Vec<u8>],
        new: &R,
        bytes: &[u8],
    ) -> Result<(), Tx> {
        let idx_remove = |key: &[u8]| -> Result<(), Tx> {
            log.note(IDX, key, idx.remove(key)?, None);
            Ok(())
        };
        if let Some(old) = old {
            for term in all_terms(old) {
                idx_remove(&index_key(&term, old.time(), old.id()))?;
            }
        }
        for key in stale {
            idx_remove(key)?;
        }
        for term in all_terms(new) {
            let key = index_key(&term, new.time(), new.id());
            log.note(IDX, &key, idx.insert(key.as_slice(), &[][..])?, Some(&[]));
        }
        if let Some((source, external_id)) = new.external() {
            let key = ext_key(source, external_id);
            let before = ext.insert(key.as_slice(), new.id().as_bytes())?;
            log.note(EXT, &key, before, Some(new.id().as_bytes()));
        }
        let before = data.insert(new.id().as_bytes(), bytes)?;
        log.note(DATA, new.id().as_bytes(), before, Some(bytes));
        Ok(())
    }

    /// The stored record `id` as `R`: `Ok(None)` when absent, `Err(keys)`
    /// with the index keys it holds when it is stored but does not read
    /// (so a write over it can drop them without knowing its terms).
    fn old_or_stale<R: Record>(
        &self,
        id: &str,
    ) -> Result<Result<Option<R>, Vec<Vec<u8>>>, StoreError> {
        let Some(v) = self.t()?.data.get(id)? else {
            return Ok(Ok(None));
        };
        match serde_json::from_slice::<R>(&v) {
            Ok(r) => Ok(Ok(Some(r))),
            Err(_) => Ok(Err(self.index_keys_of(id)?)),
        }
    }

    /// Every index key naming record `id`: a scan of the whole index, for
    /// the rare record whose terms cannot be read from it.
    fn index_keys_of(&self, id: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        let id = id.as_bytes();
        let mut keys = Vec::new();
        for kv in self.t()?.idx.iter() {
            let (k, _) = kv?;
            // term \0 value \0 time(8) \0 id
            let n = k.len();
            if n > id.len() + 10
                && k.ends_with(id)
                && k[n - id.len() - 1] == 0
                && k[n - id.len() - 10] == 0
            {
                keys.push(k.to_vec());
            }
        }
        Ok(keys)
    }

    /// Insert or update a record. A record with an external key that is
    /// already stored takes the stored record's id; if nothing changed the
    /// write is skipped (`Unchanged`). Unique terms held by another record
    /// are a conflict. Not durable until the caller flushes.
    pub fn upsert<R: Record>(&self, mut record: R) -> Result<(Upserted, R), WriteError> {
        self.journal.check()?;
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((source, external_id)) = record.external()
            && let Some(existing) = self.id_for_external(source, external_id)?
        {
            record.set_id(existing);
        }
        for term in record.unique_terms() {
            if let Some(owner) = self.owner_of(&term)?
                && owner != record.id()
            {
                return Err(WriteError::conflict(&term, owner));
            }
        }
        let bytes = encode_readable(&record)?;
        // Under the writer lock nothing else changes this record, so what
        // is read here is what the transaction replaces. A stored record
        // that does not read (an older build's) is overwritten, its index
        // entries found by scanning.
        let (old, stale) = match self.old_or_stale::<R>(record.id())? {
            Ok(old) => (old, Vec::new()),
            Err(stale) => (None, stale),
        };
        if old.as_ref() == Some(&record) {
            return Ok((Upserted::Unchanged, record));
        }
        let existed = old.is_some() || !stale.is_empty();
        let t = self.t()?;
        let log = self.journal.tx_log();
        let result = (&t.data, &t.ext, &t.idx).transaction(|(data, ext, idx)| {
            log.restart();
            Self::write_tx(&log, data, ext, idx, old.as_ref(), &stale, &record, &bytes)?;
            Ok(if existed {
                Upserted::Updated
            } else {
                Upserted::Created
            })
        });
        let outcome = result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => WriteError::Store(StoreError::Sled(e)),
        })?;
        self.journal(log);
        Ok((outcome, record))
    }

    /// Write several records of this kind in one transaction, all or none:
    /// how unique terms move between records (an agent merge). A unique
    /// term may be held by another record only if that record is in the
    /// batch and gives it up. Not durable until the caller flushes.
    pub fn upsert_all<R: Record>(&self, records: Vec<R>) -> Result<(), WriteError> {
        self.journal.check()?;
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut claimed = std::collections::HashMap::new();
        for r in &records {
            for term in r.unique_terms() {
                if let Some(other) = claimed.insert((term.name(), term.value()), r.id()) {
                    return Err(WriteError::conflict(&term, other.to_string()));
                }
                if let Some(owner) = self.owner_of(&term)?
                    && owner != r.id()
                    && !records.iter().any(|o| o.id() == owner)
                {
                    return Err(WriteError::conflict(&term, owner));
                }
            }
        }
        let mut writes = Vec::with_capacity(records.len());
        for r in &records {
            let bytes = encode_readable(r)?;
            let (old, stale) = match self.old_or_stale::<R>(r.id())? {
                Ok(old) => (old, Vec::new()),
                Err(stale) => (None, stale),
            };
            writes.push((r, old, stale, bytes));
        }
        let t = self.t()?;
        let log = self.journal.tx_log();
        let result = (&t.data, &t.ext, &t.idx).transaction(|(data, ext, idx)| {
            log.restart();
            for (r, old, stale, bytes) in &writes {
                Self::write_tx(&log, data, ext, idx, old.as_ref(), stale, *r, bytes)?;
            }
            Ok(())
        });
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => WriteError::Store(StoreError::Sled(e)),
        })?;
        self.journal(log);
        Ok(())
    }

    /// Write the index entries of every stored record again: the migration
    /// step when a kind gains an index term. Returns how many records.
    pub fn reindex<R: Record>(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        let t = self.t()?;
        for kv in t.data.iter() {
            let (k, v) = kv?;
            let r: R = decode(format!("{} {}", R::KIND, String::from_utf8_lossy(&k)), &v)?;
            for term in all_terms(&r) {
                t.idx.insert(index_key(&term, r.time(), r.id()), &[][..])?;
            }
            n += 1;
        }
        Ok(n)
    }

    /// Update an existing record by id.
    pub fn update<R: Record>(&self, record: R) -> Result<(Upserted, R), WriteError> {
        if !self
            .t()?
            .data
            .contains_key(record.id())
            .map_err(StoreError::from)?
        {
            return Err(WriteError::NotFound(record.id().to_string()));
        }
        self.upsert(record)
    }

    /// A page of records, in time order (then id).
    pub fn list<R: Record>(&self, q: &Query) -> Result<Page<R>, StoreError> {
        self.list_where(q, |_: &R| true)
    }

    /// A page of the records `keep` admits (a caller's scope). At most
    /// [`SCAN_PER_ITEM`] index entries per requested item are read, so a
    /// narrow scope over a large kind answers a short page with a cursor
    /// rather than scanning everything; an empty page with a cursor means
    /// "nothing yet, keep going".
    pub fn list_where<R: Record>(
        &self,
        q: &Query,
        keep: impl Fn(&R) -> bool,
    ) -> Result<Page<R>, StoreError> {
        let prefix = term_prefix(q.term.as_ref().unwrap_or(&Term::All));
        let mut start = prefix.clone();
        start.extend_from_slice(&time_key(q.from.unwrap_or(i64::MIN)));
        if let Some(c) = &q.cursor {
            let after = decode_cursor(c).ok_or(StoreError::BadCursor)?;
            if !after.starts_with(&prefix) {
                return Err(StoreError::BadCursor);
            }
            // Strictly after the cursor key.
            let mut next = after;
            next.push(0);
            if next > start {
                start = next;
            }
        }
        let mut end = prefix.clone();
        end.extend_from_slice(&time_key(q.to.unwrap_or(i64::MAX)));
        let limit = q.limit.clamp(1, 1000);
        let mut items = Vec::with_capacity(limit.min(64));
        let mut unreadable = Vec::new();
        let mut last_key = None;
        let mut more = false;
        for (scanned, kv) in self.t()?.idx.range(start..end).enumerate() {
            let (k, _) = kv?;
            if items.len() + unreadable.len() == limit || scanned == limit * SCAN_PER_ITEM {
                more = true;
                break;
            }
            let id = String::from_utf8_lossy(&k[prefix.len() + 9..]).into_owned();
            match self.get::<R>(&id) {
                Ok(Some(r)) if keep(&r) => items.push(r),
                Ok(Some(_)) => {}
                Ok(None) => {}
                // One unreadable record never fails a listing: it is
                // skipped and reported (and logged) for an admin to fix.
                Err(StoreError::Corrupt { what, source }) => {
                    tracing::error!(record = %what, error = %source, "unreadable record skipped in a listing");
                    unreadable.push(id);
                }
                Err(e) => return Err(e),
            }
            last_key = Some(k.to_vec());
        }
        Ok(Page {
            items,
            next_cursor: if more {
                last_key.map(|k| encode_cursor(&k))
            } else {
                None
            },
            unreadable,
        })
    }

    /// Every stored record that does not read as `R`.
    pub fn unreadable<R: Record>(&self) -> Result<Vec<Unreadable>, StoreError> {
        let mut out = Vec::new();
        for kv in self.t()?.data.iter() {
            let (k, v) = kv?;
            if let Err(e) = serde_json::from_slice::<R>(&v) {
                out.push(Unreadable {
                    kind: R::KIND.to_string(),
                    id: String::from_utf8_lossy(&k).into_owned(),
                    error: e.to_string(),
                    stored: String::from_utf8_lossy(&v).into_owned(),
                });
            }
        }
        Ok(out)
    }

    /// Remove record `id` if it is stored and does not read as `R`, with
    /// its index and external-key entries; returns the text removed, `None`
    /// when there is no such record (a readable record is never removed
    /// here). Not durable until the caller flushes.
    pub fn remove_unreadable<R: Record>(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.journal.check()?;
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let stale = match self.old_or_stale::<R>(id)? {
            Ok(_) => return Ok(None),
            Err(stale) => stale,
        };
        let text = self.stored_text(id)?;
        let mut ext_keys = Vec::new();
        for kv in self.t()?.ext.iter() {
            let (k, v) = kv?;
            if v.as_ref() == id.as_bytes() {
                ext_keys.push(k.to_vec());
            }
        }
        let t = self.t()?;
        let log = self.journal.tx_log();
        let result = (&t.data, &t.ext, &t.idx).transaction(|(data, ext, idx)| {
            log.restart();
            for k in &stale {
                log.note(IDX, k, idx.remove(k.as_slice())?, None);
            }
            for k in &ext_keys {
                log.note(EXT, k, ext.remove(k.as_slice())?, None);
            }
            log.note(DATA, id.as_bytes(), data.remove(id.as_bytes())?, None);
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        });
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::Sled(e),
        })?;
        self.journal(log);
        Ok(Some(text))
    }

    /// The stored bytes of record `id` as text, for an admin to read.
    fn stored_text(&self, id: &str) -> Result<String, StoreError> {
        Ok(self
            .t()?
            .data
            .get(id)?
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default())
    }

    /// Overwrite record `id`, stored but unreadable as `R`, with `json`
    /// (which must read as `R` with the same id and read back as written);
    /// returns the text it replaced, `None` when there is no such
    /// unreadable record. Not durable until the caller flushes.
    pub fn repair_unreadable<R: Record>(
        &self,
        id: &str,
        json: &[u8],
    ) -> Result<Option<String>, WriteError> {
        let text = {
            let _writer = self
                .writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if self.old_or_stale::<R>(id)?.is_ok() {
                return Ok(None);
            }
            self.stored_text(id)?
        };
        let record: R = serde_json::from_slice(json).map_err(|e| WriteError::Unreadable {
            kind: R::KIND,
            id: id.to_string(),
            reason: format!("the correction does not read as {}: {e}", R::KIND),
        })?;
        if record.id() != id {
            return Err(WriteError::Unreadable {
                kind: R::KIND,
                id: id.to_string(),
                reason: format!("the correction carries the id {:?}", record.id()),
            });
        }
        self.upsert(record)?;
        Ok(Some(text))
    }

    /// Write raw bytes as record `id`, bypassing every check: only for
    /// tests that need what an older build could have stored.
    #[cfg(test)]
    pub(crate) fn put_raw(&self, id: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.t()?.data.insert(id.as_bytes(), bytes)?;
        Ok(())
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.t().map_or(0, |t| t.data.len())
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.t().is_ok_and(|t| t.data.is_empty())
    }
}

fn encode_cursor(key: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

fn decode_cursor(c: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Agent, Channel, Direction, Interaction};
    use crate::store::Store;

    fn interaction(ext: &str, agent: &str, at: i64, topics: &[&str]) -> Interaction {
        Interaction {
            id: crate::model::new_id(),
            source: "test".into(),
            external_id: ext.into(),
            agent_id: Some(agent.into()),
            team_id: None,
            channel: Channel::Voice,
            direction: Direction::Inbound,
            started_at: Some(at),
            ended_at: None,
            handle_ms: None,
            talk_ms: None,
            hold_ms: None,
            after_work_ms: None,
            non_talk_ms: None,
            agent_interruptions: None,
            related_external_ids: Vec::new(),
            agent_talk_ms: None,
            customer_talk_ms: None,
            alert_ms: None,
            answer_ms: None,
            issues: Vec::new(),
            outcomes: Vec::new(),
            action_items: Vec::new(),
            queue: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            sentiment: None,
            wrap_up: None,
            updated_at: None,
            received_at: 0,
        }
    }

    #[test]
    fn a_record_that_would_not_read_back_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut i = interaction("c-nan", "a1", 1_000, &["billing"]);
        i.sentiment = Some(crate::model::Sentiment {
            customer: Some(f64::NAN),
            agent: None,
            customer_final_quarter: None,
        });
        let err = store.interactions.upsert(i).unwrap_err();
        assert!(
            matches!(
                &err,
                WriteError::Unreadable {
                    kind: "interactions",
                    ..
                }
            ),
            "{err}"
        );
        assert!(store.interactions.is_empty());
        let page: Page<Interaction> = store
            .interactions
            .list(&Query {
                limit: 10,
                ..Query::default()
            })
            .unwrap();
        assert!(page.items.is_empty() && page.unreadable.is_empty());
    }

    #[test]
    fn an_unreadable_record_is_skipped_and_named_and_a_write_over_it_repairs_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = &store.interactions;
        let good = interaction("c-1", "a1", 1_000, &["billing"]);
        let bad = interaction("c-2", "a1", 2_000, &["refunds"]);
        let later = interaction("c-3", "a1", 3_000, &["billing"]);
        for r in [&good, &bad, &later] {
            c.upsert(r.clone()).unwrap();
        }
        // What an older build could store: a score of NaN written as null.
        let mut corrupt = serde_json::to_value(&bad).unwrap();
        corrupt["started_at"] = serde_json::json!("not a time");
        c.put_raw(&bad.id, corrupt.to_string().as_bytes()).unwrap();

        let all = |term: Option<Term>| -> Page<Interaction> {
            c.list(&Query {
                term,
                limit: 10,
                ..Query::default()
            })
            .unwrap()
        };
        let page = all(None);
        let ids: Vec<_> = page.items.iter().map(|i| i.external_id.as_str()).collect();
        assert_eq!(ids, ["c-1", "c-3"]);
        assert_eq!(page.unreadable, std::slice::from_ref(&bad.id));
        let found = c.unreadable::<Interaction>().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, bad.id);
        assert!(found[0].stored.contains("not a time"));

        // A corrected write over it (a vendor's redelivery) replaces it and
        // drops the index entries only the unreadable record knew.
        let mut fixed = bad.clone();
        fixed.topics = vec!["billing".into()];
        let (outcome, _) = c.upsert(fixed).unwrap();
        assert_eq!(outcome, Upserted::Updated);
        assert!(c.unreadable::<Interaction>().unwrap().is_empty());
        let refunds = all(Some(Term::Topic("refunds".into())));
        assert!(refunds.items.is_empty() && refunds.unreadable.is_empty());
        assert_eq!(all(Some(Term::Topic("billing".into()))).items.len(), 3);
    }

    #[test]
    fn only_an_unreadable_record_can_be_removed_as_one_and_it_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = &store.interactions;
        let keep = interaction("c-1", "a1", 1_000, &["billing"]);
        let bad = interaction("c-2", "a1", 2_000, &["billing"]);
        c.upsert(keep.clone()).unwrap();
        c.upsert(bad.clone()).unwrap();
        c.put_raw(&bad.id, b"{\"id\": 7}").unwrap();
        assert!(
            c.remove_unreadable::<Interaction>(&keep.id)
                .unwrap()
                .is_none()
        );
        assert!(
            c.remove_unreadable::<Interaction>(&bad.id)
                .unwrap()
                .is_some()
        );
        assert!(
            c.remove_unreadable::<Interaction>(&bad.id)
                .unwrap()
                .is_none()
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c.id_for_external("test", "c-2").unwrap(), None);
        assert!(c.index_keys_of(&bad.id).unwrap().is_empty());
        let page: Page<Interaction> = c
            .list(&Query {
                limit: 10,
                ..Query::default()
            })
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert!(page.unreadable.is_empty());
        // The vendor's redelivery is a new record again.
        let (outcome, _) = c.upsert(interaction("c-2", "a1", 2_000, &[])).unwrap();
        assert_eq!(outcome, Upserted::Created);
    }

    #[test]
    fn a_redelivered_external_id_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = &store.interactions;
        let (o1, first) = c.upsert(interaction("c-1", "a", 10, &[])).unwrap();
        let (o2, again) = c.upsert(interaction("c-1", "a", 10, &[])).unwrap();
        assert_eq!((o1, o2), (Upserted::Created, Upserted::Unchanged));
        assert_eq!(
            first.id, again.id,
            "the redelivery resolves to the stored id"
        );
        let (o3, _) = c.upsert(interaction("c-1", "a", 10, &["billing"])).unwrap();
        assert_eq!(o3, Upserted::Updated);
        assert_eq!(c.len(), 1);
        // The old index entries went with the update.
        let q = |term: Term| Query {
            term: Some(term),
            limit: 10,
            ..Query::default()
        };
        assert_eq!(
            c.list::<Interaction>(&q(Term::Topic("billing".into())))
                .unwrap()
                .items
                .len(),
            1
        );
        assert_eq!(
            c.list::<Interaction>(&q(Term::Agent("a".into())))
                .unwrap()
                .items
                .len(),
            1
        );
    }

    #[test]
    fn listings_filter_by_term_and_time_and_page_with_cursors() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let c = &store.interactions;
        for i in 0..25 {
            c.upsert(interaction(
                &format!("c-{i}"),
                if i % 2 == 0 { "even" } else { "odd" },
                -5 + i,
                &[],
            ))
            .unwrap();
        }
        let mut q = Query {
            term: Some(Term::Agent("even".into())),
            from: Some(0),
            to: Some(15),
            limit: 3,
            ..Query::default()
        };
        let mut seen = vec![];
        loop {
            let page = c.list::<Interaction>(&q).unwrap();
            seen.extend(page.items.iter().map(|r| r.started_at.unwrap()));
            match page.next_cursor {
                Some(cur) => q.cursor = Some(cur),
                None => break,
            }
        }
        // Times -5..=19; even agents at odd times from -5: -5,-3,...; within [0,15): 1,3,...,13.
        assert_eq!(seen, vec![1, 3, 5, 7, 9, 11, 13]);
        let last = c
            .last::<Interaction>(&Term::Agent("even".into()))
            .unwrap()
            .unwrap();
        assert_eq!(
            last.started_at,
            Some(19),
            "the latest even record, read from the index end"
        );
        assert!(
            c.last::<Interaction>(&Term::Agent("nobody".into()))
                .unwrap()
                .is_none()
        );
        let all = c
            .list::<Interaction>(&Query {
                limit: 1000,
                ..Query::default()
            })
            .unwrap();
        assert_eq!(all.items.len(), 25);
        assert!(
            all.items
                .windows(2)
                .all(|w| w[0].started_at <= w[1].started_at),
            "time order, negatives first"
        );
        let bad = Query {
            cursor: Some("bm9wZQ".into()),
            limit: 5,
            ..Query::default()
        };
        assert!(matches!(
            c.list::<Interaction>(&bad),
            Err(StoreError::BadCursor)
        ));
    }

    #[test]
    fn a_vendor_identity_belongs_to_one_agent() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let agent = |id: &str, idents: &[&str]| Agent {
            id: id.into(),
            name: id.into(),
            email: None,
            team_id: None,
            supervisor_id: None,
            coach_id: None,
            identities: idents.iter().map(|s| s.to_string()).collect(),
            created_at: 1,
            merged_into: None,
        };
        store
            .agents
            .upsert(agent("ana", &["genesys:u-1", "twilio:WK1"]))
            .unwrap();
        let err = store
            .agents
            .upsert(agent("bo", &["twilio:WK1"]))
            .unwrap_err();
        assert!(matches!(err, WriteError::Conflict { owner, .. } if owner == "ana"));
        assert_eq!(
            store
                .agents
                .owner_of(&Term::Identity("genesys:u-1".into()))
                .unwrap()
                .as_deref(),
            Some("ana")
        );
        // Ana may drop an identity, and then Bo may take it.
        store.agents.upsert(agent("ana", &["genesys:u-1"])).unwrap();
        store.agents.upsert(agent("bo", &["twilio:WK1"])).unwrap();
        assert_eq!(
            store
                .agents
                .owner_of(&Term::Identity("twilio:WK1".into()))
                .unwrap()
                .as_deref(),
            Some("bo")
        );
        // A merge moves identities between records in one batch: Bo gives
        // hers to Ana. A batch that leaves an identity with an outsider, or
        // gives one identity to two records, is refused whole.
        let cy = agent("cy", &["five9:cy"]);
        store.agents.upsert(cy).unwrap();
        let err = store
            .agents
            .upsert_all(vec![agent("ana", &["genesys:u-1", "five9:cy"])])
            .unwrap_err();
        assert!(matches!(err, WriteError::Conflict { ref owner, .. } if owner == "cy"));
        let err = store
            .agents
            .upsert_all(vec![
                agent("ana", &["twilio:WK1"]),
                agent("bo", &["twilio:WK1"]),
            ])
            .unwrap_err();
        assert!(matches!(err, WriteError::Conflict { .. }));
        store
            .agents
            .upsert_all(vec![
                agent("bo", &[]),
                agent("ana", &["genesys:u-1", "twilio:WK1"]),
            ])
            .unwrap();
        assert_eq!(
            store
                .agents
                .owner_of(&Term::Identity("twilio:WK1".into()))
                .unwrap()
                .as_deref(),
            Some("ana")
        );
        assert_eq!(
            store.agents.get::<Agent>("bo").unwrap().unwrap().identities,
            Vec::<String>::new()
        );
    }

    #[tokio::test]
    async fn export_then_import_reproduces_every_tree_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a")).unwrap();
        for i in 0..10 {
            store
                .interactions
                .upsert(interaction(&format!("c-{i}"), "a", i, &["t"]))
                .unwrap();
        }
        store.flush().await.unwrap();
        let mut out = Vec::new();
        let n = store.export(&mut out).unwrap();
        assert!(n >= 10 * 4, "records plus index entries: {n}");

        let copy = Store::open(&dir.path().join("b")).unwrap();
        assert_eq!(copy.import(std::io::Cursor::new(&out)).await.unwrap(), n);
        let mut again = Vec::new();
        copy.export(&mut again).unwrap();
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(out.clone()).unwrap()
        );
        // Importing twice is refused: the target is no longer empty.
        assert!(copy.import(std::io::Cursor::new(&out)).await.is_err());
    }
}
