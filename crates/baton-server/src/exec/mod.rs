//! The execution layer: actions out of the journal, into real systems.
//!
//! The core thread turns each `Execute` output into delivery rows (one per
//! action, keyed `DECISION.ACTION`) in `DATA/deliveries.sqlite` before it
//! answers, and wakes this executor. The executor works from that table, so
//! a restart resumes exactly where delivery stood. Per connector: a timeout,
//! exponential backoff with jitter, a circuit breaker, a concurrency limit
//! and dead letters; a connector that is down delays no other. Desired-state
//! resources (signs, spaces, sessions) send only their latest version. Final
//! outcomes go back into the journal as `ActionResult` entries.

pub mod connectors;
mod redact;

pub use crate::outbox::Routing;
use crate::outbox::state::{BreakerState, DeliveryState};
use crate::outbox::store::{Delivery, Store};

use crate::clock::Clock;
use crate::core::{CoreHandle, Request};
use crate::settings::{ConnectorsFile, DeliveryPolicy};
use baton_model::{ActionKey, ActionResult, Outcome};
use connectors::{Attempt, Connector};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore};

/// What `/v1/connectors` shows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ConnectorStatus {
    pub breaker: BreakerState,
    pub consecutive_failures: u32,
    pub delivered: u64,
    pub failed_attempts: u64,
    pub dead: u64,
    pub expired: u64,
    pub in_flight: usize,
    pub recent_failures: VecDeque<String>,
    #[serde(skip)]
    opened_at: Option<Instant>,
}

pub struct Exec {
    connectors: BTreeMap<String, (Arc<Connector>, Arc<Semaphore>)>,
    pub routing: Arc<Routing>,
    policy: DeliveryPolicy,
    status: Mutex<BTreeMap<String, ConnectorStatus>>,
    store: Mutex<Store>,
    clock: Clock,
    pub wake: Arc<Notify>,
    in_flight: Mutex<HashSet<String>>,
    next_try: Mutex<HashMap<String, Instant>>,
    /// Keys whose last attempt got no answer at all: if the row ends there,
    /// its outcome is unknown, not expired or dead.
    unanswered: Mutex<HashSet<String>>,
    /// The ingest half of `connectors.yaml`, started beside the executor.
    pub ingest: crate::settings::IngestConfig,
    /// Broker messages refused, per source (shown with the connectors).
    pub refusals: Arc<crate::ingest::Refusals>,
}

/// Wall time in ms: a webhook's signature timestamp is checked by its
/// receiver against its own clock, which journal time (accelerated, or
/// manual) need not match. The body keeps journal time.
fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Attempt {
    /// The same attempt with credentials taken out of its error text.
    fn redacted(self) -> Attempt {
        match self {
            Attempt::Retry(e) => Attempt::Retry(redact::redact(&e)),
            Attempt::Permanent(e) => Attempt::Permanent(redact::redact(&e)),
            a => a,
        }
    }
}

/// Why a dead letter was not put back.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Store(String),
}

fn desired_state(resource: &str) -> bool {
    baton_model::Resource::parse(resource).is_desired_state()
}

