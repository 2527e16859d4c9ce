//! Scoring: stored QA evaluations → the form's scorer plugin → stored
//! scorecards that name the plugin and version; and re-scoring history with
//! another scorer or version, reporting what moved.
//!
//! Evaluations are scored in batches (one plugin call carries
//! `[scoring] batch` of them, grouped by form version). An evaluation the
//! scorer cannot score — its own error, or the call failing — stays stored,
//! with `score_error` saying why; a later re-score with `commit` fills it in.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::now_ms;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::model::{
    Evaluation, EvaluationEvent, Form, PluginError, RescoreFailure, RescoreReport, RescoreRequest,
    ScoreChange, ScoreFailure, Scorecard, StoredScorecard,
};
use crate::records::{Filter, RecordError, Records, Term};
use crate::runtime::Runtime;

/// The code of a scorer's card that fails [`Scorecard::check`]: the
/// evaluation stays stored unscored, `score_error` naming the field.
pub const INVALID_OUTPUT: &str = "plugin_invalid_output";

/// A score change smaller than this is no change.
const EPSILON: f64 = 1e-9;

/// The scoring service.
#[derive(Clone)]
pub struct Scoring {
    runtime: Arc<Runtime>,
    records: Records,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
}

/// One scorer run over evaluations of one form version.
struct Run {
    /// `id@version` of the scorer that ran (or was asked for).
    plugin_id: String,
    plugin_version: Option<String>,
    /// Per evaluation, in order.
    results: Vec<Result<Scorecard, ScoreFailure>>,
}

fn code_of(e: &PluginError) -> String {
    serde_json::to_value(e.code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "plugin-error".into())
}

impl Scoring {
    /// The service over the runtime and the records.
    pub fn new(
        runtime: Arc<Runtime>,
        records: Records,
        config: Arc<Config>,
        metrics: Arc<Metrics>,
    ) -> Scoring {
        Scoring {
            runtime,
            records,
            config,
            metrics,
        }
    }

    /// The scorer plugin a form uses.
    pub fn scorer_for(&self, form: &Form) -> String {
        form.scorer
            .clone()
            .unwrap_or_else(|| self.config.scoring.default_scorer.clone())
    }

    /// Score `evals` (one form version) with `plugin` at `version` (the
    /// active one when `None`), in batches.
    async fn run(
        &self,
        form: &Form,
        plugin: &str,
        version: Option<&str>,
        evals: &[Evaluation],
    ) -> Run {
        let mut run = Run {
            plugin_id: plugin.to_string(),
            plugin_version: version.map(str::to_string),
            results: Vec::with_capacity(evals.len()),
        };
        for chunk in evals.chunks(self.config.scoring.batch.max(1)) {
            let events = chunk.iter().map(EvaluationEvent::from).collect();
            let call = self
                .runtime
                .score_with_version(plugin, version, form.clone(), events)
                .await;
            let at = now_ms();
            let failure = |code: String, message: String| ScoreFailure {
                plugin_id: plugin.to_string(),
                code,
                message,
                at,
            };
            match call {
                Ok(report) if report.output.len() == chunk.len() => {
                    run.plugin_version = Some(report.plugin_version.clone());
                    run.results
                        .extend(report.output.into_iter().zip(chunk).map(|(r, e)| {
                            let card = r.map_err(|e| failure(code_of(&e), e.message))?;
                            card.check(form, &e.external_id).map_err(|bad| {
                                tracing::warn!(plugin, evaluation = %e.id, field = %bad.field, "scorer output refused");
                                failure(
                                    INVALID_OUTPUT.into(),
                                    format!("{plugin} returned an invalid scorecard: {bad}"),
                                )
                            })?;
                            Ok(card)
                        }));
                }
                Ok(report) => {
                    let message = format!(
                        "the scorer returned {} results for {} evaluations",
                        report.output.len(),
                        chunk.len()
                    );
                    tracing::error!(plugin, %message, "scorer broke the batch contract");
                    run.results.extend(
                        chunk
                            .iter()
                            .map(|_| Err(failure("internal".into(), message.clone()))),
                    );
                }
                Err(failed) => {
                    tracing::warn!(plugin, error = %failed.error, evaluations = chunk.len(), "scoring call failed; evaluations kept unscored");
                    let code = failed.error.code();
                    run.results.extend(
                        chunk
                            .iter()
                            .map(|_| Err(failure(code.to_string(), failed.error.to_string()))),
                    );
                }
            }
        }
        let (ok, fail, error) = run.results.iter().fold((0, 0, 0), |(o, f, e), r| match r {
            Ok(c) if c.outcome == crate::model::Outcome::Pass => (o + 1, f, e),
            Ok(_) => (o, f + 1, e),
            Err(_) => (o, f, e + 1),
        });
        for (outcome, n) in [("pass", ok), ("fail", fail), ("error", error)] {
            self.metrics.record_scorecards(plugin, outcome, n);
        }
        run
    }

