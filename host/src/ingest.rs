//! Vendor ingest: one delivery from a configured source, through its adapter
//! plugin, into the records — with identity resolution, idempotent writes,
//! one flush per delivery, and dead letters for whatever could not be used.
//!
//! Flow: [`Ingest::deliver`] looks up `[sources.NAME]`, hands the adapter the
//! whole request and the source's config, then for each normalized event
//! resolves the vendor user id to an agent (created on first sight) and
//! stages the write; the records service links feedback and evaluations to
//! the interaction they name (`Contacts::link_contact`, the same path the
//! records API takes). Interactions merge field by field with what is stored (a Contact
//! Lens analysis adds sentiment to the CTR's durations) and an older vendor
//! update never overwrites a newer one. Everything staged is flushed once
//! before the report is returned, so an acknowledged delivery is durable.
//!
//! Live segments (API 0.3.0 adapters: Contact Lens real-time analysis) are
//! the one thing not stored: each is paired with the stored interaction it
//! names and handed to the pipeline's `live` flag rules in this request, so
//! an alert is on the live stream before the delivery is answered. A
//! segment naming a contact the host has not seen, or one without an
//! agent, is counted as ignored.
//!
//! Nothing is dropped silently: a request the adapter refuses or fails on, a
//! record it rejects, and an event the host cannot store all leave the whole
//! payload in a dead letter with the reasons, replayable after a fix. The one
//! exception is a request that fails signature verification: it is
//! unauthenticated junk, so it is logged and counted, never kept.

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use serde::Serialize;

use crate::clock::{now_ms, sha256_hex};
use crate::config::{Config, Source};
use crate::flags::LiveSignal;
use crate::metrics::Metrics;
use crate::model::{
    AgentEvent, DeadLetter, DeadLetterState, DeadReason, Evaluation, EvaluationEvent, Event,
    Feedback, FeedbackEvent, InboundRequest, Interaction, InteractionEvent, PluginErrorCode,
    ReplayCorrection, SegmentEvent, StaffingInterval,
};
use crate::pipeline::{Fresh, Pipeline};
use crate::records::{Filter, RecordError, Records, Term, Upserted};
use crate::runtime::{Runtime, RuntimeError};

/// One HTTP delivery as the vendor made it.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// HTTP method.
    pub method: String,
    /// The full URL as the vendor called it.
    pub url: String,
    /// Headers, lower-case names, credentials already removed.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

/// Headers never passed to an adapter nor kept in a dead letter.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

impl Delivery {
    /// Drop credential headers and lower-case the names.
    pub fn new(method: &str, url: String, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Delivery {
            method: method.to_string(),
            url,
            headers: headers
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .filter(|(k, _)| !CREDENTIAL_HEADERS.contains(&k.as_str()))
                .collect(),
            body,
        }
    }

    /// sha256 of the whole request: source, method, URL, headers and body,
    /// each length-prefixed so no two requests share an encoding. This is
    /// what identifies a dead letter: a retry of exactly this request is
    /// another delivery of it; anything else is a request of its own.
    fn digest(&self, source: &str) -> String {
        let mut input = Vec::with_capacity(self.body.len() + self.url.len() + 256);
        let mut put = |bytes: &[u8]| {
            input.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            input.extend_from_slice(bytes);
        };
        put(source.as_bytes());
        put(self.method.as_bytes());
        put(self.url.as_bytes());
        for (name, value) in &self.headers {
            put(name.as_bytes());
            put(value.as_bytes());
        }
        put(&self.body);
        sha256_hex(&input)
    }

    /// The request with an operator's correction applied: query parameters
    /// set (others kept byte for byte, in order) and headers set.
    fn corrected(mut self, c: &ReplayCorrection) -> Delivery {
        if !c.query.is_empty() {
            let (base, query) = match self.url.split_once('?') {
                Some((b, q)) => (b.to_string(), q.to_string()),
                None => (self.url.clone(), String::new()),
            };
            let mut pairs: Vec<String> = query
                .split('&')
                .filter(|p| !p.is_empty())
                .filter(|p| {
                    let pair = serde_urlencoded::from_str::<Vec<(String, String)>>(p).ok();
                    let name = pair.and_then(|v| v.into_iter().next()).map(|(k, _)| k);
                    name.is_none_or(|k| !c.query.contains_key(&k))
                })
                .map(str::to_string)
                .collect();
            pairs.push(serde_urlencoded::to_string(&c.query).expect("string pairs encode"));
            self.url = format!("{base}?{}", pairs.join("&"));
        }
        for (name, value) in &c.headers {
            let name = name.to_ascii_lowercase();
            self.headers.retain(|(k, _)| *k != name);
            self.headers.push((name, value.clone()));
        }
        self
    }
}

/// Check an operator's correction before it is stored: header names that
/// are valid and not credentials (a dead letter never keeps one), and no
/// empty parameter names.
fn check_correction(c: &ReplayCorrection) -> Result<(), RecordError> {
    for name in c.query.keys() {
        if name.is_empty() {
            return Err(RecordError::Invalid {
                field: "query".into(),
                message: "a query parameter needs a name".into(),
            });
        }
    }
    for name in c.headers.keys() {
        let lower = name.to_ascii_lowercase();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
        {
            return Err(RecordError::Invalid {
                field: format!("headers.{name}"),
                message: "not a valid header name".into(),
            });
        }
        if CREDENTIAL_HEADERS.contains(&lower.as_str()) {
            return Err(RecordError::Invalid {
                field: format!("headers.{name}"),
                message: "credentials are not kept in dead letters; fix the source's configuration instead".into(),
            });
        }
    }
    Ok(())
}

