"""Pictures users send: recognising them, storing them for the image check, the texts about them.

DingTalk and WeCom share one path, :func:`picture_to_check_text` (download → recognise → size limit →
store → the ``/check_image{"image_ref": ...}`` text for Rasa, or a reply when a step fails);
the web page's upload route uses the same pieces. The format comes from
:func:`realname.image_check.sniff_image_format`, the one signature sniffer of the project.

The replies are findings (knowledge/findings/images.yml) rendered in `language`. An upload carries no
text to detect a language from, so callers that do not know the conversation's language get Chinese.
"""

import asyncio
import json
import logging
from typing import Awaitable, Callable, Optional

from channels.http_client import DeliveryError
from channels.log_privacy import short_id
from realname import image_store
from realname.findings import Finding, finding, render
from realname.image_check import SUPPORTED_FORMATS, sniff_image_format

logger = logging.getLogger(__name__)

CHECK_IMAGE_INTENT = "/check_image"
#: The formats the upload rules allow (Pillow's names, as sniff_image_format reports them).
ACCEPTED_FORMATS = tuple(SUPPORTED_FORMATS)
#: The file extension a stored picture gets for its format (the image check compares name and content).
_EXTENSIONS = {"JPEG": "jpeg", "HEIF": "heic"}


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


def image_extension(image_format: Optional[str]) -> str:
    """The file extension for a sniffed format: "jpeg", "png", "heic", "avif" ...; "bin" when unknown."""
    if not image_format:
        return "bin"
    return _EXTENSIONS.get(image_format, image_format.lower())


async def save_image(data: bytes, filename: str) -> str:
    """Stores an uploaded image with realname.image_store (in a thread) and returns its ref."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, image_store.save_upload, data, filename)


def image_error_text(exc: BaseException, language: str = "zh") -> str:
    """The reply to a failed image save, in `language`: the store's own finding when the error has one."""
    found = getattr(exc, "finding", None)  # image_store.ImageStoreError
    if not isinstance(found, Finding):
        found = finding("image_upload_unusable" if isinstance(exc, ValueError) else "image_upload_save_failed")
    return render(found, language)


def image_too_big_text(limit_bytes: int, language: str = "zh") -> str:
    return render(finding("image_upload_too_big", limit_mb=limit_bytes // (1024 * 1024)), language)


async def picture_to_check_text(
    download: Callable[[], Awaitable[bytes]],
    *,
    channel: str,
    picture_id: str,
    user: str,
    max_bytes: int,
    say: Callable[[str], Awaitable[None]],
    language: str = "zh",
) -> Optional[str]:
    """A picture a chat-app user sent, as the text that asks Rasa to check it.

    `download()` fetches the bytes (bounded by `max_bytes`, raising DeliveryError); the picture is
    stored under a name from `picture_id` with the extension of its real format. When a step fails
    it is logged, the user is told with `say(text)` in `language`, and None is returned."""
    tag = short_id(user)
    try:
        data = await download()
    except DeliveryError as e:
        logger.error("%s.picture.failed user=%s reason=%s", channel, tag, e)
        if e.too_large:
            await say(image_too_big_text(max_bytes, language))
        else:
            await say(render(finding("image_upload_failed"), language))
        return None
    if len(data) > max_bytes:
        logger.warning("%s.picture.rejected user=%s bytes=%d (too large)", channel, tag, len(data))
        await say(image_too_big_text(max_bytes, language))
        return None
    image_format = sniff_image_format(data)
    try:
        ref = await save_image(data, f"{channel}-{short_id(picture_id)}.{image_extension(image_format)}")
    except Exception as e:  # noqa: BLE001 - the store's errors become a reply
        logger.warning("%s.picture.rejected user=%s error=%s", channel, tag, type(e).__name__)
        await say(image_error_text(e, language))
        return None
    logger.info("%s.picture.saved user=%s bytes=%d format=%s", channel, tag, len(data), image_format or "unknown")
    return check_image_text(ref)
