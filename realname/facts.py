"""The facts the assistant collects about a case, and how to read them from what customers type.

Facts (keys of the dict extract_facts returns; a key is present only when found):
    region            one of REGIONS (所属区域)
    region_candidates several regions named at once – not decided, ask (「我是香港人，公司在内地」)
    holder_type       "individual" | "organisation"
    holder_type_from  "text" (said so) | "document" (implied by the document type named)
    document_type     document code (SFZ, YYZZ, …; knowledge/document_types.yml)
    issue_date        datetime.date – when the document was issued (颁发/办/领)
    issue_date_approximate  True when the customer did not name the day (「刚办的」 → today)
    expiry_date       datetime.date – when the document expires (到期/有效期)
    date_problem      realname.dates.DateProblem for a future/impossible date the customer typed
    domain            the domain as typed, normalised (lower case, Unicode labels): 张三.中国, example.com.cn
    suffix            '.cn', '.com.cn', '.中国', '.com', … (also when only a suffix is named: 「个人能注册.cn吗」)
    document_number   the first ID-/credit-code-like token, as typed
    special_holder    "special_occupation" (军人、僧人…) | "defence_unit" (部队…) – see realname.documents
    skip              True when the message is only 「不知道」/「跳过」 and the like

parse_* functions read the answer to a question the assistant asked; they return the value, SKIP, or None
(not understood). They are more permissive than extract_facts because the context is known.

Every public function reads traditional characters too: the text is put in simplified script first
(realname.chinese_script.to_simplified: same length, ASCII/digits and domain labels left as typed).
"""

from __future__ import annotations

import re
from datetime import date

from realname import documents, regions
from realname.chinese_script import to_simplified
from realname.dates import DateProblem, parse_date_match
from realname.id_numbers import find_number_candidates

# ---------------------------------------------------------------------------------------------------- constants

MAINLAND = "中国内地"
HONG_KONG = "中国香港"
MACAU = "中国澳门"
TAIWAN = "中国台湾"
OTHER = "其他国家和地区"
REGIONS = (MAINLAND, HONG_KONG, MACAU, TAIWAN, OTHER)  # the rows of the source's .cn tables

INDIVIDUAL = "individual"
ORGANISATION = "organisation"
HOLDER_TYPES = {INDIVIDUAL: "个人", ORGANISATION: "企业或组织"}

SKIP = "skip"  # the customer does not know / wants to skip the question

# ---------------------------------------------------------------------------------------------------- vocabulary

# Words for each region. 港澳 / 港澳台 / 境外 name more than one region, so they are not listed: ask instead.
_REGION_WORDS = {
    MAINLAND: r"中国内地|中国大陆|内地|大陆|国内(?!区号)|本土|(?<![A-Za-z])(?i:mainland(?:\s+china)?|chinese\s+mainland)(?![A-Za-z])",
    HONG_KONG: r"中国香港|香港|港人|(?<![A-Za-z])(?:HK|HKSAR|(?i:hong\s?kong))(?![A-Za-z])",
    MACAU: r"中国澳门|澳门|澳門|(?<![A-Za-z])(?i:macau|macao)(?![A-Za-z])",
    TAIWAN: r"中国台湾|台湾|臺灣|台灣|(?<![A-Za-z])(?i:taiwan)(?![A-Za-z])",
    OTHER: (r"其他国家和地区|其他国家|海外|国外|外国|外籍|美国|英国|日本|韩国|新加坡|加拿大|澳大利亚|澳洲|新西兰|德国|法国|"
            r"意大利|西班牙|荷兰|瑞士|瑞典|俄罗斯|马来西亚|泰国|越南|菲律宾|印度尼西亚|印尼|印度|(?<![A-Za-z])(?:USA|US|UK)(?![A-Za-z])|"
            r"(?<![A-Za-z])(?i:other\s+countr(?:y|ies)(?:\s+and\s+regions?)?|overseas|abroad|foreign(?:er)?)(?![A-Za-z])"),
}
# ASCII abbreviations (HK, US, UK) are case-sensitive so that the English word "us" is not a country.
_REGION_PATTERNS = {region: re.compile(words) for region, words in _REGION_WORDS.items()}

