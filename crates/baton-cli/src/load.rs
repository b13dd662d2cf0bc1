//! `baton load`: posts signals at a server at a set rate and concurrency,
//! singly or in batches, and reports the accepted rate, errors and the
//! latency of durable acceptance (p50, p99, p999).

use anyhow::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Load {
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An ingest (or admin) token.
    #[arg(long)]
    pub token: String,
    /// A signal file (one CloudEvent per line); default: synthetic readings.
    #[arg(long)]
    pub file: Option<std::path::PathBuf>,
    /// Signals per second in total; 0 = as fast as the server answers.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Signals per request (1 = single CloudEvents).
    #[arg(long, default_value_t = 1)]
    pub batch: usize,
    /// How many signals to send.
    #[arg(long, default_value_t = 100_000)]
    pub signals: u64,
    /// Receive the server's webhooks here and time signal -> webhook
    /// (serve examples/loadtest with notify routed to this address; the
    /// marker readings are a multiple of 100).
    #[arg(long)]
    pub receiver: Option<std::net::SocketAddr>,
    /// Fail (exit non-zero) when more than this share of requests got no
    /// 202/200; a 401 or 403 stops the run at once.
    #[arg(long, default_value_t = 0.01)]
    pub max_error_share: f64,
}

type Times = Arc<std::sync::Mutex<std::collections::HashMap<u64, Instant>>>;