/// What one delivery produced.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    /// The configured source.
    pub source: String,
    /// Its adapter plugin.
    pub adapter: String,
    /// The adapter version that ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter_version: Option<String>,
    /// Events the adapter produced.
    pub events: usize,
    /// Events stored (new or changed).
    pub accepted: usize,
    /// Events already stored as they are (redeliveries, older updates).
    pub duplicates: usize,
    /// Records the adapter rejected plus events the host could not store.
    pub rejected: usize,
    /// Events of kinds this host does not store yet (agent states, staffing).
    pub ignored: usize,
    /// Agents created on first sight of a vendor user id.
    pub agents_created: usize,
    /// Live segments the adapter sent (flagged, never stored); those
    /// naming no known contact or agent are also counted in `ignored`.
    pub segments: usize,
    /// Why records were rejected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<DeadReason>,
    /// The dead letter holding the payload, when anything was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<String>,
    /// Milliseconds inside the adapter plugin (instantiation included).
    pub adapter_ms: f64,
    /// Milliseconds resolving and storing, flush included.
    pub store_ms: f64,
    /// Evaluations scored by their form's scorer.
    pub scored: usize,
    /// Evaluations stored without a scorecard (the scorer could not score
    /// them; each carries `score_error`).
    pub unscored: usize,
    /// Alerts raised by flags, by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    /// Recognition candidates raised.
    pub recognitions: usize,
    /// Milliseconds in the scorer and flagger plugins.
    pub pipeline_ms: f64,
}

/// Why a delivery was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// No `[sources.NAME]`.
    #[error("no source named {0:?} is configured (see [sources.NAME] in the config)")]
    UnknownSource(String),
    /// The source is unsigned and the caller sent no valid token, or the
    /// adapter found the signature invalid. Not kept.
    #[error("{message}")]
    Unauthenticated {
        /// The source.
        source_name: String,
        /// Why.
        message: String,
    },
    /// The adapter refused the whole request; the payload is a dead letter.
    #[error("the {adapter} adapter refused the request: {message}")]
    Refused {
        /// Adapter id.
        adapter: String,
        /// The adapter's error code.
        code: PluginErrorCode,
        /// Its explanation.
        message: String,
        /// The field at fault.
        field: Option<String>,
        /// The report, with the dead letter's id.
        report: Box<IngestReport>,
    },
    /// The adapter could not run (missing, disabled, tripped, busy, trapped,
    /// timed out); the payload is a dead letter.
    #[error("{error}")]
    AdapterFailed {
        /// The runtime's typed error.
        error: RuntimeError,
        /// The report, with the dead letter's id.
        report: Box<IngestReport>,
    },
    /// Storage failed; nothing was acknowledged.
    #[error(transparent)]
    Store(#[from] RecordError),
}

impl IngestError {
    /// The stable code of this refusal: the API answer's `code`, and the
    /// code of the dead letter's reason for the whole request, so the
    /// answer, its details and the dead letter agree.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::UnknownSource(_) => "source_not_found",
            IngestError::Unauthenticated { .. } => "unauthenticated",
            IngestError::Refused { code, field, .. } => refusal_code(*code, field.as_deref()),
            IngestError::AdapterFailed { error, .. } => error.code(),
            IngestError::Store(_) => "storage_error",
        }
    }
}

/// The code of an adapter's refusal of a whole request, from the plugin's
/// own error code and the field it blamed.
fn refusal_code(code: PluginErrorCode, field: Option<&str>) -> &'static str {
    match (code, field) {
        (_, Some("content-type")) => "unsupported_media_type",
        (PluginErrorCode::Unsupported, _) => "unsupported_payload",
        (PluginErrorCode::ConfigInvalid, _) => "source_misconfigured",
        _ => "adapter_rejected",
    }
}

/// The outcome of replaying dead letters.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ReplaySummary {
    /// Dead letters replayed.
    pub replayed: usize,
    /// Now fully ingested.
    pub resolved: usize,
    /// Still open (the reasons are updated on each).
    pub still_open: usize,
    /// Per dead letter: its id and what the replay did.
    pub results: Vec<ReplayResult>,
}

/// One replay.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayResult {
    /// The dead letter.
    pub dead_letter: String,
    /// Open or resolved after the replay.
    pub state: DeadLetterState,
    /// What the delivery produced this time.
    pub report: IngestReport,
}

/// Stripes of the per-interaction merge lock.
const MERGE_STRIPES: usize = 64;

/// The ingest service.
#[derive(Clone)]
pub struct Ingest {
    runtime: Arc<Runtime>,
    records: Records,
    /// Scoring, flags and the live feed after each delivery is staged.
    pipeline: Pipeline,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
    /// Read-merge-write of one interaction runs under its stripe, so two
    /// deliveries about one contact cannot lose each other's fields.
    merge_locks: Arc<[std::sync::Mutex<()>]>,
}

/// Work outcome of one event.
enum Stored {
    Accepted,
    Duplicate,
    Ignored,
}

impl Ingest {
    /// The service over the runtime and the records.
    pub fn new(
        runtime: Arc<Runtime>,
        records: Records,
        pipeline: Pipeline,
        config: Arc<Config>,
        metrics: Arc<Metrics>,
    ) -> Ingest {
        Ingest {
            runtime,
            records,
            pipeline,
            config,
            metrics,
            merge_locks: (0..MERGE_STRIPES)
                .map(|_| std::sync::Mutex::new(()))
                .collect(),
        }
    }

    /// The configured source, or [`IngestError::UnknownSource`].
    pub fn source(&self, name: &str) -> Result<&Source, IngestError> {
        self.config
            .sources
            .get(name)
            .ok_or_else(|| IngestError::UnknownSource(name.to_string()))
    }

