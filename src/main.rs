//! The `agora` binary: command-line flags and env (clap), logging, signals.

use agora::config::{Config, Overrides};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "agora",
    version,
    about = "Real-time chat server: channels, private channels and direct messages over WebSockets, on one event log",
    after_help = "Start with `agora serve --demo`, then open http://127.0.0.1:8080/ (web app), or log in with \
                  POST /api/v1/auth/login and connect to ws://127.0.0.1:8080/ws (protocol/PROTOCOL.md).\n\
                  Forum threads, tickets and a wiki are planned, not there yet."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server: HTTP API, WebSockets at /ws and the web app at /, data under --data.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "AGORA_LISTEN")]
    listen: Option<SocketAddr>,
    /// Data directory [default: ./data].
    #[arg(long, env = "AGORA_DATA")]
    data: Option<PathBuf>,
    /// Storage engine: segment or sled [default: segment].
    #[arg(long, env = "AGORA_ENGINE")]
    engine: Option<agora::engine::EngineKind>,
    /// TOML config file (see README for the keys).
    #[arg(long, env = "AGORA_CONFIG")]
    config: Option<PathBuf>,
    /// Seed a demo community (idempotent).
    #[arg(long, env = "AGORA_DEMO")]
    demo: bool,
    /// Password for the first-run `admin` account (generated and logged if unset).
    #[arg(long, env = "AGORA_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Log format: human or json (colours only when stdout is a terminal; filter with AGORA_LOG).
    #[arg(long, env = "AGORA_LOG_FORMAT")]
    log_format: Option<String>,
    /// Allowed browser origins, comma-separated (default: same origin only).
    #[arg(long, env = "AGORA_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Option<Vec<String>>,
    /// PEM certificate chain: serve HTTPS and wss:// (with --tls-key). Reloaded on SIGHUP.
    #[arg(long, env = "AGORA_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "AGORA_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AGORA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    // Colour codes only on a terminal: piped or redirected logs stay plain text.
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The first SIGTERM or Ctrl-C starts the drain (`shutdown`); a second one cuts
/// its grace period short (`hurry`).
async fn wait_for_signal(shutdown: CancellationToken, hurry: CancellationToken) {
    #[cfg(unix)]
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM");
            None
        }
    };
    for (n, token) in [(1, shutdown), (2, hurry)] {
        #[cfg(unix)]
        match term.as_mut() {
            Some(term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        if n == 1 {
            tracing::info!("signal received: draining");
        }
        token.cancel();
    }
}

/// Every SIGHUP asks the server to reload its TLS certificate and key.
#[cfg(unix)]
async fn reload_on_sighup(reload: std::sync::Arc<tokio::sync::Notify>) {
    let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => return tracing::error!(error = %e, "cannot listen for SIGHUP"),
    };
    while hup.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading the TLS certificate");
        reload.notify_one();
    }
}

/// glibc: serve every allocation of 4 MiB or more with its own `mmap`, so it goes
/// back to the system when freed. Left alone, glibc raises this threshold after the
/// first large free (up to 32 MiB); from then on argon2's 19 MiB working memory came
/// from per-thread arenas and stayed resident after each login: 230 MB of RSS after
/// the 16 logins of a load test, 30 MB with this (docs/BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_allocations_to_the_system() {
    // SAFETY: mallopt only sets a malloc parameter; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    return_large_allocations_to_the_system();
    // Test builds only (`--features failpoints`): the failpoints `FAILPOINTS` names.
    let _failpoints = agora::failpoint::setup();
    let run = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime");
    match run.and_then(|rt| rt.block_on(serve())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One plain line (with its causes), never a backtrace: this is what a newcomer reads.
            eprintln!("agora: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let Cli { cmd: Cmd::Serve(args) } = Cli::parse();
    let mut config = Config::load(args.config.as_deref())?;
    config.apply_overrides(Overrides {
        listen: args.listen,
        data: args.data,
        engine: args.engine,
        demo: args.demo,
        admin_password: args.admin_password,
        log_format: args.log_format,
        allowed_origins: args.allowed_origins,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
    });
    init_logging(&config.log_format);
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let control = agora::Control::default();
    tokio::spawn(wait_for_signal(control.shutdown.clone(), control.hurry.clone()));
    #[cfg(unix)]
    tokio::spawn(reload_on_sighup(control.reload_tls.clone()));
    agora::run_controlled(config, listener, control).await?;
    Ok(())
}
