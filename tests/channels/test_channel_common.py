"""Unit tests of channels.common: privacy masking, buttons, caches, the executor+retry HTTP sender."""

import asyncio
import logging
import time

import pytest

from channels import common
from channels.common import (
    ApiError,
    Button,
    ButtonMemory,
    DeliveryError,
    HttpSender,
    TokenCache,
    TTLSet,
    check_image_text,
    compose_turn,
    dingtalk_markdown,
    image_error_text,
    is_reserved_command,
    json_errcode_check,
    mask_sensitive,
    numbered_text,
    safe_url,
    sniff_image_type,
)
from channel_fakes import make_image


# ------------------------------------------------------------------------------------------------ privacy


def test_mask_sensitive_hides_id_and_phone_numbers():
    text = "我的身份证号是110101199003070011，手机13812345678，旧证11010119900307X"
    masked = mask_sensitive(text)
    assert "110101199003070011" not in masked
    assert "13812345678" not in masked
    assert "0307001" not in masked
    assert masked.startswith("我的身份证号是110")


def test_mask_sensitive_handles_x_suffix_and_cuts_long_text():
    assert "11010119900307001X" not in mask_sensitive("号码:11010119900307001X")
    assert len(mask_sensitive("字" * 1000, limit=50)) <= 51


def test_safe_url_drops_query_with_tokens():
    assert safe_url("https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=SECRET") == (
        "https://qyapi.weixin.qq.com/cgi-bin/message/send"
    )


# ------------------------------------------------------------------------------------------------ texts


def test_check_image_text_is_the_exact_intent_payload():
    assert check_image_text("abc123") == '/check_image{"image_ref": "abc123"}'
    assert check_image_text('a"b') == '/check_image{"image_ref": "a\\"b"}'


def test_user_cannot_type_the_reserved_check_image_command():
    assert is_reserved_command('/check_image{"image_ref": "../../etc/passwd"}')
    assert is_reserved_command('  /CHECK_IMAGE@0.9{"image_ref": "x"}')
    assert is_reserved_command('/inform{"image_ref": "x"}')
    assert not is_reserved_command("/check_image")  # the bot's own button, no ref
    assert not is_reserved_command("/ask_human")
    assert not is_reserved_command("库中无此号")


def test_image_error_text_prefers_the_stores_chinese_message():
    class StoreError(ValueError):
        user_message = "图片太小，请上传 55 KB 以上的照片。"

    assert image_error_text(StoreError("too small")) == "图片太小，请上传 55 KB 以上的照片。"
    assert "证件照片" in image_error_text(ValueError("bad image"))
    assert "稍后再试" in image_error_text(OSError("disk full"))


def test_sniff_image_type():
    assert sniff_image_type(make_image("JPEG", (60, 40))) == "jpeg"
    assert sniff_image_type(make_image("PNG", (60, 40))) == "png"
    assert sniff_image_type(b"<svg onload=alert(1)>") is None


# ------------------------------------------------------------------------------------------------ buttons

BOT_MESSAGES = [
    {"recipient_id": "u", "text": "原因：库中无此号或注册者证件验证失败"},
    {
        "recipient_id": "u",
        "text": "1. 核对证件号码\n2. 重新提交",
        "buttons": [
            {"title": "还有其他问题", "payload": "/more"},
            {"title": "转人工", "payload": "/ask_human"},
        ],
    },
]


def test_compose_turn_merges_texts_and_buttons():
    turn = compose_turn(BOT_MESSAGES)
    assert turn.text == "原因：库中无此号或注册者证件验证失败\n\n1. 核对证件号码\n2. 重新提交"
    assert turn.buttons == [Button("还有其他问题", "/more"), Button("转人工", "/ask_human")]


def test_numbered_text_lists_buttons_for_a_digit_reply():
    out = numbered_text("请选择", [Button("还有其他问题", "/more"), Button("转人工", "/ask_human")])
    assert out == "请选择\n\n回复数字选择：\n1. 还有其他问题\n2. 转人工"
    assert numbered_text("只有文字", []) == "只有文字"


def test_dingtalk_markdown_buttons_send_the_payload_back():
    md = dingtalk_markdown("第一行\n第二行", [Button("转人工", "/ask_human"), Button("选[1]", '/x{"a": "b"}')])
    assert "第一行  \n第二行" in md
    assert "[转人工](dtmd://dingtalkclient/sendMessage?content=%2Fask_human)" in md
    assert "content=%2Fx%7B%22a%22%3A%20%22b%22%7D" in md
    assert "[选\\[1\\]]" in md


