"""channels.leader against a real Redis: one DingTalk Stream connection across instances, and a
takeover when the holder stops. Needs redis-server (scripts/install_cluster_deps.sh installs it)."""
import asyncio

import pytest
from channel_fakes import FakeApi, FakeStreamGateway, until

from channels.leader import RedisLease

pytestmark = pytest.mark.cluster
SECRET = "dt-secret-for-tests"


async def test_one_holder_at_a_time_and_a_release_hands_over(redis_url):
    first, second = RedisLease(redis_url, "t:lease1", ttl=1.5), RedisLease(redis_url, "t:lease1", ttl=1.5)
    await first.acquire()
    waiting = asyncio.ensure_future(second.acquire())
    await asyncio.sleep(1.0)
    assert first.held and not waiting.done()
    await first.release()
    await asyncio.wait_for(waiting, 3)
    assert second.held and not first.held
    await second.release()


async def test_a_holder_that_stops_renewing_is_replaced_and_learns_it(redis_url):
    first, second = RedisLease(redis_url, "t:lease2", ttl=1.0), RedisLease(redis_url, "t:lease2", ttl=1.0)
    await first.acquire()
    await asyncio.wait_for(second.acquire(), 4)  # first never renewed: expired after 1 s
    await asyncio.wait_for(first.lost(), 3)  # first's renewal is refused: it knows it lost
    assert second.held and not first.held
    await second.release()


async def test_exactly_one_instance_holds_the_stream_connection(redis_url, monkeypatch):
    from channels.dingtalk import DingTalkStreamInput

    monkeypatch.setenv("REALNAME_REDIS_URL", redis_url)
    api, gateway = FakeApi("dingtalk"), FakeStreamGateway()
    api.stream_endpoint, api.stream_secret = gateway.endpoint, SECRET

    async def rasa(message):
        await message.output_channel.send_text_message(message.sender_id, "ok")

    def instance():
        return DingTalkStreamInput(app_key="cluster-app", app_secret=SECRET, api_base=api.base_url, http_timeout=1,
                                   http_attempts=2, http_backoff=0.01, reconnect_min_seconds=0.1, lease_seconds=1.5)

    a, b = instance(), instance()
    tasks = [asyncio.ensure_future(a.run_forever(rasa)), asyncio.ensure_future(b.run_forever(rasa))]
    try:
        assert await until(lambda: a.connected or b.connected)
        await asyncio.sleep(2.5)  # more than a lease period: the other one still waits
        assert gateway.connections == 1 and [a.connected, b.connected].count(True) == 1
        holder, standby = (0, 1) if a.connected else (1, 0)
        tasks[holder].cancel()  # the holder's instance stops (its lease is released)
        await asyncio.gather(tasks[holder], return_exceptions=True)
        other = (a, b)[standby]
        assert await until(lambda: other.connected, timeout=5)
        assert gateway.connections == 2
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        api.stop()
        gateway.stop()
