"""Dates as customers type them, and the date rules of the source.

Why a hand-written parser and not dateparser: dateparser 1.2.0 (checked against the forms below, today = 2026-11-29)
handles 2026-11-03, 2026/11/3, 2026.11.3, 2026年11月3日, 3天前, 昨天, 前天, 今天, 周一, but returns None for
11月3号, 11月3日, 上周五, 三天前, 上个月5号, 刚办, 二〇二六年十一月三日 and 十二月五号, and cannot tell an impossible date
(2026年2月30日) from text that is no date at all. The forms we need are few and regular, so a small tested parser
is clearer than patching a large library.

Result contract (documented choice):
    parse_date(text, today) -> date | None
        None            – the text contains no date we recognise;
        raises DateProblem – the text names a date, but it cannot be used: kind "impossible" (2026年2月30日, 13月)
                           or kind "future" (an issue date after today). DateProblem.finding says why
                           (realname.findings: rendered in the reply's language by the caller).
    parse_date_match() gives the same plus `approximate` (刚办 → today, but the customer did not say the day) and
    the matched text.

Source rules (aliyun-realname-failures.zh.txt):
    「审核机构核验新颁发证件至少需要10个自然日，请您在新证件颁发日期的10个自然日后提交实名认证申请。」
    「若办理的证件已有一定年限，提交实名认证时需保证证件在有效期内。」「请勿使用临近过期的证件提交实名认证，否则可能导致认证失败。」
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from realname.findings import Finding, finding

# ---------------------------------------------------------------------------------------------------------------
# Chinese numerals

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# A number as people type it: Arabic digits or Chinese numerals (十, 廿 for 20, 卅 for 30).
NUM = r"(?:\d{1,4}|[〇零○一二两三四五六七八九十廿卅]{1,4})"


def cn_to_int(text: str) -> int | None:
    """'11' → 11, '十一' → 11, '二十三' → 23, '廿三' → 23, '二〇二六' → 2026 (digit by digit), '两' → 2."""
    text = text.strip().translate(_FULLWIDTH_DIGITS)
    if not text:
        return None
    if text.isdigit():
        return int(text)
    text = text.replace("廿", "二十").replace("卅", "三十")
    if "十" not in text:
        # Digit-by-digit numerals: years such as 二〇二六, or a single digit.
        if all(ch in _CN_DIGITS for ch in text):
            return int("".join(str(_CN_DIGITS[ch]) for ch in text))
        return None
    tens_part, _, units_part = text.partition("十")
    if "十" in units_part:
        return None
    tens = 1 if tens_part == "" else _CN_DIGITS.get(tens_part) if len(tens_part) == 1 else None
    units = 0 if units_part == "" else _CN_DIGITS.get(units_part) if len(units_part) == 1 else None
    if tens is None or units is None:
        return None
    return tens * 10 + units


# ---------------------------------------------------------------------------------------------------------------
# Result types


class DateProblem(ValueError):
    """The text names a date that cannot be used. kind: "future" or "impossible"; finding: why, for the user."""

    def __init__(self, kind: str, finding: Finding, text: str = ""):
        super().__init__(finding.code)
        self.kind = kind
        self.finding = finding
        self.text = text


@dataclass(frozen=True)
class DateMatch:
    value: date
    approximate: bool  # True when the customer did not name the day (刚办 → today)
    matched_text: str


def _make_date(year: int, month: int, day: int, text: str) -> date:
    if not 1 <= month <= 12:
        raise DateProblem("impossible", finding("date_month_out_of_range", text=text), text)
    days_in_month = calendar.monthrange(year, month)[1]
    if day < 1:
        raise DateProblem("impossible", finding("date_day_before_first", text=text), text)
    if day > days_in_month:
        raise DateProblem(
            "impossible", finding("date_day_out_of_range", text=text, year=year, month=month, days=days_in_month), text)
    return date(year, month, day)


def _shift_months(value: date, months: int) -> date:
    """Same day some months earlier/later; clamped to the month's last day (3月31日 - 1个月 → 2月28/29日)."""
    month_index = value.year * 12 + value.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------------------------------------------------------
# Patterns, tried in this order (the most specific first). Each returns (date, approximate) or raises DateProblem.

