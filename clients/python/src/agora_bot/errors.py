"""Errors the SDK raises: a server error reply, a lost connection, a refused login."""

from __future__ import annotations

from typing import Any, Optional


class AgoraError(Exception):
    """An `error` reply (PROTOCOL.md §4, codes in §16), or an HTTP error body.

    `code` is the stable code to match on (`not_found`, `rate_limited`, ...);
    `message` is for humans. `retry_after_ms` comes with `rate_limited`, `head`
    with `too_far_behind`. Unknown codes are kept as they are: treat them like
    `internal`.
    """

    def __init__(self, code: str, message: str = "", retry_after_ms: Optional[int] = None,
                 head: Optional[int] = None, raw: Optional[dict[str, Any]] = None):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms
        self.head = head
        self.raw = raw or {}

    @classmethod
    def from_body(cls, body: Any) -> "AgoraError":
        if not isinstance(body, dict):
            return cls("internal", f"malformed error body: {body!r}")
        return cls(str(body.get("code", "internal")), str(body.get("message", "")),
                   body.get("retry_after_ms"), body.get("head"), body)


class Disconnected(AgoraError):
    """The connection dropped before the reply came. The request may or may not
    have been executed: retry posts with the same idempotency key (`Bot.post`
    does this by itself)."""

    def __init__(self, message: str = "connection lost"):
        super().__init__("disconnected", message)


class Closed(AgoraError):
    """The client was closed, or the server refused it for good (close codes
    4500-4999, e.g. 4500 after a bad or logged-out token): no reconnect."""

    def __init__(self, close_code: Optional[int] = None, reason: str = ""):
        super().__init__("closed", f"close {close_code} {reason}".strip())
        self.close_code = close_code
        self.reason = reason
