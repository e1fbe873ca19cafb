from datetime import date, timedelta

import pytest

from realname.dates import (
    DateProblem,
    cn_to_int,
    earliest_resubmit,
    expiry_advice,
    format_cn_date,
    new_document_advice,
    parse_date,
    parse_date_match,
)

SUNDAY = date(2026, 11, 29)     # today in most tests
WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize("text, expected", [
    ("11", 11), ("三", 3), ("十", 10), ("十一", 11), ("二十", 20), ("二十三", 23), ("三十一", 31), ("廿三", 23),
    ("两", 2), ("二〇二六", 2026), ("二零二六", 2026), ("１２", 12), ("", None), ("十十", None), ("abc", None),
])
def test_cn_to_int(text, expected):
    assert cn_to_int(text) == expected


@pytest.mark.parametrize("text, expected", [
    # absolute dates
    ("2026-11-03", date(2026, 11, 3)),
    ("2026/11/3", date(2026, 11, 3)),
    ("2026.11.3", date(2026, 11, 3)),
    ("2026年11月3日", date(2026, 11, 3)),
    ("2026年11月3号", date(2026, 11, 3)),
    ("２０２６年１１月３日", date(2026, 11, 3)),
    ("二〇二六年十一月三日", date(2026, 11, 3)),
    ("证件是2026年11月3日办的", date(2026, 11, 3)),
    ("2025-02-28", date(2025, 2, 28)),
    ("2024年2月29日", date(2024, 2, 29)),
    # month and day: this year, or last year when that is still to come
    ("11月3号", date(2026, 11, 3)),
    ("11月3日", date(2026, 11, 3)),
    ("十一月三号", date(2026, 11, 3)),
    ("11月29号", date(2026, 11, 29)),
    ("12月5号", date(2025, 12, 5)),
    ("十二月五号", date(2025, 12, 5)),
    # weekdays (today is Sunday 2026-11-29; weeks start on Monday)
    ("上周五", date(2026, 11, 20)),
    ("上星期五", date(2026, 11, 20)),
    ("上个礼拜一", date(2026, 11, 16)),
    ("上上周三", date(2026, 11, 11)),
    ("周一", date(2026, 11, 23)),
    ("星期六", date(2026, 11, 28)),
    ("周日", date(2026, 11, 29)),
    ("这周三", date(2026, 11, 25)),
    # relative days
    ("三天前", date(2026, 11, 26)),
    ("3天前", date(2026, 11, 26)),
    ("十天前", date(2026, 11, 19)),
    ("两天前办的", date(2026, 11, 27)),
    ("办了5天了", date(2026, 11, 24)),
    ("营业执照刚办三天", date(2026, 11, 26)),
    ("一周前", date(2026, 11, 22)),
    ("2个月前", date(2026, 9, 29)),
    ("一年前", date(2025, 11, 29)),
    ("昨天", date(2026, 11, 28)),
    ("昨天刚办的身份证", date(2026, 11, 28)),
    ("前天", date(2026, 11, 27)),
    ("大前天", date(2026, 11, 26)),
    ("今天", date(2026, 11, 29)),
    ("刚办", date(2026, 11, 29)),
    ("刚办下来的营业执照", date(2026, 11, 29)),
    # day of (last) month
    ("上个月5号", date(2026, 10, 5)),
    ("上月五号", date(2026, 10, 5)),
    ("本月3号", date(2026, 11, 3)),
    ("5号办的", date(2026, 11, 5)),
    ("30号", date(2026, 10, 30)),
    # no date
    ("", None),
    ("我的实名认证失败了", None),
    ("110101199003070022", None),
])
def test_parse_date_forms(text, expected):
    assert parse_date(text, SUNDAY) == expected


@pytest.mark.parametrize("text, today, expected", [
    ("周一", WEDNESDAY, date(2026, 11, 23)),
    ("周三", WEDNESDAY, date(2026, 11, 25)),    # bare weekday: today counts
    ("周四", WEDNESDAY, date(2026, 11, 19)),
    ("上周五", WEDNESDAY, date(2026, 11, 20)),
    ("上个月31号", date(2026, 4, 10), date(2026, 3, 31)),
])
def test_parse_date_relative_to_other_days(text, today, expected):
    assert parse_date(text, today) == expected


def test_last_month_day_that_does_not_exist_is_impossible():
    with pytest.raises(DateProblem) as problem:   # February has no 31st
        parse_date("上个月31号", date(2026, 3, 10))
    assert problem.value.kind == "impossible"


def test_month_day_in_january_refers_to_last_december():
    assert parse_date("12月30号", date(2027, 1, 5)) == date(2026, 12, 30)
    assert parse_date("上个月5号", date(2027, 1, 20)) == date(2026, 12, 5)


