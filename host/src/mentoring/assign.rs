//! Optimal mentor assignment under mentor capacities, with a shortlist per protégé.
//!
//! # The problem
//!
//! `P` protégés, `M` mentors; mentor `j` takes at most `capacity[j]` protégés, each
//! protégé at most one mentor, and only *allowed* pairs may be used (the matcher plugin
//! leaves out a protégé's own mentor record, mentors who opted out, …). Every allowed pair
//! has a score in `[0, 1]`, higher is better. The objective is lexicographic:
//!
//! 1. match as many protégés as the allowed pairs and capacities permit, then
//! 2. among those assignments, maximise the total score.
//!
//! Equivalently: maximise `Σ (B + score)` over the chosen pairs for a constant `B` larger
//! than any total score. Nobody is left without a mentor to give someone else a slightly
//! better one.
//!
//! # The algorithm: successive shortest paths over the mentor side
//!
//! This is a min-cost flow problem (source → protégé → mentor → sink). The solver adds the
//! protégés one at a time, in index order, and keeps the assignment of the protégés seen so
//! far optimal. When protégé `p` arrives, the new optimum differs from the old one by a single
//! alternating path starting at `p` (any other change would have improved the old optimum):
//!
//! * either `p` takes a place, pushing a protégé to another mentor, who pushes another… until
//!   the chain ends at a mentor with a free place (one more match), or
//! * when no mentor with a free place is reachable, the chain ends by dropping a matched
//!   protégé, if that raises the total score (same number of matches); otherwise `p` stays
//!   unmatched. A dropped protégé can never come back (that would have been an improvement
//!   before), so unmatched protégés leave the search for good.
//!
//! The best chain is a shortest path. Protégé nodes are contracted away: moving from mentor
//! `j` to mentor `k` means moving one of `j`'s protégés to `k`, so the search is a dense
//! Dijkstra over the `M` mentor nodes only. Mentor prices `π` and protégé utilities `u` (the
//! dual variables, kept as Johnson potentials) make every step's reduced cost
//! `u[q] + π[k] − score(q, k)` non-negative. For each mentor the solver keeps the cheapest
//! step to every other mentor over its current protégés: an `M × M` table, stored relative to
//! a per-mentor offset so that a price update is `O(1)` per mentor. A protégé joining a
//! mentor updates that row in `O(M)`; one leaving recomputes only the entries it was the
//! cheapest for. The search stops at the first mentor with a free place. In drop mode (no
//! free place left) it stops once no remaining mentor can beat the best drop found.
//!
//! Cost: each protégé is one Dijkstra, `O(M)` per mentor it settles, plus the row updates
//! along the chosen path. Worst case `O(P · M²)` time and `O(P · M + M²)` memory (the score
//! matrix is 4 bytes per pair). In practice most searches stop after a few mentors. On
//! reference-matcher scores (`benches/matching.rs`, a shared 2-core machine), 5,000 × 500
//! (2.5 M pairs) solves in about 0.2 s and 20,000 × 500 in about 1.2 s. The plugin
//! scoring the pairs takes ten times as long.
//!
//! Scores are turned into integers (nine decimal places, [`SCORE_DECIMALS`]) before the
//! solver sees them. All path, price and total arithmetic is exact `i64`, so there is no
//! rounding drift, and the result is exactly optimal for the scores rounded to that
//! precision. Nine decimals is far finer than anything a matcher plugin's weighted mean
//! means.
//!
//! # Why this and not something else
//!
//! * Expanding each mentor into `capacity` identical slots and running Kuhn–Munkres (e.g.
//!   the `pathfinding` crate) works on a 5,000 × 5,000 matrix, `O(n³)`: minutes, not
//!   seconds. It also handles neither the "match as many as possible" rule nor more
//!   protégés than places without padding.
//! * An auction algorithm needs ε-scaling to be fast and a reverse auction to be exact when
//!   protégés and places differ in number. That means more code and a termination argument
//!   that is harder to review than Dijkstra with potentials.
//! * Successive shortest paths use the fact that `M` is small. They are exact in integer
//!   arithmetic, deterministic, and give the optimal dual prices that the shortlists need
//!   at no extra cost.
//!
//! Ties: the same input always gives the same output. Where the search has a choice, it takes
//! the lower-index mentor, and it keeps the lower-index protégé rather than dropping it.
//!
//! # Prices and shortlists
//!
//! Each mentor with places gets a [`Price`]: how much the optimum gets worse if the mentor
//! took one protégé fewer. That is whether one match is lost, and how much score is lost
//! beyond that. A mentor with a free place has price zero. These are the optimal dual
//! prices (the smallest ones), found by one more Dijkstra from the free places and the
//! possible drops.
//!
//! A protégé's shortlist ranks the allowed mentors by reduced value, `score − price`, best
//! first. The assigned mentor always has the highest reduced value (dual feasibility), so it
//! comes first. The next [`SHORTLIST_LEN`]` − 1` entries are the alternatives that cost the
//! global optimum least by that measure. An unmatched protégé gets its best
//! [`SHORTLIST_LEN`].
//!
//! Each [`Choice`] carries its reduced cost: the reduced value given up compared with the
//! assigned mentor. By LP duality it is a *lower bound* on what moving this protégé to that
//! mentor would cost the team. For any assignment `x` and the dual `(u, π)`,
//! `Σ (B + score)·x ≤ Σ u + Σ capacity·π − reduced_cost(p, j)·x[p][j]`. Exact switching
//! costs would take one re-optimisation per pair. [`Choice::loses_a_match`] says when the
//! bound itself includes a whole match.
//!
//! A mentor whose places are all taken by other protégés can still be an alternative, flagged
//! [`Choice::full`]: choosing them pushes someone along, and their price already counts that.
//! Leaving full mentors out would hide the best fits exactly when they are popular. A
//! mentor with capacity 0 is never assigned and never offered.

use std::fmt;

/// How many mentors a protégé's shortlist offers at most (the assigned one included).
pub const SHORTLIST_LEN: usize = 3;

/// Scores are rounded to this many decimal places before solving.
pub const SCORE_DECIMALS: u32 = 9;

/// `10^SCORE_DECIMALS`: one score unit in the solver's integer arithmetic.
const SCALE: i64 = 1_000_000_000;

/// Matrix entry: no such pair.
const NOT_ALLOWED: i32 = -1;
/// Matrix entry: a pair with a mentor of capacity 0 (kept only to detect duplicates).
const NO_PLACES: i32 = -2;
/// "No index" in `u32` index arrays.
const NONE: u32 = u32::MAX;
/// Distance of a mentor not reached yet.
const UNREACHED: i64 = i64::MAX / 4;
/// "No protégé there may move to that mentor" in the step table: large enough that adding
/// a distance and a price to it stays above `UNREACHED`, small enough not to overflow.
const NO_STEP: i64 = i64::MAX / 2;
/// Distance of a settled mentor: no step improves it.
const SETTLED: i64 = i64::MIN;

/// One allowed (protégé, mentor) pair and its score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    /// Index of the protégé.
    pub protege: usize,
    /// Index of the mentor.
    pub mentor: usize,
    /// How well they fit, from 0 to 1; higher is better.
    pub score: f64,
}