    /// Score freshly stored evaluations with their forms' scorers; returns
    /// them with `scorecard` or `score_error` set (not yet written).
    pub async fn score(&self, evals: Vec<Evaluation>) -> Result<Vec<Evaluation>, RecordError> {
        let mut groups: BTreeMap<(String, u32), Vec<Evaluation>> = BTreeMap::new();
        for e in evals {
            groups
                .entry((e.form_id.clone(), e.form_version))
                .or_default()
                .push(e);
        }
        let mut out = Vec::new();
        for ((form_id, version), mut evals) in groups {
            let form = self.records.contacts.form(&form_id, Some(version))?.form;
            let plugin = self.scorer_for(&form);
            let run = self.run(&form, &plugin, None, &evals).await;
            let at = now_ms();
            for (e, r) in evals.iter_mut().zip(run.results) {
                match r {
                    Ok(card) => {
                        e.scorecard = Some(StoredScorecard {
                            card,
                            plugin_id: run.plugin_id.clone(),
                            plugin_version: run.plugin_version.clone().unwrap_or_default(),
                            scored_at: at,
                        });
                        e.score_error = None;
                    }
                    Err(f) => e.score_error = Some(f),
                }
            }
            out.extend(evals);
        }
        Ok(out)
    }

    /// Re-score a form's stored evaluations in a time range with another
    /// scorer or version; report the diff, and store it when `commit`.
    pub async fn rescore(
        &self,
        form_id: &str,
        req: RescoreRequest,
        actor: &str,
    ) -> Result<RescoreReport, RecordError> {
        let latest = self.records.contacts.form(form_id, None)?;
        let plugin = req
            .plugin
            .clone()
            .unwrap_or_else(|| self.scorer_for(&latest.form));
        self.check_scorer(&plugin, req.version.as_deref())?;
        let mut report = RescoreReport {
            form_id: form_id.to_string(),
            scorer: String::new(),
            evaluations: 0,
            unchanged: 0,
            changed: Vec::new(),
            outcome_flips: 0,
            mean_delta: None,
            failed: Vec::new(),
            committed: req.commit,
        };
        let mut version_ran = req.version.clone();
        let mut cursor = None;
        let mut forms: BTreeMap<u32, Form> = BTreeMap::new();
        let mut staged = 0usize;
        loop {
            let page = self.records.contacts.evaluations(Filter {
                term: Some(Term::Form(form_id.to_string())),
                from: req.from,
                to: req.to,
                cursor: cursor.take(),
                limit: Some(1000),
                ..Filter::default()
            })?;
            let mut by_version: BTreeMap<u32, Vec<Evaluation>> = BTreeMap::new();
            for e in page.items {
                by_version.entry(e.form_version).or_default().push(e);
            }
            for (version, evals) in by_version {
                let form = match forms.get(&version) {
                    Some(f) => f.clone(),
                    None => {
                        let f = self.records.contacts.form(form_id, Some(version))?.form;
                        forms.insert(version, f.clone());
                        f
                    }
                };
                let run = self
                    .run(&form, &plugin, req.version.as_deref(), &evals)
                    .await;
                if run.plugin_version.is_some() {
                    version_ran = run.plugin_version.clone();
                }
                let at = now_ms();
                for (mut e, r) in evals.into_iter().zip(run.results) {
                    report.evaluations += 1;
                    let card = match r {
                        Ok(card) => card,
                        Err(f) => {
                            report.failed.push(RescoreFailure {
                                evaluation_id: e.id.clone(),
                                code: f.code,
                                message: f.message,
                            });
                            continue;
                        }
                    };
                    let old = e.scorecard.as_ref();
                    let moved = old.is_none_or(|o| {
                        (o.card.score - card.score).abs() > EPSILON
                            || o.card.outcome != card.outcome
                    });
                    if moved {
                        if old.is_some_and(|o| o.card.outcome != card.outcome) {
                            report.outcome_flips += 1;
                        }
                        report.changed.push(ScoreChange {
                            evaluation_id: e.id.clone(),
                            agent_id: e.agent_id.clone(),
                            old_score: old.map(|o| o.card.score),
                            new_score: card.score,
                            delta: old.map(|o| card.score - o.card.score),
                            old_outcome: old.map(|o| o.card.outcome),
                            new_outcome: card.outcome,
                            old_scorer: old
                                .map(|o| format!("{}@{}", o.plugin_id, o.plugin_version)),
                        });
                    } else {
                        report.unchanged += 1;
                    }
                    let same_scorer = old.is_some_and(|o| {
                        o.plugin_id == plugin
                            && Some(&o.plugin_version) == run.plugin_version.as_ref()
                    });
                    if req.commit && (moved || !same_scorer) {
                        e.scorecard = Some(StoredScorecard {
                            card,
                            plugin_id: plugin.clone(),
                            plugin_version: run.plugin_version.clone().unwrap_or_default(),
                            scored_at: at,
                        });
                        e.score_error = None;
                        self.records.contacts.stage_scored(e)?;
                        staged += 1;
                    }
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        if staged > 0 {
            self.records.flush().await?;
        }
        let deltas: Vec<f64> = report.changed.iter().filter_map(|c| c.delta).collect();
        report.mean_delta =
            (!deltas.is_empty()).then(|| deltas.iter().sum::<f64>() / deltas.len() as f64);
        report.changed.sort_by(|a, b| {
            let key = |c: &ScoreChange| c.delta.map_or(f64::INFINITY, f64::abs);
            key(b).total_cmp(&key(a))
        });
        report.scorer = format!(
            "{plugin}@{}",
            version_ran.unwrap_or_else(|| "unknown".into())
        );
        if report.committed {
            let detail = format!(
                "{}: {} evaluations, {} changed, {} outcome flips",
                report.scorer,
                report.evaluations,
                report.changed.len(),
                report.outcome_flips
            );
            self.records
                .audit
                .audit(actor, "form.rescore", form_id, Some(detail))
                .await?;
        }
        Ok(report)
    }

    /// Refuse a re-score naming something that is not an installed scorer
    /// version, before any work.
    fn check_scorer(&self, plugin: &str, version: Option<&str>) -> Result<(), RecordError> {
        let detail = self
            .runtime
            .inspect(plugin)
            .map_err(|_| RecordError::Invalid {
                field: "plugin".into(),
                message: format!("no plugin {plugin:?} is installed"),
            })?;
        if detail.status.kind != crate::model::PluginKind::Scorer {
            return Err(RecordError::Invalid {
                field: "plugin".into(),
                message: format!(
                    "{plugin} is a {:?} plugin, not a scorer",
                    detail.status.kind
                ),
            });
        }
        if let Some(v) = version
            && !detail.versions.iter().any(|pv| pv.manifest.version == v)
        {
            let have: Vec<_> = detail
                .versions
                .iter()
                .map(|pv| pv.manifest.version.clone())
                .collect();
            return Err(RecordError::Invalid {
                field: "version".into(),
                message: format!(
                    "{plugin} has no installed version {v}; installed: {}",
                    have.join(", ")
                ),
            });
        }
        Ok(())
    }
}