_NOT_DIGIT_BEFORE = r"(?<![0-9０-９])"
_NOT_DIGIT_AFTER = r"(?![0-9０-９])"
_DAY_SUFFIX = r"(?:日|号|號)"

_FULL_DATE = re.compile(
    _NOT_DIGIT_BEFORE
    + r"(?P<y>\d{4}|[〇零○一二三四五六七八九]{4})\s*(?:年|[-/.．/])\s*(?P<m>" + NUM + r")\s*(?:月|[-/.．/])\s*"
    + r"(?P<d>" + NUM + r")" + _NOT_DIGIT_AFTER + r"\s*" + _DAY_SUFFIX + "?"
)
_MONTH_RELATIVE_DAY = re.compile(r"(?P<which>上上|上|这|本|下)\s*个?\s*月\s*(?P<d>" + NUM + r")\s*" + _DAY_SUFFIX + "?")
_MONTH_DAY = re.compile(
    _NOT_DIGIT_BEFORE + r"(?P<m>" + NUM + r")\s*月\s*(?P<d>" + NUM + r")" + _NOT_DIGIT_AFTER + r"\s*" + _DAY_SUFFIX + "?"
)
_WEEKDAY = re.compile(r"(?P<which>上上|上|这|本|下)?\s*(?:个)?\s*(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7１-７])")
_UNITS_AGO = re.compile(
    r"(?P<n>" + NUM + r"|半|几)\s*(?:个)?\s*(?P<unit>天|日|周|星期|礼拜|月|年)\s*(?P<dir>前|之前|以前|了|后|之后|以后)"
)
_JUST_DONE_N_DAYS = re.compile(r"(?:刚|才|刚刚|刚才)?\s*(?:办|领|拿|下来|发|换|补)[了的好完]?\s*(?P<n>" + NUM + r")\s*天")
_NAMED_DAY = re.compile(r"大前天|前天|昨天|昨日|昨儿|今天|今日|今儿|当天|明天|明日|后天")
_DAY_ONLY = re.compile(_NOT_DIGIT_BEFORE + r"(?P<d>" + NUM + r")\s*(?:号|號)")
_JUST_DONE = re.compile(r"(?:刚刚|刚|才|新)(?:办|领|拿|换|补|下来|出|发)")

_NAMED_DAY_OFFSETS = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "昨儿": -1, "今天": 0, "今日": 0, "今儿": 0,
                      "当天": 0, "明天": 1, "明日": 1, "后天": 2}
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def _weekday_index(text: str) -> int:
    text = text.translate(_FULLWIDTH_DIGITS)
    return int(text) - 1 if text.isdigit() else _WEEKDAY_INDEX[text]


def _from_full_date(m: re.Match, today: date) -> tuple[date, bool]:
    year, month, day = cn_to_int(m["y"]), cn_to_int(m["m"]), cn_to_int(m["d"])
    if year is None or month is None or day is None:
        raise _NoMatch
    return _make_date(year, month, day, m.group(0).strip()), False


def _from_month_relative_day(m: re.Match, today: date) -> tuple[date, bool]:
    day = cn_to_int(m["d"])
    if day is None:
        raise _NoMatch
    offset = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1}[m["which"]]
    first = _shift_months(today.replace(day=1), offset)
    return _make_date(first.year, first.month, day, m.group(0).strip()), False


def _from_month_day(m: re.Match, today: date, allow_future: bool) -> tuple[date, bool]:
    month, day = cn_to_int(m["m"]), cn_to_int(m["d"])
    if month is None or day is None:
        raise _NoMatch
    text = m.group(0).strip()
    value = _make_date(today.year, month, day, text)
    # No year given: the current year, unless that is still to come – then the customer means last year.
    if value > today and not allow_future:
        value = _make_date(today.year - 1, month, day, text)
    return value, False


def _from_weekday(m: re.Match, today: date) -> tuple[date, bool]:
    weekday = _weekday_index(m["wd"])
    this_week_monday = today - timedelta(days=today.weekday())
    which = m["which"]
    if which is None:
        # Bare 「周一」: the most recent such day, today included (the customer is talking about the past).
        back = (today.weekday() - weekday) % 7
        return today - timedelta(days=back), False
    week_offset = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1}[which]
    return this_week_monday + timedelta(weeks=week_offset, days=weekday), False


