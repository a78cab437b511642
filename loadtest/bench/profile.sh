#!/usr/bin/env bash
# CPU profile of agora under the fan-out burst (STREAMS streams x SUBS subscribers in all), with
# `perf record -g` on the server only; server pinned to core 0, harness to core 1.
# The burst is long (MSGS messages) so that setup (logins, handshakes) is a small
# part of the samples. Writes OUT/perf.data, OUT/by-dso.txt, OUT/by-symbol.txt,
# OUT/fanout.txt. Bounded: the harness stops after MSGS messages or 60 s.
#
#   loadtest/bench/profile.sh                  # SUBS=5000 MSGS=2000
#   STREAMS=100 PUBS=100 MSGS=100000 loadtest/bench/profile.sh   # the many-streams workload
#   AGORA=/tmp/agora-prev-target/release/agora OUT=/tmp/prof-prev loadtest/bench/profile.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=$ROOT/loadtest/bench
SUBS=${SUBS:-5000}
MSGS=${MSGS:-2000}
STREAMS=${STREAMS:-1}
PUBS=${PUBS:-4}
ENCODING=${ENCODING:-json}
AGORA=${AGORA:-$ROOT/target/release/agora}
HARNESS=$ROOT/target/release/agora-loadtest
OUT=${OUT:-$BENCH/results/profile-$(date -u +%Y-%m-%dT%H%M%SZ)}
PERF=${PERF:-/usr/bin/perf}
ADMIN_PW=bench-admin-password
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID= PERF_PID=
cleanup() {
  [ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null && wait "$PERF_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AGORA_ADMIN_PASSWORD=$ADMIN_PW AGORA_LOG=warn taskset -c 0 "$AGORA" serve --listen 127.0.0.1:"$port" \
  --data "$WORK/data" --config "$BENCH/agora-bench.toml" >"$WORK/agora.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done

"$PERF" record -g -p "$SERVER_PID" -o "$OUT/perf.data" 2>"$OUT/perf-record.log" &
PERF_PID=$!
taskset -c 1 "$HARNESS" fanout --url ws://127.0.0.1:"$port"/ws --admin-password "$ADMIN_PW" --encoding "$ENCODING" \
  --subscribers "$SUBS" --streams "$STREAMS" --subs-per-user 500 --publishers "$PUBS" --rate 0 --messages $((MSGS / PUBS)) --size 100 \
  --duration 60s --drain-timeout 60s --server-pid "$SERVER_PID" --quiet >"$OUT/fanout.txt" 2>&1 || true
kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; PERF_PID=
# Whole reports to files (a `| head` would SIGPIPE perf and, with pipefail, end the script).
"$PERF" report -i "$OUT/perf.data" --no-children --sort dso --stdio -g none >"$OUT/by-dso.txt" 2>/dev/null
"$PERF" report -i "$OUT/perf.data" --no-children --sort dso,symbol --stdio -g none >"$OUT/by-symbol.txt" 2>/dev/null
grep -E "PASS|FAIL|delivered/s|CPU" "$OUT/fanout.txt"
echo "--- by dso"; grep -v -e '^#' -e '^$' "$OUT/by-dso.txt" | sed -n 1,12p
echo "--- by symbol"; grep -v -e '^#' -e '^$' "$OUT/by-symbol.txt" | sed -n 1,30p
