//! HTTP hardening: the web app's security headers (CSP and friends) and the
//! per-account login back-off (README "Security", PROTOCOL.md §2).

mod common;
use common::*;
use serde_json::{json, Value};

/// Paths of same-origin assets a page references (`src="/..."`, `href="/..."`).
fn assets(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"/", "href=\"/"] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len() - 1..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_owned());
            }
        }
    }
    out
}

#[tokio::test]
async fn the_web_app_is_served_with_a_strict_csp_and_the_api_without_one() {
    let srv = TestServer::start().await;
    let page = srv.http.get(srv.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page_headers = page.headers().clone();
    let html = page.text().await.unwrap();
    // The CSP allows no inline code, so the page must have none.
    let lower = html.to_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..i + lower[i..].find('>').expect("closed tag")];
        assert!(tag.contains(" src="), "inline script in index.html (the CSP blocks it): {tag}");
    }
    assert!(!lower.contains(" style=\"") && !lower.contains("<style"), "inline style in index.html");
    assert!(!lower.contains(" onclick=") && !lower.contains(" onload="), "inline handler in index.html");

    let mut checked = vec![("/".to_owned(), page_headers)];
    for path in assets(&html) {
        let r = srv.http.get(srv.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        checked.push((path, r.headers().clone()));
    }
    assert!(checked.len() >= 2, "the page references its script and style");
    for (path, h) in &checked {
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok());
        let csp = csp.unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"));
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} missing from {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }

    // Not documents: no CSP, no framing rules; nosniff everywhere.
    for path in ["/healthz", "/metrics", "/api/v1/me", "/no/such/path"] {
        let r = srv.http.get(srv.url(path)).send().await.unwrap();
        let h = r.headers();
        assert!(h.get("content-security-policy").is_none(), "{path} has a CSP");
        assert!(h.get("x-frame-options").is_none(), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    let (_, upgrade) = tokio_tungstenite::connect_async(srv.ws_url()).await.expect("ws");
    assert!(upgrade.headers().get("content-security-policy").is_none(), "the 101 has a CSP");
}

async fn create_user(srv: &TestServer, admin: &str, name: &str) {
    let (status, body) = srv
        .http_json(
            srv.http
                .post(srv.url("/api/v1/users"))
                .bearer_auth(admin)
                .json(&json!({"username": name, "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn login(srv: &TestServer, user: &str, password: &str) -> (u16, Value, Option<String>) {
    let r = srv
        .http
        .post(srv.url("/api/v1/auth/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, r.json().await.unwrap(), retry_after)
}

/// After `login_backoff_after` failures an account must wait: the next attempt,
/// even with the right password, is 429 `rate_limited` with `retry_after_ms`;
/// another account is unaffected; after the wait the right password works and
/// clears the count.
#[tokio::test]
async fn repeated_failures_make_one_account_wait_and_only_that_one() {
    // A short wait, so the client can honour `retry_after_ms` as any client would;
    // the schedule itself (doubling, cap, reset) is unit-tested with a manual clock.
    let srv = TestServer::start_with(|c| {
        c.limits.rate.login_backoff_after = 3;
        c.limits.rate.login_backoff_base_ms = 300;
        c.limits.rate.login_backoff_max_ms = 300;
    })
    .await;
    let admin = srv.admin_token().await;
    // Created, never logged in: no trusted address yet.
    create_user(&srv, &admin, "ann").await;
    create_user(&srv, &admin, "bob").await;
    for _ in 0..3 {
        let (status, body, _) = login(&srv, "ann", "wrong-password").await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{body}");
    }
    let (status, body, retry_after) = login(&srv, "ann", PASSWORD).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    let wait = body["retry_after_ms"].as_u64().expect("retry_after_ms");
    assert!((1..=300).contains(&wait), "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"), "Retry-After in whole seconds, rounded up");
    // Unknown usernames behave the same (no hint about which accounts exist).
    for _ in 0..3 {
        assert_eq!(login(&srv, "nobody", "x").await.0, 401);
    }
    assert_eq!(login(&srv, "nobody", "x").await.0, 429);
    // Another account is not affected.
    assert_eq!(login(&srv, "bob", PASSWORD).await.0, 200);
    // After the wait the right password works, and the count starts again.
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    let (status, body, _) = login(&srv, "ann", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(login(&srv, "ann", "wrong-password").await.0, 401);
    // ann has now logged in from this address, so its waits no longer apply here.
    for _ in 0..4 {
        assert_eq!(login(&srv, "ann", "wrong-password").await.0, 401);
    }
    assert_eq!(login(&srv, "ann", PASSWORD).await.0, 200);
}
