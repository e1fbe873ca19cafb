"""Holder-name and country-code checks.

Source (aliyun-realname-failures.zh.txt):
  联系人信息无效: 「当个人姓名或单位名称中含有特殊字符时，例如，圆点分隔符号（·）、书名号（《》），域名持有者名称（中文）字段
      填写时需和证件资料中的名称保持严格一致；域名持有者名称（英文）字段需删除圆点分隔符号（·）或书名号（《》）符号。」
  提交资料显示为海外用户 / 注册者信息不一致: 「如果提交英文证件，域名持有者名称（中文）处也需要填写英文，和证件内容保持严格
      一致，包括大小写，不要缩写、简写。」「尤其是形近字或同音字是否填写正确，不要使用缩写、简写。」
  注册联系人信息参数错误: 「中国的国家代码为86，建议您使用系统默认值，请勿将国内区号填入国家代码处。」

Each check has a severity: "error" – the source says this is wrong; "check" – probably wrong, the customer should
compare with the document (we cannot see the document). The words are knowledge/findings/names.yml name_*.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from realname.findings import Finding, finding

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
class NameCheck:
    finding: Finding      # what is wrong, for the customer (code name_*)
    severity: str = ERROR
    field: str = ""       # "chinese" | "english" | "country_code"


def _characters(chars: list[str]) -> Finding:
    """The characters, quoted and listed (“•”、“・”); a full-width space is named, it cannot be seen."""
    items = [finding("name_full_width_space") if ch == "\u3000" else finding("name_character", char=ch)
             for ch in chars]
    listed = items[-1]
    for item in reversed(items[:-1]):
        listed = finding("name_characters", first=item, rest=listed)
    return listed


def _has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _without_special_characters(text: str) -> str:
    return "".join(ch for ch in text if ch not in SPECIAL_CHARACTERS + DOT_LOOK_ALIKES)


def check_names(chinese_field: str, english_field: str | None = None, document_is_english: bool = False,
                certificate_name: str | None = None) -> list[NameCheck]:
    """Findings for 域名持有者名称（中文）/（英文） as typed.

    document_is_english: the uploaded document is in English, so the Chinese-name field must hold the English
        name exactly as on the document.
    certificate_name: the name as printed on the document, when the customer told us – then the Chinese-name field
        is compared with it strictly.
    """
    findings: list[NameCheck] = []
    chinese = chinese_field or ""
    english = english_field

    if not chinese.strip():
        findings.append(NameCheck(finding("name_chinese_empty"), ERROR, "chinese"))
        return findings

    if chinese != chinese.strip() or _DOUBLE_SPACE.search(chinese):
        findings.append(NameCheck(finding("name_chinese_extra_spaces"), CHECK, "chinese"))

    # A look-alike dot where the document most likely prints the separator dot (·)
    look_alike_dots = sorted({ch for ch in chinese if ch in DOT_LOOK_ALIKES})
    if look_alike_dots and _has_cjk(chinese):
        findings.append(NameCheck(finding("name_chinese_dot_variant", characters=_characters(look_alike_dots)),
                                  CHECK, "chinese"))

    if document_is_english:
        findings.extend(_english_document_findings(chinese, english))

    if english is not None:
        findings.extend(_english_field_findings(english))

    if certificate_name is not None:
        findings.extend(_compare_with_certificate(chinese, certificate_name))

    return findings


def _english_field_findings(english: str) -> list[NameCheck]:
    findings = []
    special = sorted({ch for ch in english if ch in SPECIAL_CHARACTERS + DOT_LOOK_ALIKES})
    if special:
        findings.append(NameCheck(finding("name_english_special_characters", characters=_characters(special)),
                                  ERROR, "english"))
    full_width = sorted({ch for ch in english if _FULL_WIDTH.match(ch) and ch not in SPECIAL_CHARACTERS})
    if full_width:
        findings.append(NameCheck(finding("name_english_full_width", characters=_characters(full_width)),
                                  CHECK, "english"))
    return findings


def _english_document_findings(chinese: str, english: str | None) -> list[NameCheck]:
    findings = []
    if _has_cjk(chinese):
        findings.append(NameCheck(finding("name_chinese_field_not_english"), ERROR, "chinese"))
        return findings
    if _FULL_WIDTH_LATIN.search(chinese):
        findings.append(NameCheck(finding("name_chinese_field_full_width_latin"), CHECK, "chinese"))
    for m in _ABBREVIATIONS.finditer(chinese):
        findings.append(NameCheck(finding("name_possible_abbreviation", word=m.group(0)), CHECK, "chinese"))
    if english is not None and english.strip():
        expected_english = _without_special_characters(chinese)
        if english.strip() != expected_english.strip() and english.strip().lower() == expected_english.strip().lower():
            findings.append(NameCheck(finding("name_case_differs"), CHECK, "chinese"))
    return findings


def _compare_with_certificate(chinese: str, certificate_name: str) -> list[NameCheck]:
    typed, printed = chinese.strip(), certificate_name.strip()
    if typed == printed:
        return []
    if typed.lower() == printed.lower():
        code = "name_case_differs_from_certificate"
    elif " ".join(typed.split()) == " ".join(printed.split()):
        code = "name_spaces_differ_from_certificate"
    elif unicodedata.normalize("NFKC", typed) == unicodedata.normalize("NFKC", printed):
        code = "name_width_differs_from_certificate"
    elif _without_special_characters(typed) == _without_special_characters(printed):
        code = "name_special_characters_differ_from_certificate"
    elif _looks_abbreviated(typed, printed):
        code = "name_abbreviated"
    else:
        code = "name_differs_from_certificate"
    return [NameCheck(finding(code, printed=printed), ERROR, "chinese")]


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


def country_code_problem(text: str, region: str | None = None) -> NameCheck | None:
    """A finding unless the 国家代码 field holds exactly 86, what the source asks: 「中国的国家代码为86,建议您使用
    系统默认值,请勿将国内区号填入国家代码处」. +86, 0086 and 086 (not the default's form), area codes (010, 0755)
    and other codes are all flagged with that advice; the source says nothing else about codes, so no other
    code is called right. `region` is not used: the source gives the same advice to every holder."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return NameCheck(finding("name_country_code_empty"), ERROR, "country_code")
    if raw == CHINA_COUNTRY_CODE:
        return None
    if not re.fullmatch(r"\+?\d+", raw):
        code = "name_country_code_not_digits"
    elif raw.lstrip("+").lstrip("0") == CHINA_COUNTRY_CODE:
        code = "name_country_code_prefixed"
    elif raw.lstrip("+").startswith("0"):
        code = "name_country_code_is_area_code"
    else:
        code = "name_country_code_other"
    return NameCheck(finding(code, typed=raw), ERROR, "country_code")
