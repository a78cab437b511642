//! The wiki over real sockets: pages, revisions, merges and conflicts,
//! history and diffs, revert and rollback, moves and backlinks, protection
//! with expiry on the test clock, namespace permissions on every read path,
//! recent changes resumed gap-free, and rendering that leaves malicious
//! Markdown inert.

mod common;
use agora_protocol::Push;
use common::*;
use serde_json::{json, Value};

const DAY_MS: u64 = 24 * 3_600_000;

async fn save(c: &mut Client, page: &str, base: Option<u64>, text: &str) -> Result<Value, agora_protocol::ErrorBody> {
    let mut op = json!({"op": "wiki_save", "page": page, "text": text, "summary": "s"});
    if let Some(b) = base {
        op["base"] = json!(b);
    }
    c.request(op).await
}

async fn get(c: &mut Client, page: &str) -> Value {
    c.ok(json!({"op": "wiki_get", "page": page, "render": true})).await
}

fn rev(v: &Value) -> u64 {
    v["rev"].as_u64().expect("a rev")
}

#[tokio::test]
async fn create_edit_history_and_diff_hunks() {
    let srv = TestServer::start().await;
    let ann = srv.user("ann").await;
    let mut c = srv.connect(&ann).await;
    let created = save(&mut c, "Getting Started", None, "# Welcome\n\nHello world.\n").await.unwrap();
    assert_eq!(created["created"], true, "{created}");
    let r1 = rev(&created);
    // Case-insensitive slug: the same page by another spelling.
    let page = get(&mut c, "getting_started").await;
    assert_eq!((page["title"].as_str(), rev(&page)), (Some("Getting Started"), r1), "{page}");
    assert!(page["html"].as_str().unwrap().contains("<h1>Welcome</h1>"), "{page}");
    let edited = save(&mut c, "Getting Started", Some(r1), "# Welcome\n\nHello brave world.\n").await.unwrap();
    let r2 = rev(&edited);
    assert!(r2 > r1 && edited["merged"] == false, "{edited}");
    // The same save again (a retry after a lost reply) stores nothing.
    let again = save(&mut c, "Getting Started", Some(r1), "# Welcome\n\nHello brave world.\n").await.unwrap();
    assert_eq!((rev(&again), again["duplicate"].as_bool()), (r2, Some(true)), "{again}");
    // Creating it again without a base is refused: the page exists.
    let err = save(&mut c, "GETTING STARTED", None, "x").await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Conflict, "{err:?}");

    let h = c.ok(json!({"op": "wiki_history", "page": "Getting Started"})).await;
    let seqs: Vec<u64> = h["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![r2, r1], "newest first: {h}");
    let page1 = c.ok(json!({"op": "wiki_history", "page": "Getting Started", "limit": 1})).await;
    assert_eq!((page1["entries"].as_array().unwrap().len(), page1["more"].as_bool()), (1, Some(true)));

    let d = c.ok(json!({"op": "wiki_diff", "page": "Getting Started", "from": r1, "to": r2})).await;
    let hunks = d["hunks"].as_array().unwrap();
    assert_eq!(hunks.len(), 1, "{d}");
    let lines = hunks[0]["lines"].as_array().unwrap();
    let changed: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["tag"] != "equal")
        .map(|l| (l["tag"].as_str().unwrap(), l["text"].as_str().unwrap()))
        .collect();
    assert_eq!(changed, vec![("delete", "Hello world."), ("insert", "Hello brave world.")], "{d}");
    let words: Vec<&str> = lines
        .iter()
        .filter(|l| l["tag"] == "insert")
        .flat_map(|l| l["words"].as_array().unwrap().iter())
        .filter(|w| w["changed"] == true)
        .map(|w| w["text"].as_str().unwrap())
        .collect();
    assert_eq!(words.concat().trim(), "brave", "word-level: {d}");
}

