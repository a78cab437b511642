//! agora: chat channels, DMs (and soon forum, tickets and wiki) over one event log.
//!
//! Crate map (see ARCHITECTURE.md for the path of a message):
//! - `config`: one `Config` (defaults < TOML < env < flags).
//! - `app`: `App`, every shared service, passed explicitly.
//! - `gateway`: WebSocket upgrade, session loop, writer — the only code that sees frames.
//! - `ops`: one handler per op; return replies, never touch sockets.
//! - `streams`: stream kinds (one module each behind the `Kind` trait), state folded from events, the one visibility rule. No I/O.
//! - `sequencer`: the single writer — decide, assign seq, group commit, publish, ack.
//! - `recovery`: start-up — rebuild stream state from snapshots plus the log tail.
//! - `engine`: the `EventLog` and `StateStore` traits, `SegmentLog` (event log in segment files, state tables in sled, the default), `SledLog` (everything in sled) and `MemoryEngine` (tests) — the only code that knows files, sled and byte layouts.
//! - `registry`: in-memory state of every stream. `hub`: subscriptions and delivery (frames and sockets are `gateway`).
//! - `server`: the accept loop; `linger`: closing TCP without a reset; `tls`: optional TLS (rustls), reloadable.
//! - `headers`: security headers (CSP for the web app, nosniff everywhere).
//! - `attachments`: uploaded files, content-addressed under `<data>/attachments`, and their two HTTP routes.
//! - `presence`, `limits`, `login_backoff` (per-account back-off after failed logins), `auth`, `credentials` (open connections by token, for log out), `api` (HTTP), `metrics`, `demo`, `error`.
//! - `datadir`: one agora per data directory (a lock file).
//! - `moderation`: admins suspend, unsuspend and change the role of accounts, at once on every open connection.
//! - `failpoint`: named steps of a group commit where a test build (`--features failpoints`) can kill the process.
//! - `fuzz`: entry points for the fuzz targets and their corpus tests (docs/FUZZING.md).

pub mod api;
pub mod app;
pub mod attachments;
pub mod auth;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod datadir;
pub mod demo;
pub mod desk;
pub mod engine;
pub mod error;
pub mod failpoint;
pub mod forum_list;
/// Fuzz entry points (the `fuzz/` crate and `tests/fuzz_corpus.rs`); not used by the server.
#[doc(hidden)]
pub mod fuzz;
pub mod gateway;
pub mod headers;
pub mod hub;
pub mod ids;
pub mod limits;
pub mod linger;
pub mod login_backoff;
pub mod metrics;
pub mod moderation;
pub mod ops;
pub mod presence;
pub mod projections;
pub mod recovery;
pub mod registry;
pub mod sequencer;
pub mod server;
pub mod streams;
pub mod timers;
pub mod tls;
pub mod watched;
pub mod web;

