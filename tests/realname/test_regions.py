import re
from pathlib import Path

import pytest

from realname import regions
from realname.regions import (
    ADVICE_GO_INTERNATIONAL,
    SITE_CN,
    SITE_INTERNATIONAL,
    advice_finding,
    cn_site_advice_key,
    cn_site_allows,
    cn_site_source_cell,
    domain_suffix,
    normalise_domain,
    region_matches_document,
    registration_supported,
    registration_table,
    suffix_needs_cnnic,
)

SOURCE = (Path(__file__).parents[2] / "knowledge" / "sources" / "aliyun-realname-failures.zh.txt").read_text("utf-8")
NO = "否,建议前往国际站注册"   # exactly as printed in the source (ASCII comma)

# 表 1 中国站, as in the source (empty cell = 是; 中国香港/中国澳门 say 否 only for individuals).
CN_SITE = [
    # region,         organisation, individual
    ("中国内地",        True,  True),
    ("中国香港",        True,  False),
    ("中国澳门",        True,  False),
    ("中国台湾",        False, False),
    ("其他国家和地区",  False, False),
]
REGION_NAMES = [row[0] for row in CN_SITE]


def source_table(title: str) -> dict[str, str]:
    """Rows of a table in the source text: region → the rest of the line."""
    start = SOURCE.index(title)
    lines = SOURCE[start:].splitlines()[2:7]   # skip the title and the header line
    return {line.split(" ", 1)[0]: (line.split(" ", 1)[1] if " " in line else "") for line in lines}


@pytest.mark.parametrize("region, organisation, individual", CN_SITE)
def test_cn_site_table(region, organisation, individual):
    assert cn_site_allows(region, "organisation") is organisation
    assert cn_site_allows(region, "individual") is individual
    assert registration_supported(SITE_CN, region, "organisation") is organisation


@pytest.mark.parametrize("region", REGION_NAMES)
@pytest.mark.parametrize("holder_type", ["organisation", "individual"])
def test_international_site_supports_everyone(region, holder_type):
    assert registration_supported(SITE_INTERNATIONAL, region, holder_type) is True


@pytest.mark.parametrize("region, organisation, individual", CN_SITE)
def test_yaml_matches_the_source_text_table_1(region, organisation, individual):
    row = source_table("表 1. 中国站")[region]
    assert row.count("否") == (not organisation) + (not individual)
    assert cn_site_source_cell(region, "organisation") == ("" if organisation else NO)
    assert cn_site_source_cell(region, "individual") == ("" if individual else NO)


@pytest.mark.parametrize("region", REGION_NAMES)
def test_yaml_matches_the_source_text_table_2(region):
    assert source_table("表 2. 国际站")[region] == ""      # every cell empty = 是


def test_source_note_agrees_with_table():
    assert registration_table()["note"] in SOURCE
    assert registration_table()["intro"] in SOURCE
    # 「CNNIC未授权阿里云中国站为中国香港和中国澳门个人用户、中国台湾个人和企业用户提供…」
    assert not cn_site_allows("中国香港", "individual") and not cn_site_allows("中国澳门", "individual")
    assert not cn_site_allows("中国台湾", "individual") and not cn_site_allows("中国台湾", "organisation")


def test_table_regions_and_suffixes():
    table = registration_table()
    assert table["regions"] == REGION_NAMES
    assert table["suffixes"] == [".cn", ".中国", ".公司", ".网络"]
    for site in (SITE_CN, SITE_INTERNATIONAL):
        assert [row["region"] for row in table["sites"][site]["rows"]] == REGION_NAMES


@pytest.mark.parametrize("region, organisation, individual", CN_SITE)
def test_advice_key(region, organisation, individual):
    assert cn_site_advice_key(region, "organisation") == (None if organisation else ADVICE_GO_INTERNATIONAL)
    assert cn_site_advice_key(region, "individual") == (None if individual else ADVICE_GO_INTERNATIONAL)


