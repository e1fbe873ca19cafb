from actions.fallback import ActionAskForReason, ActionDidYouMean
from tests.actions.conftest import make_tracker, said


async def test_failed_without_reason_asks_for_the_message_and_offers_common_reasons(dispatcher, domain):
    await ActionAskForReason().run(dispatcher, make_tracker("实名认证失败了", intent="fail_unspecified"), domain)
    (message,) = await said(dispatcher)
    assert "粘贴" in message["text"]
    payloads = [button["payload"] for button in message["buttons"]]
    assert "/fail_cert_data_check" in payloads and payloads[-1] == "/ask_human"


async def test_low_confidence_offers_the_best_candidates_in_chinese(dispatcher, domain):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "fail_new_cert", "confidence": 0.35},
        {"name": "fail_number_not_found", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "fail_identity_invalid", "confidence": 0.1},
        {"name": "fail_cert_unclear", "confidence": 0.06},
    ]
    tracker = make_tracker("号码查不到", intent="nlu_fallback", ranking=ranking)
    await ActionDidYouMean().run(dispatcher, tracker, domain)
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/fail_new_cert", "/fail_number_not_found", "/fail_identity_invalid", "/deny"]
    assert buttons[0]["title"] == "新颁发证件/不在实名库中"


async def test_no_candidate_says_what_is_covered(dispatcher, domain):
    tracker = make_tracker("嗯嗯", intent="nlu_fallback", ranking=[{"name": "nlu_fallback", "confidence": 0.4}])
    await ActionDidYouMean().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_what_i_cover"


async def test_empty_emoji_and_binary_input_get_a_clear_message(dispatcher, domain):
    for text in ["", "   ", "😀😀😀", "\x00\x01\x02\ufffd\ufffd", "%$#@!~"]:
        dispatcher.messages.clear()
        tracker = make_tracker(text, intent="nlu_fallback", ranking=[{"name": "fail_new_cert", "confidence": 0.3}])
        await ActionDidYouMean().run(dispatcher, tracker, domain)
        assert "没法识别" in (await said(dispatcher))[0]["text"], repr(text)


async def test_in_english_the_common_reasons_and_the_human_button_are_english(dispatcher, domain):
    tracker = make_tracker("my verification failed", intent="fail_unspecified", slots={"language": "en"})
    await ActionAskForReason().run(dispatcher, tracker, domain)
    (message,) = await said(dispatcher, "en")
    assert message["text"].startswith("Please paste the rejection message")
    titles = [button["title"] for button in message["buttons"]]
    assert titles[-1] == "Talk to a human agent"
    assert not any("\u4e00" <= char <= "\u9fff" for title in titles for char in title)
