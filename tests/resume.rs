//! Subscribe and resume (PROTOCOL.md §7) and history paging (§8).

mod common;
use agora_protocol::Event;
use common::*;
use serde_json::json;
use std::time::Duration;

fn no_rate_limits(cfg: &mut agora::config::Config) {
    cfg.limits.rate.post_per_sec = 100_000;
    cfg.limits.rate.post_burst = 100_000;
    cfg.limits.rate.read_per_sec = 100_000;
    cfg.limits.rate.read_burst = 100_000;
}

#[tokio::test]
async fn resume_after_disconnect_gets_exactly_the_missed_events_then_live_ones() {
    let srv = TestServer::start().await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "resume", &mut [&mut bob]).await;
    let epoch = bob.epoch().await;
    let sub = bob.subscribe(&ch, Some(0), Some(&epoch)).await.unwrap();
    let head = sub["head"].as_u64().unwrap();
    let first = bob.events_until(&ch, head).await;
    assert_eq!(seqs(&first), (1..=head).collect::<Vec<_>>());
    for i in 0..3 {
        ann.post(&ch, &format!("seen {i}")).await;
    }
    let seen = bob.events_until(&ch, head + 3).await;
    let last_seen = seen.last().unwrap().seq.0;
    assert_eq!(last_seen, head + 3);
    drop(bob);

    let mut missed = Vec::new();
    for i in 0..7 {
        missed.push(ann.post(&ch, &format!("missed {i}")).await);
    }
    let mut bob = srv.connect(&bob_t).await;
    let sub = bob.subscribe(&ch, Some(last_seen), Some(&epoch)).await.unwrap();
    assert_eq!(sub["recovered"], json!(true));
    assert_eq!(sub["epoch"], json!(epoch));
    assert_eq!(sub["head"].as_u64(), missed.last().copied());
    let replay = bob.events_until(&ch, *missed.last().unwrap()).await;
    assert_eq!(seqs(&replay), missed, "exactly the missed events, in order");
    let texts: Vec<&str> = replay.iter().map(text_of).collect();
    assert_eq!(texts, (0..7).map(|i| format!("missed {i}")).collect::<Vec<_>>());
    let live = ann.post(&ch, "live").await;
    let ev = bob.next_event().await;
    assert_eq!((ev.seq.0, text_of(&ev)), (live, "live"), "live events follow the replay seamlessly");
}

/// Collect a stream's event pushes on `sub` until `final_seq` (sent by the publishers when
/// done) has been seen. Re-subscribes at the given counts of received events, with `since`
/// chosen by `since_for(last_seen)`. Checks each subscription's guarantee: after its reply,
/// strictly consecutive seqs starting at its `since + 1`.
async fn collect_with_resubscribes(
    sub: &mut Client,
    stream: &str,
    epoch: &str,
    resubscribe_at: &[usize],
    mut since_for: impl FnMut(u64) -> u64,
    mut final_rx: tokio::sync::watch::Receiver<Option<u64>>,
) -> Vec<u64> {
    let r = sub.subscribe(stream, Some(0), Some(epoch)).await.unwrap();
    assert_eq!(r["recovered"], json!(true));
    // The current subscription's expected next seq.
    let mut expect = 1u64;
    let mut received = 0usize;
    let mut last_seen = 0u64;
    let mut pending_resub = resubscribe_at.iter().copied().peekable();
    let mut all = Vec::new();
    // Once the publishers are done their sender is dropped; from then on only events matter.
    let mut publisher_done = false;
    let check = |ev: &Event, expect: &mut u64, last_seen: &mut u64| {
        assert_eq!(ev.seq.0, *expect, "gap or duplicate within one subscription");
        *expect += 1;
        *last_seen = ev.seq.0;
    };
    loop {
        if let Some(f) = *final_rx.borrow() {
            if last_seen >= f {
                assert_eq!(last_seen, f);
                return all;
            }
        }
        if pending_resub.peek() == Some(&received) {
            pending_resub.next();
            // Pushes already buffered, and those that arrive before the new reply, belong to
            // the old subscription.
            for ev in sub.take_events(stream) {
                check(&ev, &mut expect, &mut last_seen);
                all.push(ev.seq.0);
            }
            let since = since_for(last_seen);
            let r = sub.subscribe(stream, Some(since), Some(epoch)).await.unwrap();
            assert!(r["head"].as_u64().unwrap() >= last_seen);
            for ev in sub.take_events(stream) {
                check(&ev, &mut expect, &mut last_seen);
                all.push(ev.seq.0);
            }
            expect = since + 1;
            continue;
        }
        tokio::select! {
            ev = sub.next_event() => {
                if ev.stream.0 == stream {
                    check(&ev, &mut expect, &mut last_seen);
                    all.push(ev.seq.0);
                    received += 1;
                }
            }
            r = final_rx.changed(), if !publisher_done => { publisher_done = r.is_err(); }
        }
    }
}

