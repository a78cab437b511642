//! The server's one error type and its one mapping to wire codes and HTTP statuses.
//!
//! Ops and services return `AppError`; the gateway turns it into an `error`
//! reply and the HTTP API into a status plus `ErrorBody`. Nothing else maps errors.

use agora_protocol::{ErrorBody, ErrorCode};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A conflict with structured details of the current state (an edit conflict).
    #[error("{message}")]
    ConflictWith { message: String, details: Box<serde_json::Value> },
    #[error("{0}")]
    TooLarge(String),
    #[error("rate limited: retry after {}ms", .0.as_millis())]
    RateLimited(Duration),
    #[error("{behind} events to replay exceed the replay limit; page with history")]
    TooFarBehind { behind: u64, head: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    UnsupportedType(String),
    #[error("you are muted by a moderator for {} more seconds", (.until - .now).div_ceil(1000))]
    Muted { until: u64, now: u64 },
    #[error("slow mode: your next post here is allowed in {} seconds", .wait_ms.div_ceil(1000))]
    SlowMode { next_at: u64, wait_ms: u64 },
    #[error("storage: {0}")]
    Storage(#[from] crate::engine::EngineError),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::BadRequest(_) => ErrorCode::BadRequest,
            AppError::Unauthorized(_) => ErrorCode::Unauthorized,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Conflict(_) | AppError::ConflictWith { .. } => ErrorCode::Conflict,
            AppError::TooLarge(_) => ErrorCode::TooLarge,
            AppError::RateLimited(_) => ErrorCode::RateLimited,
            AppError::TooFarBehind { .. } => ErrorCode::TooFarBehind,
            AppError::Unavailable(_) => ErrorCode::Unavailable,
            AppError::UnsupportedType(_) => ErrorCode::UnsupportedType,
            AppError::Muted { .. } => ErrorCode::Forbidden,
            AppError::SlowMode { .. } => ErrorCode::RateLimited,
            AppError::Storage(_) | AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.to_string());
        match self {
            // Round up: retrying after exactly `retry_after_ms` must succeed.
            AppError::RateLimited(d) => body.retry_after_ms = Some((d.as_micros().div_ceil(1000) as u64).max(1)),
            AppError::TooFarBehind { head, .. } => body.head = Some(*head),
            AppError::Muted { until, .. } => body.until = Some(*until),
            AppError::SlowMode { next_at, wait_ms } => {
                body.until = Some(*next_at);
                body.retry_after_ms = Some((*wait_ms).max(1));
            }
            AppError::ConflictWith { details, .. } => body.details = Some((**details).clone()),
            _ => {}
        }
        body
    }

    pub fn status(&self) -> StatusCode {
        match self.code() {
            ErrorCode::BadRequest | ErrorCode::UnknownOp | ErrorCode::TooFarBehind => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    pub fn conflict_with(message: String, details: serde_json::Value) -> Self {
        AppError::ConflictWith { message, details: Box::new(details) }
    }

    pub fn not_found_stream() -> Self {
        AppError::NotFound("no such stream".into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self.code(), ErrorCode::Internal) {
            tracing::error!(error = %self, "request failed");
        }
        let status = self.status();
        let body = self.body();
        let mut resp = (status, axum::Json(body.clone())).into_response();
        if let Some(ms) = body.retry_after_ms {
            let secs = ms.div_ceil(1000).to_string();
            if let Ok(v) = secs.parse() {
                resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

pub type AppResult<T> = Result<T, AppError>;
