"""Guided diagnosis: which facts to ask for a failure reason, how to read the answers, and the exact fix.

Plain Python (no Rasa): the actions call these functions with the slot values. Slot values are canonical
strings: region (one of facts.REGIONS), holder_type ("individual" | "organisation"), doc_type (a code of
knowledge/document_types.yml), issue_date / expiry_date (ISO dates, or "long_term"), doc_number (masked:
the full number is checked once and never stored), holder_name, domain; "skip" when the user skipped.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Mapping, Optional

from realname import dates, documents, facts, id_numbers, names, privacy, regions
from realname.catalog import Reason, fix_text, load_catalog, reason_line

FACTS = (
    "region", "holder_type", "doc_type", "issue_date", "expiry_date", "doc_number", "holder_name", "domain",
    "country_code",
)
SKIPPED = facts.SKIP
LONG_TERM = "long_term"
# Slots that keep what a check found, so the fix can say it without the full number.
CHECK_SLOTS = ("number_check", "name_check", "number_holder_type", "special_holder")

# extract_facts() key → slot name
_EXTRACTED = {
    "region": "region",
    "holder_type": "holder_type",
    "document_type": "doc_type",
    "issue_date": "issue_date",
    "expiry_date": "expiry_date",
    "document_number": "doc_number",
    "domain": "domain",
}

_LONG_TERM_WORDS = re.compile(r"长期|永久|无期限|没有期限|不过期")


def today() -> date:
    """Today, or REALNAME_TODAY (YYYY-MM-DD) so tests and demos with fixed dates are reproducible."""
    fixed = os.environ.get("REALNAME_TODAY")
    return date.fromisoformat(fixed) if fixed else date.today()


def _known(value: Any) -> bool:
    return value is not None and value != SKIPPED


# ------------------------------------------------------------------------------------------------- questions


def relevant_facts(intent: Optional[str], known: Mapping[str, Any]) -> List[str]:
    """The facts that change the advice for this reason in this situation, in the catalog's order.

    Conditional facts:
    - holder_type is left out when the document type or the kind of number already tells it;
    - expiry_date counts only once the issue date shows the document is not new (a new document's problem
      is the 10-day wait, not its expiry);
    - for 提交资料显示为海外用户, region and holder type matter only for .cn-family (or unknown) domains.
    """
    reason = load_catalog().reason(intent or "")
    if reason is None:
        return []
    relevant = []
    for fact in reason.facts:
        if fact == "holder_type" and known.get("holder_type") is None and _holder_type_implied(known):
            continue
        if fact == "expiry_date" and known.get("expiry_date") is None and not _issue_date_is_old(known.get("issue_date")):
            continue
        if fact in ("region", "holder_type") and reason.intent == "fail_shown_overseas" and not _cn_family_or_unknown(known):
            continue
        relevant.append(fact)
    return relevant


def questions_for(intent: Optional[str], known: Mapping[str, Any]) -> List[str]:
    """The relevant facts still to ask: a fact already known (or skipped) is not asked again."""
    return [fact for fact in relevant_facts(intent, known) if known.get(fact) is None]


def _holder_type_implied(known: Mapping[str, Any]) -> bool:
    """The document type or the kind of number already tells whether the holder is a person or an organisation."""
    doc_type = known.get("doc_type")
    return bool(
        (_known(doc_type) and documents.holder_type_of(doc_type)) or known.get("number_holder_type")
    )


def _cn_family_or_unknown(known: Mapping[str, Any]) -> bool:
    domain = known.get("domain")
    return not _known(domain) or regions.suffix_needs_cnnic(domain)


def _iso_date(value: Any) -> Optional[date]:
    """A validated date slot; None for unknown, skipped, or a raw answer not validated yet."""
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _issue_date_is_old(value: Any) -> bool:
    if value == SKIPPED:
        return True
    issued = _iso_date(value)
    return bool(issued) and not dates.new_document_advice(issued, today()).waiting


# ------------------------------------------------------------------------------------------------- answers


@dataclass
class Answer:
    value: Any = None
    problem: Optional[str] = None
    extra_slots: Dict[str, Any] = field(default_factory=dict)


NOT_UNDERSTOOD = {
    "region": "没能识别所属区域，请从中国内地、中国香港、中国澳门、中国台湾、其他国家和地区中选择，或回复「跳过」。",
    "holder_type": "没能识别持有者类型，请回复「个人」或「企业或组织」，或回复「跳过」。",
    "doc_type": "没能识别证件类型，请写证件上印刷的名称（例如身份证、护照、港澳通行证、营业执照），或回复「跳过」。",
    "issue_date": "没能识别日期，请写成 2026-11-03、11月3号 或 三天前 这样的形式，或回复「跳过」。",
    "expiry_date": "没能识别有效期，请写成 2030-05-01 这样的形式，长期有效请回复「长期」，或回复「跳过」。",
    "doc_number": "没能识别证件号码，请只发送表单里填写的号码，或回复「跳过」。",
    "holder_name": "没能识别持有者名称，请发送表单中填写的名称，或回复「跳过」。",
    "domain": "没能识别域名，请写完整的域名（例如 example.cn），或回复「跳过」。",
    "country_code": "没能识别国家代码，请只发送表单里「国家代码」一栏填写的数字（例如 86），或回复「跳过」。",
}


def parse_answer(fact: str, value: Any, on: date) -> Answer:
    """Read the user's answer to the question about `fact`. Canonical values (already read) are kept as they are."""
    text = str(value or "").strip()
    if not text:
        return Answer(problem=NOT_UNDERSTOOD[fact])
    if facts.is_skip(text) or text == SKIPPED:
        return Answer(SKIPPED)
    try:
        return _PARSERS[fact](text, on)
    except dates.DateProblem as problem:
        return Answer(problem=problem.message + " 请重新输入，或回复「跳过」。")