_HOLDER_WORDS = {
    INDIVIDUAL: re.compile(r"个人|自然人|我自己|本人名下|私人|(?<![A-Za-z])(?i:individual|personal|private\s+person|myself)(?![A-Za-z])"),
    ORGANISATION: re.compile(r"企业|公司|组织|单位|(?<!审核)机构|工作室|个体户|个体工商户|事业单位|社会团体|协会|学校|医院|"
                             r"(?<![A-Za-z])(?i:company|enterprise|organi[sz]ation|corporation|business)(?![A-Za-z])"),
}

_SKIP = re.compile(r"^(?:不知道|不清楚|不确定|不记得|忘了|忘记了|记不清|记不得|跳过|略过|先跳过|算了|不想说|skip|pass|"
                   r"(?:i\s+)?don'?t\s+know|not\s+sure|no\s+idea|unknown|skip\s+it|i\s+forgot)"
                   r"[了啊呀吧呢哦。.!！~～\s]*$", re.IGNORECASE)

# A date is an expiry date when one of these words is close to it; otherwise it is read as the issue date.
_EXPIRY_WORDS = re.compile(r"到期|过期|有效期|有效至|有效到|截止|失效")
_EXPIRY_WINDOW = 8  # characters between the expiry word and the date
# Dates in free text are only read when the text talks about getting a document (「十天后再提交吗」, 「昨天失败了
# 怎么办」 name no issue date), or when the message is nothing but a date.
_DATE_CONTEXT = re.compile(
    r"(?<!怎么)(?<!咋)(?<!如何)(?<!该)办(?!法)|领的|领了|刚领|才领|拿到|颁发|签发|发证|发的|换的|换了|刚换|补的|补办|"
    r"新证|新办|证件日期|日期|到期|过期|有效期|有效至|有效到|截止|失效|下证|出证|刚下来")
_MAX_NON_DATE_CHARS = 3  # 「是上周五」, 「2026年11月3日吧」: a bare answer with a little filler
_QUESTION = re.compile(r"[?？吗呢么]")

_DOMAIN_TLD = r"(?:[a-z]{2,24}|xn--[a-z0-9\-]{2,59}|中国|中國|公司|网络|網絡|在线|网址|商城|手机|集团|我爱你|信息|网店|游戏|企业|广东|佛山)"
_DOMAIN_LABEL = r"[a-z0-9\u3400-\u9fff](?:[a-z0-9\u3400-\u9fff\-]{0,62})"
_DOMAIN = re.compile(
    r"(?:(?:https?://)?)(?P<domain>(?:" + _DOMAIN_LABEL + r"[.。．])+" + _DOMAIN_TLD + r")(?![a-z0-9\-])",
    re.IGNORECASE,
)
# A suffix named without a domain: 「个人能注册.cn吗」
_BARE_SUFFIX = re.compile(r"(?<![a-z0-9])[.．。](?P<suffix>(?:com|net|org|gov|edu|ac)[.．。]cn|cn|中国|公司|网络|com|net|org)"
                          r"(?![a-z0-9])", re.IGNORECASE)
# File names people mention when talking about uploads, not domains.
_FILE_EXTENSIONS = {"jpg", "jpeg", "png", "bmp", "heic", "webp", "pdf", "doc", "docx", "gif", "tif", "tiff", "zip"}
# Words that end a Chinese sentence part before an IDN label: 「我的域名是张三.中国」 → 张三.中国. Strong markers are
# tried first so that a name containing 是/的 (美的.中国) survives 「我的域名是美的.中国」.
_IDN_LEADING_STRONG = re.compile(r"^.*(?:域名是|域名为|域名叫|域名|网址是|网址|网站是|网站|[:：])")
_IDN_LEADING_WEAK = re.compile(r"^.*(?:是|为|叫|注册了|注册|买了|我的|的)")


# ---------------------------------------------------------------------------------------------------- helpers


def is_skip(text: str) -> bool:
    return bool(_SKIP.match(to_simplified(text or "").strip()))


