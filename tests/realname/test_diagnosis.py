"""The diagnosis: which questions, how answers are read, and the exact fix, table by table."""
from datetime import date

import pytest

from realname import diagnosis
from realname.findings import render
from realname.catalog import load_catalog

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    "intent, known, asked",
    [
        ("fail_contact_wrong", {}, []),
        ("fail_cert_missing", {}, ["holder_type"]),
        # the document must fit the holder for these reasons: the holder is asked even when the document
        # seems to tell it (a person who uploaded a business licence is the case to catch)
        ("fail_cert_missing", {"doc_type": "YYZZ"}, ["holder_type"]),
        ("fail_cert_type_or_number", {"doc_type": "SFZ", "region": "中国内地", "doc_number": "skip"}, ["holder_type"]),
        ("fail_number_not_found", {"doc_number": "skip", "doc_type": "SFZ"}, []),  # the document tells it
        ("fail_number_not_found", {"doc_number": "1101****", "number_holder_type": "individual"}, []),
        ("fail_new_cert", {"issue_date": "skip"}, ["holder_type"]),
        ("fail_cert_data_check", {"doc_number": "skip", "issue_date": "2026-11-26", "holder_type": "individual"}, []),
        ("fail_cert_data_check", {"doc_number": "skip", "issue_date": "2020-01-01", "holder_type": "individual"},
         ["expiry_date"]),
        ("fail_shown_overseas", {"domain": "abc.com"}, []),  # .cn rules do not apply to .com
        ("fail_shown_overseas", {"domain": "abc.cn"}, ["region", "holder_type"]),
        ("fail_contact_param", {}, ["country_code"]),
    ],
)
def test_only_the_questions_that_matter_are_asked(intent, known, asked):
    assert diagnosis.questions_for(intent, known, TODAY) == asked


@pytest.mark.parametrize(
    "fact, typed, value",
    [
        ("region", "我是香港的", "中国香港"),
        ("holder_type", "企业或组织", "organisation"),
        ("doc_type", "回乡证", "TXZ"),
        ("issue_date", "2026年11月3日", "2026-11-03"),
        ("issue_date", "前天", "2026-11-27"),
        ("expiry_date", "长期有效", "long_term"),
        ("domain", "我的域名是 张三.中国", "张三.中国"),
        ("country_code", "+86", "+86"),
        ("region", "跳过", "skip"),
        ("doc_number", "不知道", "skip"),
    ],
)
def test_answers_are_read_in_the_forms_people_type(fact, typed, value):
    assert diagnosis.parse_answer(fact, typed, TODAY).value == value


def test_a_future_issue_date_is_refused_with_a_reason():
    answer = diagnosis.parse_answer("issue_date", "2026年12月25日", TODAY)
    assert answer.value is None and "重新输入" in answer.problem.text("zh")
    assert "enter it again" in answer.problem.text("en")


def test_a_number_in_free_text_is_checked_and_only_kept_masked():
    slots = diagnosis.facts_from_text("提示库中无此号，我填的是 110105 19491231 002X", TODAY)
    assert slots["doc_number"] == "1101********002X"
    assert "正确" in render(slots["number_check"], "zh")
    assert "19491231" not in str(slots)


@pytest.mark.parametrize(
    "intent, known, expected, absent",
    [
        ("fail_new_cert", {"issue_date": "2026-11-26"}, "请从2026年12月6日起再提交", "组代中心"),
        ("fail_overseas_user", {"region": "中国内地", "doc_type": "TXZ"}, "与证件「港澳居民来往内地通行证」不符", None),
        ("fail_shown_overseas", {"region": "中国台湾", "holder_type": "organisation", "domain": "abc.cn"},
         "国际站", None),
        ("fail_sensitive_word", {"domain": "abc.cn"}, "自动退款", "无法退款"),
        ("fail_sensitive_word", {"domain": "abc.com"}, "无法退款", "自动退款"),
        ("fail_contact_param", {"country_code": "010"}, "是国内区号", None),
        ("fail_cert_missing", {"holder_type": "individual"}, "身份证或护照", "营业执照"),
    ],
)
def test_the_fix_follows_the_rules(intent, known, expected, absent):
    fix = diagnosis.explain(intent, known, TODAY).fix
    assert expected in fix
    if absent:
        assert absent not in fix


def test_without_facts_the_general_fix_has_every_step():
    fix = diagnosis.explain("fail_sensitive_word", {}, TODAY).fix
    assert "自动退款" in fix and "无法退款" in fix


# ----------------------------------------------------------------------------------------------
# The first reply already helps; the reply after the questions says what the answers changed
# ----------------------------------------------------------------------------------------------


def test_the_first_reply_gives_the_steps_that_hold_whatever_the_answers():
    lines = diagnosis.first_lines("fail_cert_type_or_number", {}, TODAY)
    assert lines[0].startswith("按证件上印刷的证件类型选择")          # no condition: holds for everyone
    assert any("注意区分数字0和字母O" in line for line in lines)
    assert 2 <= len(lines) <= diagnosis.FIRST_STEPS


def test_the_first_reply_of_a_reason_with_only_conditional_steps_gives_the_ones_that_apply_so_far():
    lines = diagnosis.first_lines("fail_cert_missing", {}, TODAY)
    assert len(lines) == 2 and "身份证或护照" in lines[0] and "营业执照" in lines[1]


def test_the_first_reply_keeps_what_the_rules_found_in_the_message():
    known = diagnosis.facts_from_text("证件电子信息核验不合格，身份证号 11010519491231OO2X", TODAY)
    lines = diagnosis.first_lines("fail_cert_data_check", known, TODAY)
    assert lines[0].startswith("号码有误：")
    english = diagnosis.first_lines("fail_cert_data_check", known, TODAY, "en")
    assert "is not correct" in english[0] or "incorrect" in english[0].lower(), english[0]


def test_the_check_offer_names_what_the_questions_check_and_says_each_can_be_skipped():
    offer = diagnosis.check_offer(diagnosis.questions_for("fail_cert_type_or_number", {}, TODAY))
    assert offer.startswith("回答几个问题，我可以帮您核对证件类型、所属区域、持有者类型、证件号码")
    assert "跳过" in offer


def test_after_the_questions_the_decisive_finding_comes_first_and_shown_steps_are_not_repeated():
    shown = diagnosis.first_lines("fail_cert_type_or_number", {}, TODAY)
    known = {"doc_type": "SFZ", "region": "中国内地", "holder_type": "organisation", "doc_number": "skip"}
    fix = diagnosis.explain("fail_cert_type_or_number", known, TODAY, shown=shown).fix
    first = fix.splitlines()[1]
    assert first.startswith("1. 持有者是企业或组织，所选的证件类型「身份证」与持有者不符")
    for line in shown:
        assert line not in fix


def test_answers_that_change_nothing_are_said_so_instead_of_the_same_steps_again():
    shown = diagnosis.first_lines("fail_contact_wrong", {}, TODAY)
    fix = diagnosis.explain("fail_contact_wrong", {}, TODAY, shown=shown).fix
    assert load_catalog().says("nothing_new") in fix
    for line in shown:
        assert line not in fix


def test_answers_that_make_a_conditional_step_apply_give_that_step():
    shown = diagnosis.first_lines("fail_cert_unqualified", {}, TODAY)
    fix = diagnosis.explain("fail_cert_unqualified", {"holder_type": "individual", "region": "中国香港"}, TODAY,
                            shown=shown).fix
    assert "非中国内地的个人：请提交护照。" in fix
    assert "提交清晰、完整的原件彩色扫描件或照片" not in fix  # shown in the first reply