def _parse_region(text: str, on: date) -> Answer:
    region = text if text in facts.REGIONS else facts.parse_region(text)
    return Answer(region) if region else Answer(problem=NOT_UNDERSTOOD["region"])


def _parse_holder_type(text: str, on: date) -> Answer:
    holder = facts.parse_holder_type(text)
    return Answer(holder) if holder else Answer(problem=NOT_UNDERSTOOD["holder_type"])


def _parse_doc_type(text: str, on: date) -> Answer:
    code = text if documents.get_document(text) else facts.parse_document_type(text)
    return Answer(code) if code else Answer(problem=NOT_UNDERSTOOD["doc_type"])


def _parse_issue_date(text: str, on: date) -> Answer:
    if _is_iso(text):
        return Answer(text)
    issued = facts.parse_issue_date(text, on)
    return Answer(issued.isoformat()) if isinstance(issued, date) else Answer(problem=NOT_UNDERSTOOD["issue_date"])


def _parse_expiry_date(text: str, on: date) -> Answer:
    if _is_iso(text) or text == LONG_TERM:
        return Answer(text)
    if _LONG_TERM_WORDS.search(text):
        return Answer(LONG_TERM)
    expires = facts.parse_expiry_date(text, on)
    return Answer(expires.isoformat()) if isinstance(expires, date) else Answer(problem=NOT_UNDERSTOOD["expiry_date"])


def _parse_doc_number(text: str, on: date) -> Answer:
    if "*" in text:  # already checked and masked
        return Answer(text)
    typed = facts.parse_document_number(text)
    if not typed:
        return Answer(problem=NOT_UNDERSTOOD["doc_number"])
    return Answer(privacy.mask_number(typed), extra_slots=number_slots(typed))


def _parse_holder_name(text: str, on: date) -> Answer:
    chinese, english = split_name_fields(text)
    findings = names.check_names(chinese, english)
    message = " ".join(finding.message for finding in findings)
    return Answer(text, extra_slots={"name_check": message or None})


def _parse_domain(text: str, on: date) -> Answer:
    domain = facts.parse_domain(text)
    return Answer(domain) if domain else Answer(problem=NOT_UNDERSTOOD["domain"])


def _parse_country_code(text: str, on: date) -> Answer:
    match = _COUNTRY_CODE_ANSWER.fullmatch(text) or _COUNTRY_CODE_IN_TEXT.search(text)
    return Answer(match.group("code")) if match else Answer(problem=NOT_UNDERSTOOD["country_code"])


# 「86」「+86」「0086」「010」 as an answer, or 「国家代码填了010」 inside a sentence.
_COUNTRY_CODE_ANSWER = re.compile(r"\s*(?P<code>\+?\d{1,5})\s*")
_COUNTRY_CODE_IN_TEXT = re.compile(r"(?:国家代码|国家码|国家区号|country code)[^0-9+]{0,6}(?P<code>\+?\d{1,5})", re.I)


_PARSERS = {
    "region": _parse_region,
    "holder_type": _parse_holder_type,
    "doc_type": _parse_doc_type,
    "issue_date": _parse_issue_date,
    "expiry_date": _parse_expiry_date,
    "doc_number": _parse_doc_number,
    "holder_name": _parse_holder_name,
    "domain": _parse_domain,
    "country_code": _parse_country_code,
}


