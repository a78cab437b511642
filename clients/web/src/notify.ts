/**
 * What the user sees outside the page: the tab title with the unread count,
 * the favicon (with a dot when something is unread), and desktop
 * notifications for mentions and DMs while the tab is hidden.
 */
import type { Event } from "../../js/src/index";
import { navigate } from "./router";
import type { Store, StreamView } from "./store";

const ICON = (dot: boolean) =>
  "data:image/svg+xml," +
  encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#0b5cad"/><path d="M17 46V29a15 15 0 0 1 30 0v17h-8V29a7 7 0 0 0-14 0v17z" fill="#fff"/>${dot ? '<circle cx="50" cy="14" r="12" fill="#d32f2f" stroke="#fff" stroke-width="3"/>' : ""}</svg>`,
  );

let lastTitle = "";
let lastDot: boolean | null = null;

export function updateTitle(store: Store, where: string): void {
  const n = store.totalUnread();
  const title = `${n ? `(${n > 999 ? "999+" : n}) ` : ""}${where ? `${where} · ` : ""}agora`;
  if (title !== lastTitle) document.title = lastTitle = title;
  const dot = n > 0;
  if (dot !== lastDot) {
    lastDot = dot;
    let link = document.querySelector<HTMLLinkElement>("link[rel=icon]");
    if (!link) {
      link = document.createElement("link");
      link.rel = "icon";
      document.head.append(link);
    }
    link.type = "image/svg+xml";
    link.href = ICON(dot);
  }
}

export function notificationsSupported(): boolean {
  return typeof Notification !== "undefined";
}

/** Ask for permission (must run from a click). */
export async function enableNotifications(): Promise<NotificationPermission> {
  if (!notificationsSupported()) return "denied";
  return Notification.requestPermission();
}

/** A desktop notification for a mention or a DM, only while the tab is hidden and not in do-not-disturb. */
export function maybeNotify(store: Store, s: StreamView, e: Event): void {
  if (e.type !== "message_posted" || !notificationsSupported() || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible") return;
  const me = store.me?.id;
  if (!me || store.presence.get(me) === "dnd") return;
  const mentioned = (e.mentions || []).includes(me);
  if (!mentioned && s.summary.kind !== "dm") return;
  const where = s.summary.kind === "dm" ? "" : ` in #${s.summary.name}`;
  try {
    const n = new Notification(`${store.name(e.author)}${where}`, { body: e.text.slice(0, 200), tag: `${e.stream}:${e.seq}` });
    n.onclick = () => {
      window.focus();
      navigate(`/c/${e.stream}`);
      n.close();
    };
  } catch {
    // some platforms only allow notifications from a service worker
  }
}
