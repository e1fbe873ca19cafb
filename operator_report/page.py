"""The report's page: one self-contained HTML file (inline CSS and SVG; a Content-Security-Policy that lets it
load nothing), Chinese first with English beside, every text HTML-escaped.

The charts are drawn here as plain SVG: no plotting library is installed in the project and none is to be
added for three simple charts. Every number the page shows is an element with `data-figure` (its path in
report.json, "/"-separated) and `data-format` (int, percent, mean), written from the same figures as the
JSON, so a test can check each one against it; dates, axis ticks and labels carry data-date, data-tick,
data-label.
"""
from __future__ import annotations

import html
import math
from typing import Any, List, Mapping, Optional, Sequence, Tuple

BAR = "#2f6fd6"        # counts: reasons, conversations per day
SOLVED = "#2b8a3e"     # solved share
FALLBACK = "#e8590c"   # fallback rate per day
HANDOFF = "#7048e8"    # handoff rate per day
WIDTH = 960
#: Above this many days the per-day bars carry no value labels (they would overlap); the table has them.
LABELLED_DAYS = 62

CHANNELS = {
    "web": ("网页", "Web page"), "rest": ("REST 接口", "REST"), "dingtalk": ("钉钉", "DingTalk"),
    "wecom": ("企业微信应用", "WeCom app"), "wecom_bot": ("企业微信机器人", "WeCom bot"),
    "cmdline": ("命令行", "rasa shell"), "unknown": ("未知", "Unknown"),
}
NO_REASON_LABEL = ("没有诊断出原因", "no reason diagnosed")

Labels = Mapping[str, Tuple[str, str]]