@pytest.mark.parametrize("text", ["刚办", "刚领的", "新办的", "半个月前"])
def test_approximate_dates_are_marked(text):
    found = parse_date_match(text, SUNDAY)
    assert found is not None and found.approximate


@pytest.mark.parametrize("text", ["2026年11月3日", "昨天", "上周五", "三天前"])
def test_exact_dates_are_not_approximate(text):
    assert parse_date_match(text, SUNDAY).approximate is False


@pytest.mark.parametrize("text", [
    "2026年2月30日", "2026-02-29", "2026年13月1日", "2026年0月1日", "2026年11月0日", "2026/4/31", "2月29日", "11月31号",
    "二〇二六年二月三十日",
])
def test_impossible_dates(text):
    with pytest.raises(DateProblem) as problem:
        parse_date(text, SUNDAY)
    assert problem.value.kind == "impossible"
    assert "不是有效日期" in problem.value.message


@pytest.mark.parametrize("text", ["2026年12月5日", "2027-01-01", "明天", "后天", "下周一", "三天后", "下个月5号"])
def test_future_dates_are_a_problem_for_issue_dates(text):
    with pytest.raises(DateProblem) as problem:
        parse_date(text, SUNDAY)
    assert problem.value.kind == "future"
    assert "还没到" in problem.value.message


@pytest.mark.parametrize("text, expected", [
    ("2026年12月5日", date(2026, 12, 5)),
    ("12月5号", date(2026, 12, 5)),       # expiry: no roll-back to last year
    ("下个月5号", date(2026, 12, 5)),
])
def test_future_dates_allowed_for_expiry(text, expected):
    assert parse_date(text, SUNDAY, allow_future=True) == expected


def test_this_week_future_weekday_is_a_problem():
    with pytest.raises(DateProblem):
        parse_date("这周五", WEDNESDAY)


def test_format_cn_date():
    assert format_cn_date(date(2026, 12, 5)) == "2026年12月5日"
    assert format_cn_date(date(2026, 1, 9)) == "2026年1月9日"


# ----------------------------------------------------------------------------------------------- rules


@pytest.mark.parametrize("issued, earliest", [
    (date(2026, 11, 3), date(2026, 11, 13)),
    (date(2026, 11, 25), date(2026, 12, 5)),
    (date(2026, 12, 28), date(2027, 1, 7)),
    (date(2028, 2, 20), date(2028, 3, 1)),
])
def test_earliest_resubmit_is_issue_date_plus_ten_natural_days(issued, earliest):
    assert earliest_resubmit(issued) == earliest


@pytest.mark.parametrize("issued, today, waiting, days_left", [
    (date(2026, 11, 25), date(2026, 11, 25), True, 10),
    (date(2026, 11, 25), date(2026, 11, 29), True, 6),
    (date(2026, 11, 25), date(2026, 12, 4), True, 1),    # day 9: still waiting
    (date(2026, 11, 25), date(2026, 12, 5), False, 0),   # day 10 itself counts
    (date(2026, 11, 25), date(2027, 1, 5), False, 0),
])
def test_new_document_advice(issued, today, waiting, days_left):
    advice = new_document_advice(issued, today)
    assert advice.waiting is waiting
    assert advice.days_left == days_left
    assert advice.resubmit_from == date(2026, 12, 5)
    assert "10个自然日" in advice.message
    if waiting:
        assert "2026年12月5日" in advice.message
        assert f"还需等待{days_left}天" in advice.message
    else:
        assert "等待期已过" in advice.message


def test_new_document_advice_rejects_future_issue_date():
    with pytest.raises(DateProblem) as problem:
        new_document_advice(SUNDAY + timedelta(days=1), SUNDAY)
    assert problem.value.kind == "future"


@pytest.mark.parametrize("expiry, status, days_left, phrase", [
    (date(2026, 11, 28), "expired", -1, "过期"),
    (date(2020, 1, 1), "expired", -2524, "有效期内"),
    (date(2026, 11, 29), "expiring_soon", 0, "临近过期"),
    (date(2026, 12, 29), "expiring_soon", 30, "临近过期"),
    (date(2026, 12, 30), "valid", 31, "在有效期内"),
    (date(2036, 11, 29), "valid", 3653, "在有效期内"),
])
def test_expiry_advice(expiry, status, days_left, phrase):
    advice = expiry_advice(expiry, SUNDAY)
    assert advice.status == status
    assert advice.days_left == days_left
    assert phrase in advice.message


def test_expiry_advice_custom_warning_window():
    assert expiry_advice(date(2027, 1, 28), SUNDAY, warn_days=60).status == "expiring_soon"
    assert expiry_advice(date(2026, 12, 9), SUNDAY, warn_days=5).status == "valid"