/// Start `publishers` users each posting `per_publisher` messages sequentially (as fast as
/// acks come); the max acked seq is sent on the returned channel when all are done.
async fn publish_in_background(
    srv: &TestServer,
    stream: &str,
    tokens: Vec<String>,
    per_publisher: usize,
) -> tokio::sync::watch::Receiver<Option<u64>> {
    let (tx, rx) = tokio::sync::watch::channel(None);
    let mut clients = Vec::new();
    for t in &tokens {
        let mut c = srv.connect(t).await;
        c.ok(json!({"op": "join", "stream": stream})).await;
        clients.push(c);
    }
    let stream = stream.to_owned();
    tokio::spawn(async move {
        let tasks: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                let stream = stream.clone();
                tokio::spawn(async move {
                    let mut last = 0;
                    for n in 0..per_publisher {
                        last = c.post(&stream, &format!("p{i} #{n}")).await;
                    }
                    last
                })
            })
            .collect();
        let mut max = 0;
        for t in tasks {
            max = max.max(t.await.unwrap());
        }
        tx.send(Some(max)).unwrap();
    });
    rx
}

async fn prefilled_stream(srv: &TestServer, owner: &mut Client, n: usize) -> String {
    let ch = owner.create_channel("busy").await;
    let texts: Vec<String> = (0..n).map(|i| format!("backlog {i}")).collect();
    for chunk in texts.chunks(500) {
        owner.post_many(&ch, chunk).await;
    }
    let _ = srv;
    ch
}

#[tokio::test]
async fn events_appended_during_a_replay_are_neither_lost_nor_duplicated() {
    let srv = TestServer::start_with(no_rate_limits).await;
    let owner_t = srv.user("owner").await;
    let mut owner = srv.connect(&owner_t).await;
    let ch = prefilled_stream(&srv, &mut owner, 2000).await;
    let mut pubs = Vec::new();
    for i in 0..3 {
        pubs.push(srv.user(&format!("pub{i}")).await);
    }
    let reader_t = srv.user("reader").await;
    let mut reader = srv.connect(&reader_t).await;
    let epoch = reader.epoch().await;
    let final_rx = publish_in_background(&srv, &ch, pubs, 100).await;
    let all = collect_with_resubscribes(&mut reader, &ch, &epoch, &[], |s| s, final_rx.clone()).await;
    let f = final_rx.borrow().unwrap();
    assert!(f > 2000 + 300, "final seq {f}");
    assert_eq!(all, (1..=f).collect::<Vec<_>>(), "every seq exactly once, in order");
}

#[tokio::test]
async fn resubscribing_mid_stream_during_appends_keeps_the_guarantee() {
    let srv = TestServer::start_with(no_rate_limits).await;
    let owner_t = srv.user("owner").await;
    let mut owner = srv.connect(&owner_t).await;
    let ch = prefilled_stream(&srv, &mut owner, 2000).await;
    let mut pubs = Vec::new();
    for i in 0..3 {
        pubs.push(srv.user(&format!("pub{i}")).await);
    }
    let reader_t = srv.user("reader").await;
    let mut reader = srv.connect(&reader_t).await;
    let epoch = reader.epoch().await;
    let final_rx = publish_in_background(&srv, &ch, pubs, 100).await;
    // Resume from the last seen seq, from 50 back, and from the very start.
    let points = [500, 1200, 1700, 2100];
    let mut n = 0;
    let sinces = move |last: u64| {
        n += 1;
        match n {
            1 => last,
            2 => last.saturating_sub(50),
            3 => 0,
            _ => last,
        }
    };
    let all = collect_with_resubscribes(&mut reader, &ch, &epoch, &points, sinces, final_rx.clone()).await;
    let f = final_rx.borrow().unwrap();
    // Overall, after dropping re-deliveries by seq (the reconnect recipe), nothing is missing.
    let mut dedup = all.clone();
    dedup.sort_unstable();
    dedup.dedup();
    assert_eq!(dedup, (1..=f).collect::<Vec<_>>());
    assert_eq!(*all.last().unwrap(), f);
}

