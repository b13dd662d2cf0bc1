//! Why an action will not be carried out. Typed, so the engine decides by
//! kind (an operator's hold is not a lost claim) rather than by the text;
//! the text is what people read, and what outputs and snapshots carry.

use baton_model::ResourceBuf;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// The emergency hold stops attendee-facing actions.
    EmergencyHold,
    /// An operator locked the resource.
    Override { resource: ResourceBuf },
    /// The event's quiet hours hold back this kind.
    QuietHours { label: String },
    /// Every recipient already had the hourly number of notifications.
    NotifyCap { limit: u64 },
    /// Every recipient already had the daily number of notifications.
    NotifyDayCap { limit: u64 },
    /// Automation may not move or retime a protected session.
    Protected { session: String },
    /// A higher-priority policy holds the resource.
    Lost {
        holder: String,
        priority: i32,
        resource: ResourceBuf,
        /// How much longer, as people read it ("4 min").
        remaining: String,
    },
    /// An operator left it out when approving.
    LeftOut { by: String },
    /// A room move governance does not allow (too little notice, no staff
    /// to confirm it, the hourly budget spent).
    MoveRefused { reason: String },
    /// A reason in words this build does not know (from an older snapshot).
    Other(String),
}

impl Suppression {
    /// Held by a person (the emergency hold or an override), rather than
    /// refused by governance or lost to another policy.
    pub fn is_operator_hold(&self) -> bool {
        matches!(
            self,
            Suppression::EmergencyHold | Suppression::Override { .. }
        )
    }
}

impl fmt::Display for Suppression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Suppression::EmergencyHold => f.write_str("emergency hold"),
            Suppression::Override { resource } => write!(f, "operator override on {resource}"),
            Suppression::QuietHours { label } => write!(f, "quiet hours {label}"),
            Suppression::NotifyCap { limit } => write!(
                f,
                "every recipient already had {limit} notifications this hour"
            ),
            Suppression::NotifyDayCap { limit } => write!(
                f,
                "every recipient already had {limit} notifications in the last 24 hours"
            ),
            Suppression::Protected { session } => write!(
                f,
                "{session} is a protected session: automation may not move or retime it"
            ),
            Suppression::Lost {
                holder,
                priority,
                resource,
                remaining,
            } => write!(
                f,
                "lost to {holder} (priority {priority}), which holds {resource} for another {remaining}"
            ),
            Suppression::LeftOut { by } => write!(f, "left out by {by}"),
            Suppression::MoveRefused { reason } => write!(f, "move refused: {reason}"),
            Suppression::Other(text) => f.write_str(text),
        }
    }
}

impl Suppression {
    /// Reads the words back: the inverse of `Display`, for snapshots and
    /// outputs, which carry the text. Anything else is kept as `Other`.
    pub fn parse(text: &str) -> Suppression {
        let typed = || -> Option<Suppression> {
            if text == "emergency hold" {
                return Some(Suppression::EmergencyHold);
            }
            if let Some(r) = text.strip_prefix("move refused: ") {
                return Some(Suppression::MoveRefused {
                    reason: r.to_string(),
                });
            }
            if let Some(r) = text.strip_prefix("operator override on ") {
                return Some(Suppression::Override {
                    resource: ResourceBuf::new(r),
                });
            }
            if let Some(l) = text.strip_prefix("quiet hours ") {
                return Some(Suppression::QuietHours {
                    label: l.to_string(),
                });
            }
            if let Some(n) = text
                .strip_prefix("every recipient already had ")
                .and_then(|r| r.strip_suffix(" notifications this hour"))
            {
                return Some(Suppression::NotifyCap {
                    limit: n.parse().ok()?,
                });
            }
            if let Some(n) = text
                .strip_prefix("every recipient already had ")
                .and_then(|r| r.strip_suffix(" notifications in the last 24 hours"))
            {
                return Some(Suppression::NotifyDayCap {
                    limit: n.parse().ok()?,
                });
            }
            if let Some(s) =
                text.strip_suffix(" is a protected session: automation may not move or retime it")
            {
                return Some(Suppression::Protected {
                    session: s.to_string(),
                });
            }
            if let Some(rest) = text.strip_prefix("lost to ") {
                let (holder, rest) = rest.split_once(" (priority ")?;
                let (priority, rest) = rest.split_once("), which holds ")?;
                let (resource, remaining) = rest.rsplit_once(" for another ")?;
                return Some(Suppression::Lost {
                    holder: holder.to_string(),
                    priority: priority.parse().ok()?,
                    resource: ResourceBuf::new(resource),
                    remaining: remaining.to_string(),
                });
            }
            if let Some(by) = text.strip_prefix("left out by ") {
                return Some(Suppression::LeftOut { by: by.to_string() });
            }
            None
        };
        // Only a reading that prints back the same words is taken.
        typed()
            .filter(|s| s.to_string() == text)
            .unwrap_or_else(|| Suppression::Other(text.to_string()))
    }
}

/// As its words: the JSON outputs and the snapshots' bytes are what they
/// were when this was a `String`.
impl Serialize for Suppression {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Suppression {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(Suppression::parse(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_as_itself() {
        let all = [
            Suppression::EmergencyHold,
            Suppression::Override {
                resource: "sign:hall-door".into(),
            },
            Suppression::QuietHours {
                label: "11:00-11:10".into(),
            },
            Suppression::NotifyCap { limit: 3 },
            Suppression::NotifyDayCap { limit: 6 },
            Suppression::Protected {
                session: "k-opening".into(),
            },
            Suppression::Lost {
                holder: "entrance-surge".into(),
                priority: 45,
                resource: "sign:sign-registration".into(),
                remaining: "9 min".into(),
            },
            Suppression::LeftOut {
                by: "operator:otto".into(),
            },
            Suppression::Other("something older".into()),
        ];
        for s in all {
            assert_eq!(Suppression::parse(&s.to_string()), s, "{s}");
            let json = serde_json::to_string(&s).expect("json");
            assert_eq!(json, serde_json::to_string(&s.to_string()).expect("json"));
            let back: Suppression = serde_json::from_str(&json).expect("back");
            assert_eq!(back, s);
        }
        assert!(Suppression::EmergencyHold.is_operator_hold());
        assert!(!Suppression::NotifyCap { limit: 3 }.is_operator_hold());
    }
}