/// Why a protégé has no mentor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unmatched {
    /// No allowed pair with any mentor who takes protégés.
    NoAllowedMentor,
    /// Allowed mentors exist, but all of their places went to other protégés in the optimum.
    CapacityExhausted,
}

/// Where a protégé ends up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Assigned to this mentor.
    Assigned {
        /// Index of the mentor.
        mentor: usize,
    },
    /// Left without a mentor, and why.
    Unmatched(Unmatched),
}

impl Placement {
    /// The assigned mentor, if any.
    pub fn mentor(&self) -> Option<usize> {
        match *self {
            Placement::Assigned { mentor } => Some(mentor),
            Placement::Unmatched(_) => None,
        }
    }
}

/// One mentor on a protégé's shortlist.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// Index of the mentor.
    pub mentor: usize,
    /// The pair's score (rounded to [`SCORE_DECIMALS`]).
    pub score: f64,
    /// Reduced cost in score units: `score − price` at the protégé's placement (its assigned
    /// mentor; 0 when unmatched) minus `score − price` here. 0 for the assigned mentor. It is a lower bound on how much the team's total score
    /// drops if this protégé takes this mentor instead. When [`Choice::loses_a_match`] is
    /// set, a whole match is lost on top of this, and it may be negative.
    pub cost: f64,
    /// The bound includes a whole match: taking this mentor certainly leaves one more
    /// protégé without a mentor. Unset is no promise that no match is lost, because
    /// the cost is only a lower bound.
    pub loses_a_match: bool,
    /// All the mentor's places are taken by other protégés: choosing them moves someone
    /// else. False for the protégé's own assigned mentor.
    pub full: bool,
}

/// What one of a mentor's places is worth to the optimum: how much worse the best
/// assignment gets if the mentor took one protégé fewer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    /// One match would be lost.
    pub loses_a_match: bool,
    /// Score lost, in score units, on top of the match if one is lost. It is 0 for a mentor
    /// with a free place and never negative when no match is lost. When a match is lost it
    /// may be negative: the protégé who leaves can free a better place for someone else.
    pub score: f64,
}

/// The outcome for one protégé.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtegeResult {
    /// Assigned mentor or the reason there is none.
    pub placement: Placement,
    /// Up to [`SHORTLIST_LEN`] mentors, best first: the assigned one, then the alternatives
    /// with the lowest reduced cost (ties: lower mentor index). An unmatched protégé gets its
    /// best allowed mentors, all of them full.
    pub shortlist: Vec<Choice>,
}

/// The outcome for one mentor.
#[derive(Clone, Debug, PartialEq)]
pub struct MentorResult {
    /// The capacity given.
    pub capacity: u32,
    /// Assigned protégés, in index order.
    pub proteges: Vec<usize>,
    /// The value of one of the mentor's places; `None` for a mentor with capacity 0.
    pub price: Option<Price>,
}

/// An optimal assignment.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// One entry per protégé, in input order.
    pub proteges: Vec<ProtegeResult>,
    /// One entry per mentor, in input order.
    pub mentors: Vec<MentorResult>,
    /// How many protégés have a mentor (the most possible).
    pub matched: usize,
    /// Sum of the assigned pairs' scores (the highest possible with `matched` matches).
    pub total_score: f64,
}

/// A rejected input.
#[derive(Clone, Debug, PartialEq)]
pub enum AssignError {
    /// A score that is NaN, infinite, negative or above 1.
    InvalidScore {
        /// Index of the protégé.
        protege: usize,
        /// Index of the mentor.
        mentor: usize,
        /// The rejected value.
        score: f64,
    },
    /// A protégé index at or past the number of protégés.
    ProtegeOutOfRange {
        /// The index given.
        protege: usize,
        /// The mentor of the pair.
        mentor: usize,
        /// The number of protégés.
        n_proteges: usize,
    },
    /// A mentor index at or past the number of mentors.
    MentorOutOfRange {
        /// The protégé of the pair.
        protege: usize,
        /// The index given.
        mentor: usize,
        /// The number of mentors.
        n_mentors: usize,
    },
    /// The same pair given twice.
    DuplicatePair {
        /// Index of the protégé.
        protege: usize,
        /// Index of the mentor.
        mentor: usize,
    },
    /// A dense score row whose length is not the number of mentors.
    RowLength {
        /// Index of the protégé (the row).
        protege: usize,
        /// The row's length.
        len: usize,
        /// The number of mentors.
        n_mentors: usize,
    },
    /// More protégés or mentors than the solver indexes (`u32`), or a score matrix that
    /// does not fit in memory.
    TooLarge {
        /// The number of protégés.
        n_proteges: usize,
        /// The number of mentors.
        n_mentors: usize,
    },
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AssignError::InvalidScore {
                protege,
                mentor,
                score,
            } => write!(
                f,
                "protégé {protege}, mentor {mentor}: score {score} is not a number between 0 and 1"
            ),
            AssignError::ProtegeOutOfRange {
                protege,
                mentor,
                n_proteges,
            } => write!(
                f,
                "protégé {protege}, mentor {mentor}: there are only {n_proteges} protégés"
            ),
            AssignError::MentorOutOfRange {
                protege,
                mentor,
                n_mentors,
            } => write!(
                f,
                "protégé {protege}, mentor {mentor}: there are only {n_mentors} mentors"
            ),
            AssignError::DuplicatePair { protege, mentor } => {
                write!(f, "protégé {protege}, mentor {mentor}: pair given twice")
            }
            AssignError::RowLength {
                protege,
                len,
                n_mentors,
            } => write!(
                f,
                "protégé {protege}: {len} scores given, one per mentor ({n_mentors}) expected"
            ),
            AssignError::TooLarge {
                n_proteges,
                n_mentors,
            } => write!(
                f,
                "{n_proteges} protégés × {n_mentors} mentors is too large to solve"
            ),
        }
    }
}

impl std::error::Error for AssignError {}

/// An assignment problem being built: protégés, mentors with capacities, and allowed pairs.
///
/// Scores live in a dense `P × M` matrix of `i32` (4 bytes per pair, 40 MB for
/// 20,000 × 500) so pairs can be added batch by batch as a matcher plugin returns them.
///
/// ```
/// # use sidecoach::mentoring::assign::{Placement, Problem};
/// let mut problem = Problem::new(2, vec![1])?;
/// problem.allow(0, 0, 0.9)?;
/// problem.allow(1, 0, 0.4)?;
/// let best = problem.solve();
/// assert_eq!(best.proteges[0].placement, Placement::Assigned { mentor: 0 });
/// assert_eq!(best.matched, 1);
/// # Ok::<(), sidecoach::mentoring::assign::AssignError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Problem {
    /// Number of protégés.
    n: usize,
    /// Capacity per mentor.
    capacities: Vec<u32>,
    /// Row-major `n × m` scores in units of `1 / SCALE`, or `NOT_ALLOWED` / `NO_PLACES`.
    scores: Vec<i32>,
}

