"""The SDK against a real server (see conftest.py): connect, post and receive,
the mention decorator, resume after a forced disconnect with no gap or
duplicate, idempotent posts across a drop, rate-limit retry, log out,
attachments (upload, post, download; refused for outsiders and bad types)."""

import asyncio

import pytest

from agora_bot import AgoraError, Bot, Client, Closed, Connected, Event, StreamAddedPush, http_json
from conftest import PASSWORD, URL, live_only, make_user, next_of, run_async, unique

pytestmark = live_only


@run_async
async def test_connects_with_a_bot_token_and_with_a_password():
    bot_id, api_token = await make_user("pybot", role="bot")
    bot = Client(URL, token=api_token)
    me = await bot.connect()
    assert (me.user.id, me.user.role) == (bot_id, "bot")
    assert me.epoch
    await bot.close()

    ann_id, _ = await make_user("ann")
    ann = Client(URL, username=ann_id, password=PASSWORD, encoding="json")
    me = await ann.connect()
    assert me.user.id == ann_id
    assert await ann.ping() > 0
    await ann.close()

    with pytest.raises(AgoraError) as refused:
        await Client(URL, token="agb_not-a-token").connect()
    assert refused.value.code == "unauthorized"


@pytest.mark.parametrize("encoding,batch", [("msgpack", True), ("json", True), ("json", False)])
@run_async
async def test_posts_and_receives_typed_events(encoding, batch):
    (ann_id, ann_t), (bob_id, bob_t) = await make_user("ann"), await make_user("bob")
    ann, bob = Client(URL, token=ann_t), Client(URL, token=bob_t, encoding=encoding, batch=batch)
    await ann.connect()
    await bob.connect()
    ch = await ann.create_channel(unique("py-"), topic="sdk test")
    await bob.join(ch.id)
    sub = await bob.subscribe(ch.id)
    assert sub.head >= 2 and sub.recovered

    first = await ann.post(ch.id, f"hello @{bob_id}")
    second = await ann.post(ch.id, "a reply", reply_to=first.seq)
    assert second.seq == first.seq + 1 and not second.duplicate

    ev = await next_of(bob, lambda i: isinstance(i, Event) and i.seq == first.seq)
    assert (ev.type, ev.author, ev.text, ev.stream) == ("message_posted", ann_id, f"hello @{bob_id}", ch.id)
    assert ev.mentions == [bob_id] and ev.known and ev.idem
    ev2 = await next_of(bob, lambda i: isinstance(i, Event))
    assert (ev2.seq, ev2.reply_to) == (second.seq, first.seq)

    page = await bob.history(ch.id, limit=2)
    assert [e.seq for e in page.events] == [first.seq, second.seq]
    assert bob.cursors[ch.id]["last_seq"] == second.seq
    await ann.close()
    await bob.close()


@run_async
async def test_the_mention_decorator_fires_and_the_bot_replies():
    bot_id, api_token = await make_user("faqbot", role="bot")
    ann_id, ann_t = await make_user("ann")
    ann = Client(URL, token=ann_t)
    await ann.connect()
    # A channel the bot joins by name at start.
    ch = await ann.create_channel(unique("help-"))
    bot = Bot(URL, token=api_token, join=[ch.name])
    mentions, messages, added = [], [], asyncio.Event()

    @bot.on_mention
    async def answer(ev):
        mentions.append(ev)
        await bot.reply(ev, f"hi @{ev.author}, you said: {ev.text}")

    @bot.on_message
    async def seen(ev):
        messages.append(ev)

    @bot.on_push("stream_added")
    async def on_added(push):
        added.set()

    await bot.start()
    serving = asyncio.create_task(bot.serve())
    await ann.subscribe(ch.id)
    await ann.post(ch.id, "no mention here")
    asked = await ann.post(ch.id, f"@{bot_id} where are the docs?")
    answer_ev = await next_of(ann, lambda i: isinstance(i, Event) and i.author == bot_id)
    assert answer_ev.reply_to == asked.seq
    assert answer_ev.text == f"hi @{ann_id}, you said: @{bot_id} where are the docs?"
    assert [e.seq for e in mentions] == [asked.seq]
    assert [e.text for e in messages] == ["no mention here", f"@{bot_id} where are the docs?"]

    # A new channel with the bot among its members: followed from stream_added.
    ch2 = await ann.create_channel(unique("new-"), members=[bot_id])
    await asyncio.wait_for(added.wait(), 20)
    await ann.subscribe(ch2.id)
    asked2 = await ann.post(ch2.id, f"hey @{bot_id}")
    answer2 = await next_of(ann, lambda i: isinstance(i, Event) and i.author == bot_id and i.stream == ch2.id)
    assert answer2.reply_to == asked2.seq
    await bot.close()
    await serving
    await ann.close()


