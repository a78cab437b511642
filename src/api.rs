//! The HTTP API: health, metrics, login, log out, users and API tokens, website
//! visitors' tokens (and,
//! with `test_clock`, moving the clock). JSON
//! in, JSON out, errors as `ErrorBody` with the same codes as the WebSocket
//! protocol, also for unknown paths (404) and methods (405).

use crate::app::App;
use crate::auth::{NewUser, UserRecord};
use crate::error::{AppError, AppResult};
use agora_protocol::ops::{Role, UserInfo};
use agora_protocol::UserId;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/users", post(create_user).get(list_users))
        .route("/api/v1/users/{id}/tokens", post(create_token))
        .route("/api/v1/users/{id}/suspend", post(suspend_user))
        .route("/api/v1/users/{id}/unsuspend", post(unsuspend_user))
        .route("/api/v1/users/{id}/role", post(set_role))
        .route("/api/v1/me", get(me))
        .route("/api/v1/test/clock", post(advance_clock))
        .route("/api/v1/visitors", post(create_visitor))
        .route("/api/v1/kpis", get(kpis))
}

#[derive(Deserialize)]
struct AdvanceClock {
    advance_ms: u64,
}

#[derive(Serialize)]
struct ClockResponse {
    now: u64,
}

/// Tests only (`test_clock` in the config): move the server's clock forward, as
/// an admin. Without `test_clock` the path does not exist (404).
async fn advance_clock(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    req: Result<Json<AdvanceClock>, JsonRejection>,
) -> AppResult<Json<ClockResponse>> {
    if !app.clock.is_adjustable() {
        return Err(AppError::NotFound("no such path".into()));
    }
    admin(&app, &headers)?;
    let req = body(req)?;
    app.clock.advance(req.advance_ms);
    // Run what came due before answering, so a test sees its effects without waiting.
    crate::timers::run_due(&app).await;
    Ok(Json(ClockResponse { now: app.clock.now_ms() }))
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    if app.shutdown.is_cancelled() {
        return AppError::Unavailable("draining".into()).into_response();
    }
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    crate::desk::gauges::refresh(&app);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], app.metrics.render()).into_response()
}

/// Any path no route matches: 404 with the JSON error body.
pub async fn not_found() -> AppError {
    AppError::NotFound("no such endpoint (see README: HTTP API)".into())
}

/// A known path with a method it does not take: 405 with the JSON error body.
pub async fn method_not_allowed() -> Response {
    let err = AppError::BadRequest("method not allowed on this endpoint".into());
    let mut resp = err.into_response();
    *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    resp
}

/// The bearer token of `Authorization: Bearer TOKEN`.
fn bearer(headers: &HeaderMap) -> AppResult<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned())
        .ok_or_else(|| AppError::Unauthorized("missing bearer token".into()))
}

/// The authenticated caller, from `Authorization: Bearer TOKEN`.
/// The authenticated caller of an HTTP request (bearer token).
pub(crate) fn caller(app: &App, headers: &HeaderMap) -> AppResult<UserRecord> {
    app.auth.authenticate(&bearer(headers)?)
}

fn admin(app: &App, headers: &HeaderMap) -> AppResult<UserRecord> {
    let u = caller(app, headers)?;
    if u.role != Role::Admin {
        return Err(AppError::Forbidden("admins only".into()));
    }
    Ok(u)
}

