/**
 * The wiki: a page (server-rendered, sanitized HTML) with "X is editing", the
 * editor with its edit-conflict screen (your text is never lost: it stays in
 * its box beside the current text and the overlapping hunks), history with
 * revert and rollback, the diff between two revisions (lines and words),
 * "what links here", the page's talk thread (a forum thread, opened with
 * `wiki_talk` on first use), recent changes (live), all pages (paged with the
 * server's cursor) and wanted pages.
 * Routes: /wiki, /wiki/<slug>, /wiki/<slug>/edit|history|links|talk,
 * /wiki/<slug>/diff/<from>/<to>, /wiki/Special:RecentChanges, /wiki/Special:WantedPages.
 */
import { useEffect, useState } from "preact/hooks";
import type { AgoraError, DiffHunk, WikiConflict, WikiHistoryEntry, WikiPageOk, WikiPageRef } from "../../js/src/index";
import { navigate } from "./router";
import type { Store } from "./store";

const enc = encodeURIComponent;
const href = (slug: string, sub = "") => `/wiki/${enc(slug)}${sub}`;
const when = (ms: number) => new Date(ms).toLocaleString();

export function WikiView({ store, path }: { store: Store; path: string }) {
  const parts = path.split("/").filter(Boolean).slice(1).map(decodeURIComponent);
  const [slug, sub, a, b] = parts;
  let body;
  if (!slug) body = <AllPages store={store} />;
  else if (slug.toLowerCase() === "special:recentchanges") body = <RecentChanges store={store} />;
  else if (slug.toLowerCase() === "special:wantedpages") body = <Wanted store={store} />;
  else if (sub === "edit") body = <Editor key={slug} store={store} slug={slug} />;
  else if (sub === "history") body = <History key={slug} store={store} slug={slug} />;
  else if (sub === "links") body = <Links key={slug} store={store} slug={slug} />;
  else if (sub === "talk") body = <Talk key={slug} store={store} slug={slug} />;
  else if (sub === "diff") body = <Diff key={path} store={store} slug={slug} from={Number(a)} to={Number(b)} />;
  else body = <PageView key={slug} store={store} slug={slug} />;
  return (
    <section class="page wiki">
      <nav class="wiki-nav" aria-label="Wiki">
        <a href="/wiki">All pages</a> · <a href="/wiki/Special:RecentChanges">Recent changes</a> · <a href="/wiki/Special:WantedPages">Wanted pages</a>
      </nav>
      {body}
    </section>
  );
}

