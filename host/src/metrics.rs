//! Prometheus metrics: per-plugin calls by outcome, latency, fuel, dropped
//! log bytes and breaker trips, ingest and store flushes. Served as text by
//! `GET /metrics`.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// Latency buckets from 50 µs to about 13 s.
#[derive(Clone)]
struct LatencyBuckets;

impl MetricConstructor<Histogram> for LatencyBuckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(exponential_buckets(0.000_05, 4.0, 10))
    }
}

/// The host's metrics.
pub struct Metrics {
    /// Cluster mode's log (registered only in cluster mode).
    pub cluster: ClusterMetrics,
    /// The registry; a std mutex because encoding is short and never awaits.
    registry: Mutex<Registry>,
    calls: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, LatencyBuckets>,
    fuel: Family<Labels, Counter>,
    log_dropped: Family<Labels, Counter>,
    trips: Family<Labels, Counter>,
    compiles: Family<Labels, Counter>,
    plugins_loaded: Gauge,
    ingest_events: Family<Labels, Counter>,
    ingest_unauthenticated: Family<Labels, Counter>,
    dead_letters: Family<Labels, Counter>,
    scorecards: Family<Labels, Counter>,
    alerts: Family<Labels, Counter>,
    flag_failures: Family<Labels, Counter>,
    stream_dropped: Counter,
    stream_clients: Gauge,
}

/// Cluster mode: publishing writes to the log and applying it.
#[derive(Clone)]
pub struct ClusterMetrics {
    publish: Histogram,
    conflicts: Counter,
    applied: Gauge,
    lag: Gauge,
    entries_applied: Counter,
}

impl Default for ClusterMetrics {
    fn default() -> Self {
        ClusterMetrics {
            publish: LatencyBuckets.new_metric(),
            conflicts: Counter::default(),
            applied: Gauge::default(),
            lag: Gauge::default(),
            entries_applied: Counter::default(),
        }
    }
}

impl ClusterMetrics {
    /// A write the log acknowledged after `took`.
    pub fn publish(&self, took: Duration) {
        self.publish.observe(took.as_secs_f64());
    }

    /// A write that lost to another node's and ran again.
    pub fn conflict(&self) {
        self.conflicts.inc();
    }

    /// Another node's entry `seq` applied here, with the log at `last`.
    pub fn applied(&self, seq: u64, last: u64) {
        self.entries_applied.inc();
        self.applied.set(seq as i64);
        self.lag.set(last.saturating_sub(seq) as i64);
    }

