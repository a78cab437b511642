//! The `agora` binary: command-line flags and env (clap), logging, signals.

use agora::config::{Config, Overrides};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "agora", version, about = "Real-time chat, forum, ticket desk and wiki over one event log")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the server.
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
    /// TOML config file (see README for the keys).
    #[arg(long, env = "AGORA_CONFIG")]
    config: Option<PathBuf>,
    /// Seed a demo community (idempotent).
    #[arg(long, env = "AGORA_DEMO")]
    demo: bool,
    /// Password for the first-run `admin` account (generated and logged if unset).
    #[arg(long, env = "AGORA_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Log format: human or json.
    #[arg(long, env = "AGORA_LOG_FORMAT")]
    log_format: Option<String>,
    /// Allowed browser origins, comma-separated (default: same origin only).
    #[arg(long, env = "AGORA_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Option<Vec<String>>,
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AGORA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn wait_for_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                let _ = ctrl_c.await;
                shutdown.cancel();
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("signal received: draining");
    shutdown.cancel();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Cli { cmd: Cmd::Serve(args) } = Cli::parse();
    let mut config = Config::load(args.config.as_deref())?;
    config.apply_overrides(Overrides {
        listen: args.listen,
        data: args.data,
        demo: args.demo,
        admin_password: args.admin_password,
        log_format: args.log_format,
        allowed_origins: args.allowed_origins,
    });
    init_logging(&config.log_format);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    agora::run(config, listener, shutdown).await?;
    Ok(())
}
