//! The wiki over real sockets, part two: each page's talk thread (created once
//! under a race, read by whoever reads the page on every read path, kept
//! across a move), the namespaces and semi-protection age from config, and the
//! page list paged through `wiki_pages` (pages are not in `list_streams`).

mod common;
use agora_protocol::ops::Role;
use agora_protocol::wiki::WikiNamespace;
use agora_protocol::ErrorCode;
use common::*;
use serde_json::{json, Value};

const DAY_MS: u64 = 24 * 3_600_000;

async fn create(c: &mut Client, page: &str, text: &str) -> String {
    let ok = c.ok(json!({"op": "wiki_save", "page": page, "text": text})).await;
    ok["stream"].as_str().unwrap().to_owned()
}

async fn talk(c: &mut Client, page: &str) -> Value {
    c.ok(json!({"op": "wiki_talk", "page": page})).await
}

fn thread_of(v: &Value) -> String {
    v["thread"].as_str().expect("a thread").to_owned()
}

async fn view(c: &mut Client, thread: &str) -> Value {
    c.ok(json!({"op": "forum_thread", "thread": thread, "after": 0, "limit": 100})).await
}

fn post_texts(view: &Value) -> Vec<&str> {
    view["posts"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn talk_opens_one_thread_linked_both_ways_and_returns_it_afterwards() {
    let srv = TestServer::start().await;
    let (mut a, mut b) = (srv.connect(&srv.user("ann").await).await, srv.connect(&srv.user("bob").await).await);
    let page = create(&mut a, "Onboarding", "Steps.\n").await;
    assert!(a.ok(json!({"op": "wiki_get", "page": "Onboarding"})).await.get("talk").is_none(), "no thread yet");
    let first = talk(&mut a, "Onboarding").await;
    assert_eq!((first["page"].as_str(), first["created"].as_bool()), (Some(page.as_str()), Some(true)), "{first}");
    let thread = thread_of(&first);
    let again = talk(&mut b, "onboarding").await;
    assert_eq!((thread_of(&again), again["created"].as_bool()), (thread.clone(), Some(false)), "{again}");
    // The page names its thread; the thread names its page.
    assert_eq!(a.ok(json!({"op": "wiki_get", "page": "Onboarding"})).await["talk"], json!(thread));
    b.ok(json!({"op": "post", "stream": thread, "text": "Should step 2 come first?"})).await;
    a.ok(json!({"op": "post", "stream": thread, "text": "Yes, swapped."})).await;
    let v = view(&mut a, &thread).await;
    assert_eq!(post_texts(&v), ["Should step 2 come first?", "Yes, swapped."], "{v}");
    assert_eq!(
        (v["row"]["title"].as_str(), v["row"]["talk_page"].as_str()),
        (Some("Talk:Onboarding"), Some("onboarding"))
    );
}

#[tokio::test]
async fn racing_talk_calls_open_one_thread() {
    let srv = TestServer::start().await;
    let (ann, mo) = (srv.user("ann").await, srv.user_with_role("mo", "moderator").await);
    let mut m = srv.connect(&mo).await;
    let mut clients = Vec::new();
    for i in 0..8 {
        clients.push(srv.connect(if i % 2 == 0 { &ann } else { &mo }).await);
    }
    create(&mut m, "Race", "x\n").await;
    // Calls in flight on eight connections before any is answered: several get past
    // the op's check of the committed page and meet in the page's decision.
    let mut ids = Vec::new();
    for c in clients.iter_mut() {
        ids.push(c.send(json!({"op": "wiki_talk", "page": "Race"})).await);
    }
    let mut threads = Vec::new();
    let mut created = 0;
    for (c, id) in clients.iter_mut().zip(ids) {
        let ok = c.wait_reply(id).await.unwrap();
        created += ok["created"].as_bool().unwrap() as u32;
        threads.push(thread_of(&ok));
    }
    threads.dedup();
    assert_eq!((threads.len(), created), (1, 1), "one thread, created once: {threads:?}");
    // The forum knows one talk thread of the page.
    let latest = m.ok(json!({"op": "forum_threads", "limit": 100})).await;
    let talks = latest["threads"].as_array().unwrap().iter().filter(|t| t["talk_page"] == "race").count();
    assert_eq!(talks, 1, "{latest}");
}

#[tokio::test]
async fn a_members_cannot_read_the_talk_thread_of_an_internal_page_on_any_read_path() {
    let srv = TestServer::start().await;
    let ann = srv.user("ann").await;
    let (mut a, mut g) = (srv.connect(&ann).await, srv.connect(&srv.user_with_role("ag", "agent").await).await);
    create(&mut g, "Internal:Runbook", "Secret steps.\n").await;
    let thread = thread_of(&talk(&mut g, "Internal:Runbook").await);
    g.ok(json!({"op": "post", "stream": thread, "text": "secret talk, @ann"})).await;
    assert_eq!(post_texts(&view(&mut g, &thread).await), ["secret talk, @ann"]);

    let nf = ErrorCode::NotFound;
    for op in [
        json!({"op": "wiki_talk", "page": "Internal:Runbook"}),
        json!({"op": "forum_thread", "thread": thread}),
        json!({"op": "stream_info", "stream": thread}),
        json!({"op": "history", "stream": thread}),
        json!({"op": "subscribe", "stream": thread}),
        json!({"op": "post", "stream": thread, "text": "let me in"}),
        json!({"op": "forum_like", "thread": thread, "post": 4}),
        json!({"op": "forum_post_history", "thread": thread, "post": 4}),
        json!({"op": "forum_set_level", "thread": thread, "level": "watching"}),
        json!({"op": "mark_read", "stream": thread, "seq": 4}),
        json!({"op": "typing", "stream": thread}),
        json!({"op": "react", "stream": thread, "target": 4, "emoji": "👍"}),
    ] {
        let err = a.request(op.clone()).await.unwrap_err();
        assert!([nf, ErrorCode::Forbidden].contains(&err.code), "{op}: {err:?}");
    }
    for op in [json!({"op": "list_streams"}), json!({"op": "forum_threads", "limit": 100}), json!({"op": "feed"})] {
        let listed = a.ok(op.clone()).await;
        assert!(!listed.to_string().contains(&thread), "{op}: {listed}");
        assert!(!listed.to_string().contains("secret"), "{op}: {listed}");
    }
    // Staff see it in the forum's latest threads.
    let latest = g.ok(json!({"op": "forum_threads", "limit": 100})).await;
    assert!(latest.to_string().contains(&thread), "{latest}");
}

#[tokio::test]
async fn a_move_keeps_the_talk_thread_and_retitles_it() {
    let srv = TestServer::start().await;
    let mut a = srv.connect(&srv.user("ann").await).await;
    let mut b = srv.connect(&srv.user("bob").await).await;
    create(&mut a, "Old name", "x\n").await;
    let thread = thread_of(&talk(&mut a, "Old name").await);
    // bob moves it: he is not the thread's author, the retitling is the server's.
    b.ok(json!({"op": "wiki_move", "page": "Old name", "to": "New name"})).await;
    for name in ["New name", "Old name"] {
        let t = talk(&mut b, name).await;
        assert_eq!((thread_of(&t), t["created"].as_bool()), (thread.clone(), Some(false)), "{name}: {t}");
    }
    let v = view(&mut a, &thread).await;
    assert_eq!((v["row"]["title"].as_str(), v["row"]["talk_page"].as_str()), (Some("Talk:New name"), Some("new_name")));
}

#[tokio::test]
async fn namespaces_and_the_semi_protection_age_come_from_config() {
    let srv = TestServer::start_with(|c| {
        c.test_clock = true;
        c.wiki.semi_protect_min_age_days = 1;
        c.wiki.namespaces = vec![
            WikiNamespace {
                prefix: "Staff".into(),
                read_role: Some(Role::Moderator),
                edit_role: Some(Role::Moderator),
            },
            WikiNamespace { prefix: "Help".into(), read_role: None, edit_role: Some(Role::Agent) },
        ];
    })
    .await;
    let admin = srv.admin_token().await;
    let (mut a, mut g, mut m) = (
        srv.connect(&srv.user("ann").await).await,
        srv.connect(&srv.user_with_role("ag", "agent").await).await,
        srv.connect(&srv.user_with_role("mo", "moderator").await).await,
    );
    // Staff: moderators only, to read and to write; its talk thread too.
    let err = g.request(json!({"op": "wiki_save", "page": "staff:plan", "text": "x"})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    create(&mut m, "staff:plan", "Mods only.\n").await;
    let thread = thread_of(&talk(&mut m, "Staff:Plan").await);
    for op in [json!({"op": "wiki_get", "page": "Staff:Plan"}), json!({"op": "forum_thread", "thread": thread})] {
        assert_eq!(g.request(op.clone()).await.unwrap_err().code, ErrorCode::NotFound, "{op}");
    }
    // Help: everyone reads, agents edit.
    create(&mut g, "Help:FAQ", "Answers.\n").await;
    let page = a.ok(json!({"op": "wiki_get", "page": "Help:FAQ"})).await;
    assert_eq!((page["namespace"].as_str(), page["can_edit"].as_bool()), (Some("Help"), Some(false)), "{page}");
    let base = page["rev"].as_u64().unwrap();
    let err = a.request(json!({"op": "wiki_save", "page": "Help:FAQ", "base": base, "text": "x"})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    // Internal is not configured: a page there is an ordinary main-namespace page.
    create(&mut a, "Internal:Notes", "Open to all.\n").await;
    let page = g.ok(json!({"op": "wiki_get", "page": "Internal:Notes"})).await;
    assert_eq!(page["namespace"], "", "{page}");

    // Semi-protection asks for one day here (four by default).
    create(&mut a, "Policy", "v1\n").await;
    m.ok(json!({"op": "wiki_protect", "page": "Policy", "edit": "semi"})).await;
    let base = a.ok(json!({"op": "wiki_get", "page": "Policy"})).await["rev"].as_u64().unwrap();
    let err = a.request(json!({"op": "wiki_save", "page": "Policy", "base": base, "text": "v2\n"})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    let (status, body) = srv
        .http_json(
            srv.http.post(srv.url("/api/v1/test/clock")).bearer_auth(&admin).json(&json!({"advance_ms": DAY_MS + 1})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    a.ok(json!({"op": "wiki_save", "page": "Policy", "base": base, "text": "v2\n"})).await;
}

#[tokio::test]
async fn wiki_pages_pages_in_slug_order_and_list_streams_leaves_pages_out() {
    let srv = TestServer::start().await;
    let mut a = srv.connect(&srv.user("ann").await).await;
    let mut g = srv.connect(&srv.user_with_role("ag", "agent").await).await;
    let mut titles = vec!["Zebra", "apple", "Help:Start", "Mango", "Help:Billing", "banana"];
    for t in &titles {
        create(&mut a, t, "x\n").await;
    }
    let secret = create(&mut g, "Internal:Keys", "x\n").await;
    titles.sort_by_key(|t| t.to_lowercase());
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut calls = 0;
    loop {
        let ok = a.ok(json!({"op": "wiki_pages", "limit": 2, "cursor": cursor})).await;
        let rows = ok["pages"].as_array().unwrap();
        assert!(rows.len() <= 2, "{ok}");
        seen.extend(rows.iter().map(|p| p["title"].as_str().unwrap().to_owned()));
        calls += 1;
        match ok["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, titles, "every page once, in slug order, the internal one left out");
    assert_eq!(calls, 3, "six pages, two a call");
    let help = a.ok(json!({"op": "wiki_pages", "namespace": "help"})).await;
    let help: Vec<&str> = help["pages"].as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(help, ["Help:Billing", "Help:Start"]);
    let main = a.ok(json!({"op": "wiki_pages", "namespace": ""})).await;
    assert_eq!(main["pages"].as_array().unwrap().len(), 4, "{main}");
    // Pages are many: list_streams leaves them to wiki_pages.
    for c in [&mut a, &mut g] {
        let listed = c.ok(json!({"op": "list_streams"})).await;
        assert!(!listed.to_string().contains("wk_"), "{listed}");
    }
    let internal = g.ok(json!({"op": "wiki_pages", "namespace": "Internal"})).await;
    assert_eq!(internal["pages"][0]["stream"], json!(secret), "{internal}");
}
