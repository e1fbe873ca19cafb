"""channels.rasa_bridge: one message through Rasa (a fake on_new_message stands in for Rasa)."""

import logging

import pytest

from channels.rasa_bridge import ask_rasa
from channels.replies import FALLBACK_REPLY


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

    out = await ask_rasa(on_new_message, "库中无此号", "web-abc", "web")
    assert seen == {"text": "库中无此号", "sender": "web-abc", "channel": "web"}
    assert out[0]["text"] == "原因：库中无此号" and out[0]["buttons"][0]["payload"] == "/ask_human"


@pytest.mark.asyncio
async def test_ask_rasa_failure_gives_fallback_and_logs_no_body(caplog):
    async def on_new_message(message):
        raise RuntimeError("boom 110101199003070011")

    with caplog.at_level(logging.ERROR, logger="channels.rasa_bridge"):
        out = await ask_rasa(on_new_message, "身份证110101199003070011", "web-abc", "web")
    assert out == [{"recipient_id": "web-abc", "text": FALLBACK_REPLY}]
    assert "channels.rasa.failed" in caplog.text
    assert "110101199003070011" not in caplog.text
    assert "boom 1101********0011" in caplog.text  # masked as the tracker store masks it


@pytest.mark.asyncio
async def test_ask_rasa_logs_a_silent_turn(caplog):
    async def on_new_message(message):
        return None

    with caplog.at_level(logging.WARNING, logger="channels.rasa_bridge"):
        assert await ask_rasa(on_new_message, "你好", "web-abc", "web") == []
    assert "channels.rasa.no_answer" in caplog.text


@pytest.mark.asyncio
async def test_a_failure_is_answered_in_the_language_the_customer_wrote_in():
    async def on_new_message(message):
        raise RuntimeError("boom")

    english = await ask_rasa(on_new_message, "Certificate number cannot be found", "web-abc", "web")
    assert english[0]["text"].startswith("Sorry, your message could not be handled")
    number_only = await ask_rasa(on_new_message, "11010519491231002X", "web-abc", "web")
    assert number_only[0]["text"] == FALLBACK_REPLY  # nothing to tell: Chinese, the default