impl Problem {
    /// A problem with `n_proteges` protégés, one mentor per capacity, and no allowed pair yet.
    pub fn new(n_proteges: usize, capacities: Vec<u32>) -> Result<Problem, AssignError> {
        let m = capacities.len();
        let too_large = || AssignError::TooLarge {
            n_proteges,
            n_mentors: m,
        };
        // Indices are kept as u32 (NONE = u32::MAX is reserved).
        if n_proteges >= NONE as usize || m >= NONE as usize {
            return Err(too_large());
        }
        let cells = n_proteges.checked_mul(m).ok_or_else(too_large)?;
        let mut scores = Vec::new();
        scores.try_reserve_exact(cells).map_err(|_| too_large())?;
        scores.resize(cells, NOT_ALLOWED);
        Ok(Problem {
            n: n_proteges,
            capacities,
            scores,
        })
    }

    /// Number of protégés.
    pub fn n_proteges(&self) -> usize {
        self.n
    }

    /// Number of mentors.
    pub fn n_mentors(&self) -> usize {
        self.capacities.len()
    }

    /// Allow the pair (`protege`, `mentor`) with `score` in `[0, 1]`. A pair never allowed is
    /// never assigned. The error names the pair.
    pub fn allow(&mut self, protege: usize, mentor: usize, score: f64) -> Result<(), AssignError> {
        let m = self.n_mentors();
        if protege >= self.n {
            return Err(AssignError::ProtegeOutOfRange {
                protege,
                mentor,
                n_proteges: self.n,
            });
        }
        if mentor >= m {
            return Err(AssignError::MentorOutOfRange {
                protege,
                mentor,
                n_mentors: m,
            });
        }
        if !(0.0..=1.0).contains(&score) {
            return Err(AssignError::InvalidScore {
                protege,
                mentor,
                score,
            });
        }
        let cell = &mut self.scores[protege * m + mentor];
        if *cell != NOT_ALLOWED {
            return Err(AssignError::DuplicatePair { protege, mentor });
        }
        *cell = if self.capacities[mentor] == 0 {
            NO_PLACES
        } else {
            quantize(score)
        };
        Ok(())
    }

    /// The optimal assignment, mentor prices and shortlists (see the module docs).
    pub fn solve(&self) -> Assignment {
        let solved = Solver::new(self).run();
        self.report(&solved)
    }

    /// The integer score of a pair, if it can be assigned.
    fn score(&self, p: usize, j: usize) -> Option<i64> {
        let s = self.scores[p * self.n_mentors() + j];
        (s >= 0).then_some(i64::from(s))
    }

    /// Turn the solver's integer state into the public result.
    fn report(&self, solved: &Solved) -> Assignment {
        let m = self.n_mentors();
        let mut load = vec![0_u32; m];
        let mut mentors: Vec<MentorResult> = self
            .capacities
            .iter()
            .zip(&solved.prices)
            .map(|(&capacity, price)| MentorResult {
                capacity,
                proteges: Vec::new(),
                price: price.map(|(lose, s)| Price {
                    loses_a_match: lose,
                    score: units(s),
                }),
            })
            .collect();
        let mut total = 0_i64;
        let mut matched = 0;
        for (p, &j) in solved.mentor_of.iter().enumerate() {
            if j != NONE {
                let j = j as usize;
                mentors[j].proteges.push(p);
                load[j] += 1;
                total += self.score(p, j).unwrap_or(0);
                matched += 1;
            }
        }
        let proteges = (0..self.n)
            .map(|p| self.protege_result(p, solved, &load))
            .collect();
        Assignment {
            proteges,
            mentors,
            matched,
            total_score: units(total),
        }
    }

    /// Placement and shortlist of protégé `p`.
    fn protege_result(&self, p: usize, solved: &Solved, load: &[u32]) -> ProtegeResult {
        let m = self.n_mentors();
        let assigned = solved.mentor_of[p];
        // Reduced value of p at j in B-units: (1 − loses_a_match(j), score − price(j)).
        let value = |j: usize, s: i64| {
            let (lose, price) = solved.prices[j].unwrap_or((true, 0));
            (i64::from(!lose), s - price)
        };
        // The protégé's dual utility: its value at the assigned mentor, 0 when unmatched.
        let utility = match assigned {
            NONE => (0, 0),
            a => value(a as usize, self.score(p, a as usize).unwrap_or(0)),
        };
        // The best SHORTLIST_LEN by (not the assigned one, loses a match, cost, index),
        // kept sorted by insertion: a full sort per protégé would dominate the report.
        type Ranked = ((bool, bool, i64, usize), i64);
        let mut best: Vec<Ranked> = Vec::with_capacity(SHORTLIST_LEN + 1);
        let mut allowed = false;
        for j in 0..m {
            let Some(s) = self.score(p, j) else { continue };
            allowed = true;
            let (v_match, v_score) = value(j, s);
            let cost = (utility.0 - v_match, utility.1 - v_score);
            debug_assert!(cost >= (0, 0), "dual feasibility: {cost:?} for {p}, {j}");
            let key = (j as u32 != assigned, cost.0 > 0, cost.1, j);
            if best.len() == SHORTLIST_LEN && best.last().is_some_and(|b| b.0 <= key) {
                continue;
            }
            let at = best.partition_point(|b| b.0 <= key);
            best.insert(at, (key, s));
            best.truncate(SHORTLIST_LEN);
        }
        let placement = match assigned {
            NONE if !allowed => Placement::Unmatched(Unmatched::NoAllowedMentor),
            NONE => Placement::Unmatched(Unmatched::CapacityExhausted),
            a => Placement::Assigned { mentor: a as usize },
        };
        let shortlist = best
            .iter()
            .map(|&((other, lose, cost, j), s)| Choice {
                mentor: j,
                score: units(s),
                cost: units(cost),
                loses_a_match: lose,
                full: other && load[j] >= self.capacities[j],
            })
            .collect();
        ProtegeResult {
            placement,
            shortlist,
        }
    }
}

/// Solve a problem given as a list of allowed pairs; a pair not listed is not allowed.
pub fn assign(
    n_proteges: usize,
    capacities: &[u32],
    pairs: &[Pair],
) -> Result<Assignment, AssignError> {
    let mut problem = Problem::new(n_proteges, capacities.to_vec())?;
    for pair in pairs {
        problem.allow(pair.protege, pair.mentor, pair.score)?;
    }
    Ok(problem.solve())
}

/// Solve a problem given as one row of scores per protégé, one entry per mentor; `None`
/// means the pair is not allowed.
pub fn assign_dense(
    capacities: &[u32],
    scores: &[Vec<Option<f64>>],
) -> Result<Assignment, AssignError> {
    let mut problem = Problem::new(scores.len(), capacities.to_vec())?;
    for (p, row) in scores.iter().enumerate() {
        if row.len() != capacities.len() {
            return Err(AssignError::RowLength {
                protege: p,
                len: row.len(),
                n_mentors: capacities.len(),
            });
        }
        for (j, score) in row.iter().enumerate() {
            if let Some(s) = *score {
                problem.allow(p, j, s)?;
            }
        }
    }
    Ok(problem.solve())
}

