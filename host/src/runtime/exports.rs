//! The typed exports of each plugin world (adapter `ingest`, scorer
//! `score`, matcher `rank`, flagger `flag`, every world's `describe`), in
//! model types, each through the one call path of [`super::call`].

use super::*;
use crate::model::PluginErrorCode;

impl Runtime {
    /// Ask an adapter to verify and parse one vendor request.
    pub async fn ingest(
        &self,
        id: &str,
        request: InboundRequest,
    ) -> Result<CallReport<Result<IngestOutput, PluginError>>, Box<FailedCall>> {
        self.call(id, PluginKind::Adapter, None, request, ingest_call)
            .await
    }

    /// Score a batch of evaluations of one form.
    pub async fn score(
        &self,
        id: &str,
        form: Form,
        evaluations: Vec<EvaluationEvent>,
    ) -> Result<CallReport<Vec<Result<Scorecard, PluginError>>>, Box<FailedCall>> {
        self.call(
            id,
            PluginKind::Scorer,
            None,
            ScoreInput { form, evaluations },
            score_call,
        )
        .await
    }

    /// Score a batch with a given installed version of a scorer (re-scoring
    /// history with an older or newer rule), `None` = the active one. The
    /// same call path as every call: refused while the plugin is disabled
    /// or tripped, in the plugin's call slots, under the chosen version's
    /// limits, counted by the plugin's breaker.
    pub async fn score_with_version(
        &self,
        id: &str,
        version: Option<&str>,
        form: Form,
        evaluations: Vec<EvaluationEvent>,
    ) -> Result<CallReport<Vec<Result<Scorecard, PluginError>>>, Box<FailedCall>> {
        self.call(
            id,
            PluginKind::Scorer,
            version,
            ScoreInput { form, evaluations },
            score_call,
        )
        .await
    }

    /// Score (protégé, mentor) pairs: a 0.1.0 matcher's `rank` (every pair
    /// worth considering, with reasons) or a 0.4.0 matcher's `score` (a
    /// matrix of scores; reasons through [`Runtime::explain`]).
    pub async fn rank(
        &self,
        id: &str,
        proteges: Vec<Protege>,
        mentors: Vec<Mentor>,
    ) -> Result<CallReport<Result<PairScores, PluginError>>, Box<FailedCall>> {
        self.call(
            id,
            PluginKind::Matcher,
            None,
            (proteges, mentors),
            rank_call,
        )
        .await
    }

    /// The reasons of the named (protégé index, mentor index) pairs, in
    /// order, from a 0.4.0 matcher's `explain`; a 0.1.0 matcher gave its
    /// reasons with its scores and is asked `rank` again, its reasons kept
    /// for the pairs named.
    pub async fn explain(
        &self,
        id: &str,
        proteges: Vec<Protege>,
        mentors: Vec<Mentor>,
        pairs: Vec<(u32, u32)>,
    ) -> Result<CallReport<Result<Vec<Vec<String>>, PluginError>>, Box<FailedCall>> {
        self.call(
            id,
            PluginKind::Matcher,
            None,
            ExplainInput {
                proteges,
                mentors,
                pairs,
            },
            explain_call,
        )
        .await
    }

    /// Flag a batch of events.
    pub async fn flag(
        &self,
        id: &str,
        events: Vec<Event>,
    ) -> Result<CallReport<Result<Vec<Flag>, PluginError>>, Box<FailedCall>> {
        self.call(id, PluginKind::Flagger, None, events, flag_call)
            .await
    }
}

type HostStore = wasmtime::Store<sandbox::HostState>;

fn ingest_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    request: InboundRequest,
) -> CallFuture<'a, Result<IngestOutput, PluginError>> {
    Box::pin(async move {
        match instance {
            // 0.1.0 adapters reject whole requests only.
            Instance::Adapter(a) => {
                let out = a.call_ingest(store, &request.into()).await?;
                Ok(out
                    .map(|events| IngestOutput {
                        events: events.into_iter().map(Into::into).collect(),
                        rejected: Vec::new(),
                        segments: Vec::new(),
                    })
                    .map_err(Into::into))
            }
            Instance::AdapterV2(a) => {
                let out = a.call_ingest(store, &request.into()).await?;
                Ok(out.map(Into::into).map_err(Into::into))
            }
            // 0.3.0 adapters may also return live segments.
            Instance::AdapterV3(a) => {
                let out = a.call_ingest(store, &request.into()).await?;
                Ok(out.map(Into::into).map_err(Into::into))
            }
            _ => unreachable!("kind checked before the call"),
        }
    })
}

fn score_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    input: ScoreInput,
) -> CallFuture<'a, Vec<Result<Scorecard, PluginError>>> {
    Box::pin(async move {
        let Instance::Scorer(s) = instance else {
            unreachable!("kind checked before the call")
        };
        let evals: Vec<_> = input.evaluations.into_iter().map(Into::into).collect();
        let out = s.call_score(store, &input.form.into(), &evals).await?;
        Ok(out
            .into_iter()
            .map(|r| r.map(Into::into).map_err(Into::into))
            .collect())
    })
}

