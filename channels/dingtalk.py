"""DingTalk (钉钉) enterprise internal robot, HTTP callback mode.

Callback URL: ``https://<host>/webhooks/dingtalk/webhook``

Each callback carries the headers ``timestamp`` (ms) and ``sign`` =
Base64(HmacSHA256(key=appSecret, msg=timestamp + "\\n" + appSecret)). A request more than an hour off
the clock or with a wrong sign is refused (401 / 403) and touches nothing. An accepted message is
answered 200 at once; the work happens in the background: text goes to Rasa, a picture is downloaded
through the robot API (``/v1.0/robot/messageFiles/download``), stored with ``realname.image_store`` and
checked with ``/check_image{...}``. Answers are POSTed to the message's ``sessionWebhook`` (until
``sessionWebhookExpiredTime``) as text, or as markdown whose buttons are
``dtmd://dingtalkclient/sendMessage?content=<payload>`` links that send the payload back when tapped.

Environment: DINGTALK_APP_KEY, DINGTALK_APP_SECRET, DINGTALK_ROBOT_CODE,
DINGTALK_API_BASE (default https://api.dingtalk.com). See docs/channels.md.
"""

import json
import logging
import re
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel

from channels.common import (
    IMAGE_FAILED_REPLY,
    RESERVED_COMMAND_REPLY,
    UNSUPPORTED_MESSAGE_REPLY,
    BackgroundTasks,
    ButtonMemory,
    DeliveryError,
    HttpSender,
    TokenCache,
    TTLSet,
    Turn,
    ask_rasa,
    cfg_number,
    check_image_text,
    compose_turn,
    constant_time_equals,
    dingtalk_markdown,
    env_str,
    hmac_sha256_base64,
    image_error_text,
    is_reserved_command,
    json_errcode_check,
    safe_url,
    save_image,
    short_id,
    sniff_image_type,
)

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.dingtalk.com"
OFFICIAL_WEBHOOK_PREFIXES = ("https://oapi.dingtalk.com/", "https://api.dingtalk.com/")
MAX_TEXT_CHARS = 5000


def dingtalk_sign(timestamp: str, app_secret: str) -> str:
    """The `sign` header DingTalk sends with a callback."""
    return hmac_sha256_base64(app_secret, f"{timestamp}\n{app_secret}")


class DingTalkRejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class DingTalkInput(InputChannel):
    """Rasa input channel for a DingTalk enterprise internal robot (HTTP callback)."""

    @classmethod
    def name(cls) -> str:
        return "dingtalk"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "DingTalkInput":
        credentials = credentials or {}
        extra = credentials.get("session_webhook_prefixes") or []
        if isinstance(extra, str):
            extra = [extra]
        return cls(
            app_key=env_str("DINGTALK_APP_KEY"),
            app_secret=env_str("DINGTALK_APP_SECRET"),
            robot_code=env_str("DINGTALK_ROBOT_CODE"),
            api_base=env_str("DINGTALK_API_BASE") or DEFAULT_API_BASE,
            max_skew_seconds=cfg_number(credentials, "max_skew_seconds", 3600),
            http_timeout=cfg_number(credentials, "http_timeout", 5),
            http_attempts=int(cfg_number(credentials, "http_attempts", 3)),
            http_backoff=cfg_number(credentials, "http_backoff", 0.5),
            max_body_bytes=int(cfg_number(credentials, "max_body_bytes", 64 * 1024)),
            max_image_bytes=int(cfg_number(credentials, "max_image_bytes", 10 * 1024 * 1024)),
            dedupe_ttl_seconds=cfg_number(credentials, "dedupe_ttl_seconds", 2 * 3600),
            session_webhook_prefixes=[str(p) for p in extra],
        )

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        robot_code: str = "",
        api_base: str = DEFAULT_API_BASE,
        max_skew_seconds: float = 3600,
        http_timeout: float = 5,
        http_attempts: int = 3,
        http_backoff: float = 0.5,
        max_body_bytes: int = 64 * 1024,
        max_image_bytes: int = 10 * 1024 * 1024,
        dedupe_ttl_seconds: float = 2 * 3600,
        session_webhook_prefixes: Optional[List[str]] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.robot_code = robot_code or app_key
        self.api_base = api_base.rstrip("/")
        self.max_skew_ms = int(max_skew_seconds * 1000)
        self.max_body_bytes = max_body_bytes
        self.max_image_bytes = max_image_bytes
        self.clock = clock
        # Answers only go to DingTalk's own hosts (or the configured API base, e.g. a test fake), so a
        # signed-but-odd sessionWebhook cannot make this server call elsewhere.
        self.webhook_prefixes = tuple(OFFICIAL_WEBHOOK_PREFIXES) + (self.api_base + "/",) + tuple(
            session_webhook_prefixes or ()
        )
        if not app_secret:
            logger.warning("dingtalk.not_configured missing=DINGTALK_APP_SECRET: the callback answers 503")
        self.seen = TTLSet(maxsize=20000, ttl=dedupe_ttl_seconds)
        self.buttons = ButtonMemory()
        self.http = HttpSender("dingtalk", timeout=http_timeout, attempts=http_attempts, backoff=http_backoff)
        self.tokens = TokenCache(self._fetch_token)
        self.tasks = BackgroundTasks("dingtalk")

    # ---------------------------------------------------------------------------------------------
    # Verification (synchronous; nothing is touched unless the request is accepted).

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def verify_signature(self, timestamp: Optional[str], sign: Optional[str]) -> None:
        if not timestamp or not sign:
            raise DingTalkRejected(401, "missing timestamp or sign header")
        if not re.match(r"^[0-9]{10,16}$", timestamp):
            raise DingTalkRejected(401, "malformed timestamp")
        if abs(self._now_ms() - int(timestamp)) > self.max_skew_ms:
            raise DingTalkRejected(401, "timestamp outside the allowed clock skew")
        if len(sign) > 128 or not constant_time_equals(dingtalk_sign(timestamp, self.app_secret), sign):
            raise DingTalkRejected(403, "bad signature")

    def accept(self, headers: Mapping[str, str], body: bytes) -> Tuple[int, Dict[str, Any], Optional[Dict[str, Any]]]:
        """(status, JSON answer, message to process or None)."""
        if not self.app_secret:
            return 503, {"error": "dingtalk channel not configured"}, None
        try:
            if len(body) > self.max_body_bytes:
                raise DingTalkRejected(413, f"body of {len(body)} bytes is too large")
            self.verify_signature(headers.get("timestamp"), headers.get("sign"))
            try:
                msg = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise DingTalkRejected(400, "body is not JSON") from None
            if not isinstance(msg, dict):
                raise DingTalkRejected(400, "body is not a JSON object")
            webhook = msg.get("sessionWebhook")
            if not isinstance(webhook, str) or not webhook.startswith(self.webhook_prefixes):
                raise DingTalkRejected(400, "missing or unexpected sessionWebhook")
            if not (msg.get("senderStaffId") or msg.get("senderId")):
                raise DingTalkRejected(400, "no sender")
            if not isinstance(msg.get("msgtype"), str):
                raise DingTalkRejected(400, "no msgtype")
        except DingTalkRejected as e:
            logger.warning("dingtalk.callback.rejected status=%d reason=%s", e.status, e.reason)
            return e.status, {"error": e.reason}, None
        msg_id = str(msg.get("msgId") or "")
        if msg_id and not self.seen.add_if_new(msg_id):
            logger.info("dingtalk.callback.duplicate msg=%s (replay or retry, ignored)", short_id(msg_id))
            return 200, {"status": "duplicate"}, None
        return 200, {}, msg

    # ---------------------------------------------------------------------------------------------
    # Processing in the background.

    @staticmethod
    def _user(msg: Mapping[str, Any]) -> str:
        return str(msg.get("senderStaffId") or msg.get("senderId"))

    def _inputs(self, msg: Mapping[str, Any]) -> Tuple[List[str], List[str]]:
        """(texts, picture download codes) of a message."""
        mtype = str(msg.get("msgtype") or "").lower()
        content = msg.get("content") if isinstance(msg.get("content"), Mapping) else {}
        texts: List[str] = []
        pictures: List[str] = []
        if mtype == "text":
            text = msg.get("text") if isinstance(msg.get("text"), Mapping) else {}
            texts.append(str(text.get("content") or ""))
        elif mtype == "picture":
            code = content.get("downloadCode") or content.get("pictureDownloadCode")
            if code:
                pictures.append(str(code))
        elif mtype == "richtext":
            for item in content.get("richText") or []:
                if not isinstance(item, Mapping):
                    continue
                if item.get("text"):
                    texts.append(str(item["text"]))
                code = item.get("downloadCode") or item.get("pictureDownloadCode")
                if code and (item.get("type") in (None, "picture")):
                    pictures.append(str(code))
            texts = [" ".join(t.strip() for t in texts if t.strip())]
        return [t.strip() for t in texts if t and t.strip()], pictures

    async def process(self, msg: Dict[str, Any], on_new_message: Callable[[Any], Awaitable[Any]]) -> None:
        user = self._user(msg)
        tag = short_id(user)
        texts, pictures = self._inputs(msg)
        webhook = str(msg["sessionWebhook"])
        expires_ms = msg.get("sessionWebhookExpiredTime")
        if not texts and not pictures:
            logger.info("dingtalk.message.unsupported user=%s type=%s", tag, str(msg.get("msgtype"))[:32])
            await self.reply(webhook, expires_ms, Turn(text=UNSUPPORTED_MESSAGE_REPLY), user)
            return
        to_rasa: List[str] = []
        for code in pictures[:3]:
            text = await self._picture_to_text(code, user, webhook, expires_ms)
            if text:
                to_rasa.append(text)
        for text in texts:
            choice = self.buttons.resolve(user, text)
            if choice is not None:
                text = choice
            elif is_reserved_command(text):
                await self.reply(webhook, expires_ms, Turn(text=RESERVED_COMMAND_REPLY), user)
                continue
            if len(text) > MAX_TEXT_CHARS:
                text = text[:MAX_TEXT_CHARS]
            to_rasa.append(text)
        for text in to_rasa:
            messages = await ask_rasa(
                on_new_message,
                text,
                sender_id="dingtalk-" + user,
                input_channel=self.name(),
                metadata={
                    "dingtalk": {
                        "conversation_type": msg.get("conversationType"),
                        "msg_type": msg.get("msgtype"),
                    }
                },
            )
            turn = compose_turn(messages)
            self.buttons.remember(user, turn.buttons)
            await self.reply(webhook, expires_ms, turn, user)

    async def _picture_to_text(self, code: str, user: str, webhook: str, expires_ms: Any) -> Optional[str]:
        try:
            data = await self.download_picture(code)
        except DeliveryError as e:
            logger.error("dingtalk.picture.failed user=%s reason=%s", short_id(user), e)
            await self.reply(webhook, expires_ms, Turn(text=IMAGE_FAILED_REPLY), user)
            return None
        ext = sniff_image_type(data) or "bin"
        try:
            ref = await save_image(data, f"dingtalk-{short_id(code)}.{ext}")
        except Exception as e:  # noqa: BLE001 - the store's errors become a Chinese reply
            logger.warning("dingtalk.picture.rejected user=%s error=%s", short_id(user), type(e).__name__)
            await self.reply(webhook, expires_ms, Turn(text=image_error_text(e)), user)
            return None
        return check_image_text(ref)

    @staticmethod
    def build_reply(turn: Turn) -> Optional[Dict[str, Any]]:
        """The sessionWebhook payload for a turn: text, or markdown when there are buttons/images."""
        if not turn.buttons and not turn.images:
            if not turn.text:
                return None
            return {"msgtype": "text", "text": {"content": turn.text}}
        md = dingtalk_markdown(turn.text, turn.buttons)
        for url in turn.images:
            md += f"\n\n![]({url})"
        first_line = (turn.text or "回复").strip().split("\n", 1)[0]
        title = first_line[:20] or "回复"
        return {"msgtype": "markdown", "markdown": {"title": title, "text": md}}

    async def reply(self, webhook: str, expires_ms: Any, turn: Turn, user: str) -> None:
        """Posts the turn to the sessionWebhook. Logs failures and expiry; never raises."""
        payload = self.build_reply(turn)
        if payload is None:
            return
        try:
            expired = expires_ms is not None and int(expires_ms) <= self._now_ms()
        except (TypeError, ValueError):
            expired = False
        if expired:
            logger.error(
                "dingtalk.reply.failed user=%s reason=sessionWebhook expired at %s, answer not posted",
                short_id(user),
                expires_ms,
            )
            return
        try:
            await self.http.request("POST", webhook, json=payload, what="dingtalk.reply", check=json_errcode_check)
        except DeliveryError as e:
            logger.error(
                "dingtalk.reply.failed user=%s url=%s attempts=%d reason=%s",
                short_id(user),
                safe_url(webhook),
                e.attempts,
                e.reason,
            )
            return
        logger.info("dingtalk.reply.sent user=%s type=%s", short_id(user), payload["msgtype"])

    # ---------------------------------------------------------------------------------------------
    # DingTalk open API (token + robot file download).

    async def _fetch_token(self) -> Tuple[str, float]:
        result = await self.http.request(
            "POST",
            f"{self.api_base}/v1.0/oauth2/accessToken",
            json={"appKey": self.app_key, "appSecret": self.app_secret},
            what="dingtalk.accessToken",
        )
        body = result.json()
        token = body.get("accessToken") if isinstance(body, dict) else None
        if not token:
            raise DeliveryError("dingtalk.accessToken", "no accessToken in answer", 1)
        return str(token), float(body.get("expireIn") or 7200)

    async def download_picture(self, download_code: str) -> bytes:
        """The bytes of a picture the user sent (robot messageFiles/download → downloadUrl)."""
        if not self.app_key:
            raise DeliveryError("dingtalk.download", "DINGTALK_APP_KEY not configured", 0)
        for round_ in (1, 2):
            token = await self.tokens.get()
            try:
                result = await self.http.request(
                    "POST",
                    f"{self.api_base}/v1.0/robot/messageFiles/download",
                    headers={"x-acs-dingtalk-access-token": token},
                    json={"downloadCode": download_code, "robotCode": self.robot_code},
                    what="dingtalk.messageFiles.download",
                )
                break
            except DeliveryError as e:
                if e.status == 401 and round_ == 1:  # token revoked or expired early
                    self.tokens.invalidate(token)
                    continue
                raise
        body = result.json()
        url = body.get("downloadUrl") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise DeliveryError("dingtalk.messageFiles.download", "no downloadUrl in answer", 1)
        file_result = await self.http.request(
            "GET", url, what="dingtalk.file.get", max_bytes=self.max_image_bytes
        )
        return file_result.content

    # ---------------------------------------------------------------------------------------------
    # Sanic routes.

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("dingtalk_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.app_secret else "not configured"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            headers = {"timestamp": request.headers.get("timestamp"), "sign": request.headers.get("sign")}
            status, answer, msg = self.accept(headers, request.body or b"")
            if msg is not None:
                self.tasks.spawn(self.process(msg, on_new_message), what="dingtalk.process")
            return response.json(answer, status=status)

        return bp
