//! The journal: the raw writes one cluster write made, to publish and, when
//! the log refuses them, to undo.
//!
//! In cluster mode a node runs a request against its own sled as in
//! single-node mode, with every write recorded here at the level of sled
//! keys: `(tree, key, value after)` to publish, and the value before, to
//! put back. Writes are captured only while a cluster write holds the
//! node's write lock (`cluster::Cluster::write`), so nothing else writes in
//! between and undoing in reverse order restores exactly what was there.
//! A write made outside one is refused ([`StoreError::NotCaptured`]): it
//! would change this node and no other. Applying a published journal is
//! [`Store::apply`]: the same bytes, in the same order, on every node.
//!
//! The `meta` tree is each node's own (schema version, applied sequence,
//! probes) and is never captured.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Result, Store, StoreError};

/// One raw write: what `key` of `tree` holds after it (`None`: removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// The sled tree's name.
    pub tree: String,
    /// The key.
    pub key: Vec<u8>,
    /// The value after the write; `None` when the key was removed.
    pub value: Option<Vec<u8>>,
}

/// What a cluster write changed: the ops to publish and what to put back
/// if the log refuses them.
#[derive(Debug, Default)]
pub struct Captured {
    /// Every write, in the order it was made.
    pub ops: Vec<Op>,
    /// Each write's previous value, in the same order.
    undo: Vec<Option<Vec<u8>>>,
}

impl Captured {
    /// Whether the write changed nothing.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// The capture state every clone of a store shares.
#[derive(Default)]
pub(crate) struct Journal {
    /// Set in cluster mode: a write outside a capture is refused.
    required: AtomicBool,
    /// A capture is open (the fast check on every write).
    open: AtomicBool,
    captured: Mutex<Captured>,
}

impl Journal {
    /// Refuse a write the journal would miss.
    pub(crate) fn check(&self) -> Result<()> {
        if self.required.load(Ordering::Acquire) && !self.open.load(Ordering::Acquire) {
            return Err(StoreError::NotCaptured);
        }
        Ok(())
    }

