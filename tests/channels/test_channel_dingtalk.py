"""DingTalk channel protocol tests: header signature, clock skew, replay, reply building, sessionWebhook
expiry, picture download through the robot API, retries and logging. A fake on_new_message stands in
for Rasa."""

import asyncio
import json
import logging
import time

import pytest

from channels import images as images_module
from channels.buttons import Button, Turn
from channels.dingtalk import DingTalkInput, DingTalkRejected, dingtalk_sign
from channels.http_client import DeliveryError
from channel_fakes import custom_only_rasa, dingtalk_message, dingtalk_signature, recording, until

SECRET = "dt-secret-for-tests"


def channel(base_url: str = "https://api.dingtalk.com", **kw) -> DingTalkInput:
    return DingTalkInput(
        app_key="appkey", app_secret=SECRET, robot_code="robot", api_base=base_url,
        http_timeout=1, http_attempts=3, http_backoff=0.01, **kw
    )


def signed_headers(ts_ms=None, secret=SECRET):
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    return {"timestamp": ts, "sign": dingtalk_signature(ts, secret)}


def body_of(msg) -> bytes:
    return json.dumps(msg, ensure_ascii=False).encode()


# A fixed (timestamp, secret, sign) triple, so the test does not retype the formula. DingTalk's robot
# documentation (open.dingtalk.com, robot security settings "加签"; the HTTP callback's `timestamp`/`sign`
# headers use the same scheme with the appSecret) defines sign = Base64(HmacSHA256(key=secret,
# msg=timestamp + "\n" + secret)), UTF-8, timestamp in milliseconds; its example secret is "this is secret".
# No published triple was found, so this sign was computed once, independently of the channel, with
#   printf '1577262236757\nthis is secret' | openssl dgst -sha256 -hmac 'this is secret' -binary | base64
# (Python's hmac module gives the same) and is kept here as a literal.
DOC_TIMESTAMP = "1577262236757"
DOC_SECRET = "this is secret"
DOC_SIGN = "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="


def test_sign_matches_a_fixed_example():
    assert dingtalk_sign(DOC_TIMESTAMP, DOC_SECRET) == DOC_SIGN
    ch = DingTalkInput(app_key="appkey", app_secret=DOC_SECRET, clock=lambda: int(DOC_TIMESTAMP) / 1000)
    ch.verify_signature(DOC_TIMESTAMP, DOC_SIGN)  # accepted: no exception
    for timestamp, sign in ((DOC_TIMESTAMP, DOC_SIGN[:-2] + "A="), (str(int(DOC_TIMESTAMP) + 1), DOC_SIGN)):
        with pytest.raises(DingTalkRejected) as err:
            ch.verify_signature(timestamp, sign)
        assert err.value.status == 403


def test_accepts_signed_message_once_then_drops_replay():
    ch = channel("http://127.0.0.1:9")
    msg = dingtalk_message("http://127.0.0.1:9", "s1")
    status, answer, accepted = ch.accept(signed_headers(), body_of(msg))
    assert status == 200 and accepted["text"]["content"] == "库中无此号"
    status, answer, accepted = ch.accept(signed_headers(), body_of(msg))
    assert (status, accepted) == (200, None) and answer["status"] == "duplicate"


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),
        ({"timestamp": "1700000000000"}, 401),
        ("stale", 401),
        ("future", 401),
        ("forged", 403),
        ("wrong-secret", 403),
        ({"timestamp": "abc", "sign": "x"}, 401),
    ],
    ids=["none", "no-sign", "stale", "future", "forged", "wrong-secret", "bad-ts"],
)
def test_rejections_touch_nothing(headers, status):
    ch = channel("http://127.0.0.1:9")
    now = int(time.time() * 1000)
    if headers == "stale":
        headers = signed_headers(now - 3600 * 1000 - 5000)
    elif headers == "future":
        headers = signed_headers(now + 3600 * 1000 + 5000)
    elif headers == "forged":
        headers = {"timestamp": str(now), "sign": dingtalk_signature(str(now - 1), SECRET)}
    elif headers == "wrong-secret":
        headers = signed_headers(now, "not-the-secret")
    msg = dingtalk_message("http://127.0.0.1:9", "s1")
    got_status, _, accepted = ch.accept(headers, body_of(msg))
    assert (got_status, accepted) == (status, None)
    assert ch.accept(signed_headers(), body_of(msg))[2] is not None  # not remembered: the genuine one goes through


