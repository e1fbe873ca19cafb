"""actions.domain_lookup and its two entry points (action_ask_for_reason, action_update_facts) against the
fake Domain API on loopback (tests/fakes/fake_domain_api.py): staff on work bots get the registrar's
record, everyone else the paste flow and no call."""
import os
import sys

import pytest

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fakes"))

from fake_domain_api import FakeDomainApi  # noqa: E402

from actions.explain import ActionUpdateFacts  # noqa: E402
from actions.fallback import ActionAskForReason  # noqa: E402
from tests.actions.conftest import make_tracker, said  # noqa: E402

KEY_ID, SECRET = "LTAI5tStaffBotKey", "staff-bot-secret"
ASK = "查一下 example.cn 为什么实名认证失败"


@pytest.fixture
def api(monkeypatch):
    fake = FakeDomainApi().start()
    fake.keys[KEY_ID] = SECRET
    fake.domains["example.cn"] = {"status": "FAILED", "reasons": {"ACTIVATE": [
        ("2026-11-27 16:20:03", "证件电子信息核验不合格"), ("2026-11-28 09:01:44", "库中无此号")]}}
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("REALNAME_DOMAIN_API_ENDPOINT", fake.endpoint)
    monkeypatch.setenv("REALNAME_STAFF_IDS", "manager0123,lisi")
    yield fake
    fake.stop()


def staff_tracker(text=ASK, channel="dingtalk", staff="manager0123", **kwargs):
    return make_tracker(text, intent="fail_unspecified", input_channel=channel, metadata={"staff_id": staff}, **kwargs)


async def test_a_staff_member_gets_the_registrar_s_reasons_newest_first_and_the_newest_goes_back_as_a_paste(
        api, dispatcher, domain):
    events = await ActionAskForReason().run(dispatcher, staff_tracker(), domain)
    assert events == [{"event": "slot", "timestamp": None, "name": "domain", "value": "example.cn"}]
    text = (await said(dispatcher))[0]["text"]
    assert "example.cn" in text and "新注册" in text
    assert text.index("2026-11-28 09:01:44：库中无此号") < text.index("2026-11-27 16:20:03：证件电子信息核验不合格")
    assert "不在本助手整理的失败原因" not in text  # a catalog reason: its fix follows from the paste
    assert dispatcher.messages[-1]["custom"] == {"registrar_reason": {"text": "库中无此号", "domain": "example.cn"}}


async def test_a_reason_outside_the_catalog_is_shown_verbatim_with_the_way_to_a_human(api, dispatcher, domain):
    api.domains["example.cn"]["reasons"]["ACTIVATE"] = [("2017-03-17 11:08:02", "审核失败，所有者（中文）字段必须包含中文字符。")]
    await ActionAskForReason().run(dispatcher, staff_tracker(), domain)
    text = (await said(dispatcher))[0]["text"]
    assert "审核失败，所有者（中文）字段必须包含中文字符。" in text and "转人工" in text


@pytest.mark.parametrize("status, words", [("SUCCEED", "已经通过"), ("AUDITING", "正在审核中")])
async def test_a_passed_or_reviewed_domain_is_said_plainly_with_nothing_to_fix(api, dispatcher, domain, status, words):
    api.domains["example.cn"] = {"status": status}
    await ActionAskForReason().run(dispatcher, staff_tracker(), domain)
    assert [m for m in dispatcher.messages if m.get("custom")] == []
    assert words in (await said(dispatcher))[0]["text"]


@pytest.mark.parametrize("who", ["web page", "REST client claiming staff", "unlisted DingTalk user", "fed back"])
async def test_no_one_else_triggers_a_call_and_gets_the_paste_flow(api, dispatcher, domain, who):
    tracker = {
        "web page": staff_tracker(channel="web"),
        "REST client claiming staff": staff_tracker(channel="rest"),
        "unlisted DingTalk user": staff_tracker(staff="zhangsan"),
        "fed back": make_tracker(ASK, intent="fail_unspecified", input_channel="wecom",
                                 metadata={"staff_id": "lisi", "source": "registrar"}),
    }[who]
    await ActionAskForReason().run(dispatcher, tracker, domain)
    assert api.calls == [] and api.refused == []
    assert dispatcher.messages[0]["response"] == "utter_request_reason"


async def test_an_english_conversation_asks_the_registrar_in_english(api, dispatcher, domain):
    api.domains["example.cn"]["reasons_en"] = {"ACTIVATE": [("2026-11-28 09:01:44", "No such number in the database")]}
    tracker = staff_tracker("why did example.cn fail real-name verification", channel="wecom_bot",
                            slots={"language": "en"})
    await ActionAskForReason().run(dispatcher, tracker, domain)
    text = (await said(dispatcher, "en"))[0]["text"]
    assert "new registration" in text and "No such number in the database" in text
    assert {c["Lang"] for c in api.calls} == {"en"}


@pytest.mark.parametrize("setup, words", [
    ("no credentials", "没有开启"),
    ("domain elsewhere", "不在本企业的阿里云账号中"),
    ("no permission", "RAM"),
])
async def test_lookup_errors_are_told_in_plain_words_and_never_ask_for_a_key(
        api, dispatcher, domain, monkeypatch, setup, words):
    text = ASK
    if setup == "no credentials":
        monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    elif setup == "domain elsewhere":
        text = "查一下 other-company.cn 为什么实名认证失败"
    else:
        api.read_only_denied.add(KEY_ID)
    await ActionAskForReason().run(dispatcher, staff_tracker(text), domain)
    reply = (await said(dispatcher))[0]["text"]
    assert words in reply and "粘贴" in reply
    assert "AccessKey" not in reply or "运营方" in reply  # the operator's key, never the staff member's


async def test_a_bare_domain_after_a_failure_question_is_looked_up_too(api, dispatcher, domain):
    tracker = make_tracker("example.cn", intent="inform", input_channel="wecom", metadata={"staff_id": "lisi"})
    events = await ActionUpdateFacts().run(dispatcher, tracker, domain)
    assert {"event": "slot", "timestamp": None, "name": "domain", "value": "example.cn"} in events
    assert dispatcher.messages[-1]["custom"]["registrar_reason"]["text"] == "库中无此号"
    # with a reason already open, a domain is a fact for that reason, not a lookup
    again = make_tracker("example.cn", intent="inform", input_channel="wecom", metadata={"staff_id": "lisi"},
                         slots={"failure_reason": "fail_cert_data_check"})
    calls = len(api.calls)
    await ActionUpdateFacts().run(dispatcher, again, domain)
    assert len(api.calls) == calls
