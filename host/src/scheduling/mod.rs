//! Scheduling without sacrificing service level: the staffing arithmetic
//! (Erlang C and Erlang A) and the planner that places coaching sessions
//! only where an interval's surplus covers everyone taken off the phones.
//!
//! `erlang` and `planner` are pure logic over plain serde types; `service`
//! feeds them from the records.
//!
//! - [`erlang`]: service level, ASA and occupancy for a staffing level;
//!   agents required for a target and an occupancy cap; shrinkage.
//! - [`planner`]: the slot planner.
//! - [`service`]: the one part with I/O — stored forecasts and shifts in,
//!   staffing figures and plans out, placed sessions committed.
//!
//! `reference.py` (mpmath) regenerates the high-precision figures the
//! Erlang tests compare against.

pub mod erlang;
pub mod planner;
pub mod service;

pub use erlang::{
    AbandonedInSl, ErlangError, IntervalLoad, RequiredBy, Requirement, ServiceTarget,
    StaffingModel, StaffingPrediction, agents_for_occupancy, agents_required, erlang_a, erlang_c,
    on_phones, scheduled_for, traffic_erlangs,
};
pub use planner::{
    AgentShifts, ForecastInterval, IntervalImpact, IntervalRef, PlacedSession, Plan, PlanError,
    PlanRequest, SessionRequest, TimeRange, UnplacedReason, UnplacedSession, plan,
};
