//! `baton demo`: the bundled example served live, with the digital twin as
//! its crowd. The twin posts its signals to the real HTTP ingest and reads
//! the engine's actions back from the real SSE stream, in accelerated wall
//! time, so everything a newcomer sees (rooms filling, policies firing,
//! signs changing, people rerouted) went through the service's own paths.

use anyhow::{Context, Result};
use baton_core::{Action, Output};
use baton_model::DecisionId;
use baton_sim::{Live, Twin, World};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Journal time runs this many times faster than the wall clock. At
    /// the default 20x a two-minute approval timeout is six seconds of
    /// yours: time to read a decision in the console and approve it.
    #[arg(long, default_value_t = 20.0)]
    pub speed: f64,
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Keep the journal here (default: a fresh temporary directory).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The twin's seed (its attendees, plans and randomness).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// One `data:` payload of the stream, as the twin needs it.
fn output_from_stream(json: &str) -> Option<(i64, Output)> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    match v.get("kind")?.as_str()? {
        "execute" => {
            let decision: DecisionId = v.get("decision")?.as_str()?.parse().ok()?;
            let at = v.get("at")?.as_i64()?;
            let actions: Vec<Action> = serde_json::from_value(v.get("actions")?.clone()).ok()?;
            Some((
                at,
                Output::Execute {
                    decision,
                    at,
                    actions,
                },
            ))
        }
        "task" => {
            let at = v.get("at")?.as_i64()?;
            Some((
                at,
                Output::Task {
                    task: v.get("task")?.as_str()?.to_string(),
                    staff: v.get("staff").and_then(|s| s.as_str()).map(str::to_string),
                    state: serde_json::from_value(v.get("state")?.clone()).ok()?,
                    at,
                    space: v
                        .get("space")
                        .and_then(|s| s.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    reason: String::new(),
                },
            ))
        }
        _ => None,
    }
}

