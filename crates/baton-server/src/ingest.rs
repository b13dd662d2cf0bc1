//! MQTT and NATS ingest: topics and subjects mapped to signal types.
//!
//! A message may be a full CloudEvent (it carries `specversion`) or a plain
//! sensor payload, which becomes the signal's `data`, with the subject taken
//! from a topic level. Either way it passes the same validation as HTTP
//! ingest, and is acknowledged to the broker only after it is journaled:
//! MQTT with manual acks on a persistent session (QoS 1 redelivers what was
//! not acked), JetStream with an explicit ack; plain NATS has no redelivery.
//! Invalid messages, and signals about things the event does not have,
//! are logged, counted per source (shown on `/v1/connectors` and in the
//! console, as a broker has no reply channel to tell the sender) and
//! acknowledged, so they do not loop.

use crate::core::{CoreHandle, IngestError, Request};
pub use crate::settings::{IngestConfig, MqttIngest, NatsIngest, Route};
use baton_model::Signal;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// Sources tracked by name at most; the rest are counted under `(other)`,
/// so a sender making up sources cannot grow the table without bound.
const MAX_SOURCES: usize = 256;

/// Broker messages refused, per source.
#[derive(Debug, Default)]
pub struct Refusals {
    by_source: Mutex<BTreeMap<String, Refused>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    pub count: u64,
    pub last_error: String,
    /// Wall time of the last refusal, in ms since the epoch.
    pub last_at: i64,
}

impl Refusals {
    pub fn record(&self, source: &str, error: &str) {
        metrics::counter!("baton_ingest_refused_total").increment(1);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let Ok(mut map) = self.by_source.lock() else {
            return;
        };
        let key = if map.contains_key(source) || map.len() < MAX_SOURCES {
            source
        } else {
            "(other)"
        };
        let last_error: String = error.chars().take(300).collect();
        match map.get_mut(key) {
            Some(r) => {
                r.count += 1;
                r.last_error = last_error;
                r.last_at = now;
            }
            None => {
                map.insert(
                    key.chars().take(200).collect(),
                    Refused {
                        count: 1,
                        last_error,
                        last_at: now,
                    },
                );
            }
        }
    }

