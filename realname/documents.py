"""Document types (knowledge/document_types.yml) and which ones a holder is expected to submit.

Rules from aliyun-realname-failures.zh.txt:
  「中国内地组织或企业用户，必须提交含有有效18位统一社会信用代码的证件。非中国内地组织或企业用户，请提交境外机构证件。」
  「中国内地自然人用户，请提交身份证。非中国内地自然人用户，请提交护照。」
  「域名持有者为个人，且提交港澳居民来往内地通行证作为实名认证材料，需根据证件所标记的地区，正确选择所属区域」
  「军人、僧人等由于身份特殊，不能通过18位身份证号码提交实名认证，建议您更换其他证件类型提交实名审核。」
  「国防机构 … 您可通过北京神州长城通信技术发展中心注册域名并完成域名实名认证，且证件类型仅可提交部队代号或军队单位对外有偿服务许可证」

This module reads the data only; it does not import realname.facts (facts imports this module).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from realname.findings import Finding, finding

KNOWLEDGE_DIR = Path(__file__).parent.parent / "knowledge"

MAINLAND = "中国内地"
INDIVIDUAL = "individual"
ORGANISATION = "organisation"

NUMBER_RESIDENT_ID = "resident_id"
NUMBER_USCC = "uscc"

# The organisation documents the source names first (「营业执照、统一社会信用代码证书、组织机构代码证等」).
_NAMED_ORGANISATION_DOCUMENTS = ("YYZZ", "XYDM", "ORG")


@dataclass(frozen=True)
class DocumentType:
    code: str
    name: str
    holder_type: str
    aliases: tuple[str, ...]
    number_kind: str | None
    number_basis: str | None
    regions: tuple[str, ...]
    notes: str = ""
    name_en: str = ""  # the name on Alibaba Cloud's international site (findings in English)

    @property
    def carries_uscc(self) -> bool:
        return self.number_kind == NUMBER_USCC

    @property
    def carries_resident_id(self) -> bool:
        return self.number_kind == NUMBER_RESIDENT_ID


@lru_cache(maxsize=1)
def _load() -> dict:
    with open(KNOWLEDGE_DIR / "document_types.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def document_types() -> dict[str, DocumentType]:
    """All document types by code, in the order of document-types.zh.md."""
    types = {}
    for entry in _load()["types"]:
        types[entry["code"]] = DocumentType(
            code=entry["code"],
            name=entry["name"],
            holder_type=entry["holder_type"],
            aliases=tuple(entry.get("aliases") or ()),
            number_kind=entry.get("number_kind"),
            number_basis=entry.get("number_basis"),
            regions=tuple(entry["regions"]),
            notes=(entry.get("notes") or "").strip(),
            name_en=entry.get("name_en") or "",
        )
    return types


def get_document(code: str) -> DocumentType | None:
    return document_types().get((code or "").strip().upper())


def holder_type_of(code: str) -> str | None:
    document = get_document(code)
    return document.holder_type if document else None


def known_regions() -> tuple[str, ...]:
    """Every 所属区域 value used by the document data (the five regions of the .cn tables)."""
    seen = []
    for document in document_types().values():
        for region in document.regions:
            if region not in seen:
                seen.append(region)
    return tuple(seen)


# ---------------------------------------------------------------------------------------------------- lookup by name


@lru_cache(maxsize=1)
def _aliases_longest_first() -> tuple[tuple[str, str], ...]:
    pairs = []
    for document in document_types().values():
        for alias in {document.name, *document.aliases}:
            pairs.append((alias.lower(), document.code))
    # Longest first, so 外国人永久居留身份证 wins over 身份证 and 港澳台居民居住证 over 居住证.
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


@dataclass(frozen=True)
class DocumentMention:
    code: str
    start: int
    end: int


def find_document_mentions(text: str) -> list[DocumentMention]:
    """Every document type named in `text`, longest alias first, without overlaps, in text order."""
    lowered = (text or "").lower()
    taken = [False] * len(lowered)
    mentions = []
    for alias, code in _aliases_longest_first():
        for m in re.finditer(re.escape(alias), lowered):
            if any(taken[m.start():m.end()]):
                continue
            if alias.isascii() and not _ascii_word_boundaries(lowered, m.start(), m.end()):
                continue  # 'passport' inside a longer word
            taken[m.start():m.end()] = [True] * (m.end() - m.start())
            mentions.append(DocumentMention(code, m.start(), m.end()))
    return sorted(mentions, key=lambda mention: mention.start)


def _ascii_word_boundaries(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def find_document_type(text: str) -> str | None:
    """Code of the document type named in `text`: an API code typed as such (SFZ, yyzz) or a name/alias.
    None when there is none, or when different types are named (ask instead of guessing)."""
    stripped = (text or "").strip()
    if get_document(stripped):
        return stripped.upper()
    codes = {mention.code for mention in find_document_mentions(stripped)}
    return codes.pop() if len(codes) == 1 else None


# ---------------------------------------------------------------------------------------------------- expectations


def expected_documents(region: str, holder_type: str) -> list[str]:
    """Document codes a holder from `region` is expected to submit, the one the source names first.

    mainland individual      → SFZ
    individual elsewhere     → HZ, then the permits that belong to the region (TXZ / TW / HKMOJUMIN / WAIGUOREN)
    mainland organisation    → documents with an 18-character USCC (营业执照, 统一社会信用代码证书, 组织机构代码证 first)
    organisation elsewhere   → WAIGUOJIGOU
    """
    if region not in known_regions():
        raise ValueError(f"unknown region: {region!r}")
    if holder_type not in (INDIVIDUAL, ORGANISATION):
        raise ValueError(f"unknown holder type: {holder_type!r}")
    types = document_types()
    if holder_type == INDIVIDUAL:
        if region == MAINLAND:
            return ["SFZ"]
        permits = [d.code for d in types.values()
                   if d.holder_type == INDIVIDUAL and d.code not in ("SFZ", "HZ") and region in d.regions]
        return ["HZ", *permits]
    if region == MAINLAND:
        rest = [d.code for d in types.values()
                if d.holder_type == ORGANISATION and d.carries_uscc and d.code not in _NAMED_ORGANISATION_DOCUMENTS]
        return [*_NAMED_ORGANISATION_DOCUMENTS, *rest]
    return ["WAIGUOJIGOU"]


def is_expected_document(region: str, holder_type: str, code: str) -> bool:
    return (code or "").upper() in expected_documents(region, holder_type)


# ---------------------------------------------------------------------------------------------------- special holders

_special = _load()["special_rules"]
DEFENCE_REGISTRAR: str = _special["defence_units"]["registrar"]            # 北京神州长城通信技术发展中心
DEFENCE_DOCUMENT_CODES: tuple[str, ...] = tuple(_special["defence_units"]["document_codes"])  # BUDUIDAIHAO, JUNDUIFUWU

SPECIAL_OCCUPATION = "special_occupation"   # 军人、僧人等: no 18-digit ID check possible
DEFENCE_UNIT = "defence_unit"               # 部队及部队下属机构: not possible on Alibaba Cloud

_DEFENCE_UNIT_WORDS = re.compile(r"部队|军队单位|军队下属|国防机构|军事单位|军区|武警部队")
_SPECIAL_OCCUPATION_WORDS = re.compile(r"军人|现役|军官|士兵|官兵|僧人|和尚|尼姑|僧尼|出家")


def special_holder_kind(text: str) -> str | None:
    """DEFENCE_UNIT when the holder is a military unit, SPECIAL_OCCUPATION for 军人/僧人 and similar, else None."""
    if _DEFENCE_UNIT_WORDS.search(text or ""):
        return DEFENCE_UNIT
    if _SPECIAL_OCCUPATION_WORDS.search(text or ""):
        return SPECIAL_OCCUPATION
    return None


def special_occupation_advice() -> Finding:
    """「军人、僧人等由于身份特殊，不能通过18位身份证号码核验域名持有者身份，建议您更换其他证件类型重新提交审核。」"""
    return finding("document_special_occupation")


def allows_resident_id(text_about_holder: str) -> bool:
    """False when the holder is described as 军人/僧人 etc. or a defence unit (the 18-digit ID check fails for them)."""
    return special_holder_kind(text_about_holder) is None
