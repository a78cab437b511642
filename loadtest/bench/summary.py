"""The tables of bench/run.sh's summary.md: python3 summary.py RESULTS_DIR "SYSTEMS" "WORKLOADS".

Reads RESULTS_DIR/WORKLOAD-SYSTEM-REP.json (a run whose harness could not run at
all leaves only the .txt and counts as failed). Median (min–max) over the passed
runs; a failed run has no figure. CPU shares are of one core over the measured
phase and drain: harness (all its processes) and server.
"""
import json
import pathlib
import re
import statistics
import sys

out, systems, workloads = pathlib.Path(sys.argv[1]), sys.argv[2].split(), sys.argv[3].split()


def runs(workload, system):
    """(passed runs, failed count, total count, first failure reason)."""
    ok, failed, why = [], 0, ""
    names = sorted(p.stem for p in out.glob(f"{workload}-{system}-*.txt") if re.fullmatch(rf"{re.escape(workload)}-{re.escape(system)}-\d+", p.stem))
    for n in names:
        j = out / f"{n}.json"
        if not j.exists():
            failed += 1
            why = why or ((out / f"{n}.txt").read_text().strip().splitlines() or ["no output"])[-1][:160]
            continue
        d = json.loads(j.read_text())
        if d["passed"]:
            ok.append(d)
        else:
            failed += 1
            if not why:
                c = d["counters"]
                why = f"client_errors={c.get('client_errors', 0)} check={d.get('check', {})}"[:160]
    return ok, failed, len(names), why


def cell(vals, fmt):
    if not vals:
        return "—"
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}–{fmt(max(vals))})"


def share(d, key):
    c = d["counters"]
    procs = max(1, int(d["params"].get("procs") or 1))
    wall = c.get("harness_wall_ms", 0) / procs
    return c.get(key, 0) / wall if wall > 0 else 0.0


kd = lambda v: f"{v / 1000:.0f}k" if v >= 10000 else f"{v:.0f}"
ms = lambda v: f"{v:.1f}" if v >= 1 else f"{v:.2f}"
pct = lambda v: f"{v * 100:.0f}%"
kib = lambda v: f"{v:.1f}"


def lat(d, name, q):
    return d["latency_ms"].get(name, {}).get(q)


def ratio(v, base, invert=False):
    if not v or not base:
        return "—"
    m = statistics.median(v)
    return f"{(base / m if invert else m / base):.2f}"


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")


def cpu_cols(ok):
    return [cell([share(d, "harness_cpu_ms") for d in ok], pct), cell([share(d, "server_cpu_ms") for d in ok], pct)]


def failed_col(failed, total, why):
    return f"{failed}/{total}" + (f" ({why})" if failed else "")


def param(workload):
    for s in systems:
        ok, *_ = runs(workload, s)
        if ok:
            return ok[0]["params"]
    return {}