def test_clock_skew_inside_the_hour_is_accepted():
    ch = channel("http://127.0.0.1:9")
    msg = dingtalk_message("http://127.0.0.1:9", "s1")
    assert ch.accept(signed_headers(int(time.time() * 1000) - 50 * 60 * 1000), body_of(msg))[0] == 200


@pytest.mark.parametrize(
    "body, status",
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b"\xff\xfe", 400),
        (b"{" + b" " * 70000 + b"}", 413),
    ],
    ids=["bad-json", "not-object", "binary", "oversized"],
)
def test_malformed_and_oversized_bodies(body, status):
    assert channel().accept(signed_headers(), body)[0] == status


def test_session_webhook_must_point_at_dingtalk():
    ch = channel("http://127.0.0.1:9")
    msg = dingtalk_message("http://evil.example", "s1")
    assert ch.accept(signed_headers(), body_of(msg))[0] == 400
    msg["sessionWebhook"] = "https://oapi.dingtalk.com/robot/sendBySession?session=x"
    assert ch.accept(signed_headers(), body_of(msg))[0] == 200


def test_not_configured_answers_503():
    ch = DingTalkInput(app_key="", app_secret="")
    assert ch.accept(signed_headers(), b"{}")[0] == 503


def test_build_reply_text_or_markdown_with_tap_to_send_links():
    assert DingTalkInput.build_reply(Turn(text="你好")) == {"msgtype": "text", "text": {"content": "你好"}}
    payload = DingTalkInput.build_reply(
        Turn(text="原因：库中无此号\n1. 核对", buttons=[Button("还有其他问题", "/more"), Button("转人工", "/ask_human")])
    )
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "原因：库中无此号"
    text = payload["markdown"]["text"]
    assert "[还有其他问题](dtmd://dingtalkclient/sendMessage?content=%2Fmore)" in text
    assert "[转人工](dtmd://dingtalkclient/sendMessage?content=%2Fask_human)" in text
    assert DingTalkInput.build_reply(Turn()) is None


async def fake_rasa(message):
    out = message.output_channel
    if message.text.startswith("/check_image"):
        await out.send_text_message(message.sender_id, "照片检查：" + message.text)
    elif message.text == "/ask_human":
        await out.send_text_message(message.sender_id, "正在为您转人工")
    else:
        await out.send_text_with_buttons(
            message.sender_id,
            "原因：库中无此号\n1. 核对证件号码",
            [{"title": "还有其他问题", "payload": "/more"}, {"title": "转人工", "payload": "/ask_human"}],
        )


@pytest.mark.asyncio
async def test_text_answer_goes_to_session_webhook_and_digit_maps_back(fake_dingtalk):
    ch = channel(fake_dingtalk.base_url)
    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s1"), fake_rasa)
    replies = fake_dingtalk.dingtalk_replies("s1")
    assert len(replies) == 1 and replies[0]["msgtype"] == "markdown"
    assert replies[0]["markdown"]["text"].startswith("原因：库中无此号")
    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s1", text="2"), fake_rasa)
    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s1", text="/ask_human"), fake_rasa)
    replies = fake_dingtalk.dingtalk_replies("s1")
    assert replies[1] == {"msgtype": "text", "text": {"content": "正在为您转人工"}}
    assert replies[2] == replies[1]


