//! Security headers on HTTP responses, as tower layers applied where the router
//! is built (`lib.rs`).
//!
//! The web app's pages and assets get a strict Content-Security-Policy
//! ([`WEB_APP_CSP`]: scripts, styles, fonts and images only from our own origin,
//! images also from `data:` and `blob:`, network (fetch and WebSockets) only to
//! our own origin, no plugins, no `<base>`, and no framing), `Referrer-Policy:
//! no-referrer` and `X-Frame-Options: DENY` (frame-ancestors for old browsers).
//! The API, `/healthz`, `/metrics` and the WebSocket upgrade serve no documents,
//! so they get none of those. Every response gets `X-Content-Type-Options: nosniff`.
//!
//! HSTS is left to whoever terminates TLS for a public name (README): sent by a
//! server that is also reached as `localhost` over plain HTTP, it would break that.
//!
//! What does not live here: the web app's files (`web`).

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The web app's Content-Security-Policy. `connect-src 'self'` covers `ws://`
/// and `wss://` to the same host and port (CSP Level 3).
pub const WEB_APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
                               font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
                               form-action 'self'; frame-ancestors 'none'";

/// The headers for documents and their assets: add to the web app's routes.
pub fn web_app<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let set = |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    router
        .layer(set(header::CONTENT_SECURITY_POLICY, WEB_APP_CSP))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
}

/// `X-Content-Type-Options: nosniff`, for every response.
pub fn nosniff() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))
}
