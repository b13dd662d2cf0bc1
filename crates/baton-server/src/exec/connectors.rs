//! The connectors: how one action reaches one kind of system.

use crate::outbox::store::Delivery;
use crate::settings::{MqttConfig, NatsConfig, WebhookConfig};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// How an attempt ended.
pub enum Attempt {
    Delivered,
    /// Worth retrying (timeouts, 5xx, connection errors).
    Retry(String),
    /// Will never succeed (4xx): straight to the dead letters.
    Permanent(String),
}

pub enum Connector {
    /// Appends to `DATA/actions.log`: the default when nothing is configured.
    Log(Mutex<std::fs::File>),
    /// The live stream already carried it (alerts for the console).
    Sse,
    Webhook {
        cfg: WebhookConfig,
        client: reqwest::Client,
    },
    Mqtt {
        cfg: MqttConfig,
        client: rumqttc::AsyncClient,
    },
    Nats {
        cfg: NatsConfig,
        client: async_nats::Client,
    },
}

/// `X-Baton-Signature`: HMAC-SHA256 over `TIMESTAMP.BODY`, hex, with the
/// webhook's secret; receivers recompute it and reject stale timestamps.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

impl Connector {
    pub fn log(path: PathBuf) -> anyhow::Result<Connector> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", path.display()))?;
        Ok(Connector::Log(Mutex::new(f)))
    }

    pub fn webhook(cfg: WebhookConfig, timeout: Duration) -> anyhow::Result<Connector> {
        // No redirects: a 302 would turn the POST into a GET that "succeeds".
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Connector::Webhook { cfg, client })
    }

    /// A persistent session with a fixed client id; the event loop runs on
    /// its own task and reconnects by itself.
    pub fn mqtt(cfg: MqttConfig) -> anyhow::Result<Connector> {
        let (host, port) = cfg
            .address
            .rsplit_once(':')
            .and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h.to_string(), p)))
            .ok_or_else(|| anyhow::anyhow!("mqtt.address {:?} is not host:port", cfg.address))?;
        let mut opts = rumqttc::MqttOptions::new(cfg.client_id.clone(), host, port);
        opts.set_clean_session(false);
        opts.set_keep_alive(Duration::from_secs(10));
        let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 256);
        tokio::spawn(async move {
            loop {
                if let Err(e) = eventloop.poll().await {
                    tracing::warn!("mqtt: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        });
        Ok(Connector::Mqtt { cfg, client })
    }

    pub async fn nats(cfg: NatsConfig) -> anyhow::Result<Connector> {
        let client = async_nats::connect(&cfg.url)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to NATS at {}: {e}", cfg.url))?;
        if cfg.jetstream {
            let js = async_nats::jetstream::new(client.clone());
            js.get_or_create_stream(async_nats::jetstream::stream::Config {
                name: "BATON_ACTIONS".into(),
                subjects: vec![format!("{}.>", cfg.subject_prefix)],
                // JetStream drops a repeated Nats-Msg-Id within this window.
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow::anyhow!("creating the BATON_ACTIONS stream: {e}"))?;
        }
        Ok(Connector::Nats { cfg, client })
    }

    pub async fn deliver(&self, d: &Delivery, kind: &str, now: i64) -> Attempt {
        match self {
            Connector::Log(f) => {
                let Ok(mut f) = f.lock() else {
                    return Attempt::Retry("log file lock poisoned".into());
                };
                match writeln!(f, "{}", d.payload) {
                    Ok(()) => Attempt::Delivered,
                    Err(e) => Attempt::Retry(e.to_string()),
                }
            }
            Connector::Sse => Attempt::Delivered,
            Connector::Webhook { cfg, client } => {
                let r = client
                    .post(&cfg.url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", &d.key)
                    .header("x-baton-timestamp", now.to_string())
                    .header("x-baton-signature", sign(&cfg.secret, now, &d.payload))
                    .body(d.payload.clone())
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().is_success() => Attempt::Delivered,
                    Ok(resp)
                        if resp.status().is_client_error()
                            && resp.status() != reqwest::StatusCode::REQUEST_TIMEOUT
                            && resp.status() != reqwest::StatusCode::TOO_MANY_REQUESTS =>
                    {
                        Attempt::Permanent(format!("{} answered {}", cfg.url, resp.status()))
                    }
                    Ok(resp) => Attempt::Retry(format!("{} answered {}", cfg.url, resp.status())),
                    Err(e) => Attempt::Retry(format!("{}: {e}", cfg.url)),
                }
            }
            Connector::Mqtt { cfg, client } => {
                let id = d.resource.rsplit(':').next().unwrap_or(&d.resource);
                let topic = format!("{}/{id}", cfg.topic_prefix);
                match client
                    .publish(
                        topic,
                        rumqttc::QoS::AtLeastOnce,
                        true,
                        d.payload.as_bytes().to_vec(),
                    )
                    .await
                {
                    Ok(()) => Attempt::Delivered,
                    Err(e) => Attempt::Retry(format!("mqtt: {e}")),
                }
            }
            Connector::Nats { cfg, client } => {
                let subject = format!("{}.{kind}", cfg.subject_prefix);
                if cfg.jetstream {
                    let js = async_nats::jetstream::new(client.clone());
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert("Nats-Msg-Id", d.key.as_str());
                    match js
                        .publish_with_headers(subject, headers, d.payload.clone().into())
                        .await
                    {
                        Ok(ack) => match ack.await {
                            Ok(_) => Attempt::Delivered,
                            Err(e) => Attempt::Retry(format!("jetstream ack: {e}")),
                        },
                        Err(e) => Attempt::Retry(format!("jetstream: {e}")),
                    }
                } else {
                    match client.publish(subject, d.payload.clone().into()).await {
                        Ok(()) => match client.flush().await {
                            Ok(()) => Attempt::Delivered,
                            Err(e) => Attempt::Retry(format!("nats flush: {e}")),
                        },
                        Err(e) => Attempt::Retry(format!("nats: {e}")),
                    }
                }
            }
        }
    }
}
