"""Typed models of the frames in protocol/PROTOCOL.md, as dataclasses.

Every model keeps the frame it was read from in `raw` (a plain dict), so fields
this SDK does not know yet are never lost. Event types, stream kinds and push
names this SDK does not know are kept too: an `Event` whose `type` is new has
`known == False` and its fields in `raw`; an unknown push is an `UnknownPush`.
Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional, Union

#: Event types this SDK knows (PROTOCOL.md §6). Others are kept, not dropped.
KNOWN_EVENT_TYPES = frozenset({
    "stream_created", "stream_renamed", "topic_set", "member_joined", "member_left", "member_invited",
    "message_posted", "message_edited", "message_deleted", "tombstone", "reaction_added", "reaction_removed",
})
#: Stream kinds this SDK knows (PROTOCOL.md §1).
KNOWN_KINDS = frozenset({"channel", "private_channel", "dm"})


def _build(cls, d: Any, **override):
    """An instance of dataclass `cls` from the dict `d`: known fields taken,
    unknown ones left in `raw`, missing optional ones at their defaults."""
    if not isinstance(d, dict):
        d = {}
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in d.items() if k in names and k != "raw"}
    kwargs.update(override)
    kwargs["raw"] = d
    return cls(**kwargs)


@dataclass
class UserInfo:
    id: str = ""
    display_name: str = ""
    role: str = "member"
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "UserInfo":
        return _build(cls, d)


@dataclass
class Whoami:
    """The reply of `whoami` and `auth`."""
    user: UserInfo
    epoch: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "Whoami":
        return _build(cls, d, user=UserInfo.from_dict((d or {}).get("user")))


@dataclass
class Event:
    """One event of a stream's log (an `event` push, or an item of a `history`
    page). The fields after `type` are set only for the types that carry them."""
    stream: str = ""
    seq: int = 0
    at: int = 0
    author: str = ""
    type: str = ""
    idem: Optional[str] = None
    text: Optional[str] = None
    reply_to: Optional[int] = None
    mentions: list = field(default_factory=list)
    # message_posted: files, as dicts {hash, name, type, size, width?, height?} (PROTOCOL.md §18)
    attachments: list = field(default_factory=list)
    target: Optional[int] = None
    emoji: Optional[str] = None
    deleted_by: Optional[int] = None
    kind: Optional[str] = None
    name: Optional[str] = None
    topic: Optional[str] = None
    members: list = field(default_factory=list)
    user: Optional[str] = None
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "Event":
        ev = _build(cls, d)
        if ev.mentions is None:
            ev.mentions = []
        if ev.members is None:
            ev.members = []
        if ev.attachments is None:
            ev.attachments = []
        return ev

    @property
    def known(self) -> bool:
        """False for an event type newer than this SDK (its fields are in `raw`)."""
        return self.type in KNOWN_EVENT_TYPES

    def mentions_user(self, user_id: str) -> bool:
        return user_id in self.mentions


@dataclass
class StreamSummary:
    """A stream as `list_streams` and `stream_added` show it to one user."""
    id: str = ""
    kind: str = ""
    name: str = ""
    topic: str = ""
    member_count: int = 0
    member: bool = False
    head: int = 0
    last_read: int = 0
    unread: int = 0
    mentions: int = 0
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "StreamSummary":
        return _build(cls, d)


@dataclass
class StreamInfo:
    """`stream_info`, `create_channel` and `open_dm` replies."""
    id: str = ""
    kind: str = ""
    name: str = ""
    topic: str = ""
    members: list = field(default_factory=list)
    head: int = 0
    created_by: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "StreamInfo":
        return _build(cls, d)


@dataclass
class AppendOk:
    """The reply of every op that appends one event (`post`, `join`, `react`, ...)."""
    stream: str = ""
    seq: int = 0
    at: int = 0
    duplicate: bool = False
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "AppendOk":
        return _build(cls, d)


@dataclass
class PresenceEntry:
    user: str = ""
    status: str = ""
    last_seen: int = 0
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "PresenceEntry":
        return _build(cls, d)


@dataclass
class SubscribeOk:
    stream: str = ""
    head: int = 0
    epoch: str = ""
    recovered: bool = True
    presence: list = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "SubscribeOk":
        pres = [PresenceEntry.from_dict(p) for p in (d or {}).get("presence") or []]
        return _build(cls, d, presence=pres)


@dataclass
class HistoryPage:
    stream: str = ""
    events: list = field(default_factory=list)
    head: int = 0
    more: bool = False
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Any) -> "HistoryPage":
        evs = [Event.from_dict(e) for e in (d or {}).get("events") or []]
        return _build(cls, d, events=evs)


@dataclass
class PresencePush:
    stream: str = ""
    user: str = ""
    status: str = ""
    last_seen: int = 0
    ev: str = "presence"
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class TypingPush:
    stream: str = ""
    user: str = ""
    ttl_ms: int = 0
    ev: str = "typing"
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class ReadPush:
    stream: str = ""
    seq: int = 0
    ev: str = "read"
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class StreamAddedPush:
    stream: StreamSummary = field(default_factory=StreamSummary)
    ev: str = "stream_added"
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class SkipPush:
    """Seqs `from_seq..=to` of a followed stream exist but are not for this bot
    (hidden messages, staff notes): the client advances its cursor past them."""
    stream: str = ""
    from_seq: int = 0
    to: int = 0
    ev: str = "skip"
    raw: dict = field(default_factory=dict, repr=False)


@dataclass
class UnknownPush:
    """A push whose `ev` this SDK does not know: kept whole in `raw`."""
    ev: str = ""
    raw: dict = field(default_factory=dict, repr=False)


Push = Union[Event, PresencePush, TypingPush, ReadPush, StreamAddedPush, SkipPush, UnknownPush]


def parse_push(d: dict) -> Push:
    """A push frame (one with `ev`) as its model. `event` pushes become `Event`."""
    ev = d.get("ev")
    if ev == "event":
        return Event.from_dict(d)
    if ev == "presence":
        return _build(PresencePush, d)
    if ev == "typing":
        return _build(TypingPush, d)
    if ev == "read":
        return _build(ReadPush, d)
    if ev == "skip":
        return SkipPush(stream=str(d.get("stream", "")), from_seq=int(d.get("from", 0)), to=int(d.get("to", 0)), raw=d)
    if ev == "stream_added" and isinstance(d.get("stream"), dict):
        return _build(StreamAddedPush, d, stream=StreamSummary.from_dict(d["stream"]))
    return UnknownPush(ev=str(ev), raw=d)


@dataclass
class Connected:
    """The client is connected and every followed stream is resubscribed."""
    user: UserInfo
    epoch: str
    reconnected: bool


@dataclass
class ConnectionLost:
    """The connection closed. `will_reconnect` is False for 4500-4999 (PROTOCOL.md §15)."""
    code: Optional[int]
    reason: str
    will_reconnect: bool
    delay: float = 0.0


@dataclass
class Reset:
    """The server could not resume `stream` from the stored seq (its store was
    replaced: `recovered: false`). Events between were not delivered: reload the
    stream with `history` if the bot keeps state about it. Following continues
    live from `head`."""
    stream: str
    head: int
