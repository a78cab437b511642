#!/usr/bin/env python3
"""FAQ bot: answers questions from the community's #faq channel when mentioned.

The team keeps its FAQ as messages in a channel (default `faq`), one entry per
message:

    Q: How do I reset my password?
    A: Ask an admin; self-service reset is coming.

Mention the bot anywhere it is a member (`@faqbot how do I reset my password?`)
and it replies with the answer of the entry whose question shares the most
words with yours, or says it does not know and points to #faq. `@faqbot list`
lists the questions it knows. Entries added, edited or deleted in #faq are
picked up live. If the channel does not exist, the bot creates it and posts
the format there.

    AGORA_URL=http://127.0.0.1:8080 AGORA_TOKEN=agb_... python3 examples/faq_bot.py
    AGORA_USER=dave AGORA_PASSWORD=demo-password python3 examples/faq_bot.py   # with `serve --demo`

Env: AGORA_URL (default http://127.0.0.1:8080), AGORA_TOKEN or AGORA_USER +
AGORA_PASSWORD, AGORA_FAQ_CHANNEL (default faq), AGORA_JOIN (public channels to
join and answer in, comma-separated; default help,general).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Optional

from agora_bot import AgoraError, Bot, Event

STOP_WORDS = frozenset(
    "a an and are as at be can could do does for from have how i in is it me my of on or our please should "
    "so that the there this to us was we what when where which who why will with would you your".split())
ENTRY = re.compile(r"^\s*Q:\s*(?P<q>.+?)\s*\n\s*A:\s*(?P<a>.+)$", re.IGNORECASE | re.DOTALL)
MENTION = re.compile(r"@[A-Za-z0-9_.-]+")


def words(text: str) -> set[str]:
    """The meaningful words of a text: lower-case, no mentions, no stop words."""
    text = MENTION.sub(" ", text.lower())
    return {w for w in re.findall(r"[a-z0-9]+", text) if w not in STOP_WORDS and len(w) > 1}


class FaqIndex:
    """FAQ entries by the seq of the message that holds them (edits and deletes follow it)."""

    def __init__(self) -> None:
        self.entries: dict[int, tuple[str, str]] = {}

    def apply(self, ev: Event) -> None:
        """Fold one event of the FAQ channel into the index."""
        if ev.type == "message_posted" and ev.text:
            self._set(ev.seq, ev.text)
        elif ev.type == "message_edited" and ev.target is not None and ev.text:
            self._set(ev.target, ev.text)
        elif ev.type in ("message_deleted",) and ev.target is not None:
            self.entries.pop(ev.target, None)
        elif ev.type == "tombstone":
            self.entries.pop(ev.seq, None)

    def _set(self, seq: int, text: str) -> None:
        m = ENTRY.match(text)
        if m:
            self.entries[seq] = (m["q"].strip(), m["a"].strip())
        else:
            self.entries.pop(seq, None)

    def best(self, question: str) -> Optional[tuple[str, str]]:
        """The entry whose question shares the most words with `question` (ties: the newest)."""
        asked = words(question)
        scored = [(len(asked & words(q)), seq, (q, a)) for seq, (q, a) in self.entries.items()]
        scored = [s for s in scored if s[0] > 0]
        return max(scored)[2] if scored else None

    def questions(self) -> list[str]:
        return [q for _, (q, _a) in sorted(self.entries.items())]


def make_bot(url: str, faq_channel: str = "faq", join: Optional[list] = None, **auth) -> Bot:
    """The FAQ bot, ready to `run()`; `auth` is token= or username= and password=."""
    bot = Bot(url, join=join if join is not None else ["help", "general"], **auth)
    faq = FaqIndex()
    state = {"faq_id": None}

    async def load_faq() -> None:
        streams = {s.name: s for s in await bot.list_streams() if s.kind == "channel"}
        ch = streams.get(faq_channel)
        if ch is None:
            info = await bot.create_channel(faq_channel, topic="FAQ entries: 'Q: question' then 'A: answer'")
            await bot.post(info.id, "Post one FAQ entry per message:\nQ: How do I reset my password?\n"
                                    "A: Ask an admin.")
            ch_id = info.id
        else:
            ch_id = ch.id
            if not ch.member:
                await bot.join(ch_id)
        state["faq_id"] = ch_id
        # The whole channel, oldest first, then live from where the pages ended.
        page = await bot.history(ch_id, limit=200)
        pages = [page]
        while page.more and page.events:
            page = await bot.history(ch_id, before=page.events[0].seq, limit=200)
            pages.append(page)
        for p in reversed(pages):
            for ev in p.events:
                faq.apply(ev)
        last = max((e.seq for p in pages for e in p.events), default=0)
        await bot.subscribe(ch_id, since=last)

    @bot.on_connect
    async def connected(notice) -> None:
        if state["faq_id"] is None:
            await load_faq()

    @bot.on_event()
    async def faq_changed(ev: Event) -> None:
        if ev.stream == state["faq_id"]:
            faq.apply(ev)

    @bot.on_reset
    async def faq_reset(notice) -> None:
        if notice.stream == state["faq_id"]:
            faq.entries.clear()
            state["faq_id"] = None
            await load_faq()

    @bot.on_mention
    async def answer(ev: Event) -> None:
        if ev.stream == state["faq_id"]:
            return
        question = MENTION.sub(" ", ev.text or "").strip()
        if question.lower() in ("list", "help", ""):
            qs = faq.questions()
            text = ("I can answer:\n" + "\n".join(f"- {q}" for q in qs)) if qs else \
                f"The FAQ is empty: add entries to #{faq_channel}."
        else:
            hit = faq.best(question)
            text = f"{hit[1]}\n(FAQ: {hit[0]})" if hit else \
                f"I don't know that one yet: add it to #{faq_channel}, or try `@{bot.user.id} list`."
        await bot.reply(ev, text)

    return bot


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    url = os.environ.get("AGORA_URL", "http://127.0.0.1:8080")
    auth = {"token": os.environ["AGORA_TOKEN"]} if os.environ.get("AGORA_TOKEN") else \
        {"username": os.environ.get("AGORA_USER", "dave"), "password": os.environ.get("AGORA_PASSWORD", "demo-password")}
    join = [c for c in os.environ.get("AGORA_JOIN", "help,general").split(",") if c]
    bot = make_bot(url, os.environ.get("AGORA_FAQ_CHANNEL", "faq"), join, **auth)

    @bot.on_connect
    async def hello(notice) -> None:
        logging.info("connected as %s (reconnected: %s); mention @%s with a question", notice.user.id,
                     notice.reconnected, notice.user.id)

    await bot.run()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except AgoraError as e:  # a refused token, or a log out: say so, no traceback
        raise SystemExit(f"faq_bot: {e}") from None
    except KeyboardInterrupt:
        pass
