// Checks of the JS SDK (../dist/agora.js) against a live agora server, run under
// Node by tests/js_sdk.rs (`node --experimental-websocket`; Node ≥ 22 has
// WebSocket without the flag). Env: AGORA_URL (http://127.0.0.1:PORT), ANN_TOKEN,
// BOB_TOKEN, CHANNEL (a channel both are members of). Exit 0 when every check passes.
import { AgoraClient, AgoraHttp, Cursors, backoffDelay, shouldReconnect } from "../dist/agora.js";

const failures = [];
function check(cond, what) {
  if (!cond) failures.push(what);
  console.log(`${cond ? "ok  " : "FAIL"} ${what}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(10);
  }
}

// ---- pure logic ---------------------------------------------------------------
check(shouldReconnect(1006) && shouldReconnect(4000) && shouldReconnect(4499), "reconnects on 1006 and 4000-4499");
check(!shouldReconnect(4500) && !shouldReconnect(4999), "never reconnects on 4500-4999");
check(backoffDelay(0, 500, 30000, () => 0) === 250 && backoffDelay(0, 500, 30000, () => 1) === 500, "first backoff is 250-500 ms");
check(backoffDelay(30, 500, 30000, () => 1) === 30000, "backoff is capped");
{
  const c = new Cursors();
  c.subscribed("s", { head: 5, epoch: "e1", recovered: true }, null);
  check(c.accept("s", 6) && !c.accept("s", 6) && !c.accept("s", 3), "cursors drop duplicates by seq");
  const back = Cursors.fromJSON(JSON.parse(JSON.stringify(c.toJSON())));
  check(JSON.stringify(back.subscribeFields("s")) === JSON.stringify({ stream: "s", since: 6, epoch: "e1" }), "cursors survive a JSON round trip");
  check(c.subscribed("s", { head: 9, epoch: "e2", recovered: false }, 6) === true && c.lastSeq("s") === 9, "an unrecovered resume is a reset to the head");
}

// ---- against the server ---------------------------------------------------------
const url = process.env.AGORA_URL;
const ch = process.env.CHANNEL;
const ann = new AgoraClient({ url, token: process.env.ANN_TOKEN, minBackoffMs: 20, maxBackoffMs: 100 });
const bob = new AgoraClient({ url, token: process.env.BOB_TOKEN });
const seen = [];
let resets = 0;
ann.on("event", (ev) => ev.stream === ch && seen.push(ev.seq));
ann.on("reset", () => resets++);
try {
  await ann.connect();
  await bob.connect();
  check(ann.ws.protocol === "agora.json.batch.v1", "the SDK gets batched messages");
  const sub = await ann.subscribe(ch);
  const start = sub.head;
  for (let i = 0; i < 20; i++) await bob.post(ch, `live ${i}`);
  await until(() => seen.length >= 20, 5000, "20 live events");
  check(JSON.stringify(seen) === JSON.stringify([...Array(20).keys()].map((i) => start + 1 + i)), "live events in order, each once");

  // The network drops (no close handshake from the app): the SDK reconnects and resumes.
  ann.ws.close(4000, "test drop");
  await until(() => ann.state !== "open", 2000, "the drop is noticed");
  for (let i = 0; i < 10; i++) await bob.post(ch, `missed ${i}`);
  await until(() => seen.length >= 30, 10000, "the 10 missed events after the resume");
  await sleep(200); // a duplicate would arrive now
  check(ann.state === "open", "reconnected");
  check(JSON.stringify(seen) === JSON.stringify([...Array(30).keys()].map((i) => start + 1 + i)), "resume: the missed events exactly once, in order");
  check(resets === 0, "no reset on a recovered resume");

  // A post retried with the same idempotency key is stored once.
  const a = await ann.post(ch, "once", { idem: "js-sdk-once" });
  const b = await ann.post(ch, "once", { idem: "js-sdk-once" });
  check(a.seq === b.seq, "an idempotent retry returns the same seq");
  await until(() => seen.length >= 31, 5000, "the idempotent post's event");
  await sleep(200);
  check(seen.filter((s) => s === a.seq).length === 1 && seen.length === 31, "and the event arrives once");

  // Attachments: upload over HTTP, post the answer, bob downloads the bytes.
  const annHttp = new AgoraHttp(url, process.env.ANN_TOKEN);
  const file = new Blob(["minutes of the meeting\n"], { type: "text/plain" });
  const att = await annHttp.upload(ch, file, { name: "minutes.txt" });
  check(/^[0-9a-f]{64}$/.test(att.hash) && att.type === "text/plain" && att.size === 23 && att.name === "minutes.txt", "an upload answers its Attachment");
  const withFile = await ann.post(ch, "", { attachments: [att] });
  const page = await bob.history(ch, { after: withFile.seq - 1, limit: 1 });
  check(page.events[0]?.attachments?.[0]?.hash === att.hash, "the message carries the attachment");
  const bytes = await new AgoraHttp(url, process.env.BOB_TOKEN).attachment(att.hash, att.name);
  check((await bytes.text()) === "minutes of the meeting\n", "a member downloads its bytes");
  const refused = await annHttp.upload(ch, new Blob(["<p>x</p>"], { type: "text/html" })).catch((e) => e);
  check(refused.code === "unsupported_type", "an unsupported type is refused with its code");
} catch (e) {
  failures.push(String(e && e.stack ? e.stack : e));
  console.log(`FAIL ${e}`);
} finally {
  ann.close();
  bob.close();
}
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("all checks passed");
process.exit(0);
