"""Warm the model and the action paths when the server starts, so the first answer is as fast as later ones.

Without it the first message after a start pays for what Rasa and its libraries do once, lazily: the
first DIET/TensorFlow inference (graph tracing), the first policy prediction, the first SQL query of the
tracker store, Rasa's HTTP client session to the action server and the action server's own first call
(~100-300 ms more than a later message on this machine).

`warm_up(app)` runs, on a throw-away conversation that is never saved (no tracker store write, no
channel output): the NLU on a few typical messages, predictions through the policies, one custom action
on the action server (action_start_diagnosis, which only returns events), one read of the tracker
store for an id no one has, whole turns of a short conversation kept in memory only (_whole_turns) and
one health check of the action server, and one request to the server itself (_first_request). Failures are logged and never stop the server (the action server may not be
up yet: the first real call then pays for its part).

Hooked into Rasa's Sanic app as an `after_server_start` listener, after Rasa's own listener has loaded
the agent (`app.ctx.agent`): service/serve.py adds `(warmup.listener, "after_server_start")` to
`args.server_listeners`.
"""
from __future__ import annotations

import logging
import time
from typing import Any

logger = logging.getLogger(__name__)

SENDER = "__warm_up__"
MESSAGES = ("证件电子信息核验不合格", "你好", "跳过", "/fail_unspecified")
ACTION = "action_start_diagnosis"
#: The path of the warm-up's own request to the server (no route: 404).
WARM_UP_PATH = "/__warm_up__"
#: A short conversation run whole: a paste (the form asks), a skipped question, a greeting.
TURNS = ("证件电子信息核验不合格", "跳过", "你好")


async def warm_up(app: Any) -> float:
    """Runs the warm-up with the app's agent; returns its duration in milliseconds (0 when no agent)."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = getattr(getattr(app, "ctx", None), "agent", None)
    processor = getattr(agent, "processor", None)
    if processor is None:
        logger.warning("service.warmup.skipped reason=no agent loaded")
        return 0.0
    started = time.perf_counter()
    domain = processor.domain
    tracker = DialogueStateTracker(SENDER, domain.slots)
    try:
        for text in MESSAGES:
            parse_data = await processor.parse_message(UserMessage(text, sender_id=SENDER))
            tracker = DialogueStateTracker(SENDER, domain.slots)
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data))
            processor.predict_next_with_tracker(tracker)
        await agent.tracker_store.retrieve(SENDER + "-none")
    except Exception as error:  # noqa: BLE001 - a warm-up never stops the server
        logger.warning("service.warmup.model_failed error=%s", type(error).__name__)
    try:
        action = processor._get_action(ACTION)
        await action.run(CollectingOutputChannel(), processor.nlg, tracker, domain)
        await _whole_turns(processor)
        from channels.rasa_bridge import action_server_probe

        await action_server_probe().healthy()  # its kept connection, as the channels' first turn checks it
    except Exception as error:  # noqa: BLE001
        logger.warning("service.warmup.actions_failed error=%s", type(error).__name__)
    try:
        await _first_request(app)
    except Exception as error:  # noqa: BLE001
        logger.warning("service.warmup.http_failed error=%s", type(error).__name__)
    _settle_garbage_collector()
    elapsed = (time.perf_counter() - started) * 1000
    logger.info("service.warmup.done ms=%d", elapsed)
    return elapsed


async def _whole_turns(processor: Any) -> None:
    """Whole turns (session start, NLU, policies, the form and its validator on the action server, the
    answer's templates) through a copy of the processor whose tracker store is a fresh in-memory one: the
    real store never sees the warm-up conversation, and requests answered meanwhile use the real one."""
    import copy

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import InMemoryTrackerStore

    throwaway = copy.copy(processor)
    throwaway.tracker_store = InMemoryTrackerStore(processor.domain)
    for text in TURNS:
        await throwaway.handle_message(UserMessage(text, CollectingOutputChannel(), SENDER))


def _settle_garbage_collector() -> None:
    """Collects what loading and the warm-up left, then moves every object alive now (the model, the
    graph, the modules: millions of them) out of the collector's view: gc.freeze(), what CPython
    recommends for a server after its start. Otherwise the collector's next full pass (due soon after
    the warm-up's allocations) walks them all inside someone's turn."""
    import gc

    gc.collect()
    gc.freeze()


async def _first_request(app: Any) -> None:
    """One POST to the server itself, on a path no route serves (answered 404, nothing else done): the
    first request Sanic reads costs ~8 ms more than later ones (measured on the REST webhook and on a
    404 alike), and a customer's first message should not pay for it."""
    import aiohttp

    state = getattr(app, "state", None)
    host, port = getattr(state, "host", None), getattr(state, "port", None)
    if not port:
        return
    if host in (None, "", "0.0.0.0", "::"):
        host = "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        async with session.post(f"http://{host}:{port}{WARM_UP_PATH}", json={"warm_up": True}) as answer:
            await answer.read()


async def listener(app: Any, _loop: Any) -> None:
    """Sanic `after_server_start` listener (Rasa's `server_listeners` signature)."""
    await warm_up(app)
