//! The on-disk shape of an event directory. Unknown keys are refused, and the
//! fields that later checks point at are wrapped in `Spanned` so errors can name
//! the line. `baton schema` prints the JSON Schema of these types.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// `event.yaml`: the event and its engine settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFile {
    pub id: String,
    pub name: String,
    /// IANA time zone, e.g. `Europe/Lisbon`: conference days run past midnight.
    #[schemars(with = "String")]
    pub timezone: Spanned<String>,
    /// The first day, `YYYY-MM-DD`; session times are local times on it (`25:30` is 01:30 the next day).
    #[schemars(with = "String")]
    pub date: Spanned<String>,
    /// No signal about a space for this long marks it stale (default `4m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub stale_after: Option<Spanned<String>>,
    /// Occupancy confidence halves over this long after the last absolute count (default `30m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub confidence_half_life: Option<Spanned<String>>,
    /// How long `(source, id)` pairs are remembered to drop duplicates (default `15m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub dedup_window: Option<Spanned<String>>,
    /// At most this many `(source, id)` pairs are remembered, 1 to
    /// 100,000,000 (default 2,000,000, about 72 MB in each of the core and
    /// the snapshot follower); under a high rate the oldest go first.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub dedup_max_keys: Option<Spanned<u64>>,
    /// A signal whose `time` differs from journal time by more is flagged as skewed (default `2m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub skew_bound: Option<Spanned<String>>,
    /// Clock tick cadence (default `1s`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub tick: Option<Spanned<String>>,
    /// Limits the planner holds automation to.
    #[serde(default)]
    pub governance: Option<GovernanceFile>,
}

/// `governance:` in `event.yaml`. Constraints bind automation, not operators.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GovernanceFile {
    /// At most this many notifications per attendee in any rolling hour (default: no limit).
    #[serde(default)]
    pub max_notifications_per_hour: Option<u32>,
    pub max_notifications_per_day: Option<u32>,
    /// Never redirect people into a space that would pass this fill, 0 to 1 (default 0.95).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub max_redirect_fill: Option<Spanned<f64>>,
    /// Local-time windows in which some action kinds (default: notify) are held back.
    #[serde(default)]
    #[schemars(with = "Vec<QuietHoursFile>")]
    pub quiet_hours: Vec<Spanned<QuietHoursFile>>,
    /// Open tasks one staff member may carry at once (default 1).
    #[serde(default)]
    pub max_tasks_per_staff: Option<u32>,
    /// A dispatched task nobody acknowledged for this long is reassigned (default `2m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub task_ack_timeout: Option<Spanned<String>>,
    /// Alerts about one space within this window join one card (default `10m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub alert_group_window: Option<Spanned<String>>,
    /// An unacknowledged alert card escalates after this long (default `5m`; `0s` never).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub alert_ack_timeout: Option<Spanned<String>>,
    /// A room move must be decided at least this long before the start (default `20m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub move_min_notice: Option<Spanned<String>>,
    /// At most this many automated room moves in any rolling hour (default 4; 0 refuses all).
    #[serde(default)]
    pub max_moves_per_hour: Option<u32>,
    /// Staff roles that confirm a move before it is published (default `[av, host]`).
    #[serde(default)]
    pub move_confirm_roles: Option<Vec<String>>,
    /// A move not confirmed within this long is dropped unannounced (default `15m`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub move_confirm_within: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursFile {
    /// Local `HH:MM`.
    pub from: String,
    /// Local `HH:MM`; earlier than `from` wraps past midnight.
    pub to: String,
    /// Action kinds held back (default `[notify]`).
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// `venue.yaml`: spaces and the walking links between them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueFile {
    #[schemars(with = "Vec<SpaceFile>")]
    pub spaces: Vec<Spanned<SpaceFile>>,
    #[serde(default)]
    #[schemars(with = "Vec<LinkFile>")]
    pub links: Vec<Spanned<LinkFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpaceFile {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// hall, room, corridor, entrance, foyer, queue, stairway or outdoor.
    #[schemars(with = "String")]
    pub kind: Spanned<String>,
    pub capacity: u32,
    pub area_m2: f64,
    pub zone: String,
    #[serde(default)]
    pub seated: bool,
    /// People a seated room may hold standing beyond its seats (default 0).
    #[serde(default)]
    pub standing_limit: u32,
    /// What the room offers that sessions may need (`stream`, `accessible`, ...).
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub position: Option<[f64; 2]>,
    #[serde(default)]
    pub outline: Vec<[f64; 2]>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkFile {
    pub from: String,
    pub to: String,
    pub walk_s: u32,
}

/// `sessions.yaml`: the programme.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsFile {
    #[schemars(with = "Vec<SessionFile>")]
    pub sessions: Vec<Spanned<SessionFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub track: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[schemars(with = "String")]
    pub space: Spanned<String>,
    /// Local `HH:MM` on the event date, or `YYYY-MM-DDTHH:MM`.
    #[schemars(with = "String")]
    pub start: Spanned<String>,
    #[schemars(with = "String")]
    pub end: Spanned<String>,
    #[serde(default)]
    pub protected: bool,
    /// Room features the session needs; a move only goes to a room with all of them.
    #[serde(default)]
    pub needs: Vec<String>,
}

