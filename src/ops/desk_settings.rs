//! Ops on the desk settings (`desk_settings`, `set_desk_settings`): staff read
//! the custom fields, statuses, saved replies and macros in force; admins
//! replace them (checked here, decided by `kinds::desk_settings`).

use super::{check_len, Outcome, Session};
use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::streams::kinds::desk_settings::{self, DeskSettingsAction};
use crate::streams::Action;
use agora_protocol::desk_settings::{DeskSettings, FieldKind};
use agora_protocol::push::OkBody;
use agora_protocol::ticket::TicketStatus;
use std::collections::BTreeSet;
use std::sync::Arc;

/// At most this many of each setting.
const MAX_EACH: usize = 200;

pub(super) fn get(app: &Arc<App>, s: &Session) -> AppResult<OkBody> {
    if !s.user.role.is_staff() {
        return Err(AppError::Forbidden("agents only".into()));
    }
    Ok(OkBody::DeskSettings(desk_settings::current(app)))
}

/// Names present, unique and not too long; choices for choice fields; custom
/// statuses not in the closed category (closed is the server's to reach).
fn check(app: &App, d: &DeskSettings) -> AppResult<()> {
    if [d.fields.len(), d.statuses.len(), d.canned.len(), d.macros.len()].iter().any(|n| *n > MAX_EACH) {
        return Err(AppError::TooLarge(format!("at most {MAX_EACH} of each setting")));
    }
    let names = |what: &str, it: &mut dyn Iterator<Item = &String>| -> AppResult<()> {
        let mut seen = BTreeSet::new();
        for n in it {
            check_len(what, n.trim(), 1, 64)?;
            if !seen.insert(n.trim().to_lowercase()) {
                return Err(AppError::BadRequest(format!("two {what}s named {n:?}")));
            }
        }
        Ok(())
    };
    names("field", &mut d.fields.iter().map(|f| &f.name))?;
    names("status", &mut d.statuses.iter().map(|f| &f.name))?;
    names("saved reply", &mut d.canned.iter().map(|f| &f.name))?;
    names("macro", &mut d.macros.iter().map(|f| &f.name))?;
    for f in &d.fields {
        if f.kind == FieldKind::Choice && f.choices.is_empty() {
            return Err(AppError::BadRequest(format!("choice field {:?} has no choices", f.name)));
        }
    }
    if let Some(st) = d.statuses.iter().find(|s| s.category == TicketStatus::Closed) {
        return Err(AppError::BadRequest(format!("status {:?}: tickets close by themselves", st.name)));
    }
    for c in &d.canned {
        check_len("team", &c.team, 0, app.config.limits.max_name_chars)?;
        check_len("saved reply", &c.text, 1, app.config.limits.max_text_chars)?;
    }
    for m in &d.macros {
        for t in m.reply.iter().chain(m.note.iter()) {
            check_len("macro text", t, 1, app.config.limits.max_text_chars)?;
        }
    }
    Ok(())
}

pub(super) fn set(app: &Arc<App>, s: &Session, version: u64, settings: Box<DeskSettings>) -> Outcome {
    if s.user.role != agora_protocol::ops::Role::Admin {
        return Outcome::err(AppError::Forbidden("admins only".into()));
    }
    if let Err(e) = check(app, &settings) {
        return Outcome::err(e);
    }
    // The first edit creates the stream; both are decided in order.
    let create = app.sequencer.submit(desk_settings::stream_id(), s.actor(), desk_settings::create(), None);
    let action = Action::DeskSettings(DeskSettingsAction::Set { version, settings });
    let set = create.and_then(|c| Ok((c, app.sequencer.submit(desk_settings::stream_id(), s.actor(), action, None)?)));
    let (create, set) = match set {
        Ok(f) => f,
        Err(e) => return Outcome::err(e),
    };
    let app = app.clone();
    Outcome::Later(Box::pin(async move {
        create.await?;
        set.await?;
        Ok(OkBody::DeskSettings(desk_settings::current(&app)))
    }))
}
