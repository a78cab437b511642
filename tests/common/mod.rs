//! Test support: a real server on a loopback port (in-process, or as a child
//! process for crash tests), HTTP helpers, and JSON / MessagePack WebSocket clients.
#![allow(dead_code)]

pub mod raw;

use agora::config::Config;
use agora_protocol::codec::{decode_server_frame, Encoding};
use agora_protocol::{ErrorBody, Push, ServerFrame, SUBPROTOCOL_MSGPACK};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const PASSWORD: &str = "password-for-tests";
/// How long a test waits for something that should happen promptly.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub shutdown: CancellationToken,
    pub handle: Option<tokio::task::JoinHandle<Result<(), agora::ServerError>>>,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, tweak).await
    }

    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut config =
            Config { data: dir.path().to_path_buf(), admin_password: Some(ADMIN_PASSWORD.into()), ..Config::default() };
        // Tests create many users from one IP quickly.
        config.limits.rate.login_per_ip_burst = 10_000;
        config.limits.rate.handshake_per_ip_burst = 10_000;
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(agora::run(config, listener, shutdown.clone()));
        let http = reqwest::Client::new();
        let server = TestServer { addr, shutdown, handle: Some(handle), dir, http };
        server.wait_healthy().await;
        server
    }

    pub async fn wait_healthy(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("server did not become healthy");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Stop and wait; returns the data dir for a restart.
    pub async fn stop(mut self) -> tempfile::TempDir {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server result");
        }
        self.dir
    }

    pub async fn login(&self, user: &str, password: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {user}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Create a user (role member unless given) and return a session token.
    pub async fn user(&self, name: &str) -> String {
        self.user_with_role(name, "member").await
    }

    /// Create a bot account (no password) and return a long-lived API token for it.
    pub async fn bot_token(&self, name: &str) -> String {
        let admin = self.admin_token().await;
        let (status, body) = self
            .http_json(
                self.http
                    .post(self.url("/api/v1/users"))
                    .bearer_auth(&admin)
                    .json(&json!({"username": name, "role": "bot"})),
            )
            .await;
        assert_eq!(status, 201, "create bot {name}: {body}");
        let (status, body) =
            self.http_json(self.http.post(self.url(&format!("/api/v1/users/{name}/tokens"))).bearer_auth(&admin)).await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().expect("a token").to_owned()
    }

    pub async fn user_with_role(&self, name: &str, role: &str) -> String {
        let admin = self.admin_token().await;
        let r = self
            .http
            .post(self.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"username": name, "password": PASSWORD, "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "create user {name}: {}", r.text().await.unwrap_or_default());
        self.login(name, PASSWORD).await
    }

    pub async fn connect(&self, token: &str) -> Client {
        Client::connect(&self.ws_url(), Some(token), Encoding::Json).await
    }

    pub async fn connect_msgpack(&self, token: &str) -> Client {
        Client::connect(&self.ws_url(), Some(token), Encoding::MsgPack).await
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A protocol client: requests by id, pushes buffered in arrival order.
pub struct Client {
    pub ws: Ws,
    pub enc: Encoding,
    next_id: u64,
    pub pushes: VecDeque<Push>,
    /// Replies that arrived while waiting for another.
    replies: Vec<(u64, Result<Value, ErrorBody>)>,
}

impl Client {
    pub async fn connect(url: &str, token: Option<&str>, enc: Encoding) -> Client {
        let mut req = url.into_client_request().unwrap();
        if let Some(t) = token {
            req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {t}")).unwrap());
        }
        if enc == Encoding::MsgPack {
            req.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(SUBPROTOCOL_MSGPACK));
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await.expect("ws connect");
        Client { ws, enc, next_id: 1, pushes: VecDeque::new(), replies: Vec::new() }
    }

    /// Like `connect` (JSON), but `None` if the server is gone (crash tests).
    pub async fn try_connect(url: &str, token: &str) -> Option<Client> {
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await.ok()?;
        Some(Client { ws, enc: Encoding::Json, next_id: 1, pushes: VecDeque::new(), replies: Vec::new() })
    }

    /// Like `send`, but `None` if the connection is gone (crash tests).
    pub async fn try_send(&mut self, mut op: Value) -> Option<u64> {
        let id = self.next_id;
        self.next_id += 1;
        op["id"] = json!(id);
        let m = self.encode(&op);
        self.ws.send(m).await.ok()?;
        Some(id)
    }

    pub fn encode(&self, v: &Value) -> Message {
        match self.enc {
            Encoding::Json => Message::Text(v.to_string().into()),
            Encoding::MsgPack => Message::Binary(rmp_serde::to_vec_named(v).unwrap().into()),
        }
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.expect("send");
    }

    /// Read one frame: Ok(frame) or Err(close frame code) when closed.
    pub async fn read_frame(&mut self) -> Result<ServerFrame, Option<u16>> {
        loop {
            let m = match tokio::time::timeout(WAIT, self.ws.next()).await {
                Err(_) => panic!("timed out waiting for a frame"),
                Ok(None) => return Err(None),
                Ok(Some(Err(_))) => return Err(None),
                Ok(Some(Ok(m))) => m,
            };
            let bytes: Vec<u8> = match m {
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Binary(b) => b.to_vec(),
                Message::Close(f) => return Err(f.map(|f| u16::from(f.code))),
                _ => continue,
            };
            return Ok(decode_server_frame(&bytes, self.enc).expect("decodable server frame"));
        }
    }

    /// Send `op` (a JSON object without id) and wait for its reply.
    pub async fn request(&mut self, mut op: Value) -> Result<Value, ErrorBody> {
        let id = self.next_id;
        self.next_id += 1;
        op["id"] = json!(id);
        let m = self.encode(&op);
        self.send_raw(m).await;
        self.wait_reply(id).await
    }

    /// Send without waiting; returns the id.
    pub async fn send(&mut self, mut op: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        op["id"] = json!(id);
        let m = self.encode(&op);
        self.send_raw(m).await;
        id
    }

    pub async fn wait_reply(&mut self, id: u64) -> Result<Value, ErrorBody> {
        if let Some(i) = self.replies.iter().position(|(r, _)| *r == id) {
            return self.replies.remove(i).1;
        }
        loop {
            match self.read_frame().await {
                Ok(ServerFrame::Push(p)) => self.pushes.push_back(p),
                Ok(ServerFrame::Reply { re: Some(re), result }) if re == id => return result,
                Ok(ServerFrame::Reply { re: Some(re), result }) => self.replies.push((re, result)),
                Ok(ServerFrame::Reply { re: None, result }) => {
                    panic!("id-less reply while waiting for {id}: {result:?}")
                }
                Err(code) => panic!("connection closed ({code:?}) while waiting for reply {id}"),
            }
        }
    }

    /// Like `wait_reply`, but `None` if the connection closes first.
    pub async fn wait_reply_or_closed(&mut self, id: u64) -> Option<Result<Value, ErrorBody>> {
        loop {
            let m = match self.ws.next().await {
                None | Some(Err(_)) => return None,
                Some(Ok(m)) => m,
            };
            let bytes: Vec<u8> = match m {
                Message::Text(t) => t.as_bytes().to_vec(),
                Message::Binary(b) => b.to_vec(),
                Message::Close(_) => return None,
                _ => continue,
            };
            match decode_server_frame(&bytes, self.enc).ok()? {
                ServerFrame::Reply { re: Some(re), result } if re == id => return Some(result),
                ServerFrame::Reply { re: Some(re), result } => self.replies.push((re, result)),
                ServerFrame::Push(p) => self.pushes.push_back(p),
                ServerFrame::Reply { re: None, .. } => {}
            }
        }
    }

    /// The next id-less error reply (for frames whose id cannot be read).
    pub async fn next_idless_error(&mut self) -> ErrorBody {
        loop {
            match self.read_frame().await {
                Ok(ServerFrame::Push(p)) => self.pushes.push_back(p),
                Ok(ServerFrame::Reply { re: None, result: Err(e) }) => return e,
                Ok(other) => panic!("expected an id-less error, got {other:?}"),
                Err(code) => panic!("closed ({code:?})"),
            }
        }
    }

    pub async fn ok(&mut self, op: Value) -> Value {
        let name = op["op"].clone();
        self.request(op).await.unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
    }

    pub async fn next_push(&mut self) -> Push {
        if let Some(p) = self.pushes.pop_front() {
            return p;
        }
        loop {
            match self.read_frame().await {
                Ok(ServerFrame::Push(p)) => return p,
                Ok(ServerFrame::Reply { re: Some(re), result }) => self.replies.push((re, result)),
                Ok(other) => panic!("unexpected frame {other:?}"),
                Err(code) => panic!("connection closed ({code:?}) while waiting for a push"),
            }
        }
    }

    /// The next push matching `f`, skipping (and dropping) others.
    pub async fn push_where(&mut self, f: impl Fn(&Push) -> bool) -> Push {
        loop {
            let p = self.next_push().await;
            if f(&p) {
                return p;
            }
        }
    }

    /// The next event push (skipping presence, typing, ...).
    pub async fn next_event(&mut self) -> agora_protocol::Event {
        match self.push_where(|p| matches!(p, Push::Event(_))).await {
            Push::Event(e) => e,
            _ => unreachable!(),
        }
    }

    /// Wait for the server to close the connection; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match self.read_frame().await {
                Err(code) => return code,
                Ok(ServerFrame::Push(p)) => self.pushes.push_back(p),
                Ok(_) => {}
            }
        }
    }

    pub async fn create_channel(&mut self, name: &str) -> String {
        self.ok(json!({"op": "create_channel", "name": name})).await["id"].as_str().unwrap().to_owned()
    }

    pub async fn post(&mut self, stream: &str, text: &str) -> u64 {
        self.ok(json!({"op": "post", "stream": stream, "text": text})).await["seq"].as_u64().unwrap()
    }
}