/// A validated score in `[0, 1]` as an integer number of `1 / SCALE` units.
fn quantize(score: f64) -> i32 {
    // In [0, 10^9] for a score in [0, 1], so the cast cannot truncate.
    (score * SCALE as f64).round() as i32
}

/// Integer score units back to a score.
fn units(v: i64) -> f64 {
    v as f64 / SCALE as f64
}

/// The solver's result in integers: the assignment and the mentor prices.
#[derive(Debug)]
struct Solved {
    /// Mentor of each protégé, or `NONE`.
    mentor_of: Vec<u32>,
    /// Per mentor `(loses_a_match, score units)`; `None` for capacity 0.
    prices: Vec<Option<(bool, i64)>>,
}

/// Where a protégé's search ended, with the end mentor's distance.
enum Outcome {
    /// A mentor with a free place: one more match.
    Free(usize, i64),
    /// Dropping this mentor's least-valued protégé raises the total score.
    Drop(usize, i64),
    /// Nothing beats leaving the new protégé unmatched.
    Stay,
}

/// Successive-shortest-path state (see the module docs for the invariants).
struct Solver<'a> {
    /// Number of mentors.
    m: usize,
    /// Row-major protégé × mentor scores; negative = not assignable.
    w: &'a [i32],
    /// Capacity per mentor.
    cap: &'a [u32],
    /// Mentor of each protégé, or `NONE`.
    mentor_of: Vec<u32>,
    /// Protégés at each mentor (unordered).
    members: Vec<Vec<u32>>,
    /// Places still free at mentors, counting at most as many per mentor as it has allowed
    /// protégés; 0 means every search must end in a drop (or nothing).
    free_places: u64,
    /// Utility of a matched protégé `q` at mentor `j` is `ubase[q] + uoff[j]`.
    ubase: Vec<i64>,
    /// Per-mentor utility offset; a price update shifts it for all of a mentor's protégés.
    uoff: Vec<i64>,
    /// Mentor prices `π`, never negative; 0 while a mentor has a free place.
    pi: Vec<i64>,
    /// `m × m`: `min over q at j of (ubase[q] − score(q, k))`, so the reduced cost of moving
    /// from mentor `j` to `k` is `gbase[j][k] + uoff[j] + pi[k]`; `NO_STEP` if no protégé
    /// at `j` may go to `k`.
    gbase: Vec<i64>,
    /// `m × m`: the protégé achieving `gbase` (lowest index on ties), or `NONE`.
    gq: Vec<u32>,
    /// Per mentor: the protégé with the lowest utility (highest index on ties), the one to
    /// drop there, and its `ubase`; `NONE` / `NO_STEP` when the mentor has no protégé.
    drop_q: Vec<u32>,
    /// See `drop_q`.
    drop_base: Vec<i64>,
    /// Dijkstra scratch: tentative reduced distance per mentor, `SETTLED` once settled.
    dist: Vec<i64>,
    /// Dijkstra scratch: settled mentors in order, with their distances.
    settled_order: Vec<(usize, i64)>,
    /// Dijkstra scratch: the mentor the path came from (`NONE` = from the new protégé).
    /// The protégé moving along that step is `gq[from][to]`, fixed during a search.
    prev_mentor: Vec<u32>,
}

impl<'a> Solver<'a> {
    fn new(problem: &'a Problem) -> Solver<'a> {
        let m = problem.n_mentors();
        // Places that can ever be filled: a mentor allowed for k protégés uses at most k.
        // (The count only decides whether the search may stop early in drop mode.)
        let mut allowed = vec![0_u64; m];
        for row in problem.scores.chunks_exact(m.max(1)) {
            for (count, &s) in allowed.iter_mut().zip(row) {
                *count += u64::from(s >= 0);
            }
        }
        let free_places = problem
            .capacities
            .iter()
            .zip(&allowed)
            .map(|(&c, &k)| u64::from(c).min(k))
            .sum();
        Solver {
            m,
            w: &problem.scores,
            cap: &problem.capacities,
            mentor_of: vec![NONE; problem.n],
            members: vec![Vec::new(); m],
            free_places,
            ubase: vec![0; problem.n],
            uoff: vec![0; m],
            pi: vec![0; m],
            gbase: vec![NO_STEP; m * m],
            gq: vec![NONE; m * m],
            drop_q: vec![NONE; m],
            drop_base: vec![NO_STEP; m],
            dist: vec![UNREACHED; m],
            settled_order: Vec::with_capacity(m),
            prev_mentor: vec![NONE; m],
        }
    }

    fn run(mut self) -> Solved {
        for p in 0..self.mentor_of.len() {
            self.add(p);
        }
        let prices = self.prices();
        Solved {
            mentor_of: self.mentor_of,
            prices,
        }
    }

    fn row(&self, p: usize) -> &'a [i32] {
        &self.w[p * self.m..(p + 1) * self.m]
    }

    fn is_full(&self, j: usize) -> bool {
        self.members[j].len() as u64 >= u64::from(self.cap[j])
    }

    /// Add protégé `p` and re-optimise: one shortest alternating path from `p`.
    fn add(&mut self, p: usize) {
        let m = self.m;
        let row = self.row(p);
        // p's utility: its best reduced value, so every step out of p costs ≥ 0.
        let mut up = i64::MIN;
        for (&s, &pi) in row.iter().zip(&self.pi) {
            if s >= 0 {
                up = up.max(i64::from(s) - pi);
            }
        }
        if up == i64::MIN {
            return; // no assignable pair
        }
        // Ties go to the lower mentor index throughout (strict `<` in index order).
        let mut next = (UNREACHED, NONE);
        for (j, ((&s, &pi), (d, from))) in row
            .iter()
            .zip(&self.pi)
            .zip(self.dist.iter_mut().zip(&mut self.prev_mentor))
            .enumerate()
        {
            *from = NONE;
            *d = if s >= 0 {
                up - (i64::from(s) - pi)
            } else {
                UNREACHED
            };
            if *d < next.0 {
                next = (*d, j as u32);
            }
        }
        self.settled_order.clear();
        // With no free place anywhere the search can only end in a drop, whose gain is at
        // most up − d − (lowest utility of any matched protégé): stop when that is ≤ 0 or
        // ≤ the best drop found.
        let floor = if self.free_places == 0 {
            (0..m)
                .filter(|&j| self.drop_q[j] != NONE)
                .map(|j| self.drop_base[j] + self.uoff[j])
                .min()
        } else {
            None
        };
        let (mut best_gain, mut best_drop, mut best_drop_dist) = (0, NONE, 0);
        let outcome = loop {
            let (dk, k) = next;
            if dk >= UNREACHED || floor.is_some_and(|u_min| up - dk - u_min <= best_gain) {
                break if best_drop == NONE {
                    Outcome::Stay
                } else {
                    Outcome::Drop(best_drop as usize, best_drop_dist)
                };
            }
            let k = k as usize;
            self.dist[k] = SETTLED;
            self.settled_order.push((k, dk));
            if !self.is_full(k) {
                break Outcome::Free(k, dk);
            }
            // Drop here: the path to k, then k's least-valued protégé leaves.
            let gain = up - dk - (self.drop_base[k] + self.uoff[k]);
            if gain > best_gain
                || (gain == best_gain
                    && best_drop != NONE
                    && self.drop_q[k] > self.drop_q[best_drop as usize])
            {
                (best_gain, best_drop, best_drop_dist) = (gain, k as u32, dk);
            }
            next = self.relax(k, dk);
        };
        let (end, dist_end) = match outcome {
            Outcome::Stay => return,
            Outcome::Free(j, d) | Outcome::Drop(j, d) => (j, d),
        };
        // Potential update: settled mentors closer than the end move by the difference,
        // which keeps every reduced cost ≥ 0 and makes the path's steps tight.
        for &(j, dj) in &self.settled_order {
            let delta = dist_end - dj;
            if delta > 0 {
                self.pi[j] += delta;
                self.uoff[j] -= delta;
            }
        }
        let up = up - dist_end;
        match outcome {
            Outcome::Free(..) => self.free_places -= 1,
            Outcome::Drop(j, _) => {
                let q = self.drop_q[j];
                self.remove(j, q);
                self.mentor_of[q as usize] = NONE;
            }
            Outcome::Stay => {}
        }
        // Walk the path back from its end, moving each protégé one step along it.
        let mut at = end;
        loop {
            let from = self.prev_mentor[at];
            if from == NONE {
                self.insert(at, p as u32, up);
                break;
            }
            let from = from as usize;
            let q = self.gq[from * m + at];
            let uq = self.ubase[q as usize] + self.uoff[from];
            self.remove(from, q);
            self.insert(at, q, uq);
            at = from;
        }
    }

