//! The wiki's costs on a large page (docs/BENCHMARKS.md, "Wiki"): a 100 KB
//! page taken to 1,000 revisions, one changed paragraph per revision.
//!
//! `cargo run --release --example wiki_bench [-- REVISIONS]`
//!
//! In process, no sockets: render (pulldown-cmark + ammonia), the link scan
//! each revision's fold does, the diff of adjacent and of distant revisions,
//! the three-way merge of a stale save, and the folded state's size.
//! Over a real server on 127.0.0.1 (durable, a temporary data directory):
//! `wiki_save` round trips while the page grows to REVISIONS revisions, a save
//! on a stale base (merged on the writer thread), `wiki_diff` and
//! `wiki_get` with rendering. Bounded by REVISIONS (default 1,000; ~100 MB of log).

use agora::config::Config;
use agora::streams::kinds::wiki::{diff, merge, render};
use agora::streams::StreamState;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Paragraphs in the page (~100 KB).
const PARAS: usize = 480;

/// The page at revision `r`: revision `r` rewrote paragraph `r % PARAS`, so
/// each paragraph carries the last revision that touched it.
fn page(r: usize) -> String {
    let mut s = String::with_capacity(110 * 1024);
    for i in 0..PARAS {
        if i % 20 == 0 {
            s.push_str(&format!("## Section {i}\n\n"));
        }
        let v = if r >= i { r - (r - i) % PARAS } else { 0 };
        s.push_str(&format!(
            "Paragraph {i} (v{v}) explains a step with **bold** and _emphasis_, see [[Page {}]] and [docs](https://example.org/{i}); \
             the rest is filler text that makes the paragraph about two hundred and fifty bytes long.\n\n",
            i % 50
        ));
    }
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

fn time<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn in_process(revisions: usize) -> anyhow::Result<()> {
    let base = page(0);
    let next = page(1);
    let far = page(revisions - 1);
    println!("page: {} bytes, {} lines", base.len(), base.lines().count());
    println!("render (pulldown-cmark + ammonia): {}", ms(time(30, || render::render(&base, &|_| true))));
    println!("link scan per revision (fold): {}", ms(time(30, || render::links(&base))));
    println!("diff, adjacent revisions: {}", ms(time(30, || diff::diff(&base, &next))));
    println!("diff, revision 1 vs {revisions}: {}", ms(time(10, || diff::diff(&base, &far))));
    let theirs = base.replacen("Paragraph 300 ", "Paragraph 300 [edited] ", 1);
    println!("three-way merge, different paragraphs: {}", ms(time(30, || merge::merge(&base, &next, &theirs))));
    println!(
        "diff lines between revision 1 and {revisions}: {}",
        diff::diff(&base, &far).iter().map(|h| h.lines.len()).sum::<usize>()
    );
    // The folded state of a page with `revisions` revisions (metadata only).
    let mut st = StreamState::from_created(&agora_protocol::Event {
        stream: "wk_bench".into(),
        seq: agora_protocol::Seq(1),
        at: 0,
        author: "admin".into(),
        idem: None,
        body: agora_protocol::EventBody::StreamCreated {
            kind: agora_protocol::StreamKind::WikiPage,
            name: "Bench".into(),
            topic: String::new(),
            members: vec![],
        },
    })
    .ok_or_else(|| anyhow::anyhow!("no state"))?;
    for r in 0..revisions {
        st.apply(&agora_protocol::Event {
            stream: "wk_bench".into(),
            seq: agora_protocol::Seq(r as u64 + 2),
            at: 0,
            author: "admin".into(),
            idem: None,
            body: agora_protocol::EventBody::WikiRevised {
                text: if r + 1 == revisions { far.clone() } else { String::new() },
                summary: format!("edit {r}"),
                minor: false,
                base: agora_protocol::Seq(r as u64 + 1),
                restores: None,
                rollback: false,
                merged: false,
            },
        });
    }
    println!("folded state, {revisions} revisions: {} bytes as a snapshot", rmp_serde::to_vec_named(&st)?.len());
    Ok(())
}

struct Ws {
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    id: u64,
}

impl Ws {
    async fn request(&mut self, mut op: Value) -> anyhow::Result<Value> {
        self.id += 1;
        op["id"] = json!(self.id);
        self.ws.send(Message::Text(op.to_string().into())).await?;
        loop {
            let Some(m) = self.ws.next().await else { anyhow::bail!("closed") };
            let Message::Text(t) = m? else { continue };
            let v: Value = serde_json::from_str(&t)?;
            if v["re"] == json!(self.id) {
                anyhow::ensure!(v.get("error").is_none(), "{}", v["error"]);
                return Ok(v["ok"].clone());
            }
        }
    }
}

async fn over_sockets(revisions: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config =
        Config { data: dir.path().to_path_buf(), admin_password: Some("bench-password".into()), ..Config::default() };
    config.limits.rate.post_per_sec = 1_000_000;
    config.limits.rate.post_burst = 1_000_000;
    config.limits.rate.read_per_sec = 1_000_000;
    config.limits.rate.read_burst = 1_000_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(agora::run(config, listener, shutdown.clone()));
    let http = reqwest::Client::new();
    let mut token = None;
    for _ in 0..100 {
        let r = http
            .post(format!("http://{addr}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "bench-password"}))
            .send()
            .await;
        if let Ok(r) = r {
            if r.status() == 200 {
                token = r.json::<Value>().await?["token"].as_str().map(str::to_owned);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = token.ok_or_else(|| anyhow::anyhow!("no login"))?;
    let mut req = format!("ws://{addr}/ws").into_client_request()?;
    req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Bearer {token}"))?);
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    let mut c = Ws { ws, id: 0 };

    let first = c.request(json!({"op": "wiki_save", "page": "Bench", "text": page(0)})).await?;
    let mut rev = first["rev"].as_u64().unwrap_or(0);
    let first_rev = rev;
    let mut saves = Vec::with_capacity(revisions);
    for r in 1..revisions {
        let t = Instant::now();
        let ok = c.request(json!({"op": "wiki_save", "page": "Bench", "base": rev, "text": page(r)})).await?;
        saves.push(t.elapsed());
        rev = ok["rev"].as_u64().unwrap_or(rev);
    }
    let last: Vec<Duration> = saves[saves.len().saturating_sub(100)..].to_vec();
    println!(
        "wiki_save round trip (durable), revisions 2..{revisions}: p50 {} p99 {}; the last 100: p50 {} p99 {}",
        ms(pct(saves.clone(), 0.5)),
        ms(pct(saves, 0.99)),
        ms(pct(last.clone(), 0.5)),
        ms(pct(last, 0.99))
    );
    let mut stale = Vec::new();
    for i in 0..20 {
        // Someone else saves paragraph 300 + i; this save, on the revision before
        // theirs, changes paragraph 100 + i: merged three-way on the writer thread
        // (both texts read from the log).
        let base = rev;
        let prev = c.request(json!({"op": "wiki_get", "page": "Bench", "rev": base})).await?;
        let prev = prev["text"].as_str().unwrap_or("").to_owned();
        let p = 300 + i;
        let theirs = prev.replacen(&format!("Paragraph {p} "), &format!("Paragraph {p} [theirs] "), 1);
        c.request(json!({"op": "wiki_save", "page": "Bench", "base": base, "text": theirs})).await?;
        let p = 100 + i;
        let text = prev.replacen(&format!("Paragraph {p} "), &format!("Paragraph {p} [mine] "), 1);
        let t = Instant::now();
        let ok = c.request(json!({"op": "wiki_save", "page": "Bench", "base": base, "text": text})).await?;
        stale.push(t.elapsed());
        anyhow::ensure!(ok["merged"] == true, "not merged: {ok}");
        rev = ok["rev"].as_u64().unwrap_or(rev);
    }
    println!("wiki_save on a stale base (three-way merge): p50 {}", ms(median(stale)));
    let mut adjacent = Vec::new();
    let mut distant = Vec::new();
    let mut get = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        c.request(json!({"op": "wiki_diff", "page": "Bench", "from": rev - 1, "to": rev})).await?;
        adjacent.push(t.elapsed());
        let t = Instant::now();
        c.request(json!({"op": "wiki_diff", "page": "Bench", "from": first_rev, "to": rev})).await?;
        distant.push(t.elapsed());
        let t = Instant::now();
        c.request(json!({"op": "wiki_get", "page": "Bench", "render": true})).await?;
        get.push(t.elapsed());
    }
    println!(
        "wiki_diff round trip: adjacent p50 {}, first vs latest p50 {}",
        ms(median(adjacent)),
        ms(median(distant))
    );
    println!("wiki_get with rendering: p50 {}", ms(median(get)));
    shutdown.cancel();
    let _ = server.await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let revisions: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(1000);
    anyhow::ensure!((2..=5000).contains(&revisions), "REVISIONS between 2 and 5000");
    in_process(revisions)?;
    over_sockets(revisions).await
}
