//! Cluster mode: several sidecars share one durable log on NATS JetStream.
//!
//! **Compute at the edge, log the outcome, materialise everywhere.** The
//! node that takes a write runs it as a single node would (adapter, scorer,
//! flags, records), against its own sled, while the store records every
//! key it changes ([`crate::store::journal`]). The whole write is then one
//! log entry — those keys' new values and the live events it raised —
//! published with JetStream's `expected_last_sequence` set to the last
//! entry this node has applied, and answered 2xx only after the stream's
//! acknowledgement. Every other node applies entries in log order, the same
//! bytes in the same order, so every node serves every read.
//!
//! **Conflicts are settled by log order.** An entry is accepted only if it
//! directly follows the state it was computed against. When another node
//! got there first (JetStream answers "wrong last sequence"), this node
//! puts back what the write changed, applies the entries it missed, and
//! runs the write again over them: two nodes creating the agent of one
//! vendor identity, or storing two deliveries of one contact, end with one
//! agent and one merged contact, on every node. A vendor's retry of one
//! delivery carries the delivery's digest as `Nats-Msg-Id`, so JetStream
//! keeps it once even when it reaches two nodes at once.
//!
//! **One write path in both modes.** The request code is the same; a
//! single node flushes sled where a cluster node publishes. Each node's
//! writes run one at a time under its write lock, which the applier takes
//! too, so what a write reads and changes is never another write's
//! half-done work, and undoing it puts back exactly what was there.
//!
//! A node whose store may hold a write the log refused (it stopped between
//! the write and its publication) starts again from the newest snapshot
//! and the log after it, or from the log's first entry;
//! otherwise it resumes after the last entry it applied. It serves while
//! it catches up, and `/readyz` answers 503 `catching_up` until it has.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, context::PublishErrorKind, stream};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};

use crate::config::ClusterConfig;
use crate::live::Hub;
use crate::model::LiveEvent;
use crate::store::journal::{Captured, Op, decode_ops, encode_ops};
use crate::store::{Store, StoreError};

/// Why a cluster write or start failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// NATS could not be reached, or refused us.
    #[error("NATS at {urls} is unreachable: {message}")]
    Unreachable {
        /// The configured URLs.
        urls: String,
        /// What the client said.
        message: String,
    },
    /// The stream exists with a configuration this node cannot use.
    #[error("stream {stream}: {message}")]
    Misconfigured {
        /// The stream.
        stream: String,
        /// What is wrong, and how to mend it.
        message: String,
    },
    /// JetStream did not answer as it should: a write not acknowledged in
    /// time (the log may still hold it), a bucket or the stream unreadable.
    #[error("NATS JetStream: {0}")]
    Publish(String),
    /// The write lost to other nodes' writes too many times in a row.
    #[error("the write lost to other nodes' writes {0} times in a row, for {1} ms; try again")]
    Contended(u32, u64),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One log entry: a write's changed keys and the live events it raised.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Header {
    /// The node that made the write.
    node: String,
    /// Live events to send once applied.
    #[serde(default)]
    live: Vec<LiveEvent>,
}

/// A log entry's first byte: the entry itself follows, or the name of the
/// object holding it (an entry past [`INLINE_MAX`], e.g. a plugin upload).
const INLINE: u8 = 0;
const IN_OBJECT: u8 = 1;

/// The largest entry carried in the log message itself (NATS refuses
/// messages past 1 MiB by default).
const INLINE_MAX: usize = 768 << 10;

fn encode_entry(header: &Header, ops: &[Op]) -> Vec<u8> {
    let head = serde_json::to_vec(header).expect("entry headers serialise");
    let mut out = Vec::with_capacity(4 + head.len());
    out.extend_from_slice(&(head.len() as u32).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&encode_ops(ops));
    out
}

fn decode_entry(bytes: &[u8]) -> Option<(Header, Vec<Op>)> {
    let n = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let head = serde_json::from_slice(bytes.get(4..4 + n)?).ok()?;
    Some((head, decode_ops(bytes.get(4 + n..)?)?))
}

/// Keys of the `meta` tree this module keeps (each node's own).
const APPLIED: &str = "cluster.applied";
const DIRTY: &str = "cluster.dirty";

/// How many times at most a write is run again after losing to other
/// nodes; it also stops once it has tried for the configured timeout.
const MAX_ATTEMPTS: u32 = 1000;

/// A node's place in the log, as `GET /v1/cluster` reports it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeStatus {
    /// The node's name.
    pub node: String,
    /// The last log entry it has applied.
    pub applied: u64,
    /// When it last said so (ms since epoch).
    pub seen_at: crate::model::TimestampMs,
}

/// The log and the nodes applying it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClusterStatus {
    /// The node answering.
    pub node: String,
    /// The stream holding the log.
    pub stream: String,
    /// Its first entry still kept (earlier ones are in the snapshot).
    pub first_sequence: u64,
    /// Its last entry.
    pub last_sequence: u64,
    /// The entry the newest snapshot was taken after, if any.
    pub snapshot: Option<u64>,
    /// Entries it holds.
    pub entries: u64,
    /// Copies JetStream keeps.
    pub replicas: usize,
    /// The NATS server leading the stream, when clustered.
    pub leader: Option<String>,
    /// Every node that has reported, with how far behind the log it is.
    pub nodes: Vec<NodeLag>,
}

/// One node's place, and its distance from the log's end.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NodeLag {
    /// The node.
    #[serde(flatten)]
    pub status: NodeStatus,
    /// Entries it has still to apply.
    pub lag: u64,
}

