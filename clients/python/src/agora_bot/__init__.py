"""agora_bot: a Python SDK for agora bots (the wire protocol is protocol/PROTOCOL.md).

`Bot` (decorators, `run`) is a `Client` (connection, requests, resume). Models
of the frames are in `agora_bot.models`; errors in `agora_bot.errors`.
"""

from .bot import Bot
from .client import Client, http_json, new_idem
from .errors import AgoraError, Closed, Disconnected
from .models import (AppendOk, Connected, ConnectionLost, Event, HistoryPage, PresenceEntry, PresencePush,
                     ReadPush, Reset, SkipPush, StreamAddedPush, StreamInfo, StreamSummary, SubscribeOk, TypingPush,
                     UnknownPush, UserInfo, Whoami)

__all__ = [
    "Bot", "Client", "http_json", "new_idem", "AgoraError", "Closed", "Disconnected", "AppendOk", "Connected",
    "ConnectionLost", "Event", "HistoryPage", "PresenceEntry", "PresencePush", "ReadPush", "Reset", "SkipPush",
    "StreamAddedPush", "StreamInfo", "StreamSummary", "SubscribeOk", "TypingPush", "UnknownPush", "UserInfo",
    "Whoami",
]
