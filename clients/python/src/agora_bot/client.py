"""The connection: one WebSocket at a time to /ws, requests matched to replies
by id, pushes decoded into models, and the bookkeeping that makes reconnects
invisible: per followed stream the last seq and epoch (PROTOCOL.md §7), so that
after any drop the client resubscribes with `since` and every event is handed
on exactly once, in seq order per stream.

Also here: rate-limit handling (PROTOCOL.md §12: wait `retry_after_ms`, then
retry; once limited, one request of that class at a time until the bucket has
refilled, so a burst never earns a 4002 flood close), and idempotent posts
(one `idem` key per message, reused on every retry).

Decorators and the dispatch of events to handlers live in `bot.py`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, AsyncIterator, Optional

import msgpack
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidHandshake

from .errors import AgoraError, Closed, Disconnected
from .models import (AppendOk, Connected, ConnectionLost, Event, HistoryPage, Reset, SkipPush, StreamInfo,
                     StreamSummary, SubscribeOk, UserInfo, Whoami, parse_push)

log = logging.getLogger("agora_bot")

SUBPROTOCOLS = {
    ("msgpack", True): ["agora.msgpack.batch.v1", "agora.msgpack.v1"],
    ("msgpack", False): ["agora.msgpack.v1"],
    ("json", True): ["agora.json.batch.v1", "agora.json.v1"],
    ("json", False): ["agora.json.v1"],
}

#: Rate classes of PROTOCOL.md §12. An op not listed is its own class.
RATE_CLASS = {
    **{op: "post" for op in ("post", "edit", "delete", "react", "unreact", "create_channel", "open_dm", "join",
                             "leave", "invite", "rename", "set_topic")},
    **{op: "ephemeral" for op in ("typing", "set_presence")},
    **{op: "read" for op in ("subscribe", "unsubscribe", "history", "list_streams", "stream_info", "mark_read",
                             "whoami")},
    "ping": "ping",
}

#: After a `rate_limited` reply, requests of that class go one at a time for this long.
_THROTTLED_FOR = 2.0


def _urls(url: str) -> tuple[str, str]:
    """(http base, ws url) from `http(s)://host:port` or `ws(s)://host:port/ws`."""
    url = url.rstrip("/")
    if url.startswith(("ws://", "wss://")):
        base = "http" + url[2:]
        if base.endswith("/ws"):
            base = base[:-3]
    else:
        base = url
    ws = "ws" + base[4:] + "/ws"
    return base, ws


def new_idem() -> str:
    """A fresh idempotency key (PROTOCOL.md §5 `post`: 1-64 chars)."""
    return uuid.uuid4().hex


async def http_json(base: str, method: str, path: str, body: Any = None, token: Optional[str] = None) -> dict:
    """One HTTP call to the JSON API; `AgoraError` with the server's code on failure."""
    def call() -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                raise AgoraError.from_body(json.loads(e.read())) from None
            except ValueError:
                raise AgoraError("internal", f"HTTP {e.code}") from None
    return await asyncio.to_thread(call)


async def http_bytes(base: str, method: str, path: str, token: str, data: Optional[bytes] = None,
                     content_type: Optional[str] = None) -> bytes:
    """One HTTP call with a raw body or answer (attachments); `AgoraError` with the server's code on failure."""
    def call() -> bytes:
        req = urllib.request.Request(base + path, data=data, method=method)
        if content_type:
            req.add_header("content-type", content_type)
        req.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            try:
                raise AgoraError.from_body(json.loads(e.read())) from None
            except ValueError:
                raise AgoraError("internal", f"HTTP {e.code}") from None
    return await asyncio.to_thread(call)


