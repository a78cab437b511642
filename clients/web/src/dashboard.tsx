/**
 * The manager's dashboard (`/desk/kpis`): the ticket figures of `GET
 * /api/v1/kpis` for a period and team, bar charts per day or week (plain SVG)
 * of tickets, the backlog, forum, chat and wiki activity, and a CSV export of
 * every bucket figure. The definitions are in docs/KPIS.md.
 */
import { useEffect, useState } from "preact/hooks";
import type { Store } from "./store";

interface Stat {
  count: number;
  median?: number | null;
  p90?: number | null;
}
interface Bucket {
  start: number;
  created: number;
  solved: number;
  reopened: number;
  backlog: number;
  forum_threads: number;
  forum_replies: number;
  engaged_users: number;
  new_contributors: number;
  chat_messages: number;
  chat_users: number;
  wiki_edits: number;
}
interface Kpis {
  outstanding_by_status: Record<string, number>;
  created: number;
  solved: number;
  reopened: number;
  closure_rate: number | null;
  one_touch: number;
  first_response_ms: Stat;
  next_reply_ms: Stat;
  resolution_ms: Stat;
  full_resolution_ms: Stat;
  sla: { breaches: Record<string, number>; met_pct: Record<string, number> };
  csat: { ratings: number; surveys: number; score: number | null; response_rate: number | null; distribution: number[] };
  forum: {
    threads: number;
    replies: number;
    likes: number;
    engaged_users: number;
    dau: number;
    mau: number;
    dau_mau: number | null;
    new_contributors: number;
    time_to_first_reply_ms: Stat;
  };
  chat: { messages: number; active_users: number };
  wiki: { edits: number; editors: number };
  buckets: Bucket[];
}

/** The bucket fields, in CSV column order. */
const COLUMNS: (keyof Bucket)[] = [
  "created",
  "solved",
  "reopened",
  "backlog",
  "forum_threads",
  "forum_replies",
  "engaged_users",
  "new_contributors",
  "chat_messages",
  "chat_users",
  "wiki_edits",
];

/** One chart: a bar per bucket for each series, side by side. */
const CHARTS: { name: string; title: string; series: [keyof Bucket, string][] }[] = [
  { name: "tickets", title: "Tickets created, solved and reopened", series: [["created", "created"], ["solved", "solved"], ["reopened", "reopened"]] },
  { name: "backlog", title: "Backlog: tickets outstanding at the end of each", series: [["backlog", "outstanding"]] },
  { name: "forum", title: "Forum: new threads, replies and engaged users", series: [["forum_threads", "threads"], ["forum_replies", "replies"], ["engaged_users", "engaged users"]] },
  { name: "chat", title: "Chat: messages and active users", series: [["chat_messages", "messages"], ["chat_users", "active users"]] },
  { name: "wiki", title: "Wiki edits", series: [["wiki_edits", "edits"]] },
];

