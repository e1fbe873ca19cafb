"""channels.rate_limit's Redis store against a real Redis: two instances share one budget, and a
Redis that is down lets messages through (the limiter never stops the service)."""
import logging

import pytest

from channels.rate_limit import ChannelLimiter, Limits, RedisStore

pytestmark = pytest.mark.cluster


async def test_two_instances_count_against_one_budget(redis_url):
    limits = Limits(messages_per_minute=4, messages_per_minute_per_address=0)
    one = ChannelLimiter("rest", limits, RedisStore(redis_url))
    two = ChannelLimiter("rest", limits, RedisStore(redis_url))
    verdicts = [await (one if n % 2 else two).message("shared-sender") for n in range(6)]
    assert [v.allowed for v in verdicts] == [True] * 4 + [False] * 2
    assert 10 < verdicts[-1].retry_after <= 15  # one hit every 15 s after the burst
    assert (await one.message("another-sender")).allowed


async def test_keys_hold_no_sender_id_in_clear_and_expire(redis_url):
    import redis.asyncio as aioredis

    limiter = ChannelLimiter("web", Limits(messages_per_minute=3), RedisStore(redis_url))
    await limiter.message("web-11010519491231002X", "203.0.113.9")
    client = aioredis.from_url(redis_url)
    keys = [k.decode() for k in await client.keys("realname:rl:web:*")]
    assert len(keys) == 2 and not any("11010519491231002X" in k or "203.0.113.9" in k for k in keys)
    ttls = [await client.pttl(k) for k in keys]
    # a key lives one emission interval (60 s / 3) past now, plus the store's 1 ms margin
    assert all(0 < ttl <= 20_001 for ttl in ttls), ttls


async def test_a_redis_that_is_down_lets_messages_through_and_says_so(caplog):
    limiter = ChannelLimiter("rest", Limits(messages_per_minute=1), RedisStore("redis://127.0.0.1:9/0", timeout=0.2))
    with caplog.at_level(logging.WARNING):
        assert all([(await limiter.message("s")).allowed for _ in range(3)])
    assert "rate_limit.store_failed" in caplog.text
