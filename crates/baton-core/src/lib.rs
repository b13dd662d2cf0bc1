//! The deterministic core: `apply(state, entry) -> (state, outputs)`.
//!
//! **Architecture invariant:** this crate depends on no runtime, network,
//! filesystem or clock. The same journal always yields the same state and the
//! same outputs, byte for byte, which makes replay, restore and simulation exact.

pub mod config;
pub mod context;
pub(crate) mod effects;
pub mod engine;
pub mod forecast;
pub mod los;
pub mod metrics;
pub mod moves;
pub mod output;
pub mod planner;
pub mod recommend;
pub mod references;
pub mod sequence;
pub mod state;
pub mod suppression;

pub use config::{Compiled, ConfigError, compile_policy};
pub use engine::{Engine, Snapshot};
pub use output::{Action, Considered, Decision, Explanation, Output, Status};
pub use state::{State, Stats};