use crate::app::App;
use crate::auth::Auth;
use crate::clock::Clock;
use crate::config::Config;
use crate::engine::{Engine, EngineError};
use crate::error::AppError;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::projections::Projections;
use crate::registry::Registry;
use crate::sequencer::Sequencer;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use tokio_util::sync::CancellationToken as Shutdown;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Another server holds the data directory.
    #[error(transparent)]
    DataDirLocked(#[from] datadir::LockError),
    #[error("opening storage at {path}: {source}")]
    Storage { path: String, source: EngineError },
    #[error("starting up: {0}")]
    Startup(#[from] AppError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Run a server on `listener` until `shutdown` is cancelled, then drain: for
/// `drain_grace_ms` keep serving with `/healthz` at 503 and new WebSockets
/// refused; then stop accepting, close every WebSocket with 1001, commit what is
/// queued, return.
pub async fn run(config: Config, listener: TcpListener, shutdown: CancellationToken) -> Result<(), ServerError> {
    run_with(config, listener, shutdown, CancellationToken::new()).await
}

/// [`run`], and `hurry` cut the drain grace short (a second SIGTERM or Ctrl-C).
pub async fn run_with(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
    hurry: CancellationToken,
) -> Result<(), ServerError> {
    run_controlled(config, listener, Control { shutdown, hurry, reload_tls: Default::default() }).await
}

/// What the binary's signal handlers (or a test) tell a running server.
#[derive(Clone, Default)]
pub struct Control {
    /// Start draining (the first SIGTERM or Ctrl-C).
    pub shutdown: CancellationToken,
    /// End the drain grace at once (a second signal).
    pub hurry: CancellationToken,
    /// Read the TLS certificate and key again (SIGHUP); see `tls::Tls::reload`.
    pub reload_tls: Arc<tokio::sync::Notify>,
}

/// [`run`] driven by a [`Control`].
pub async fn run_controlled(config: Config, listener: TcpListener, control: Control) -> Result<(), ServerError> {
    let Control { shutdown, hurry, reload_tls } = control;
    // Before anything opens a file in it: one agora per data directory. Held until we return.
    let _lock = datadir::lock(&config.data)?;
    // A bad certificate stops the start before anything else is opened.
    let tls = tls::Tls::from_config(config.tls_cert.as_deref(), config.tls_key.as_deref())?.map(Arc::new);
    let data = config.data.clone();
    let opts = config.limits.engine_options();
    let kind = config.engine;
    let log = tokio::task::spawn_blocking(move || engine::open(kind, &data, &opts))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|source| ServerError::Storage { path: config.data.display().to_string(), source })?;
    let log: Arc<dyn Engine> = Arc::from(log);
    tracing::info!(engine = ?kind, "storage open");
    let registry = Arc::new(Registry::default());
    {
        let (log, registry) = (log.clone(), registry.clone());
        tokio::task::spawn_blocking(move || recovery::recover(&*log, &registry))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|source| ServerError::Storage { path: config.data.display().to_string(), source })?;
    }
    let projections = Arc::new(Projections::default());
    for entry in registry.all() {
        projections.load(&entry.read());
    }
    {
        // The KPIs' per-event figures are read again from the log.
        let (log, registry, projections) = (log.clone(), registry.clone(), projections.clone());
        tokio::task::spawn_blocking(move || projections.activity.rebuild(&*log, &registry))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|source| ServerError::Storage { path: config.data.display().to_string(), source })?;
    }
    let clock = Arc::new(if config.test_clock { Clock::adjustable() } else { Clock::system() });
    if config.test_clock {
        clock.advance(config.test_clock_offset_ms);
    }
    let metrics = Arc::new(Metrics::new());
    let hub = Arc::new(Hub::new(metrics.clone()));
    let (sequencer, writer_thread) = Sequencer::start(
        log.clone(),
        registry.clone(),
        hub.clone(),
        metrics.clone(),
        config.limits.group_policy(),
        clock.clone(),
        projections.clone(),
    );
    let auth = Auth::load(&*log, &sequencer, config.token_ttl_secs).await?;
    auth.bootstrap_admin(&sequencer, config.admin_password.clone()).await?;
    let services = app::Services { auth, metrics, clock, projections };
    let app = Arc::new(App::new(config, log, registry, hub, sequencer, services, shutdown.clone()));
    app.attachments.prepare().map_err(|e| AppError::Internal(format!("preparing the attachments directory: {e}")))?;
    if app.config.demo {
        demo::seed(&app).await?;
    }

    let housekeeping = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        app.limits.housekeeping();
                        app.login_backoff.housekeeping();
                    }
                    _ = app.shutdown.cancelled() => break,
                }
            }
        })
    };

    let timer_task = tokio::spawn(timers::run(app.clone()));

    let router = api::router()
        .merge(attachments::http::router())
        // The web app's documents get the CSP and friends; nothing else does.
        .merge(headers::web_app(web::router()))
        .route("/ws", axum::routing::get(gateway::upgrade))
        .fallback(api::not_found)
        // After every route: it applies to the paths routed so far.
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(app.clone())
        .layer(headers::nosniff())
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let addr = listener.local_addr()?;
    let (http, ws) = if tls.is_some() { ("https", "wss") } else { ("http", "ws") };
    tracing::info!(
        %addr,
        web = %format!("{http}://{addr}/"),
        ws = %format!("{ws}://{addr}/ws"),
        "agora is serving: open the web app, or log in with POST /api/v1/auth/login and connect to /ws"
    );
    let reloader = tokio::spawn({
        let tls = tls.clone();
        async move {
            loop {
                reload_tls.notified().await;
                match &tls {
                    None => tracing::info!("reload asked, but no TLS certificate is configured"),
                    Some(tls) => match tls.reload() {
                        Ok(()) => tracing::info!("TLS certificate reloaded"),
                        Err(e) => {
                            tracing::error!(error = %e, "TLS reload failed; still serving the previous certificate")
                        }
                    },
                }
            }
        }
    });
    let sockets = server::SocketOptions::from_limits(&app.config.limits);
    // Draining: `shutdown` first (health 503, no new WebSockets), `closing` after the grace.
    let grace = Duration::from_millis(app.config.limits.drain_grace_ms);
    tokio::spawn({
        let (shutdown, closing) = (shutdown.clone(), app.closing.clone());
        async move {
            shutdown.cancelled().await;
            if !grace.is_zero() {
                tracing::info!(
                    grace_ms = grace.as_millis() as u64,
                    "draining: /healthz answers 503; sessions close after the grace period (signal again to close now)"
                );
                tokio::select! {
                    _ = tokio::time::sleep(grace) => {}
                    _ = hurry.cancelled() => tracing::info!("second signal: closing now"),
                }
            }
            closing.cancel();
        }
    });
    server::serve(listener, router, sockets, tls, app.closing.clone()).await;
    reloader.abort();

    tracing::info!("draining: closing WebSocket sessions");
    app.sessions.close();
    if tokio::time::timeout(Duration::from_secs(10), app.sessions.wait()).await.is_err() {
        tracing::warn!("some sessions did not finish within 10s");
    }
    housekeeping.abort();
    timer_task.abort();
    app.sequencer.stop().await;
    let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
    // Clean shutdown: checkpoint the index, so the next start reads only what follows.
    let log = app.log.clone();
    match tokio::task::spawn_blocking(move || log.checkpoint()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "writing the index checkpoint failed; the next start reads the whole log")
        }
        Err(e) => tracing::warn!(error = %e, "checkpoint task failed"),
    }
    tracing::info!("stopped");
    Ok(())
}