    /// Whether writes are being captured now.
    pub(crate) fn capturing(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// The log of one transaction about to run: it notes the transaction's
    /// writes only if a capture is open now.
    pub(crate) fn tx_log(&self) -> TxLog {
        TxLog {
            on: self.capturing(),
            noted: Default::default(),
        }
    }

    /// Record one write of `tree`, if a capture is open.
    pub(crate) fn record(
        &self,
        tree: &str,
        key: &[u8],
        before: Option<&[u8]>,
        after: Option<&[u8]>,
    ) {
        if !self.capturing() {
            return;
        }
        let mut c = self.captured.lock().unwrap_or_else(|p| p.into_inner());
        c.ops.push(Op {
            tree: tree.to_string(),
            key: key.to_vec(),
            value: after.map(<[u8]>::to_vec),
        });
        c.undo.push(before.map(<[u8]>::to_vec));
    }
}

/// Writes of one sled transaction over a collection's three trees, kept
/// until it commits (sled may run the closure more than once).
/// One noted write: tree number, key, value before, value after.
type Noted = (usize, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Off (nothing copied) unless a capture was open when the write began:
/// a host standing alone never pays for the copies.
pub(crate) struct TxLog {
    on: bool,
    noted: std::cell::RefCell<Vec<Noted>>,
}

impl TxLog {
    /// Forget the writes of an attempt sled is about to retry.
    pub(crate) fn restart(&self) {
        self.noted.borrow_mut().clear();
    }

    /// Note a write to the `tree`th tree of the transaction.
    pub(crate) fn note(
        &self,
        tree: usize,
        key: &[u8],
        before: Option<sled::IVec>,
        after: Option<&[u8]>,
    ) {
        if !self.on {
            return;
        }
        self.noted.borrow_mut().push((
            tree,
            key.to_vec(),
            before.map(|b| b.to_vec()),
            after.map(<[u8]>::to_vec),
        ));
    }

    /// Hand the committed writes to the journal, naming the trees.
    pub(crate) fn commit(self, journal: &Journal, names: &[&str]) {
        // A capture that opened while this write was under way would miss
        // it: every cluster write runs inside its capture, under the
        // node's write lock, so this cannot happen; say so if it ever does.
        debug_assert!(
            self.on || !journal.capturing(),
            "a write that began outside a capture committed inside one"
        );
        for (tree, key, before, after) in self.noted.into_inner() {
            journal.record(names[tree], &key, before.as_deref(), after.as_deref());
        }
    }
}

impl Store {
    /// Refuse every write not made inside a capture (cluster mode).
    pub fn require_capture(&self) {
        self.journal.required.store(true, Ordering::Release);
    }

    /// Start recording writes. The caller holds the cluster write lock.
    pub fn begin_capture(&self) {
        let mut c = self
            .journal
            .captured
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *c = Captured::default();
        self.journal.open.store(true, Ordering::Release);
    }

    /// Stop recording and take what was written since
    /// [`Store::begin_capture`].
    pub fn end_capture(&self) -> Captured {
        self.journal.open.store(false, Ordering::Release);
        std::mem::take(
            &mut *self
                .journal
                .captured
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    /// Put back what a capture changed, newest first, so a key written
    /// twice gets its first previous value.
    pub fn undo(&self, captured: Captured) -> Result<()> {
        let db = self.db()?;
        for (op, before) in captured.ops.iter().zip(captured.undo).rev() {
            let tree = db.open_tree(&op.tree)?;
            match before {
                Some(v) => tree.insert(&op.key, v)?,
                None => tree.remove(&op.key)?,
            };
        }
        Ok(())
    }

    /// Make `ops` (another node's published writes) this node's, in order.
    /// Applying the same ops again changes nothing, so a node that stops
    /// between two ops applies the whole journal again.
    pub fn apply(&self, ops: &[Op]) -> Result<()> {
        let db = self.db()?;
        let mut trees: std::collections::HashMap<&str, sled::Tree> = Default::default();
        for op in ops {
            if op.tree == "meta" {
                continue;
            }
            let tree = match trees.get(op.tree.as_str()) {
                Some(t) => t.clone(),
                None => {
                    let t = db.open_tree(&op.tree)?;
                    trees.insert(&op.tree, t.clone());
                    t
                }
            };
            match &op.value {
                Some(v) => tree.insert(&op.key, v.as_slice())?,
                None => tree.remove(&op.key)?,
            };
        }
        Ok(())
    }

    /// Remove every replicated record, plugin and token, keeping `meta`:
    /// a node whose store holds writes the log never took, or one loading
    /// a snapshot, starts again from nothing.
    pub fn clear_replicated(&self) -> Result<()> {
        let db = self.db()?;
        for name in db.tree_names() {
            if name.as_ref() == b"meta" || name.as_ref() == b"__sled__default" {
                continue;
            }
            db.open_tree(&name)?.clear()?;
        }
        Ok(())
    }
}

/// Encode ops compactly: per op, tree, key and value as length-prefixed
/// bytes (a value's length is `u32::MAX` when the key was removed).
pub fn encode_ops(ops: &[Op]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        8 + ops
            .iter()
            .map(|o| 12 + o.tree.len() + o.key.len() + o.value.as_ref().map_or(0, Vec::len))
            .sum::<usize>(),
    );
    out.extend_from_slice(&(ops.len() as u32).to_le_bytes());
    for op in ops {
        put(&mut out, op.tree.as_bytes());
        put(&mut out, &op.key);
        match &op.value {
            Some(v) => put(&mut out, v),
            None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
    out
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// Decode what [`encode_ops`] wrote; `None` for bytes it did not write.
pub fn decode_ops(mut bytes: &[u8]) -> Option<Vec<Op>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if b.len() < n {
            return None;
        }
        let (head, tail) = b.split_at(n);
        *b = tail;
        Some(head)
    }
    fn len(b: &mut &[u8]) -> Option<u32> {
        Some(u32::from_le_bytes(take(b, 4)?.try_into().ok()?))
    }
    let n = len(&mut bytes)? as usize;
    let mut ops = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let t = len(&mut bytes)? as usize;
        let tree = String::from_utf8(take(&mut bytes, t)?.to_vec()).ok()?;
        let k = len(&mut bytes)? as usize;
        let key = take(&mut bytes, k)?.to_vec();
        let value = match len(&mut bytes)? {
            u32::MAX => None,
            v => Some(take(&mut bytes, v as usize)?.to_vec()),
        };
        ops.push(Op { tree, key, value });
    }
    bytes.is_empty().then_some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Team;

    fn team(id: &str, name: &str) -> Team {
        serde_json::from_value(serde_json::json!({"id": id, "name": name})).unwrap()
    }

    #[test]
    fn ops_encode_and_decode_to_themselves_and_nothing_else_decodes() {
        let ops = vec![
            Op {
                tree: "teams".into(),
                key: b"t1".to_vec(),
                value: Some(b"{}".to_vec()),
            },
            Op {
                tree: "teams.idx".into(),
                key: vec![0, 1, 2],
                value: None,
            },
            Op {
                tree: "blobs".into(),
                key: vec![],
                value: Some(vec![]),
            },
        ];
        let bytes = encode_ops(&ops);
        assert_eq!(decode_ops(&bytes), Some(ops));
        assert_eq!(decode_ops(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_ops(&longer), None);
        assert_eq!(decode_ops(b"garbage"), None);
    }

    #[test]
    fn a_captured_write_applied_elsewhere_gives_the_same_records_and_undo_puts_back_the_old() {
        let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (a, b) = (
            Store::open(a_dir.path()).unwrap(),
            Store::open(b_dir.path()).unwrap(),
        );
        a.teams.upsert(team("t1", "Care")).unwrap();
        b.teams.upsert(team("t1", "Care")).unwrap();

        a.begin_capture();
        a.teams.upsert(team("t1", "Care East")).unwrap();
        a.teams.upsert(team("t2", "Sales")).unwrap();
        let captured = a.end_capture();
        assert!(!captured.is_empty());

        b.apply(&decode_ops(&encode_ops(&captured.ops)).unwrap())
            .unwrap();
        for store in [&a, &b] {
            assert_eq!(
                store.teams.get::<Team>("t1").unwrap().unwrap().name,
                "Care East"
            );
            assert_eq!(
                store.teams.get::<Team>("t2").unwrap().unwrap().name,
                "Sales"
            );
            assert_eq!(store.teams.len(), 2);
        }
        // Applying it again changes nothing.
        b.apply(&captured.ops).unwrap();
        assert_eq!(b.teams.len(), 2);

        a.undo(captured).unwrap();
        assert_eq!(a.teams.get::<Team>("t1").unwrap().unwrap().name, "Care");
        assert_eq!(a.teams.get::<Team>("t2").unwrap(), None);
        let all = a.teams.list::<Team>(&crate::store::Query {
            term: None,
            from: None,
            to: None,
            cursor: None,
            limit: 10,
        });
        assert_eq!(
            all.unwrap().items.len(),
            1,
            "the index holds the old record only"
        );
    }

    #[test]
    fn a_store_that_requires_capture_refuses_a_write_outside_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.require_capture();
        let refused = store.teams.upsert(team("t1", "Care"));
        assert!(
            matches!(
                refused,
                Err(crate::store::WriteError::Store(StoreError::NotCaptured))
            ),
            "{refused:?}"
        );
        assert_eq!(store.teams.len(), 0);
        store.begin_capture();
        store.teams.upsert(team("t1", "Care")).unwrap();
        let ops = store.end_capture().ops;
        assert!(
            ops.iter().any(|o| o.tree == "teams" && o.key == b"t1"),
            "{ops:?}"
        );
        assert!(ops.iter().all(|o| o.tree.starts_with("teams")), "{ops:?}");
    }
}
