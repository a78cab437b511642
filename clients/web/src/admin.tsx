/** The admin screen: users (list, create with a role, change a role, suspend and unsuspend) and API tokens for bots, over the HTTP API. */
import type { Role, UserInfo } from "../../js/src/index";
import { useEffect, useState } from "preact/hooks";
import type { Store } from "./store";

const ROLES: Role[] = ["member", "agent", "moderator", "admin", "bot"];

export function Admin({ store }: { store: Store }) {
  const [users, setUsers] = useState<UserInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [form, setForm] = useState({ username: "", display_name: "", role: "member" as Role, password: "" });
  const [token, setToken] = useState<{ user: string; token: string } | null>(null);
  const http = store.http();
  const reload = () =>
    http
      .listUsers()
      .then((u) => {
        setUsers(u.sort((a, b) => a.id.localeCompare(b.id)));
        for (const x of u) store.users.set(x.id, x);
      })
      .catch((e) => setError(e.message));
  useEffect(() => {
    void reload();
  }, []);
  if (store.me?.role !== "admin") {
    return (
      <section class="page">
        <h1>Admin</h1>
        <p>Only administrators can manage users and tokens.</p>
      </section>
    );
  }
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    try {
      const u = await http.createUser({
        username: form.username.trim(),
        display_name: form.display_name.trim() || undefined,
        role: form.role,
        password: form.password || undefined,
      });
      setDone(`Created ${u.id} (${u.role}).`);
      setForm({ username: "", display_name: "", role: "member", password: "" });
      await reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  /** Run an admin action on `user`, report it, and reload the list. */
  const act = async (what: string, run: () => Promise<unknown>) => {
    setError(null);
    setDone(null);
    try {
      await run();
      setDone(what);
      await reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const newToken = async (user: string) => {
    setError(null);
    try {
      setToken({ user, token: await http.createToken(user) });
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="page admin" aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {done ? (
        <p class="ok" role="status">
          {done}
        </p>
      ) : null}
      {token ? (
        <div class="token-box" role="status">
          <p>
            API token for <strong>{token.user}</strong>. It is shown only now: store it (for a bot, as <code>AGORA_TOKEN</code>).
          </p>
          <input readOnly value={token.token} aria-label={`API token for ${token.user}`} onFocus={(e) => (e.target as HTMLInputElement).select()} />
          <button onClick={() => navigator.clipboard?.writeText(token.token)}>Copy</button>
          <button onClick={() => setToken(null)}>Done</button>
        </div>
      ) : null}
      <div class="admin-grid">
        <form class="card" onSubmit={create} aria-labelledby="new-user-title">
          <h2 id="new-user-title">New user</h2>
          <label>
            Username <input name="username" value={form.username} required pattern="[a-z0-9][a-z0-9_.\-]{1,31}" title="2–32 of a-z, 0-9, _ . -" onInput={set("username")} />
          </label>
          <label>
            Display name <input name="display_name" value={form.display_name} maxLength={80} onInput={set("display_name")} />
          </label>
          <label>
            Role
            <select name="role" value={form.role} onChange={set("role")}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            Password {form.role === "bot" ? <span class="muted">(bots need none)</span> : null}
            <input name="password" type="password" autoComplete="new-password" value={form.password} minLength={8} required={form.role !== "bot"} onInput={set("password")} />
          </label>
          <button type="submit" class="primary">
            Create user
          </button>
        </form>
        <div class="card">
          <h2>Users</h2>
          {users == null ? (
            <p>Loading…</p>
          ) : (
            <table class="users">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id} data-user={u.id}>
                    <td>@{u.id}</td>
                    <td>{u.display_name}</td>
                    <td>
                      {u.id === store.me?.id ? (
                        <span class={`role ${u.role}`}>{u.role}</span>
                      ) : (
                        <select
                          aria-label={`Role of ${u.id}`}
                          value={u.role}
                          onChange={(e) => {
                            const role = (e.target as HTMLSelectElement).value as Role;
                            void act(`${u.id} is now ${role}.`, () => http.setRole(u.id, role));
                          }}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                      )}
                    </td>
                    <td>{u.suspended_until != null ? <span class="suspended">suspended</span> : "active"}</td>
                    <td>
                      <button onClick={() => newToken(u.id)} aria-label={`New API token for ${u.id}`}>
                        New API token
                      </button>
                      {u.id === store.me?.id ? null : u.suspended_until != null ? (
                        <button onClick={() => act(`Unsuspended ${u.id}.`, () => http.unsuspend(u.id))} aria-label={`Unsuspend ${u.id}`}>
                          Unsuspend
                        </button>
                      ) : (
                        <button onClick={() => act(`Suspended ${u.id}.`, () => http.suspend(u.id))} aria-label={`Suspend ${u.id}`}>
                          Suspend
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  );
}
