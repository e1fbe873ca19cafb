from datetime import date

import pytest

from realname import facts as F
from realname.dates import DateProblem
from realname.documents import document_types
from realname.facts import (
    HOLDER_TYPES,
    REGIONS,
    SKIP,
    extract_facts,
    is_skip,
    parse_document_number,
    parse_document_type,
    parse_domain,
    parse_expiry_date,
    parse_holder_type,
    parse_issue_date,
    parse_region,
)
from realname.regions import registration_table

TODAY = date(2026, 11, 29)   # a Sunday
RESIDENT_ID = "110101199003070022"
CREDIT_CODE = "91110000600037341L"


def test_regions_are_the_rows_of_the_source_tables():
    assert list(REGIONS) == registration_table()["regions"]
    assert REGIONS == ("中国内地", "中国香港", "中国澳门", "中国台湾", "其他国家和地区")


def test_holder_types():
    assert HOLDER_TYPES == {"individual": "个人", "organisation": "企业或组织"}
    assert set(HOLDER_TYPES) == set(registration_table()["holder_types"])
    assert {d.holder_type for d in document_types().values()} == set(HOLDER_TYPES)


# ----------------------------------------------------------------------------------------------- skip


@pytest.mark.parametrize("text, skip", [
    ("不知道", True), ("跳过", True), ("不清楚", True), ("忘了", True), ("不知道。", True), ("跳过吧", True),
    ("skip", True), ("  不知道啊 ", True),
    ("我不知道为什么失败", False), ("香港", False), ("", False),
])
def test_is_skip(text, skip):
    assert is_skip(text) is skip


@pytest.mark.parametrize("parse", [parse_region, parse_holder_type, parse_document_type, parse_domain,
                                   parse_document_number])
def test_every_parser_recognises_skip(parse):
    assert parse("不知道") == SKIP
    assert parse("跳过") == SKIP


@pytest.mark.parametrize("parse", [parse_issue_date, parse_expiry_date])
def test_date_parsers_recognise_skip(parse):
    assert parse("不知道", TODAY) == SKIP


# ----------------------------------------------------------------------------------------------- parse answers


@pytest.mark.parametrize("text, region", [
    ("中国内地", "中国内地"), ("内地", "中国内地"), ("大陆", "中国内地"), ("国内", "中国内地"), ("中国大陆", "中国内地"),
    ("香港", "中国香港"), ("香港居民", "中国香港"), ("HK", "中国香港"), ("我是香港人", "中国香港"), ("Hong Kong", "中国香港"),
    ("澳门", "中国澳门"), ("Macau", "中国澳门"),
    ("台湾", "中国台湾"), ("臺灣", "中国台湾"),
    ("海外", "其他国家和地区"), ("国外", "其他国家和地区"), ("美国", "其他国家和地区"), ("新加坡", "其他国家和地区"),
    ("其他", "其他国家和地区"), ("其他国家和地区", "其他国家和地区"),
    ("港澳", None), ("境外", None), ("香港和内地都有", None), ("随便", None),
    ("港澳居民来往内地通行证", None),    # a document name, not a region answer
])
def test_parse_region(text, region):
    assert parse_region(text) == region


@pytest.mark.parametrize("text, holder", [
    ("个人", "individual"), ("自然人", "individual"), ("我自己", "individual"),
    ("企业", "organisation"), ("公司", "organisation"), ("组织", "organisation"), ("企业或组织", "organisation"),
    ("单位", "organisation"), ("individual", "individual"),
    ("营业执照", "organisation"), ("身份证", "individual"),     # implied by the document named
    ("个人还是公司我也不确定", None), ("嗯", None),
])
def test_parse_holder_type(text, holder):
    assert parse_holder_type(text) == holder


@pytest.mark.parametrize("text, code", [
    ("身份证", "SFZ"), ("二代身份证", "SFZ"), ("护照", "HZ"), ("回乡证", "TXZ"), ("台胞证", "TW"), ("绿卡", "WAIGUOREN"),
    ("营业执照", "YYZZ"), ("用的营业执照副本", "YYZZ"), ("yyzz", "YYZZ"), ("通行证", None), ("不记得是哪种", None),
])
def test_parse_document_type(text, code):
    assert parse_document_type(text) == code


@pytest.mark.parametrize("text, expected", [
    ("2026年11月3日", date(2026, 11, 3)), ("上周五", date(2026, 11, 20)), ("三天前", date(2026, 11, 26)),
    ("昨天", date(2026, 11, 28)), ("刚办", TODAY), ("上个月5号", date(2026, 10, 5)), ("11月3号", date(2026, 11, 3)),
    ("记不太清了", None),
])
def test_parse_issue_date(text, expected):
    assert parse_issue_date(text, TODAY) == expected


@pytest.mark.parametrize("text, kind", [("2026年12月5日", "future"), ("2026年2月30日", "impossible"), ("明天", "future")])
def test_parse_issue_date_problems(text, kind):
    with pytest.raises(DateProblem) as problem:
        parse_issue_date(text, TODAY)
    assert problem.value.kind == kind


@pytest.mark.parametrize("text, expected", [
    ("2036年11月29日", date(2036, 11, 29)), ("12月5号", date(2026, 12, 5)), ("长期", None),
])
def test_parse_expiry_date(text, expected):
    assert parse_expiry_date(text, TODAY) == expected


@pytest.mark.parametrize("text, domain", [
    ("example.cn", "example.cn"), ("Example.COM.CN", "example.com.cn"), ("www.example.cn", "example.cn"),
    ("张三.中国", "张三.中国"), ("是张三.公司", "张三.公司"), ("域名：abc.网络", "abc.网络"),
    ("https://shop.example.cn/a", "shop.example.cn"), ("xn--fiqs8s.xn--fiqs8s", "中国.中国"),
    ("scan.jpg", None), ("没有域名", None),
])
def test_parse_domain(text, domain):
    assert parse_domain(text) == domain


