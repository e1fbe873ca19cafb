"""Code shared by the input channels.

- :func:`ask_rasa` runs one user message through Rasa and returns the bot's messages.
- :class:`HttpSender` makes outgoing HTTP calls with ``requests`` in a thread pool (never on the event
  loop), with a timeout and a bounded number of attempts, and raises :class:`DeliveryError` at the end.
- :class:`BackgroundTasks` runs work after the HTTP answer was sent and logs every failure.
- :class:`TTLSet` remembers keys (message ids) for a while, bounded in size.
- :class:`ButtonMemory`, :func:`compose_turn`, :func:`numbered_text`, :func:`dingtalk_markdown` turn the
  bot's ``buttons`` into something a chat app without buttons can show, and map the user's reply back.
- :func:`mask_sensitive` hides ID-card / phone numbers in anything that may reach a log.

Nothing here logs message bodies: logs carry ids, lengths and reasons only.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
import unicodedata
import urllib.parse
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

import requests

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Texts shown to users (Chinese).

FALLBACK_REPLY = "抱歉，系统暂时无法处理您的消息，请稍后再试；如需人工帮助，请回复「转人工」。"
UNSUPPORTED_MESSAGE_REPLY = "暂时只能处理文字和图片消息。请用文字描述实名认证失败的原因，或发送证件照片。"
IMAGE_FAILED_REPLY = "图片没有处理成功，请稍后重试，或在网页帮助页面上传证件照片。"
RESERVED_COMMAND_REPLY = "这个指令只能由系统发送。请直接发送文字，或上传证件照片。"
SERVICE_BUSY_REPLY = (
    "抱歉，助手的后台服务暂时不可用，这条消息没有处理。请稍等片刻再发一次；之前的对话进度都还在。"
    "如果急需人工帮助，请直接提交工单：{ticket_url}"
)
BUTTON_HINT = "回复数字选择："
#: Longest text a chat app hands to Rasa (longer ones are cut: chat apps show no error form).
MAX_TEXT_CHARS = 5000

CHECK_IMAGE_INTENT = "/check_image"
ASK_HUMAN_PAYLOAD = "/ask_human"

# --------------------------------------------------------------------------------------------------
# Privacy: never log ID numbers, phone numbers or message bodies.

# A run of 7+ digits (an 18-digit ID may end in X), not part of a longer number.
_LONG_NUMBER = re.compile(r"(?<![0-9])([0-9]{7,}[0-9Xx]?)(?![0-9Xx])")


def _mask_number(match: "re.Match[str]") -> str:
    s = match.group(1)
    keep_head, keep_tail = (3, 2) if len(s) >= 11 else (1, 1)
    return s[:keep_head] + "*" * (len(s) - keep_head - keep_tail) + s[-keep_tail:]


def mask_sensitive(text: Any, limit: int = 200) -> str:
    """Masks long digit runs (ID cards, phones, licence numbers) and cuts the text to `limit` chars."""
    s = str(text)
    if len(s) > limit:
        s = s[:limit] + "…"
    return _LONG_NUMBER.sub(_mask_number, s)


def short_id(value: Any) -> str:
    """A stable, short, non-reversible tag for a user id, for logs."""
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:10]


def safe_url(url: str) -> str:
    """The URL without query string and fragment (they may carry tokens), for logs."""
    try:
        p = urllib.parse.urlsplit(url)
        return urllib.parse.urlunsplit((p.scheme, p.netloc, p.path, "", ""))
    except ValueError:
        return "<bad url>"


# --------------------------------------------------------------------------------------------------
# Small helpers.


def client_address(request: Any) -> str:
    """The client's address: the first X-Forwarded-For hop when the launcher trusts a proxy
    (REALNAME_TRUSTED_PROXIES, Sanic's PROXIES_COUNT), else the peer of the connection."""
    return str(getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def delivery_settings(credentials: Mapping[str, Any], dedupe_ttl_seconds: float) -> Dict[str, Any]:
    """The tuning both chat-app channels read from credentials.yml: outgoing HTTP, size bounds, replay memory."""
    return dict(
        http_timeout=cfg_number(credentials, "http_timeout", 5),
        http_attempts=int(cfg_number(credentials, "http_attempts", 3)),
        http_backoff=cfg_number(credentials, "http_backoff", 0.5),
        max_body_bytes=int(cfg_number(credentials, "max_body_bytes", 64 * 1024)),
        max_image_bytes=int(cfg_number(credentials, "max_image_bytes", 10 * 1024 * 1024)),
        dedupe_ttl_seconds=cfg_number(credentials, "dedupe_ttl_seconds", dedupe_ttl_seconds),
    )


def cfg_number(credentials: Optional[Mapping[str, Any]], key: str, default: float) -> float:
    """A non-negative number from credentials.yml, or the default."""
    if not credentials or credentials.get(key) is None:
        return default
    try:
        value = float(credentials[key])
    except (TypeError, ValueError):
        raise ValueError(f"credentials value '{key}' must be a number") from None
    if value < 0:
        raise ValueError(f"credentials value '{key}' must not be negative")
    return value


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def hmac_sha256_base64(key: str, message: str) -> str:
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def check_image_text(image_ref: str) -> str:
    """The user text that asks the bot to check an uploaded image."""
    return CHECK_IMAGE_INTENT + json.dumps({"image_ref": image_ref}, ensure_ascii=False)


def is_reserved_command(text: str) -> bool:
    """True for text a user must not type: an intent payload that carries an image ref.

    Only the channels send `/check_image{"image_ref": ...}` (after storing the upload themselves), so
    a typed one could point the image check at a ref of someone else's choosing. A plain
    `/check_image` (the bot's own button, no ref) stays allowed.
    """
    t = (text or "").strip().lower()
    return t.startswith("/") and ("image_ref" in t or (t.startswith(CHECK_IMAGE_INTENT) and t != CHECK_IMAGE_INTENT))


# --------------------------------------------------------------------------------------------------
# Running a message through Rasa.


#: The action server's health URL (service/serve.py sets it from endpoints.yml) and the longest a turn may
#: take before the user is told to try again (Rasa itself waits up to 5 minutes for an action).
ACTIONS_HEALTH_URL_ENV = "REALNAME_ACTIONS_HEALTH_URL"
TURN_TIMEOUT_ENV = "REALNAME_TURN_TIMEOUT"
DEFAULT_TURN_TIMEOUT = 10.0


def service_busy_reply() -> str:
    from realname.catalog import ticket_url  # late: channels load before the knowledge is needed

    return SERVICE_BUSY_REPLY.format(ticket_url=ticket_url())


class ActionServerProbe:
    """Is the action server up? Asked before a message goes to Rasa, because when it is down Rasa
    still runs the turn: it logs the failed action, goes on predicting, answers nothing and saves a
    conversation in which the action "ran" (the form never started). Refusing the turn instead
    keeps the conversation where it was. A healthy answer is trusted for `ok_ttl` seconds (a GET on a
    kept-alive loopback connection costs well under a millisecond; a new connection per check cost a few:
    the first message after a pause paid them); a server that dies within that moment is caught after
    the turn (see ask_rasa). A kept connection the server has closed meanwhile is retried once on a new
    one before the server counts as down."""

    def __init__(self, url: Optional[str], ok_ttl: float = 0.5, down_ttl: float = 1.0, timeout: float = 1.5) -> None:
        self.url = url
        self.ok_ttl, self.down_ttl, self.timeout = ok_ttl, down_ttl, timeout
        self._until = 0.0
        self._ok = True
        self._lock: Optional[asyncio.Lock] = None
        self._session: Any = None  # aiohttp.ClientSession, made in the probe's event loop

    def forget(self) -> None:
        self._until = 0.0

    async def healthy(self) -> bool:
        if not self.url:
            return True
        if time.monotonic() < self._until:
            return self._ok
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if time.monotonic() < self._until:
                return self._ok
            ok = await self._check()
            if ok is None:  # the kept connection was closed: once more on a new one
                ok = await self._check(fresh=True)
            ok = bool(ok)
            if ok != self._ok:
                log = logger.info if ok else logger.error
                log("channels.actions.%s url=%s", "up" if ok else "down", safe_url(self.url))
            self._ok = ok
            self._until = time.monotonic() + (self.ok_ttl if ok else self.down_ttl)
            return ok


    async def _check(self, fresh: bool = False) -> Optional[bool]:
        """True: healthy; False: not (an error status, no answer in time); None: the connection failed."""
        import aiohttp  # Rasa's own HTTP client

        if fresh or self._session is None or self._session.closed:
            if self._session is not None:
                await self._session.close()
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.get(self.url) as answer:
                return answer.status == 200
        except asyncio.TimeoutError:
            return False
        except (aiohttp.ClientError, OSError):
            return None


_probes: Dict[Tuple[int, str], ActionServerProbe] = {}


def action_server_probe() -> ActionServerProbe:
    """One probe per event loop (its lock belongs to the loop)."""
    url = env_str(ACTIONS_HEALTH_URL_ENV)
    key = (id(asyncio.get_running_loop()), url)
    if key not in _probes:
        _probes[key] = ActionServerProbe(url or None)
    return _probes[key]


def turn_timeout() -> float:
    try:
        return max(1.0, float(env_str(TURN_TIMEOUT_ENV) or DEFAULT_TURN_TIMEOUT))
    except ValueError:
        return DEFAULT_TURN_TIMEOUT


#: Keys of a bot message as CollectingOutputChannel returns them (besides recipient_id and text).
_MESSAGE_KEYS = ("buttons", "image", "custom", "attachment", "quick_replies", "elements")


async def earlier_answer(tracker_store: Any, sender_id: str, message_id: Optional[str]) -> Optional[List[Dict[str, Any]]]:
    """The bot's messages to an earlier user message with `message_id`, or None if there was none.

    Behind the cluster's proxy a request is sent again to another instance when the first one died;
    if that one had already saved the turn (and died before answering), running it again would
    store the message twice and answer it out of context. The proxy's X-Request-ID stays the same
    across the retry, so the turn is found and its answer sent instead."""
    if not message_id or tracker_store is None:
        return None
    store = getattr(tracker_store, "_tracker_store", tracker_store)  # under Rasa's FailSafeTrackerStore
    check = getattr(store, "has_user_message", None)
    if check is not None and not await check(sender_id, message_id):
        return None
    tracker = await store.retrieve(sender_id)
    if tracker is None:
        return None
    from rasa.shared.core.events import BotUttered, UserUttered

    answer: Optional[List[Dict[str, Any]]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if answer is not None:
                break
            if event.message_id == message_id:
                answer = []
        elif answer is not None and isinstance(event, BotUttered):
            message = {"recipient_id": sender_id, "text": event.text}
            message.update({k: v for k, v in (event.data or {}).items() if k in _MESSAGE_KEYS and v is not None})
            answer.append({k: v for k, v in message.items() if v is not None})
    if answer is not None:
        logger.info("channels.rasa.replayed sender=%s messages=%d (a retried request)", short_id(sender_id), len(answer))
    return answer


def agent_tracker_store(request: Any) -> Any:
    """The running Rasa agent's tracker store (None before the model is loaded)."""
    agent = getattr(getattr(request.app, "ctx", None), "agent", None)
    return getattr(agent, "tracker_store", None)


def request_id(request: Any) -> Optional[str]:
    """The proxy's id of this request (nginx: X-Request-ID $request_id), kept across its retries."""
    value = (request.headers.get("x-request-id") or "").strip()
    return value[:128] or None


async def ask_rasa(
    on_new_message: Callable[[Any], Awaitable[Any]],
    text: str,
    sender_id: str,
    input_channel: str,
    metadata: Optional[Dict[str, Any]] = None,
    message_id: Optional[str] = None,
    tracker_store: Any = None,
) -> List[Dict[str, Any]]:
    """Hands `text` to Rasa and returns the messages the bot answered (CollectingOutputChannel).

    When Rasa fails and said nothing, returns one fallback message, so the user is never left with
    silence. The failure is logged (type and masked reason, not the user's text). When the action
    server is down, or the turn takes longer than REALNAME_TURN_TIMEOUT seconds, the turn is not
    run (or is cancelled before Rasa saves it) and the user is asked to send it again: the
    conversation stays where it was. With `tracker_store` and `message_id` (a proxy's request id), a
    request retried after its first instance died gets the answer saved then (earlier_answer).
    """
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    if tracker_store is not None and message_id:
        try:
            earlier = await earlier_answer(tracker_store, sender_id, message_id)
        except Exception as e:  # noqa: BLE001 - the store is down: the turn below fails with a reply too
            logger.warning("channels.rasa.replay_check_failed error=%s", type(e).__name__)
            earlier = None
        if earlier is not None:
            return earlier
    if not await action_server_probe().healthy():
        logger.error("channels.rasa.refused channel=%s sender=%s reason=action server down", input_channel,
                     short_id(sender_id))
        return [{"recipient_id": sender_id, "text": service_busy_reply()}]
    collector = CollectingOutputChannel()
    started = time.monotonic()
    try:
        await asyncio.wait_for(
            on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender_id,
                    input_channel=input_channel,
                    message_id=message_id,
                    metadata=metadata,
                )
            ),
            timeout=turn_timeout(),
        )
    except asyncio.TimeoutError:
        # Rasa saves a turn at its very end, so a cancelled turn left the conversation as it was:
        # what it had collected so far is dropped and the user sends the message again.
        logger.error("channels.rasa.timeout channel=%s sender=%s after=%.1fs", input_channel, short_id(sender_id),
                     time.monotonic() - started)
        return [{"recipient_id": sender_id, "text": service_busy_reply()}]
    except asyncio.CancelledError:
        logger.error(
            "channels.rasa.cancelled channel=%s sender=%s", input_channel, short_id(sender_id)
        )
        if not collector.messages:
            return [{"recipient_id": sender_id, "text": FALLBACK_REPLY}]
    except Exception as e:  # noqa: BLE001 - any failure inside Rasa must become a reply
        logger.error(
            "channels.rasa.failed channel=%s sender=%s error=%s: %s",
            input_channel,
            short_id(sender_id),
            type(e).__name__,
            mask_sensitive(e),
        )
        logger.debug("channels.rasa.failed traceback", exc_info=True)
        if not collector.messages:
            return [{"recipient_id": sender_id, "text": FALLBACK_REPLY}]
    if not collector.messages:
        probe = action_server_probe()
        probe.forget()
        if not await probe.healthy():
            # The action server went down during the turn: Rasa answered nothing.
            logger.error("channels.rasa.no_answer channel=%s sender=%s reason=action server down", input_channel,
                         short_id(sender_id))
            return [{"recipient_id": sender_id, "text": service_busy_reply()}]
        logger.warning(
            "channels.rasa.no_answer channel=%s sender=%s (the bot said nothing this turn)",
            input_channel,
            short_id(sender_id),
        )
    logger.info(
        "channels.rasa.answered channel=%s sender=%s in_len=%d messages=%d ms=%d",
        input_channel,
        short_id(sender_id),
        len(text or ""),
        len(collector.messages),
        int((time.monotonic() - started) * 1000),
    )
    return list(collector.messages)


async def save_image(data: bytes, filename: str) -> str:
    """Stores an uploaded image with realname.image_store (in a thread) and returns its ref."""
    from realname import image_store  # imported late: a sibling module, written separately

    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, image_store.save_upload, data, filename)


