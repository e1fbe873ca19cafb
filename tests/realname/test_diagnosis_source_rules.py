"""Each correction of issue 11 §2 against the sentence of the source it follows.

Every test names the source sentence (as it stands in knowledge/sources/aliyun-realname-failures.zh.txt) and
checks both that the sentence is there and that the reply follows it."""
from datetime import date
from pathlib import Path

import pytest

from realname import diagnosis
from realname.findings import render

TODAY = date(2026, 11, 29)
SOURCE = (Path(__file__).parents[2] / "knowledge" / "sources" / "aliyun-realname-failures.zh.txt").read_text("utf-8")


def quoted(sentence: str) -> str:
    assert sentence in SOURCE, f"not in the source: {sentence}"
    return sentence


def fix(intent, known):
    return diagnosis.explain(intent, known, TODAY).fix


# ------------------------------------------------------------------------------------- refund for sensitive words

REFUND_CN = quoted(".cn/.中国域名:因域名命名导致的实名认证审核不通过,待域名被注册局删除后系统会自动退款,整个流程通常需要5~7天。")
NO_REFUND = quoted("其他域名:因域名命名导致的实名认证审核不通过将无法退款。")


@pytest.mark.parametrize("domain", ["abc.cn", "abc.com.cn", "abc.gov.cn", "例子.中国", "abc.xn--fiqs8s"])
def test_the_automatic_refund_is_promised_for_cn_and_zhongguo_only(domain):
    text = fix("fail_sensitive_word", {"domain": domain})
    assert "自动退款" in text and "5~7天" in text
    assert "无法退款" not in text


@pytest.mark.parametrize("domain", ["abc.公司", "abc.网络", "abc.com", "abc.net"])
def test_other_suffixes_including_gongsi_and_wangluo_get_no_refund(domain):
    text = fix("fail_sensitive_word", {"domain": domain})
    assert "无法退款" in text
    assert "自动退款" not in text


# ---------------------------------------------------------------------------------- passports, reason by reason

MISSING_INDIVIDUAL = quoted("如果填写的域名持有者名称是个人姓名,即持有者为自然人,请提交中国内地居民身份证或护照。")
TYPE_INDIVIDUAL = quoted("中国内地自然人用户,请提交身份证。非中国内地自然人用户,请提交护照。")
TYPE_ORGANISATION = quoted("中国内地组织或企业用户,必须提交含有有效18位统一社会信用代码的证件。")
SPECIAL = quoted("军人、僧人等不能通过18位身份证号码核验域名持有者身份,建议您更换证件类型重新提交审核。")


def test_cert_missing_accepts_a_passport_from_a_mainland_person():
    # 未提交注册者证件: 「中国内地居民身份证或护照」 — a passport is fine here, whatever the region
    known = {"holder_type": "individual", "region": "中国内地", "doc_type": "HZ"}
    text = fix("fail_cert_missing", known)
    assert "不符" not in text
    assert "身份证或护照" in text


def test_cert_type_tells_a_mainland_person_with_a_passport_to_submit_the_id_card():
    # 证件类型选择错误: 「中国内地自然人用户,请提交身份证」
    known = {"holder_type": "individual", "region": "中国内地", "doc_type": "HZ", "doc_number": "skip"}
    text = fix("fail_cert_type_or_number", known)
    assert "「护照」与持有者不符" in text
    assert "中国内地的个人请提交身份证（18位身份证号码）" in text


def test_cert_type_tells_a_hong_kong_person_with_an_id_card_to_submit_a_passport():
    known = {"holder_type": "individual", "region": "中国香港", "doc_type": "SFZ", "doc_number": "skip"}
    text = fix("fail_cert_type_or_number", known)
    assert "非中国内地的个人请提交护照" in text


def test_cert_type_tells_an_organisation_that_chose_the_id_card_which_documents_and_number_fit():
    known = {"holder_type": "organisation", "region": "中国内地", "doc_type": "SFZ", "doc_number": "skip"}
    text = fix("fail_cert_type_or_number", known)
    assert "持有者是企业或组织，所选的证件类型「身份证」与持有者不符" in text
    assert "18位统一社会信用代码" in text and "营业执照" in text


def test_cert_type_with_unknown_region_names_both_sides_of_the_rule():
    known = {"holder_type": "individual", "doc_type": "YYZZ", "region": "skip", "doc_number": "skip"}
    text = fix("fail_cert_type_or_number", known)
    assert "中国内地的个人请提交身份证" in text and "非中国内地的个人请提交护照" in text


def test_cert_type_asks_the_holder_even_when_the_document_seems_to_tell_it():
    known = {"doc_type": "SFZ", "region": "中国内地", "doc_number": "skip"}
    assert diagnosis.questions_for("fail_cert_type_or_number", known, TODAY) == ["holder_type"]


def test_a_reason_without_a_document_sentence_says_nothing_about_region_and_document():
    # 库中无此号: its sentences are about the name, the number, 户口 and 军人/僧人, not which document fits
    known = {"region": "中国内地", "doc_type": "HZ", "holder_type": "individual", "doc_number": "skip"}
    text = fix("fail_number_not_found", known)
    assert "不符" not in text


def test_a_soldier_with_a_passport_gets_the_source_advice_and_no_contradiction():
    slots = diagnosis.facts_from_text("我是军人，用护照提交的", TODAY)
    assert slots["special_holder"] == "special_occupation"
    known = {**slots, "region": "中国内地", "holder_type": "individual"}
    for intent in ("fail_number_not_found", "fail_overseas_user", "fail_cert_type_or_number"):
        text = fix(intent, known)
        assert "建议您更换其他证件类型" in text, intent
        assert "不符" not in text and "应提交" not in text, intent


