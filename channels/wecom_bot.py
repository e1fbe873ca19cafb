"""WeCom (企业微信) AI bot (智能机器人, API mode) callback channel, for single and group chats.

Callback URL: ``https://<host>/webhooks/wecom_bot/webhook``

- GET  (URL verification): ``msg_signature``, ``timestamp``, ``nonce``, ``echostr`` → check the SHA1 signature,
  decrypt ``echostr`` (receive id ``""``), answer the plaintext.
- POST (callbacks): JSON ``{"encrypt": "..."}`` → check signature, timestamp and that the request was not seen
  before (an exact replay), decrypt, parse the JSON, drop a ``msgid`` already handled. Then:

  - ``text`` / ``voice`` (its transcript) / ``image`` / ``mixed`` message: run it through Rasa; if the answer
    comes within ``first_wait_seconds`` the encrypted passive reply is the whole answer as a finished ``stream``
    (``stream_with_template_card`` when the answer has buttons), else an empty unfinished ``stream`` and the
    answer is served on WeCom's stream refresh callbacks (``msgtype: stream`` with the stream id) until
    ``finish: true``. A retry of a message already handled gets its stream again (Rasa is not asked twice).
  - ``event`` ``template_card_event`` (a button of our card was clicked): the button key is the button's
    payload; it goes to Rasa like a typed choice and the answer is posted once to the callback's
    ``response_url`` (markdown; WeCom allows no passive stream for a click). Other events are ignored.

Crypto: :class:`channels.wecom.WeComCrypto` (the same AES-256-CBC / SHA1 scheme) with receive id ``""``.
Pictures: the callback's ``image.url`` holds the picture AES-256-CBC-encrypted with the same key (IV = key[:16],
PKCS#7 to 32 bytes, no length framing); it is downloaded (bounded), decrypted and handed to the shared picture
path. Conversations: ``wecom_bot-<userid>`` in a single chat, ``wecom_bot-<chatid>-<userid>`` in a group
(the bot only hears group messages that @-mention it; the mention is stripped).

Secrets come from the environment: WECOM_BOT_TOKEN, WECOM_BOT_AES_KEY; WECOM_BOT_API_BASE (default
https://qyapi.weixin.qq.com) is the only origin ``response_url`` may point at. See docs/channels.md.
"""

import asyncio
import hashlib
import json
import logging
import os
import re
import time
import urllib.parse
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel

from channels.background import BackgroundTasks
from channels.buttons import Button, Turn, render_turn
from channels.chat_app import ChatAppDialogue
from channels.http_client import DeliveryError, HttpResult, HttpSender, json_errcode_check
from channels.log_privacy import safe_url, short_id
from channels.rate_limit import Limits
from channels.replies import reply as channel_reply
from channels.settings import cfg_number, delivery_settings, env_str
from channels.ttl_set import TTLMap, TTLSet
from channels.wecom import WeComCallbackChecks, WeComCrypto, WeComCryptoError

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
STREAM_CONTENT_LIMIT_BYTES = 20000  # WeCom takes 20480 bytes of stream content
MARKDOWN_LIMIT_BYTES = 20000
MAX_CARD_BUTTONS = 6  # a button_interaction card shows at most 6 buttons
BUTTON_KEY_LIMIT_BYTES = 1024
BUTTON_TEXT_CHARS = 10
MESSAGE_TYPES = ("text", "voice", "image", "mixed")

_ID = re.compile(r"^[0-9A-Za-z_@.\-]{1,128}$")
# Leading @-mentions (WeCom puts "@RobotA" or "@RobotA\u2005" before the text).
_MENTIONS = re.compile(r"^(?:\s*@[^\s\u2005\u00a0]+[\s\u2005\u00a0]*)+")


def strip_mentions(text: str) -> str:
    """The text without the @-mentions it starts with ("@RobotA 库中无此号" → "库中无此号")."""
    return _MENTIONS.sub("", text or "", count=1).strip()