/// JSON bodies that fail to parse answer `bad_request` in our error format.
fn body<T>(r: Result<Json<T>, JsonRejection>) -> AppResult<T> {
    r.map(|Json(v)| v).map_err(|e| AppError::BadRequest(e.body_text()))
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct LoginResponse {
    token: String,
    user: UserInfo,
}

async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Result<Json<LoginRequest>, JsonRejection>,
) -> AppResult<Json<LoginResponse>> {
    if let Err(e) = app.limits.check_login(peer.ip()) {
        app.metrics.count_rate_limited("login");
        return Err(e);
    }
    let req = body(req)?;
    if req.password.len() > 1024 || req.username.len() > 64 {
        return Err(AppError::Unauthorized("wrong username or password".into()));
    }
    // Per account, after the per-IP check: a waiting account is refused before any
    // password work (PROTOCOL.md §2, `login_backoff`).
    if let Err(e) = app.login_backoff.begin(&req.username, peer.ip()) {
        app.metrics.count_rate_limited("login_account");
        return Err(e);
    }
    let user = app.auth.login(&req.username, &req.password).await?;
    app.login_backoff.succeeded(&req.username, peer.ip());
    Ok(Json(LoginResponse { token: app.auth.issue_token(&user.id)?, user: user.info() }))
}

/// `POST /api/v1/auth/logout`: revoke the caller's token (durably) and close
/// every WebSocket opened with it (4500).
async fn logout(State(app): State<Arc<App>>, headers: HeaderMap) -> AppResult<Json<serde_json::Value>> {
    let key = app.auth.revoke(&app.sequencer, &bearer(&headers)?).await?;
    let closed = app.credentials.close_all(&key);
    tracing::debug!(closed, "logged out");
    Ok(Json(serde_json::json!({})))
}

#[derive(Deserialize, Default)]
struct VisitorRequest {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Serialize)]
struct VisitorResponse {
    token: String,
    user: UserInfo,
    /// When the token and the visitor's account end (ms since the Unix epoch).
    expires_at: u64,
}

/// `POST /api/v1/visitors`: a website visitor's token (no account; name and
/// e-mail optional), rate limited per IP like logins. The token reads and
/// writes only the visitor's own tickets and expires after `visitor_ttl_secs`.
async fn create_visitor(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Result<Json<VisitorRequest>, JsonRejection>,
) -> AppResult<(StatusCode, Json<VisitorResponse>)> {
    if let Err(e) = app.limits.check_visitor(peer.ip()) {
        app.metrics.count_rate_limited("visitor");
        return Err(e);
    }
    let req = body(req)?;
    let (rec, token) =
        app.auth.create_visitor(&app.sequencer, req.name, req.email, app.config.visitor_ttl_secs).await?;
    let expires_at = rec.expires_at.unwrap_or_default();
    Ok((StatusCode::CREATED, Json(VisitorResponse { token, user: rec.info(), expires_at })))
}