pub fn text_of(ev: &agora_protocol::Event) -> &str {
    match &ev.body {
        agora_protocol::EventBody::MessagePosted { text, .. } => text,
        other => panic!("not a message: {other:?}"),
    }
}

impl TestServer {
    /// A public channel created by `owner`, joined by every client in `members`.
    pub async fn channel(&self, owner: &mut Client, name: &str, members: &mut [&mut Client]) -> String {
        let ch = owner.create_channel(name).await;
        for m in members.iter_mut() {
            m.ok(json!({"op": "join", "stream": ch})).await;
        }
        ch
    }

    /// The JSON body and status of an HTTP request.
    pub async fn http_json(&self, r: reqwest::RequestBuilder) -> (u16, Value) {
        let r = r.send().await.expect("http request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

impl Client {
    /// The connection still answers: a `ping` op gets its reply.
    pub async fn assert_usable(&mut self) {
        let ok = self.request(json!({"op": "ping"})).await.expect("ping after the error");
        assert!(ok["time"].as_u64().unwrap_or(0) > 0, "{ok}");
    }

    pub async fn epoch(&mut self) -> String {
        self.ok(json!({"op": "whoami"})).await["epoch"].as_str().unwrap().to_owned()
    }

    /// `subscribe` with optional `since` and `epoch`.
    pub async fn subscribe(
        &mut self,
        stream: &str,
        since: Option<u64>,
        epoch: Option<&str>,
    ) -> Result<Value, ErrorBody> {
        let mut op = json!({"op": "subscribe", "stream": stream});
        if let Some(s) = since {
            op["since"] = json!(s);
        }
        if let Some(e) = epoch {
            op["epoch"] = json!(e);
        }
        self.request(op).await
    }

    /// Remove and return every push buffered so far.
    pub fn take_pushes(&mut self) -> Vec<Push> {
        self.pushes.drain(..).collect()
    }

    /// Event pushes of `stream` buffered so far (other pushes are dropped).
    pub fn take_events(&mut self, stream: &str) -> Vec<agora_protocol::Event> {
        self.take_pushes()
            .into_iter()
            .filter_map(|p| match p {
                Push::Event(e) if e.stream.0 == stream => Some(e),
                _ => None,
            })
            .collect()
    }

    /// Read event pushes of `stream` until one with seq `last` arrives; returns them all.
    pub async fn events_until(&mut self, stream: &str, last: u64) -> Vec<agora_protocol::Event> {
        let mut out = Vec::new();
        loop {
            let e = self.next_event().await;
            if e.stream.0 != stream {
                continue;
            }
            let seq = e.seq.0;
            out.push(e);
            if seq >= last {
                return out;
            }
        }
    }

    /// Send many posts without waiting, then wait for every ack; returns the seqs in send order.
    pub async fn post_many(&mut self, stream: &str, texts: &[String]) -> Vec<u64> {
        let mut ids = Vec::new();
        for t in texts {
            ids.push(self.send(json!({"op": "post", "stream": stream, "text": t})).await);
        }
        let mut seqs = Vec::new();
        for id in ids {
            let ok = self.wait_reply(id).await.unwrap_or_else(|e| panic!("post failed: {e:?}"));
            seqs.push(ok["seq"].as_u64().unwrap());
        }
        seqs
    }
}

pub fn seqs(events: &[agora_protocol::Event]) -> Vec<u64> {
    events.iter().map(|e| e.seq.0).collect()
}