def _is_iso(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


_NAME_FIELDS = re.compile(r"中文[:：]\s*(?P<zh>.+?)\s*(?:[,，;；]?\s*英文[:：]\s*(?P<en>.+))?$")


def split_name_fields(text: str) -> tuple[str, Optional[str]]:
    """「中文：张·三 英文：Zhang San」 → ("张·三", "Zhang San"); a bare name is the Chinese field."""
    match = _NAME_FIELDS.search(text)
    if match:
        return match.group("zh").strip(), (match.group("en") or "").strip() or None
    return text.strip(), None


NUMBER_WRONG = "号码有误："


def number_slots(typed: str) -> Dict[str, Any]:
    """What a typed number tells: the check result, and whether it is a person's or an organisation's number."""
    kind = id_numbers.guess_number_kind(typed)
    holder = facts.INDIVIDUAL if kind == id_numbers.RESIDENT_ID else facts.ORGANISATION
    return {"number_check": check_number(typed), "number_holder_type": holder}


def check_number(typed: str) -> str:
    """What the number check found, in Chinese, with the number masked."""
    kind = id_numbers.guess_number_kind(typed)
    result = (
        id_numbers.check_resident_id(typed, today())
        if kind == id_numbers.RESIDENT_ID
        else id_numbers.check_credit_code(typed)
    )
    label = "身份证号码" if kind == id_numbers.RESIDENT_ID else "统一社会信用代码"
    masked = privacy.mask_number(result.number)
    notes = " ".join(message for _, message in result.notes)
    if result.ok:
        return f"您填写的{label} {masked} 格式和校验位正确。{notes}".strip()
    text = f"{NUMBER_WRONG}您填写的{label} {masked} 不正确，{result.message}"
    if result.suggestion:
        text += f" 可能是形近字符输错了，正确的可能是 {privacy.mask_number(result.suggestion)}（请对照证件核对被替换的字符）。"
    return f"{text} {notes}".strip()


# ------------------------------------------------------------------------------------------------- free text


def facts_from_text(text: str, on: date) -> Dict[str, Any]:
    """Facts stated in a free-text message (「营业执照刚办三天」, 「我是香港居民」), as slot values."""
    found = facts.extract_facts(text or "", on)
    slots: Dict[str, Any] = {}
    for key, slot in _EXTRACTED.items():
        if key in found and found[key] is not None:
            slots[slot] = found[key]
    for slot in ("issue_date", "expiry_date"):
        if isinstance(slots.get(slot), date):
            slots[slot] = slots[slot].isoformat()
    if "doc_number" in slots:
        typed = slots["doc_number"]
        slots["doc_number"] = privacy.mask_number(typed)
        slots.update(number_slots(typed))
    if found.get("special_holder"):
        slots["special_holder"] = found["special_holder"]
    country_code = _COUNTRY_CODE_IN_TEXT.search(text or "")
    if country_code:
        slots["country_code"] = country_code.group("code")
    return slots


def describe_facts(slots: Mapping[str, Any]) -> List[str]:
    """Short Chinese descriptions of facts, for 「已更新：…」."""
    described = []
    for slot, value in slots.items():
        if slot not in FACTS or value is None:
            continue
        if slot == "holder_type":
            value = facts.HOLDER_TYPES.get(value, value)
        elif slot == "doc_type" and documents.get_document(value):
            value = documents.get_document(value).name
        elif value == SKIPPED:
            value = "跳过"
        elif value == LONG_TERM:
            value = "长期有效"
        described.append(f"{FACT_LABELS[slot]}：{value}")
    return described


FACT_LABELS = {
    "region": "所属区域",
    "holder_type": "持有者类型",
    "doc_type": "证件类型",
    "issue_date": "颁发日期",
    "expiry_date": "有效期至",
    "doc_number": "证件号码",
    "holder_name": "持有者名称",
    "domain": "域名",
    "country_code": "国家代码",
}


# ------------------------------------------------------------------------------------------------- the fix


# An issue date older than this says nothing about the failure: no finding about it.
RECENT_DOCUMENT_DAYS = 30

SEE_MORE = "按上面处理后如果仍然失败，请回复「还有其他问题」，或转人工。"


@dataclass
class Explanation:
    line: str
    fix: str
    findings: List[str]
    image_related: bool
    exact: bool  # every fact this reason depends on is known


def conditions(known: Mapping[str, Any]) -> Dict[str, Any]:
    """The values the catalog's `when` conditions test; unknown or skipped facts are left out."""
    values = {name: known[name] for name in ("region", "holder_type", "doc_type") if _known(known.get(name))}
    holder = (
        values.get("holder_type")
        or (documents.holder_type_of(values["doc_type"]) if "doc_type" in values else None)
        or known.get("number_holder_type")
    )
    if holder:
        values["holder_type"] = holder
    domain = known.get("domain")
    if _known(domain):
        values["domain_suffix"] = "cn_family" if regions.suffix_needs_cnnic(domain) else "other"
    if "region" in values and holder and values.get("domain_suffix") != "other":
        values["cn_site_allowed"] = regions.cn_site_allows(values["region"], holder)
    return values


def findings_for(reason: Reason, known: Mapping[str, Any], on: date) -> tuple[Dict[str, str], set]:
    """What the rules conclude from the known facts, keyed by the fact each finding is about, and which
    findings are decisive (they are the fix by themselves: wait until a date, correct the region, …)."""
    found: Dict[str, str] = {}
    decisive: set = set()
    asked = set(reason.facts)
    issue = _iso_date(known.get("issue_date"))
    if "issue_date" in asked and issue:
        advice = dates.new_document_advice(issue, on)
        if advice.waiting:
            found["issue_date"] = advice.message
            decisive.add("issue_date")
        elif (on - issue).days <= RECENT_DOCUMENT_DAYS:
            # Recently new: worth saying the wait is over and the cause is elsewhere.
            found["issue_date"] = advice.message
    expiry = _iso_date(known.get("expiry_date"))
    if "expiry_date" in asked and expiry:
        advice = dates.expiry_advice(expiry, on)
        if advice.status != "valid":
            found["expiry_date"] = advice.message
            decisive.add("expiry_date")
    if known.get("number_check") and _known(known.get("doc_number")):
        found["doc_number"] = known["number_check"]
        if known["number_check"].startswith(NUMBER_WRONG):
            decisive.add("doc_number")
    if known.get("name_check") and _known(known.get("holder_name")):
        found["holder_name"] = known["name_check"]
    values = conditions(known)
    region, holder, doc_type = values.get("region"), values.get("holder_type"), values.get("doc_type")
    if region and doc_type and not regions.region_matches_document(region, doc_type):
        document = documents.get_document(doc_type)
        decisive.add("region")
        found["region"] = (
            f"所属区域「{region}」与证件「{document.name}」不符：所属区域要以实际提交的证件为准"
            f"（该证件对应：{'、'.join(document.regions)}）。"
        )
    elif region and holder and doc_type and not documents.is_expected_document(region, holder, doc_type):
        expected = "、".join(documents.get_document(code).name for code in documents.expected_documents(region, holder)[:3])
        found["doc_type"] = f"{region}的{facts.HOLDER_TYPES[holder]}用户应提交：{expected}。"
        decisive.add("doc_type")
    if values.get("cn_site_allowed") is False and known.get("domain") and regions.suffix_needs_cnnic(known["domain"]):
        found["domain"] = regions.advice_text(regions.cn_site_advice_key(region, holder))
        decisive.add("domain")
    country_code = known.get("country_code")
    if "country_code" in asked and _known(country_code):
        problem = names.country_code_problem(country_code, region)
        if problem:
            found["country_code"] = problem.message
            decisive.add("country_code")
        else:
            found["country_code"] = f"国家代码「{country_code}」填写正确，不是这次失败的原因；如仍失败请转人工。"
    if known.get("special_holder") == documents.SPECIAL_OCCUPATION:
        found["special_holder"] = documents.special_occupation_advice()
        decisive.add("special_holder")
    return found, decisive


def explain(intent: str, known: Mapping[str, Any], on: date) -> Explanation:
    """The exact fix: the rules' findings first, then the catalog steps that apply and are not already covered."""
    reason = load_catalog().reason(intent)
    found, decisive = findings_for(reason, known, on)
    values = conditions(known)
    if decisive:
        # The rules already say exactly what to do: no wall of general steps.
        steps = [SEE_MORE]
    else:
        steps = [step.says for step in reason.steps_for(values) if not (step.fact and step.fact in found)]
    fix = fix_text(list(found.values()) + steps)
    exact = all(known.get(fact) is not None for fact in reason.facts)
    return Explanation(reason_line(reason), fix, list(found.values()), reason.image_related, exact)
