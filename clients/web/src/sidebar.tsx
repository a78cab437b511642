/** The sidebar: who I am and my status, the sections by role, channels and DMs with unread badges, and the dialogs to browse channels and open DMs. */
import type { StreamSummary } from "../../js/src/index";
import { useState } from "preact/hooks";
import { Bell } from "./bell";
import { Modal } from "./modal";
import { enableNotifications, notificationsSupported } from "./notify";
import { navigate } from "./router";
import type { Status, Store } from "./store";

export interface Section {
  id: "chat" | "forum" | "desk" | "wiki" | "admin" | "review" | "audit";
  label: string;
  href: string;
}

/** The sections a role sees: everyone has chat, forum and wiki; agents and up the desk; admins the admin screen. */
export function sectionsFor(role: string | undefined): Section[] {
  const all: Section[] = [
    { id: "chat", label: "Chat", href: "/" },
    { id: "forum", label: "Forum", href: "/forum" },
    { id: "desk", label: "Desk", href: "/desk" },
    { id: "wiki", label: "Wiki", href: "/wiki" },
    { id: "admin", label: "Admin", href: "/admin" },
    { id: "review", label: "Review", href: "/review" },
    { id: "audit", label: "Audit log", href: "/audit" },
  ];
  return all.filter((s) => {
    if (s.id === "desk") return role === "agent" || role === "moderator" || role === "admin";
    if (s.id === "admin") return role === "admin";
    if (s.id === "review" || s.id === "audit") return role === "moderator" || role === "admin";
    return true;
  });
}

export function Sidebar({ store, section, current, onNavigate, onLogout }: { store: Store; section: Section["id"] | null; current: string | null; onNavigate: () => void; onLogout: () => void }) {
  const [browse, setBrowse] = useState(false);
  const [dm, setDm] = useState(false);
  const [perm, setPerm] = useState(notificationsSupported() ? Notification.permission : "denied");
  const me = store.me;
  const streams = [...store.streams.values()].map((v) => v.summary);
  const channels = streams.filter((s) => s.kind !== "dm" && s.member).sort((a, b) => a.name.localeCompare(b.name));
  const dms = streams.filter((s) => s.kind === "dm").sort((a, b) => store.label(a).localeCompare(store.label(b)));
  const myStatus = (me && store.presence.get(me.id)) || "online";
  const go = (href: string) => {
    navigate(href);
    onNavigate();
  };
  return (
    <div class="sidebar-inner">
      <header class="me">
        <span class={`dot ${myStatus}`} aria-hidden="true" />
        <span class="me-name">{me?.display_name}</span>
        <label class="sr-only" for="status-select">
          Your status
        </label>
        <select id="status-select" value={myStatus} onChange={(e) => store.setStatus((e.target as HTMLSelectElement).value as Status).catch((err) => store.flash(err.message))}>
          <option value="online">Online</option>
          <option value="away">Away</option>
          <option value="dnd">Do not disturb</option>
        </select>
        <Bell store={store} onNavigate={onNavigate} />
      </header>
      <nav class="sections" aria-label="Sections">
        {sectionsFor(me?.role).map((s) => (
          <a key={s.id} href={s.href} aria-current={section === s.id ? "page" : undefined} onClick={onNavigate}>
            {s.label}
          </a>
        ))}
      </nav>
      <div class="conn-line" role="status">
        {store.conn === "open" ? "" : store.conn === "reconnecting" ? "Reconnecting…" : store.conn === "connecting" ? "Connecting…" : store.conn === "closed" ? "Disconnected" : ""}
      </div>
      <nav class="streams-nav" aria-label="Channels and direct messages">
        <div class="section-head">
          <h2>Channels</h2>
          <button class="icon-btn" aria-label="Browse and create channels" title="Browse and create channels" onClick={() => setBrowse(true)}>
            +
          </button>
        </div>
        <ul class="streams" id="channels">
          {channels.map((s) => (
            <StreamLink key={s.id} store={store} s={s} current={current === s.id} onClick={onNavigate} />
          ))}
        </ul>
        <button class="link browse" onClick={() => setBrowse(true)}>
          Browse channels
        </button>
        <div class="section-head">
          <h2>Direct messages</h2>
          <button class="icon-btn" aria-label="New direct message" title="New direct message" onClick={() => setDm(true)}>
            +
          </button>
        </div>
        <ul class="streams" id="dms">
          {dms.map((s) => (
            <StreamLink key={s.id} store={store} s={s} current={current === s.id} onClick={onNavigate} />
          ))}
        </ul>
      </nav>
      <footer class="side-foot">
        {perm === "default" ? (
          <button class="link" onClick={() => enableNotifications().then(setPerm)}>
            Enable desktop notifications
          </button>
        ) : null}
        <button class="link" onClick={onLogout}>
          Log out
        </button>
      </footer>
      {browse ? <ChannelBrowser store={store} onClose={() => setBrowse(false)} go={go} /> : null}
      {dm ? <DmDialog store={store} onClose={() => setDm(false)} go={go} /> : null}
    </div>
  );
}

