//! The attachment routes.
//!
//! - `POST /api/v1/streams/{id}/attachments?name=NAME`: the body is the file, its
//!   `Content-Type` its type. The caller must be able to post in the stream.
//!   Answers 201 with the `Attachment` to put in a `post`.
//! - `GET /api/v1/attachments/{hash}[?name=NAME]`: the file, to a reader of a
//!   stream where a message they may see references it; 404 to everyone else
//!   (absent and forbidden look alike). Served with its stored type, `nosniff`,
//!   `Content-Disposition` (inline for images, attachment otherwise) and a CSP
//!   that lets nothing in it run.

use super::store::too_large;
use super::types;
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::limits::CommandClass;
use crate::streams::{can_write_stream, Actor};
use agora_protocol::{Attachment, StreamId};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use std::sync::Arc;

/// Served files are never documents of ours: nothing in one may load or run
/// (no scripts, styles, plugins or subresources), it may not be framed, and a
/// sandbox (a unique origin) holds in case a browser renders one anyway.
pub const ATTACHMENT_CSP: &str = "default-src 'none'; sandbox; frame-ancestors 'none'";

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/streams/{id}/attachments", post(upload))
        .route("/api/v1/attachments/{hash}", get(download))
}

#[derive(Deserialize)]
struct NameQuery {
    #[serde(default)]
    name: Option<String>,
}

async fn upload(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<NameQuery>,
    body: Body,
) -> AppResult<(StatusCode, Json<Attachment>)> {
    let user = crate::api::caller(&app, &headers)?;
    if let Err(e) = app.limits.check_user(CommandClass::Post, &user.id) {
        app.metrics.count_rate_limited("attachment");
        return Err(e);
    }
    let stream = StreamId(id);
    let entry = app.readable(&stream, &user.id, user.role)?;
    if !can_write_stream(&entry.read(), &Actor { id: user.id.clone(), role: user.role }) {
        return Err(AppError::Forbidden("join the channel first".into()));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Refuse what says it is too large before reading it; the store counts what really comes.
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > app.attachments.max_bytes()) {
        return Err(too_large(app.attachments.max_bytes()));
    }
    let (hash, stored) = app.attachments.put(content_type, &user.id, body).await?;
    let name = types::clean_name(q.name.as_deref().unwrap_or(""));
    tracing::debug!(%hash, size = stored.size, mime = %stored.mime, "attachment stored");
    let a = Attachment { hash, name, mime: stored.mime, size: stored.size, width: stored.width, height: stored.height };
    Ok((StatusCode::CREATED, Json(a)))
}

async fn download(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
    Query(q): Query<NameQuery>,
) -> AppResult<Response> {
    let user = crate::api::caller(&app, &headers)?;
    if let Err(e) = app.limits.check_user(CommandClass::Read, &user.id) {
        app.metrics.count_rate_limited("attachment");
        return Err(e);
    }
    let missing = || AppError::NotFound("no such attachment".into());
    if !Attachment::valid_hash(&hash) {
        return Err(missing());
    }
    let who = Actor { id: user.id.clone(), role: user.role };
    if !app.attachment_readable(&hash, &who) {
        return Err(missing());
    }
    let (file, stored) = app.attachments.open_file(&hash).await?.ok_or_else(missing)?;
    let name = types::clean_name(q.name.as_deref().unwrap_or(&hash));
    let disposition = if stored.mime.starts_with("image/") { "inline" } else { "attachment" };
    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = resp.headers_mut();
    let value = |s: String| HeaderValue::from_str(&s).map_err(|e| AppError::Internal(e.to_string()));
    h.insert(header::CONTENT_TYPE, value(types::content_type(&stored.mime))?);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(stored.size));
    h.insert(header::CONTENT_DISPOSITION, value(format!("{disposition}; filename*=UTF-8''{}", percent(&name)))?);
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ATTACHMENT_CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The bytes at a hash never change; who may read them can, so caches keep them private.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400, immutable"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    Ok(resp)
}

/// RFC 8187 encoding of a file name for `filename*=UTF-8''...` (attr-char is
/// alphanumerics and `!#$&+-.^_`|~`; everything else is percent-encoded).
fn percent(name: &str) -> String {
    const NOT_ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    utf8_percent_encode(name, NOT_ATTR_CHAR).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_percent_encoded_for_content_disposition() {
        assert_eq!(super::percent("a b\"é.txt"), "a%20b%22%C3%A9.txt");
    }
}