_CJK = re.compile(r"[\u4e00-\u9fff]")


def image_error_text(exc: BaseException) -> str:
    """A Chinese message for a failed image save. Uses the store's own Chinese text when it has one."""
    for attr in ("message", "user_message", "message_zh", "zh"):  # image_store.ImageStoreError has .message
        value = getattr(exc, attr, None)
        if isinstance(value, str) and _CJK.search(value):
            return value
    text = str(exc)
    if isinstance(exc, ValueError) and _CJK.search(text) and len(text) <= 300:
        return text
    if isinstance(exc, ValueError):
        return (
            "这张图片无法使用：请上传清晰、完整的证件照片（JPG、PNG、BMP、HEIC 或 WebP 格式，"
            "55 KB 到 5 MB）。"
        )
    return "图片保存失败，请稍后再试；如需人工帮助，请回复「转人工」。"


def sniff_image_type(data: bytes) -> Optional[str]:
    """The image format by its first bytes, or None. Only a first filter; image_store checks for real."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"BM"):
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis", b"hevc", b"avif"):
        return "heic"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


# --------------------------------------------------------------------------------------------------
# Buttons.


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


def buttons_of(message: Mapping[str, Any]) -> List[Button]:
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


@dataclass
class Turn:
    """All the bot said in one turn, merged for a chat app: one text, its buttons, its images."""

    text: str = ""
    buttons: List[Button] = field(default_factory=list)
    images: List[str] = field(default_factory=list)


def compose_turn(messages: Iterable[Mapping[str, Any]]) -> Turn:
    texts: List[str] = []
    turn = Turn()
    for m in messages:
        t = m.get("text")
        if isinstance(t, str) and t.strip():
            texts.append(t.strip())
        turn.buttons.extend(buttons_of(m))
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


def numbered_text(text: str, buttons: Sequence[Button]) -> str:
    """Text plus the buttons as a numbered list the user answers with a digit."""
    if not buttons:
        return text
    lines = [f"{i}. {b.title}" for i, b in enumerate(buttons, start=1)]
    head = (text + "\n\n") if text else ""
    return head + BUTTON_HINT + "\n" + "\n".join(lines)


def _md_link_text(title: str) -> str:
    return re.sub(r"([\[\]()\\*_`])", r"\\\1", title)


def dingtalk_send_link(payload: str) -> str:
    """DingTalk's link that, when tapped, sends `payload` as the user's message."""
    return "dtmd://dingtalkclient/sendMessage?content=" + urllib.parse.quote(payload, safe="")


def dingtalk_markdown(text: str, buttons: Sequence[Button]) -> str:
    """Markdown for DingTalk: line breaks kept, buttons as tap-to-send links, numbered as a fallback."""
    body = "  \n".join((text or "").split("\n"))
    if not buttons:
        return body
    links = [
        f"{i}. [{_md_link_text(b.title)}]({dingtalk_send_link(b.payload)})"
        for i, b in enumerate(buttons, start=1)
    ]
    head = (body + "\n\n") if body else ""
    return head + "点击选择，或" + BUTTON_HINT + "  \n" + "  \n".join(links)


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


# --------------------------------------------------------------------------------------------------
# Replay / retry protection.


class TTLSet:
    """A set of keys that forgets each key after `ttl` seconds and holds at most `maxsize` keys."""

    def __init__(self, maxsize: int = 10000, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: "OrderedDict[str, float]" = OrderedDict()
        self._maxsize = maxsize
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._data:
            key, expires = next(iter(self._data.items()))
            if expires > now:
                break
            self._data.popitem(last=False)

    def add_if_new(self, key: str) -> bool:
        """Adds `key`; True if it was not there (first time seen), False for a repeat."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._data:
                return False
            self._data[key] = now + self._ttl
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)
            return True

    def __contains__(self, key: object) -> bool:
        now = self._clock()
        with self._lock:
            self._expire(now)
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._data)


