"""The report's page in headless Chromium (Debian's /usr/bin/chromium through Playwright), as an operator opens
it from disk: for the store of test_store.py and for an empty one, each chart drawn (its SVG on screen, its
colours in the screenshot), every number shown equal to report.json, nothing loaded from anywhere."""
import asyncio
import io
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from playwright import sync_api

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: headless_chromium
from headless_chromium import launched_browser  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_store as data  # noqa: E402  (the conversations and the command of test_store.py)

BAR, SOLVED, FALLBACK, HANDOFF = (47, 111, 214), (43, 138, 62), (232, 89, 12), (112, 72, 232)
HEADINGS = ["失败原因 Reasons", "每天的对话 Conversations per day",
            "每天的未理解率和转人工率 Fallback and handoff rates per day", "渠道 Channels", "反馈 Feedback",
            "没听懂的话 Not understood", "每日明细 Daily figures"]


@pytest.fixture(scope="module")
def browser():
    yield from launched_browser()


def written_report(folder, filled, since, until):
    db = folder / "conversations.db"
    with ThreadPoolExecutor(1) as thread:  # Playwright's sync API keeps an event loop running in this one
        thread.submit(asyncio.run, data.sqlite_store(db, filled=filled)).result()
    run = data.report("--endpoints", data.endpoints_for(folder, db), "--since", since, "--until", until,
                      "--out", str(folder / "reports"))
    assert run.returncode == 0, run.stderr
    return folder / "reports" / "report.html", json.loads((folder / "reports" / "report.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    return written_report(tmp_path_factory.mktemp("filled"), True, data.SINCE, data.UNTIL)


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    return written_report(tmp_path_factory.mktemp("empty"), False, "2026-11-01", "2026-11-30")


def opened(browser, html_path):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, device_scale_factor=1, locale="zh-CN")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(html_path.as_uri())
    page.wait_for_load_state("load")
    return page


def colour_pixels(page, selector, colour, tolerance=6):
    picture = Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB")
    return sum(1 for pixel in picture.getdata() if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour)))


def expected_figures(report):
    """Every figure report.json has, as the page must show it: path → format."""
    paths = {key: "int" for key in ("conversations", "messages", "diagnoses", "handoffs", "fallbacks",
                                     "feedback/solved", "feedback/not_solved", "questions_per_diagnosis/diagnoses")}
    paths.update({"handoff_rate": "percent", "fallback_rate": "percent", "questions_per_diagnosis/mean": "mean"})
    paths.update({f"reasons/{key}": "int" for key in report["reasons"]})
    paths.update({f"solved_share/{key}": "percent" for key in report["solved_share"]})
    for key in report["feedback"]["by_reason"]:
        paths.update({f"feedback/by_reason/{key}/solved": "int", f"feedback/by_reason/{key}/not_solved": "int"})
    paths.update({f"channels/{key}": "int" for key in report["channels"]})
    paths.update({f"not_understood/{i}/count": "int" for i in range(len(report["not_understood"]))})
    for i, day in enumerate(report["days"]):
        paths.update({f"days/{i}/{key}": "percent" if key.endswith("_rate") else "int" for key in day if key != "date"})
    return paths


def value_at(report, path):
    value = report
    for part in path.split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def as_shown(value, kind):
    if kind == "int":
        return str(value)
    if value is None:
        return "—"
    return f"{value * 100:.1f} %" if kind == "percent" else f"{value:.2f}"


def check_numbers_equal_the_json(page, report):
    shown = page.eval_on_selector_all("[data-figure]", "els => els.map(e => [e.dataset.figure, e.dataset.format, e.textContent])")
    expected = expected_figures(report)
    assert {path for path, _, _ in shown} == set(expected)
    for path, kind, text in shown:
        assert kind == expected[path], path
        assert text == as_shown(value_at(report, path), kind), (path, text)
    unmarked = page.evaluate("""() => {
        const found = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node; (node = walker.nextNode());) {
            if (/\\d/.test(node.nodeValue)
                && !node.parentElement.closest('[data-figure],[data-date],[data-tick],[data-label],[data-text]'))
                found.push(node.nodeValue);
        }
        return found;
    }""")
    assert unmarked == []  # no number on the page that is not one of report.json's
    assert page.locator("[data-text]").all_text_contents() == [item["text"] for item in report["not_understood"]]


def check_charts_on_screen(page):
    for chart in ("reasons", "days", "rates"):
        box = page.locator(f"#chart-{chart}").bounding_box()
        assert box and box["width"] > 600 and box["height"] > 40, chart


def test_the_page_of_a_filled_store(browser, filled):
    html_path, report = filled
    page = opened(browser, html_path)
    assert page.requests == [html_path.as_uri()]  # self-contained: nothing else is fetched
    assert [" ".join(h.split()) for h in page.locator("h2").all_text_contents()] == HEADINGS
    check_charts_on_screen(page)
    check_numbers_equal_the_json(page, report)

    assert page.locator("#chart-reasons rect.bar").count() == len(report["reasons"]) == 3
    assert colour_pixels(page, "#chart-reasons", BAR) > 300
    assert colour_pixels(page, "#chart-reasons", SOLVED) > 300  # fail_cert_data_check: solved 1 of 1
    reasons_text = page.locator("#chart-reasons").text_content()
    assert "库中无此号/证件验证失败" in reasons_text and "证件电子信息核验不合格" in reasons_text
    assert page.locator("#chart-days rect.bar").count() == 3  # one bar per day with a conversation
    assert colour_pixels(page, "#chart-days", BAR) > 300
    assert page.locator("#chart-rates circle.fallback_rate").count() == 3
    assert colour_pixels(page, "#chart-rates", FALLBACK) > 100 and colour_pixels(page, "#chart-rates", HANDOFF) > 100

    assert page.locator("#not-understood").text_content().count("＊＊") == 1
    assert "1101********002X" in page.locator("#not-understood").text_content()
    body = page.locator("body").text_content()
    for secret in (data.ID_NUMBER, data.NAME):
        assert secret not in body and secret not in page.content()
    page.context.close()


def test_the_page_of_a_store_without_conversations(browser, empty):
    html_path, report = empty
    assert report["conversations"] == 0 and len(report["days"]) == 30
    page = opened(browser, html_path)
    assert page.requests == [html_path.as_uri()]
    assert [" ".join(h.split()) for h in page.locator("h2").all_text_contents()] == HEADINGS
    check_charts_on_screen(page)
    check_numbers_equal_the_json(page, report)
    assert "这段时间没有诊断" in page.locator("#chart-reasons").text_content()
    assert "这段时间没有对话" in page.locator("#chart-days").text_content()
    assert "这段时间没有消息" in page.locator("#chart-rates").text_content()
    for chart in ("reasons", "days", "rates"):
        assert colour_pixels(page, f"#chart-{chart}", BAR) == 0
    assert colour_pixels(page, "#chart-rates", FALLBACK) == 0
    assert page.locator("#chart-days [data-date]").count() >= 10  # the axis is drawn all the same
    assert page.locator("#chart-days [data-tick]").count() >= 2
    page.context.close()
