"""The web help page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), against the
running Rasa stack: chat, quick-reply buttons, typing indicator, image upload, the compliant-copy download,
「转人工」, history kept across a reload, phone-sized screen, and that no user or bot text is ever interpreted
as HTML."""

import io
import json
import os
import sys

import pytest

from channel_fakes import make_image

from playwright import sync_api

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: headless_chromium
from headless_chromium import launched_browser  # noqa: E402
from PIL import Image

TIMEOUT_MS = 60_000
XSS_TEXT = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def browser():
    yield from launched_browser()


@pytest.fixture
def page_factory(browser, stack):
    contexts = []

    def make(**context_kwargs):
        ctx = browser.new_context(locale="zh-CN", **context_kwargs)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.dialogs = dialogs
        page.goto(f"{stack.url}/webhooks/web/")
        page.wait_for_selector("#messages .msg.bot")
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def bot_count(page) -> int:
    return page.locator("#messages .msg.bot").count()


def last_bot(page):
    return page.locator("#messages .msg.bot").last


def wait_bot_after(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#messages .msg.bot, #messages .msg.error').length > n", arg=count
    )


def send_and_wait(page, text: str):
    """Types `text`, presses Enter, returns (request message, bot messages JSON)."""
    before = bot_count(page)
    page.fill("#input", text)
    with page.expect_response("**/webhooks/web/webhook") as resp:
        page.press("#input", "Enter")
    wait_bot_after(page, before)
    return resp.value.request.post_data_json["message"], resp.value.json()


def click_and_wait(page, locator):
    before = bot_count(page)
    with page.expect_response("**/webhooks/web/webhook") as resp:
        locator.click()
    wait_bot_after(page, before)
    return resp.value.request.post_data_json["message"], resp.value.json()


def watch_typing(page) -> None:
    page.evaluate(
        """() => {
        window.__typingSeen = false;
        const t = document.getElementById('typing');
        new MutationObserver(() => { if (!t.hidden) window.__typingSeen = true; })
          .observe(t, {attributes: true});
    }"""
    )


def texts(page, selector="#messages .msg") -> list:
    return page.locator(selector).all_inner_texts()


def test_chat_buttons_upload_handoff_and_reload(page_factory, tmp_path):
    page = page_factory(viewport={"width": 1280, "height": 900})

    # A rejection message: the answer starts with the reason; typing indicator shown meanwhile.
    watch_typing(page)
    sent, answer = send_and_wait(page, "库中无此号")
    assert sent == "库中无此号"
    assert page.evaluate("window.__typingSeen") is True
    assert page.locator("#typing").is_hidden()
    assert page.locator("#messages .msg.user").last.inner_text() == "库中无此号"
    first_answer = page.locator("#messages .msg.bot").nth(1).inner_text()
    assert "库中无此号" in first_answer.split("\n", 1)[0]

    # Buttons: the title is shown, the payload is sent. Answer follow-up questions with 「跳过」
    # until the 「还有其他问题」 button appears, then click it.
    clicked_more = False
    for _ in range(10):
        buttons = {b["title"]: b["payload"] for m in answer for b in m.get("buttons", [])}
        row = last_bot(page).locator(".buttons button")
        if "还有其他问题" in buttons:
            title = "还有其他问题"
        else:
            skip = [t for t in buttons if "跳过" in t]
            assert skip, f"no button to continue with: {buttons}"
            title = skip[0]
        sent, answer = click_and_wait(page, row.filter(has_text=title).first)
        assert sent == buttons[title]
        assert title in page.locator("#messages .msg.user").all_inner_texts()
        if title == "还有其他问题":
            clicked_more = True
            break
    assert clicked_more

    # Upload a generated certificate picture: the image-check answer comes back.
    before = bot_count(page)
    with page.expect_response("**/webhooks/web/upload") as resp:
        page.set_input_files("#file", files=[{"name": "证件.jpg", "mimeType": "image/jpeg", "buffer": make_image()}])
    assert resp.value.status == 200, resp.value.text()
    wait_bot_after(page, before)
    image_answer = "\n".join(page.locator("#messages .msg.bot").all_inner_texts()[before:])
    assert "图片" in image_answer or "照片" in image_answer, image_answer
    assert "证件.jpg" in page.locator("#messages .msg.user").last.inner_text()

    # 「转人工」 sends /ask_human and shows 转人工.
    before = bot_count(page)
    with page.expect_response("**/webhooks/web/webhook") as resp:
        page.click("#human")
    wait_bot_after(page, before)
    assert resp.value.request.post_data_json["message"] == "/ask_human"
    assert page.locator("#messages .msg.user").last.inner_text() == "转人工"
    handoff = page.locator("#messages .msg.bot").all_inner_texts()[before:]
    assert any("为您转人工" in text for text in handoff)  # then the case summary for the ticket
    assert handoff[-1].startswith("案情摘要（可直接粘贴到工单）")

    page.screenshot(path=str(tmp_path / "desktop.png"), full_page=True)

    # Reload: same conversation (sender id and history from localStorage).
    history_before = texts(page)
    sender_before = page.evaluate("localStorage.getItem('realname-help.sender')")
    page.reload()
    page.wait_for_selector("#messages .msg.bot")
    assert texts(page) == history_before
    assert page.evaluate("localStorage.getItem('realname-help.sender')") == sender_before

    # 「新对话」 clears it.
    page.click("#reset")
    assert len(texts(page)) == 1
    assert page.evaluate("localStorage.getItem('realname-help.sender')") != sender_before
    assert page.dialogs == []