#[tokio::test]
async fn concurrent_edits_of_different_paragraphs_merge_and_of_the_same_line_conflict() {
    let srv = TestServer::start().await;
    let (ann, bob) = (srv.user("ann").await, srv.user("bob").await);
    let (mut a, mut b) = (srv.connect(&ann).await, srv.connect(&bob).await);
    let base = "Intro line.\n\nFirst paragraph.\n\nSecond paragraph.\n";
    let r1 = rev(&save(&mut a, "Merging", None, base).await.unwrap());
    // Both open revision r1. Ann saves first; Bob's edit of another paragraph merges.
    let ra = rev(&save(&mut a, "Merging", Some(r1), &base.replace("First", "First (Ann)")).await.unwrap());
    let rb = save(&mut b, "Merging", Some(r1), &base.replace("Second", "Second (Bob)")).await.unwrap();
    assert_eq!(rb["merged"], true, "{rb}");
    let text = get(&mut b, "Merging").await["text"].as_str().unwrap().to_owned();
    assert_eq!(text, "Intro line.\n\nFirst (Ann) paragraph.\n\nSecond (Bob) paragraph.\n");

    // Now both edit the intro line from the latest revision: the second is refused.
    let latest = rev(&rb);
    save(&mut a, "Merging", Some(latest), &text.replace("Intro line.", "Intro by Ann.")).await.unwrap();
    let bobs = text.replace("Intro line.", "Intro by Bob.");
    let err = save(&mut b, "Merging", Some(latest), &bobs).await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Conflict, "{err:?}");
    let details = err.details.expect("conflict details");
    assert!(details["current"].as_u64().unwrap() > latest, "{details}");
    assert!(details["text"].as_str().unwrap().contains("Intro by Ann."), "the current text: {details}");
    assert_eq!(details["hunks"][0]["current"], "Intro by Ann.\n", "{details}");
    assert_eq!(details["hunks"][0]["yours"], "Intro by Bob.\n", "{details}");
    assert_eq!(details["hunks"][0]["base"], "Intro line.\n", "{details}");
    // Nothing of Bob's was stored.
    assert!(!get(&mut a, "Merging").await["text"].as_str().unwrap().contains("Bob."));
    let _ = ra;
}

#[tokio::test]
async fn revert_and_rollback_of_the_last_editors_edits() {
    let srv = TestServer::start().await;
    let (ann, eve, mo) = (srv.user("ann").await, srv.user("eve").await, srv.user_with_role("mo", "moderator").await);
    let (mut a, mut e, mut m) = (srv.connect(&ann).await, srv.connect(&eve).await, srv.connect(&mo).await);
    let r1 = rev(&save(&mut a, "Rules", None, "Be kind.\n").await.unwrap());
    let r2 = rev(&save(&mut a, "Rules", Some(r1), "Be kind.\nBe brief.\n").await.unwrap());
    let r3 = rev(&save(&mut e, "Rules", Some(r2), "spam\n").await.unwrap());
    let r4 = rev(&save(&mut e, "Rules", Some(r3), "more spam\n").await.unwrap());

    // A member may not roll back; a moderator rolls back both of eve's edits.
    let err = a.request(json!({"op": "wiki_rollback", "page": "Rules", "user": "eve"})).await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Forbidden);
    let err = m.request(json!({"op": "wiki_rollback", "page": "Rules", "user": "ann"})).await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Conflict, "ann is not the last editor");
    let rb = m.ok(json!({"op": "wiki_rollback", "page": "Rules", "user": "eve"})).await;
    assert!(rev(&rb) > r4);
    assert_eq!(get(&mut a, "Rules").await["text"], "Be kind.\nBe brief.\n");
    let h = a.ok(json!({"op": "wiki_history", "page": "Rules", "limit": 1})).await;
    assert_eq!((h["entries"][0]["restores"].as_u64(), h["entries"][0]["rollback"].as_bool()), (Some(r2), Some(true)));

    // Revert to the first revision: a new revision that says which it restores.
    let rv = a.ok(json!({"op": "wiki_revert", "page": "Rules", "to": r1})).await;
    assert_eq!(get(&mut a, "Rules").await["text"], "Be kind.\n");
    let h = a.ok(json!({"op": "wiki_history", "page": "Rules", "limit": 1})).await;
    assert_eq!((h["entries"][0]["seq"].as_u64(), h["entries"][0]["restores"].as_u64()), (Some(rev(&rv)), Some(r1)));
}