    /// Count a request refused before the adapter ran (no token on an
    /// unsigned source).
    pub fn refuse_unauthenticated(&self, source: &str, message: String) -> IngestError {
        self.metrics.record_unauthenticated(source);
        tracing::warn!(source, %message, "ingest request refused");
        IngestError::Unauthenticated {
            source_name: source.to_string(),
            message,
        }
    }

    /// Ingest one delivery; durable when it returns `Ok`.
    pub async fn deliver(
        &self,
        source: &str,
        delivery: Delivery,
    ) -> Result<IngestReport, IngestError> {
        self.run(source, delivery, None).await
    }

    /// Replay one dead letter through the source's current adapter, on
    /// behalf of `actor` (audited), with the operator's `correction` (kept
    /// on the dead letter and applied to this and every later replay).
    pub async fn replay(
        &self,
        id: &str,
        actor: &str,
        correction: Option<ReplayCorrection>,
    ) -> Result<ReplayResult, IngestError> {
        let correction = correction.filter(|c| !c.is_empty());
        if let Some(c) = &correction {
            check_correction(c)?;
            let mut dead = self.records.dead_letters.dead_letter(id)?;
            dead.correction = Some(c.clone());
            self.records.dead_letters.stage_dead_letter(dead)?;
            self.records.flush().await?;
        }
        let result = self.replay_one(id).await?;
        let state = format!("{:?}", result.state).to_lowercase();
        let detail = match &correction {
            Some(c) => format!(
                "{state}; corrected with {}",
                serde_json::to_string(c).expect("corrections serialise")
            ),
            None => state,
        };
        self.records
            .audit
            .audit(actor, "dead_letter.replay", id, Some(detail))
            .await?;
        Ok(result)
    }

    async fn replay_one(&self, id: &str) -> Result<ReplayResult, IngestError> {
        let dead = self.records.dead_letters.dead_letter(id)?;
        let body = base64::engine::general_purpose::STANDARD
            .decode(&dead.body_base64)
            .map_err(|e| RecordError::Invalid {
                field: "body_base64".into(),
                message: format!("stored dead letter {id} does not decode: {e}"),
            })?;
        let mut delivery = Delivery {
            method: dead.method.clone(),
            url: dead.url.clone(),
            headers: dead.headers.clone(),
            body,
        };
        if let Some(c) = &dead.correction {
            delivery = delivery.corrected(c);
        }
        let source = dead.source.clone();
        let outcome = self.run(&source, delivery, Some(dead)).await;
        let report = match outcome {
            Ok(r) => r,
            Err(
                IngestError::Refused { report, .. } | IngestError::AdapterFailed { report, .. },
            ) => *report,
            Err(IngestError::Unauthenticated { message, .. }) => {
                // Keep it open with the reason: the secret may have rotated.
                let mut dead = self.records.dead_letters.dead_letter(id)?;
                dead.reasons = vec![DeadReason {
                    index: None,
                    event_index: None,
                    code: "signature_invalid".into(),
                    message,
                    field: None,
                }];
                dead.replays += 1;
                dead.replayed_at = Some(now_ms());
                self.records.dead_letters.stage_dead_letter(dead)?;
                self.records.flush().await?;
                IngestReport {
                    source: source.clone(),
                    ..IngestReport::default()
                }
            }
            Err(e) => return Err(e),
        };
        let dead = self.records.dead_letters.dead_letter(id)?;
        Ok(ReplayResult {
            dead_letter: id.to_string(),
            state: dead.state,
            report,
        })
    }

