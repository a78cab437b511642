"""`Bot`: a `Client` with handlers. Decorators register coroutines for events
(by type, or all of them, unknown types included), messages, mentions of the
bot, other pushes (by `ev`, unknown ones included) and connection notices;
`run()` follows streams and calls the handlers one item at a time, in arrival
order (so the events of a stream reach handlers in seq order, each once).

A handler that raises is logged and skipped; the bot goes on. Handlers may
await requests (`post`, `reply`, `history`, ...): replies are read on another
task. A slow handler delays the items after it, not the connection.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

from .client import Client
from .models import Connected, ConnectionLost, Event, Reset, StreamAddedPush

log = logging.getLogger("agora_bot")

Handler = Callable[[Any], Awaitable[Any]]


class Bot(Client):
    """Usage::

        bot = Bot("http://127.0.0.1:8080", token="agb_...")

        @bot.on_mention
        async def answer(ev):
            await bot.reply(ev, "hello!")

        asyncio.run(bot.run())

    `follow` (for `run`): "member" follows every stream the bot is a member of
    (and each new one from `stream_added`); "all" also every public channel it
    can read; None follows nothing by itself (call `subscribe`). `join` lists
    public channel names to join first.
    """

    def __init__(self, url: str = "http://127.0.0.1:8080", *, follow: Optional[str] = "member",
                 join: Optional[list] = None, **kwargs: Any):
        super().__init__(url, **kwargs)
        if follow not in ("member", "all", None):
            raise ValueError("follow is 'member', 'all' or None")
        self.follow = follow
        self.join_names = list(join or [])
        self._event_handlers: list[tuple[Optional[str], Handler]] = []
        self._message_handlers: list[Handler] = []
        self._mention_handlers: list[Handler] = []
        self._push_handlers: list[tuple[Optional[str], Handler]] = []
        self._notice_handlers: list[tuple[type, Handler]] = []

    # ---- decorators ------------------------------------------------------------------------

    def on_event(self, type: Optional[str] = None) -> Callable[[Handler], Handler]:
        """`@bot.on_event("reaction_added")`, or `@bot.on_event()` for every event
        (of any type, including types newer than this SDK: see `Event.known`)."""
        def register(fn: Handler) -> Handler:
            self._event_handlers.append((type, fn))
            return fn
        return register

    def on_message(self, fn: Handler) -> Handler:
        """`@bot.on_message`: every `message_posted` by someone else."""
        self._message_handlers.append(fn)
        return fn

    def on_mention(self, fn: Handler) -> Handler:
        """`@bot.on_mention`: every `message_posted` by someone else that mentions the bot (`@botname`)."""
        self._mention_handlers.append(fn)
        return fn

    def on_push(self, ev: Optional[str] = None) -> Callable[[Handler], Handler]:
        """`@bot.on_push("typing")` (or presence, read, stream_added, any new name),
        or `@bot.on_push()` for every push that is not an event. Unknown pushes
        arrive as `UnknownPush` with the whole frame in `raw`."""
        def register(fn: Handler) -> Handler:
            self._push_handlers.append((ev, fn))
            return fn
        return register

    def on_connect(self, fn: Handler) -> Handler:
        """`@bot.on_connect`: after each (re)connection, with a `Connected`."""
        self._notice_handlers.append((Connected, fn))
        return fn

    def on_disconnect(self, fn: Handler) -> Handler:
        """`@bot.on_disconnect`: with a `ConnectionLost` (code, will_reconnect)."""
        self._notice_handlers.append((ConnectionLost, fn))
        return fn

    def on_reset(self, fn: Handler) -> Handler:
        """`@bot.on_reset`: a stream could not be resumed (`Reset`); reload it if you keep state."""
        self._notice_handlers.append((Reset, fn))
        return fn

    # ---- running ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, join `join`, follow streams per `follow`. `run()` calls it."""
        if not self.connected:
            await self.connect()
        streams = await self.list_streams()
        by_name = {s.name: s for s in streams if s.kind == "channel"}
        for name in self.join_names:
            s = by_name.get(name)
            if s is not None and not s.member:
                await self.join(s.id)
                s.member = True
        if self.follow is None:
            return
        for s in streams:
            if s.id in self.cursors:
                continue  # followed already (resumed on connect)
            if s.member or self.follow == "all":
                await self.subscribe(s.id)

    async def run(self) -> None:
        """Start, then hand every item to its handlers until the client is closed."""
        await self.start()
        await self.serve()

    async def serve(self) -> None:
        """Hand every item to its handlers until the client is closed (after `start`)."""
        while True:
            item = await self.next_item()
            if item is None:
                break
            await self.dispatch(item)
        await self.wait_closed()

    async def dispatch(self, item: Any) -> None:
        """Call the handlers for one item (an event, a push or a notice)."""
        if isinstance(item, Event):
            await self._dispatch_event(item)
            return
        if isinstance(item, (Connected, ConnectionLost, Reset)):
            for cls, fn in self._notice_handlers:
                if isinstance(item, cls):
                    await self._call(fn, item)
            return
        if isinstance(item, StreamAddedPush) and self.follow is not None and item.stream.id not in self.cursors:
            try:
                await self.subscribe(item.stream.id, since=item.stream.head)
            except Exception as e:  # noqa: BLE001 - e.g. the stream went away again
                log.warning("could not follow new stream %s: %s", item.stream.id, e)
        ev = getattr(item, "ev", None)
        for want, fn in self._push_handlers:
            if want is None or want == ev:
                await self._call(fn, item)

    async def _dispatch_event(self, ev: Event) -> None:
        for want, fn in self._event_handlers:
            if want is None or want == ev.type:
                await self._call(fn, ev)
        me = self.user.id if self.user else None
        if ev.type != "message_posted" or ev.author == me:
            return
        for fn in self._message_handlers:
            await self._call(fn, ev)
        if me is not None and ev.mentions_user(me):
            for fn in self._mention_handlers:
                await self._call(fn, ev)

    async def _call(self, fn: Handler, item: Any) -> None:
        try:
            await fn(item)
        except Exception:  # noqa: BLE001 - one failing handler must not stop the bot
            log.exception("handler %s failed on %r", getattr(fn, "__name__", fn), item)