/// `GET /api/v1/kpis?from=&to=&team=&bucket=day|week` (staff): the ticket figures
/// of `[from, to)` (default: the last 30 days), computed from every ticket's
/// state. With `replay=true` (admins) every ticket is folded again from its
/// first event in the log first: the answer must equal the live one.
async fn kpis(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<crate::desk::kpis::KpiQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<crate::desk::kpis::Kpis>> {
    let who = caller(&app, &headers)?;
    if !who.role.is_staff() {
        return Err(AppError::Forbidden("agents, moderators and admins only".into()));
    }
    let axum::extract::Query(q) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    if q.replay && who.role != Role::Admin {
        return Err(AppError::Forbidden("replay is for admins".into()));
    }
    let to = q.to.unwrap_or_else(|| app.clock.now_ms().saturating_add(1));
    let from = q.from.unwrap_or(to.saturating_sub(30 * crate::desk::kpis::DAY_MS));
    let tickets: Vec<crate::streams::StreamState> = app
        .registry
        .all()
        .into_iter()
        .filter(|e| e.read().kind == agora_protocol::StreamKind::Ticket)
        .map(|e| if q.replay { refold(&app, &e.read().id) } else { Ok(e.read().clone()) })
        .collect::<AppResult<_>>()?;
    let activity = if q.replay {
        let fresh = crate::desk::activity::Activity::default();
        fresh.rebuild(&*app.log, &app.registry)?;
        Arc::new(fresh)
    } else {
        app.projections.activity.clone()
    };
    let a = activity.lock();
    let mut k = crate::desk::kpis::compute(tickets.iter(), &a, from, to, &q);
    crate::desk::kpis_hours::add(&mut k, tickets.iter(), from, to, &q);
    Ok(Json(k))
}

/// A stream's state folded again from its first event in the log.
fn refold(app: &App, stream: &agora_protocol::StreamId) -> AppResult<crate::streams::StreamState> {
    let head = app.log.head(stream)?;
    let mut st: Option<crate::streams::StreamState> = None;
    let mut after = agora_protocol::Seq(0);
    while after < head {
        let page = app.log.read_range(stream, after, head, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for ev in &page {
            match &mut st {
                None => st = crate::streams::StreamState::from_created(ev),
                Some(s) => s.apply(ev),
            }
        }
    }
    st.ok_or_else(AppError::not_found_stream)
}

#[derive(Serialize)]
struct UserResponse {
    user: UserInfo,
}

async fn create_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    req: Result<Json<NewUser>, JsonRejection>,
) -> AppResult<(StatusCode, Json<UserResponse>)> {
    admin(&app, &headers)?;
    let rec = app.auth.create_user(&app.sequencer, body(req)?).await?;
    Ok((StatusCode::CREATED, Json(UserResponse { user: rec.info() })))
}

#[derive(Serialize)]
struct UsersResponse {
    users: Vec<UserInfo>,
}

async fn list_users(State(app): State<Arc<App>>, headers: HeaderMap) -> AppResult<Json<UsersResponse>> {
    if caller(&app, &headers)?.role == Role::Visitor {
        return Err(AppError::Forbidden("not for website visitors".into()));
    }
    Ok(Json(UsersResponse { users: app.auth.all_users() }))
}

async fn me(State(app): State<Arc<App>>, headers: HeaderMap) -> AppResult<Json<UserResponse>> {
    Ok(Json(UserResponse { user: caller(&app, &headers)?.info() }))
}

#[derive(Serialize)]
struct TokenResponse {
    token: String,
}

async fn create_token(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<TokenResponse>)> {
    admin(&app, &headers)?;
    let token = app.auth.create_api_token(&app.sequencer, &UserId(id)).await?;
    Ok((StatusCode::CREATED, Json(TokenResponse { token })))
}

#[derive(Deserialize, Default)]
struct SuspendRequest {
    /// Until when (ms since the Unix epoch); absent: until unsuspended.
    #[serde(default)]
    until: Option<u64>,
}

/// `POST /api/v1/users/{id}/suspend`: admins suspend an account (`moderation`).
async fn suspend_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    req: Result<Json<SuspendRequest>, JsonRejection>,
) -> AppResult<Json<UserResponse>> {
    let by = admin(&app, &headers)?;
    // An empty body is a suspension without an end.
    let until = match req {
        Ok(Json(r)) => r.until,
        Err(JsonRejection::MissingJsonContentType(_)) => None,
        Err(e) => return Err(AppError::BadRequest(e.body_text())),
    };
    let rec = crate::moderation::suspend(&app, &by, &UserId(id), until).await?;
    Ok(Json(UserResponse { user: rec.info() }))
}

/// `POST /api/v1/users/{id}/unsuspend`.
async fn unsuspend_user(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Json<UserResponse>> {
    let by = admin(&app, &headers)?;
    let rec = crate::moderation::unsuspend(&app, &by, &UserId(id)).await?;
    Ok(Json(UserResponse { user: rec.info() }))
}

#[derive(Deserialize)]
struct RoleRequest {
    role: Role,
}

/// `POST /api/v1/users/{id}/role` with `{"role": "..."}`.
async fn set_role(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    req: Result<Json<RoleRequest>, JsonRejection>,
) -> AppResult<Json<UserResponse>> {
    let by = admin(&app, &headers)?;
    let role = body(req)?.role;
    let rec = crate::moderation::set_role(&app, &by, &UserId(id), role).await?;
    Ok(Json(UserResponse { user: rec.info() }))
}