/// A webhook receiver that notes when each decision's delivery arrived,
/// keyed by the journal position of the signal that caused it.
async fn receiver(addr: std::net::SocketAddr, got: Times) -> Result<()> {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/{*path}",
        post(move |body: axum::body::Bytes| {
            let got = got.clone();
            async move {
                let now = Instant::now();
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body)
                    && let Some(seq) = v["decision"]
                        .as_str()
                        .and_then(|d| d.split('.').next())
                        .and_then(|s| s.parse::<u64>().ok())
                    && let Ok(mut m) = got.lock()
                {
                    m.entry(seq).or_insert(now);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening for webhooks on {addr}"))?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(())
}

/// Synthetic occupancy readings over the example's spaces, unique ids.
fn synthetic(n: u64, run: u64) -> Vec<String> {
    // Spaces both the example and examples/loadtest have.
    let spaces = ["hall-a", "hall-b", "room-1", "room-2"];
    (0..n)
        .map(|i| {
            let sp = spaces[(i % spaces.len() as u64) as usize];
            format!(
                r#"{{"specversion":"1.0","id":"load-{run}-{i}","source":"load","type":"space.occupancy","subject":"{sp}","data":{{"count":{}}}}}"#,
                if i % 100 == 0 { 100 } else { 20 + i % 50 }
            )
        })
        .collect()
}

pub async fn run(l: Load) -> Result<String> {
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let lines: Vec<String> = match &l.file {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("reading {}", p.display()))?
            .lines()
            .filter(|x| !x.trim().is_empty())
            .take(l.signals as usize)
            .map(str::to_string)
            .collect(),
        None => synthetic(l.signals, run_id),
    };
    let batch = l.batch.max(1);
    let bodies: Vec<(String, usize, bool)> = lines
        .chunks(batch)
        .map(|c| {
            if batch == 1 {
                (c[0].clone(), 1, false)
            } else {
                (format!("[{}]", c.join(",")), c.len(), true)
            }
        })
        .collect();
    let markers: Vec<bool> = lines
        .iter()
        .map(|l| l.contains(r#""count":100}"#))
        .collect();
    let bodies = Arc::new(bodies);
    let markers = Arc::new(markers);
    let got: Times = Arc::default();
    let sent: Times = Arc::default();
    if let Some(addr) = l.receiver {
        receiver(addr, got.clone()).await?;
    }
    let next = Arc::new(AtomicU64::new(0));
    // Set on a 401/403: every task stops, the token will not get better.
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let accepted = Arc::new(AtomicU64::new(0));
    let duplicates = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::<
        String,
        u64,
    >::new()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(l.concurrency)
        .build()?;
    let started = Instant::now();
    let per_request = if l.rate == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(batch as f64 / l.rate as f64)
    };
    let mut tasks = Vec::new();
    for _ in 0..l.concurrency.max(1) {
        let (markers, sent, refused) = (markers.clone(), sent.clone(), refused.clone());
        let (bodies, next, accepted, duplicates, errors, client) = (
            bodies.clone(),
            next.clone(),
            accepted.clone(),
            duplicates.clone(),
            errors.clone(),
            client.clone(),
        );
        let (url, token) = (format!("{}/v1/signals", l.url), l.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= bodies.len() || refused.load(Ordering::Relaxed) {
                    break;
                }
                // Open-loop pacing: request i is due at i × interval.
                let due = started + per_request * i as u32;
                let now = Instant::now();
                if due > now {
                    tokio::time::sleep(due - now).await;
                }
                let (body, n, is_batch) = &bodies[i];
                let t0 = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header(
                        "content-type",
                        if *is_batch {
                            "application/cloudevents-batch+json"
                        } else {
                            "application/cloudevents+json"
                        },
                    )
                    .body(body.clone())
                    .send()
                    .await;
                let took = t0.elapsed();
                let key = match r {
                    Ok(resp) if resp.status().as_u16() == 202 => {
                        lat.push(took);
                        // Signals of one request are journaled contiguously,
                        // ending at `position`: note where the markers went.
                        let v: serde_json::Value = resp.json().await.unwrap_or_default();
                        let acc_n = v["accepted"].as_u64().unwrap_or(*n as u64);
                        accepted.fetch_add(acc_n, Ordering::Relaxed);
                        duplicates
                            .fetch_add(v["duplicates"].as_u64().unwrap_or(0), Ordering::Relaxed);
                        if let (Some(last), Some(acc)) =
                            (v["position"].as_u64(), v["accepted"].as_u64())
                            && acc == *n as u64
                            && last + 1 >= acc
                        {
                            let first_line = i * batch;
                            for k in 0..*n {
                                if markers.get(first_line + k).copied().unwrap_or(false)
                                    && let Ok(mut m) = sent.lock()
                                {
                                    m.insert(last + 1 - acc + k as u64, t0);
                                }
                            }
                        }
                        None
                    }
                    Ok(resp) if resp.status().as_u16() == 200 => {
                        duplicates.fetch_add(*n as u64, Ordering::Relaxed);
                        lat.push(took);
                        None
                    }
                    Ok(resp) => {
                        let code = resp.status().as_u16();
                        if code == 401 || code == 403 {
                            refused.store(true, Ordering::Relaxed);
                        }
                        Some(format!("HTTP {code}"))
                    }
                    Err(e) if e.is_timeout() => Some("timeout".to_string()),
                    Err(_) => Some("connection".to_string()),
                };
                if let Some(k) = key
                    && let Ok(mut m) = errors.lock()
                {
                    *m.entry(k).or_default() += 1;
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap_or_default());
    }
    let secs = started.elapsed().as_secs_f64();
    let mut e2e: Vec<Duration> = Vec::new();
    if l.receiver.is_some() {
        // Give the last deliveries a moment to arrive.
        let expect = sent.lock().map(|m| m.len()).unwrap_or(0);
        for _ in 0..40 {
            if got.lock().map(|m| m.len()).unwrap_or(0) >= expect {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if let (Ok(s), Ok(g)) = (sent.lock(), got.lock()) {
            for (seq, t0) in s.iter() {
                if let Some(t1) = g.get(seq) {
                    e2e.push(t1.saturating_duration_since(*t0));
                }
            }
        }
        e2e.sort_unstable();
    }
    let pct_of = |v: &[Duration], p: f64| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i.min(v.len() - 1)].as_secs_f64() * 1000.0
    };
    let webhook = if l.receiver.is_some() {
        format!(
            "signal sent -> webhook received ms ({} of {} markers arrived): p50 {:.3}  p99 {:.3}  p999 {:.3}\n",
            e2e.len(),
            sent.lock().map(|m| m.len()).unwrap_or(0),
            pct_of(&e2e, 0.5),
            pct_of(&e2e, 0.99),
            pct_of(&e2e, 0.999),
        )
    } else {
        String::new()
    };
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat[i.min(lat.len() - 1)].as_secs_f64() * 1000.0
    };
    let acc = accepted.load(Ordering::Relaxed);
    let errs = errors.lock().map(|m| m.clone()).unwrap_or_default();
    let report = format!(
        "sent {} signals in {} requests ({} per request, concurrency {}) over {secs:.2} s\n\
         accepted {acc} ({:.0}/s), duplicates {}, errors {}\n\
         acceptance latency ms: p50 {:.3}  p99 {:.3}  p999 {:.3}  max {:.3}\n{webhook}",
        lines.len(),
        bodies.len(),
        batch,
        l.concurrency,
        acc as f64 / secs.max(1e-9),
        duplicates.load(Ordering::Relaxed),
        if errs.is_empty() {
            "none".to_string()
        } else {
            errs.iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        pct(0.5),
        pct(0.99),
        pct(0.999),
        lat.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0),
    );
    let failed: u64 = errs.values().sum();
    if refused.load(Ordering::Relaxed) {
        anyhow::bail!(
            "{report}the server refused the token (401/403): give an ingest, operator or admin token with --token"
        );
    }
    let share = failed as f64 / bodies.len().max(1) as f64;
    if share > l.max_error_share {
        anyhow::bail!(
            "{report}{failed} of {} requests failed ({:.1}%, more than --max-error-share {:.1}%)",
            bodies.len(),
            share * 100.0,
            l.max_error_share * 100.0
        );
    }
    Ok(report)
}
