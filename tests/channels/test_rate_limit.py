"""channels.rate_limit: the GCRA limit in memory, the settings, and one "too fast" notice per window."""
import pytest

from channels.rate_limit import ChannelLimiter, Limits, MemoryStore
from channels.replies import limited_reply


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def test_a_burst_up_to_the_limit_then_one_hit_per_interval():
    clock = Clock()
    store = MemoryStore(clock=clock)
    verdicts = [await store.hit("k", 20, 60) for _ in range(21)]
    assert all(v.allowed for v in verdicts[:20]) and not verdicts[20].allowed
    assert verdicts[20].retry_after == pytest.approx(3.0)
    clock.now += 2.9
    assert not (await store.hit("k", 20, 60)).allowed
    clock.now += 0.2
    assert (await store.hit("k", 20, 60)).allowed
    assert not (await store.hit("k", 20, 60)).allowed


async def test_a_refused_hit_costs_nothing_and_a_quiet_minute_restores_the_whole_budget():
    clock = Clock()
    store = MemoryStore(clock=clock)
    for _ in range(25):
        await store.hit("k", 5, 60)
    clock.now += 60
    assert [(await store.hit("k", 5, 60)).allowed for _ in range(6)] == [True] * 5 + [False]


async def test_keys_are_independent_and_memory_is_bounded():
    store = MemoryStore(max_keys=3, clock=Clock())
    for key in "abcd":
        assert (await store.hit(key, 1, 60)).allowed
    assert not (await store.hit("d", 1, 60)).allowed
    assert (await store.hit("a", 1, 60)).allowed  # forgotten (least recently used): a fresh budget


async def test_the_channel_limiter_counts_sender_and_address_separately():
    limiter = ChannelLimiter("web", Limits(messages_per_minute=2, messages_per_minute_per_address=3), MemoryStore(clock=Clock()))
    assert (await limiter.message("s1", "1.2.3.4")).allowed
    assert (await limiter.message("s1", "1.2.3.4")).allowed
    assert not (await limiter.message("s1", "1.2.3.5")).allowed  # the sender's budget
    assert (await limiter.message("s2", "1.2.3.4")).allowed
    assert not (await limiter.message("s3", "1.2.3.4")).allowed  # the address's budget (3 counted hits)
    assert (await limiter.upload("s1", "1.2.3.4")).allowed  # uploads have their own budget


async def test_a_zero_limit_is_off():
    limiter = ChannelLimiter("rest", Limits(messages_per_minute=0, messages_per_minute_per_address=0), MemoryStore())
    assert all([(await limiter.message("s", "a")).allowed for _ in range(100)])


def test_limits_come_from_credentials_with_clear_errors():
    assert Limits.from_credentials(None) == Limits()
    assert Limits.from_credentials({"messages_per_minute": "7"}).messages_per_minute == 7
    with pytest.raises(ValueError, match="messages_per_minute"):
        Limits.from_credentials({"messages_per_minute": "many"})
    with pytest.raises(ValueError, match="negative"):
        Limits.from_credentials({"uploads_per_minute": -1})


def test_a_chat_app_is_told_once_per_window():
    limiter = ChannelLimiter("dingtalk", Limits(), MemoryStore())
    clock = Clock()
    assert limiter.first_refusal("u", clock) and not limiter.first_refusal("u", clock)
    assert limiter.first_refusal("v", clock)
    clock.now += 61
    assert limiter.first_refusal("u", clock)


def test_limited_replies_round_the_wait_up_in_the_customers_language():
    assert limited_reply("message", 2.1, "zh") == "您发送消息太频繁了，请3秒后再发。之前的对话进度都还在，稍后接着回复即可。"
    assert "请1秒后再上传" in limited_reply("upload", 0.01, "zh")
    assert "请2分钟后再发" in limited_reply("message", 75, "zh")
    assert limited_reply("message", 2.1, "en").startswith("You are sending messages too often. Please wait 3 s ")
    assert "wait 2 min before uploading" in limited_reply("upload", 75, "en")