    /// Relax the steps out of the just-settled mentor `k` (move one of its protégés to
    /// another mentor) and, in the same pass, find the next mentor to settle (ties: lower
    /// index). A missing step (`NO_STEP`) never improves a distance, and a settled mentor's
    /// (`SETTLED`) never improves.
    fn relax(&mut self, k: usize, dk: i64) -> (i64, u32) {
        let m = self.m;
        let base = dk + self.uoff[k];
        let steps = &self.gbase[k * m..(k + 1) * m];
        let mut next = (UNREACHED, NONE);
        for (j, ((d, from), (&step, &pi))) in self
            .dist
            .iter_mut()
            .zip(&mut self.prev_mentor)
            .zip(steps.iter().zip(&self.pi))
            .enumerate()
        {
            let via = base + step + pi;
            if via < *d {
                *d = via;
                *from = k as u32;
            }
            if *d != SETTLED && *d < next.0 {
                next = (*d, j as u32);
            }
        }
        next
    }

    /// Put `q` at mentor `j` with utility `u`, updating `j`'s row and drop candidate.
    fn insert(&mut self, j: usize, q: u32, u: i64) {
        let m = self.m;
        self.members[j].push(q);
        self.mentor_of[q as usize] = j as u32;
        let b = u - self.uoff[j];
        self.ubase[q as usize] = b;
        if b < self.drop_base[j] || (b == self.drop_base[j] && q > self.drop_q[j]) {
            (self.drop_q[j], self.drop_base[j]) = (q, b);
        }
        let row = &self.w[q as usize * m..(q as usize + 1) * m];
        let steps = &mut self.gbase[j * m..(j + 1) * m];
        let who = &mut self.gq[j * m..(j + 1) * m];
        for (k, (&s, (step, who))) in row.iter().zip(steps.iter_mut().zip(who)).enumerate() {
            if s < 0 || k == j {
                continue;
            }
            let v = b - i64::from(s);
            if v < *step || (v == *step && q < *who) {
                (*step, *who) = (v, q);
            }
        }
    }

    /// Take `q` off mentor `j`, recomputing the entries of `j`'s row (and the drop
    /// candidate) that `q` was the cheapest for.
    fn remove(&mut self, j: usize, q: u32) {
        let m = self.m;
        let members = &mut self.members[j];
        if let Some(i) = members.iter().position(|&x| x == q) {
            members.swap_remove(i);
        }
        let members = &self.members[j];
        let steps = &mut self.gbase[j * m..(j + 1) * m];
        let who = &mut self.gq[j * m..(j + 1) * m];
        for k in 0..m {
            if who[k] != q {
                continue;
            }
            let (mut best, mut by) = (NO_STEP, NONE);
            for &r in members {
                let s = self.w[r as usize * m + k];
                let v = self.ubase[r as usize] - i64::from(s);
                if s >= 0 && (v < best || (v == best && r < by)) {
                    (best, by) = (v, r);
                }
            }
            (steps[k], who[k]) = (best, by);
        }
        if self.drop_q[j] == q {
            let (mut dq, mut db) = (NONE, NO_STEP);
            for &r in members {
                let b = self.ubase[r as usize];
                if b < db || (b == db && r > dq) {
                    (dq, db) = (r, b);
                }
            }
            (self.drop_q[j], self.drop_base[j]) = (dq, db);
        }
    }

