import re
from datetime import date, timedelta

import pytest

from realname.dates import (
    PASSED_WAYS_INDIVIDUAL,
    PASSED_WAYS_ORGANISATION,
    DateProblem,
    cn_to_int,
    earliest_resubmit,
    expiry_advice,
    new_document_advice,
    parse_date,
    parse_date_match,
)
from realname.findings import finding, format_date, render

CJK = re.compile(r"[\u3400-\u9fff]")

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
    assert "不是有效日期" in render(problem.value.finding, "zh")


@pytest.mark.parametrize("text", ["2026年12月5日", "2027-01-01", "明天", "后天", "下周一", "三天后", "下个月5号"])
def test_future_dates_are_a_problem_for_issue_dates(text):
    with pytest.raises(DateProblem) as problem:
        parse_date(text, SUNDAY)
    assert problem.value.kind == "future"
    assert "还没到" in render(problem.value.finding, "zh")


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


def test_dates_in_replies_are_written_the_chinese_way():
    assert format_date(date(2026, 12, 5), "zh") == "2026年12月5日"
    assert format_date(date(2026, 1, 9), "zh") == "2026年1月9日"


@pytest.mark.parametrize("text, code, params, zh", [
    ("2026年13月1日", "date_month_out_of_range", {"text": "2026年13月1日"}, "“2026年13月1日”不是有效日期：月份应在1到12之间。"),
    ("2026年11月0日", "date_day_before_first", {"text": "2026年11月0日"}, "“2026年11月0日”不是有效日期：日期应从1日开始。"),
    ("2026年2月30日", "date_day_out_of_range", {"text": "2026年2月30日", "year": 2026, "month": 2, "days": 28},
     "“2026年2月30日”不是有效日期：2026年2月只有28天。"),
    ("2026年12月5日", "date_in_future", {"text": "2026年12月5日", "value": date(2026, 12, 5)},
     "“2026年12月5日”是2026年12月5日，这一天还没到。请确认证件上的颁发日期。"),
])
def test_date_problems_are_findings(text, code, params, zh):
    with pytest.raises(DateProblem) as problem:
        parse_date(text, SUNDAY)
    assert problem.value.finding == finding(code, **params)
    assert problem.value.text == text
    assert render(problem.value.finding, "zh") == zh


@pytest.mark.parametrize("text, words", [
    ("2026/13/1", ["not a valid date", "month must be between 1 and 12"]),
    ("2026/11/0", ["not a valid date", "day must be 1 or later"]),
    ("2026/2/30", ["not a valid date", "month 2 of 2026 has only 28 days"]),
    ("2026/12/5", ["5 December 2026", "has not come yet", "issue date"]),
])
def test_date_problems_in_english(text, words):
    with pytest.raises(DateProblem) as problem:
        parse_date(text, SUNDAY)
    english = render(problem.value.finding, "en")
    assert english.startswith(f"\u201c{text}\u201d")
    assert all(word in english for word in words), english
    assert not CJK.search(english)


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
    message = render(advice.finding, "zh")
    assert "10个自然日" in message
    if waiting:
        assert "2026年12月5日" in message
        assert f"还需等待{days_left}天" in message
    else:
        assert "等待期已过" in message


def test_new_document_wait_finding():
    advice = new_document_advice(date(2026, 11, 25), SUNDAY)
    assert advice.finding == finding("date_new_document_wait", wait_days=10, issued=date(2026, 11, 25),
                                     resubmit_from=date(2026, 12, 5), days_left=6)
    assert render(advice.finding, "zh") == (
        "审核机构核验新颁发证件至少需要10个自然日。您的证件颁发于2026年11月25日，"
        "请从2026年12月5日起再提交实名认证（还需等待6天）。")
    english = render(advice.finding, "en")
    assert "at least 10 calendar days" in english and "newly issued certificate" in english
    assert "25 November 2026" in english and "5 December 2026" in english and "days left to wait: 6" in english
    assert "real-name verification" in english
    assert not CJK.search(english)


ORGANISATION_WAYS_ZH = (
    "可先通过组代中心（查询全国组织机构统一社会信用代码）或企信中心（查询营业执照）查询新颁发证件信息是否已同步；"
    "也可提供上级主管部门加盖公章的证明资料，或联系对应管理中心更新单位信息。")
INDIVIDUAL_WAYS_ZH = (
    "请核对持有者名称、证件号码和证件类型是否与证件严格一致；户口转移中或户口有过更名的，可使用加盖公安局户口专用章的"
    "户籍证明或等待落户完毕后再提交审核，具体请以审核机构审核结果为准。")
