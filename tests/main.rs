//! The one integration test binary: every test here runs the real
//! `sidecoach` binary on 127.0.0.1, port 0, with its own temporary data
//! directory, and talks to it over HTTP.
//!
//! - `reference`: each reference plugin through the real host (one test per
//!   plugin, enforced at compile time by `foreach_reference_plugin!`); the
//!   vendor adapters' tests live in `adapters` (ingest with the fixtures,
//!   signatures, dead letters, replay);
//! - `sandbox`: each hostile plugin stopped by its limit or refused by the
//!   sandbox, with the host still answering other calls;
//! - `mentoring`: needs, matching, pairings, consent, progress reports, and
//!   the coaching-session workflow;
//! - `scheduling`: staffing forecasts (WFM CSV), Erlang figures, shifts and
//!   the session planner;
//! - `crash`: acknowledged writes survive repeated SIGKILL;
//! - `integrity`: dead letters per whole request and their replay with a
//!   correction, snapshot recency, one error code per failure, plugin
//!   outputs the host refuses to store;
//! - `coaching`: scoring, flags and alerts, the live stream, recognition
//!   and analytics;
//! - `cli`: the `sidecoach plugin …` commands with the sample inputs;
//! - `people`: tokens that belong to a person, scoped to a supervisor's
//!   teams or a coach's agents; `/v1/me`; token list, revoke, expiry;
//! - `records`: the coaching records API (filters, paging, agent scoping,
//!   restart, tokens, backup and restore);
//! - `lifecycle`: install, upgrade, roll back, disable, breaker, restart,
//!   compile cache, back-pressure, graceful shutdown;
//! - `console`: the web console in headless chromium (chromedriver), one
//!   flow per persona, each saving a screenshot;
//! - `cluster`: three sidecars sharing one log on a three-server NATS
//!   JetStream cluster, with sidecars and servers SIGKILLed (`nats` starts
//!   the servers);
//! - `practice`: the weekly coaching cadence, coaching effectiveness over
//!   real sessions, evaluations and feedback, and private rapport notes.

mod adapters;
mod cli;
mod cluster;
mod coaching;
mod console;
mod crash;
mod integrity;
mod kit;
mod lifecycle;
mod mentoring;
mod nats;
mod people;
mod practice;
mod records;
mod reference;
mod sandbox;
mod scheduling;
mod storage;
mod util;
