"""What the channels themselves say, in the customer's language: a message refused or limited before
Rasa sees it, and Rasa or the action server failing. The words are the findings of
knowledge/findings/channels.yml; the bot's own answers live in the domain.

The language: the one the customer's message is written in when it says (realname.language.detect),
else the one the bot last answered this sender in (:data:`reply_languages`, noted by
channels.rasa_bridge.ask_rasa), else Chinese. An upload has no text: it gets the last answer's language.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Dict, Iterable

from realname.findings import Finding, finding, render
from realname.language import ZH, detect


class ReplyLanguages:
    """sender id → the language of the bot's last answer to it; at most `max_senders`, least recent forgotten
    (a forgotten sender only gets the language of its next message, or Chinese)."""

    def __init__(self, max_senders: int = 100_000) -> None:
        self._languages: "OrderedDict[str, str]" = OrderedDict()
        self._max = max_senders
        self._lock = threading.Lock()

    def note_answer(self, sender_id: str, messages: Iterable[Dict[str, Any]]) -> None:
        language = detect(" ".join(str(m.get("text") or "") for m in messages))
        if language is None:
            return
        with self._lock:
            self._languages.pop(sender_id, None)
            self._languages[sender_id] = language
            while len(self._languages) > self._max:
                self._languages.popitem(last=False)

    def language(self, sender_id: str, text: str = "") -> str:
        with self._lock:
            remembered = self._languages.get(sender_id)
        return detect(text) or remembered or ZH


reply_languages = ReplyLanguages()


def reply(code: str, language: str, **params: Any) -> str:
    """The channel reply `code` of knowledge/findings/channels.yml in `language`."""
    return render(finding(code, **params), language)


def wait_finding(seconds: float) -> Finding:
    """How long to wait, rounded up: whole seconds under a minute, else whole minutes."""
    seconds = max(1, int(seconds + 0.999))
    if seconds < 60:
        return finding("wait_seconds", seconds=seconds)
    return finding("wait_minutes", minutes=(seconds + 59) // 60)


def limited_reply(kind: str, retry_after: float, language: str) -> str:
    """The reply to a rate-limited message (`kind` "message") or upload ("upload")."""
    code = "channel_upload_limited" if kind == "upload" else "channel_rate_limited"
    return reply(code, language, wait=wait_finding(retry_after))


def fallback_reply(sender_id: str = "", text: str = "") -> str:
    return reply("channel_fallback", reply_languages.language(sender_id, text))


def service_busy_reply(sender_id: str = "", text: str = "") -> str:
    from realname.catalog import ticket_url  # late: channels load before the knowledge is needed

    return reply("channel_service_busy", reply_languages.language(sender_id, text), ticket_url=ticket_url())