def _from_units_ago(m: re.Match, today: date) -> tuple[date, bool]:
    raw_n, unit, direction = m["n"], m["unit"], m["dir"]
    if raw_n == "几":
        raise _NoMatch  # 「几天前」 names no day; ask instead of guessing
    sign = 1 if direction in ("后", "之后", "以后") else -1
    if raw_n == "半":
        if unit == "月":
            return today + timedelta(days=sign * 15), True
        if unit == "年":
            return _shift_months(today, sign * 6), True
        raise _NoMatch
    n = cn_to_int(raw_n)
    if n is None:
        raise _NoMatch
    if unit in ("天", "日"):
        return today + timedelta(days=sign * n), False
    if unit in ("周", "星期", "礼拜"):
        return today + timedelta(weeks=sign * n), False
    if unit == "月":
        return _shift_months(today, sign * n), False
    return _shift_months(today, sign * 12 * n), False


def _from_just_done_n_days(m: re.Match, today: date) -> tuple[date, bool]:
    n = cn_to_int(m["n"])
    if n is None:
        raise _NoMatch
    return today - timedelta(days=n), False


def _from_named_day(m: re.Match, today: date) -> tuple[date, bool]:
    return today + timedelta(days=_NAMED_DAY_OFFSETS[m.group(0)]), False


def _from_day_only(m: re.Match, today: date, allow_future: bool) -> tuple[date, bool]:
    day = cn_to_int(m["d"])
    if day is None:
        raise _NoMatch
    text = m.group(0).strip()
    # 「5号办的」: this month, or last month if that day has not come yet.
    if day <= today.day or allow_future:
        return _make_date(today.year, today.month, day, text), False
    last_month = _shift_months(today.replace(day=1), -1)
    return _make_date(last_month.year, last_month.month, day, text), False


def _from_just_done(m: re.Match, today: date) -> tuple[date, bool]:
    # 「刚办的」 names no day: take today (the latest possible issue date, so any wait we compute is never too short)
    # and mark it approximate so the assistant can ask for the exact date.
    return today, True


class _NoMatch(Exception):
    """A pattern matched text that is not a usable number after all; try the next pattern."""


def parse_date_match(text: str, today: date, allow_future: bool = False) -> DateMatch | None:
    """Find the first date in `text` (see module docstring). `allow_future=True` for expiry dates."""
    if not text:
        return None
    text = text.translate(_FULLWIDTH_DIGITS)
    attempts = (
        (_FULL_DATE, lambda m: _from_full_date(m, today)),
        (_MONTH_RELATIVE_DAY, lambda m: _from_month_relative_day(m, today)),
        (_MONTH_DAY, lambda m: _from_month_day(m, today, allow_future)),
        (_WEEKDAY, lambda m: _from_weekday(m, today)),
        (_UNITS_AGO, lambda m: _from_units_ago(m, today)),
        (_JUST_DONE_N_DAYS, lambda m: _from_just_done_n_days(m, today)),
        (_NAMED_DAY, lambda m: _from_named_day(m, today)),
        (_DAY_ONLY, lambda m: _from_day_only(m, today, allow_future)),
        (_JUST_DONE, lambda m: _from_just_done(m, today)),
    )
    for pattern, convert in attempts:
        for m in pattern.finditer(text):
            try:
                value, approximate = convert(m)
            except _NoMatch:
                continue
            matched = m.group(0).strip()
            if value > today and not allow_future:
                raise DateProblem("future", finding("date_in_future", text=matched, value=value), matched)
            return DateMatch(value, approximate, matched)
    return None


def parse_date(text: str, today: date, allow_future: bool = False) -> date | None:
    """The date named in `text`, None if there is none; raises DateProblem for impossible or (unless
    allow_future) future dates."""
    found = parse_date_match(text, today, allow_future)
    return found.value if found else None


# ---------------------------------------------------------------------------------------------------------------
# Rules

RESUBMIT_WAIT_DAYS = 10  # 「审核机构核验新颁发证件至少需要10个自然日」


