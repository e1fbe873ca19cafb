"""Running one user message through Rasa, for every channel.

:func:`ask_rasa` hands the text to Rasa and returns the bot's messages (CollectingOutputChannel). It
refuses the turn while the action server is down (:class:`ActionServerProbe`), cancels a turn that
takes longer than REALNAME_TURN_TIMEOUT seconds, turns any failure into a reply, and answers a
request the cluster's proxy retried with the answer saved the first time (:func:`earlier_answer`).
"""

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from channels.log_privacy import masked_for_log, safe_url, short_id
from channels.replies import fallback_reply, reply_languages, service_busy_reply
from channels.settings import env_str

logger = logging.getLogger(__name__)

#: The action server's health URL (service/serve.py sets it from endpoints.yml) and the longest a turn may
#: take before the user is told to try again (Rasa itself waits up to 5 minutes for an action).
ACTIONS_HEALTH_URL_ENV = "REALNAME_ACTIONS_HEALTH_URL"
TURN_TIMEOUT_ENV = "REALNAME_TURN_TIMEOUT"
DEFAULT_TURN_TIMEOUT = 10.0


class ActionServerProbe:
    """Is the action server up? Asked before a message goes to Rasa, because when it is down Rasa
    still runs the turn: it logs the failed action, goes on predicting, answers nothing and saves a
    conversation in which the action "ran" (the form never started). Refusing the turn instead
    keeps the conversation where it was. A healthy answer is trusted for `ok_ttl` seconds (a GET on a
    kept-alive loopback connection costs well under a millisecond; a new connection per check cost a few:
    the first message after a pause paid them); a server that dies within that moment is caught after
    the turn (see ask_rasa). A kept connection the server has closed meanwhile is retried once on a new
    one before the server counts as down."""

    def __init__(self, url: Optional[str], ok_ttl: float = 0.5, down_ttl: float = 1.0, timeout: float = 1.5) -> None:
        self.url = url
        self.ok_ttl, self.down_ttl, self.timeout = ok_ttl, down_ttl, timeout
        self._until = 0.0
        self._ok = True
        self._pending: Optional["asyncio.Future[bool]"] = None  # the check in progress, awaited by every turn
        self._session: Any = None  # aiohttp.ClientSession, made in the probe's event loop

    def forget(self) -> None:
        self._until = 0.0
        self._pending = None  # a check begun before this moment does not answer for after it

    async def healthy(self) -> bool:
        """Every turn arriving while the answer is out of date awaits one shared check: they all wake in
        the same loop iteration when it ends (behind a lock they woke one per iteration, and under load
        the last of twenty waited a second and more). Shielded: a turn cancelled by its timeout leaves the
        check running for the others."""
        if not self.url:
            return True
        if time.monotonic() < self._until:
            return self._ok
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._refresh())
        return await asyncio.shield(self._pending)

    async def _refresh(self) -> bool:
        ok = await self._check()
        if ok is None:  # the kept connection was closed: once more on a new one
            ok = await self._check(fresh=True)
        ok = bool(ok)
        if ok != self._ok:
            log = logger.info if ok else logger.error
            log("channels.actions.%s url=%s", "up" if ok else "down", safe_url(self.url))
        self._ok = ok
        self._until = time.monotonic() + (self.ok_ttl if ok else self.down_ttl)
        return ok

    async def _check(self, fresh: bool = False) -> Optional[bool]:
        """True: healthy; False: not (an error status, no answer in time); None: the connection failed."""
        import aiohttp  # Rasa's own HTTP client

        if fresh or self._session is None or self._session.closed:
            if self._session is not None:
                await self._session.close()
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.get(self.url) as answer:
                return answer.status == 200
        except asyncio.TimeoutError:
            return False
        except (aiohttp.ClientError, OSError):
            return None


_probes: Dict[Tuple[int, str], ActionServerProbe] = {}


