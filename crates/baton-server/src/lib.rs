//! `baton serve`: the live service around the deterministic core.
//!
//! One core thread owns the engine and the journal. HTTP handlers, the
//! MQTT/NATS ingest and the executor send it requests over a bounded channel; it
//! stamps, journals (one transaction per batch: group commit), applies, and
//! answers only once entries are durable. Reads are answered by the core
//! thread too, so every reply carries the journal position it reflects.
//!
//! **Architecture invariant:** only the core thread touches the engine and
//! the journal; everything else talks to it through [`core::Request`].

pub mod admit;
pub mod api;
pub mod auth;
pub mod clock;
pub mod console;
pub mod core;
pub mod exec;
pub mod history;
pub mod ingest;
pub mod listen;
pub mod openapi;
pub mod outbox;
pub mod problem;
pub mod settings;
pub mod sims;
pub mod situations;
mod snapshots;
pub mod topic;
pub mod view;

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// How to run a server.
#[derive(Debug, Clone)]
pub struct Config {
    pub event: PathBuf,
    pub data: PathBuf,
    pub listen: SocketAddr,
    /// Journal time runs this many times faster than the wall clock (the demo).
    pub speed: f64,
    /// Journal time at start, for an accelerated demo; `None` is the wall clock.
    pub start_at: Option<i64>,
    /// Requests the core queue holds before ingest answers 429.
    pub queue: usize,
    /// `connectors.yaml`; without it actions go to `DATA/actions.log` and alerts to the stream.
    pub connectors: Option<PathBuf>,
    /// Journal entries between snapshots: fewer means a shorter restart
    /// replay, more means less snapshot work beside the live core.
    pub snapshot_every: u64,
    /// Wall (possibly accelerated) or manual journal time.
    pub clock: clock::ClockMode,
    /// Connections, slow clients and request bytes in flight.
    pub limits: listen::Limits,
    /// Keep journal entries this long (ms of journal time) before pruning
    /// the exported ones; `None`: the event's days plus 30 days.
    pub retain: Option<i64>,
    /// Who may read the public room-status feed, and how often.
    pub public: api::PublicAccess,
    /// A second listener serving only the public feed, with its own
    /// connection cap (`public_connections`).
    pub public_listen: Option<SocketAddr>,
    pub public_connections: usize,
}

impl Config {
    pub fn new(event: PathBuf, data: PathBuf) -> Config {
        Config {
            event,
            data,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            speed: 1.0,
            start_at: None,
            queue: 4096,
            connectors: None,
            snapshot_every: core::SNAPSHOT_EVERY,
            clock: clock::ClockMode::Wall,
            limits: listen::Limits::default(),
            retain: None,
            public: api::PublicAccess::default(),
            public_listen: None,
            public_connections: 256,
        }
    }
}

/// A running server: its address and a way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    /// The public feed's own listener, when configured.
    pub public: Option<SocketAddr>,
    pub shutdown: tokio::sync::oneshot::Sender<()>,
    pub done: tokio::task::JoinHandle<Result<()>>,
}

/// Starts the core thread and the HTTP listener; returns once listening.
pub async fn start(cfg: Config) -> Result<Running> {
    let loaded = baton_spec::load(&cfg.event).map_err(|d| {
        anyhow::anyhow!(
            "{} does not pass `baton check`:\n{}",
            cfg.event.display(),
            baton_spec::lines(&d)
        )
    })?;
    std::fs::create_dir_all(&cfg.data)
        .with_context(|| format!("creating {}", cfg.data.display()))?;
    let auth = Arc::new(auth::Tokens::open(&cfg.data)?);
    let clock = match cfg.clock {
        clock::ClockMode::Wall => clock::Clock::new(cfg.speed, cfg.start_at),
        clock::ClockMode::Manual => clock::Clock::manual(cfg.start_at),
    };
    let exec = exec::Exec::new(&cfg.data, cfg.connectors.as_deref(), clock.clone()).await?;
    let core = core::Core::start(&cfg, loaded, clock, exec.routing.clone(), exec.wake.clone())?;
    let executor = tokio::spawn(exec.clone().run(core.clone()));
    ingest::start(&exec.ingest, core.clone(), exec.refusals.clone())?;
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let mut state = api::AppState::new(core, auth, exec, closing_rx.clone());
    state.event_dir = cfg.event.clone();
    state.sessions = Arc::new(auth::Sessions::open(&cfg.data)?);
    state.budget = Arc::new(admit::Budget::new(
        cfg.limits.inflight_bytes,
        cfg.limits.body_timeout,
    ));
    state.feed = Arc::new(api::public::Feed::new(cfg.public));
    let app = api::router(state.clone());
    let public = match cfg.public_listen {
        Some(at) => {
            let l = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("listening for the public feed on {at}"))?;
            let limits = listen::Limits {
                max_connections: cfg.public_connections,
                ..cfg.limits
            };
            let addr = l.local_addr()?;
            let app = api::public_router(state.clone());
            let stop = closing_rx.clone();
            tokio::spawn(listen::serve(
                l,
                app,
                limits,
                stop,
                std::time::Duration::from_secs(2),
            ));
            Some(addr)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let limits = cfg.limits;
    let done = tokio::spawn(async move {
        tokio::spawn(async move {
            let _ = rx.await;
            let _ = closing_tx.send(true);
        });
        listen::serve(
            listener,
            app,
            limits,
            closing_rx,
            std::time::Duration::from_secs(10),
        )
        .await;
        executor.abort();
        let core = state.core.clone();
        tokio::task::spawn_blocking(move || core.stop())
            .await
            .context("stopping the core thread")?;
        Ok(())
    });
    Ok(Running {
        addr,
        public,
        shutdown: tx,
        done,
    })
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM, which systemd and container
/// runtimes send to stop a service; says which came.
pub async fn stop_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map(|()| "interrupted"),
            _ = term.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map(|()| "interrupted")
    }
}
