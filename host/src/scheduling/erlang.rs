//! Erlang C and Erlang A: the service level a number of agents gives one
//! interval's load, and the fewest agents that meet a service-level target.
//!
//! Pure arithmetic, no I/O. Everything is computed without factorials or
//! powers `A^N`, so hundreds or thousands of Erlangs are as cheap and as
//! accurate as ten:
//!
//! - **Erlang C** (M/M/N, callers wait forever) goes through the Erlang B
//!   recursion `B_0 = 1, B_n = A·B_{n−1} / (n + A·B_{n−1})`, whose terms all
//!   lie in `[0, 1]`, then `Pw = C = N·B / (N − A·(1 − B))`.
//! - **Erlang A** (M/M/N+M, exponential patience) is the birth–death chain
//!   on the number of contacts in the system, weighted in log space and
//!   truncated where the remaining probability is below `e^−40` of the
//!   largest state; the wait of a caller who finds `k` ahead is a sum of
//!   exponential phases whose distribution is summed as a negative-binomial
//!   series of positive terms (see [`erlang_a`]).
//!
//! Units: traffic in Erlangs, times in seconds, probabilities in `[0, 1]`.

use serde::{Deserialize, Serialize};

/// The most traffic one interval may carry, in Erlangs. The Erlang B
/// recursion is linear in the number of agents, so this bounds the work of
/// one prediction (and keeps agent counts well inside `u32`).
pub const MAX_ERLANGS: f64 = 1_000_000.0;

/// Erlang A gives up beyond this many queue states (an overloaded queue
/// with patience so long that the queue grows to millions of callers; use
/// Erlang C there).
pub const MAX_QUEUE_STATES: usize = 2_000_000;

/// States whose weight is below `e^−TRUNCATION` of the largest state's
/// (tail bound included) are dropped: `e^−40 ≈ 4·10^−18`, below `f64`
/// resolution of any sum of probabilities.
const TRUNCATION: f64 = 40.0;

/// Added before flooring and removed before ceiling agent counts scaled by
/// shrinkage, so `20 × (1 − 0.3)` is 14 agents and `14 / (1 − 0.3)` is 20,
/// not 13 and 21 from rounding in the last bit.
const SHRINKAGE_EPSILON: f64 = 1e-9;

/// Why an Erlang computation was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ErlangError {
    /// A parameter is out of range.
    #[error("{parameter} must be {requirement} (got {value})")]
    InvalidParameter {
        /// The parameter, spelled as in the API (`aht_seconds`, `level`…).
        parameter: &'static str,
        /// What it must be, e.g. `greater than 0`.
        requirement: &'static str,
        /// The value given.
        value: f64,
    },
    /// No staffing up to `max_agents` reaches the target.
    #[error(
        "no staffing up to {max_agents} agents reaches a service level of {level} \
         within {answer_seconds} s"
    )]
    TargetUnreachable {
        /// The target service level.
        level: f64,
        /// The target answer time, seconds.
        answer_seconds: f64,
        /// The largest staffing tried.
        max_agents: u32,
    },
    /// Erlang A with very long patience on an overloaded queue: the queue
    /// would hold more than [`MAX_QUEUE_STATES`] callers.
    #[error(
        "patience_seconds {patience_seconds} is too long for {agents} agents on this load: \
         the Erlang A queue would exceed {max_states} states (use Erlang C)"
    )]
    QueueTooLong {
        /// The mean patience given, seconds.
        patience_seconds: f64,
        /// The staffing evaluated.
        agents: u32,
        /// [`MAX_QUEUE_STATES`].
        max_states: usize,
    },
}

impl ErlangError {
    /// The parameter at fault, for errors about one parameter.
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            ErlangError::InvalidParameter { parameter, .. } => Some(parameter),
            ErlangError::QueueTooLong { .. } => Some("patience_seconds"),
            ErlangError::TargetUnreachable { .. } => None,
        }
    }
}

type Result<T> = std::result::Result<T, ErlangError>;

fn invalid(parameter: &'static str, requirement: &'static str, value: f64) -> ErlangError {
    ErlangError::InvalidParameter {
        parameter,
        requirement,
        value,
    }
}

fn positive(parameter: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(parameter, "a finite number greater than 0", value))
    }
}

fn non_negative(parameter: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(parameter, "a finite number of at least 0", value))
    }
}

fn check_shrinkage(shrinkage: f64) -> Result<()> {
    if (0.0..1.0).contains(&shrinkage) {
        Ok(())
    } else {
        Err(invalid("shrinkage", "in [0, 1)", shrinkage))
    }
}

/// One interval's offered load.
///
/// ```
/// use sidecoach::scheduling::erlang::IntervalLoad;
///
/// // 100 calls in 30 minutes, 180 s each: 10 Erlangs.
/// let load = IntervalLoad::new(100.0, 180.0, 1800.0)?;
/// assert_eq!(load.erlangs(), 10.0);
/// # Ok::<(), sidecoach::scheduling::erlang::ErlangError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalLoad {
    /// Contacts offered in the interval (at least 0).
    pub offered: f64,
    /// Average handle time, seconds (greater than 0).
    pub aht_seconds: f64,
    /// The interval's length, seconds (greater than 0).
    pub interval_seconds: f64,
}

impl IntervalLoad {
    /// A validated load.
    pub fn new(offered: f64, aht_seconds: f64, interval_seconds: f64) -> Result<IntervalLoad> {
        let load = IntervalLoad {
            offered,
            aht_seconds,
            interval_seconds,
        };
        load.validate()?;
        Ok(load)
    }

    /// Check every field (the fields are public, so every computation
    /// checks again).
    pub fn validate(&self) -> Result<()> {
        non_negative("offered", self.offered)?;
        positive("aht_seconds", self.aht_seconds)?;
        positive("interval_seconds", self.interval_seconds)?;
        if self.erlangs() > MAX_ERLANGS {
            return Err(invalid(
                "offered",
                "at most 1,000,000 Erlangs of traffic (offered × aht_seconds / interval_seconds)",
                self.offered,
            ));
        }
        Ok(())
    }

    /// Traffic intensity `A = offered × AHT / interval`, in Erlangs.
    pub fn erlangs(&self) -> f64 {
        self.offered * self.aht_seconds / self.interval_seconds
    }
}

/// Traffic intensity `A = offered × AHT / interval`, in Erlangs, after
/// validating the three parameters.
pub fn traffic_erlangs(offered: f64, aht_seconds: f64, interval_seconds: f64) -> Result<f64> {
    Ok(IntervalLoad::new(offered, aht_seconds, interval_seconds)?.erlangs())
}

/// A service-level target: `level` of contacts answered within
/// `answer_seconds` (e.g. 80% in 20 s).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTarget {
    /// The share to answer in time, in (0, 1], e.g. `0.8`.
    pub level: f64,
    /// The answer time, seconds (at least 0), e.g. `20`.
    pub answer_seconds: f64,
}

impl ServiceTarget {
    /// A validated target.
    pub fn new(level: f64, answer_seconds: f64) -> Result<ServiceTarget> {
        let target = ServiceTarget {
            level,
            answer_seconds,
        };
        target.validate()?;
        Ok(target)
    }

    /// Check both fields.
    pub fn validate(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level <= 1.0) {
            return Err(invalid("level", "in (0, 1]", self.level));
        }
        non_negative("answer_seconds", self.answer_seconds)
    }
}

