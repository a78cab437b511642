//! What a newcomer meets on the README's tour, made plain: unknown paths and
//! methods answer the JSON error body, a second server on the same data
//! directory says another agora holds it, and logs piped to a file carry no
//! colour codes.

mod common;
use common::*;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn unknown_paths_and_methods_answer_the_json_error_body() {
    let srv = TestServer::start().await;
    for path in ["/nope", "/api/v1/nope", "/api/v2/users"] {
        let (status, body) = srv.http_json(srv.http.get(srv.url(path))).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "not_found", "{path}: {body}");
        assert!(body["message"].is_string(), "{body}");
    }
    let r = srv.http.delete(srv.url("/api/v1/auth/login")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let body: serde_json::Value = r.json().await.expect("a JSON body");
    assert_eq!(body["code"], "bad_request", "{body}");
    assert!(body["message"].as_str().unwrap().contains("method"), "{body}");
    let (status, body) = srv.http_json(srv.http.get(srv.url("/api/v1/auth/logout"))).await;
    assert_eq!((status, body["code"].as_str()), (405, Some("bad_request")), "{body}");
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused_plainly() {
    let srv = TestServer::start().await;
    let config = agora::config::Config { data: srv.dir.path().to_path_buf(), ..Default::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = agora::run(config, listener, Default::default()).await.expect_err("the directory is held");
    let msg = err.to_string();
    assert!(msg.contains("another agora") && msg.contains(&std::process::id().to_string()), "{msg}");
    srv.assert_usable_over_http().await;
}

/// The real binary with stdout and stderr piped: no ANSI escapes in its logs, and
/// a second binary on the same directory exits 1 with one plain line.
#[tokio::test]
async fn the_binary_logs_plain_text_when_piped_and_refuses_a_held_directory() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = |listen: &str| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_agora"))
            .args(["serve", "--listen", listen, "--data"])
            .arg(dir.path())
            .env("AGORA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("AGORA_LOG")
            .env_remove("NO_COLOR")
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start agora")
    };
    let mut first = spawn("127.0.0.1:0");
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(WAIT, lines.next_line()).await.expect("log lines").unwrap();
        let line = line.expect("the server logs until it serves");
        let serving = line.contains("agora is serving");
        seen.push(line);
        if serving {
            break;
        }
    }
    assert!(seen.iter().all(|l| !l.contains('\x1b')), "colour codes in piped logs: {seen:?}");
    assert!(seen.iter().any(|l| l.contains(" INFO ")), "{seen:?}");

    let second = spawn("127.0.0.1:0");
    let out = tokio::time::timeout(WAIT, second.wait_with_output()).await.expect("exits at once").unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line, no backtrace: {stderr}");
    assert!(stderr.contains("another agora") && stderr.contains("--data"), "{stderr}");
    assert!(!stderr.contains("sled"), "{stderr}");
    first.kill().await.unwrap();
}

impl TestServer {
    async fn assert_usable_over_http(&self) {
        let (status, _) = self.http_json(self.http.get(self.url("/healthz"))).await;
        assert_eq!(status, 200);
    }
}
