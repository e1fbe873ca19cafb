"""Masking of resident ID numbers and credit codes before they reach logs or replies.

Format (documented choice): the first 4 and last 4 characters stay, the middle becomes a fixed 8 asterisks,
e.g. 110101199003070022 → 1101********0022. A fixed width hides the length as well; numbers of 8 characters or
fewer are masked completely (keeping 4 + 4 would show all of them).
"""

from __future__ import annotations

import re
import unicodedata

from realname.id_numbers import COPY_NUMBER, find_number_candidates

KEEP_HEAD = 4
KEEP_TAIL = 4
MASK = "*" * 8


def mask_number(number: str) -> str:
    """'110101199003070022' → '1101********0022'. A copy number such as (1-1), spaces and hyphens are dropped and
    full-width characters normalised first; letter case is kept."""
    compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", COPY_NUMBER.sub("", number or "")))
    if len(compact) <= KEEP_HEAD + KEEP_TAIL:
        return "*" * len(compact)
    return compact[:KEEP_HEAD] + MASK + compact[-KEEP_TAIL:]


def mask_in_text(text: str) -> str:
    """Mask every ID-/credit-code-like token in `text` (grouped forms such as 「1101 0119 …」 too).

    A copy number written after a credit code (「…(1-1)」) is kept: it identifies nobody."""
    if not text:
        return text
    parts = []
    position = 0
    for candidate in find_number_candidates(text):
        parts.append(text[position:candidate.start])
        parts.append(mask_number(text[candidate.start:candidate.number_end]))
        parts.append(text[candidate.number_end:candidate.end])  # a trailing copy number stays as typed
        position = candidate.end
    parts.append(text[position:])
    return "".join(parts)