    /// The smallest optimal prices: for each mentor, the cheapest way to free one place,
    /// as a shortest path (Dijkstra on reduced costs, from the free places and the drops).
    fn prices(&self) -> Vec<Option<(bool, i64)>> {
        let m = self.m;
        // Key: (loses a match, reduced score loss).
        let mut key: Vec<(bool, i64)> = (0..m)
            .map(|j| {
                if !self.is_full(j) {
                    (false, 0)
                } else if self.drop_q[j] != NONE {
                    (true, self.drop_base[j] + self.uoff[j])
                } else {
                    (true, UNREACHED)
                }
            })
            .collect();
        let mut done: Vec<bool> = self.cap.iter().map(|&c| c == 0).collect();
        loop {
            let mut k = NONE as usize;
            for j in 0..m {
                if !done[j] && (k == NONE as usize || key[j] < key[k]) {
                    k = j;
                }
            }
            if k == NONE as usize {
                break;
            }
            done[k] = true;
            let (lose_k, d_k) = key[k];
            for i in 0..m {
                let e = self.gbase[i * m + k];
                if done[i] || e >= NO_STEP {
                    continue;
                }
                let cand = (lose_k, d_k + e + self.uoff[i] + self.pi[k]);
                if cand < key[i] {
                    key[i] = cand;
                }
            }
        }
        (0..m)
            .map(|j| (self.cap[j] > 0).then(|| (key[j].0, key[j].1 + self.pi[j])))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a fixed-seed PRNG small enough to write inline.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1_u64 << 53) as f64
        }
    }

    /// A random instance: capacities and a dense matrix with `None` for excluded pairs.
    /// Scores on a coarse grid (when `coarse`) make ties common.
    fn instance(
        rng: &mut Rng,
        n: usize,
        m: usize,
        max_cap: u64,
        allowed: f64,
        coarse: bool,
    ) -> (Vec<u32>, Vec<Vec<Option<f64>>>) {
        let caps = (0..m).map(|_| rng.below(max_cap + 1) as u32).collect();
        let scores = (0..n)
            .map(|_| {
                (0..m)
                    .map(|_| {
                        let s = if coarse {
                            rng.below(5) as f64 / 4.0
                        } else {
                            rng.unit()
                        };
                        (rng.unit() < allowed).then_some(s)
                    })
                    .collect()
            })
            .collect();
        (caps, scores)
    }

    /// Exhaustive search: the best (matches, total score units), optionally with one pair
    /// forced.
    fn brute(caps: &[u32], scores: &[Vec<Option<f64>>], forced: Option<(usize, usize)>) -> Best {
        fn go(
            p: usize,
            caps: &mut [u32],
            scores: &[Vec<Option<f64>>],
            forced: Option<(usize, usize)>,
            acc: (usize, i64),
        ) -> Option<(usize, i64)> {
            if p == scores.len() {
                return Some(acc);
            }
            let mut best = None;
            let forced_here = forced.filter(|&(fp, _)| fp == p).map(|(_, j)| j);
            if forced_here.is_none() {
                best = go(p + 1, caps, scores, forced, acc);
            }
            for j in 0..caps.len() {
                let Some(s) = scores[p][j] else { continue };
                if caps[j] == 0 || forced_here.is_some_and(|f| f != j) {
                    continue;
                }
                caps[j] -= 1;
                let next = (acc.0 + 1, acc.1 + i64::from(quantize(s)));
                best = best.max(go(p + 1, caps, scores, forced, next));
                caps[j] += 1;
            }
            best
        }
        go(0, &mut caps.to_vec(), scores, forced, (0, 0))
    }

    type Best = Option<(usize, i64)>;

    fn int(v: f64) -> i64 {
        (v * SCALE as f64).round() as i64
    }

    fn mentor_of(a: &Assignment) -> Vec<Option<usize>> {
        a.proteges.iter().map(|r| r.placement.mentor()).collect()
    }

    fn shortlist(a: &Assignment, p: usize) -> Vec<(usize, f64, bool, bool)> {
        a.proteges[p]
            .shortlist
            .iter()
            .map(|c| {
                (
                    c.mentor,
                    (c.cost * 1e6).round() / 1e6,
                    c.loses_a_match,
                    c.full,
                )
            })
            .collect()
    }

    /// Checks the LP dual certificate carried by the result (prices and the protégés'
    /// values at their mentors), in integer units, lexicographically (matches, score).
    fn assert_certified(caps: &[u32], scores: &[Vec<Option<f64>>], a: &Assignment) {
        let price = |j: usize| {
            let p = a.mentors[j].price.expect("price for a mentor with places");
            (i64::from(p.loses_a_match), int(p.score))
        };
        let mut dual = (0_i64, 0_i64);
        let mut primal = (0_i64, 0_i64);
        let mut load = vec![0_u32; caps.len()];
        let mut utility = vec![(0_i64, 0_i64); scores.len()];
        for (p, r) in a.proteges.iter().enumerate() {
            if let Some(j) = r.placement.mentor() {
                let s = i64::from(quantize(scores[p][j].expect("assigned pairs are allowed")));
                let (pm, ps) = price(j);
                utility[p] = (1 - pm, s - ps);
                assert!(utility[p] >= (0, 0), "protégé {p}: negative utility");
                primal = (primal.0 + 1, primal.1 + s);
                load[j] += 1;
            }
            dual = (dual.0 + utility[p].0, dual.1 + utility[p].1);
        }
        for (j, &c) in caps.iter().enumerate() {
            assert!(load[j] <= c, "mentor {j} over capacity");
            if c == 0 {
                assert!(a.mentors[j].price.is_none());
                continue;
            }
            let (pm, ps) = price(j);
            assert!((pm, ps) >= (0, 0), "mentor {j}: negative price");
            if load[j] < c {
                assert_eq!((pm, ps), (0, 0), "mentor {j} has a free place but a price");
            }
            dual = (dual.0 + i64::from(c) * pm, dual.1 + i64::from(c) * ps);
        }
        for (p, row) in scores.iter().enumerate() {
            for (j, s) in row.iter().enumerate() {
                let Some(s) = *s else { continue };
                if caps[j] == 0 {
                    continue;
                }
                let (pm, ps) = price(j);
                let lhs = (utility[p].0 + pm, utility[p].1 + ps);
                assert!(
                    lhs >= (1, i64::from(quantize(s))),
                    "pair ({p}, {j}) violates the dual"
                );
            }
        }
        assert_eq!(primal, dual, "primal and dual objectives differ");
    }

    #[test]
    fn greedy_is_wrong_and_the_optimum_and_shortlists_are_exact() {
        // Mentor 0 takes one protégé, mentor 1 two. Greedy (best pair first: p0–m0 0.9)
        // ends at 0.9 + 0.6 + 0.2 = 1.7; the optimum gives m0 to p1 instead: 2.25.
        let scores = [[0.9, 0.8], [0.85, 0.2], [0.7, 0.6]];
        let pairs: Vec<Pair> = (0..3)
            .flat_map(|p| (0..2).map(move |j| (p, j)))
            .map(|(p, j)| Pair {
                protege: p,
                mentor: j,
                score: scores[p][j],
            })
            .collect();
        let a = assign(3, &[1, 2], &pairs).unwrap();
        assert_eq!(mentor_of(&a), vec![Some(1), Some(0), Some(1)]);
        assert_eq!(a.matched, 3);
        assert_eq!(a.total_score, 2.25);
        assert_eq!(a.mentors[0].proteges, vec![1]);
        assert_eq!(a.mentors[1].proteges, vec![0, 2]);
        // One place less at mentor 0 loses p1 (0.85); at mentor 1 it loses p2 (0.6).
        let prices: Vec<Price> = a.mentors.iter().map(|m| m.price.unwrap()).collect();
        assert_eq!(
            prices,
            vec![
                Price {
                    loses_a_match: true,
                    score: 0.85
                },
                Price {
                    loses_a_match: true,
                    score: 0.6
                }
            ]
        );
        // Reduced values score − price: p0 0.05 / 0.2, p1 0 / −0.4, p2 −0.15 / 0.
        assert_eq!(
            shortlist(&a, 0),
            vec![(1, 0.0, false, false), (0, 0.15, false, true)]
        );
        assert_eq!(
            shortlist(&a, 1),
            vec![(0, 0.0, false, false), (1, 0.4, false, true)]
        );
        assert_eq!(
            shortlist(&a, 2),
            vec![(1, 0.0, false, false), (0, 0.15, false, true)]
        );
        assert_eq!(a.proteges[0].shortlist[1].score, 0.9);
        // The reduced cost is a lower bound: moving p0 to mentor 0 really costs 0.55.
        let forced = brute(&[1, 2], &dense(&scores), Some((0, 0))).unwrap();
        assert_eq!(forced, (3, int(1.7)));
    }

    fn dense<const M: usize>(rows: &[[f64; M]]) -> Vec<Vec<Option<f64>>> {
        rows.iter()
            .map(|r| r.iter().map(|&s| Some(s)).collect())
            .collect()
    }

    #[test]
    fn matching_as_many_as_possible_comes_before_score() {
        // p0 prefers m0 (1.0) to m1 (0.0); p1 can only take m0 (0.0). Maximising score
        // alone would leave p1 out; the lexicographic objective matches both.
        let scores = vec![vec![Some(1.0), Some(0.0)], vec![Some(0.0), None]];
        let a = assign_dense(&[1, 1], &scores).unwrap();
        assert_eq!(mentor_of(&a), vec![Some(1), Some(0)]);
        assert_eq!((a.matched, a.total_score), (2, 0.0));
        // Freeing a place at m1 loses a match but lets p0 move up to m0: price (1, −1).
        let price = a.mentors[1].price.unwrap();
        assert_eq!((price.loses_a_match, price.score), (true, -1.0));
        // p0 taking m0 back would really cost p1 their match; the reduced cost (a lower
        // bound) only sees that m0 is full.
        assert_eq!(
            shortlist(&a, 0),
            vec![(1, 0.0, false, false), (0, 0.0, false, true)]
        );
        assert_eq!(brute(&[1, 1], &scores, Some((0, 0))), Some((1, int(1.0))));
        assert_certified(&[1, 1], &scores, &a);
    }

    #[test]
    fn capacities_are_respected() {
        let mut rng = Rng(7);
        for _ in 0..50 {
            let (caps, scores) = instance(&mut rng, 40, 6, 5, 0.8, false);
            let a = assign_dense(&caps, &scores).unwrap();
            for (j, m) in a.mentors.iter().enumerate() {
                assert!(m.proteges.len() <= caps[j] as usize);
                assert_eq!(m.capacity, caps[j]);
            }
        }
    }

    #[test]
    fn a_mentor_with_capacity_zero_is_never_assigned_nor_offered() {
        let scores = vec![vec![Some(1.0), Some(0.1)]; 3];
        let a = assign_dense(&[0, 5], &scores).unwrap();
        assert_eq!(mentor_of(&a), vec![Some(1); 3]);
        assert_eq!(a.mentors[0].price, None);
        for p in 0..3 {
            assert_eq!(shortlist(&a, p), vec![(1, 0.0, false, false)]);
        }
        // A mentor with no places at all leaves the protégé without an allowed mentor.
        let a = assign_dense(&[0], &[vec![Some(1.0)]]).unwrap();
        assert_eq!(
            a.proteges[0].placement,
            Placement::Unmatched(Unmatched::NoAllowedMentor)
        );
    }

    #[test]
    fn excluded_pairs_are_never_assigned_nor_offered() {
        // Protégé i is also mentor i (the matcher leaves that pair out).
        let n = 4;
        let pairs: Vec<Pair> = (0..n)
            .flat_map(|p| (0..n).map(move |j| (p, j)))
            .filter(|(p, j)| p != j)
            .map(|(p, j)| Pair {
                protege: p,
                mentor: j,
                score: 1.0 - 0.1 * j as f64,
            })
            .collect();
        let a = assign(n, &[4, 4, 4, 4], &pairs).unwrap();
        for (p, r) in a.proteges.iter().enumerate() {
            assert_ne!(r.placement.mentor(), Some(p));
            assert!(r.shortlist.iter().all(|c| c.mentor != p));
            assert_eq!(r.shortlist.len(), 3);
        }
        assert_eq!(mentor_of(&a), vec![Some(1), Some(0), Some(0), Some(0)]);
        // Every mentor has a free place, so prices are 0 and costs are score differences.
        assert_eq!(
            shortlist(&a, 1),
            vec![
                (0, 0.0, false, false),
                (2, 0.2, false, false),
                (3, 0.3, false, false)
            ]
        );
    }

    #[test]
    fn more_proteges_than_places_leaves_the_rest_unmatched_with_reasons() {
        // Two places, five protégés; p4 has no allowed pair at all.
        let s = |v: f64| Some(v);
        let scores = vec![
            vec![s(0.5), s(0.1)],
            vec![s(0.9), None],
            vec![s(0.2), s(0.3)],
            vec![None, s(0.8)],
            vec![None, None],
        ];
        let a = assign_dense(&[1, 1], &scores).unwrap();
        assert_eq!(a.matched, 2);
        assert_eq!(mentor_of(&a), vec![None, Some(0), None, Some(1), None]);
        let exhausted = Placement::Unmatched(Unmatched::CapacityExhausted);
        assert_eq!(a.proteges[0].placement, exhausted);
        assert_eq!(a.proteges[2].placement, exhausted);
        assert_eq!(
            a.proteges[4].placement,
            Placement::Unmatched(Unmatched::NoAllowedMentor)
        );
        assert!(a.proteges[4].shortlist.is_empty());
        // An unmatched protégé sees its best allowed mentors, all full; taking one is a
        // swap (no match lost) that costs price − score.
        assert_eq!(
            shortlist(&a, 0),
            vec![(0, 0.4, false, true), (1, 0.7, false, true)]
        );
        assert_certified(&[1, 1], &scores, &a);
    }

    #[test]
    fn the_optimum_matches_brute_force_on_random_small_instances() {
        let mut rng = Rng(2024);
        for case in 0..600 {
            let n = 1 + rng.below(7) as usize;
            let m = 1 + rng.below(4) as usize;
            let allowed = [0.3, 0.6, 1.0][case % 3];
            let (caps, scores) = instance(&mut rng, n, m, 3, allowed, case % 2 == 0);
            let a = assign_dense(&caps, &scores).unwrap();
            let (count, total) = brute(&caps, &scores, None).unwrap();
            assert_eq!(a.matched, count, "case {case}: {caps:?} {scores:?}");
            assert_eq!(
                int(a.total_score),
                total,
                "case {case}: {caps:?} {scores:?}"
            );
            assert_certified(&caps, &scores, &a);
        }
    }

    #[test]
    fn prices_are_what_one_place_less_costs_by_brute_force() {
        let mut rng = Rng(99);
        for case in 0..300 {
            let n = 1 + rng.below(7) as usize;
            let m = 1 + rng.below(4) as usize;
            let (caps, scores) = instance(&mut rng, n, m, 3, 0.7, case % 2 == 0);
            let a = assign_dense(&caps, &scores).unwrap();
            let best = brute(&caps, &scores, None).unwrap();
            for j in 0..m {
                if caps[j] == 0 {
                    continue;
                }
                let mut fewer = caps.clone();
                fewer[j] -= 1;
                let less = brute(&fewer, &scores, None).unwrap();
                let price = a.mentors[j].price.unwrap();
                let expected = (best.0 - less.0 == 1, best.1 - less.1);
                assert_eq!(
                    (price.loses_a_match, int(price.score)),
                    expected,
                    "case {case}, mentor {j}: {caps:?} {scores:?}"
                );
            }
        }
    }

    #[test]
    fn shortlist_costs_never_exceed_the_true_cost_of_switching() {
        let mut rng = Rng(5);
        for case in 0..300 {
            let n = 1 + rng.below(7) as usize;
            let m = 1 + rng.below(4) as usize;
            let (caps, scores) = instance(&mut rng, n, m, 3, 0.8, case % 2 == 1);
            let a = assign_dense(&caps, &scores).unwrap();
            let best = brute(&caps, &scores, None).unwrap();
            for (p, r) in a.proteges.iter().enumerate() {
                let assigned = r.placement.mentor();
                if let Some(j) = assigned {
                    let first = r.shortlist[0];
                    assert_eq!(
                        (first.mentor, first.cost, first.loses_a_match),
                        (j, 0.0, false)
                    );
                }
                assert!(r.shortlist.len() <= SHORTLIST_LEN);
                for c in r.shortlist.iter().filter(|c| Some(c.mentor) != assigned) {
                    let forced = brute(&caps, &scores, Some((p, c.mentor))).unwrap();
                    let lost = (best.0 - forced.0, best.1 - forced.1);
                    let bound = (usize::from(c.loses_a_match), int(c.cost));
                    assert!(
                        bound <= lost,
                        "case {case}, protégé {p}, {c:?}: lost {lost:?}"
                    );
                }
                // Nothing left off ranks better than what is shown.
                let shown: Vec<usize> = r.shortlist.iter().map(|c| c.mentor).collect();
                let all = (0..m)
                    .filter(|&j| caps[j] > 0 && scores[p][j].is_some())
                    .count();
                assert_eq!(shown.len(), all.min(SHORTLIST_LEN));
            }
        }
    }

    #[test]
    fn a_dual_certificate_proves_optimality_on_larger_instances() {
        let mut rng = Rng(31337);
        for case in 0..40 {
            let n = 20 + rng.below(200) as usize;
            let m = 2 + rng.below(20) as usize;
            let allowed = [0.1, 0.5, 1.0][case % 3];
            let (caps, scores) = instance(&mut rng, n, m, 12, allowed, case % 4 == 0);
            let a = assign_dense(&caps, &scores).unwrap();
            assert_certified(&caps, &scores, &a);
        }
    }

    #[test]
    fn equal_scores_go_to_the_lower_index() {
        let a = assign_dense(&[1, 1], &[vec![Some(0.5), Some(0.5)]]).unwrap();
        assert_eq!(mentor_of(&a), vec![Some(0)]);
        let a = assign_dense(&[1], &[vec![Some(0.5)], vec![Some(0.5)]]).unwrap();
        assert_eq!(mentor_of(&a), vec![Some(0), None]);
        // The same while a place elsewhere is still free (so the search cannot stop early).
        let only_first = vec![Some(0.5), None];
        let a = assign_dense(&[1, 1], &[only_first.clone(), only_first]).unwrap();
        assert_eq!(mentor_of(&a), vec![Some(0), None]);
        // A newcomer who beats two equal protégés displaces the later one.
        let scores = [0.5, 0.5, 0.9].map(|s| vec![Some(s), None]);
        let a = assign_dense(&[2, 1], &scores).unwrap();
        assert_eq!(mentor_of(&a), vec![Some(0), None, Some(0)]);
        // Alternatives with equal cost are listed by mentor index.
        let a = assign_dense(&[1, 1, 1, 1], &[vec![Some(0.5); 4]]).unwrap();
        let order: Vec<usize> = a.proteges[0].shortlist.iter().map(|c| c.mentor).collect();
        assert_eq!(order, vec![0, 1, 2]);
    }

    #[test]
    fn the_same_input_in_any_pair_order_gives_the_same_result() {
        let mut rng = Rng(11);
        let (caps, scores) = instance(&mut rng, 60, 8, 6, 0.7, true);
        let mut pairs: Vec<Pair> = Vec::new();
        for (p, row) in scores.iter().enumerate() {
            for (j, s) in row.iter().enumerate() {
                if let Some(score) = *s {
                    pairs.push(Pair {
                        protege: p,
                        mentor: j,
                        score,
                    });
                }
            }
        }
        let first = assign(60, &caps, &pairs).unwrap();
        for _ in 0..5 {
            for i in (1..pairs.len()).rev() {
                pairs.swap(i, rng.below(i as u64 + 1) as usize);
            }
            assert_eq!(assign(60, &caps, &pairs).unwrap(), first);
        }
        assert_eq!(assign_dense(&caps, &scores).unwrap(), first);
    }

    #[test]
    fn empty_inputs_give_an_empty_assignment() {
        let a = assign(0, &[], &[]).unwrap();
        assert_eq!((a.proteges.len(), a.mentors.len(), a.matched), (0, 0, 0));
        assert_eq!(a.total_score, 0.0);
        let a = assign(0, &[3, 1], &[]).unwrap();
        assert_eq!(a.mentors[0].price.unwrap().score, 0.0);
        let a = assign(2, &[], &[]).unwrap();
        let none = Placement::Unmatched(Unmatched::NoAllowedMentor);
        assert!(a.proteges.iter().all(|r| r.placement == none));
        let a = assign(2, &[1], &[]).unwrap();
        assert!(
            a.proteges
                .iter()
                .all(|r| r.placement == none && r.shortlist.is_empty())
        );
    }

    #[test]
    fn nan_negative_and_over_one_scores_are_rejected_naming_the_pair() {
        for bad in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            let pairs = [
                Pair {
                    protege: 0,
                    mentor: 0,
                    score: 0.5,
                },
                Pair {
                    protege: 1,
                    mentor: 2,
                    score: bad,
                },
            ];
            let err = assign(2, &[1, 1, 1], &pairs).unwrap_err();
            assert!(
                matches!(
                    err,
                    AssignError::InvalidScore {
                        protege: 1,
                        mentor: 2,
                        ..
                    }
                ),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(text.starts_with("protégé 1, mentor 2: score "), "{text}");
            assert!(text.ends_with("is not a number between 0 and 1"), "{text}");
        }
        let err = assign_dense(&[1], &[vec![Some(f64::NAN)]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protégé 0, mentor 0: score NaN is not a number between 0 and 1"
        );
    }

    #[test]
    fn out_of_range_duplicate_and_misshapen_input_is_rejected() {
        let pair = |protege, mentor| Pair {
            protege,
            mentor,
            score: 0.5,
        };
        let err = assign(1, &[1], &[pair(1, 0)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protégé 1, mentor 0: there are only 1 protégés"
        );
        let err = assign(1, &[1], &[pair(0, 3)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protégé 0, mentor 3: there are only 1 mentors"
        );
        let err = assign(1, &[1], &[pair(0, 0), pair(0, 0)]).unwrap_err();
        assert_eq!(
            err,
            AssignError::DuplicatePair {
                protege: 0,
                mentor: 0
            }
        );
        let err = assign(1, &[0], &[pair(0, 0), pair(0, 0)]).unwrap_err();
        assert_eq!(
            err,
            AssignError::DuplicatePair {
                protege: 0,
                mentor: 0
            }
        );
        let err = assign_dense(&[1, 1], &[vec![Some(0.5)]]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "protégé 0: 1 scores given, one per mentor (2) expected"
        );
        assert!(matches!(
            Problem::new(usize::MAX, vec![1, 1]),
            Err(AssignError::TooLarge { .. })
        ));
    }

    #[test]
    fn scores_are_taken_to_nine_decimal_places() {
        let a = assign_dense(&[1], &[vec![Some(0.123_456_789_4)]]).unwrap();
        assert_eq!(a.total_score, 0.123_456_789);
        assert_eq!(a.proteges[0].shortlist[0].score, 0.123_456_789);
    }
}