def earliest_resubmit(issue_date: date) -> date:
    """First day a newly issued document may be submitted: issue_date + 10 natural days.

    「请您在新证件颁发日期的10个自然日后提交」. Reading: the issue day is day 0 and 10 full natural days must have
    passed, so the submission may be made from issue_date + 10 days on – that day itself counts. Example: issued
    2026年11月3日 → submit from 2026年11月13日. (The stricter reading, from issue_date + 11, would also be safe; we
    follow the project decision and keep the number in RESUBMIT_WAIT_DAYS.)
    """
    return issue_date + timedelta(days=RESUBMIT_WAIT_DAYS)


@dataclass(frozen=True)
class NewDocumentAdvice:
    waiting: bool          # True: still inside the 10-day window, tell the customer to wait
    resubmit_from: date    # earliest_resubmit(issue_date)
    days_left: int         # days until resubmit_from (0 when the wait is over)
    finding: Finding       # date_new_document_wait or date_new_document_wait_over


# The source's other ways once the wait is over. Organisations: 方法一's look-up and 方法二 of 「不在实名库中或注册者
# 身份证明资料为新颁发证件」; individuals: the checks of 「证件电子信息核验不合格」 for a person's document.
PASSED_WAYS_ORGANISATION = finding("date_other_ways_organisation")
PASSED_WAYS_INDIVIDUAL = finding("date_other_ways_individual")
_PASSED_WAYS = {"organisation": PASSED_WAYS_ORGANISATION, "individual": PASSED_WAYS_INDIVIDUAL}


def new_document_advice(issue_date: date, today: date, holder_type: str | None = None) -> NewDocumentAdvice:
    """Wait-until advice for 「不在实名库中 / 注册者身份证明资料为新颁发证件」 and 证件电子信息核验不合格 item 4.

    Once the 10 natural days have passed, waiting is no longer the answer: the finding says so with the
    dates and gives the source's other ways for the holder type ("organisation" | "individual"; both when
    unknown). Raises DateProblem("future") when the issue date is after today.
    """
    if issue_date > today:
        raise DateProblem("future", finding("date_issue_in_future", issued=issue_date))
    resubmit_from = earliest_resubmit(issue_date)
    if today < resubmit_from:
        days_left = (resubmit_from - today).days
        return NewDocumentAdvice(
            waiting=True,
            resubmit_from=resubmit_from,
            days_left=days_left,
            finding=finding("date_new_document_wait", wait_days=RESUBMIT_WAIT_DAYS, issued=issue_date,
                            resubmit_from=resubmit_from, days_left=days_left),
        )
    other_ways = _PASSED_WAYS.get(holder_type or "") or finding(
        "date_other_ways_both", organisation=PASSED_WAYS_ORGANISATION, individual=PASSED_WAYS_INDIVIDUAL)
    return NewDocumentAdvice(
        waiting=False,
        resubmit_from=resubmit_from,
        days_left=0,
        finding=finding("date_new_document_wait_over", issued=issue_date, today=today,
                        days_since=(today - issue_date).days, wait_days=RESUBMIT_WAIT_DAYS,
                        resubmit_from=resubmit_from, other_ways=other_ways),
    )


EXPIRY_WARN_DAYS = 30  # project threshold: the source says 「临近过期」 without a number


@dataclass(frozen=True)
class ExpiryAdvice:
    status: str        # "expired" | "expiring_soon" | "valid"
    days_left: int     # negative when expired; 0 = last valid day is today
    finding: Finding   # date_expired | date_expiring_soon | date_valid


def expiry_advice(expiry_date: date, today: date, warn_days: int = EXPIRY_WARN_DAYS) -> ExpiryAdvice:
    """Advice on a document's expiry date. The expiry day itself is still a valid day."""
    days_left = (expiry_date - today).days
    if days_left < 0:
        return ExpiryAdvice("expired", days_left, finding("date_expired", expiry=expiry_date))
    if days_left <= warn_days:
        # 30 days is this project's reading of 「临近过期」 (the source gives no number): worded as advice
        return ExpiryAdvice("expiring_soon", days_left,
                            finding("date_expiring_soon", expiry=expiry_date, days_left=days_left))
    return ExpiryAdvice("valid", days_left, finding("date_valid", expiry=expiry_date))
