//! The stream's topics, defined once: the read model files each event
//! under one, and `GET /v1/stream?topics=` names them.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Spaces,
    Decisions,
    Actions,
    Tasks,
    Commands,
    Overrides,
    Signals,
    Control,
    Situations,
    /// Room moves: tentative, confirmed, published, dropped.
    Moves,
}

impl Topic {
    pub const ALL: [Topic; 10] = [
        Topic::Spaces,
        Topic::Decisions,
        Topic::Actions,
        Topic::Tasks,
        Topic::Commands,
        Topic::Overrides,
        Topic::Signals,
        Topic::Control,
        Topic::Situations,
        Topic::Moves,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Spaces => "spaces",
            Topic::Decisions => "decisions",
            Topic::Actions => "actions",
            Topic::Tasks => "tasks",
            Topic::Commands => "commands",
            Topic::Overrides => "overrides",
            Topic::Signals => "signals",
            Topic::Control => "control",
            Topic::Situations => "situations",
            Topic::Moves => "moves",
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Topic, String> {
        Topic::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown topic {s:?}: use {}",
                    Topic::ALL.map(Topic::as_str).join(", ")
                )
            })
    }
}