@pytest.mark.asyncio
async def test_a_custom_only_answer_sends_nothing(fake_dingtalk):
    rasa, called = custom_only_rasa()
    ch = channel(fake_dingtalk.base_url)
    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s9"), rasa)
    assert fake_dingtalk.dingtalk_replies("s9") == [] and called


@pytest.mark.asyncio
async def test_expired_session_webhook_is_not_posted_and_logged(fake_dingtalk, caplog):
    ch = channel(fake_dingtalk.base_url)
    msg = dingtalk_message(fake_dingtalk.base_url, "s2", expires_in_ms=-1000)
    with caplog.at_level(logging.ERROR, logger="channels.dingtalk"):
        await ch.process(msg, fake_rasa)
    assert fake_dingtalk.matching("/robot/sendBySession") == []
    assert "sessionWebhook expired" in caplog.text


@pytest.mark.asyncio
async def test_webhook_errors_are_retried_within_limits_and_logged(fake_dingtalk, caplog):
    ch = channel(fake_dingtalk.base_url)
    fake_dingtalk.always("/robot/sendBySession/s3", ("status", 500))
    with caplog.at_level(logging.WARNING):
        await ch.process(dingtalk_message(fake_dingtalk.base_url, "s3"), fake_rasa)
    assert len(fake_dingtalk.matching("/robot/sendBySession/s3")) == 3
    assert "dingtalk.reply.failed" in caplog.text and "attempts=3" in caplog.text
    assert "session=abc" not in caplog.text  # the webhook's query is not logged


@pytest.mark.asyncio
async def test_webhook_errcode_is_a_logged_failure(fake_dingtalk, caplog):
    ch = channel(fake_dingtalk.base_url)
    fake_dingtalk.plan("/robot/sendBySession/s4", ("json", {"errcode": 300001, "errmsg": "session expired"}))
    with caplog.at_level(logging.ERROR, logger="channels.dingtalk"):
        await ch.process(dingtalk_message(fake_dingtalk.base_url, "s4"), fake_rasa)
    assert "dingtalk.reply.failed" in caplog.text and "300001" in caplog.text


@pytest.mark.asyncio
async def test_picture_is_downloaded_through_robot_api_and_checked(fake_dingtalk, monkeypatch):
    stored = {}

    async def fake_save(data, filename):
        stored["data"], stored["name"] = data, filename
        return "ref-dt-1"

    monkeypatch.setattr(images_module, "save_image", fake_save)
    ch = channel(fake_dingtalk.base_url)
    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s5", picture_code="CODE1"), fake_rasa)
    token_req = fake_dingtalk.matching("/v1.0/oauth2/accessToken")
    assert token_req[0].json() == {"appKey": "appkey", "appSecret": SECRET}
    dl = fake_dingtalk.matching("/v1.0/robot/messageFiles/download")[0]
    assert dl.json() == {"downloadCode": "CODE1", "robotCode": "robot"}
    assert dl.headers["x-acs-dingtalk-access-token"].startswith("dt-token-")
    assert stored["data"] == fake_dingtalk.image_bytes
    reply = fake_dingtalk.dingtalk_replies("s5")[0]
    assert '/check_image{"image_ref": "ref-dt-1"}' in reply["text"]["content"]
    # Second picture: token cached.
    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s5", picture_code="CODE2"), fake_rasa)
    assert len(fake_dingtalk.matching("/v1.0/oauth2/accessToken")) == 1


@pytest.mark.asyncio
async def test_picture_download_failure_is_told_to_the_user(fake_dingtalk, caplog):
    ch = channel(fake_dingtalk.base_url)
    fake_dingtalk.always("/v1.0/robot/messageFiles/download", ("status", 500))
    with caplog.at_level(logging.ERROR, logger="channels.dingtalk"):
        await ch.process(dingtalk_message(fake_dingtalk.base_url, "s6", picture_code="C"), fake_rasa)
    assert len(fake_dingtalk.matching("/v1.0/robot/messageFiles/download")) == 3
    assert "图片没有处理成功" in fake_dingtalk.dingtalk_replies("s6")[0]["text"]["content"]
    assert "dingtalk.picture.failed" in caplog.text


