from datetime import date

from rasa_sdk.events import Restarted, SlotSet

from actions.explain import ActionExplainFailure, ActionRestart, ActionStartDiagnosis, ActionUpdateFacts
from tests.actions.conftest import make_tracker, said


def texts(dispatcher):
    return [message.get("text") or "" for message in dispatcher.messages]


async def test_a_failure_is_named_in_one_line_and_facts_in_the_message_are_kept(dispatcher, domain):
    tracker = make_tracker("营业执照刚办三天，提示不在实名库中", intent="fail_new_cert")
    events = await ActionStartDiagnosis().run(dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith("【不在实名库中或注册者身份证明资料为新颁发证件】")
    assert SlotSet("failure_reason", "fail_new_cert") in events
    assert SlotSet("issue_date", "2026-11-26") in events
    assert SlotSet("doc_type", "YYZZ") in events


async def test_no_question_announcement_when_nothing_needs_asking(dispatcher, domain):
    tracker = make_tracker("注册联系人信息有误", intent="fail_contact_wrong")
    await ActionStartDiagnosis().run(dispatcher, tracker, domain)
    assert len(dispatcher.messages) == 1


async def test_the_fix_is_numbered_steps_with_next_buttons(dispatcher, domain):
    tracker = make_tracker(slots={"failure_reason": "fail_contact_param"})
    await ActionExplainFailure().run(dispatcher, tracker, domain)
    fix = dispatcher.messages[0]
    assert fix["text"].startswith("处理方法：\n1. ")
    assert "国家代码" in fix["text"] and "86" in fix["text"]
    assert [button["title"] for button in fix["buttons"]] == ["解决了", "没解决", "还有其他问题", "转人工"]


async def test_a_new_document_gets_the_exact_date_to_resubmit(dispatcher, domain):
    tracker = make_tracker(slots={"failure_reason": "fail_new_cert", "issue_date": "2026-11-26",
                                  "holder_type": "organisation"})
    await ActionExplainFailure().run(dispatcher, tracker, domain)
    assert "请从2026年12月6日起再提交" in texts(dispatcher)[0]


async def test_picture_reasons_offer_the_image_check(dispatcher, domain):
    tracker = make_tracker(slots={"failure_reason": "fail_upload_size"})
    await ActionExplainFailure().run(dispatcher, tracker, domain)
    assert (await said(dispatcher))[-1]["buttons"] == [{"title": "检查证件图片", "payload": "/check_image"}]


async def test_a_correction_after_the_fix_updates_the_fix(dispatcher, domain):
    tracker = make_tracker("不对，我是企业", intent="inform",
                           slots={"failure_reason": "fail_cert_missing", "holder_type": "individual"})
    events = await ActionUpdateFacts().run(dispatcher, tracker, domain)
    assert SlotSet("holder_type", "organisation") in events
    assert "营业执照" in texts(dispatcher)[1] and "护照" not in texts(dispatcher)[1]


async def test_restart_says_so_and_forgets_everything(dispatcher, domain):
    events = await ActionRestart().run(dispatcher, make_tracker("重新开始", intent="restart"), domain)
    assert events[0] == Restarted()
    assert SlotSet("language", "zh") in events  # the language is all that is kept
    assert "重新开始" in (await said(dispatcher))[0]["text"]


async def test_an_old_issue_date_adds_no_finding_and_a_wrong_number_is_the_fix(dispatcher, domain):
    from realname.diagnosis import number_slots

    slots = {"failure_reason": "fail_cert_data_check", "issue_date": "2019-05-01", "expiry_date": "long_term",
             "doc_number": "1101********OO2X", **number_slots("11010519491231OO2X", date(2026, 11, 29))}
    await ActionExplainFailure().run(dispatcher, make_tracker(slots=slots), domain)
    fix = texts(dispatcher)[0]
    assert fix.startswith("处理方法：\n1. 号码有误：")
    assert "2019年5月1日" not in fix
    assert "11010519491231OO2X" not in fix


async def test_the_first_reply_to_a_rejection_already_has_numbered_steps_then_offers_the_questions(dispatcher, domain):
    tracker = make_tracker("注册者证件类型选择错误或证件号码位数不正确", intent="fail_cert_type_or_number")
    events = await ActionStartDiagnosis().run(dispatcher, tracker, domain)
    first, offer = texts(dispatcher)
    assert first.startswith("【注册者证件类型选择错误或证件号码位数不正确】")
    assert "\n处理方法：\n1. 按证件上印刷的证件类型选择" in first
    assert offer.startswith("回答几个问题，我可以帮您核对") and "跳过" in offer
    shown = next(event["value"] for event in events if event["name"] == "shown_steps")
    assert shown and all(line in first for line in shown)


async def test_the_fix_after_the_questions_does_not_repeat_the_first_steps(dispatcher, domain):
    from realname.diagnosis import first_lines

    shown = first_lines("fail_cert_type_or_number", {}, date(2026, 11, 29))
    slots = {"failure_reason": "fail_cert_type_or_number", "shown_steps": shown, "doc_type": "SFZ",
             "region": "中国内地", "holder_type": "organisation", "doc_number": "skip"}
    await ActionExplainFailure().run(dispatcher, make_tracker(slots=slots), domain)
    fix = texts(dispatcher)[0]
    assert fix.startswith("根据您的回答，处理方法：\n1. 持有者是企业或组织")
    assert not any(line in fix for line in shown)


async def test_an_english_conversation_gets_the_reason_the_steps_and_the_offer_in_english(dispatcher, domain):
    tracker = make_tracker("Invalid certificate type or certificate number", intent="fail_cert_type_or_number",
                           slots={"language": "en"})
    await ActionStartDiagnosis().run(dispatcher, tracker, domain)
    first, offer = texts(dispatcher)
    assert first.startswith("[") and "\nSolution:\n1. " in first
    assert offer.startswith("Answer a few questions") and "skip" in offer
    assert not any("\u4e00" <= char <= "\u9fff" for char in first + offer)


async def test_an_english_fix_has_english_buttons_and_a_restart_keeps_english(dispatcher, domain):
    slots = {"failure_reason": "fail_contact_wrong", "language": "en"}
    await ActionExplainFailure().run(dispatcher, make_tracker(slots=slots), domain)
    fix = dispatcher.messages[0]
    assert fix["text"].startswith("Solution:\n1. ")
    assert [button["title"] for button in fix["buttons"]] == ["Solved", "Not solved", "I have another question", "Talk to a human agent"]
    dispatcher.messages.clear()
    events = await ActionRestart().run(dispatcher, make_tracker("start over", intent="restart", slots={"language": "en"}),
                                       domain)
    assert SlotSet("language", "en") in events
    assert (await said(dispatcher, "en"))[0]["text"].startswith("Started over")
