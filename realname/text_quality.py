"""Is a message something a person could have meant (not empty, emoji-only, or binary noise)?"""
from __future__ import annotations

import unicodedata

# Fewer readable characters than this share of the message means noise.
MIN_READABLE_SHARE = 0.3
# Bytes decoded as text carry control or replacement characters: then demand twice the share.
NOISY_FACTOR = 2


def readable_characters(text: str) -> int:
    """Letters and digits of any script (CJK included); emoji, symbols and control bytes are not."""
    return sum(1 for char in text if unicodedata.category(char)[0] in ("L", "N"))


def _looks_like_bytes(text: str) -> bool:
    return any(
        char == "\ufffd" or (unicodedata.category(char) in ("Cc", "Co", "Cs") and char not in "\n\r\t")
        for char in text
    )


def looks_meaningless(text: str | None) -> bool:
    text = (text or "").strip()
    if not text:
        return True
    needed = MIN_READABLE_SHARE * (NOISY_FACTOR if _looks_like_bytes(text) else 1)
    return readable_characters(text) / len(text) < needed
