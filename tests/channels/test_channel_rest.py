"""Bad input over REST against the running assistant: every message gets a sensible answer."""
import random
import uuid

import pytest
import requests


def send(stack, text):
    response = requests.post(f"{stack.url}/webhooks/rest/webhook",
                             json={"sender": f"rest-{uuid.uuid4().hex[:8]}", "message": text}, timeout=60)
    assert response.status_code == 200
    return " ".join(message.get("text") or "" for message in response.json())


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", random.Random(7).randbytes(300).decode("latin-1")])
def test_empty_emoji_and_binary_input_get_a_clear_chinese_answer(stack, text):
    assert "没法识别" in send(stack, text)


def test_an_unknown_slash_command_is_not_taken_for_an_intent(stack):
    reply = send(stack, "/foo_bar")
    assert "我专门处理阿里云域名实名认证审核失败" in reply  # the scope, not a guessed intent


def test_a_paste_at_the_length_limit_is_answered(stack):
    prefix = "审核失败原因：库中无此号 "
    assert send(stack, prefix + "啊" * (5000 - len(prefix))).strip()  # 200 with an answer (413 is one more)


def test_a_rejection_message_is_named_and_the_conversation_goes_on_after_bad_input(stack):
    sender = f"rest-{uuid.uuid4().hex[:8]}"
    for text in ["😀", ""]:
        requests.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    response = requests.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": "库中无此号"},
                             timeout=60)
    assert response.json()[0]["text"].startswith("【库中无此号或注册者证件验证失败】")


def test_a_rest_client_claiming_to_be_staff_never_triggers_a_registrar_lookup(stack):
    """The staff bot's domain lookup is for DingTalk and WeCom only: metadata a REST client sends (a listed
    staff id, even the registrar's own marker) changes nothing; the paste flow answers and no call is made."""
    stack.registrar.domains["forged-staff.cn"] = {"status": "FAILED", "reasons": {"ACTIVATE": [
        ("2026-11-29 10:00:00", "库中无此号")]}}
    calls = len(stack.registrar.calls)
    for metadata in ({"staff_id": "staff-e2e-1"}, {"staff_id": "staff-e2e-1", "source": "x"}):
        response = requests.post(f"{stack.url}/webhooks/rest/webhook", timeout=60, json={
            "sender": f"rest-{uuid.uuid4().hex[:8]}", "message": "查一下 forged-staff.cn 为什么实名认证失败",
            "metadata": metadata})
        assert response.status_code == 200
        reply = " ".join(message.get("text") or "" for message in response.json())
        assert reply.strip() and "2026-11-29" not in reply
    assert len(stack.registrar.calls) == calls
