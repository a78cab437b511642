//! The bundled web app: `clients/web/dist/` (built from `clients/web/src` by
//! `clients/build.mjs` and committed, so building the server needs no Node)
//! compiled into the binary with `include_bytes!` and served at `/`, plus the
//! JS SDK at `/agora.js` and the visitor chat widget at `/widget.js` (with
//! `/widget.css`, and a page showing it embedded, `/widget-demo.html`). The app routes with real URLs, so every app path
//! (`/c/<stream>`, `/forum/...`, `/desk/...`, `/wiki/...`, `/admin`, `/review`, `/audit`, `/login`)
//! answers index.html and the app picks the page. Files are served with
//! `cache-control: no-cache` so a rebuilt server is picked up on reload. The page
//! connects to `/ws` on the same origin, which the default Origin check allows.
//! Not here: the HTTP API (`api.rs`) and the WebSocket (`gateway/`).

use crate::app::App;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

macro_rules! dist {
    ($file:literal) => {
        include_bytes!(concat!("../clients/web/dist/", $file))
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// Paths the app routes itself: each answers index.html.
const APP_ROUTES: [&str; 14] = [
    "/",
    "/index.html",
    "/login",
    "/admin",
    "/admin/{*rest}",
    "/c/{*rest}",
    "/forum",
    "/forum/{*rest}",
    "/desk",
    "/desk/{*rest}",
    "/wiki",
    "/wiki/{*rest}",
    "/review",
    "/audit",
];

/// Routes for the web app; merge into the main router.
pub fn router() -> Router<Arc<App>> {
    let mut r = Router::new();
    for path in APP_ROUTES {
        r = r.route(path, get(|| async { asset(HTML, dist!("index.html")) }));
    }
    r.route("/app.js", get(|| async { asset(JS, dist!("app.js")) }))
        .route("/app.css", get(|| async { asset("text/css; charset=utf-8", dist!("app.css")) }))
        .route("/sw.js", get(|| async { asset(JS, dist!("sw.js")) }))
        .route(
            "/manifest.webmanifest",
            get(|| async { asset("application/manifest+json", dist!("manifest.webmanifest")) }),
        )
        .route("/icon.svg", get(|| async { asset("image/svg+xml", dist!("icon.svg")) }))
        .route("/icon-192.png", get(|| async { asset("image/png", dist!("icon-192.png")) }))
        .route("/icon-512.png", get(|| async { asset("image/png", dist!("icon-512.png")) }))
        .route("/widget.js", get(|| async { asset(JS, dist!("widget.js")) }))
        .route("/widget.css", get(|| async { asset("text/css; charset=utf-8", dist!("widget.css")) }))
        .route("/widget-demo.html", get(|| async { asset(HTML, dist!("widget-demo.html")) }))
        .route("/agora.js", get(|| async { asset(JS, include_bytes!("../clients/js/dist/agora.js")) }))
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
