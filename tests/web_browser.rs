//! The web app in a real browser: clients/web/test/browser.mjs drives Debian's
//! Chromium with playwright-core against this server (two users chatting live,
//! a long channel opening at the first unread message, phone width, a restart
//! resumed with no gap or duplicate, the PWA shell offline, the admin screen, an
//! attachment shown to a member and not to an outsider).
//! This test starts the server (with the demo community) on 127.0.0.1, runs the
//! script under Node, and stops and restarts the server on the same address and data
//! directory when the script asks (a line `@@agora:stop` or `@@agora:start` on
//! its stdout, answered with `stopped` or `started` on its stdin).
//!
//! Needs Node ≥ 20.10, `/usr/bin/chromium` (or `AGORA_CHROMIUM`) and
//! `clients/node_modules` (`npm ci --prefix clients`); `.ci/run` installs them.
//! `AGORA_SCREENSHOTS=docs/screenshots` saves the screenshots shown in README.

mod common;
use agora::config::Config;
use common::*;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn tweak(c: &mut Config) {
    c.demo = true;
    // The script seeds a long channel quickly.
    c.limits.rate.post_per_sec = 10_000;
    c.limits.rate.post_burst = 10_000;
}

/// Start a server on `addr` (the address of the one just stopped) over `dir`.
async fn start_on(addr: std::net::SocketAddr, dir: tempfile::TempDir) -> TestServer {
    let mut config =
        Config { data: dir.path().to_path_buf(), admin_password: Some(ADMIN_PASSWORD.into()), ..Config::default() };
    config.limits.rate.login_per_ip_burst = 10_000;
    config.limits.rate.handshake_per_ip_burst = 10_000;
    tweak(&mut config);
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the same address again");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let handle = tokio::spawn(agora::run(config, listener, shutdown.clone()));
    let srv = TestServer { addr, shutdown, handle: Some(handle), dir, http: reqwest::Client::new() };
    srv.wait_healthy().await;
    srv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_works_in_a_real_browser() {
    let root = env!("CARGO_MANIFEST_DIR");
    let chromium = std::env::var("AGORA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: install it (`apt-get install -y chromium`; .ci/run does) or set AGORA_CHROMIUM"
    );
    assert!(
        Path::new(root).join("clients/node_modules/playwright-core").exists(),
        "clients/node_modules is missing: run `npm ci --prefix clients` (.ci/run does)"
    );
    let mut srv = Some(TestServer::start_with(tweak).await);
    let url = format!("http://{}", srv.as_ref().unwrap().addr);
    let script = format!("{root}/clients/web/test/browser.mjs");
    let shots = std::env::var("AGORA_SCREENSHOTS").map(|d| Path::new(root).join(d)).ok();
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg("--experimental-websocket")
        .arg(&script)
        .env("AGORA_URL", &url)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CHROMIUM", &chromium)
        .env("NODE_NO_WARNINGS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = &shots {
        cmd.env("SCREENSHOTS", dir);
    }
    let mut child = cmd.spawn().expect("running `node` (Node.js ≥ 20.10 must be on PATH for the browser tests)");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let stderr = child.stderr.take().unwrap();
    let err_task = tokio::spawn(async move {
        let mut buf = String::new();
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            buf.push_str(&l);
            buf.push('\n');
        }
        buf
    });
    let mut out = String::new();
    let mut stopped = None;
    let run = async {
        while let Some(line) = lines.next_line().await.expect("read the script's output") {
            match line.trim() {
                "@@agora:stop" => {
                    let old = srv.take().expect("a running server");
                    stopped = Some((old.addr, old.stop().await));
                    stdin.write_all(b"stopped\n").await.unwrap();
                    stdin.flush().await.unwrap();
                    continue;
                }
                "@@agora:start" => {
                    let (addr, dir) = stopped.take().expect("a stopped server");
                    srv = Some(start_on(addr, dir).await);
                    stdin.write_all(b"started\n").await.unwrap();
                    stdin.flush().await.unwrap();
                    continue;
                }
                _ => {}
            }
            println!("{line}");
            out.push_str(&line);
            out.push('\n');
        }
        child.wait().await.expect("wait for node")
    };
    let status =
        tokio::time::timeout(Duration::from_secs(240), run).await.expect("the browser tests finished within 240 s");
    let err = err_task.await.unwrap_or_default();
    assert!(status.success(), "browser tests failed ({status}):\n{out}\n{err}");
    assert!(out.contains("# fail 0"), "the script reported failures:\n{out}\n{err}");
}
