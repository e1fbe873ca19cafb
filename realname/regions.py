"""Regions, the .cn registration tables (knowledge/cn_registration.yml) and domain suffixes.

Source (aliyun-realname-failures.zh.txt): 「CNNIC授权阿里云提供“.cn/.中国/.公司/.网络”域名的注册服务」, 表 1 中国站,
表 2 国际站 and the 说明 under them; 「境外个人或组织用户」: 所属区域「需要以实际提交审核的证件信息为准」.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from realname.documents import KNOWLEDGE_DIR, get_document
from realname.findings import Finding, finding

SITE_CN = "cn"                       # 阿里云中国站
SITE_INTERNATIONAL = "international"  # 阿里云国际站

# Advice key for 「否,建议前往国际站注册」; its words are the finding region_go_international_site
# (knowledge/findings/regions.yml).
ADVICE_GO_INTERNATIONAL = "go_international_site"

# CNNIC suffixes as written in the source, and their IDNA (punycode) forms.
CNNIC_SUFFIXES = (".cn", ".中国", ".公司", ".网络")
_CNNIC_TLDS = {"cn", "中国", "公司", "网络"}
_CNNIC_TLDS |= {label.encode("idna").decode("ascii") for label in ("中国", "公司", "网络")}  # xn--fiqs8s, …

# Second-level names under .cn (category and province domains) – 「example.com.cn」 is a .cn domain too.
CN_SECOND_LEVEL = {
    "com", "net", "org", "gov", "edu", "ac", "mil",
    "bj", "tj", "he", "sx", "nm", "ln", "jl", "hl", "sh", "js", "zj", "ah", "fj", "jx", "sd", "ha", "hb", "hn",
    "gd", "gx", "hi", "cq", "sc", "gz", "yn", "xz", "sn", "gs", "qh", "nx", "xj", "tw", "hk", "mo",
}

_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})


@lru_cache(maxsize=1)
def registration_table() -> dict:
    with open(KNOWLEDGE_DIR / "cn_registration.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _cell(site: str, region: str, holder_type: str) -> dict:
    table = registration_table()
    if site not in table["sites"]:
        raise ValueError(f"unknown site: {site!r}")
    if holder_type not in table["holder_types"]:
        raise ValueError(f"unknown holder type: {holder_type!r}")
    for row in table["sites"][site]["rows"]:
        if row["region"] == region:
            return row[holder_type]
    raise ValueError(f"unknown region: {region!r}")


def registration_supported(site: str, region: str, holder_type: str) -> bool:
    """表 1/表 2: may a holder of this region and type register .cn/.中国/.公司/.网络 on that site?"""
    return bool(_cell(site, region, holder_type)["supported"])


def cn_site_allows(region: str, holder_type: str) -> bool:
    """表 1 中国站. False for 中国香港/中国澳门 individuals, 中国台湾 and 其他国家和地区 (both holder types)."""
    return registration_supported(SITE_CN, region, holder_type)


def cn_site_source_cell(region: str, holder_type: str) -> str:
    """The 表 1 cell as printed: "" (empty = 是) or 「否,建议前往国际站注册」 (the source uses an ASCII comma)."""
    return _cell(SITE_CN, region, holder_type)["source_cell"]


def cn_site_advice_key(region: str, holder_type: str) -> str | None:
    """ADVICE_GO_INTERNATIONAL when the China site cannot serve this holder for .cn suffixes, else None."""
    return None if cn_site_allows(region, holder_type) else ADVICE_GO_INTERNATIONAL


def advice_finding(key: str) -> Finding:
    return finding(f"region_{key}")


# ---------------------------------------------------------------------------------------------------- domains


def normalise_domain(domain: str) -> str:
    """Lower case, full-width dots → '.', no scheme/path/trailing dot/www., punycode labels shown as Unicode."""
    text = (domain or "").strip().translate(_DOTS).lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].rstrip(".")
    if text.startswith("www.") and text.count(".") >= 2:
        text = text[4:]  # the registered name is what real-name verification is about
    labels = []
    for label in text.split("."):
        if label.startswith("xn--"):
            try:
                label = label.encode("ascii").decode("idna")
            except UnicodeError:
                pass  # not valid punycode: keep as typed
        labels.append(label)
    return ".".join(labels)


def domain_suffix(domain: str) -> str:
    """'.cn' for abc.cn, '.com.cn' for abc.com.cn, '.中国' for 张三.中国, '.com' for abc.com ('' when no dot)."""
    labels = normalise_domain(domain).split(".")
    if len(labels) < 2:
        return ""
    if labels[-1] == "cn" and len(labels) >= 3 and labels[-2] in CN_SECOND_LEVEL:
        return "." + ".".join(labels[-2:])
    return "." + labels[-1]


def suffix_needs_cnnic(domain: str) -> bool:
    """True for .cn (incl. .com.cn, .bj.cn, …), .中国, .公司, .网络 – the suffixes the .cn tables apply to."""
    labels = normalise_domain(domain).split(".")
    return len(labels) >= 2 and labels[-1] in _CNNIC_TLDS


def naming_refund_applies(domain: str) -> bool:
    """True for .cn (incl. .com.cn, .bj.cn, …) and .中国: the source's refund for a name rejected at review
    (「.cn/.中国域名:…系统会自动退款」) is for these only; 「其他域名:…将无法退款」 (.公司 and .网络 included)."""
    labels = normalise_domain(domain).split(".")
    return len(labels) >= 2 and labels[-1] in _REFUND_TLDS


_REFUND_TLDS = {"cn", "中国", "中国".encode("idna").decode("ascii")}


# ---------------------------------------------------------------------------------------------------- region vs document


def region_matches_document(region: str, doc_code: str) -> bool:
    """Does the chosen 所属区域 fit the document? E.g. TXZ → 中国香港/中国澳门 only, SFZ/营业执照 → 中国内地 only.

    Unknown document codes return False (nothing to match against)."""
    document = get_document(doc_code)
    return bool(document) and region in document.regions