impl Exec {
    /// Connects the configured connectors (NATS connects now; MQTT and
    /// webhooks connect lazily and retry on their own).
    pub async fn new(data: &Path, file: Option<&Path>, clock: Clock) -> anyhow::Result<Arc<Exec>> {
        let cfg = match file {
            Some(p) => ConnectorsFile::load(p)?,
            None => ConnectorsFile::default(),
        };
        // The HTTP client waits a little longer than a late answer is
        // listened for, so silence is the executor's finding (no answer:
        // outcome unknown), not a client error; the executor notes an
        // attempt as late past `timeout_ms`.
        let timeout = Duration::from_millis(cfg.policy.late() + 1_000);
        let mut connectors: BTreeMap<String, Arc<Connector>> = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        connectors.insert(
            "log".into(),
            Arc::new(Connector::log(data.join("actions.log"))?),
        );
        connectors.insert("sse".into(), Arc::new(Connector::Sse));
        by_kind.insert("alert".to_string(), "sse".to_string());
        let mut by_resource = BTreeMap::new();
        for w in &cfg.webhooks {
            for k in &w.kinds {
                by_kind.insert(k.clone(), w.name.clone());
            }
            for r in &w.resources {
                by_resource.insert(r.clone(), w.name.clone());
            }
            connectors.insert(
                w.name.clone(),
                Arc::new(Connector::webhook(w.clone(), timeout)?),
            );
        }
        if let Some(m) = &cfg.mqtt {
            for k in &m.kinds {
                by_kind.insert(k.clone(), "mqtt".into());
            }
            connectors.insert("mqtt".into(), Arc::new(Connector::mqtt(m.clone())?));
        }
        if let Some(n) = &cfg.nats {
            for k in &n.kinds {
                by_kind.insert(k.clone(), "nats".into());
            }
            connectors.insert("nats".into(), Arc::new(Connector::nats(n.clone()).await?));
        }
        let status = connectors
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    ConnectorStatus {
                        breaker: BreakerState::Closed,
                        ..Default::default()
                    },
                )
            })
            .collect();
        let concurrency = cfg.policy.concurrency.max(1);
        Ok(Arc::new(Exec {
            connectors: connectors
                .into_iter()
                .map(|(k, c)| (k, (c, Arc::new(Semaphore::new(concurrency)))))
                .collect(),
            routing: Arc::new(Routing::new(by_kind, by_resource)),
            policy: cfg.policy,
            status: Mutex::new(status),
            store: Mutex::new(Store::open(data)?),
            clock,
            wake: Arc::new(Notify::new()),
            in_flight: Mutex::new(HashSet::new()),
            next_try: Mutex::new(HashMap::new()),
            unanswered: Mutex::new(HashSet::new()),
            ingest: cfg.ingest.clone(),
            refusals: Arc::default(),
        }))
    }

    pub fn connectors_json(&self) -> Value {
        let st = self.status.lock().map(|s| s.clone()).unwrap_or_default();
        let pending: BTreeMap<String, u64> = self
            .store
            .lock()
            .ok()
            .and_then(|s| s.pending_counts().ok())
            .unwrap_or_default()
            .into_iter()
            .collect();
        let items: Vec<Value> = st
            .iter()
            .map(|(name, s)| {
                let depth = pending.get(name).copied().unwrap_or(0);
                let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
                v["name"] = json!(name);
                v["queue_depth"] = json!(depth);
                v
            })
            .collect();
        json!({"items": items, "ingest_refused": self.refusals.snapshot()})
    }

    pub fn dead_letters(&self) -> Value {
        let items = self
            .store
            .lock()
            .ok()
            .and_then(|s| s.by_state(DeliveryState::Dead, 10_000).ok())
            .unwrap_or_default();
        json!({"items": items})
    }

    /// How each action of a decision fared: state, attempts, last error.
    pub fn deliveries(&self, decision: &str) -> Value {
        let rows = self
            .store
            .lock()
            .ok()
            .and_then(|s| s.for_decision(decision).ok())
            .unwrap_or_default();
        rows.iter()
            .map(|d| {
                json!({"key": d.key, "connector": d.connector, "state": d.state,
                       "attempts": d.attempts, "last_error": d.last_error, "last_try": d.last_try})
            })
            .collect()
    }

    /// Puts a dead letter back in the queue with a fresh attempt count,
    /// keeping its last error; refused when the action is no longer valid
    /// (it would only expire) or is not dead.
    pub fn retry(&self, key: &str) -> Result<(), RetryError> {
        let store = self
            .store
            .lock()
            .map_err(|_| RetryError::Store("store poisoned".into()))?;
        match store
            .get(key)
            .map_err(|e| RetryError::Store(e.to_string()))?
        {
            Some(d) if d.state == DeliveryState::Dead && self.clock.now_ms() > d.valid_until => {
                Err(RetryError::Refused(format!(
                    "{key} was valid until journal time {}, which has passed: a retry would \
                     only expire it (last error: {})",
                    d.valid_until,
                    d.last_error.as_deref().unwrap_or("none")
                )))
            }
            Some(d) if d.state == DeliveryState::Dead => {
                store
                    .update(
                        key,
                        0,
                        DeliveryState::Pending,
                        d.last_error.as_deref(),
                        self.clock.now_ms(),
                    )
                    .map_err(|e| RetryError::Store(e.to_string()))?;
                drop(store);
                self.wake.notify_one();
                Ok(())
            }
            Some(d) => Err(RetryError::Refused(format!(
                "{key} is {}, not dead",
                d.state
            ))),
            None => Err(RetryError::NotFound(format!("no delivery {key}"))),
        }
    }

    /// Ends a delivery: the outcome is journaled first (and awaited), then
    /// the row is marked final. A crash in between leaves the row pending,
    /// so the outcome is never lost; the restore marks rows whose outcome
    /// the journal already holds. The key stays in flight until then, so the
    /// executor never picks the row up twice.
    fn finish(
        self: &Arc<Self>,
        core: &CoreHandle,
        d: &Delivery,
        state: DeliveryState,
        attempts: u32,
        error: Option<String>,
    ) {
        if let Ok(mut f) = self.in_flight.lock() {
            f.insert(d.key.clone());
        }
        let unanswered = self
            .unanswered
            .lock()
            .map(|mut u| u.remove(&d.key))
            .unwrap_or(false);
        let state = match state {
            DeliveryState::Expired | DeliveryState::Dead if unanswered => DeliveryState::Unknown,
            s => s,
        };
        // Only final states are finished; a pending one would be a bug here.
        let outcome = state.outcome().unwrap_or(Outcome::Expired);
        metrics::counter!("baton_action_outcomes_total", "connector" => d.connector.clone(), "outcome" => state.as_str()).increment(1);
        let result = d.key.parse::<ActionKey>().ok().map(|k| ActionResult {
            decision: k.decision,
            action: k.action,
            connector: d.connector.clone(),
            outcome,
            error: error.clone(),
        });
        let (me, core, d) = (self.clone(), core.clone(), d.clone());
        tokio::spawn(async move {
            // Keep trying until the outcome is durable: giving up would leave
            // the row pending and deliver the action again. Only a stopping
            // core ends the wait (the restart settles or resumes the row).
            let mut durable = result.is_none();
            if let Some(r) = result {
                let mut wait = 20;
                while !core.stopped() {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    if core
                        .send_or_return(Request::Result(r.clone(), Some(tx)))
                        .is_ok()
                    {
                        match rx.await {
                            Ok(Ok(_)) => {
                                durable = true;
                                break;
                            }
                            Ok(Err(e)) => tracing::warn!("journaling an outcome: {e}; retrying"),
                            Err(_) => break,
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    wait = (wait * 2).min(2_000);
                }
            }
            if let Ok(mut m) = me.next_try.lock() {
                m.remove(&d.key);
            }
            if durable {
                let now = me.clock.now_ms();
                if let Ok(s) = me.store.lock()
                    && let Err(e) = s.update(&d.key, attempts, state, error.as_deref(), now)
                {
                    tracing::error!("recording delivery {}: {e}", d.key);
                }
                if state == DeliveryState::Dead
                    && let Ok(mut st) = me.status.lock()
                    && let Some(s) = st.get_mut(&d.connector)
                {
                    s.dead += 1;
                }
            }
            if let Ok(mut f) = me.in_flight.lock() {
                f.remove(&d.key);
                f.remove(&format!("{}#{}", d.resource, d.key));
            }
            me.wake.notify_one();
        });
    }

    /// The executor's loop: pick due deliveries, attempt them, record outcomes.
    pub async fn run(self: Arc<Exec>, core: CoreHandle) {
        loop {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
            // Per connector, so a connector that is down (and its backlog)
            // never hides another connector's work.
            let pending: Vec<Delivery> = match self.store.lock() {
                Ok(s) => self
                    .connectors
                    .keys()
                    .flat_map(|c| s.pending_for(c, 2_000).unwrap_or_default())
                    .collect(),
                Err(_) => return,
            };
            // One version per desired-state resource: the latest wins.
            let mut latest: HashMap<&str, &str> = HashMap::new();
            for d in &pending {
                if desired_state(&d.resource) {
                    latest.insert(d.resource.as_str(), d.key.as_str());
                }
            }
            for d in &pending {
                if desired_state(&d.resource)
                    && latest.get(d.resource.as_str()) != Some(&d.key.as_str())
                    && !self
                        .in_flight
                        .lock()
                        .map(|f| f.contains(&d.key))
                        .unwrap_or(true)
                    && let Some(d) = self.still_pending(&d.key)
                {
                    self.finish(
                        &core,
                        &d,
                        DeliveryState::Superseded,
                        d.attempts,
                        Some("a newer version replaced it".into()),
                    );
                }
            }
            let due: Vec<Delivery> = pending
                .iter()
                .filter(|d| {
                    !desired_state(&d.resource)
                        || latest.get(d.resource.as_str()) == Some(&d.key.as_str())
                })
                .cloned()
                .collect();
            for d in due {
                self.clone().consider(d, &core);
            }
        }
    }

    /// The row as it is now, if it still waits: the loop's list is a moment
    /// old, and a delivery may have finished since it was read.
    fn still_pending(&self, key: &str) -> Option<Delivery> {
        let store = self.store.lock().ok()?;
        store
            .get(key)
            .ok()
            .flatten()
            .filter(|d| d.state == DeliveryState::Pending)
    }

    fn consider(self: Arc<Exec>, d: Delivery, core: &CoreHandle) {
        let now = Instant::now();
        if self
            .in_flight
            .lock()
            .map(|f| f.contains(&d.key))
            .unwrap_or(true)
        {
            return;
        }
        let Some(d) = self.still_pending(&d.key) else {
            return;
        };
        // One publish in flight per desired-state resource.
        if desired_state(&d.resource)
            && self
                .in_flight
                .lock()
                .map(|f| f.iter().any(|k| k.starts_with(&format!("{}#", d.resource))))
                .unwrap_or(true)
        {
            return;
        }
        if self
            .next_try
            .lock()
            .ok()
            .and_then(|m| m.get(&d.key).copied())
            .is_some_and(|t| t > now)
        {
            return;
        }
        if self.clock.now_ms() > d.valid_until {
            let mut st = self.status.lock();
            if let Ok(st) = st.as_mut()
                && let Some(s) = st.get_mut(&d.connector)
            {
                s.expired += 1;
            }
            drop(st);
            self.finish(
                core,
                &d,
                DeliveryState::Expired,
                d.attempts,
                Some("valid_until passed before delivery".into()),
            );
            return;
        }
        let Some((conn, sem)) = self.connectors.get(&d.connector).cloned() else {
            self.finish(
                core,
                &d,
                DeliveryState::Dead,
                d.attempts,
                Some(format!("no connector {:?}", d.connector)),
            );
            return;
        };
        // Breaker: open means wait; after the cooldown one trial goes through.
        {
            let Ok(mut st) = self.status.lock() else {
                return;
            };
            let Some(s) = st.get_mut(&d.connector) else {
                return;
            };
            if s.breaker == BreakerState::Open {
                if s.opened_at.is_some_and(|t| {
                    t.elapsed() < Duration::from_millis(self.policy.breaker_cooldown_ms)
                }) {
                    return;
                }
                s.breaker = BreakerState::HalfOpen;
            } else if s.breaker == BreakerState::HalfOpen && s.in_flight > 0 {
                return;
            }
            s.in_flight += 1;
        }
        let Ok(permit) = sem.try_acquire_owned() else {
            if let Ok(mut st) = self.status.lock()
                && let Some(s) = st.get_mut(&d.connector)
            {
                s.in_flight = s.in_flight.saturating_sub(1);
            }
            return;
        };
        if let Ok(mut f) = self.in_flight.lock() {
            f.insert(d.key.clone());
            if desired_state(&d.resource) {
                f.insert(format!("{}#{}", d.resource, d.key));
            }
        }
        let core = core.clone();
        tokio::spawn(async move {
            let kind = serde_json::from_str::<Value>(&d.payload)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_string))
                .unwrap_or_default();
            // An attempt past `timeout_ms` is not abandoned: its answer,
            // if it comes within `late()`, is the truth about the delivery.
            let late = Duration::from_millis(self.policy.late());
            let started = Instant::now();
            let answer = tokio::time::timeout(late, conn.deliver(&d, &kind, wall_ms())).await;
            let took = started.elapsed().as_millis() as u64;
            let result = match answer.map(Attempt::redacted) {
                Ok(r) => {
                    if let Ok(mut u) = self.unanswered.lock() {
                        u.remove(&d.key);
                    }
                    r
                }
                Err(_) => {
                    if let Ok(mut u) = self.unanswered.lock() {
                        u.insert(d.key.clone());
                    }
                    Attempt::Retry(format!(
                        "no answer within {} ms: the receiver may or may not have it",
                        late.as_millis()
                    ))
                }
            };
            let late_note = (took > self.policy.timeout_ms)
                .then(|| format!("delivered late: answered after {took} ms"));
            drop(permit);
            let attempts = d.attempts + 1;
            // A finished delivery stays in flight until its outcome is durable.
            let mut finished = true;
            match result {
                Attempt::Delivered => {
                    self.note(&d.connector, None);
                    if let Ok(p) = serde_json::from_str::<Value>(&d.payload)
                        && let Some(at) = p["at"].as_i64()
                    {
                        metrics::histogram!("baton_decision_to_delivery_seconds")
                            .record((self.clock.now_ms() - at).max(0) as f64 / 1000.0);
                    }
                    let state = if late_note.is_some() {
                        DeliveryState::Late
                    } else {
                        DeliveryState::Succeeded
                    };
                    self.finish(&core, &d, state, attempts, late_note);
                }
                Attempt::Permanent(e) => {
                    self.note(&d.connector, Some(e.clone()));
                    self.finish(&core, &d, DeliveryState::Dead, attempts, Some(e));
                }
                Attempt::Retry(e) => {
                    self.note(&d.connector, Some(e.clone()));
                    if attempts >= self.policy.max_attempts {
                        self.finish(&core, &d, DeliveryState::Dead, attempts, Some(e));
                    } else {
                        finished = false;
                        let base = self.policy.backoff_ms.saturating_mul(1 << attempts.min(16));
                        let capped = base.min(self.policy.backoff_max_ms);
                        let jitter = rand::random_range(0..=capped / 2 + 1);
                        if let Ok(mut m) = self.next_try.lock() {
                            m.insert(
                                d.key.clone(),
                                Instant::now() + Duration::from_millis(capped / 2 + jitter),
                            );
                        }
                        if let Ok(s) = self.store.lock() {
                            let _ = s.update(
                                &d.key,
                                attempts,
                                DeliveryState::Pending,
                                Some(&e),
                                self.clock.now_ms(),
                            );
                        }
                    }
                }
            }
            if !finished && let Ok(mut f) = self.in_flight.lock() {
                f.remove(&d.key);
                f.remove(&format!("{}#{}", d.resource, d.key));
            }
            self.wake.notify_one();
        });
    }

    /// Updates the connector's breaker and counters after an attempt.
    fn note(&self, connector: &str, failure: Option<String>) {
        let Ok(mut st) = self.status.lock() else {
            return;
        };
        let Some(s) = st.get_mut(connector) else {
            return;
        };
        s.in_flight = s.in_flight.saturating_sub(1);
        match failure {
            None => {
                s.delivered += 1;
                s.consecutive_failures = 0;
                s.breaker = BreakerState::Closed;
                s.opened_at = None;
            }
            Some(e) => {
                s.failed_attempts += 1;
                s.consecutive_failures += 1;
                s.recent_failures.push_back(e);
                while s.recent_failures.len() > 20 {
                    s.recent_failures.pop_front();
                }
                if s.breaker == BreakerState::HalfOpen
                    || s.consecutive_failures >= self.policy.breaker_after
                {
                    if s.breaker != BreakerState::Open {
                        tracing::warn!("connector {connector}: breaker open");
                    }
                    s.breaker = BreakerState::Open;
                    s.opened_at = Some(Instant::now());
                }
            }
        }
        metrics::gauge!("baton_connector_breaker_open", "connector" => connector.to_string()).set(
            if s.breaker == BreakerState::Open {
                1.0
            } else {
                0.0
            },
        );
    }
}
