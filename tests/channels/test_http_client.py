"""channels.http_client: the executor + retry HTTP sender and the access-token cache."""

import asyncio
import logging
import time

import pytest

from channels.http_client import ApiError, DeliveryError, HttpSender, TokenCache, json_errcode_check


@pytest.mark.asyncio
async def test_sender_retries_server_errors_then_succeeds(fake_wecom):
    fake_wecom.plan("/cgi-bin/gettoken", ("status", 502), ("status", 500))
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    result = await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t", check=json_errcode_check)
    assert result.json()["access_token"]
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 3


@pytest.mark.asyncio
async def test_sender_gives_up_after_bounded_attempts_and_logs(fake_wecom, caplog):
    fake_wecom.always("/cgi-bin/gettoken", ("status", 503))
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    with caplog.at_level(logging.WARNING, logger="channels.http_client"):
        with pytest.raises(DeliveryError) as err:
            await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken?corpsecret=SECRET", what="t")
    assert err.value.attempts == 3 and err.value.status == 503
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 3
    assert caplog.text.count("attempt_failed") == 3
    assert "SECRET" not in caplog.text


@pytest.mark.asyncio
async def test_sender_does_not_retry_client_errors(fake_wecom):
    fake_wecom.plan("/cgi-bin/gettoken", ("status", 400))
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t")
    assert err.value.attempts == 1
    assert len(fake_wecom.matching("/cgi-bin/gettoken")) == 1


@pytest.mark.asyncio
async def test_sender_retries_timeouts_without_blocking_the_event_loop(fake_wecom):
    fake_wecom.always("/cgi-bin/gettoken", ("sleep", 1.0))
    sender = HttpSender("t", timeout=0.3, attempts=2, backoff=0.01)
    ticks = []

    async def ticker():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    task = asyncio.ensure_future(ticker())
    started = time.monotonic()
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t")
    task.cancel()
    assert "timeout" in err.value.reason
    assert err.value.attempts == 2
    assert time.monotonic() - started < 2.0
    assert len(ticks) >= 8  # the loop kept running while requests waited in threads


@pytest.mark.asyncio
async def test_sender_api_errcodes(fake_wecom):
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    fake_wecom.plan("/cgi-bin/gettoken", ("json", {"errcode": -1, "errmsg": "busy"}))
    result = await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t", check=json_errcode_check)
    assert result.json()["errcode"] == 0  # -1 (busy) was retried
    fake_wecom.plan("/cgi-bin/gettoken", ("json", {"errcode": 40013, "errmsg": "invalid corpid"}))
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/gettoken", what="t", check=json_errcode_check)
    assert err.value.code == 40013 and err.value.attempts == 1


@pytest.mark.asyncio
async def test_sender_bounds_response_size(fake_wecom):
    sender = HttpSender("t", timeout=2, attempts=3, backoff=0.01)
    with pytest.raises(DeliveryError) as err:
        await sender.request("GET", fake_wecom.base_url + "/cgi-bin/media/get?access_token=x", what="t", max_bytes=10)
    assert "too large" in err.value.reason or "HTTP" in err.value.reason


@pytest.mark.asyncio
async def test_sender_connection_refused_is_retried_and_reported():
    from channel_fakes import free_port

    sender = HttpSender("t", timeout=1, attempts=2, backoff=0.01)
    with pytest.raises(DeliveryError) as err:
        await sender.request("POST", f"http://127.0.0.1:{free_port()}/x", what="t", json={})
    assert "connection" in err.value.reason and err.value.attempts == 2


@pytest.mark.asyncio
async def test_token_cache_fetches_once_and_refreshes_after_invalidate():
    calls = []

    async def fetch():
        calls.append(1)
        await asyncio.sleep(0.01)
        return f"tok{len(calls)}", 7200.0

    cache = TokenCache(fetch)
    tokens = await asyncio.gather(*(cache.get() for _ in range(5)))
    assert tokens == ["tok1"] * 5 and len(calls) == 1
    cache.invalidate("other")  # a token replaced meanwhile: the current one stays
    assert await cache.get() == "tok1"
    cache.invalidate("tok1")
    assert await cache.get() == "tok2"


@pytest.mark.asyncio
async def test_token_cache_expires():
    n = [0]

    async def fetch():
        n[0] += 1
        return f"t{n[0]}", 1.0

    cache = TokenCache(fetch, margin=0.5)
    assert await cache.get() == "t1"
    await asyncio.sleep(1.1)
    assert await cache.get() == "t2"


def test_api_error_defaults():
    e = ApiError("x")
    assert not e.retryable and e.code is None
