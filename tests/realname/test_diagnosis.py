"""The diagnosis: which questions, how answers are read, and the exact fix, table by table."""
from datetime import date

import pytest

from realname import diagnosis

TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("REALNAME_TODAY", TODAY.isoformat())


@pytest.mark.parametrize(
    "intent, known, asked",
    [
        ("fail_contact_wrong", {}, []),
        ("fail_cert_missing", {}, ["holder_type"]),
        ("fail_cert_missing", {"doc_type": "YYZZ"}, []),  # the document tells the holder type
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
    assert diagnosis.questions_for(intent, known) == asked


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
    assert answer.value is None and "重新输入" in answer.problem


def test_a_number_in_free_text_is_checked_and_only_kept_masked():
    slots = diagnosis.facts_from_text("提示库中无此号，我填的是 110105 19491231 002X", TODAY)
    assert slots["doc_number"] == "1101********002X"
    assert "正确" in slots["number_check"]
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