class Client:
    """A protocol client that stays connected.

    `Client(url, token=...)` or `Client(url, username=..., password=...)`, then
    `await client.connect()`. Follow streams with `subscribe`; their events,
    pushes and connection notices come out of `async for item in client.items()`
    (or `Bot`'s handlers), each event once, in seq order per stream, across
    reconnects.
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", *, token: Optional[str] = None,
                 username: Optional[str] = None, password: Optional[str] = None,
                 encoding: str = "msgpack", batch: bool = True, cursors: Optional[dict] = None,
                 min_backoff: float = 0.5, max_backoff: float = 30.0, max_in_flight_per_class: int = 10,
                 rate_limit_retries: int = 20):
        if encoding not in ("msgpack", "json"):
            raise ValueError("encoding is 'msgpack' or 'json'")
        self.http_url, self.ws_url = _urls(url)
        self.token = token
        self._username, self._password = username, password
        self.encoding, self.batch = encoding, batch
        #: stream -> {"last_seq": int, "epoch": str}: what to resume from. JSON-serialisable;
        #: save it and pass it back as `cursors=` to resume after a restart of the bot.
        self.cursors: dict[str, dict] = dict(cursors or {})
        self.user: Optional[UserInfo] = None
        self.epoch: Optional[str] = None
        self.stats = {"rate_limited": 0, "reconnects": 0, "duplicates_dropped": 0, "idem_duplicates": 0}
        self._min_backoff, self._max_backoff = min_backoff, max_backoff
        self._retries = rate_limit_retries
        self._max_in_flight = max_in_flight_per_class
        self._ws = None
        self._enc = encoding
        self._next_id = 1
        self._pending: dict[int, tuple[asyncio.Future, dict]] = {}
        self._items: Optional[asyncio.Queue] = None
        self._ready: Optional[asyncio.Event] = None
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._limited_until: dict[str, float] = {}
        self._interval: dict[str, float] = {}
        self._supervisor: Optional[asyncio.Task] = None
        self._closed: Optional[asyncio.Future] = None
        self._last_error: Optional[AgoraError] = None

    # ---- lifecycle -------------------------------------------------------------------------

    async def login(self, username: str, password: str) -> str:
        """`POST /api/v1/auth/login`; keeps and returns the session token."""
        r = await http_json(self.http_url, "POST", "/api/v1/auth/login", {"username": username, "password": password})
        self.token = r["token"]
        self.user = UserInfo.from_dict(r.get("user"))
        return self.token

    async def logout(self) -> None:
        """`POST /api/v1/auth/logout`: revoke the token on the server (every
        connection using it is closed with 4500), then close this client."""
        # Closing first: the server closes our connection (4500) before it answers,
        # and that must not read as "token expired, log in again".
        self._password = None
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
        try:
            if self.token:
                await http_json(self.http_url, "POST", "/api/v1/auth/logout", token=self.token)
        finally:
            await self.close()

    async def connect(self) -> Whoami:
        """Log in if needed, connect, and keep reconnecting in the background.
        Raises if the first connection fails (bad token: `AgoraError`)."""
        loop = asyncio.get_running_loop()
        self._items = self._items or asyncio.Queue()
        self._ready = asyncio.Event()
        self._closed = loop.create_future()
        if self.token is None:
            if self._username is None or self._password is None:
                raise ValueError("give token=, or username= and password=")
            await self.login(self._username, self._password)
        first = loop.create_future()
        self._supervisor = asyncio.create_task(self._supervise(first))
        await first
        return Whoami(user=self.user, epoch=self.epoch or "")

    async def close(self) -> None:
        """Close for good: no reconnect; pending requests fail with `Closed`."""
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)
        ws = self._ws
        if ws is not None:
            await ws.close()
        if self._supervisor is not None:
            try:
                await self._supervisor
            except Exception:
                pass

    async def wait_closed(self) -> None:
        """Until the client is closed, or refused for good (raises `Closed` then)."""
        if self._supervisor is not None:
            await self._supervisor

    @property
    def connected(self) -> bool:
        return self._ready is not None and self._ready.is_set()

    async def items(self) -> AsyncIterator[Any]:
        """Events (`Event`), other pushes, and `Connected` / `ConnectionLost` /
        `Reset` notices, in arrival order; ends when the client is closed."""
        while True:
            item = await self.next_item()
            if item is None:
                return
            yield item

    async def next_item(self) -> Any:
        """The next item of `items()`, or None once the client is closed."""
        if self._items is None:
            raise RuntimeError("connect() first")
        if self._closed is not None and self._closed.done() and self._items.empty():
            return None
        getter = asyncio.ensure_future(self._items.get())
        waiters = {getter} | ({self._closed} if self._closed is not None else set())
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return None

    # ---- the connection loop ---------------------------------------------------------------

    async def _supervise(self, first: asyncio.Future) -> None:
        attempt, reconnected, relogged = 0, False, False
        try:
            while not self._closed.done():
                started = time.monotonic()
                try:
                    ws = await self._open()
                except Exception as e:  # noqa: BLE001 - any failure to connect is retried, except a refusal
                    fatal = isinstance(e, InvalidStatus) and e.response.status_code in (401, 403)
                    if not first.done():
                        first.set_exception(self._handshake_error(e))
                        return
                    if fatal:
                        raise Closed(e.response.status_code, "handshake refused") from e
                    attempt += 1
                    await self._backoff(attempt, None)
                    continue
                self._ws, self._last_error = ws, None
                reader = asyncio.create_task(self._read(ws))
                try:
                    await self._on_open()
                except (Disconnected, AgoraError) as e:
                    if isinstance(e, AgoraError) and not isinstance(e, Disconnected) and not first.done():
                        first.set_exception(e)
                        await ws.close()
                        return
                    log.info("connection lost while resuming: %s", e)
                else:
                    relogged = False
                    self._ready.set()
                    if not first.done():
                        first.set_result(None)
                    self._items.put_nowait(Connected(self.user, self.epoch or "", reconnected))
                code, reason = await reader
                self._ready.clear()
                self._ws = None
                self._fail_pending(Disconnected(f"connection closed ({code} {reason})".strip()))
                if not first.done():
                    refused = code is not None and code >= 4500
                    first.set_exception((self._last_error or Closed(code, reason)) if refused else Disconnected())
                    return
                if self._closed.done():
                    break
                if code == 4500 and self._password is not None and not relogged:
                    # The session token expired or was revoked, and we have the
                    # password: a new token (once; a second 4500 in a row is final).
                    try:
                        await self.login(self._username, self._password)
                        relogged, reconnected = True, True
                        self.stats["reconnects"] += 1
                        self._items.put_nowait(ConnectionLost(code, reason, True))
                        continue
                    except AgoraError as e:
                        log.warning("logging in again failed: %s", e)
                if code is not None and 4500 <= code <= 4999:
                    self._items.put_nowait(ConnectionLost(code, reason, False))
                    raise Closed(code, reason)
                if time.monotonic() - started > 10:
                    attempt = 0
                attempt += 1
                delay = self._delay(attempt, code)
                self._items.put_nowait(ConnectionLost(code, reason, True, delay))
                self.stats["reconnects"] += 1
                reconnected = True
                await self._sleep_unless_closed(delay)
        finally:
            self._ready.clear()
            self._fail_pending(Closed(None, "client closed"))
            if not self._closed.done():
                self._closed.set_result(None)

    def _handshake_error(self, e: Exception) -> AgoraError:
        if isinstance(e, InvalidStatus):
            try:
                return AgoraError.from_body(json.loads(e.response.body or b"{}"))
            except ValueError:
                return AgoraError("unauthorized" if e.response.status_code == 401 else "internal", str(e))
        return Disconnected(f"cannot connect to {self.ws_url}: {e}")

    def _delay(self, attempt: int, code: Optional[int]) -> float:
        """Exponential backoff with jitter (PROTOCOL.md §15); at least 10 s after 4002 flood."""
        d = min(self._max_backoff, self._min_backoff * 2 ** (attempt - 1))
        d = d * (0.5 + random.random() / 2)
        return max(d, 10.0) if code == 4002 else d

    async def _backoff(self, attempt: int, code: Optional[int]) -> None:
        await self._sleep_unless_closed(self._delay(attempt, code))

    async def _sleep_unless_closed(self, delay: float) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(self._closed), delay)
        except asyncio.TimeoutError:
            pass

    async def _open(self):
        protos = SUBPROTOCOLS[(self.encoding, self.batch)]
        ws = await ws_connect(self.ws_url, additional_headers={"Authorization": f"Bearer {self.token}"},
                              subprotocols=protos, max_size=2 ** 21, compression=None)
        chosen = ws.subprotocol or "agora.json.v1"
        self._enc = "msgpack" if "msgpack" in chosen else "json"
        return ws

    async def _on_open(self) -> None:
        """Who am I, then resume every followed stream from its cursor."""
        who = Whoami.from_dict(await self._send_retrying({"op": "whoami"}))
        self.user, self.epoch = who.user, who.epoch
        for stream in list(self.cursors):
            await self._resume(stream)

    async def _resume(self, stream: str) -> None:
        for _ in range(1000):
            cur = self.cursors.get(stream)
            if cur is None:
                return
            op = {"op": "subscribe", "stream": stream, "since": cur["last_seq"]}
            if cur.get("epoch"):
                op["epoch"] = cur["epoch"]
            try:
                await self._send_retrying(op)
                return
            except AgoraError as e:
                if e.code == "too_far_behind":
                    await self._catch_up(stream)
                    continue
                if e.code in ("not_found", "bad_request"):
                    # Gone or no longer readable (or a seq the server does not have):
                    # stop following rather than fail the whole connection.
                    log.warning("cannot resume %s (%s); no longer following it", stream, e)
                    self.cursors.pop(stream, None)
                    self._items.put_nowait(Reset(stream, 0))
                    return
                raise

    async def _catch_up(self, stream: str) -> None:
        """`too_far_behind`: page forward with history, handing each event on, until the head."""
        while True:
            cur = self.cursors[stream]
            page = HistoryPage.from_dict(await self._send_retrying(
                {"op": "history", "stream": stream, "after": cur["last_seq"], "limit": 200}))
            for ev in page.events:
                self._accept_event(ev)
            if not page.more or not page.events:
                return

    async def _read(self, ws) -> tuple[Optional[int], str]:
        try:
            async for msg in ws:
                for frame in self._decode(msg):
                    self._handle(frame)
        except ConnectionClosed:
            pass
        except Exception:  # noqa: BLE001 - a bug in handling must not kill the connection loop silently
            log.exception("reading from the connection failed")
            await ws.close()
        finally:
            # Nothing more will answer the requests sent on this connection.
            if self._ws is ws:
                self._ws = None
                self._ready.clear()
            self._fail_pending(Disconnected(f"connection closed ({ws.close_code})"))
        return ws.close_code, ws.close_reason or ""

    def _decode(self, msg) -> list:
        try:
            if self._enc == "msgpack":
                data = msg if isinstance(msg, (bytes, bytearray)) else msg.encode()
                unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
                unpacker.feed(data)
                return list(unpacker)
            text = msg if isinstance(msg, str) else msg.decode()
            return [json.loads(line) for line in text.split("\n") if line.strip()]
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as e:
            log.warning("undecodable server message skipped: %s", e)
            return []

    def _encode(self, frame: dict):
        if self._enc == "msgpack":
            return msgpack.packb(frame, use_bin_type=True)
        return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)

    def _handle(self, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        if "ev" in frame:
            push = parse_push(frame)
            if isinstance(push, Event):
                self._accept_event(push)
            elif isinstance(push, SkipPush):
                # Not for this bot, but seen: resume continues after them (PROTOCOL.md §7).
                cur = self.cursors.get(push.stream)
                if cur is not None and push.to > cur["last_seq"]:
                    cur["last_seq"] = push.to
            else:
                self._items.put_nowait(push)
            return
        re = frame.get("re")
        entry = self._pending.pop(re, None) if re is not None else None
        if entry is None:
            if "error" in frame:
                self._last_error = AgoraError.from_body(frame["error"])
                log.warning("server error without a request: %s", frame["error"])
            return
        fut, op = entry
        if fut.done():
            return
        if "error" in frame:
            fut.set_exception(AgoraError.from_body(frame["error"]))
            return
        ok = frame.get("ok") if isinstance(frame.get("ok"), dict) else {}
        if op.get("op") == "subscribe":
            # Here, before any later frame: the replay follows this reply at once.
            self._subscribed(op, ok)
        fut.set_result(ok)

    def _subscribed(self, op: dict, ok: dict) -> None:
        stream, since = op["stream"], op.get("since")
        sub = SubscribeOk.from_dict(ok)
        if since is not None and sub.recovered:
            # Subscribing again with an older `since` replays what was handed on
            # already; the cursor drops those, so each event still goes out once.
            prev = self.cursors.get(stream)
            last = max(since, prev["last_seq"]) if prev and prev.get("epoch") == sub.epoch else since
        else:
            last = sub.head
            if since is not None:
                self._items.put_nowait(Reset(stream, sub.head))
        self.cursors[stream] = {"last_seq": last, "epoch": sub.epoch}

    def _accept_event(self, ev: Event) -> None:
        """Hand an event on once: drop any seq at or below the stream's cursor."""
        cur = self.cursors.get(ev.stream)
        if cur is not None:
            if ev.seq <= cur["last_seq"]:
                self.stats["duplicates_dropped"] += 1
                return
            cur["last_seq"] = ev.seq
        self._items.put_nowait(ev)

    def _fail_pending(self, err: Exception) -> None:
        pending, self._pending = self._pending, {}
        for fut, _ in pending.values():
            if not fut.done():
                fut.set_exception(err)

    # ---- requests --------------------------------------------------------------------------

    async def _send_once(self, op: dict) -> dict:
        ws = self._ws
        if ws is None:
            raise Disconnected("not connected")
        rid = self._next_id
        self._next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self._pending[rid] = (fut, op)
        try:
            await ws.send(self._encode({"id": rid, **op}))
        except ConnectionClosed:
            self._pending.pop(rid, None)
            raise Disconnected() from None
        return await fut

    async def _send_retrying(self, op: dict) -> dict:
        """For the resume sequence: send now (not waiting for `ready`), sleep out rate limits."""
        for _ in range(self._retries):
            try:
                return await self._send_once(op)
            except AgoraError as e:
                if e.code != "rate_limited":
                    raise
                self.stats["rate_limited"] += 1
                await asyncio.sleep((e.retry_after_ms or 100) / 1000)
        return await self._send_once(op)

    async def _wait_ready(self) -> None:
        if self._ready is None or self._closed is None:
            raise RuntimeError("connect() first")
        if self._ready.is_set():
            return
        if self._closed.done():
            raise Closed(None, "client closed")
        ready = asyncio.ensure_future(self._ready.wait())
        await asyncio.wait({ready, self._closed}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            raise Closed(None, "client closed")

    async def request(self, op: str, **fields: Any) -> dict:
        """Send any op and return its `ok` payload (a dict); raise `AgoraError`
        on an error reply. Waits while reconnecting. `rate_limited` replies are
        retried after `retry_after_ms`. A drop before the reply raises
        `Disconnected` (the op may or may not have run)."""
        body = {"op": op, **{k: v for k, v in fields.items() if v is not None}}
        cls = RATE_CLASS.get(op, op)
        slots = self._slots.setdefault(cls, asyncio.Semaphore(self._max_in_flight))
        lock = self._locks.setdefault(cls, asyncio.Lock())
        async with slots:
            attempt = 0
            while True:
                await self._wait_ready()
                throttled = time.monotonic() < self._limited_until.get(cls, 0.0) + _THROTTLED_FOR
                if not throttled:
                    self._interval.pop(cls, None)
                try:
                    if throttled:
                        # Throttled: one at a time, spaced by the refill interval the
                        # server's `retry_after_ms` revealed, so retries earn no strikes.
                        async with lock:
                            wait = self._limited_until.get(cls, 0.0) - time.monotonic()
                            if wait > 0:
                                await asyncio.sleep(wait)
                            await self._wait_ready()
                            try:
                                return await self._send_once(body)
                            finally:
                                spaced = time.monotonic() + self._interval.get(cls, 0.1)
                                self._limited_until[cls] = max(self._limited_until.get(cls, 0.0), spaced)
                    return await self._send_once(body)
                except AgoraError as e:
                    if e.code != "rate_limited" or attempt >= self._retries:
                        raise
                    attempt += 1
                    self.stats["rate_limited"] += 1
                    wait = (e.retry_after_ms or 100) / 1000
                    # Pacing: at least the longest wait seen (a retry_after measured just
                    # after a token was taken is the refill interval), and a quarter more
                    # each time a paced request still hit the limit, so strikes stay few.
                    grown = self._interval.get(cls, 0.0) * (1.25 if throttled else 1.0)
                    self._interval[cls] = max(grown, wait)
                    self._limited_until[cls] = max(self._limited_until.get(cls, 0.0), time.monotonic() + wait)

    # ---- typed helpers ---------------------------------------------------------------------

    async def whoami(self) -> Whoami:
        return Whoami.from_dict(await self.request("whoami"))

    async def ping(self) -> int:
        return int((await self.request("ping")).get("time", 0))

    async def list_streams(self) -> list[StreamSummary]:
        return [StreamSummary.from_dict(s) for s in (await self.request("list_streams")).get("streams", [])]

    async def wiki_pages(self, namespace: Optional[str] = None, cursor: Optional[str] = None,
                         limit: Optional[int] = None) -> dict:
        """One page of the wiki's page list in slug order (wiki pages are not in `list_streams`):
        ``{"pages": [{"slug", "title", "stream"}], "next": ...}``; pass ``next`` back as ``cursor``
        while present."""
        return await self.request("wiki_pages", namespace=namespace, cursor=cursor, limit=limit)

    async def stream_info(self, stream: str) -> StreamInfo:
        return StreamInfo.from_dict(await self.request("stream_info", stream=stream))

    async def create_channel(self, name: str, topic: Optional[str] = None, private: bool = False,
                             members: Optional[list] = None) -> StreamInfo:
        return StreamInfo.from_dict(await self.request("create_channel", name=name, topic=topic,
                                                       private=private or None, members=members))

    async def open_dm(self, users: list) -> StreamInfo:
        return StreamInfo.from_dict(await self.request("open_dm", users=list(users)))

    async def join(self, stream: str) -> AppendOk:
        return AppendOk.from_dict(await self.request("join", stream=stream))

    async def leave(self, stream: str) -> AppendOk:
        return AppendOk.from_dict(await self.request("leave", stream=stream))

    async def invite(self, stream: str, user: str) -> AppendOk:
        return AppendOk.from_dict(await self.request("invite", stream=stream, user=user))

    async def post(self, stream: str, text: str, reply_to: Optional[int] = None,
                   idem: Optional[str] = None, attachments: Optional[list] = None) -> AppendOk:
        """Post a message, exactly once: with an idempotency key (a new one
        unless given) that is reused when the post is retried after a dropped
        connection or a rate limit. `duplicate` in the result says the server
        already had it. `attachments`: what `upload` answered (text may then be "")."""
        idem = idem or new_idem()
        while True:
            try:
                ok = AppendOk.from_dict(await self.request("post", stream=stream, text=text, reply_to=reply_to,
                                                           idem=idem, attachments=attachments or None))
                if ok.duplicate:
                    self.stats["idem_duplicates"] += 1
                return ok
            except Disconnected:
                # Wait for the reconnect (`request` waits while not ready), then send
                # it again with the same key.
                await asyncio.sleep(0)

    async def upload(self, stream: str, data: bytes, name: str, content_type: str) -> dict:
        """Store a file to attach to a post in `stream` (PROTOCOL.md §18): images
        (PNG, JPEG, GIF, WebP), PDF, text or ZIP, up to the server's limit. Returns
        the attachment (`hash`, `name`, `type`, `size`, ...) for `post(...,
        attachments=[...])`; `AgoraError` `too_large` or `unsupported_type` when refused."""
        path = f"/api/v1/streams/{urllib.parse.quote(stream)}/attachments?name={urllib.parse.quote(name)}"
        return json.loads(await http_bytes(self.http_url, "POST", path, self._http_token(), data, content_type))

    async def attachment(self, hash: str) -> bytes:
        """The bytes of an attachment of a message this client can read."""
        return await http_bytes(self.http_url, "GET", f"/api/v1/attachments/{hash}", self._http_token())

    def _http_token(self) -> str:
        if not self.token:
            raise AgoraError("unauthorized", "log in or connect first")
        return self.token

    async def reply(self, event: Event, text: str) -> AppendOk:
        """Post `text` in the event's stream as a reply to it."""
        target = event.target if event.type == "message_edited" and event.target else event.seq
        return await self.post(event.stream, text, reply_to=target)

    async def edit(self, stream: str, target: int, text: str) -> AppendOk:
        return AppendOk.from_dict(await self.request("edit", stream=stream, target=target, text=text))

    async def delete(self, stream: str, target: int) -> AppendOk:
        return AppendOk.from_dict(await self.request("delete", stream=stream, target=target))

    async def react(self, stream: str, target: int, emoji: str) -> AppendOk:
        return AppendOk.from_dict(await self.request("react", stream=stream, target=target, emoji=emoji))

    async def unreact(self, stream: str, target: int, emoji: str) -> AppendOk:
        return AppendOk.from_dict(await self.request("unreact", stream=stream, target=target, emoji=emoji))

    async def hide(self, stream: str, target: int, reason: str = "") -> AppendOk:
        """Hide a message from members (moderators and admins)."""
        return AppendOk.from_dict(await self.request("hide", stream=stream, target=target, reason=reason))

    async def unhide(self, stream: str, target: int) -> AppendOk:
        return AppendOk.from_dict(await self.request("unhide", stream=stream, target=target))

    async def history(self, stream: str, before: Optional[int] = None, after: Optional[int] = None,
                      limit: Optional[int] = None) -> HistoryPage:
        return HistoryPage.from_dict(await self.request("history", stream=stream, before=before, after=after,
                                                        limit=limit))

    async def mark_read(self, stream: str, seq: int) -> None:
        await self.request("mark_read", stream=stream, seq=seq)

    async def set_presence(self, status: str) -> None:
        await self.request("set_presence", status=status)

    async def typing(self, stream: str) -> None:
        await self.request("typing", stream=stream)

    async def subscribe(self, stream: str, since: Optional[int] = None) -> SubscribeOk:
        """Follow a stream: its events come out of `items()` from now on and
        are resumed after every reconnect. `since=None` resumes from the stored
        cursor if there is one, else follows live from the head; `since=0`
        replays the whole stream (up to the server's replay limit)."""
        cur = self.cursors.get(stream)
        epoch = None
        if since is None and cur is not None:
            since, epoch = cur["last_seq"], cur.get("epoch")
        elif since is not None:
            epoch = self.epoch
        try:
            return SubscribeOk.from_dict(await self.request("subscribe", stream=stream, since=since, epoch=epoch))
        except AgoraError as e:
            if e.code != "too_far_behind" or since is None:
                raise
            self.cursors[stream] = {"last_seq": since, "epoch": self.epoch}
            await self._catch_up(stream)
            return await self.subscribe(stream)

    async def unsubscribe(self, stream: str) -> None:
        """Stop following a stream (and forget its cursor)."""
        self.cursors.pop(stream, None)
        await self.request("unsubscribe", stream=stream)

    # ---- test hook ---------------------------------------------------------------------------

    def drop_connection(self) -> None:
        """Cut the TCP connection without a close handshake, as a network failure
        would. The client reconnects and resumes by itself (for tests and drills)."""
        ws = self._ws
        if ws is not None:
            ws.transport.abort()