const DAY = 86_400_000;
const dur = (ms?: number | null) => (ms == null ? "—" : ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`);
const pct = (v: number | null | undefined) => (v == null ? "—" : `${Math.round(v)}%`);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function Dashboard({ store }: { store: Store }) {
  const [days, setDays] = useState(30);
  const [bucket, setBucket] = useState<"day" | "week">("day");
  const [team, setTeam] = useState("");
  const [k, setK] = useState<Kpis | null>(null);
  useEffect(() => {
    const to = Date.now() + 1;
    store
      .http()
      .kpis({ from: to - days * DAY, to, bucket, team: team.trim() || undefined })
      .then((r) => setK(r as unknown as Kpis))
      .catch((e) => store.flash(e.message));
  }, [days, bucket, team]);
  const csv = () => {
    const rows = ["bucket_start," + COLUMNS.join(","), ...(k?.buckets || []).map((b) => [day(b.start), ...COLUMNS.map((c) => b[c])].join(","))];
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }));
    a.download = `kpis-${bucket}-${day(Date.now())}.csv`;
    a.click();
  };
  return (
    <div class="dashboard">
      <form class="filters" aria-label="Dashboard filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Period{" "}
          <select name="period" value={days} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
            <option value={90}>90 days</option>
          </select>
        </label>
        <label>
          By{" "}
          <select name="bucket" value={bucket} onChange={(e) => setBucket((e.target as HTMLSelectElement).value as "day" | "week")}>
            <option value="day">day</option>
            <option value="week">week</option>
          </select>
        </label>
        <label>
          Team <input name="team" value={team} onChange={(e) => setTeam((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" onClick={csv} disabled={!k}>
          Export CSV
        </button>
      </form>
      {!k ? (
        <p>Loading…</p>
      ) : (
        <>
          <dl class="kpis">
            <div><dt>Outstanding</dt><dd>{Object.values(k.outstanding_by_status).reduce((a, b) => a + b, 0)}</dd></div>
            <div><dt>Created</dt><dd>{k.created}</dd></div>
            <div><dt>Solved</dt><dd>{k.solved}</dd></div>
            <div><dt>Reopened</dt><dd>{k.reopened}</dd></div>
            <div><dt>Closure rate</dt><dd>{pct(k.closure_rate == null ? null : k.closure_rate * 100)}</dd></div>
            <div><dt>One-touch</dt><dd>{k.one_touch}</dd></div>
            <div><dt>First response (median / p90)</dt><dd>{dur(k.first_response_ms.median)} / {dur(k.first_response_ms.p90)}</dd></div>
            <div><dt>Next reply (median / p90)</dt><dd>{dur(k.next_reply_ms.median)} / {dur(k.next_reply_ms.p90)}</dd></div>
            <div><dt>First resolution (median / p90)</dt><dd>{dur(k.resolution_ms.median)} / {dur(k.resolution_ms.p90)}</dd></div>
            <div><dt>Full resolution (median / p90)</dt><dd>{dur(k.full_resolution_ms.median)} / {dur(k.full_resolution_ms.p90)}</dd></div>
            <div><dt>SLA breaches</dt><dd>{Object.values(k.sla.breaches).reduce((a, b) => a + b, 0)}</dd></div>
            <div><dt>First response SLA met</dt><dd>{pct(k.sla.met_pct.first_response)}</dd></div>
            <div><dt>CSAT</dt><dd>{pct(k.csat.score)} ({k.csat.ratings} ratings, {pct(k.csat.response_rate)} answered)</dd></div>
            <div><dt>Forum threads / replies</dt><dd>{k.forum.threads} / {k.forum.replies}</dd></div>
            <div><dt>Engaged users</dt><dd>{k.forum.engaged_users}</dd></div>
            <div><dt>DAU/MAU</dt><dd>{pct(k.forum.dau_mau)} ({k.forum.dau} / {k.forum.mau})</dd></div>
            <div><dt>New contributors</dt><dd>{k.forum.new_contributors}</dd></div>
            <div><dt>Forum first reply (median)</dt><dd>{dur(k.forum.time_to_first_reply_ms.median)}</dd></div>
            <div><dt>Chat messages</dt><dd>{k.chat.messages} by {k.chat.active_users} users</dd></div>
            <div><dt>Wiki edits</dt><dd>{k.wiki.edits} by {k.wiki.editors} editors</dd></div>
          </dl>
          {CHARTS.map((c) => (
            <Chart key={c.name} {...c} buckets={k.buckets} bucket={bucket} />
          ))}
        </>
      )}
    </div>
  );
}

function Chart(props: { name: string; title: string; series: [keyof Bucket, string][]; buckets: Bucket[]; bucket: string }) {
  const { name, title, series, buckets, bucket } = props;
  const max = Math.max(1, ...buckets.flatMap((b) => series.map(([f]) => b[f])));
  const w = 10;
  const group = w * series.length + 8;
  return (
    <figure class="chart" data-chart={name}>
      <svg role="img" aria-label={`${title} per ${bucket}`} width={Math.max(200, buckets.length * group)} height="140">
        {buckets.map((b, i) => (
          <g key={b.start}>
            {series.map(([f, label], j) => (
              <rect class={`s${j}`} data-field={f} data-value={b[f]} x={i * group + j * w} y={120 - (b[f] / max) * 110} width={w - 1} height={(b[f] / max) * 110}>
                <title>{`${day(b.start)}: ${b[f]} ${label}`}</title>
              </rect>
            ))}
            {i % 7 === 0 && <text x={i * group} y="136">{day(b.start).slice(5)}</text>}
          </g>
        ))}
      </svg>
      <figcaption>
        {title} per {bucket}:{" "}
        {series.map(([, label], j) => (
          <span key={label} class={`key s${j}`}>
            {label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
