//! The accept loop: TCP → HTTP/1.1 (hyper) → the axum router, with a deadline
//! on reading the request head (`handshake_timeout_ms`), so a client that
//! opens a socket and trickles bytes cannot hold a connection forever.
//! `axum::serve` offers no such deadline, hence this file.
//!
//! Each accepted socket gets `SO_SNDBUF` (`socket_send_buffer_bytes`: what a
//! stalled reader can hold in the kernel) and is wrapped in a
//! [`LingeringStream`], so that however the connection ends, it ends with FIN,
//! not a reset that would destroy the last frames (`crate::linger`).
//!
//! With TLS (`tls`), the TLS handshake runs in the connection's own task and
//! must finish within `handshake_timeout_ms` too (the request head then has its
//! own deadline), so a slow or silent client holds neither the accept loop nor
//! a connection for long.
//!
//! Shutdown: stop accepting, then wait (bounded) for plain HTTP requests in
//! flight. Upgraded WebSockets leave hyper's hands at the upgrade and are
//! drained by `App::sessions` instead.

use crate::config::Limits;
use crate::linger::LingeringStream;
use crate::tls::Tls;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Service;

/// What the accept loop sets on every connection.
#[derive(Clone, Copy, Debug)]
pub struct SocketOptions {
    /// Deadline for the HTTP request head (`handshake_timeout_ms`).
    pub head_timeout: Duration,
    /// `SO_SNDBUF`; 0 leaves the kernel's default.
    pub send_buffer_bytes: usize,
    /// How long a closing connection drains the peer's input (`close_linger_ms`).
    pub linger: Duration,
}

impl SocketOptions {
    pub fn from_limits(l: &Limits) -> SocketOptions {
        SocketOptions {
            head_timeout: Duration::from_millis(l.handshake_timeout_ms),
            send_buffer_bytes: l.socket_send_buffer_bytes,
            linger: Duration::from_millis(l.close_linger_ms),
        }
    }
}

pub async fn serve(
    listener: TcpListener,
    router: Router,
    opts: SocketOptions,
    tls: Option<Arc<Tls>>,
    shutdown: CancellationToken,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(opts.head_timeout);
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Usually EMFILE: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed; backing off");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        if opts.send_buffer_bytes > 0 {
            if let Err(e) = socket2::SockRef::from(&stream).set_send_buffer_size(opts.send_buffer_bytes) {
                tracing::debug!(%peer, error = %e, "setting SO_SNDBUF failed");
            }
        }
        let stream = LingeringStream::new(stream, opts.linger);
        let router = router.clone();
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(req)
        });
        let (builder, watcher, tls) = (builder.clone(), graceful.watcher(), tls.clone());
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), svc).into_owned()).await
                }
                Some(tls) => {
                    let stream = match tokio::time::timeout(opts.head_timeout, tls.acceptor().accept(stream)).await {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
                    };
                    watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), svc).into_owned()).await
                }
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "http connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("some HTTP requests did not finish within 10s");
    }
}