@pytest.mark.asyncio
async def test_reserved_command_and_unsupported_type(fake_dingtalk):
    ch = channel(fake_dingtalk.base_url)
    called = []

    async def rasa(message):
        called.append(message.text)

    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s7", text='/check_image{"image_ref": "x"}'), rasa)
    voice = dingtalk_message(fake_dingtalk.base_url, "s7")
    voice["msgtype"] = "audio"
    voice.pop("text")
    await ch.process(voice, rasa)
    assert called == []
    replies = [r["text"]["content"] for r in fake_dingtalk.dingtalk_replies("s7")]
    assert "只能由系统发送" in replies[0] and "文字和图片" in replies[1]


@pytest.mark.asyncio
async def test_rich_text_with_picture_and_text(fake_dingtalk, monkeypatch):
    async def fake_save(data, filename):
        return "ref-rich"

    monkeypatch.setattr(images_module, "save_image", fake_save)
    seen = []

    async def rasa(message):
        seen.append(message.text)

    ch = channel(fake_dingtalk.base_url)
    msg = dingtalk_message(fake_dingtalk.base_url, "s8")
    msg["msgtype"] = "richText"
    msg.pop("text")
    msg["content"] = {"richText": [{"text": "这是我的证件"}, {"type": "picture", "downloadCode": "RC"}]}
    await ch.process(msg, rasa)
    assert seen == ['/check_image{"image_ref": "ref-rich"}', "这是我的证件"]


# ------------------------------------------------------------------------------------------------ Stream mode


@pytest.fixture
def gateway(fake_dingtalk):
    from channel_fakes import FakeStreamGateway

    gw = FakeStreamGateway()
    fake_dingtalk.stream_endpoint = gw.endpoint
    fake_dingtalk.stream_secret = SECRET
    yield gw
    gw.stop()




@pytest.mark.asyncio
async def test_stream_mode_acks_answers_pings_and_reconnects(fake_dingtalk, gateway):
    from channel_fakes import stream_callback, stream_system
    from channels.dingtalk import DingTalkStreamInput

    ch = DingTalkStreamInput(
        app_key="appkey", app_secret=SECRET, api_base=fake_dingtalk.base_url,
        http_timeout=1, http_attempts=2, http_backoff=0.01, reconnect_min_seconds=0.1,
    )
    task = asyncio.ensure_future(ch.run_forever(fake_rasa))
    try:
        assert await until(lambda: gateway.connections == 1 and ch.connected)
        opened = fake_dingtalk.matching("/v1.0/gateway/connections/open")[0].json()
        assert opened["clientId"] == "appkey" and opened["clientSecret"] == SECRET
        assert opened["subscriptions"] == [{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}]
        assert "ticket=ticket-token-" in gateway.paths[0]

        gateway.push(stream_system("ping", '{"opaque":"abc"}', message_id="ping-1"))
        assert await until(lambda: gateway.acks("ping-1"))
        assert gateway.acks("ping-1")[0]["data"] == '{"opaque":"abc"}' and gateway.acks("ping-1")[0]["code"] == 200

        msg = dingtalk_message(fake_dingtalk.base_url, "st1")
        gateway.push(stream_callback(msg, message_id="cb-1"))
        assert await until(lambda: gateway.acks("cb-1"))
        assert gateway.acks("cb-1")[0]["code"] == 200
        assert await until(lambda: fake_dingtalk.dingtalk_replies("st1"))
        assert fake_dingtalk.dingtalk_replies("st1")[0]["markdown"]["text"].startswith("原因：库中无此号")

        gateway.push(stream_callback(msg, message_id="cb-2"))  # a redelivery of the same msgId
        gateway.push("not json")
        bad = dingtalk_message("http://elsewhere.invalid", "st2")
        gateway.push(stream_callback(bad, message_id="cb-3"))
        assert await until(lambda: gateway.acks("cb-2") and gateway.acks("cb-3"))
        await asyncio.sleep(0.5)
        assert len(fake_dingtalk.dingtalk_replies("st1")) == 1
        assert fake_dingtalk.matching("/robot/sendBySession/st2") == []

        gateway.push(stream_system("disconnect"))
        assert await until(lambda: gateway.connections == 2 and ch.connected)
        assert len(fake_dingtalk.matching("/v1.0/gateway/connections/open")) == 2
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.asyncio
async def test_stream_mode_retries_the_gateway_with_backoff(fake_dingtalk, gateway, caplog):
    from channels.dingtalk import DingTalkStreamInput

    fake_dingtalk.stream_secret = "something else"  # the gateway refuses us
    ch = DingTalkStreamInput(
        app_key="appkey", app_secret=SECRET, api_base=fake_dingtalk.base_url,
        http_timeout=1, http_attempts=1, reconnect_min_seconds=0.1, reconnect_max_seconds=0.2,
    )
    with caplog.at_level(logging.INFO, logger="channels.dingtalk"):
        task = asyncio.ensure_future(ch.run_forever(fake_rasa))
        assert await until(lambda: len(fake_dingtalk.matching("/v1.0/gateway/connections/open")) >= 3)
        fake_dingtalk.stream_secret = SECRET  # back to normal: it connects
        assert await until(lambda: ch.connected)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert "dingtalk.stream.error" in caplog.text and "dingtalk.stream.reconnect" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.asyncio