fn rank_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    (proteges, mentors): (Vec<Protege>, Vec<Mentor>),
) -> CallFuture<'a, Result<PairScores, PluginError>> {
    Box::pin(async move {
        match instance {
            Instance::Matcher(m) => {
                let p: Vec<_> = proteges.into_iter().map(Into::into).collect();
                let mentors: Vec<_> = mentors.into_iter().map(Into::into).collect();
                let out = m.call_rank(store, &p, &mentors).await?;
                Ok(out
                    .map(|v| PairScores::Ranked(v.into_iter().map(Into::into).collect()))
                    .map_err(Into::into))
            }
            Instance::MatcherV4(m) => {
                let p: Vec<_> = proteges.into_iter().map(Into::into).collect();
                let mentors: Vec<_> = mentors.into_iter().map(Into::into).collect();
                let out = m.call_score(store, &p, &mentors).await?;
                Ok(out.map(PairScores::Matrix).map_err(Into::into))
            }
            _ => unreachable!("kind checked before the call"),
        }
    })
}

/// An `explain` call's input.
struct ExplainInput {
    proteges: Vec<Protege>,
    mentors: Vec<Mentor>,
    pairs: Vec<(u32, u32)>,
}

impl WireSize for ExplainInput {
    fn wire_size(&self) -> u64 {
        self.proteges.wire_size() + self.mentors.wire_size() + self.pairs.wire_size()
    }
}

fn explain_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    input: ExplainInput,
) -> CallFuture<'a, Result<Vec<Vec<String>>, PluginError>> {
    Box::pin(async move {
        match instance {
            Instance::Matcher(m) => {
                let p: Vec<_> = input.proteges.into_iter().map(Into::into).collect();
                let mentors: Vec<_> = input.mentors.into_iter().map(Into::into).collect();
                let out = m.call_rank(store, &p, &mentors).await?;
                Ok(out
                    .map(|scored| {
                        let mut by_pair: std::collections::HashMap<(u32, u32), Vec<String>> =
                            scored
                                .into_iter()
                                .map(|s| ((s.protege_index, s.mentor_index), s.reasons))
                                .collect();
                        input
                            .pairs
                            .iter()
                            .map(|k| by_pair.remove(k).unwrap_or_default())
                            .collect()
                    })
                    .map_err(Into::into))
            }
            Instance::MatcherV4(m) => {
                let p: Vec<_> = input.proteges.into_iter().map(Into::into).collect();
                let mentors: Vec<_> = input.mentors.into_iter().map(Into::into).collect();
                let pairs: Vec<_> = input
                    .pairs
                    .iter()
                    .map(
                        |&(protege_index, mentor_index)| super::wit::v0_4_0::types::PairRef {
                            protege_index,
                            mentor_index,
                        },
                    )
                    .collect();
                let out = m.call_explain(store, &p, &mentors, &pairs).await?;
                // One list of reasons per pair asked, or the answer is wrong
                // for every caller alike.
                Ok(out.map_err(Into::into).and_then(|reasons| {
                    if reasons.len() == pairs.len() {
                        Ok(reasons)
                    } else {
                        Err(PluginError {
                            code: PluginErrorCode::Internal,
                            message: format!(
                                "explained {} pairs of the {} asked",
                                reasons.len(),
                                pairs.len()
                            ),
                            field: None,
                        })
                    }
                }))
            }
            _ => unreachable!("kind checked before the call"),
        }
    })
}

fn flag_call<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    events: Vec<Event>,
) -> CallFuture<'a, Result<Vec<Flag>, PluginError>> {
    Box::pin(async move {
        let Instance::Flagger(f) = instance else {
            unreachable!("kind checked before the call")
        };
        let ev: Vec<_> = events.into_iter().map(Into::into).collect();
        let out = f.call_flag(store, &ev).await?;
        Ok(out
            .map(|v| v.into_iter().map(Into::into).collect())
            .map_err(Into::into))
    })
}

/// A scorer call's input.
struct ScoreInput {
    form: Form,
    evaluations: Vec<EvaluationEvent>,
}

impl WireSize for ScoreInput {
    fn wire_size(&self) -> u64 {
        self.form.wire_size() + self.evaluations.wire_size()
    }
}

impl WireSize for () {
    fn wire_size(&self) -> u64 {
        0
    }
}

impl WireSize for PluginInfo {
    fn wire_size(&self) -> u64 {
        self.name.wire_size() + self.version.wire_size() + self.description.wire_size()
    }
}

pub(super) fn describe<'a>(
    instance: &'a Instance,
    store: &'a mut HostStore,
    _: (),
) -> CallFuture<'a, PluginInfo> {
    Box::pin(async move {
        Ok(match instance {
            Instance::Adapter(p) => p.call_describe(store).await?.into(),
            Instance::AdapterV2(p) => p.call_describe(store).await?.into(),
            Instance::AdapterV3(p) => p.call_describe(store).await?.into(),
            Instance::Scorer(p) => p.call_describe(store).await?.into(),
            Instance::Matcher(p) => p.call_describe(store).await?.into(),
            Instance::MatcherV4(p) => p.call_describe(store).await?.into(),
            Instance::Flagger(p) => p.call_describe(store).await?.into(),
        })
    })
}
