// The agora web app: plain DOM on top of the agora.js SDK, no framework.
//
// Model: per stream, the raw events we have (a Map seq -> event, from history
// pages and live pushes, deduplicated by seq). The message list is re-folded
// from those events on every change: edits, deletions, tombstones and
// reactions are applied in seq order, so arrival order never matters.
//
// Dev helper: open /#autologin=alice:demo-password to log in without the form.

import { AgoraClient, AgoraError } from "/agora.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "agora.token";
const PAGE = 50;

const state = {
  client: null,
  me: null,
  users: new Map(), // id -> UserInfo
  streams: new Map(), // id -> StreamSummary (kept current from pushes)
  events: new Map(), // stream id -> Map(seq -> event)
  more: new Map(), // stream id -> bool (older history exists)
  members: new Map(), // stream id -> [UserId]
  presence: new Map(), // user id -> status
  typing: new Map(), // stream id -> Map(user -> expiry ms)
  current: null,
  replyTo: null,
  readTimer: null,
};

// ---- small helpers -------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function displayName(id) {
  const u = state.users.get(id);
  return u ? u.display_name : id;
}

function streamLabel(s) {
  if (s.kind === "dm") {
    const others = s.name.split(", ").filter((u) => u !== state.me.id);
    return others.length ? others.map(displayName).join(", ") : s.name;
  }
  return (s.kind === "private_channel" ? "🔒 " : "# ") + s.name;
}

function fmtTime(ms) {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

/** Text with @mentions highlighted, as DOM nodes (never innerHTML). */
function richText(text, mentions = []) {
  const out = [];
  const re = /(^|[^A-Za-z0-9])@([A-Za-z0-9_.-]+)/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    const name = m[2].replace(/[.-]+$/, "");
    const start = m.index + m[1].length;
    if (!mentions.includes(name.toLowerCase())) continue;
    out.push(text.slice(last, start));
    out.push(el("span", { class: "mention" }, "@" + name));
    last = start + 1 + name.length;
  }
  out.push(text.slice(last));
  return out;
}

function toast(err) {
  console.warn(err);
  const msg = err instanceof AgoraError ? `${err.code}: ${err.message}` : String(err);
  $("typing").textContent = "⚠ " + msg;
  setTimeout(() => renderTyping(), 4000);
}

// ---- login -----------------------------------------------------------------------

async function start() {
  const hash = new URLSearchParams(location.hash.slice(1));
  const auto = hash.get("autologin");
  const client = new AgoraClient({ url: location.origin });
  state.client = client;
  if (auto) {
    const [u, p] = auto.split(":");
    history.replaceState(null, "", location.pathname);
    try {
      const r = await client.login(u, p);
      sessionStorage.setItem(TOKEN_KEY, r.token);
      return enter();
    } catch (e) {
      $("login-error").textContent = e.message;
    }
  }
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    client.token = saved;
    try {
      return await enter();
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
    }
  }
  showLogin();
}

function showLogin() {
  $("chat").hidden = true;
  $("login").hidden = false;
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  $("login-error").textContent = "";
  try {
    const r = await state.client.login(f.get("username").trim(), f.get("password"));
    sessionStorage.setItem(TOKEN_KEY, r.token);
    await enter();
  } catch (err) {
    $("login-error").textContent = err.message || String(err);
  }
});

$("logout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  state.client.close();
  location.reload();
});

// ---- connecting and the sidebar -----------------------------------------------------

async function enter() {
  const client = state.client;
  wire(client);
  await client.connect();
  state.me = client.user;
  $("login").hidden = true;
  $("chat").hidden = false;
  $("me-name").textContent = state.me.display_name;
  await loadUsers();
  const streams = await client.listStreams();
  for (const s of streams) state.streams.set(s.id, s);
  renderSidebar();
  // Follow every stream we belong to, for live badges, presence and typing.
  await Promise.all(streams.filter((s) => s.member).map((s) => client.subscribe(s.id).catch(toast)));
  const first = streams.find((s) => s.name === "general") || streams[0];
  if (first) openStream(first.id);
}

