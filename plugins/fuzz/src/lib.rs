//! Property fuzzing of every vendor adapter's request path, natively, on the
//! stable toolchain (no cargo-fuzz, no nightly): each adapter's pure
//! `native::ingest` is called with inputs mutated from the vendor fixtures,
//! and every call must return (no panic), return quickly (bounded work) and
//! return well-formed events (see [`check`] for the properties).
//!
//! Why not `cargo fuzz`: it needs nightly and libFuzzer; the parsers are pure
//! functions of a request, so a structure-aware mutator over the real
//! fixtures reaches their logic faster than coverage feedback from empty
//! inputs would, and it runs as an ordinary test in CI.
//!
//! # Layout
//!
//! * [`mutate`] — the seeded random stream and the mutations (bytes, JSON
//!   values, form parameters, CSV cells, splices between fixtures);
//! * [`check`] — the properties, and `check_output!` which walks one
//!   adapter's WIT events;
//! * [`targets`] — the adapters: seeds, signed requests, the call;
//! * [`run`] — the loop, shrinking of findings and the report;
//! * `main.rs` — `cargo run --release -p sidecoach-fuzz -- --seconds 60`;
//! * `tests/fuzz.rs` — a short fixed-seed run for `cargo test`.
//!
//! Everything is native only: built for wasm32 (the guest workspace's
//! `--workspace` build) this crate is empty.
#![cfg(not(target_arch = "wasm32"))]

pub mod check;
pub mod mutate;
pub mod run;
pub mod targets;

pub use run::{Budget, Report, run};
pub use targets::{Target, all};
