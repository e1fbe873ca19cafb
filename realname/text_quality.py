"""Is a message something a person could have meant (not empty, emoji-only, or binary noise)?"""
from __future__ import annotations

import unicodedata

# Fewer readable characters than this, relative to the message, means noise.
MIN_READABLE_SHARE = 0.3


def readable_characters(text: str) -> int:
    """Letters and digits of any script (CJK included); emoji, symbols and control bytes are not."""
    return sum(1 for char in text if unicodedata.category(char)[0] in ("L", "N"))


def looks_meaningless(text: str | None) -> bool:
    text = (text or "").strip()
    if not text:
        return True
    readable = readable_characters(text)
    if readable == 0:
        return True
    if "\ufffd" in text or any(unicodedata.category(c) in ("Cc", "Co", "Cs") and c not in "\n\r\t" for c in text):
        return readable / len(text) < MIN_READABLE_SHARE * 2
    return readable / len(text) < MIN_READABLE_SHARE
