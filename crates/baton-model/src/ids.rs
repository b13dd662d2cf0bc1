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
    /// The idempotency key of one of its actions.
    pub fn action(self, action: u32) -> ActionKey {
        ActionKey {
            decision: self,
            action,
        }
    }
}

/// One action of one decision: `SEQ.INDEX.ACTION`, the idempotency key a
/// delivery keeps across retries and restarts, and the key of its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionKey {
    pub decision: DecisionId,
    pub action: u32,
}

impl fmt::Display for ActionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.decision, self.action)
    }
}

impl FromStr for ActionKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (d, a) = s
            .rsplit_once('.')
            .ok_or_else(|| format!("action key {s:?} must look like SEQ.INDEX.ACTION"))?;
        Ok(ActionKey {
            decision: d.parse()?,
            action: a
                .parse()
                .map_err(|_| format!("action key {s:?}: bad action index"))?,
        })
    }
}

impl Serialize for ActionKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
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

#[cfg(test)]
mod action_key_tests {
    use super::*;

    #[test]
    fn an_action_key_reads_back() {
        let k = DecisionId {
            seq: 4103,
            index: 0,
        }
        .action(2);
        assert_eq!(k.to_string(), "4103.0.2");
        assert_eq!("4103.0.2".parse::<ActionKey>(), Ok(k));
        assert!("4103.0".parse::<ActionKey>().is_err());
        assert!("a.b.c".parse::<ActionKey>().is_err());
    }
}
