"""channels.buttons: one turn merged for a chat app, its buttons as numbered choices, and the way back."""

import time

from channels.buttons import Button, ButtonMemory, Turn, compose_turn, render_turn

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
COPY_OFFER = {"recipient_id": "u", "custom": {"compliant_copy": {"ref": "ab" * 16 + ".jpg", "filename": "证件图片-合规副本.jpg"}}}
TWO = [Button("还有其他问题", "/more"), Button("转人工", "/ask_human")]


def test_compose_turn_merges_texts_and_buttons():
    turn = compose_turn(BOT_MESSAGES)
    assert turn.text == "原因：库中无此号或注册者证件验证失败\n\n1. 核对证件号码\n2. 重新提交"
    assert turn.buttons == TWO


def test_compose_turn_skips_custom_only_messages():
    # The web page's download offer has nothing a text chat can show: it adds no text, not even an empty one.
    assert compose_turn([COPY_OFFER]).text == ""
    assert compose_turn([BOT_MESSAGES[0], COPY_OFFER]).text == BOT_MESSAGES[0]["text"]
    assert compose_turn([{"recipient_id": "u", "custom": {"text": "  "}}]).text == ""
    assert compose_turn([{"recipient_id": "u", "custom": {"text": "自定义文字"}}]).text == "自定义文字"


def test_plain_rendering_lists_buttons_for_a_digit_reply_and_images_as_links():
    assert render_turn(Turn("请选择", TWO)) == "请选择\n\n回复数字选择：\n1. 还有其他问题\n2. 转人工"
    assert render_turn(Turn("只有文字")) == "只有文字"
    assert render_turn(Turn("看图", images=["https://x.example/a.png"])) == "看图\n图片：https://x.example/a.png"
    assert render_turn(Turn()) == ""


def test_markdown_rendering_numbers_the_same_choices_as_tap_to_send_links():
    md = render_turn(Turn("第一行\n第二行", [Button("转人工", "/ask_human"), Button("选[1]", '/x{"a": "b"}')]), markdown=True)
    assert md.startswith("第一行  \n第二行\n\n点击选择，或回复数字选择：  \n")
    assert "1. [转人工](dtmd://dingtalkclient/sendMessage?content=%2Fask_human)" in md
    assert "2. [选\\[1\\]](dtmd://dingtalkclient/sendMessage?content=%2Fx%7B%22a%22%3A%20%22b%22%7D)" in md
    assert render_turn(Turn("图", images=["https://x.example/a.png"]), markdown=True) == "图\n\n![](https://x.example/a.png)"


def test_button_memory_maps_digits_and_titles_back():
    mem = ButtonMemory()
    mem.remember("u1", TWO)
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