/// Reads the SSE stream and forwards actions and task changes to the twin.
/// Reconnects with `Last-Event-ID` after a drop, as any client should.
async fn follow_stream(base: String, token: String, tx: mpsc::UnboundedSender<(i64, Output)>) {
    let client = reqwest::Client::new();
    let mut last_id: Option<String> = None;
    loop {
        let mut req = client
            .get(format!("{base}/v1/stream?topics=actions,tasks"))
            .bearer_auth(&token);
        if let Some(id) = &last_id {
            req = req.header("last-event-id", id);
        }
        let mut resp = match req.send().await {
            Ok(r) if r.status().is_success() => r,
            _ => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        // Bytes until a whole event has arrived: a character may be split
        // between two chunks.
        let mut buf: Vec<u8> = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.extend_from_slice(&chunk);
            while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = buf.drain(..end + 2).collect();
                let event = String::from_utf8_lossy(&raw);
                for line in event.lines() {
                    if let Some(id) = line.strip_prefix("id:") {
                        last_id = Some(id.trim().to_string());
                    } else if let Some(data) = line.strip_prefix("data:")
                        && let Some(o) = output_from_stream(data.trim())
                        && tx.send(o).is_err()
                    {
                        return;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn run(args: DemoArgs) -> Result<()> {
    let dir = crate::example_dir()?;
    let l = crate::load(&dir)?;
    // The twin borrows the world and its assumptions for the whole process.
    let world: &'static World = Box::leak(Box::new(World::new(&l.spec, 1)?));
    let twin: &'static Twin = Box::leak(Box::new(baton_sim::load_twin(&dir, world)?));
    let mut live = Live::new(world, twin, args.seed);
    let start = live.start();
    let data = match args.data {
        Some(d) => d,
        None => {
            let d = std::env::temp_dir().join(format!("baton-demo-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            d
        }
    };
    let speed = args.speed;
    let mut cfg = baton_server::Config::new(dir.clone(), data.clone());
    cfg.listen = args.listen;
    cfg.speed = speed;
    cfg.start_at = Some(start);
    let tokens = baton_server::auth::Tokens::open(&data)?;
    let admin = tokens.create(baton_server::auth::Role::Admin, "demo")?;
    let ingest = tokens.create(baton_server::auth::Role::Ingest, "demo-twin")?;
    let reader = tokens.create(baton_server::auth::Role::Viewer, "demo-twin-stream")?;
    drop(tokens);
    let offset = l.spec.event.utc_offset_s;
    crate::runtime()?.block_on(async move {
        let running = baton_server::start(cfg).await?;
        let base = format!("http://{}", running.addr);
        eprintln!(
            "baton demo: {} at {speed}x with {} simulated attendees, data in {}",
            l.spec.event.name,
            twin.attendees,
            data.display()
        );
        eprintln!("  console {base}/   (sign in with the admin token {admin})");
        eprintln!("  API     {base}/v1/spaces   (Authorization: Bearer {admin})");
        eprintln!("  stream  curl -N -H 'Authorization: Bearer {admin}' {base}/v1/stream");
        eprintln!("  try     curl -H 'Authorization: Bearer {admin}' {base}/v1/decisions");
        eprintln!("  public  {base}/v1/public/rooms   (no token: the room status attendees' apps read)");
        eprintln!("  Ctrl-C stops.");
        let (tx, mut rx) = mpsc::unbounded_channel();
        let stream = tokio::spawn(follow_stream(base.clone(), reader, tx));
        let clock = baton_server::clock::Clock::new(speed, Some(start));
        let client = reqwest::Client::new();
        let twin_task = tokio::spawn(async move {
            let mut last_report = 0i64;
            let mut posted = 0u64;
            let mut actions = 0u64;
            loop {
                let now = clock.now_ms();
                while let Ok((at, o)) = rx.try_recv() {
                    actions += 1;
                    live.apply(at.min(now), &o);
                }
                let signals = live.advance_to(now);
                for batch in signals.chunks(1000) {
                    let body: Vec<serde_json::Value> =
                        batch.iter().map(|s| s.to_cloudevent()).collect();
                    let r = client
                        .post(format!("{base}/v1/signals"))
                        .bearer_auth(&ingest)
                        .header("content-type", "application/cloudevents-batch+json")
                        .json(&body)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => posted += batch.len() as u64,
                        Ok(r) => eprintln!("demo twin: ingest answered {}", r.status()),
                        Err(e) => eprintln!("demo twin: {e}"),
                    }
                }
                if now - last_report >= 15 * 60_000 {
                    last_report = now;
                    let local = (now + i64::from(offset) * 1000).rem_euclid(86_400_000) / 60_000;
                    let (inside, over) = live.headcount();
                    eprintln!(
                        "  {:02}:{:02} local: the twin knows {inside} people inside ({over} in spaces over capacity, by its own truth; the board shows what the noisy sensors report, so it can read 104/100 where the twin counts 98); {posted} signals posted, {actions} actions and task changes received",
                        local / 60,
                        local % 60,
                    );
                }
                if live.finished() {
                    eprintln!("  the simulated day is over; the server keeps running");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let why = baton_server::stop_signal()
            .await
            .context("waiting for Ctrl-C or SIGTERM")?;
        eprintln!("baton demo: {why}: stopping");
        twin_task.abort();
        stream.abort();
        let _ = running.shutdown.send(());
        running.done.await.context("joining the server")??;
        eprintln!(
            "baton demo: stopped; the journal and tokens are in {} (baton serve --event {} --data {} carries on from them)",
            data.display(),
            dir.display(),
            data.display()
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_payloads_become_outputs() {
        let exec = r#"{"kind":"execute","decision":"12.0","at":5000,"actions":[{"index":0,"kind":"sign","resource":"sign:s1","params":{"content":"FULL"},"valid_until":9000,"suppressed":null}]}"#;
        let (at, o) = output_from_stream(exec).expect("execute parses");
        assert_eq!(at, 5000);
        match o {
            Output::Execute { actions, .. } => {
                assert_eq!(actions.len(), 1);
                assert_eq!(actions[0].resource, "sign:s1");
            }
            other => panic!("{other:?}"),
        }
        let task = r#"{"kind":"task","task":"t-1","staff":"st-a","state":"reassigned","at":7,"space":"hall-a","reason":""}"#;
        assert!(matches!(
            output_from_stream(task),
            Some((7, Output::Task { .. }))
        ));
        assert!(output_from_stream(r#"{"kind":"decision"}"#).is_none());
        assert!(output_from_stream("not json").is_none());
    }
}
