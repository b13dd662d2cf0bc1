//! `connectors.yaml`: where each kind of action goes. Deployment settings,
//! not part of the event: the same event runs against test and live systems.

use baton_model::ActionKind;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConnectorsFile {
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    #[serde(default)]
    pub mqtt: Option<MqttConfig>,
    #[serde(default)]
    pub nats: Option<NatsConfig>,
    #[serde(default)]
    pub policy: DeliveryPolicy,
    /// MQTT topics and NATS subjects that carry signals in.
    #[serde(default)]
    pub ingest: IngestConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub name: String,
    pub url: String,
    /// HMAC-SHA256 key for `X-Baton-Signature`.
    #[serde(default)]
    pub secret: String,
    pub kinds: Vec<String>,
    /// Resources this webhook takes whatever their kind, before `kinds`:
    /// e.g. `["operators:escalation"]` sends escalations to the duty
    /// manager's messenger while other alerts stay on the console.
    #[serde(default)]
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `host:port`.
    pub address: String,
    #[serde(default = "default_client")]
    pub client_id: String,
    /// Sign actions go to `{topic_prefix}/{sign id}`, retained.
    #[serde(default = "default_topic")]
    pub topic_prefix: String,
    #[serde(default = "sign_only")]
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    pub url: String,
    /// Actions go to `{subject_prefix}.{kind}`.
    #[serde(default = "default_subject")]
    pub subject_prefix: String,
    /// Publish through JetStream with `Nats-Msg-Id` set to the idempotency key.
    #[serde(default)]
    pub jetstream: bool,
    pub kinds: Vec<String>,
}

/// Per-connector retry and protection settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryPolicy {
    #[serde(default = "d_timeout")]
    pub timeout_ms: u64,
    #[serde(default = "d_attempts")]
    pub max_attempts: u32,
    #[serde(default = "d_backoff")]
    pub backoff_ms: u64,
    #[serde(default = "d_backoff_max")]
    pub backoff_max_ms: u64,
    /// Consecutive failures that open a connector's breaker.
    #[serde(default = "d_breaker")]
    pub breaker_after: u32,
    /// How long an open breaker waits before one trial delivery.
    #[serde(default = "d_cooldown")]
    pub breaker_cooldown_ms: u64,
    /// Deliveries in flight per connector.
    #[serde(default = "d_concurrency")]
    pub concurrency: usize,
    /// How long an attempt that outlived `timeout_ms` is still listened to
    /// (default 10 × `timeout_ms`): an answer in that time is recorded as
    /// delivered late, and no retry overlaps it. Silence for all of it
    /// leaves the outcome unknown, never guessed.
    #[serde(default)]
    pub late_ms: Option<u64>,
}

impl DeliveryPolicy {
    pub fn late(&self) -> u64 {
        self.late_ms
            .unwrap_or(self.timeout_ms.saturating_mul(10))
            .max(self.timeout_ms)
    }
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            timeout_ms: d_timeout(),
            max_attempts: d_attempts(),
            backoff_ms: d_backoff(),
            backoff_max_ms: d_backoff_max(),
            breaker_after: d_breaker(),
            breaker_cooldown_ms: d_cooldown(),
            concurrency: d_concurrency(),
            late_ms: None,
        }
    }
}

fn default_client() -> String {
    "baton".into()
}
fn default_topic() -> String {
    "baton/signs".into()
}
fn default_subject() -> String {
    "baton.actions".into()
}
fn sign_only() -> Vec<String> {
    vec!["sign".into()]
}
fn d_timeout() -> u64 {
    5_000
}
fn d_attempts() -> u32 {
    8
}
fn d_backoff() -> u64 {
    200
}
fn d_backoff_max() -> u64 {
    10_000
}
fn d_breaker() -> u32 {
    5
}
fn d_cooldown() -> u64 {
    5_000
}
fn d_concurrency() -> usize {
    8
}

impl ConnectorsFile {
    pub fn load(path: &Path) -> anyhow::Result<ConnectorsFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        let f: ConnectorsFile = serde_saphyr::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for (i, w) in f.webhooks.iter().enumerate() {
            check_kinds(path, &format!("webhooks[{i}].kinds"), &w.kinds)?;
        }
        if let Some(n) = &f.nats {
            check_kinds(path, "nats.kinds", &n.kinds)?;
        }
        if let Some(m) = &f.mqtt {
            check_kinds(path, "mqtt.kinds", &m.kinds)?;
        }
        Ok(f)
    }
}

fn check_kinds(path: &Path, field: &str, kinds: &[String]) -> anyhow::Result<()> {
    for k in kinds {
        if ActionKind::parse(k).is_none() {
            anyhow::bail!("{}: {field}: unknown action kind {k:?}", path.display());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- ingest

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    #[serde(default)]
    pub mqtt: Option<MqttIngest>,
    #[serde(default)]
    pub nats: Option<NatsIngest>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttIngest {
    pub address: String,
    #[serde(default = "ingest_client")]
    pub client_id: String,
    pub topics: Vec<Route>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsIngest {
    pub url: String,
    pub subjects: Vec<Route>,
    /// A JetStream stream to consume with a durable consumer (acked after journaling).
    #[serde(default)]
    pub stream: Option<String>,
    #[serde(default = "ingest_client")]
    pub consumer: String,
}

/// One topic filter (MQTT `+`/`#`, NATS `*`/`>`) and what its messages are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub filter: String,
    /// Signal type for plain payloads, e.g. `space.occupancy`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Which topic level (0-based) names the subject for plain payloads.
    #[serde(default)]
    pub subject_level: usize,
}

fn ingest_client() -> String {
    "baton-ingest".into()
}
