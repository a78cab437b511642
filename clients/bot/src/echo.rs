//! The echo bot's logic, shared by `examples/echo_bot.rs` and the tests:
//! follow every public channel (joining it) and every stream the bot is a
//! member of, and answer each message that mentions the bot with
//! `echo: <text>`, as a reply to it. Never answers its own messages.

use crate::{Bot, BotEvent, Error};
use agora_protocol::{Event, EventBody, Push, StreamKind, UserId};

/// The reply to `ev` for a bot called `me`, if it deserves one.
pub fn echo_reply(me: &UserId, ev: &Event) -> Option<String> {
    match &ev.body {
        EventBody::MessagePosted { text, mentions, .. } if ev.author != *me && mentions.contains(me) => {
            Some(format!("echo: {text}"))
        }
        _ => None,
    }
}

/// Join and follow streams, then answer mentions until the bot is closed.
pub async fn run(bot: &Bot) -> Result<(), Error> {
    let me = bot.whoami().await?.user.id;
    for s in bot.list_streams().await? {
        if s.kind == StreamKind::Channel && !s.member {
            bot.join(&s.id).await?;
        }
        if s.kind == StreamKind::Channel || s.member {
            bot.subscribe(&s.id, None).await?;
        }
    }
    while let Some(ev) = bot.next_event().await {
        match ev {
            BotEvent::Event(ev) => {
                if let Some(text) = echo_reply(&me, &ev) {
                    if let Err(e) = bot.post_with(&ev.stream, &text, Some(ev.seq)).await {
                        eprintln!("echo: could not answer in {}: {e}", ev.stream);
                    }
                    let _ = bot.mark_read(&ev.stream, ev.seq).await;
                }
            }
            BotEvent::Push(Push::StreamAdded { stream }) => {
                // Invited, or a new DM: follow it from its start.
                let _ = bot.subscribe(&stream.id, Some(agora_protocol::Seq(0))).await;
            }
            BotEvent::Disconnected { retry_in: None, code, reason } => {
                return Err(Error::Closed(format!("{code} {reason}")));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_protocol::Seq;

    fn posted(author: &str, text: &str, mentions: &[&str]) -> Event {
        Event {
            stream: "ch_x".into(),
            seq: Seq(7),
            at: 0,
            author: author.into(),
            idem: None,
            body: EventBody::MessagePosted {
                text: text.into(),
                reply_to: None,
                mentions: mentions.iter().map(|m| UserId::from(*m)).collect(),
                attachments: vec![],
            },
        }
    }

    #[test]
    fn answers_mentions_only_and_never_itself() {
        let me = UserId::from("echo");
        assert_eq!(echo_reply(&me, &posted("ann", "hi @echo", &["echo"])), Some("echo: hi @echo".into()));
        assert_eq!(echo_reply(&me, &posted("ann", "hi all", &[])), None);
        assert_eq!(echo_reply(&me, &posted("echo", "echo: hi @echo", &["echo"])), None);
    }
}
