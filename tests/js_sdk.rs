//! The JS SDK (clients/js, built to clients/js/dist/agora.js) under Node: its
//! unit tests (Node's test runner, clients/js/test/sdk.test.mjs, no server), and
//! its checks against a real server (clients/js/test/sdk_live.mjs: batching,
//! live events, reconnect + resume without gap or duplicate, idempotent posts);
//! for those this test starts the server, makes the users and the channel, and
//! runs the script.
//!
//! Needs Node ≥ 20.10 on PATH (`--experimental-websocket`; the CI image has Node 20).

mod common;
use common::*;
use std::process::Stdio;
use std::time::Duration;

#[tokio::test]
async fn the_js_sdk_resumes_without_gaps_or_duplicates() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "sdk", &mut [&mut bob]).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/js/test/sdk_live.mjs");
    let child = tokio::process::Command::new("node")
        .arg("--experimental-websocket")
        .arg(script)
        .env("AGORA_URL", format!("http://{}", srv.addr))
        .env("ANN_TOKEN", &ann_t)
        .env("BOB_TOKEN", &bob_t)
        .env("CHANNEL", &ch)
        .env("NODE_NO_WARNINGS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("running `node` (Node.js ≥ 20.10 must be on PATH for the SDK test)");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the SDK script finished within 60 s")
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "SDK checks failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

#[tokio::test]
async fn the_js_sdk_unit_tests_pass() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/js/test");
    let child = tokio::process::Command::new("node")
        .arg("--test")
        .arg(format!("{dir}/sdk.test.mjs"))
        .env("NODE_NO_WARNINGS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("running `node` (Node.js ≥ 20.10 must be on PATH for the SDK tests)");
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the SDK unit tests finished within 60 s")
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "SDK unit tests failed ({}):\n{stdout}\n{stderr}", out.status);
}
