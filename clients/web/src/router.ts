/**
 * Routing with real URLs (the history API): `/c/<stream>`, `/forum/...`,
 * `/desk/...`, `/wiki/...`, `/admin`, `/review`, `/audit`, `/login`. The server answers index.html
 * for these paths (src/web.rs), so a link can be shared and reloaded. Clicks on
 * same-origin <a href> are turned into `navigate` by one document listener.
 */
import { useEffect, useState } from "preact/hooks";

type Listener = (path: string) => void;
const listeners = new Set<Listener>();

export function navigate(path: string, replace = false): void {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  for (const fn of [...listeners]) fn(path);
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const fn = (p: string) => setPath(p);
    listeners.add(fn);
    const pop = () => setPath(location.pathname);
    addEventListener("popstate", pop);
    return () => {
      listeners.delete(fn);
      removeEventListener("popstate", pop);
    };
  }, []);
  return path;
}

/** Turn clicks on same-origin links into history navigation (no reload). */
export function interceptLinks(): void {
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.("a");
    if (!a || a.target === "_blank" || a.hasAttribute("download")) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
}

export type Route =
  | { page: "home" }
  | { page: "chat"; stream: string }
  | { page: "forum" | "desk" | "wiki"; rest: string }
  | { page: "admin" }
  | { page: "review" }
  | { page: "audit" }
  | { page: "login" }
  | { page: "not_found" };

export function parse(path: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (!parts.length) return { page: "home" };
  switch (parts[0]) {
    case "c":
      return parts[1] ? { page: "chat", stream: parts[1] } : { page: "home" };
    case "forum":
    case "desk":
    case "wiki":
      return { page: parts[0], rest: parts.slice(1).join("/") };
    case "admin":
      return { page: "admin" };
    case "review":
      return { page: "review" };
    case "audit":
      return { page: "audit" };
    case "login":
      return { page: "login" };
    default:
      return { page: "not_found" };
  }
}
