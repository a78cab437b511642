/**
 * The manager's dashboard (`/desk/kpis`): the ticket figures of `GET
 * /api/v1/kpis` for a period and team, a bar chart of tickets created, solved
 * and reopened per day or week (plain SVG), and a CSV export of the buckets.
 * The definitions are the server's (src/desk/kpis.rs).
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
}
interface Kpis {
  outstanding_by_status: Record<string, number>;
  created: number;
  solved: number;
  reopened: number;
  closure_rate: number | null;
  one_touch: number;
  first_response_ms: Stat;
  resolution_ms: Stat;
  sla: { breaches: Record<string, number>; met_pct: Record<string, number> };
  csat: { ratings: number; surveys: number; score: number | null; response_rate: number | null; distribution: number[] };
  buckets: Bucket[];
}

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
    const rows = ["bucket_start,created,solved,reopened", ...(k?.buckets || []).map((b) => `${day(b.start)},${b.created},${b.solved},${b.reopened}`)];
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }));
    a.download = `tickets-${bucket}-${day(Date.now())}.csv`;
    a.click();
  };
  const max = Math.max(1, ...(k?.buckets || []).map((b) => Math.max(b.created, b.solved)));
  const w = 24;
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
            <div><dt>Resolution (median / p90)</dt><dd>{dur(k.resolution_ms.median)} / {dur(k.resolution_ms.p90)}</dd></div>
            <div><dt>SLA breaches</dt><dd>{Object.values(k.sla.breaches).reduce((a, b) => a + b, 0)}</dd></div>
            <div><dt>First response SLA met</dt><dd>{pct(k.sla.met_pct.first_response)}</dd></div>
            <div><dt>CSAT</dt><dd>{pct(k.csat.score)} ({k.csat.ratings} ratings, {pct(k.csat.response_rate)} answered)</dd></div>
          </dl>
          <figure class="chart">
            <svg role="img" aria-label="Tickets created and solved per bucket" width={Math.max(200, k.buckets.length * w * 2)} height="140">
              {k.buckets.map((b, i) => (
                <g key={b.start}>
                  <rect class="created" x={i * w * 2} y={120 - (b.created / max) * 110} width={w - 2} height={(b.created / max) * 110}>
                    <title>{`${day(b.start)}: ${b.created} created`}</title>
                  </rect>
                  <rect class="solved" x={i * w * 2 + w} y={120 - (b.solved / max) * 110} width={w - 2} height={(b.solved / max) * 110}>
                    <title>{`${day(b.start)}: ${b.solved} solved`}</title>
                  </rect>
                  <text x={i * w * 2} y="136">{day(b.start).slice(5)}</text>
                </g>
              ))}
            </svg>
            <figcaption>Created (dark) and solved (light) per {bucket}</figcaption>
          </figure>
        </>
      )}
    </div>
  );
}
