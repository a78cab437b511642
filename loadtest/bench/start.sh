#!/usr/bin/env bash
# Start time and memory of agora on a large data directory, with and without the
# index checkpoint (docs/BENCHMARKS.md, "Start with 10 M events").
#
#   cargo build --release -p agora --example log_fill
#   target/release/examples/log_fill /tmp/agora-10m 10000000 1000
#   REPS=3 loadtest/bench/start.sh /tmp/agora-10m
#
# Each start: the server pinned to core 0, polled from core 1 until /healthz answers;
# reported: ms from spawn to healthy, the engine's own "read the event log" time and
# record count, and VmRSS once healthy. Then SIGTERM (a clean shutdown rewrites the
# checkpoint). "full scan" starts delete <DIR>/log/index.ckpt first. One warm-up start
# (it creates the admin and brings the files into the page cache: every start is warm).
set -euo pipefail
DIR=${1:?usage: start.sh DATA_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
AGORA=${AGORA:-$ROOT/target/release/agora}
REPS=${REPS:-3}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_once() { # start_once LABEL
  local port pid t0 t1 rss
  port=$(free_port)
  t0=$(date +%s%N)
  AGORA_ADMIN_PASSWORD=bench-password AGORA_LOG=info taskset -c 0 "$AGORA" serve --data "$DIR" \
    --listen 127.0.0.1:"$port" >"$LOG" 2>&1 &
  pid=$!
  for _ in $(seq 1 60000); do
    taskset -c 1 curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"
  wait "$pid" || true
  local engine
  engine=$(grep -o 'read the event log.*' "$LOG" | head -1 | sed 's/\x1b\[[0-9;]*m//g')
  printf '%-12s healthy after %6d ms   VmRSS %7d KiB   %s\n' "$1" $(((t1 - t0) / 1000000)) "$rss" "$engine"
}

echo "agora $(git -C "$ROOT" describe --always --dirty --abbrev=7), $(ls "$DIR"/log/*.seg | wc -l) segments," \
  "$(du -sh "$DIR/log" | cut -f1) of log, $(date -u +%FT%TZ)"
start_once warm-up
for rep in $(seq 1 "$REPS"); do
  rm -f "$DIR/log/index.ckpt"
  start_once "full scan"
  start_once checkpoint
done
