//! Starts the real server in-process and checks that the echo bot answers a mention.

use agora_bot::{Bot, BotEvent, Encoding};
use agora_protocol::ops::{Op, StreamInfoOk};
use agora_protocol::{EventBody, ServerFrame, StreamId, UserId};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const ADMIN_PASSWORD: &str = "admin-password-for-bot-tests";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_bot_replies_to_a_mention() {
    let dir = tempfile::tempdir().unwrap();
    let config = agora::config::Config {
        data: dir.path().to_path_buf(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        ..Default::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = agora::Shutdown::new();
    let server = tokio::spawn(agora::run(config, listener, shutdown.clone()));

    let http = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.map(|r| r.status().is_success()).unwrap_or(false) {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(healthy, "server did not start");

    // An admin creates a person and a bot account with an API token.
    let admin = Bot::login(&base, "admin", ADMIN_PASSWORD).await.unwrap().token;
    let create =
        |body: serde_json::Value| http.post(format!("{base}/api/v1/users")).bearer_auth(&admin).json(&body).send();
    assert!(create(json!({"username": "ann", "password": "ann-password-1"})).await.unwrap().status().is_success());
    assert!(create(json!({"username": "echo", "role": "bot"})).await.unwrap().status().is_success());
    let tok: serde_json::Value = http
        .post(format!("{base}/api/v1/users/echo/tokens"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bot_token = tok["token"].as_str().unwrap().to_owned();

    // Ann opens a channel before the bot starts; the bot must join it by itself.
    let ann_token = Bot::login(&base, "ann", "ann-password-1").await.unwrap().token;
    let ann = Bot::connect(&base, &ann_token, Encoding::Json).await.unwrap();
    let info: StreamInfoOk = ServerFrame::ok_as(
        ann.request(Op::CreateChannel { name: "lobby".into(), topic: String::new(), private: false, members: vec![] })
            .await
            .unwrap(),
    )
    .unwrap();
    let lobby: StreamId = info.id;

    // The bot speaks MessagePack, to cover both encodings.
    let bot = Arc::new(Bot::connect(&base, &bot_token, Encoding::MsgPack).await.unwrap());
    let runner = {
        let bot = bot.clone();
        tokio::spawn(async move { agora_bot::echo::run(&bot).await })
    };
    let echo = UserId::from("echo");
    let mut joined = false;
    for _ in 0..200 {
        if ann.stream_info(&lobby).await.unwrap().members.contains(&echo) {
            joined = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(joined, "echo bot did not join #lobby");

    ann.subscribe(&lobby, None).await.unwrap();
    ann.post(&lobby, "no mention here").await.unwrap();
    let asked = ann.post(&lobby, "ping @echo please").await.unwrap();

    let reply = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ann.next_event().await.expect("ann's events ended") {
                // Only the bot's messages: its own `member_joined` may still arrive live,
                // since stream_info shows a join a moment before it is committed.
                BotEvent::Event(ev) if ev.author == echo && matches!(ev.body, EventBody::MessagePosted { .. }) => {
                    return ev
                }
                _ => {}
            }
        }
    })
    .await
    .expect("no echo within 10 s");
    match reply.body {
        EventBody::MessagePosted { text, reply_to, .. } => {
            assert_eq!(text, "echo: ping @echo please");
            assert_eq!(reply_to, Some(asked.seq));
        }
        other => panic!("unexpected event {other:?}"),
    }
    // Only the mention was answered: the bot's reply directly follows it
    // (the unmentioned post came before), and nothing else from the bot arrives.
    assert_eq!(reply.seq.0, asked.seq.0 + 1);
    let extra = tokio::time::timeout(Duration::from_millis(500), async {
        loop {
            if let Some(BotEvent::Event(ev)) = ann.next_event().await {
                if ev.author == echo && matches!(ev.body, EventBody::MessagePosted { .. }) {
                    return ev;
                }
            }
        }
    })
    .await;
    assert!(extra.is_err(), "the bot answered more than once: {extra:?}");

    bot.close();
    let _ = tokio::time::timeout(Duration::from_secs(5), runner).await;
    ann.close();
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(15), server).await;
}