def action_server_probe() -> ActionServerProbe:
    """One probe per event loop (its lock belongs to the loop)."""
    url = env_str(ACTIONS_HEALTH_URL_ENV)
    key = (id(asyncio.get_running_loop()), url)
    if key not in _probes:
        _probes[key] = ActionServerProbe(url or None)
    return _probes[key]


def turn_timeout() -> float:
    try:
        return max(1.0, float(env_str(TURN_TIMEOUT_ENV) or DEFAULT_TURN_TIMEOUT))
    except ValueError:
        return DEFAULT_TURN_TIMEOUT


#: Keys of a bot message as CollectingOutputChannel returns them (besides recipient_id and text).
_MESSAGE_KEYS = ("buttons", "image", "custom", "attachment", "quick_replies", "elements")


async def earlier_answer(tracker_store: Any, sender_id: str, message_id: Optional[str]) -> Optional[List[Dict[str, Any]]]:
    """The bot's messages to an earlier user message with `message_id`, or None if there was none.

    Behind the cluster's proxy a request is sent again to another instance when the first one died;
    if that one had already saved the turn (and died before answering), running it again would
    store the message twice and answer it out of context. The proxy's X-Request-ID stays the same
    across the retry, so the turn is found and its answer sent instead, also when that turn started a
    new session (a restart): its message then lies before the latest session."""
    if not message_id or tracker_store is None:
        return None
    from rasa.shared.core.events import BotUttered, Event, UserUttered

    store = getattr(tracker_store, "_tracker_store", tracker_store)  # under Rasa's FailSafeTrackerStore
    answer_to = getattr(store, "answer_to", None)
    if answer_to is not None:  # storage.tracker_store: one query over all the sender's rows
        stored = await answer_to(sender_id, message_id)
        events = None if stored is None else [e for e in map(Event.from_parameters, stored) if e is not None]
    else:  # another store: the turn is looked for in the latest session
        tracker = await store.retrieve(sender_id)
        events = None
        for event in tracker.events if tracker is not None else ():
            if isinstance(event, UserUttered):
                if events is not None:
                    break
                if event.message_id == message_id:
                    events = []
            elif events is not None:
                events.append(event)

    answer: Optional[List[Dict[str, Any]]] = None
    if events is not None:
        answer = []
        for event in events:
            if isinstance(event, BotUttered):
                message = {"recipient_id": sender_id, "text": event.text}
                message.update({k: v for k, v in (event.data or {}).items() if k in _MESSAGE_KEYS and v is not None})
                answer.append({k: v for k, v in message.items() if v is not None})
    if answer is not None:
        logger.info("channels.rasa.replayed sender=%s messages=%d (a retried request)", short_id(sender_id), len(answer))
    return answer


def agent_tracker_store(request: Any) -> Any:
    """The running Rasa agent's tracker store (None before the model is loaded)."""
    agent = getattr(getattr(request.app, "ctx", None), "agent", None)
    return getattr(agent, "tracker_store", None)


def request_id(request: Any) -> Optional[str]:
    """The proxy's id of this request (nginx: X-Request-ID $request_id), kept across its retries."""
    value = (request.headers.get("x-request-id") or "").strip()
    return value[:128] or None


class _AnsweredMeanwhile(Exception):
    """The turn found, once it held the sender's lock, that the instance it waited for had answered it."""

    def __init__(self, answer: List[Dict[str, Any]]) -> None:
        super().__init__("answered meanwhile")
        self.answer = answer


def _recheck_once_locked(tracker_store: Any, sender_id: str, message_id: str) -> Any:
    """For storage.lock_store.after_waiting: the instance a retried request waited for may have saved
    the turn after the first check ran (its last write reached the database after it was killed)."""

    async def check() -> None:
        answer = await earlier_answer(tracker_store, sender_id, message_id)
        if answer is not None:
            raise _AnsweredMeanwhile(answer)

    return check


