"""Frames newer than this SDK are kept, never dropped: an event of an unknown
type (its seq still counts for resume), a push with an unknown `ev`, unknown
fields, a stream of an unknown kind. The real server sends only what it knows
today, so a stub server on loopback plays a newer one (JSON, batched)."""

import asyncio
import json

from websockets.asyncio.server import serve

from agora_bot import Bot, Event, UnknownPush
from conftest import run_async

STREAM = "ch_future"


async def newer_server(ws):
    async for msg in ws:
        req = json.loads(msg)
        op, rid = req["op"], req["id"]
        if op == "whoami":
            ok = {"user": {"id": "bot", "display_name": "Bot", "role": "bot", "pronouns": "it"}, "epoch": "e1"}
            await ws.send(json.dumps({"re": rid, "ok": ok}))
        elif op == "list_streams":
            ok = {"streams": [{"id": STREAM, "kind": "forum_thread", "name": "future", "topic": "", "member_count": 1,
                               "member": True, "head": 2, "last_read": 0, "unread": 0, "mentions": 0}]}
            await ws.send(json.dumps({"re": rid, "ok": ok}))
        elif op == "subscribe":
            ok = {"stream": STREAM, "head": 2, "epoch": "e1", "recovered": True, "presence": []}
            frames = [
                {"re": rid, "ok": ok},
                {"ev": "event", "stream": STREAM, "seq": 3, "at": 1, "author": "ann", "type": "poll_created",
                 "question": "Lunch?", "options": ["pizza", "soup"]},
                {"ev": "hologram", "stream": STREAM, "shape": "cube"},
                {"ev": "event", "stream": STREAM, "seq": 4, "at": 2, "author": "ann", "type": "message_posted",
                 "text": "hi", "sparkles": 3},
            ]
            # One batched message (agora.json.batch.v1): frames separated by newlines.
            await ws.send("\n".join(json.dumps(f) for f in frames))


@run_async
async def test_unknown_event_types_pushes_and_fields_are_kept():
    async with serve(newer_server, "127.0.0.1", 0, subprotocols=["agora.json.batch.v1"]) as server:
        port = server.sockets[0].getsockname()[1]
        bot = Bot(f"http://127.0.0.1:{port}", token="t", encoding="json")
        events, pushes, done = [], [], asyncio.Event()

        @bot.on_event()
        async def every_event(ev):
            events.append(ev)
            if ev.seq == 4:
                done.set()

        @bot.on_push()
        async def every_push(p):
            pushes.append(p)

        await bot.start()  # follows the stream of unknown kind: it is a member
        serving = asyncio.create_task(bot.serve())
        await asyncio.wait_for(done.wait(), 10)
        assert [(e.type, e.known) for e in events] == [("poll_created", False), ("message_posted", True)]
        assert events[0].raw["question"] == "Lunch?" and events[0].raw["options"] == ["pizza", "soup"]
        assert events[1].raw["sparkles"] == 3
        assert all(isinstance(e, Event) for e in events)
        assert len(pushes) == 1 and isinstance(pushes[0], UnknownPush)
        assert pushes[0].ev == "hologram" and pushes[0].raw["shape"] == "cube"
        assert bot.cursors[STREAM]["last_seq"] == 4, "the unknown event's seq counts"
        assert bot.user.raw["pronouns"] == "it"
        await bot.close()
        await serving