async function loadUsers() {
  try {
    const res = await fetch("/api/v1/users", { headers: { authorization: `Bearer ${state.client.token}` } });
    if (res.ok) for (const u of (await res.json()).users) state.users.set(u.id, u);
  } catch (e) {
    console.warn("users", e);
  }
}

function wire(client) {
  client.on("state", (s) => {
    const c = $("conn-state");
    c.textContent = s === "open" ? "● online" : s;
    c.className = "conn " + s;
  });
  client.on("close", (c) => {
    if (!c.willReconnect) {
      sessionStorage.removeItem(TOKEN_KEY);
      $("login-error").textContent = `disconnected (${c.code} ${c.reason}); log in again`;
      showLogin();
    }
  });
  client.on("open", async ({ reconnected }) => {
    if (!reconnected) return;
    // Counts may have moved while we were away.
    try {
      for (const s of await client.listStreams()) state.streams.set(s.id, s);
      renderSidebar();
    } catch (e) {
      console.warn(e);
    }
  });
  client.on("subscribed", (ok) => {
    for (const p of ok.presence) state.presence.set(p.user, p.status);
    renderMembers();
  });
  client.on("reset", ({ stream }) => {
    // The server's store changed (or we fell too far behind): reload from history.
    state.events.delete(stream);
    if (stream === state.current) loadLatest(stream);
  });
  client.on("event", onEvent);
  client.on("presence", (p) => {
    state.presence.set(p.user, p.status);
    renderMembers();
  });
  client.on("typing", (t) => {
    if (!state.typing.has(t.stream)) state.typing.set(t.stream, new Map());
    state.typing.get(t.stream).set(t.user, Date.now() + t.ttl_ms);
    renderTyping();
    setTimeout(renderTyping, t.ttl_ms + 50);
  });
  client.on("read", (r) => {
    const s = state.streams.get(r.stream);
    if (s && r.seq >= s.last_read) {
      s.last_read = r.seq;
      s.unread = 0;
      s.mentions = 0;
      renderSidebar();
    }
  });
  client.on("stream_added", ({ stream }) => {
    state.streams.set(stream.id, stream);
    renderSidebar();
    client.subscribe(stream.id).catch(toast);
  });
  client.on("error", (e) => console.warn("agora:", e));
}

function renderSidebar() {
  const channels = $("channels");
  const dms = $("dms");
  channels.replaceChildren();
  dms.replaceChildren();
  const sorted = [...state.streams.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }));
  for (const s of sorted) {
    if (!["channel", "private_channel", "dm"].includes(s.kind)) continue; // unknown kinds: not shown
    const cls = [s.id === state.current && "active", s.unread > 0 && "unread", !s.member && "not-member"].filter(Boolean).join(" ");
    const badge = s.mentions > 0 ? el("span", { class: "badge mention", title: "mentions" }, "@" + s.mentions) : s.unread > 0 ? el("span", { class: "badge" }, s.unread >= 1000 ? "999+" : s.unread) : null;
    const li = el("li", { class: cls, onclick: () => openStream(s.id), title: s.topic || s.name }, el("span", { class: "name" }, streamLabel(s)), badge);
    (s.kind === "dm" ? dms : channels).append(li);
  }
}

// ---- opening a stream ---------------------------------------------------------------

async function openStream(id) {
  const client = state.client;
  state.current = id;
  state.replyTo = null;
  const s = state.streams.get(id);
  renderSidebar();
  renderHeader();
  renderMessages(true);
  renderComposer();
  renderTyping();
  try {
    if (!client.cursors.has(id)) await client.subscribe(id); // read-only for public channels not joined
    const info = await client.streamInfo(id);
    state.members.set(id, info.members);
    if (s) Object.assign(s, { name: info.name, topic: info.topic, member_count: info.members.length });
    renderHeader();
    renderMembers();
    if (!state.events.has(id)) await loadLatest(id);
    else renderMessages(true);
    maybeMarkRead();
  } catch (e) {
    toast(e);
  }
}

async function loadLatest(id) {
  // Create the event map first, so live events arriving during the fetch are kept.
  if (!state.events.has(id)) state.events.set(id, new Map());
  const page = await state.client.history(id, { limit: PAGE });
  addEvents(id, page.events);
  state.more.set(id, page.more);
  if (id === state.current) renderMessages(true);
}

