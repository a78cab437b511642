/** The app shell: login, the routes, the sidebar (a drawer at phone width), and the pages of each section. */
import { useEffect, useState } from "preact/hooks";
import { Admin } from "./admin";
import { ChatView } from "./chat";
import { AuditLog, ReviewQueue } from "./moderation";
import { Forum } from "./forum";
import { Desk } from "./desk";
import { maybeNotify, updateTitle } from "./notify";
import { navigate, parse, usePath } from "./router";
import { Sidebar, sectionsFor, type Section } from "./sidebar";
import { store, type Store } from "./store";
import { WikiView } from "./wiki";

function useStore(): Store {
  const [, setV] = useState(0);
  useEffect(() => store.subscribe(() => setV((v) => v + 1)), []);
  return store;
}

export function App() {
  const s = useStore();
  const path = usePath();
  const route = parse(path);
  const [booting, setBooting] = useState(true);
  useEffect(() => {
    s.setMessageHook((sv, e) => maybeNotify(s, sv, e));
    const token = s.savedToken();
    if (token) s.start(token).catch(() => {}).finally(() => setBooting(false));
    else setBooting(false);
    const tick = setInterval(() => s.expireTyping() && s.changed(), 1000);
    const visible = () => document.visibilityState === "visible" && s.markCurrentRead();
    const online = () => s.client?.reconnectNow();
    document.addEventListener("visibilitychange", visible);
    addEventListener("online", online);
    return () => {
      clearInterval(tick);
      document.removeEventListener("visibilitychange", visible);
      removeEventListener("online", online);
    };
  }, []);

  if (!s.me || !s.ready) {
    if (booting || (s.client && !s.sessionEnded))
      return (
        <main class="splash" aria-busy="true">
          <p>Connecting…</p>
        </main>
      );
    return <Login store={s} />;
  }
  if (route.page === "login") {
    navigate("/", true);
  }
  return <Shell store={s} route={route} />;
}

function Login({ store }: { store: Store }) {
  const [error, setError] = useState<string | null>(store.sessionEnded);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = "Log in · agora";
  }, []);
  return (
    <main class="login">
      <form
        class="card"
        aria-labelledby="login-title"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.target as HTMLFormElement);
          setBusy(true);
          setError(null);
          store
            .login(String(f.get("username") || "").trim(), String(f.get("password") || ""))
            .catch((err) => setError(err.code === "unauthorized" ? "Wrong username or password." : err.message))
            .finally(() => setBusy(false));
        }}
      >
        <h1 id="login-title">agora</h1>
        <label>
          Username <input name="username" autoComplete="username" required autoFocus autoCapitalize="none" />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <p class="hint">
          Demo (<code>serve --demo</code>): alice, bob, carol, dave with password <code>demo-password</code>.
        </p>
      </form>
    </main>
  );
}

type RouteT = ReturnType<typeof parse>;

