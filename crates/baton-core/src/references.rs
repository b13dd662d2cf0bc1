//! Does a signal name things the event has? Ingest asks before journaling,
//! so a sender learns at once that a subject is unknown instead of seeing
//! `202` and a later, silent rejection by the engine.

use crate::Compiled;
use baton_model::signal::SubjectKind;
use baton_model::{Signal, SignalData};

/// The first reference in `s` that the event does not have: the field
/// (`subject` or `data.space`) and why.
pub fn unknown_reference(cfg: &Compiled, s: &Signal) -> Option<(&'static str, String)> {
    let subject_known = match s.kind.subject_kind() {
        SubjectKind::Space => cfg.space_idx.contains_key(&s.subject),
        SubjectKind::Session => cfg.session_idx.contains_key(&s.subject),
        SubjectKind::Staff => cfg.staff_idx.contains_key(&s.subject),
        // Attendees are not declared in the spec: any id is one.
        SubjectKind::Attendee => true,
    };
    if !subject_known {
        let what = match s.kind.subject_kind() {
            SubjectKind::Space => "space",
            SubjectKind::Session => "session",
            SubjectKind::Staff => "staff member",
            SubjectKind::Attendee => "attendee",
        };
        return Some((
            "subject",
            format!("the event has no {what} {:?} (a {})", s.subject, s.kind),
        ));
    }
    match &s.data {
        SignalData::SessionMoved { space } | SignalData::StaffLocation { space }
            if !cfg.space_idx.contains_key(space) =>
        {
            Some(("data.space", format!("the event has no space {space:?}")))
        }
        _ => None,
    }
}