$("load-older").addEventListener("click", async () => {
  const id = state.current;
  const evs = state.events.get(id);
  if (!evs || !evs.size) return;
  const oldest = Math.min(...evs.keys());
  const box = $("messages");
  const fromBottom = box.scrollHeight - box.scrollTop;
  try {
    const page = await state.client.history(id, { before: oldest, limit: PAGE });
    addEvents(id, page.events);
    state.more.set(id, page.more);
    renderMessages(false);
    box.scrollTop = box.scrollHeight - fromBottom; // keep the view where it was
  } catch (e) {
    toast(e);
  }
});

function addEvents(id, events) {
  if (!state.events.has(id)) state.events.set(id, new Map());
  const m = state.events.get(id);
  for (const e of events) if (!m.has(e.seq) || e.type === "tombstone") m.set(e.seq, e);
}

// ---- live events ---------------------------------------------------------------------

function onEvent(ev) {
  const s = state.streams.get(ev.stream);
  // Keep the events of streams we have loaded; others only move badges.
  if (state.events.has(ev.stream)) addEvents(ev.stream, [ev]);
  if (s) {
    s.head = Math.max(s.head, ev.seq);
    if (ev.type === "message_posted" && ev.author !== state.me.id && s.member) {
      const visible = ev.stream === state.current && document.visibilityState === "visible";
      if (!visible) {
        s.unread += 1;
        if ((ev.mentions || []).includes(state.me.id)) s.mentions += 1;
      }
    }
    if (ev.type === "stream_renamed") s.name = ev.name;
    if (ev.type === "topic_set") s.topic = ev.topic;
    if (ev.type === "member_joined" || ev.type === "member_invited" || ev.type === "member_left") {
      const members = new Set(state.members.get(ev.stream) || []);
      if (ev.type === "member_left") members.delete(ev.user);
      else members.add(ev.user);
      state.members.set(ev.stream, [...members]);
      s.member_count = members.size;
      if (ev.user === state.me.id) s.member = ev.type !== "member_left";
    }
  }
  if (ev.type === "message_posted") {
    const t = state.typing.get(ev.stream);
    if (t) t.delete(ev.author);
  }
  renderSidebar();
  if (ev.stream === state.current) {
    renderHeader();
    renderMessages(false);
    renderTyping();
    renderMembers();
    renderComposer();
    maybeMarkRead();
  }
}

// ---- folding events into messages ------------------------------------------------------

function fold(id) {
  const evs = [...(state.events.get(id) || new Map()).values()].sort((a, b) => a.seq - b.seq);
  const items = []; // messages and system lines, in seq order
  const msgs = new Map();
  for (const e of evs) {
    switch (e.type) {
      case "message_posted": {
        const m = { kind: "msg", seq: e.seq, at: e.at, author: e.author, text: e.text, mentions: e.mentions || [], reply_to: e.reply_to, edited: false, deleted: false, reactions: new Map() };
        msgs.set(e.seq, m);
        items.push(m);
        break;
      }
      case "tombstone": {
        const m = { kind: "msg", seq: e.seq, at: e.at, author: e.author, text: "", mentions: [], deleted: true, reactions: new Map() };
        msgs.set(e.seq, m);
        items.push(m);
        break;
      }
      case "message_edited": {
        const m = msgs.get(e.target);
        if (m && !m.deleted) Object.assign(m, { text: e.text, mentions: e.mentions || [], edited: true });
        break;
      }
      case "message_deleted": {
        const m = msgs.get(e.target);
        if (m) Object.assign(m, { deleted: true, text: "", reactions: new Map() });
        break;
      }
      case "reaction_added":
      case "reaction_removed": {
        const m = msgs.get(e.target);
        if (!m || m.deleted) break;
        if (!m.reactions.has(e.emoji)) m.reactions.set(e.emoji, new Set());
        const who = m.reactions.get(e.emoji);
        if (e.type === "reaction_added") who.add(e.author);
        else who.delete(e.author);
        if (!who.size) m.reactions.delete(e.emoji);
        break;
      }
      case "stream_created":
        items.push({ kind: "sys", seq: e.seq, text: `${displayName(e.author)} created ${e.kind === "dm" ? "this conversation" : e.name}` });
        break;
      case "member_joined":
        items.push({ kind: "sys", seq: e.seq, text: `${displayName(e.user)} joined` });
        break;
      case "member_left":
        items.push({ kind: "sys", seq: e.seq, text: `${displayName(e.user)} left` });
        break;
      case "member_invited":
        items.push({ kind: "sys", seq: e.seq, text: `${displayName(e.author)} added ${displayName(e.user)}` });
        break;
      case "stream_renamed":
        items.push({ kind: "sys", seq: e.seq, text: `${displayName(e.author)} renamed the channel to ${e.name}` });
        break;
      case "topic_set":
        items.push({ kind: "sys", seq: e.seq, text: e.topic ? `${displayName(e.author)} set the topic: ${e.topic}` : `${displayName(e.author)} cleared the topic` });
        break;
      default:
        break; // unknown event types are ignored
    }
  }
  return { items, msgs };
}

