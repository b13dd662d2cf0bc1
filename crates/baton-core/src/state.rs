//! Core state that changes with the journal. Everything here is serialisable:
//! a snapshot is this struct, and timers live here so they survive restarts.

use crate::metrics::SpaceState;
use crate::output::Action;
use baton_model::signal::StaffStatus;
use baton_model::{DecisionId, Millis, Mode, ResourceBuf};
use hashbrown::HashTable;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub started: bool,
    pub ended: bool,
    pub cancelled: bool,
    pub delay_min: u32,
    /// Set when a `session.moved` changed its space.
    pub moved_to: Option<u32>,
    pub peak: u32,
    pub turned_away: u64,
    /// Attendees whose plan holds it now.
    pub bookmarks: u32,
    /// Its audience has been folded into the forecast's learned ratio.
    pub observed: bool,
    /// The forecast's sources half an hour before it started, scored
    /// against its audience once it ends.
    pub snap: Option<[f64; 3]>,
    /// Its counted audience ten minutes in, once the previous talk's
    /// audience has left and latecomers have come (the peak counts both).
    pub settled: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffState {
    pub space: Option<u32>,
    pub status: StaffStatus,
    /// Open task ids, oldest first.
    pub tasks: Vec<String>,
}

impl Default for StaffState {
    fn default() -> Self {
        StaffState {
            space: None,
            status: StaffStatus::Available,
            tasks: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AttendeeState {
    pub checked_in: bool,
    pub last_space: Option<u32>,
    pub plan: Vec<u32>,
    /// When automation notified this person in the last 24 hours (snapshots
    /// from before the daily cap kept only the last hour).
    pub notified: Vec<Millis>,
    /// The attendee's last `attendee.plan` consented to their position
    /// being used for their recommendations.
    pub share_position: bool,
    /// Sessions they were seen entering while the session ran, in order;
    /// kept only with `share_position` (issue 15, docs/RECOMMENDATIONS.md).
    pub attended: Vec<u32>,
}

/// Where a dispatched task stands; `staff.task` signals move it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStage {
    Assigned,
    Acknowledged,
    Arrived,
    /// Nobody eligible was free; retried every minute until `valid_until`.
    Waiting,
}

/// One staff task, from dispatch to done. Reassignment keeps the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub decision: DecisionId,
    /// The policy that asked for it, or `operator:NAME`.
    pub policy: String,
    pub priority: i32,
    pub space: u32,
    pub role: String,
    pub note: String,
    pub staff: u32,
    pub stage: TaskStage,
    pub since: Millis,
    pub valid_until: Millis,
    /// Staff who declined or let it time out: not asked again.
    pub passed: Vec<u32>,
}

/// A resource held by an executed decision until its action's `valid_until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub policy: String,
    pub priority: i32,
    pub decision: DecisionId,
    pub until: Millis,
}

/// Alerts about one space join one card while it is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertCard {
    pub first: DecisionId,
    pub count: u32,
    pub opened: Millis,
    pub last: Millis,
    pub acked: Option<String>,
    /// Already sent up to the supervisor.
    pub escalated: bool,
}

/// Per (policy, entity): where the policy's state machine stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// False after firing until `rearm` holds.
    pub disarmed: bool,
    pub true_since: Option<Millis>,
    /// The signal that started the current hold, for the explanation.
    pub held_from: Option<crate::output::Trigger>,
    pub last_fired: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Timer {
    /// Re-evaluate a policy instance whose `for` hold or cooldown ends now.
    Policy {
        policy: u32,
        entity: u32,
    },
    Approval {
        decision: DecisionId,
    },
    OverrideExpiry {
        resource: ResourceBuf,
    },
    /// A dispatched task not acknowledged by now goes to someone else.
    TaskAck {
        task: String,
        staff: u32,
    },
    /// A task nobody reported done is closed at its `valid_until`.
    TaskEnd {
        task: String,
    },
    /// An alert card opened at `opened` escalates now unless acknowledged.
    AlertAck {
        group: ResourceBuf,
        opened: Millis,
    },
    /// A pending decision whose every action has outlived its
    /// `valid_until` by now can no longer take effect: it leaves the queue.
    /// (Appended last: snapshots written before it still decode.)
    ApprovalValidity {
        decision: DecisionId,
    },
    /// A tentative move not confirmed by now is dropped.
    MoveDeadline {
        session: u32,
        decision: DecisionId,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub decision: DecisionId,
    pub policy: u32,
    pub actions: Vec<Action>,
    pub attendee_facing: bool,
    pub escalated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub until: Millis,
    pub value: Option<String>,
    pub actor: String,
}

/// Counters for summaries and data quality; none of them feed back into decisions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub entries: u64,
    /// Signals per type, indexed by `SignalType::index`: a counter bump on
    /// every signal must not compare strings.
    pub signals: Vec<u64>,
    pub duplicates: u64,
    pub rejected: BTreeMap<String, u64>,
    pub clamped: u64,
    pub skewed: u64,
    /// Evaluations of a policy's condition (or rearm) that failed at run time
    /// (division by zero, overflow, a bad conversion), by policy id. Such a
    /// policy does not fire, so without this count the failure is silent.
    pub eval_errors: BTreeMap<String, u64>,
    pub suppressed: BTreeMap<String, u64>,
    pub decisions_by_policy: BTreeMap<String, u64>,
    pub action_outcomes: BTreeMap<String, u64>,
    pub commands: BTreeMap<String, u64>,
    pub ticks: u64,
}