#[tokio::test]
async fn a_move_leaves_a_redirect_and_backlinks_follow_it() {
    let srv = TestServer::start().await;
    let ann = srv.user("ann").await;
    let mut a = srv.connect(&ann).await;
    save(&mut a, "Old Name", None, "The page.\n").await.unwrap();
    save(&mut a, "Linker", None, "See [[Old Name]] and [[Nowhere Yet]].\n").await.unwrap();
    let before = get(&mut a, "Linker").await;
    let html = before["html"].as_str().unwrap();
    assert!(html.contains(r#"href="/wiki/old_name" class="wikilink""#), "{html}");
    assert!(html.contains(r#"href="/wiki/nowhere_yet" class="wikilink new""#), "a red link: {html}");
    let wanted = a.ok(json!({"op": "wiki_wanted"})).await;
    assert_eq!(wanted["pages"], json!([{"slug": "nowhere_yet", "links": 1}]), "{wanted}");

    a.ok(json!({"op": "wiki_move", "page": "Old Name", "to": "New Name", "summary": "better"})).await;
    let page = get(&mut a, "old name").await;
    assert_eq!(
        (page["title"].as_str(), page["redirected_from"].as_str()),
        (Some("New Name"), Some("old_name")),
        "{page}"
    );
    let links = a.ok(json!({"op": "wiki_links", "page": "New Name"})).await;
    assert_eq!(links["redirects"], json!(["old_name"]), "{links}");
    assert_eq!(links["backlinks"][0]["title"], "Linker", "what links here, through the redirect: {links}");
    assert_eq!(links["backlinks"][0]["via"], "old_name", "{links}");
    let h = a.ok(json!({"op": "wiki_history", "page": "New Name", "limit": 1})).await;
    assert_eq!(h["entries"][0]["kind"], "move", "the move is in the history: {h}");
    // The linking page is updated to the new name: the backlink becomes direct.
    let l = get(&mut a, "Linker").await;
    save(&mut a, "Linker", Some(rev(&l)), "See [[New Name]].\n").await.unwrap();
    let links = a.ok(json!({"op": "wiki_links", "page": "New Name"})).await;
    assert_eq!(links["backlinks"], json!([{"slug": "linker", "title": "Linker", "stream": l["stream"]}]), "{links}");
    assert_eq!(a.ok(json!({"op": "wiki_wanted"})).await["pages"], json!([]));
}

#[tokio::test]
async fn protection_refuses_members_and_lapses_at_expiry() {
    let srv = TestServer::start_with(|c| c.test_clock = true).await;
    let admin = srv.admin_token().await;
    let (ann, mo) = (srv.user("ann").await, srv.user_with_role("mo", "moderator").await);
    let (mut a, mut m) = (srv.connect(&ann).await, srv.connect(&mo).await);
    let r1 = rev(&save(&mut a, "Policy", None, "v1\n").await.unwrap());
    let now = m.ok(json!({"op": "ping"})).await["time"].as_u64().unwrap();
    let err = a.request(json!({"op": "wiki_protect", "page": "Policy", "edit": "full"})).await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Forbidden, "members do not protect");
    m.ok(json!({"op": "wiki_protect", "page": "Policy", "edit": "full", "rename": true,
                "reason": "edit war", "expires": now + 2 * DAY_MS}))
        .await;
    let page = get(&mut a, "Policy").await;
    assert_eq!((page["can_edit"].as_bool(), page["protection"]["reason"].as_str()), (Some(false), Some("edit war")));
    let err = save(&mut a, "Policy", Some(r1), "v2 by ann\n").await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Forbidden, "{err:?}");
    let err = a.request(json!({"op": "wiki_move", "page": "Policy", "to": "Policy 2"})).await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Forbidden, "{err:?}");
    let r2 = rev(&save(&mut m, "Policy", Some(r1), "v2 by mo\n").await.unwrap());

    // Past the expiry (the test clock), members edit again.
    let (status, body) = srv
        .http_json(
            srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(&admin).json(&json!({"advance_ms": 3 * DAY_MS})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&mut a, "Policy").await["can_edit"], true);
    let r3 = rev(&save(&mut a, "Policy", Some(r2), "v3 by ann\n").await.unwrap());

    // Semi-protection: ann's account is now 3 days old, under the 4 required.
    m.ok(json!({"op": "wiki_protect", "page": "Policy", "edit": "semi"})).await;
    let err = save(&mut a, "Policy", Some(r3), "v4\n").await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Forbidden, "{err:?}");
    srv.http_json(
        srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(&admin).json(&json!({"advance_ms": 2 * DAY_MS})),
    )
    .await;
    save(&mut a, "Policy", Some(r3), "v4\n").await.unwrap();
    let h = a.ok(json!({"op": "wiki_history", "page": "Policy"})).await;
    let kinds: Vec<&str> = h["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "protect").count(), 2, "each protection change is in the history: {h}");
    // ...and in the audit log, once each, with who, the reason and the expiry.
    let log = m.ok(json!({"op": "audit_log", "actor": "mo"})).await;
    let protects: Vec<&serde_json::Value> =
        log["entries"].as_array().unwrap().iter().filter(|e| e["entry"]["action"] == "protect").collect();
    assert_eq!(protects.len(), 2, "{log}");
    let first = protects.last().unwrap();
    assert_eq!(
        (first["entry"]["reason"].as_str(), first["entry"]["until"].as_u64()),
        (Some("edit war"), Some(now + 2 * DAY_MS))
    );
}

#[tokio::test]
async fn an_internal_page_is_invisible_to_members_on_every_read_path() {
    let srv = TestServer::start().await;
    let (ann, agent) = (srv.user("ann").await, srv.user_with_role("ag", "agent").await);
    let (mut a, mut g) = (srv.connect(&ann).await, srv.connect(&agent).await);
    let err = save(&mut a, "Internal:Runbook", None, "secret\n").await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Forbidden, "members cannot create there");
    let created = save(&mut g, "Internal:Runbook", None, "Secret steps. See [[Help:FAQ]].\n").await.unwrap();
    let stream = created["stream"].as_str().unwrap().to_owned();
    save(&mut g, "Help:FAQ", None, "Public answers.\n").await.unwrap();
    a.subscribe("wiki_changes", Some(0), None).await.unwrap();
    let rc_head = g.ok(json!({"op": "wiki_recent"})).await["changes"].as_array().unwrap().len();
    assert_eq!(rc_head, 2, "agents see both changes");

    let nf = agora_protocol::ErrorCode::NotFound;
    for op in [
        json!({"op": "wiki_get", "page": "Internal:Runbook"}),
        json!({"op": "wiki_history", "page": "internal:runbook"}),
        json!({"op": "wiki_links", "page": "Internal:Runbook"}),
        json!({"op": "wiki_diff", "page": "Internal:Runbook", "from": 2, "to": 2}),
        json!({"op": "stream_info", "stream": stream}),
        json!({"op": "history", "stream": stream}),
        json!({"op": "subscribe", "stream": stream}),
        json!({"op": "typing", "stream": stream}),
    ] {
        assert_eq!(a.request(op.clone()).await.unwrap_err().code, nf, "{op}");
    }
    let err = save(&mut a, "Internal:Runbook", Some(2), "defaced\n").await.unwrap_err();
    assert_eq!(err.code, nf, "{err:?}");
    let listed = a.ok(json!({"op": "list_streams"})).await;
    assert!(!listed.to_string().contains(&stream), "{listed}");
    let pages = a.ok(json!({"op": "wiki_pages"})).await;
    assert!(!pages.to_string().to_lowercase().contains("runbook"), "{pages}");
    let links = a.ok(json!({"op": "wiki_links", "page": "Help:FAQ"})).await;
    assert_eq!(links["backlinks"], json!([]), "no backlink from a page ann cannot read: {links}");
    let recent = a.ok(json!({"op": "wiki_recent"})).await;
    assert!(!recent.to_string().to_lowercase().contains("runbook"), "{recent}");
    assert_eq!(recent["changes"].as_array().unwrap().len(), 1, "{recent}");
    // Live/replay on recent changes: the internal change is a skip for ann.
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match a.next_push().await {
            Push::Event(e) if e.stream.0 == "wiki_changes" => seen.push(format!("event {}", e.seq)),
            Push::Skip { stream, from, to } if stream.0 == "wiki_changes" => seen.push(format!("skip {from}-{to}")),
            _ => {}
        }
    }
    assert!(seen.iter().any(|s| s.starts_with("skip")), "{seen:?}");
    assert!(!format!("{:?}", a.take_pushes()).to_lowercase().contains("runbook"));
}

