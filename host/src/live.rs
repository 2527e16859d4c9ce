//! The live feed: new feedback, scorecards, alerts and recognitions, pushed
//! to `GET /v1/stream` clients as they become durable.
//!
//! One `tokio::sync::broadcast` ring of `[live] buffer` events. Publishing
//! never waits: a client that falls behind loses the oldest events, and its
//! stream says so (a `resync` event with the count, and the listings to
//! reload), so a slow dashboard can never slow ingest.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::metrics::Metrics;
use crate::model::{LiveEvent, LiveKind};

/// The publisher side, shared by everything that stores records.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    /// Set on shutdown: every stream ends, so graceful shutdown is not held
    /// open by dashboards.
    closed: Arc<watch::Sender<bool>>,
    seq: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
    /// Events held back while a cluster write is open: they go out once
    /// the log has the write, here and on every other node.
    held: Arc<std::sync::Mutex<Option<Vec<LiveEvent>>>>,
}

/// Which events a client wants.
#[derive(Clone, Debug, Default)]
pub struct LiveFilter {
    /// Only this team's.
    pub team: Option<String>,
    /// Only this agent's (agent tokens are confined to their own).
    pub agent: Option<String>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<LiveKind>,
    /// Only events about agents this scope sees.
    pub scope: crate::model::Scope,
}

impl LiveFilter {
    /// Whether `e` passes.
    pub fn admits(&self, e: &LiveEvent) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&e.kind))
            && self
                .team
                .as_ref()
                .is_none_or(|t| e.team_id.as_ref() == Some(t))
            && self
                .agent
                .as_ref()
                .is_none_or(|a| e.agent_id.as_ref() == Some(a))
            && (self.scope.is_all()
                || e.agent_id
                    .as_deref()
                    .is_some_and(|a| self.scope.sees_agent(a)))
    }
}

/// What a subscriber receives next.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// An event that passed the filter.
    Event(Arc<LiveEvent>),
    /// The client fell behind and `missed` events were dropped for it.
    Lagged {
        /// How many.
        missed: u64,
    },
    /// The host is shutting down.
    Closed,
}

/// One client's subscription.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<LiveEvent>>,
    closed: watch::Receiver<bool>,
    filter: LiveFilter,
    metrics: Arc<Metrics>,
}

impl Hub {
    /// A hub buffering `capacity` events.
    pub fn new(capacity: usize, metrics: Arc<Metrics>) -> Hub {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Hub {
            tx,
            closed: Arc::new(watch::channel(false).0),
            seq: Arc::new(AtomicU64::new(0)),
            metrics,
            held: Default::default(),
        }
    }

    /// Publish a durable record; never blocks (no subscribers is fine).
    pub fn publish<T: Serialize>(
        &self,
        kind: LiveKind,
        agent_id: Option<&str>,
        team_id: Option<&str>,
        record: &T,
    ) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.is_none() && self.tx.receiver_count() == 0 {
            return;
        }
        let event = LiveEvent {
            seq: 0,
            kind,
            agent_id: agent_id.map(str::to_string),
            team_id: team_id.map(str::to_string),
            record: serde_json::to_value(record).expect("model types always serialise"),
        };
        match held.as_mut() {
            Some(events) => events.push(event),
            None => {
                drop(held);
                self.send(event);
            }
        }
    }

    fn send(&self, mut event: LiveEvent) {
        event.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = self.tx.send(Arc::new(event));
    }

    /// Hold back what is published from now on (a cluster write begins).
    pub fn hold(&self) {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
    }

    /// Stop holding back and take what was held.
    pub fn take_held(&self) -> Vec<LiveEvent> {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default()
    }

    /// Send events a cluster write published (this node's, once the log has
    /// them, or another node's, as they are applied).
    pub fn send_all(&self, events: Vec<LiveEvent>) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        for e in events {
            self.send(e);
        }
    }

    /// End every subscription (shutdown).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// The last sequence number handed out.
    pub fn last_seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    /// A new subscription from now on.
    pub fn subscribe(&self, filter: LiveFilter) -> Subscription {
        self.metrics.add_stream_clients(1);
        Subscription {
            rx: self.tx.subscribe(),
            closed: self.closed.subscribe(),
            filter,
            metrics: self.metrics.clone(),
        }
    }
}

impl Subscription {
    /// The next event that passes the filter, or news of a lag or close.
    pub async fn next(&mut self) -> Received {
        loop {
            if *self.closed.borrow() {
                return Received::Closed;
            }
            let received = tokio::select! {
                r = self.rx.recv() => r,
                _ = self.closed.changed() => return Received::Closed,
            };
            match received {
                Ok(e) if self.filter.admits(&e) => return Received::Event(e),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    self.metrics.record_stream_dropped(missed);
                    return Received::Lagged { missed };
                }
                Err(broadcast::error::RecvError::Closed) => return Received::Closed,
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.metrics.add_stream_clients(-1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(capacity: usize) -> Hub {
        Hub::new(capacity, Arc::new(Metrics::new()))
    }

    #[tokio::test]
    async fn a_slow_client_loses_the_oldest_events_and_is_told_how_many() {
        let hub = hub(4);
        let mut slow = hub.subscribe(LiveFilter::default());
        // Publishing ten events with a full buffer never waits.
        for n in 0..10 {
            hub.publish(LiveKind::Feedback, Some("a"), Some("t"), &n);
        }
        assert_eq!(slow.next().await, Received::Lagged { missed: 6 });
        let Received::Event(e) = slow.next().await else {
            panic!("expected an event after the lag")
        };
        assert_eq!(e.record, serde_json::json!(6));
        assert_eq!(e.seq, 7);
        assert!(
            hub.metrics
                .encode()
                .contains("sidecoach_stream_dropped_total 6")
        );
    }

    #[tokio::test]
    async fn the_filter_keeps_one_team_and_the_kinds_asked_for() {
        let hub = hub(16);
        let mut sub = hub.subscribe(LiveFilter {
            team: Some("t1".into()),
            agent: None,
            kinds: vec![LiveKind::Alert],
            scope: Default::default(),
        });
        hub.publish(LiveKind::Alert, Some("a"), Some("t2"), &"other team");
        hub.publish(LiveKind::Feedback, Some("a"), Some("t1"), &"other kind");
        hub.publish(LiveKind::Alert, Some("a"), Some("t1"), &"mine");
        let Received::Event(e) = sub.next().await else {
            panic!("expected an event")
        };
        assert_eq!(e.record, serde_json::json!("mine"));
    }

    #[tokio::test]
    async fn closing_the_hub_ends_every_stream() {
        let hub = hub(4);
        let mut sub = hub.subscribe(LiveFilter::default());
        let waiting = tokio::spawn(async move { sub.next().await });
        tokio::task::yield_now().await;
        hub.close();
        assert_eq!(waiting.await.unwrap(), Received::Closed);
        let mut late = hub.subscribe(LiveFilter::default());
        assert_eq!(late.next().await, Received::Closed);
    }

    #[tokio::test]
    async fn publishing_without_subscribers_is_free() {
        let hub = hub(2);
        for n in 0..100 {
            hub.publish(LiveKind::Scorecard, None, None, &n);
        }
        let mut late = hub.subscribe(LiveFilter::default());
        hub.publish(LiveKind::Scorecard, None, None, &"after");
        let Received::Event(e) = late.next().await else {
            panic!("expected an event")
        };
        assert_eq!(e.record, serde_json::json!("after"));
    }
}
