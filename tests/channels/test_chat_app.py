"""channels.chat_app: the reason a staff bot's domain lookup found goes through Rasa as a paste."""
from channels.chat_app import ChatAppDialogue, registrar_reason
from channels.rate_limit import Limits


async def test_a_reason_found_by_a_lookup_is_fed_back_through_rasa_and_both_answers_make_one_turn():
    seen = []

    async def on_new_message(message):
        seen.append((message.text, message.metadata, message.message_id))
        out = message.output_channel
        if message.metadata.get("source") == "registrar":
            await out.send_text_with_buttons(message.sender_id, "原因：库中无此号 …处理方法", [
                {"title": "是个人", "payload": "/inform_personal"}])
        else:
            await out.send_text_message(message.sender_id, "阿里云域名服务中 example.cn 的实名认证失败原因：…")
            await out.send_custom_json(message.sender_id, {"registrar_reason": {"text": "库中无此号",
                                                                                 "domain": "example.cn"}})

    dialogue = ChatAppDialogue("wecom_bot", "wecom_bot", Limits(), 1024)
    turn = await dialogue.ask(on_new_message, "chat1-lisi", "查一下 example.cn", {"wecom_bot": {}},
                              message_id="m1", staff_id="lisi")
    assert [text for text, _, _ in seen] == ["查一下 example.cn", "库中无此号"]
    assert seen[0][1]["staff_id"] == "lisi" and "source" not in seen[0][1]
    assert seen[1][1]["source"] == "registrar" and seen[1][2] == "m1:registrar"  # a retry is recognised too
    assert turn.text.startswith("阿里云域名服务中") and turn.text.endswith("…处理方法")
    assert [b.title for b in turn.buttons] == ["是个人"]


async def test_an_ordinary_answer_is_asked_once_and_the_user_is_the_default_staff_id():
    seen = []

    async def on_new_message(message):
        seen.append(message.metadata)
        await message.output_channel.send_text_message(message.sender_id, "请把驳回原因粘贴给我")

    turn = await ChatAppDialogue("dingtalk", "dingtalk", Limits(), 1024).ask(on_new_message, "u1", "失败了", {})
    assert seen == [{"staff_id": "u1"}] and turn.text == "请把驳回原因粘贴给我"
    assert registrar_reason([{"custom": {"other": 1}}, {"text": "x"}]) is None
