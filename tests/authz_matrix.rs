//! The authorization matrix: every role × every stream kind × every op and read
//! path, allow or deny, against a real server. One table per kind (`TABLES`):
//! a row per op, a column per role. A new kind adds its table and an arm in
//! `create`; a new op adds a row to every table and an arm in `attempt`.
//!
//! Roles: the five account roles as members of the stream (created by `owner`,
//! a member), and `outsider`, a member-role account that is not in it. "Allow"
//! means the op answered `ok` (for `list_streams`: the stream is listed; for
//! `presence`: a presence change of a member reached the actor's subscription);
//! "deny" means an error reply (`forbidden` or `not_found`) or, for the read
//! paths, that the stream is not listed / the subscription is refused.

mod common;
use agora_protocol::Push;
use common::{Client, TestServer};
use serde_json::json;

/// Column order of every row.
const ROLES: [&str; 6] = ["member", "agent", "moderator", "admin", "bot", "outsider"];

/// Ops in the order they run on a stream (membership changes last).
const OPS: [&str; 15] = [
    "post",
    "edit",
    "delete",
    "react",
    "hide",
    "typing",
    "invite",
    "rename",
    "kick",
    "subscribe",
    "resume",
    "history",
    "list_streams",
    "presence",
    "join",
];

/// `y` allow, `n` deny; columns as in [`ROLES`].
type Table = &'static [(&'static str, &'static str)];

const CHANNEL: Table = &[
    ("post", "yyyyyn"),
    ("edit", "yyyyyn"),
    ("delete", "nnyynn"),
    ("react", "yyyyyn"),
    ("hide", "nnyynn"),
    ("typing", "yyyyyn"),
    ("invite", "yyyyyn"),
    ("rename", "yyyyyn"),
    ("kick", "nnyynn"),
    ("subscribe", "yyyyyy"),
    ("resume", "yyyyyy"),
    ("history", "yyyyyy"),
    ("list_streams", "yyyyyy"),
    ("presence", "yyyyyy"),
    ("join", "yyyyyy"),
];

const PRIVATE_CHANNEL: Table = &[
    ("post", "yyyyyn"),
    ("edit", "yyyyyn"),
    ("delete", "nnyynn"),
    ("react", "yyyyyn"),
    ("hide", "nnyynn"),
    ("typing", "yyyyyn"),
    ("invite", "yyyyyn"),
    ("rename", "yyyyyn"),
    ("kick", "nnyynn"),
    ("subscribe", "yyyyyn"),
    ("resume", "yyyyyn"),
    ("history", "yyyyyn"),
    ("list_streams", "yyyyyn"),
    ("presence", "yyyyyn"),
    // Private channels are joined by invitation only, members or not.
    ("join", "nnnnnn"),
];

const DM: Table = &[
    ("post", "yyyyyn"),
    ("edit", "yyyyyn"),
    ("delete", "nnyynn"),
    ("react", "yyyyyn"),
    ("hide", "nnyynn"),
    ("typing", "yyyyyn"),
    // A DM's membership and name are fixed.
    ("invite", "nnnnnn"),
    ("rename", "nnnnnn"),
    ("kick", "nnnnnn"),
    ("subscribe", "yyyyyn"),
    ("resume", "yyyyyn"),
    ("history", "yyyyyn"),
    ("list_streams", "yyyyyn"),
    ("presence", "yyyyyn"),
    ("join", "nnnnnn"),
];

/// Every kind with its table.
const TABLES: &[(&str, Table)] = &[("channel", CHANNEL), ("private_channel", PRIVATE_CHANNEL), ("dm", DM)];

struct World {
    server: TestServer,
    owner: Client,
    /// One connection per column of [`ROLES`].
    actors: Vec<Client>,
    epoch: String,
    /// The owner's presence flips between these for each `presence` cell.
    away: bool,
}

/// A stream of `kind` with the owner, the five role accounts and `victim` as
/// members (a DM: without `victim`; DMs of one member set are one stream).
async fn create(w: &mut World, kind: &str, tag: &str) -> String {
    let members = ["r_member", "r_agent", "r_moderator", "r_admin", "r_bot", "victim"];
    let op = match kind {
        "channel" => json!({"op": "create_channel", "name": format!("c-{tag}"), "members": members}),
        "private_channel" => {
            json!({"op": "create_channel", "name": format!("p-{tag}"), "private": true, "members": members})
        }
        "dm" => json!({"op": "open_dm", "users": &members[..5]}),
        other => panic!("no way to create a {other} yet: add an arm here"),
    };
    w.owner.ok(op).await["id"].as_str().unwrap().to_owned()
}