/// Whether callers who abandon count in an Erlang A service level. Vendors
/// differ; with `t` the target answer time:
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AbandonedInSl {
    /// `answered within t / (offered − abandoned within t)`: callers who
    /// hang up before `t` are left out ("short abandons"); those who hang
    /// up later count as misses. The default.
    #[default]
    Excluded,
    /// `answered within t / offered`: every abandoned caller is a miss.
    Included,
    /// `(answered within t + abandoned within t) / offered`: a caller who
    /// hangs up before `t` counts as met. (With patience much shorter than
    /// `t` this rewards abandonment, down to no agents at all.)
    CountedAsMet,
}

/// The queueing model used to predict service levels.
///
/// (Answered-only service level, `answered within t / answered`, is not
/// offered: it rises when fewer agents make more callers give up, so it
/// cannot size staffing.)
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum StaffingModel {
    /// Erlang C: nobody abandons. The conservative default.
    // A struct variant, not a unit one: serde then refuses unknown fields
    // next to `"kind": "erlang-c"` as it does everywhere else.
    ErlangC {},
    /// Erlang A: callers abandon after an exponential patience.
    ErlangA {
        /// Mean patience, seconds (greater than 0).
        patience_seconds: f64,
        /// How abandoned callers count in the service level.
        #[serde(default)]
        abandoned_in_sl: AbandonedInSl,
    },
}

impl Default for StaffingModel {
    fn default() -> StaffingModel {
        StaffingModel::ErlangC {}
    }
}

impl StaffingModel {
    /// Check the model's parameters.
    pub fn validate(&self) -> Result<()> {
        match self {
            StaffingModel::ErlangC {} => Ok(()),
            StaffingModel::ErlangA {
                patience_seconds, ..
            } => positive("patience_seconds", *patience_seconds),
        }
    }

    /// The predicted performance of `agents` on `load`, with the service
    /// level measured at `answer_seconds`.
    pub fn predict(
        &self,
        load: &IntervalLoad,
        agents: u32,
        answer_seconds: f64,
    ) -> Result<StaffingPrediction> {
        match *self {
            StaffingModel::ErlangC {} => erlang_c(load, agents, answer_seconds),
            StaffingModel::ErlangA {
                patience_seconds,
                abandoned_in_sl,
            } => erlang_a(
                load,
                agents,
                answer_seconds,
                patience_seconds,
                abandoned_in_sl,
            ),
        }
    }

    /// The fewest agents on the phones whose predicted service level meets
    /// `target`.
    pub fn agents_required(&self, load: &IntervalLoad, target: &ServiceTarget) -> Result<u32> {
        match *self {
            StaffingModel::ErlangC {} => erlang_c_required(load, target),
            StaffingModel::ErlangA {
                patience_seconds,
                abandoned_in_sl,
            } => erlang_a_required(load, target, patience_seconds, abandoned_in_sl),
        }
    }
}

/// What a number of agents is predicted to give one interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StaffingPrediction {
    /// Agents on the phones.
    pub agents: u32,
    /// Offered traffic, Erlangs.
    pub traffic_erlangs: f64,
    /// Probability that a contact waits at all (all agents busy on arrival).
    pub probability_of_waiting: f64,
    /// Probability that a contact abandons (0 under Erlang C).
    pub probability_of_abandonment: f64,
    /// Share answered within the answer time (see [`AbandonedInSl`] for
    /// Erlang A).
    pub service_level: f64,
    /// Average speed of answer of the answered contacts, seconds (waits of
    /// zero included). `None` when no contact is ever answered on average:
    /// Erlang C with agents ≤ traffic (the queue grows without bound), or no
    /// agents at all.
    pub asa_seconds: Option<f64>,
    /// Share of agent time spent handling contacts: carried traffic over
    /// agents, 1 when saturated (including no agents but some traffic), 0
    /// without traffic.
    pub occupancy: f64,
}

impl StaffingPrediction {
    fn idle(agents: u32) -> StaffingPrediction {
        StaffingPrediction {
            agents,
            traffic_erlangs: 0.0,
            probability_of_waiting: 0.0,
            probability_of_abandonment: 0.0,
            service_level: 1.0,
            asa_seconds: Some(0.0),
            occupancy: 0.0,
        }
    }
}

/// One step of the Erlang B recursion: `B_n` from `B_{n−1}`.
fn erlang_b_step(a: f64, n: u32, b_prev: f64) -> f64 {
    let ab = a * b_prev;
    ab / (f64::from(n) + ab)
}

/// Erlang B (blocking probability of `n` servers offered `a` Erlangs).
fn erlang_b(a: f64, n: u32) -> f64 {
    (1..=n).fold(1.0, |b, k| erlang_b_step(a, k, b))
}

/// Erlang C from `B = erlang_b(a, n)`, `a > 0`.
fn erlang_c_with_b(a: f64, n: u32, b: f64, aht: f64, t: f64) -> StaffingPrediction {
    let nf = f64::from(n);
    if nf <= a {
        return StaffingPrediction {
            agents: n,
            traffic_erlangs: a,
            probability_of_waiting: 1.0,
            probability_of_abandonment: 0.0,
            service_level: 0.0,
            asa_seconds: None,
            occupancy: 1.0,
        };
    }
    let pw = (nf * b / (nf - a * (1.0 - b))).clamp(0.0, 1.0);
    StaffingPrediction {
        agents: n,
        traffic_erlangs: a,
        probability_of_waiting: pw,
        probability_of_abandonment: 0.0,
        service_level: (1.0 - pw * (-(nf - a) * t / aht).exp()).clamp(0.0, 1.0),
        asa_seconds: Some(pw * aht / (nf - a)),
        occupancy: a / nf,
    }
}

/// Erlang C (M/M/N, nobody abandons) for `agents` on `load`, service level
/// at `answer_seconds`:
///
/// - `Pw = C(N, A) = N·B / (N − A·(1 − B))` with `B` the Erlang B
///   recursion (no factorials);
/// - `SL(t) = 1 − Pw·e^{−(N−A)·t/AHT}`;
/// - `ASA = Pw·AHT / (N − A)`; occupancy `A / N`.
///
/// With `N ≤ A` the queue grows without bound: `Pw = 1`, `SL = 0`,
/// `ASA = None`, occupancy 1. Without traffic: `SL = 1`, `ASA = 0`.
///
/// ```
/// use sidecoach::scheduling::erlang::{IntervalLoad, erlang_c};
///
/// let p = erlang_c(&IntervalLoad::new(100.0, 180.0, 1800.0)?, 14, 20.0)?;
/// assert!((p.service_level - 0.8884).abs() < 1e-4);
/// # Ok::<(), sidecoach::scheduling::erlang::ErlangError>(())
/// ```
pub fn erlang_c(
    load: &IntervalLoad,
    agents: u32,
    answer_seconds: f64,
) -> Result<StaffingPrediction> {
    load.validate()?;
    non_negative("answer_seconds", answer_seconds)?;
    let a = load.erlangs();
    if a == 0.0 {
        return Ok(StaffingPrediction::idle(agents));
    }
    Ok(erlang_c_with_b(
        a,
        agents,
        erlang_b(a, agents),
        load.aht_seconds,
        answer_seconds,
    ))
}

