//! The bundled web client: `clients/web/` compiled into the binary with
//! `include_str!` and served at `/` (index.html), `/agora.js` (the browser
//! SDK), `/app.js` and `/style.css`. Files are served with `cache-control:
//! no-cache` so a rebuilt server is picked up on reload. The page connects to
//! `/ws` on the same origin, which the default Origin check allows.

use crate::app::App;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

const INDEX_HTML: &str = include_str!("../clients/web/index.html");
const AGORA_JS: &str = include_str!("../clients/web/agora.js");
const APP_JS: &str = include_str!("../clients/web/app.js");
const STYLE_CSS: &str = include_str!("../clients/web/style.css");

/// Routes for the web client; merge into the main router.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/index.html", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/agora.js", get(|| async { asset("text/javascript; charset=utf-8", AGORA_JS) }))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}
