"""The REST channel (`POST /webhooks/rest/webhook`, `{"sender": "...", "message": "..."}` → list of messages).

Rasa's own REST channel, with what a public route needs (its JSON contract is unchanged; the
`stream` and `input_channel` options are not offered):

- a message longer than `max_message_chars` is refused with HTTP 413 before Rasa sees it (one 40 MB
  message once held the NLU for ten minutes), a rate limit per sender and per client address
  answers HTTP 429, and a body that is not a JSON object answers 400 — each with the reason as a
  bot message in the customer's language (channels/replies.py), so a client that shows the messages (`rasa shell`) shows it;
- an empty or whitespace-only text is passed on as a zero-width space: Rasa's processor drops an
  empty text and the user would see nothing; the NLU treats it like unreadable input
  (components/linear_intent_classifier.py) and the assistant asks for the rejection message;
- when Rasa fails, the user gets channels.replies.fallback_reply (in the language of the message) instead of an empty list.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rasa_bridge import agent_tracker_store, ask_rasa, request_id
from channels.rate_limit import ChannelLimiter, Limits, client_address
from channels.replies import limited_reply, reply, reply_languages
from channels.settings import cfg_number

logger = logging.getLogger(__name__)

UNREADABLE = "\u200b"
E_BAD_REQUEST = "请求格式错误：请发送形如 {\"sender\": \"...\", \"message\": \"...\"} 的 JSON 对象。"
E_SENDER = "请求格式错误：sender 必须是 1 到 128 个字符的文字。"


class RestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "RestInput":
        credentials = credentials or {}
        return cls(
            max_message_chars=int(cfg_number(credentials, "max_message_chars", 5000)),
            limits=Limits.from_credentials(credentials),
        )

    def __init__(self, max_message_chars: int = 5000, limits: Optional[Limits] = None) -> None:
        self.max_message_chars = max_message_chars
        self.limiter = ChannelLimiter(self.name(), limits or Limits())
        # Read by service/http_guard before the body: a character takes up to 12 bytes in JSON ("\\ud83d\\ude00").
        self.body_limits = {"/webhook": max_message_chars * 12 + 4096}

    @staticmethod
    def _reply(sender: Any, text: str, status: int) -> HTTPResponse:
        recipient = sender if isinstance(sender, str) else ""
        return response.json(
            [{"recipient_id": recipient, "text": text}], status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    def parse(self, body: bytes) -> Any:
        """(sender, text, metadata) or an error answer (text, status, sender)."""
        try:
            data = json.loads((body or b"").decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None, (E_BAD_REQUEST, 400, None)
        if not isinstance(data, dict):
            return None, (E_BAD_REQUEST, 400, None)
        sender = data.get("sender", "default")
        if not isinstance(sender, str) or not 0 < len(sender) <= 128:
            return None, (E_SENDER, 400, None)
        text = data.get("message")
        if text is not None and not isinstance(text, str):
            return None, (E_BAD_REQUEST, 400, sender)
        text = text or ""
        if len(text) > self.max_message_chars:
            too_long = reply("channel_message_too_long", reply_languages.language(sender, text[:1000]),
                             limit=self.max_message_chars)
            return None, (too_long, 413, sender)
        metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else None
        return (sender, text if text.strip() else UNREADABLE, metadata), None

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("rest_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            parsed, err = self.parse(request.body)
            if err:
                logger.info("rest.message.rejected status=%d", err[1])
                return self._reply(err[2], err[0], err[1])
            sender, text, metadata = parsed
            verdict = await self.limiter.message(sender, client_address(request))
            if not verdict.allowed:
                language = reply_languages.language(sender, text)
                answer = self._reply(sender, limited_reply("message", verdict.retry_after, language), 429)
                answer.headers["Retry-After"] = str(max(1, int(verdict.retry_after + 0.999)))
                return answer
            messages: List[Dict[str, Any]] = await ask_rasa(
                on_new_message, text, sender_id=sender, input_channel=self.name(), metadata=metadata,
                message_id=request_id(request), tracker_store=agent_tracker_store(request),
            )
            return response.json(messages, dumps=lambda o: json.dumps(o, ensure_ascii=False))

        return bp
