//! The mentor-matching benchmark's people and runs (`matching.rs` describes
//! them): a synthetic contact-centre population from a fixed seed, the 0.1.0
//! matcher installed beside the shipped one, and one `mentoring::match_pairs`
//! run with the check that two runs matched alike.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sidecoach::mentoring::assign::{Placement, Unmatched};
use sidecoach::mentoring::{Matched, match_pairs};
use sidecoach::model::{Channel, MatchProfile, Mentor, Protege, TopicNeed};
use sidecoach::runtime::Runtime;
use sidecoach::work::Work;
use sidecoach_plugin_artifacts::testing;

use super::rng::Rng;

/// The plugin under test (embedded, installed on first start).
pub const MATCHER: &str = "reference-matcher";

/// Places per mentor.
pub const CAPACITY: u32 = 10;

pub const TOPICS: [&str; 8] = [
    "product-knowledge",
    "empathy",
    "de-escalation",
    "call-control",
    "billing",
    "troubleshooting",
    "compliance",
    "upselling",
];
pub const STYLES: [&str; 4] = ["direct", "supportive", "analytical", "expressive"];
/// UTC offsets in minutes: US Pacific/Central/Eastern, UK, CET, India, Philippines.
pub const OFFSETS: [i32; 7] = [-480, -360, -300, 0, 60, 330, 480];
pub const CHANNELS: [Channel; 5] = [
    Channel::Voice,
    Channel::Chat,
    Channel::Email,
    Channel::Sms,
    Channel::Video,
];

/// splitmix64: fixed seed, no dependency.
pub fn profile(rng: &mut Rng, agent_id: String) -> MatchProfile {
    let n_channels = 1 + rng.below(3);
    MatchProfile {
        agent_id,
        style: (rng.unit() >= 0.1).then(|| STYLES[rng.below(STYLES.len())].to_owned()),
        utc_offset_minutes: (rng.unit() >= 0.05).then(|| OFFSETS[rng.below(OFFSETS.len())]),
        channels: rng.pick(&CHANNELS, n_channels),
        home_based: rng.unit() < 0.3,
    }
}

pub fn mentors(rng: &mut Rng, n: usize) -> Vec<Mentor> {
    (0..n)
        .map(|j| {
            let n_strengths = 2 + rng.below(3);
            Mentor {
                profile: profile(rng, format!("agent-m{j}")),
                strengths: rng
                    .pick(&TOPICS, n_strengths)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
                capacity: CAPACITY,
            }
        })
        .collect()
}

pub fn proteges(rng: &mut Rng, n: usize, n_mentors: usize) -> Vec<Protege> {
    (0..n)
        .map(|i| {
            // One in 50 is also a mentor: the plugin leaves that pair out.
            let id = if i % 50 == 0 {
                format!("agent-m{}", (i / 50) % n_mentors)
            } else {
                format!("agent-p{i}")
            };
            let n_needs = 1 + rng.below(3);
            let mut needs: Vec<TopicNeed> = rng
                .pick(&TOPICS, n_needs)
                .into_iter()
                .map(|topic| TopicNeed {
                    topic: topic.to_owned(),
                    weakness: ((0.2 + 0.8 * rng.unit()) * 100.0).round() / 100.0,
                })
                .collect();
            needs.sort_by(|a, b| b.weakness.total_cmp(&a.weakness));
            Protege {
                profile: profile(rng, id),
                needs,
            }
        })
        .collect()
}

/// The 0.1.0 matcher, installed beside the shipped one under this id.
pub const MATCHER_V1: &str = "reference-matcher-v1";

/// One way of matching one size.
pub struct Run {
    pub total: Duration,
    pub matcher_ms: f64,
    pub solver_ms: f64,
    pub matched: usize,
    pub unmatched_full: usize,
    pub outcome: Matched,
}

pub fn run(
    runtime: &Arc<Runtime>,
    work: &Work,
    rt: &tokio::runtime::Runtime,
    matcher: &str,
    at_once: usize,
    people: &(Vec<Protege>, Vec<Mentor>),
) -> Run {
    let (proteges, mentors) = people;
    let started = Instant::now();
    let outcome = rt
        .block_on(match_pairs(
            runtime,
            work,
            matcher,
            proteges,
            mentors,
            &HashSet::new(),
            Some(at_once),
        ))
        .unwrap_or_else(|e| panic!("{matcher}: the match failed: {e}"));
    let total = started.elapsed();
    Run {
        total,
        matcher_ms: outcome.matcher_ms,
        solver_ms: outcome.solver_ms,
        matched: outcome.assignment.matched,
        unmatched_full: outcome
            .assignment
            .proteges
            .iter()
            .filter(|r| r.placement == Placement::Unmatched(Unmatched::CapacityExhausted))
            .count(),
        outcome,
    }
}

/// A protégé's placement and shortlist: (mentor, score bits, reasons).
pub type Offers<'a> = (Option<usize>, Vec<(usize, u64, Option<&'a Vec<String>>)>);

/// Each protégé's placement and shortlist (mentor, score, reasons).
pub fn offers(m: &Matched) -> Vec<Offers<'_>> {
    m.assignment
        .proteges
        .iter()
        .enumerate()
        .map(|(p, r)| {
            let list = r
                .shortlist
                .iter()
                .map(|c| (c.mentor, c.score.to_bits(), m.reasons.get(&(p, c.mentor))))
                .collect();
            (r.placement.mentor(), list)
        })
        .collect()
}

/// Install the 0.1.0 matcher (`testing::REFERENCE_MATCHER_V1`) beside the
/// shipped one, under [`MATCHER_V1`].
pub async fn install_v1(runtime: &Runtime) {
    let v1 = &testing::REFERENCE_MATCHER_V1;
    let manifest = v1.manifest.replace(
        "id = \"reference-matcher\"",
        &format!("id = \"{MATCHER_V1}\""),
    );
    runtime
        .install(&manifest, v1.wasm.to_vec(), false, Some("bench"))
        .await
        .expect("the 0.1.0 matcher installs");
}

/// Whether two runs gave the same assignment, shortlists, scores and reasons.
pub fn same_matching(a: &Run, b: &Run) -> bool {
    offers(&a.outcome) == offers(&b.outcome)
        && a.outcome.assignment.total_score == b.outcome.assignment.total_score
}
