/** The notification bell: my feed's unread count (live), the newest items, and marking one or all read. */
import { useState } from "preact/hooks";
import type { FeedItemEvent } from "../../js/src/index";
import { navigate } from "./router";
import type { Store } from "./store";

const VERB: Record<string, string> = {
  mention: "mentioned you",
  reply: "replied to you",
  quote: "quoted you",
  like: "reacted to your message",
  watched: "posted in something you watch",
  dm: "sent you a message",
  ticket: "updated a ticket",
  wiki_edit: "edited a page",
  flag_outcome: "reviewed what you flagged",
};

/** "ann and 2 others reacted to your message in general". */
export function describe(store: Store, e: FeedItemEvent): string {
  const it = e.item;
  const who = store.name(it.actor) + (it.others ? ` and ${it.others} other${it.others > 1 ? "s" : ""}` : "");
  const what = VERB[it.reason] || "notified you";
  const where = it.title ? ` in ${it.title}` : "";
  const detail = it.reason === "flag_outcome" && it.detail ? ` (${it.detail})` : "";
  return `${who} ${what}${where}${detail}`;
}

export function Bell({ store, onNavigate }: { store: Store; onNavigate: () => void }) {
  const [open, setOpen] = useState(false);
  const f = store.feed;
  if (!f) return null;
  const unread = f.unread;
  const fail = (e: Error) => store.flash(e.message);
  return (
    <div class="bell">
      <button class="icon-btn bell-btn" aria-expanded={open} aria-controls="feed-panel" aria-label={unread ? `Notifications (${unread} unread)` : "Notifications"} title="Notifications" onClick={() => setOpen(!open)}>
        🔔{unread ? <span class="badge" data-testid="feed-unread">{unread > 99 ? "99+" : unread}</span> : null}
      </button>
      {open ? (
        <div class="feed-panel card" id="feed-panel" role="region" aria-label="Notifications">
          <div class="section-head">
            <h2>Notifications</h2>
            <button class="link" disabled={!unread} onClick={() => store.markFeedRead("all").catch(fail)}>
              Mark all read
            </button>
          </div>
          {f.items.length ? (
            <ul class="feed-items">
              {f.items.slice(0, 50).map((e) => {
                const read = store.isFeedItemRead(e.seq);
                return (
                  <li key={e.seq} class={read ? "read" : "unread"} data-seq={e.seq}>
                    <button
                      class="link feed-item"
                      onClick={() => {
                        if (!read) void store.markFeedRead([e.seq]).catch(fail);
                        setOpen(false);
                        onNavigate();
                        if (e.item.reason !== "flag_outcome") navigate(`/c/${e.item.source}`);
                      }}
                    >
                      <span class="feed-text">{describe(store, e)}</span>
                      {e.item.excerpt ? <span class="muted feed-excerpt">{e.item.excerpt}</span> : null}
                    </button>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p class="muted">Nothing yet.</p>
          )}
        </div>
      ) : null}
    </div>
  );
}
