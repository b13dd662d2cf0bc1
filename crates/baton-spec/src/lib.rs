//! Reads and checks an event directory: YAML files in, a resolved [`Spec`] and
//! [`PolicySet`] out, or every problem found with file, line and field.
//!
//! **API boundary:** this is the only crate that knows the on-disk file format.
//! The core sees the resolved model only.

pub mod diagnostic;
pub mod files;
mod resolve;
mod source;

pub use diagnostic::{Diagnostic, Severity, lines};
pub use resolve::{Loaded, load, policies_from_yaml};
pub use source::MAX_FILE_BYTES;

/// JSON Schema of every spec file, keyed by file name, for `baton schema`.
pub fn json_schema() -> serde_json::Value {
    serde_json::json!({
        "event.yaml": schemars::schema_for!(files::EventFile),
        "venue.yaml": schemars::schema_for!(files::VenueFile),
        "sessions.yaml": schemars::schema_for!(files::SessionsFile),
        "staff.yaml": schemars::schema_for!(files::StaffFile),
        "signs.yaml": schemars::schema_for!(files::SignsFile),
        "policies.yaml": schemars::schema_for!(files::PoliciesFile),
    })
}