/// The Erlang C search's upper bound: staffing beyond `A + 100 + 20·√A`
/// has a waiting probability far below `f64` resolution.
fn search_cap(a: f64) -> u32 {
    // `a` is at most MAX_ERLANGS, so this fits easily.
    (a.floor() + 100.0 + 20.0 * a.sqrt()) as u32
}

fn erlang_c_required(load: &IntervalLoad, target: &ServiceTarget) -> Result<u32> {
    load.validate()?;
    target.validate()?;
    let a = load.erlangs();
    if a == 0.0 {
        return Ok(0);
    }
    // The smallest stable staffing, then one Erlang B step per agent.
    let first = a.floor() as u32 + 1;
    let cap = search_cap(a);
    let mut b = erlang_b(a, first);
    for n in first..=cap {
        if n > first {
            b = erlang_b_step(a, n, b);
        }
        let p = erlang_c_with_b(a, n, b, load.aht_seconds, target.answer_seconds);
        if p.service_level >= target.level {
            return Ok(n);
        }
    }
    Err(ErlangError::TargetUnreachable {
        level: target.level,
        answer_seconds: target.answer_seconds,
        max_agents: cap,
    })
}

/// The fewest agents on the phones for which Erlang C predicts a service
/// level of at least `target_level` within `answer_seconds`. Searches
/// upward from the smallest stable staffing `⌊A⌋ + 1`, one Erlang B step per
/// agent, so `A = 2000` costs a few thousand multiplications.
///
/// ```
/// use sidecoach::scheduling::erlang::agents_required;
///
/// assert_eq!(agents_required(100.0, 180.0, 1800.0, 0.8, 20.0)?, 14);
/// # Ok::<(), sidecoach::scheduling::erlang::ErlangError>(())
/// ```
pub fn agents_required(
    offered: f64,
    aht_seconds: f64,
    interval_seconds: f64,
    target_level: f64,
    answer_seconds: f64,
) -> Result<u32> {
    erlang_c_required(
        &IntervalLoad::new(offered, aht_seconds, interval_seconds)?,
        &ServiceTarget::new(target_level, answer_seconds)?,
    )
}

/// Agents to schedule so that `required` remain on the phones after
/// `shrinkage` (breaks, training, absence): `⌈required / (1 − shrinkage)⌉`.
/// `shrinkage` must be in `[0, 1)`.
///
/// ```
/// use sidecoach::scheduling::erlang::scheduled_for;
///
/// assert_eq!(scheduled_for(14, 0.3)?, 20);
/// # Ok::<(), sidecoach::scheduling::erlang::ErlangError>(())
/// ```
pub fn scheduled_for(required: u32, shrinkage: f64) -> Result<u32> {
    check_shrinkage(shrinkage)?;
    // Saturates at u32::MAX for absurd shrinkage close to 1.
    Ok((f64::from(required) / (1.0 - shrinkage) - SHRINKAGE_EPSILON).ceil() as u32)
}

/// Agents left on the phones when `scheduled` are scheduled and
/// `shrinkage` is lost: `⌊scheduled × (1 − shrinkage)⌋`, the inverse of
/// [`scheduled_for`].
pub fn on_phones(scheduled: u32, shrinkage: f64) -> Result<u32> {
    check_shrinkage(shrinkage)?;
    Ok((f64::from(scheduled) * (1.0 - shrinkage) + SHRINKAGE_EPSILON).floor() as u32)
}

/// Removed before ceiling `traffic / max_occupancy`, so `8.5 / 0.85` is 10
/// agents, not 11 from rounding in the last bit.
const OCCUPANCY_EPSILON: f64 = 1e-9;

fn check_max_occupancy(max_occupancy: f64) -> Result<()> {
    if max_occupancy > 0.0 && max_occupancy <= 1.0 {
        Ok(())
    } else {
        Err(invalid("max_occupancy", "in (0, 1]", max_occupancy))
    }
}

/// The fewest agents on the phones that keep occupancy at or below
/// `max_occupancy`, in `(0, 1]`: `⌈A / max_occupancy⌉`.
///
/// This caps the offered traffic per agent, `A / N`. Under Erlang A the
/// predicted occupancy (carried traffic per agent) is a little lower, as
/// callers who give up are never handled, so the cap is then slightly
/// conservative. It exists because Erlang C alone staffs very large
/// queues close to 100% occupancy: pooling makes the service level
/// cheap, but agents cannot take call after call with no breath between.
///
/// ```
/// use sidecoach::scheduling::erlang::{IntervalLoad, agents_for_occupancy};
///
/// // 5,000 calls in 30 minutes, 180 s each: 500 Erlangs; at most 85% busy.
/// let load = IntervalLoad::new(5000.0, 180.0, 1800.0)?;
/// assert_eq!(agents_for_occupancy(&load, 0.85)?, 589);
/// # Ok::<(), sidecoach::scheduling::erlang::ErlangError>(())
/// ```
pub fn agents_for_occupancy(load: &IntervalLoad, max_occupancy: f64) -> Result<u32> {
    load.validate()?;
    check_max_occupancy(max_occupancy)?;
    // `A` is at most MAX_ERLANGS, so the count fits a u32 easily.
    Ok((load.erlangs() / max_occupancy - OCCUPANCY_EPSILON)
        .ceil()
        .max(0.0) as u32)
}

/// Which constraint set an interval's requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequiredBy {
    /// The service-level target (Erlang C or A) needs at least as many
    /// agents as the occupancy cap.
    ServiceLevel,
    /// The occupancy cap needs more agents than the service-level target.
    MaxOccupancy,
}

/// The agents one interval needs on the phones, and which constraint set
/// the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Requirement {
    /// Agents required on the phones: the larger of the two below.
    pub agents: u32,
    /// The fewest agents whose predicted service level meets the target.
    pub for_service_level: u32,
    /// The fewest agents that keep occupancy within the cap (0 without one).
    pub for_occupancy: u32,
    /// The constraint that set `agents` (the service level on a tie).
    pub required_by: RequiredBy,
}

impl Requirement {
    /// `required = max(for_service_level, for_occupancy)`.
    pub fn of(for_service_level: u32, for_occupancy: u32) -> Requirement {
        Requirement {
            agents: for_service_level.max(for_occupancy),
            for_service_level,
            for_occupancy,
            required_by: if for_occupancy > for_service_level {
                RequiredBy::MaxOccupancy
            } else {
                RequiredBy::ServiceLevel
            },
        }
    }
}

impl StaffingModel {
    /// The agents `load` needs on the phones: enough for `target` under
    /// this model and, with `max_occupancy`, at least
    /// [`agents_for_occupancy`].
    ///
    /// ```
    /// use sidecoach::scheduling::erlang::{
    ///     IntervalLoad, RequiredBy, ServiceTarget, StaffingModel,
    /// };
    ///
    /// let target = ServiceTarget::new(0.8, 20.0)?;
    /// let model = StaffingModel::default();
    /// // 10 Erlangs: 80/20 needs 14 agents, 71% busy; the cap does not bind.
    /// let small = IntervalLoad::new(100.0, 180.0, 1800.0)?;
    /// let r = model.requirement(&small, &target, Some(0.85))?;
    /// assert_eq!((r.agents, r.required_by), (14, RequiredBy::ServiceLevel));
    /// // 500 Erlangs: 80/20 alone would run agents at 98%; the cap sets it.
    /// let large = IntervalLoad::new(5000.0, 180.0, 1800.0)?;
    /// let r = model.requirement(&large, &target, Some(0.85))?;
    /// assert_eq!((r.agents, r.required_by), (589, RequiredBy::MaxOccupancy));
    /// # Ok::<(), sidecoach::scheduling::erlang::ErlangError>(())
    /// ```
    pub fn requirement(
        &self,
        load: &IntervalLoad,
        target: &ServiceTarget,
        max_occupancy: Option<f64>,
    ) -> Result<Requirement> {
        let for_occupancy = match max_occupancy {
            Some(cap) => agents_for_occupancy(load, cap)?,
            None => 0,
        };
        Ok(Requirement::of(
            self.agents_required(load, target)?,
            for_occupancy,
        ))
    }
}