#[tokio::test]
async fn fresh_subscribers_joining_during_appends_see_every_event_once() {
    let srv = TestServer::start_with(no_rate_limits).await;
    let owner_t = srv.user("owner").await;
    let mut owner = srv.connect(&owner_t).await;
    let ch = prefilled_stream(&srv, &mut owner, 300).await;
    let mut pubs = Vec::new();
    for i in 0..2 {
        pubs.push(srv.user(&format!("pub{i}")).await);
    }
    let reader_t = srv.user("reader").await;
    let final_rx = publish_in_background(&srv, &ch, pubs, 150).await;
    // Several connections subscribe (live only, and from a recent seq) while posts land.
    let mut tasks = Vec::new();
    for i in 0..6u64 {
        let mut c = srv.connect(&reader_t).await;
        let ch = ch.clone();
        let mut final_rx = final_rx.clone();
        tasks.push(tokio::spawn(async move {
            let since = if i % 2 == 0 { None } else { Some(200) };
            let r = c.subscribe(&ch, since, None).await.unwrap();
            let head = r["head"].as_u64().unwrap();
            let mut expect = since.unwrap_or(head) + 1;
            // Once the publisher is done its sender is dropped; from then on only events matter.
            let mut publisher_done = false;
            loop {
                if let Some(f) = *final_rx.borrow() {
                    if expect > f {
                        return;
                    }
                }
                tokio::select! {
                    ev = c.next_event() => {
                        assert_eq!(ev.seq.0, expect, "subscriber {i} (since {since:?}, head {head})");
                        expect += 1;
                    }
                    r = final_rx.changed(), if !publisher_done => { publisher_done = r.is_err(); }
                }
            }
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(60), t).await.expect("subscriber finished").unwrap();
    }
}

#[tokio::test]
async fn epoch_mismatch_answers_recovered_false_and_replays_nothing() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("epochs").await;
    for i in 0..4 {
        ann.post(&ch, &format!("m{i}")).await;
    }
    let epoch = ann.epoch().await;
    // since is ignored with a foreign epoch, even when it is past the head.
    for since in [1, 999_999] {
        let r = ann.subscribe(&ch, Some(since), Some("not-the-epoch")).await.unwrap();
        assert_eq!(r["recovered"], json!(false));
        assert_eq!(r["epoch"], json!(epoch), "the reply carries the current epoch");
        let head = r["head"].as_u64().unwrap();
        let info = ann.ok(json!({"op": "stream_info", "stream": ch})).await;
        assert_eq!(info["head"].as_u64(), Some(head));
        // Our own post's event is queued before its ack: anything replayed would precede it.
        let live = ann.post(&ch, "after").await;
        let events = ann.events_until(&ch, live).await;
        assert_eq!(seqs(&events), vec![head + 1], "nothing replayed; live from head+1");
    }
    // A matching epoch replays.
    let r = ann.subscribe(&ch, Some(5), Some(&epoch)).await.unwrap();
    assert_eq!((r["recovered"].as_bool(), r["head"].as_u64()), (Some(true), Some(7)));
    let events = ann.events_until(&ch, 7).await;
    assert_eq!(seqs(&events), vec![6, 7]);
}

#[tokio::test]
async fn since_past_the_head_is_bad_request_and_keeps_the_old_subscription() {
    let srv = TestServer::start().await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("ahead").await;
    let head = ann.post(&ch, "one").await;
    let epoch = ann.epoch().await;
    ann.subscribe(&ch, None, None).await.unwrap();
    for ep in [Some(epoch.as_str()), None] {
        let e = ann.subscribe(&ch, Some(head + 1), ep).await.unwrap_err();
        assert_eq!(e.code.as_str(), "bad_request", "{e:?}");
    }
    let live = ann.post(&ch, "two").await;
    let ev = ann.next_event().await;
    assert_eq!(ev.seq.0, live, "the earlier subscription is still in place");
    // since == head replays nothing.
    ann.subscribe(&ch, Some(live), Some(&epoch)).await.unwrap();
    let next = ann.post(&ch, "three").await;
    assert_eq!(seqs(&ann.events_until(&ch, next).await), vec![next]);
}

#[tokio::test]
async fn too_far_behind_when_the_replay_would_exceed_the_limit() {
    let srv = TestServer::start_with(|c| c.limits.replay_limit = 5).await;
    let (ann_t, bob_t) = (srv.user("ann").await, srv.user("bob").await);
    let mut ann = srv.connect(&ann_t).await;
    let mut bob = srv.connect(&bob_t).await;
    let ch = srv.channel(&mut ann, "far", &mut [&mut bob]).await;
    for i in 0..8 {
        ann.post(&ch, &format!("m{i}")).await;
    }
    let head = 10; // created, joined, 8 posts
    let epoch = bob.epoch().await;
    let e = bob.subscribe(&ch, Some(0), Some(&epoch)).await.unwrap_err();
    assert_eq!(e.code.as_str(), "too_far_behind");
    assert_eq!(e.head, Some(head));
    let e = bob.subscribe(&ch, Some(head - 6), Some(&epoch)).await.unwrap_err();
    assert_eq!((e.code.as_str(), e.head), ("too_far_behind", Some(head)));
    // Nothing was subscribed: bob's own post's event would arrive before its ack.
    let s = bob.post(&ch, "unsubscribed").await;
    assert!(bob.take_events(&ch).is_empty(), "a failed subscribe must not deliver events");
    // Exactly at the limit is fine.
    let r = bob.subscribe(&ch, Some(s - 5), Some(&epoch)).await.unwrap();
    assert_eq!(r["head"].as_u64(), Some(s));
    assert_eq!(seqs(&bob.events_until(&ch, s).await), ((s - 4)..=s).collect::<Vec<_>>());
}

#[tokio::test]
async fn history_pages_backwards_and_forwards_with_more() {
    let srv = TestServer::start_with(no_rate_limits).await;
    let ann_t = srv.user("ann").await;
    let mut ann = srv.connect(&ann_t).await;
    let ch = ann.create_channel("pages").await;
    for i in 0..24 {
        ann.post(&ch, &format!("m{i}")).await;
    }
    let head = 25u64;
    let page_seqs = |v: &serde_json::Value| -> Vec<u64> {
        v["events"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect()
    };
    // Backwards from the head.
    let mut got: Vec<u64> = Vec::new();
    let mut before: Option<u64> = None;
    loop {
        let mut op = json!({"op": "history", "stream": ch, "limit": 10});
        if let Some(b) = before {
            op["before"] = json!(b);
        }
        let p = ann.ok(op).await;
        assert_eq!(p["head"].as_u64(), Some(head));
        let s = page_seqs(&p);
        assert!(s.windows(2).all(|w| w[1] == w[0] + 1), "ascending and consecutive: {s:?}");
        let more = p["more"].as_bool().unwrap();
        assert_eq!(more, s[0] > 1, "more says whether older events exist: {s:?}");
        got.splice(0..0, s.iter().copied());
        before = Some(s[0]);
        if !more {
            break;
        }
    }
    assert_eq!(got, (1..=head).collect::<Vec<_>>());
    // Forwards from the start.
    let mut got: Vec<u64> = Vec::new();
    let mut after = 0;
    loop {
        let p = ann.ok(json!({"op": "history", "stream": ch, "after": after, "limit": 10})).await;
        let s = page_seqs(&p);
        let more = p["more"].as_bool().unwrap();
        assert_eq!(more, *s.last().unwrap() < head, "{s:?}");
        got.extend(&s);
        after = *s.last().unwrap();
        if !more {
            break;
        }
    }
    assert_eq!(got, (1..=head).collect::<Vec<_>>());
    // At the head: empty page, no more.
    let p = ann.ok(json!({"op": "history", "stream": ch, "after": head})).await;
    assert_eq!((page_seqs(&p).len(), p["more"].as_bool()), (0, Some(false)));
    // before above head+1 is treated as head+1.
    let p = ann.ok(json!({"op": "history", "stream": ch, "before": 1000, "limit": 3})).await;
    assert_eq!(page_seqs(&p), vec![23, 24, 25]);
    // Bad arguments.
    for op in [
        json!({"op": "history", "stream": ch, "before": 5, "after": 1}),
        json!({"op": "history", "stream": ch, "limit": 0}),
        json!({"op": "history", "stream": ch, "limit": 201}),
    ] {
        assert_eq!(ann.request(op.clone()).await.unwrap_err().code.as_str(), "bad_request", "{op}");
    }
}