def test_region_rule_still_catches_a_permit_with_the_wrong_region():
    quoted("需根据证件所标记的地区,正确选择所属区域中国香港中国澳门")
    text = fix("fail_overseas_user", {"region": "中国内地", "doc_type": "TXZ", "holder_type": "individual"})
    assert "所属区域「中国内地」与证件「港澳居民来往内地通行证」不符" in text


# ------------------------------------------------------------------------------------------------ country code

COUNTRY_CODE = quoted("中国的国家代码为86,建议您使用系统默认值,请勿将国内区号填入国家代码处。")


@pytest.mark.parametrize("code", ["+86", "0086", "086", "010", "0755", "852", "1"])
def test_every_country_code_but_a_bare_86_gets_the_source_advice(code):
    text = fix("fail_contact_param", {"country_code": code})
    assert "86" in text and "系统默认值" in text
    assert "填写正确" not in text


def test_a_bare_86_is_not_called_the_cause_nor_cleared():
    text = fix("fail_contact_param", {"country_code": "86"})
    assert "不是这次失败的原因" not in text and "填写正确" not in text
    assert "系统默认值" in text


# ------------------------------------------------------------------------------------ new documents, wait over

WAIT = quoted("请您在证件颁发日期10个自然日后重新提交审核申请。")
METHOD_TWO = quoted("提供上级主管部门加盖公章的证明资料或联系对应管理中心更新单位信息。")


@pytest.mark.parametrize("days_ago", [40, 60])
def test_an_organisation_document_issued_long_ago_is_told_the_wait_is_over_with_method_two(days_ago):
    issued = date.fromordinal(TODAY.toordinal() - days_ago)
    text = fix("fail_new_cert", {"issue_date": issued.isoformat(), "holder_type": "organisation"})
    assert "等待期已过" in text and f"已过{days_ago}天" in text
    assert "上级主管部门加盖公章的证明资料" in text and "联系对应管理中心更新单位信息" in text
    assert "10个自然日后重新提交" not in text and "请从" not in text


def test_an_individual_document_issued_long_ago_gets_the_individual_ways():
    quoted("您可以使用加盖公安局户口专用章的户籍证明或等待落户完毕后再提交审核,具体请以审核机构审核结果为准。")
    text = fix("fail_new_cert", {"issue_date": "2026-10-01", "holder_type": "individual"})
    assert "等待期已过" in text and "户籍证明" in text
    assert "上级主管部门" not in text


def test_a_document_inside_the_ten_days_still_waits():
    text = fix("fail_new_cert", {"issue_date": "2026-11-26", "holder_type": "organisation"})
    assert "请从2026年12月6日起再提交" in text


# ---------------------------------------------------------------------------------------- numbers shown back

def test_a_credit_code_with_one_look_alike_letter_gets_the_corrected_code_in_full():
    valid = "91350100M000100Y43"
    from stdnum.cn import uscc
    assert uscc.is_valid(valid)
    typed = valid[:13] + "O" + valid[14:]  # 0 → O at position 14
    check = render(diagnosis.number_slots(typed, TODAY)["number_check"], "zh")
    assert typed in check
    assert check.count(valid) == 1 and f"改正后的代码是 {valid}" in check


def test_a_resident_id_stays_masked_and_the_reply_names_the_position_and_the_change():
    valid = "11010519491231002X"
    typed = valid[:14] + "O" + valid[15:]  # the 15th character, a 0, typed as the letter O
    slot = diagnosis.number_slots(typed, TODAY)["number_check"]
    check = render(slot, "zh")
    assert valid not in str(slot) and typed not in str(slot)
    assert "第15位" in check and "“O”" in check and "“0”" in check
    assert check.count("第15位") == 1


# ------------------------------------------------------------------------------------------ region conditions

def test_the_mainland_id_scan_step_is_for_mainland_people_only():
    quoted("自然人用户:请提交中国内地居民身份证复印件或扫描件。")
    quoted("非中国内地自然人用户,请提交护照。")
    mainland = fix("fail_cert_unqualified", {"holder_type": "individual", "region": "中国内地"})
    abroad = fix("fail_cert_unqualified", {"holder_type": "individual", "region": "其他国家和地区"})
    assert "中国内地居民身份证的扫描件" in mainland and "护照" not in mainland
    assert "请提交护照" in abroad and "中国内地居民身份证" not in abroad


def test_the_cn_site_step_lists_the_rows_of_the_source_table_and_only_for_cnnic_suffixes():
    quoted("其他国家和地区 否,建议前往国际站注册 否,建议前往国际站注册")
    quoted("具体请以CNNIC审核规则为准")
    text = fix("fail_shown_overseas", {})
    assert "其他国家和地区的个人和企业" in text and "具体请以CNNIC审核规则为准" in text
    assert "国际站注册" not in fix("fail_shown_overseas", {"domain": "abc.com"})


# ---------------------------------------------------------------------------- our limits are advice, not rules

def test_project_limits_are_worded_as_advice():
    from realname import dates
    soon = dates.expiry_advice(date(2026, 12, 10), TODAY)
    assert soon.status == "expiring_soon" and "建议" in soon.finding.text("zh")
    assert "we recommend" in soon.finding.text("en").lower()


def test_the_source_caveats_are_kept():
    caveat = quoted("具体请以审核机构审核结果为准")
    text = fix("fail_number_not_found", {"holder_type": "individual", "doc_number": "skip"})
    assert caveat in text
