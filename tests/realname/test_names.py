from pathlib import Path

import pytest

from realname.names import CHECK, ERROR, check_names, country_code_problem

FAILURES = (Path(__file__).parents[2] / "knowledge" / "sources" / "aliyun-realname-failures.zh.txt").read_text("utf-8")


def codes(findings):
    return [finding.code for finding in findings]


@pytest.mark.parametrize("chinese, english, document_is_english, expected", [
    # plain, consistent names
    ("张三", "Zhang San", False, []),
    ("北京某某科技有限公司", "Beijing Moumou Technology Co., Ltd.", False, []),
    # special characters: keep them in the Chinese field, remove them from the English field (联系人信息无效)
    ("阿卜杜·热合曼", "Abudu Rehman", False, []),
    ("阿卜杜·热合曼", "Abudu·Rehman", False, ["english_special_characters"]),
    ("《读者》杂志社", "Duzhe Magazine", False, []),
    ("《读者》杂志社", "《Duzhe》 Magazine", False, ["english_special_characters"]),
    ("阿卜杜·热合曼", "Abudu•Rehman", False, ["english_special_characters"]),
    # look-alike dots in the Chinese field
    ("阿卜杜•热合曼", None, False, ["chinese_dot_variant"]),
    ("阿卜杜・热合曼", None, False, ["chinese_dot_variant"]),
    # full-width characters in the English field
    ("张三", "Ｚｈａｎｇ San", False, ["english_full_width"]),
    ("张三", "Zhang\u3000San", False, ["english_full_width"]),
    # spaces
    (" 张三", None, False, ["chinese_extra_spaces"]),
    ("Zhang  San", None, True, ["chinese_extra_spaces"]),
    # empty
    ("", None, False, ["chinese_empty"]),
    ("   ", "Zhang San", False, ["chinese_empty"]),
])
def test_check_names(chinese, english, document_is_english, expected):
    assert codes(check_names(chinese, english, document_is_english)) == expected


@pytest.mark.parametrize("chinese, english, expected", [
    ("John Smith", "John Smith", []),
    ("ACME HOLDINGS LIMITED", "ACME HOLDINGS LIMITED", []),
    ("约翰·史密斯", "John Smith", ["chinese_field_not_english"]),
    ("ACME 控股有限公司", None, ["chinese_field_not_english"]),
    ("ACME Holdings Ltd.", None, ["possible_abbreviation"]),
    ("ACME Intl Co", None, ["possible_abbreviation", "possible_abbreviation"]),
    ("ＡＣＭＥ Holdings Limited", None, ["chinese_field_full_width_latin"]),
    ("John Smith", "JOHN SMITH", ["case_differs"]),
    ("John Smith", "Jon Smith", []),     # different, but the English field may legitimately differ
])
def test_english_document(chinese, english, expected):
    assert codes(check_names(chinese, english, document_is_english=True)) == expected


def test_english_document_rule_is_in_the_source():
    assert "如果提交英文证件,域名持有者名称(中文)处也需要填写英文" in FAILURES.replace("（", "(").replace("）", ")")


@pytest.mark.parametrize("typed, printed, expected", [
    ("ACME Holdings Limited", "ACME Holdings Limited", []),
    ("Acme Holdings Limited", "ACME Holdings Limited", ["case_differs_from_certificate"]),
    ("ACME  Holdings Limited", "ACME Holdings Limited", ["chinese_extra_spaces", "spaces_differ_from_certificate"]),
    ("ACME Hldgs Ltd", "ACME Holdings Limited", ["possible_abbreviation", "possible_abbreviation", "abbreviated"]),
    ("北京某某", "北京某某科技有限公司", ["abbreviated"]),
    ("阿卜杜热合曼", "阿卜杜·热合曼", ["special_characters_differ_from_certificate"]),
    ("北京某某(中国)有限公司", "北京某某（中国）有限公司", ["width_differs_from_certificate"]),
    ("张叁", "张三", ["differs_from_certificate"]),
])
def test_compare_with_certificate(typed, printed, expected):
    findings = check_names(typed, certificate_name=printed, document_is_english=typed.isascii())
    assert codes(findings) == expected


def test_severities_and_fields():
    (finding,) = check_names("阿卜杜·热合曼", "Abudu·Rehman")
    assert finding.severity == ERROR and finding.field == "english"
    assert "删除圆点分隔符号" in finding.message
    (finding,) = check_names("阿卜杜•热合曼")
    assert finding.severity == CHECK and finding.field == "chinese"


def test_special_character_rule_is_in_the_source():
    assert "圆点分隔符号(·)、书名号(《》)" in FAILURES.replace("（", "(").replace("）", ")")


# ----------------------------------------------------------------------------------------------- country code


# Source: 「中国的国家代码为86,建议您使用系统默认值,请勿将国内区号填入国家代码处。」 Only a bare 86 is what it asks.
@pytest.mark.parametrize("typed, region, expected", [
    ("86", None, None),
    ("86", "中国内地", None),
    ("８６", "中国内地", None),  # the same digits typed full-width
    ("+86", "中国内地", "country_code_prefixed"),
    ("0086", "中国内地", "country_code_prefixed"),
    ("086", None, "country_code_prefixed"),
    ("852", "中国香港", "country_code_other"),
    ("852", None, "country_code_other"),
    ("10", "中国内地", "country_code_other"),
    ("010", None, "country_code_is_area_code"),
    ("021", "中国内地", "country_code_is_area_code"),
    ("0755", None, "country_code_is_area_code"),
    ("+0755", None, "country_code_is_area_code"),
    ("", None, "country_code_empty"),
    ("中国", None, "country_code_not_digits"),
    ("86-10", None, "country_code_not_digits"),
])
def test_country_code_problem(typed, region, expected):
    finding = country_code_problem(typed, region)
    assert (finding.code if finding else None) == expected
    if finding:
        assert "中国的国家代码为86，建议您使用系统默认值" in finding.message
        assert "中国的国家代码为86,建议您使用系统默认值" in FAILURES


def test_area_code_message_quotes_the_source():
    finding = country_code_problem("0755")
    assert "请勿将国内区号填入国家代码处" in finding.message
    assert "请勿将国内区号填入国家代码处" in FAILURES
