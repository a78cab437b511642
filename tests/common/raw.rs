//! A raw WebSocket client over TCP: it writes frames byte by byte exactly as a
//! test asks (any opcode, RSV bits, masked or not, fragmented, broken), and
//! reads the server's frames as they arrive, so a test can assert the close code
//! the client actually receives and how the TCP connection ends.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CONTINUATION: u8 = 0x0;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// How long a test waits for the server's next frame.
const WAIT: Duration = Duration::from_secs(10);

/// One frame from the server.
#[derive(Debug, Clone)]
pub struct Frame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The status code of a close frame (1005 when it has none, as RFC 6455 §7.1.5 says).
    pub fn close_code(&self) -> u16 {
        match self.payload.as_slice() {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 1005,
        }
    }
}

/// How the server ended the connection, as the client saw it.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// A close frame with this code, then a clean end of stream (FIN).
    Closed(u16),
    /// A close frame, then the connection was reset.
    ClosedThenReset(u16),
    /// End of stream without a close frame.
    Eof,
    /// Reset without a close frame.
    Reset,
}

/// Encode one client frame. `rsv` is the three RSV bits (0..=7); `mask` false
/// sends it unmasked (a protocol violation from a client).
pub fn encode(fin: bool, rsv: u8, opcode: u8, payload: &[u8], mask: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push((u8::from(fin) << 7) | ((rsv & 7) << 4) | (opcode & 0xf));
    let m = if mask { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(m | n as u8),
        n if n <= 0xffff => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if mask {
        let key = [0x37u8, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// A close frame's payload: code then reason.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    p
}

pub struct RawWs {
    pub tcp: TcpStream,
    buf: Vec<u8>,
}

impl RawWs {
    /// Open a TCP connection and do the upgrade by hand, with a bearer token and
    /// any extra header lines (each ending in CRLF). Panics unless the answer is 101.
    pub async fn connect(addr: std::net::SocketAddr, token: &str, extra_headers: &str) -> RawWs {
        let (ws, head) = Self::handshake(addr, token, extra_headers).await;
        assert!(head.starts_with("HTTP/1.1 101"), "upgrade refused:\n{head}");
        ws
    }

    /// Like `connect`, but returns the response head whatever the status.
    pub async fn handshake(addr: std::net::SocketAddr, token: &str, extra_headers: &str) -> (RawWs, String) {
        let mut tcp = TcpStream::connect(addr).await.expect("tcp connect");
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let auth = if token.is_empty() { String::new() } else { format!("Authorization: Bearer {token}\r\n") };
        let req = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{auth}{extra_headers}\r\n"
        );
        tcp.write_all(req.as_bytes()).await.expect("send the upgrade request");
        let mut buf = Vec::new();
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 1024];
            let n = tokio::time::timeout(WAIT, tcp.read(&mut chunk)).await.expect("response head").expect("read");
            assert!(n > 0, "connection closed during the handshake");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        if head.starts_with("HTTP/1.1 101") {
            let accept = derive_accept_key(key.as_bytes());
            assert!(
                head.lines().any(|l| l.eq_ignore_ascii_case(&format!("sec-websocket-accept: {accept}"))),
                "a 101 without the right Sec-WebSocket-Accept:\n{head}"
            );
        }
        let rest = buf.split_off(end);
        (RawWs { tcp, buf: rest }, head)
    }

    /// A second handle on the same socket, e.g. to keep writing from another task
    /// while this one reads.
    pub fn second_handle(&self) -> TcpStream {
        let dup = socket2::SockRef::from(&self.tcp).try_clone().expect("dup the socket");
        let std: std::net::TcpStream = dup.into();
        std.set_nonblocking(true).expect("non-blocking");
        TcpStream::from_std(std).expect("register the socket")
    }

    /// Send bytes as they are (a frame from [`encode`], or several, or a part of one).
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).await.expect("send");
    }

    /// Send one frame, masked (as a client must).
    pub async fn send(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        self.send_bytes(&encode(fin, 0, opcode, payload, true)).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send(true, TEXT, text.as_bytes()).await;
    }

    /// Fill `self.buf` to at least `n` bytes. Err: "eof" or "reset" (or another I/O error).
    async fn fill(&mut self, n: usize) -> Result<(), String> {
        while self.buf.len() < n {
            let mut chunk = [0u8; 8192];
            let r =
                tokio::time::timeout(WAIT, self.tcp.read(&mut chunk)).await.expect("timed out waiting for the server");
            match r {
                Ok(0) => return Err("eof".into()),
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Err("reset".into()),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }

    /// The next frame from the server; Err("eof"), Err("reset"), ... when there is none.
    pub async fn read_frame(&mut self) -> Result<Frame, String> {
        self.fill(2).await?;
        let (b0, b1) = (self.buf[0], self.buf[1]);
        assert_eq!(b1 & 0x80, 0, "a server frame must not be masked");
        let (len, mut at) = match b1 & 0x7f {
            126 => {
                self.fill(4).await?;
                (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
            }
            127 => {
                self.fill(10).await?;
                (u64::from_be_bytes(self.buf[2..10].try_into().unwrap()) as usize, 10)
            }
            n => (n as usize, 2),
        };
        self.fill(at + len).await?;
        let payload = self.buf[at..at + len].to_vec();
        at += len;
        self.buf.drain(..at);
        Ok(Frame { fin: b0 & 0x80 != 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0xf, payload })
    }

    /// The next data frame's payload (skipping pings and pongs); Err on close or end.
    pub async fn read_data(&mut self) -> Result<Vec<u8>, String> {
        loop {
            let f = self.read_frame().await?;
            match f.opcode {
                TEXT | BINARY => return Ok(f.payload),
                PING | PONG => continue,
                CLOSE => return Err(format!("closed with {}", f.close_code())),
                other => panic!("unexpected opcode {other:#x} from the server"),
            }
        }
    }

    /// The next data frame as JSON.
    pub async fn read_json(&mut self) -> serde_json::Value {
        let bytes = self.read_data().await.expect("a data frame");
        serde_json::from_slice(&bytes).expect("JSON from the server")
    }

    /// Read (and drop) everything until the connection ends; say how it ended.
    pub async fn ending(&mut self) -> Ending {
        loop {
            match self.read_frame().await {
                Ok(f) if f.opcode == CLOSE => {
                    let code = f.close_code();
                    // After the close frame, the server must end the TCP connection.
                    return loop {
                        match self.read_frame().await {
                            Ok(_) => continue,
                            Err(e) if e == "eof" => break Ending::Closed(code),
                            Err(_) => break Ending::ClosedThenReset(code),
                        }
                    };
                }
                Ok(_) => continue,
                Err(e) if e == "eof" => return Ending::Eof,
                Err(_) => return Ending::Reset,
            }
        }
    }
}
