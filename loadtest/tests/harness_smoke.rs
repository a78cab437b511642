//! The harness against a real agora server: `fanout` and `resume` for about three
//! seconds each on 127.0.0.1, with a temporary data directory, must report zero
//! lost, duplicated or reordered events and no client error.
//!
//! The server binary is `$AGORA_BIN`, else `target/debug/agora` of this workspace
//! (build it first: `cargo build -p agora`). A test may not build another package,
//! so a missing binary fails the test with that instruction. No timing is asserted.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "smoke-admin-password";

fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("AGORA_BIN") {
        return PathBuf::from(p);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| manifest.join("..").join("target"));
    target.join("debug").join("agora")
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let bin = server_binary();
    assert!(
        bin.exists(),
        "agora server binary not found at {}: run `cargo build -p agora` first, or set AGORA_BIN",
        bin.display()
    );
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let data = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench").join("agora-bench.toml");
    let child = Command::new(&bin)
        .args(["serve", "--listen", &addr.to_string()])
        .arg("--data")
        .arg(data.path())
        .arg("--config")
        .arg(&config)
        .env("AGORA_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("AGORA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let server = Server { child, addr, _data: data };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "server did not listen on {addr} within 30s");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// Run the harness; return its `--json` document.
fn harness(server: &Server, args: &[&str]) -> serde_json::Value {
    let out = tempfile::NamedTempFile::new().unwrap();
    let url = format!("ws://{}/ws", server.addr);
    let status = Command::new(env!("CARGO_BIN_EXE_agora-loadtest"))
        .args(args)
        .args(["--url", &url, "--admin-password", ADMIN_PASSWORD, "--quiet", "--drain-timeout", "20s"])
        .arg("--json")
        .arg(out.path())
        .status()
        .expect("running agora-loadtest");
    let text = std::fs::read_to_string(out.path()).unwrap_or_default();
    let doc: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("harness {args:?} exited {status} with no JSON: {e}"));
    doc
}

fn assert_clean(doc: &serde_json::Value, min_events: u64) {
    let check = &doc["check"];
    for k in ["missing", "duplicates", "reorders", "content_duplicates"] {
        assert_eq!(check[k], 0, "{k} in {}", serde_json::to_string_pretty(check).unwrap());
    }
    assert_eq!(doc["counters"]["client_errors"].as_u64().unwrap_or(0), 0, "errors: {}", doc["errors"]);
    assert!(check["events"].as_u64().unwrap() >= min_events, "too few events checked: {check}");
    assert_eq!(doc["passed"], true);
}

#[test]
fn fanout_and_resume_deliver_every_event_exactly_once_in_order() {
    let server = start_server();

    let doc = harness(
        &server,
        &["fanout", "--subscribers", "20", "--publishers", "2", "--streams", "2", "--rate", "100", "--duration", "3s"],
    );
    assert_clean(&doc, 100);
    assert!(doc["counters"]["acked"].as_u64().unwrap() > 0);
    assert!(doc["latency_ms"]["publish_to_delivery"]["count"].as_u64().unwrap() > 0);

    let doc = harness(
        &server,
        &[
            "resume",
            "--connections",
            "20",
            "--drop-fraction",
            "0.5",
            "--storms",
            "2",
            "--publishers",
            "1",
            "--rate",
            "100",
            "--duration",
            "3s",
            "--encoding",
            "msgpack",
        ],
    );
    assert_clean(&doc, 100);
    assert!(doc["counters"]["reconnects"].as_u64().unwrap() > 0, "the storm dropped nobody");
}
