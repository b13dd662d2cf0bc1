//! `baton load`: posts signals at a server at a set rate and concurrency,
//! singly or in batches, and reports the accepted rate, errors and the
//! latency of durable acceptance (p50, p99, p999).

use anyhow::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Load {
    pub url: String,
    pub token: String,
    pub file: Option<std::path::PathBuf>,
    /// Signals per second in total; 0 means as fast as possible.
    pub rate: u64,
    pub concurrency: usize,
    pub batch: usize,
    pub signals: u64,
}

/// Synthetic occupancy readings over the example's spaces, unique ids.
fn synthetic(n: u64, run: u64) -> Vec<String> {
    let spaces = [
        "hall-a", "hall-b", "hall-c", "room-1", "room-2", "room-3", "room-4", "room-5",
    ];
    (0..n)
        .map(|i| {
            let sp = spaces[(i % spaces.len() as u64) as usize];
            format!(
                r#"{{"specversion":"1.0","id":"load-{run}-{i}","source":"load","type":"space.occupancy","subject":"{sp}","data":{{"count":{}}}}}"#,
                20 + i % 50
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
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicU64::new(0));
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
                if i >= bodies.len() {
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
                        accepted.fetch_add(*n as u64, Ordering::Relaxed);
                        lat.push(took);
                        None
                    }
                    Ok(resp) if resp.status().as_u16() == 200 => {
                        duplicates.fetch_add(*n as u64, Ordering::Relaxed);
                        lat.push(took);
                        None
                    }
                    Ok(resp) => Some(format!("HTTP {}", resp.status().as_u16())),
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
    Ok(format!(
        "sent {} signals in {} requests ({} per request, concurrency {}) over {secs:.2} s\n\
         accepted {acc} ({:.0}/s), duplicates {}, errors {}\n\
         acceptance latency ms: p50 {:.3}  p99 {:.3}  p999 {:.3}  max {:.3}\n",
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
    ))
}
