/**
 * The chat pane: header, the message list (scrolling rules below), typing
 * line, and the composer (Markdown, @/# autocomplete, emoji, reply, inline edit,
 * attachments: button, drag and drop on the pane, paste; see attachments.tsx).
 *
 * Scrolling: the pane opens at the "new messages" line when something is
 * unread, else at the bottom; it stays pinned to the bottom while live
 * messages arrive unless the reader scrolled up (then "jump to latest"); older
 * history loads when the top comes near, keeping the visible messages still.
 */
import type { ComponentChild } from "preact";
import { isModerator, ModTools } from "./moderation";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { AttachmentList, filesOf, UploadChips, useUploads, type Uploads } from "./attachments";
import { EMOJI } from "./emoji";
import { fold, type Item, type Message } from "./fold";
import { Markdown, type MdContext } from "./markdown";
import type { Store, StreamView } from "./store";

const GROUP_MS = 5 * 60 * 1000;

function dayLabel(ms: number): string {
  const d = new Date(ms);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400000);
  if (d.toDateString() === today.toDateString()) return "Today";
  if (d.toDateString() === yesterday.toDateString()) return "Yesterday";
  return d.toLocaleDateString([], { weekday: "long", year: "numeric", month: "long", day: "numeric" });
}
function timeLabel(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function ChatView({ store, s, onMembers, showMembers }: { store: Store; s: StreamView; onMembers: () => void; showMembers: boolean }) {
  const [replyTo, setReplyTo] = useState<number | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const [dragging, setDragging] = useState(false);
  const id = s.summary.id;
  const uploads = useUploads(store, id);
  useEffect(() => {
    setReplyTo(null);
    setEditing(null);
  }, [id]);
  const items = useMemo(() => fold(s.events.values(), (u) => store.name(u)), [s, s.version, store.users.size]);
  const typing = [...s.typing.keys()].map((u) => store.name(u));
  const canWrite = s.summary.member;
  const me = store.me?.id || "";
  const lastOwn = [...items].reverse().find((m): m is Message => m.kind === "message" && m.author === me && !m.deleted);
  const title = s.summary.kind === "dm" ? store.label(s.summary) : `${s.summary.kind === "private_channel" ? "🔒 " : "#"}${s.summary.name}`;
  return (
    <section
      class={`chat${dragging ? " dragging" : ""}`}
      aria-labelledby="stream-title"
      onDragOver={(e) => {
        if (!canWrite || !e.dataTransfer?.types.includes("Files")) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        if (!canWrite) return;
        e.preventDefault();
        setDragging(false);
        uploads.add(filesOf(e.dataTransfer));
      }}
    >
      {dragging ? (
        <div class="drop-hint" aria-hidden="true">
          Drop files to attach them
        </div>
      ) : null}
      <header class="stream-head">
        <div class="stream-title">
          <h1 id="stream-title">{title}</h1>
          {s.summary.topic ? <p class="topic">{s.summary.topic}</p> : null}
        </div>
        <button class="icon-btn" aria-pressed={showMembers} onClick={onMembers} aria-label={`Members (${s.summary.member_count})`} title="Members">
          👥 <span class="count">{s.summary.member_count}</span>
        </button>
        {s.summary.kind !== "dm" && s.summary.member ? <SettingsButton store={store} s={s} /> : null}
        {isModerator(store) && s.summary.kind !== "dm" ? <ModTools store={store} s={s} /> : null}
      </header>
      {store.conn !== "open" && store.conn !== "idle" ? (
        <div class="banner info" role="status">
          {store.conn === "closed" ? "Disconnected." : "Reconnecting… Messages you send now are delivered when the connection is back."}
        </div>
      ) : null}
      <MessageList
        key={id /* fresh scroll state per stream */}
        store={store}
        s={s}
        items={items}
        replyTo={setReplyTo}
        editing={editing}
        setEditing={(seq) => {
          setEditing(seq);
          if (seq == null) composer.current?.focus();
        }}
      />
      <div class="typing" aria-live="polite">
        {typing.length ? `${typing.join(", ")} ${typing.length === 1 ? "is" : "are"} typing…` : ""}
      </div>
      {store.notice ? (
        <div class={`banner ${store.notice.kind}`} role="alert">
          <span>{store.notice.text}</span>
          <button class="link" onClick={() => store.clearNotice()} aria-label="Dismiss">
            ✕
          </button>
        </div>
      ) : null}
      {canWrite ? (
        <Composer
          store={store}
          s={s}
          inputRef={composer}
          uploads={uploads}
          replyTo={replyTo}
          clearReply={() => setReplyTo(null)}
          onEditLast={() => lastOwn && setEditing(lastOwn.seq)}
        />
      ) : (
        <div class="join-bar">
          <span>You are reading #{s.summary.name} without being a member.</span>
          <button class="primary" onClick={() => store.join(id).catch((e) => store.flash(e.message))}>
            Join #{s.summary.name}
          </button>
        </div>
      )}
    </section>
  );
}

function MessageList({
  store,
  s,
  items,
  replyTo,
  editing,
  setEditing,
}: {
  store: Store;
  s: StreamView;
  items: Item[];
  replyTo: (seq: number) => void;
  editing: number | null;
  setEditing: (seq: number | null) => void;
}) {
  const pane = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const initial = useRef(true);
  /** While older history loads: a row on screen and its offset, kept still across renders. */
  const keep = useRef<{ seq: string; top: number } | null>(null);
  const seenCount = useRef(0);
  const [below, setBelow] = useState(0);
  const [showJump, setShowJump] = useState(false);
  const id = s.summary.id;
  const me = store.me?.id || "";
  // A post whose event arrived before its ack is shown once, as the message.
  const posted = new Set(items.map((m) => (m.kind === "message" ? m.idem : undefined)).filter(Boolean));
  const pending = store.outbox.filter((p) => p.stream === id && !posted.has(p.idem));
  const messageCount = items.length + pending.length;

  const atBottom = () => {
    const el = pane.current;
    return !el || el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  };

  useLayoutEffect(() => {
    const el = pane.current;
    if (!el) return;
    if (initial.current) {
      if (!s.loaded) return;
      initial.current = false;
      const line = el.querySelector<HTMLElement>(".new-line");
      if (line) el.scrollTop = Math.max(0, line.offsetTop - 48);
      else el.scrollTop = el.scrollHeight;
      pinned.current = atBottom();
      store.setAtBottom(pinned.current);
      seenCount.current = messageCount;
      setShowJump(!pinned.current);
      return;
    }
    if (keep.current) {
      const row = el.querySelector<HTMLElement>(`[data-seq="${keep.current.seq}"]`);
      if (row) el.scrollTop = row.offsetTop - keep.current.top;
      if (!s.loading) keep.current = null;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
      seenCount.current = messageCount;
    } else if (messageCount > seenCount.current) {
      setBelow(messageCount - seenCount.current);
    }
  });

  // Content that changes height (fonts, a resized window, the phone keyboard) keeps a pinned pane at the bottom.
  useEffect(() => {
    const el = pane.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (pinned.current && !initial.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => ro.disconnect();
  }, [id]);

  const onScroll = () => {
    const el = pane.current;
    if (!el || initial.current) return;
    const bottom = atBottom();
    pinned.current = bottom;
    store.setAtBottom(bottom);
    setShowJump(!bottom);
    if (bottom) {
      seenCount.current = messageCount;
      setBelow(0);
    }
    if (el.scrollTop < 300 && s.lo > 1 && !s.loading && s.loaded) {
      const rows = el.querySelectorAll<HTMLElement>("[data-seq]");
      const row = [...rows].find((r) => r.offsetTop + r.offsetHeight > el.scrollTop) || rows[0];
      if (row) keep.current = { seq: row.dataset.seq || "", top: row.offsetTop - el.scrollTop };
      void store.loadOlder(id);
    }
  };

  const jump = () => {
    const el = pane.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    pinned.current = true;
    seenCount.current = messageCount;
    setBelow(0);
    setShowJump(false);
    store.setAtBottom(true);
  };

  const ctx: MdContext = { me, mentions: [], channel: (name) => store.channelByName(name)?.id };
  const rows: ComponentChild[] = [];
  let prev: Item | null = null;
  let lineDone = false;
  for (const it of items) {
    if (!prev || new Date(prev.at).toDateString() !== new Date(it.at).toDateString()) {
      rows.push(
        <li key={`d${it.seq}`} class="day" role="separator" aria-label={dayLabel(it.at)}>
          <span>{dayLabel(it.at)}</span>
        </li>,
      );
      prev = null;
    }
    const unread = !lineDone && s.summary.member && it.seq > s.readAtOpen && it.kind === "message" && it.author !== me;
    if (unread) {
      lineDone = true;
      rows.push(
        <li key="new" class="new-line" role="separator" aria-label="New messages">
          <span>New messages</span>
        </li>,
      );
      prev = null;
    }
    if (it.kind === "notice") {
      rows.push(
        <li key={it.seq} class="notice" data-seq={it.seq}>
          {it.text} <time>{timeLabel(it.at)}</time>
        </li>,
      );
      prev = it;
      continue;
    }
    const grouped = !!prev && prev.kind === "message" && prev.author === it.author && it.at - prev.at < GROUP_MS;
    rows.push(
      <MessageRow
        key={it.seq}
        store={store}
        s={s}
        m={it}
        grouped={grouped}
        ctx={{ ...ctx, mentions: it.mentions }}
        editing={editing === it.seq}
        setEditing={setEditing}
        reply={() => replyTo(it.seq)}
        parent={it.reply_to != null ? (items.find((x) => x.seq === it.reply_to) as Message | undefined) : undefined}
      />,
    );
    prev = it;
  }
  for (const p of pending) {
    rows.push(
      <li key={`p${p.idem}`} class="msg pending" data-idem={p.idem}>
        <div class="msg-head">
          <span class="author">{store.name(me)}</span>
          <span class="state">{p.state === "sending" ? "sending…" : store.conn === "open" ? "queued" : "waiting for the connection"}</span>
        </div>
        <Markdown text={p.text} ctx={ctx} />
        {p.attachments?.length ? <p class="file-size">📎 {p.attachments.map((a) => a.name).join(", ")}</p> : null}
      </li>,
    );
  }

  return (
    <div class="pane-wrap">
      <div class="messages" ref={pane} onScroll={onScroll} tabIndex={0} role="log" aria-label="Messages" aria-live="polite" aria-relevant="additions">
        <ol class="message-list">
          {s.loaded && s.lo <= 1 ? <li class="start">This is the beginning of {s.summary.kind === "dm" ? "the conversation" : `#${s.summary.name}`}.</li> : null}
          {s.loading && s.loaded ? <li class="loading">Loading older messages…</li> : null}
          {!s.loaded ? <li class="loading">Loading…</li> : null}
          {rows}
        </ol>
      </div>
      {showJump ? (
        <button class="jump" onClick={jump}>
          {below ? `${below} new message${below === 1 ? "" : "s"} · ` : ""}Jump to latest ↓
        </button>
      ) : null}
    </div>
  );
}

function MessageRow({
  store,
  s,
  m,
  grouped,
  ctx,
  editing,
  setEditing,
  reply,
  parent,
}: {
  store: Store;
  s: StreamView;
  m: Message;
  grouped: boolean;
  ctx: MdContext;
  editing: boolean;
  setEditing: (seq: number | null) => void;
  reply: () => void;
  parent?: Message;
}) {
  const me = store.me?.id || "";
  const [picker, setPicker] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [hiding, setHiding] = useState(false);
  const id = s.summary.id;
  const [reason, setReason] = useState("");
  const mod = store.me?.role === "moderator" || store.me?.role === "admin";
  const fail = (e: Error) => store.flash(e.message);
  const toggle = (emoji: string, users: string[]) =>
    (users.includes(me) ? store.client!.unreact(id, m.seq, emoji) : store.client!.react(id, m.seq, emoji)).catch(fail);
  return (
    <li class={`msg${grouped ? " grouped" : ""}${m.mentions.includes(me) ? " mentions-me" : ""}`} data-seq={m.seq} data-author={m.author}>
      {!grouped ? (
        <div class="msg-head">
          <span class="author">{store.name(m.author)}</span>
          <time dateTime={new Date(m.at).toISOString()} title={new Date(m.at).toLocaleString()}>
            {timeLabel(m.at)}
          </time>
        </div>
      ) : null}
      {parent ? (
        <div class="reply-ref">
          ↪ {store.name(parent.author)}: {parent.deleted ? "deleted message" : parent.text.slice(0, 80)}
        </div>
      ) : null}
      {m.deleted ? (
        <p class="deleted">This message was deleted.</p>
      ) : m.hidden && m.author !== me && !mod ? (
        <p class="deleted">This message was hidden by a moderator.</p>
      ) : editing ? (
        <EditBox
          text={m.text}
          onSave={(text) =>
            store
              .client!.edit(id, m.seq, text)
              .then(() => setEditing(null))
              .catch(fail)
          }
          onCancel={() => setEditing(null)}
        />
      ) : (
        <div class="body">
          <Markdown text={m.text} ctx={ctx} />
          <AttachmentList store={store} attachments={m.attachments} />
          {m.edited ? <span class="edited">(edited)</span> : null}
          {m.hidden ? (
            <span class="edited">
              (hidden by a moderator: only {m.author === me ? "you" : "its author"} and moderators see it)
            </span>
          ) : null}
        </div>
      )}
      {m.reactions.size ? (
        <div class="reactions">
          {[...m.reactions].map(([emoji, users]) => (
            <button
              key={emoji}
              class={users.includes(me) ? "reaction mine" : "reaction"}
              aria-pressed={users.includes(me)}
              title={users.map((u) => store.name(u)).join(", ")}
              aria-label={`${emoji} ${users.length}, ${users.includes(me) ? "remove your reaction" : "react"}`}
              onClick={() => s.summary.member && toggle(emoji, users)}
            >
              {emoji} {users.length}
            </button>
          ))}
        </div>
      ) : null}
      {!m.deleted && !editing && s.summary.member ? (
        <div class="actions" role="toolbar" aria-label="Message actions">
          <button onClick={reply} aria-label="Reply" title="Reply">
            ↩
          </button>
          <button onClick={() => setPicker(!picker)} aria-label="Add reaction" aria-expanded={picker} title="Add reaction">
            ☺
          </button>
          {m.author === me ? (
            <button onClick={() => setEditing(m.seq)} aria-label="Edit" title="Edit">
              ✎
            </button>
          ) : null}
          {m.author === me || mod ? (
            <button onClick={() => setConfirm(true)} aria-label="Delete" title="Delete">
              🗑
            </button>
          ) : null}
          {mod ? (
            <button
              onClick={() => (m.hidden ? store.client!.unhide(id, m.seq).catch(fail) : setHiding(true))}
              aria-label={m.hidden ? "Unhide" : "Hide from members"}
              title={m.hidden ? "Unhide" : "Hide from members"}
            >
              {m.hidden ? "👁" : "🚫"}
            </button>
          ) : null}
        </div>
      ) : null}
      {picker ? (
        <EmojiPicker
          onPick={(e) => {
            setPicker(false);
            const users = m.reactions.get(e) || [];
            if (!users.includes(me)) store.client!.react(id, m.seq, e).catch(fail);
          }}
          onClose={() => setPicker(false)}
        />
      ) : null}
      {hiding ? (
        <div class="confirm" role="alertdialog" aria-label="Hide this message from members?">
        <form
          aria-label="Hide this message from members?"
          onSubmit={(e) => {
            e.preventDefault();
            setHiding(false);
            store.client!.hide(id, m.seq, reason.trim()).catch(fail);
          }}
        >
          Hide from members?{" "}
          <input class="reason" aria-label="Reason (for the audit log)" placeholder="reason" ref={(i) => i?.focus()} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />{" "}
          <button type="submit" class="danger">
            Hide
          </button>{" "}
          <button type="button" onClick={() => setHiding(false)}>
            Cancel
          </button>
        </form>
        </div>
      ) : null}
      {confirm ? (
        <div class="confirm" role="alertdialog" aria-label="Delete this message?">
          Delete this message?{" "}
          {mod && m.author !== me ? <input class="reason" aria-label="Reason (for the audit log)" placeholder="reason" onInput={(e) => setReason((e.target as HTMLInputElement).value)} /> : null}{" "}
          <button
            class="danger"
            ref={(b) => b?.focus()}
            onClick={() => {
              setConfirm(false);
              store.client!.request("delete", { stream: id, target: m.seq, reason: mod && m.author !== me ? reason.trim() : "" }).catch(fail);
            }}
          >
            Delete
          </button>{" "}
          <button onClick={() => setConfirm(false)}>Cancel</button>
        </div>
      ) : null}
    </li>
  );
}

function EditBox({ text, onSave, onCancel }: { text: string; onSave: (t: string) => void; onCancel: () => void }) {
  const [value, setValue] = useState(text);
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) {
      el.focus();
      el.setSelectionRange(el.value.length, el.value.length);
    }
  }, []);
  const save = () => (value.trim() && value !== text ? onSave(value) : onCancel());
  return (
    <form
      class="edit"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <label class="sr-only" for="edit-box">
        Edit message
      </label>
      <textarea
        id="edit-box"
        ref={ref}
        value={value}
        rows={Math.min(8, value.split("\n").length + 1)}
        onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onCancel();
          } else if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            save();
          }
        }}
      />
      <div class="edit-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary">
          Save
        </button>
        <span class="hint">Enter to save · Esc to cancel</span>
      </div>
    </form>
  );
}

