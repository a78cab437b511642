//! Property tests: every wire type survives JSON and MessagePack, and a
//! transcoding between them (a JSON value re-encoded as MessagePack, and back),
//! as the server's own encoders write it and the decoders read it.
//!
//! Covered: requests (every `Op`), events (every `EventBody`), pushes (every
//! `Push`), replies (every `ok` payload type and error bodies). Strings are
//! arbitrary Unicode (newlines, quotes, NULs), integers span all of `u64`.

use agora_protocol::attachment::Attachment;
use agora_protocol::codec::{decode, decode_request, decode_server_frame, encode};
use agora_protocol::error::{ErrorBody, ErrorCode};
use agora_protocol::event::{Event, EventBody, StreamKind};
use agora_protocol::feed::{FeedItem, FeedOk, FeedReason};
use agora_protocol::ids::{Seq, StreamId, UserId};
use agora_protocol::moderation::{
    AuditAction, AuditEntry, AuditLogOk, AuditRecord, FlagInfo, FlagReason, ReviewDecision, ReviewItem, ReviewQueueOk,
    WatchAction, WatchedWord, WatchedWordsOk,
};
use agora_protocol::ops::*;
use agora_protocol::push::{OkBody, Push, Reply, ServerFrame};
use agora_protocol::ticket::{FieldValue, Priority, TicketChanges, TicketStatus};
use agora_protocol::Encoding;
use proptest::collection::vec;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z@ \n\"\\\\]{0,12}"]
}
fn sid() -> impl Strategy<Value = StreamId> {
    text().prop_map(StreamId)
}
fn uid() -> impl Strategy<Value = UserId> {
    text().prop_map(UserId)
}
fn seq() -> impl Strategy<Value = Seq> {
    any::<u64>().prop_map(Seq)
}
fn users() -> impl Strategy<Value = Vec<UserId>> {
    vec(uid(), 0..3)
}
fn attachments() -> impl Strategy<Value = Vec<Attachment>> {
    let one =
        (text(), text(), text(), any::<u64>(), proptest::option::of(any::<u32>()), proptest::option::of(any::<u32>()))
            .prop_map(|(hash, name, mime, size, width, height)| Attachment { hash, name, mime, size, width, height });
    vec(one, 0..3)
}
fn kind() -> impl Strategy<Value = StreamKind> {
    prop_oneof![
        Just(StreamKind::Channel),
        Just(StreamKind::PrivateChannel),
        Just(StreamKind::Dm),
        Just(StreamKind::Feed),
        Just(StreamKind::Ticket),
        Just(StreamKind::WikiPage),
        Just(StreamKind::WikiChanges)
    ]
}
fn ticket_status() -> impl Strategy<Value = TicketStatus> {
    prop_oneof![
        Just(TicketStatus::New),
        Just(TicketStatus::Open),
        Just(TicketStatus::Pending),
        Just(TicketStatus::OnHold),
        Just(TicketStatus::Solved),
        Just(TicketStatus::Closed)
    ]
}
fn priority() -> impl Strategy<Value = Priority> {
    prop_oneof![Just(Priority::Low), Just(Priority::Normal), Just(Priority::High), Just(Priority::Urgent)]
}
/// Ticket field changes; numbers are whole (they go through JSON as written).
fn changes() -> impl Strategy<Value = Box<TicketChanges>> {
    let value = prop_oneof![
        text().prop_map(FieldValue::Text),
        any::<i32>().prop_map(|n| FieldValue::Number(f64::from(n))),
        text().prop_map(FieldValue::Choice),
    ];
    (
        proptest::option::of(ticket_status()),
        proptest::option::of(priority()),
        proptest::option::of(uid()),
        any::<bool>(),
        vec(text(), 0..3),
        proptest::collection::btree_map(text(), value, 0..3),
        proptest::option::of(text()),
    )
        .prop_map(|(status, priority, assignee, unassign, add_tags, fields, custom_status)| {
            Box::new(TicketChanges {
                status,
                priority,
                assignee,
                unassign,
                add_tags,
                fields,
                custom_status,
                ..TicketChanges::default()
            })
        })
}
fn status() -> impl Strategy<Value = PresenceStatus> {
    prop_oneof![
        Just(PresenceStatus::Online),
        Just(PresenceStatus::Away),
        Just(PresenceStatus::Dnd),
        Just(PresenceStatus::Offline)
    ]
}
fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Member),
        Just(Role::Agent),
        Just(Role::Moderator),
        Just(Role::Admin),
        Just(Role::Bot),
        Just(Role::Visitor)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        text().prop_map(|token| Op::Auth { token }),
        Just(Op::Ping {}),
        Just(Op::Whoami {}),
        Just(Op::ListStreams {}),
        sid().prop_map(|stream| Op::StreamInfo { stream }),
        (text(), text(), any::<bool>(), users()).prop_map(|(name, topic, private, members)| Op::CreateChannel {
            name,
            topic,
            private,
            members
        }),
        users().prop_map(|users| Op::OpenDm { users }),
        sid().prop_map(|stream| Op::Join { stream }),
        sid().prop_map(|stream| Op::Leave { stream }),
        (sid(), uid()).prop_map(|(stream, user)| Op::Invite { stream, user }),
        (sid(), text()).prop_map(|(stream, name)| Op::Rename { stream, name }),
        (sid(), text()).prop_map(|(stream, topic)| Op::SetTopic { stream, topic }),
        (sid(), text(), proptest::option::of(seq()), proptest::option::of(text()), attachments()).prop_map(
            |(stream, text, reply_to, idem, attachments)| Op::Post { stream, text, reply_to, idem, attachments }
        ),
        (sid(), seq(), text()).prop_map(|(stream, target, text)| Op::Edit { stream, target, text }),
        (sid(), seq(), text()).prop_map(|(stream, target, reason)| Op::Delete { stream, target, reason }),
        (sid(), seq(), text()).prop_map(|(stream, target, emoji)| Op::React { stream, target, emoji }),
        (sid(), seq(), text()).prop_map(|(stream, target, emoji)| Op::Unreact { stream, target, emoji }),
        (sid(), seq(), text()).prop_map(|(stream, target, reason)| Op::Hide { stream, target, reason }),
        (sid(), seq()).prop_map(|(stream, target)| Op::Unhide { stream, target }),
        (sid(), proptest::option::of(seq()), proptest::option::of(text()))
            .prop_map(|(stream, since, epoch)| Op::Subscribe { stream, since, epoch }),
        sid().prop_map(|stream| Op::Unsubscribe { stream }),
        (sid(), proptest::option::of(seq()), proptest::option::of(seq()), proptest::option::of(any::<u32>()))
            .prop_map(|(stream, before, after, limit)| Op::History { stream, before, after, limit }),
        (sid(), seq()).prop_map(|(stream, seq)| Op::MarkRead { stream, seq }),
        status().prop_map(|status| Op::SetPresence { status }),
        sid().prop_map(|stream| Op::Typing { stream }),
        Just(Op::Feed {}),
        (vec(seq(), 0..3), any::<bool>()).prop_map(|(items, all)| Op::FeedMarkRead { items, all }),
        (uid(), any::<u64>(), text()).prop_map(|(user, minutes, reason)| Op::Mute { user, minutes, reason }),
        (uid(), text()).prop_map(|(user, reason)| Op::Unmute { user, reason }),
        (sid(), any::<u32>(), text()).prop_map(|(stream, seconds, reason)| Op::SlowMode { stream, seconds, reason }),
        (sid(), any::<bool>(), text()).prop_map(|(stream, locked, reason)| Op::Lock { stream, locked, reason }),
        (
            proptest::option::of(uid()),
            proptest::option::of(text()),
            proptest::option::of(seq()),
            proptest::option::of(any::<u32>())
        )
            .prop_map(|(actor, target, before, limit)| Op::AuditLog { actor, target, before, limit }),
        (sid(), seq(), flag_reason(), text()).prop_map(|(stream, target, reason, text)| Op::Flag {
            stream,
            target,
            reason,
            text
        }),
        Just(Op::ReviewQueue {}),
        (seq(), decision(), text()).prop_map(|(item, decision, reason)| Op::Review { item, decision, reason }),
        Just(Op::WatchedWords {}),
        (text(), watch_action()).prop_map(|(pattern, action)| Op::WatchWord { pattern, action }),
        text().prop_map(|pattern| Op::UnwatchWord { pattern }),
        (text(), text(), changes()).prop_map(|(subject, text, changes)| Op::OpenTicket { subject, text, changes }),
        (sid(), any::<u64>(), changes()).prop_map(|(stream, version, changes)| Op::UpdateTicket {
            stream,
            version,
            changes
        }),
        (sid(), text()).prop_map(|(stream, text)| Op::AddNote { stream, text }),
        sid().prop_map(|stream| Op::TicketInfo { stream }),
        (sid(), any::<u8>(), text()).prop_map(|(stream, score, comment)| Op::RateTicket { stream, score, comment }),
        (sid(), any::<u64>(), sid()).prop_map(|(stream, version, into)| Op::MergeTicket { stream, version, into }),
        wiki_op(),
    ]
}