/// `staff.yaml`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffFile {
    #[schemars(with = "Vec<StaffMemberFile>")]
    pub staff: Vec<Spanned<StaffMemberFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMemberFile {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    pub zone: String,
}

/// `signs.yaml`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignsFile {
    #[schemars(with = "Vec<SignFile>")]
    pub signs: Vec<Spanned<SignFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignFile {
    pub id: String,
    #[schemars(with = "String")]
    pub space: Spanned<String>,
    #[serde(default)]
    pub default: String,
    #[serde(default)]
    pub emergency: String,
}

/// `policies.yaml` (and any `policies/*.yaml`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoliciesFile {
    #[schemars(with = "Vec<PolicyFile>")]
    pub policies: Vec<Spanned<PolicyFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    pub id: String,
    #[serde(default)]
    pub description: String,
    /// Signal types, and `minute` for the per-minute refresh of trends and staleness.
    #[schemars(with = "Vec<String>")]
    pub on: Vec<Spanned<String>>,
    pub scope: ScopeFile,
    /// CEL, must be a bool. See `baton schema` for the context.
    #[schemars(with = "String")]
    pub condition: Spanned<String>,
    /// How long the condition must hold before firing.
    #[serde(default, rename = "for")]
    #[schemars(with = "Option<String>")]
    pub hold: Option<Spanned<String>>,
    /// CEL bool: after firing, the policy fires again only once this has been true.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub rearm: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub cooldown: Option<Spanned<String>>,
    #[serde(default)]
    pub priority: i32,
    /// auto, approve, suggest or off.
    #[schemars(with = "String")]
    pub mode: Spanned<String>,
    #[serde(default)]
    pub approval: Option<ApprovalFile>,
    #[serde(default)]
    pub allow_stale: bool,
    #[schemars(with = "Vec<ActionFile>")]
    pub actions: Vec<Spanned<ActionFile>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeFile {
    /// `space` or `session`.
    pub kind: String,
    #[serde(default)]
    pub space_kinds: Vec<String>,
    #[serde(default)]
    pub zones: Vec<String>,
    #[serde(default)]
    pub ids: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalFile {
    #[schemars(with = "String")]
    pub timeout: Spanned<String>,
    /// `drop` or `escalate`.
    pub on_timeout: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    /// notify, sign, dispatch, alert, open_space, close_space or delay_session.
    pub kind: String,
    /// space, session, space_signs, zone_signs, session_attendees, operators, or `{ids: [...]}`.
    pub target: TargetFile,
    /// Parameter name to CEL expression.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub params: BTreeMap<String, Spanned<String>>,
    #[schemars(with = "String")]
    pub valid_for: Spanned<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TargetFile {
    Named(String),
    Ids { ids: Vec<String> },
}
