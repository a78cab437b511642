/**
 * The visitor chat widget: one `<script src="https://agora.example.com/widget.js">`
 * on any page (its origin listed in the server's `allowed_origins`) gives a
 * floating chat window. Opening it the first time gets a visitor token
 * (`POST /api/v1/visitors`); the first message opens a ticket; agents answer
 * live over the WebSocket, typing shows both ways, and the header says whether
 * an agent will answer shortly. The token, the ticket and whether the window is
 * open are kept in localStorage, so a reload or another page of the site
 * resumes the same conversation (subscribe from the start) instead of opening
 * a new ticket. Internal notes never arrive here: the server sends the visitor
 * a `skip` for them. Plain DOM, no framework: it runs inside other sites' pages.
 */
import { AgoraClient } from "../../js/src/index";
import type { Event } from "../../js/src/index";
import "./widget.css";

const script = document.currentScript as HTMLScriptElement | null;
const BASE = script?.src ? new URL(script.src).origin : location.origin;
const KEY = "agora.widget";

interface Saved {
  token: string;
  user: string;
  expires: number;
  ticket?: string;
  open?: boolean;
}

function load(): Saved | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || "null") as Saved | null;
    return s && s.expires > Date.now() ? s : null;
  } catch {
    return null;
  }
}
function save(s: Saved): void {
  localStorage.setItem(KEY, JSON.stringify(s));
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

function mount(): void {
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = `${BASE}/widget.css`;
  document.head.appendChild(css);

  const launcher = el("button", "agora-launcher", "Chat with us");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  const panel = el("section", "agora-panel");
  panel.setAttribute("aria-label", "Chat with support");
  panel.hidden = true;
  const head = el("header", "agora-head");
  const title = el("strong", "agora-title", "Support");
  const status = el("p", "agora-status", "Connecting…");
  status.setAttribute("role", "status");
  head.append(title, status);
  const lines = el("ol", "agora-lines");
  lines.setAttribute("aria-live", "polite");
  const typing = el("p", "agora-typing");
  const form = el("form", "agora-form");
  const input = el("textarea", "agora-input");
  input.rows = 2;
  input.placeholder = "Write a message…";
  input.setAttribute("aria-label", "Your message");
  const send = el("button", "agora-send", "Send");
  send.type = "submit";
  form.append(input, send);
  panel.append(head, lines, typing, form);
  document.body.append(panel, launcher);

  let saved = load();
  let client: AgoraClient | null = null;
  const seen = new Set<number>();
  let typingTimer: ReturnType<typeof setTimeout> | undefined;

  const show = (e: Event) => {
    if (!saved?.ticket || e.stream !== saved.ticket || e.type !== "message_posted" || seen.has(e.seq)) return;
    seen.add(e.seq);
    const mine = e.author === saved.user;
    const li = el("li", mine ? "agora-line mine" : "agora-line agent");
    li.dataset.seq = String(e.seq);
    li.append(el("span", "agora-who", mine ? "You" : e.author), el("p", "agora-text", e.text));
    lines.appendChild(li);
    lines.scrollTop = lines.scrollHeight;
    if (!mine) typing.textContent = "";
  };

  async function connect(): Promise<AgoraClient> {
    if (client) return client;
    if (!saved) {
      const r = await fetch(`${BASE}/api/v1/visitors`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      if (!r.ok) throw new Error(`could not start a chat (${r.status})`);
      const v = (await r.json()) as { token: string; user: { id: string }; expires_at: number };
      saved = { token: v.token, user: v.user.id, expires: v.expires_at, open: true };
      save(saved);
    }
    const c = new AgoraClient({ url: BASE, token: saved.token });
    client = c;
    c.on("event", show);
    c.on("typing", (t) => {
      if (t.stream !== saved?.ticket || t.user === saved?.user) return;
      typing.textContent = "An agent is typing…";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => (typing.textContent = ""), t.ttl_ms);
    });
    await c.connect();
    const desk = await c.request("desk_status", {});
    status.textContent = desk.answering ? "An agent will answer shortly." : "We're away right now; we'll reply by e-mail.";
    if (saved.ticket) await c.subscribe(saved.ticket, { since: 0 });
    return c;
  }

  const setOpen = (open: boolean) => {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.textContent = open ? "Close chat" : "Chat with us";
    if (saved) save({ ...saved, open });
    if (open) {
      connect()
        .then(() => input.focus())
        .catch((e) => (status.textContent = (e as Error).message));
    }
  };
  launcher.addEventListener("click", () => setOpen(panel.hidden !== false));
  input.addEventListener("input", () => {
    if (client && saved?.ticket) void client.typing(saved.ticket).catch(() => {});
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    void (async () => {
      const c = await connect();
      if (!saved) return;
      if (!saved.ticket) {
        const subject = text.length > 80 ? `${text.slice(0, 77)}…` : text;
        const ok = await c.request("open_ticket", { subject, text });
        saved = { ...saved, ticket: ok.ticket.id };
        save(saved);
        await c.subscribe(ok.ticket.id, { since: 0 });
      } else {
        await c.request("post", { stream: saved.ticket, text });
      }
    })().catch((err) => (status.textContent = (err as Error).message));
  });
  // A conversation in progress: reopen it as it was (resume, not a new ticket).
  if (saved?.open) setOpen(true);
}

if (document.body) mount();
else addEventListener("DOMContentLoaded", mount);
