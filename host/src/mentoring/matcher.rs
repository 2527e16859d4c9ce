//! The matcher plugin and the assignment, for one match: the protégés
//! scored against the mentors in calls split across the cores, the optimal
//! assignment solved off the async workers ([`assign`]), and the reasons of
//! the offered pairs — given with the scores by a 0.1.0 matcher, asked for
//! afterwards (`explain`, offers only) from a 0.4.0 one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;

use super::assign;
use crate::model::{Mentor, PairScores, Protege};
use crate::records::RecordError;
use crate::runtime::Runtime;
use crate::work::Work;

/// Pairs per matcher call, about: a call scores its protégés against every
/// mentor (50,000 pairs of a 0.1.0 matcher, each with its reasons, stay well
/// inside the default 8 MiB output limit; a 0.4.0 matrix of as many is 400 kB).
const PAIRS_PER_CALL: usize = 50_000;

/// One `explain` call: the first protégé's index, the protégés, and the
/// (protégé within the call, mentor) pairs to explain.
type ExplainJob = (usize, Vec<Protege>, Vec<(u32, u32)>);

/// One match's outcome.
pub struct Matched {
    /// The optimal assignment with each protégé's shortlist.
    pub assignment: assign::Assignment,
    /// The reasons of every shortlisted (protégé, mentor) pair.
    pub reasons: HashMap<(usize, usize), Vec<String>>,
    /// The matcher version that ran.
    pub version: String,
    /// Wall time in the matcher plugin (scoring and explaining).
    pub matcher_ms: f64,
    /// Wall time of the assignment.
    pub solver_ms: f64,
}

/// Score `proteges` against `mentor_models` (each mentor's `capacity` its
/// places left) with the `matcher` plugin, leaving out self-pairs and the
/// `exclude`d (protégé id, mentor id) pairs, solve the assignment within
/// `work`'s deadline, and explain the offers. `at_once`: how many plugin
/// calls run at the same time (`None`: one per core, within the plugin's
/// `max_concurrency`).
pub async fn match_pairs(
    runtime: &Arc<Runtime>,
    work: &Work,
    matcher: &str,
    proteges: &[Protege],
    mentor_models: &[Mentor],
    exclude: &HashSet<(String, String)>,
    at_once: Option<usize>,
) -> Result<Matched, RecordError> {
    // The matcher plugin: the protégés split into calls of about
    // PAIRS_PER_CALL pairs, as many running at once as there are cores
    // (and the plugin allows), each against every mentor.
    let started = Instant::now();
    let mut version = String::new();
    let mut pairs = Vec::new();
    let mut reasons: HashMap<(usize, usize), Vec<String>> = HashMap::new();
    // A 0.4.0 matcher scores without reasons; it explains the offers
    // once the assignment is solved.
    let mut explain_later = false;
    let rows = (PAIRS_PER_CALL / mentor_models.len().max(1)).max(1);
    let at_once = at_once
        .unwrap_or_else(|| calls_at_once(runtime, matcher))
        .max(1);
    if !mentor_models.is_empty() {
        // Owned inputs: each call runs in a task of its own (spawned as
        // `buffer_unordered` asks for it, so `at_once` at a time).
        let chunks: Vec<(usize, Vec<Protege>)> = proteges
            .chunks(rows)
            .enumerate()
            .map(|(n, chunk)| (n * rows, chunk.to_vec()))
            .collect();
        let calls = chunks.into_iter().map(|(offset, chunk)| {
            let (runtime, matcher, mentors) =
                (runtime.clone(), matcher.to_string(), mentor_models.to_vec());
            // A task per call, so the calls run on every core.
            let call = tokio::spawn(async move {
                let len = chunk.len();
                (offset, len, runtime.rank(&matcher, chunk, mentors).await)
            });
            async move { call.await.map_err(|e| call_task_failed(&e)) }
        });
        let mut done = futures_util::stream::iter(calls)
            .buffer_unordered(at_once)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        // Completion order varies; the result must not.
        done.sort_by_key(|(offset, _, _)| *offset);
        for (offset, len, report) in done {
            let report = report.map_err(|f| {
                RecordError::Conflict(format!("matcher {matcher} failed: {}", f.error))
            })?;
            version = report.plugin_version.clone();
            let scores = report.output.map_err(|e| {
                RecordError::Conflict(format!("matcher {matcher} refused: {}", e.message))
            })?;
            let allowed = scores
                .allowed(len, mentor_models.len())
                .map_err(|e| RecordError::Conflict(format!("matcher {matcher} {e}")))?;
            let mut ranked_reasons = match scores {
                PairScores::Ranked(ranked) => Some(
                    ranked
                        .into_iter()
                        .map(|s| {
                            (
                                (s.protege_index as usize, s.mentor_index as usize),
                                s.reasons,
                            )
                        })
                        .collect::<HashMap<_, _>>(),
                ),
                PairScores::Matrix(_) => {
                    explain_later = true;
                    None
                }
            };
            for (local, m, score) in allowed {
                let p = offset + local;
                let (pid, mid) = (
                    &proteges[p].profile.agent_id,
                    &mentor_models[m].profile.agent_id,
                );
                if pid == mid || exclude.contains(&(pid.clone(), mid.clone())) {
                    continue;
                }
                pairs.push(assign::Pair {
                    protege: p,
                    mentor: m,
                    score,
                });
                if let Some(r) = ranked_reasons.as_mut().and_then(|r| r.remove(&(local, m))) {
                    reasons.insert((p, m), r);
                }
            }
        }
    }
    let mut matcher_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    let capacities: Vec<u32> = mentor_models.iter().map(|m| m.capacity).collect();
    // The assignment is the CPU-heavy part: off the async workers,
    // within the work deadline.
    let count = proteges.len();
    let solved = work
        .run("the mentor assignment", move |_| {
            assign::assign(count, &capacities, &pairs)
                .map_err(|e| RecordError::Conflict(format!("assignment: {e}")))
        })
        .await?;
    let solver_ms = started.elapsed().as_secs_f64() * 1e3;
    if explain_later {
        let started = Instant::now();
        reasons = explain_offers(
            runtime,
            matcher,
            proteges,
            mentor_models,
            &solved,
            rows,
            at_once,
        )
        .await?;
        matcher_ms += started.elapsed().as_secs_f64() * 1e3;
    }

    Ok(Matched {
        assignment: solved,
        reasons,
        version,
        matcher_ms,
        solver_ms,
    })
}

