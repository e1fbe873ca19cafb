"""WeCom (企业微信) self-built app callback channel.

Callback URL: ``https://<host>/webhooks/wecom/webhook``

- GET  (URL verification): ``msg_signature``, ``timestamp``, ``nonce``, ``echostr`` → check the SHA1 signature,
  decrypt ``echostr``, check the corp id, answer the plaintext.
- POST (messages): encrypted XML ``<xml><ToUserName/><AgentID/><Encrypt/></xml>`` → check signature and
  timestamp, decrypt, check corp id, parse safely, answer an empty 200 at once, drop retries of a MsgId
  already seen, then run the message through Rasa in the background and send the answer with the
  ``/cgi-bin/message/send`` API.

Crypto (WeCom's scheme): AES-256-CBC, key = base64decode(EncodingAESKey + "="), IV = key[:16], PKCS#7
padding to a multiple of 32 bytes, plaintext = 16 random bytes + 4-byte big-endian length + msg + receiveid.
Signature = SHA1 of the sorted concatenation of [token, timestamp, nonce, encrypt].

Secrets come from the environment: WECOM_CORP_ID, WECOM_TOKEN, WECOM_AES_KEY, WECOM_AGENT_ID,
WECOM_SECRET, WECOM_API_BASE (default https://qyapi.weixin.qq.com). See docs/channels.md.
"""

import base64
import binascii
import hashlib
import logging
import os
import re
import struct
import time
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Tuple
from xml.etree.ElementTree import ParseError

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel

from channels.background import BackgroundTasks
from channels.buttons import render_turn
from channels.chat_app import ChatAppDialogue
from channels.http_client import ApiError, DeliveryError, HttpResult, HttpSender, TokenCache, json_errcode_check
from channels.log_privacy import short_id
from channels.rate_limit import Limits
from channels.replies import reply as channel_reply
from channels.settings import cfg_number, delivery_settings, env_str
from channels.signing import constant_time_equals
from channels.ttl_set import TTLSet

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
TOKEN_ERRCODES = (40014, 42001)  # invalid / expired access_token: refresh and try once more
WECOM_TEXT_LIMIT_BYTES = 2000  # the API allows 2048 bytes of text content


class WeComCryptoError(Exception):
    """A callback that fails signature, decryption or corp-id checks. `status` is the HTTP answer."""

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class WeComCrypto:
    """WeCom callback signature and AES-256-CBC message crypto."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if len(encoding_aes_key) != 43:
            raise ValueError("EncodingAESKey must be 43 characters")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("EncodingAESKey is not valid base64") from None
        if len(key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self.token = token
        self.key = key
        self.iv = key[:16]
        self.receive_id = receive_id

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        parts = sorted([self.token, timestamp, nonce, encrypt])
        return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = self.signature(timestamp, nonce, encrypt)
        if not constant_time_equals(expected, (msg_signature or "").lower()):
            raise WeComCryptoError("bad signature", 403)

    def encrypt(self, msg: bytes, random16: Optional[bytes] = None) -> str:
        """`msg` encrypted as WeCom expects a passive reply (base64): 16 random bytes + 4-byte length + msg +
        receive id, PKCS#7-padded to a multiple of 32 bytes (the AI bot's answers; the app channel only decrypts)."""
        plain = (random16 if random16 is not None else os.urandom(16)) + struct.pack(">I", len(msg)) + msg
        plain += self.receive_id.encode("utf-8")
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypt: str) -> bytes:
        """The message inside `encrypt` (base64); checks padding, length and receive id."""
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise WeComCryptoError("ciphertext is not base64", 400) from None
        if not raw or len(raw) % 16:
            raise WeComCryptoError("ciphertext length is not a multiple of the AES block", 400)
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if pad < 1 or pad > 32 or plain[-pad:] != bytes([pad]) * pad:
            raise WeComCryptoError("bad padding", 400)
        content = plain[16:-pad]
        if len(content) < 4:
            raise WeComCryptoError("plaintext too short", 400)
        (msg_len,) = struct.unpack(">I", content[:4])
        if msg_len > len(content) - 4:
            raise WeComCryptoError("bad message length", 400)
        msg = content[4 : 4 + msg_len]
        receive_id = content[4 + msg_len :].decode("utf-8", errors="replace")
        if not constant_time_equals(receive_id, self.receive_id):
            raise WeComCryptoError("receive id (corp id) does not match", 403)
        return msg


