"""1,000 slowloris sockets: each opens a TCP connection and trickles an HTTP
upgrade request head one byte at a time, never finishing it. The server must
close each within its handshake deadline (handshake_timeout_ms, 10 s by
default) and keep serving others meanwhile: while the sockets are open, a normal
client logs in, opens a WebSocket and pings, timed.

Usage: slowloris.py HOST PORT ADMIN_PASSWORD [SOCKETS] [DEADLINE_S]
"""
import asyncio
import json
import sys
import time
import urllib.request

import websockets

HOST, PORT, ADMIN_PW = sys.argv[1], int(sys.argv[2]), sys.argv[3]
SOCKETS = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
DEADLINE = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
HEAD = b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
# One byte per poll; a poll also notices the server's close (EOF or reset).
POLL = 1.0


async def loris(closed_after, refused, unclosed):
    try:
        reader, writer = await asyncio.open_connection(HOST, PORT)
    except OSError:
        refused.append(1)
        return
    t0 = time.monotonic()
    try:
        for i in range(len(HEAD)):
            writer.write(HEAD[i : i + 1])
            await writer.drain()
            try:
                data = await asyncio.wait_for(reader.read(1024), timeout=POLL)
                if not data:
                    closed_after.append(time.monotonic() - t0)
                    break
            except asyncio.TimeoutError:
                continue
        else:
            unclosed.append(1)
    except (ConnectionError, OSError):
        closed_after.append(time.monotonic() - t0)
    writer.close()


def login():
    req = urllib.request.Request(
        f"http://{HOST}:{PORT}/api/v1/auth/login",
        data=json.dumps({"username": "admin", "password": ADMIN_PW}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["token"]


async def normal_client():
    await asyncio.sleep(3)  # every slowloris socket is open and trickling by now
    t0 = time.monotonic()
    token = await asyncio.get_running_loop().run_in_executor(None, login)
    async with websockets.connect(
        f"ws://{HOST}:{PORT}/ws",
        additional_headers={"Authorization": "Bearer " + token},
        subprotocols=["agora.json.v1"],
    ) as ws:
        await ws.send(json.dumps({"id": 1, "op": "ping"}))
        reply = json.loads(await ws.recv())
        assert reply.get("re") == 1 and "ok" in reply, reply
    return time.monotonic() - t0


async def main():
    closed_after, refused, unclosed = [], [], []
    lorises = [asyncio.create_task(loris(closed_after, refused, unclosed)) for _ in range(SOCKETS)]
    served = await normal_client()
    await asyncio.gather(*lorises)
    closed_after.sort()
    n = len(closed_after)
    pct = lambda p: closed_after[min(n - 1, int(p * n))]
    print(f"{SOCKETS} sockets: {len(refused)} refused at connect, {len(unclosed)} never closed by the server")
    if n:
        print(
            f"closed by the server after: min {closed_after[0]:.1f} s, p50 {pct(0.5):.1f} s, "
            f"p99 {pct(0.99):.1f} s, max {closed_after[-1]:.1f} s (deadline {DEADLINE:.0f} s, polled every {POLL:.0f} s)"
        )
    print(f"a normal client meanwhile: login + WebSocket + ping in {served * 1000:.0f} ms")
    return 0 if n == SOCKETS and closed_after[-1] <= DEADLINE + POLL + 1 else 1


sys.exit(asyncio.run(main()))
