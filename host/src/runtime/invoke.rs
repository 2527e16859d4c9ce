//! Invoking a plugin on a JSON input shaped for its world: what `POST
//! /v1/plugins/{id}/invoke` and `sidecoach plugin test` both run, through
//! the one call path of [`super::call`] (so under the plugin's limits,
//! grants, call slots and breaker, like any other call).

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;
use crate::model::{PairScore, PluginErrorCode};

/// A plugin call's input, typed by the plugin's world.
#[derive(Debug)]
pub enum InvokeInput {
    /// A vendor request for an adapter.
    Adapter(InboundRequest),
    /// One form and evaluations of it for a scorer.
    Scorer {
        /// The form.
        form: Form,
        /// The evaluations.
        evaluations: Vec<EvaluationEvent>,
    },
    /// Protégés and mentors for a matcher.
    Matcher {
        /// The protégés.
        proteges: Vec<Protege>,
        /// The mentors.
        mentors: Vec<Mentor>,
    },
    /// A batch of events for a flagger.
    Flagger {
        /// The events.
        events: Vec<Event>,
    },
}

/// Adapter input: a vendor request to replay, as the host hands it over.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdapterInput {
    /// The body as text…
    #[serde(default)]
    body: Option<String>,
    /// …or as base64 for binary payloads.
    #[serde(default)]
    body_base64: Option<String>,
    #[serde(default = "default_method")]
    method: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    source: String,
    #[serde(default)]
    source_config: BTreeMap<String, String>,
}

fn default_method() -> String {
    "POST".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScorerInput {
    form: Form,
    evaluations: Vec<EvaluationEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatcherInput {
    proteges: Vec<Protege>,
    mentors: Vec<Mentor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlaggerInput {
    events: Vec<Event>,
}

impl InvokeInput {
    /// Reads `value` as the input of a `kind` plugin. The error says what
    /// is wrong, naming the field.
    ///
    /// * adapter: `{"method", "url", "headers": {…}, "body" | "body_base64",
    ///   "source", "source_config": {…}}` (all optional; POST by default);
    /// * scorer: `{"form", "evaluations": […]}`;
    /// * matcher: `{"proteges": […], "mentors": […]}`;
    /// * flagger: `{"events": […]}`.
    pub fn from_json(kind: PluginKind, value: Value) -> Result<InvokeInput, String> {
        Ok(match kind {
            PluginKind::Adapter => {
                let input: AdapterInput = parse(value, kind)?;
                let body = match (input.body, input.body_base64) {
                    (Some(_), Some(_)) => {
                        return Err("give `body` or `body_base64`, not both".into());
                    }
                    (Some(text), None) => text.into_bytes(),
                    (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|e| format!("`body_base64` is not base64: {e}"))?,
                    (None, None) => Vec::new(),
                };
                InvokeInput::Adapter(InboundRequest {
                    source: input.source,
                    method: input.method,
                    url: input.url,
                    headers: input
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v))
                        .collect(),
                    body,
                    source_config: input.source_config.into_iter().collect(),
                })
            }
            PluginKind::Scorer => {
                let ScorerInput { form, evaluations } = parse(value, kind)?;
                InvokeInput::Scorer { form, evaluations }
            }
            PluginKind::Matcher => {
                let MatcherInput { proteges, mentors } = parse(value, kind)?;
                InvokeInput::Matcher { proteges, mentors }
            }
            PluginKind::Flagger => {
                let FlaggerInput { events } = parse(value, kind)?;
                InvokeInput::Flagger { events }
            }
        })
    }
}

fn parse<T: DeserializeOwned>(v: Value, kind: PluginKind) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            format!("invalid {kind} input: {}", e.inner())
        } else {
            format!("invalid {kind} input at `{path}`: {}", e.inner())
        }
    })
}

/// The report with its output as JSON (`{"Ok": …}` / `{"Err": …}` for results).
fn as_json<T: serde::Serialize>(
    r: Result<CallReport<T>, Box<FailedCall>>,
) -> Result<CallReport<Value>, Box<FailedCall>> {
    r.map(|r| r.map(|o| serde_json::to_value(&o).expect("model types serialise")))
}

impl Runtime {
    /// Runs plugin `id` on `input` (which must be of its world) through the
    /// plugin's call path, and returns its output as JSON with what it cost.
    pub async fn invoke(
        &self,
        id: &str,
        input: InvokeInput,
    ) -> Result<CallReport<Value>, Box<FailedCall>> {
        match input {
            InvokeInput::Adapter(request) => as_json(self.ingest(id, request).await),
            InvokeInput::Scorer { form, evaluations } => {
                as_json(self.score(id, form, evaluations).await)
            }
            InvokeInput::Matcher { proteges, mentors } => {
                as_json(self.rank_with_reasons(id, proteges, mentors).await)
            }
            InvokeInput::Flagger { events } => as_json(self.flag(id, events).await),
        }
    }
}

impl Runtime {
    /// A matcher's scored pairs with their reasons, whatever its API: what
    /// a 0.1.0 matcher's `rank` returns, and for a 0.4.0 matcher its
    /// `score` matrix as the same pairs (the ones it did not rule out),
    /// each explained by a second call. So `plugin test` cases and
    /// `/invoke` read alike for both versions; the report adds up both
    /// calls.
    async fn rank_with_reasons(
        &self,
        id: &str,
        proteges: Vec<Protege>,
        mentors: Vec<Mentor>,
    ) -> Result<CallReport<Result<Vec<PairScore>, PluginError>>, Box<FailedCall>> {
        let mut matrix = None;
        let scored = self
            .rank(id, proteges.clone(), mentors.clone())
            .await?
            .map(|output| match output {
                Ok(PairScores::Ranked(pairs)) => Ok(pairs),
                Ok(scores) => {
                    matrix = Some(scores);
                    Ok(Vec::new())
                }
                Err(e) => Err(e),
            });
        let Some(matrix) = matrix else {
            return Ok(scored);
        };
        let allowed = match matrix.allowed(proteges.len(), mentors.len()) {
            Ok(a) => a,
            Err(message) => {
                return Ok(scored.map(|_| {
                    Err(PluginError {
                        code: PluginErrorCode::InvalidInput,
                        message: format!("the matcher {message}"),
                        field: None,
                    })
                }));
            }
        };
        let named: Vec<(u32, u32)> = allowed
            .iter()
            .map(|&(p, m, _)| (p as u32, m as u32))
            .collect();
        let mut explained = self.explain(id, proteges, mentors, named).await?;
        let mut log = scored.log;
        log.append(std::mem::take(&mut explained.log));
        let output = explained.output.map(|reasons| {
            allowed
                .into_iter()
                .zip(reasons)
                .map(|((p, m, score), reasons)| PairScore {
                    protege_index: p as u32,
                    mentor_index: m as u32,
                    score,
                    reasons,
                })
                .collect()
        });
        Ok(CallReport {
            output,
            plugin_version: explained.plugin_version,
            log,
            duration: scored.duration + explained.duration,
            fuel_consumed: scored
                .fuel_consumed
                .zip(explained.fuel_consumed)
                .map(|(a, b)| a + b),
            peak_memory_bytes: scored.peak_memory_bytes.max(explained.peak_memory_bytes),
            input_bytes: scored.input_bytes + explained.input_bytes,
            output_bytes: scored.output_bytes + explained.output_bytes,
        })
    }
}