def parse_xml(body: bytes) -> Dict[str, str]:
    """The child elements of an ``<xml>`` document as a dict. Forbids DTDs and entities (XML bombs,
    external entities). Raises ValueError for anything that is not such a document."""
    try:
        root = safe_fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError) as e:
        raise ValueError(f"unsafe or malformed XML ({type(e).__name__})") from None
    if root.tag != "xml":
        raise ValueError("root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root if isinstance(child.tag, str)}


_DIGITS = re.compile(r"^[0-9]{1,12}$")
_TOKENISH = re.compile(r"^[0-9A-Za-z]{1,64}$")


class WeComCallbackChecks:
    """What WeCom's callbacks share (the self-built app's and the AI bot's): the query's signature, nonce and
    timestamp checks and the GET URL verification. A channel sets `crypto`, `clock`,
    `url_verify_max_skew_seconds`, its `log_name` and the status of a stale timestamp."""

    crypto: Optional[WeComCrypto]
    clock: Callable[[], float]
    url_verify_max_skew_seconds: float
    log_name = "wecom"
    stale_status = 401

    def _check_timestamp(self, timestamp: str, max_skew: float) -> None:
        if not _DIGITS.match(timestamp or ""):
            raise WeComCryptoError("missing or malformed timestamp", 400)
        if max_skew and abs(self.clock() - int(timestamp)) > max_skew:
            raise WeComCryptoError("timestamp outside the allowed clock skew", self.stale_status)

    @staticmethod
    def _check_params(params: Mapping[str, Optional[str]]) -> Tuple[str, str, str]:
        sig = params.get("msg_signature") or ""
        ts = params.get("timestamp") or ""
        nonce = params.get("nonce") or ""
        if not re.match(r"^[0-9a-fA-F]{40}$", sig):
            raise WeComCryptoError("missing or malformed msg_signature", 400)
        if not _TOKENISH.match(nonce):
            raise WeComCryptoError("missing or malformed nonce", 400)
        return sig, ts, nonce

    def verify_url(self, params: Mapping[str, Optional[str]]) -> Tuple[int, str]:
        """GET URL verification: (status, body). Body is the decrypted echostr on success."""
        if self.crypto is None:
            return 503, f"{self.log_name} channel not configured"
        try:
            sig, ts, nonce = self._check_params(params)
            self._check_timestamp(ts, self.url_verify_max_skew_seconds)
            # A '+' that reached us unencoded became a space; base64 has no spaces.
            echostr = (params.get("echostr") or "").replace(" ", "+")
            if not echostr or len(echostr) > 4096:
                raise WeComCryptoError("missing or oversized echostr", 400)
            self.crypto.verify(sig, ts, nonce, echostr)
            plain = self.crypto.decrypt(echostr).decode("utf-8")
        except (WeComCryptoError, UnicodeDecodeError) as e:
            status = getattr(e, "status", 400)
            logger.warning("%s.verify_url.rejected status=%d reason=%s", self.log_name, status,
                           getattr(e, "reason", "bad utf-8"))
            return status, "rejected"
        logger.info("%s.verify_url.ok", self.log_name)
        return 200, plain

    def callback_blueprint(
        self, name: str, on_message: Callable[[Dict[str, Optional[str]], Any], Awaitable[HTTPResponse]]
    ) -> Blueprint:
        """The routes both callbacks share: health, GET URL verification, and the POST whose checked, decrypted
        message the channel's `on_message(params, msg)` answers. A refused POST gets its status and no body.
        The channel provides `accept_post(params, body) -> (status, msg or None)`."""
        bp = Blueprint(name, __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.crypto else "not configured"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            status, body = self.verify_url({k: request.args.get(k) for k in request.args})
            return response.text(body, status=status)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            params = {k: request.args.get(k) for k in request.args}
            status, msg = self.accept_post(params, request.body or b"")  # type: ignore[attr-defined]
            if msg is None:
                return response.text("", status=status)
            return await on_message(params, msg)

        return bp


class WeComInput(WeComCallbackChecks, InputChannel):
    """Rasa input channel for a WeCom self-built app (callback mode)."""

    @classmethod
    def name(cls) -> str:
        return "wecom"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "WeComInput":
        credentials = credentials or {}
        return cls(
            corp_id=env_str("WECOM_CORP_ID"),
            token=env_str("WECOM_TOKEN"),
            aes_key=env_str("WECOM_AES_KEY"),
            agent_id=env_str("WECOM_AGENT_ID"),
            secret=env_str("WECOM_SECRET"),
            api_base=env_str("WECOM_API_BASE") or DEFAULT_API_BASE,
            max_skew_seconds=cfg_number(credentials, "max_skew_seconds", 600),
            url_verify_max_skew_seconds=cfg_number(credentials, "url_verify_max_skew_seconds", 0),
            **delivery_settings(credentials, dedupe_ttl_seconds=3600),
            limits=Limits.from_credentials(credentials),
        )

    def __init__(
        self,
        corp_id: str,
        token: str,
        aes_key: str,
        agent_id: str = "",
        secret: str = "",
        api_base: str = DEFAULT_API_BASE,
        max_skew_seconds: float = 600,
        url_verify_max_skew_seconds: float = 0,
        http_timeout: float = 5,
        http_attempts: int = 3,
        http_backoff: float = 0.5,
        max_body_bytes: int = 64 * 1024,
        max_image_bytes: int = 10 * 1024 * 1024,
        dedupe_ttl_seconds: float = 3600,
        clock: Callable[[], float] = time.time,
        limits: Optional[Limits] = None,
    ) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.max_skew_seconds = max_skew_seconds
        self.url_verify_max_skew_seconds = url_verify_max_skew_seconds
        self.max_body_bytes = max_body_bytes
        self.max_image_bytes = max_image_bytes
        self.clock = clock
        self.crypto: Optional[WeComCrypto] = None
        missing = [n for n, v in (("WECOM_CORP_ID", corp_id), ("WECOM_TOKEN", token), ("WECOM_AES_KEY", aes_key)) if not v]
        if missing:
            logger.warning("wecom.not_configured missing=%s: the callback answers 503", ",".join(missing))
        else:
            try:
                self.crypto = WeComCrypto(token, aes_key, corp_id)
            except ValueError as e:
                logger.error("wecom.not_configured bad WECOM_AES_KEY: %s", e)
        self.can_send = bool(self.crypto and secret and agent_id)
        if self.crypto and not self.can_send:
            logger.warning("wecom.cannot_send missing WECOM_SECRET or WECOM_AGENT_ID: answers are not sent")
        self.seen = TTLSet(maxsize=20000, ttl=dedupe_ttl_seconds)
        self.http = HttpSender("wecom", timeout=http_timeout, attempts=http_attempts, backoff=http_backoff)
        self.tokens = TokenCache(self._fetch_token)
        self.tasks = BackgroundTasks("wecom")
        self.dialogue = ChatAppDialogue("wecom", self.name(), limits or Limits(), max_image_bytes)
        # Read by service/http_guard before the body is read.
        self.body_limits = {"/webhook": max_body_bytes}

    # ---------------------------------------------------------------------------------------------
    # Verification (synchronous, no side effect unless accepted).

    def accept_post(self, params: Mapping[str, str], body: bytes) -> Tuple[int, Optional[Dict[str, str]]]:
        """POST callback: (status, message to process or None). Only an accepted, first-seen message
        is returned; rejected requests and retries touch nothing."""
        if self.crypto is None:
            return 503, None
        if len(body) > self.max_body_bytes:
            logger.warning("wecom.post.rejected status=413 bytes=%d", len(body))
            return 413, None
        try:
            sig, ts, nonce = self._check_params(params)
            self._check_timestamp(ts, self.max_skew_seconds)
            try:
                outer = parse_xml(body)
            except ValueError as e:
                raise WeComCryptoError(str(e), 400) from None
            encrypt = outer.get("Encrypt", "")
            if not encrypt:
                raise WeComCryptoError("no Encrypt element", 400)
            self.crypto.verify(sig, ts, nonce, encrypt)
            plain = self.crypto.decrypt(encrypt)
            try:
                msg = parse_xml(plain)
            except ValueError as e:
                raise WeComCryptoError(f"inner {e}", 400) from None
        except WeComCryptoError as e:
            logger.warning("wecom.post.rejected status=%d reason=%s", e.status, e.reason)
            return e.status, None
        if self.agent_id and msg.get("AgentID") and msg["AgentID"] != self.agent_id:
            logger.warning("wecom.post.ignored reason=other agent id")
            return 200, None
        if msg.get("MsgId"):
            key = "msg:" + msg["MsgId"]
        else:  # events have no MsgId: WeCom says to use FromUserName + CreateTime
            key = "evt:{}:{}:{}".format(msg.get("FromUserName"), msg.get("CreateTime"), msg.get("Event"))
        if not self.seen.add_if_new(key):
            logger.info("wecom.post.duplicate user=%s (a retry, already handled)", short_id(msg.get("FromUserName")))
            return 200, None
        return 200, msg

    # ---------------------------------------------------------------------------------------------
    # Processing in the background.

    async def process(self, msg: Dict[str, str], on_new_message: Callable[[Any], Awaitable[Any]]) -> None:
        user = msg.get("FromUserName") or ""
        if not user:
            logger.warning("wecom.process.ignored reason=no FromUserName")
            return
        mtype = (msg.get("MsgType") or "").lower()

        async def say(text: str) -> None:
            await self.send_text(user, text)

        if mtype == "text":
            text = await self.dialogue.text_for_rasa(user, (msg.get("Content") or "").strip(), say)
        elif mtype == "image":
            media_id = msg.get("MediaId") or ""
            text = await self.dialogue.picture_for_rasa(user, media_id, lambda: self._download_media(media_id), say)
        elif mtype == "event":
            logger.info("wecom.event.ignored user=%s event=%s", short_id(user), (msg.get("Event") or "")[:32])
            return
        else:
            logger.info("wecom.message.unsupported user=%s type=%s", short_id(user), mtype[:32])
            await say(channel_reply("channel_unsupported_message", self.dialogue.language(user)))
            return
        if text is None:
            return
        turn = await self.dialogue.ask(
            on_new_message, user, text, {"wecom": {"agent_id": msg.get("AgentID"), "msg_type": mtype}},
            message_id=msg.get("MsgId") or None,
        )
        reply = render_turn(turn)
        if reply:
            await say(reply)

    # ---------------------------------------------------------------------------------------------
    # WeCom API.

    async def _fetch_token(self) -> Tuple[str, float]:
        result = await self.http.request(
            "GET",
            f"{self.api_base}/cgi-bin/gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
            what="wecom.gettoken",
            check=json_errcode_check,
        )
        body = result.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise DeliveryError("wecom.gettoken", "no access_token in answer", 1)
        return str(token), float(body.get("expires_in") or 7200)

    async def _with_token(self, call: Callable[[str], Awaitable[HttpResult]]) -> HttpResult:
        """Runs `call(token)`; on an invalid/expired token refreshes it and tries once more."""
        token = await self.tokens.get()
        try:
            return await call(token)
        except DeliveryError as e:
            if e.code not in TOKEN_ERRCODES and str(e.code) not in map(str, TOKEN_ERRCODES):
                raise
            logger.info("wecom.token.refresh errcode=%s", e.code)
            self.tokens.invalidate(token)
            return await call(await self.tokens.get())

    async def send_text(self, user: str, text: str) -> None:
        """Sends `text` to `user` (split into parts the API accepts). Logs failures, never raises."""
        if not self.can_send:
            logger.error("wecom.reply.failed user=%s reason=sending not configured", short_id(user))
            return
        for part in split_utf8(text, WECOM_TEXT_LIMIT_BYTES):
            payload = {
                "touser": user,
                "msgtype": "text",
                "agentid": int(self.agent_id) if self.agent_id.isdigit() else self.agent_id,
                "text": {"content": part},
                "safe": 0,
            }

            async def call(token: str, payload: Dict[str, Any] = payload) -> HttpResult:
                return await self.http.request(
                    "POST",
                    f"{self.api_base}/cgi-bin/message/send",
                    params={"access_token": token},
                    json=payload,
                    what="wecom.message.send",
                    check=json_errcode_check,
                )

            try:
                result = await self._with_token(call)
            except DeliveryError as e:
                logger.error("wecom.reply.failed user=%s attempts=%d reason=%s", short_id(user), e.attempts, e.reason)
                return
            body = result.json()
            if isinstance(body, dict) and body.get("invaliduser"):
                logger.error("wecom.reply.failed user=%s reason=invalid user", short_id(user))
                return
            logger.info("wecom.reply.sent user=%s bytes=%d", short_id(user), len(part.encode("utf-8")))

    async def _download_media(self, media_id: str) -> bytes:
        if not media_id:
            raise DeliveryError("wecom.media.get", "no MediaId in the message", 0)

        def media_check(result: HttpResult) -> None:
            if result.content_type.startswith(("application/json", "text/")):
                json_errcode_check(result)
                raise ApiError("answer is not a file", retryable=False)

        async def call(token: str) -> HttpResult:
            return await self.http.request(
                "GET",
                f"{self.api_base}/cgi-bin/media/get",
                params={"access_token": token, "media_id": media_id},
                what="wecom.media.get",
                check=media_check,
                max_bytes=self.max_image_bytes,
            )

        return (await self._with_token(call)).content

    # ---------------------------------------------------------------------------------------------
    # Sanic routes.

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        async def answer_later(params: Dict[str, Optional[str]], msg: Any) -> HTTPResponse:
            # WeCom wants the 200 within 5 s; the answer goes out through the API once Rasa has it.
            self.tasks.spawn(self.process(msg, on_new_message), what="wecom.process")
            return response.text("", status=200)

        return self.callback_blueprint("wecom_webhook", answer_later)


def split_utf8(text: str, limit: int) -> list:
    """Splits text into parts of at most `limit` UTF-8 bytes, at line ends where possible."""
    if len(text.encode("utf-8")) <= limit:
        return [text]
    parts, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line.encode("utf-8")) > limit:  # a single over-long line: cut by characters
            cut = len(line)
            while len(line[:cut].encode("utf-8")) > limit:
                cut = max(1, cut * limit // len(line[:cut].encode("utf-8")) - 1)
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        if len((current + line).encode("utf-8")) > limit:
            parts.append(current)
            current = line
        else:
            current += line
    if current:
        parts.append(current)
    return [p.strip("\n") or p for p in parts if p.strip()]
