/**
 * Folding a stream's events into what the message pane shows: messages with
 * their current text (edits applied), deletions, reactions, and short notices
 * for membership and channel changes. Pure: events in, items out, in seq order,
 * whatever order the events arrived in.
 */
import type { Event } from "../../js/src/types";

export interface Message {
  kind: "message";
  seq: number;
  at: number;
  author: string;
  text: string;
  mentions: string[];
  reply_to?: number;
  edited: boolean;
  deleted: boolean;
  /** Hidden by a moderator: only its author and moderators still have its text. */
  hidden: boolean;
  idem?: string;
  /** emoji -> users who reacted, in the order they did */
  reactions: Map<string, string[]>;
}

export interface Notice {
  kind: "notice";
  seq: number;
  at: number;
  author: string;
  text: string;
}

export type Item = Message | Notice;

export function fold(events: Iterable<Event>, name: (u: string) => string): Item[] {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const items: Item[] = [];
  const bySeq = new Map<number, Message>();
  for (const e of sorted) {
    switch (e.type) {
      case "message_posted": {
        const m: Message = {
          kind: "message",
          seq: e.seq,
          at: e.at,
          author: e.author,
          text: e.text,
          mentions: e.mentions || [],
          reply_to: e.reply_to ?? undefined,
          edited: false,
          deleted: false,
          hidden: false,
          idem: e.idem ?? undefined,
          reactions: new Map(),
        };
        bySeq.set(e.seq, m);
        items.push(m);
        break;
      }
      case "tombstone": {
        const m: Message = { kind: "message", seq: e.seq, at: e.at, author: e.author, text: "", mentions: [], edited: false, deleted: true, hidden: false, idem: e.idem ?? undefined, reactions: new Map() };
        bySeq.set(e.seq, m);
        items.push(m);
        break;
      }
      case "message_edited": {
        const m = bySeq.get(e.target);
        if (m && !m.deleted) {
          m.text = e.text;
          m.mentions = e.mentions || [];
          m.edited = true;
        }
        break;
      }
      case "message_deleted": {
        const m = bySeq.get(e.target);
        if (m) {
          m.deleted = true;
          m.text = "";
          m.reactions.clear();
        }
        break;
      }
      case "message_hidden": {
        const m = bySeq.get(e.target);
        if (m) m.hidden = true;
        items.push(notice(e, `${name(e.author)} hid a message by ${name(e.message_author)}${e.reason ? `: ${e.reason}` : ""}`));
        break;
      }
      case "message_unhidden": {
        const m = bySeq.get(e.target);
        if (m) m.hidden = false;
        items.push(notice(e, `${name(e.author)} made a hidden message visible again`));
        break;
      }
      case "reaction_added": {
        const m = bySeq.get(e.target);
        if (m && !m.deleted) {
          const users = m.reactions.get(e.emoji) || [];
          if (!users.includes(e.author)) users.push(e.author);
          m.reactions.set(e.emoji, users);
        }
        break;
      }
      case "reaction_removed": {
        const m = bySeq.get(e.target);
        const users = m?.reactions.get(e.emoji);
        if (m && users) {
          const left = users.filter((u) => u !== e.author);
          if (left.length) m.reactions.set(e.emoji, left);
          else m.reactions.delete(e.emoji);
        }
        break;
      }
      case "stream_created":
        items.push(notice(e, `${name(e.author)} created ${e.kind === "dm" ? "this conversation" : `#${e.name}`}`));
        break;
      case "stream_renamed":
        items.push(notice(e, `${name(e.author)} renamed the channel to #${e.name}`));
        break;
      case "topic_set":
        items.push(notice(e, e.topic ? `${name(e.author)} set the topic: ${e.topic}` : `${name(e.author)} cleared the topic`));
        break;
      case "member_joined":
        items.push(notice(e, `${name(e.user)} joined`));
        break;
      case "member_left":
        items.push(notice(e, `${name(e.user)} left`));
        break;
      case "member_invited":
        items.push(notice(e, `${name(e.author)} added ${name(e.user)}`));
        break;
      default:
        break; // unknown types are skipped (their seq still counts)
    }
  }
  return items;
}

function notice(e: Event, text: string): Notice {
  return { kind: "notice", seq: e.seq, at: e.at, author: e.author, text };
}
