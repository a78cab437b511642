//! The admin ops on accounts: `suspend_user`, `unsuspend_user`, `set_role`
//! (the work is `moderation`'s, shared with the HTTP API).

use super::{Outcome, Session};
use crate::app::App;
use crate::moderation;
use agora_protocol::ops::{Empty, Role};
use agora_protocol::push::OkBody;
use agora_protocol::UserId;
use std::sync::Arc;

pub(super) fn suspend(app: &Arc<App>, s: &Session, user: UserId, until: Option<u64>) -> Outcome {
    let (app, by) = (app.clone(), s.user.clone());
    Outcome::Later(Box::pin(async move {
        moderation::suspend(&app, &by, &user, until).await?;
        Ok(OkBody::Empty(Empty {}))
    }))
}

pub(super) fn unsuspend(app: &Arc<App>, s: &Session, user: UserId) -> Outcome {
    let (app, by) = (app.clone(), s.user.clone());
    Outcome::Later(Box::pin(async move {
        moderation::unsuspend(&app, &by, &user).await?;
        Ok(OkBody::Empty(Empty {}))
    }))
}

pub(super) fn set_role(app: &Arc<App>, s: &Session, user: UserId, role: Role) -> Outcome {
    let (app, by) = (app.clone(), s.user.clone());
    Outcome::Later(Box::pin(async move {
        moderation::set_role(&app, &by, &user, role).await?;
        Ok(OkBody::Empty(Empty {}))
    }))
}