/** Tabs of one page. */
function Tabs({ slug, current }: { slug: string; current: string }) {
  const tabs: [string, string][] = [["", "Read"], ["/edit", "Edit"], ["/history", "History"], ["/links", "What links here"], ["/talk", "Talk"]];
  return (
    <nav class="wiki-tabs" aria-label="Page">
      {tabs.map(([sub, label]) => (
        <a key={sub} href={href(slug, sub)} aria-current={current === sub ? "page" : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

/** Load a page (null while loading; "missing" when it does not exist). */
function usePage(store: Store, slug: string, render: boolean): [WikiPageOk | null | "missing", (p: WikiPageOk) => void] {
  const [page, setPage] = useState<WikiPageOk | null | "missing">(null);
  useEffect(() => {
    store.client!.request("wiki_get", { page: slug, render }).then(setPage, (e: AgoraError) => (e.code === "not_found" ? setPage("missing") : store.flash(e.message)));
  }, [slug]);
  return [page, setPage];
}

/** Who else is editing this page ("typing" on its stream), while it is open. */
function useEditors(store: Store, stream: string | undefined): string[] {
  const [editors, setEditors] = useState<Map<string, number>>(new Map());
  useEffect(() => {
    if (!stream || !store.client) return;
    const c = store.client;
    void c.subscribe(stream).catch(() => {});
    const off = c.on("typing", (t) => {
      if (t.stream !== stream || t.user === store.me?.id) return;
      setEditors((m) => new Map(m).set(t.user, Date.now() + t.ttl_ms));
    });
    const tick = setInterval(() => setEditors((m) => new Map([...m].filter(([, until]) => until > Date.now()))), 1000);
    return () => {
      off();
      clearInterval(tick);
      void c.unsubscribe(stream).catch(() => {});
    };
  }, [stream]);
  return [...editors.keys()];
}

function EditingNote({ store, users }: { store: Store; users: string[] }) {
  if (!users.length) return null;
  return (
    <p class="wiki-editing" role="status">
      {users.map((u) => store.name(u)).join(", ")} {users.length > 1 ? "are" : "is"} editing this page
    </p>
  );
}

function PageView({ store, slug }: { store: Store; slug: string }) {
  const [page, setPage] = usePage(store, slug, true);
  const editors = useEditors(store, page && page !== "missing" ? page.stream : undefined);
  if (page === null) return <p aria-busy="true">Loading…</p>;
  if (page === "missing")
    return (
      <>
        <h1>{slug}</h1>
        <p>This page does not exist yet.</p>
        <a class="button primary" href={href(slug, "/edit")}>
          Create it
        </a>
      </>
    );
  const watch = () =>
    store.client!.request("wiki_watch", { page: page.slug, watch: !page.watching }).then(
      () => setPage({ ...page, watching: !page.watching }),
      (e: AgoraError) => store.flash(e.message),
    );
  return (
    <article>
      <h1>{page.title}</h1>
      {page.redirected_from ? <p class="muted">(Redirected from {page.redirected_from})</p> : null}
      <Tabs slug={page.slug} current="" />
      <button class="link" onClick={watch}>
        {page.watching ? "Unwatch" : "Watch"}
      </button>
      {page.protection ? (
        <p class="wiki-protected">
          Protected ({page.protection.edit === "full" ? "moderators only" : page.protection.edit === "semi" ? "established accounts only" : "against moving"}){page.protection.reason ? `: ${page.protection.reason}` : ""}
          {page.protection.expires ? `, until ${when(page.protection.expires)}` : ""}
        </p>
      ) : null}
      <EditingNote store={store} users={editors} />
      <div class="wiki-body" dangerouslySetInnerHTML={{ __html: page.html || "" }} />
    </article>
  );
}

function Editor({ store, slug }: { store: Store; slug: string }) {
  const [page] = usePage(store, slug, false);
  const [text, setText] = useState<string | null>(null);
  const [summary, setSummary] = useState("");
  const [minor, setMinor] = useState(false);
  const [conflict, setConflict] = useState<WikiConflict | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stream = page && page !== "missing" ? page.stream : undefined;
  const editors = useEditors(store, stream);
  const title = page && page !== "missing" ? page.title : new URLSearchParams(location.search).get("title") || slug;
  useEffect(() => {
    if (page && text === null) setText(page === "missing" ? "" : page.text);
  }, [page]);
  if (page === null || text === null) return <p aria-busy="true">Loading…</p>;
  // After a conflict the base is the revision now current: saving puts your text on top of it.
  const base = conflict ? conflict.current : page === "missing" ? undefined : page.rev;
  const save = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    store
      .client!.request("wiki_save", { page: title, base, text, summary, minor })
      .then((ok) => {
        if (ok.merged) store.flash("Someone saved meanwhile; your edit was merged with theirs.", "info");
        navigate(href(page === "missing" ? slug.toLowerCase().replace(/ /g, "_") : page.slug));
      })
      .catch((err: AgoraError) => {
        const details = err.body?.details as WikiConflict | undefined;
        if (err.code === "conflict" && details) setConflict(details);
        else setError(err.message);
      })
      .finally(() => setBusy(false));
  };
  return (
    <form class="wiki-editor" onSubmit={save}>
      <h1>{page === "missing" ? `Creating ${title}` : `Editing ${title}`}</h1>
      {page !== "missing" ? <Tabs slug={page.slug} current="/edit" /> : null}
      <EditingNote store={store} users={editors} />
      {page !== "missing" && !page.can_edit ? <p class="error">This page is protected: you cannot save it.</p> : null}
      {conflict ? (
        <section class="wiki-conflict" aria-labelledby="conflict-title">
          <h2 id="conflict-title">Edit conflict</h2>
          <p>
            Someone saved revision {conflict.current} while you were editing, and changed the same lines. Your text was not saved and is kept below. Compare it with the current text, adjust it, and save again.
          </p>
          <ul class="wiki-hunks">
            {conflict.hunks.map((h, i) => (
              <li key={i}>
                <div>
                  <strong>Current</strong>
                  <pre class="current">{h.current}</pre>
                </div>
                <div>
                  <strong>Yours</strong>
                  <pre class="yours">{h.yours}</pre>
                </div>
              </li>
            ))}
          </ul>
          <label>
            Current text (revision {conflict.current})
            <textarea id="wiki-current" readOnly rows={10} value={conflict.text} />
          </label>
        </section>
      ) : null}
      <label>
        {conflict ? "Your text" : "Text (Markdown; [[Page name]] links a page)"}
        <textarea id="wiki-text" rows={18} value={text} onInput={(e) => {
          setText((e.target as HTMLTextAreaElement).value);
          if (stream) void store.client?.typing(stream).catch(() => {});
        }} />
      </label>
      <label>
        Summary <input name="summary" value={summary} maxLength={500} onInput={(e) => setSummary((e.target as HTMLInputElement).value)} />
      </label>
      <label class="inline">
        <input type="checkbox" checked={minor} onChange={(e) => setMinor((e.target as HTMLInputElement).checked)} /> This is a minor edit
      </label>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? "Saving…" : conflict ? "Save my text" : "Save page"}
      </button>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

function History({ store, slug }: { store: Store; slug: string }) {
  const [entries, setEntries] = useState<WikiHistoryEntry[]>([]);
  const [title, setTitle] = useState(slug);
  const [more, setMore] = useState(false);
  // Compare any two revisions, as MediaWiki's history does: pick an old and a new one.
  const [pick, setPick] = useState<{ from?: number; to?: number }>({});
  const load = (before?: number) =>
    store.client!.request("wiki_history", { page: slug, before, limit: 50 }).then((h) => {
      setTitle(h.title);
      setEntries((old) => (before ? [...old, ...h.entries] : h.entries));
      setMore(h.more);
    }, (e: AgoraError) => store.flash(e.message));
  useEffect(() => void load(), [slug]);
  const revs = entries.filter((e) => e.kind === "revision");
  const mod = store.me?.role === "moderator" || store.me?.role === "admin";
  const act = (p: Promise<unknown>) => p.then(() => load(), (e: AgoraError) => store.flash(e.message));
  return (
    <>
      <h1>History of {title}</h1>
      <Tabs slug={slug} current="/history" />
      {mod && revs[0] ? (
        <button onClick={() => act(store.client!.request("wiki_rollback", { page: slug, user: revs[0].author }))}>Roll back edits by {revs[0].author}</button>
      ) : null}
      <button
        disabled={!pick.from || !pick.to || pick.from === pick.to}
        onClick={() => pick.from && pick.to && navigate(href(slug, `/diff/${Math.min(pick.from, pick.to)}/${Math.max(pick.from, pick.to)}`))}
      >
        Compare selected revisions
      </button>
      <ul class="wiki-history">
        {entries.map((e) => {
          const prev = revs[revs.indexOf(e) + 1];
          return (
            <li key={e.seq} data-seq={e.seq}>
              {e.kind === "revision" ? (
                <>
                  <input type="radio" name="from" aria-label={`Compare from revision ${e.seq}`} checked={pick.from === e.seq} onChange={() => setPick({ ...pick, from: e.seq })} />
                  <input type="radio" name="to" aria-label={`Compare to revision ${e.seq}`} checked={pick.to === e.seq} onChange={() => setPick({ ...pick, to: e.seq })} />{" "}
                </>
              ) : null}
              {e.kind === "revision" && prev ? <a href={href(slug, `/diff/${prev.seq}/${e.seq}`)}>prev</a> : <span class="muted">prev</span>}{" "}
              {e.kind === "revision" && revs[0] && e.seq !== revs[0].seq ? <a href={href(slug, `/diff/${e.seq}/${revs[0].seq}`)}>cur</a> : <span class="muted">cur</span>}{" "}
              <time>{when(e.at)}</time> {store.name(e.author)} <span class="muted">({e.size} bytes)</span> {e.minor ? <abbr title="minor edit">m</abbr> : null}{" "}
              {e.kind !== "revision" ? <em>{e.kind === "move" ? "moved" : "protection"}</em> : null} {e.summary}
              {e.restores ? <span class="muted"> (restores {e.restores})</span> : null}
              {e.merged ? <span class="muted"> (merged)</span> : null}
              {e.kind === "revision" && revs[0] && e.seq !== revs[0].seq ? (
                <button class="link" onClick={() => act(store.client!.request("wiki_revert", { page: slug, to: e.seq }))}>
                  revert to this
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {more ? <button onClick={() => load(entries[entries.length - 1]?.seq)}>Older</button> : null}
    </>
  );
}

function Diff({ store, slug, from, to }: { store: Store; slug: string; from: number; to: number }) {
  const [hunks, setHunks] = useState<DiffHunk[] | null>(null);
  useEffect(() => {
    store.client!.request("wiki_diff", { page: slug, from, to }).then((d) => setHunks(d.hunks), (e: AgoraError) => store.flash(e.message));
  }, [slug, from, to]);
  return (
    <>
      <h1>
        Difference between revisions {from} and {to}
      </h1>
      <Tabs slug={slug} current="/diff" />
      {hunks === null ? <p aria-busy="true">Loading…</p> : hunks.length === 0 ? <p>No difference.</p> : null}
      {(hunks || []).map((h, i) => (
        <table class="wiki-diff" key={i}>
          <caption>
            Lines {h.old_start}–{h.old_start + Math.max(h.old_len, 1) - 1} → {h.new_start}–{h.new_start + Math.max(h.new_len, 1) - 1}
          </caption>
          <tbody>
            {h.lines.map((l, j) => (
              <tr key={j} class={l.tag}>
                <td class="ln">{l.old ?? ""}</td>
                <td class="ln">{l.new ?? ""}</td>
                <td class="sign">{l.tag === "delete" ? "−" : l.tag === "insert" ? "+" : ""}</td>
                <td class="code">{l.words?.length ? l.words.map((w, k) => (w.changed ? <mark key={k}>{w.text}</mark> : w.text)) : l.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </>
  );
}

function RefList({ refs }: { refs: WikiPageRef[] }) {
  if (!refs.length) return <p class="muted">None.</p>;
  return (
    <ul>
      {refs.map((r) => (
        <li key={r.slug + (r.via || "")}>
          <a href={href(r.slug)} class={r.stream ? "" : "new"}>
            {r.title}
          </a>
          {r.via ? <span class="muted"> (through the redirect {r.via})</span> : null}
        </li>
      ))}
    </ul>
  );
}

function Links({ store, slug }: { store: Store; slug: string }) {
  const [links, setLinks] = useState<{ links: WikiPageRef[]; backlinks: WikiPageRef[]; redirects: string[] } | null>(null);
  useEffect(() => {
    store.client!.request("wiki_links", { page: slug }).then(setLinks, (e: AgoraError) => store.flash(e.message));
  }, [slug]);
  if (!links) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <h1>What links here</h1>
      <Tabs slug={slug} current="/links" />
      <h2>Pages that link here</h2>
      <RefList refs={links.backlinks} />
      <h2>Redirects here</h2>
      {links.redirects.length ? <ul>{links.redirects.map((r) => <li key={r}>{r}</li>)}</ul> : <p class="muted">None.</p>}
      <h2>This page links to</h2>
      <RefList refs={links.links} />
    </>
  );
}

interface Change {
  seq: number;
  at: number;
  author: string;
  title: string;
  namespace: string;
  change: string;
  rev: number;
  summary: string;
  minor: boolean;
  delta: number;
}

function RecentChanges({ store }: { store: Store }) {
  const [changes, setChanges] = useState<Change[]>([]);
  const [user, setUser] = useState("");
  const [ns, setNs] = useState("");
  useEffect(() => {
    const c = store.client!;
    const filters = { user: user || undefined, namespace: ns || undefined, limit: 100 };
    c.request("wiki_recent", filters).then((r) => setChanges(r.changes as unknown as Change[]), (e: AgoraError) => store.flash(e.message));
    // Live: the recent-changes stream, from its head.
    void c.subscribe("wiki_changes").catch(() => {});
    const off = c.on("event", (e) => {
      const ch = e as unknown as Change & { stream: string; type: string };
      if (ch.stream !== "wiki_changes" || ch.type !== "wiki_change") return;
      if ((user && ch.author !== user) || (ns && ch.namespace.toLowerCase() !== ns.toLowerCase())) return;
      setChanges((old) => (old.some((x) => x.seq === ch.seq) ? old : [ch, ...old]));
    });
    return () => {
      off();
      void c.unsubscribe("wiki_changes").catch(() => {});
    };
  }, [user, ns]);
  return (
    <>
      <h1>Recent changes</h1>
      <form class="wiki-filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          User <input value={user} onChange={(e) => setUser((e.target as HTMLInputElement).value.trim())} />
        </label>
        <label>
          Namespace <input value={ns} placeholder="Help, Internal…" onChange={(e) => setNs((e.target as HTMLInputElement).value.trim())} />
        </label>
      </form>
      <ul class="wiki-changes">
        {changes.map((c) => (
          <li key={c.seq} data-seq={c.seq}>
            <time>{when(c.at)}</time> <a href={href(c.title.toLowerCase().replace(/ /g, "_"))}>{c.title}</a> <em>{c.change}</em> {c.minor ? <abbr title="minor edit">m</abbr> : null}{" "}
            <span class={c.delta < 0 ? "neg" : "pos"}>({c.delta > 0 ? "+" : ""}{c.delta})</span> {store.name(c.author)} <span class="muted">{c.summary}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

/** The page's talk thread: opened (created on first use) and shown in the forum's thread view. */
function Talk({ store, slug }: { store: Store; slug: string }) {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    store.client!.request("wiki_talk", { page: slug }).then(
      (ok) => navigate(`/forum/t/${ok.thread}`, true),
      (e: AgoraError) => setError(e.code === "not_found" ? "This page does not exist, or you cannot see it." : e.message),
    );
  }, [slug]);
  return (
    <>
      <Tabs slug={slug} current="/talk" />
      {error ? <p role="alert">{error}</p> : <p aria-busy="true">Opening the talk thread…</p>}
    </>
  );
}

function AllPages({ store }: { store: Store }) {
  const [pages, setPages] = useState<WikiPageRef[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const more = (cursor?: string) =>
    store.client!.request("wiki_pages", { cursor, limit: 100 }).then(
      (r) => {
        setPages((old) => [...(cursor ? old || [] : []), ...r.pages]);
        setNext(r.next ?? null);
      },
      (e: AgoraError) => store.flash(e.message),
    );
  useEffect(() => {
    void more();
  }, []);
  return (
    <>
      <h1>Wiki</h1>
      <form
        class="wiki-new"
        onSubmit={(e) => {
          e.preventDefault();
          const t = String(new FormData(e.target as HTMLFormElement).get("title") || "").trim();
          if (t) navigate(`${href(t.toLowerCase().replace(/ /g, "_"), "/edit")}?title=${enc(t)}`);
        }}
      >
        <label>
          New page <input name="title" placeholder="Title" required />
        </label>
        <button type="submit">Create</button>
      </form>
      <h2>All pages</h2>
      {pages === null ? <p aria-busy="true">Loading…</p> : <RefList refs={pages} />}
      {next ? <button onClick={() => void more(next)}>More pages</button> : null}
    </>
  );
}

function Wanted({ store }: { store: Store }) {
  const [pages, setPages] = useState<{ slug: string; links: number }[] | null>(null);
  useEffect(() => {
    store.client!.request("wiki_wanted", {}).then((r) => setPages(r.pages), (e: AgoraError) => store.flash(e.message));
  }, []);
  return (
    <>
      <h1>Wanted pages</h1>
      {pages === null ? <p aria-busy="true">Loading…</p> : pages.length === 0 ? <p class="muted">None.</p> : null}
      <ul>
        {(pages || []).map((p) => (
          <li key={p.slug}>
            <a class="new" href={href(p.slug)}>
              {p.slug}
            </a>{" "}
            <span class="muted">({p.links} links)</span>
          </li>
        ))}
      </ul>
    </>
  );
}
