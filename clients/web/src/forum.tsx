/**
 * The forum (protocol/PROTOCOL.md §21): the category list with "latest", a
 * category's thread list (both paged with the server's cursor), and a thread
 * view: posts with quotes, likes, edits with their history, soft delete, a
 * reply box, the notification level selector, and the staff tools in place
 * (pin, lock, close, archive, move, split, merge). Routes: `/forum`,
 * `/forum/c/<category id>`, `/forum/t/<thread id>`.
 *
 * A thread view subscribes to its stream and reloads on each event, so
 * replies, likes and staff actions by others appear live; opening a thread
 * lands on the first unread post and marks the thread read.
 */
import type { CategoryInfo, ForumThreadOk, NotificationLevel, PostVersion, PostView, SmallAction, StaffAction, ThreadRow } from "../../js/src/index";
import { useEffect, useRef, useState } from "preact/hooks";
import { Markdown, type MdContext } from "./markdown";
import { Modal } from "./modal";
import { navigate } from "./router";
import type { Store } from "./store";

const LEVELS: [NotificationLevel, string][] = [
  ["watching", "Watching: every reply"],
  ["tracking", "Tracking: replies to me, unread count"],
  ["normal", "Normal: replies to me, mentions"],
  ["muted", "Muted: nothing"],
];

function when(ms: number): string {
  return new Date(ms).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

function staff(store: Store): boolean {
  const r = store.me?.role;
  return r === "moderator" || r === "admin";
}

function useCategories(store: Store): [CategoryInfo[], () => void] {
  const [cats, setCats] = useState<CategoryInfo[]>([]);
  const load = () => {
    store.client?.request("forum_categories", {}).then((ok) => setCats(ok.categories), () => setCats([]));
  };
  useEffect(load, []);
  return [cats, load];
}

export function Forum({ store, rest }: { store: Store; rest: string }) {
  const [kind, id] = rest.split("/");
  if (kind === "t" && id) return <ThreadView key={id} store={store} thread={id} />;
  return <ForumIndex key={id || "latest"} store={store} category={kind === "c" ? id : undefined} />;
}

function ForumIndex({ store, category }: { store: Store; category?: string }) {
  const [cats, reloadCats] = useCategories(store);
  const [rows, setRows] = useState<ThreadRow[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [composing, setComposing] = useState(false);
  const [newCat, setNewCat] = useState(false);
  const cat = cats.find((c) => c.id === category);
  const page = (cursor?: string) =>
    store.client
      ?.request("forum_threads", { category, cursor, limit: 30 })
      .then((ok) => {
        setRows((r) => (cursor ? [...r, ...ok.threads] : ok.threads));
        setNext(ok.next ?? undefined);
      })
      .catch((e) => setError(e.message));
  useEffect(() => {
    void page();
    document.title = `${category ? "Category" : "Latest"} · Forum · agora`;
  }, [category]);
  return (
    <section class="page forum" aria-labelledby="forum-title">
      <div class="forum-head">
        <h1 id="forum-title">{cat ? cat.name : "Forum"}</h1>
        {category && cat ? <LevelSelect store={store} label="Category notifications" value={cat.level} categoryLevels onChange={(level) => store.client!.request("forum_set_level", { category, level }).then(reloadCats)} /> : null}
        {cats.length ? (
          <button class="primary" onClick={() => setComposing(true)}>
            New thread
          </button>
        ) : null}
        {staff(store) ? <button onClick={() => setNewCat(true)}>New category</button> : null}
      </div>
      {cat?.description ? <p class="lead">{cat.description}</p> : null}
      <nav class="categories" aria-label="Categories">
        <a href="/forum" aria-current={!category ? "page" : undefined}>
          Latest
        </a>
        {cats.map((c) => (
          <a key={c.id} href={`/forum/c/${c.id}`} aria-current={c.id === category ? "page" : undefined} title={c.description}>
            {c.read_role ? "🔒 " : ""}
            {c.name} <span class="muted">{c.thread_count}</span>
          </a>
        ))}
      </nav>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {rows.length ? (
        <table class="threads">
          <thead>
            <tr>
              <th>Thread</th>
              <th>Replies</th>
              <th>Likes</th>
              <th>Activity</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.thread} data-thread={r.thread}>
                <td>
                  <a href={`/forum/t/${r.thread}`} class="thread-title">
                    {r.pinned !== "no" ? "📌 " : ""}
                    {r.locked ? "🔒 " : ""}
                    {r.closed ? "⛔ " : ""}
                    {r.archived ? "🗄 " : ""}
                    {r.title}
                  </a>
                  {r.unread && r.last_read ? <span class="badge" aria-label={`${r.unread} new replies`}>{r.unread}</span> : !r.last_read ? <span class="new">new</span> : null}
                  <div class="muted small">
                    {!category ? `${r.talk_page ? "Wiki talk" : cats.find((c) => c.id === r.category)?.name || ""} · ` : ""}
                    {r.participants.map((u) => store.name(u)).join(", ")}
                  </div>
                </td>
                <td>{r.replies}</td>
                <td>{r.likes}</td>
                <td title={when(r.last_activity)}>
                  {store.name(r.last_poster)}
                  <div class="muted small">{when(r.last_activity)}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No threads yet.</p>
      )}
      {next ? <button onClick={() => page(next)}>Load more</button> : null}
      {composing ? <NewThread store={store} cats={cats} category={category} onClose={() => setComposing(false)} /> : null}
      {newCat ? <NewCategory store={store} onClose={() => { setNewCat(false); reloadCats(); }} /> : null}
    </section>
  );
}

function NewThread({ store, cats, category, onClose }: { store: Store; cats: CategoryInfo[]; category?: string; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title="New thread" onClose={onClose} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.target as HTMLFormElement);
          store
            .client!.request("forum_create_thread", { category: String(f.get("category")), title: String(f.get("title")), text: String(f.get("text")) })
            .then((ok) => navigate(`/forum/t/${ok.thread}`), (err) => setError(err.message));
        }}
      >
        <label>
          Category
          <select name="category" defaultValue={category}>
            {cats.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Title <input name="title" required maxLength={250} />
        </label>
        <label>
          First post <textarea name="text" rows={6} required />
        </label>
        {error ? <p class="error" role="alert">{error}</p> : null}
        <button type="submit" class="primary">
          Create thread
        </button>
      </form>
    </Modal>
  );
}