// ---- rendering -------------------------------------------------------------------------

function renderHeader() {
  const s = state.streams.get(state.current);
  $("stream-name").textContent = s ? streamLabel(s) : "Pick a stream";
  $("stream-topic").textContent = s ? s.topic : "";
  // Channel settings for members of a channel (a DM's members are fixed).
  $("stream-settings").hidden = !s || s.kind === "dm" || !s.member;
}

function renderMessages(scrollToBottom) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const list = $("message-list");
  const id = state.current;
  if (!id) return list.replaceChildren();
  const { items, msgs } = fold(id);
  const s = state.streams.get(id);
  const writable = s && s.member;
  list.replaceChildren(
    ...items.map((it) => {
      if (it.kind === "sys") return el("li", { class: "sys" }, it.text);
      const mine = it.author === state.me.id;
      const canModerate = ["moderator", "admin"].includes(state.me.role);
      const actions = it.deleted || !writable ? null : el(
        "div",
        { class: "actions" },
        el("button", { title: "React 👍", onclick: () => toggleReaction(it, "👍") }, "👍"),
        el("button", { title: "React with any emoji", onclick: () => { const e = prompt("Emoji"); if (e) toggleReaction(it, e.trim()); } }, "☺+"),
        el("button", { title: "Reply", onclick: () => setReplyTo(it) }, "reply"),
        mine ? el("button", { onclick: () => editMessage(it) }, "edit") : null,
        mine || canModerate ? el("button", { onclick: () => deleteMessage(it) }, "delete") : null,
      );
      const target = it.reply_to != null ? msgs.get(it.reply_to) : null;
      const replyRef = it.reply_to != null && !it.deleted
        ? el("div", { class: "replyref" }, "↪ ", target ? (target.deleted ? "deleted message" : `${displayName(target.author)}: ${target.text.slice(0, 80)}`) : `message #${it.reply_to}`)
        : null;
      const reactions = it.reactions.size
        ? el("div", { class: "reactions" }, [...it.reactions].map(([emoji, who]) =>
            el("button", { class: who.has(state.me.id) ? "mine" : "", title: [...who].map(displayName).join(", "), onclick: () => writable && toggleReaction(it, emoji) }, `${emoji} ${who.size}`)))
        : null;
      return el(
        "li",
        { class: `msg${it.deleted ? " deleted" : ""}${it.mentions.includes(state.me.id) ? " mentions-me" : ""}`, "data-seq": it.seq },
        el("div", { class: "meta" }, el("span", { class: "author" }, displayName(it.author)), fmtTime(it.at)),
        replyRef,
        el("div", { class: "text" }, it.deleted ? "This message was deleted." : richText(it.text, it.mentions), it.edited && !it.deleted ? el("span", { class: "edited" }, "(edited)") : null),
        reactions,
        actions,
      );
    }),
  );
  $("load-older").hidden = !state.more.get(id);
  if (scrollToBottom || atBottom) box.scrollTop = box.scrollHeight;
}