/// Try `op` on `stream` as actor `i`; true if allowed.
async fn attempt(w: &mut World, i: usize, stream: &str, op: &str, tag: &str) -> bool {
    let target = w.owner.post(stream, &format!("owner's message for {op}")).await;
    let a = &mut w.actors[i];
    let r = match op {
        "post" => a.request(json!({"op": "post", "stream": stream, "text": "hello"})).await,
        "edit" => {
            // Your own message if you may post; else someone else's (denied either way).
            let own = a.request(json!({"op": "post", "stream": stream, "text": "mine"})).await;
            let target = own.ok().and_then(|o| o["seq"].as_u64()).unwrap_or(target);
            a.request(json!({"op": "edit", "stream": stream, "target": target, "text": "edited"})).await
        }
        "delete" => a.request(json!({"op": "delete", "stream": stream, "target": target})).await,
        "react" => a.request(json!({"op": "react", "stream": stream, "target": target, "emoji": "👍"})).await,
        "hide" => a.request(json!({"op": "hide", "stream": stream, "target": target})).await,
        "typing" => a.request(json!({"op": "typing", "stream": stream})).await,
        "invite" => a.request(json!({"op": "invite", "stream": stream, "user": "guest"})).await,
        "rename" => a.request(json!({"op": "rename", "stream": stream, "name": format!("renamed-{tag}")})).await,
        "kick" => a.request(json!({"op": "kick", "stream": stream, "user": "victim"})).await,
        "subscribe" | "resume" => {
            let r = match op {
                "subscribe" => a.subscribe(stream, None, None).await,
                _ => a.subscribe(stream, Some(1), Some(&w.epoch)).await,
            };
            if r.is_ok() {
                a.ok(json!({"op": "unsubscribe", "stream": stream})).await;
            }
            r
        }
        "history" => a.request(json!({"op": "history", "stream": stream, "after": 0})).await,
        "list_streams" => {
            let list = a.ok(json!({"op": "list_streams"})).await;
            let listed = list["streams"].as_array().unwrap().iter().find(|s| s["id"] == stream).cloned();
            // A member's entry carries its counts.
            if let Some(s) = &listed {
                if s["member"] == true {
                    assert!(s["unread"].is_u64() && s["mentions"].is_u64(), "counts for a member: {s}");
                }
            }
            return listed.is_some();
        }
        "presence" => {
            if a.subscribe(stream, None, None).await.is_err() {
                return false;
            }
            w.away = !w.away;
            let status = if w.away { "away" } else { "online" };
            w.owner.ok(json!({"op": "set_presence", "status": status})).await;
            let a = &mut w.actors[i];
            a.push_where(|p| matches!(p, Push::Presence { stream: s, user, .. } if s.0 == stream && user.0 == "owner"))
                .await;
            a.ok(json!({"op": "unsubscribe", "stream": stream})).await;
            return true;
        }
        "join" => a.request(json!({"op": "join", "stream": stream})).await,
        other => panic!("no attempt for op {other}: add an arm here"),
    };
    match r {
        Ok(_) => true,
        Err(e) => {
            let code = e.code.as_str();
            assert!(matches!(code, "forbidden" | "not_found"), "{op} as {}: denied with {code}: {e:?}", ROLES[i]);
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_kind_and_op_is_allowed_or_denied_as_the_table_says() {
    // The owner and actors send hundreds of requests: lift the per-user rate limits.
    let server = TestServer::start_with(|c| {
        let r = &mut c.limits.rate;
        (r.post_per_sec, r.post_burst, r.read_per_sec, r.read_burst) = (100_000, 100_000, 100_000, 100_000);
        (r.ephemeral_per_sec, r.ephemeral_burst) = (100_000, 100_000);
    })
    .await;
    let owner = server.connect(&server.user("owner").await).await;
    let mut actors = Vec::new();
    for role in ROLES {
        let token = match role {
            "outsider" => server.user("outsider").await,
            role => server.user_with_role(&format!("r_{role}"), role).await,
        };
        actors.push(server.connect(&token).await);
    }
    server.user("victim").await;
    server.user("guest").await;
    let mut w = World { server, owner, actors, epoch: String::new(), away: false };
    w.epoch = w.owner.epoch().await;
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for (kind, table) in TABLES {
        let rows: Vec<&str> = table.iter().map(|(op, _)| *op).collect();
        assert_eq!(rows, OPS, "{kind}: a row per op, in order");
        let mut dm = None;
        for (i, role) in ROLES.iter().enumerate() {
            let tag = format!("{kind}-{role}");
            // A fresh stream per role where membership changes; the one DM otherwise.
            let stream = match (*kind, &dm) {
                ("dm", Some(s)) => String::clone(s),
                _ => create(&mut w, kind, &tag).await,
            };
            if *kind == "dm" {
                dm = Some(stream.clone());
            }
            for (op, allowed) in table.iter() {
                let want = allowed.as_bytes()[i] == b'y';
                let got = attempt(&mut w, i, &stream, op, &tag).await;
                cells += 1;
                if got != want {
                    mismatches
                        .push(format!("{kind} × {role} × {op}: expected {}", if want { "allow" } else { "deny" }));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{} of {cells} cells differ:\n{}", mismatches.len(), mismatches.join("\n"));
    assert_eq!(cells, TABLES.len() * ROLES.len() * OPS.len());
    let _ = &w.server;
}
