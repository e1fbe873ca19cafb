"""realname.domain_api through Alibaba Cloud's SDK against a fake Domain API on loopback that checks the
signature itself (tests/fakes/fake_domain_api.py)."""
import logging
import os
import sys

import pytest

sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fakes"))

from fake_domain_api import FakeDomainApi  # noqa: E402

from realname.domain_api import (  # noqa: E402
    DomainApi, DomainApiError, DomainApiSettings, error_finding,
)

KEY_ID, SECRET = "LTAI5tFakeReadOnlyKey", "fake-secret-Zx81"
REASONS = [("2026-11-28 10:02:11", "证件电子信息核验不合格"), ("2026-11-30 09:15:40", "库中无此号")]


@pytest.fixture
def fake():
    api = FakeDomainApi().start()
    api.keys[KEY_ID] = SECRET
    api.domains["example.cn"] = {"status": "FAILED", "reasons": {"ACTIVATE": REASONS}}
    yield api
    api.stop()


def settings(fake, key_id=KEY_ID, secret=SECRET, staff=""):
    return DomainApiSettings.from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": key_id,
                                       "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
                                       "REALNAME_DOMAIN_API_ENDPOINT": fake.endpoint, "REALNAME_STAFF_IDS": staff})


def test_settings_come_from_the_standard_variables_and_default_to_the_public_endpoint():
    s = DomainApiSettings.from_env({"REALNAME_STAFF_IDS": " 0123 , zhangsan,,"})
    assert not s.enabled and s.protocol == "https" and s.endpoint == "domain.aliyuncs.com"
    assert s.staff_ids == {"0123", "zhangsan"}
    local = DomainApiSettings.from_env({"REALNAME_DOMAIN_API_ENDPOINT": "http://127.0.0.1:8123/",
                                        "ALIBABA_CLOUD_ACCESS_KEY_ID": "a", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "b"})
    assert local.enabled and local.protocol == "http" and local.endpoint == "127.0.0.1:8123"
    assert "b" not in repr(local)  # the secret never shows in a log line that prints the settings


async def test_a_failed_domain_gives_its_reasons_newest_first_from_a_signed_request(fake):
    record = await DomainApi(settings(fake)).lookup("Example.CN.")
    assert record.status == "FAILED" and record.action == "ACTIVATE"
    assert [r.reason for r in record.records] == ["库中无此号", "证件电子信息核验不合格"]
    assert record.records[0].date == "2026-11-30 09:15:40"
    assert fake.refused == []  # the fake verified the SDK's ACS3-HMAC-SHA256 signature
    assert fake.actions() == ["QueryDomainByDomainName", "QueryFailReasonForDomainRealNameVerification"]
    assert fake.calls[1]["DomainName"] == "example.cn" and fake.calls[1]["Lang"] == "zh"


async def test_the_other_verification_kinds_are_tried_after_a_new_registration_and_english_is_asked_in_english(fake):
    fake.domains["moved.com"] = {"status": "FAILED", "reasons": {"TRANSFER": [("2026-11-01 08:00:00", "x")]},
                                 "reasons_en": {"TRANSFER": [("2026-11-01 08:00:00", "No such number in the database")]}}
    record = await DomainApi(settings(fake)).lookup("moved.com", language="en")
    assert record.action == "TRANSFER" and record.newest_reason == "No such number in the database"
    assert [c.get("RealNameVerificationAction") for c in fake.calls[1:]] == ["ACTIVATE", "CHGHOLDER", "TRANSFER"]
    assert {c["Lang"] for c in fake.calls} == {"en"}


@pytest.mark.parametrize("status", ["SUCCEED", "AUDITING"])
async def test_a_passed_or_audited_domain_needs_no_failure_reason_call(fake, status):
    fake.domains["ok.cn"] = {"status": status}
    record = await DomainApi(settings(fake)).lookup("ok.cn")
    assert record.status == status and record.records == ()
    assert fake.actions() == ["QueryDomainByDomainName"]


async def test_results_are_cached_for_a_minute(fake):
    now = [1000.0]
    api = DomainApi(settings(fake), clock=lambda: now[0])
    await api.lookup("example.cn")
    await api.lookup("example.cn")
    assert len(fake.calls) == 2
    now[0] += 61
    await api.lookup("example.cn")
    assert len(fake.calls) == 4


async def test_a_throttled_call_is_tried_once_more(fake, monkeypatch):
    monkeypatch.setattr("realname.domain_api.THROTTLE_RETRY_DELAY", 0.01)
    fake.throttle_next = 1
    record = await DomainApi(settings(fake)).lookup("example.cn")
    assert record.newest_reason == "库中无此号" and fake.refused == ["Throttling.User"]
    fake.throttle_next = 2
    with pytest.raises(DomainApiError) as failed:
        await DomainApi(settings(fake)).lookup("example.cn")
    assert failed.value.code == "registrar_throttled"


@pytest.mark.parametrize("case, code", [
    ("unknown key", "registrar_key_invalid"),
    ("wrong secret", "registrar_key_invalid"),
    ("no permission", "registrar_forbidden"),
    ("not in the account", "registrar_domain_not_found"),
    ("no credentials", "registrar_off"),
])
async def test_errors_become_plain_findings_and_the_log_holds_no_secret(fake, case, code, caplog):
    caplog.set_level(logging.DEBUG)
    s, domain = settings(fake), "example.cn"
    if case == "unknown key":
        s = settings(fake, key_id="LTAI5tNoSuchKey")
    elif case == "wrong secret":
        s = settings(fake, secret="guessed")
    elif case == "no permission":
        fake.read_only_denied.add(KEY_ID)
    elif case == "not in the account":
        domain = "someone-else.cn"
    else:
        s = settings(fake, key_id="", secret="")
    with pytest.raises(DomainApiError) as failed:
        await DomainApi(s).lookup(domain)
    assert failed.value.code == code
    assert SECRET not in caplog.text and "guessed" not in caplog.text


async def test_an_unreachable_or_silent_endpoint_is_said_so_within_the_timeouts(monkeypatch):
    import socket
    import time

    monkeypatch.setattr("realname.domain_api.READ_TIMEOUT_MS", 400)
    monkeypatch.setattr("realname.domain_api.CONNECT_TIMEOUT_MS", 400)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connection refused
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts, never answers
    try:
        for endpoint in (f"http://127.0.0.1:{port}", f"http://127.0.0.1:{silent.getsockname()[1]}"):
            s = DomainApiSettings.from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
                                            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
                                            "REALNAME_DOMAIN_API_ENDPOINT": endpoint})
            started = time.monotonic()
            with pytest.raises(DomainApiError) as failed:
                await DomainApi(s).lookup("example.cn")
            assert failed.value.code == "registrar_unreachable", endpoint
            assert time.monotonic() - started < 3
    finally:
        silent.close()


def test_alibaba_error_codes_map_to_findings():
    assert error_finding("InvalidAccessKeyId.Inactive") == "registrar_key_invalid"
    assert error_finding("Forbidden.RAM") == "registrar_forbidden"
    assert error_finding("Throttling.Api") == "registrar_throttled"
    assert error_finding("DomainNotExist") == "registrar_domain_not_found"
    assert error_finding("InternalError") == "registrar_error"
