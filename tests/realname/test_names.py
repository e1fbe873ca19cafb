import re
from pathlib import Path

import pytest

from realname.findings import finding, render
from realname.names import CHECK, ERROR, check_names, country_code_problem

FAILURES = (Path(__file__).parents[2] / "knowledge" / "sources" / "aliyun-realname-failures.zh.txt").read_text("utf-8")


def codes(checks):
    return [check.finding.code for check in checks]


@pytest.mark.parametrize("chinese, english, document_is_english, expected", [
    # plain, consistent names
    ("张三", "Zhang San", False, []),
    ("北京某某科技有限公司", "Beijing Moumou Technology Co., Ltd.", False, []),
    # special characters: keep them in the Chinese field, remove them from the English field (联系人信息无效)
    ("阿卜杜·热合曼", "Abudu Rehman", False, []),
    ("阿卜杜·热合曼", "Abudu·Rehman", False, ["name_english_special_characters"]),
    ("《读者》杂志社", "Duzhe Magazine", False, []),
    ("《读者》杂志社", "《Duzhe》 Magazine", False, ["name_english_special_characters"]),
    ("阿卜杜·热合曼", "Abudu•Rehman", False, ["name_english_special_characters"]),
    # look-alike dots in the Chinese field
    ("阿卜杜•热合曼", None, False, ["name_chinese_dot_variant"]),
    ("阿卜杜・热合曼", None, False, ["name_chinese_dot_variant"]),
    # full-width characters in the English field
    ("张三", "Ｚｈａｎｇ San", False, ["name_english_full_width"]),
    ("张三", "Zhang\u3000San", False, ["name_english_full_width"]),
    # spaces
    (" 张三", None, False, ["name_chinese_extra_spaces"]),
    ("Zhang  San", None, True, ["name_chinese_extra_spaces"]),
    # empty
    ("", None, False, ["name_chinese_empty"]),
    ("   ", "Zhang San", False, ["name_chinese_empty"]),
])
def test_check_names(chinese, english, document_is_english, expected):
    assert codes(check_names(chinese, english, document_is_english)) == expected


@pytest.mark.parametrize("chinese, english, expected", [
    ("John Smith", "John Smith", []),
    ("ACME HOLDINGS LIMITED", "ACME HOLDINGS LIMITED", []),
    ("约翰·史密斯", "John Smith", ["name_chinese_field_not_english"]),
    ("ACME 控股有限公司", None, ["name_chinese_field_not_english"]),
    ("ACME Holdings Ltd.", None, ["name_possible_abbreviation"]),
    ("ACME Intl Co", None, ["name_possible_abbreviation", "name_possible_abbreviation"]),
    ("ＡＣＭＥ Holdings Limited", None, ["name_chinese_field_full_width_latin"]),
    ("John Smith", "JOHN SMITH", ["name_case_differs"]),
    ("John Smith", "Jon Smith", []),     # different, but the English field may legitimately differ
])
def test_english_document(chinese, english, expected):
    assert codes(check_names(chinese, english, document_is_english=True)) == expected


def test_english_document_rule_is_in_the_source():
    assert "如果提交英文证件,域名持有者名称(中文)处也需要填写英文" in FAILURES.replace("（", "(").replace("）", ")")


@pytest.mark.parametrize("typed, printed, expected", [
    ("ACME Holdings Limited", "ACME Holdings Limited", []),
    ("Acme Holdings Limited", "ACME Holdings Limited", ["name_case_differs_from_certificate"]),
    ("ACME  Holdings Limited", "ACME Holdings Limited",
     ["name_chinese_extra_spaces", "name_spaces_differ_from_certificate"]),
    ("ACME Hldgs Ltd", "ACME Holdings Limited",
     ["name_possible_abbreviation", "name_possible_abbreviation", "name_abbreviated"]),
    ("北京某某", "北京某某科技有限公司", ["name_abbreviated"]),
    ("阿卜杜热合曼", "阿卜杜·热合曼", ["name_special_characters_differ_from_certificate"]),
    ("北京某某(中国)有限公司", "北京某某（中国）有限公司", ["name_width_differs_from_certificate"]),
    ("张叁", "张三", ["name_differs_from_certificate"]),
])
def test_compare_with_certificate(typed, printed, expected):
    findings = check_names(typed, certificate_name=printed, document_is_english=typed.isascii())
    assert codes(findings) == expected


def test_severities_and_fields():
    (check,) = check_names("阿卜杜·热合曼", "Abudu·Rehman")
    assert check.severity == ERROR and check.field == "english"
    assert "删除圆点分隔符号" in render(check.finding, "zh")
    (check,) = check_names("阿卜杜•热合曼")
    assert check.severity == CHECK and check.field == "chinese"