def test_the_advice_is_from_the_source_in_both_languages():
    advice = advice_finding(ADVICE_GO_INTERNATIONAL)
    text = advice.text("zh")
    assert "国际站" in text and "具体请以CNNIC审核规则为准" in text
    assert "具体请以CNNIC审核规则为准" in SOURCE
    english = advice.text("en")
    assert "international site" in english and "CNNIC's review rules prevail" in english


@pytest.mark.parametrize("region, holder_type", [("香港", "individual"), ("中国内地", "company"), ("", "individual")])
def test_unknown_values_raise(region, holder_type):
    with pytest.raises(ValueError):
        cn_site_allows(region, holder_type)


def test_unknown_site_raises():
    with pytest.raises(ValueError):
        registration_supported("jp", "中国内地", "individual")


# ----------------------------------------------------------------------------------------------- domains


@pytest.mark.parametrize("domain, needs", [
    ("example.cn", True),
    ("EXAMPLE.CN", True),
    ("example.cn.", True),
    ("example。cn", True),
    ("example．cn", True),
    ("example.com.cn", True),
    ("example.net.cn", True),
    ("example.org.cn", True),
    ("example.gov.cn", True),
    ("example.bj.cn", True),
    ("www.example.com.cn", True),
    ("https://example.cn/path", True),
    ("张三.中国", True),
    ("张三.公司", True),
    ("张三.网络", True),
    ("xn--fiqs8s", False),          # a suffix alone is no domain
    ("abc.xn--fiqs8s", True),       # .中国 in punycode
    ("abc.xn--55qx5d", True),       # .公司
    ("abc.xn--io0a7i", True),       # .网络
    ("example.com", False),
    ("example.cn.com", False),
    ("example.net", False),
    ("张三.中國", False),            # not one of the four suffixes the source names
    ("example.hk", False),
    ("cn", False),
    ("", False),
])
def test_suffix_needs_cnnic(domain, needs):
    assert suffix_needs_cnnic(domain) is needs


@pytest.mark.parametrize("domain, suffix", [
    ("example.cn", ".cn"),
    ("example.com.cn", ".com.cn"),
    ("a.b.example.com.cn", ".com.cn"),
    ("example.sh.cn", ".sh.cn"),
    ("cn.cn", ".cn"),
    ("张三.中国", ".中国"),
    ("abc.xn--fiqs8s", ".中国"),
    ("Example.COM", ".com"),
    ("example", ""),
])
def test_domain_suffix(domain, suffix):
    assert domain_suffix(domain) == suffix


@pytest.mark.parametrize("typed, normalised", [
    ("WWW.Example.CN", "example.cn"),
    ("http://example.cn/a/b", "example.cn"),
    ("www.cn", "www.cn"),
    ("xn--fiqs8s.xn--fiqs8s", "中国.中国"),
    ("张三。中国", "张三.中国"),
])
def test_normalise_domain(typed, normalised):
    assert normalise_domain(typed) == normalised


# ----------------------------------------------------------------------------------------------- region vs document


@pytest.mark.parametrize("doc_code, allowed", [
    ("SFZ", {"中国内地"}),
    ("HZ", {"中国香港", "中国澳门", "中国台湾", "其他国家和地区"}),
    ("TXZ", {"中国香港", "中国澳门"}),
    ("TW", {"中国台湾"}),
    ("WAIGUOREN", {"其他国家和地区"}),
    ("HKMOJUMIN", {"中国香港", "中国澳门", "中国台湾"}),
    ("YYZZ", {"中国内地"}),
    ("XYDM", {"中国内地"}),
    ("ORG", {"中国内地"}),
    ("WAIGUOJIGOU", {"中国香港", "中国澳门", "中国台湾", "其他国家和地区"}),
])
def test_region_matches_document(doc_code, allowed):
    for region in REGION_NAMES:
        assert region_matches_document(region, doc_code) is (region in allowed), (region, doc_code)


def test_region_matches_document_lower_case_code_and_unknown_code():
    assert region_matches_document("中国香港", "txz")
    assert not region_matches_document("中国内地", "NOPE")


def test_cnnic_suffix_constants_match_source():
    for suffix in regions.CNNIC_SUFFIXES:
        assert suffix in SOURCE
    assert re.search(r"“\.cn/\.中国/\.公司/\.网络”", SOURCE)
