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

import asyncio
import json
import logging
import re
import time
import urllib.parse
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel

from channels.background import BackgroundTasks
from channels.buttons import Turn, render_turn
from channels.chat_app import ChatAppDialogue
from channels.http_client import DeliveryError, HttpSender, TokenCache, json_errcode_check
from channels.log_privacy import safe_url, short_id
from channels.rate_limit import Limits
from channels.replies import reply
from channels.settings import cfg_number, delivery_settings, env_str
from channels.signing import constant_time_equals, hmac_sha256_base64
from channels.ttl_set import TTLSet

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.dingtalk.com"
OFFICIAL_WEBHOOK_PREFIXES = ("https://oapi.dingtalk.com/", "https://api.dingtalk.com/")


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
        return cls(**cls.settings_from(credentials or {}))

    @classmethod
    def settings_from(cls, credentials: Dict[str, Any]) -> Dict[str, Any]:
        """Constructor arguments: secrets from the environment, tuning from credentials.yml."""
        extra = credentials.get("session_webhook_prefixes") or []
        if isinstance(extra, str):
            extra = [extra]
        return dict(
            app_key=env_str("DINGTALK_APP_KEY"),
            app_secret=env_str("DINGTALK_APP_SECRET"),
            robot_code=env_str("DINGTALK_ROBOT_CODE"),
            api_base=env_str("DINGTALK_API_BASE") or DEFAULT_API_BASE,
            max_skew_seconds=cfg_number(credentials, "max_skew_seconds", 3600),
            **delivery_settings(credentials, dedupe_ttl_seconds=2 * 3600),
            session_webhook_prefixes=[str(p) for p in extra],
            limits=Limits.from_credentials(credentials),
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
        limits: Optional[Limits] = None,
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
        self.http = HttpSender("dingtalk", timeout=http_timeout, attempts=http_attempts, backoff=http_backoff)
        self.tokens = TokenCache(self._fetch_token)
        self.tasks = BackgroundTasks("dingtalk")
        self.dialogue = ChatAppDialogue("dingtalk", self.name(), limits or Limits(), max_image_bytes)
        # Read by service/http_guard before the body is read.
        self.body_limits = {"/webhook": max_body_bytes}

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
            self.check_message(msg)
        except DingTalkRejected as e:
            logger.warning("dingtalk.callback.rejected status=%d reason=%s", e.status, e.reason)
            return e.status, {"error": e.reason}, None
        if not self.first_time(msg):
            return 200, {"status": "duplicate"}, None
        return 200, {}, msg

    def check_message(self, msg: Any) -> None:
        """Checks a robot message (HTTP callback body or Stream callback data). Raises DingTalkRejected."""
        if not isinstance(msg, dict):
            raise DingTalkRejected(400, "body is not a JSON object")
        webhook = msg.get("sessionWebhook")
        if not isinstance(webhook, str) or not webhook.startswith(self.webhook_prefixes):
            raise DingTalkRejected(400, "missing or unexpected sessionWebhook")
        if not (msg.get("senderStaffId") or msg.get("senderId")):
            raise DingTalkRejected(400, "no sender")
        if not isinstance(msg.get("msgtype"), str):
            raise DingTalkRejected(400, "no msgtype")

    def first_time(self, msg: Mapping[str, Any]) -> bool:
        """False for a msgId already handled (a replay or a redelivery)."""
        msg_id = str(msg.get("msgId") or "")
        if msg_id and not self.seen.add_if_new(msg_id):
            logger.info("dingtalk.message.duplicate msg=%s (replay or redelivery, ignored)", short_id(msg_id))
            return False
        return True

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
        texts, pictures = self._inputs(msg)
        webhook = str(msg["sessionWebhook"])
        expires_ms = msg.get("sessionWebhookExpiredTime")

        async def say(text: str) -> None:
            await self.reply(webhook, expires_ms, Turn(text=text), user)

        if not texts and not pictures:
            logger.info("dingtalk.message.unsupported user=%s type=%s", short_id(user), str(msg.get("msgtype"))[:32])
            await say(reply("channel_unsupported_message", self.dialogue.language(user)))
            return
        to_rasa: List[str] = []
        for code in pictures[:3]:
            text = await self.dialogue.picture_for_rasa(user, code, lambda code=code: self.download_picture(code), say)
            if text:
                to_rasa.append(text)
        for typed in texts:
            text = await self.dialogue.text_for_rasa(user, typed, say)
            if text:
                to_rasa.append(text)
        metadata = {"dingtalk": {"conversation_type": msg.get("conversationType"), "msg_type": msg.get("msgtype")}}
        for text in to_rasa:
            turn = await self.dialogue.ask(on_new_message, user, text, metadata)
            await self.reply(webhook, expires_ms, turn, user)

    @staticmethod
    def build_reply(turn: Turn) -> Optional[Dict[str, Any]]:
        """The sessionWebhook payload for a turn: text, or markdown when there are buttons/images."""
        if not turn.buttons and not turn.images:
            if not turn.text:
                return None
            return {"msgtype": "text", "text": {"content": turn.text}}
        md = render_turn(turn, markdown=True)
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


# ==================================================================================================
# Stream mode: DingTalk pushes robot messages over a websocket this server opens, so no public
# callback URL is needed. Implemented here on websockets 10.4 (rasa 3.6 pins websockets<11 and
# aiohttp<3.10; the official dingtalk-stream SDK needs websockets>=11 and aiohttp>=3.10).
#
# Protocol: POST {api}/v1.0/gateway/connections/open {clientId, clientSecret, subscriptions} →
# {endpoint, ticket}; connect to endpoint?ticket=...; frames are JSON {specVersion, type, headers, data}.
# SYSTEM "ping" is answered with the same data, SYSTEM "disconnect" means reconnect, CALLBACK on the
# robot topic carries the same message JSON as the HTTP callback and is acknowledged at once.

STREAM_TOPIC_ROBOT = "/v1.0/im/bot/messages/get"
MAX_FRAME_BYTES = 1 << 20


class DingTalkStreamInput(DingTalkInput):
    """Rasa input channel for a DingTalk robot in Stream mode (outgoing websocket, no callback URL)."""

    @classmethod
    def name(cls) -> str:
        return "dingtalk_stream"

    @classmethod
    def settings_from(cls, credentials: Dict[str, Any]) -> Dict[str, Any]:
        settings = super().settings_from(credentials)
        settings["reconnect_min_seconds"] = cfg_number(credentials, "reconnect_min_seconds", 1)
        settings["reconnect_max_seconds"] = cfg_number(credentials, "reconnect_max_seconds", 60)
        settings["lease_seconds"] = cfg_number(credentials, "lease_seconds", 15)
        return settings

    def __init__(
        self,
        *args: Any,
        reconnect_min_seconds: float = 1,
        reconnect_max_seconds: float = 60,
        lease_seconds: float = 15,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lease_seconds = max(1.0, lease_seconds)
        self.lease: Any = None
        self.reconnect_min = max(0.05, reconnect_min_seconds)
        self.reconnect_max = max(self.reconnect_min, reconnect_max_seconds)
        self.connected = False
        self.connections = 0
        self._task: Optional["asyncio.Task"] = None

    async def open_connection(self) -> str:
        """Registers a stream connection; returns the websocket URL (endpoint + ticket)."""
        result = await self.http.request(
            "POST",
            f"{self.api_base}/v1.0/gateway/connections/open",
            json={
                "clientId": self.app_key,
                "clientSecret": self.app_secret,
                "subscriptions": [{"type": "CALLBACK", "topic": STREAM_TOPIC_ROBOT}],
                "ua": "realname-rasa-channels/1.0",
            },
            what="dingtalk.stream.open",
        )
        body = result.json()
        endpoint = body.get("endpoint") if isinstance(body, dict) else None
        ticket = body.get("ticket") if isinstance(body, dict) else None
        allowed = ("wss://",) if self.api_base.startswith("https://") else ("wss://", "ws://")
        if not isinstance(endpoint, str) or not endpoint.startswith(allowed) or not ticket:
            raise DeliveryError("dingtalk.stream.open", "no usable endpoint/ticket in answer", 1)
        sep = "&" if "?" in endpoint else "?"
        return f"{endpoint}{sep}ticket={urllib.parse.quote_plus(str(ticket))}"

    async def run_forever(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> None:
        """Keeps one stream connection open; reconnects with exponential back-off. Cancel to stop.

        In a cluster only the instance holding the lease (channels.leader) connects; the others wait
        and take over when the holder stops renewing it."""
        import websockets  # rasa's pinned websockets 10.x

        from channels.leader import lease_for

        lease = self.lease = lease_for(f"dingtalk-stream:{self.app_key}", ttl=self.lease_seconds)
        delay = self.reconnect_min
        try:
            while True:
                await lease.acquire()
                lost: Optional["asyncio.Task"] = None
                try:
                    url = await self.open_connection()
                    async with websockets.connect(url, open_timeout=15, ping_interval=30, max_size=MAX_FRAME_BYTES) as ws:
                        self.connected = True
                        self.connections += 1
                        delay = self.reconnect_min
                        logger.info("dingtalk.stream.connected n=%d", self.connections)
                        lost = asyncio.ensure_future(lease.lost())
                        lost.add_done_callback(lambda _task, ws=ws: asyncio.ensure_future(ws.close()))
                        async for raw in ws:
                            if await self.handle_frame(ws, raw, on_new_message) == "disconnect":
                                logger.info("dingtalk.stream.disconnect_requested")
                                break
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - any failure: log and reconnect
                    logger.warning("dingtalk.stream.error error=%s: %s", type(e).__name__, str(e)[:200])
                finally:
                    self.connected = False
                    if lost is not None and not lost.done():
                        lost.cancel()
                if lease.held:
                    logger.info("dingtalk.stream.reconnect in=%.1fs", delay)
                    await asyncio.sleep(delay)
                    delay = min(self.reconnect_max, delay * 2)
        finally:
            await lease.release()

    async def handle_frame(self, ws: Any, raw: Any, on_new_message: Callable[[Any], Awaitable[Any]]) -> Optional[str]:
        try:
            frame = json.loads(raw)
            frame_type = frame.get("type")
            headers = frame.get("headers") or {}
            topic = headers.get("topic")
        except (ValueError, TypeError, AttributeError):
            logger.warning("dingtalk.stream.bad_frame")
            return None
        if frame_type == "SYSTEM":
            if topic == "ping":
                await ws.send(json.dumps({"code": 200, "headers": headers, "message": "OK", "data": frame.get("data")}))
            elif topic == "disconnect":
                return "disconnect"
            return None
        ack_headers = {"contentType": "application/json", "messageId": headers.get("messageId")}
        if frame_type != "CALLBACK" or topic != STREAM_TOPIC_ROBOT:
            logger.info("dingtalk.stream.ignored type=%s topic=%s", str(frame_type)[:16], str(topic)[:64])
            await ws.send(json.dumps({"code": 404, "headers": ack_headers, "message": "not handled", "data": "{}"}))
            return None
        # Acknowledge first: DingTalk redelivers unacknowledged messages; the work goes on in the background.
        await ws.send(json.dumps({"code": 200, "headers": ack_headers, "message": "OK", "data": json.dumps({"response": None})}))
        try:
            msg = json.loads(frame.get("data") or "")
            self.check_message(msg)
        except (ValueError, TypeError):
            logger.warning("dingtalk.stream.rejected reason=data is not JSON")
            return None
        except DingTalkRejected as e:
            logger.warning("dingtalk.stream.rejected reason=%s", e.reason)
            return None
        if self.first_time(msg):
            self.tasks.spawn(self.process(msg, on_new_message), what="dingtalk.stream.process")
        return None

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("dingtalk_stream", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not self.app_secret or not self.app_key:
                return response.json({"status": "not configured"})
            if self.connected:
                return response.json({"status": "connected"})
            standby = self.lease is not None and not self.lease.held
            return response.json({"status": "standby" if standby else "connecting"})

        @bp.listener("after_server_start")
        async def start_stream(app: Any, loop: Any) -> None:
            if not self.app_secret or not self.app_key:
                logger.warning("dingtalk.stream.not_started missing DINGTALK_APP_KEY or DINGTALK_APP_SECRET")
                return
            self._task = asyncio.ensure_future(self.run_forever(on_new_message))

        @bp.listener("before_server_stop")
        async def stop_stream(app: Any, loop: Any) -> None:
            if self._task is not None:
                self._task.cancel()
                try:
                    await self._task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001
                    pass

        return bp