@pytest.mark.parametrize("text, number", [
    (RESIDENT_ID, RESIDENT_ID),
    (f"号码是{RESIDENT_ID}", RESIDENT_ID),
    (f"{CREDIT_CODE}(1-1)", f"{CREDIT_CODE}(1-1)"),
    ("1101 0119 9003 0700 22", "1101 0119 9003 0700 22"),
    ("11010119900307002", "11010119900307002"),      # one digit short: still the answer, checked later
    ("600037341", "600037341"),
    ("没带在身边", None),
])
def test_parse_document_number(text, number):
    assert parse_document_number(text) == number


# ----------------------------------------------------------------------------------------------- free text


@pytest.mark.parametrize("text, expected", [
    ("营业执照刚办三天",
     {"document_type": "YYZZ", "holder_type": "organisation", "holder_type_from": "document",
      "issue_date": date(2026, 11, 26)}),
    ("昨天刚办的身份证",
     {"document_type": "SFZ", "holder_type": "individual", "holder_type_from": "document",
      "issue_date": date(2026, 11, 28)}),
    ("刚办的营业执照",
     {"document_type": "YYZZ", "holder_type": "organisation", "holder_type_from": "document",
      "issue_date": TODAY, "issue_date_approximate": True}),
    ("我是香港居民，用回乡证认证的",
     {"region": "中国香港", "document_type": "TXZ", "holder_type": "individual", "holder_type_from": "document"}),
    ("我在美国，个人注册.cn",
     {"region": "其他国家和地区", "holder_type": "individual", "holder_type_from": "text", "suffix": ".cn"}),
    ("我们是台湾的公司，想注册.中国",
     {"region": "中国台湾", "holder_type": "organisation", "holder_type_from": "text", "suffix": ".中国"}),
    ("大陆个人", {"region": "中国内地", "holder_type": "individual", "holder_type_from": "text"}),
    ("我的域名是张三.中国，实名失败了", {"domain": "张三.中国", "suffix": ".中国"}),
    ("我的域名是美的.中国", {"domain": "美的.中国", "suffix": ".中国"}),
    ("example.com.cn的实名认证失败", {"domain": "example.com.cn", "suffix": ".com.cn"}),
    ("域名abc.公司审核没过", {"domain": "abc.公司", "suffix": ".公司"}),
    ("个人能注册.公司吗", {"holder_type": "individual", "holder_type_from": "text", "suffix": ".公司"}),
    ("上传了scan.jpg还是失败", {}),
    (f"身份证号{RESIDENT_ID}",
     {"document_number": RESIDENT_ID, "document_type": "SFZ", "holder_type": "individual",
      "holder_type_from": "document"}),
    (f"我们公司营业执照{CREDIT_CODE}(1-1)",      # 「公司营业执照」 is one alias of YYZZ
     {"document_number": f"{CREDIT_CODE}(1-1)", "document_type": "YYZZ", "holder_type": "organisation",
      "holder_type_from": "document"}),
    (f"我们单位用营业执照{CREDIT_CODE}",
     {"document_number": CREDIT_CODE, "document_type": "YYZZ", "holder_type": "organisation",
      "holder_type_from": "text"}),
    ("港澳居民来往内地通行证",
     {"document_type": "TXZ", "holder_type": "individual", "holder_type_from": "document"}),
    ("我是香港人，公司在内地", {"region_candidates": ["中国内地", "中国香港"], "holder_type": "organisation",
                                "holder_type_from": "text"}),
    ("身份证有效期到2026年12月10日",
     {"document_type": "SFZ", "holder_type": "individual", "holder_type_from": "document",
      "expiry_date": date(2026, 12, 10)}),
    ("我是军人", {"special_holder": "special_occupation"}),
    ("我们是部队下属单位",
     {"holder_type": "organisation", "holder_type_from": "text", "special_holder": "defence_unit"}),
    ("多次尝试上传资料到审核机构，均失败", {}),
    ("昨天失败了怎么办", {}),
    ("十天后再提交吗", {}),
    ("contact us", {}),
    ("上周五", {"issue_date": date(2026, 11, 20)}),
    ("是上周五", {"issue_date": date(2026, 11, 20)}),
    ("不知道", {"skip": True}),
    ("", {}),
])
def test_extract_facts(text, expected):
    assert extract_facts(text, TODAY) == expected


def test_extract_facts_two_documents_leave_type_open():
    found = extract_facts("身份证和营业执照都试过了", TODAY)
    assert "document_type" not in found
    assert "holder_type" not in found


@pytest.mark.parametrize("text, kind", [
    ("下周一办的", "future"),
    ("营业执照是2026年12月5日办的", "future"),
    ("2026年2月30日", "impossible"),
    ("身份证2026年2月30日办的", "impossible"),
])
def test_extract_facts_date_problems(text, kind):
    problem = extract_facts(text, TODAY)["date_problem"]
    assert isinstance(problem, DateProblem)
    assert problem.kind == kind
    assert problem.finding.text("zh") and problem.finding.text("en")


def test_expiry_in_the_future_is_no_problem():
    found = extract_facts("护照2030年1月1日到期", TODAY)
    assert found["expiry_date"] == date(2030, 1, 1)
    assert "date_problem" not in found


def test_issue_month_day_without_year_rolls_back():
    assert extract_facts("营业执照12月5号办的", TODAY)["issue_date"] == date(2025, 12, 5)


def test_constants_are_exported():
    assert F.MAINLAND == "中国内地" and F.OTHER == "其他国家和地区"
    assert F.INDIVIDUAL == "individual" and F.ORGANISATION == "organisation"