# --------------------------------------------------------------------------------------------------
# Background work after the HTTP answer.


class BackgroundTasks:
    """Runs coroutines after the webhook answered. Keeps a reference to each task (so none is garbage
    collected half-way), limits how many run at once, and logs every exception."""

    def __init__(self, name: str, max_concurrent: int = 16) -> None:
        self._name = name
        self._tasks: "set[asyncio.Task]" = set()
        self._max_concurrent = max_concurrent
        self._semaphore: Optional[asyncio.Semaphore] = None

    def spawn(self, coro: Awaitable[Any], what: str) -> "asyncio.Task":
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._max_concurrent)
        task = asyncio.ensure_future(self._run(coro, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, coro: Awaitable[Any], what: str) -> None:
        assert self._semaphore is not None
        async with self._semaphore:
            try:
                await coro
            except asyncio.CancelledError:
                logger.error("%s.task.cancelled what=%s", self._name, what)
                raise
            except Exception as e:  # noqa: BLE001 - log, never drop silently
                logger.error(
                    "%s.task.failed what=%s error=%s: %s", self._name, what, type(e).__name__, mask_sensitive(e)
                )
                logger.debug("%s.task.failed traceback", self._name, exc_info=True)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def join(self, timeout: float = 10.0) -> None:
        """Waits for the running tasks (for tests and shutdown)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)


# --------------------------------------------------------------------------------------------------
# Outgoing HTTP with requests, off the event loop, timeout + bounded retry.


class ApiError(Exception):
    """A response the remote API answered with an error. `retryable` says whether to try again."""

    def __init__(self, reason: str, retryable: bool = False, code: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code


class DeliveryError(Exception):
    """An outgoing call that failed for good (after all attempts, or at once for a permanent error)."""

    def __init__(self, what: str, reason: str, attempts: int, code: Any = None, status: Optional[int] = None) -> None:
        super().__init__(f"{what} failed after {attempts} attempt(s): {reason}")
        self.what = what
        self.reason = reason
        self.attempts = attempts
        self.code = code
        self.status = status


class ResponseTooLarge(Exception):
    pass


@dataclass
class HttpResult:
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or self.headers.get("content-type") or "").split(";")[0].strip().lower()


def json_errcode_check(result: HttpResult) -> None:
    """Check for DingTalk's / WeCom's JSON answers: errcode 0 (or absent) is success.

    errcode -1 (system busy) is retried; any other errcode is a permanent error.
    """
    try:
        body = result.json()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(f"answer is not JSON (HTTP {result.status})", retryable=False) from None
    if isinstance(body, Mapping):
        code = body.get("errcode", 0)
        if code not in (0, None, "0"):
            msg = mask_sensitive(body.get("errmsg", ""), 120)
            raise ApiError(f"errcode={code} errmsg={msg}", retryable=(code in (-1, "-1")), code=code)


class HttpSender:
    """Sends HTTP requests with `requests` in a small thread pool.

    Each call gets `attempts` tries at most: timeouts, connection errors, HTTP 429/5xx and errors the
    `check` marks retryable are tried again after a short exponential back-off; other errors stop at
    once. Every failed try is logged (URL without its query, which may hold a token) and the final
    failure raises DeliveryError, which the caller must log. Responses are read up to `max_bytes`.
    """

    def __init__(
        self,
        name: str,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 4.0,
        max_workers: int = 4,
        max_bytes: int = 1 << 20,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.attempts = max(1, int(attempts))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{name}-http")
        self._local = threading.local()

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.trust_env = False  # no proxies from the environment for these calls
            self._local.session = s
        return s

    def _do(self, method: str, url: str, max_bytes: int, kwargs: Dict[str, Any]) -> HttpResult:
        resp = self._session().request(
            method, url, timeout=self.timeout, stream=True, allow_redirects=False, **kwargs
        )
        try:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(f"Content-Length {declared} > {max_bytes}")
            chunks: List[bytes] = []
            size = 0
            deadline = time.monotonic() + self.timeout * 4
            for chunk in resp.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > max_bytes:
                    raise ResponseTooLarge(f"more than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise requests.Timeout("body read took too long")
                chunks.append(chunk)
            return HttpResult(resp.status_code, dict(resp.headers), b"".join(chunks))
        finally:
            resp.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        check: Optional[Callable[[HttpResult], None]] = None,
        max_bytes: Optional[int] = None,
        **kwargs: Any,
    ) -> HttpResult:
        loop = asyncio.get_running_loop()
        limit = max_bytes or self.max_bytes
        reason = ""
        code: Any = None
        status: Optional[int] = None
        for attempt in range(1, self.attempts + 1):
            retryable = True
            status = None
            try:
                result = await loop.run_in_executor(
                    self._executor, partial(self._do, method, url, limit, kwargs)
                )
            except requests.Timeout:
                reason = f"timeout after {self.timeout:g}s"
            except requests.ConnectionError as e:
                reason = f"connection error ({type(e).__name__})"
            except ResponseTooLarge as e:
                reason, retryable = f"response too large: {e}", False
            except requests.RequestException as e:
                reason, retryable = f"request error ({type(e).__name__})", False
            else:
                status = result.status
                if result.status == 429 or result.status >= 500:
                    reason = f"HTTP {result.status}"
                elif result.status >= 300:
                    reason, retryable = f"HTTP {result.status}", False
                else:
                    try:
                        if check is not None:
                            check(result)
                        if attempt > 1:
                            logger.info("%s.http.ok what=%s attempt=%d", self.name, what, attempt)
                        return result
                    except ApiError as e:
                        reason, retryable, code = e.reason, e.retryable, e.code
            last = attempt == self.attempts or not retryable
            logger.warning(
                "%s.http.attempt_failed what=%s url=%s attempt=%d/%d reason=%s%s",
                self.name,
                what,
                safe_url(url),
                attempt,
                self.attempts,
                reason,
                "" if last else " (will retry)",
            )
            if last:
                raise DeliveryError(what, reason, attempt, code, status)
            await asyncio.sleep(min(self.max_backoff, self.backoff * (2 ** (attempt - 1))))
        raise DeliveryError(what, reason, self.attempts, code, status)  # not reached


class TokenCache:
    """Caches one access token until shortly before it expires; one refresh at a time."""

    def __init__(self, fetch: Callable[[], Awaitable[Tuple[str, float]]], margin: float = 300.0) -> None:
        self._fetch = fetch
        self._margin = margin
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._lock: Optional[asyncio.Lock] = None

    def invalidate(self, token: Optional[str] = None) -> None:
        if token is None or token == self._token:
            self._token = None
            self._expires_at = 0.0

    async def get(self) -> str:
        if self._token and time.monotonic() < self._expires_at:
            return self._token
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            token, expires_in = await self._fetch()
            margin = min(self._margin, max(0.0, expires_in / 10))
            self._token = token
            self._expires_at = time.monotonic() + max(1.0, expires_in - margin)
            return token
