/**
 * Safe Markdown for messages: **bold**, *italics* / _italics_, `code`, fenced
 * code blocks, > quotes, - / * / 1. lists, links ([text](url) and bare
 * http(s) URLs), @mentions and #channels. Parsed into Preact elements, never
 * HTML strings: text is always text, and only http, https and mailto links are
 * made clickable. Anything not understood stays as typed.
 */
import type { ComponentChild } from "preact";

export interface MdContext {
  me?: string;
  mentions: string[];
  /** The id of a channel with this name, to link #name. */
  channel: (name: string) => string | undefined;
}

type Block =
  | { t: "p"; lines: string[] }
  | { t: "code"; text: string }
  | { t: "quote"; lines: string[] }
  | { t: "ul"; items: string[] }
  | { t: "ol"; items: string[]; start: number };

export function parseBlocks(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^\s*```\s*$/.test(lines[i])) body.push(lines[i++]);
      i++; // closing fence (or end of text)
      blocks.push({ t: "code", text: body.join("\n") });
      continue;
    }
    if (/^>\s?/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^>\s?/.test(lines[i])) body.push(lines[i++].replace(/^>\s?/, ""));
      blocks.push({ t: "quote", lines: body });
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i])) items.push(lines[i++].replace(/^\s*[-*]\s+/, ""));
      blocks.push({ t: "ul", items });
      continue;
    }
    const ol = /^\s*(\d{1,9})[.)]\s+/.exec(line);
    if (ol) {
      const items: string[] = [];
      while (i < lines.length && /^\s*\d{1,9}[.)]\s+/.test(lines[i])) items.push(lines[i++].replace(/^\s*\d{1,9}[.)]\s+/, ""));
      blocks.push({ t: "ol", items, start: Number(ol[1]) });
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const body: string[] = [];
    while (i < lines.length && lines[i].trim() && !/^\s*```|^>|^\s*[-*]\s+|^\s*\d{1,9}[.)]\s+/.test(lines[i])) body.push(lines[i++]);
    blocks.push({ t: "p", lines: body });
  }
  return blocks;
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** Inline markup of one run of text. */
export function inline(text: string, ctx: MdContext, keyBase = ""): ComponentChild[] {
  const out: ComponentChild[] = [];
  // One alternation, tried left to right: code, link, bold, italics, URL, mention, channel.
  const re =
    /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|\[([^\]\n]{1,200})\]\(([^()\s]{1,2000})\)|\*\*(?=\S)([\s\S]*?\S)\*\*|(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])|\bhttps?:\/\/[^\s<>]*[^\s<>.,;:!?'")\]]|(?<![A-Za-z0-9])@([A-Za-z0-9_.-]*[A-Za-z0-9_])|(?<![\w&])#([a-z0-9][\w-]{0,79})/gi;
  let last = 0;
  let k = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const key = `${keyBase}.${k++}`;
    const whole = m[0];
    if (m[1]) out.push(<code key={key}>{m[2]}</code>);
    else if (m[3] !== undefined) {
      out.push(SAFE_URL.test(m[4]) ? link(m[4], inline(m[3], ctx, key), key) : whole);
    } else if (m[5] !== undefined) out.push(<strong key={key}>{inline(m[5], ctx, key)}</strong>);
    else if (m[6] !== undefined) out.push(<em key={key}>{inline(m[6], ctx, key)}</em>);
    else if (m[7] !== undefined) out.push(<em key={key}>{inline(m[7], ctx, key)}</em>);
    else if (m[8] !== undefined) {
      const user = m[8].toLowerCase();
      if (ctx.mentions.includes(user)) out.push(<span key={key} class={user === ctx.me ? "mention self" : "mention"}>{whole}</span>);
      else out.push(whole);
    } else if (m[9] !== undefined) {
      const id = ctx.channel(m[9]);
      out.push(id ? <a key={key} class="chan" href={`/c/${id}`}>{whole}</a> : whole);
    } else out.push(link(whole, whole, key));
    last = m.index + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function link(href: string, children: ComponentChild, key: string) {
  return (
    <a key={key} href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}

export function Markdown({ text, ctx }: { text: string; ctx: MdContext }) {
  const blocks = parseBlocks(text);
  return (
    <div class="md">
      {blocks.map((b, i) => {
        const key = String(i);
        switch (b.t) {
          case "code":
            return (
              <pre key={key}>
                <code>{b.text}</code>
              </pre>
            );
          case "quote":
            return <blockquote key={key}>{lines(b.lines, ctx, key)}</blockquote>;
          case "ul":
            return <ul key={key}>{b.items.map((it, j) => <li key={j}>{inline(it, ctx, `${key}.${j}`)}</li>)}</ul>;
          case "ol":
            return (
              <ol key={key} start={b.start}>
                {b.items.map((it, j) => <li key={j}>{inline(it, ctx, `${key}.${j}`)}</li>)}
              </ol>
            );
          default:
            return <p key={key}>{lines(b.lines, ctx, key)}</p>;
        }
      })}
    </div>
  );
}

function lines(ls: string[], ctx: MdContext, key: string): ComponentChild[] {
  const out: ComponentChild[] = [];
  ls.forEach((l, j) => {
    if (j) out.push(<br key={`${key}br${j}`} />);
    out.push(...inline(l, ctx, `${key}.${j}`));
  });
  return out;
}
