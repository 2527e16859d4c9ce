//! What the benchmarks share: the fixed-seed generator, timing helpers, the
//! scoring data and its three methods, the synthetic mentoring population,
//! the ingest phases and the plugin helpers. Each bench binary declares
//! `mod common;` and uses the parts it needs; the report (`report.rs`) uses
//! them all, so its rows are measured exactly as the detailed benches
//! measure them.

// Each bench binary compiles all of `common` but uses only part of it: what
// one binary leaves unused is used by another.
#![allow(dead_code, reason = "each bench binary uses only part of common")]

pub mod ingest;
pub mod matching;
pub mod measure;
pub mod plugin;
pub mod python;
pub mod rng;
pub mod scoring;
