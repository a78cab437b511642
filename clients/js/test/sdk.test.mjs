// Unit tests of the JS SDK (clients/js/dist/agora.js, built from src/) with
// Node's test runner and a scripted fake WebSocket (fake.mjs). The live checks
// against a real server are in sdk_live.mjs (tests/js_sdk.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { AgoraClient, AgoraError, Cursors, Outbox, backoffDelay, shouldReconnect } from "../dist/agora.js";
import { FakeNet, simpleServer, sleep, until } from "./fake.mjs";

const fast = { minBackoffMs: 5, maxBackoffMs: 20, random: () => 1 };

test("reconnect policy: 4500-4999 never, everything else yes", () => {
  assert.ok(shouldReconnect(1001) && shouldReconnect(1006) && shouldReconnect(4000) && shouldReconnect(4499));
  assert.ok(!shouldReconnect(4500) && !shouldReconnect(4501) && !shouldReconnect(4999));
});

test("backoff doubles from the minimum, is capped, and is jittered to 50-100%", () => {
  assert.equal(backoffDelay(0, 500, 30000, () => 0), 250);
  assert.equal(backoffDelay(0, 500, 30000, () => 1), 500);
  assert.equal(backoffDelay(3, 500, 30000, () => 1), 4000);
  assert.equal(backoffDelay(40, 500, 30000, () => 1), 30000);
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(4)));
  assert.ok(spread.size > 10, "random jitter spreads reconnects");
  for (const d of spread) assert.ok(d >= 4000 && d <= 8000);
});

test("cursors drop duplicates, survive JSON, and a new epoch is a reset", () => {
  const c = new Cursors();
  c.subscribed("s", { head: 5, epoch: "e1", recovered: true }, null);
  assert.ok(c.accept("s", 6));
  assert.ok(!c.accept("s", 6) && !c.accept("s", 3));
  const back = Cursors.fromJSON(JSON.parse(JSON.stringify(c.toJSON())));
  assert.deepEqual(back.subscribeFields("s"), { stream: "s", since: 6, epoch: "e1" });
  assert.equal(c.subscribed("s", { head: 9, epoch: "e2", recovered: false }, 6), true);
  assert.equal(c.lastSeq("s"), 9);
  assert.deepEqual(new Cursors().subscribeFields("x"), { stream: "x" });
});

test("the outbox keeps order, dedupes by key and persists", () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) };
  const o = new Outbox(storage);
  o.add({ idem: "a", stream: "s", text: "1" });
  o.add({ idem: "b", stream: "s", text: "2" });
  o.add({ idem: "a", stream: "s", text: "1 again" });
  assert.deepEqual(o.list().map((p) => p.text), ["1", "2"]);
  const reloaded = new Outbox(storage);
  assert.deepEqual(reloaded.list().map((p) => [p.idem, p.state]), [["a", "queued"], ["b", "queued"]]);
  reloaded.remove("a");
  reloaded.remove("b");
  assert.equal(store.size, 0, "an empty outbox leaves nothing in storage");
});

test("requests are matched by id, errors are AgoraErrors, and batched frames are split", async () => {
  const net = new FakeNet((f, ws) => {
    if (f.op === "whoami") return ws.reply(f, { user: { id: "ann", display_name: "Ann", role: "member" }, epoch: "e1" });
    if (f.op === "stream_info") return ws.fail(f, { code: "not_found", message: "no such stream" });
    if (f.op === "ping") return ws.push({ ev: "typing", stream: "s", user: "bob", ttl_ms: 6000 }, { re: f.id, ok: { time: 7 } });
  });
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  const typing = [];
  c.on("typing", (t) => typing.push(t.user));
  await c.connect();
  assert.equal(c.user.id, "ann");
  assert.equal(c.epoch, "e1");
  assert.match(net.last.url, /^ws:\/\/x\/ws\?token=t$/);
  assert.deepEqual(net.last.protocols, ["agora.json.batch.v1", "agora.json.v1"]);
  assert.deepEqual(await c.ping(), { time: 7 });
  assert.deepEqual(typing, ["bob"], "a push and a reply in one batched message");
  await assert.rejects(c.streamInfo("nope"), (e) => e instanceof AgoraError && e.code === "not_found");
  c.close();
});

test("a request without a reply times out", async () => {
  const net = new FakeNet((f, ws) => f.op === "whoami" && ws.reply(f, { user: { id: "ann" }, epoch: "e1" }));
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, requestTimeoutMs: 30, ...fast });
  await c.connect();
  await assert.rejects(c.ping(), (e) => e.code === "timeout");
  c.close();
});

test("after a drop it reconnects with backoff and resumes each stream from its last seq", async () => {
  const net = new FakeNet(simpleServer({ s: 10 }));
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  const events = [];
  const closes = [];
  c.on("event", (e) => events.push(e.seq));
  c.on("close", (e) => closes.push(e));
  await c.connect();
  await c.subscribe("s");
  net.last.push({ ev: "event", stream: "s", seq: 11, at: 1, author: "bob", type: "message_posted", text: "a" });
  net.last.drop(1006);
  await until(() => net.sockets.length === 2 && c.state === "open", "reconnected");
  assert.equal(closes[0].willReconnect, true);
  assert.ok(closes[0].delayMs >= 2 && closes[0].delayMs <= 5, `first backoff ${closes[0].delayMs}`);
  const resub = net.sent.filter((f) => f.op === "subscribe").at(-1);
  assert.deepEqual({ since: resub.since, epoch: resub.epoch }, { since: 11, epoch: "e1" });
  // the replay after the resume, with a duplicate the client must drop
  net.last.push(
    { ev: "event", stream: "s", seq: 11, at: 1, author: "bob", type: "message_posted", text: "a" },
    { ev: "event", stream: "s", seq: 12, at: 1, author: "bob", type: "message_posted", text: "b" },
  );
  assert.deepEqual(events, [11, 12]);
  c.close();
});

