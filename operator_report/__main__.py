"""`python -m operator_report` (`make report`): reports/report.json and reports/report.html for a period.

    python -m operator_report --endpoints endpoints.yml --since 2026-11-01 [--until 2026-11-30] --out reports
    python -m operator_report --cluster ...     # the store of `make serve-cluster` (its PostgreSQL)

--since defaults to 29 days before --until, which defaults to today (UTC): the last 30 days. Both days are
included. Every problem is told in Chinese (and English) with exit code 1 (2 for a bad command line),
never as a traceback. A store that does not exist yet (no conversations.db before `make serve` has run)
is such a problem: the report says so instead of writing an empty report of a store that is not there.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from datetime import date, datetime, time, timedelta, timezone
from typing import Dict, List, Optional, Tuple

DEFAULT_DAYS = 30


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own words are English only
        self.exit(2, f"错误：命令行参数有误（{message}）。用法见 --help。 / Error: {message}\n")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    p = _Parser(prog="python -m operator_report", description="运营报告 Operator's report (make report)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--endpoints", default="endpoints.yml", help="endpoints file whose tracker_store to read")
    where.add_argument("--cluster", action="store_true", help="read the store of make serve-cluster")
    p.add_argument("--since", default="", help="first day, YYYY-MM-DD (default: 29 days before --until)")
    p.add_argument("--until", default="", help="last day, YYYY-MM-DD, included (default: today, UTC)")
    p.add_argument("--out", default="reports", help="folder for report.html and report.json")
    return p.parse_args(argv)


def period(since: str, until: str, today: Optional[date] = None) -> Tuple[float, float]:
    """[start, end) in epoch seconds: from the start of `since` to the end of `until` (UTC days)."""
    from operator_report.store import ReportError

    def day(text: str, name: str) -> date:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise ReportError(f"{name} 日期无效：{text!r}。请写成 YYYY-MM-DD，例如 {name}=2026-11-01。"
                              f" / Invalid {name} date {text!r}: use YYYY-MM-DD.", code=2) from None

    last = day(until, "UNTIL") if until.strip() else (today or datetime.now(timezone.utc).date())
    first = day(since, "SINCE") if since.strip() else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ReportError(f"SINCE（{first}）晚于 UNTIL（{last}）：时段是空的。 / SINCE is after UNTIL.", code=2)
    midnight = lambda d: datetime.combine(d, time(), timezone.utc).timestamp()  # noqa: E731
    return midnight(first), midnight(last + timedelta(days=1))


def reason_labels() -> Dict[str, Tuple[str, str]]:
    """Failure intent → its short Chinese and English label in the catalog."""
    from realname.catalog import load_catalog

    return {intent: (reason.text("label", "zh"), reason.text("label", "en"))
            for intent, reason in load_catalog().reasons.items()}


def run(args: argparse.Namespace) -> str:
    from operator_report import figures, page, store

    start, end = period(args.since, args.until)
    endpoints, env = store.cluster_configuration() if args.cluster else (args.endpoints, {})
    url = store.store_url(endpoints, env)
    result = figures.compute(store.read_events(url, start, end), start, end)
    try:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "report.json"), "w", encoding="utf-8") as f:
            json.dump(result, f, ensure_ascii=False, indent=2)
            f.write("\n")
        with open(os.path.join(args.out, "report.html"), "w", encoding="utf-8") as f:
            f.write(page.render(result, reason_labels()))
    except OSError as e:
        raise store.ReportError(f"无法写入 {args.out}：{e.strerror or e} / Cannot write to {args.out}.") from None
    return (f"已写出 {os.path.join(args.out, 'report.html')} 和 report.json：{result['period']['since']} 至 "
            f"{result['period']['until']}，{result['conversations']} 个对话，{result['messages']} 条消息，"
            f"{result['diagnoses']} 次诊断（{store.describe(url)}）。"
            f" / Wrote {args.out}/report.html and report.json.")


def main(argv: Optional[List[str]] = None) -> int:
    # Rasa's and SQLAlchemy's deprecation notices are not the operator's (Rasa's imports re-add filters).
    warnings.showwarning = lambda *args, **kwargs: None
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    args = parse_args(argv)
    from operator_report.store import ReportError

    try:
        print(run(args))
        return 0
    except ReportError as e:
        print(f"错误：{e}", file=sys.stderr)
        return e.code
    except Exception as e:  # a bug: still one line for the operator, no traceback
        print(f"错误：生成报告时出了意外的问题（{type(e).__name__}: {e}）。 / Unexpected error.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
