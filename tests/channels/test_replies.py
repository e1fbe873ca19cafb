from channels.replies import ReplyLanguages, fallback_reply, limited_reply, reply, wait_finding
from realname.findings import render


def test_the_message_language_wins_then_the_last_answer_then_chinese():
    languages = ReplyLanguages()
    assert languages.language("web-a") == "zh"
    assert languages.language("web-a", "Certificate number cannot be found") == "en"
    languages.note_answer("web-a", [{"text": "Which document type did you submit?"}, {"image": "x"}])
    assert languages.language("web-a") == "en"
    assert languages.language("web-a", "11010519491231002X") == "en"  # a number says nothing
    assert languages.language("web-a", "库中无此号") == "zh"
    assert languages.language("web-b") == "zh"
    languages.note_answer("web-a", [{"text": "请问您提交的是哪种证件？"}])
    assert languages.language("web-a") == "zh"


def test_an_answer_without_words_keeps_the_language_known():
    languages = ReplyLanguages()
    languages.note_answer("web-a", [{"text": "Hello there"}])
    languages.note_answer("web-a", [{"image": "https://example.com/x.png"}])
    assert languages.language("web-a") == "en"


def test_the_memory_is_bounded_and_forgets_the_least_recent():
    languages = ReplyLanguages(max_senders=2)
    for sender in ("a", "b", "c"):
        languages.note_answer(sender, [{"text": "Hello there"}])
    assert languages.language("a") == "zh" and languages.language("c") == "en"


def test_every_channel_reply_is_in_both_languages():
    for code in ("channel_fallback", "channel_unsupported_message", "channel_reserved_command",
                 "channel_message_empty", "channel_message_not_text", "web_reserved_command", "web_no_file",
                 "web_not_an_image"):
        zh, en = reply(code, "zh"), reply(code, "en")
        assert any("\u4e00" <= c <= "\u9fff" for c in zh), code
        assert en.split("「")[0].isascii() and en[0].isupper(), code  # English (a button's Chinese label may follow)
    assert "5000" in reply("channel_message_too_long", "en", limit=5000)
    assert fallback_reply("web-unknown", "It failed") != fallback_reply("web-unknown", "失败了")


def test_waits_are_rounded_up_to_seconds_then_minutes():
    assert render(wait_finding(59.2), "zh") == "1分钟"
    assert render(wait_finding(58.5), "en") == "59 s"
    assert render(wait_finding(121), "en") == "3 min"
    assert "请1分钟后再发" in limited_reply("message", 59.5, "zh")
