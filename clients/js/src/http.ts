/** The HTTP API (PROTOCOL.md §2, §18): login, users, API tokens, attachments. fetch with a timeout; errors as AgoraError. */
import { AgoraError } from "./errors.js";
import type { Attachment, LoginOk, NewUser, Role, StreamId, UserInfo } from "./types.js";

/** http(s)://host:port of a server URL given as http(s):// or ws(s)://. */
export function httpBaseOf(url: string): string {
  const u = new URL(url, typeof location !== "undefined" ? location.href : undefined);
  if (u.protocol === "ws:") u.protocol = "http:";
  if (u.protocol === "wss:") u.protocol = "https:";
  return u.origin;
}

/** `raw`: send a file as the body (with its type), or read the answer as a Blob. */
async function call<T>(base: string, method: string, path: string, token: string | null, body?: unknown, timeoutMs = 15000, raw: { body?: Blob; type?: string; blob?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (raw.body && raw.type) headers["content-type"] = raw.type;
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(new URL(path, httpBaseOf(base)), {
      method,
      headers,
      body: raw.body ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    throw new AgoraError({ code: timedOut ? "timeout" : "disconnected", message: timedOut ? `no answer within ${timeoutMs} ms` : "the server cannot be reached" });
  }
  if (res.ok && raw.blob) return (await res.blob()) as T;
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
  /** Admins only: suspend `user` until `until` (ms since the epoch) or until unsuspended; their connections close with 4502. */
  suspend(user: string, until?: number): Promise<UserInfo> {
    const body = until === undefined ? {} : { until };
    return call<{ user: UserInfo }>(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/suspend`, this.token, body).then((r) => r.user);
  }
  /** Admins only: end `user`'s suspension. */
  unsuspend(user: string): Promise<UserInfo> {
    return call<{ user: UserInfo }>(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/unsuspend`, this.token).then((r) => r.user);
  }
  /** Admins only: change `user`'s role (their open connections use it at once). */
  setRole(user: string, role: Role): Promise<UserInfo> {
    return call<{ user: UserInfo }>(this.base, "POST", `/api/v1/users/${encodeURIComponent(user)}/role`, this.token, { role }).then((r) => r.user);
  }

  /**
   * Upload a file to attach to a post in `stream` (PROTOCOL.md §18); resolves the
   * `Attachment` to pass to `post(..., { attachments })`. In a browser the upload
   * reports progress (`onProgress(sent, total)`); refusals are AgoraErrors
   * (`too_large`, `unsupported_type`, ...).
   */
  upload(stream: StreamId, file: Blob, o: { name?: string; type?: string; onProgress?: (sent: number, total: number) => void; timeoutMs?: number } = {}): Promise<Attachment> {
    const name = o.name ?? ((file as Blob & { name?: string }).name || "file");
    const url = new URL(`/api/v1/streams/${encodeURIComponent(stream)}/attachments?name=${encodeURIComponent(name)}`, httpBaseOf(this.base)).toString();
    const type = o.type || file.type || "application/octet-stream";
    const timeoutMs = o.timeoutMs ?? 300000;
    if (typeof XMLHttpRequest === "undefined") {
      return call<Attachment>(this.base, "POST", url, this.token, undefined, timeoutMs, { body: file, type });
    }
    // XMLHttpRequest, not fetch: only it reports upload progress.
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("authorization", `Bearer ${this.token}`);
      xhr.setRequestHeader("content-type", type);
      xhr.timeout = timeoutMs;
      xhr.responseType = "json";
      if (o.onProgress) xhr.upload.onprogress = (e) => o.onProgress?.(e.loaded, e.total || file.size);
      xhr.onload = () => {
        const body = xhr.response;
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as Attachment);
        else reject(new AgoraError(body && body.code ? body : { code: xhr.status === 413 ? "too_large" : "internal", message: `HTTP ${xhr.status}` }));
      };
      xhr.onerror = () => reject(new AgoraError({ code: "disconnected", message: "the server cannot be reached" }));
      xhr.ontimeout = () => reject(new AgoraError({ code: "timeout", message: `no answer within ${timeoutMs} ms` }));
      xhr.send(file);
    });
  }

  /**
   * An attachment's bytes (`GET /api/v1/attachments/{hash}` with the bearer token):
   * show an image with `URL.createObjectURL(blob)`, since an `<img>` cannot send the token.
   */
  async attachment(hash: string, name?: string, timeoutMs = 60000): Promise<Blob> {
    const q = name ? `?name=${encodeURIComponent(name)}` : "";
    return call<Blob>(this.base, "GET", `/api/v1/attachments/${encodeURIComponent(hash)}${q}`, this.token, undefined, timeoutMs, { blob: true });
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
