"""service.http_guard: the API token setting and the per-route body limits (the served behaviour is
tested end to end in tests/channels/test_public_port_e2e.py)."""
import pytest

from channels.rest import RestInput
from channels.web import WebInput
from service import http_guard


def test_the_api_is_off_without_the_variable_and_a_short_token_is_refused():
    assert http_guard.api_token({}) is None
    assert http_guard.api_token({"REALNAME_API_TOKEN": "   "}) is None
    assert http_guard.api_token({"REALNAME_API_TOKEN": "x" * 32}) == "x" * 32
    with pytest.raises(http_guard.TokenError, match="至少 24"):
        http_guard.api_token({"REALNAME_API_TOKEN": "secret"})


def test_only_the_root_and_the_webhooks_are_public():
    assert http_guard.is_public_path("/")
    assert http_guard.is_public_path("/webhooks/web/static/app.js")
    for path in ("/status", "/version", "/model", "/conversations/a/tracker", "/webhooks"):
        assert not http_guard.is_public_path(path)


def test_token_comparison():
    assert http_guard.token_matches("t" * 30, "t" * 30)
    assert not http_guard.token_matches(None, "t" * 30)
    assert not http_guard.token_matches("t" * 29, "t" * 30)
    assert not http_guard.token_matches("", None)


def test_each_channel_route_gets_its_own_body_limit():
    web = WebInput(max_message_chars=5000, max_upload_bytes=10 * 1024 * 1024)
    limits = http_guard.channel_body_limits([web, RestInput(max_message_chars=1000)])
    assert limits["/webhooks/web/upload"] == 10 * 1024 * 1024 + 64 * 1024
    assert limits["/webhooks/web/webhook"] == web.max_json_bytes
    assert limits["/webhooks/rest/webhook"] == 1000 * 12 + 4096
    assert http_guard.body_limit_for("/webhooks/web/upload/", limits, False) == limits["/webhooks/web/upload"]
    assert http_guard.body_limit_for("/webhooks/web/", limits, False) == http_guard.DEFAULT_BODY_LIMIT
    assert http_guard.body_limit_for("/model/train", limits, True) == http_guard.API_BODY_LIMIT
    assert http_guard.body_limit_for("/model/train", limits, False) == http_guard.DEFAULT_BODY_LIMIT
