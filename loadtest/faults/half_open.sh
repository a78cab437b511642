#!/bin/sh
# A half-open peer goes offline within the idle timeout (docs/BENCHMARKS.md,
# "Overload and network faults"). Needs root (a network namespace of its own,
# iptables inside it) and python3 with `websockets`. The server listens on the
# namespace's 127.0.0.1 only; the namespace is removed at the end.
# Usage: loadtest/faults/half_open.sh [path/to/agora]
set -eu
AGORA=${1:-target/release/agora}
NS=agora_half_open_$$
DATA=$(mktemp -d)
ip netns add "$NS"
cleanup() { ip netns pids "$NS" | xargs -r kill; sleep 0.5; ip netns del "$NS"; rm -rf "$DATA"; }
trap cleanup EXIT
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" env AGORA_ADMIN_PASSWORD=half-open-admin "$AGORA" serve --listen 127.0.0.1:18080 --data "$DATA" \
    > "$DATA.log" 2>&1 &
for _ in $(seq 100); do
    ip netns exec "$NS" python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:18080/healthz')" \
        2>/dev/null && break
    sleep 0.2
done
ip netns exec "$NS" python3 "$(dirname "$0")/half_open.py" http://127.0.0.1:18080 half-open-admin 45