/// What a plugin change applied from the log must reload (the plugin ids).
pub type Reload =
    Arc<dyn Fn(Vec<String>) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

/// This node's handle on the cluster.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClusterConfig,
    node: String,
    js: jetstream::Context,
    store: Store,
    hub: std::sync::OnceLock<Hub>,
    reload: std::sync::OnceLock<Reload>,
    /// One write or applied entry at a time on this node.
    lock: Mutex<()>,
    /// The last entry applied here (this node's own included).
    applied: watch::Sender<u64>,
    /// The log's last entry, as last seen.
    last_seen: AtomicU64,
    /// A write could not be put back: this node takes no more writes and
    /// rebuilds its store when it starts again.
    poisoned: std::sync::atomic::AtomicBool,
    /// The log's last entry when this node started: until it has applied
    /// that far it is catching up (`/readyz` says so).
    start_target: AtomicU64,
    metrics: Arc<crate::metrics::Metrics>,
}

/// A write made on this node and not yet in the log. Kept once the log
/// holds it; put back by [`Uncommitted::undo`], or when dropped unkept — a
/// write whose request was cancelled or whose work panicked must not stay
/// in this node's store, where no other node would ever see it. Made and
/// dropped under the node's write lock.
struct Uncommitted<'a> {
    cluster: &'a Cluster,
    capturing: bool,
    captured: Option<Captured>,
}

impl<'a> Uncommitted<'a> {
    fn begin(cluster: &'a Cluster) -> Self {
        cluster.inner.store.begin_capture();
        if let Some(hub) = cluster.inner.hub.get() {
            hub.hold();
        }
        Self {
            cluster,
            capturing: true,
            captured: None,
        }
    }

    /// Stop recording; the live events the work raised.
    fn end(&mut self) -> Vec<LiveEvent> {
        self.capturing = false;
        self.captured = Some(self.cluster.inner.store.end_capture());
        let hub = self.cluster.inner.hub.get();
        hub.map(Hub::take_held).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.captured.as_ref().is_none_or(Captured::is_empty)
    }

    fn ops(&self) -> &[Op] {
        self.captured.as_ref().map_or(&[], |c| c.ops.as_slice())
    }

    /// The log holds it: nothing to put back.
    fn keep(mut self) {
        self.captured = None;
    }

    /// Put it back; the plugins it touched, to reload.
    fn undo(mut self) -> Result<Vec<String>, ClusterError> {
        let captured = self.captured.take().unwrap_or_default();
        self.cluster.undo(captured)
    }
}

impl Drop for Uncommitted<'_> {
    fn drop(&mut self) {
        if self.capturing {
            self.end();
        }
        let Some(captured) = self.captured.take() else {
            return;
        };
        match self.cluster.undo(captured) {
            Ok(plugins) => {
                tracing::warn!("a cluster write was cut short before the log held it; put back");
                if !plugins.is_empty()
                    && let Ok(runtime) = tokio::runtime::Handle::try_current()
                {
                    let cluster = self.cluster.clone();
                    runtime.spawn(async move { cluster.reload(plugins).await });
                }
            }
            // The node is poisoned and keeps its DIRTY mark: it rebuilds
            // from the log when it starts again.
            Err(e) => tracing::error!(error = %e, "could not put back a write that was cut short"),
        }
    }
}