def upload_and_wait(page, name: str, data: bytes):
    """Uploads a picture, waits for the answer, returns the bot messages JSON."""
    before = bot_count(page)
    with page.expect_response("**/webhooks/web/upload") as resp:
        page.set_input_files("#file", files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}])
    assert resp.value.status == 200, resp.value.text()
    wait_bot_after(page, before)
    return resp.value.json()


def click_and_expect_error(page, locator) -> str:
    before = page.locator("#messages .msg.error").count()
    locator.click()
    page.wait_for_function("n => document.querySelectorAll('#messages .msg.error').length > n", arg=before)
    return page.locator("#messages .msg.error").last.inner_text()


COPY_GONE = "副本已过期，请重新上传图片"


def test_compliant_copy_is_downloaded_once_and_expires(page_factory, stack, tmp_path):
    page = page_factory(viewport={"width": 1280, "height": 900})

    # A PNG renamed .jpg: the answer offers the compliant copy as a download link.
    upload_and_wait(page, "证件截图.jpg", make_image("PNG"))
    link = page.locator("#messages a.copy-download")
    link.wait_for()
    assert link.count() == 1 and link.inner_text() == "下载合规副本"
    assert "合规副本" in "\n".join(page.locator("#messages .msg.bot").all_inner_texts())
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "证件图片-合规副本.jpg"
    saved = tmp_path / "copy.jpg"
    download.save_as(saved)
    with Image.open(io.BytesIO(saved.read_bytes())) as picture:
        assert (picture.format, picture.mode, picture.size) == ("JPEG", "RGB", (900, 600))
    page.wait_for_selector("text=已下载")

    # Served once: a second click says it expired, also after a reload (history in localStorage).
    assert click_and_expect_error(page, link) == COPY_GONE
    page.reload()
    page.wait_for_selector("#messages a.copy-download")
    assert click_and_expect_error(page, page.locator("#messages a.copy-download")) == COPY_GONE

    # A copy never downloaded and purged meanwhile: after a reload the link says so too.
    answer = upload_and_wait(page, "证件截图2.jpg", make_image("PNG", seed=8))
    ref = [m["custom"]["compliant_copy"]["ref"] for m in answer if m.get("custom")][0]
    os.unlink(os.path.join(stack.env["REALNAME_IMAGE_DIR"], ref))  # what the 10-minute purge does
    page.reload()
    page.wait_for_selector("#messages a.copy-download >> nth=1")
    assert click_and_expect_error(page, page.locator("#messages a.copy-download").last) == COPY_GONE
    assert page.locator("#messages img, #messages script").count() == 0
    assert page.dialogs == []


