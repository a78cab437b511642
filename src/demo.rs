//! The demo community seeded by `serve --demo`: a few users, public channels,
//! a private channel, a DM and some messages, so a newcomer sees something at
//! once. Idempotent: does nothing if the `general` channel exists.

use crate::app::App;
use crate::auth::NewUser;
use crate::error::AppResult;
use crate::streams::kinds::forum::ForumAction;
use crate::streams::Action;
use crate::streams::Actor;
use agora_protocol::forum::{Category, FORUM_STREAM};
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
    seed_forum(app).await?;
    tracing::info!(users = "alice, bob, carol, dave", password = DEMO_PASSWORD, "seeded the demo community");
    Ok(())
}

/// The demo forum: three categories (one for everyone, one for agents, one for
/// staff) and a thread with replies, one of them quoting the first post.
async fn seed_forum(app: &App) -> AppResult<()> {
    let forum = StreamId::from(FORUM_STREAM);
    let create =
        Action::Create { kind: StreamKind::Forum, name: "forum".into(), topic: String::new(), members: Vec::new() };
    app.sequencer.append(forum.clone(), Actor::system(), create, None).await?;
    let carol = Actor { id: UserId::from("carol"), role: Role::Moderator };
    let categories = [
        ("cat_general", "General", "general", "Anything about the community", None),
        ("cat_support", "Support playbook", "support", "How agents answer customers", Some(Role::Agent)),
        ("cat_staff", "Staff", "staff", "Moderators and admins only", Some(Role::Moderator)),
    ];
    for (position, (id, name, slug, description, read_role)) in categories.into_iter().enumerate() {
        let category = Category {
            id: id.into(),
            name: name.into(),
            slug: slug.into(),
            description: description.into(),
            position: position as u32,
            read_role,
            post_role: None,
        };
        let action = Action::Forum(ForumAction::SaveCategory { category, new: true });
        app.sequencer.append(forum.clone(), carol.clone(), action, None).await?;
    }
    let thread = StreamId(format!("ft_{}", crate::ids::random_id(12)));
    let open = ForumAction::OpenThread {
        thread: thread.clone(),
        category: "cat_general".into(),
        title: "Welcome to the forum".into(),
        text: "Introduce yourself here: who you are and what you work on.".into(),
        mentions: Vec::new(),
    };
    let alice = Actor { id: UserId::from("alice"), role: Role::Member };
    app.sequencer.append(forum, alice, Action::Forum(open), None).await?;
    let replies = [
        ("bob", "Hi! Bob here, I mostly hang out in #random.", None),
        ("carol", "Welcome all. Please keep threads on topic.", Some(agora_protocol::Seq(3))),
    ];
    for (who, text, reply_to) in replies {
        let role = if who == "carol" { Role::Moderator } else { Role::Member };
        let action = Action::Post { text: text.into(), reply_to, mentions: Vec::new(), attachments: Vec::new() };
        app.sequencer.append(thread.clone(), Actor { id: UserId::from(who), role }, action, None).await?;
    }
    Ok(())
}