    pub fn snapshot(&self) -> BTreeMap<String, Refused> {
        self.by_source.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// Does `topic` match `filter`? `sep` is `/` for MQTT, `.` for NATS.
pub fn matches(filter: &str, topic: &str, sep: char) -> bool {
    let (one, all) = if sep == '/' { ("+", "#") } else { ("*", ">") };
    let mut f = filter.split(sep);
    let mut t = topic.split(sep);
    loop {
        match (f.next(), t.next()) {
            (Some(x), _) if x == all => return true,
            (Some(x), Some(_)) if x == one => {}
            (Some(x), Some(y)) if x == y => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Turns one broker message into a signal, or says why not.
pub fn to_signal(
    routes: &[Route],
    topic: &str,
    sep: char,
    payload: &[u8],
    n: u64,
) -> Result<Signal, String> {
    let text =
        std::str::from_utf8(payload).map_err(|_| format!("{topic}: payload is not UTF-8"))?;
    let route = routes
        .iter()
        .find(|r| matches(&r.filter, topic, sep))
        .ok_or_else(|| format!("{topic}: no route matches"))?;
    let v: Value = serde_json::from_str(text).map_err(|e| format!("{topic}: not JSON: {e}"))?;
    if v.get("specversion").is_some() {
        return Signal::parse_json(text).map_err(|e| format!("{topic}: {e}"));
    }
    let subject = topic
        .split(sep)
        .nth(route.subject_level)
        .ok_or_else(|| format!("{topic}: no level {} for the subject", route.subject_level))?;
    // Plain payloads carry no id: one is made from the topic, this process's
    // nonce and a counter (a restart must not reuse ids still inside the
    // dedup window), so they are not deduplicated unless the payload names
    // its own `id`.
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{topic}#{:016x}-{n}", nonce()));
    let data = v.get("data").cloned().unwrap_or(v.clone());
    let event = json!({
        "specversion": "1.0",
        "id": id,
        "source": format!("broker:{}", topic.split(sep).next().unwrap_or(topic)),
        "type": route.kind,
        "subject": subject,
        "data": data,
    });
    Signal::parse_json(&event.to_string()).map_err(|e| format!("{topic}: {e}"))
}

/// The source a plain payload on `topic` is journaled under.
fn topic_source(topic: &str, sep: char) -> String {
    format!("broker:{}", topic.split(sep).next().unwrap_or(topic))
}

/// A random number fixed for the life of the process.
fn nonce() -> u64 {
    static N: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *N.get_or_init(rand::random)
}

/// Journals one signal, retrying while the core is busy or the journal
/// fails; false only once the core has stopped. The broker message is
/// acknowledged only after this returns true. A signal about something the
/// event does not have is counted against its source and acknowledged.
async fn journal(core: &CoreHandle, refusals: &Refusals, s: Signal) -> bool {
    let mut wait = 20;
    loop {
        if !core.reserve(1) {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            wait = (wait * 2).min(2_000);
            continue;
        }
        let (tx, rx) = oneshot::channel();
        match core.send_or_return(Request::Ingest {
            signals: vec![s.clone()],
            reply: tx,
        }) {
            Ok(()) => match rx.await {
                Ok(Ok(_)) => return true,
                Ok(Err(IngestError::Unknown { field, message, .. })) => {
                    tracing::warn!("ingest from {}: `{field}`: {message}", s.source);
                    refusals.record(&s.source, &format!("`{field}`: {message}"));
                    return true;
                }
                Ok(Err(e)) => tracing::warn!("ingest: {e}; retrying"),
                Err(_) => return false,
            },
            Err(_) => {
                core.release(1);
                if core.stopped() {
                    return false;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(wait)).await;
        wait = (wait * 2).min(2_000);
    }
}

pub fn start(
    cfg: &IngestConfig,
    core: CoreHandle,
    refusals: std::sync::Arc<Refusals>,
) -> anyhow::Result<()> {
    if let Some(m) = cfg.mqtt.clone() {
        start_mqtt(m, core.clone(), refusals.clone())?;
    }
    if let Some(n) = cfg.nats.clone() {
        tokio::spawn(async move {
            // Reconnect with backoff: a broker that is down at start, or a
            // stream that ends, must not stop ingest for good.
            let mut wait = 500;
            while !core.stopped() {
                match run_nats(n.clone(), core.clone(), &refusals).await {
                    Ok(()) => tracing::warn!("nats ingest: the subscription ended; reconnecting"),
                    Err(e) => tracing::warn!("nats ingest: {e}; reconnecting"),
                }
                tokio::time::sleep(Duration::from_millis(wait)).await;
                wait = (wait * 2).min(10_000);
            }
        });
    }
    Ok(())
}

fn start_mqtt(
    m: MqttIngest,
    core: CoreHandle,
    refusals: std::sync::Arc<Refusals>,
) -> anyhow::Result<()> {
    let (host, port) = m
        .address
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h.to_string(), p)))
        .ok_or_else(|| anyhow::anyhow!("ingest.mqtt.address {:?} is not host:port", m.address))?;
    let mut opts = rumqttc::MqttOptions::new(m.client_id.clone(), host, port);
    opts.set_clean_session(false);
    opts.set_manual_acks(true);
    // Sensor gateways batch readings: accept payloads up to 1 MiB instead of
    // failing the connection (and looping on redelivery).
    opts.set_max_packet_size(1 << 20, 1 << 20);
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 1024);
    tokio::spawn(async move {
        let mut n = 0u64;
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                    // Subscriptions do not survive every reconnect: renew them on each ConnAck.
                    for r in &m.topics {
                        if let Err(e) = client
                            .subscribe(r.filter.clone(), rumqttc::QoS::AtLeastOnce)
                            .await
                        {
                            tracing::warn!("mqtt ingest subscribe {}: {e}", r.filter);
                        }
                    }
                }
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                    n += 1;
                    let ok = match to_signal(&m.topics, &p.topic, '/', &p.payload, n) {
                        Ok(s) => journal(&core, &refusals, s).await,
                        Err(e) => {
                            tracing::warn!("mqtt ingest: {e}");
                            refusals.record(&topic_source(&p.topic, '/'), &e);
                            true
                        }
                    };
                    if ok {
                        let _ = client.ack(&p).await;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("mqtt ingest: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    Ok(())
}

async fn run_nats(n: NatsIngest, core: CoreHandle, refusals: &Refusals) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let client = async_nats::connect(&n.url).await?;
    let mut count = 0u64;
    match &n.stream {
        Some(stream) => {
            let js = async_nats::jetstream::new(client);
            let st = js.get_stream(stream).await?;
            let consumer: async_nats::jetstream::consumer::PullConsumer = st
                .get_or_create_consumer(
                    &n.consumer,
                    async_nats::jetstream::consumer::pull::Config {
                        durable_name: Some(n.consumer.clone()),
                        ..Default::default()
                    },
                )
                .await?;
            let mut msgs = consumer.messages().await?;
            while let Some(m) = msgs.next().await {
                let Ok(m) = m else { continue };
                count += 1;
                let ok = match to_signal(&n.subjects, m.subject.as_str(), '.', &m.payload, count) {
                    Ok(s) => journal(&core, refusals, s).await,
                    Err(e) => {
                        tracing::warn!("nats ingest: {e}");
                        refusals.record(&topic_source(m.subject.as_str(), '.'), &e);
                        true
                    }
                };
                if ok {
                    let _ = m.ack().await;
                }
            }
        }
        None => {
            let mut subs = Vec::new();
            for r in &n.subjects {
                subs.push(client.subscribe(r.filter.clone()).await?);
            }
            let mut all = futures_util::stream::select_all(subs);
            while let Some(m) = all.next().await {
                count += 1;
                match to_signal(&n.subjects, m.subject.as_str(), '.', &m.payload, count) {
                    Ok(s) => {
                        journal(&core, refusals, s).await;
                    }
                    Err(e) => {
                        tracing::warn!("nats ingest: {e}");
                        refusals.record(&topic_source(m.subject.as_str(), '.'), &e);
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_filters_follow_mqtt_and_nats_wildcards() {
        assert!(matches(
            "sensors/+/occupancy",
            "sensors/hall-a/occupancy",
            '/'
        ));
        assert!(!matches(
            "sensors/+/occupancy",
            "sensors/hall-a/entered",
            '/'
        ));
        assert!(matches("sensors/#", "sensors/a/b/c", '/'));
        assert!(matches("sensors.*.entered", "sensors.hall-a.entered", '.'));
        assert!(matches("sensors.>", "sensors.hall-a.x", '.'));
        assert!(!matches("sensors.*", "sensors.a.b", '.'));
    }

    #[test]
    fn plain_payloads_become_validated_signals() {
        let routes = vec![Route {
            filter: "sensors/+/occupancy".into(),
            kind: "space.occupancy".into(),
            subject_level: 1,
        }];
        let s = to_signal(
            &routes,
            "sensors/hall-a/occupancy",
            '/',
            br#"{"count": 12}"#,
            7,
        )
        .expect("valid");
        assert_eq!(s.subject, "hall-a");
        // The id carries this process's nonce, so a restart never reuses one.
        assert!(s.id.starts_with("sensors/hall-a/occupancy#"), "{}", s.id);
        assert!(s.id.ends_with("-7"), "{}", s.id);
        let again = to_signal(
            &routes,
            "sensors/hall-a/occupancy",
            '/',
            br#"{"count": 12}"#,
            7,
        )
        .expect("valid");
        assert_eq!(again.id, s.id, "one process: one nonce");
        let bad = to_signal(
            &routes,
            "sensors/hall-a/occupancy",
            '/',
            br#"{"count": -1}"#,
            8,
        );
        assert!(bad.expect_err("negative count").contains("data.count"));
        assert!(to_signal(&routes, "other/x", '/', b"{}", 9).is_err());
    }
}