WAIT_OVER_ZH = ("您的证件颁发于2026年11月3日，到今天（2026年11月29日）已过26天，10个自然日的等待期已过"
                "（2026年11月13日起即可提交），再等待不会解决问题。")


@pytest.mark.parametrize("holder, ways, ways_zh", [
    ("organisation", PASSED_WAYS_ORGANISATION, ORGANISATION_WAYS_ZH),
    ("individual", PASSED_WAYS_INDIVIDUAL, INDIVIDUAL_WAYS_ZH),
    (None, finding("date_other_ways_both", organisation=PASSED_WAYS_ORGANISATION, individual=PASSED_WAYS_INDIVIDUAL),
     f"组织：{ORGANISATION_WAYS_ZH} 个人：{INDIVIDUAL_WAYS_ZH}"),
])
def test_new_document_wait_over_gives_the_other_ways(holder, ways, ways_zh):
    advice = new_document_advice(date(2026, 11, 3), SUNDAY, holder)
    assert advice.finding == finding("date_new_document_wait_over", issued=date(2026, 11, 3), today=SUNDAY,
                                     days_since=26, wait_days=10, resubmit_from=date(2026, 11, 13), other_ways=ways)
    assert render(advice.finding, "zh") == WAIT_OVER_ZH + ways_zh


def test_new_document_wait_over_in_english():
    english = render(new_document_advice(date(2026, 11, 3), SUNDAY).finding, "en")
    assert "3 November 2026" in english and "29 November 2026" in english and "13 November 2026" in english
    assert "26 days have passed" in english and "10 calendar days is over" in english
    assert "Organizations: " in english and "Individuals: " in english
    assert "China Organization Data Service" in english and "National Enterprise Credit Information" in english
    assert "household registration" in english and "determined by the verification authority" in english
    assert not CJK.search(english)
    assert render(new_document_advice(date(2026, 11, 3), SUNDAY, "individual").finding, "en").endswith(
        render(PASSED_WAYS_INDIVIDUAL, "en"))


def test_new_document_advice_rejects_future_issue_date():
    with pytest.raises(DateProblem) as problem:
        new_document_advice(SUNDAY + timedelta(days=1), SUNDAY)
    assert problem.value.kind == "future"
    assert problem.value.finding == finding("date_issue_in_future", issued=date(2026, 11, 30))
    assert render(problem.value.finding, "zh") == "颁发日期2026年11月30日还没到，请确认证件上的颁发日期。"
    english = render(problem.value.finding, "en")
    assert "30 November 2026" in english and "has not come yet" in english and not CJK.search(english)


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
    assert phrase in render(advice.finding, "zh")


@pytest.mark.parametrize("expiry, code, params, zh", [
    (date(2026, 11, 28), "date_expired", {"expiry": date(2026, 11, 28)},
     "证件已于2026年11月28日过期。提交实名认证时需保证证件在有效期内，请更换新的有效证件后重新提交。"),
    (date(2026, 12, 9), "date_expiring_soon", {"expiry": date(2026, 12, 9), "days_left": 10},
     "证件将于2026年12月9日到期（还剩10天），建议视为临近过期：请勿使用临近过期的证件提交实名认证，否则可能导致认证失败。"
     "建议换用有效期更长的证件。"),
    (date(2026, 12, 30), "date_valid", {"expiry": date(2026, 12, 30)}, "证件有效期至2026年12月30日，在有效期内。"),
])
def test_expiry_findings(expiry, code, params, zh):
    advice = expiry_advice(expiry, SUNDAY)
    assert advice.finding == finding(code, **params)
    assert render(advice.finding, "zh") == zh


@pytest.mark.parametrize("expiry, words", [
    (date(2026, 11, 28), ["expired on 28 November 2026", "valid", "real-name verification", "new valid certificate"]),
    (date(2026, 12, 9), ["9 December 2026", "days left: 10", "we recommend", "due to expire", "may fail",
                         "longer validity period"]),
    (date(2026, 12, 30), ["valid until 30 December 2026", "validity period"]),
])
def test_expiry_findings_in_english(expiry, words):
    english = render(expiry_advice(expiry, SUNDAY).finding, "en")
    assert all(word in english for word in words), english
    assert not CJK.search(english)


def test_expiry_advice_custom_warning_window():
    assert expiry_advice(date(2027, 1, 28), SUNDAY, warn_days=60).status == "expiring_soon"
    assert expiry_advice(date(2026, 12, 9), SUNDAY, warn_days=5).status == "valid"