    /// Replay every open dead letter of a source, oldest first, on behalf
    /// of `actor` (audited once for the source).
    pub async fn replay_source(
        &self,
        source: &str,
        actor: &str,
    ) -> Result<ReplaySummary, IngestError> {
        self.source(source)?;
        let mut summary = ReplaySummary::default();
        let mut cursor = None;
        let mut ids = Vec::new();
        loop {
            let page = self.records.dead_letters.dead_letters(Filter {
                term: Some(Term::SourceState(source.to_string(), "open".into())),
                cursor,
                limit: Some(1000),
                ..Filter::default()
            })?;
            ids.extend(page.items.into_iter().map(|d| d.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        for id in ids {
            let r = self.replay_one(&id).await?;
            summary.replayed += 1;
            match r.state {
                DeadLetterState::Resolved => summary.resolved += 1,
                DeadLetterState::Open => summary.still_open += 1,
            }
            summary.results.push(r);
        }
        let detail = format!(
            "{} replayed, {} resolved",
            summary.replayed, summary.resolved
        );
        self.records
            .audit
            .audit(actor, "source.replay", source, Some(detail))
            .await?;
        Ok(summary)
    }

    async fn run(
        &self,
        source_name: &str,
        delivery: Delivery,
        replay_of: Option<DeadLetter>,
    ) -> Result<IngestReport, IngestError> {
        let source = self.source(source_name)?.clone();
        let mut report = IngestReport {
            source: source_name.to_string(),
            adapter: source.adapter.clone(),
            ..IngestReport::default()
        };
        let mut source_config: Vec<(String, String)> = source
            .secrets
            .iter()
            .chain(source.options.iter())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        source_config.sort();
        let request = InboundRequest {
            source: source_name.to_string(),
            method: delivery.method.clone(),
            url: delivery.url.clone(),
            headers: delivery.headers.clone(),
            body: delivery.body.clone(),
            source_config,
        };

        let call = self.runtime.ingest(&source.adapter, request).await;
        let output = match call {
            Err(failed) => {
                report.adapter_ms = failed.duration.as_secs_f64() * 1e3;
                let reason = DeadReason {
                    index: None,
                    event_index: None,
                    code: failed.error.code().into(),
                    message: failed.error.to_string(),
                    field: None,
                };
                report.errors.push(reason);
                report.rejected = 1;
                self.metrics.record_ingest(source_name, "rejected", 1);
                self.keep(&mut report, &delivery, replay_of).await?;
                return Err(IngestError::AdapterFailed {
                    error: failed.error,
                    report: Box::new(report),
                });
            }
            Ok(call) => {
                report.adapter_version = Some(call.plugin_version.clone());
                report.adapter_ms = call.duration.as_secs_f64() * 1e3;
                match call.output {
                    Ok(out) => out,
                    Err(e) if e.code == PluginErrorCode::SignatureInvalid => {
                        self.metrics.record_unauthenticated(source_name);
                        tracing::warn!(
                            source = source_name,
                            adapter = %source.adapter,
                            reason = %e.message,
                            "signature verification failed; request dropped (not a dead letter)"
                        );
                        return Err(IngestError::Unauthenticated {
                            source_name: source_name.to_string(),
                            message: format!("signature verification failed: {}", e.message),
                        });
                    }
                    Err(e) => {
                        report.errors.push(DeadReason {
                            index: None,
                            event_index: None,
                            code: refusal_code(e.code, e.field.as_deref()).into(),
                            message: e.message.clone(),
                            field: e.field.clone(),
                        });
                        report.rejected = 1;
                        self.metrics.record_ingest(source_name, "rejected", 1);
                        self.keep(&mut report, &delivery, replay_of).await?;
                        return Err(IngestError::Refused {
                            adapter: source.adapter.clone(),
                            code: e.code,
                            message: e.message,
                            field: e.field,
                            report: Box::new(report),
                        });
                    }
                }
            }
        };

        let started = Instant::now();
        report.events = output.events.len();
        for r in &output.rejected {
            report.errors.push(DeadReason {
                index: Some(r.index),
                event_index: None,
                code: "record_rejected".into(),
                message: r.error.message.clone(),
                field: r.error.field.clone(),
            });
        }
        report.rejected = output.rejected.len();
        let namespace = source
            .options
            .get("identity_namespace")
            .cloned()
            .unwrap_or_else(|| source.adapter.clone());
        let origin = source_name.to_string();
        let mut fresh = Fresh::default();
        for (n, event) in output.events.into_iter().enumerate() {
            match self.store_event(&origin, &namespace, event, &mut report, &mut fresh) {
                Ok(Stored::Accepted) => report.accepted += 1,
                Ok(Stored::Duplicate) => report.duplicates += 1,
                Ok(Stored::Ignored) => report.ignored += 1,
                Err(RecordError::Store(e)) => return Err(RecordError::Store(e).into()),
                Err(e) => {
                    report.rejected += 1;
                    let (field, message) = match e {
                        RecordError::Invalid { field, message } => (Some(field), message),
                        other => (None, other.to_string()),
                    };
                    report.errors.push(DeadReason {
                        index: None,
                        event_index: Some(n as u32),
                        code: "record_invalid".into(),
                        message,
                        field,
                    });
                }
            }
        }
        // Live segments, after the events so a contact event in the same
        // payload is already staged.
        report.segments = output.segments.len();
        for segment in output.segments {
            match self.live_signal(&origin, &namespace, segment, &mut report)? {
                Some(signal) => fresh.live.push(signal),
                None => report.ignored += 1,
            }
        }
        // Score, flag, recognise; one flush for the whole delivery; publish.
        let processed = self.pipeline.finish(fresh).await?;
        report.scored = processed.scored.len();
        report.unscored = processed.unscored.len();
        report.alerts = processed.alerts.iter().map(|a| a.id.clone()).collect();
        report.recognitions = processed.recognitions.len();
        report.pipeline_ms = processed.plugins_ms;
        for (outcome, n) in [
            ("accepted", report.accepted),
            ("duplicate", report.duplicates),
            ("rejected", report.rejected),
            ("ignored", report.ignored),
        ] {
            self.metrics.record_ingest(source_name, outcome, n);
        }
        if !report.errors.is_empty() || replay_of.is_some() {
            self.keep(&mut report, &delivery, replay_of).await?;
        }
        report.store_ms = started.elapsed().as_secs_f64() * 1e3 - report.pipeline_ms;
        Ok(report)
    }

    /// Keep the payload as a dead letter (or update the one being replayed,
    /// or count a repeat delivery of an open one); durable on return.
    async fn keep(
        &self,
        report: &mut IngestReport,
        delivery: &Delivery,
        replay_of: Option<DeadLetter>,
    ) -> Result<(), RecordError> {
        let now = now_ms();
        if let Some(mut dead) = replay_of {
            dead.replays += 1;
            dead.replayed_at = Some(now);
            dead.adapter_version = report.adapter_version.clone();
            dead.reasons = report.errors.clone();
            dead.state = if report.errors.is_empty() {
                DeadLetterState::Resolved
            } else {
                DeadLetterState::Open
            };
            report.dead_letter = Some(dead.id.clone());
            self.records.dead_letters.stage_dead_letter(dead)?;
            self.records.flush().await?;
            return Ok(());
        }
        let digest = delivery.digest(&report.source);
        self.metrics.record_dead_letter(&report.source);
        if let Some(mut open) = self.records.dead_letters.open_dead_letter_with(&digest)? {
            open.deliveries += 1;
            open.reasons = report.errors.clone();
            open.adapter_version = report.adapter_version.clone();
            report.dead_letter = Some(open.id.clone());
            self.records.dead_letters.stage_dead_letter(open)?;
            self.records.flush().await?;
            return Ok(());
        }
        let dead = DeadLetter {
            id: crate::model::new_id(),
            source: report.source.clone(),
            adapter: report.adapter.clone(),
            adapter_version: report.adapter_version.clone(),
            reasons: report.errors.clone(),
            failed_at: now,
            method: delivery.method.clone(),
            url: delivery.url.clone(),
            headers: delivery.headers.clone(),
            body_base64: base64::engine::general_purpose::STANDARD.encode(&delivery.body),
            digest,
            deliveries: 1,
            state: DeadLetterState::Open,
            replays: 0,
            replayed_at: None,
            correction: None,
        };
        tracing::warn!(
            source = %dead.source,
            dead_letter = %dead.id,
            reasons = dead.reasons.len(),
            "payload kept as a dead letter"
        );
        report.dead_letter = Some(dead.id.clone());
        self.records.dead_letters.put_dead_letter(dead).await?;
        Ok(())
    }

    fn agent_id(
        &self,
        namespace: &str,
        vendor_id: Option<&str>,
        hint: Option<&AgentEvent>,
        report: &mut IngestReport,
    ) -> Result<Option<(String, Option<String>)>, RecordError> {
        let Some(vendor_id) = vendor_id.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let identity = format!("{namespace}:{vendor_id}");
        let (agent, created) = self.records.people.stage_agent_for_identity(
            &identity,
            hint.and_then(|h| h.name.as_deref()),
            hint.and_then(|h| h.email.as_deref()),
        )?;
        if created {
            report.agents_created += 1;
        }
        Ok(Some((agent.id, agent.team_id)))
    }

    fn store_event(
        &self,
        source: &str,
        namespace: &str,
        event: Event,
        report: &mut IngestReport,
        fresh: &mut Fresh,
    ) -> Result<Stored, RecordError> {
        match event {
            Event::Agent(a) => {
                let identity = format!("{namespace}:{}", a.vendor_user_id.trim());
                if a.vendor_user_id.trim().is_empty() {
                    return Err(RecordError::Invalid {
                        field: "vendor_user_id".into(),
                        message: "must not be empty".into(),
                    });
                }
                let (agent, created) = self.records.people.stage_agent_for_identity(
                    &identity,
                    a.name.as_deref(),
                    a.email.as_deref(),
                )?;
                if created {
                    report.agents_created += 1;
                    return Ok(Stored::Accepted);
                }
                let changed = self.records.people.stage_agent_details(
                    &agent,
                    &identity,
                    a.name.as_deref(),
                    a.email.as_deref(),
                )?;
                Ok(if changed {
                    Stored::Accepted
                } else {
                    Stored::Duplicate
                })
            }
            Event::Interaction(i) => {
                let (outcome, stored) = self.store_interaction(source, namespace, i, report)?;
                fresh.interactions.extend(stored);
                Ok(outcome)
            }
            Event::Evaluation(e) => {
                let (outcome, stored) = self.store_evaluation(source, namespace, e, report)?;
                fresh.evaluations.extend(stored);
                Ok(outcome)
            }
            Event::Feedback(f) => {
                let (outcome, stored) = self.store_feedback(source, namespace, f, report)?;
                fresh.feedback.extend(stored);
                Ok(outcome)
            }
            Event::Staffing(st) => {
                let outcome = self.records.scheduling.stage_staffing(StaffingInterval {
                    id: String::new(),
                    queue: st.queue,
                    starts_at: st.starts_at,
                    length_minutes: st.length_minutes,
                    offered: st.offered,
                    aht_seconds: st.aht_seconds,
                    scheduled_agents: st.scheduled_agents,
                })?;
                Ok(stored(outcome, ()).0)
            }
            // Not stored by this host yet; counted, not silently dropped.
            Event::AgentState(_) => Ok(Stored::Ignored),
        }
    }

    fn store_interaction(
        &self,
        source: &str,
        namespace: &str,
        i: InteractionEvent,
        report: &mut IngestReport,
    ) -> Result<(Stored, Option<Interaction>), RecordError> {
        let agent = self.agent_id(namespace, i.agent_vendor_id.as_deref(), None, report)?;
        let stripe = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (source, &i.external_id).hash(&mut h);
            (h.finish() as usize) % MERGE_STRIPES
        };
        let _merge = self.merge_locks[stripe]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let existing = self
            .records
            .contacts
            .interaction_by_key(source, &i.external_id)?;
        let incoming = Interaction {
            source: source.to_string(),
            agent_id: agent.map(|(id, _)| id),
            ..Interaction::from(i)
        };
        let mut merged = settle(existing, incoming);
        // The records service settles the id from the external key.
        merged.id.clear();
        let (outcome, stored_record) = self.records.contacts.stage_interaction(merged, None)?;
        Ok(stored(outcome, stored_record))
    }

    fn store_evaluation(
        &self,
        source: &str,
        namespace: &str,
        e: EvaluationEvent,
        report: &mut IngestReport,
    ) -> Result<(Stored, Option<Evaluation>), RecordError> {
        let Some((agent_id, _)) =
            self.agent_id(namespace, e.agent_vendor_id.as_deref(), None, report)?
        else {
            return Err(RecordError::Invalid {
                field: "agent_vendor_id".into(),
                message: format!("evaluation {} names no agent", e.external_id),
            });
        };
        let evaluator = match e.evaluator_vendor_id.as_deref() {
            Some(v) => self
                .records
                .people
                .agent_by_identity(&format!("{namespace}:{v}"))?
                .map(|a| a.id)
                .or_else(|| Some(v.to_string())),
            None => None,
        };
        // The records service links it to its contact.
        let evaluation = Evaluation {
            source: source.to_string(),
            agent_id,
            evaluator,
            ..Evaluation::from(e)
        };
        let (outcome, stored_record) = self.records.contacts.stage_evaluation(evaluation, None)?;
        // One whose earlier scoring failed is tried again on redelivery.
        if outcome == Upserted::Unchanged && stored_record.scorecard.is_none() {
            return Ok((Stored::Duplicate, Some(stored_record)));
        }
        Ok(stored(outcome, stored_record))
    }

    fn store_feedback(
        &self,
        source: &str,
        namespace: &str,
        f: FeedbackEvent,
        report: &mut IngestReport,
    ) -> Result<(Stored, Option<Feedback>), RecordError> {
        let agent_id = self
            .agent_id(namespace, f.agent_vendor_id.as_deref(), None, report)?
            .map(|(id, _)| id);
        // The records service links it to its contact and, when the vendor
        // names no agent, takes the contact's agent (and team) and topics:
        // the same path as `POST /v1/feedback`.
        let feedback = Feedback {
            source: source.to_string(),
            agent_id,
            ..Feedback::from(f)
        };
        let (outcome, stored_record) = self.records.contacts.stage_feedback(feedback, None)?;
        Ok(stored(outcome, stored_record))
    }

    /// A live segment with the stored interaction it names and that
    /// interaction's agent (else the agent the segment names); `None` when
    /// there is no such interaction or no agent to coach.
    fn live_signal(
        &self,
        source: &str,
        namespace: &str,
        segment: SegmentEvent,
        report: &mut IngestReport,
    ) -> Result<Option<LiveSignal>, RecordError> {
        let ext = segment.interaction_external_id.trim();
        let Some(mut interaction) = self
            .records
            .contacts
            .interaction_for_external(source, ext)?
        else {
            tracing::debug!(source, contact = ext, "live segment for an unknown contact");
            return Ok(None);
        };
        if interaction.agent_id.is_none() {
            interaction.agent_id = self
                .agent_id(namespace, segment.agent_vendor_id.as_deref(), None, report)?
                .map(|(id, _)| id);
        }
        Ok(interaction.agent_id.is_some().then_some(LiveSignal {
            segment,
            interaction,
        }))
    }
}

/// The outcome, and the record when it is news for the pipeline.
fn stored<R>(outcome: Upserted, record: R) -> (Stored, Option<R>) {
    match outcome {
        Upserted::Created | Upserted::Updated => (Stored::Accepted, Some(record)),
        Upserted::Unchanged => (Stored::Duplicate, None),
    }
}

/// The stored interaction after a delivery: the delivery merged into what
/// is stored, newest values winning by [`is_older`]; a late, older picture
/// of the contact only fills what the stored one lacks.
fn settle(existing: Option<Interaction>, incoming: Interaction) -> Interaction {
    match existing {
        Some(old) if is_older(&old, &incoming) => {
            let (id, received_at) = (old.id.clone(), old.received_at);
            Interaction {
                id,
                received_at,
                ..merge_interaction(incoming, old)
            }
        }
        Some(old) => merge_interaction(old, incoming),
        None => incoming,
    }
}

/// Whether `new` is an older picture of a contact than the stored `old`, by
/// the vendor's own ordering: its update time when both deliveries carry
/// one; otherwise a snapshot of the contact's lifecycle that saw it start
/// but not end is older than a stored one that has ended (taken while the
/// contact was live and arriving after the final one, which is a superset
/// of it). A delivery that knows nothing of the lifecycle (a post-call
/// analysis file) is another view of the contact, not a snapshot: what it
/// says wins as usual.
fn is_older(old: &Interaction, new: &Interaction) -> bool {
    match (old.updated_at, new.updated_at) {
        (Some(o), Some(n)) if o != n => n < o,
        _ => old.ended_at.is_some() && new.ended_at.is_none() && new.started_at.is_some(),
    }
}

/// Field-by-field merge: what the new delivery says wins, what it leaves
/// out is kept; topics, linked ids, issues, outcomes and action items are
/// unions.
fn merge_interaction(old: Interaction, new: Interaction) -> Interaction {
    fn union(mut a: Vec<String>, b: Vec<String>) -> Vec<String> {
        for x in b {
            if !a.contains(&x) {
                a.push(x);
            }
        }
        a
    }
    let sentiment = match (old.sentiment, new.sentiment) {
        (Some(o), Some(n)) => Some(crate::model::Sentiment {
            customer: n.customer.or(o.customer),
            agent: n.agent.or(o.agent),
            customer_final_quarter: n.customer_final_quarter.or(o.customer_final_quarter),
        }),
        (o, n) => n.or(o),
    };
    Interaction {
        id: old.id,
        source: old.source,
        external_id: old.external_id,
        agent_id: new.agent_id.or(old.agent_id),
        team_id: None,
        channel: if new.channel == crate::model::Channel::Other {
            old.channel
        } else {
            new.channel
        },
        direction: if new.direction == crate::model::Direction::Unknown {
            old.direction
        } else {
            new.direction
        },
        started_at: new.started_at.or(old.started_at),
        ended_at: new.ended_at.or(old.ended_at),
        handle_ms: new.handle_ms.or(old.handle_ms),
        talk_ms: new.talk_ms.or(old.talk_ms),
        hold_ms: new.hold_ms.or(old.hold_ms),
        after_work_ms: new.after_work_ms.or(old.after_work_ms),
        non_talk_ms: new.non_talk_ms.or(old.non_talk_ms),
        agent_talk_ms: new.agent_talk_ms.or(old.agent_talk_ms),
        customer_talk_ms: new.customer_talk_ms.or(old.customer_talk_ms),
        alert_ms: new.alert_ms.or(old.alert_ms),
        answer_ms: new.answer_ms.or(old.answer_ms),
        issues: union(old.issues, new.issues),
        outcomes: union(old.outcomes, new.outcomes),
        action_items: union(old.action_items, new.action_items),
        agent_interruptions: new.agent_interruptions.or(old.agent_interruptions),
        related_external_ids: union(old.related_external_ids, new.related_external_ids),
        queue: new.queue.or(old.queue),
        topics: union(old.topics, new.topics),
        sentiment,
        wrap_up: new.wrap_up.or(old.wrap_up),
        updated_at: new.updated_at.max(old.updated_at),
        received_at: old.received_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Direction, Sentiment};

    fn interaction(ext: &str) -> Interaction {
        Interaction {
            id: "01J".into(),
            source: "connect".into(),
            external_id: ext.into(),
            agent_id: Some("a1".into()),
            team_id: None,
            channel: Channel::Voice,
            direction: Direction::Inbound,
            started_at: Some(1_000),
            ended_at: Some(61_000),
            handle_ms: Some(60_000),
            talk_ms: None,
            hold_ms: Some(5_000),
            after_work_ms: None,
            non_talk_ms: None,
            agent_talk_ms: None,
            customer_talk_ms: None,
            alert_ms: Some(4_000),
            answer_ms: None,
            issues: vec!["wants to cancel".into()],
            outcomes: Vec::new(),
            action_items: Vec::new(),
            agent_interruptions: None,
            related_external_ids: vec!["prev".into()],
            queue: Some("billing".into()),
            topics: vec!["billing".into()],
            sentiment: Some(Sentiment {
                customer: Some(-1.0),
                agent: None,
                customer_final_quarter: None,
            }),
            wrap_up: None,
            updated_at: Some(10),
            received_at: 99,
        }
    }

    #[test]
    fn a_partial_delivery_adds_fields_and_keeps_the_rest() {
        let old = interaction("c1");
        let mut analysis = interaction("c1");
        analysis.id = String::new();
        analysis.agent_id = None;
        analysis.channel = Channel::Other;
        analysis.direction = Direction::Unknown;
        analysis.started_at = None;
        analysis.ended_at = None;
        analysis.handle_ms = None;
        analysis.hold_ms = None;
        analysis.talk_ms = Some(40_000);
        analysis.non_talk_ms = Some(3_000);
        analysis.agent_interruptions = Some(2);
        analysis.related_external_ids = vec!["next".into(), "prev".into()];
        analysis.queue = None;
        analysis.topics = vec!["cancellation".into()];
        analysis.sentiment = Some(Sentiment {
            customer: None,
            agent: Some(2.0),
            customer_final_quarter: Some(-3.0),
        });
        analysis.updated_at = None;
        analysis.received_at = 0;
        let m = merge_interaction(old, analysis);
        assert_eq!(m.id, "01J");
        assert_eq!(m.received_at, 99);
        assert_eq!(m.agent_id.as_deref(), Some("a1"));
        assert_eq!(m.channel, Channel::Voice);
        assert_eq!(m.direction, Direction::Inbound);
        assert_eq!(
            (m.started_at, m.handle_ms, m.hold_ms),
            (Some(1_000), Some(60_000), Some(5_000))
        );
        assert_eq!(
            (m.talk_ms, m.non_talk_ms, m.agent_interruptions),
            (Some(40_000), Some(3_000), Some(2))
        );
        assert_eq!(
            m.related_external_ids,
            vec!["prev".to_string(), "next".to_string()]
        );
        assert_eq!(
            m.topics,
            vec!["billing".to_string(), "cancellation".to_string()]
        );
        assert_eq!(
            m.sentiment,
            Some(Sentiment {
                customer: Some(-1.0),
                agent: Some(2.0),
                customer_final_quarter: Some(-3.0)
            })
        );
        assert_eq!(m.updated_at, Some(10));
        assert_eq!(m.queue.as_deref(), Some("billing"));
    }

    #[test]
    fn per_party_talk_and_detected_items_merge_field_by_field() {
        let old = interaction("c1");
        let mut analysis = interaction("c1");
        analysis.alert_ms = None;
        analysis.agent_talk_ms = Some(15_079);
        analysis.customer_talk_ms = Some(13_619);
        analysis.issues = vec!["wants to cancel".into(), "billed twice".into()];
        analysis.outcomes = vec!["discount applied".into()];
        analysis.action_items = vec!["call back next week".into()];
        let m = merge_interaction(old, analysis);
        assert_eq!(
            (m.agent_talk_ms, m.customer_talk_ms, m.alert_ms, m.answer_ms),
            (Some(15_079), Some(13_619), Some(4_000), None),
            "what the delivery leaves out is kept"
        );
        assert_eq!(m.issues, vec!["wants to cancel", "billed twice"]);
        assert_eq!(m.outcomes, vec!["discount applied"]);
        assert_eq!(m.action_items, vec!["call back next week"]);
    }

    #[test]
    fn credentials_never_reach_an_adapter_or_a_dead_letter() {
        let d = Delivery::new(
            "POST",
            "http://h/v1/ingest/x".into(),
            vec![
                ("Authorization".into(), "Bearer sc_secret".into()),
                ("Cookie".into(), "a=b".into()),
                ("X-Twilio-Signature".into(), "sig".into()),
            ],
            b"{}".to_vec(),
        );
        assert_eq!(
            d.headers,
            vec![("x-twilio-signature".to_string(), "sig".to_string())]
        );
    }

    /// Every order of the deliveries of one contact ends in the same record.
    fn settle_all(order: &[&Interaction]) -> Interaction {
        let mut stored: Option<Interaction> = None;
        for d in order {
            stored = Some(settle(stored, (*d).clone()));
        }
        stored.expect("at least one delivery")
    }

    fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut p in permutations(&rest) {
                p.insert(0, first.clone());
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn a_live_snapshot_arriving_after_the_final_one_never_takes_its_values_back() {
        // Genesys analytics: a snapshot while the call was live (no
        // conversationEnd, tTalk so far), the final one, and a post-call
        // analysis that knows nothing of the lifecycle.
        let mut live = interaction("c1");
        live.ended_at = None;
        live.handle_ms = None;
        live.talk_ms = Some(10_000);
        live.updated_at = None;
        live.topics = vec!["billing".into()];
        let mut done = interaction("c1");
        done.talk_ms = Some(30_000);
        done.handle_ms = Some(40_000);
        done.updated_at = None;
        done.wrap_up = Some("resolved".into());
        let mut analysis = interaction("c1");
        analysis.started_at = None;
        analysis.ended_at = None;
        analysis.handle_ms = None;
        analysis.hold_ms = None;
        analysis.talk_ms = None;
        analysis.non_talk_ms = Some(3_000);
        analysis.updated_at = None;
        analysis.topics = vec!["cancellation".into()];
        for order in permutations(&[&live, &done, &analysis]) {
            let m = settle_all(&order);
            let names: Vec<_> = order.iter().map(|d| d.talk_ms).collect();
            assert_eq!(m.ended_at, Some(61_000), "order {names:?}");
            assert_eq!(m.talk_ms, Some(30_000), "order {names:?}");
            assert_eq!(m.handle_ms, Some(40_000), "order {names:?}");
            assert_eq!(m.non_talk_ms, Some(3_000), "order {names:?}");
            assert_eq!(m.wrap_up.as_deref(), Some("resolved"), "order {names:?}");
            let mut topics = m.topics.clone();
            topics.sort();
            assert_eq!(topics, ["billing", "cancellation"], "order {names:?}");
        }
        // Alternating redeliveries of the two snapshots never flip it.
        let mut stored = settle(None, done.clone());
        for _ in 0..3 {
            stored = settle(Some(stored), live.clone());
            assert_eq!(stored.talk_ms, Some(30_000));
            stored = settle(Some(stored), done.clone());
            assert_eq!(stored.talk_ms, Some(30_000));
        }
    }

    #[test]
    fn the_vendors_update_time_orders_deliveries_in_every_order() {
        let mut first = interaction("c1");
        first.updated_at = Some(100);
        first.talk_ms = Some(1_000);
        first.wrap_up = Some("early".into());
        let mut second = interaction("c1");
        second.updated_at = Some(200);
        second.talk_ms = Some(2_000);
        second.wrap_up = None;
        let mut third = interaction("c1");
        third.updated_at = Some(300);
        third.talk_ms = Some(3_000);
        third.hold_ms = None;
        for order in permutations(&[&first, &second, &third]) {
            let m = settle_all(&order);
            assert_eq!(m.talk_ms, Some(3_000));
            assert_eq!(m.updated_at, Some(300));
            // An older delivery still fills what the newer ones lack.
            assert_eq!(m.wrap_up.as_deref(), Some("early"));
            assert_eq!(m.hold_ms, Some(5_000));
        }
    }

    #[test]
    fn a_dead_letter_digest_covers_the_whole_request() {
        let d = |url: &str, headers: Vec<(String, String)>, body: &[u8]| {
            Delivery::new("POST", url.into(), headers, body.to_vec()).digest("connect")
        };
        let base = d("http://h/x", vec![], b"{}");
        assert_eq!(base, d("http://h/x", vec![], b"{}"));
        assert_ne!(base, d("http://h/x?contact_id=1", vec![], b"{}"));
        assert_ne!(
            base,
            d("http://h/x", vec![("x-a".into(), "1".into())], b"{}")
        );
        assert_ne!(base, d("http://h/x", vec![], b"{ }"));
        assert_ne!(
            base,
            Delivery::new("POST", "http://h/x".into(), vec![], b"{}".to_vec()).digest("genesys")
        );
        // Credentials never count: they are not kept.
        assert_eq!(
            base,
            d(
                "http://h/x",
                vec![("Authorization".into(), "Bearer t".into())],
                b"{}"
            )
        );
    }

    #[test]
    fn a_correction_sets_query_parameters_and_headers_and_keeps_the_rest() {
        let d = Delivery::new(
            "POST",
            "http://h/v1/ingest/cl?a=1&contact_id=old&b=%20x".into(),
            vec![("content-type".into(), "text/plain".into())],
            b"{}".to_vec(),
        );
        let c = ReplayCorrection {
            query: [("contact_id".to_string(), "c 9".to_string())].into(),
            headers: [("Content-Type".to_string(), "application/json".to_string())].into(),
        };
        let fixed = d.corrected(&c);
        assert_eq!(fixed.url, "http://h/v1/ingest/cl?a=1&b=%20x&contact_id=c+9");
        assert_eq!(
            fixed.headers,
            vec![("content-type".to_string(), "application/json".to_string())]
        );
        let bare = Delivery::new("POST", "http://h/p".into(), vec![], vec![]).corrected(&c);
        assert!(bare.url.ends_with("/p?contact_id=c+9"), "{}", bare.url);
        let creds = ReplayCorrection {
            headers: [("Authorization".to_string(), "x".to_string())].into(),
            ..ReplayCorrection::default()
        };
        assert!(check_correction(&creds).is_err());
    }
}