function renderTyping() {
  const t = state.typing.get(state.current);
  const now = Date.now();
  const who = t ? [...t].filter(([u, exp]) => exp > now && u !== state.me.id).map(([u]) => displayName(u)) : [];
  $("typing").textContent = who.length === 0 ? "" : who.length === 1 ? `${who[0]} is typing…` : `${who.join(", ")} are typing…`;
}

function renderMembers() {
  const members = state.members.get(state.current) || [];
  const rank = { online: 0, dnd: 1, away: 2 };
  const sorted = [...members].sort((a, b) => (rank[state.presence.get(a)] ?? 3) - (rank[state.presence.get(b)] ?? 3) || a.localeCompare(b));
  $("member-list").replaceChildren(
    ...sorted.map((u) => {
      const st = state.presence.get(u) || "offline";
      return el("li", { title: st }, el("span", { class: `dot ${st}` }), displayName(u));
    }),
  );
}

function renderComposer() {
  const s = state.streams.get(state.current);
  const member = s && s.member;
  $("composer").hidden = !member;
  $("join-bar").hidden = !s || member || s.kind !== "channel";
  $("reply-to").hidden = !state.replyTo;
  if (state.replyTo) {
    $("reply-to").replaceChildren(`Replying to ${displayName(state.replyTo.author)}: ${state.replyTo.text.slice(0, 60)} `, el("button", { class: "link", onclick: () => setReplyTo(null) }, "cancel"));
  }
}

// ---- actions -----------------------------------------------------------------------------

function setReplyTo(m) {
  state.replyTo = m;
  renderComposer();
  $("post-text").focus();
}

async function toggleReaction(m, emoji) {
  const mine = m.reactions.get(emoji)?.has(state.me.id);
  try {
    if (mine) await state.client.unreact(state.current, m.seq, emoji);
    else await state.client.react(state.current, m.seq, emoji);
  } catch (e) {
    toast(e);
  }
}

async function editMessage(m) {
  const text = prompt("Edit message", m.text);
  if (text == null || !text.trim() || text === m.text) return;
  try {
    await state.client.edit(state.current, m.seq, text);
  } catch (e) {
    toast(e);
  }
}

async function deleteMessage(m) {
  if (!confirm("Delete this message?")) return;
  try {
    await state.client.delete(state.current, m.seq);
  } catch (e) {
    toast(e);
  }
}

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const box = $("post-text");
  const text = box.value;
  if (!text.trim() || !state.current) return;
  const opts = state.replyTo ? { reply_to: state.replyTo.seq } : {};
  box.value = "";
  setReplyTo(null);
  try {
    await state.client.post(state.current, text, opts);
  } catch (err) {
    box.value = text; // give it back
    toast(err);
  }
});

$("post-text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
});

$("post-text").addEventListener("input", () => {
  // The SDK sends `typing` at most every 3 s per stream.
  if (state.current && $("post-text").value.trim()) state.client.typing(state.current).catch(() => {});
});

$("join").addEventListener("click", async () => {
  try {
    await state.client.join(state.current);
    const s = state.streams.get(state.current);
    if (s) s.member = true;
    renderComposer();
    renderSidebar();
  } catch (e) {
    toast(e);
  }
});

function maybeMarkRead() {
  clearTimeout(state.readTimer);
  state.readTimer = setTimeout(async () => {
    const id = state.current;
    const s = state.streams.get(id);
    if (!s || !s.member || document.visibilityState !== "visible") return;
    const seq = state.client.lastSeq(id) ?? s.head;
    if (!seq || (seq <= s.last_read && s.unread === 0)) return;
    try {
      await state.client.markRead(id, seq);
      s.last_read = Math.max(s.last_read, seq);
      s.unread = 0;
      s.mentions = 0;
      renderSidebar();
    } catch (e) {
      console.warn("mark_read", e);
    }
  }, 300);
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") maybeMarkRead();
});
window.addEventListener("online", () => state.client && state.client.reconnectNow());

// ---- create channel, open DM -----------------------------------------------------------

$("new-channel").addEventListener("click", () => {
  $("channel-form").reset();
  $("channel-error").textContent = "";
  $("channel-dialog").showModal();
});

