// A scripted stand-in for a WebSocket server, for the SDK's unit tests: each
// socket the client opens is handed to `handle(frame, socket)`, which answers
// like the server would. No network, no timers of its own.
export class FakeNet {
  constructor(handle, { protocol = "agora.json.batch.v1", refuse = () => false } = {}) {
    this.handle = handle;
    this.sockets = [];
    this.sent = []; // every frame any client socket sent, parsed
    const net = this;
    this.WebSocket = class FakeWebSocket {
      constructor(url, protocols) {
        this.url = url;
        this.protocols = protocols;
        this.readyState = 0;
        this.protocol = protocol;
        this.onopen = this.onmessage = this.onclose = this.onerror = null;
        net.sockets.push(this);
        queueMicrotask(() => {
          if (refuse(net.sockets.length)) {
            this.readyState = 3;
            this.onclose?.({ code: 1006, reason: "refused" });
            return;
          }
          this.readyState = 1;
          this.onopen?.({});
        });
      }
      send(data) {
        const f = JSON.parse(data);
        net.sent.push(f);
        queueMicrotask(() => net.handle(f, this));
      }
      close(code = 1000, reason = "") {
        if (this.readyState === 3) return;
        this.readyState = 3;
        queueMicrotask(() => this.onclose?.({ code, reason }));
      }
      /** Server side: send frames (joined as one batched message). */
      push(...frames) {
        if (this.readyState !== 1) return;
        this.onmessage?.({ data: frames.map((f) => JSON.stringify(f)).join("\n") });
      }
      reply(f, ok) {
        this.push({ re: f.id, ok });
      }
      fail(f, error) {
        this.push({ re: f.id, error });
      }
      /** Server side: drop the connection. */
      drop(code = 1006) {
        this.close(code, "dropped");
      }
    };
  }
  get last() {
    return this.sockets[this.sockets.length - 1];
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function until(cond, what, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
}

/** A server that answers whoami, subscribe (head from `heads`) and post (seq counter per stream). */
export function simpleServer(heads = {}, epoch = "e1") {
  const seen = new Map(); // idem -> seq
  return (f, ws) => {
    switch (f.op) {
      case "whoami":
        return ws.reply(f, { user: { id: "ann", display_name: "Ann", role: "member" }, epoch });
      case "subscribe":
        return ws.reply(f, { stream: f.stream, head: heads[f.stream] ?? 0, epoch, recovered: !f.epoch || f.epoch === epoch, presence: [] });
      case "post": {
        const dup = seen.has(f.idem);
        if (!dup) {
          heads[f.stream] = (heads[f.stream] ?? 0) + 1;
          seen.set(f.idem, heads[f.stream]);
        }
        return ws.reply(f, { stream: f.stream, seq: seen.get(f.idem), at: 1, duplicate: dup });
      }
      default:
        return ws.reply(f, {});
    }
  };
}