function NewCategory({ store, onClose }: { store: Store; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title="New category" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.target as HTMLFormElement);
          const role = String(f.get("read_role") || "");
          store
            .client!.request("forum_save_category", {
              name: String(f.get("name")),
              slug: String(f.get("slug")),
              description: String(f.get("description")),
              read_role: role ? (role as "agent" | "moderator") : null,
            })
            .then(onClose, (err) => setError(err.message));
        }}
      >
        <label>
          Name <input name="name" required />
        </label>
        <label>
          Slug <input name="slug" required pattern="[a-z0-9\-]+" />
        </label>
        <label>
          Description <input name="description" />
        </label>
        <label>
          Who can read
          <select name="read_role">
            <option value="">Everyone</option>
            <option value="agent">Agents and staff</option>
            <option value="moderator">Staff only</option>
          </select>
        </label>
        {error ? <p class="error" role="alert">{error}</p> : null}
        <button type="submit" class="primary">
          Create
        </button>
      </form>
    </Modal>
  );
}

function LevelSelect({ store: _s, label, value, onChange, categoryLevels }: { store: Store; label: string; value: NotificationLevel; onChange: (l: NotificationLevel) => void; categoryLevels?: boolean }) {
  const levels: [NotificationLevel, string][] = categoryLevels ? [...LEVELS.slice(0, 1), ["watching_first_post", "Watching first post: new threads"], ...LEVELS.slice(1)] : LEVELS;
  return (
    <label class="inline level">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as NotificationLevel)}>
        {levels.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

function ThreadView({ store, thread }: { store: Store; thread: string }) {
  const [view, setView] = useState<ForumThreadOk | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [quote, setQuote] = useState<number | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [hiding, setHiding] = useState<number | null>(null);
  const [history, setHistory] = useState<PostVersion[] | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [cats] = useCategories(store);
  const landed = useRef(false);
  const c = store.client!;
  const load = () =>
    c.request("forum_thread", { thread, after: 0, limit: 200 }).then(
      (v) => {
        setView(v);
        setError(null);
        if (v.head) c.markRead(thread, v.head).catch(() => {});
      },
      (e) => setError(e.code === "not_found" ? "This thread does not exist, or you cannot see it." : e.message),
    );
  useEffect(() => {
    // Where to land: the first unread post (asked without `after`).
    c.request("forum_thread", { thread, limit: 1 })
      .then((v) => {
        landed.current = false;
        setFirstUnread(v.first_unread ?? null);
      })
      .catch(() => {});
    void load();
    const off = c.on("event", (e) => {
      if (e.stream === thread) void load();
    });
    c.subscribe(thread).catch(() => {});
    return () => {
      off?.();
      c.unsubscribe(thread).catch(() => {});
    };
  }, [thread]);
  const [firstUnread, setFirstUnread] = useState<number | null>(null);
  useEffect(() => {
    if (!view || landed.current || firstUnread == null) return;
    landed.current = true;
    document.querySelector(`[data-seq="${firstUnread}"]`)?.scrollIntoView({ block: "start" });
  }, [view, firstUnread]);
  useEffect(() => {
    if (view) document.title = `${view.row.title} · Forum · agora`;
  }, [view?.row.title]);

  if (error)
    return (
      <section class="page">
        <h1>Not found</h1>
        <p>{error}</p>
        <a href="/forum">Back to the forum</a>
      </section>
    );
  if (!view) return <section class="page" aria-busy="true">Loading…</section>;
  const row = view.row;
  const me = store.me?.id;
  const isStaff = staff(store);
  const ctx: MdContext = { me, mentions: [], channel: () => undefined };
  const act = (p: Promise<unknown>) => p.then(load, (e) => store.flash(e.message));
  const closedForMe = row.archived || (!isStaff && (row.locked || row.closed));
  // Posts and small actions in seq order.
  const items: { seq: number; post?: PostView; action?: SmallAction }[] = [...view.posts.map((p) => ({ seq: p.seq, post: p })), ...view.actions.map((a) => ({ seq: a.seq, action: a }))].sort((a, b) => a.seq - b.seq);
  return (
    <section class="page thread" aria-labelledby="thread-title">
      <p class="crumbs">
        {row.talk_page ? (
          <>
            <a href="/wiki">Wiki</a> › <a href={`/wiki/${encodeURIComponent(row.talk_page)}`} class="talk-page">{row.title.replace(/^Talk:/, "")}</a> › Talk
          </>
        ) : (
          <>
            <a href="/forum">Forum</a> › <a href={`/forum/c/${row.category}`}>{cats.find((x) => x.id === row.category)?.name || "Category"}</a>
          </>
        )}
      </p>
      <div class="forum-head">
        <h1 id="thread-title">
          {row.pinned !== "no" ? "📌 " : ""}
          {row.title}
        </h1>
        <LevelSelect store={store} label="Notifications" value={row.level} onChange={(level) => act(c.request("forum_set_level", { thread, level }))} />
      </div>
      <p class="muted">
        {row.locked ? "Locked: no new replies. " : ""}
        {row.closed ? "Closed. " : ""}
        {row.archived ? "Archived. " : ""}
        {row.merged_into ? (
          <>
            Merged into <a href={`/forum/t/${row.merged_into}`}>another thread</a>.
          </>
        ) : null}
      </p>
      {isStaff ? <StaffTools store={store} row={row} cats={cats} selected={selected} act={act} onSplit={() => setSelected(new Set())} /> : null}
      <ol class="posts">
        {items.map((it) =>
          it.post ? (
            <li key={it.seq} class={`post${it.post.deleted ? " deleted" : ""}${it.post.hidden ? " hidden" : ""}${it.seq === firstUnread ? " first-unread" : ""}`} data-seq={it.seq} id={`p${it.seq}`}>
              <header>
                <strong>{store.name(it.post.author)}</strong> <span class="muted">{when(it.post.at)}</span>
                {it.post.edits ? (
                  <button class="link" onClick={() => c.request("forum_post_history", { thread, post: it.seq }).then((h) => setHistory(h.versions))}>
                    edited {it.post.edits}×
                  </button>
                ) : null}
                {it.post.moved_from ? <span class="muted"> (moved)</span> : null}
                {isStaff && it.seq !== view.posts[0]?.seq ? (
                  <label class="inline select-post">
                    <input
                      type="checkbox"
                      checked={selected.has(it.seq)}
                      onChange={() => {
                        const n = new Set(selected);
                        if (n.has(it.seq)) n.delete(it.seq);
                        else n.add(it.seq);
                        setSelected(n);
                      }}
                    />
                    <span class="sr-only">Select for split</span>
                  </label>
                ) : null}
              </header>
              {it.post.quote ? (
                <blockquote class="quote">
                  <a href={`#p${it.post.quote}`}>{store.name(view.posts.find((p) => p.seq === it.post!.quote)?.author || "")}</a>: {(view.posts.find((p) => p.seq === it.post!.quote)?.text || "").slice(0, 200)}
                </blockquote>
              ) : null}
              {it.post.deleted ? <p class="muted">(withdrawn by its author)</p> : null}
              {it.post.hidden ? <p class="muted hidden-note">(hidden by a moderator: members do not see it)</p> : null}
              {hiding === it.seq ? (
                <form
                  aria-label="Hide this post from members?"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const reason = String(new FormData(e.target as HTMLFormElement).get("reason") || "");
                    act(c.request("hide", { stream: thread, target: it.seq, reason })).then(() => setHiding(null));
                  }}
                >
                  <input name="reason" placeholder="Reason (shown in the audit log)" aria-label="Reason" />
                  <button type="submit" class="danger">Hide</button> <button type="button" onClick={() => setHiding(null)}>Cancel</button>
                </form>
              ) : null}
              {editing === it.seq ? (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    const text = String(new FormData(e.target as HTMLFormElement).get("text"));
                    act(c.request("edit", { stream: thread, target: it.seq, text })).then(() => setEditing(null));
                  }}
                >
                  <textarea name="text" rows={4} defaultValue={it.post.text} aria-label="Edit post" />
                  <button type="submit" class="primary">Save</button> <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                </form>
              ) : (
                <div class="post-body">
                  <Markdown text={it.post.text} ctx={ctx} />
                </div>
              )}
              <footer class="post-actions">
                <button
                  aria-pressed={it.post.liked}
                  disabled={it.post.author === me || closedForMe && row.archived}
                  onClick={() => act(c.request(it.post!.liked ? "forum_unlike" : "forum_like", { thread, post: it.seq }))}
                  aria-label={`Like (${it.post.likes})`}
                >
                  ♥ {it.post.likes}
                </button>
                {!closedForMe ? (
                  <button onClick={() => setQuote(it.seq)}>Quote</button>
                ) : null}
                {(it.post.author === me || isStaff) && !it.post.deleted ? (
                  <>
                    <button onClick={() => setEditing(it.seq)}>Edit</button>
                    <button class="danger" onClick={() => act(c.request("delete", { stream: thread, target: it.seq }))}>
                      Delete
                    </button>
                  </>
                ) : null}
                {(it.post.author === me || isStaff) && it.post.deleted ? <button onClick={() => act(c.request("forum_recover", { thread, post: it.seq }))}>Recover</button> : null}
                {isStaff && !it.post.deleted && !it.post.hidden ? (
                  <button aria-label="Hide from members" onClick={() => setHiding(it.seq)}>
                    Hide
                  </button>
                ) : null}
                {isStaff && it.post.hidden ? (
                  <button aria-label="Unhide" onClick={() => act(c.request("unhide", { stream: thread, target: it.seq }))}>
                    Unhide
                  </button>
                ) : null}
              </footer>
            </li>
          ) : (
            <li key={it.seq} class="small-action" data-seq={it.seq}>
              <span class="muted">
                {store.name(it.action!.by)} {it.action!.action.replace("_", " ")}
                {it.action!.detail ? ` (${it.action!.detail})` : ""} · {when(it.action!.at)}
              </span>
            </li>
          ),
        )}
      </ol>
      {closedForMe ? (
        <p class="muted" role="status">
          {row.archived ? "This thread is archived." : row.locked ? "This thread is locked." : "This thread is closed."}
        </p>
      ) : (
        <form
          class="reply"
          onSubmit={(e) => {
            e.preventDefault();
            const form = e.target as HTMLFormElement;
            const text = String(new FormData(form).get("text") || "").trim();
            if (!text) return;
            act(c.request("post", { stream: thread, text, reply_to: quote ?? undefined })).then(() => {
              form.reset();
              setQuote(null);
            });
          }}
        >
          {quote ? (
            <p class="muted">
              Quoting {store.name(view.posts.find((p) => p.seq === quote)?.author || "")} <button type="button" class="link" onClick={() => setQuote(null)}>cancel</button>
            </p>
          ) : null}
          <label>
            Reply <textarea name="text" rows={4} required />
          </label>
          <button type="submit" class="primary">
            Reply
          </button>
        </form>
      )}
      {history ? (
        <Modal title="Edit history" onClose={() => setHistory(null)} wide>
          <ol class="versions">
            {history.map((v) => (
              <li key={v.seq}>
                <div class="muted">
                  {store.name(v.by)} · {when(v.at)}
                </div>
                <pre>{v.text}</pre>
              </li>
            ))}
          </ol>
        </Modal>
      ) : null}
    </section>
  );
}

