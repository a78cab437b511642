#!/usr/bin/env bash
# The desk scenario and KPI query latency (docs/BENCHMARKS.md, "Desk").
#
#   nice -n 10 cargo build --release --locked -p agora -p agora-loadtest
#   TICKETS=20000 MESSAGES=48 loadtest/bench/desk.sh target/bench-desk
#
# Starts agora (release, bench config, durable) on 127.0.0.1 pinned to core 0
# with a fresh data directory DIR, and drives it from core 1: setup preloads
# TICKETS tickets of MESSAGES public messages (about TICKETS × (MESSAGES + 1)
# ticket events), then a 60 s mixed desk load with a manager polling the KPIs
# every second, then 30 s of KPI queries alone (every 200 ms) on the idle
# server. Both under `nice -n 10`. The JSON reports go to DIR/*.json.
set -euo pipefail
DIR=${1:?usage: desk.sh DATA_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGORA=${AGORA:-$ROOT/target/release/agora}
LT=${LT:-$ROOT/target/release/agora-loadtest}
TICKETS=${TICKETS:-20000}
MESSAGES=${MESSAGES:-48}
DURATION=${DURATION:-60s}
rm -rf "$DIR" && mkdir -p "$DIR"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AGORA_ADMIN_PASSWORD=bench-password AGORA_LOG=warn nice -n 10 taskset -c 0 "$AGORA" serve \
  --config "$ROOT/loadtest/bench/agora-bench.toml" --data "$DIR/data" --listen 127.0.0.1:"$port" >"$DIR/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
run() { nice -n 10 taskset -c 1 "$LT" desk --url ws://127.0.0.1:"$port"/ws --admin-password bench-password --server-pid "$pid" "$@"; }
run --visitors 50 --agents 5 --think 500ms --kpi-every 1s --preload-tickets "$TICKETS" --preload-messages "$MESSAGES" \
  --setup-concurrency 16 --duration "$DURATION" --json "$DIR/desk.json"
echo "ticket events in the log: about $((TICKETS * (MESSAGES + 1))) preloaded, plus the measured phase's"
run --visitors 0 --agents 0 --kpi-every 200ms --duration 30s --json "$DIR/kpis-idle.json"
grep -o 'VmRSS:.*' "/proc/$pid/status" || true
