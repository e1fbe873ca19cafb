"""storage.lock_store against a real Redis: a message waiting behind the ticket of an instance that died
(SIGKILL mid-turn) gets the lock once that ticket expires; Rasa's own RedisLockStore never does."""
import asyncio
import json
import time
import urllib.parse

import pytest
from rasa.core import lock_store as rasa_lock_store

from storage.lock_store import RedisLockStore

pytestmark = pytest.mark.cluster
LIFETIME = 2


def _store(cls, redis_url):
    url = urllib.parse.urlsplit(redis_url)
    return cls(host=url.hostname, port=url.port, db=3, key_prefix="locktest")


def _dead_ticket(store, conversation):
    """What an instance killed mid-turn leaves in Redis: the lock with its ticket."""
    lock = {"conversation_id": conversation, "tickets": [json.dumps({"number": 1, "expires": time.time() + LIFETIME})]}
    store.red.set(store.key_prefix + conversation, json.dumps(lock))


async def _time_to_acquire(store, conversation, timeout):
    started = time.monotonic()
    async with store.lock(conversation, lock_lifetime=LIFETIME, wait_time_in_seconds=0.5):
        return time.monotonic() - started


async def test_rasa_s_lock_never_serves_a_ticket_that_expired_while_waiting(redis_url):
    store = _store(rasa_lock_store.RedisLockStore, redis_url)
    _dead_ticket(store, "rasa-conv")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_time_to_acquire(store, "rasa-conv", 0), LIFETIME * 3)
    store.red.delete(store.key_prefix + "rasa-conv")


async def test_the_waiter_gets_the_lock_once_the_dead_ticket_expired(redis_url, monkeypatch):
    monkeypatch.setattr(rasa_lock_store, "LOCK_LIFETIME", LIFETIME)
    store = _store(RedisLockStore, redis_url)
    _dead_ticket(store, "conv")
    waited = await asyncio.wait_for(_time_to_acquire(store, "conv", 0), LIFETIME * 3)
    assert LIFETIME - 0.5 < waited < LIFETIME + 1.5
    assert store.get_lock("conv") is None  # cleaned up as Rasa does


async def test_live_tickets_still_serialise_the_turns(redis_url, monkeypatch):
    monkeypatch.setattr(rasa_lock_store, "LOCK_LIFETIME", 10)
    store, order = _store(RedisLockStore, redis_url), []

    async def turn(name, hold):
        async with store.lock("serial", lock_lifetime=10, wait_time_in_seconds=0.05):
            order.append(f"{name}+")
            await asyncio.sleep(hold)
            order.append(f"{name}-")

    first = asyncio.ensure_future(turn("a", 0.5))
    await asyncio.sleep(0.05)
    await asyncio.gather(first, turn("b", 0.1))
    assert order == ["a+", "a-", "b+", "b-"]


def test_built_from_the_endpoints_file_like_rasa_builds_it(redis_url):
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    url = urllib.parse.urlsplit(redis_url)
    store = LockStore.create(EndpointConfig(url=url.hostname, type="storage.lock_store.RedisLockStore", port=url.port,
                                            db=3, key_prefix="realname", socket_timeout=2))
    assert isinstance(store, RedisLockStore) and store.key_prefix == "realname:lock:"
    assert store.red.ping()


def _redis_calls(store):
    stats = store.red.info("commandstats")
    return {name: stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("get", "set", "del")}


async def test_a_message_that_waits_for_no_one_costs_four_redis_calls_instead_of_rasa_s_seven(redis_url):
    for cls, expected in ((RedisLockStore, {"get": 2, "set": 1, "del": 1}),
                          (rasa_lock_store.RedisLockStore, {"get": 4, "set": 2, "del": 1})):
        store = _store(cls, redis_url)
        before = _redis_calls(store)
        async with store.lock(f"calls-{cls.__module__}", lock_lifetime=10, wait_time_in_seconds=0.05):
            pass
        after = _redis_calls(store)
        assert {name: after[name] - before[name] for name in after} == expected, cls
        assert store.get_lock(f"calls-{cls.__module__}") is None


async def test_a_waiter_s_ticket_is_kept_when_the_holder_ends(redis_url):
    store = _store(RedisLockStore, redis_url)
    holder = store.issue_ticket("handover", 10)
    waiter = store.issue_ticket("handover", 10)
    store.cleanup("handover", holder)
    lock = store.get_lock("handover")
    assert [ticket.number for ticket in lock.tickets] == [waiter] and not lock.is_locked(waiter)
    store.cleanup("handover", waiter)
    assert store.get_lock("handover") is None


async def test_a_turn_that_waited_for_another_holder_runs_the_caller_s_check_once_it_holds_the_lock(redis_url):
    from storage.lock_store import after_waiting

    store, seen = _store(RedisLockStore, redis_url), []

    async def check():
        lock = store.get_lock("recheck")  # the holder is gone; only this turn's ticket is left
        seen.append(lock is not None and [t.number for t in lock.tickets] == [holder + 1])

    after_waiting.set(check)
    async with store.lock("alone", lock_lifetime=10, wait_time_in_seconds=0.05):
        pass
    assert seen == []  # waited for no one: nothing more to check, nothing more to pay

    holder = store.issue_ticket("recheck", 10)
    released = asyncio.get_running_loop().call_later(0.3, store.cleanup, "recheck", holder)
    async with store.lock("recheck", lock_lifetime=10, wait_time_in_seconds=0.05):
        pass
    released.cancel()
    assert seen == [True]


async def test_what_the_check_raises_reaches_the_caller_and_the_ticket_is_given_back(redis_url):
    from storage.lock_store import after_waiting

    store = _store(RedisLockStore, redis_url)

    async def answered_meanwhile():
        raise LookupError("the other instance saved this turn")

    after_waiting.set(answered_meanwhile)
    holder = store.issue_ticket("given-back", 10)
    asyncio.get_running_loop().call_later(0.2, store.cleanup, "given-back", holder)
    with pytest.raises(LookupError):
        async with store.lock("given-back", lock_lifetime=10, wait_time_in_seconds=0.05):
            raise AssertionError("the turn must not run")
    assert store.get_lock("given-back") is None