function StaffTools({ store, row, cats, selected, act, onSplit }: { store: Store; row: ThreadRow; cats: CategoryInfo[]; selected: Set<number>; act: (p: Promise<unknown>) => Promise<unknown>; onSplit: () => void }) {
  const c = store.client!;
  const thread = row.thread;
  const staffAct = (action: StaffAction) => act(c.request("forum_staff", { thread, action }));
  return (
    <div class="staff-tools" role="toolbar" aria-label="Staff tools">
      {row.pinned === "no" ? (
        <>
          <button onClick={() => staffAct("pin")}>Pin</button>
          <button onClick={() => staffAct("pin_globally")}>Pin globally</button>
        </>
      ) : (
        <button onClick={() => staffAct("unpin")}>Unpin</button>
      )}
      <button onClick={() => staffAct(row.locked ? "unlock" : "lock")}>{row.locked ? "Unlock" : "Lock"}</button>
      <button onClick={() => staffAct(row.closed ? "reopen" : "close")}>{row.closed ? "Reopen" : "Close"}</button>
      <button onClick={() => staffAct(row.archived ? "unarchive" : "archive")}>{row.archived ? "Unarchive" : "Archive"}</button>
      <label class="inline">
        Move to
        <select value={row.category} onChange={(e) => act(c.request("forum_move", { thread, category: (e.target as HTMLSelectElement).value }))}>
          {cats.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
      </label>
      <button
        disabled={!selected.size}
        onClick={() => {
          const title = prompt("Title of the new thread");
          if (!title) return;
          c.request("forum_split", { thread, posts: [...selected], title }).then((ok) => {
            onSplit();
            navigate(`/forum/t/${ok.thread}`);
          }, (e) => store.flash(e.message));
        }}
      >
        Split {selected.size || ""} into a new thread
      </button>
      <button
        onClick={() => {
          const into = prompt("Merge into which thread? (its id, ft_…)");
          if (into) act(c.request("forum_merge", { thread, into: into.trim() }));
        }}
      >
        Merge into…
      </button>
    </div>
  );
}
