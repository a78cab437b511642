#!/usr/bin/env bash
# Live heap and RSS of N idle connections (docs/BENCHMARKS.md, idle memory per connection):
# starts BIN under heaptrack on 127.0.0.1:18411, holds N connections with agora-loadtest,
# reads VmRSS, then kills the server with SIGKILL while they are held, so heaptrack's
# "leaked" figure is the live heap. Run it at two N and divide the difference.
#   loadtest/bench/heap_idle.sh target/release/agora after 2000
#   heaptrack_print -f loadtest/bench/results/heap-after-2000/ht*.zst | grep leaked
set -u
cd "$(dirname "$0")/../.."
BIN=$(realpath "$1"); L=$2; N=${3:-2000}; PORT=18411
D=$PWD/loadtest/bench/results/heap-$L-$N
LT=$PWD/target/release/agora-loadtest
rm -rf "$D"; mkdir -p "$D/data"
AGORA_ADMIN_PASSWORD=benchpw1234 heaptrack -o "$D/ht" "$BIN" serve --listen 127.0.0.1:$PORT \
  --data "$D/data" --config loadtest/bench/agora-bench.toml > "$D/server.log" 2>&1 &
sleep 5
"$LT" connect --url ws://127.0.0.1:$PORT/ws --admin-password benchpw1234 \
  --connections "$N" --rate 500 --duration 40s --conns-per-user 1000 > "$D/load.log" 2>&1 &
LP=$!
sleep $((8 + N / 500 + 6))
P=$(pgrep -f "^$BIN serve --listen 127.0.0.1:$PORT")
grep VmRSS "/proc/$P/status" > "$D/rss.txt"
kill -KILL "$P"
wait $LP
sleep 3
echo "$D: $(cat "$D/rss.txt")"
