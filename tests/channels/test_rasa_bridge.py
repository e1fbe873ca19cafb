"""channels.rasa_bridge: one message through Rasa (a fake on_new_message stands in for Rasa)."""

import logging

import pytest

from channels.rasa_bridge import ask_rasa
from channels.replies import reply

FALLBACK_REPLY = reply("channel_fallback", "zh")


@pytest.mark.asyncio
async def test_ask_rasa_collects_answers():
    seen = {}

    async def on_new_message(message):
        seen["text"], seen["sender"], seen["channel"] = message.text, message.sender_id, message.input_channel
        await message.output_channel.send_text_with_buttons(
            message.sender_id,
            "原因：库中无此号",
            [{"title": "转人工", "payload": "/ask_human"}],
        )

    out = await ask_rasa(on_new_message, "库中无此号", "web-abc", "web")
    assert seen == {"text": "库中无此号", "sender": "web-abc", "channel": "web"}
    assert out[0]["text"] == "原因：库中无此号" and out[0]["buttons"][0]["payload"] == "/ask_human"


@pytest.mark.asyncio
async def test_ask_rasa_failure_gives_fallback_and_logs_no_body(caplog):
    async def on_new_message(message):
        raise RuntimeError("boom 110101199003070011")

    with caplog.at_level(logging.ERROR, logger="channels.rasa_bridge"):
        out = await ask_rasa(on_new_message, "身份证110101199003070011", "web-abc", "web")
    assert out == [{"recipient_id": "web-abc", "text": FALLBACK_REPLY}]
    assert "channels.rasa.failed" in caplog.text
    assert "110101199003070011" not in caplog.text
    assert "boom 1101********0011" in caplog.text  # masked as the tracker store masks it


@pytest.mark.asyncio
async def test_ask_rasa_logs_a_silent_turn(caplog):
    async def on_new_message(message):
        return None

    with caplog.at_level(logging.WARNING, logger="channels.rasa_bridge"):
        assert await ask_rasa(on_new_message, "你好", "web-abc", "web") == []
    assert "channels.rasa.no_answer" in caplog.text


@pytest.mark.asyncio
async def test_a_failure_is_answered_in_the_language_the_customer_wrote_in():
    async def on_new_message(message):
        raise RuntimeError("boom")

    english = await ask_rasa(on_new_message, "Certificate number cannot be found", "web-abc", "web")
    assert english[0]["text"].startswith("Sorry, your message could not be handled")
    number_only = await ask_rasa(on_new_message, "11010519491231002X", "web-new-sender", "web")
    assert number_only[0]["text"] == FALLBACK_REPLY  # nothing to tell: Chinese, the default
    assert FALLBACK_REPLY.startswith("抱歉，系统暂时无法处理您的消息")


@pytest.mark.asyncio
async def test_a_failure_after_an_english_answer_is_in_english_even_for_a_bare_number():
    async def answers_in_english(message):
        await message.output_channel.send_text_message(message.sender_id, "Which document type did you submit?")

    async def fails(message):
        raise RuntimeError("boom")

    await ask_rasa(answers_in_english, "Certificate number cannot be found", "web-en-customer", "web")
    out = await ask_rasa(fails, "11010519491231002X", "web-en-customer", "web")
    assert out[0]["text"].startswith("Sorry, your message could not be handled")
    other = await ask_rasa(fails, "11010519491231002X", "web-zh-customer", "web")
    assert other[0]["text"] == FALLBACK_REPLY


class SlowHealth:
    """An action server whose /health answers after `delay` seconds; counts the checks."""

    def __init__(self, delay, status=200):
        self.delay, self.status, self.checks = delay, status, 0

    async def __aenter__(self):
        import asyncio

        from aiohttp import web

        async def health(_request):
            self.checks += 1
            await asyncio.sleep(self.delay)
            return web.Response(status=self.status)

        app = web.Application()
        app.router.add_get("/health", health)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/health"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