export function EmojiPicker({ onPick, onClose }: { onPick: (e: string) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector("button")?.focus();
    const away = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    setTimeout(() => document.addEventListener("click", away), 0);
    return () => document.removeEventListener("click", away);
  }, []);
  return (
    <div
      class="emoji-picker"
      ref={ref}
      role="dialog"
      aria-label="Pick an emoji"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      {EMOJI.map(([e, name]) => (
        <button key={e} type="button" aria-label={name} title={name} onClick={() => onPick(e)}>
          {e}
        </button>
      ))}
    </div>
  );
}

interface Suggestion {
  insert: string;
  label: string;
  detail: string;
}

function Composer({
  store,
  s,
  inputRef,
  uploads,
  replyTo,
  clearReply,
  onEditLast,
}: {
  store: Store;
  s: StreamView;
  inputRef: { current: HTMLTextAreaElement | null };
  uploads: Uploads;
  replyTo: number | null;
  clearReply: () => void;
  onEditLast: () => void;
}) {
  const id = s.summary.id;
  const drafts = useRef(new Map<string, string>());
  const [text, setText] = useState("");
  const [sugs, setSugs] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(0);
  const [picker, setPicker] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const prevId = useRef(id);
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    drafts.current.set(prevId.current, text);
    prevId.current = id;
    setText(drafts.current.get(id) || "");
    setSugs([]);
    setError(null);
    if (matchMedia("(min-width: 721px)").matches) inputRef.current?.focus();
  }, [id]);
  useEffect(() => {
    if (replyTo != null) inputRef.current?.focus();
  }, [replyTo]);

  const token = (value: string, caret: number) => /(^|[\s(])([@#])([\w.-]*)$/.exec(value.slice(0, caret));

  const suggest = (value: string, caret: number) => {
    const m = token(value, caret);
    if (!m) return setSugs([]);
    const q = m[3].toLowerCase();
    let list: Suggestion[];
    if (m[2] === "@") {
      list = [...store.users.values()]
        .filter((u) => u.id.startsWith(q) || u.display_name.toLowerCase().includes(q))
        .slice(0, 8)
        .map((u) => ({ insert: `@${u.id} `, label: `@${u.id}`, detail: u.display_name }));
    } else {
      list = [...store.streams.values()]
        .map((v) => v.summary)
        .filter((c) => c.kind !== "dm" && c.name.toLowerCase().includes(q) && /^[\w-]+$/.test(c.name))
        .slice(0, 8)
        .map((c) => ({ insert: `#${c.name} `, label: `#${c.name}`, detail: c.topic }));
    }
    setSugs(list);
    setActive(0);
  };

  const pick = (sug: Suggestion) => {
    const el = inputRef.current;
    if (!el) return;
    const caret = el.selectionStart ?? text.length;
    const m = token(text, caret);
    if (!m) return;
    const start = caret - m[2].length - m[3].length;
    const next = text.slice(0, start) + sug.insert + text.slice(caret);
    setText(next);
    setSugs([]);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(start + sug.insert.length, start + sug.insert.length);
    });
  };

  const insert = (str: string) => {
    const el = inputRef.current;
    const caret = el?.selectionStart ?? text.length;
    const next = text.slice(0, caret) + str + text.slice(caret);
    setText(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(caret + str.length, caret + str.length);
    });
  };

  const send = () => {
    const body = text.trim();
    const files = uploads.ready;
    if (!body && !files.length) return;
    if (uploads.busy) return setError("Wait for the uploads to finish.");
    if (body.length > 4000) return setError(`That message is ${body.length} characters; the limit is 4000.`);
    setText("");
    setError(null);
    setSugs([]);
    uploads.clear();
    drafts.current.delete(id);
    const reply = replyTo ?? undefined;
    clearReply();
    store.post(id, body, reply, files).catch((e: Error & { code?: string }) => {
      setError(e.code === "forbidden" ? "You cannot post here." : `Not sent: ${e.message}`);
      setText((t) => t || body);
    });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (sugs.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setActive((a) => (a + (e.key === "ArrowDown" ? 1 : sugs.length - 1)) % sugs.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        pick(sugs[active]);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setSugs([]);
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === "ArrowUp" && !text) {
      e.preventDefault();
      onEditLast();
    } else if (e.key === "Escape" && replyTo != null) {
      clearReply();
    }
  };

  const parent = replyTo != null ? (s.events.get(replyTo) as { author?: string; text?: string } | undefined) : undefined;
  const label = s.summary.kind === "dm" ? `Message ${store.label(s.summary)}` : `Message #${s.summary.name}`;
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      {replyTo != null ? (
        <div class="replying">
          Replying to {parent?.author ? store.name(parent.author) : `message ${replyTo}`}
          {parent?.text ? `: ${parent.text.slice(0, 60)}` : ""}
          <button type="button" class="link" onClick={clearReply} aria-label="Cancel reply">
            ✕
          </button>
        </div>
      ) : null}
      {sugs.length ? (
        <ul class="suggestions" role="listbox" id="composer-suggestions" aria-label="Suggestions">
          {sugs.map((sug, i) => (
            <li
              key={sug.label}
              id={`sug-${i}`}
              role="option"
              aria-selected={i === active}
              class={i === active ? "active" : ""}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(sug);
              }}
            >
              <strong>{sug.label}</strong> <span>{sug.detail}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {picker ? (
        <EmojiPicker
          onPick={(e) => {
            setPicker(false);
            insert(e);
          }}
          onClose={() => setPicker(false)}
        />
      ) : null}
      <UploadChips uploads={uploads} />
      <div class="composer-row">
        <label for="composer-input" class="sr-only">
          {label}
        </label>
        <textarea
          id="composer-input"
          ref={inputRef}
          value={text}
          rows={Math.min(8, Math.max(1, text.split("\n").length))}
          placeholder={label}
          title="Enter sends, Shift+Enter starts a new line. Markdown: **bold**, _italics_, `code`, > quote, - list"
          aria-expanded={sugs.length > 0}
          aria-controls="composer-suggestions"
          aria-autocomplete="list"
          aria-activedescendant={sugs.length ? `sug-${active}` : undefined}
          onInput={(e) => {
            const el = e.target as HTMLTextAreaElement;
            setText(el.value);
            suggest(el.value, el.selectionStart ?? el.value.length);
            if (el.value.trim()) store.client?.typing(id).catch(() => {});
          }}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            const files = filesOf(e.clipboardData);
            if (files.length) {
              e.preventDefault();
              uploads.add(files);
            }
          }}
          onBlur={() => setTimeout(() => document.activeElement !== inputRef.current && setSugs([]), 150)}
        />
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          id="attach-input"
          aria-label="Choose files to attach"
          onChange={(e) => {
            const el = e.target as HTMLInputElement;
            uploads.add([...(el.files || [])]);
            el.value = "";
          }}
        />
        <button type="button" class="icon-btn" aria-label="Attach files" title="Attach files (or drop or paste them)" onClick={() => fileInput.current?.click()}>
          📎
        </button>
        <button type="button" class="icon-btn" aria-label="Insert emoji" aria-expanded={picker} onClick={() => setPicker(!picker)}>
          ☺
        </button>
        <button type="submit" class="primary" disabled={(!text.trim() && !uploads.ready.length) || uploads.busy}>
          Send
        </button>
      </div>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function SettingsButton({ store, s }: { store: Store; s: StreamView }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button class="icon-btn" aria-label="Channel settings" title="Channel settings" onClick={() => setOpen(true)}>
        ⚙
      </button>
      {open ? <SettingsDialog store={store} s={s} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

import { Modal } from "./modal";
import { navigate } from "./router";

function SettingsDialog({ store, s, onClose }: { store: Store; s: StreamView; onClose: () => void }) {
  const [name, setName] = useState(s.summary.name);
  const [topic, setTopic] = useState(s.summary.topic);
  const [invite, setInvite] = useState("");
  const [error, setError] = useState<string | null>(null);
  const id = s.summary.id;
  const c = store.client!;
  const members = s.members || [];
  const candidates = [...store.users.values()].filter((u) => !members.includes(u.id));
  const save = async () => {
    try {
      if (name.trim() && name.trim() !== s.summary.name) await c.rename(id, name.trim());
      if (topic !== s.summary.topic) await c.setTopic(id, topic);
      if (invite) await c.invite(id, invite);
      onClose();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Modal title="Channel settings" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label>
          Name <input name="name" value={name} maxLength={80} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Topic <input name="topic" value={topic} maxLength={250} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Add someone
          <select name="invite" value={invite} onChange={(e) => setInvite((e.target as HTMLSelectElement).value)}>
            <option value="">—</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.display_name} (@{u.id})
              </option>
            ))}
          </select>
        </label>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="dialog-actions">
          <button
            type="button"
            class="danger"
            onClick={() =>
              store
                .leave(id)
                .then(() => {
                  onClose();
                  if (s.summary.kind !== "channel") navigate("/"); // a private channel left is gone
                })
                .catch((e) => setError(e.message))
            }
          >
            Leave channel
          </button>
          <span class="spacer" />
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}