/// The raw Erlang A probabilities, before a service-level convention.
struct ErlangAParts {
    /// P(all agents busy on arrival).
    wait: f64,
    /// P(abandon).
    abandon: f64,
    /// P(answered within t).
    answered_within: f64,
    /// P(abandoned within t).
    abandoned_within: f64,
    /// E[wait · 1{answered}], seconds.
    answered_wait: f64,
}

/// `Σ_{i≤k} T_i` for the negative binomial `T_i = (β)_i/i! · x^β · (1−x)^i`,
/// grown one `k` at a time. Every term is a probability, so the running
/// sum is a sum of positive numbers; the terms are built in log space
/// because `x^β` alone can underflow while later terms do not.
struct NegativeBinomialCdf {
    beta: f64,
    ln_1mx: f64,
    ln_term: f64,
    i: u32,
    sum: f64,
}

impl NegativeBinomialCdf {
    /// Starts at `k = 0`: `x^β` with `ln x = ln_x`.
    fn new(beta: f64, ln_x: f64, ln_1mx: f64) -> Self {
        let ln_term = beta * ln_x;
        NegativeBinomialCdf {
            beta,
            ln_1mx,
            ln_term,
            i: 0,
            sum: ln_term.exp(),
        }
    }

    /// Move to `k + 1` and return the new cumulative sum.
    fn next(&mut self) -> f64 {
        self.i += 1;
        let i = f64::from(self.i);
        self.ln_term += ((self.beta + i - 1.0) / i).ln() + self.ln_1mx;
        self.sum += self.ln_term.exp();
        self.sum
    }
}

/// Log-weights of the birth–death chain: states below `N` (descending from
/// `N − 1`) and queue states `N + j` for `j = 0, 1, …` (relative to state
/// `N`), both truncated, and the largest weight.
fn erlang_a_weights(a: f64, n: u32, r: f64, patience: f64) -> Result<(Vec<f64>, Vec<f64>, f64)> {
    let nf = f64::from(n);
    if nf < a && (a - nf) / r > MAX_QUEUE_STATES as f64 {
        return Err(ErlangError::QueueTooLong {
            patience_seconds: patience,
            agents: n,
            max_states: MAX_QUEUE_STATES,
        });
    }
    let mut max = 0.0_f64;
    // Below N: w_{m−1} = w_m · m / A.
    let mut lower = Vec::new();
    let mut lw = 0.0;
    for m in (1..=n).rev() {
        lw += (f64::from(m) / a).ln();
        lower.push(lw);
        max = max.max(lw);
        // Ratios m/A fall as m falls: the rest is at most a geometric tail.
        let next = f64::from(m - 1) / a;
        if next < 1.0 && lw + (next / (1.0 - next)).ln() < max - TRUNCATION {
            break;
        }
    }
    // Queue: w_{N+j} = w_{N+j−1} · λ / (Nμ + jθ) = w_{N+j−1} · A / (N + j·r).
    let mut queue = vec![0.0];
    let mut lw = 0.0;
    loop {
        let ratio = a / (nf + queue.len() as f64 * r);
        if ratio < 1.0 && lw + (ratio / (1.0 - ratio)).ln() < max - TRUNCATION {
            break;
        }
        if queue.len() >= MAX_QUEUE_STATES {
            return Err(ErlangError::QueueTooLong {
                patience_seconds: patience,
                agents: n,
                max_states: MAX_QUEUE_STATES,
            });
        }
        lw += ratio.ln();
        queue.push(lw);
        max = max.max(lw);
    }
    Ok((lower, queue, max))
}

/// Erlang A for `a > 0` Erlangs and `n ≥ 1` agents; see [`erlang_a`].
fn erlang_a_parts(a: f64, n: u32, aht: f64, t: f64, patience: f64) -> Result<ErlangAParts> {
    let nf = f64::from(n);
    let r = aht / patience; // θ/μ
    let (lower, queue, max) = erlang_a_weights(a, n, r, patience)?;
    let lower_mass: f64 = lower.iter().map(|lw| (lw - max).exp()).sum();
    let queue_mass: f64 = queue.iter().map(|lw| (lw - max).exp()).sum();
    let z = lower_mass + queue_mass;

    // x = e^{−θt}; the two negative binomials of the waiting-time phases.
    let theta_t = t / patience;
    let ln_x = -theta_t;
    let ln_1mx = (-(-theta_t).exp_m1()).ln();
    let x = (-theta_t).exp();
    let b = nf / r; // Nμ/θ
    let mut served_late = NegativeBinomialCdf::new(b + 1.0, ln_x, ln_1mx);
    let mut unresolved = NegativeBinomialCdf::new(b, ln_x, ln_1mx);
    let (mut s1, mut s0) = (served_late.sum, unresolved.sum);

    let mut abandon = 0.0;
    let mut answered_within = 0.0;
    let mut abandoned_within = 0.0;
    let mut answered_wait = 0.0;
    let mut phases = 0.0; // Σ_{i=1}^{k+1} AHT / (N + i·r)
    for (k, lw) in queue.iter().enumerate() {
        if k > 0 {
            s1 = served_late.next();
            s0 = unresolved.next();
        }
        let p = (lw - max).exp() / z;
        let k1 = (k + 1) as f64;
        let denom = nf + k1 * r;
        let served = nf / denom;
        phases += aht / denom;
        abandon += p * (k1 * r / denom);
        let within = (served * (1.0 - s1)).clamp(0.0, served);
        answered_within += p * within;
        abandoned_within += p * (1.0 - x * s0 - within).clamp(0.0, 1.0);
        answered_wait += p * served * phases;
    }
    Ok(ErlangAParts {
        wait: queue_mass / z,
        abandon,
        answered_within: lower_mass / z + answered_within,
        abandoned_within,
        answered_wait,
    })
}

