//! The desk settings admins edit at runtime (PROTOCOL.md §22, "Desk settings"):
//! the configuration seeds them; an added custom status, field, saved reply and
//! macro are usable at once and after a restart; a stale edit is a `conflict`;
//! only admins edit, staff read.

mod common;

use common::{TestServer, PASSWORD};
use serde_json::{json, Value};

fn seeded(c: &mut agora::config::Config) {
    c.desk.statuses = vec![agora::config::StatusDef {
        name: "waiting_on_vendor".into(),
        category: agora_protocol::ticket::TicketStatus::OnHold,
    }];
}

async fn update(c: &mut common::Client, t: &str, changes: Value) -> Result<Value, agora_protocol::ErrorBody> {
    let v = c.ok(json!({"op": "ticket_info", "stream": t})).await["ticket"]["version"].as_u64().unwrap();
    c.request(json!({"op": "update_ticket", "stream": t, "version": v, "changes": changes})).await
}

#[tokio::test]
async fn an_added_custom_status_is_usable_at_once_and_after_a_restart() {
    let srv = TestServer::start_with(seeded).await;
    let mut admin = srv.connect(&srv.admin_token().await).await;
    let mut dave = srv.connect(&srv.user_with_role("dave", "agent").await).await;
    let mut ann = srv.connect(&srv.user("ann").await).await;

    // The configuration seeds the settings (version 0: never edited).
    let s = dave.ok(json!({"op": "desk_settings"})).await;
    assert_eq!(s["version"], 0);
    assert_eq!(s["settings"]["statuses"], json!([{"name": "waiting_on_vendor", "category": "on_hold"}]));
    let t = ann.ok(json!({"op": "open_ticket", "subject": "s", "text": "help"})).await["ticket"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = update(&mut dave, &t, json!({"custom_status": "awaiting_parts"})).await.unwrap_err();
    assert_eq!(e.code, agora_protocol::ErrorCode::BadRequest, "not defined yet");

    // Members and agents may not edit; admins may.
    let mut settings = s["settings"].clone();
    settings["statuses"].as_array_mut().unwrap().push(json!({"name": "awaiting_parts", "category": "pending"}));
    settings["fields"] = json!([{"name": "plan", "type": "choice", "choices": ["free", "pro"]}]);
    settings["canned"] = json!([{"name": "thanks", "text": "Thanks {{requester.name}}!"}]);
    settings["macros"] = json!([{"name": "park", "changes": {"custom_status": "awaiting_parts"}, "note": "parked"}]);
    let set = json!({"op": "set_desk_settings", "version": 0, "settings": settings});
    let e = dave.request(set.clone()).await.unwrap_err();
    assert_eq!(e.code, agora_protocol::ErrorCode::Forbidden);
    assert!(ann.request(json!({"op": "desk_settings"})).await.is_err(), "members do not read them");
    let ok = admin.ok(set.clone()).await;
    let version = ok["version"].as_u64().unwrap();
    assert!(version > 0);
    // A second edit from the old version is refused with the current settings.
    let e = admin.request(set).await.unwrap_err();
    assert_eq!(e.code, agora_protocol::ErrorCode::Conflict);
    assert_eq!(e.details.as_ref().unwrap()["version"], version);

    // At once: the new status, field, saved reply and macro work.
    update(&mut dave, &t, json!({"custom_status": "awaiting_parts", "fields": {"plan": {"choice": "pro"}}}))
        .await
        .unwrap();
    let r = dave.ok(json!({"op": "ticket_info", "stream": t})).await;
    assert_eq!(r["ticket"]["status"], "pending", "{r}");
    assert_eq!(r["ticket"]["custom_status"], "awaiting_parts");
    let e = update(&mut dave, &t, json!({"fields": {"plan": {"choice": "gold"}}})).await.unwrap_err();
    assert_eq!(e.code, agora_protocol::ErrorCode::BadRequest);
    let canned = dave.ok(json!({"op": "list_canned"})).await;
    assert_eq!(canned["canned"][0]["name"], "thanks");
    assert_eq!(canned["macros"], json!(["park"]));
    dave.ok(json!({"op": "canned_reply", "stream": t, "name": "thanks"})).await;

    // After a restart the edited settings are in force (not the configuration's).
    drop((admin, dave, ann));
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, seeded).await;
    let mut dave = srv.connect(&srv.login("dave", PASSWORD).await).await;
    let s = dave.ok(json!({"op": "desk_settings"})).await;
    assert_eq!(s["version"], version);
    assert_eq!(s["settings"]["statuses"][1]["name"], "awaiting_parts");
    update(&mut dave, &t, json!({"status": "open"})).await.unwrap();
    let v = dave.ok(json!({"op": "ticket_info", "stream": t})).await["ticket"]["version"].as_u64().unwrap();
    let r = dave.ok(json!({"op": "apply_macro", "stream": t, "version": v, "name": "park"})).await;
    let info = dave.ok(json!({"op": "ticket_info", "stream": t})).await;
    assert_eq!(info["ticket"]["custom_status"], "awaiting_parts", "{r}");
}