@run_async
async def test_resume_after_a_forced_disconnect_has_no_gap_and_no_duplicate():
    (ann_id, ann_t), (_, bob_t) = await make_user("ann"), await make_user("bob")
    ann, bob = Client(URL, token=ann_t), Client(URL, token=bob_t, min_backoff=0.05)
    await ann.connect()
    await bob.connect()
    ch = await ann.create_channel(unique("resume-"))
    await bob.subscribe(ch.id)
    texts = [f"m{i}" for i in range(30)]

    async def publish():
        seqs = []
        for t in texts:
            seqs.append((await ann.post(ch.id, t)).seq)
            await asyncio.sleep(0.01)
        return seqs

    publishing = asyncio.create_task(publish())
    got = []
    while len(got) < len(texts):
        item = await next_of(bob, lambda i: isinstance(i, Event) and i.type == "message_posted")
        got.append(item)
        if len(got) == 5:
            bob.drop_connection()  # as a network failure: no close frame
    seqs = await publishing
    assert bob.stats["reconnects"] >= 1
    assert [e.text for e in got] == texts, "every message once, in order"
    assert [e.seq for e in got] == seqs
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "gapless"
    await ann.close()
    await bob.close()


@run_async
async def test_hidden_messages_arrive_as_skips_and_resume_continues_after_them():
    (ann_id, ann_t), (_, bob_t) = await make_user("ann"), await make_user("bob")
    _, carol_t = await make_user("carol", role="moderator")
    ann, bob, carol = Client(URL, token=ann_t), Client(URL, token=bob_t, min_backoff=0.05), Client(URL, token=carol_t)
    for c in (ann, bob, carol):
        await c.connect()
    ch = await ann.create_channel(unique("skip-"))
    await bob.join(ch.id)
    await carol.join(ch.id)
    secret = await ann.post(ch.id, "secret")
    hidden = await carol.hide(ch.id, secret.seq, "spoiler")
    edit = await ann.edit(ch.id, secret.seq, "still secret")  # for ann and moderators only
    # bob follows from before the hidden message: the replay skips it and its edit,
    # and the skip at the end still moves the cursor.
    await bob.subscribe(ch.id, since=secret.seq - 1)
    got = await next_of(bob, lambda i: isinstance(i, Event))
    assert (got.seq, got.type) == (hidden.seq, "message_hidden")
    for _ in range(200):
        if bob.cursors[ch.id]["last_seq"] == edit.seq:
            break
        await asyncio.sleep(0.01)
    assert bob.cursors[ch.id]["last_seq"] == edit.seq, "the skip of the hidden edit advanced the cursor"
    bob.drop_connection()
    later = await ann.post(ch.id, "after the drop")
    again = await next_of(bob, lambda i: isinstance(i, Event))
    assert (again.seq, again.text) == (later.seq, "after the drop"), "resumed past the skips, nothing twice"
    assert not any(e.text == "still secret" for e in [got, again])
    for c in (ann, bob, carol):
        await c.close()


@run_async
async def test_a_post_cut_off_by_a_drop_is_stored_once():
    _, ann_t = await make_user("ann")
    ann = Client(URL, token=ann_t, min_backoff=0.05)
    await ann.connect()
    ch = await ann.create_channel(unique("idem-"))
    posting = asyncio.create_task(ann.post(ch.id, "across the drop", idem="py-idem-1"))
    await asyncio.sleep(0)  # the post is on the wire, or about to be
    ann.drop_connection()
    ok = await posting
    again = await ann.post(ch.id, "across the drop", idem="py-idem-1")
    assert again.duplicate and again.seq == ok.seq
    # The same key for another text is a mistake, refused (PROTOCOL.md, post).
    with pytest.raises(AgoraError) as refused:
        await ann.post(ch.id, "another text", idem="py-idem-1")
    assert refused.value.code == "conflict"
    page = await ann.history(ch.id)
    assert [e.text for e in page.events if e.type == "message_posted"] == ["across the drop"]
    await ann.close()


