"""service.serve refuses to open the API from the command line or with a guessable token."""
import pytest

from service import serve


@pytest.mark.parametrize("option", ["--enable-api", "--auth-token=abc", "--jwt-secret"])
def test_api_options_on_the_command_line_are_refused(option):
    with pytest.raises(SystemExit) as e:
        serve.main(["-p", "5999", option])
    assert "REALNAME_API_TOKEN" in str(e.value)


def test_a_short_token_stops_the_start(monkeypatch):
    monkeypatch.setenv("REALNAME_API_TOKEN", "short")
    with pytest.raises(SystemExit) as e:
        serve.main(["-p", "5999"])
    assert "至少 24" in str(e.value)


def test_the_action_servers_health_url_comes_from_the_endpoints_file(tmp_path):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text('action_endpoint:\n  url: "http://127.0.0.1:5155/webhook"\n', encoding="utf-8")
    assert serve.actions_health_url(str(endpoints)) == "http://127.0.0.1:5155/health"
    assert serve.actions_health_url(str(tmp_path / "missing.yml")) is None
    (tmp_path / "none.yml").write_text("tracker_store:\n  type: memory\n", encoding="utf-8")
    assert serve.actions_health_url(str(tmp_path / "none.yml")) is None