def _blank_out(text: str, spans) -> str:
    """Replace spans by spaces so later patterns do not see them but offsets stay the same."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _regions_named(text: str) -> list[str]:
    return [region for region, pattern in _REGION_PATTERNS.items() if pattern.search(text)]


def _holder_types_named(text: str) -> list[str]:
    return [holder for holder, pattern in _HOLDER_WORDS.items() if pattern.search(text)]


def _find_domains(text: str) -> list[tuple[int, int, str]]:
    """(start, end, domain) for each domain name in the text."""
    found = []
    for m in _DOMAIN.finditer(text):
        domain = m.group("domain")
        start = m.start("domain")
        tld = re.split(r"[.。．]", domain)[-1].lower()
        if tld in _FILE_EXTENSIONS:
            continue
        first_label = re.split(r"[.。．]", domain)[0]
        if re.search(r"[\u3400-\u9fff]", first_label):
            # No spaces in Chinese: cut the words before the name off the first label.
            lead = _IDN_LEADING_STRONG.match(first_label) or _IDN_LEADING_WEAK.match(first_label)
            if lead:
                if lead.end() == len(first_label):
                    continue
                start += lead.end()
                domain = domain[lead.end():]
        if re.fullmatch(r"[\d.。．]+", domain.rsplit(".", 1)[0]):
            continue  # 1.5 / 2026.11 – numbers, not names
        found.append((start, m.end("domain"), domain))
    return found


# ---------------------------------------------------------------------------------------------------- parse answers


def parse_region(text: str) -> str | None:
    """Answer to 「您的所属区域是？」 → one of REGIONS, SKIP, or None."""
    text = to_simplified(text or "")
    if is_skip(text):
        return SKIP
    stripped = (text or "").strip()
    if stripped in REGIONS:
        return stripped
    if re.fullmatch(r"其他|其它|其他地区|其它国家|其他国家|别的国家", stripped):
        return OTHER
    # A document name such as 港澳居民来往内地通行证 contains region words that are not the answer.
    mentions = documents.find_document_mentions(stripped)
    named = _regions_named(_blank_out(stripped, [(m.start, m.end) for m in mentions]))
    return named[0] if len(named) == 1 else None


def parse_holder_type(text: str) -> str | None:
    """Answer to 「持有者是个人还是企业/组织？」 → INDIVIDUAL, ORGANISATION, SKIP, or None."""
    text = to_simplified(text or "")
    if is_skip(text):
        return SKIP
    stripped = (text or "").strip()
    if stripped in HOLDER_TYPES:
        return stripped
    for holder, label in HOLDER_TYPES.items():
        if stripped == label:
            return holder
    named = _holder_types_named(stripped)
    if len(named) == 1:
        return named[0]
    code = documents.find_document_type(stripped)
    return documents.holder_type_of(code) if code else None


def parse_document_type(text: str) -> str | None:
    """Answer to 「您提交的是什么证件？」 → a document code, SKIP, or None."""
    text = to_simplified(text or "")
    if is_skip(text):
        return SKIP
    return documents.find_document_type(text)


def parse_issue_date(text: str, today: date) -> date | str | None:
    """Answer to 「证件是哪天颁发的？」 → date, SKIP, or None. Raises DateProblem for a future/impossible date."""
    text = to_simplified(text or "")
    if is_skip(text):
        return SKIP
    found = parse_date_match(text, today)
    return found.value if found else None


def parse_expiry_date(text: str, today: date) -> date | str | None:
    """Answer to 「证件有效期到哪天？」 → date, SKIP, or None. 长期/长期有效 → None (no expiry to check).
    Raises DateProblem for an impossible date."""
    text = to_simplified(text or "")
    if is_skip(text):
        return SKIP
    found = parse_date_match(text, today, allow_future=True)
    return found.value if found else None


def parse_domain(text: str) -> str | None:
    """Answer to 「是哪个域名？」 → normalised domain, SKIP, or None."""
    text = to_simplified(text or "")
    if is_skip(text):
        return SKIP
    domains = _find_domains(text or "")
    return regions.normalise_domain(domains[0][2]) if domains else None


def parse_document_number(text: str) -> str | None:
    """Answer to 「证件号码是？」 → the number as typed (spaces, copy number and all), SKIP, or None.

    When the whole answer is one token it is returned even if it is short or long (a wrong length is a finding
    for realname.id_numbers, not a reason to ignore the answer)."""
    text = to_simplified(text or "")
    if is_skip(text):
        return SKIP
    candidates = find_number_candidates(text or "")
    if candidates:
        return candidates[0].typed
    stripped = (text or "").strip()
    if re.fullmatch(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ \-（）()]{6,30}", stripped) and re.search(r"[0-9０-９]", stripped):
        return stripped
    return None


# ---------------------------------------------------------------------------------------------------- free text


def extract_facts(text: str, today: date) -> dict:
    """Every fact found in a free-text message (see module docstring for the keys)."""
    facts: dict = {}
    text = to_simplified(text or "")
    if is_skip(text):
        facts["skip"] = True
        return facts

    # Order matters: numbers and domains first, then document names, and blank each out so that e.g. the 「内地」
    # in 港澳居民来往内地通行证 or the 「公司」 in 张三.公司 is not read as a region or holder type.
    numbers = find_number_candidates(text)
    if numbers:
        facts["document_number"] = numbers[0].typed
    rest = _blank_out(text, [(n.start, n.end) for n in numbers])

    domains = _find_domains(rest)
    if domains:
        facts["domain"] = regions.normalise_domain(domains[0][2])
        facts["suffix"] = regions.domain_suffix(facts["domain"])
    else:
        bare_suffix = _BARE_SUFFIX.search(rest)
        if bare_suffix:
            facts["suffix"] = "." + regions.normalise_domain(bare_suffix.group("suffix"))
            rest = _blank_out(rest, [bare_suffix.span()])  # the 公司 of .公司 is no holder type
    rest = _blank_out(rest, [(start, end) for start, end, _ in domains])

    mentions = documents.find_document_mentions(rest)
    codes = list(dict.fromkeys(mention.code for mention in mentions))
    if len(codes) == 1:
        facts["document_type"] = codes[0]
    rest = _blank_out(rest, [(m.start, m.end) for m in mentions])

    named_regions = _regions_named(rest)
    if len(named_regions) == 1:
        facts["region"] = named_regions[0]
    elif len(named_regions) > 1:
        facts["region_candidates"] = named_regions

    named_holders = _holder_types_named(rest)
    if len(named_holders) == 1:
        facts["holder_type"] = named_holders[0]
        facts["holder_type_from"] = "text"
    elif not named_holders and "document_type" in facts:
        facts["holder_type"] = documents.holder_type_of(facts["document_type"])
        facts["holder_type_from"] = "document"

    special = documents.special_holder_kind(rest)
    if special:
        facts["special_holder"] = special

    _extract_date(text, rest, today, facts)
    return facts


def _extract_date(original: str, rest: str, today: date, facts: dict) -> None:
    # First find the date without the future check: whether a future date is a problem depends on whether it is an
    # expiry date, which depends on where the date is.
    try:
        found = parse_date_match(rest, today, allow_future=True)
    except DateProblem as problem:  # impossible date such as 2026年2月30日
        if _DATE_CONTEXT.search(original) or len(original.strip()) - len(problem.text) <= _MAX_NON_DATE_CHARS:
            # an impossible date is worth telling the customer about even in a question
            facts["date_problem"] = problem
        return
    if found is None:
        return
    bare_answer = (len(original.strip()) - len(found.matched_text) <= _MAX_NON_DATE_CHARS
                   and not _QUESTION.search(original))
    if not bare_answer and not _DATE_CONTEXT.search(original):
        return
    if _expiry_word_near(rest, found.matched_text):
        facts["expiry_date"] = found.value
        return
    try:
        # Again as an issue date: a future date is a problem, and 「12月5号」 without a year means last year.
        issue = parse_date_match(rest, today)
    except DateProblem as problem:
        facts["date_problem"] = problem
        return
    if issue is not None:
        facts["issue_date"] = issue.value
        if issue.approximate:
            facts["issue_date_approximate"] = True


def _expiry_word_near(text: str, matched_text: str) -> bool:
    position = text.find(matched_text)
    if position < 0:
        return False
    window = text[max(0, position - _EXPIRY_WINDOW):position + len(matched_text) + _EXPIRY_WINDOW]
    return bool(_EXPIRY_WORDS.search(window))
