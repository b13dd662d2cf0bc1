//! The planner: turns a policy's proposal into a decision.
//!
//! It expands planner actions (redirect, dispatch, delay cascades), holds the
//! result to governance constraints, and settles conflicts with other
//! policies' claims. Planning reads state only; claims, tasks and rate-limit
//! counters change when the decision executes (`crate::effects`), so a
//! proposal that waits for approval holds nothing.
//!
//! **Invariant:** every solve is a pure function of ordered inputs, with ties
//! broken by index, and bounded in size, so replay reproduces it exactly.

pub mod day;
pub mod dispatch;
pub mod graph;
pub mod redirect;
pub mod rooms;

mod moving;
pub(crate) mod plan;
mod recommending;
mod redirecting;
mod staffing;
mod targets;

pub use graph::WalkTimes;

use crate::config::Compiled;
use crate::state::State;

/// The planner's view: the compiled configuration and the state, both
/// borrowed read-only. Every planning function is a method here, so a plan
/// is a function of `(&Compiled, &State)` and the proposal; nothing in it can
/// change state (that is `crate::effects`, once a decision executes).
#[derive(Clone, Copy)]
pub(crate) struct Planner<'a> {
    pub(crate) cfg: &'a Compiled,
    pub(crate) st: &'a State,
}