def test_user_and_bot_text_is_never_html(page_factory):
    page = page_factory()
    sent, _ = send_and_wait(page, XSS_TEXT)
    assert sent == XSS_TEXT
    assert page.locator("#messages .msg.user").last.inner_text() == XSS_TEXT
    assert page.locator("#messages img, #messages script").count() == 0

    # A bot answer full of markup (served by a stand-in for this one request).
    evil = [
        {
            "recipient_id": "x",
            "text": "<img src=x onerror=\"window.__xss=3\"><b>粗体</b>",
            "buttons": [{"title": "<img src=x onerror=\"window.__xss=4\">按钮", "payload": "/greet"}],
            "image": "javascript:window.__xss=5",
        }
    ]
    page.route(
        "**/webhooks/web/webhook",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(evil)),
    )
    send_and_wait(page, "你好")
    bot = last_bot(page)
    assert bot.locator(".text").inner_text() == evil[0]["text"]
    button = bot.locator(".buttons button").first
    assert button.inner_text() == evil[0]["buttons"][0]["title"]
    button.hover()
    assert page.locator("#messages img, #messages script, #messages b").count() == 0
    page.unroute("**/webhooks/web/webhook")

    # The stored history is rendered the same safe way after a reload.
    page.reload()
    page.wait_for_selector("#messages .msg.bot")
    assert XSS_TEXT in texts(page, "#messages .msg.user")
    assert page.locator("#messages img, #messages script, #messages b").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.dialogs == []


def test_errors_are_shown_in_chinese(page_factory):
    page = page_factory()
    before = page.locator("#messages .msg.error").count()
    page.fill("#input", "字" * 5001)
    page.press("#input", "Enter")
    page.wait_for_function("n => document.querySelectorAll('#messages .msg.error').length > n", arg=before)
    assert "消息过长" in page.locator("#messages .msg.error").last.inner_text()

    page.route(
        "**/webhooks/web/webhook",
        lambda route: route.fulfill(
            status=400, content_type="application/json", body=json.dumps({"error": "消息不能为空，请输入文字后再发送。"})
        ),
    )
    send_and_wait(page, "你好")
    assert page.locator("#messages .msg.error").last.inner_text() == "消息不能为空，请输入文字后再发送。"
    page.route("**/webhooks/web/webhook", lambda route: route.abort())
    page.fill("#input", "你好")
    page.press("#input", "Enter")
    page.wait_for_function("() => document.querySelector('#messages .msg.error:last-child') !== null")
    page.wait_for_selector("text=网络连接失败")


def test_the_page_follows_the_language_the_assistant_answers_in(page_factory):
    page = page_factory()
    assert page.locator("#send").inner_text() == "发送" and page.locator("#language").inner_text() == "English"

    # An English customer: English answers, and the page's own words follow.
    sent, answer = send_and_wait(page, "Certificate number cannot be found")
    assert answer[0]["text"].isascii()
    assert page.locator("#send").inner_text() == "Send"
    assert page.locator("#human").inner_text() == "Talk to a human"
    assert page.locator("h1").inner_text() == "Domain name real-name verification rejected?"
    assert page.get_attribute("#input", "placeholder").startswith("Type the rejection reason")
    assert page.evaluate("document.documentElement.lang") == "en"
    before = page.locator("#messages .msg.error").count()
    page.fill("#input", "a" * 5001)
    page.press("#input", "Enter")
    page.wait_for_function("n => document.querySelectorAll('#messages .msg.error').length > n", arg=before)
    assert page.locator("#messages .msg.error").last.inner_text().startswith("The message is too long: 5000")

    # Kept across a reload; the language button asks the assistant for Chinese, and the page follows it.
    page.reload()
    page.wait_for_selector("#messages .msg.bot")
    assert page.locator("#send").inner_text() == "Send"
    sent, answer = click_and_wait(page, page.locator("#language"))
    assert sent == "中文"
    assert page.locator("#send").inner_text() == "发送" and page.locator("#language").inner_text() == "English"
    assert any("\u4e00" <= c <= "\u9fff" for c in answer[0]["text"])


def test_phone_sized_screen(page_factory, tmp_path):
    page = page_factory(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for sel in ("#messages", "#input", "#send", "label.upload", "#human"):
        box = page.locator(sel).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, (sel, box)
    send_box = page.locator("#send").bounding_box()
    assert send_box["y"] + send_box["height"] <= 844, send_box  # composer visible without scrolling
    send_and_wait(page, "库中无此号")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(tmp_path / "phone.png"))
