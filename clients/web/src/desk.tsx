/**
 * The ticket desk for agents (PROTOCOL.md §22): my availability, the queue
 * (views by status, priority, assignee, tag; counts per status; live: reloaded
 * on each `ticket_changed` push after `watch_queue`, no polling; SLA due time,
 * warnings and breaches per row) and one ticket (its conversation with internal notes marked,
 * a reply box with a public reply / internal note toggle, and its status,
 * priority, assignee and tags). Routes: `/desk` (the queue), `/desk/t/<id>`,
 * `/desk/kpis` (the manager's dashboard, dashboard.tsx), `/desk/settings` (custom
 * statuses, fields, saved replies and macros, desk_settings.tsx).
 * Not here: the visitor's chat window (widget.ts).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { AgentStatus, Event, Priority, TicketChanges, TicketStatus, TicketView } from "../../js/src/index";
import { Dashboard } from "./dashboard";
import { DeskSettingsScreen } from "./desk_settings";
import { navigate } from "./router";
import type { Store } from "./store";

const STATUSES: TicketStatus[] = ["new", "open", "pending", "on_hold", "solved", "closed"];
const PRIORITIES: Priority[] = ["low", "normal", "high", "urgent"];
const label = (s: string) => s.replace("_", " ");

export function Desk({ store, rest }: { store: Store; rest: string }) {
  const parts = rest.split("/").filter(Boolean);
  return (
    <section class="page desk" aria-labelledby="desk-title">
      <header class="desk-head">
        <h1 id="desk-title">Desk</h1>
        <Availability store={store} />
      </header>
      <nav class="desk-tabs" aria-label="Desk views">
        <a href="/desk" aria-current={parts[0] !== "kpis" && parts[0] !== "settings" ? "page" : undefined}>
          Queue
        </a>{" "}
        <a href="/desk/kpis" aria-current={parts[0] === "kpis" ? "page" : undefined}>
          Dashboard
        </a>{" "}
        <a href="/desk/settings" aria-current={parts[0] === "settings" ? "page" : undefined}>
          Settings
        </a>
      </nav>
      {parts[0] === "t" && parts[1] ? (
        <Ticket store={store} id={parts[1]} />
      ) : parts[0] === "kpis" ? (
        <Dashboard store={store} />
      ) : parts[0] === "settings" ? (
        <DeskSettingsScreen store={store} />
      ) : (
        <Queue store={store} />
      )}
    </section>
  );
}

function Availability({ store }: { store: Store }) {
  const [status, setStatus] = useState<AgentStatus>("away");
  const [assigned, setAssigned] = useState(0);
  const set = (s: AgentStatus) =>
    store.client
      ?.request("set_agent_status", { status: s })
      .then((ok) => {
        setStatus(ok.status);
        setAssigned(ok.assigned);
      })
      .catch((e) => store.flash(e.message));
  return (
    <label class="availability">
      Availability{" "}
      <select name="availability" value={status} onChange={(e) => set((e.target as HTMLSelectElement).value as AgentStatus)}>
        <option value="available">Available</option>
        <option value="busy">Busy</option>
        <option value="away">Away</option>
      </select>
      <span class="hint">{assigned} assigned</span>
    </label>
  );
}

/**
 * Load the queue, then keep it current without polling: `watch_queue` makes the
 * server push `ticket_changed` for every ticket change; each (a burst coalesced)
 * reloads the view and its counts. Watch first, then load, so nothing is missed;
 * again after a reconnect (pushes are not replayed).
 */
function useLiveQueue(store: Store, load: () => void, deps: unknown[]) {
  useEffect(() => {
    const c = store.client;
    if (!c) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        load();
      }, 30);
    };
    const watch = () =>
      c
        .request("watch_queue", {})
        .then(load)
        .catch((e) => store.flash(e.message));
    void watch();
    const offChanged = c.on("ticket_changed", soon);
    const offOpen = c.on("open", (o) => o.reconnected && void watch());
    return () => {
      offChanged();
      offOpen();
      if (timer) clearTimeout(timer);
      void c.request("watch_queue", { stop: true }).catch(() => {});
    };
  }, [store.client, ...deps]);
}

