//! The states a delivery and a connector's breaker go through, defined once.
//! They are text only at the edges: the delivery store's `state` column,
//! the API's JSON and the metrics' labels.

use baton_model::Outcome;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where one delivery stands. Every state but `Pending` is final and is
/// journaled as the [`Outcome`] of the same name, so a restore reads back
/// exactly what the live service recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Succeeded,
    /// Delivered, but answered after the connector's timeout.
    Late,
    Expired,
    Dead,
    /// A newer action for the same resource replaced it before it went out.
    Superseded,
    /// The last attempt got no answer: the receiver may or may not have it.
    Unknown,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 7] = [
        DeliveryState::Pending,
        DeliveryState::Succeeded,
        DeliveryState::Late,
        DeliveryState::Expired,
        DeliveryState::Dead,
        DeliveryState::Superseded,
        DeliveryState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Succeeded => "succeeded",
            DeliveryState::Late => "late",
            DeliveryState::Expired => "expired",
            DeliveryState::Dead => "dead",
            DeliveryState::Superseded => "superseded",
            DeliveryState::Unknown => "unknown",
        }
    }

    /// What the journal records for a final state; `None` while pending.
    pub fn outcome(self) -> Option<Outcome> {
        Some(match self {
            DeliveryState::Pending => return None,
            DeliveryState::Succeeded => Outcome::Succeeded,
            DeliveryState::Late => Outcome::Late,
            DeliveryState::Expired => Outcome::Expired,
            DeliveryState::Dead => Outcome::Dead,
            DeliveryState::Superseded => Outcome::Superseded,
            DeliveryState::Unknown => Outcome::Unknown,
        })
    }
}

impl From<Outcome> for DeliveryState {
    /// The row state a journaled outcome stands for. `Failed` (written by
    /// no current build) reads as expired, as it always did.
    fn from(o: Outcome) -> DeliveryState {
        match o {
            Outcome::Succeeded => DeliveryState::Succeeded,
            Outcome::Late => DeliveryState::Late,
            Outcome::Failed | Outcome::Expired => DeliveryState::Expired,
            Outcome::Dead => DeliveryState::Dead,
            Outcome::Superseded => DeliveryState::Superseded,
            Outcome::Unknown => DeliveryState::Unknown,
        }
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state column the store does not know: written by a newer build.
#[derive(Debug, thiserror::Error)]
#[error("unknown delivery state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for DeliveryState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<DeliveryState, UnknownState> {
        DeliveryState::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

/// A connector's circuit breaker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Attempts go through.
    #[default]
    Closed,
    /// Failing: attempts wait out the cooldown.
    Open,
    /// After the cooldown: one trial attempt decides.
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_final_state_survives_the_journal() {
        for s in DeliveryState::ALL {
            assert_eq!(s.as_str().parse::<DeliveryState>().ok(), Some(s));
            if let Some(o) = s.outcome() {
                assert_eq!(DeliveryState::from(o), s, "{s} through the journal");
            }
        }
        assert!("delivered".parse::<DeliveryState>().is_err());
    }
}