impl Cluster {
    /// Connect to NATS, make sure the stream and buckets exist as
    /// configured, and catch this node up with the log. A store that may
    /// hold a write the log refused is cleared and rebuilt from the newest
    /// snapshot and the log.
    pub async fn start(
        config: &ClusterConfig,
        node: String,
        store: Store,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Result<Cluster, ClusterError> {
        let timeout = Duration::from_millis(config.timeout_ms);
        let client = connect(config, timeout).await?;
        let mut js = jetstream::new(client);
        js.set_timeout(timeout);
        ensure_stream(&js, config).await?;
        ensure_bucket(&js, config).await?;
        if js.get_object_store(&config.blob_bucket).await.is_err() {
            js.create_object_store(jetstream::object_store::Config {
                bucket: config.blob_bucket.clone(),
                num_replicas: config.replicas,
                ..Default::default()
            })
            .await
            .map_err(|e| ClusterError::Misconfigured {
                stream: format!("OBJ_{}", config.blob_bucket),
                message: format!("creating the entry bucket: {e}"),
            })?;
        }
        let mut applied = store.local_u64(APPLIED)?;
        if store.local_u64(DIRTY)? != 0 {
            tracing::warn!(
                "this node stopped during a write the log may not hold: rebuilding its store from the newest snapshot and the log"
            );
            store.clear_replicated()?;
            applied = 0;
            store.set_local_u64(APPLIED, 0)?;
            store.set_local_u64(DIRTY, 0)?;
        }
        let cluster = Cluster {
            inner: Arc::new(Inner {
                config: config.clone(),
                node,
                js,
                store,
                hub: Default::default(),
                reload: Default::default(),
                lock: Mutex::new(()),
                applied: watch::channel(applied).0,
                last_seen: AtomicU64::new(0),
                poisoned: Default::default(),
                start_target: AtomicU64::new(u64::MAX),
                metrics,
            }),
        };
        match cluster.start_from_snapshot_if_behind().await {
            // JetStream did not answer in time (a server is restarting):
            // the applier applies the log (and starts from the snapshot if
            // it finds the log cut).
            Err(ClusterError::Publish(e)) => {
                tracing::warn!(error = %e, "could not start from a snapshot; applying the log");
            }
            other => other?,
        }
        cluster.inner.store.require_capture();
        tokio::spawn(cluster.clone().apply_forever());
        tokio::spawn(cluster.clone().report_forever());
        let started = Instant::now();
        let applied = cluster.applied();
        let last = cluster.last_sequence().await?;
        cluster.inner.start_target.store(last, Ordering::Relaxed);
        if last > applied {
            tracing::info!(from = applied, to = last, "catching up with the log");
            let c = cluster.clone();
            tokio::spawn(async move {
                let mut rx = c.inner.applied.subscribe();
                while *rx.borrow_and_update() < last {
                    if rx.changed().await.is_err() {
                        return;
                    }
                }
                tracing::info!(
                    entries = last - applied,
                    ms = started.elapsed().as_millis() as u64,
                    "caught up with the log"
                );
            });
        }
        Ok(cluster)
    }

    /// Where live events applied from the log go.
    pub fn set_hub(&self, hub: Hub) {
        let _ = self.inner.hub.set(hub);
    }

    /// What reloads plugins whose records an applied entry changed.
    pub fn set_reload(&self, reload: Reload) {
        let _ = self.inner.reload.set(reload);
    }

    /// This node's name.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// The last entry applied here.
    pub fn applied(&self) -> u64 {
        *self.inner.applied.borrow()
    }

    /// Whether this node has applied the log as far as it went when the
    /// node started (until then it serves what it has, and `/readyz`
    /// answers 503 `catching_up`).
    pub fn caught_up(&self) -> bool {
        self.applied() >= self.inner.start_target.load(Ordering::Relaxed)
    }

    /// How far the node has to catch up since it started: (applied, target).
    pub fn catch_up(&self) -> (u64, u64) {
        (
            self.applied(),
            self.inner.start_target.load(Ordering::Relaxed),
        )
    }

    /// Entries in the log this node has not applied yet, as last seen.
    pub fn lag(&self) -> u64 {
        self.inner
            .last_seen
            .load(Ordering::Relaxed)
            .saturating_sub(self.applied())
    }

    /// Run `work` as one cluster write: under this node's write lock, with
    /// the store recording what it changes, then published as one log
    /// entry (with `msg_id` as its `Nats-Msg-Id`, when given). Run again
    /// over the entries it missed when another node's write got into the
    /// log first. `Ok` once the log holds the write and this node has
    /// applied it; a write that changed nothing publishes nothing.
    pub async fn write<T, F, Fut>(
        &self,
        msg_id: Option<String>,
        mut work: F,
    ) -> Result<T, ClusterError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = T>,
    {
        let inner = &self.inner;
        let mut attempt = 0;
        let mut first_loss: Option<Instant> = None;
        let patience = Duration::from_millis(inner.config.timeout_ms);
        loop {
            attempt += 1;
            let guard = inner.lock.lock().await;
            if inner.poisoned.load(Ordering::Acquire) {
                return Err(ClusterError::Publish(
                    "a write on this node could not be put back; it takes no writes until it \
                     restarts and rebuilds its store from the log"
                        .into(),
                ));
            }
            let base = self.applied();
            inner.store.set_local_u64(DIRTY, base + 1)?;
            // Dropped before it is kept (the request cancelled, the work
            // panicked), it puts back what the work changed.
            let mut pending = Uncommitted::begin(self);
            let out = work().await;
            let live = pending.end();
            if pending.is_empty() && live.is_empty() {
                pending.keep();
                inner.store.set_local_u64(DIRTY, 0)?;
                return Ok(out);
            }
            let started = Instant::now();
            let header = Header {
                node: inner.node.clone(),
                live,
            };
            let entry = encode_entry(&header, pending.ops());
            let payload = match self.envelope(entry).await {
                Ok(p) => p,
                Err(e) => {
                    self.put_back(pending, guard).await?;
                    return Err(e);
                }
            };
            // Every attempt has its own id, so a publish retried after a
            // lost acknowledgement is stored once (JetStream answers the
            // retry as a duplicate of the first).
            let id = match &msg_id {
                Some(id) if attempt == 1 => id.clone(),
                Some(id) => format!("{id}#{attempt}"),
                None => format!("{}-{}", inner.node, crate::model::new_id()),
            };
            let acked = self.publish(payload, base, id).await;
            match acked {
                Ok(ack) if !ack.duplicate && ack.sequence == base + 1 => {
                    pending.keep();
                    inner.metrics.cluster.publish(started.elapsed());
                    inner.store.set_local_u64(APPLIED, ack.sequence)?;
                    inner.store.set_local_u64(DIRTY, 0)?;
                    inner.applied.send_replace(ack.sequence);
                    inner.last_seen.fetch_max(ack.sequence, Ordering::Relaxed);
                    drop(guard);
                    if let Some(hub) = inner.hub.get() {
                        hub.send_all(header.live);
                    }
                    let every = inner.config.snapshot_every;
                    if every > 0 && ack.sequence % every == 0 {
                        tokio::spawn(self.clone().snapshot());
                    }
                    return Ok(out);
                }
                Ok(ack) => {
                    // Another node already logged this delivery: what the
                    // log holds is that node's outcome; apply it, not ours,
                    // and run the write again over it. JetStream answers
                    // "duplicate" for an id still being stored, which may
                    // yet fail: the run again then finds nothing stored
                    // and logs it under an id of its own.
                    self.put_back(pending, guard).await?;
                    tracing::debug!(seq = ack.sequence, "delivery already in the log");
                    self.wait_applied(ack.sequence, None).await?;
                }
                Err((PublishErrorKind::WrongLastSequence, _))
                    if attempt < MAX_ATTEMPTS
                        && first_loss.get_or_insert_with(Instant::now).elapsed() < patience =>
                {
                    inner.metrics.cluster.conflict();
                    self.put_back(pending, guard).await?;
                    // Catch up and go again at once: a pause would only
                    // leave the log to the nodes that just won.
                    let last = self.last_sequence().await?;
                    if last <= base {
                        // Catching up cannot settle it: the log ends at or
                        // before what this node has applied.
                        return Err(ClusterError::Misconfigured {
                            stream: inner.config.stream.clone(),
                            message: format!(
                                "the log ends at entry {last} but this node has applied {base}: \
                                 was the stream recreated? Clear this node's data directory to \
                                 rebuild it from the log"
                            ),
                        });
                    }
                    self.wait_applied(last, None).await?;
                }
                Err((PublishErrorKind::WrongLastSequence, _)) => {
                    self.put_back(pending, guard).await?;
                    return Err(ClusterError::Contended(
                        attempt,
                        first_loss.map_or(0, |t| t.elapsed().as_millis() as u64),
                    ));
                }
                Err((_, message)) => {
                    // Not acknowledged: the log may or may not hold it. Put
                    // back ours; if it is there, it comes back in order.
                    self.put_back(pending, guard).await?;
                    return Err(ClusterError::Publish(message));
                }
            }
        }
    }

    /// Put back a write the log did not take: undo it under the write
    /// lock, release the lock, reload the plugins it had changed.
    async fn put_back(
        &self,
        pending: Uncommitted<'_>,
        guard: tokio::sync::MutexGuard<'_, ()>,
    ) -> Result<(), ClusterError> {
        let plugins = pending.undo()?;
        drop(guard);
        self.reload(plugins).await;
        Ok(())
    }

    /// Publish one entry that must follow `base`, retrying (the same
    /// message, the same id) while the log elects a leader or the
    /// connection comes back, up to twice the configured timeout.
    async fn publish(
        &self,
        payload: Vec<u8>,
        base: u64,
        id: String,
    ) -> Result<jetstream::publish::PublishAck, (PublishErrorKind, String)> {
        let inner = &self.inner;
        let payload = bytes::Bytes::from(payload);
        let give_up = Instant::now() + 2 * Duration::from_millis(inner.config.timeout_ms);
        loop {
            let message = jetstream::message::PublishMessage::build()
                .payload(payload.clone())
                .expected_last_sequence(base)
                .message_id(id.clone());
            let acked = match inner
                .js
                .send_publish(inner.config.subject.clone(), message)
                .await
            {
                Ok(ack) => ack.await.map_err(|e| (e.kind(), e.to_string())),
                Err(e) => Err((PublishErrorKind::Other, e.to_string())),
            };
            match acked {
                Err((kind, message))
                    if kind != PublishErrorKind::WrongLastSequence
                        && kind != PublishErrorKind::MaxPayloadExceeded
                        && Instant::now() < give_up =>
                {
                    tracing::debug!(%message, "publish failed; retrying the same entry");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// The message carrying `entry`: the entry itself, or, past
    /// [`INLINE_MAX`], the name of the object it is stored under.
    async fn envelope(&self, entry: Vec<u8>) -> Result<Vec<u8>, ClusterError> {
        if entry.len() <= INLINE_MAX {
            let mut out = Vec::with_capacity(entry.len() + 1);
            out.push(INLINE);
            out.extend_from_slice(&entry);
            return Ok(out);
        }
        let name = crate::clock::sha256_hex(&entry);
        let objects = self.objects().await?;
        objects
            .put(name.as_str(), &mut entry.as_slice())
            .await
            .map_err(|e| {
                ClusterError::Publish(format!("storing a {} byte entry: {e}", entry.len()))
            })?;
        let mut out = vec![IN_OBJECT];
        out.extend_from_slice(name.as_bytes());
        Ok(out)
    }

    /// The entry a log message carries.
    async fn open_envelope(&self, message: &[u8]) -> Result<Vec<u8>, ClusterError> {
        match message.split_first() {
            Some((&INLINE, entry)) => Ok(entry.to_vec()),
            Some((&IN_OBJECT, name)) => self.read_object(&String::from_utf8_lossy(name)).await,
            _ => Ok(Vec::new()),
        }
    }

    /// The whole of one object of the entry bucket. A read that stalls
    /// (its chunks stop arriving, as when the server delivering them is
    /// killed) fails after the configured timeout instead of waiting
    /// forever; the caller tries again.
    async fn read_object(&self, name: &str) -> Result<Vec<u8>, ClusterError> {
        let failed = |e: String| ClusterError::Publish(format!("reading object {name}: {e}"));
        let stall = Duration::from_millis(self.inner.config.timeout_ms);
        let mut object = tokio::time::timeout(stall, async {
            self.objects()
                .await?
                .get(name)
                .await
                .map_err(|e| failed(e.to_string()))
        })
        .await
        .map_err(|_| failed("no answer".into()))??;
        let mut bytes = Vec::new();
        loop {
            let read = tokio::io::AsyncReadExt::read_buf(&mut object, &mut bytes);
            match tokio::time::timeout(stall, read).await {
                Ok(Ok(0)) => return Ok(bytes),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(failed(e.to_string())),
                Err(_) => {
                    return Err(failed(format!(
                        "no data for {} ms after {} bytes",
                        stall.as_millis(),
                        bytes.len()
                    )));
                }
            }
        }
    }

    /// The error of a node whose next entries were cut from the log with
    /// no snapshot holding them.
    fn cut_without_snapshot(&self, applied: u64, first: u64) -> ClusterError {
        ClusterError::Misconfigured {
            stream: self.inner.config.stream.clone(),
            message: format!(
                "entries {}..{first} this node needs were cut from the log and no snapshot holds them",
                applied + 1
            ),
        }
    }

    async fn objects(&self) -> Result<jetstream::object_store::ObjectStore, ClusterError> {
        self.inner
            .js
            .get_object_store(&self.inner.config.blob_bucket)
            .await
            .map_err(|e| {
                ClusterError::Publish(format!(
                    "opening bucket {}: {e}",
                    self.inner.config.blob_bucket
                ))
            })
    }

    /// Put back what a write changed; the plugins it touched.
    fn undo(&self, captured: Captured) -> Result<Vec<String>, ClusterError> {
        let plugins = plugins_in(&captured.ops);
        if let Err(e) = self.inner.store.undo(captured) {
            // The store may hold part of a write the log never took: take
            // no more writes, and keep the mark so the node rebuilds from
            // the log when it starts again.
            self.inner.poisoned.store(true, Ordering::Release);
            return Err(e.into());
        }
        self.inner.store.set_local_u64(DIRTY, 0)?;
        Ok(plugins)
    }

    async fn reload(&self, plugins: Vec<String>) {
        if plugins.is_empty() {
            return;
        }
        if let Some(reload) = self.inner.reload.get() {
            reload(plugins).await;
        }
    }

    /// Wait until this node has applied entry `seq` (bounded by the
    /// configured timeout per entry still missing, or by `limit`).
    async fn wait_applied(&self, seq: u64, limit: Option<Duration>) -> Result<(), ClusterError> {
        let mut rx = self.inner.applied.subscribe();
        let per_entry = Duration::from_millis(self.inner.config.timeout_ms);
        loop {
            let now = *rx.borrow_and_update();
            if now >= seq {
                return Ok(());
            }
            let wait = limit.unwrap_or(per_entry);
            match tokio::time::timeout(wait, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return Err(ClusterError::Publish("the applier stopped".into())),
                Err(_) if *rx.borrow() == now => {
                    return Err(ClusterError::Publish(format!(
                        "this node did not apply log entry {} within {} ms (applied {now})",
                        now + 1,
                        wait.as_millis()
                    )));
                }
                Err(_) => {}
            }
        }
    }

    /// The log's last entry, asked of JetStream.
    pub async fn last_sequence(&self) -> Result<u64, ClusterError> {
        let info = self.stream_info().await?;
        self.inner
            .last_seen
            .fetch_max(info.state.last_sequence, Ordering::Relaxed);
        Ok(info.state.last_sequence)
    }

    /// The log's state (one request: fetching the stream reads it).
    async fn stream_info(&self) -> Result<stream::Info, ClusterError> {
        let stream = self
            .inner
            .js
            .get_stream(&self.inner.config.stream)
            .await
            .map_err(|e| {
                ClusterError::Publish(format!("reading stream {}: {e}", self.inner.config.stream))
            })?;
        Ok(stream.cached_info().clone())
    }

    /// Apply the log from the entry after the last applied, for as long as
    /// the node runs, resubscribing after any interruption.
    async fn apply_forever(self) {
        loop {
            if let Err(e) = self.apply_from_next().await {
                tracing::warn!(error = %e, "reading the log was interrupted; resuming");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn apply_from_next(&self) -> Result<(), ClusterError> {
        let inner = &self.inner;
        let subscribe = async {
            let stream = inner
                .js
                .get_stream(&inner.config.stream)
                .await
                .map_err(|e| ClusterError::Publish(e.to_string()))?;
            let consumer = stream
                .create_consumer(jetstream::consumer::push::OrderedConfig {
                    deliver_subject: inner.js.client().new_inbox(),
                    deliver_policy: jetstream::consumer::DeliverPolicy::ByStartSequence {
                        start_sequence: self.applied() + 1,
                    },
                    ..Default::default()
                })
                .await
                .map_err(|e| ClusterError::Publish(e.to_string()))?;
            consumer
                .messages()
                .await
                .map_err(|e| ClusterError::Publish(e.to_string()))
        };
        let mut messages =
            tokio::time::timeout(Duration::from_millis(inner.config.timeout_ms), subscribe)
                .await
                .map_err(|_| ClusterError::Publish("subscribing to the log timed out".into()))??;
        // A subscription that goes quiet while the log holds entries this
        // node has not applied (its server was killed and the consumer was
        // not moved) is replaced: checked against the last entry this node
        // knows of every second, and asked of JetStream every timeout.
        let tick = Duration::from_secs(1);
        let ask_every = inner.config.timeout_ms.div_ceil(1000).max(1);
        let mut quiet_ticks = 0;
        loop {
            let message = match tokio::time::timeout(tick, messages.next()).await {
                Ok(Some(message)) => message,
                Ok(None) => return Ok(()),
                Err(_) => {
                    quiet_ticks += 1;
                    let seen = inner.last_seen.load(Ordering::Relaxed);
                    if seen <= self.applied() && quiet_ticks % ask_every != 0 {
                        continue;
                    }
                    // Asked of JetStream before giving up on the
                    // subscription, and what it says is what is known.
                    let info = self.stream_info().await?.state;
                    let last = info.last_sequence;
                    inner.last_seen.store(last, Ordering::Relaxed);
                    let applied = self.applied();
                    if info.first_sequence > applied + 1 {
                        // What this node needs was cut (and nothing after
                        // it was written since, so no gap shows).
                        self.recover_from_snapshot().await?;
                        return Err(ClusterError::Publish(format!(
                            "the log was cut before entry {}: resubscribing after the snapshot",
                            info.first_sequence
                        )));
                    }
                    if last > applied {
                        return Err(ClusterError::Publish(format!(
                            "no log entry arrived for {quiet_ticks} s while {} are waiting: \
                             resubscribing",
                            last - applied
                        )));
                    }
                    continue;
                }
            };
            quiet_ticks = 0;
            let message = message.map_err(|e| ClusterError::Publish(e.to_string()))?;
            let info = message
                .info()
                .map_err(|e| ClusterError::Publish(e.to_string()))?;
            let seq = info.stream_sequence;
            inner
                .last_seen
                .fetch_max(seq + info.pending, Ordering::Relaxed);
            let guard = inner.lock.lock().await;
            let applied = self.applied();
            if seq <= applied {
                continue;
            }
            if seq != applied + 1 {
                drop(guard);
                self.recover_from_snapshot().await?;
                return Err(ClusterError::Publish(format!(
                    "log entry {seq} arrived after {applied}: resubscribing"
                )));
            }
            let entry = self.open_envelope(&message.payload).await?;
            let Some((header, ops)) = decode_entry(&entry) else {
                // Not ours to read (a newer build's entry): stop here
                // rather than skip a write every other node applies.
                tracing::error!(
                    seq,
                    "a log entry this build cannot read; stopping the applier"
                );
                return Err(ClusterError::Misconfigured {
                    stream: inner.config.stream.clone(),
                    message: format!("entry {seq} is not a Sidecoach write this build can read"),
                });
            };
            inner.store.apply(&ops)?;
            inner.store.set_local_u64(APPLIED, seq)?;
            inner.applied.send_replace(seq);
            inner
                .metrics
                .cluster
                .applied(seq, inner.last_seen.load(Ordering::Relaxed));
            drop(guard);
            if let Some(hub) = inner.hub.get() {
                hub.send_all(header.live);
            }
            self.reload(plugins_in(&ops)).await;
        }
    }

    /// Report this node's place in the status bucket every two seconds.
    async fn report_forever(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = self.report().await {
                tracing::debug!(error = %e, "could not report this node's status");
            }
        }
    }

    async fn report(&self) -> Result<(), ClusterError> {
        let status = NodeStatus {
            node: self.inner.node.clone(),
            applied: self.applied(),
            seen_at: crate::clock::now_ms(),
        };
        let kv = self.bucket().await?;
        kv.put(
            &self.inner.node,
            serde_json::to_vec(&status)
                .expect("status serialises")
                .into(),
        )
        .await
        .map_err(|e| ClusterError::Publish(e.to_string()))?;
        Ok(())
    }

    async fn bucket(&self) -> Result<jetstream::kv::Store, ClusterError> {
        self.inner
            .js
            .get_key_value(&self.inner.config.status_bucket)
            .await
            .map_err(|e| ClusterError::Publish(e.to_string()))
    }

    /// The log and every node that has reported, with its lag.
    pub async fn status(&self) -> Result<ClusterStatus, ClusterError> {
        self.report().await?;
        let info = self.stream_info().await?;
        let last = info.state.last_sequence;
        let mut nodes: Vec<NodeLag> = self
            .node_statuses()
            .await?
            .into_iter()
            .map(|status| NodeLag {
                lag: last.saturating_sub(status.applied),
                status,
            })
            .collect();
        nodes.sort_by(|a, b| a.status.node.cmp(&b.status.node));
        Ok(ClusterStatus {
            node: self.inner.node.clone(),
            stream: self.inner.config.stream.clone(),
            first_sequence: info.state.first_sequence,
            last_sequence: last,
            snapshot: self.newest_snapshot().await.ok().flatten().map(|s| s.seq),
            entries: info.state.messages,
            replicas: info.config.num_replicas,
            leader: info.cluster.and_then(|c| c.leader),
            nodes,
        })
    }
}

/// The status bucket's key naming the newest snapshot.
const SNAPSHOT_KEY: &str = "snapshot";

/// A snapshot of the store after one log entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Snapshot {
    /// The last entry it holds.
    seq: u64,
    /// The object holding it (an export of every tree).
    object: String,
    /// The snapshot before it, which the log is cut at.
    previous: Option<u64>,
}

impl Cluster {
    /// The snapshot named last, read from the bucket stream's leader: a
    /// replica that is behind (a server just restarted) would answer with
    /// an older one.
    async fn newest_snapshot(&self) -> Result<Option<Snapshot>, ClusterError> {
        let bucket = &self.inner.config.status_bucket;
        let failed =
            |e: String| ClusterError::Publish(format!("reading the newest snapshot's name: {e}"));
        let stream = self
            .inner
            .js
            .get_stream(format!("KV_{bucket}"))
            .await
            .map_err(|e| failed(e.to_string()))?;
        match stream
            .get_last_raw_message_by_subject(&format!("$KV.{bucket}.{SNAPSHOT_KEY}"))
            .await
        {
            Ok(message) => Ok(serde_json::from_slice(&message.payload).ok()),
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(failed(e.to_string())),
        }
    }

    /// Store a snapshot of this node's store after the entry it applied
    /// last, name it in the status bucket, and remove older snapshot
    /// objects. The log itself is kept whole (see `try_snapshot`).
    async fn snapshot(self) {
        if let Err(e) = self.try_snapshot().await {
            tracing::warn!(error = %e, "could not store a snapshot of the store");
        }
    }

    async fn try_snapshot(&self) -> Result<(), ClusterError> {
        let (seq, bytes) = {
            let _guard = self.inner.lock.lock().await;
            let mut bytes = Vec::new();
            self.inner
                .store
                .export(&mut bytes)
                .map_err(|e| ClusterError::Publish(format!("exporting the store: {e}")))?;
            (self.applied(), bytes)
        };
        let object = format!("snapshot-{seq}");
        let objects = self.objects().await?;
        objects
            .put(object.as_str(), &mut bytes.as_slice())
            .await
            .map_err(|e| ClusterError::Publish(format!("storing snapshot {seq}: {e}")))?;
        // Name it only if it is newer than the one named (compare-and-set:
        // two nodes' snapshots may race, and the named one never goes back).
        let kv = self.bucket().await?;
        let mut tries = 0;
        let previous = loop {
            tries += 1;
            let entry = kv
                .entry(SNAPSHOT_KEY)
                .await
                .map_err(|e| ClusterError::Publish(e.to_string()))?;
            let previous: Option<Snapshot> = entry
                .as_ref()
                .and_then(|e| serde_json::from_slice(&e.value).ok());
            if previous.as_ref().is_some_and(|p| p.seq >= seq) || tries > 5 {
                let _ = objects.delete(&object).await;
                return Ok(());
            }
            let record = serde_json::to_vec(&Snapshot {
                seq,
                object: object.clone(),
                previous: previous.as_ref().map(|p| p.seq),
            })
            .expect("snapshots serialise");
            let named = match &entry {
                Some(e) => kv
                    .update(SNAPSHOT_KEY, record.into(), e.revision)
                    .await
                    .is_ok(),
                None => kv.create(SNAPSHOT_KEY, record.into()).await.is_ok(),
            };
            if named {
                break previous;
            }
        };
        tracing::info!(seq, bytes = bytes.len(), "stored a snapshot of the store");
        // The log is kept whole. Cutting it before the previous snapshot
        // (JetStream purge) is not safe on nats-server 2.9.10: in the kill
        // test a replicated stream restarted by a server lost entries past
        // every purge this host sent (the first entry jumped from 1651 to
        // 1804 with no purge beyond 1650), stranding a node that needed
        // them. Snapshots still spare a new or far-behind node most of it.
        if let Some(older) = previous.and_then(|p| p.previous) {
            let _ = objects.delete(format!("snapshot-{older}")).await;
        }
        Ok(())
    }

    /// Every node's last report (a status that cannot be read is left out).
    async fn node_statuses(&self) -> Result<Vec<NodeStatus>, ClusterError> {
        let kv = self.bucket().await?;
        let mut keys = kv
            .keys()
            .await
            .map_err(|e| ClusterError::Publish(e.to_string()))?;
        let mut statuses = Vec::new();
        while let Some(key) = keys.next().await {
            let Ok(key) = key else { continue };
            if key == SNAPSHOT_KEY {
                continue;
            }
            if let Ok(Some(bytes)) = kv.get(&key).await {
                statuses.extend(serde_json::from_slice::<NodeStatus>(&bytes).ok());
            }
        }
        Ok(statuses)
    }

    /// Before applying entries: start from the newest snapshot when the
    /// entries this node needs were cut from the log, or when it is more
    /// than a snapshot interval behind.
    async fn start_from_snapshot_if_behind(&self) -> Result<(), ClusterError> {
        let info = self.stream_info().await?;
        let applied = self.applied();
        let cut = applied + 1 < info.state.first_sequence;
        let every = self.inner.config.snapshot_every;
        let far = every > 0 && info.state.last_sequence.saturating_sub(applied) > every;
        if !cut && !far {
            return Ok(());
        }
        let first = info.state.first_sequence;
        let snapshot = match self.newest_snapshot().await? {
            Some(s) if s.seq > applied && s.seq + 1 >= first => s,
            _ if cut => return Err(self.cut_without_snapshot(applied, first)),
            _ => return Ok(()),
        };
        let _guard = self.inner.lock.lock().await;
        self.load_snapshot(&snapshot).await?;
        tracing::info!(
            seq = snapshot.seq,
            from = applied,
            "started from a snapshot of the store"
        );
        Ok(())
    }

    /// Replace this node's store with `snapshot` and resume after it. The
    /// caller holds the write lock.
    async fn load_snapshot(&self, snapshot: &Snapshot) -> Result<(), ClusterError> {
        let bytes = self.read_object(&snapshot.object).await?;
        let store = &self.inner.store;
        // From here until the snapshot is in, the store holds no known
        // entry: a failure leaves the node at entry 0 (the applier starts
        // over, from the log or a snapshot) and marked to rebuild if it
        // stops.
        store.set_local_u64(DIRTY, 1)?;
        store.set_local_u64(APPLIED, 0)?;
        self.inner.applied.send_replace(0);
        store.clear_replicated()?;
        store.import(bytes.as_slice()).await.map_err(|e| {
            ClusterError::Publish(format!("loading snapshot {}: {e}", snapshot.seq))
        })?;
        store.set_local_u64(APPLIED, snapshot.seq)?;
        store.set_local_u64(DIRTY, 0)?;
        self.inner.applied.send_replace(snapshot.seq);
        Ok(())
    }

    /// A running node whose next entries were cut from the log (it fell
    /// more than a snapshot behind, e.g. while NATS was away) starts again
    /// from the newest snapshot, and reloads every plugin.
    async fn recover_from_snapshot(&self) -> Result<(), ClusterError> {
        let info = self.stream_info().await?;
        let guard = self.inner.lock.lock().await;
        let applied = self.applied();
        if applied + 1 >= info.state.first_sequence {
            return Ok(());
        }
        let first = info.state.first_sequence;
        let covering = self.newest_snapshot().await?.filter(|s| s.seq + 1 >= first);
        let Some(snapshot) = covering else {
            return Err(self.cut_without_snapshot(applied, first));
        };
        let mut plugins: Vec<String> = self
            .inner
            .store
            .plugins()?
            .into_iter()
            .map(|p| p.id)
            .collect();
        self.load_snapshot(&snapshot).await?;
        plugins.extend(self.inner.store.plugins()?.into_iter().map(|p| p.id));
        plugins.sort();
        plugins.dedup();
        drop(guard);
        tracing::warn!(
            seq = snapshot.seq,
            from = applied,
            "fell behind the log's cut: started again from a snapshot"
        );
        self.reload(plugins).await;
        Ok(())
    }
}

/// The plugin ids whose records `ops` change.
fn plugins_in(ops: &[Op]) -> Vec<String> {
    let mut ids: Vec<String> = ops
        .iter()
        .filter(|o| o.tree == "plugins")
        .map(|o| String::from_utf8_lossy(&o.key).into_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

async fn connect(
    config: &ClusterConfig,
    timeout: Duration,
) -> Result<async_nats::Client, ClusterError> {
    let urls = config.urls.join(",");
    let unreachable = |message: String| ClusterError::Unreachable {
        urls: urls.clone(),
        message,
    };
    let mut options = async_nats::ConnectOptions::new()
        .connection_timeout(timeout)
        .name(format!(
            "sidecoach {}",
            config.node.as_deref().unwrap_or("")
        ));
    if let (Some(user), Some(password)) = (&config.user, &config.password) {
        options = options.user_and_password(user.clone(), password.clone());
    }
    if let Some(token) = &config.token {
        options = options.token(token.clone());
    }
    let addrs: Vec<async_nats::ServerAddr> = config
        .urls
        .iter()
        .map(|u| u.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| unreachable(format!("bad URL: {e}")))?;
    options
        .connect(addrs)
        .await
        .map_err(|e| unreachable(e.to_string()))
}

/// The log's stream: created when missing; refused, with the mend, when it
/// exists with other subjects, replicas or retention.
async fn ensure_stream(
    js: &jetstream::Context,
    config: &ClusterConfig,
) -> Result<(), ClusterError> {
    let misconfigured = |message: String| ClusterError::Misconfigured {
        stream: config.stream.clone(),
        message,
    };
    let wanted = stream::Config {
        name: config.stream.clone(),
        subjects: vec![config.subject.clone()],
        num_replicas: config.replicas,
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    };
    match js.get_stream(&config.stream).await {
        Ok(mut s) => {
            let info = s
                .info()
                .await
                .map_err(|e| misconfigured(format!("reading it: {e}")))?;
            let have = &info.config;
            if have.subjects != wanted.subjects {
                return Err(misconfigured(format!(
                    "it takes subjects {:?}, this node publishes to {:?}; set cluster.subject to match or use another cluster.stream",
                    have.subjects, config.subject
                )));
            }
            if have.num_replicas != config.replicas {
                return Err(misconfigured(format!(
                    "it keeps {} replicas, cluster.replicas says {}",
                    have.num_replicas, config.replicas
                )));
            }
            if have.retention != stream::RetentionPolicy::Limits
                || have.max_messages > 0
                || have.max_age > Duration::ZERO
            {
                return Err(misconfigured(
                    "it drops entries (work-queue or interest retention, or a message or age limit); the log must keep every entry".into(),
                ));
            }
            Ok(())
        }
        Err(e)
            if matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(j)
                if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND) =>
        {
            js.create_stream(wanted)
                .await
                .map(drop)
                .map_err(|e| misconfigured(format!("creating it: {e}")))
        }
        Err(e) => Err(misconfigured(format!("reading it: {e}"))),
    }
}

/// The status bucket, created as its backing stream (`KV_<bucket>`) when
/// missing: async-nats's `create_key_value` reads account limits nats-server
/// 2.9 does not report.
async fn ensure_bucket(
    js: &jetstream::Context,
    config: &ClusterConfig,
) -> Result<(), ClusterError> {
    let bucket = &config.status_bucket;
    if js.get_key_value(bucket).await.is_ok() {
        return Ok(());
    }
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        num_replicas: config.replicas,
        allow_rollup: true,
        deny_delete: true,
        // Reads answered by the leader: a lagging replica's answer could
        // name an older snapshot or an older place of a node.
        allow_direct: false,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .map_err(|e| ClusterError::Misconfigured {
        stream: format!("KV_{bucket}"),
        message: format!("creating the status bucket: {e}"),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_decodes_to_the_header_and_ops_it_was_made_of() {
        let header = Header {
            node: "a".into(),
            live: vec![],
        };
        let ops = vec![Op {
            tree: "plugins".into(),
            key: b"reference-scorer".to_vec(),
            value: Some(b"{}".to_vec()),
        }];
        let bytes = encode_entry(&header, &ops);
        let (h, o) = decode_entry(&bytes).unwrap();
        assert_eq!((h.node.as_str(), o), ("a", ops.clone()));
        assert!(decode_entry(&bytes[..bytes.len() - 2]).is_none());
        assert!(decode_entry(b"\x05\0\0\0{}").is_none());
        assert_eq!(plugins_in(&ops), vec!["reference-scorer".to_string()]);
    }
}
