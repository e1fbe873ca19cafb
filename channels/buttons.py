"""The bot's buttons in chat apps that have none (DingTalk, WeCom).

:func:`compose_turn` merges the messages of one turn into a :class:`Turn`; :func:`render_turn` writes
it as one chat message whose buttons are numbered choices (as DingTalk markdown, each choice is also
a link that sends its payload when tapped); :class:`ButtonMemory` maps the user's "2" (or the
title) back to the payload.
"""

import re
import threading
import time
import unicodedata
import urllib.parse
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

BUTTON_HINT = "回复数字选择："
TAP_HINT = "点击选择，或"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass
class Turn:
    """All the bot said in one turn, merged for a chat app: one text, its buttons, its images."""

    text: str = ""
    buttons: List[Button] = field(default_factory=list)
    images: List[str] = field(default_factory=list)


def _buttons_of(message: Mapping[str, Any]) -> List[Button]:
    """The buttons (and quick replies) of one bot message."""
    found: List[Button] = []
    for key in ("buttons", "quick_replies"):
        for b in message.get(key) or []:
            if not isinstance(b, Mapping):
                continue
            title = str(b.get("title") or "").strip()
            payload = str(b.get("payload") or "").strip()
            if title and payload:
                found.append(Button(title, payload))
    return found


def compose_turn(messages: Iterable[Mapping[str, Any]]) -> Turn:
    texts: List[str] = []
    turn = Turn()
    for m in messages:
        t = m.get("text")
        if isinstance(t, str) and t.strip():
            texts.append(t.strip())
        turn.buttons.extend(_buttons_of(m))
        img = m.get("image")
        if isinstance(img, str) and img.startswith(("https://", "http://")):
            turn.images.append(img)
        # Other custom payloads (e.g. the web page's {"compliant_copy": ...} download) have nothing a
        # text chat can show: a custom-only message adds nothing, so it is never sent as an empty text.
        custom = m.get("custom")
        if isinstance(custom, Mapping) and isinstance(custom.get("text"), str) and custom["text"].strip():
            texts.append(custom["text"].strip())
    turn.text = "\n\n".join(texts)
    return turn


def _md_link_text(title: str) -> str:
    return re.sub(r"([\[\]()\\*_`])", r"\\\1", title)


def _dingtalk_send_link(payload: str) -> str:
    """DingTalk's link that, when tapped, sends `payload` as the user's message."""
    return "dtmd://dingtalkclient/sendMessage?content=" + urllib.parse.quote(payload, safe="")


def render_turn(turn: Turn, markdown: bool = False) -> str:
    """The turn as one chat message: its text, its buttons as numbered choices the user answers
    with a digit, then its images.

    Plain text (WeCom): images as "图片：<url>" lines. DingTalk markdown (`markdown=True`): line
    breaks kept as markdown breaks, each choice a tap-to-send link, images shown inline."""
    br = "  \n" if markdown else "\n"
    text = br.join(turn.text.split("\n")) if markdown else turn.text
    if turn.buttons:
        if markdown:
            choices = [f"[{_md_link_text(b.title)}]({_dingtalk_send_link(b.payload)})" for b in turn.buttons]
        else:
            choices = [b.title for b in turn.buttons]
        lines = [f"{i}. {choice}" for i, choice in enumerate(choices, start=1)]
        hint = (TAP_HINT + BUTTON_HINT) if markdown else BUTTON_HINT
        text = (text + "\n\n" if text else "") + hint + br + br.join(lines)
    for url in turn.images:
        if markdown:
            text += f"\n\n![]({url})"
        else:
            text += ("\n" if text else "") + "图片：" + url
    return text


_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.、。)）]?\s*$")


class ButtonMemory:
    """Remembers the buttons last shown to each user, so "2" (or the title) maps back to its payload.

    Bounded: at most `max_users` users, each entry forgotten after `ttl` seconds.
    """

    def __init__(self, max_users: int = 10000, ttl: float = 24 * 3600) -> None:
        self._data: "OrderedDict[str, Tuple[float, List[Button]]]" = OrderedDict()
        self._max = max_users
        self._ttl = ttl
        self._lock = threading.Lock()

    def remember(self, user: str, buttons: Sequence[Button]) -> None:
        with self._lock:
            self._data.pop(user, None)
            if buttons:
                self._data[user] = (time.monotonic() + self._ttl, list(buttons))
                while len(self._data) > self._max:
                    self._data.popitem(last=False)

    def resolve(self, user: str, text: str) -> Optional[str]:
        """The payload the user picked with `text`, or None if it is no choice."""
        with self._lock:
            entry = self._data.get(user)
            if entry is None:
                return None
            expires, buttons = entry
            if expires < time.monotonic():
                del self._data[user]
                return None
        normalized = unicodedata.normalize("NFKC", text or "").strip()
        m = _CHOICE.match(normalized)
        if m:
            index = int(m.group(1))
            if 1 <= index <= len(buttons):
                return buttons[index - 1].payload
            return None
        for b in buttons:
            if normalized == unicodedata.normalize("NFKC", b.title).strip():
                return b.payload
        return None