test("a skip marker moves the cursor: the resume continues after seqs not for me", async () => {
  const net = new FakeNet(simpleServer({ s: 10 }));
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  const events = [];
  c.on("event", (e) => events.push(e.seq));
  await c.connect();
  await c.subscribe("s");
  net.last.push(
    { ev: "event", stream: "s", seq: 11, at: 1, author: "bob", type: "message_posted", text: "a" },
    { ev: "skip", stream: "s", from: 12, to: 13 },
  );
  assert.equal(c.lastSeq("s"), 13);
  net.last.drop(1006);
  await until(() => net.sockets.length === 2 && c.state === "open", "reconnected");
  const resub = net.sent.filter((f) => f.op === "subscribe").at(-1);
  assert.equal(resub.since, 13);
  assert.deepEqual(events, [11]);
  c.close();
});

test("a resume in a new epoch emits reset", async () => {
  let epoch = "e1";
  const net = new FakeNet((f, ws) => simpleServer({ s: 3 }, epoch)(f, ws));
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  const resets = [];
  c.on("reset", (r) => resets.push(r));
  await c.connect();
  await c.subscribe("s", { since: 3 });
  epoch = "e2";
  net.last.drop(1001);
  await until(() => resets.length === 1, "reset");
  assert.equal(resets[0].reason, "epoch");
  assert.equal(c.lastSeq("s"), 3);
  c.close();
});

test("4500 is final: no reconnect, connect() rejects", async () => {
  const net = new FakeNet((f, ws) => ws.close(4500, "unauthorized"));
  const c = new AgoraClient({ url: "http://x", token: "bad", WebSocket: net.WebSocket, ...fast });
  const closes = [];
  c.on("close", (e) => closes.push(e));
  await assert.rejects(c.connect(), (e) => e.code === "unauthorized");
  await sleep(30);
  assert.equal(net.sockets.length, 1);
  assert.equal(closes[0].willReconnect, false);
  assert.equal(c.state, "closed");
});

test("posts made offline wait in the outbox and are sent in order once connected", async () => {
  const net = new FakeNet(simpleServer(), { refuse: (n) => n <= 2 });
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  const sizes = [];
  c.on("outbox", (o) => sizes.push(o.length));
  const ready = c.connect();
  const p1 = c.post("s", "first");
  const p2 = c.post("s", "second");
  assert.equal(c.outbox.size, 2);
  await ready;
  const [a, b] = await Promise.all([p1, p2]);
  assert.deepEqual([a.seq, b.seq], [1, 2]);
  assert.equal(net.sockets.length, 3, "two refused attempts, then connected");
  assert.deepEqual(net.sent.filter((f) => f.op === "post").map((f) => f.text), ["first", "second"]);
  assert.equal(c.outbox.size, 0);
  assert.equal(sizes.at(-1), 0);
  c.close();
});

test("a post whose ack is lost is re-sent with the same key after the reconnect", async () => {
  let drops = 1;
  const inner = simpleServer();
  const net = new FakeNet((f, ws) => {
    if (f.op === "post" && drops-- > 0) {
      inner(f, { reply() {} }); // stored, but the ack is lost with the connection
      return ws.drop(1006);
    }
    inner(f, ws);
  });
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  await c.connect();
  const ok = await c.post("s", "once");
  const posts = net.sent.filter((f) => f.op === "post");
  assert.equal(posts.length, 2);
  assert.equal(posts[0].idem, posts[1].idem);
  assert.deepEqual([ok.seq, ok.duplicate], [1, true]);
  c.close();
});

test("rate_limited is surfaced with its retry time and the post goes through after it", async () => {
  let limited = true;
  const inner = simpleServer();
  const net = new FakeNet((f, ws) => {
    if (f.op === "post" && limited) {
      limited = false;
      return ws.fail(f, { code: "rate_limited", message: "slow down", retry_after_ms: 25 });
    }
    inner(f, ws);
  });
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  const limits = [];
  c.on("rate_limited", (r) => limits.push(r));
  await c.connect();
  const t0 = Date.now();
  const ok = await c.post("s", "hi");
  assert.equal(ok.seq, 1);
  assert.deepEqual(limits, [{ op: "post", retryAfterMs: 25 }]);
  assert.ok(Date.now() - t0 >= 20, "waited for the retry time");
  c.close();
});

test("a refused post leaves the outbox and rejects", async () => {
  const net = new FakeNet((f, ws) => (f.op === "post" ? ws.fail(f, { code: "forbidden", message: "join first" }) : simpleServer()(f, ws)));
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  await c.connect();
  await assert.rejects(c.post("s", "hi"), (e) => e.code === "forbidden");
  assert.equal(c.outbox.size, 0);
  c.close();
});

test("presence other than online is sent again after a reconnect", async () => {
  const net = new FakeNet(simpleServer());
  const c = new AgoraClient({ url: "http://x", token: "t", WebSocket: net.WebSocket, ...fast });
  await c.connect();
  await c.setPresence("dnd");
  net.last.drop(1006);
  await until(() => net.sockets.length === 2 && c.state === "open", "reconnected");
  assert.deepEqual(net.sent.filter((f) => f.op === "set_presence").map((f) => f.status), ["dnd", "dnd"]);
  c.close();
});
