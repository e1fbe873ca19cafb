"""The report's figures on hand-made events: each definition of operator_report/figures.py, exactly."""
import json
from datetime import datetime, timezone

from operator_report.figures import TOP_NOT_UNDERSTOOD, compute


def at(day: int, hour: int = 12, minute: int = 0, month: int = 11) -> float:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc).timestamp()


START, END = at(1, 0), at(4, 0)  # 2026-11-01 .. 2026-11-03 (UTC)
ID_NUMBER = "11010519491231002X"


def user(sender, ts, text="你好", intent="greet", channel="web"):
    event = {"sender_id": sender, "event": "user", "timestamp": ts, "text": text,
             "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}}
    if channel:
        event["input_channel"] = channel
    return event


def slot(sender, ts, name, value):
    return {"sender_id": sender, "event": "slot", "timestamp": ts, "name": name, "value": value}


def action(sender, ts, name):
    return {"sender_id": sender, "event": "action", "timestamp": ts, "name": name}


def marker(sender, ts, kind):  # "restart" or "session_started"
    return {"sender_id": sender, "event": kind, "timestamp": ts}


def test_conversations_messages_and_channels_count_the_period_only():
    events = [
        user("a", at(1, 10)), user("a", at(2, 9)),
        user("b", at(31, 20, month=10), channel="dingtalk"), user("b", at(2, 11), channel="rest"),
        user("c", at(31, 23, month=10)),                       # before the period: no conversation
        user("d", at(3, 23, 59), channel=None),                # no input_channel
        user("e", END),                                        # the first moment after the period
    ]
    f = compute(events, START, END)
    assert (f["conversations"], f["messages"]) == (3, 4)
    assert f["channels"] == {"rest": 1, "unknown": 1, "web": 1}
    assert list(f["channels"]) == ["rest", "unknown", "web"]
    assert [(d["date"], d["conversations"], d["messages"]) for d in f["days"]] == [
        ("2026-11-01", 1, 1), ("2026-11-02", 1, 2), ("2026-11-03", 1, 1)]
    assert f["period"] == {"since": "2026-11-01", "until": "2026-11-03"}


def test_reasons_and_the_questions_each_diagnosis_was_followed_by():
    events = [
        marker("a", at(1, 9), "session_started"),
        slot("a", at(1, 10), "failure_reason", "fail_new_cert"),
        slot("a", at(1, 10, 1), "requested_slot", "issue_date"),
        slot("a", at(1, 10, 2), "requested_slot", "expiry_date"),
        slot("a", at(1, 10, 3), "requested_slot", None),           # the form ended: no question
        marker("a", at(1, 11), "restart"),
        slot("a", at(1, 11, 1), "requested_slot", "doc_number"),   # after a restart: no diagnosis's
        slot("a", at(2, 10), "failure_reason", "fail_cert_unclear"),
        slot("a", at(2, 10, 1), "requested_slot", "region"),
        marker("a", at(2, 11), "session_started"),
        slot("a", at(2, 11, 1), "requested_slot", "holder_type"),  # a new session: no diagnosis's
        slot("a", at(2, 12), "failure_reason", None),              # cleared: not a diagnosis
        slot("b", at(3, 10), "failure_reason", "fail_new_cert"),   # no question asked
        slot("c", at(31, 10, month=10), "failure_reason", "fail_upload_size"),  # before the period
        slot("c", at(1, 10), "requested_slot", "region"),          # ... so its question is not counted
    ]
    f = compute(events, START, END)
    assert f["reasons"] == {"fail_new_cert": 2, "fail_cert_unclear": 1}
    assert list(f["reasons"]) == ["fail_new_cert", "fail_cert_unclear"]
    assert f["diagnoses"] == 3
    assert f["questions_per_diagnosis"] == {"mean": 1.0, "diagnoses": 3}  # (2 + 1 + 0) / 3


def test_questions_per_diagnosis_is_rounded_to_two_decimals_and_null_without_diagnoses():
    events = [slot("a", at(1), "failure_reason", "fail_new_cert"), slot("a", at(1, 12, 1), "requested_slot", "x"),
              slot("b", at(1), "failure_reason", "fail_new_cert"), slot("b", at(1, 12, 1), "requested_slot", "x"),
              slot("c", at(1), "failure_reason", "fail_new_cert")]
    assert compute(events, START, END)["questions_per_diagnosis"] == {"mean": 0.67, "diagnoses": 3}
    assert compute([user("a", at(1))], START, END)["questions_per_diagnosis"] == {"mean": None, "diagnoses": 0}


def test_feedback_counts_under_the_reason_current_then():
    events = [
        slot("a", at(1, 10), "failure_reason", "fail_new_cert"),
        slot("a", at(1, 11), "feedback", "solved"),
        slot("a", at(1, 12), "feedback", "not_solved"),
        marker("a", at(1, 13), "restart"),
        slot("a", at(1, 14), "feedback", "solved"),                      # after a restart: no reason
        slot("b", at(31, 10, month=10), "failure_reason", "fail_cert_unclear"),  # diagnosed before the period
        user("b", at(1, 9)),
        slot("b", at(1, 10), "feedback", "not_solved"),
        slot("c", at(2, 10), "failure_reason", "fail_new_cert"),
        marker("c", at(2, 11), "session_started"),
        slot("c", at(2, 12), "feedback", "not_solved"),                  # a new session: no reason
        slot("d", at(2, 10), "feedback", "maybe"), slot("d", at(2, 11), "feedback", None),  # not feedback
        slot("d", at(31, 10, month=10), "feedback", "solved"),           # before the period
        slot("e", at(3, 10), "failure_reason", "fail_number_not_found"),  # no feedback at all
    ]
    f = compute(events, START, END)
    assert f["feedback"] == {"solved": 2, "not_solved": 3, "by_reason": {
        "fail_new_cert": {"solved": 1, "not_solved": 1},
        "none": {"solved": 1, "not_solved": 1},
        "fail_cert_unclear": {"solved": 0, "not_solved": 1},
    }}
    assert list(f["feedback"]["by_reason"]) == ["fail_new_cert", "none", "fail_cert_unclear"]
    assert f["reasons"] == {"fail_new_cert": 2, "fail_number_not_found": 1}
    assert f["solved_share"] == {"fail_new_cert": 0.5, "fail_number_not_found": None,
                                 "fail_cert_unclear": 0.0, "none": 0.5}


def test_handoffs_fallbacks_and_their_rates_per_day():
    events = [
        user("a", at(1, 9)), user("a", at(1, 10), "asdf", "nlu_fallback"),
        action("a", at(1, 10, 1), "action_listen"), action("a", at(1, 10, 2), "action_handoff"),
        user("b", at(1, 11), "qwer", "nlu_fallback"),
        user("a", at(2, 9)), action("a", at(2, 9, 1), "action_handoff"),  # day 2: no conversation starts
        action("z", at(31, 9, month=10), "action_handoff"),               # before the period
        user("z", at(31, 9, month=10), "zzz", "nlu_fallback"),
    ]
    f = compute(events, START, END)
    assert (f["handoffs"], f["fallbacks"], f["messages"], f["conversations"]) == (2, 2, 4, 2)
    assert (f["handoff_rate"], f["fallback_rate"]) == (1.0, 0.5)
    assert f["days"] == [
        {"date": "2026-11-01", "conversations": 2, "messages": 3, "fallbacks": 2, "fallback_rate": 0.667,
         "handoffs": 1, "handoff_rate": 0.5},
        {"date": "2026-11-02", "conversations": 0, "messages": 1, "fallbacks": 0, "fallback_rate": 0.0,
         "handoffs": 1, "handoff_rate": None},
        {"date": "2026-11-03", "conversations": 0, "messages": 0, "fallbacks": 0, "fallback_rate": None,
         "handoffs": 0, "handoff_rate": None},
    ]


def test_not_understood_texts_are_normalised_masked_and_ranked():
    events = [
        user("a", at(1, 9), f"  我的  身份证 {ID_NUMBER}\t不行 ", "nlu_fallback"),
        user("a", at(1, 10), "张三丰", "nlu_fallback"),          # the name, typed before the slot holds it
        slot("a", at(1, 10, 1), "holder_name", "张三丰"),
        user("a", at(1, 11), "名字 张三丰 对吗", "nlu_fallback"),
        user("b", at(2, 9), f"我的 身份证 {ID_NUMBER} 不行", "nlu_fallback"),
        slot("b", at(2, 9, 1), "holder_name", "skip"),           # skipped: the word is no name
        user("b", at(2, 10), "skip", "nlu_fallback"),
        user("b", at(2, 11), "张三丰", "nlu_fallback"),          # another customer's words: not a's name
        slot("c", at(31, 9, month=10), "holder_name", "中文：李四 英文：Li Si"),  # given before the period
        user("c", at(3, 9), "Li  Si 和 李四", "nlu_fallback"),
        user("c", at(3, 10), "   ", "nlu_fallback"),             # nothing to show, still a fallback
    ]
    f = compute(events, START, END)
    assert f["fallbacks"] == 8
    assert f["not_understood"] == [
        {"text": "我的 身份证 1101********002X 不行", "count": 2},
        {"text": "skip", "count": 1},
        {"text": "名字 ＊＊ 对吗", "count": 1},
        {"text": "张三丰", "count": 1},
        {"text": "＊＊", "count": 1},
        {"text": "＊＊ 和 ＊＊", "count": 1},
    ]
    assert ID_NUMBER not in json.dumps(f, ensure_ascii=False)


def test_not_understood_keeps_the_most_frequent_twenty():
    events = [user(f"s{i}-{n}", at(1), f"text {i:02d}", "nlu_fallback") for i in range(25) for n in range(i % 3 + 1)]
    f = compute(events, START, END)
    assert len(f["not_understood"]) == TOP_NOT_UNDERSTOOD == 20
    counts = [item["count"] for item in f["not_understood"]]
    assert counts == sorted(counts, reverse=True) and counts[0] == 3 and counts[-1] == 1
    assert f["not_understood"][0] == {"text": "text 02", "count": 3}
    assert sum(counts) == 8 * 3 + 8 * 2 + 4 * 1  # every thrice and twice said text, the first four said once


def test_an_empty_period_gives_zeros_and_nulls():
    assert compute([], START, at(2, 0)) == {
        "period": {"since": "2026-11-01", "until": "2026-11-01"},
        "conversations": 0, "messages": 0, "diagnoses": 0, "reasons": {},
        "feedback": {"solved": 0, "not_solved": 0, "by_reason": {}}, "solved_share": {},
        "handoffs": 0, "handoff_rate": None, "fallbacks": 0, "fallback_rate": None,
        "questions_per_diagnosis": {"mean": None, "diagnoses": 0}, "channels": {}, "not_understood": [],
        "days": [{"date": "2026-11-01", "conversations": 0, "messages": 0, "fallbacks": 0, "fallback_rate": None,
                  "handoffs": 0, "handoff_rate": None}],
    }