fn protect_level() -> impl Strategy<Value = agora_protocol::wiki::ProtectLevel> {
    use agora_protocol::wiki::ProtectLevel;
    prop_oneof![Just(ProtectLevel::None), Just(ProtectLevel::Semi), Just(ProtectLevel::Full)]
}

fn wiki_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (text(), proptest::option::of(seq()), any::<bool>()).prop_map(|(page, rev, render)| Op::WikiGet {
            page,
            rev,
            render
        }),
        (text(), proptest::option::of(seq()), text(), text(), any::<bool>())
            .prop_map(|(page, base, text, summary, minor)| Op::WikiSave { page, base, text, summary, minor }),
        (text(), seq(), seq()).prop_map(|(page, from, to)| Op::WikiDiff { page, from, to }),
        (text(), uid()).prop_map(|(page, user)| Op::WikiRollback { page, user }),
        text().prop_map(|page| Op::WikiTalk { page }),
        (text(), protect_level(), any::<bool>(), text(), proptest::option::of(any::<u64>()))
            .prop_map(|(page, edit, rename, reason, expires)| Op::WikiProtect { page, edit, rename, reason, expires }),
        (proptest::option::of(uid()), proptest::option::of(text()), proptest::option::of(seq()))
            .prop_map(|(user, namespace, before)| Op::WikiRecent { user, namespace, before, limit: None }),
    ]
}

