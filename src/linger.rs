//! Closing TCP without a reset (a "lingering close", as nginx and Apache do it).
//!
//! Closing a socket whose receive buffer still holds unread bytes makes the
//! kernel send RST instead of FIN, and a reset can destroy data the peer has
//! not read yet: the server's last reply, a 4002 or 1009 close frame. So every
//! accepted connection is wrapped in a [`LingeringStream`]; when it is dropped
//! (the HTTP connection ended, or the WebSocket session finished and wrote its
//! close frame), a background task shuts down the write side (FIN after what is
//! queued), reads and discards the peer's input until the peer closes or
//! `close_linger_ms` passes, and only then closes the socket.
//!
//! What does not live here: deciding to close and writing close frames
//! (`gateway`), the accept loop (`server`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// A `TcpStream` that lingers on drop (see the module doc).
pub struct LingeringStream {
    /// `None` only after `drop` took it.
    inner: Option<TcpStream>,
    linger: Duration,
}

impl LingeringStream {
    pub fn new(stream: TcpStream, linger: Duration) -> LingeringStream {
        LingeringStream { inner: Some(stream), linger }
    }

    fn io(&mut self) -> io::Result<&mut TcpStream> {
        self.inner.as_mut().ok_or_else(|| io::ErrorKind::NotConnected.into())
    }
}

impl AsyncRead for LingeringStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().io() {
            Ok(s) => Pin::new(s).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for LingeringStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut().io() {
            Ok(s) => Pin::new(s).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().io() {
            Ok(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().io() {
            Ok(s) => Pin::new(s).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().io() {
            Ok(s) => Pin::new(s).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl Drop for LingeringStream {
    fn drop(&mut self) {
        let Some(stream) = self.inner.take() else { return };
        if self.linger.is_zero() {
            return;
        }
        // Outside a runtime (the process is exiting) the socket just closes.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(linger(stream, self.linger));
        }
    }
}

/// FIN after what is already queued, then discard input until the peer closes
/// (or resets, or `deadline` passes), so the final close has nothing unread.
async fn linger(mut stream: TcpStream, deadline: Duration) {
    // Fails harmlessly when hyper already shut the write side down.
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(deadline, async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}
