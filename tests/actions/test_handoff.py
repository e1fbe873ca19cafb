from actions.handoff import ActionHandoff
from realname.catalog import support_settings
from tests.actions.conftest import make_tracker, said


async def test_handoff_gives_the_configured_ticket_link(dispatcher, domain, monkeypatch):
    monkeypatch.delenv("REALNAME_TICKET_URL", raising=False)
    tracker = make_tracker("转人工", intent="ask_human", slots={"failure_reason": "fail_new_cert"})
    await ActionHandoff().run(dispatcher, tracker, domain)
    text = (await said(dispatcher))[0]["text"]
    assert support_settings()["ticket_url"] in text
    assert "新颁发证件" in text


async def test_the_ticket_link_can_be_set_per_deployment(dispatcher, domain, monkeypatch):
    monkeypatch.setenv("REALNAME_TICKET_URL", "https://help.example.com/ticket")
    await ActionHandoff().run(dispatcher, make_tracker("人工", intent="ask_human"), domain)
    assert "https://help.example.com/ticket" in (await said(dispatcher))[0]["text"]


async def test_the_handoff_in_english(dispatcher, domain, monkeypatch):
    monkeypatch.delenv("REALNAME_TICKET_URL", raising=False)
    tracker = make_tracker("human please", intent="ask_human", slots={"failure_reason": "fail_new_cert", "language": "en"})
    await ActionHandoff().run(dispatcher, tracker, domain)
    text = (await said(dispatcher, "en"))[0]["text"]
    assert text.startswith("OK, handing you over to a human (issue: ") and "Domains" in text
    assert support_settings()["ticket_url"] in text


async def test_the_handoff_gives_a_case_summary_to_paste_into_the_ticket_with_the_number_masked(dispatcher, domain):
    tracker = make_tracker("转人工", intent="ask_human", slots={
        "failure_reason": "fail_number_not_found", "region": "中国内地", "holder_type": "individual",
        "doc_number": "1101********0022", "feedback": "not_solved", "shown_steps": ["仔细核对持有者名称和证件号码。"]})
    await ActionHandoff().run(dispatcher, tracker, domain)
    summary = (await said(dispatcher))[1]["text"]
    assert summary.startswith("案情摘要（可直接粘贴到工单）：")
    assert "失败原因：库中无此号或注册者证件验证失败" in summary
    assert "证件号码：1101********0022" in summary and "所属区域：中国内地" in summary
    assert "1. 仔细核对持有者名称和证件号码。" in summary and "仍未解决" in summary


async def test_a_handoff_without_a_reason_has_no_summary(dispatcher, domain):
    await ActionHandoff().run(dispatcher, make_tracker("人工", intent="ask_human"), domain)
    assert len(dispatcher.messages) == 1
