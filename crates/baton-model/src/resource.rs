//! What an action addresses (`Action::resource`, override and claim keys,
//! connector routes): the grammar of those strings, in one place. Values
//! are [`ResourceBuf`] (owned) and [`Resource`] (a parsed, borrowed view).
//! The text stays the stored form (outputs, snapshots, deliveries); code
//! reads it through [`ResourceBuf::parsed`] and writes it through `Display`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// `sign:ID`
    Sign(&'a str),
    /// `space:ID`: a space opened or closed.
    Space(&'a str),
    /// `session:ID`: a session delayed or moved.
    Session(&'a str),
    /// `staff:ID`: a person dispatched.
    Staff(&'a str),
    /// `operators:SPACE`, `operators:event` or `operators:escalation`.
    Operators(&'a str),
    /// `attendees:session:ID`: the people going to a session.
    SessionAttendees(&'a str),
    /// `attendees:space:ID`: the people in a space.
    SpaceAttendees(&'a str),
    /// `attendees:zone:ID`: the people in a zone (the desk's broadcast).
    ZoneAttendees(&'a str),
    /// `attendees:REST`, any other audience.
    Attendees(&'a str),
    /// `dispatch:SPACE`: a desk's dispatch to a space, before it is staffed.
    Dispatch(&'a str),
    /// `alert:GROUP`: an alert's card group (not held by claims).
    Alert(&'a str),
    /// Any other text (a manual action may name anything).
    Other(&'a str),
}

impl<'a> Resource<'a> {
    pub fn parse(text: &'a str) -> Resource<'a> {
        let Some((kind, id)) = text.split_once(':') else {
            return Resource::Other(text);
        };
        match kind {
            "sign" => Resource::Sign(id),
            "space" => Resource::Space(id),
            "session" => Resource::Session(id),
            "staff" => Resource::Staff(id),
            "operators" => Resource::Operators(id),
            "dispatch" => Resource::Dispatch(id),
            "alert" => Resource::Alert(id),
            "attendees" => match id.split_once(':') {
                Some(("session", s)) => Resource::SessionAttendees(s),
                Some(("space", s)) => Resource::SpaceAttendees(s),
                Some(("zone", s)) => Resource::ZoneAttendees(s),
                _ => Resource::Attendees(id),
            },
            _ => Resource::Other(text),
        }
    }

    /// Held by the policy that executed an action on it until the action's
    /// `valid_until`, so a lower-priority policy does not undo it.
    pub fn is_claimable(self) -> bool {
        matches!(
            self,
            Resource::Sign(_)
                | Resource::Space(_)
                | Resource::Session(_)
                | Resource::SessionAttendees(_)
                | Resource::SpaceAttendees(_)
                | Resource::ZoneAttendees(_)
                | Resource::Attendees(_)
        )
    }

    /// A state to reach (what a sign shows, whether a space is open), where
    /// only the newest version matters: older pending ones are superseded.
    pub fn is_desired_state(self) -> bool {
        matches!(
            self,
            Resource::Sign(_) | Resource::Space(_) | Resource::Session(_)
        )
    }
}

impl fmt::Display for Resource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Sign(id) => write!(f, "sign:{id}"),
            Resource::Space(id) => write!(f, "space:{id}"),
            Resource::Session(id) => write!(f, "session:{id}"),
            Resource::Staff(id) => write!(f, "staff:{id}"),
            Resource::Operators(id) => write!(f, "operators:{id}"),
            Resource::SessionAttendees(id) => write!(f, "attendees:session:{id}"),
            Resource::SpaceAttendees(id) => write!(f, "attendees:space:{id}"),
            Resource::ZoneAttendees(id) => write!(f, "attendees:zone:{id}"),
            Resource::Attendees(rest) => write!(f, "attendees:{rest}"),
            Resource::Dispatch(id) => write!(f, "dispatch:{id}"),
            Resource::Alert(group) => write!(f, "alert:{group}"),
            Resource::Other(text) => f.write_str(text),
        }
    }
}

/// An owned resource: what actions, claims, overrides and commands hold.
///
/// It is stored as its text (so it encodes, orders and compares exactly as
/// the string it replaced: journals and snapshots did not change format) and
/// read through [`ResourceBuf::parsed`], the one grammar. `Resource` is to
/// `ResourceBuf` what `Path` is to `PathBuf`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceBuf(String);

impl ResourceBuf {
    /// Any text is a resource; text outside the grammar reads as `Other`.
    pub fn new(text: impl Into<String>) -> ResourceBuf {
        ResourceBuf(text.into())
    }

    pub fn parsed(&self) -> Resource<'_> {
        Resource::parse(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<Resource<'_>> for ResourceBuf {
    fn from(r: Resource<'_>) -> ResourceBuf {
        ResourceBuf(r.to_string())
    }
}

impl From<&str> for ResourceBuf {
    fn from(text: &str) -> ResourceBuf {
        ResourceBuf(text.to_string())
    }
}

impl From<String> for ResourceBuf {
    fn from(text: String) -> ResourceBuf {
        ResourceBuf(text)
    }
}

impl std::borrow::Borrow<str> for ResourceBuf {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for ResourceBuf {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ResourceBuf {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_back_as_written() {
        for text in [
            "sign:hall-a-door",
            "space:east-gate",
            "session:k-opening",
            "staff:st-ana",
            "operators:escalation",
            "attendees:session:t-polonius",
            "attendees:space:foyer",
            "dispatch:hall-b",
            "alert:hall-b",
            "attendees:zone:north",
            "attendees:load",
            "something-else",
        ] {
            assert_eq!(Resource::parse(text).to_string(), text);
        }
        assert_eq!(Resource::parse("sign:a:b"), Resource::Sign("a:b"));
        assert!(Resource::parse("attendees:space:x").is_claimable());
        assert!(!Resource::parse("staff:x").is_claimable());
        assert!(!Resource::parse("attendees:session:x").is_desired_state());
    }

    #[test]
    fn an_owned_resource_encodes_and_orders_as_its_text() {
        let owned = ResourceBuf::from(Resource::Sign("door"));
        assert_eq!(owned.parsed(), Resource::Sign("door"));
        assert_eq!(
            serde_json::to_string(&owned).ok().as_deref(),
            Some("\"sign:door\"")
        );
        let mut keys = [ResourceBuf::new("space:b"), ResourceBuf::new("sign:z")];
        keys.sort();
        assert_eq!(keys[0], "sign:z");
    }
}
