from rasa_sdk.events import SlotSet

from realname.findings import render
from actions.diagnosis_form import ValidateDiagnosisForm
from tests.actions.conftest import make_tracker, said

FORM = ValidateDiagnosisForm()


async def required(slots):
    """The facts still to be asked: the form asks the first required slot that is empty."""
    tracker = make_tracker(slots=slots)
    return [fact for fact in await FORM.required_slots([], None, tracker, {}) if tracker.get_slot(fact) is None]


async def test_only_the_facts_of_the_reason_are_asked():
    assert await required({"failure_reason": "fail_cert_missing"}) == ["holder_type"]
    assert await required({"failure_reason": "fail_contact_wrong"}) == []
    assert await required({"failure_reason": "fail_contact_param"}) == ["country_code"]


async def test_a_just_answered_fact_stays_required_so_that_it_is_validated():
    tracker = make_tracker(slots={"failure_reason": "fail_new_cert", "issue_date": "三天前"})
    assert "issue_date" in await FORM.required_slots([], None, tracker, {})


async def test_a_known_fact_is_not_asked_again():
    assert await required({"failure_reason": "fail_new_cert", "issue_date": "2026-11-26"}) == ["holder_type"]


async def test_the_document_type_answers_the_holder_type():
    slots = {"failure_reason": "fail_new_cert", "issue_date": "2026-11-26", "doc_type": "YYZZ"}
    assert await required(slots) == []


async def test_expiry_is_asked_only_when_the_document_is_not_new():
    new = {"failure_reason": "fail_cert_data_check", "doc_number": "skip", "issue_date": "2026-11-26",
           "holder_type": "individual"}
    old = dict(new, issue_date="2020-01-01")
    assert await required(new) == []
    assert await required(old) == ["expiry_date"]


async def test_skipping_is_accepted(dispatcher, domain):
    result = await FORM.validate_holder_type("跳过", dispatcher, make_tracker(), domain)
    assert result == {"holder_type": "skip"}


async def test_a_future_issue_date_is_asked_again_with_a_reason(dispatcher, domain):
    result = await FORM.validate_issue_date("2027年1月5日", dispatcher, make_tracker(), domain)
    assert result == {"issue_date": None}
    assert "重新输入" in dispatcher.messages[0]["text"]


async def test_an_impossible_date_is_asked_again(dispatcher, domain):
    result = await FORM.validate_issue_date("2026年2月30日", dispatcher, make_tracker(), domain)
    assert result == {"issue_date": None}
    assert dispatcher.messages


async def test_dates_as_people_type_them(dispatcher, domain):
    for typed, expected in [("2026/11/3", "2026-11-03"), ("11月3号", "2026-11-03"), ("三天前", "2026-11-26"),
                            ("昨天", "2026-11-28")]:
        result = await FORM.validate_issue_date(typed, dispatcher, make_tracker(), domain)
        assert result == {"issue_date": expected}, typed


async def test_a_number_is_checked_and_never_kept_in_full(dispatcher, domain):
    result = await FORM.validate_doc_number("11010519491231002X", dispatcher, make_tracker(), domain)
    assert result["doc_number"] == "1101********002X"
    assert "11010519491231002X" not in str(result)
    assert "正确" in render(result["number_check"], "zh")
    assert result["number_holder_type"] == "individual"


async def test_a_look_alike_character_is_found(dispatcher, domain):
    result = await FORM.validate_doc_number("11010519491231OO2X", dispatcher, make_tracker(), domain)
    assert "不正确" in render(result["number_check"], "zh")


async def test_a_correction_of_another_fact_is_taken_while_a_question_is_open(dispatcher, domain):
    tracker = make_tracker("不对，我是组织", intent="inform", active_loop="diagnosis_form",
                           requested_slot="doc_number",
                           slots={"failure_reason": "fail_number_not_found", "holder_type": "individual"})
    events = await FORM.get_extraction_events(dispatcher, tracker, domain)
    assert SlotSet("holder_type", "organisation") in events


async def test_an_unreadable_answer_is_asked_again(dispatcher, domain):
    result = await FORM.validate_region("火星", dispatcher, make_tracker(), domain)
    assert result == {"region": None}
    assert "跳过" in (await said(dispatcher))[0]["text"]


async def test_the_whole_form_run_keeps_what_the_number_check_found(dispatcher, domain):
    """As Rasa calls it: the answer arrives as a slot event after the user's message."""
    tracker = make_tracker("11010519491231002X", intent="inform", active_loop="diagnosis_form",
                           requested_slot="doc_number",
                           slots={"failure_reason": "fail_cert_data_check", "doc_number": "11010519491231002X"})
    tracker.events += [
        {"event": "slot", "name": "requested_slot", "value": "doc_number"},
        {"event": "action", "name": "diagnosis_form"},
        {"event": "slot", "name": "doc_number", "value": "11010519491231002X"},
    ]
    events = await FORM.run(dispatcher, tracker, domain)
    assert SlotSet("doc_number", "1101********002X") in events
    assert SlotSet("number_holder_type", "individual") in events
    assert SlotSet("requested_slot", "issue_date") in events
    assert "11010519491231002X" not in str(events)


def test_every_fact_the_form_may_ask_is_validated():
    # rasa_sdk silently keeps the raw answer of a slot without a validate_<slot> method
    from realname.diagnosis import FACTS

    assert [fact for fact in FACTS if not hasattr(FORM, f"validate_{fact}")] == []


async def test_a_country_code_answer_is_read_and_a_wrong_one_asked_again(dispatcher, domain):
    assert await FORM.validate_country_code("国家代码填的 +86", dispatcher, make_tracker(), domain) == {"country_code": "+86"}
    result = await FORM.validate_country_code("不知道填的啥", dispatcher, make_tracker(), domain)
    assert result == {"country_code": None}
    assert "国家代码" in (await said(dispatcher))[0]["text"]


async def test_in_english_an_unreadable_answer_is_asked_again_in_english(dispatcher, domain):
    tracker = make_tracker("Mars", slots={"language": "en"})
    assert await FORM.validate_region("Mars", dispatcher, tracker, domain) == {"region": None}
    assert (await said(dispatcher, "en"))[0]["text"].startswith("I could not read the region.")


async def test_english_answers_are_read(dispatcher, domain):
    tracker = make_tracker(slots={"language": "en"})
    assert await FORM.validate_region("Hong Kong", dispatcher, tracker, domain) == {"region": "中国香港"}
    assert await FORM.validate_holder_type("organization", dispatcher, tracker, domain) == {"holder_type": "organisation"}
    assert await FORM.validate_doc_type("passport", dispatcher, tracker, domain) == {"doc_type": "HZ"}
    assert await FORM.validate_expiry_date("long-term", dispatcher, tracker, domain) == {"expiry_date": "long_term"}
    assert await FORM.validate_issue_date("skip", dispatcher, tracker, domain) == {"issue_date": "skip"}
    assert not dispatcher.messages