def test_special_character_rule_is_in_the_source():
    assert "圆点分隔符号(·)、书名号(《》)" in FAILURES.replace("（", "(").replace("）", ")")


# ----------------------------------------------------------------------------------------------- country code


# Source: 「中国的国家代码为86,建议您使用系统默认值,请勿将国内区号填入国家代码处。」 Only a bare 86 is what it asks.
@pytest.mark.parametrize("typed, region, expected", [
    ("86", None, None),
    ("86", "中国内地", None),
    ("８６", "中国内地", None),  # the same digits typed full-width
    ("+86", "中国内地", "name_country_code_prefixed"),
    ("0086", "中国内地", "name_country_code_prefixed"),
    ("086", None, "name_country_code_prefixed"),
    ("852", "中国香港", "name_country_code_other"),
    ("852", None, "name_country_code_other"),
    ("10", "中国内地", "name_country_code_other"),
    ("010", None, "name_country_code_is_area_code"),
    ("021", "中国内地", "name_country_code_is_area_code"),
    ("0755", None, "name_country_code_is_area_code"),
    ("+0755", None, "name_country_code_is_area_code"),
    ("", None, "name_country_code_empty"),
    ("中国", None, "name_country_code_not_digits"),
    ("86-10", None, "name_country_code_not_digits"),
])
def test_country_code_problem(typed, region, expected):
    check = country_code_problem(typed, region)
    assert (check.finding.code if check else None) == expected
    if check:
        assert "中国的国家代码为86，建议您使用系统默认值" in render(check.finding, "zh")
        assert "中国的国家代码为86,建议您使用系统默认值" in FAILURES


def test_area_code_message_quotes_the_source():
    check = country_code_problem("0755")
    assert "请勿将国内区号填入国家代码处" in render(check.finding, "zh")
    assert "请勿将国内区号填入国家代码处" in FAILURES


# ----------------------------------------------------------------------------------------------- findings

CJK = re.compile(r"[\u3400-\u9fff]")


def test_findings_carry_what_was_typed_as_params():
    (check,) = check_names("张叁", certificate_name="张三")
    assert check.finding == finding("name_differs_from_certificate", printed="张三")
    (check,) = check_names("ACME Holdings Ltd.", document_is_english=True)
    assert check.finding == finding("name_possible_abbreviation", word="Ltd.")
    assert country_code_problem("+86").finding == finding("name_country_code_prefixed", typed="+86")
    assert country_code_problem("").finding == finding("name_country_code_empty")


def test_several_characters_are_listed_in_the_reply_s_language():
    (check,) = check_names("阿卜杜•热・合曼")
    assert check.finding == finding("name_chinese_dot_variant", characters=finding(
        "name_characters", first=finding("name_character", char="•"), rest=finding("name_character", char="・")))
    assert render(check.finding, "zh") == ("名称中的“•”、“・”与圆点分隔符号（·）不是同一个字符。域名持有者名称（中文）"
                                           "需和证件资料中的名称保持严格一致，请按证件上的符号填写。")
    english = render(check.finding, "en")
    assert english.startswith("In the name, “•”, “・” and the middle dot (·) are different characters.")
    (check,) = check_names("张三", "Ｚhang\u3000San")
    assert render(check.finding, "zh") == ("域名持有者名称（英文）中含有全角字符全角空格、“Ｚ”，请切换到英文输入法，"
                                           "用半角字符填写。")
    assert "full-width characters: a full-width space, “Ｚ”." in render(check.finding, "en")


@pytest.mark.parametrize("checks, words", [
    (check_names("阿卜杜·热合曼", "Abudu·Rehman"), ["Registrant Name (English)", "Delete the middle dot (·)"]),
    (check_names("约翰·史密斯", "John Smith", document_is_english=True),
     ["English certificate", "Registrant Name (Chinese)", "upper and lower case", "abbreviated or shortened"]),
    (check_names("Acme Holdings Limited", certificate_name="ACME Holdings Limited", document_is_english=True),
     ["upper and lower case", "“ACME Holdings Limited”"]),
    (check_names("John Smyth", certificate_name="John Smith", document_is_english=True),
     ["similar forms or pronunciations", "“John Smith”"]),
    ([country_code_problem("0755")], ["“0755” is a domestic area code", "We recommend that you use the system default",
                                      "Do not enter a domestic area code"]),
])
def test_english_findings(checks, words):
    (check,) = checks
    english = render(check.finding, "en")
    assert all(word in english for word in words), english
    assert not CJK.search(english)


def test_the_country_code_of_china_as_diagnosis_says_it():
    item = finding("name_country_code_is_china", typed="86")
    assert render(item, "zh") == "您填写的国家代码是「86」，即中国的国家代码（建议使用的系统默认值）。"
    english = render(item, "en")
    assert "“86”" in english and "country code of China" in english and "we recommend" in english
