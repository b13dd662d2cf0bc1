//! Baton's shared vocabulary: the event spec, signals, journal entries and the
//! values that cross crate boundaries.
//!
//! **Architecture invariant:** this crate does no I/O and reads no clock. Every
//! other crate speaks these types, so they change rarely and on purpose: recorded
//! journals and integrations depend on their shape.

pub mod duration;
pub mod entry;
pub mod ids;
pub mod resource;
pub mod signal;
pub mod spec;
pub mod value;

pub use duration::{DurationError, parse_duration};
pub use entry::{
    ActionEdit, ActionResult, Command, CommandKind, Entry, ManualAction, Outcome, Stamped,
};
pub use ids::{ActionKey, DecisionId};
pub use resource::{Resource, ResourceBuf};
pub use signal::{Signal, SignalData, SignalError, SignalType};
pub use spec::*;
pub use value::ParamValue;

/// Journal time: milliseconds since the Unix epoch, UTC. The core reads no other clock.
pub type Millis = i64;
