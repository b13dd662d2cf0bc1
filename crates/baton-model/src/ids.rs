//! Identifiers that come from the journal, never from randomness.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A decision's id: the journal sequence number that produced it and its index
/// among that entry's outputs. Stable across replays and restarts, so it doubles
/// as the idempotency key's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DecisionId {
    pub seq: u64,
    pub index: u32,
}

impl fmt::Display for DecisionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.seq, self.index)
    }
}

impl FromStr for DecisionId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s
            .split_once('.')
            .ok_or_else(|| format!("decision id {s:?} must look like SEQ.INDEX"))?;
        Ok(DecisionId {
            seq: a
                .parse()
                .map_err(|_| format!("decision id {s:?}: bad sequence"))?,
            index: b
                .parse()
                .map_err(|_| format!("decision id {s:?}: bad index"))?,
        })
    }
}

impl DecisionId {
    /// The idempotency key of one action of this decision, the same on every retry.
    pub fn action_key(&self, action: u32) -> String {
        format!("{}.{}.{}", self.seq, self.index, action)
    }
}

impl Serialize for DecisionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DecisionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
