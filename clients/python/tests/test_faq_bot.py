"""The example FAQ bot (examples/faq_bot.py): its matching, and the bot itself
against the live server: entries read from #faq, answers on mention, entries
added live."""

import asyncio
import importlib.util
import pathlib

from agora_bot import Client, Event
from conftest import URL, live_only, make_user, next_of, run_async, unique

_path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "faq_bot.py"
_spec = importlib.util.spec_from_file_location("faq_bot", _path)
faq_bot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(faq_bot)


def entry(seq, text, type="message_posted", target=None):
    return Event(stream="ch_faq", seq=seq, author="ann", type=type, text=text, target=target)


def test_the_index_matches_by_shared_words_and_follows_edits_and_deletes():
    idx = faq_bot.FaqIndex()
    idx.apply(entry(2, "Q: How do I reset my password?\nA: Ask an admin."))
    idx.apply(entry(3, "Q: When is the support desk open?\nA: 9-17 UTC."))
    idx.apply(entry(4, "just chatting, not an entry"))
    assert idx.best("@faqbot I forgot my password, reset?") == ("How do I reset my password?", "Ask an admin.")
    assert idx.best("is support open on weekends") == ("When is the support desk open?", "9-17 UTC.")
    assert idx.best("what's for lunch") is None
    idx.apply(entry(5, "Q: When is the support desk open?\nA: 8-18 UTC now.", type="message_edited", target=3))
    assert idx.best("support desk hours")[1] == "8-18 UTC now."
    idx.apply(Event(stream="ch_faq", seq=6, type="message_deleted", target=2))
    assert idx.best("reset password") is None
    assert idx.questions() == ["When is the support desk open?"]


@live_only
@run_async
async def test_the_faq_bot_answers_a_mention_from_the_faq_channel():
    bot_id, api_token = await make_user("faqbot", role="bot")
    ann_id, ann_t = await make_user("ann")
    ann = Client(URL, token=ann_t)
    await ann.connect()
    faq_name, help_name = unique("faq-"), unique("help-")
    faq = await ann.create_channel(faq_name)
    await ann.post(faq.id, "Q: How do I reset my password?\nA: Ask an admin in #help.")
    await ann.post(faq.id, "Q: Where are the release notes?\nA: In the wiki, under Releases.")
    help_ch = await ann.create_channel(help_name)
    await ann.subscribe(help_ch.id)

    bot = faq_bot.make_bot(URL, faq_name, [help_name], token=api_token)
    ready = asyncio.Event()

    @bot.on_connect
    async def connected(_notice):
        ready.set()

    await bot.start()
    serving = asyncio.create_task(bot.serve())
    await asyncio.wait_for(ready.wait(), 20)  # the FAQ is loaded by then (handlers run in order)

    asked = await ann.post(help_ch.id, f"@{bot_id} I forgot my password, how do I reset it?")
    got = await next_of(ann, lambda i: isinstance(i, Event) and i.author == bot_id and i.type == "message_posted")
    assert got.reply_to == asked.seq
    assert got.text.startswith("Ask an admin in #help."), got.text

    # A new entry, added while the bot runs, is answered at once.
    await ann.post(faq.id, "Q: Is there a mobile app?\nA: Not yet; the web app works on phones.")
    asked = await ann.post(help_ch.id, f"@{bot_id} is there a mobile app")
    got = await next_of(ann, lambda i: isinstance(i, Event) and i.author == bot_id and i.type == "message_posted")
    assert (got.reply_to, got.text.split("\n")[0]) == (asked.seq, "Not yet; the web app works on phones.")

    asked = await ann.post(help_ch.id, f"@{bot_id} list")
    got = await next_of(ann, lambda i: isinstance(i, Event) and i.author == bot_id and i.type == "message_posted")
    assert "Where are the release notes?" in got.text and "Is there a mobile app?" in got.text
    await bot.close()
    await serving
    await ann.close()
