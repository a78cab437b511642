//! The demo community seeded by `serve --demo`: a few users, public channels,
//! a private channel, a DM and some messages, so a newcomer sees something at
//! once. Idempotent: does nothing if the `general` channel exists.

use crate::app::App;
use crate::auth::NewUser;
use crate::error::AppResult;
use crate::streams::Action;
use crate::streams::Actor;
use agora_protocol::ops::Role;
use agora_protocol::{StreamId, StreamKind, UserId};

/// Password of every demo user (the admin's is separate).
pub const DEMO_PASSWORD: &str = "demo-password";

pub async fn seed(app: &App) -> AppResult<()> {
    if app.registry.all().iter().any(|e| e.read().name == "general") {
        return Ok(());
    }
    let people = [
        ("alice", "Alice Moreau", Role::Member),
        ("bob", "Bob Okafor", Role::Member),
        ("carol", "Carol Ng", Role::Moderator),
        ("dave", "Dave (support)", Role::Agent),
    ];
    for (name, display, role) in people {
        if app.auth.user(&UserId::from(name)).is_none() {
            let new = NewUser {
                username: name.into(),
                password: Some(DEMO_PASSWORD.into()),
                display_name: Some(display.into()),
                role,
            };
            app.auth.create_user(&app.sequencer, new).await?;
        }
    }
    let actor = |u: &str, role| Actor { id: UserId::from(u), role };
    let all: Vec<UserId> = ["admin", "alice", "bob", "carol", "dave"].iter().map(|u| UserId::from(*u)).collect();
    let channels = [
        ("general", "Company-wide announcements and chatter", StreamKind::Channel, all.clone()),
        ("random", "Off-topic, memes, cat pictures", StreamKind::Channel, all[..4].to_vec()),
        ("help", "Ask the community anything", StreamKind::Channel, all.clone()),
        (
            "moderators",
            "Private: moderation coordination",
            StreamKind::PrivateChannel,
            vec![UserId::from("carol"), UserId::from("admin")],
        ),
    ];
    let mut ids = Vec::new();
    for (name, topic, kind, members) in channels {
        let id = StreamId(format!("ch_{}", crate::ids::random_id(12)));
        let creator = members[0].clone();
        let action = Action::Create { kind, name: name.into(), topic: topic.into(), members };
        app.sequencer.append(id.clone(), Actor { id: creator, role: Role::Admin }, action, None).await?;
        ids.push(id);
    }
    let script: [(usize, &str, &str); 8] = [
        (0, "admin", "Welcome to agora! This is #general. Say hi 👋"),
        (0, "alice", "Hi everyone! Excited to be here."),
        (0, "bob", "Hey @alice, welcome! Check out #help if you get stuck."),
        (1, "bob", "Friday cat picture thread starts now 🐈"),
        (2, "alice", "How do I mark a channel as read from a bot?"),
        (2, "carol", "Send a mark_read op with the last seq you processed; it's in PROTOCOL.md."),
        (3, "carol", "Keep an eye on #random this weekend, please."),
        (0, "dave", "Support desk is open 9–17 UTC."),
    ];
    for (ch, who, text) in script {
        let mentions =
            crate::streams::text::mention_candidates(text).into_iter().filter(|u| app.auth.exists(u)).collect();
        let action = Action::Post { text: text.into(), reply_to: None, mentions, attachments: vec![] };
        app.sequencer.append(ids[ch].clone(), actor(who, Role::Member), action, None).await?;
    }
    let dm_members = vec![UserId::from("alice"), UserId::from("bob")];
    let dm = crate::ops::dm_id(&dm_members);
    let create =
        Action::Create { kind: StreamKind::Dm, name: "alice, bob".into(), topic: String::new(), members: dm_members };
    app.sequencer.append(dm.clone(), actor("alice", Role::Member), create, None).await?;
    let post = Action::Post { text: "Lunch tomorrow?".into(), reply_to: None, mentions: vec![], attachments: vec![] };
    app.sequencer.append(dm, actor("alice", Role::Member), post, None).await?;
    tracing::info!(users = "alice, bob, carol, dave", password = DEMO_PASSWORD, "seeded the demo community");
    Ok(())
}
