//! The Python bot SDK (clients/python) against a real server: pytest runs
//! clients/python/tests with `AGORA_URL` and `AGORA_ADMIN_TOKEN` set (connect,
//! post and receive, the mention decorator, resume after a forced disconnect
//! with no gap or duplicate, idempotent posts across a drop, rate-limit retry,
//! log out, unknown events and pushes kept).
//!
//! Needs `python3` with `pytest`, `websockets` and `msgpack`
//! (`pip install -e 'clients/python[test]'`; `.ci/run` does it).

mod common;
use common::*;
use std::process::Stdio;
use std::time::Duration;

#[tokio::test]
async fn the_python_sdk_passes_its_live_tests() {
    let srv = TestServer::start().await;
    let admin = srv.admin_token().await;
    let root = env!("CARGO_MANIFEST_DIR");
    let child = tokio::process::Command::new("python3")
        .args(["-m", "pytest", "clients/python/tests", "-q", "-p", "no:cacheprovider"])
        .current_dir(root)
        // The SDK from this tree, whether or not it is pip-installed.
        .env("PYTHONPATH", format!("{root}/clients/python/src"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("AGORA_URL", format!("http://{}", srv.addr))
        .env("AGORA_ADMIN_TOKEN", &admin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("running python3 (with pytest, websockets and msgpack: pip install -e 'clients/python[test]')");
    let out = tokio::time::timeout(Duration::from_secs(240), child.wait_with_output())
        .await
        .expect("the Python tests finished within 240 s")
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "Python SDK tests failed ({}); install the deps with `pip install -e 'clients/python[test]'`:\n{stdout}\n{stderr}",
        out.status
    );
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.contains(" passed") && !summary.contains("skipped"), "every test ran: {stdout}");
}