for w in workloads:
    p = param(w)
    if w in ("fanout5k", "streams"):
        if w == "fanout5k":
            print(f"## fan-out burst: 1 stream × {p.get('subscribers')} subscribers, {p.get('publishers')} publishers × "
                  f"{p.get('messages')} messages of {p.get('size')} B, as fast as acks allow (window {p.get('window')})\n")
        else:
            print(f"## many streams: {p.get('streams')} streams × {int(p.get('subscribers', 0)) // max(1, int(p.get('streams') or 1))} "
                  f"subscribers, one publisher per stream × {p.get('messages')} messages of {p.get('size')} B, as fast as acks allow\n")
        base = None
        rows = []
        for s in systems:
            ok, failed, total, why = runs(w, s)
            if not total:
                continue
            v = [d["rates_per_sec"]["delivered"] for d in ok]
            if s == "agora" and v:
                base = statistics.median(v)
            rows.append((s, v, ok, failed, total, why))
        per = lambda d: d["counters"].get("server_cpu_ms", 0) * 1000 / max(1, d["counters"].get("delivered", 0))
        table(["system", "deliveries/s", "ratio to agora", "publish→delivery p99 ms", "harness CPU", "server CPU",
               "server CPU µs per delivery", "failed runs"],
              [[s, cell(v, kd), ratio(v, base), cell([lat(d, "publish_to_delivery", "p99_ms") for d in ok], ms), *cpu_cols(ok),
                cell([per(d) for d in ok], lambda x: f"{x:.2f}"), failed_col(f, t, why)] for s, v, ok, f, t, why in rows])
        print("\nA harness CPU near 100% means the figure is the client's ceiling, not the server's; the server's CPU per "
              "delivery (its CPU time over the phase and drain / deliveries) still compares the servers. "
              "The p99 here is queueing at saturation, not latency.\n")
    elif w == "paced":
        rate = float(p.get("rate") or 0)
        subs = int(p.get("subscribers") or 0)
        print(f"## paced latency: {subs} subscribers, {rate:g} messages/s from {p.get('publishers')} publishers "
              f"({subs * rate / 1000:.0f}k deliveries/s) for {p.get('duration_s')} s, publish→delivery ms\n")
        base = None
        rows = []
        for s in systems:
            ok, failed, total, why = runs(w, s)
            if not total:
                continue
            p99 = [lat(d, "publish_to_delivery", "p99_ms") for d in ok]
            if s == "agora" and p99:
                base = statistics.median(p99)
            rows.append([s, cell([lat(d, "publish_to_delivery", "p50_ms") for d in ok], ms), cell(p99, ms),
                         cell([lat(d, "publish_to_delivery", "p999_ms") for d in ok], ms),
                         cell([lat(d, "publish_to_delivery", "max_ms") for d in ok], ms), p99, *cpu_cols(ok), failed_col(failed, total, why)])
        for r in rows:
            r[5] = ratio(r[5], base)
        table(["system", "p50", "p99", "p99.9", "max", "p99 ratio to agora", "harness CPU", "server CPU", "failed runs"], rows)
        print()
    elif w == "idle":
        print(f"## idle connections: {p.get('connections')} connections, subscribed, held {p.get('duration_s')} s, "
              f"{p.get('procs')} harness processes, two fresh loopback source addresses per run\n")
        base = None
        rows = []
        for s in systems:
            ok, failed, total, why = runs(w, s)
            if not total:
                continue
            m = [d["memory"]["bytes_per_connection"] / 1024 for d in ok if d.get("memory")]
            if s == "agora" and m:
                base = statistics.median(m)
            held = [d["counters"].get("connected", 0) - d["counters"].get("dropped_while_held", 0) for d in ok]
            rows.append([s, cell(held, lambda v: f"{v:.0f}"), cell(m, kib), m,
                         cell([lat(d, "handshake", "p99_ms") for d in ok], ms), *cpu_cols(ok)[1:], failed_col(failed, total, why)])
        for r in rows:
            r[3] = ratio(r[3], base)
        table(["system", "connections held", "KiB per connection", "ratio to agora", "handshake p99 ms", "server CPU (hold)", "failed runs"], rows)
        print("\nMemory = (server VmRSS with every connection open and subscribed − settled RSS before any) / connections.\n")
    elif w == "publish":
        print(f"## durable publish: {p.get('publishers')} publishers on {p.get('streams')} streams, no subscribers, "
              f"window {p.get('window')}, {p.get('size')} B, {p.get('duration_s')} s (agora only: the peers do not persist)\n")
        rows = []
        for s in systems:
            ok, failed, total, why = runs(w, s)
            if not total:
                continue
            rows.append([s, cell([d["rates_per_sec"]["acked"] for d in ok], kd),
                         cell([lat(d, "publish_to_ack", "p50_ms") for d in ok], ms),
                         cell([lat(d, "publish_to_ack", "p99_ms") for d in ok], ms), *cpu_cols(ok), failed_col(failed, total, why)])
        table(["system", "acked posts/s", "publish→ack p50 ms", "publish→ack p99 ms", "harness CPU", "server CPU", "failed runs"], rows)
        print("\nAn ack means the post is durable: group commit + fsync.\n")
