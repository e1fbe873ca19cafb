from actions.handoff import ActionHandoff
from realname.catalog import support_settings
from tests.actions.conftest import make_tracker


async def test_handoff_gives_the_configured_ticket_link(dispatcher, domain, monkeypatch):
    monkeypatch.delenv("REALNAME_TICKET_URL", raising=False)
    tracker = make_tracker("转人工", intent="ask_human", slots={"failure_reason": "fail_new_cert"})
    await ActionHandoff().run(dispatcher, tracker, domain)
    text = dispatcher.messages[0]["text"]
    assert support_settings()["ticket_url"] in text
    assert "新颁发证件" in text


async def test_the_ticket_link_can_be_set_per_deployment(dispatcher, domain, monkeypatch):
    monkeypatch.setenv("REALNAME_TICKET_URL", "https://help.example.com/ticket")
    await ActionHandoff().run(dispatcher, make_tracker("人工", intent="ask_human"), domain)
    assert "https://help.example.com/ticket" in dispatcher.messages[0]["text"]