async def test_a_flooding_user_is_told_once_and_rasa_sees_nothing_more(fake_dingtalk):
    from channels.rate_limit import Limits

    counting_rasa, seen = recording(fake_rasa)
    ch = channel(fake_dingtalk.base_url, limits=Limits(messages_per_minute=3))
    for n in range(6):
        await ch.process(dingtalk_message(fake_dingtalk.base_url, "s-flood", text=f"库中无此号 {n}", sender="flooder"), counting_rasa)
    replies = fake_dingtalk.dingtalk_replies("s-flood")
    assert len(seen) == 3 and len(replies) == 4
    assert "太频繁" in replies[3]["text"]["content"] and "进度都还在" in replies[3]["text"]["content"]
    other = dingtalk_message(fake_dingtalk.base_url, "s-other", text="库中无此号", sender="staff002")
    await ch.process(other, counting_rasa)
    assert len(seen) == 4  # another user is not limited


@pytest.mark.asyncio
async def test_pictures_count_against_the_upload_limit(fake_dingtalk, monkeypatch):
    from channels.rate_limit import Limits

    calls = []

    async def no_download(self, code):
        calls.append(code)
        raise DeliveryError("download", "test", 1)

    monkeypatch.setattr(DingTalkInput, "download_picture", no_download)
    ch = channel(fake_dingtalk.base_url, limits=Limits(uploads_per_minute=1))
    for n in range(3):
        await ch.process(dingtalk_message(fake_dingtalk.base_url, "s-pic", picture_code=f"C{n}", sender="picture-flooder"), fake_rasa)
    assert calls == ["C0"]
    assert any("上传太频繁" in r.get("text", {}).get("content", "") for r in fake_dingtalk.dingtalk_replies("s-pic"))


@pytest.mark.asyncio
async def test_a_long_text_is_cut_before_rasa(fake_dingtalk):
    recording_rasa, seen = recording(fake_rasa)
    ch = channel(fake_dingtalk.base_url)
    await ch.process(dingtalk_message(fake_dingtalk.base_url, "s-long", text="库" * 20000), recording_rasa)
    assert len(seen[0]) == 5000