fn flag_reason() -> impl Strategy<Value = FlagReason> {
    prop_oneof![
        Just(FlagReason::OffTopic),
        Just(FlagReason::Inappropriate),
        Just(FlagReason::Spam),
        Just(FlagReason::Other)
    ]
}

fn decision() -> impl Strategy<Value = ReviewDecision> {
    prop_oneof![
        Just(ReviewDecision::AgreeHide),
        Just(ReviewDecision::AgreeDelete),
        Just(ReviewDecision::Disagree),
        Just(ReviewDecision::Ignore),
        Just(ReviewDecision::Approve),
        Just(ReviewDecision::Reject)
    ]
}

fn watch_action() -> impl Strategy<Value = WatchAction> {
    prop_oneof![
        Just(WatchAction::Block),
        Just(WatchAction::Censor),
        Just(WatchAction::RequireApproval),
        Just(WatchAction::Flag)
    ]
}

fn audit_entry() -> impl Strategy<Value = AuditEntry> {
    let action = prop_oneof![
        Just(AuditAction::Hide),
        Just(AuditAction::Mute),
        Just(AuditAction::SlowMode),
        Just(AuditAction::FlagAgreed),
        Just(AuditAction::RoleChanged),
    ];
    (
        action,
        uid(),
        proptest::option::of(uid()),
        proptest::option::of(sid()),
        proptest::option::of(seq()),
        text(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(text()),
        text(),
    )
        .prop_map(|(action, actor, target_user, stream, seq, reason, until, reverse, detail)| AuditEntry {
            action,
            actor,
            target_user,
            stream,
            seq,
            reason,
            until,
            reverse,
            detail,
        })
}

fn feed_item() -> impl Strategy<Value = FeedItem> {
    let reason = prop_oneof![
        Just(FeedReason::Mention),
        Just(FeedReason::Reply),
        Just(FeedReason::Quote),
        Just(FeedReason::Like),
        Just(FeedReason::Watched),
        Just(FeedReason::Dm),
        Just(FeedReason::Ticket),
        Just(FeedReason::WikiEdit),
        Just(FeedReason::FlagOutcome),
    ];
    (reason, sid(), seq(), uid(), text(), text(), any::<u32>(), text()).prop_map(
        |(reason, source, source_seq, actor, excerpt, title, others, detail)| FeedItem {
            reason,
            source,
            source_seq,
            actor,
            excerpt,
            title,
            others,
            detail,
        },
    )
}

fn body() -> impl Strategy<Value = EventBody> {
    prop_oneof![
        (kind(), text(), text(), users()).prop_map(|(kind, name, topic, members)| EventBody::StreamCreated {
            kind,
            name,
            topic,
            members
        }),
        text().prop_map(|name| EventBody::StreamRenamed { name }),
        text().prop_map(|topic| EventBody::TopicSet { topic }),
        uid().prop_map(|user| EventBody::MemberJoined { user }),
        uid().prop_map(|user| EventBody::MemberLeft { user }),
        uid().prop_map(|user| EventBody::MemberInvited { user }),
        (text(), proptest::option::of(seq()), users(), attachments()).prop_map(
            |(text, reply_to, mentions, attachments)| {
                EventBody::MessagePosted { text, reply_to, mentions, attachments }
            }
        ),
        (seq(), text(), users()).prop_map(|(target, text, mentions)| EventBody::MessageEdited {
            target,
            text,
            mentions
        }),
        seq().prop_map(|target| EventBody::MessageDeleted { target }),
        seq().prop_map(|deleted_by| EventBody::Tombstone { deleted_by }),
        (seq(), text()).prop_map(|(target, emoji)| EventBody::ReactionAdded { target, emoji }),
        (seq(), text()).prop_map(|(target, emoji)| EventBody::ReactionRemoved { target, emoji }),
        (seq(), uid(), text()).prop_map(|(target, message_author, reason)| EventBody::MessageHidden {
            target,
            message_author,
            reason
        }),
        seq().prop_map(|target| EventBody::MessageUnhidden { target }),
        feed_item().prop_map(|item| EventBody::FeedItem { item }),
        (vec(seq(), 0..3), proptest::option::of(seq())).prop_map(|(items, up_to)| EventBody::FeedRead { items, up_to }),
        (any::<u32>(), text()).prop_map(|(seconds, reason)| EventBody::SlowModeSet { seconds, reason }),
        (any::<bool>(), text()).prop_map(|(locked, reason)| EventBody::StreamLocked { locked, reason }),
        audit_entry().prop_map(|entry| EventBody::AuditEntry { entry }),
        (sid(), seq(), uid(), uid(), flag_reason(), text(), text(), any::<bool>()).prop_map(
            |(source, target, message_author, by, reason, text, excerpt, hides)| EventBody::Flagged {
                source,
                target,
                message_author,
                by,
                reason,
                text,
                excerpt,
                hides
            }
        ),
        (sid(), uid(), text(), proptest::option::of(seq())).prop_map(|(source, poster, text, reply_to)| {
            EventBody::Held { source, poster, text, reply_to, attachments: Vec::new() }
        }),
        (seq(), decision(), text()).prop_map(|(item, decision, reason)| EventBody::ReviewResolved {
            item,
            decision,
            reason
        }),
        (any::<u64>(), changes()).prop_map(|(based_on, changes)| EventBody::TicketUpdated { based_on, changes }),
        (text(), users()).prop_map(|(text, mentions)| EventBody::TicketNote { text, mentions }),
        sid().prop_map(|follow_up| EventBody::TicketFollowUp { follow_up }),
        (any::<u8>(), text()).prop_map(|(score, comment)| EventBody::TicketRated { score, comment }),
        (sid(), ticket_status()).prop_map(|(from, status)| EventBody::TicketUnmerged { from, status }),
        Just(EventBody::Unknown),
        wiki_body(),
    ]
}

fn wiki_body() -> impl Strategy<Value = EventBody> {
    use agora_protocol::wiki::{ChangeKind, Protection};
    prop_oneof![
        (text(), text(), any::<bool>(), seq(), proptest::option::of(seq()), any::<bool>(), any::<bool>()).prop_map(
            |(text, summary, minor, base, restores, rollback, merged)| EventBody::WikiRevised {
                text,
                summary,
                minor,
                base,
                restores,
                rollback,
                merged
            }
        ),
        (text(), text(), text()).prop_map(|(from, to, summary)| EventBody::WikiMoved { from, to, summary }),
        (protect_level(), any::<bool>(), text(), proptest::option::of(any::<u64>()), proptest::option::of(uid()))
            .prop_map(|(edit, rename, reason, expires, by)| EventBody::WikiProtected {
                protection: Protection { edit, rename, reason, expires, by }
            }),
        (uid(), any::<bool>()).prop_map(|(user, watching)| EventBody::WikiWatched { user, watching }),
        (sid(), text(), text(), seq(), any::<u64>(), any::<i64>()).prop_map(
            |(page, title, namespace, rev, size, delta)| {
                EventBody::WikiChange {
                    page,
                    title,
                    namespace,
                    change: ChangeKind::Edit,
                    rev,
                    summary: String::new(),
                    minor: false,
                    size,
                    delta,
                    read_role: None,
                }
            }
        ),
        (sid(), sid()).prop_map(|(page, thread)| EventBody::WikiTalkLinked { page, thread }),
        (text(), any::<bool>()).prop_map(|(prefix, staff)| EventBody::WikiNamespaceSet {
            namespace: agora_protocol::wiki::WikiNamespace {
                prefix,
                read_role: staff.then_some(agora_protocol::ops::Role::Agent),
                edit_role: None,
            }
        }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (sid(), seq(), any::<u64>(), uid(), proptest::option::of(text()), body())
        .prop_map(|(stream, seq, at, author, idem, body)| Event { stream, seq, at, author, idem, body })
}

fn summary() -> impl Strategy<Value = StreamSummary> {
    (sid(), kind(), text(), text(), any::<u32>(), any::<bool>(), seq(), seq(), any::<u32>(), any::<u32>()).prop_map(
        |(id, kind, name, topic, member_count, member, head, last_read, unread, mentions)| StreamSummary {
            id,
            kind,
            name,
            topic,
            member_count,
            member,
            head,
            last_read,
            unread,
            mentions,
        },
    )
}

fn push() -> impl Strategy<Value = Push> {
    prop_oneof![
        event().prop_map(Push::Event),
        (sid(), uid(), status(), any::<u64>()).prop_map(|(stream, user, status, last_seen)| Push::Presence {
            stream,
            user,
            status,
            last_seen
        }),
        (sid(), uid(), any::<u64>()).prop_map(|(stream, user, ttl_ms)| Push::Typing { stream, user, ttl_ms }),
        (sid(), seq()).prop_map(|(stream, seq)| Push::Read { stream, seq }),
        summary().prop_map(|stream| Push::StreamAdded { stream }),
        (sid(), seq(), seq()).prop_map(|(stream, from, to)| Push::Skip { stream, from, to }),
        (sid(), any::<u32>()).prop_map(|(stream, unread)| Push::FeedUnread { stream, unread }),
        Just(Push::Unknown),
    ]
}

fn error_body() -> impl Strategy<Value = ErrorBody> {
    let code = prop_oneof![
        Just(ErrorCode::BadRequest),
        Just(ErrorCode::UnknownOp),
        Just(ErrorCode::Unauthorized),
        Just(ErrorCode::Forbidden),
        Just(ErrorCode::NotFound),
        Just(ErrorCode::Conflict),
        Just(ErrorCode::TooLarge),
        Just(ErrorCode::RateLimited),
        Just(ErrorCode::TooFarBehind),
        Just(ErrorCode::Unavailable),
        Just(ErrorCode::Internal),
        Just(ErrorCode::UnsupportedType),
    ];
    (code, text(), proptest::option::of(any::<u64>()), proptest::option::of(any::<u64>())).prop_map(
        |(code, message, retry_after_ms, head)| ErrorBody {
            code,
            message,
            retry_after_ms,
            head,
            until: head,
            details: None,
        },
    )
}

fn presence_entry() -> impl Strategy<Value = PresenceEntry> {
    (uid(), status(), any::<u64>()).prop_map(|(user, status, last_seen)| PresenceEntry { user, status, last_seen })
}

/// Every `ok` payload, paired with a check that decodes it back as its own type.
fn ok_body() -> impl Strategy<Value = OkBody> {
    prop_oneof![
        Just(OkBody::Empty(Empty {})),
        any::<u64>().prop_map(|time| OkBody::Ping(PingOk { time })),
        (uid(), text(), role(), text()).prop_map(|(id, display_name, role, epoch)| OkBody::Whoami(WhoamiOk {
            user: UserInfo { id, display_name, role, suspended_until: None },
            epoch
        })),
        vec(summary(), 0..3).prop_map(|streams| OkBody::ListStreams(ListStreamsOk { streams })),
        (sid(), kind(), text(), text(), users(), seq(), uid()).prop_map(
            |(id, kind, name, topic, members, head, created_by)| OkBody::StreamInfo(StreamInfoOk {
                id,
                kind,
                name,
                topic,
                members,
                head,
                created_by
            })
        ),
        (sid(), seq(), any::<u64>(), any::<bool>()).prop_map(|(stream, seq, at, duplicate)| OkBody::Append(AppendOk {
            stream,
            seq,
            at,
            duplicate
        })),
        (sid(), seq(), text(), any::<bool>(), vec(presence_entry(), 0..3)).prop_map(
            |(stream, head, epoch, recovered, presence)| OkBody::Subscribe(SubscribeOk {
                stream,
                head,
                epoch,
                recovered,
                presence
            })
        ),
        (sid(), vec(event(), 0..3), seq(), any::<bool>(), seq(), seq()).prop_map(
            |(stream, events, head, more, from, to)| OkBody::History(HistoryOk {
                stream,
                events,
                head,
                more,
                from,
                to
            })
        ),
        (sid(), seq(), any::<u32>()).prop_map(|(stream, head, unread)| OkBody::Feed(FeedOk { stream, head, unread })),
        (vec((seq(), any::<u64>(), audit_entry()), 0..3), proptest::option::of(seq())).prop_map(|(entries, next)| {
            let entries = entries.into_iter().map(|(seq, at, entry)| AuditRecord { seq, at, entry }).collect();
            OkBody::AuditLog(AuditLogOk { entries, next })
        }),
        (
            sid(),
            vec((seq(), sid(), seq(), uid(), text(), any::<bool>(), any::<bool>()), 0..3),
            vec((uid(), flag_reason(), text()), 0..3)
        )
            .prop_map(|(stream, items, flags)| {
                let flags: Vec<FlagInfo> =
                    flags.into_iter().map(|(by, reason, text)| FlagInfo { by, reason, text }).collect();
                let items = items
                    .into_iter()
                    .map(|(id, stream, seq, author, excerpt, hidden, held)| ReviewItem {
                        id,
                        stream,
                        seq,
                        author,
                        excerpt,
                        flags: flags.clone(),
                        hidden,
                        held,
                    })
                    .collect();
                OkBody::ReviewQueue(ReviewQueueOk { stream, items })
            }),
        vec((text(), watch_action()), 0..3).prop_map(|w| OkBody::WatchedWords(WatchedWordsOk {
            words: w.into_iter().map(|(pattern, action)| WatchedWord { pattern, action }).collect()
        })),
        (sid(), seq(), any::<u64>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(stream, rev, at, created, merged, duplicate)| OkBody::WikiSave(agora_protocol::wiki::WikiSaveOk {
                stream,
                rev,
                at,
                created,
                merged,
                duplicate
            })
        ),
        (sid(), seq(), seq(), text()).prop_map(|(stream, from, to, t)| {
            use agora_protocol::wiki::*;
            let line = DiffLine { tag: DiffTag::Insert, old: None, new: Some(1), text: t.clone(), words: vec![] };
            let hunks = vec![DiffHunk { old_start: 1, old_len: 0, new_start: 1, new_len: 1, lines: vec![line] }];
            OkBody::WikiDiff(WikiDiffOk { stream, from, to, hunks })
        }),
    ]
}

/// `v` through `enc` and through a transcoding (decoded as a generic value in
/// one encoding, re-encoded in the other), in both directions.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + Debug>(v: &T) -> Result<(), TestCaseError> {
    for enc in Encoding::ALL {
        let back: T = decode(&encode(v, enc), enc).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&back, v, "{:?}", enc);
    }
    let via_json: serde_json::Value =
        decode(&encode(v, Encoding::Json), Encoding::Json).map_err(TestCaseError::fail)?;
    let back: T = decode(&encode(&via_json, Encoding::MsgPack), Encoding::MsgPack).map_err(TestCaseError::fail)?;
    prop_assert_eq!(&back, v, "JSON → MessagePack");
    let via_mp: serde_json::Value =
        decode(&encode(v, Encoding::MsgPack), Encoding::MsgPack).map_err(TestCaseError::fail)?;
    let back: T = decode(&encode(&via_mp, Encoding::Json), Encoding::Json).map_err(TestCaseError::fail)?;
    prop_assert_eq!(&back, v, "MessagePack → JSON");
    Ok(())
}

/// Decode the `ok` of a reply frame as `T`.
fn ok_as<T: DeserializeOwned>(frame: ServerFrame) -> T {
    match frame {
        ServerFrame::Reply { result: Ok(v), .. } => ServerFrame::ok_as(v).expect("ok decodes as its type"),
        other => panic!("not an ok reply: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn requests_round_trip(id in any::<u64>(), op in op()) {
        let req = Request { id, op };
        round_trips(&req)?;
        for enc in Encoding::ALL {
            prop_assert_eq!(decode_request(&encode(&req, enc), enc), Ok(req.clone()));
        }
    }

    #[test]
    fn events_round_trip(ev in event()) {
        round_trips(&ev)?;
    }

    #[test]
    fn pushes_round_trip(p in push()) {
        round_trips(&p)?;
        for enc in Encoding::ALL {
            prop_assert_eq!(decode_server_frame(&encode(&p, enc), enc), Ok(ServerFrame::Push(p.clone())));
        }
    }

    #[test]
    fn error_replies_round_trip(re in proptest::option::of(any::<u64>()), e in error_body()) {
        round_trips(&e)?;
        for enc in Encoding::ALL {
            let frame = decode_server_frame(&encode(&Reply::error(re, e.clone()), enc), enc);
            prop_assert_eq!(frame, Ok(ServerFrame::Reply { re, result: Err(e.clone()) }));
        }
    }

    #[test]
    fn ok_replies_round_trip(re in any::<u64>(), body in ok_body()) {
        for enc in Encoding::ALL {
            let frame = decode_server_frame(&encode(&Reply::ok(re, body.clone()), enc), enc)
                .map_err(TestCaseError::fail)?;
            if let ServerFrame::Reply { re: got, .. } = &frame {
                prop_assert_eq!(*got, Some(re));
            }
            // Each payload decodes back as the type the client expects for its op.
            let back = match &body {
                OkBody::Empty(_) => OkBody::Empty(ok_as(frame)),
                OkBody::Ping(_) => OkBody::Ping(ok_as(frame)),
                OkBody::Whoami(_) => OkBody::Whoami(ok_as(frame)),
                OkBody::ListStreams(_) => OkBody::ListStreams(ok_as(frame)),
                OkBody::StreamInfo(_) => OkBody::StreamInfo(ok_as(frame)),
                OkBody::Append(_) => OkBody::Append(ok_as(frame)),
                OkBody::Subscribe(_) => OkBody::Subscribe(ok_as(frame)),
                OkBody::History(_) => OkBody::History(ok_as(frame)),
                OkBody::Feed(_) => OkBody::Feed(ok_as(frame)),
                OkBody::AuditLog(_) => OkBody::AuditLog(ok_as(frame)),
                OkBody::ReviewQueue(_) => OkBody::ReviewQueue(ok_as(frame)),
                OkBody::WatchedWords(_) => OkBody::WatchedWords(ok_as(frame)),
                OkBody::ForumCategories(_) => OkBody::ForumCategories(ok_as(frame)),
                OkBody::ForumCategory(_) => OkBody::ForumCategory(ok_as(frame)),
                OkBody::ForumThreads(_) => OkBody::ForumThreads(ok_as(frame)),
                OkBody::ForumThreadCreated(_) => OkBody::ForumThreadCreated(ok_as(frame)),
                OkBody::ForumThread(_) => OkBody::ForumThread(ok_as(frame)),
                OkBody::ForumPostHistory(_) => OkBody::ForumPostHistory(ok_as(frame)),
                OkBody::Ticket(_) => OkBody::Ticket(ok_as(frame)),
                OkBody::AgentStatus(_) => OkBody::AgentStatus(ok_as(frame)),
                OkBody::DeskStatus(_) => OkBody::DeskStatus(ok_as(frame)),
                OkBody::TicketQueue(_) => OkBody::TicketQueue(ok_as(frame)),
                OkBody::Canned(_) => OkBody::Canned(ok_as(frame)),
                OkBody::WikiPage(_) => OkBody::WikiPage(ok_as(frame)),
                OkBody::WikiSave(_) => OkBody::WikiSave(ok_as(frame)),
                OkBody::WikiHistory(_) => OkBody::WikiHistory(ok_as(frame)),
                OkBody::WikiDiff(_) => OkBody::WikiDiff(ok_as(frame)),
                OkBody::WikiLinks(_) => OkBody::WikiLinks(ok_as(frame)),
                OkBody::WikiWanted(_) => OkBody::WikiWanted(ok_as(frame)),
                OkBody::WikiPages(_) => OkBody::WikiPages(ok_as(frame)),
                OkBody::WikiRecent(_) => OkBody::WikiRecent(ok_as(frame)),
                OkBody::WikiTalk(_) => OkBody::WikiTalk(ok_as(frame)),
                OkBody::DeskSettings(_) => OkBody::DeskSettings(ok_as(frame)),
            };
            prop_assert_eq!(&back, &body, "{:?}", enc);
        }
    }
}
