"""Traditional → simplified Chinese script, for reading what customers type (no Rasa import).

One function, to_simplified(), used by the NLU pipeline (components/simplified_chinese.py) and by the fact
extraction (realname/facts.py), so both read 證件電子信息核驗不合格 / 庫中無此號 / 臺灣 as
证件电子信息核验不合格 / 库中无此号 / 台湾.

The converter is OpenCC (the `opencc` package, pinned in requirements.txt) with its hk2s configuration:
Hong Kong variant characters (衞, 衹, …) first, then OpenCC's traditional → simplified phrase and character
tables. Taiwan spellings (臺, 裡, …) are in those tables too. tw2s is not used: its Taiwan variant table also
rewrites simplified text (么 → 幺), and the input is mostly simplified already. Only the script changes, not
the vocabulary (資訊 stays 资讯, not 信息): the wording of the official messages is for the NLU to learn.

Guarantees, which callers rely on:
- only CJK ideographs change; ASCII, digits (full-width too), punctuation and spaces are left as typed;
- the result has the same length as the input, character for character, so offsets (entity spans, blanked
  spans) stay valid;
- a domain whose top-level label is written in traditional script (張三.中國, abc.網絡) is left as typed:
  中國 and 中国 are different top-level domains (see realname.regions), and the customer's domain is a
  fact to repeat exactly. Only those labels (_TRADITIONAL_TLDS) count, so 「想註冊.cn」, 「個人能註冊.中国嗎」
  and 「不合格.請重試」 are converted. The ideographs right before such a label are kept whole (「域名是張三.中國」:
  where the name starts is for realname.facts to find), so 「想註冊.中國」 stays traditional;
- simplified text comes back unchanged (checked on the project's training data).
"""
from __future__ import annotations

import re
from functools import lru_cache

CONVERTER_CONFIG = "hk2s"

# CJK Unified Ideographs, Extension A, Compatibility Ideographs, and the supplementary planes (Ext. B onwards).
_IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RUN = re.compile(f"[{_IDEOGRAPH}]+")
# Chinese top-level domain labels written in traditional script (realname.facts._DOMAIN_TLD: 中國, 網絡).
_TRADITIONAL_TLDS = ("中國", "網絡", "在線", "網址", "手機", "集團", "我愛你", "網店", "遊戲", "企業", "廣東", "台灣",
                     "臺灣", "澳門")
_IDN_TLD = re.compile("|".join(sorted(_TRADITIONAL_TLDS, key=len, reverse=True)))
_DOTS = ".．"  # 「。」 ends sentences, so it joins no labels here


@lru_cache(maxsize=1)
def _converter():
    import opencc  # imported on first use: the module can be imported without loading the dictionaries

    return opencc.OpenCC(CONVERTER_CONFIG)


def to_simplified(text: str) -> str:
    """`text` with traditional Chinese characters in simplified script (see the module docstring)."""
    if not text or not _CJK_RUN.search(text):
        return text
    return _CJK_RUN.sub(lambda run: _convert_run(text, run), text)


def _convert_run(text: str, run: re.Match) -> str:
    original = run.group(0)
    start, end = run.span()
    if end < len(text) and text[end] in _DOTS and _IDN_TLD.match(text, end + 1):
        return original  # the name (and the words before it) of 張三.中國: keep as typed
    if start > 0 and text[start - 1] in _DOTS:
        tld = _IDN_TLD.match(original)
        if tld:  # 網絡 of abc.網絡審核沒過: keep the label, convert the rest
            return original[:tld.end()] + _convert(original[tld.end():]) if tld.end() < len(original) else original
    return _convert(original)


@lru_cache(maxsize=4096)
def _convert(run: str) -> str:
    converted = _converter().convert(run)
    if len(converted) == len(run):
        return converted
    # A phrase table entry of another length: convert character by character so offsets stay valid.
    chars = []
    for char in run:
        single = _converter().convert(char)
        chars.append(single if len(single) == 1 else char)
    return "".join(chars)
