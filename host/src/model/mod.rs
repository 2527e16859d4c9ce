//! The normalized coaching model: plain serde types with no I/O.
//!
//! These types are what the API speaks, what the store writes and what the
//! runtime converts plugin values into. Their JSON shape is the one the
//! `json-adapter` plugin accepts, so a payload exported from Sidecoach can be
//! fed back through it unchanged.

pub mod access;
pub mod analytics;
pub mod auth;
pub mod event;
pub mod invalid;
pub mod matching;
pub mod mentoring;
pub mod plugin;
pub mod practice;
pub mod records;
pub mod scoring;

pub use access::{About, Person, PersonKind, Scope};
pub use analytics::*;
pub use auth::*;
pub use event::*;
pub use invalid::{Invalid, MAX_SCALE, MAX_TIME_MS};
pub use matching::*;
pub use mentoring::*;
pub use plugin::*;
pub use practice::*;
pub use records::*;
pub use scoring::*;
