"""components/action_call_events.py: our actions answer the same to the current-turn request as to Rasa's.

Every custom action of the domain is run through rasa_sdk's own executor (as the action server runs it)
with Rasa's original request and with the trimmed one, at points all along a real 80-turn conversation
(tests/components/data/long_conversation_events.json), including the form validator with slot candidates
at the end of the events as Rasa's form sends them.
"""
import asyncio
import copy
import json
from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)
from components import action_call_events, patching

ROOT = Path(__file__).resolve().parents[2]
EVENTS = json.loads((Path(__file__).parent / "data" / "long_conversation_events.json").read_text(encoding="utf-8"))
ENDPOINT = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def executor():
    executor = ActionExecutor()
    executor.register_package("actions")
    return executor


def custom_actions(domain):
    return [name for name in domain.user_actions if name.startswith(("action_", "validate_"))]


def run(executor, payload):
    # the action server receives JSON
    return asyncio.run(executor.run(json.loads(json.dumps(payload, ensure_ascii=False))))


def test_installed_for_this_rasa():
    assert patching.get("action_call_events").is_installed()
    assert RemoteAction._action_call_format is action_call_events._action_call_format


def test_only_the_current_turn_is_sent_the_rest_is_rasa_s(domain):
    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS), domain.slots)
    action = RemoteAction("action_explain_failure", ENDPOINT)
    ours, rasas = action._action_call_format(tracker, domain), action_call_events._original(action, tracker, domain)
    assert ours.keys() == rasas.keys()
    assert {k: v for k, v in ours["tracker"].items() if k != "events"} == {
        k: v for k, v in rasas["tracker"].items() if k != "events"}
    assert ours["tracker"]["events"][0]["event"] == "user"
    assert rasas["tracker"]["events"][-len(ours["tracker"]["events"]):] == ours["tracker"]["events"]
    assert len(json.dumps(ours)) < len(json.dumps(rasas)) / 20
    validator = RemoteAction("validate_diagnosis_form", ENDPOINT)
    assert "domain" in validator._action_call_format(tracker, domain)
    assert "domain" not in ours


def test_every_action_answers_the_same_along_a_real_conversation(domain, executor):
    names = custom_actions(domain)
    assert {"action_start_diagnosis", "action_explain_failure", "validate_diagnosis_form"} <= set(names)
    users = [i for i, e in enumerate(EVENTS) if e["event"] == "user"]
    checked = 0
    for u in users[::3] + [len(EVENTS) - 1]:
        # after the user message and Rasa's first events of the turn
        tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[: u + 3]), domain.slots)
        for name in names:
            action = RemoteAction(name, ENDPOINT)
            ours = run(executor, action._action_call_format(tracker, domain))
            rasas = run(executor, action_call_events._original(action, tracker, domain))
            assert ours == rasas, (name, u)
            checked += 1
        # the form's validator, with the slot candidates at the end as Rasa's FormAction sends them
        candidate = tracker.copy()
        requested = tracker.get_slot("requested_slot") or "doc_number"
        candidate.update(SlotSet(requested, "跳过"))
        validator = RemoteAction("validate_diagnosis_form", ENDPOINT)
        assert run(executor, validator._action_call_format(candidate, domain)) == run(
            executor, action_call_events._original(validator, candidate, domain))
    assert checked > 100


def test_full_history_actions_get_rasa_s_request(domain, monkeypatch):
    monkeypatch.setattr(action_call_events, "FULL_HISTORY_ACTIONS", frozenset({"action_handoff"}))
    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[:200]), domain.slots)
    action = RemoteAction("action_handoff", ENDPOINT)
    assert action._action_call_format(tracker, domain)["tracker"]["events"] == [
        e.as_dict() for e in tracker.events]
    assert tracker.current_state(EventVerbosity.ALL)["events"] == [e.as_dict() for e in tracker.events]


