"""Holder-name and country-code checks.

Source (aliyun-realname-failures.zh.txt):
  联系人信息无效: 「当个人姓名或单位名称中含有特殊字符时，例如，圆点分隔符号（·）、书名号（《》），域名持有者名称（中文）字段
      填写时需和证件资料中的名称保持严格一致；域名持有者名称（英文）字段需删除圆点分隔符号（·）或书名号（《》）符号。」
  提交资料显示为海外用户 / 注册者信息不一致: 「如果提交英文证件，域名持有者名称（中文）处也需要填写英文，和证件内容保持严格
      一致，包括大小写，不要缩写、简写。」「尤其是形近字或同音字是否填写正确，不要使用缩写、简写。」
  注册联系人信息参数错误: 「中国的国家代码为86，建议您使用系统默认值，请勿将国内区号填入国家代码处。」

Findings have a severity: "error" – the source says this is wrong; "check" – probably wrong, the customer should
compare with the document (we cannot see the document).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ERROR = "error"
CHECK = "check"

# The separator dot the source names is U+00B7 (·). People also type look-alikes of it.
MIDDLE_DOT = "·"
DOT_LOOK_ALIKES = "•・‧∙⋅●･"
SPECIAL_CHARACTERS = MIDDLE_DOT + "《》"  # the characters the source names

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FULL_WIDTH = re.compile(r"[\uff01-\uff5e\u3000]")
_FULL_WIDTH_LATIN = re.compile(r"[\uff21-\uff3a\uff41-\uff5a\uff10-\uff19]")
_DOUBLE_SPACE = re.compile(r"\s{2,}")

# Short forms that are often written instead of the full word on the document (only a "check": the document
# itself may use the short form).
_ABBREVIATIONS = re.compile(
    r"(?<![A-Za-z])(Co|Ltd|Inc|Corp|Intl|Int'l|Dept|Univ|Assn|Mfg|Bros|Tech|Grp|Hldgs|Pte|Pty|LLC|PLC)\.?(?![A-Za-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    code: str
    message: str          # Chinese, for the customer
    severity: str = ERROR
    field: str = ""       # "chinese" | "english" | "country_code"


def _has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _without_special_characters(text: str) -> str:
    return "".join(ch for ch in text if ch not in SPECIAL_CHARACTERS + DOT_LOOK_ALIKES)


def check_names(chinese_field: str, english_field: str | None = None, document_is_english: bool = False,
                certificate_name: str | None = None) -> list[Finding]:
    """Findings for 域名持有者名称（中文）/（英文） as typed.

    document_is_english: the uploaded document is in English, so the Chinese-name field must hold the English
        name exactly as on the document.
    certificate_name: the name as printed on the document, when the customer told us – then the Chinese-name field
        is compared with it strictly.
    """
    findings: list[Finding] = []
    chinese = chinese_field or ""
    english = english_field

    if not chinese.strip():
        findings.append(Finding("chinese_empty", "请填写域名持有者名称（中文），需和证件资料上的名称保持严格一致。",
                                ERROR, "chinese"))
        return findings

    if chinese != chinese.strip() or _DOUBLE_SPACE.search(chinese):
        findings.append(Finding("chinese_extra_spaces",
                                "域名持有者名称（中文）前后或中间有多余的空格，请按证件上的名称填写。", CHECK, "chinese"))

    # A look-alike dot where the document most likely prints the separator dot (·)
    look_alike_dots = sorted({ch for ch in chinese if ch in DOT_LOOK_ALIKES})
    if look_alike_dots and _has_cjk(chinese):
        shown = "、".join(f"“{ch}”" for ch in look_alike_dots)
        findings.append(Finding(
            "chinese_dot_variant",
            f"名称中的{shown}与圆点分隔符号（·）不是同一个字符。域名持有者名称（中文）需和证件资料中的名称保持严格一致，"
            "请按证件上的符号填写。", CHECK, "chinese"))

    if document_is_english:
        findings.extend(_english_document_findings(chinese, english))

    if english is not None:
        findings.extend(_english_field_findings(english))

    if certificate_name is not None:
        findings.extend(_compare_with_certificate(chinese, certificate_name))

    return findings


def _english_field_findings(english: str) -> list[Finding]:
    findings = []
    special = sorted({ch for ch in english if ch in SPECIAL_CHARACTERS + DOT_LOOK_ALIKES})
    if special:
        shown = "、".join(f"“{ch}”" for ch in special)
        findings.append(Finding(
            "english_special_characters",
            f"域名持有者名称（英文）中含有{shown}，英文字段需删除圆点分隔符号（·）或书名号（《》）符号；"
            "中文字段仍需和证件资料中的名称保持严格一致。", ERROR, "english"))
    full_width = sorted({ch for ch in english if _FULL_WIDTH.match(ch) and ch not in SPECIAL_CHARACTERS})
    if full_width:
        shown = "、".join("全角空格" if ch == "\u3000" else f"“{ch}”" for ch in full_width)
        findings.append(Finding(
            "english_full_width",
            f"域名持有者名称（英文）中含有全角字符{shown}，请切换到英文输入法，用半角字符填写。", CHECK, "english"))
    return findings


def _english_document_findings(chinese: str, english: str | None) -> list[Finding]:
    findings = []
    if _has_cjk(chinese):
        findings.append(Finding(
            "chinese_field_not_english",
            "提交英文证件时，域名持有者名称（中文）处也需要填写英文，和证件内容保持严格一致，包括大小写，不要缩写、简写。",
            ERROR, "chinese"))
        return findings
    if _FULL_WIDTH_LATIN.search(chinese):
        findings.append(Finding(
            "chinese_field_full_width_latin",
            "域名持有者名称（中文）中的英文字母或数字是全角字符，与英文证件上的名称不一致，请用半角字符按证件填写。",
            CHECK, "chinese"))
    for m in _ABBREVIATIONS.finditer(chinese):
        findings.append(Finding(
            "possible_abbreviation",
            f"名称中的“{m.group(0)}”像是缩写。如果证件上是完整拼写，请按证件填写，不要缩写、简写。", CHECK, "chinese"))
    if english is not None and english.strip():
        expected_english = _without_special_characters(chinese)
        if english.strip() != expected_english.strip() and english.strip().lower() == expected_english.strip().lower():
            findings.append(Finding(
                "case_differs",
                "域名持有者名称的中文字段和英文字段只有大小写不同。请按证件上的大小写填写，包括大小写都需严格一致。",
                CHECK, "chinese"))
    return findings


def _compare_with_certificate(chinese: str, certificate_name: str) -> list[Finding]:
    typed, printed = chinese.strip(), certificate_name.strip()
    if typed == printed:
        return []
    if typed.lower() == printed.lower():
        return [Finding("case_differs_from_certificate",
                        f"名称的大小写与证件不一致：证件上是“{printed}”。请包括大小写在内严格一致。", ERROR, "chinese")]
    if " ".join(typed.split()) == " ".join(printed.split()):
        return [Finding("spaces_differ_from_certificate", f"名称中的空格与证件不一致：证件上是“{printed}”。", ERROR, "chinese")]
    if unicodedata.normalize("NFKC", typed) == unicodedata.normalize("NFKC", printed):
        return [Finding("width_differs_from_certificate",
                        f"名称中的全角/半角符号与证件不一致（例如括号），证件上是“{printed}”，请严格按证件填写。",
                        ERROR, "chinese")]
    if _without_special_characters(typed) == _without_special_characters(printed):
        return [Finding("special_characters_differ_from_certificate",
                        f"名称中的圆点分隔符号（·）或书名号（《》）与证件不一致，证件上是“{printed}”。"
                        "域名持有者名称（中文）字段需和证件资料中的名称保持严格一致。", ERROR, "chinese")]
    if _looks_abbreviated(typed, printed):
        return [Finding("abbreviated",
                        f"名称像是证件名称“{printed}”的缩写或简写。请填写完整名称，不要使用缩写、简写。", ERROR, "chinese")]
    return [Finding("differs_from_certificate",
                    f"名称与证件上的“{printed}”不一致。请仔细核对，尤其是形近字或同音字，需和证件资料上的名称保持严格一致。",
                    ERROR, "chinese")]


def _looks_abbreviated(typed: str, printed: str) -> bool:
    """Typed is shorter and either a prefix of the printed name (北京某某 ~ 北京某某科技有限公司) or, word by word,
    each typed word is a contraction of the printed word: same first letter, letters in order (Ltd ~ Limited,
    Hldgs ~ Holdings, Intl ~ International)."""
    if len(typed) >= len(printed):
        return False
    if printed.startswith(typed):
        return True
    typed_words = [w.strip(".,").lower() for w in typed.split()]
    printed_words = [w.strip(".,").lower() for w in printed.split()]
    if len(typed_words) != len(printed_words) or len(typed_words) < 2:
        return False
    return all(_is_contraction(t, p) for t, p in zip(typed_words, printed_words))


def _is_contraction(short: str, full: str) -> bool:
    if not short or short[0] != full[0]:
        return False
    letters = iter(full)
    return all(ch in letters for ch in short)  # `in` on an iterator consumes it: letters in order


# ---------------------------------------------------------------------------------------------------- country code

CHINA_COUNTRY_CODE = "86"


def country_code_problem(text: str, region: str | None = None) -> Finding | None:
    """A finding unless the 国家代码 field holds exactly 86, what the source asks: 「中国的国家代码为86,建议您使用
    系统默认值,请勿将国内区号填入国家代码处」. +86, 0086 and 086 (not the default's form), area codes (010, 0755)
    and other codes are all flagged with that advice; the source says nothing else about codes, so no other
    code is called right. `region` is not used: the source gives the same advice to every holder."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    advice = "中国的国家代码为86，建议您使用系统默认值。"
    if not raw:
        return Finding("country_code_empty", "请填写国家代码，" + advice, ERROR, "country_code")
    if raw == CHINA_COUNTRY_CODE:
        return None
    if not re.fullmatch(r"\+?\d+", raw):
        return Finding("country_code_not_digits", f"国家代码“{raw}”应只包含数字。" + advice, ERROR, "country_code")
    digits = raw.lstrip("+")
    if digits.lstrip("0") == CHINA_COUNTRY_CODE:
        return Finding("country_code_prefixed",
                       f"国家代码填的是“{raw}”，不是系统默认值。" + advice, ERROR, "country_code")
    if digits.startswith("0"):
        return Finding("country_code_is_area_code",
                       f"“{raw}”是国内区号，不是国家代码。中国的国家代码为86，建议您使用系统默认值，请勿将国内区号填入国家代码处。",
                       ERROR, "country_code")
    return Finding("country_code_other", f"国家代码填的是“{raw}”。" + advice, ERROR, "country_code")
