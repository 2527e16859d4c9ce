//! `sidecoach:plugin@0.4.0`: the matcher world revised for scale (`score`
//! returns a flat matrix of scores, `explain` the reasons of the pairs the
//! host offers), with its own `types` and `host`, and the conversions a
//! matcher needs: protégés and mentors in, scores and reasons out.

/// The matcher world.
pub mod matcher {
    wasmtime::component::bindgen!({
        path: "../wit/0.4.0",
        world: "matcher",
        exports: { default: async },
    });
}

pub use matcher::sidecoach::plugin::{host, types};

use crate::model as m;
use types as w;

core_conversions!();
matching_conversions!();