def render(figures: Mapping[str, Any], reason_labels: Optional[Labels] = None) -> str:
    """The whole page. `reason_labels`: failure intent → (Chinese label, English label), from the catalog."""
    labels = dict(reason_labels or {})
    labels.setdefault("none", NO_REASON_LABEL)
    since, until = figures["period"]["since"], figures["period"]["until"]
    body = "\n".join([
        "<header>",
        f"<h1>域名实名认证排错助手 · 运营报告 <span class=\"en\">Operator's report</span></h1>",
        f"<p class=\"period\">时段 <span class=\"en\">Period</span>：<span data-date>{_e(since)}</span> 至 "
        f"<span data-date>{_e(until)}</span>（UTC，含首尾两天 <span class=\"en\">UTC, both days included</span>）</p>",
        "</header>",
        _tiles(figures),
        _section("reasons", "失败原因", "Reasons",
                 "每种失败原因被诊断的次数，以及客户反馈里「解决了」的占比（没有反馈时为 —）。"
                 " <span class=\"en\">Diagnoses per failure reason, and the share of feedback that said solved.</span>",
                 reasons_chart(figures["reasons"], figures["solved_share"], labels)),
        _section("days", "每天的对话", "Conversations per day",
                 "按对话在本时段第一条消息的日期（UTC）。 <span class=\"en\">By the day of each conversation's first message.</span>",
                 days_chart(figures["days"])),
        _section("rates", "每天的未理解率和转人工率", "Fallback and handoff rates per day",
                 "未理解率 = 当天没听懂的消息 ÷ 当天的消息；转人工率 = 当天的转人工 ÷ 当天开始的对话。"
                 " <span class=\"en\">Fallback rate = messages not understood ÷ messages; handoff rate = handoffs ÷ "
                 "conversations started that day.</span>",
                 rates_chart(figures["days"]) + _legend()),
        "<div class=\"two\">",
        _section("channels", "渠道", "Channels", "每个渠道的对话数。 <span class=\"en\">Conversations per channel.</span>",
                 _channels_table(figures["channels"])),
        _section("feedback", "反馈", "Feedback",
                 "客户点「解决了」/「没解决」时诊断的原因。 <span class=\"en\">The reason diagnosed when the customer answered.</span>",
                 _feedback_table(figures["feedback"]["by_reason"], figures["solved_share"], labels)),
        "</div>",
        _section("not-understood", "没听懂的话", "Not understood",
                 "助手没听懂的最常见的话（证件号码和客户给出的姓名已遮盖），可以补进训练数据。"
                 " <span class=\"en\">The most frequent messages the bot did not understand, masked: candidates for the training data.</span>",
                 _not_understood_table(figures["not_understood"])),
        _section("daily", "每日明细", "Daily figures", "", _daily_table(figures["days"])),
        "<footer>由 <code>make report</code> 生成；数字与同目录的 report.json 相同。"
        " <span class=\"en\">Written by make report; the numbers are those of report.json beside it.</span></footer>",
    ])
    return (
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>运营报告 Operator's report {_e(since)} – {_e(until)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


# ------------------------------------------------------------------------------------------------- numbers


def formatted(value: Any, kind: str) -> str:
    if kind == "int":
        return str(int(value))
    if value is None:
        return "—"
    return f"{value * 100:.1f} %" if kind == "percent" else f"{value:.2f}"


def _figure(path: Sequence[Any], value: Any, kind: str = "int", tag: str = "span", attrs: str = "") -> str:
    key = "/".join(str(part) for part in path)
    return (f"<{tag} data-figure=\"{_e(key)}\" data-format=\"{kind}\"{attrs}>"
            f"{_e(formatted(value, kind))}</{tag}>")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------------------------------- parts


def _tiles(f: Mapping[str, Any]) -> str:
    qpd = f["questions_per_diagnosis"]
    tiles = [
        ("对话", "Conversations", _figure(["conversations"], f["conversations"]), ""),
        ("消息", "Messages", _figure(["messages"], f["messages"]), ""),
        ("诊断", "Diagnoses", _figure(["diagnoses"], f["diagnoses"]), ""),
        ("每次诊断的提问", "Questions per diagnosis", _figure(["questions_per_diagnosis", "mean"], qpd["mean"], "mean"),
         f"基于 {_figure(['questions_per_diagnosis', 'diagnoses'], qpd['diagnoses'])} 次诊断 <span class=\"en\">diagnoses</span>"),
        ("解决了 / 没解决", "Solved / not solved",
         f"{_figure(['feedback', 'solved'], f['feedback']['solved'])} / "
         f"{_figure(['feedback', 'not_solved'], f['feedback']['not_solved'])}", ""),
        ("转人工", "Handoffs", _figure(["handoffs"], f["handoffs"]),
         f"占对话 <span class=\"en\">of conversations</span> {_figure(['handoff_rate'], f['handoff_rate'], 'percent')}"),
        ("没听懂", "Not understood", _figure(["fallbacks"], f["fallbacks"]),
         f"占消息 <span class=\"en\">of messages</span> {_figure(['fallback_rate'], f['fallback_rate'], 'percent')}"),
    ]
    cells = "".join(
        f"<div class=\"tile\"><div class=\"name\">{zh} <span class=\"en\">{en}</span></div>"
        f"<div class=\"value\">{value}</div><div class=\"sub\">{sub}</div></div>" for zh, en, value, sub in tiles)
    return f"<section class=\"tiles\">{cells}</section>"


def _section(key: str, zh: str, en: str, hint: str, content: str) -> str:
    hint_html = f"<p class=\"hint\">{hint}</p>" if hint else ""
    if key == "daily":
        return (f"<section id=\"{key}\"><details><summary><h2>{zh} <span class=\"en\">{en}</span></h2></summary>"
                f"{content}</details></section>")
    return f"<section id=\"{key}\"><h2>{zh} <span class=\"en\">{en}</span></h2>{hint_html}{content}</section>"


def _legend() -> str:
    return ("<p class=\"legend\">"
            f"<span class=\"swatch\" style=\"background:{FALLBACK}\"></span>未理解率 <span class=\"en\">Fallback rate</span>"
            f"<span class=\"swatch\" style=\"background:{HANDOFF}\"></span>转人工率 <span class=\"en\">Handoff rate</span></p>")


def _label(key: str, labels: Labels) -> str:
    zh, en = labels.get(key, (key, ""))
    return f"<span data-label>{_e(zh)}</span> <span class=\"en\" data-label>{_e(en or key)}</span>"


def _table(head: Sequence[str], rows: List[str], empty: str) -> str:
    header = "".join(f"<th>{cell}</th>" for cell in head)
    body = "".join(rows) or f"<tr><td colspan=\"{len(head)}\" class=\"empty\">{empty}</td></tr>"
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _channels_table(channels: Mapping[str, int]) -> str:
    rows = [f"<tr><td>{_label(name, CHANNELS)}</td><td class=\"num\">{_figure(['channels', name], count)}</td></tr>"
            for name, count in channels.items()]
    return _table(["渠道 <span class=\"en\">Channel</span>", "对话 <span class=\"en\">Conversations</span>"], rows,
                  "这段时间没有对话 <span class=\"en\">No conversations in this period</span>")


def _feedback_table(by_reason: Mapping[str, Mapping[str, int]], shares: Mapping[str, Any], labels: Labels) -> str:
    rows = [f"<tr><td>{_label(key, labels)}</td>"
            f"<td class=\"num\">{_figure(['feedback', 'by_reason', key, 'solved'], counts['solved'])}</td>"
            f"<td class=\"num\">{_figure(['feedback', 'by_reason', key, 'not_solved'], counts['not_solved'])}</td>"
            f"<td class=\"num\">{_figure(['solved_share', key], shares[key], 'percent')}</td></tr>"
            for key, counts in by_reason.items()]
    return _table(["原因 <span class=\"en\">Reason</span>", "解决了 <span class=\"en\">Solved</span>",
                   "没解决 <span class=\"en\">Not solved</span>", "解决占比 <span class=\"en\">Solved share</span>"],
                  rows, "还没有反馈 <span class=\"en\">No feedback yet</span>")


def _not_understood_table(items: Sequence[Mapping[str, Any]]) -> str:
    rows = [f"<tr><td class=\"text\" data-text>{_e(item['text'])}</td>"
            f"<td class=\"num\">{_figure(['not_understood', i, 'count'], item['count'])}</td></tr>"
            for i, item in enumerate(items)]
    return _table(["客户说的话 <span class=\"en\">What the customer wrote</span>", "次数 <span class=\"en\">Times</span>"],
                  rows, "没有没听懂的消息 <span class=\"en\">Nothing the bot did not understand</span>")


def _daily_table(days: Sequence[Mapping[str, Any]]) -> str:
    columns = [("conversations", "int"), ("messages", "int"), ("fallbacks", "int"), ("fallback_rate", "percent"),
               ("handoffs", "int"), ("handoff_rate", "percent")]
    rows = ["<tr><td data-date>{}</td>{}</tr>".format(
        _e(day["date"]), "".join(f"<td class=\"num\">{_figure(['days', i, key], day[key], kind)}</td>"
                                 for key, kind in columns)) for i, day in enumerate(days)]
    head = ["日期 <span class=\"en\">Day</span>", "对话 <span class=\"en\">Conversations</span>",
            "消息 <span class=\"en\">Messages</span>", "没听懂 <span class=\"en\">Not understood</span>",
            "未理解率 <span class=\"en\">Fallback rate</span>", "转人工 <span class=\"en\">Handoffs</span>",
            "转人工率 <span class=\"en\">Handoff rate</span>"]
    return _table(head, rows, "")


# -------------------------------------------------------------------------------------------------- charts


def _svg(chart: str, height: float, content: str) -> str:
    return (f"<svg id=\"chart-{chart}\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height:.0f}\" width=\"{WIDTH}\" "
            f"height=\"{height:.0f}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">{content}</svg>")


def _no_data(chart: str, zh: str, en: str) -> str:
    return _svg(chart, 70, f"<text x=\"{WIDTH / 2}\" y=\"40\" text-anchor=\"middle\" class=\"nodata\">{zh} {en}</text>")


def reasons_chart(reasons: Mapping[str, int], shares: Mapping[str, Any], labels: Labels) -> str:
    """One row per reason: its label, a bar of its count, and a 0–100 % bar of its solved share."""
    if not reasons:
        return _no_data("reasons", "这段时间没有诊断", "No diagnoses in this period")
    row, top, bar_x, bar_max, share_x, share_w = 36, 28, 340, 330, 760, 110
    most = max(reasons.values())
    parts = [f"<text x=\"{bar_x}\" y=\"16\" class=\"head\">次数 Count</text>",
             f"<text x=\"{share_x}\" y=\"16\" class=\"head\">解决占比 Solved share</text>"]
    for i, (intent, count) in enumerate(reasons.items()):
        y = top + i * row
        zh, en = labels.get(intent, (intent, ""))
        width = max(2.0, count / most * bar_max)
        share = shares.get(intent)
        parts += [
            f"<text x=\"{bar_x - 12}\" y=\"{y + 14}\" text-anchor=\"end\" class=\"label\" data-label>{_e(zh)}</text>",
            f"<text x=\"{bar_x - 12}\" y=\"{y + 28}\" text-anchor=\"end\" class=\"small\" data-label>{_e(en or intent)}</text>",
            f"<rect class=\"bar\" x=\"{bar_x}\" y=\"{y + 6}\" width=\"{width:.1f}\" height=\"18\" fill=\"{BAR}\" shape-rendering=\"crispEdges\"/>",
            _figure(["reasons", intent], count, tag="text", attrs=f" x=\"{bar_x + width + 6:.1f}\" y=\"{y + 20}\" class=\"value\""),
            f"<rect x=\"{share_x}\" y=\"{y + 9}\" width=\"{share_w}\" height=\"12\" fill=\"#e9ecef\" shape-rendering=\"crispEdges\"/>",
        ]
        if share:
            parts.append(f"<rect class=\"share\" x=\"{share_x}\" y=\"{y + 9}\" width=\"{share * share_w:.1f}\" height=\"12\" "
                         f"fill=\"{SOLVED}\" shape-rendering=\"crispEdges\"/>")
        parts.append(_figure(["solved_share", intent], share, "percent", tag="text",
                             attrs=f" x=\"{share_x + share_w + 8}\" y=\"{y + 20}\" class=\"value\""))
    return _svg("reasons", top + len(reasons) * row + 8, "".join(parts))


# the per-day charts' frame
_LEFT, _RIGHT, _TOP, _BOTTOM, _HEIGHT = 56, 16, 20, 34, 240


def _frame(days: Sequence[Mapping[str, Any]], top_value: float, ticks: Sequence[Tuple[float, str]]) -> List[str]:
    """Grid lines with their tick labels and the day labels (about a dozen) of a per-day chart."""
    plot_h, slot = _HEIGHT - _TOP - _BOTTOM, (WIDTH - _LEFT - _RIGHT) / max(1, len(days))
    parts = []
    for value, text in ticks:
        y = _TOP + plot_h - value / top_value * plot_h
        parts += [f"<line x1=\"{_LEFT}\" x2=\"{WIDTH - _RIGHT}\" y1=\"{y:.1f}\" y2=\"{y:.1f}\" class=\"grid\"/>",
                  f"<text x=\"{_LEFT - 8}\" y=\"{y + 4:.1f}\" text-anchor=\"end\" class=\"small\" data-tick>{_e(text)}</text>"]
    step = max(1, math.ceil(len(days) / 12))
    for i in range(0, len(days), step):
        x = _LEFT + (i + 0.5) * slot
        parts.append(f"<text x=\"{x:.1f}\" y=\"{_HEIGHT - 12}\" text-anchor=\"middle\" class=\"small\" "
                     f"data-date>{_e(days[i]['date'][5:])}</text>")
    return parts


def days_chart(days: Sequence[Mapping[str, Any]]) -> str:
    """A bar per day: the conversations that started that day."""
    most = max((day["conversations"] for day in days), default=0)
    top_value = _nice(most) if most else 1
    parts = _frame(days, top_value, [(0, "0"), (top_value, str(top_value))]
                   + ([(top_value / 2, str(top_value // 2))] if top_value % 2 == 0 else []))
    plot_h, slot = _HEIGHT - _TOP - _BOTTOM, (WIDTH - _LEFT - _RIGHT) / max(1, len(days))
    for i, day in enumerate(days):
        if not day["conversations"]:
            continue
        height = day["conversations"] / top_value * plot_h
        x, y = _LEFT + i * slot + slot * 0.15, _TOP + plot_h - height
        parts.append(f"<rect class=\"bar\" x=\"{x:.1f}\" y=\"{y:.1f}\" width=\"{max(1.0, slot * 0.7):.1f}\" "
                     f"height=\"{height:.1f}\" fill=\"{BAR}\" shape-rendering=\"crispEdges\"/>")
        if len(days) <= LABELLED_DAYS:
            parts.append(_figure(["days", i, "conversations"], day["conversations"], tag="text",
                                 attrs=f" x=\"{x + slot * 0.35:.1f}\" y=\"{y - 4:.1f}\" text-anchor=\"middle\" class=\"value\""))
    if not most:
        parts.append(f"<text x=\"{WIDTH / 2}\" y=\"{_TOP + plot_h / 2}\" text-anchor=\"middle\" class=\"nodata\">"
                     "这段时间没有对话 No conversations in this period</text>")
    return _svg("days", _HEIGHT, "".join(parts))


def rates_chart(days: Sequence[Mapping[str, Any]]) -> str:
    """Two lines over the days, each point a day with a rate (a day without messages / conversations has none)."""
    rates = [day[key] for day in days for key in ("fallback_rate", "handoff_rate") if day[key] is not None]
    top_value = _nice(max(rates) * 100) / 100 if rates and max(rates) > 0 else 0.1
    parts = _frame(days, top_value, [(0, "0 %"), (top_value / 2, f"{top_value * 50:g} %"),
                                     (top_value, f"{top_value * 100:g} %")])
    plot_h, slot = _HEIGHT - _TOP - _BOTTOM, (WIDTH - _LEFT - _RIGHT) / max(1, len(days))
    for key, colour in (("fallback_rate", FALLBACK), ("handoff_rate", HANDOFF)):
        points = [(_LEFT + (i + 0.5) * slot, _TOP + plot_h - day[key] / top_value * plot_h) if day[key] is not None
                  else None for i, day in enumerate(days)]
        for run in _runs(points):
            if len(run) > 1:
                coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f"<polyline points=\"{coords}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>")
        parts += [f"<circle class=\"point {key}\" cx=\"{x:.1f}\" cy=\"{y:.1f}\" r=\"4.5\" fill=\"{colour}\"/>"
                  for x, y in filter(None, points)]
    if not rates:
        parts.append(f"<text x=\"{WIDTH / 2}\" y=\"{_TOP + plot_h / 2}\" text-anchor=\"middle\" class=\"nodata\">"
                     "这段时间没有消息 No messages in this period</text>")
    return _svg("rates", _HEIGHT, "".join(parts))


def _runs(points: Sequence[Optional[Tuple[float, float]]]) -> List[List[Tuple[float, float]]]:
    """Consecutive days with a value: a line is not drawn across a day without one."""
    runs: List[List[Tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ value (an axis' top); integers for counts ≥ 1."""
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        top = factor * power
        if top >= value - 1e-9:
            return int(top) if top >= 1 and float(top).is_integer() else top
    return 10 * power  # pragma: no cover


_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",sans-serif;
 margin:0 auto;max-width:1000px;padding:16px 20px;color:#212529;background:#fff}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:0 0 4px;display:inline-block}
.en{color:#6c757d;font-weight:normal;font-size:.85em}
.period{margin:4px 0 12px;color:#495057}
section{margin:18px 0}
.tiles{display:grid;grid-template-columns:repeat(7,1fr);gap:8px}
.tile{border:1px solid #dee2e6;border-radius:6px;padding:8px}
.tile .name{font-size:12px}.tile .value{font-size:22px;font-weight:bold;margin:4px 0}.tile .sub{font-size:11px;color:#495057}
.hint{margin:2px 0 6px;font-size:12px;color:#495057}
svg.chart{max-width:100%;height:auto;display:block}
svg text{font-size:12px;fill:#212529}svg text.small{font-size:10px;fill:#6c757d}svg text.head{font-size:11px;fill:#495057}
svg text.value{font-size:11px}svg text.nodata{font-size:14px;fill:#868e96}
svg line.grid{stroke:#e9ecef;stroke-width:1}
.legend{font-size:12px}.swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 14px;vertical-align:-1px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:20px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e9ecef;padding:4px 6px;text-align:left}
td.num{text-align:right;white-space:nowrap}td.text{word-break:break-all}td.empty{color:#868e96}
summary{cursor:pointer}footer{margin-top:24px;font-size:11px;color:#868e96}
"""