impl State {
    /// One policy instance, by its slot in the entity's table.
    pub fn instance(
        &mut self,
        kind: baton_model::ScopeKind,
        entity: u32,
        slot: usize,
    ) -> &mut Instance {
        let table = match kind {
            baton_model::ScopeKind::Space => &mut self.space_instances,
            baton_model::ScopeKind::Session => &mut self.session_instances,
        };
        &mut table[entity as usize][slot]
    }
}

impl Stats {
    pub fn count_signal(&mut self, t: baton_model::SignalType) {
        if self.signals.len() < baton_model::SignalType::COUNT {
            self.signals.resize(baton_model::SignalType::COUNT, 0);
        }
        self.signals[t.index()] += 1;
    }

    /// Signals per type name, for summaries; types never seen are left out.
    pub fn signals_by_type(&self) -> BTreeMap<&'static str, u64> {
        baton_model::SignalType::ALL
            .iter()
            .zip(&self.signals)
            .filter(|(_, n)| **n > 0)
            .map(|(t, n)| (t.as_str(), *n))
            .collect()
    }
}

/// The deduplication window: `(source, id)` fingerprints seen within
/// `dedup_window` of journal time, at most `dedup_max_keys` of them.
///
/// A fingerprint is 16 bytes of SipHash-1-3 keyed with `secret`, a random
/// key kept in the journal (so restore and replay use the same one): a
/// sender cannot craft ids whose fingerprints collide with another
/// source's, as it could with an unkeyed hash. `order` is the window, oldest
/// first, and is what a snapshot stores; `index` finds a fingerprint in it
/// and is rebuilt on restore. The index holds 4-byte positions, not a second
/// copy of the fingerprints: about 36 bytes a key in all, where a map from
/// fingerprint to time cost 103.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Dedup {
    order: VecDeque<Slot>,
    /// Positions in `order`, counted from the first key ever pushed (as
    /// `u32`, wrapping: the window never holds 2^32 keys).
    #[serde(skip)]
    index: HashTable<u32>,
    /// The position of `order`'s front.
    #[serde(skip)]
    head: u32,
    pub secret: [u64; 2],
}

/// The index is derived from `order`, and positions depend on how many keys
/// came and went before: two windows are equal when they hold the same keys
/// in the same order at the same times, under the same secret.
impl PartialEq for Dedup {
    fn eq(&self, other: &Self) -> bool {
        self.order == other.order && self.secret == other.secret
    }
}

/// One remembered key: a fingerprint as two words, so a slot is 24 bytes
/// (a `u128` would align it to 32). Encoded as `(Millis, u128)`, the
/// snapshot format the window has always had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    at: Millis,
    fp: [u64; 2],
}

impl Slot {
    fn new(at: Millis, key: u128) -> Slot {
        Slot {
            at,
            fp: [key as u64, (key >> 64) as u64],
        }
    }

    fn key(&self) -> u128 {
        u128::from(self.fp[0]) | (u128::from(self.fp[1]) << 64)
    }
}

impl Serialize for Slot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.at, self.key()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Slot {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Slot, D::Error> {
        let (at, key) = <(Millis, u128)>::deserialize(d)?;
        Ok(Slot::new(at, key))
    }
}

/// A fingerprint is already a keyed hash: its low word is the table's hash.
fn hash(key: u128) -> u64 {
    key as u64
}

/// Capacity is given back once it is four times what is held (and large):
/// a burst's memory does not stay with the process for good.
const SHRINK_ABOVE: usize = 4096;

impl Dedup {
    /// An empty window fingerprinting under `secret`.
    pub fn with_secret(secret: [u64; 2]) -> Dedup {
        Dedup {
            secret,
            ..Dedup::default()
        }
    }

    /// Rebuilds the index after a snapshot restore.
    pub fn rebuild(&mut self) {
        self.head = 0;
        self.index = HashTable::with_capacity(self.order.len());
        for (i, slot) in self.order.iter().enumerate() {
            let order = &self.order;
            self.index.insert_unique(hash(slot.key()), i as u32, |&p| {
                hash(order[p as usize].key())
            });
        }
    }

    /// Keys in the window.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Forgets every key (the secret stays).
    pub fn clear(&mut self) {
        self.order = VecDeque::new();
        self.index = HashTable::new();
        self.head = 0;
    }

