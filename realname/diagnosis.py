"""Guided diagnosis: which facts to ask for a failure reason, how to read the answers, and the exact fix.

Plain Python (no Rasa): the actions call these functions with the slot values. Slot values are canonical
strings: region (one of facts.REGIONS), holder_type ("individual" | "organisation"), doc_type (a code of
knowledge/document_types.yml), issue_date / expiry_date (ISO dates, or "long_term"), doc_number (masked:
the full number is checked once and never stored), holder_name, domain; "skip" when the user skipped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Mapping, Optional, Sequence

from realname import dates, documents, facts, id_numbers, names, privacy, regions
from realname.catalog import Reason, fix_text, load_catalog, reason_line
from realname.findings import Finding, finding, render, term

FACTS = (
    "region", "holder_type", "doc_type", "issue_date", "expiry_date", "doc_number", "holder_name", "domain",
    "country_code",
)
SKIPPED = facts.SKIP
DATE_FACTS = ("issue_date", "expiry_date")
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

_LONG_TERM_WORDS = re.compile(r"长期|永久|无期限|没有期限|不过期|(?i:long[\s-]?term|permanent|no\s+expiry|never\s+expires)")


def _known(value: Any) -> bool:
    return value is not None and value != SKIPPED


# ------------------------------------------------------------------------------------------------- questions


def relevant_facts(intent: Optional[str], known: Mapping[str, Any], on: date) -> List[str]:
    """The facts that change the advice for this reason in this situation, in the catalog's order.

    Conditional facts:
    - holder_type is left out when the document type or the kind of number already tells it, except for a
      reason whose point is that the document must fit the holder (document_rule "holder");
    - expiry_date counts only once the issue date shows the document is not new (a new document's problem
      is the 10-day wait, not its expiry);
    - for 提交资料显示为海外用户, region and holder type matter only for .cn-family (or unknown) domains.
    """
    reason = load_catalog().reason(intent or "")
    if reason is None:
        return []
    relevant = []
    for fact in reason.facts:
        if (fact == "holder_type" and known.get("holder_type") is None and _holder_type_implied(known)
                and reason.document_rule != HOLDER_RULE):
            continue
        if fact == "expiry_date" and known.get("expiry_date") is None and not _issue_date_is_old(known.get("issue_date"), on):
            continue
        if fact in ("region", "holder_type") and reason.intent == "fail_shown_overseas" and not _cn_family_or_unknown(known):
            continue
        relevant.append(fact)
    return relevant


def questions_for(intent: Optional[str], known: Mapping[str, Any], on: date) -> List[str]:
    """The relevant facts still to ask: a fact already known (or skipped) is not asked again."""
    return [fact for fact in relevant_facts(intent, known, on) if known.get(fact) is None]


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


def _issue_date_is_old(value: Any, on: date) -> bool:
    if value == SKIPPED:
        return True
    issued = _iso_date(value)
    return bool(issued) and not dates.new_document_advice(issued, on).waiting


# ------------------------------------------------------------------------------------------------- answers


@dataclass
class Answer:
    value: Any = None
    problem: Optional[Finding] = None        # what a rule found wrong (a date that cannot be right)
    extra_slots: Dict[str, Any] = field(default_factory=dict)
    problem_response: Optional[str] = None   # a response of domain.yml that says the answer was not understood


def not_understood(fact: str) -> "Answer":
    """An answer that could not be read: the form says so with the response utter_not_understood_<fact>
    (domain.yml, in the conversation's language) and asks again."""
    return Answer(problem_response=f"utter_not_understood_{fact}")


def parse_answer(fact: str, value: Any, on: date) -> Answer:
    """Read the user's answer to the question about `fact`. Canonical values (already read) are kept as they are."""
    text = str(value or "").strip()
    if not text:
        return not_understood(fact)
    if facts.is_skip(text) or text == SKIPPED:
        return Answer(SKIPPED)
    try:
        return _PARSERS[fact](text, on)
    except dates.DateProblem as problem:
        return Answer(problem=finding("date_enter_again", problem=problem.finding))


def _parse_region(text: str, on: date) -> Answer:
    region = text if text in facts.REGIONS else facts.parse_region(text)
    return Answer(region) if region else not_understood("region")


def _parse_holder_type(text: str, on: date) -> Answer:
    holder = facts.parse_holder_type(text)
    return Answer(holder) if holder else not_understood("holder_type")


def _parse_doc_type(text: str, on: date) -> Answer:
    code = text if documents.get_document(text) else facts.parse_document_type(text)
    return Answer(code) if code else not_understood("doc_type")


def _parse_issue_date(text: str, on: date) -> Answer:
    if _is_iso(text):
        return Answer(text)
    issued = facts.parse_issue_date(text, on)
    return Answer(issued.isoformat()) if isinstance(issued, date) else not_understood("issue_date")


def _parse_expiry_date(text: str, on: date) -> Answer:
    if _is_iso(text) or text == LONG_TERM:
        return Answer(text)
    if _LONG_TERM_WORDS.search(text):
        return Answer(LONG_TERM)
    expires = facts.parse_expiry_date(text, on)
    return Answer(expires.isoformat()) if isinstance(expires, date) else not_understood("expiry_date")


def _parse_doc_number(text: str, on: date) -> Answer:
    if "*" in text:  # already checked and masked
        return Answer(text)
    typed = facts.parse_document_number(text)
    if not typed:
        return not_understood("doc_number")
    return Answer(privacy.mask_number(typed), extra_slots=number_slots(typed, on))


def _parse_holder_name(text: str, on: date) -> Answer:
    chinese, english = split_name_fields(text)
    checks = names.check_names(chinese, english)
    found = finding("name_checks", items=[check.finding for check in checks]).as_slot() if checks else None
    return Answer(text, extra_slots={"name_check": found})


def _parse_domain(text: str, on: date) -> Answer:
    domain = facts.parse_domain(text)
    return Answer(domain) if domain else not_understood("domain")


def _parse_country_code(text: str, on: date) -> Answer:
    match = _COUNTRY_CODE_ANSWER.fullmatch(text) or _COUNTRY_CODE_IN_TEXT.search(text)
    return Answer(match.group("code")) if match else not_understood("country_code")


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


def number_slots(typed: str, on: date) -> Dict[str, Any]:
    """What a typed number tells: the check's finding (id_numbers.number_finding: the number masked for a person,
    a credit code in full), and whether it is a person's or an organisation's number."""
    kind = id_numbers.guess_number_kind(typed)
    holder = facts.INDIVIDUAL if kind == id_numbers.RESIDENT_ID else facts.ORGANISATION
    return {"number_check": id_numbers.number_finding(typed, on).as_slot(), "number_holder_type": holder}


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
        slots.update(number_slots(typed, on))
    if found.get("special_holder"):
        slots["special_holder"] = found["special_holder"]
    country_code = _COUNTRY_CODE_IN_TEXT.search(text or "")
    if country_code:
        slots["country_code"] = country_code.group("code")
    return slots


def describe_facts(slots: Mapping[str, Any], language: str = "zh") -> str:
    """Short descriptions of the facts, for 「已更新：…」 (utter_facts_updated), in `language`."""
    labels = load_catalog().says("fact_labels", language)
    described = []
    for slot, value in slots.items():
        if slot not in FACTS or value is None:
            continue
        if slot == "holder_type":
            value = term("holder", value, language)
        elif slot == "doc_type" and documents.get_document(value):
            value = render(finding("document_name", doc=value), language)
        elif slot == "region":
            value = term("region", value, language)
        elif value in (SKIPPED, LONG_TERM):
            value = term("value", value, language)
        elif slot in DATE_FACTS and _iso_date(value):
            value = render(finding("date_value", value=_iso_date(value)), language)
        described.append(load_catalog().says("fact_description", language).format(label=labels[slot], value=value))
    return term("separator", "facts", language).join(described)


# ------------------------------------------------------------------------------------------------- the fix


# An issue date older than this says nothing about the failure: no finding about it (except for the
# new-document reason itself, NEW_DOCUMENT_REASON, where the wait being over is the point).
RECENT_DOCUMENT_DAYS = 30
NEW_DOCUMENT_REASON = "fail_new_cert"



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
        values["naming_refund"] = regions.naming_refund_applies(domain)
    if "region" in values and holder and values.get("domain_suffix") != "other":
        values["cn_site_allowed"] = regions.cn_site_allows(values["region"], holder)
    return values


def findings_for(reason: Reason, known: Mapping[str, Any], on: date) -> tuple[Dict[str, Finding], set]:
    """What the rules conclude from the known facts, keyed by the fact each finding is about, and which
    findings are decisive (they are the fix by themselves: wait until a date, correct the region, …)."""
    found: Dict[str, Finding] = {}
    decisive: set = set()
    asked = set(reason.facts)
    values = conditions(known)
    region, holder = values.get("region"), values.get("holder_type")
    issue = _iso_date(known.get("issue_date"))
    if "issue_date" in asked and issue:
        advice = dates.new_document_advice(issue, on, holder)
        if advice.waiting:
            found["issue_date"] = advice.finding
            decisive.add("issue_date")
        elif reason.intent == NEW_DOCUMENT_REASON:
            # The reason is the new document itself: the wait being over is the finding, with the other ways.
            found["issue_date"] = advice.finding
            decisive.add("issue_date")
        elif (on - issue).days <= RECENT_DOCUMENT_DAYS:
            # Recently new: worth saying the wait is over and the cause is elsewhere.
            found["issue_date"] = advice.finding
    expiry = _iso_date(known.get("expiry_date"))
    if "expiry_date" in asked and expiry:
        advice = dates.expiry_advice(expiry, on)
        if advice.status != "valid":
            found["expiry_date"] = advice.finding
            decisive.add("expiry_date")
    number_check = Finding.from_slot(known.get("number_check"))
    if number_check and _known(known.get("doc_number")):
        found["doc_number"] = number_check
        if number_check.code != id_numbers.NUMBER_OK:
            decisive.add("doc_number")
    name_check = Finding.from_slot(known.get("name_check"))
    if name_check and _known(known.get("holder_name")):
        found["holder_name"] = name_check
    special = known.get("special_holder") == documents.SPECIAL_OCCUPATION
    if not special:
        # 军人、僧人: the source's advice (change the document type) is the whole finding; a document check
        # beside it would contradict it
        found.update(_document_findings(reason, known, values))
        decisive.update(key for key in ("region", "doc_type") if key in found)
    if values.get("cn_site_allowed") is False and known.get("domain") and regions.suffix_needs_cnnic(known["domain"]):
        found["domain"] = regions.advice_finding(regions.cn_site_advice_key(region, holder))
        decisive.add("domain")
    country_code = known.get("country_code")
    if "country_code" in asked and _known(country_code):
        problem = names.country_code_problem(country_code, region)
        if problem:
            found["country_code"] = problem.finding
            decisive.add("country_code")
        else:
            # 86 is what the source asks for; it does not say the failure lies elsewhere, so neither do we
            found["country_code"] = finding("name_country_code_is_china", typed=country_code)
    if special:
        found["special_holder"] = documents.special_occupation_advice()
        decisive.add("special_holder")
    return found, decisive


HOLDER_RULE = "holder"
REGION_RULE = "region"
# 「中国内地自然人用户,请提交身份证。非中国内地自然人用户,请提交护照。」「中国内地组织或企业用户,必须提交含有有效18位统一社会信用代码
# 的证件。非中国内地组织或企业用户,请提交境外机构证件。」 (证件类型选择错误或证件号码位数不正确): the words are
# knowledge/findings/documents.yml document_rule_*.
_HOLDER_RULE_FINDINGS = {
    (documents.INDIVIDUAL, True): "document_rule_mainland_individual",
    (documents.INDIVIDUAL, False): "document_rule_other_individual",
    (documents.ORGANISATION, True): "document_rule_mainland_organisation",
    (documents.ORGANISATION, False): "document_rule_other_organisation",
}


def holder_rule_documents(reason: Reason, region: Optional[str], holder: str) -> List[str]:
    """The document codes that fit `holder` by this reason's own sentences: the reason's accepted documents
    when it names them (未提交注册者证件: 身份证或护照), else 身份证 / 护照 for people and USCC documents /
    境外机构证件 for organisations, for the region when it is known, for both sides when it is not."""
    if reason.accepted_documents.get(holder):
        return list(reason.accepted_documents[holder])
    codes: List[str] = []
    for mainland in _sides(region):
        if holder == documents.INDIVIDUAL:
            codes.append("SFZ" if mainland else "HZ")
        else:
            codes.extend(documents.expected_documents(documents.MAINLAND, holder) if mainland else ["WAIGUOJIGOU"])
    return codes


def _holder_rule(reason: Reason, region: Optional[str], holder: str) -> List[Finding]:
    if reason.accepted_documents.get(holder):
        return [finding("document_rule_accepted", holder=holder, docs=list(reason.accepted_documents[holder]))]
    examples = documents.expected_documents(documents.MAINLAND, holder)[:3] if holder == documents.ORGANISATION else []
    return [finding(_HOLDER_RULE_FINDINGS[(holder, mainland)], examples=examples) for mainland in _sides(region)]


def _sides(region: Optional[str]) -> List[bool]:
    """Which sides of the rule apply: mainland (True) or not, both when the region is unknown."""
    return [region == documents.MAINLAND] if region else [True, False]


def _document_findings(reason: Reason, known: Mapping[str, Any], values: Mapping[str, Any]) -> Dict[str, Finding]:
    """Whether the chosen document fits, judged by the sentence of the reason at hand: the holder type for
    「证件类型选择错误」 and 「未提交注册者证件」, the region for the reasons about region and documents, and
    not at all for the others (their source sentences say nothing about which document to submit)."""
    region, doc_type = values.get("region"), values.get("doc_type")
    document = documents.get_document(doc_type) if doc_type else None
    if document is None:
        return {}
    if reason.document_rule == HOLDER_RULE:
        # the holder the customer named (or the kind of number they typed), not the one the document implies
        holder = known.get("holder_type") if _known(known.get("holder_type")) else known.get("number_holder_type")
        if not holder or doc_type.upper() in holder_rule_documents(reason, region, holder):
            return {}
        return {"doc_type": finding("document_holder_mismatch", holder=holder, doc=document.code,
                                    rule=_holder_rule(reason, region, holder))}
    if reason.document_rule == REGION_RULE and region:
        holder = values.get("holder_type")
        if not regions.region_matches_document(region, doc_type):
            return {"region": finding("document_region_mismatch", region=region, doc=document.code,
                                      regions=list(document.regions))}
        if holder and not documents.is_expected_document(region, holder, doc_type):
            return {"doc_type": finding("document_expected_for_region", region=region, holder=holder,
                                        docs=documents.expected_documents(region, holder)[:3])}
    return {}


FIRST_STEPS = 3


def _applicable_steps(reason: Reason, known: Mapping[str, Any], found: Mapping[str, Finding]) -> List[Any]:
    """The catalog steps for what is known: a step about a fact the rules found something on is replaced by
    that finding; a step about a date the user gave is dropped when the rules found nothing (an old issue
    date: 「wait 10 days」 no longer applies)."""
    return [step for step in reason.steps_for(conditions(known))
            if not (step.fact and (step.fact in found or (step.fact in DATE_FACTS and _known(known.get(step.fact)))))]


def first_lines(intent: str, known: Mapping[str, Any], on: date, language: str = "zh") -> List[str]:
    """The numbered lines of the first reply, before any question: what the rules already found in the
    message, then the steps that hold whatever the answers (no condition) and those that apply so far, in the
    catalog's order (most important first), at most FIRST_STEPS steps."""
    reason = load_catalog().reason(intent)
    found, _ = findings_for(reason, known, on)
    steps = _applicable_steps(reason, known, found)
    ordered = [step for step in steps if not step.when] + [step for step in steps if step.when]
    return [render(item, language) for item in found.values()] + [step.text(language) for step in ordered[:FIRST_STEPS]]


def check_offer(questions: Sequence[str], language: str = "zh") -> str:
    """The questions (questions_for's facts) offered as a way to check the customer's case, naming what they check."""
    catalog = load_catalog()
    labels = catalog.says("fact_labels", language)
    topics = catalog.says("topic_separator", language).join(labels[fact] for fact in questions)
    return catalog.says("check_offer", language).format(topics=topics)


def explain(intent: str, known: Mapping[str, Any], on: date, shown: Sequence[str] = (),
            language: str = "zh") -> Explanation:
    """The exact fix: the rules' findings first, then the catalog steps that apply and are not already covered.
    `shown` are the steps the first reply already gave: they are not repeated; when the answers changed
    nothing, the reply says so."""
    catalog = load_catalog()
    reason = catalog.reason(intent)
    see_more = catalog.says("see_more", language)
    found, decisive = findings_for(reason, known, on)
    if decisive:
        # The rules already say exactly what to do: no wall of general steps.
        steps = [see_more]
    else:
        steps = [step.text(language) for step in _applicable_steps(reason, known, found)]
    findings = [render(item, language) for item in found.values()]
    lines = [line for line in findings + steps if line not in shown]
    if shown and not lines:
        lines = [catalog.says("nothing_new", language), see_more]
    fix = fix_text(lines, language, "after_answers_heading" if shown else "fix_heading")
    exact = all(known.get(fact) is not None for fact in reason.facts)
    return Explanation(reason_line(reason, language), fix, findings, reason.image_related, exact)