/// Erlang A (M/M/N+M: Poisson arrivals `λ`, exponential handle time with
/// mean `AHT = 1/μ`, exponential patience with mean `patience = 1/θ`) for
/// `agents` on `load`, service level at `answer_seconds = t` counted as
/// `abandoned_in_sl` says.
///
/// **Stationary distribution.** The number in system is a birth–death
/// chain with birth rate `λ` and death rate `min(n, N)·μ + max(n − N, 0)·θ`.
/// With `A = λ/μ`, `r = θ/μ`, relative to state `N`:
/// `w_{m−1} = w_m · m/A` below `N` and `w_{N+j} = w_{N+j−1} · A/(N + j·r)`
/// above. Weights are summed in log space (no overflow at any load) and
/// each side is cut off once a geometric bound on its remaining tail is
/// below `e^−40` of the largest weight. By PASTA an arrival finds state `n`
/// with probability `π_n`; `Pw = Σ_{n≥N} π_n`.
///
/// **Wait of a caller who finds `k` ahead.** The number ahead falls at
/// rate `Nμ + jθ` while `j` are ahead (a service completion or one of them
/// abandoning); the caller reaches an agent after the phases `j = k … 0`,
/// `V_k = Σ_{j=0}^{k} Exp(Nμ + jθ)`, unless its own patience `τ ~ Exp(θ)`
/// runs out first. Telescoping the Laplace transform,
/// `P(V_k < τ) = Nμ / (Nμ + (k+1)θ)`, so `P(abandon | k) = (k+1)θ / (Nμ + (k+1)θ)`.
/// Weighting by `e^{−θv}` shifts every phase rate by `θ`, and a sum of
/// exponentials with rates `c + iθ`, `i = 1…m`, exceeds `t` with probability
/// `I_x(c/θ + 1, m)` (regularized incomplete beta, `x = e^{−θt}`), which for
/// integer `m` is the negative-binomial sum
/// `S_β(k) = Σ_{i≤k} (β)_i/i! · x^β (1−x)^i` (positive terms). With `b = Nμ/θ`:
///
/// - answered within t: `P(V_k ≤ t, V_k < τ) = Nμ/(Nμ+(k+1)θ) · (1 − S_{b+1}(k))`;
/// - still waiting at t: `P(V_k > t, τ > t) = x · S_b(k)`;
/// - abandoned within t: the rest, `1 − x·S_b(k) − answered within t`;
/// - wait if answered: `E[V_k; V_k < τ] = Nμ/(Nμ+(k+1)θ) · Σ_{i=1}^{k+1} 1/(Nμ + iθ)`.
///
/// Callers who find a free agent (`n < N`) are answered at once.
/// `ASA = E[wait; answered] / P(answered)`, occupancy `A·(1 − P(abandon)) / N`.
/// Without traffic: `SL = 1`; with no agents every caller abandons.
pub fn erlang_a(
    load: &IntervalLoad,
    agents: u32,
    answer_seconds: f64,
    patience_seconds: f64,
    abandoned_in_sl: AbandonedInSl,
) -> Result<StaffingPrediction> {
    load.validate()?;
    non_negative("answer_seconds", answer_seconds)?;
    positive("patience_seconds", patience_seconds)?;
    let a = load.erlangs();
    if a == 0.0 {
        return Ok(StaffingPrediction::idle(agents));
    }
    let parts = if agents == 0 {
        ErlangAParts {
            wait: 1.0,
            abandon: 1.0,
            answered_within: 0.0,
            abandoned_within: -(-answer_seconds / patience_seconds).exp_m1(),
            answered_wait: 0.0,
        }
    } else {
        erlang_a_parts(
            a,
            agents,
            load.aht_seconds,
            answer_seconds,
            patience_seconds,
        )?
    };
    let service_level = match abandoned_in_sl {
        AbandonedInSl::Included => parts.answered_within,
        AbandonedInSl::Excluded => {
            let counted = 1.0 - parts.abandoned_within;
            if counted > 0.0 {
                parts.answered_within / counted
            } else {
                0.0
            }
        }
        AbandonedInSl::CountedAsMet => parts.answered_within + parts.abandoned_within,
    };
    let answered = 1.0 - parts.abandon;
    Ok(StaffingPrediction {
        agents,
        traffic_erlangs: a,
        probability_of_waiting: parts.wait.clamp(0.0, 1.0),
        probability_of_abandonment: parts.abandon.clamp(0.0, 1.0),
        service_level: service_level.clamp(0.0, 1.0),
        asa_seconds: (answered > 0.0).then(|| parts.answered_wait / answered),
        occupancy: if agents == 0 {
            1.0
        } else {
            (a * answered / f64::from(agents)).min(1.0)
        },
    })
}