    fn register(&self, r: &mut Registry) {
        r.register(
            "cluster_publish_seconds",
            "Time from publishing a write to the log's acknowledgement",
            self.publish.clone(),
        );
        r.register(
            "cluster_conflicts",
            "Writes that lost to another node's write and ran again",
            self.conflicts.clone(),
        );
        r.register(
            "cluster_applied_sequence",
            "The last log entry this node applied",
            self.applied.clone(),
        );
        r.register(
            "cluster_apply_lag",
            "Log entries this node has still to apply",
            self.lag.clone(),
        );
        r.register(
            "cluster_entries_applied",
            "Other nodes' log entries applied here (catching up included)",
            self.entries_applied.clone(),
        );
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Metrics {
        let m = Metrics {
            registry: Mutex::new(Registry::with_prefix("sidecoach")),
            calls: Family::default(),
            latency: Family::new_with_constructor(LatencyBuckets),
            fuel: Family::default(),
            log_dropped: Family::default(),
            trips: Family::default(),
            compiles: Family::default(),
            plugins_loaded: Gauge::default(),
            ingest_events: Family::default(),
            ingest_unauthenticated: Family::default(),
            dead_letters: Family::default(),
            scorecards: Family::default(),
            alerts: Family::default(),
            flag_failures: Family::default(),
            stream_dropped: Counter::default(),
            stream_clients: Gauge::default(),
            cluster: ClusterMetrics::default(),
        };
        {
            let mut r = m.registry.lock().expect("metrics registry lock");
            r.register(
                "plugin_calls",
                "Plugin calls by outcome (ok, timeout, memory, fuel, trap, busy, …)",
                m.calls.clone(),
            );
            r.register(
                "plugin_call_duration_seconds",
                "Plugin call wall time, instantiation included",
                m.latency.clone(),
            );
            r.register(
                "plugin_fuel_consumed",
                "Fuel consumed by plugin calls",
                m.fuel.clone(),
            );
            r.register(
                "plugin_log_bytes_dropped",
                "Plugin log bytes dropped over the per-call limit",
                m.log_dropped.clone(),
            );
            r.register(
                "plugin_breaker_trips",
                "Times a plugin was tripped off by its circuit breaker",
                m.trips.clone(),
            );
            r.register(
                "plugin_compilations",
                "Component compilations by source (fresh, cache)",
                m.compiles.clone(),
            );
            r.register(
                "ingest_events",
                "Ingested vendor events by source and outcome (accepted, duplicate, rejected, ignored)",
                m.ingest_events.clone(),
            );
            r.register(
                "ingest_unauthenticated",
                "Ingest requests refused for a missing or invalid signature or token, by source",
                m.ingest_unauthenticated.clone(),
            );
            r.register(
                "dead_letters",
                "Dead letters kept (new payloads or repeat deliveries), by source",
                m.dead_letters.clone(),
            );
            r.register(
                "scorecards",
                "Scoring attempts by scorer plugin and outcome (pass, fail, error)",
                m.scorecards.clone(),
            );
            r.register("alerts_raised", "Alerts raised, by rule", m.alerts.clone());
            r.register(
                "flag_failures",
                "Flagger plugin calls that failed (the records stay stored, unflagged by that plugin)",
                m.flag_failures.clone(),
            );
            r.register(
                "stream_dropped",
                "Live events a slow stream client missed (it was told to resync)",
                m.stream_dropped.clone(),
            );
            r.register(
                "stream_clients",
                "Connected live stream clients",
                m.stream_clients.clone(),
            );
            r.register(
                "plugins_loaded",
                "Plugins loaded and callable",
                m.plugins_loaded.clone(),
            );
        }
        m
    }

    /// Add the cluster metrics to `/metrics` (cluster mode only).
    pub fn register_cluster(&self) {
        let mut r = self.registry.lock().expect("metrics registry lock");
        self.cluster.register(&mut r);
    }

    fn plugin(id: &str) -> Labels {
        vec![("plugin".into(), id.into())]
    }

    /// Count ingested events of one outcome.
    pub fn record_ingest(&self, source: &str, outcome: &str, n: usize) {
        if n > 0 {
            self.ingest_events
                .get_or_create(&vec![
                    ("source".into(), source.into()),
                    ("outcome".into(), outcome.into()),
                ])
                .inc_by(n as u64);
        }
    }

    /// Count a request refused for its signature or token.
    pub fn record_unauthenticated(&self, source: &str) {
        self.ingest_unauthenticated
            .get_or_create(&vec![("source".into(), source.into())])
            .inc();
    }

    /// Count scoring attempts of one outcome.
    pub fn record_scorecards(&self, plugin: &str, outcome: &str, n: usize) {
        if n > 0 {
            self.scorecards
                .get_or_create(&vec![
                    ("plugin".into(), plugin.into()),
                    ("outcome".into(), outcome.into()),
                ])
                .inc_by(n as u64);
        }
    }

    /// Count an alert raised.
    pub fn record_alert(&self, rule: &str) {
        self.alerts
            .get_or_create(&vec![("rule".into(), rule.into())])
            .inc();
    }

    /// Count a failed flagger call.
    pub fn record_flag_failure(&self, plugin: &str) {
        self.flag_failures
            .get_or_create(&Self::plugin(plugin))
            .inc();
    }

    /// Count live events a slow client missed.
    pub fn record_stream_dropped(&self, n: u64) {
        self.stream_dropped.inc_by(n);
    }

    /// One more (`+1`) or one fewer (`-1`) stream client.
    pub fn add_stream_clients(&self, delta: i64) {
        self.stream_clients.inc_by(delta);
    }

    /// Count a dead letter kept.
    pub fn record_dead_letter(&self, source: &str) {
        self.dead_letters
            .get_or_create(&vec![("source".into(), source.into())])
            .inc();
    }

    /// Record one call's outcome and cost.
    pub fn record_call(
        &self,
        plugin: &str,
        outcome: &str,
        duration: Duration,
        fuel: Option<u64>,
        log_bytes_dropped: u64,
    ) {
        let mut l = Self::plugin(plugin);
        l.push(("outcome".into(), outcome.into()));
        self.calls.get_or_create(&l).inc();
        self.latency
            .get_or_create(&Self::plugin(plugin))
            .observe(duration.as_secs_f64());
        if let Some(f) = fuel {
            self.fuel.get_or_create(&Self::plugin(plugin)).inc_by(f);
        }
        if log_bytes_dropped > 0 {
            self.log_dropped
                .get_or_create(&Self::plugin(plugin))
                .inc_by(log_bytes_dropped);
        }
    }

    /// Record a breaker trip.
    pub fn record_trip(&self, plugin: &str) {
        self.trips.get_or_create(&Self::plugin(plugin)).inc();
    }

    /// Record a compilation (`fresh`) or a cache load (`cache`).
    pub fn record_compile(&self, source: &str) {
        self.compiles
            .get_or_create(&vec![("source".into(), source.into())])
            .inc();
    }

    /// Set how many plugins are loaded.
    pub fn set_plugins_loaded(&self, n: usize) {
        self.plugins_loaded.set(n as i64);
    }

    /// Export the store's flush count (`Store::flush_counter`), read on each
    /// scrape: below the count of durable writes when they share flushes.
    pub fn count_store_flushes(&self, flushes: impl Fn() -> u64 + Send + Sync + 'static) {
        self.registry
            .lock()
            .expect("metrics registry lock")
            .register_collector(Box::new(ReadCounter {
                name: "store_flushes",
                help: "sled flushes (each writes and fsyncs every buffered write; concurrent writers share them)",
                read: Box::new(flushes),
            }));
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let r = self.registry.lock().expect("metrics registry lock");
        encode(&mut out, &r).expect("writing to a String cannot fail");
        out
    }
}

/// A counter kept elsewhere, read when scraped.
struct ReadCounter {
    name: &'static str,
    help: &'static str,
    read: Box<dyn Fn() -> u64 + Send + Sync>,
}

impl std::fmt::Debug for ReadCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCounter")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Collector for ReadCounter {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let counter = ConstCounter::new((self.read)());
        let metric =
            encoder.encode_descriptor(self.name, self.help, None, counter.metric_type())?;
        counter.encode(metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_appear_in_the_exposition_with_their_labels() {
        let m = Metrics::new();
        m.record_call(
            "reference-scorer",
            "ok",
            Duration::from_millis(2),
            Some(1234),
            0,
        );
        m.record_call(
            "hostile-loop",
            "timeout",
            Duration::from_millis(200),
            None,
            7,
        );
        let text = m.encode();
        assert!(
            text.contains(
                r#"sidecoach_plugin_calls_total{plugin="reference-scorer",outcome="ok"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"sidecoach_plugin_fuel_consumed_total{plugin="reference-scorer"} 1234"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"sidecoach_plugin_log_bytes_dropped_total{plugin="hostile-loop"} 7"#),
            "{text}"
        );
        assert!(
            text.contains("sidecoach_plugin_call_duration_seconds_bucket"),
            "{text}"
        );
    }

    #[test]
    fn store_flushes_are_read_when_scraped() {
        let m = Metrics::new();
        let flushes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let read = flushes.clone();
        m.count_store_flushes(move || read.load(std::sync::atomic::Ordering::Relaxed));
        flushes.store(7, std::sync::atomic::Ordering::Relaxed);
        let text = m.encode();
        assert!(text.contains("sidecoach_store_flushes_total 7"), "{text}");
    }
}
