/** The HTTP API (PROTOCOL.md §2): login, users, API tokens. fetch with a timeout; errors as AgoraError. */
import { AgoraError } from "./errors.js";
import type { LoginOk, NewUser, UserInfo } from "./types.js";

/** http(s)://host:port of a server URL given as http(s):// or ws(s)://. */
export function httpBaseOf(url: string): string {
  const u = new URL(url, typeof location !== "undefined" ? location.href : undefined);
  if (u.protocol === "ws:") u.protocol = "http:";
  if (u.protocol === "wss:") u.protocol = "https:";
  return u.origin;
}

async function call<T>(base: string, method: string, path: string, token: string | null, body?: unknown, timeoutMs = 15000): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, httpBaseOf(base)), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new AgoraError({ code: timedOut ? "timeout" : "disconnected", message: timedOut ? `no answer within ${timeoutMs} ms` : "the server cannot be reached" });
  }
  const parsed = await res.json().catch(() => null);
  if (!res.ok) {
    const retry = Number(res.headers.get("retry-after"));
    throw new AgoraError(parsed && parsed.code ? parsed : { code: res.status === 429 ? "rate_limited" : "internal", message: `HTTP ${res.status}`, retry_after_ms: retry ? retry * 1000 : undefined });
  }
  return parsed as T;
}

/** POST /api/v1/auth/login. */
export function login(base: string, username: string, password: string): Promise<LoginOk> {
  return call(base, "POST", "/api/v1/auth/login", null, { username, password });
}

/** The authenticated HTTP endpoints. */
export class AgoraHttp {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}
  me(): Promise<UserInfo> {
    return call<{ user: UserInfo }>(this.base, "GET", "/api/v1/me", this.token).then((r) => r.user);
  }
  listUsers(): Promise<UserInfo[]> {
    return call<{ users: UserInfo[] }>(this.base, "GET", "/api/v1/users", this.token).then((r) => r.users);
  }
  /** Admins only. A bot needs no password. */
  createUser(user: NewUser): Promise<UserInfo> {
    return call<{ user: UserInfo }>(this.base, "POST", "/api/v1/users", this.token, user).then((r) => r.user);
  }
  /** Log out: the server revokes this token; every connection opened with it is closed (4500). */
  logout(): Promise<void> {
    return call<unknown>(this.base, "POST", "/api/v1/auth/logout", this.token).then(() => undefined);
  }
  /** Staff: the ticket desk's figures (`GET /api/v1/kpis`; README: HTTP API). */
  kpis(q: { from?: number; to?: number; team?: string; bucket?: "day" | "week"; replay?: boolean } = {}): Promise<Record<string, unknown>> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") params.set(k, String(v));
    return call<Record<string, unknown>>(this.base, "GET", `/api/v1/kpis?${params}`, this.token);
  }
  /** Admins only: a long-lived `agb_` API token for `user`, shown once. */
  createToken(user: string): Promise<string> {
    return call<{ token: string }>(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/tokens`, this.token).then((r) => r.token);
  }
}
