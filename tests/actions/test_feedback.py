"""actions.feedback: 「解决了」/「没解决」 stored as the feedback slot, with thanks or one short follow-up."""
from actions.explain import ActionExplainFailure
from actions.feedback import ActionFeedback
from tests.actions.conftest import make_tracker, said


def _slot(events, name):
    return [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]


async def test_every_fix_offers_solved_and_not_solved_first(dispatcher, domain):
    tracker = make_tracker("", slots={"failure_reason": "fail_contact_wrong", "holder_type": "organisation"})
    await ActionExplainFailure().run(dispatcher, tracker, domain)
    titles = [b["title"] for b in (await said(dispatcher))[0]["buttons"]]
    assert titles[:2] == ["解决了", "没解决"] and "转人工" in titles


async def test_the_fix_in_english_offers_solved_and_not_solved(dispatcher, domain):
    tracker = make_tracker("", slots={"failure_reason": "fail_contact_wrong", "language": "en"})
    await ActionExplainFailure().run(dispatcher, tracker, domain)
    assert [b["title"] for b in (await said(dispatcher, "en"))[0]["buttons"]][:2] == ["Solved", "Not solved"]


async def test_solved_is_stored_and_thanked(dispatcher, domain):
    tracker = make_tracker("/feedback_solved", intent="feedback_solved", slots={"failure_reason": "fail_new_cert"})
    events = await ActionFeedback().run(dispatcher, tracker, domain)
    assert _slot(events, "feedback") == ["solved"]
    assert "很高兴问题解决了" in (await said(dispatcher))[0]["text"]


async def test_not_solved_offers_the_next_ranked_reason_the_picture_check_and_a_human(dispatcher, domain):
    ranking = [{"name": "fail_cert_unclear", "confidence": 0.71}, {"name": "fail_unspecified", "confidence": 0.1},
               {"name": "fail_cert_incomplete", "confidence": 0.12}, {"name": "greet", "confidence": 0.02}]
    diagnosed = make_tracker("证件不清晰", intent="fail_cert_unclear", ranking=ranking,
                             slots={"failure_reason": "fail_cert_unclear"})
    tracker = make_tracker("没解决", intent="feedback_not_solved", slots={"failure_reason": "fail_cert_unclear"})
    tracker.events = diagnosed.events + tracker.events
    events = await ActionFeedback().run(dispatcher, tracker, domain)
    assert _slot(events, "feedback") == ["not_solved"]
    reply = (await said(dispatcher))[0]
    assert reply["text"].startswith("抱歉还没解决")
    assert [b["payload"] for b in reply["buttons"]] == ["/fail_cert_incomplete", "/check_image", "/ask_human"]
    assert reply["buttons"][0]["title"].startswith("换个原因：")
    assert reply["buttons"][-1]["title"] == "转人工（附案情摘要）"


async def test_not_solved_for_a_reason_without_pictures_offers_only_a_human(dispatcher, domain):
    tracker = make_tracker("still not solved", intent="feedback_not_solved",
                           slots={"failure_reason": "fail_contact_param", "language": "en"})
    await ActionFeedback().run(dispatcher, tracker, domain)
    reply = (await said(dispatcher, "en"))[0]
    assert [b["payload"] for b in reply["buttons"]] == ["/ask_human"]
    assert reply["buttons"][0]["title"] == "Talk to a human (with a case summary)"


async def test_not_solved_before_any_reason_asks_for_the_message(dispatcher, domain):
    events = await ActionFeedback().run(dispatcher, make_tracker("没解决", intent="feedback_not_solved"), domain)
    assert _slot(events, "feedback") == ["not_solved"]
    assert dispatcher.messages[0]["response"] == "utter_request_reason"