@run_async
async def test_rate_limited_posts_are_retried_after_retry_after_ms():
    _, t = await make_user("burst")
    c = Client(URL, token=t)
    await c.connect()
    ch = await c.create_channel(unique("burst-"))
    # Far past the per-user post bucket (burst 20, 10/s by default), all at once.
    acks = await asyncio.gather(*(c.post(ch.id, f"n{i}") for i in range(50)))
    assert c.stats["rate_limited"] > 0, "the server's limit was reached"
    assert c.stats["reconnects"] == 0, "no flood close (4002)"
    seqs = sorted(a.seq for a in acks)
    assert seqs == list(range(seqs[0], seqs[0] + 50)), "each post stored once"
    await c.close()


@run_async
async def test_logout_revokes_the_token_and_closes_the_connection():
    ann_id, ann_t = await make_user("ann")
    watcher = Client(URL, token=ann_t)  # a second connection with the same token
    await watcher.connect()
    ann = Client(URL, token=ann_t)
    await ann.connect()
    await ann.logout()
    lost = await next_of(watcher, lambda i: not isinstance(i, (Event, StreamAddedPush)) and hasattr(i, "code"))
    assert (lost.code, lost.will_reconnect) == (4500, False)
    with pytest.raises(Closed):
        await watcher.wait_closed()
    with pytest.raises(AgoraError) as refused:
        await Client(URL, token=ann_t).connect()
    assert refused.value.code == "unauthorized"


@run_async
async def test_a_password_bot_logs_in_again_when_its_session_is_revoked():
    ann_id, _ = await make_user("ann")
    ann = Client(URL, username=ann_id, password=PASSWORD, min_backoff=0.05)
    await ann.connect()
    ch = await ann.create_channel(unique("relogin-"))
    await ann.subscribe(ch.id)
    old = ann.token
    # Another party revokes the session (as an expiry would end it).
    await http_json(URL, "POST", "/api/v1/auth/logout", token=old)
    notice = await next_of(ann, lambda i: isinstance(i, Connected) and i.reconnected)
    assert ann.token != old and notice.user.id == ann_id
    ok = await ann.post(ch.id, "still here")
    ev = await next_of(ann, lambda i: isinstance(i, Event) and i.type == "message_posted")
    assert ev.seq == ok.seq, "the followed stream was resumed on the new session"
    await ann.close()


@run_async
async def test_a_bot_uploads_a_file_posts_it_and_members_download_it():
    (ann_id, ann_t), (bob_id, bob_t) = await make_user("ann"), await make_user("bob")
    ann, bob = Client(URL, token=ann_t), Client(URL, token=bob_t, encoding="msgpack")
    await ann.connect()
    await bob.connect()
    ch = await ann.create_channel(unique("py-files-"), private=True, members=[bob_id])
    await bob.subscribe(ch.id)
    att = await ann.upload(ch.id, b"q,a\nopen?,9-17\n", "faq.csv", "text/csv")
    assert (att["name"], att["type"], att["size"]) == ("faq.csv", "text/csv", 15)
    posted = await ann.post(ch.id, "", attachments=[att])
    ev = await next_of(bob, lambda i: isinstance(i, Event) and i.seq == posted.seq)
    assert [a["hash"] for a in ev.attachments] == [att["hash"]]
    assert await bob.attachment(att["hash"]) == b"q,a\nopen?,9-17\n"

    eve_id, eve_t = await make_user("eve")
    eve = Client(URL, token=eve_t)
    with pytest.raises(AgoraError) as hidden:
        await eve.attachment(att["hash"])
    assert hidden.value.code == "not_found"
    with pytest.raises(AgoraError) as refused:
        await ann.upload(ch.id, b"<p>hi</p>", "page.html", "text/html")
    assert refused.value.code == "unsupported_type"
    await ann.close()
    await bob.close()