#[tokio::test]
async fn recent_changes_resume_gap_free_and_filter_by_user_and_namespace() {
    let srv = TestServer::start().await;
    let (ann, bob) = (srv.user("ann").await, srv.user("bob").await);
    let (mut a, mut b) = (srv.connect(&ann).await, srv.connect(&bob).await);
    let r = rev(&save(&mut a, "One", None, "1\n").await.unwrap());
    b.subscribe("wiki_changes", Some(0), None).await.unwrap();
    // Seq 1 creates the stream; each change follows.
    let first = b.events_until("wiki_changes", 2).await;
    assert_eq!(seqs(&first), vec![1, 2]);
    drop(b);
    // While bob is away: three more changes.
    save(&mut a, "One", Some(r), "1 more\n").await.unwrap();
    save(&mut a, "Help:Two", None, "2\n").await.unwrap();
    let mut c = srv.connect(&ann).await;
    save(&mut c, "Three", None, "3\n").await.unwrap();
    let mut b = srv.connect(&bob).await;
    b.subscribe("wiki_changes", Some(2), None).await.unwrap();
    let resumed = b.events_until("wiki_changes", 5).await;
    assert_eq!(seqs(&resumed), vec![3, 4, 5], "gap-free from the cursor");
    let titles: Vec<String> =
        resumed.iter().map(|e| serde_json::to_value(e).unwrap()["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!(titles, ["One", "Help:Two", "Three"]);
    // A live one follows.
    save(&mut a, "Four", None, "4\n").await.unwrap();
    assert_eq!(seqs(&b.events_until("wiki_changes", 6).await), vec![6]);

    save(&mut b, "Bobs", None, "b\n").await.unwrap();
    let by_bob = b.ok(json!({"op": "wiki_recent", "user": "bob"})).await;
    assert_eq!(by_bob["changes"].as_array().unwrap().len(), 1, "{by_bob}");
    let help = b.ok(json!({"op": "wiki_recent", "namespace": "help"})).await;
    assert_eq!(help["changes"][0]["title"], "Help:Two", "{help}");
    assert_eq!(help["changes"].as_array().unwrap().len(), 1, "{help}");
}

#[tokio::test]
async fn editing_awareness_is_ephemeral_and_watching_is_private() {
    let srv = TestServer::start().await;
    let (ann, bob) = (srv.user("ann").await, srv.user("bob").await);
    let (mut a, mut b) = (srv.connect(&ann).await, srv.connect(&bob).await);
    let created = save(&mut a, "Draft", None, "x\n").await.unwrap();
    let stream = created["stream"].as_str().unwrap().to_owned();
    b.subscribe(&stream, None, None).await.unwrap();
    a.ok(json!({"op": "typing", "stream": stream})).await;
    let p = b.push_where(|p| matches!(p, Push::Typing { .. })).await;
    assert!(matches!(p, Push::Typing { ref user, .. } if user.0 == "ann"), "{p:?}");
    let head = b.ok(json!({"op": "stream_info", "stream": stream})).await["head"].as_u64().unwrap();
    assert_eq!(head, rev(&created), "editing is never logged");

    a.ok(json!({"op": "wiki_watch", "page": "Draft", "watch": true})).await;
    assert_eq!(get(&mut a, "Draft").await["watching"], true);
    assert_eq!(get(&mut b, "Draft").await["watching"], false);
    let h = b.ok(json!({"op": "history", "stream": stream})).await;
    assert!(!h.to_string().contains("wiki_watched"), "whom ann watches is hers: {h}");

    // Bob edits: ann, who watches, gets a wiki_edit item in her feed; bob, the editor, none.
    let saved = save(&mut b, "Draft", Some(rev(&created)), "x\ny\n").await.unwrap();
    let feed = a.ok(json!({"op": "feed"})).await;
    let fs = feed["stream"].as_str().unwrap().to_owned();
    let items = a.ok(json!({"op": "history", "stream": fs, "after": 0})).await;
    let edits: Vec<&Value> =
        items["events"].as_array().unwrap().iter().filter(|e| e["item"]["reason"] == "wiki_edit").collect();
    assert_eq!(edits.len(), 1, "{items}");
    assert_eq!(edits[0]["item"]["source_seq"], saved["rev"], "{items}");
    assert_eq!(edits[0]["item"]["actor"], "bob");
    let bobs = b.ok(json!({"op": "feed"})).await;
    assert_eq!(bobs["unread"], 0, "the editor is not told of their own edit");
}

#[tokio::test]
async fn malicious_markdown_is_rendered_inert() {
    let srv = TestServer::start().await;
    let ann = srv.user("ann").await;
    let mut a = srv.connect(&ann).await;
    let evil = "<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n<img src=x onerror=\"alert(3)\">\n\n\
                <a href=\"javascript:alert(4)\" onclick=\"alert(5)\">y</a>\n\n[[#ch_abc]]\n";
    save(&mut a, "Evil", None, evil).await.unwrap();
    let page = get(&mut a, "Evil").await;
    let html = page["html"].as_str().unwrap();
    // Every tag left is harmless: no script, no handler attribute, no javascript: URL.
    for tag in html.split('<').skip(1).filter_map(|t| t.split_once('>').map(|(tag, _)| tag.to_lowercase())) {
        let name = tag.split_whitespace().next().unwrap_or("").trim_start_matches('/').to_owned();
        assert!(["p", "a", "img"].contains(&name.as_str()), "tag {tag:?} in {html}");
        assert!(!tag.split_whitespace().skip(1).any(|a| a.starts_with("on")), "handler in {tag:?}");
        assert!(!tag.contains("javascript:"), "{tag:?}");
    }
    assert!(html.contains(r#"href="/c/ch_abc""#), "links to channels by id: {html}");
    assert_eq!(page["text"], evil, "the source is kept as written");
}

#[tokio::test]
async fn slugs_redirects_and_backlinks_survive_a_restart() {
    let srv = TestServer::start().await;
    let ann = srv.user("ann").await;
    let mut a = srv.connect(&ann).await;
    save(&mut a, "Target", None, "t\n").await.unwrap();
    save(&mut a, "Source", None, "[[Target]] [[Wanted]]\n").await.unwrap();
    a.ok(json!({"op": "wiki_move", "page": "Target", "to": "Moved Target"})).await;
    drop(a);
    let dir = srv.stop().await;
    let srv = TestServer::start_in(dir, |_| {}).await;
    let ann = srv.login("ann", PASSWORD).await;
    let mut a = srv.connect(&ann).await;
    let page = get(&mut a, "target").await;
    assert_eq!((page["title"].as_str(), page["redirected_from"].as_str()), (Some("Moved Target"), Some("target")));
    let links = a.ok(json!({"op": "wiki_links", "page": "Moved Target"})).await;
    assert_eq!(links["backlinks"][0]["title"], "Source", "{links}");
    assert_eq!(a.ok(json!({"op": "wiki_wanted"})).await["pages"][0]["slug"], "wanted");
    // The slug is still claimed: creating "Moved Target" again is refused.
    let err = save(&mut a, "moved target", None, "again\n").await.unwrap_err();
    assert_eq!(err.code, agora_protocol::ErrorCode::Conflict);
}