def test_button_memory_maps_digits_and_titles_back():
    mem = ButtonMemory()
    mem.remember("u1", [Button("还有其他问题", "/more"), Button("转人工", "/ask_human")])
    assert mem.resolve("u1", "2") == "/ask_human"
    assert mem.resolve("u1", " １ ") == "/more"  # full-width digit
    assert mem.resolve("u1", "2.") == "/ask_human"
    assert mem.resolve("u1", "转人工") == "/ask_human"
    assert mem.resolve("u1", "3") is None
    assert mem.resolve("u1", "库中无此号") is None
    assert mem.resolve("u2", "1") is None
    mem.remember("u1", [])  # a turn without buttons forgets the old ones
    assert mem.resolve("u1", "1") is None


def test_button_memory_is_bounded_and_expires():
    mem = ButtonMemory(max_users=2, ttl=0.05)
    for u in ("a", "b", "c"):
        mem.remember(u, [Button("x", "/x")])
    assert mem.resolve("a", "1") is None  # evicted
    assert mem.resolve("c", "1") == "/x"
    time.sleep(0.08)
    assert mem.resolve("c", "1") is None  # expired


# ------------------------------------------------------------------------------------------------ TTLSet


def test_ttlset_detects_repeats_and_forgets_after_ttl():
    now = [1000.0]
    seen = TTLSet(maxsize=100, ttl=10, clock=lambda: now[0])
    assert seen.add_if_new("m1")
    assert not seen.add_if_new("m1")
    now[0] += 11
    assert "m1" not in seen
    assert seen.add_if_new("m1")


def test_ttlset_is_bounded():
    seen = TTLSet(maxsize=3, ttl=100)
    for i in range(10):
        seen.add_if_new(str(i))
    assert len(seen) == 3
    assert "9" in seen and "0" not in seen


# ------------------------------------------------------------------------------------------------ HttpSender


@pytest.mark.asyncio
async def test_sender_retries_server_errors_then_succeeds(fake_wecom):
    fake_wecom.plan("/cgi-bin/gettoken", ("status", 502), ("status", 500))
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    result = await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t", check=json_errcode_check)
    assert result.json()["access_token"]
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 3


@pytest.mark.asyncio
async def test_sender_gives_up_after_bounded_attempts_and_logs(fake_wecom, caplog):
    fake_wecom.always("/cgi-bin/gettoken", ("status", 503))
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="channels.common"):
        with pytest.raises(DeliveryError) as err:
            await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken?corpsecret=SECRET", what="t")
    assert err.value.attempts == 3 and err.value.status == 503
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 3
    assert caplog.text.count("attempt_failed") == 3
    assert "SECRET" not in caplog.text


@pytest.mark.asyncio
async def test_sender_does_not_retry_client_errors(fake_wecom):
    fake_wecom.plan("/cgi-bin/gettoken", ("status", 400))
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t")
    assert err.value.attempts == 1
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 1


@pytest.mark.asyncio
async def test_sender_retries_timeouts_without_blocking_the_event_loop(fake_wecom):
    fake_wecom.always("/cgi-bin/gettoken", ("sleep", 1.0))
    sender = HttpSender("t", timeout=0.3, attempts=2, backoff=0.01)
    ticks = []

    async def ticker():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    task = asyncio.ensure_future(ticker())
    started = time.monotonic()
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t")
    task.cancel()
    assert "timeout" in err.value.reason
    assert err.value.attempts == 2
    assert time.monotonic() - started < 2.0
    assert len(ticks) >= 8  # the loop kept running while requests waited in threads


@pytest.mark.asyncio
async def test_sender_api_errcodes(fake_wecom):
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    fake_wecom.plan("/cgi-bin/gettoken", ("json", {"errcode": -1, "errmsg": "busy"}))
    result = await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t", check=json_errcode_check)
    assert result.json()["errcode"] == 0  # -1 (busy) was retried
    fake_wecom.plan("/cgi-bin/gettoken", ("json", {"errcode": 40013, "errmsg": "invalid corpid"}))
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t", check=json_errcode_check)
    assert err.value.code == 40013 and err.value.attempts == 1


@pytest.mark.asyncio
async def test_sender_bounds_response_size(fake_wecom):
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/media/get?access_token=x", what="t", max_bytes=10)
    assert "too large" in err.value.reason or "HTTP" in err.value.reason


@pytest.mark.asyncio
async def test_sender_connection_refused_is_retried_and_reported():
    from channel_fakes import free_port

    sender = HttpSender("t", timeout=1, attempts=2, backoff=0.01)
    with pytest.raises(DeliveryError) as err:
        await sender.request("POST", f"http://127.0.0.1:{free_port()}/x", what="t", json={})
    assert "connection" in err.value.reason and err.value.attempts == 2


