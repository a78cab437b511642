"""A half-open peer: ann's packets are silently dropped, bob watches ann's presence in a
shared channel. Prints how long after the drop the server told bob that ann is
offline (ann's packets, both ways, are dropped by iptables in a namespace
half_open.sh creates); the server must do it within its idle timeout (idle_timeout_ms,
45 s by default; pings every 15 s). Run by half_open.sh, inside the namespace.

Usage: half_open.py BASE_URL ADMIN_PASSWORD LIMIT_SECONDS
"""
import asyncio
import json
import subprocess
import sys
import time
import urllib.request

import websockets

BASE, ADMIN_PW, LIMIT = sys.argv[1], sys.argv[2], float(sys.argv[3])
WS = BASE.replace("http://", "ws://") + "/ws"


def http(path, body, token=None):
    req = urllib.request.Request(BASE + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        if e.code == 409:
            return {}
        raise


def login(user, pw):
    return http("/api/v1/auth/login", {"username": user, "password": pw})["token"]


async def request(ws, rid, op):
    await ws.send(json.dumps({"id": rid, **op}))
    while True:
        f = json.loads(await ws.recv())
        if f.get("re") == rid:
            if "ok" not in f:
                raise RuntimeError(f"{op['op']}: {f}")
            return f["ok"]


def iptables(*args):
    subprocess.run(["iptables", *args], check=True)


async def main():
    admin = login("admin", ADMIN_PW)
    for u in ("ho_ann", "ho_bob"):
        http("/api/v1/users", {"username": u, "password": u + "-password-1", "role": "member"}, admin)
    ann_t, bob_t = login("ho_ann", "ho_ann-password-1"), login("ho_bob", "ho_bob-password-1")
    proto = ["agora.json.v1"]
    hdr = lambda t: {"Authorization": "Bearer " + t}
    # ann's client never pings and never closes: after the drop it is a silent peer.
    ann = await websockets.connect(WS, additional_headers=hdr(ann_t), subprotocols=proto, ping_interval=None, close_timeout=0)
    bob = await websockets.connect(WS, additional_headers=hdr(bob_t), subprotocols=proto)
    ch = await request(bob, 1, {"op": "create_channel", "name": f"ho_{int(time.time())}", "members": ["ho_ann"]})
    sub = await request(bob, 2, {"op": "subscribe", "stream": ch["id"]})
    assert any(p["user"] == "ho_ann" for p in sub["presence"]), f"ann is not online: {sub}"
    port = ann.transport.get_extra_info("sockname")[1]
    for field in ("--sport", "--dport"):
        iptables("-A", "INPUT", "-p", "tcp", field, str(port), "-j", "DROP")
    dropped = time.monotonic()
    print(f"ann (port {port}) dropped at t=0; waiting for bob to see ann offline (limit {LIMIT:.0f} s)", flush=True)
    deadline = dropped + LIMIT + 20
    while time.monotonic() < deadline:
        try:
            f = json.loads(await asyncio.wait_for(bob.recv(), timeout=deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        if f.get("ev") == "presence" and f.get("user") == "ho_ann" and f.get("status") == "offline":
            took = time.monotonic() - dropped
            verdict = "within" if took <= LIMIT else "OVER"
            print(f"offline after {took:.1f} s ({verdict} the {LIMIT:.0f} s idle timeout)", flush=True)
            return 0 if took <= LIMIT else 1
    print("ann never went offline", flush=True)
    return 1


sys.exit(asyncio.run(main()))