fn erlang_a_required(
    load: &IntervalLoad,
    target: &ServiceTarget,
    patience_seconds: f64,
    abandoned_in_sl: AbandonedInSl,
) -> Result<u32> {
    load.validate()?;
    target.validate()?;
    positive("patience_seconds", patience_seconds)?;
    if load.erlangs() == 0.0 {
        return Ok(0);
    }
    // A queue too long to evaluate is one where nearly every caller waits
    // for ages: it does not meet any target worth sizing for.
    let meets = |n: u32| match erlang_a(
        load,
        n,
        target.answer_seconds,
        patience_seconds,
        abandoned_in_sl,
    ) {
        Ok(p) => Ok(p.service_level >= target.level),
        Err(ErlangError::QueueTooLong { .. }) => Ok(false),
        Err(e) => Err(e),
    };
    let cap = search_cap(load.erlangs());
    let unreachable = ErlangError::TargetUnreachable {
        level: target.level,
        answer_seconds: target.answer_seconds,
        max_agents: cap,
    };
    // Abandonment shortens the queue, so Erlang C's staffing is (almost
    // always) enough: start there and widen only if it is not.
    let mut hi = match erlang_c_required(load, target) {
        Ok(n) => n,
        Err(ErlangError::TargetUnreachable { .. }) => cap,
        Err(e) => return Err(e),
    };
    while !meets(hi)? {
        if hi >= cap {
            return Err(unreachable);
        }
        hi = (hi + (hi / 4).max(1)).min(cap);
    }
    // Service level rises with agents: bisect for the first that meets it.
    let mut lo = 0;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if meets(mid)? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    fn relative(actual: f64, expected: f64) -> f64 {
        ((actual - expected) / expected).abs()
    }

    /// The published example: 100 calls per 30 minutes, AHT 180 s.
    fn worked_example() -> IntervalLoad {
        IntervalLoad::new(100.0, 180.0, 1800.0).unwrap()
    }

    fn erlang_a_model(patience_seconds: f64, abandoned_in_sl: AbandonedInSl) -> StaffingModel {
        StaffingModel::ErlangA {
            patience_seconds,
            abandoned_in_sl,
        }
    }

    #[test]
    fn traffic_is_offered_times_handle_time_over_interval() {
        assert_eq!(traffic_erlangs(100.0, 180.0, 1800.0).unwrap(), 10.0);
        assert_eq!(traffic_erlangs(0.0, 180.0, 900.0).unwrap(), 0.0);
    }

    #[test]
    fn worked_example_matches_the_published_table() {
        let load = worked_example();
        // agents, Pw, SL(20 s), ASA, occupancy — as published (rounded).
        let table = [
            (12, 0.4494, 0.6402, 40.4, 0.833),
            (13, 0.2853, 0.7956, 17.1, 0.769),
            (14, 0.1741, 0.8884, 7.8, 0.714),
        ];
        for (agents, pw, sl, asa, occupancy) in table {
            let p = erlang_c(&load, agents, 20.0).unwrap();
            assert_eq!(p.traffic_erlangs, 10.0);
            assert!(close(p.probability_of_waiting, pw, 5e-5), "{agents}: {p:?}");
            assert!(close(p.service_level, sl, 5e-5), "{agents}: {p:?}");
            assert!(close(p.asa_seconds.unwrap(), asa, 0.05), "{agents}: {p:?}");
            assert!(close(p.occupancy, occupancy, 5e-4), "{agents}: {p:?}");
            assert_eq!(p.probability_of_abandonment, 0.0);
        }
    }

    #[test]
    fn worked_example_needs_fourteen_agents_and_twenty_scheduled() {
        let required = agents_required(100.0, 180.0, 1800.0, 0.8, 20.0).unwrap();
        assert_eq!(required, 14);
        assert_eq!(scheduled_for(required, 0.3).unwrap(), 20);
        assert_eq!(on_phones(20, 0.3).unwrap(), 14);
        let model = StaffingModel::ErlangC {};
        let target = ServiceTarget::new(0.8, 20.0).unwrap();
        assert_eq!(
            model.agents_required(&worked_example(), &target).unwrap(),
            14
        );
    }

    #[test]
    fn shrinkage_rounds_whole_agents_the_safe_way() {
        assert_eq!(scheduled_for(14, 0.0).unwrap(), 14);
        assert_eq!(scheduled_for(10, 0.35).unwrap(), 16); // 15.38…
        assert_eq!(on_phones(16, 0.35).unwrap(), 10); // 10.4
        assert_eq!(on_phones(10, 0.3).unwrap(), 7);
        assert_eq!(scheduled_for(7, 0.3).unwrap(), 10);
        assert_eq!(scheduled_for(0, 0.5).unwrap(), 0);
    }

    #[test]
    fn too_few_agents_never_answer_in_time() {
        let load = worked_example();
        for agents in [0, 5, 10] {
            let p = erlang_c(&load, agents, 20.0).unwrap();
            assert_eq!(p.probability_of_waiting, 1.0);
            assert_eq!(p.service_level, 0.0);
            assert_eq!(p.asa_seconds, None);
            assert_eq!(p.occupancy, 1.0);
        }
        // … and still serializes.
        let json = serde_json::to_value(erlang_c(&load, 10, 20.0).unwrap()).unwrap();
        assert_eq!(json["asa_seconds"], serde_json::Value::Null);
    }

    #[test]
    fn no_traffic_meets_any_target_with_no_agents() {
        let load = IntervalLoad::new(0.0, 300.0, 900.0).unwrap();
        let target = ServiceTarget::new(1.0, 0.0).unwrap();
        for model in [
            StaffingModel::ErlangC {},
            erlang_a_model(60.0, AbandonedInSl::Included),
        ] {
            assert_eq!(model.agents_required(&load, &target).unwrap(), 0);
            let p = model.predict(&load, 0, 20.0).unwrap();
            assert_eq!(p.service_level, 1.0);
            assert_eq!(p.occupancy, 0.0);
        }
    }

    #[test]
    fn service_level_rises_and_asa_falls_with_every_agent() {
        let models = [
            StaffingModel::ErlangC {},
            erlang_a_model(120.0, AbandonedInSl::Excluded),
            erlang_a_model(120.0, AbandonedInSl::Included),
            erlang_a_model(45.0, AbandonedInSl::CountedAsMet),
        ];
        for load in [
            worked_example(),
            IntervalLoad::new(2400.0, 240.0, 1800.0).unwrap(),
        ] {
            for model in models {
                let a = load.erlangs();
                let mut last: Option<StaffingPrediction> = None;
                for n in 1..(a as u32 + 40) {
                    let p = model.predict(&load, n, 20.0).unwrap();
                    if let Some(last) = last {
                        // Probabilities are accurate to ~1e-16 absolute.
                        let sl_floor = last.service_level - 1e-15;
                        assert!(p.service_level >= sl_floor, "{model:?} {n}");
                        assert!(p.probability_of_waiting <= last.probability_of_waiting);
                        assert!(p.occupancy <= last.occupancy + 1e-12, "{model:?} {n}");
                        match (p.asa_seconds, last.asa_seconds) {
                            (Some(now), Some(before)) => assert!(now <= before, "{model:?} {n}"),
                            (Some(_), None) | (None, None) => {}
                            (None, Some(_)) => panic!("ASA became unbounded at {n}"),
                        }
                    }
                    last = Some(p);
                }
            }
        }
    }

    #[test]
    fn erlang_a_needs_no_more_agents_than_erlang_c() {
        let target = ServiceTarget::new(0.8, 20.0).unwrap();
        let loads = [
            worked_example(),
            IntervalLoad::new(20.0, 300.0, 1800.0).unwrap(),
            IntervalLoad::new(450.0, 240.0, 900.0).unwrap(),
            IntervalLoad::new(3000.0, 420.0, 1800.0).unwrap(),
            IntervalLoad::new(10_000.0, 180.0, 1800.0).unwrap(),
        ];
        for load in loads {
            let c = StaffingModel::ErlangC {}
                .agents_required(&load, &target)
                .unwrap();
            for patience in [30.0, 120.0, 600.0] {
                for convention in [
                    AbandonedInSl::Excluded,
                    AbandonedInSl::Included,
                    AbandonedInSl::CountedAsMet,
                ] {
                    let model = erlang_a_model(patience, convention);
                    let a = model.agents_required(&load, &target).unwrap();
                    assert!(a <= c, "{load:?} {patience} {convention:?}: A {a} > C {c}");
                    // And it is the smallest that meets the target.
                    let meets = |n| model.predict(&load, n, 20.0).unwrap().service_level >= 0.8;
                    assert!(meets(a));
                    assert!(
                        a == 0 || !meets(a - 1),
                        "{load:?} {patience} {convention:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn erlang_a_with_endless_patience_converges_to_erlang_c() {
        let loads = [
            worked_example(),
            IntervalLoad::new(1000.0, 300.0, 1800.0).unwrap(),
        ];
        for load in loads {
            let n = load.erlangs() as u32 + 2;
            let c = erlang_c(&load, n, 20.0).unwrap();
            // The gap shrinks in proportion to 1/patience.
            let mut last_gap = f64::INFINITY;
            for patience in [1e5, 1e7, 1e9, 1e11] {
                let a = erlang_a(&load, n, 20.0, patience, AbandonedInSl::Included).unwrap();
                let gap = [
                    relative(a.probability_of_waiting, c.probability_of_waiting),
                    relative(a.service_level, c.service_level),
                    relative(a.asa_seconds.unwrap(), c.asa_seconds.unwrap()),
                    a.probability_of_abandonment,
                ]
                .into_iter()
                .fold(0.0, f64::max);
                assert!(
                    gap < last_gap / 20.0,
                    "{load:?} {patience}: {gap} vs {last_gap}"
                );
                last_gap = gap;
            }
            assert!(last_gap < 1e-6, "{load:?}: {last_gap}");
            let target = ServiceTarget::new(0.8, 20.0).unwrap();
            assert_eq!(
                erlang_a_model(1e9, AbandonedInSl::Excluded)
                    .agents_required(&load, &target)
                    .unwrap(),
                StaffingModel::ErlangC {}
                    .agents_required(&load, &target)
                    .unwrap()
            );
        }
    }

    #[test]
    fn erlang_a_abandonment_agrees_with_littles_law() {
        // θ·E[queue] = λ·P(abandon): check from the stationary weights.
        let (a, n, aht, patience) = (30.0, 28, 240.0, 90.0);
        let r = aht / patience;
        let (lower, queue, max) = erlang_a_weights(a, n, r, patience).unwrap();
        let z: f64 = lower.iter().chain(&queue).map(|lw| (lw - max).exp()).sum();
        let mean_queue: f64 = queue
            .iter()
            .enumerate()
            .map(|(j, lw)| j as f64 * (lw - max).exp() / z)
            .sum();
        let load = IntervalLoad::new(a * 1800.0 / aht, aht, 1800.0).unwrap();
        let p = erlang_a(&load, n, 20.0, patience, AbandonedInSl::Included).unwrap();
        // λ = A/AHT, θ = 1/patience.
        let by_little = (mean_queue / patience) / (a / aht);
        assert!(relative(p.probability_of_abandonment, by_little) < 1e-12);
    }

    #[test]
    fn erlang_a_conventions_order_as_defined() {
        let load = IntervalLoad::new(220.0, 300.0, 1800.0).unwrap();
        let sl = |convention| {
            erlang_a(&load, 34, 20.0, 60.0, convention)
                .unwrap()
                .service_level
        };
        let included = sl(AbandonedInSl::Included);
        let excluded = sl(AbandonedInSl::Excluded);
        let met = sl(AbandonedInSl::CountedAsMet);
        assert!(
            included < excluded && excluded < met,
            "{included} {excluded} {met}"
        );
    }

    #[test]
    fn erlang_a_without_agents_loses_every_caller() {
        let p = erlang_a(&worked_example(), 0, 20.0, 60.0, AbandonedInSl::Included).unwrap();
        assert_eq!(p.probability_of_abandonment, 1.0);
        assert_eq!(p.service_level, 0.0);
        assert_eq!(p.asa_seconds, None);
        let met = erlang_a(
            &worked_example(),
            0,
            60.0,
            60.0,
            AbandonedInSl::CountedAsMet,
        );
        assert!(close(
            met.unwrap().service_level,
            1.0 - (-1.0_f64).exp(),
            1e-15
        ));
    }

    #[test]
    fn erlang_a_survives_heavy_overload() {
        // 2000 Erlangs on 500 agents, short patience: a queue of thousands.
        let load = IntervalLoad::new(20_000.0, 180.0, 1800.0).unwrap();
        let p = erlang_a(&load, 500, 20.0, 60.0, AbandonedInSl::Included).unwrap();
        assert!(p.probability_of_waiting > 0.999_999);
        assert!(close(p.probability_of_abandonment, 0.75, 1e-3), "{p:?}");
        assert!(close(p.occupancy, 1.0, 1e-3));
        assert!(p.service_level.is_finite() && p.asa_seconds.unwrap().is_finite());
    }

    #[test]
    fn erlang_a_refuses_a_queue_it_cannot_hold() {
        let err = erlang_a(&worked_example(), 5, 20.0, 1e12, AbandonedInSl::Excluded).unwrap_err();
        assert!(matches!(err, ErlangError::QueueTooLong { agents: 5, .. }));
        assert_eq!(err.parameter(), Some("patience_seconds"));
    }

    // High-precision references: `python3 reference.py` (mpmath, 50 digits
    // for Erlang C, 40 for Erlang A, by other methods than this file's)
    // prints these tables.

    /// (offered per 30 min, AHT s, agents, Pw, SL(20 s), ASA s) for Erlang C.
    #[rustfmt::skip]
    const ERLANG_C_LARGE: &[(f64, f64, u32, f64, f64, f64)] = &[
        (100.0, 180.0, 11, 0.6821182046893324, 0.3896138117291534, 122.78127684407983),
        (100.0, 180.0, 13, 0.28527045303649295, 0.7955947884177831, 17.116227182189576),
        (100.0, 180.0, 14, 0.17413193359504983, 0.8883500191794669, 7.835937011777243),
        (100.0, 180.0, 19, 0.007873557511435205, 0.997103480062662, 0.1574711502287041),
        (5000.0, 180.0, 501, 0.945722642169378, 0.15373019698527318, 170.230075590488),
        (5000.0, 180.0, 509, 0.5864943951901722, 0.7842407696472564, 11.729887903803442),
        (5000.0, 180.0, 510, 0.5502107127623015, 0.8188744915418606, 9.903792829721427),
        (5000.0, 180.0, 567, 0.0019214091847728737, 0.9999988765888775, 0.005161994824762944),
        (10000.0, 180.0, 1001, 0.9612582058524911, 0.13982836379275007, 173.0264770534484),
        (10000.0, 180.0, 1010, 0.6605211454678432, 0.7825610706131405, 11.889380618421178),
        (10000.0, 180.0, 1011, 0.6321091746899525, 0.8137965483924635, 10.343604676744677),
        (10000.0, 180.0, 1094, 0.0019315941531151324, 0.9999999437721738, 0.0036987973144757855),
        (20000.0, 180.0, 2001, 0.9724226293186834, 0.12983799872563623, 175.03607327736302),
        (20000.0, 180.0, 2011, 0.7264529282111122, 0.7860052533968368, 11.887411552545473),
        (20000.0, 180.0, 2012, 0.7047002988507904, 0.8142430179936343, 10.570504482761857),
        (20000.0, 180.0, 2134, 0.0017018115459341732, 0.9999999994182329, 0.0022860155094638146),
    ];

    /// (A, agents required for 80% in 20 s with AHT 180 s) for Erlang C.
    const ERLANG_C_REQUIRED: &[(f64, u32)] =
        &[(10.0, 14), (500.0, 510), (1000.0, 1011), (2000.0, 2012)];

    /// Erlang A: offered per 30 min, AHT s, agents, patience s, t s, then
    /// [Pw, P(abandon), P(answered within t), P(abandoned within t),
    /// ASA of answered, SL with short abandons excluded].
    type ErlangACase = (f64, f64, u32, f64, f64, [f64; 6]);

    #[rustfmt::skip]
    const ERLANG_A_REFERENCE: &[ErlangACase] = &[
        (100.0, 180.0, 12, 120.0, 20.0, [0.2798070186454442, 0.06159737700368042, 0.8255826443617642, 0.03400465013447802, 6.3347741728191655, 0.8546445326850642]),
        (100.0, 180.0, 8, 60.0, 20.0, [0.6251790657395311, 0.2783528615834352, 0.5275524594452965, 0.15337298844353375, 14.074539065943096, 0.6231226410735787]),
        (5000.0, 180.0, 490, 300.0, 20.0, [0.7563464804039628, 0.027231553558260208, 0.8805332288389387, 0.025682576377989978, 8.17444318754938, 0.9037436953201247]),
        (5000.0, 180.0, 510, 300.0, 20.0, [0.3720305761258748, 0.007922827052226545, 0.984043337197469, 0.007830240113413283, 2.353063048094287, 0.9918094432851424]),
        (20000.0, 180.0, 1990, 600.0, 30.0, [0.7577018298796923, 0.008935011346852493, 0.9909122934562965, 0.00893454641341767, 5.361468344677112, 0.9998454591170224]),
    ];

    #[test]
    fn erlang_a_agrees_with_high_precision_references() {
        for &(offered, aht, agents, patience, t, expected) in ERLANG_A_REFERENCE {
            let [
                pw,
                abandon,
                answered_within,
                abandoned_within,
                asa,
                excluded,
            ] = expected;
            let load = IntervalLoad::new(offered, aht, 1800.0).unwrap();
            let sl = |convention| erlang_a(&load, agents, t, patience, convention).unwrap();
            let p = sl(AbandonedInSl::Excluded);
            let case = format!("{offered} calls, {agents} agents, patience {patience}: {p:?}");
            assert!(relative(p.probability_of_waiting, pw) < 1e-10, "{case}");
            assert!(
                relative(p.probability_of_abandonment, abandon) < 1e-10,
                "{case}"
            );
            assert!(relative(p.asa_seconds.unwrap(), asa) < 1e-10, "{case}");
            assert!(relative(p.service_level, excluded) < 1e-10, "{case}");
            let included = sl(AbandonedInSl::Included).service_level;
            assert!(relative(included, answered_within) < 1e-10, "{case}");
            let met = sl(AbandonedInSl::CountedAsMet).service_level;
            assert!(
                relative(met, answered_within + abandoned_within) < 1e-10,
                "{case}"
            );
        }
    }

    #[test]
    fn large_traffic_agrees_with_high_precision_erlang_c() {
        for &(offered, aht, agents, pw, sl, asa) in ERLANG_C_LARGE {
            let load = IntervalLoad::new(offered, aht, 1800.0).unwrap();
            let p = erlang_c(&load, agents, 20.0).unwrap();
            assert!(
                relative(p.probability_of_waiting, pw) < 1e-11,
                "{agents}: {p:?}"
            );
            assert!(relative(p.service_level, sl) < 1e-11, "{agents}: {p:?}");
            assert!(
                relative(p.asa_seconds.unwrap(), asa) < 1e-11,
                "{agents}: {p:?}"
            );
        }
    }

    #[test]
    fn large_traffic_staffing_agrees_with_high_precision_erlang_c() {
        for &(a, required) in ERLANG_C_REQUIRED {
            let offered = a * 1800.0 / 180.0;
            assert_eq!(
                agents_required(offered, 180.0, 1800.0, 0.8, 20.0).unwrap(),
                required
            );
        }
    }

    #[test]
    fn bad_inputs_name_the_parameter() {
        let named = |r: Result<f64>| match r {
            Err(ErlangError::InvalidParameter { parameter, .. }) => parameter,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(named(traffic_erlangs(-1.0, 180.0, 1800.0)), "offered");
        assert_eq!(named(traffic_erlangs(f64::NAN, 180.0, 1800.0)), "offered");
        assert_eq!(named(traffic_erlangs(1e9, 180.0, 1.0)), "offered");
        assert_eq!(named(traffic_erlangs(100.0, 0.0, 1800.0)), "aht_seconds");
        assert_eq!(named(traffic_erlangs(100.0, -3.0, 1800.0)), "aht_seconds");
        assert_eq!(
            named(traffic_erlangs(100.0, 180.0, 0.0)),
            "interval_seconds"
        );
        let required =
            |level, answer| agents_required(100.0, 180.0, 1800.0, level, answer).map(f64::from);
        assert_eq!(named(required(0.0, 20.0)), "level");
        assert_eq!(named(required(1.2, 20.0)), "level");
        assert_eq!(named(required(0.8, -1.0)), "answer_seconds");
        assert_eq!(named(scheduled_for(14, 1.0).map(f64::from)), "shrinkage");
        assert_eq!(named(scheduled_for(14, -0.1).map(f64::from)), "shrinkage");
        assert_eq!(named(on_phones(14, 1.5).map(f64::from)), "shrinkage");
        let a = erlang_a(&worked_example(), 12, 20.0, 0.0, AbandonedInSl::Excluded);
        assert_eq!(named(a.map(|p| p.service_level)), "patience_seconds");
        let c = erlang_c(&worked_example(), 12, f64::INFINITY);
        assert_eq!(named(c.map(|p| p.service_level)), "answer_seconds");
        let message = traffic_erlangs(100.0, 0.0, 1800.0).unwrap_err().to_string();
        assert_eq!(
            message,
            "aht_seconds must be a finite number greater than 0 (got 0)"
        );
    }

    #[test]
    fn models_read_and_write_the_documented_json() {
        let a: StaffingModel = serde_json::from_str(
            r#"{"kind": "erlang-a", "patience_seconds": 90, "abandoned_in_sl": "counted-as-met"}"#,
        )
        .unwrap();
        assert_eq!(a, erlang_a_model(90.0, AbandonedInSl::CountedAsMet));
        let c: StaffingModel = serde_json::from_str(r#"{"kind": "erlang-c"}"#).unwrap();
        assert_eq!(c, StaffingModel::ErlangC {});
        let default: StaffingModel =
            serde_json::from_str(r#"{"kind": "erlang-a", "patience_seconds": 90}"#).unwrap();
        assert_eq!(default, erlang_a_model(90.0, AbandonedInSl::Excluded));
        assert!(serde_json::from_str::<StaffingModel>(r#"{"kind": "erlang-c", "x": 1}"#).is_err());
        assert!(
            serde_json::from_str::<ServiceTarget>(
                r#"{"level": 0.8, "answer_seconds": 20, "x": 1}"#
            )
            .is_err()
        );
    }

    #[test]
    fn a_five_thousand_call_interval_is_staffed_to_the_occupancy_cap_not_to_98_percent() {
        // 5,000 calls in 30 minutes at 180 s: 500 Erlangs.
        let load = IntervalLoad::new(5000.0, 180.0, 1800.0).unwrap();
        let target = ServiceTarget::new(0.8, 20.0).unwrap();
        let model = StaffingModel::default();
        // Erlang C alone: a few agents above the traffic, nearly all busy.
        let erlang = model.agents_required(&load, &target).unwrap();
        let busy = erlang_c(&load, erlang, 20.0).unwrap().occupancy;
        assert!(busy > 0.97, "{erlang} agents, occupancy {busy}");
        // With an 85% cap: ⌈500 / 0.85⌉ = 589, and the cap set it.
        let r = model.requirement(&load, &target, Some(0.85)).unwrap();
        assert_eq!(r.for_service_level, erlang);
        assert_eq!(r.for_occupancy, 589);
        assert_eq!((r.agents, r.required_by), (589, RequiredBy::MaxOccupancy));
        let at_cap = erlang_c(&load, r.agents, 20.0).unwrap();
        assert!(at_cap.occupancy <= 0.85, "{at_cap:?}");
        assert!(erlang_c(&load, r.agents - 1, 20.0).unwrap().occupancy > 0.85);
    }

    #[test]
    fn the_occupancy_cap_binds_only_when_it_needs_more_agents() {
        let target = ServiceTarget::new(0.8, 20.0).unwrap();
        let model = StaffingModel::default();
        let r = model
            .requirement(&worked_example(), &target, Some(0.85))
            .unwrap();
        // 10 Erlangs: ⌈10 / 0.85⌉ = 12 < 14 for 80/20.
        assert_eq!(
            (r.agents, r.for_occupancy, r.required_by),
            (14, 12, RequiredBy::ServiceLevel)
        );
        let none = model.requirement(&worked_example(), &target, None).unwrap();
        assert_eq!((none.agents, none.for_occupancy), (14, 0));
        // Exact quotients are not pushed up by rounding in the last bit:
        // 7.7 / 0.7 is 11.000000000000002 in f64.
        let load = IntervalLoad::new(77.0, 180.0, 1800.0).unwrap();
        assert_eq!(agents_for_occupancy(&load, 0.7).unwrap(), 11);
        let idle = IntervalLoad::new(0.0, 180.0, 1800.0).unwrap();
        assert_eq!(agents_for_occupancy(&idle, 0.85).unwrap(), 0);
        for bad in [0.0, -0.5, 1.01, f64::NAN] {
            let e = agents_for_occupancy(&load, bad).unwrap_err();
            assert_eq!(e.parameter(), Some("max_occupancy"), "{bad}");
        }
    }
}
