"""What the DingTalk and WeCom channels share between reading a message and sending the answer.

Each of them only parses and verifies its requests, downloads pictures and sends texts through its
own API; :class:`ChatAppDialogue` does the rest the same way for both: a digit or title typed in
answer to numbered buttons becomes the button's payload, a typed reserved command is refused, the
rate limits apply (the user is told once), long texts are cut, pictures go through
:func:`channels.images.picture_to_check_text`, and Rasa's answer becomes one :class:`Turn`.
"""

from typing import Any, Awaitable, Callable, Dict, List, Optional

from channels.buttons import ButtonMemory, Turn, compose_turn
from channels.images import is_reserved_command, picture_to_check_text
from channels.rasa_bridge import ask_rasa
from channels.rate_limit import ChannelLimiter, Limits, Verdict
from channels.replies import limited_reply, reply, reply_languages
from realname.domain_api import FED_BACK_SOURCE

#: Longest text a chat app hands to Rasa (longer ones are cut: chat apps show no error form).
MAX_TEXT_CHARS = 5000

Say = Callable[[str], Awaitable[None]]


class ChatAppDialogue:
    """One chat-app channel's side of the dialogue with Rasa. `app` ("dingtalk", "wecom") prefixes
    sender ids, stored picture names and log events; `input_channel` is the Rasa channel name.
    `say(text)` arguments send a plain text answer to the user the call is about."""

    def __init__(self, app: str, input_channel: str, limits: Limits, max_image_bytes: int) -> None:
        self.app = app
        self.input_channel = input_channel
        self.limiter = ChannelLimiter(input_channel, limits)
        self.max_image_bytes = max_image_bytes
        self.buttons = ButtonMemory()

    async def text_for_rasa(self, user: str, text: str, say: Say) -> Optional[str]:
        """The text to hand to Rasa for what the user typed, or None (the user was told why)."""
        choice = self.buttons.resolve(user, text)
        if choice is not None:
            text = choice
        elif is_reserved_command(text):
            await say(reply("channel_reserved_command", self.language(user, text)))
            return None
        if not text:
            return None
        verdict = await self.limiter.message(user)
        if not verdict.allowed:
            await self._say_limited("message", verdict, user, say, text)
            return None
        return text[:MAX_TEXT_CHARS]

    async def picture_for_rasa(
        self, user: str, picture_id: str, download: Callable[[], Awaitable[bytes]], say: Say
    ) -> Optional[str]:
        """The /check_image text for a picture the user sent, or None (the user was told why)."""
        verdict = await self.limiter.upload(user)
        if not verdict.allowed:
            await self._say_limited("upload", verdict, user, say)
            return None
        return await picture_to_check_text(
            download, channel=self.app, picture_id=picture_id, user=user,
            max_bytes=self.max_image_bytes, say=say, language=self.language(user),
        )

    async def ask(
        self,
        on_new_message: Callable[[Any], Awaitable[Any]],
        user: str,
        text: str,
        metadata: Dict[str, Any],
        message_id: Optional[str] = None,
        staff_id: Optional[str] = None,
    ) -> Turn:
        """Runs `text` through Rasa for `user` and returns the answer; its buttons are remembered.

        `staff_id` is the platform's id of the person writing (default `user`); the staff bot's domain
        lookup (actions/domain_lookup.py) reads it. The reason such a lookup found goes through Rasa
        right away as if it had been pasted, and its answer follows the lookup's."""
        metadata = {**metadata, "staff_id": staff_id or user}
        messages = await ask_rasa(
            on_new_message,
            text,
            sender_id=self.sender_id(user),
            input_channel=self.input_channel,
            metadata=metadata,
            message_id=message_id,
        )
        found = registrar_reason(messages)
        if found is not None:
            messages = [m for m in messages if not _is_registrar_reason(m)] + await ask_rasa(
                on_new_message,
                found,
                sender_id=self.sender_id(user),
                input_channel=self.input_channel,
                metadata={**metadata, "source": FED_BACK_SOURCE},
                message_id=f"{message_id}:registrar" if message_id else None,
            )
        turn = compose_turn(messages)
        self.buttons.remember(user, turn.buttons)
        return turn

    def sender_id(self, user: str) -> str:
        return f"{self.app}-{user}"

    def language(self, user: str, text: str = "") -> str:
        """The language of a reply the channel gives `user` itself (channels.replies)."""
        return reply_languages.language(self.sender_id(user), text)

    async def _say_limited(self, kind: str, verdict: Verdict, user: str, say: Say, text: str = "") -> None:
        if self.limiter.first_refusal(user):
            await say(limited_reply(kind, verdict.retry_after, self.language(user, text)))


def _is_registrar_reason(message: Dict[str, Any]) -> bool:
    custom = message.get("custom")
    return isinstance(custom, dict) and "registrar_reason" in custom


def registrar_reason(messages: List[Dict[str, Any]]) -> Optional[str]:
    """The reason text a staff bot's domain lookup found in this answer, if any."""
    for message in messages:
        if _is_registrar_reason(message):
            text = str((message["custom"]["registrar_reason"] or {}).get("text") or "").strip()
            return text[:500] or None
    return None
