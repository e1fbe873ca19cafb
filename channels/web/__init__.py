"""Web help page channel.

Routes (under ``/webhooks/web``):

- ``GET  /``              the Chinese help page with the chat panel (static files served from ./static, no CDN)
- ``GET  /static/<name>`` the page's script and style sheet
- ``POST /webhook``       JSON ``{"sender": "...", "message": "..."}`` → JSON list of bot messages
- ``POST /upload``        multipart ``sender`` + ``file`` (one image) → saved with realname.image_store, then
  ``/check_image{"image_ref": "<ref>"}`` goes to Rasa → JSON list of bot messages. When the picture has only
  problems a re-save fixes, one message is ``{"custom": {"compliant_copy": {"ref": ..., "filename": ...}}}``
- ``GET  /copy/<ref>``     that compliant copy as a JPEG attachment, served once and then deleted; 404 with
  ``{"error": "副本已过期，请重新上传图片"}`` for an unknown, used or malformed ref

Uploads and copies older than image_store.COPY_LIFETIME_SECONDS are purged at the start of each upload or copy request.

Errors are JSON ``{"error": "<中文说明>"}`` with a 4xx status. The page renders every text with
``textContent`` only, and a Content-Security-Policy forbids inline script as a second guard.
"""

import json
import logging
import os
import re
import urllib.parse
from typing import Any, Awaitable, Callable, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import InputChannel

from channels.images import (
    ACCEPTED_FORMATS,
    check_image_text,
    image_error_text,
    image_extension,
    image_too_big_text,
    is_reserved_command,
    save_image,
)
from channels.log_privacy import short_id
from channels.rasa_bridge import agent_tracker_store, ask_rasa, request_id
from channels.rate_limit import ChannelLimiter, Limits, Verdict, client_address
from channels.replies import limited_reply, reply, reply_languages
from channels.settings import cfg_number
from realname.image_check import sniff_image_format
from realname import image_store

logger = logging.getLogger(__name__)

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "application/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data: blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: A compliant copy's ref exactly as image_store.save_upload names it (32 hex digits + ".jpg"); anything
#: else (other names, "..", "%2e%2e", absolute paths) is refused before the store is touched.
COPY_REF_PATTERN = re.compile(r"[0-9a-f]{32}\.jpg")

# A broken client's errors, in Chinese; what a customer can meet is in knowledge/findings/channels.yml.
E_CONTENT_TYPE_JSON = "请求格式错误：请以 JSON 格式（Content-Type: application/json）发送消息。"
E_BAD_JSON = "请求格式错误：内容不是有效的 JSON。"
E_NOT_OBJECT = "请求格式错误：请发送形如 {\"sender\": \"...\", \"message\": \"...\"} 的 JSON 对象。"
E_SENDER = "会话编号无效：请刷新页面后重试。"
E_BODY_TOO_LARGE = "请求内容过大，请精简后再发送。"
E_COPY_GONE = "副本已过期，请重新上传图片"
E_CONTENT_TYPE_UPLOAD = "上传格式错误：请通过页面上的「上传证件照片」按钮上传图片（multipart/form-data）。"


def _error(message: str, status: int) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers={"Cache-Control": "no-store"}, ensure_ascii=False)


def _limited(kind: str, verdict: Verdict, language: str) -> HTTPResponse:
    answer = _error(limited_reply(kind, verdict.retry_after, language), 429)
    answer.headers["Retry-After"] = str(max(1, int(verdict.retry_after + 0.999)))
    return answer


def _purge_stale_images() -> None:
    """Deletes copies nobody downloaded (and uploads a crash left behind). Never fails the request."""
    try:
        removed = image_store.purge_older_than(image_store.COPY_LIFETIME_SECONDS)
    except Exception as e:  # noqa: BLE001 - an unsafe store is reported by the save/load that follows
        logger.warning("web.purge.failed error=%s", type(e).__name__)
        return
    if removed:
        logger.info("web.purge.removed count=%d", removed)


