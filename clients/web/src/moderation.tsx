/** Moderator screens and tools: the review queue (/review), the audit log (/audit), and the channel tools in chat (slow mode, lock, mute). */
import { useEffect, useState } from "preact/hooks";
import type { AuditLogOk, ReviewDecision, ReviewItem } from "../../js/src/index";
import type { StreamView, Store } from "./store";

export function isModerator(store: Store): boolean {
  return store.me?.role === "moderator" || store.me?.role === "admin";
}

function when(at: number): string {
  return new Date(at).toLocaleString();
}

export function ReviewQueue({ store }: { store: Store }) {
  const [items, setItems] = useState<ReviewItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    store.client!.request("review_queue", {})
      .then((ok) => setItems(ok.items))
      .catch((e) => setError((e as Error).message));
  useEffect(() => {
    void load();
  }, []);
  const decide = (item: ReviewItem, decision: ReviewDecision) =>
    store.client!.request("review", { item: item.id, decision }).then(load).catch((e) => store.flash((e as Error).message));
  const where = (id: string) => {
    const s = store.streams.get(id)?.summary;
    return s ? (s.kind === "dm" ? store.label(s) : `#${s.name}`) : id;
  };
  return (
    <section class="page review" aria-labelledby="review-title">
      <div class="section-head">
        <h1 id="review-title">Review queue</h1>
        <button onClick={() => void load()}>Refresh</button>
      </div>
      {error ? <p class="error">{error}</p> : null}
      {items === null ? <p>Loading…</p> : items.length === 0 ? <p class="muted">Nothing to review.</p> : null}
      <ul class="review-items">
        {(items || []).map((it) => (
          <li key={it.id} class="card" data-item={it.id}>
            <p>
              <strong>{store.name(it.author)}</strong> in {where(it.stream)} {it.held ? <span class="tag">held for approval</span> : null} {it.hidden ? <span class="tag">hidden pending review</span> : null}
            </p>
            <blockquote>{it.excerpt}</blockquote>
            {it.flags.length ? (
              <p class="muted">
                {it.flags.length} flag{it.flags.length > 1 ? "s" : ""}: {it.flags.map((f) => `${store.name(f.by)} (${f.reason.replace("_", " ")}${f.text ? `: ${f.text}` : ""})`).join(", ")}
              </p>
            ) : null}
            <div class="actions-row">
              {it.held ? (
                <>
                  <button class="primary" onClick={() => decide(it, "approve")}>Approve</button>
                  <button onClick={() => decide(it, "reject")}>Reject</button>
                </>
              ) : (
                <>
                  <button class="primary" onClick={() => decide(it, "agree_hide")}>Agree: hide</button>
                  <button class="danger" onClick={() => decide(it, "agree_delete")}>Agree: delete</button>
                  <button onClick={() => decide(it, "disagree")}>Disagree</button>
                  <button onClick={() => decide(it, "ignore")}>Ignore</button>
                </>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function AuditLog({ store }: { store: Store }) {
  const [actor, setActor] = useState("");
  const [target, setTarget] = useState("");
  const [pages, setPages] = useState<AuditLogOk[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = (before?: number) =>
    store.client!.request("audit_log", { actor: actor.trim() || undefined, target: target.trim() || undefined, before, limit: 50 })
      .then((ok) => setPages((p) => (before ? [...p, ok] : [ok])))
      .catch((e) => setError((e as Error).message));
  useEffect(() => {
    void load();
  }, []);
  const entries = pages.flatMap((p) => p.entries);
  const next = pages.length ? pages[pages.length - 1].next : undefined;
  return (
    <section class="page audit" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <label>
          By <input value={actor} onInput={(e) => setActor((e.target as HTMLInputElement).value)} placeholder="moderator" />
        </label>
        <label>
          About <input value={target} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} placeholder="user or stream id" />
        </label>
        <button type="submit">Filter</button>
      </form>
      {error ? <p class="error">{error}</p> : null}
      <table class="audit-table">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">About</th>
            <th scope="col">Reason</th>
            <th scope="col">Undo with</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(({ seq, at, entry }) => (
            <tr key={seq} data-seq={seq}>
              <td>{when(at)}</td>
              <td>{store.name(entry.actor)}</td>
              <td>
                {entry.action.replace(/_/g, " ")}
                {entry.detail ? <span class="muted"> {entry.detail}</span> : null}
              </td>
              <td>
                {[entry.target_user ? store.name(entry.target_user) : "", entry.stream ? (store.streams.get(entry.stream) ? `#${store.streams.get(entry.stream)!.summary.name}` : entry.stream) : "", entry.seq ? `message ${entry.seq}` : "", entry.until ? `until ${when(entry.until)}` : ""].filter(Boolean).join(", ")}
              </td>
              <td>{entry.reason || ""}</td>
              <td>{entry.reverse || ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length === 0 ? <p class="muted">No entries.</p> : null}
      {next ? <button onClick={() => void load(next)}>Older</button> : null}
    </section>
  );
}

/** Slow mode, lock and mute, from a channel's header (moderators). */
export function ModTools({ store, s }: { store: Store; s: StreamView }) {
  const [open, setOpen] = useState(false);
  const [user, setUser] = useState("");
  const [minutes, setMinutes] = useState("10");
  const id = s.summary.id;
  const c = store.client!;
  const done = (what: string) => () => store.flash(what, "info");
  const fail = (e: Error) => store.flash(e.message);
  return (
    <div class="modtools">
      <button class="icon-btn" aria-expanded={open} aria-label="Moderation tools" title="Moderation tools" onClick={() => setOpen(!open)}>
        🛡
      </button>
      {open ? (
        <div class="card modtools-panel" role="region" aria-label="Moderation tools">
          <label>
            Slow mode{" "}
            <select
              aria-label="Slow mode"
              onChange={(e) => {
                const seconds = Number((e.target as HTMLSelectElement).value);
                c.request("slow_mode", { stream: id, seconds }).then(done(seconds ? `Slow mode: one post per ${seconds} s.` : "Slow mode off.")).catch(fail);
              }}
            >
              <option value="">choose…</option>
              <option value="0">off</option>
              <option value="10">10 s</option>
              <option value="30">30 s</option>
              <option value="60">1 min</option>
              <option value="300">5 min</option>
            </select>
          </label>
          <div class="actions-row">
            <button onClick={() => c.request("lock", { stream: id, locked: true }).then(done("Locked: only moderators can post.")).catch(fail)}>Lock</button>
            <button onClick={() => c.request("lock", { stream: id, locked: false }).then(done("Unlocked.")).catch(fail)}>Unlock</button>
          </div>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const u = user.trim();
              if (u) c.request("mute", { user: u, minutes: Number(minutes) || 10 }).then(done(`${u} is muted for ${minutes} min.`)).catch(fail);
            }}
          >
            <label>
              Mute <input aria-label="User to mute" value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} placeholder="username" />
            </label>{" "}
            <label>
              for <input aria-label="Minutes" type="number" min="1" value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} /> min
            </label>{" "}
            <button type="submit">Mute</button>
          </form>
        </div>
      ) : null}
    </div>
  );
}