function Shell({ store, route }: { store: Store; route: RouteT }) {
  const [drawer, setDrawer] = useState(false);
  const [members, setMembers] = useState(false);
  const section: Section["id"] | null = route.page === "chat" || route.page === "home" ? "chat" : route.page === "forum" || route.page === "desk" || route.page === "wiki" || route.page === "admin" || route.page === "review" || route.page === "audit" ? route.page : null;
  const streamId = route.page === "chat" ? route.stream : null;
  const sv = streamId ? store.streams.get(streamId) : undefined;

  useEffect(() => {
    if (route.page !== "home") return;
    const list = [...store.streams.values()].map((v) => v.summary).filter((x) => x.member);
    const first = list.find((x) => x.name === "general") || list.find((x) => x.kind !== "dm") || list[0];
    if (first) navigate(`/c/${first.id}`, true);
  }, [route.page]);

  useEffect(() => {
    if (streamId && store.current !== streamId) void store.open(streamId);
    if (!streamId) store.current = null;
  }, [streamId, !!sv]);

  useEffect(() => {
    const where = sv ? (sv.summary.kind === "dm" ? store.label(sv.summary) : `#${sv.summary.name}`) : section ? sectionsFor(store.me?.role).find((x) => x.id === section)?.label || "" : "";
    updateTitle(store, where);
  });

  useEffect(() => {
    const esc = (e: KeyboardEvent) => e.key === "Escape" && drawer && setDrawer(false);
    addEventListener("keydown", esc);
    return () => removeEventListener("keydown", esc);
  }, [drawer]);

  let content;
  if (route.page === "chat") {
    content = sv ? (
      <ChatView store={store} s={sv} showMembers={members} onMembers={() => setMembers(!members)} />
    ) : (
      <section class="page">
        <h1>Not found</h1>
        <p>This conversation does not exist, or you cannot see it.</p>
        <a href="/">Back to chat</a>
      </section>
    );
  } else if (route.page === "home") {
    content = (
      <section class="page">
        <h1>Welcome</h1>
        <p>You are not in any channel yet. Use “Browse channels” to find one.</p>
      </section>
    );
  } else if (route.page === "forum") content = <Forum store={store} rest={route.rest} />;
  else if (route.page === "desk") content = <Desk store={store} rest={route.rest} />;
  else if (route.page === "wiki") content = <WikiView store={store} path={location.pathname} />;
  else if (route.page === "admin") content = <Admin store={store} />;
  else if (route.page === "review") content = <ReviewQueue store={store} />;
  else if (route.page === "audit") content = <AuditLog store={store} />;
  else
    content = (
      <section class="page">
        <h1>Page not found</h1>
        <a href="/">Back to chat</a>
      </section>
    );

  const title = sv ? (sv.summary.kind === "dm" ? store.label(sv.summary) : `#${sv.summary.name}`) : section ? section[0].toUpperCase() + section.slice(1) : "agora";
  const unread = store.totalUnread();
  return (
    <div class={`shell${drawer ? " drawer-open" : ""}${members && sv ? " with-members" : ""}`}>
      <a class="skip" href="#main-content" onClick={(e) => { e.preventDefault(); document.getElementById("main-content")?.focus(); }}>
        Skip to content
      </a>
      <header class="topbar">
        <button class="icon-btn" aria-label="Open the menu" aria-expanded={drawer} aria-controls="sidebar" onClick={() => setDrawer(!drawer)}>
          ☰{unread ? <span class="badge dotbadge" aria-label={`${unread} unread`}>{unread > 99 ? "99+" : unread}</span> : null}
        </button>
        <span class="topbar-title">{title}</span>
      </header>
      <aside class="sidebar" id="sidebar" aria-label="Navigation">
        <Sidebar
          store={store}
          section={section}
          current={streamId}
          onNavigate={() => setDrawer(false)}
          onLogout={() => {
            store.logout();
            navigate("/login");
          }}
        />
      </aside>
      <div class="backdrop" onClick={() => setDrawer(false)} aria-hidden="true" />
      <main class="main" id="main-content" tabIndex={-1}>
        {content}
      </main>
      {members && sv ? (
        <aside class="members" aria-label="Members">
          <div class="section-head">
            <h2>Members</h2>
            <button class="icon-btn" aria-label="Close the member list" onClick={() => setMembers(false)}>
              ✕
            </button>
          </div>
          <ul>
            {(sv.members || [])
              .slice()
              .sort((a, b) => rank(store, a) - rank(store, b) || store.name(a).localeCompare(store.name(b)))
              .map((u) => {
                const st = store.presence.get(u) || "offline";
                return (
                  <li key={u} data-user={u}>
                    <span class={`dot ${st}`} role="img" aria-label={st} /> {store.name(u)} <span class="muted">{st === "dnd" ? "do not disturb" : st}</span>
                  </li>
                );
              })}
          </ul>
        </aside>
      ) : null}
    </div>
  );
}

function rank(store: Store, u: string): number {
  return { online: 0, dnd: 1, away: 2, offline: 3 }[store.presence.get(u) || "offline"];
}