def _copy_response(ref: str) -> HTTPResponse:
    """The stored copy `ref` as a one-time JPEG download (deleted here), or a Chinese 404 (the page's link is
    followed by the page's script, which shows the page's own Chinese text)."""
    if not COPY_REF_PATTERN.fullmatch(ref):
        return _error(E_COPY_GONE, 404)
    try:
        data, _ = image_store.load(ref)
    except image_store.ImageStoreError:
        return _error(E_COPY_GONE, 404)
    # Load and discard run without an await in between, so two requests cannot both get the copy.
    image_store.discard(ref)
    quoted = urllib.parse.quote(image_store.COPY_FILENAME)
    headers = {
        "Content-Disposition": f"attachment; filename=\"compliant-copy.jpg\"; filename*=UTF-8''{quoted}",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return response.raw(data, content_type="image/jpeg", headers=headers)


def _load_static() -> Dict[str, bytes]:
    files = {}
    for name in STATIC_TYPES:
        with open(os.path.join(STATIC_DIR, name), "rb") as f:
            files[name] = f.read()
    return files


class WebInput(InputChannel):
    """The help page and its JSON endpoints."""

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> "WebInput":
        credentials = credentials or {}
        return cls(
            max_message_chars=int(cfg_number(credentials, "max_message_chars", 5000)),
            max_upload_bytes=int(cfg_number(credentials, "max_upload_bytes", 10 * 1024 * 1024)),
            max_json_bytes=int(cfg_number(credentials, "max_json_bytes", 64 * 1024)),
            limits=Limits.from_credentials(credentials),
        )

    def __init__(
        self,
        max_message_chars: int = 5000,
        max_upload_bytes: int = 10 * 1024 * 1024,
        max_json_bytes: int = 64 * 1024,
        limits: Optional[Limits] = None,
    ) -> None:
        self.max_message_chars = max_message_chars
        self.max_upload_bytes = max_upload_bytes
        # A character takes up to 12 bytes in JSON ("\\ud83d\\ude00"), so a message at the limit always fits.
        self.max_json_bytes = max(max_json_bytes, max_message_chars * 12 + 4096)
        self.limiter = ChannelLimiter(self.name(), limits or Limits())
        # Read by service/http_guard before a body is read (a multipart upload carries a little more).
        self.body_limits = {"/webhook": self.max_json_bytes, "/upload": max_upload_bytes + 64 * 1024}
        self.static = _load_static()

    # ---------------------------------------------------------------------------------------------
    # Request checks, kept free of Sanic so they can be tested directly.

    def parse_message(self, content_type: str, body: bytes) -> Any:
        """(sender, text) from a /webhook request, or an (error text, status) pair."""
        if (content_type or "").split(";")[0].strip().lower() != "application/json":
            return None, (E_CONTENT_TYPE_JSON, 415)
        if len(body) > self.max_json_bytes:
            return None, (E_BODY_TOO_LARGE, 413)
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None, (E_BAD_JSON, 400)
        if not isinstance(data, dict):
            return None, (E_NOT_OBJECT, 400)
        sender = data.get("sender")
        if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
            return None, (E_SENDER, 400)
        message = data.get("message")
        text = message.strip() if isinstance(message, str) else ""
        # What a customer can meet from here on is said in the customer's language.
        language = reply_languages.language(self.sender_id(sender), text[:1000])
        if message is not None and not isinstance(message, str):
            return None, (reply("channel_message_not_text", language), 400)
        if not text:
            return None, (reply("channel_message_empty", language), 400)
        if len(text) > self.max_message_chars:
            return None, (reply("channel_message_too_long", language, limit=self.max_message_chars), 413)
        if is_reserved_command(text):
            return None, (reply("web_reserved_command", language), 400)
        return (sender, text), None

    def language(self, sender: str, text: str = "") -> str:
        return reply_languages.language(self.sender_id(sender), text)

    @staticmethod
    def sender_id(sender: str) -> str:
        # Prefixed, so a web visitor can never reach another channel's conversation.
        return "web-" + sender

    # ---------------------------------------------------------------------------------------------

    def _static_response(self, name: str) -> HTTPResponse:
        return response.raw(self.static[name], content_type=STATIC_TYPES[name], headers=SECURITY_HEADERS)

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("web_help_page", __name__)

        @bp.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                # The page loads "static/..." relative to itself: keep the trailing slash.
                return response.redirect(request.path + "/", status=301)
            return self._static_response("index.html")

        @bp.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_TYPES or name == "index.html":
                return _error("找不到这个文件。", 404)
            return self._static_response(name)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            parsed, err = self.parse_message(request.content_type, request.body or b"")
            if err:
                logger.info("web.message.rejected status=%d", err[1])
                return _error(*err)
            sender, text = parsed
            verdict = await self.limiter.message(sender, client_address(request))
            if not verdict.allowed:
                return _limited("message", verdict, self.language(sender, text))
            messages = await ask_rasa(
                on_new_message, text, sender_id=self.sender_id(sender), input_channel=self.name(),
                message_id=request_id(request), tracker_store=agent_tracker_store(request),
            )
            return response.json(messages, headers={"Cache-Control": "no-store"}, ensure_ascii=False)

        @bp.route("/upload", methods=["POST"])
        async def upload(request: Request) -> HTTPResponse:
            _purge_stale_images()
            ctype = (request.content_type or "").split(";")[0].strip().lower()
            if ctype != "multipart/form-data":
                return _error(E_CONTENT_TYPE_UPLOAD, 415)
            if len(request.body or b"") > self.max_upload_bytes + 64 * 1024:
                return _error(image_too_big_text(self.max_upload_bytes), 413)
            sender = request.form.get("sender") if request.form else None
            if not isinstance(sender, str) or not SENDER_PATTERN.match(sender):
                return _error(E_SENDER, 400)
            verdict = await self.limiter.upload(sender, client_address(request))
            if not verdict.allowed:
                return _limited("upload", verdict, self.language(sender))
            files: List[Any] = (request.files.getlist("file") if request.files else None) or []
            if len(files) != 1 or not files[0].body:
                return _error(reply("web_no_file", self.language(sender)), 400)
            upload_file = files[0]
            data: bytes = upload_file.body
            if len(data) > self.max_upload_bytes:
                return _error(image_too_big_text(self.max_upload_bytes, self.language(sender)), 413)
            image_format = sniff_image_format(data)
            if image_format not in ACCEPTED_FORMATS:
                logger.info("web.upload.rejected sender=%s reason=not an accepted image (%s)", short_id(sender),
                            image_format or "unknown")
                return _error(reply("web_not_an_image", self.language(sender)), 415)
            filename = (os.path.basename((upload_file.name or "").replace("\\", "/"))[:120]
                        or f"upload.{image_extension(image_format)}")
            try:
                ref = await save_image(data, filename)
            except Exception as e:  # noqa: BLE001 - the store's errors become a Chinese answer
                logger.warning("web.upload.rejected sender=%s error=%s", short_id(sender), type(e).__name__)
                return _error(image_error_text(e, self.language(sender)), 422)
            logger.info("web.upload.saved sender=%s bytes=%d format=%s", short_id(sender), len(data), image_format)
            messages = await ask_rasa(
                on_new_message,
                check_image_text(ref),
                sender_id=self.sender_id(sender),
                input_channel=self.name(),
            )
            return response.json(messages, headers={"Cache-Control": "no-store"}, ensure_ascii=False)

        @bp.route("/copy/<ref>", methods=["GET"])
        async def copy(request: Request, ref: str) -> HTTPResponse:
            _purge_stale_images()
            answer = _copy_response(ref)
            logger.info("web.copy.%s status=%d", "served" if answer.status == 200 else "refused", answer.status)
            return answer

        return bp
