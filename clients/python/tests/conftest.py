"""Live tests against a real agora server.

`cargo test --test python_sdk` (part of `cargo test --workspace`) starts the
server on a loopback port and runs pytest with `AGORA_URL` and
`AGORA_ADMIN_TOKEN` set. To run them by hand against your own server:
`AGORA_URL=http://127.0.0.1:8080 AGORA_ADMIN_TOKEN=... python3 -m pytest clients/python/tests`.
Without `AGORA_URL` the live tests are skipped.
"""

import asyncio
import functools
import os
import uuid

import pytest

from agora_bot import http_json

URL = os.environ.get("AGORA_URL")
ADMIN_TOKEN = os.environ.get("AGORA_ADMIN_TOKEN")
PASSWORD = "password-for-python-tests"

live_only = pytest.mark.skipif(not URL or not ADMIN_TOKEN, reason="needs AGORA_URL and AGORA_ADMIN_TOKEN")


def run_async(fn):
    """Run an `async def` test in its own event loop, bounded in time."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 90))
    return wrapper


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def make_user(prefix: str, role: str = "member") -> tuple[str, str]:
    """A new user on the live server: (id, session token). Bots get an API token."""
    name = unique(prefix)
    if role == "bot":
        await http_json(URL, "POST", "/api/v1/users", {"username": name, "role": "bot"}, ADMIN_TOKEN)
        tok = await http_json(URL, "POST", f"/api/v1/users/{name}/tokens", token=ADMIN_TOKEN)
        return name, tok["token"]
    await http_json(URL, "POST", "/api/v1/users", {"username": name, "password": PASSWORD, "role": role},
                    ADMIN_TOKEN)
    r = await http_json(URL, "POST", "/api/v1/auth/login", {"username": name, "password": PASSWORD})
    return name, r["token"]


async def next_of(client, pred, timeout: float = 20):
    """The next item from `client.items()` matching `pred` (others are skipped)."""
    async def find():
        while True:
            item = await client.next_item()
            assert item is not None, "client closed"
            if pred(item):
                return item
    return await asyncio.wait_for(find(), timeout)