$("channel-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    const info = await state.client.createChannel(f.get("name").trim(), { topic: f.get("topic").trim(), private: !!f.get("private") });
    await addStreamFromInfo(info);
    $("channel-dialog").close();
  } catch (err) {
    $("channel-error").textContent = err.message;
  }
});

$("new-dm").addEventListener("click", async () => {
  await loadUsers();
  $("dm-error").textContent = "";
  $("dm-users").replaceChildren(
    ...[...state.users.values()].filter((u) => u.id !== state.me.id).map((u) =>
      el("label", { class: "inline" }, el("input", { type: "checkbox", name: "user", value: u.id }), ` ${u.display_name} (${u.id})`)),
  );
  $("dm-dialog").showModal();
});

$("dm-form").addEventListener("submit", async (e) => {
  if (e.submitter && e.submitter.value === "cancel") return;
  e.preventDefault();
  const users = new FormData(e.target).getAll("user");
  if (!users.length) return ($("dm-error").textContent = "pick at least one person");
  try {
    const info = await state.client.openDm(users);
    await addStreamFromInfo(info);
    $("dm-dialog").close();
  } catch (err) {
    $("dm-error").textContent = err.message;
  }
});

// ---- channel settings: rename, topic, invite, leave ------------------------------------------

$("stream-settings").addEventListener("click", async () => {
  const s = state.streams.get(state.current);
  if (!s) return;
  await loadUsers();
  const form = $("settings-form");
  form.elements.name.value = s.name;
  form.elements.topic.value = s.topic || "";
  $("settings-error").textContent = "";
  const members = new Set(state.members.get(s.id) || []);
  const invitable = [...state.users.values()].filter((u) => !members.has(u.id));
  $("invite-users").replaceChildren(
    ...(invitable.length
      ? invitable.map((u) => el("label", { class: "inline" }, el("input", { type: "checkbox", name: "invite", value: u.id }), ` ${u.display_name} (${u.id})`))
      : [el("span", { class: "hint" }, "Everyone is already a member.")]),
  );
  $("settings-dialog").showModal();
});

$("settings-form").addEventListener("submit", async (e) => {
  const action = e.submitter && e.submitter.value;
  if (action === "cancel") return;
  e.preventDefault();
  const s = state.streams.get(state.current);
  if (!s) return $("settings-dialog").close();
  const client = state.client;
  try {
    if (action === "leave") {
      if (!confirm(`Leave ${streamLabel(s)}?`)) return;
      await client.leave(s.id);
      s.member = false;
      if (s.kind === "private_channel") {
        // No longer readable: drop it and show another stream.
        state.streams.delete(s.id);
        state.events.delete(s.id);
        client.cursors.forget(s.id);
        $("settings-dialog").close();
        const next = [...state.streams.values()].find((x) => x.member);
        if (next) openStream(next.id);
        else { state.current = null; renderHeader(); renderMessages(true); renderComposer(); renderSidebar(); }
        return;
      }
    } else {
      const f = new FormData(e.target);
      const name = String(f.get("name") || "").trim();
      const topic = String(f.get("topic") || "").trim();
      // Each change is its own event; the live events update the header and the member list.
      if (name && name !== s.name) await client.rename(s.id, name);
      if (topic !== (s.topic || "")) await client.setTopic(s.id, topic);
      for (const user of f.getAll("invite")) await client.invite(s.id, user);
    }
    $("settings-dialog").close();
    renderHeader();
    renderComposer();
    renderSidebar();
  } catch (err) {
    $("settings-error").textContent = err.message;
  }
});

async function addStreamFromInfo(info) {
  if (!state.streams.has(info.id)) {
    state.streams.set(info.id, { id: info.id, kind: info.kind, name: info.name, topic: info.topic, member_count: info.members.length, member: true, head: info.head, last_read: 0, unread: 0, mentions: 0 });
  }
  await state.client.subscribe(info.id).catch(toast);
  openStream(info.id);
}

window.addEventListener("error", (e) => console.error("agora app:", e.message));
window.addEventListener("unhandledrejection", (e) => console.error("agora app:", e.reason));
setInterval(renderTyping, 1000);
start().catch((e) => {
  console.error(e);
  showLogin();
});
