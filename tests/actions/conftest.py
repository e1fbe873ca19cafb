"""Tracker fixtures for the action tests: a tracker as the action server receives it."""
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from realname.diagnosis import CHECK_SLOTS, FACTS


def make_tracker(
    text="", intent=None, slots=None, ranking=None, active_loop=None, requested_slot=None, input_channel=None,
    metadata=None,
):
    all_slots = {name: None for name in FACTS + CHECK_SLOTS + ("failure_reason", "image_ref")}
    all_slots["requested_slot"] = requested_slot
    all_slots.update(slots or {})
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "intent_ranking": ranking or ([{"name": intent, "confidence": 0.9}] if intent else []),
        "entities": [],
    }
    return Tracker(
        sender_id="test-user",
        slots=all_slots,
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest, "input_channel": input_channel,
                 "metadata": metadata or {}}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def dispatcher():
    return CollectingDispatcher()


@pytest.fixture
def domain():
    return {"slots": {}, "forms": {"diagnosis_form": {"required_slots": list(FACTS)}}}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("REALNAME_TODAY", "2026-11-29")


_DOMAIN = None


async def said(dispatcher: CollectingDispatcher, language: str = "zh"):
    """What the customer sees of the dispatcher's messages: each response rendered by Rasa's own code
    (RemoteAction._utter_responses with domain.yml's responses), in the conversation's language."""
    global _DOMAIN
    from pathlib import Path

    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet as RasaSlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    if _DOMAIN is None:
        _DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    tracker = DialogueStateTracker.from_events("test-user", [RasaSlotSet("language", language)], slots=_DOMAIN.slots)
    nlg = TemplatedNaturalLanguageGenerator(_DOMAIN.responses)
    messages = [dict(message) for message in dispatcher.messages]
    events = await RemoteAction._utter_responses(messages, CollectingOutputChannel(), nlg, tracker)
    return [{"text": event.text or "", "buttons": event.data.get("buttons") or []} for event in events]
