//! Account moderation by admins: suspend, unsuspend, change a user's role. Each
//! takes effect at once on every credential and open connection of the user
//! (revocation within 1 s, PROTOCOL.md §15), and is durable before it returns.
//!
//! What lives here: the three actions, shared by the HTTP API (`api`) and the
//! WebSocket ops (`ops`), and their audit entries (appended once the account
//! record changed: the record is not a stream, so the two are two writes). What does not: the account record and its checks
//! (`auth`: a suspended account's logins and tokens are refused there), who may
//! read a stream (`streams::visibility`), removing a member from one stream
//! (the `kick` op, a stream action decided by the stream's kind).

use crate::app::App;
use crate::auth::UserRecord;
use crate::error::{AppError, AppResult};
use crate::streams::kinds::audit::{audit_id, create, AuditOp};
use crate::streams::Action;
use crate::streams::{can_read_stream, Actor};
use agora_protocol::ops::Role;
use agora_protocol::{AuditAction, AuditEntry, CloseCode, UserId};

/// Record an account action in the audit log (a failure is logged: the action stands).
async fn record(app: &App, entry: AuditEntry) {
    let stream = audit_id();
    let result = async {
        if app.registry.get(&stream).is_none() {
            app.sequencer.append(stream.clone(), Actor::system(), create(), None).await?;
        }
        let action = Action::Audit(AuditOp::Record(Box::new(entry)));
        app.sequencer.append(stream.clone(), Actor::system(), action, None).await
    };
    if let Err(e) = result.await {
        tracing::error!(error = %e, "recording an account action in the audit log failed");
    }
}

fn role_name(r: Role) -> String {
    serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn require_admin(by: &UserRecord) -> AppResult<()> {
    if by.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("admins only".into()))
    }
}

fn not_self(by: &UserRecord, user: &UserId, what: &str) -> AppResult<()> {
    if &by.id == user {
        return Err(AppError::BadRequest(format!("admins cannot {what} themselves")));
    }
    Ok(())
}

/// Suspend `user` until `until` (ms since the Unix epoch; `None`: until
/// unsuspended). From the moment the record changes, logins and tokens are
/// refused; then every open connection closes with 4502 `suspended`.
pub async fn suspend(app: &App, by: &UserRecord, user: &UserId, until: Option<u64>) -> AppResult<UserRecord> {
    require_admin(by)?;
    not_self(by, user, "suspend")?;
    let until = until.unwrap_or(u64::MAX);
    let rec = app.auth.update_user(&app.sequencer, user, |r| r.suspended_until = Some(until)).await?;
    let closed = app.hub.close_user(user, CloseCode::Suspended);
    tracing::info!(%user, by = %by.id, until, closed, "suspended");
    let entry = AuditEntry {
        target_user: Some(user.clone()),
        until: (until != u64::MAX).then_some(until),
        reverse: Some("unsuspend_user".into()),
        ..AuditEntry::new(AuditAction::Suspend, by.id.clone(), "")
    };
    record(app, entry).await;
    Ok(rec)
}

/// End `user`'s suspension.
pub async fn unsuspend(app: &App, by: &UserRecord, user: &UserId) -> AppResult<UserRecord> {
    require_admin(by)?;
    let rec = app.auth.update_user(&app.sequencer, user, |r| r.suspended_until = None).await?;
    tracing::info!(%user, by = %by.id, "unsuspended");
    let entry = AuditEntry {
        target_user: Some(user.clone()),
        reverse: Some("suspend_user".into()),
        ..AuditEntry::new(AuditAction::Unsuspend, by.id.clone(), "")
    };
    record(app, entry).await;
    Ok(rec)
}

/// Give `user` the role `role`. Their open connections act with it from their
/// next op and read with it from the next event; every subscription the new
/// role may not read ends with `unsubscribed` (as when a member leaves).
pub async fn set_role(app: &App, by: &UserRecord, user: &UserId, role: Role) -> AppResult<UserRecord> {
    require_admin(by)?;
    not_self(by, user, "change the role of")?;
    let old = app.auth.user(user).map(|r| r.role);
    let rec = app.auth.update_user(&app.sequencer, user, |r| r.role = role).await?;
    app.hub.set_role(user, role);
    let who = Actor { id: user.clone(), role };
    for stream in app.hub.streams_of_user(user) {
        let readable = app.registry.get(&stream).is_some_and(|e| can_read_stream(&e.read(), &who));
        if !readable {
            app.hub.revoke_user(&stream, user);
        }
    }
    tracing::info!(%user, by = %by.id, ?role, "role changed");
    if let Some(old) = old.filter(|o| *o != role) {
        let entry = AuditEntry {
            target_user: Some(user.clone()),
            detail: format!("{} → {}", role_name(old), role_name(role)),
            reverse: Some(format!("set_role role={}", role_name(old))),
            ..AuditEntry::new(AuditAction::RoleChanged, by.id.clone(), "")
        };
        record(app, entry).await;
    }
    Ok(rec)
}
