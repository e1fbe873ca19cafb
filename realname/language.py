"""Which language to answer in: Chinese (zh) or English (en), from what the customer writes.

Rules (no Rasa import):
- a button's intent payload (/ask_human) says nothing; a message with Chinese characters is Chinese;
- domains, URLs, e-mail addresses and codes with digits (abc.cn, 91350100M000100Y43) are no words of a language; one with English words (two letters or more) and no Chinese
  is English when it is plain ASCII text (at least 90 % of its visible characters); one with neither (a number,
  a date, emoji, binary junk) keeps the conversation's language;
- an explicit choice — 「English」「英文」「switch to English」 or 「中文」「Chinese」「说中文」 — sets the language
  for the rest of the conversation: later messages in the other script do not switch it back.
Official codes such as `Identity.Uncertified` or `serverHold` inside a Chinese sentence do not make it English.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

ZH = "zh"
EN = "en"
LANGUAGES = (ZH, EN)

ENGLISH_SHARE = 0.9  # of the visible characters, plain printable ASCII
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]{2,}")
_NOT_WORDS = re.compile(r"\S*[.@/:]\S*[A-Za-z0-9]\S*|\S*\d\S*")
# Short commands that choose a language, the whole message (punctuation and "please" around them allowed).
_CHOOSE = {
    EN: re.compile(r"^\s*(?:(?:please\s+)?(?:switch|change)\s+to\s+english|(?:in\s+)?english(?:\s+please)?|"
                   r"speak\s+english|英文|用英文|说英文|英语|用英语|请用英文(?:回答|回复)?)\s*[.!。！]?\s*$", re.I),
    ZH: re.compile(r"^\s*(?:(?:please\s+)?(?:switch|change)\s+to\s+chinese|(?:in\s+)?chinese(?:\s+please)?|"
                   r"中文|用中文|说中文|请用中文(?:回答|回复)?|讲中文|汉语|中文回复)\s*[.!。！]?\s*$", re.I),
}


def explicit_choice(text: str) -> Optional[str]:
    """EN or ZH when the message is a request to answer in that language, else None."""
    for language, pattern in _CHOOSE.items():
        if pattern.match(text or ""):
            return language
    return None


def detect(text: str) -> Optional[str]:
    """The language a message is written in, or None when it says nothing about it."""
    text = text or ""
    if text.lstrip().startswith("/"):
        return None  # a button's intent payload (/ask_human) is in no language
    if _CJK.search(text):
        return ZH
    visible = [char for char in text if not char.isspace()]
    plain = sum(1 for char in visible if char.isascii() and char.isprintable())
    # Words, not names of things: a domain (abc.cn), a URL or e-mail, a number or code with digits
    # (91350100M000100Y43, 0086) is typed the same in any language.
    words = _WORD.findall(_NOT_WORDS.sub(" ", text))
    # English words in plain ASCII; binary junk or other scripts (ä, é, ¤…) with a few letters say nothing
    if words and plain >= ENGLISH_SHARE * len(visible):
        return EN
    return None


def next_language(text: str, current: Optional[str], chosen: bool) -> Tuple[str, bool]:
    """(language to answer in, whether it was chosen explicitly) after the customer's message `text`."""
    choice = explicit_choice(text)
    if choice:
        return choice, True
    if chosen and current in LANGUAGES:
        return current, True
    return detect(text) or (current if current in LANGUAGES else ZH), False