def decrypt_picture(data: bytes, key: bytes) -> bytes:
    """A picture of an AI-bot callback: AES-256-CBC with the EncodingAESKey, IV = key[:16], PKCS#7 to 32 bytes."""
    if not data or len(data) % 16:
        raise ValueError("encrypted picture length is not a multiple of the AES block")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if pad < 1 or pad > 32 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    return plain[:-pad]


def cut_utf8(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore").rstrip() + "…"


def card_title(language: str) -> str:
    return "Choose one" if language == "en" else "请选择"


def template_card(buttons: List[Button], task_id: str, language: str = "zh") -> Optional[Dict[str, Any]]:
    """A ``button_interaction`` template card for the turn's buttons (at most 6; a button whose payload does not
    fit a key stays in the numbered text only). The key is the payload: the click comes back with it."""
    native = []
    for b in buttons:
        if len(native) == MAX_CARD_BUTTONS:
            break
        if not b.payload or len(b.payload.encode("utf-8")) > BUTTON_KEY_LIMIT_BYTES:
            continue
        native.append({"text": b.title[:BUTTON_TEXT_CHARS], "style": 1 if not native else 2, "key": b.payload})
    if not native:
        return None
    return {
        "card_type": "button_interaction",
        "main_title": {"title": card_title(language)},
        "button_list": native,
        "task_id": task_id,
    }


class StreamState:
    """What one message's stream shows: the replies the channel said itself, then Rasa's turns."""

    def __init__(self, stream_id: str, user: str) -> None:
        self.stream_id = stream_id
        self.user = user
        self.parts: List[str] = []
        self.buttons: List[Button] = []
        self.finished = False
        self._event = asyncio.Event()

    def add_turn(self, turn: Turn, last: bool) -> None:
        if last:
            self.buttons = list(turn.buttons)
            text = render_turn(turn)
        else:  # an earlier turn of a mixed message: its buttons were replaced by the later turn's
            text = render_turn(Turn(turn.text, [], turn.images))
        if text:
            self.parts.append(text)

    def finish(self) -> None:
        self.finished = True
        self._event.set()

    async def wait(self, seconds: float) -> None:
        if not self.finished and seconds > 0:
            try:
                await asyncio.wait_for(asyncio.shield(self._event.wait()), seconds)
            except asyncio.TimeoutError:
                pass

    def content(self) -> str:
        return cut_utf8("\n\n".join(self.parts), STREAM_CONTENT_LIMIT_BYTES)


class StreamStore(TTLMap[StreamState]):
    """stream id → StreamState, each forgotten after `ttl` seconds; at most `maxsize` streams."""

    def __init__(self, maxsize: int = 5000, ttl: float = 900.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(maxsize, ttl, clock)

    def put(self, state: StreamState) -> None:
        self.set(state.stream_id, state)


class WeComBotInput(WeComCallbackChecks, InputChannel):
    """Rasa input channel for a WeCom AI bot (智能机器人) in API mode (callback URL)."""

    log_name = "wecom_bot"
    stale_status = 403

    @classmethod
    def name(cls) -> str:
        return "wecom_bot"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "WeComBotInput":
        credentials = credentials or {}
        return cls(
            token=env_str("WECOM_BOT_TOKEN"),
            aes_key=env_str("WECOM_BOT_AES_KEY"),
            api_base=env_str("WECOM_BOT_API_BASE") or DEFAULT_API_BASE,
            max_skew_seconds=cfg_number(credentials, "max_skew_seconds", 600),
            url_verify_max_skew_seconds=cfg_number(credentials, "url_verify_max_skew_seconds", 0),
            first_wait_seconds=cfg_number(credentials, "first_wait_seconds", 3),
            stream_ttl_seconds=cfg_number(credentials, "stream_ttl_seconds", 900),
            **delivery_settings(credentials, dedupe_ttl_seconds=3600),
            limits=Limits.from_credentials(credentials),
        )

    def __init__(
        self,
        token: str,
        aes_key: str,
        api_base: str = DEFAULT_API_BASE,
        max_skew_seconds: float = 600,
        url_verify_max_skew_seconds: float = 0,
        first_wait_seconds: float = 3,
        stream_ttl_seconds: float = 900,
        http_timeout: float = 5,
        http_attempts: int = 3,
        http_backoff: float = 0.5,
        max_body_bytes: int = 64 * 1024,
        max_image_bytes: int = 10 * 1024 * 1024,
        dedupe_ttl_seconds: float = 3600,
        clock: Callable[[], float] = time.time,
        limits: Optional[Limits] = None,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.max_skew_seconds = max_skew_seconds
        self.url_verify_max_skew_seconds = url_verify_max_skew_seconds
        self.first_wait_seconds = first_wait_seconds
        self.max_body_bytes = max_body_bytes
        self.max_image_bytes = max_image_bytes
        self.clock = clock
        self.crypto: Optional[WeComCrypto] = None
        missing = [n for n, v in (("WECOM_BOT_TOKEN", token), ("WECOM_BOT_AES_KEY", aes_key)) if not v]
        if missing:
            logger.warning("wecom_bot.not_configured missing=%s: the callback answers 503", ",".join(missing))
        else:
            try:
                self.crypto = WeComCrypto(token, aes_key, "")  # an AI bot's receive id is ""
            except ValueError as e:
                logger.error("wecom_bot.not_configured bad WECOM_BOT_AES_KEY: %s", e)
        self.seen = TTLSet(maxsize=20000, ttl=dedupe_ttl_seconds)
        # Exact replays (same signature, timestamp and nonce) within the accepted clock skew and beyond.
        self.requests_seen = TTLSet(maxsize=50000, ttl=max(2 * max_skew_seconds, 7200))
        self.streams = StreamStore(ttl=stream_ttl_seconds)
        self.http = HttpSender("wecom_bot", timeout=http_timeout, attempts=http_attempts, backoff=http_backoff)
        self.tasks = BackgroundTasks("wecom_bot")
        self.dialogue = ChatAppDialogue("wecom_bot", self.name(), limits or Limits(), max_image_bytes)
        # Read by service/http_guard before the body is read.
        self.body_limits = {"/webhook": max_body_bytes}

    # ---------------------------------------------------------------------------------------------
    # Verification (synchronous, no side effect unless accepted).

    def accept_post(self, params: Mapping[str, Optional[str]], body: bytes) -> Tuple[int, Optional[Dict[str, Any]]]:
        """POST callback: (status, decrypted callback or None). Rejected requests touch nothing; an accepted
        one is remembered, so the same request sent again is refused as a replay."""
        if self.crypto is None:
            return 503, None
        if len(body) > self.max_body_bytes:
            logger.warning("wecom_bot.post.rejected status=413 bytes=%d", len(body))
            return 413, None
        try:
            sig, ts, nonce = self._check_params(params)
            self._check_timestamp(ts, self.max_skew_seconds)
            try:
                outer = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise WeComCryptoError("body is not JSON", 400) from None
            encrypt = outer.get("encrypt") if isinstance(outer, dict) else None
            if not isinstance(encrypt, str) or not encrypt:
                raise WeComCryptoError("no encrypt field", 400)
            self.crypto.verify(sig, ts, nonce, encrypt)
            plain = self.crypto.decrypt(encrypt)
            try:
                msg = json.loads(plain.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise WeComCryptoError("inner message is not JSON", 400) from None
            if not isinstance(msg, dict):
                raise WeComCryptoError("inner message is not a JSON object", 400)
            if not self.requests_seen.add_if_new(f"{ts}:{nonce}:{sig.lower()}"):
                raise WeComCryptoError("replayed request (signature, timestamp and nonce seen before)", 403)
        except WeComCryptoError as e:
            logger.warning("wecom_bot.post.rejected status=%d reason=%s", e.status, e.reason)
            return e.status, None
        return 200, msg

    # ---------------------------------------------------------------------------------------------
    # Callbacks.

    @staticmethod
    def conversation_user(msg: Mapping[str, Any]) -> Optional[str]:
        """``<userid>`` in a single chat, ``<chatid>-<userid>`` in a group: one conversation per user per chat."""
        sender = msg.get("from") if isinstance(msg.get("from"), dict) else {}
        userid = str(sender.get("userid") or "")
        if not _ID.match(userid):
            return None
        if msg.get("chattype") == "group":
            chatid = str(msg.get("chatid") or "")
            if not _ID.match(chatid):
                return None
            return f"{chatid}-{userid}"
        return userid

    @staticmethod
    def staff_id(msg: Mapping[str, Any]) -> Optional[str]:
        """The WeCom userid of the person writing (in a group too): what REALNAME_STAFF_IDS lists."""
        sender = msg.get("from") if isinstance(msg.get("from"), dict) else {}
        userid = str(sender.get("userid") or "")
        return userid if _ID.match(userid) else None

    def stream_id_for(self, msgid: str) -> str:
        """The stream id of a message: the same for WeCom's retries of it, not guessable from the msgid."""
        assert self.crypto is not None
        return hashlib.sha256(f"{self.crypto.token}:{msgid}".encode("utf-8")).hexdigest()[:32]

    async def handle(
        self, msg: Dict[str, Any], on_new_message: Callable[[Any], Awaitable[Any]]
    ) -> Optional[Dict[str, Any]]:
        """The plaintext passive reply to an accepted callback, or None (an empty answer)."""
        mtype = str(msg.get("msgtype") or "").lower()
        if mtype == "stream":
            stream = msg.get("stream") if isinstance(msg.get("stream"), dict) else {}
            return self.refresh(str(stream.get("id") or ""))
        user = self.conversation_user(msg)
        if user is None:
            logger.warning("wecom_bot.callback.ignored reason=no valid user or chat id type=%s", mtype[:32])
            return None
        msgid = str(msg.get("msgid") or "")
        if msgid and not self.seen.add_if_new(msgid):
            logger.info("wecom_bot.callback.duplicate user=%s type=%s (a retry, already handled)", short_id(user),
                        mtype[:32])
            if mtype in MESSAGE_TYPES:
                state = self.streams.get(self.stream_id_for(msgid))
                return self.stream_reply(state) if state else None
            return None
        if mtype == "event":
            self.on_event(msg, user, on_new_message)
            return None
        stream_id = self.stream_id_for(msgid) if msgid else os.urandom(16).hex()
        state = StreamState(stream_id, user)
        self.streams.put(state)
        if mtype in MESSAGE_TYPES:
            self.tasks.spawn(self.process(state, msg, on_new_message), what="wecom_bot.process")
            await state.wait(self.first_wait_seconds)
        else:
            logger.info("wecom_bot.message.unsupported user=%s type=%s", short_id(user), mtype[:32])
            state.parts.append(channel_reply("channel_unsupported_message", self.dialogue.language(user)))
            state.finish()
        return self.stream_reply(state)

    def refresh(self, stream_id: str) -> Dict[str, Any]:
        state = self.streams.get(stream_id) if stream_id else None
        if state is None:
            # Forgotten (expired, or another instance / a restart): end WeCom's wait instead of leaving it hanging.
            logger.warning("wecom_bot.stream.unknown stream=%s", short_id(stream_id))
            return {"msgtype": "stream", "stream": {"id": stream_id[:64], "finish": True,
                                                    "content": channel_reply("channel_fallback", "zh")}}
        return self.stream_reply(state)

    def stream_reply(self, state: StreamState) -> Dict[str, Any]:
        stream = {"id": state.stream_id, "finish": state.finished, "content": state.content() if state.finished else ""}
        if state.finished:
            card = template_card(state.buttons, "wb" + state.stream_id, self.dialogue.language(state.user))
            if card is not None:
                logger.info("wecom_bot.reply.stream user=%s finish=1 buttons=%d", short_id(state.user),
                            len(card["button_list"]))
                return {"msgtype": "stream_with_template_card", "stream": stream, "template_card": card}
        logger.info("wecom_bot.reply.stream user=%s finish=%d", short_id(state.user), int(state.finished))
        return {"msgtype": "stream", "stream": stream}

    async def process(
        self, state: StreamState, msg: Dict[str, Any], on_new_message: Callable[[Any], Awaitable[Any]]
    ) -> None:
        """Runs a message through Rasa; its answer goes into `state` (the stream), which is always finished."""
        user = state.user
        mtype = str(msg.get("msgtype") or "").lower()

        async def say(text: str) -> None:
            state.parts.append(text)

        try:
            inputs = self.inputs_of(msg)
            if not inputs:
                logger.info("wecom_bot.message.empty user=%s type=%s", short_id(user), mtype[:32])
                await say(channel_reply("channel_message_empty", self.dialogue.language(user)))
                return
            meta = {"wecom_bot": {"chat_type": str(msg.get("chattype") or "single")[:16], "msg_type": mtype[:16]}}
            msgid = str(msg.get("msgid") or "") or None
            for i, (kind, value) in enumerate(inputs):
                if kind == "text":
                    text = await self.dialogue.text_for_rasa(user, value, say)
                else:
                    picture_id = f"{msgid or state.stream_id}:{i}"
                    text = await self.dialogue.picture_for_rasa(
                        user, picture_id, lambda url=value: self._download_picture(url), say
                    )
                if text is None:
                    continue
                turn = await self.dialogue.ask(
                    on_new_message, user, text, meta, message_id=f"{msgid}:{i}" if msgid and i else msgid,
                    staff_id=self.staff_id(msg),
                )
                state.add_turn(turn, last=i == len(inputs) - 1)
        except Exception:
            if not state.parts:  # the user still gets an answer; BackgroundTasks logs the error
                state.parts.append(channel_reply("channel_fallback", self.dialogue.language(user)))
            raise
        finally:
            state.finish()

    @staticmethod
    def inputs_of(msg: Mapping[str, Any]) -> List[Tuple[str, str]]:
        """What a message asks, in order: ("text", text) and ("image", url) items. A mixed message's texts
        become one text (before its first picture); at most one picture per message is checked."""
        mtype = str(msg.get("msgtype") or "").lower()

        def field(name: str, key: str) -> str:
            part = msg.get(name)
            return str(part.get(key) or "") if isinstance(part, dict) else ""

        if mtype == "text":
            text = strip_mentions(field("text", "content"))
            return [("text", text)] if text else []
        if mtype == "voice":  # WeCom sends the transcript
            text = strip_mentions(field("voice", "content"))
            return [("text", text)] if text else []
        if mtype == "image":
            url = field("image", "url")
            return [("image", url)] if url else []
        if mtype == "mixed":
            mixed = msg.get("mixed") if isinstance(msg.get("mixed"), dict) else {}
            items = mixed.get("msg_item") if isinstance(mixed.get("msg_item"), list) else []
            texts, images = [], []
            for item in items:
                if not isinstance(item, dict):
                    continue
                kind = str(item.get("msgtype") or "")
                body = item.get(kind) if isinstance(item.get(kind), dict) else {}
                if kind == "text" and body.get("content"):
                    texts.append(str(body["content"]))
                elif kind == "image" and body.get("url"):
                    images.append(str(body["url"]))
            out: List[Tuple[str, str]] = []
            text = strip_mentions("\n".join(texts))
            if text:
                out.append(("text", text))
            if images:
                out.append(("image", images[0]))
            return out
        return []

    async def _download_picture(self, url: str) -> bytes:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise DeliveryError("wecom_bot.image.get", "the picture URL is not http(s)", 0)
        assert self.crypto is not None
        result = await self.http.request(
            "GET", url, what="wecom_bot.image.get", max_bytes=self.max_image_bytes + 32,
        )
        try:
            return decrypt_picture(result.content, self.crypto.key)
        except ValueError as e:
            raise DeliveryError("wecom_bot.image.get", f"cannot decrypt the picture: {e}", 1) from None

    # ---------------------------------------------------------------------------------------------
    # Events: a click on our card's button.

    def on_event(self, msg: Dict[str, Any], user: str, on_new_message: Callable[[Any], Awaitable[Any]]) -> None:
        event = msg.get("event") if isinstance(msg.get("event"), dict) else {}
        etype = str(event.get("eventtype") or "")
        if etype != "template_card_event":
            logger.info("wecom_bot.event.ignored user=%s event=%s", short_id(user), etype[:32])
            return
        card_event = event.get("template_card_event") if isinstance(event.get("template_card_event"), dict) else {}
        key = str(card_event.get("event_key") or event.get("event_key") or "")
        if not key:
            logger.warning("wecom_bot.click.ignored user=%s reason=no event_key", short_id(user))
            return
        self.tasks.spawn(self.process_click(msg, user, key, on_new_message), what="wecom_bot.click")

    async def process_click(
        self, msg: Dict[str, Any], user: str, key: str, on_new_message: Callable[[Any], Awaitable[Any]]
    ) -> None:
        """The clicked button's payload goes to Rasa; the answer is posted to the callback's response_url."""
        said: List[str] = []

        async def say(text: str) -> None:
            said.append(text)

        logger.info("wecom_bot.click user=%s", short_id(user))
        text = await self.dialogue.text_for_rasa(user, key, say)
        if text is not None:
            meta = {"wecom_bot": {"chat_type": str(msg.get("chattype") or "single")[:16], "msg_type": "click"}}
            turn = await self.dialogue.ask(on_new_message, user, text, meta, message_id=str(msg.get("msgid") or "") or None,
                                           staff_id=self.staff_id(msg))
            rendered = render_turn(turn)
            if rendered:
                said.append(rendered)
        if said:
            await self.respond(str(msg.get("response_url") or ""), user, "\n\n".join(said))

    def response_url_allowed(self, url: str) -> bool:
        try:
            target, base = urllib.parse.urlsplit(url), urllib.parse.urlsplit(self.api_base)
        except ValueError:
            return False
        return (target.scheme, target.netloc) == (base.scheme, base.netloc) and target.scheme in ("http", "https")

    async def respond(self, url: str, user: str, content: str) -> None:
        """Posts `content` as markdown to a callback's response_url (usable once). Logs failures, never raises."""
        if not url or not self.response_url_allowed(url):
            logger.error("wecom_bot.reply.failed user=%s reason=no response_url of %s", short_id(user), self.api_base)
            return
        payload = {"msgtype": "markdown", "markdown": {"content": cut_utf8(content, MARKDOWN_LIMIT_BYTES)}}

        def check(result: HttpResult) -> None:
            json_errcode_check(result)

        try:
            await self.http.request("POST", url, json=payload, what="wecom_bot.response", check=check)
        except DeliveryError as e:
            logger.error("wecom_bot.reply.failed user=%s url=%s attempts=%d reason=%s", short_id(user), safe_url(url),
                         e.attempts, e.reason)
            return
        logger.info("wecom_bot.reply.sent user=%s bytes=%d", short_id(user), len(content.encode("utf-8")))

    # ---------------------------------------------------------------------------------------------
    # Passive reply and Sanic routes.

    def encrypted_reply(self, plain: Dict[str, Any], timestamp: str, nonce: str) -> str:
        assert self.crypto is not None
        encrypt = self.crypto.encrypt(json.dumps(plain, ensure_ascii=False).encode("utf-8"))
        return json.dumps({
            "encrypt": encrypt,
            "msgsignature": self.crypto.signature(timestamp, nonce, encrypt),
            "timestamp": int(timestamp),
            "nonce": nonce,
        })

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        async def answer_passively(params: Dict[str, Optional[str]], msg: Any) -> HTTPResponse:
            plain = await self.handle(msg, on_new_message)
            if plain is None:
                return response.text("", status=200)
            return response.text(self.encrypted_reply(plain, params["timestamp"], params["nonce"]),
                                 content_type="text/plain; charset=utf-8")

        return self.callback_blueprint("wecom_bot_webhook", answer_passively)
