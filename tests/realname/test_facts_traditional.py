"""realname.facts reads traditional characters (and mixed text) as it reads simplified ones."""
from datetime import date

import pytest

from realname.facts import (
    extract_facts,
    is_skip,
    parse_document_type,
    parse_holder_type,
    parse_issue_date,
    parse_region,
)

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("traditional, simplified", [
    ("我是香港居民，用護照認證的", "我是香港居民，用护照认证的"),
    ("我們是臺灣的公司，營業執照是2026年11月3日頒發的", "我们是台湾的公司，营业执照是2026年11月3日颁发的"),
    ("我們是台灣的企業", "我们是台湾的企业"),
    ("中國香港個人，身份證是2026年11月3日辦的", "中国香港个人，身份证是2026年11月3日办的"),
    ("營業執照剛辦三天", "营业执照刚办三天"),
    ("身份證有效期到2026年12月10日", "身份证有效期到2026年12月10日"),
    ("我們是部隊下屬單位", "我们是部队下属单位"),
    ("我們是澳門的組織，想註冊.cn", "我们是澳门的组织，想注册.cn"),
    ("营業执照是2026年11月3日頒发的", "营业执照是2026年11月3日颁发的"),  # mixed script
])
def test_traditional_text_gives_the_same_facts(traditional, simplified):
    expected = extract_facts(simplified, TODAY)
    assert expected  # the simplified sentence has facts to compare
    assert extract_facts(traditional, TODAY) == expected


def test_the_facts_themselves():
    assert extract_facts("我是香港居民，用護照認證的", TODAY) == {
        "region": "中国香港", "document_type": "HZ", "holder_type": "individual", "holder_type_from": "document"}
    assert extract_facts("我們是臺灣的公司，營業執照是2026年11月3日頒發的", TODAY) == {
        "region": "中国台湾", "document_type": "YYZZ", "holder_type": "organisation", "holder_type_from": "text",
        "issue_date": date(2026, 11, 3)}


def test_a_traditional_domain_is_kept_as_typed():
    facts = extract_facts("我的域名是張三.中國，實名認證失敗", TODAY)
    assert facts["domain"] == "張三.中國"
    assert facts["suffix"] == ".中國"


def test_numbers_are_kept_as_typed():
    facts = extract_facts("身份證號碼１１０１０１１９９００３０７００２２", TODAY)
    assert facts["document_number"] == "１１０１０１１９９００３０７００２２"
    assert facts["document_type"] == "SFZ"


@pytest.mark.parametrize("text, region", [("臺灣", "中国台湾"), ("台灣", "中国台湾"), ("中國香港", "中国香港"),
                                          ("香港", "中国香港"), ("中國內地", "中国内地"), ("澳門", "中国澳门")])
def test_parse_region(text, region):
    assert parse_region(text) == region


@pytest.mark.parametrize("text, holder", [("個人", "individual"), ("企業", "organisation"),
                                          ("企業或組織", "organisation"), ("是公司註冊的", "organisation")])
def test_parse_holder_type(text, holder):
    assert parse_holder_type(text) == holder


@pytest.mark.parametrize("text, code", [("護照", "HZ"), ("營業執照", "YYZZ"), ("身份證", "SFZ"), ("二代身份證", "SFZ")])
def test_parse_document_type(text, code):
    assert parse_document_type(text) == code


def test_parse_issue_date_and_skip():
    assert parse_issue_date("2026年11月3日頒發", TODAY) == date(2026, 11, 3)
    assert parse_issue_date("2026年11月3號", TODAY) == date(2026, 11, 3)
    assert is_skip("記不清")
    assert is_skip("不確定")
