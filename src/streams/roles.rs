//! What each role may do beyond posting: the one table behind PROTOCOL.md's
//! roles table ("Roles"), asked by every kind through [`may`] / [`require`].
//! A kind never tests a role itself; it names the [`Permission`] it needs.
//! Kinds with their own staff actions (forum pins, wiki protection) add rows
//! here and to the table in PROTOCOL.md.

use super::visibility::Actor;
use crate::error::{AppError, AppResult};
use agora_protocol::ops::Role;

/// A staff power, in any kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Hide and unhide any message or post.
    Hide,
    /// Delete anyone's message or post (with a reason).
    DeleteAny,
    /// Mute and unmute users.
    Mute,
    /// Turn slow mode on and off, lock and unlock streams.
    SlowModeAndLock,
    /// Post in locked streams, and as often as they like in slow mode.
    ExemptFromRestrictions,
    /// Manage any public channel (invite, rename, topic) without being a member.
    ManageAnyChannel,
    /// Read and page the audit log.
    ReadAudit,
    /// Read the review queue and decide on flags.
    ReviewFlags,
    /// Configure watched words.
    WatchedWords,
    /// Exempt from the new-user posting rate.
    ExemptFromNewUserLimits,
}

/// May `role` do `p`? The whole table: moderators and admins hold every
/// moderation power; agents are staff only for the new-user rate.
pub fn may(role: Role, p: Permission) -> bool {
    use Permission::*;
    match p {
        Hide
        | DeleteAny
        | Mute
        | SlowModeAndLock
        | ExemptFromRestrictions
        | ManageAnyChannel
        | ReadAudit
        | ReviewFlags
        | WatchedWords => matches!(role, Role::Moderator | Role::Admin),
        ExemptFromNewUserLimits => matches!(role, Role::Moderator | Role::Admin | Role::Agent | Role::Bot),
    }
}

/// `Ok` if `who` may do `p`, else `forbidden` saying what is needed.
pub fn require(who: &Actor, p: Permission) -> AppResult<()> {
    if may(who.role, p) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only moderators and admins may do this ({p:?})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_hold_no_staff_power_and_moderators_hold_every_moderation_power() {
        for p in [Permission::Hide, Permission::Mute, Permission::ReadAudit, Permission::WatchedWords] {
            assert!(!may(Role::Member, p) && !may(Role::Agent, p) && !may(Role::Bot, p), "{p:?}");
            assert!(may(Role::Moderator, p) && may(Role::Admin, p), "{p:?}");
        }
        assert!(may(Role::Agent, Permission::ExemptFromNewUserLimits));
        assert!(!may(Role::Member, Permission::ExemptFromNewUserLimits));
    }
}