/** A ticket's SLA state in a few words: breached targets, else the due time (and "soon" once warned). */
export function slaText(t: TicketView): string {
  if (t.breaches?.length) return `breached: ${t.breaches.map(label).join(", ")}`;
  if (!t.sla_due) return "";
  const due = new Date(t.sla_due).toLocaleString();
  return t.warnings?.length ? `due soon: ${due}` : `due ${due}`;
}

function slaClass(t: TicketView): string {
  return t.breaches?.length ? "sla breached" : t.warnings?.length ? "sla warning" : "sla";
}

function Queue({ store }: { store: Store }) {
  const [status, setStatus] = useState<string>("");
  const [assignee, setAssignee] = useState("any");
  const [priority, setPriority] = useState("");
  const [tag, setTag] = useState("");
  const [data, setData] = useState<{ tickets: TicketView[]; total: number; by_status: Partial<Record<TicketStatus, number>> } | null>(null);
  const load = () => {
    const filter = {
      ...(status ? { status: [status as TicketStatus] } : {}),
      assignee,
      ...(priority ? { priority: priority as Priority } : {}),
      ...(tag.trim() ? { tag: tag.trim().toLowerCase() } : {}),
    };
    store.client
      ?.request("ticket_queue", { filter })
      .then(setData)
      .catch((e) => store.flash(e.message));
  };
  useLiveQueue(store, load, [status, assignee, priority, tag]);
  return (
    <div class="queue">
      <form class="filters" aria-label="Queue filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status{" "}
          <select name="status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">All but closed</option>
            {STATUSES.map((s) => (
              <option value={s}>
                {label(s)} ({data?.by_status[s] ?? 0})
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee{" "}
          <select name="assignee" value={assignee} onChange={(e) => setAssignee((e.target as HTMLSelectElement).value)}>
            <option value="any">Anyone</option>
            <option value="me">Me</option>
            <option value="unassigned">Unassigned</option>
          </select>
        </label>
        <label>
          Priority{" "}
          <select name="priority" value={priority} onChange={(e) => setPriority((e.target as HTMLSelectElement).value)}>
            <option value="">Any</option>
            {PRIORITIES.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Tag <input name="tag" value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        </label>
      </form>
      <p class="hint" role="status">
        {data ? `${data.total} ticket${data.total === 1 ? "" : "s"}` : "Loading…"}
      </p>
      <table class="tickets">
        <thead>
          <tr>
            <th>Subject</th>
            <th>Requester</th>
            <th>Status</th>
            <th>Priority</th>
            <th>Assignee</th>
            <th>SLA</th>
          </tr>
        </thead>
        <tbody>
          {(data?.tickets || []).map((t) => (
            <tr key={t.id} data-ticket={t.id}>
              <td>
                <a href={`/desk/t/${t.id}`}>{t.subject}</a>
              </td>
              <td>{store.name(t.requester)}</td>
              <td>{label(t.custom_status || t.status)}</td>
              <td>{t.priority}</td>
              <td>{t.assignee ? store.name(t.assignee) : "—"}</td>
              <td class={slaClass(t)}>{slaText(t)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Line = { seq: number; author: string; text: string; note: boolean; at: number };

function Ticket({ store, id }: { store: Store; id: string }) {
  const [t, setT] = useState<TicketView | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [note, setNote] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const text = useRef<HTMLTextAreaElement>(null);
  const c = store.client;
  const info = () =>
    c
      ?.request("ticket_info", { stream: id })
      .then((ok) => setT(ok.ticket))
      .catch((e) => setError(e.message));
  useEffect(() => {
    if (!c) return;
    const seen = new Map<number, Line>();
    const add = (e: Event) => {
      if (e.stream !== id) return;
      if (e.type === "message_posted" || e.type === "ticket_note") {
        seen.set(e.seq, { seq: e.seq, author: e.author, text: e.text, note: e.type === "ticket_note", at: e.at });
        setLines([...seen.values()].sort((a, b) => a.seq - b.seq));
      }
      void info();
    };
    const off = c.on("event", add);
    void info();
    c.subscribe(id, { since: 0 }).catch((e) => setError(e.message));
    return () => {
      off();
      void c.unsubscribe(id).catch(() => {});
    };
  }, [id, c]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!t) return <p>Loading…</p>;
  const change = (changes: TicketChanges) =>
    c
      ?.request("update_ticket", { stream: id, version: t.version, changes })
      .then(info)
      .catch((e) => {
        store.flash(e.message);
        void info();
      });
  const send = (e: SubmitEvent) => {
    e.preventDefault();
    const body = text.current?.value.trim();
    if (!body || !c) return;
    const done = note ? c.request("add_note", { stream: id, text: body }) : c.request("post", { stream: id, text: body });
    done.then(() => text.current && (text.current.value = "")).catch((err) => store.flash(err.message));
  };
  return (
    <article class="ticket" data-ticket={t.id}>
      <a href="/desk" onClick={(e) => (e.preventDefault(), navigate("/desk"))}>
        ← Queue
      </a>
      <h2>{t.subject}</h2>
      <p class="hint">
        {store.name(t.requester)} · {t.id}
        {slaText(t) ? (
          <>
            {" · "}
            <span class={slaClass(t)}>SLA {slaText(t)}</span>
          </>
        ) : (
          ""
        )}
        {t.rating ? ` · rated ${t.rating}/5` : ""}
      </p>
      <div class="ticket-fields">
        <label>
          Status{" "}
          <select name="ticket-status" value={t.status} onChange={(e) => change({ status: (e.target as HTMLSelectElement).value as TicketStatus })}>
            {STATUSES.map((s) => (
              <option value={s}>{label(s)}</option>
            ))}
          </select>
        </label>
        <label>
          Priority{" "}
          <select name="ticket-priority" value={t.priority} onChange={(e) => change({ priority: (e.target as HTMLSelectElement).value as Priority })}>
            {PRIORITIES.map((p) => (
              <option value={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Assignee{" "}
          <input
            name="ticket-assignee"
            value={t.assignee || ""}
            placeholder="unassigned"
            onChange={(e) => {
              const v = (e.target as HTMLInputElement).value.trim();
              void change(v ? { assignee: v } : { unassign: true });
            }}
          />
        </label>
        <button type="button" onClick={() => change({ assignee: store.me?.id })}>
          Take it
        </button>
        <label>
          Tags{" "}
          <input
            name="ticket-tags"
            value={t.tags.join(" ")}
            onChange={(e) => {
              const want = (e.target as HTMLInputElement).value.split(/[\s,]+/).filter(Boolean);
              void change({ add_tags: want.filter((x) => !t.tags.includes(x)), remove_tags: t.tags.filter((x) => !want.includes(x)) });
            }}
          />
        </label>
      </div>
      <ol class="ticket-lines" aria-label="Conversation">
        {lines.map((l) => (
          <li key={l.seq} class={l.note ? "note" : "reply"} data-seq={l.seq}>
            <strong>{store.name(l.author)}</strong> {l.note ? <span class="tag">Internal note</span> : null}
            <p>{l.text}</p>
          </li>
        ))}
      </ol>
      <form class={`ticket-reply${note ? " is-note" : ""}`} onSubmit={send}>
        <label class="note-toggle">
          <input type="checkbox" name="internal" checked={note} onChange={(e) => setNote((e.target as HTMLInputElement).checked)} /> Internal note (agents only)
        </label>
        <label class="sr-only" for="ticket-text">
          {note ? "Internal note" : "Public reply"}
        </label>
        <textarea id="ticket-text" ref={text} rows={3} placeholder={note ? "Internal note, agents only" : "Reply to the requester"} />
        <button type="submit" class="primary">
          {note ? "Add note" : "Send reply"}
        </button>
      </form>
    </article>
  );
}