function StreamLink({ store, s, current, onClick }: { store: Store; s: StreamSummary; current: boolean; onClick: () => void }) {
  const label = store.label(s);
  const other = s.kind === "dm" ? s.name.split(", ").find((u) => u !== store.me?.id) : undefined;
  const status = other ? store.presence.get(other) || "offline" : null;
  const unread = s.unread > 0 && !current;
  return (
    <li>
      <a href={`/c/${s.id}`} class={`stream${current ? " current" : ""}${unread ? " unread" : ""}`} aria-current={current ? "page" : undefined} onClick={onClick} data-stream={s.id}>
        {status ? <span class={`dot ${status}`} aria-label={status} role="img" /> : <span class="hash" aria-hidden="true">{s.kind === "private_channel" ? "🔒" : "#"}</span>}
        <span class="name">{label}</span>
        {unread ? (
          <span class={s.mentions ? "badge at" : "badge"} aria-label={`${s.unread} unread${s.mentions ? `, ${s.mentions} mentioning you` : ""}`}>
            {s.mentions ? `@${s.mentions}` : s.unread > 999 ? "999+" : s.unread}
          </span>
        ) : null}
      </a>
    </li>
  );
}

function ChannelBrowser({ store, onClose, go }: { store: Store; onClose: () => void; go: (href: string) => void }) {
  const [q, setQ] = useState("");
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  const [priv, setPriv] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const list = [...store.streams.values()]
    .map((v) => v.summary)
    .filter((s) => s.kind !== "dm" && (s.kind === "channel" || s.member))
    .filter((s) => !q || s.name.toLowerCase().includes(q.toLowerCase()) || s.topic.toLowerCase().includes(q.toLowerCase()))
    .sort((a, b) => a.name.localeCompare(b.name));
  const create = async () => {
    try {
      const id = await store.createChannel(name.trim(), topic.trim(), priv);
      onClose();
      go(`/c/${id}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Modal title="Channels" onClose={onClose} wide>
      <label>
        Search channels
        <input type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} autoFocus />
      </label>
      <ul class="browser-list">
        {list.map((s) => (
          <li key={s.id}>
            <div>
              <strong>
                {s.kind === "private_channel" ? "🔒 " : "#"}
                {s.name}
              </strong>{" "}
              <span class="muted">
                {s.member_count} member{s.member_count === 1 ? "" : "s"}
              </span>
              {s.topic ? <div class="muted">{s.topic}</div> : null}
            </div>
            <div class="row-actions">
              {s.member ? (
                <span class="muted">Joined</span>
              ) : (
                <button
                  onClick={() =>
                    store
                      .join(s.id)
                      .then(() => {
                        onClose();
                        go(`/c/${s.id}`);
                      })
                      .catch((e) => setError(e.message))
                  }
                >
                  Join
                </button>
              )}
              <button
                class="primary"
                onClick={() => {
                  onClose();
                  go(`/c/${s.id}`);
                }}
              >
                Open
              </button>
            </div>
          </li>
        ))}
        {!list.length ? <li class="muted">No channel matches “{q}”.</li> : null}
      </ul>
      <form
        class="create"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <h3>Create a channel</h3>
        <label>
          Name <input name="name" value={name} maxLength={80} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Topic <input name="topic" value={topic} maxLength={250} onInput={(e) => setTopic((e.target as HTMLInputElement).value)} />
        </label>
        <label class="inline">
          <input type="checkbox" name="private" checked={priv} onChange={(e) => setPriv((e.target as HTMLInputElement).checked)} /> Private (invitation only)
        </label>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="dialog-actions">
          <button type="submit" class="primary">
            Create channel
          </button>
        </div>
      </form>
    </Modal>
  );
}

function DmDialog({ store, onClose, go }: { store: Store; onClose: () => void; go: (href: string) => void }) {
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const users = [...store.users.values()].filter((u) => u.id !== store.me?.id);
  return (
    <Modal title="New direct message" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!picked.length) return setError("Pick at least one person.");
          store
            .openDm(picked)
            .then((id) => {
              onClose();
              go(`/c/${id}`);
            })
            .catch((err) => setError(err.message));
        }}
      >
        <fieldset class="people">
          <legend>People</legend>
          {users.map((u) => (
            <label key={u.id} class="inline">
              <input
                type="checkbox"
                value={u.id}
                checked={picked.includes(u.id)}
                onChange={(e) => setPicked((e.target as HTMLInputElement).checked ? [...picked, u.id] : picked.filter((x) => x !== u.id))}
              />{" "}
              {u.display_name} <span class="muted">@{u.id}</span>
            </label>
          ))}
        </fieldset>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary">
            Open
          </button>
        </div>
      </form>
    </Modal>
  );
}