async def test_turns_arriving_together_share_one_health_check_and_wake_together():
    import asyncio
    import time

    from channels.rasa_bridge import ActionServerProbe

    stop = False

    async def other_turn():  # a loaded server: every loop iteration runs 5 ms of each turn in progress
        while not stop:
            time.sleep(0.005)
            await asyncio.sleep(0)

    async with SlowHealth(0.2) as server:
        probe = ActionServerProbe(server.url)
        load = [asyncio.ensure_future(other_turn()) for _ in range(20)]
        started = time.monotonic()
        done = []

        async def turn():
            ok = await probe.healthy()
            done.append(time.monotonic() - started)
            return ok

        answers = await asyncio.gather(*(turn() for _ in range(30)))
        stop = True
        await asyncio.gather(*load)
        assert answers == [True] * 30
        assert server.checks == 1
        # all in one loop iteration (~0.1 s here); behind a lock one per iteration: 3 s
        assert max(done) - min(done) < 0.3
        assert await probe.healthy() and server.checks == 1  # trusted for ok_ttl


async def test_a_turn_cancelled_while_waiting_leaves_the_check_to_the_others():
    import asyncio

    from channels.rasa_bridge import ActionServerProbe

    async with SlowHealth(0.2, status=503) as server:
        probe = ActionServerProbe(server.url)
        impatient = asyncio.ensure_future(probe.healthy())
        patient = asyncio.ensure_future(probe.healthy())
        await asyncio.sleep(0.05)
        impatient.cancel()
        assert await patient is False  # the 503 reached the other turn
        assert server.checks == 1
        probe.forget()
        assert await probe.healthy() is False and server.checks == 2  # forget: a new check


@pytest.mark.asyncio
async def test_a_retried_request_whose_turn_was_saved_while_it_waited_gets_that_answer_not_a_second_turn():
    """Behind the proxy: the killed instance's last write lands after the first replay check ran; the
    retried turn, once it holds the sender's lock (storage.lock_store.after_waiting), finds it."""
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from storage.lock_store import after_waiting

    store = InMemoryTrackerStore(Domain.empty())
    ran = []

    async def on_new_message(message):
        # what the killed instance had saved, reaching the store only now
        await store.save(DialogueStateTracker.from_events(message.sender_id, [
            UserUttered("库中无此号", message_id="req-7"), BotUttered("原因：库中无此号（第一次的回答）")]))
        check = after_waiting.get()
        assert check is not None
        await check()  # as the lock store does once the lock is held after waiting
        ran.append("turn")
        await message.output_channel.send_text_message(message.sender_id, "第二次的回答")

    out = await ask_rasa(on_new_message, "库中无此号", "rest-9", "rest", message_id="req-7", tracker_store=store)
    assert [m["text"] for m in out] == ["原因：库中无此号（第一次的回答）"] and ran == []

    async def plain_turn(message):
        ran.append(after_waiting.get())
        await message.output_channel.send_text_message(message.sender_id, "回答")

    assert (await ask_rasa(plain_turn, "你好", "rest-10", "rest"))[0]["text"] == "回答"
    assert ran == [None]  # without a proxy's request id there is nothing to re-check


@pytest.mark.asyncio
async def test_a_retried_restart_is_answered_from_what_was_saved_though_it_started_a_new_session(tmp_path):
    """The turn the killed instance saved was 「重新开始」: its answer lies after the message, across the new
    session's start, where a read of the latest session no longer shows the message (seen in the cluster's
    kill test: the restart ran twice)."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from storage.tracker_store import MaskingSQLTrackerStore
    from tests.storage.test_tracker_store import DOMAIN

    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "c.db"))
    await store.save(DialogueStateTracker.from_events("rest-11", [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("库中无此号", message_id="req-first-1"), BotUttered("原因：库中无此号"),
        ActionExecuted("action_listen"),
        UserUttered("重新开始", message_id="req-restart-1"), ActionExecuted("action_restart"),
        BotUttered("已重新开始"), Restarted(), ActionExecuted("action_session_start"), SessionStarted(),
        ActionExecuted("action_listen"),
    ]))
    assert all(getattr(e, "message_id", None) != "req-restart-1" for e in (await store.retrieve("rest-11")).events)
    ran = []

    async def on_new_message(message):
        ran.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "第二次的回答")

    out = await ask_rasa(on_new_message, "重新开始", "rest-11", "rest", message_id="req-restart-1", tracker_store=store)
    assert [m["text"] for m in out] == ["已重新开始"] and ran == []
    out = await ask_rasa(on_new_message, "库中无此号", "rest-11", "rest", message_id="req-first-1", tracker_store=store)
    assert [m["text"] for m in out] == ["原因：库中无此号"] and ran == []  # up to the next message only
    await ask_rasa(on_new_message, "你好", "rest-11", "rest", message_id="req-new-0001", tracker_store=store)
    assert ran == ["你好"]  # a request id not stored: the turn runs
