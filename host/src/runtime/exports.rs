//! The typed exports of each plugin world (adapter `ingest`, scorer
//! `score`, matcher `rank`, flagger `flag`, every world's `describe`), in
//! model types, each through the one call path of [`super::call`].

use super::*;

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

    /// Score (protégé, mentor) pairs.
    pub async fn rank(
        &self,
        id: &str,
        proteges: Vec<Protege>,
        mentors: Vec<Mentor>,
    ) -> Result<CallReport<Result<Vec<PairScore>, PluginError>>, Box<FailedCall>> {
        self.call(
            id,
            PluginKind::Matcher,
            None,
            (proteges, mentors),
            rank_call,
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
) -> CallFuture<'a, Result<Vec<PairScore>, PluginError>> {
    Box::pin(async move {
        let Instance::Matcher(m) = instance else {
            unreachable!("kind checked before the call")
        };
        let p: Vec<_> = proteges.into_iter().map(Into::into).collect();
        let mentors: Vec<_> = mentors.into_iter().map(Into::into).collect();
        let out = m.call_rank(store, &p, &mentors).await?;
        Ok(out
            .map(|v| v.into_iter().map(Into::into).collect())
            .map_err(Into::into))
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
            Instance::Flagger(p) => p.call_describe(store).await?.into(),
        })
    })
}