/// A matcher call's task that panicked or was cancelled.
fn call_task_failed(e: &tokio::task::JoinError) -> RecordError {
    RecordError::Conflict(format!("a matcher call's task failed: {e}"))
}

/// How many matcher calls of one match run at once: one per core, and
/// no more than the plugin's own `max_concurrency` (more would only wait
/// for its call slots, and could be answered busy).
fn calls_at_once(runtime: &Runtime, matcher: &str) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let plugin = runtime
        .status(matcher)
        .ok()
        .and_then(|s| s.limits)
        .map_or(1, |l| l.max_concurrency.max(1) as usize);
    cores.min(plugin).max(1)
}

/// The reasons of every shortlisted pair, from a 0.4.0 matcher's
/// `explain`: the protégés in the same calls as they were scored in
/// (`rows` per call), each call naming only its protégés' offers.
async fn explain_offers(
    runtime: &Arc<Runtime>,
    matcher: &str,
    proteges: &[Protege],
    mentors: &[Mentor],
    solved: &assign::Assignment,
    rows: usize,
    at_once: usize,
) -> Result<HashMap<(usize, usize), Vec<String>>, RecordError> {
    // Owned inputs and a task per call, as for the scoring calls.
    let mut jobs: Vec<ExplainJob> = Vec::new();
    for (n, chunk) in proteges.chunks(rows).enumerate() {
        let offset = n * rows;
        let named: Vec<(u32, u32)> = solved.proteges[offset..offset + chunk.len()]
            .iter()
            .enumerate()
            .flat_map(|(local, r)| {
                r.shortlist
                    .iter()
                    .map(move |c| (local as u32, c.mentor as u32))
            })
            .collect();
        if !named.is_empty() {
            jobs.push((offset, chunk.to_vec(), named));
        }
    }
    let calls = jobs.into_iter().map(|(offset, chunk, named)| {
        let (runtime, matcher, mentors) = (runtime.clone(), matcher.to_string(), mentors.to_vec());
        let call = tokio::spawn(async move {
            let report = runtime
                .explain(&matcher, chunk, mentors, named.clone())
                .await;
            (offset, named, report)
        });
        async move { call.await.map_err(|e| call_task_failed(&e)) }
    });
    let done = futures_util::stream::iter(calls)
        .buffer_unordered(at_once)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let mut reasons = HashMap::new();
    for (offset, named, report) in done {
        let report = report.map_err(|f| {
            RecordError::Conflict(format!("matcher {matcher} failed to explain: {}", f.error))
        })?;
        let explained = report.output.map_err(|e| {
            RecordError::Conflict(format!(
                "matcher {matcher} refused to explain: {}",
                e.message
            ))
        })?;
        for ((p, m), why) in named.into_iter().zip(explained) {
            reasons.insert((offset + p as usize, m as usize), why);
        }
    }
    Ok(reasons)
}