async def ask_rasa(
    on_new_message: Callable[[Any], Awaitable[Any]],
    text: str,
    sender_id: str,
    input_channel: str,
    metadata: Optional[Dict[str, Any]] = None,
    message_id: Optional[str] = None,
    tracker_store: Any = None,
) -> List[Dict[str, Any]]:
    """Hands `text` to Rasa and returns the messages the bot answered (CollectingOutputChannel).

    When Rasa fails and said nothing, returns one fallback message, so the user is never left with
    silence. The failure is logged (type and masked reason, not the user's text). When the action
    server is down, or the turn takes longer than REALNAME_TURN_TIMEOUT seconds, the turn is not
    run (or is cancelled before Rasa saves it) and the user is asked to send it again: the
    conversation stays where it was. With `tracker_store` and `message_id` (a proxy's request id), a
    request retried after its first instance died gets the answer saved then (earlier_answer), checked
    before the turn and again once the sender's lock is held if another holder had it.
    """
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from storage.lock_store import after_waiting

    if tracker_store is not None and message_id:
        try:
            earlier = await earlier_answer(tracker_store, sender_id, message_id)
        except Exception as e:  # noqa: BLE001 - the store is down: the turn below fails with a reply too
            logger.warning("channels.rasa.replay_check_failed error=%s", type(e).__name__)
            earlier = None
        if earlier is not None:
            return earlier
    if not await action_server_probe().healthy():
        logger.error("channels.rasa.refused channel=%s sender=%s reason=action server down", input_channel,
                     short_id(sender_id))
        return [{"recipient_id": sender_id, "text": service_busy_reply(sender_id, text)}]
    collector = CollectingOutputChannel()
    started = time.monotonic()
    # in this task's context only (wait_for's task copies it), for this turn
    after_waiting.set(_recheck_once_locked(tracker_store, sender_id, message_id)
                      if tracker_store is not None and message_id else None)
    try:
        await asyncio.wait_for(
            on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender_id,
                    input_channel=input_channel,
                    message_id=message_id,
                    metadata=metadata,
                )
            ),
            timeout=turn_timeout(),
        )
    except asyncio.TimeoutError:
        # Rasa saves a turn at its very end, so a cancelled turn left the conversation as it was:
        # what it had collected so far is dropped and the user sends the message again.
        logger.error("channels.rasa.timeout channel=%s sender=%s after=%.1fs", input_channel, short_id(sender_id),
                     time.monotonic() - started)
        return [{"recipient_id": sender_id, "text": service_busy_reply(sender_id, text)}]
    except _AnsweredMeanwhile as replayed:
        return replayed.answer
    except asyncio.CancelledError:
        logger.error(
            "channels.rasa.cancelled channel=%s sender=%s", input_channel, short_id(sender_id)
        )
        if not collector.messages:
            return [{"recipient_id": sender_id, "text": fallback_reply(sender_id, text)}]
    except Exception as e:  # noqa: BLE001 - any failure inside Rasa must become a reply
        logger.error(
            "channels.rasa.failed channel=%s sender=%s error=%s: %s",
            input_channel,
            short_id(sender_id),
            type(e).__name__,
            masked_for_log(e),
        )
        logger.debug("channels.rasa.failed traceback", exc_info=True)
        if not collector.messages:
            return [{"recipient_id": sender_id, "text": fallback_reply(sender_id, text)}]
    if not collector.messages:
        probe = action_server_probe()
        probe.forget()
        if not await probe.healthy():
            # The action server went down during the turn: Rasa answered nothing.
            logger.error("channels.rasa.no_answer channel=%s sender=%s reason=action server down", input_channel,
                         short_id(sender_id))
            return [{"recipient_id": sender_id, "text": service_busy_reply(sender_id, text)}]
        logger.warning(
            "channels.rasa.no_answer channel=%s sender=%s (the bot said nothing this turn)",
            input_channel,
            short_id(sender_id),
        )
    logger.info(
        "channels.rasa.answered channel=%s sender=%s in_len=%d messages=%d ms=%d",
        input_channel,
        short_id(sender_id),
        len(text or ""),
        len(collector.messages),
        int((time.monotonic() - started) * 1000),
    )
    reply_languages.note_answer(sender_id, collector.messages)
    return list(collector.messages)
