"""WeCom channel protocol tests: official crypto vectors, callback checks, safe XML, retry cache,
token refresh, button numbering, image path. No Rasa server needed (a fake on_new_message stands in)."""

import base64
import hashlib
import logging
import time

import pytest

from channels import images as images_module
from channels.wecom import WeComCrypto, WeComCryptoError, WeComInput, parse_xml, split_utf8
from channel_fakes import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    custom_only_rasa,
    wecom_encrypt,
    wecom_envelope,
    wecom_text_xml,
)

# Official vectors (WeCom developer documentation samples).
V1 = dict(
    token="hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    aes_key="6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    corp_id="ww1436e0e65a779aee",
    msg_signature="012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    timestamp="1476416373",
    nonce="47744683",
    echostr="fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
    answer="1288432023552776189",
)
V2 = dict(
    token="123456",
    aes_key="kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
    corp_id="wx49f0ab532d5d035a",
    msg_signature="dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    timestamp="1411443780",
    nonce="437374425",
    echostr="4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
    answer="5927782489442352469",
)


def channel_for(v, **kw) -> WeComInput:
    return WeComInput(corp_id=v["corp_id"], token=v["token"], aes_key=v["aes_key"], **kw)


def query(v, **override):
    q = {k: v[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")}
    q.update(override)
    return q


# ------------------------------------------------------------------------------------------------ vectors


@pytest.mark.parametrize("v", [V1, V2], ids=["vector1", "vector2"])
def test_official_vector_signature_and_decryption(v):
    crypt = WeComCrypto(v["token"], v["aes_key"], v["corp_id"])
    assert crypt.signature(v["timestamp"], v["nonce"], v["echostr"]) == v["msg_signature"]
    assert crypt.decrypt(v["echostr"]) == v["answer"].encode()


@pytest.mark.parametrize("v", [V1, V2], ids=["vector1", "vector2"])
def test_official_vector_url_verification_answers_plaintext(v):
    assert channel_for(v).verify_url(query(v)) == (200, v["answer"])


def test_official_vector2_with_other_nonce_is_rejected():
    assert channel_for(V2).verify_url(query(V2, nonce="437374424")) == (403, "rejected")


def test_url_verification_rejects_tampering():
    ch = channel_for(V1)
    assert ch.verify_url(query(V1, timestamp="1476416374"))[0] == 403
    assert ch.verify_url(query(V1, msg_signature="0" * 40))[0] == 403
    assert ch.verify_url(query(V1, msg_signature="not-hex"))[0] == 400
    assert ch.verify_url(query(V1, echostr=""))[0] == 400
    # A '+' decoded to a space by a sloppy proxy still verifies.
    assert ch.verify_url(query(V1, echostr=V1["echostr"].replace("+", " "))) == (200, V1["answer"])


def test_url_verification_skew_limit_is_configurable():
    assert channel_for(V1, url_verify_max_skew_seconds=300).verify_url(query(V1))[0] == 401
    assert channel_for(V1, url_verify_max_skew_seconds=0).verify_url(query(V1))[0] == 200


def test_wrong_corp_id_is_rejected():
    crypt = WeComCrypto(V1["token"], V1["aes_key"], "ww_other_corp")
    with pytest.raises(WeComCryptoError) as err:
        crypt.decrypt(V1["echostr"])
    assert err.value.status == 403


def test_encrypt_decrypt_roundtrip_with_block_size_32_padding():
    crypt = WeComCrypto(V2["token"], V2["aes_key"], V2["corp_id"])
    for n in (0, 1, 10, 31, 32, 33, 500):
        msg = ("测" * n).encode()
        enc = wecom_encrypt(crypt, msg)
        raw = base64.b64decode(enc)
        assert len(raw) % 32 == 0
        assert crypt.decrypt(enc) == msg


def test_bad_ciphertexts_are_rejected():
    crypt = WeComCrypto(V2["token"], V2["aes_key"], V2["corp_id"])
    for bad in ("***", base64.b64encode(b"x" * 15).decode(), ""):
        with pytest.raises(WeComCryptoError):
            crypt.decrypt(bad)
    other = WeComCrypto(V1["token"], V1["aes_key"], V2["corp_id"])
    with pytest.raises(WeComCryptoError):  # wrong key: padding or corp id check fails
        crypt.decrypt(wecom_encrypt(other, b"hello"))


def test_aes_key_must_be_43_chars_of_base64():
    with pytest.raises(ValueError):
        WeComCrypto("t", "short", "c")
    with pytest.raises(ValueError):
        WeComCrypto("t", "!" * 43, "c")


# ------------------------------------------------------------------------------------------------ XML


def test_parse_xml_reads_cdata_fields():
    assert parse_xml(b"<xml><A><![CDATA[x<y]]></A><B>2</B></xml>") == {"A": "x<y", "B": "2"}


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<xml><a></xml>", b"", b"<notxml/>", b"\xff\xfe"],
    ids=["billion-laughs", "external-entity", "broken", "empty", "wrong-root", "binary"],
)
def test_parse_xml_refuses_unsafe_or_malformed(body):
    with pytest.raises(ValueError):
        parse_xml(body)


# ------------------------------------------------------------------------------------------------ POST


def make_channel(**kw) -> WeComInput:
    return WeComInput(
        corp_id=V1["corp_id"], token=V1["token"], aes_key=V1["aes_key"], agent_id="1000002", secret="s", **kw
    )


def crypt_of(ch: WeComInput) -> WeComCrypto:
    return WeComCrypto(V1["token"], V1["aes_key"], V1["corp_id"])


def test_post_accepts_signed_message_once_then_drops_retries():
    ch = make_channel()
    params, body = wecom_envelope(crypt_of(ch), wecom_text_xml("zhangsan", "库中无此号", "1001", corp_id=V1["corp_id"]))
    status, msg = ch.accept_post(params, body)
    assert status == 200 and msg["Content"] == "库中无此号" and msg["FromUserName"] == "zhangsan"
    assert ch.accept_post(params, body) == (200, None)  # WeCom's retry of the same MsgId
    params2, body2 = wecom_envelope(crypt_of(ch), wecom_text_xml("zhangsan", "库中无此号", "1001"))
    assert ch.accept_post(params2, body2) == (200, None)  # same MsgId, new envelope


@pytest.mark.parametrize(
    "mutate, status",
    [
        (lambda p, b: ({**p, "msg_signature": "a" * 40}, b), 403),
        (lambda p, b: ({**p, "nonce": p["nonce"] + "1"}, b), 403),
        (lambda p, b: ({**p, "timestamp": str(int(time.time()) - 3600)}, b), 401),
        (lambda p, b: ({**p, "timestamp": "abc"}, b), 400),
        (lambda p, b: ({k: v for k, v in p.items() if k != "msg_signature"}, b), 400),
        (lambda p, b: (p, b"<xml><Encrypt>broken"), 400),
        (lambda p, b: (p, BILLION_LAUGHS), 400),
        (lambda p, b: (p, EXTERNAL_ENTITY), 400),
        (lambda p, b: (p, b"<xml><Other>1</Other></xml>"), 400),
        (lambda p, b: (p, b + b" " * 70000), 413),
    ],
    ids=["forged-sig", "other-nonce", "stale", "bad-ts", "no-sig", "malformed", "xml-bomb", "xxe", "no-encrypt", "oversized"],
)
def test_post_rejections_touch_nothing(mutate, status):
    ch = make_channel()
    params, body = wecom_envelope(crypt_of(ch), wecom_text_xml("lisi", "你好", "2001"))
    p2, b2 = mutate(params, body)
    assert ch.accept_post(p2, b2) == (status, None)
    status, accepted = ch.accept_post(params, body)
    assert status == 200 and accepted is not None  # the refused one was not remembered: the genuine one goes through


def test_post_rejects_inner_xml_bomb_and_wrong_corp():
    ch = make_channel()
    params, body = wecom_envelope(crypt_of(ch), BILLION_LAUGHS)
    assert ch.accept_post(params, body) == (400, None)
    other = WeComCrypto(V1["token"], V1["aes_key"], "ww_someone_else")
    params, body = wecom_envelope(other, wecom_text_xml("u", "x", "3001"))
    assert ch.accept_post(params, body) == (403, None)


def test_post_for_another_agent_is_ignored():
    ch = make_channel()
    params, body = wecom_envelope(crypt_of(ch), wecom_text_xml("u", "x", "3002", agent_id="999"))
    assert ch.accept_post(params, body) == (200, None)


def test_not_configured_channel_answers_503():
    ch = WeComInput(corp_id="", token="", aes_key="")
    assert ch.verify_url(query(V1))[0] == 503
    assert ch.accept_post({}, b"")[0] == 503


def test_split_utf8_respects_byte_limit():
    text = "\n".join(f"{i}. " + "很长的步骤说明" * 30 for i in range(20))
    parts = split_utf8(text, 2000)
    assert len(parts) > 1
    assert all(len(p.encode()) <= 2000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    assert split_utf8("短", 2000) == ["短"]
    assert all(len(p.encode()) <= 50 for p in split_utf8("长" * 100, 50))


# ------------------------------------------------------------------------------------------------ sending


def live_channel(fake, **kw) -> WeComInput:
    return make_channel(api_base=fake.base_url, http_timeout=1, http_attempts=3, http_backoff=0.01, **kw)


async def fake_rasa(message):
    """Stands in for Rasa: answers a failure text with reason + steps + buttons."""
    out = message.output_channel
    if message.text.startswith("/check_image"):
        await out.send_text_message(message.sender_id, "照片检查：收到图片 " + message.text)
    elif message.text == "/ask_human":
        await out.send_text_message(message.sender_id, "正在为您转人工")
    else:
        await out.send_text_with_buttons(
            message.sender_id,
            "原因：库中无此号\n1. 核对证件号码",
            [{"title": "还有其他问题", "payload": "/more"}, {"title": "转人工", "payload": "/ask_human"}],
        )


@pytest.mark.asyncio
async def test_text_answer_is_sent_with_numbered_buttons_and_digit_maps_back(fake_wecom):
    ch = live_channel(fake_wecom)
    await ch.process({"FromUserName": "zhangsan", "MsgType": "text", "Content": "库中无此号", "MsgId": "1"}, fake_rasa)
    sent = fake_wecom.wecom_sent("zhangsan")
    assert len(sent) == 1
    assert sent[0]["agentid"] == 1000002 and sent[0]["msgtype"] == "text"
    content = sent[0]["text"]["content"]
    assert content.startswith("原因：库中无此号")
    assert content.endswith("回复数字选择：\n1. 还有其他问题\n2. 转人工")
    await ch.process({"FromUserName": "zhangsan", "MsgType": "text", "Content": "2", "MsgId": "2"}, fake_rasa)
    assert fake_wecom.wecom_sent("zhangsan")[1]["text"]["content"] == "正在为您转人工"
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 1  # token cached


@pytest.mark.asyncio
async def test_a_custom_only_answer_sends_nothing(fake_wecom):
    rasa, called = custom_only_rasa()
    ch = live_channel(fake_wecom)
    await ch.process({"FromUserName": "lisi", "MsgType": "text", "Content": "库中无此号", "MsgId": "7"}, rasa)
    assert fake_wecom.wecom_sent("lisi") == [] and called


@pytest.mark.asyncio
async def test_expired_token_is_refreshed_once(fake_wecom):
    ch = live_channel(fake_wecom)
    fake_wecom.plan("/cgi-bin/message/send", ("json", {"errcode": 42001, "errmsg": "access_token expired"}))
    await ch.send_text("u1", "你好")
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 2
    sends = fake_wecom.matching("/cgi-bin/message/send")
    assert len(sends) == 2 and sends[0].query["access_token"] != sends[1].query["access_token"]


@pytest.mark.asyncio
async def test_api_down_is_retried_within_limits_and_logged(fake_wecom, caplog):
    ch = live_channel(fake_wecom)
    fake_wecom.always("/cgi-bin/message/send", ("status", 500))
    with caplog.at_level(logging.INFO):
        await ch.send_text("u1", "身份证 110101199003070011")
    assert len(fake_wecom.matching("/cgi-bin/message/send")) == 3
    assert "wecom.reply.failed" in caplog.text
    assert "110101199003070011" not in caplog.text


@pytest.mark.asyncio
async def test_reserved_command_is_not_passed_to_rasa(fake_wecom):
    ch = live_channel(fake_wecom)
    called = []

    async def rasa(message):
        called.append(message.text)

    await ch.process({"FromUserName": "u", "MsgType": "text", "Content": '/check_image{"image_ref": "x"}'}, rasa)
    assert called == []
    assert "只能由系统发送" in fake_wecom.wecom_sent("u")[0]["text"]["content"]


@pytest.mark.asyncio
async def test_image_message_is_downloaded_stored_and_checked(fake_wecom, monkeypatch):
    stored = {}

    async def fake_save(data, filename):
        stored["data"], stored["name"] = data, filename
        return "ref-123"

    monkeypatch.setattr(images_module, "save_image", fake_save)
    ch = live_channel(fake_wecom)
    await ch.process({"FromUserName": "u", "MsgType": "image", "MediaId": "MEDIA1", "MsgId": "9"}, fake_rasa)
    assert stored["data"] == fake_wecom.image_bytes and stored["name"].endswith(".jpeg")
    assert fake_wecom.matching("/cgi-bin/media/get")[0].query["media_id"] == "MEDIA1"
    reply = fake_wecom.wecom_sent("u")[0]["text"]["content"]
    assert '/check_image{"image_ref": "ref-123"}' in reply


@pytest.mark.asyncio
async def test_image_store_rejection_becomes_a_chinese_reply(fake_wecom, monkeypatch):
    async def failing_save(data, filename):
        raise ValueError("unsupported")

    monkeypatch.setattr(images_module, "save_image", failing_save)
    ch = live_channel(fake_wecom)
    await ch.process({"FromUserName": "u", "MsgType": "image", "MediaId": "M"}, fake_rasa)
    assert "证件照片" in fake_wecom.wecom_sent("u")[0]["text"]["content"]


@pytest.mark.asyncio
async def test_media_error_answer_is_handled(fake_wecom, monkeypatch):
    ch = live_channel(fake_wecom)
    fake_wecom.always("/cgi-bin/media/get", ("json", {"errcode": 40007, "errmsg": "invalid media_id"}))
    await ch.process({"FromUserName": "u", "MsgType": "image", "MediaId": "M"}, fake_rasa)
    assert "图片没有处理成功" in fake_wecom.wecom_sent("u")[0]["text"]["content"]


@pytest.mark.asyncio
async def test_unsupported_types_and_events(fake_wecom):
    ch = live_channel(fake_wecom)
    await ch.process({"FromUserName": "u", "MsgType": "voice", "MediaId": "M"}, fake_rasa)
    await ch.process({"FromUserName": "u", "MsgType": "event", "Event": "enter_agent"}, fake_rasa)
    sent = fake_wecom.wecom_sent("u")
    assert len(sent) == 1 and "文字和图片" in sent[0]["text"]["content"]


def test_signature_helper_matches_independent_sha1():
    crypt = WeComCrypto(V2["token"], V2["aes_key"], V2["corp_id"])
    parts = sorted([V2["token"], "1", "2", "abc"])
    assert crypt.signature("1", "2", "abc") == hashlib.sha1("".join(parts).encode()).hexdigest()


@pytest.mark.asyncio
async def test_a_flooding_user_is_told_once_and_rasa_sees_nothing_more(fake_wecom):
    from channels.rate_limit import Limits

    from channel_fakes import recording

    counting_rasa, seen = recording(fake_rasa)
    ch = live_channel(fake_wecom, limits=Limits(messages_per_minute=2))
    for n in range(5):
        await ch.process({"FromUserName": "flood", "MsgType": "text", "Content": "库中无此号" + "啊" * 9000,
                          "MsgId": f"f{n}"}, counting_rasa)
    sent = fake_wecom.wecom_sent("flood")
    assert len(seen) == 2 and len(sent) == 3 and "太频繁" in sent[2]["text"]["content"]
    assert all(len(text) == 5000 for text in seen)  # cut at the channel
    await ch.process({"FromUserName": "calm", "MsgType": "text", "Content": "库中无此号", "MsgId": "c1"}, counting_rasa)
    assert len(seen) == 3