# ------------------------------------------------------------------------------------------------ TokenCache


@pytest.mark.asyncio
async def test_token_cache_fetches_once_and_refreshes_after_invalidate():
    calls = []

    async def fetch():
        calls.append(1)
        await asyncio.sleep(0.01)
        return f"tok{len(calls)}", 7200.0

    cache = TokenCache(fetch)
    tokens = await asyncio.gather(*(cache.get() for _ in range(5)))
    assert tokens == ["tok1"] * 5 and len(calls) == 1
    cache.invalidate("other")
    assert await cache.get() == "tok1"
    cache.invalidate("tok1")
    assert await cache.get() == "tok2"


@pytest.mark.asyncio
async def test_token_cache_expires():
    n = [0]

    async def fetch():
        n[0] += 1
        return f"t{n[0]}", 1.0

    cache = TokenCache(fetch, margin=0.5)
    assert await cache.get() == "t1"
    await asyncio.sleep(1.1)
    assert await cache.get() == "t2"


# ------------------------------------------------------------------------------------------------ ask_rasa


@pytest.mark.asyncio
async def test_ask_rasa_collects_answers():
    seen = {}

    async def on_new_message(message):
        seen["text"], seen["sender"], seen["channel"] = message.text, message.sender_id, message.input_channel
        await message.output_channel.send_text_with_buttons(
            message.sender_id,
            "原因：库中无此号",
            [{"title": "转人工", "payload": "/ask_human"}],
        )

    out = await common.ask_rasa(on_new_message, "库中无此号", "web-abc", "web")
    assert seen == {"text": "库中无此号", "sender": "web-abc", "channel": "web"}
    assert out[0]["text"] == "原因：库中无此号" and out[0]["buttons"][0]["payload"] == "/ask_human"


@pytest.mark.asyncio
async def test_ask_rasa_failure_gives_fallback_and_logs_no_body(caplog):
    async def on_new_message(message):
        raise RuntimeError("boom 110101199003070011")

    with caplog.at_level(logging.ERROR, logger="channels.common"):
        out = await common.ask_rasa(on_new_message, "身份证110101199003070011", "web-abc", "web")
    assert out == [{"recipient_id": "web-abc", "text": common.FALLBACK_REPLY}]
    assert "channels.rasa.failed" in caplog.text
    assert "110101199003070011" not in caplog.text


@pytest.mark.asyncio
async def test_ask_rasa_logs_a_silent_turn(caplog):
    async def on_new_message(message):
        return None

    with caplog.at_level(logging.WARNING, logger="channels.common"):
        assert await common.ask_rasa(on_new_message, "你好", "web-abc", "web") == []
    assert "channels.rasa.no_answer" in caplog.text


@pytest.mark.asyncio
async def test_background_tasks_log_failures(caplog):
    tasks = common.BackgroundTasks("t")

    async def bad():
        raise ValueError("x")

    with caplog.at_level(logging.ERROR, logger="channels.common"):
        tasks.spawn(bad(), what="job")
        await tasks.join()
    assert "t.task.failed what=job" in caplog.text
    assert tasks.pending == 0


def test_api_error_defaults():
    e = ApiError("x")
    assert not e.retryable and e.code is None


def test_image_error_text_uses_image_store_errors():
    from realname import image_store
    err = image_store.ImageStoreError("too_large")
    assert image_error_text(err) == err.message


@pytest.mark.asyncio
async def test_save_image_stores_through_image_store(tmp_path, monkeypatch):
    from realname import image_store
    monkeypatch.setenv("REALNAME_IMAGE_DIR", str(tmp_path))
    data = make_image(size=(120, 80))
    ref = await common.save_image(data, "证件.jpg")
    assert image_store.load(ref)[0] == data
    image_store.discard(ref)


COPY_OFFER = {"recipient_id": "u", "custom": {"compliant_copy": {"ref": "ab" * 16 + ".jpg", "filename": "证件图片-合规副本.jpg"}}}


def test_compose_turn_skips_custom_only_messages():
    # The web page's download offer has nothing a text chat can show: it adds no text, not even an empty one.
    assert compose_turn([COPY_OFFER]).text == ""
    assert compose_turn([BOT_MESSAGES[0], COPY_OFFER]).text == BOT_MESSAGES[0]["text"]
    assert compose_turn([{"recipient_id": "u", "custom": {"text": "  "}}]).text == ""
    assert compose_turn([{"recipient_id": "u", "custom": {"text": "自定义文字"}}]).text == "自定义文字"