    /// The fingerprint of `(source, id)` under this window's key.
    pub fn key(&self, source: &str, id: &str) -> u128 {
        use std::hash::Hasher;
        let mut h = siphasher::sip128::SipHasher13::new_with_keys(self.secret[0], self.secret[1]);
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        h.write_u64(source.len() as u64);
        h.write(source.as_bytes());
        h.write(id.as_bytes());
        siphasher::sip128::Hasher128::finish128(&h).as_u128()
    }

    /// When `key` was recorded, if it is in the window.
    fn find(&self, key: u128) -> Option<Millis> {
        let (order, head) = (&self.order, self.head);
        self.index
            .find(hash(key), |&p| {
                order[p.wrapping_sub(head) as usize].key() == key
            })
            .map(|&p| order[p.wrapping_sub(head) as usize].at)
    }

    /// Is `key` in the window as of `now` (without changing it)?
    pub fn contains(&self, key: u128, now: Millis, window: Millis) -> bool {
        self.find(key).is_some_and(|t| t + window >= now)
    }

    /// True when `key` was seen within the window; records it otherwise.
    /// Keys older than `window`, and the oldest beyond `max` keys, leave.
    pub fn check(&mut self, key: u128, now: Millis, window: Millis, max: u64) -> bool {
        while let Some(slot) = self.order.front() {
            if slot.at + window >= now {
                break;
            }
            self.pop_oldest();
        }
        if self.find(key).is_some() {
            return true;
        }
        let pos = self.head.wrapping_add(self.order.len() as u32);
        self.order.push_back(Slot::new(now, key));
        let (order, head) = (&self.order, self.head);
        self.index.insert_unique(hash(key), pos, |&p| {
            hash(order[p.wrapping_sub(head) as usize].key())
        });
        let max = usize::try_from(max.max(1)).unwrap_or(usize::MAX);
        while self.order.len() > max {
            self.pop_oldest();
        }
        false
    }

    fn pop_oldest(&mut self) {
        let Some(slot) = self.order.pop_front() else {
            return;
        };
        let head = self.head;
        if let Ok(entry) = self.index.find_entry(hash(slot.key()), |&p| p == head) {
            entry.remove();
        }
        self.head = head.wrapping_add(1);
        let len = self.order.len();
        if self.order.capacity() > SHRINK_ABOVE && self.order.capacity() > 4 * len {
            self.order.shrink_to(2 * len);
            let (order, head) = (&self.order, self.head);
            self.index.shrink_to(2 * len, |&p| {
                hash(order[p.wrapping_sub(head) as usize].key())
            });
        }
    }

    /// Journal time the oldest remembered key goes back to from `now`: the
    /// window in effect, shorter than `dedup_window` when the count bound
    /// is what evicts.
    pub fn effective_window(&self, now: Millis) -> Millis {
        self.order.front().map_or(0, |s| (now - s.at).max(0))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub now: Millis,
    pub last_seq: u64,
    /// The minute (journal time / 60 000) of the last per-minute refresh.
    pub minute: i64,
    pub spaces: Vec<SpaceState>,
    pub sessions: Vec<SessionState>,
    pub staff: Vec<StaffState>,
    pub attendees: BTreeMap<String, AttendeeState>,
    /// Per space, one instance per policy in scope for it (in the order of
    /// `Compiled::space_policies`): a signal touches one small, contiguous
    /// block instead of one slot in every policy's table.
    pub space_instances: Vec<Vec<Instance>>,
    /// Per session, likewise (`Compiled::session_policies`).
    pub session_instances: Vec<Vec<Instance>>,
    pub timers: BTreeSet<(Millis, Timer)>,
    pub pending: BTreeMap<DecisionId, Pending>,
    pub overrides: BTreeMap<ResourceBuf, Override>,
    pub modes: BTreeMap<String, Mode>,
    pub paused: bool,
    pub emergency: bool,
    /// What automation wants each sign to show, by sign index; reconciled on resume.
    pub desired_signs: BTreeMap<u32, String>,
    /// What was last sent to each sign.
    pub published_signs: BTreeMap<u32, String>,
    pub dedup: Dedup,
    /// Open staff tasks by id (`DECISION-SLOT`).
    pub tasks: BTreeMap<String, Task>,
    /// Who holds each sign, space, session and attendee group, by resource.
    pub claims: BTreeMap<ResourceBuf, Claim>,
    /// Alert cards by group id (`alert:SPACE`).
    pub alerts: BTreeMap<ResourceBuf, AlertCard>,
    /// What the day taught the demand forecast.
    pub learned: crate::forecast::Learned,
    /// Room moves by session index: tentative, published or dropped.
    pub moves: BTreeMap<u32, crate::moves::Move>,
    /// The programme's version: bumped by every published move.
    pub programme_version: u32,
    pub stats: Stats,
}

/// Adds one to a named counter.
pub(crate) fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(v) = map.get_mut(key) {
        *v += 1;
    } else {
        map.insert(key.to_string(), 1);
    }
}
