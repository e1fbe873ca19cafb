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
