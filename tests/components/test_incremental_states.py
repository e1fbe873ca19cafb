"""components/incremental_states.py gives Rasa's own states, call after call, on real conversations.

The fixture is an 80-turn conversation of bench/long_conversation.py as the SQLite store saved it (masked;
intent rankings and bot texts left out: they are not part of any state). Each test grows a tracker the
way Rasa does during a turn (events appended to the same tracker) and across turns (the tracker read
again: new event objects), asks for the states after every event, and compares with Rasa's original
function; the caller's in-place change of the last state (what `_choose_last_user_input` does) is made
on both results before comparing, so a remembered state changed by a caller would show at the next call.
"""
import copy
import json
import random
from pathlib import Path

import pytest
from rasa.shared.core.constants import USER
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    Event,
    Restarted,
    SessionStarted,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)
from components import incremental_states, patching

ROOT = Path(__file__).resolve().parents[2]
EVENTS = json.loads((Path(__file__).parent / "data" / "long_conversation_events.json").read_text(encoding="utf-8"))
RULE_ONLY = {"rule_only_slots": ["requested_slot"], "rule_only_loops": ["diagnosis_form"]}
ARGUMENTS = [
    dict(),  # RulePolicy
    dict(ignore_rule_only_turns=True, rule_only_data=RULE_ONLY),  # MemoizationPolicy
    dict(ignore_rule_only_turns=True, rule_only_data=None),
    dict(omit_unset_slots=True),
]


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


def original(domain, tracker, **kwargs):
    return incremental_states._original(domain, tracker, **kwargs)


def caller_changes(states, use_text):
    # MaxHistoryTrackerFeaturizer._choose_last_user_input
    if states and USER in states[-1]:
        if use_text:
            states[-1][USER].pop("intent", None)
        else:
            states[-1][USER].pop(TEXT, None)
    return states


def _check_growing(domain, events, reload_every, kwargs, seed=0):
    incremental_states._cache.clear()
    rng = random.Random(seed)
    slots = domain.slots
    tracker = DialogueStateTracker("conv", slots)
    for n, data in enumerate(events, 1):
        tracker.update(Event.from_parameters(copy.deepcopy(data)))
        if reload_every and n % reload_every == 0:  # read again from the store: new objects
            tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(events[:n]), slots)
        if n % 3 and n != len(events):
            continue
        use_text = rng.random() < 0.5
        expected = caller_changes(original(domain, tracker, **kwargs), use_text)
        got = caller_changes(domain.states_for_tracker_history(tracker, **kwargs), use_text)
        assert got == expected, f"after event {n}"
    return tracker


def test_installed_for_this_rasa():
    assert patching.get("incremental_states").is_installed()
    assert Domain.states_for_tracker_history is incremental_states.states_for_tracker_history


@pytest.mark.parametrize("kwargs", ARGUMENTS)
@pytest.mark.parametrize("reload_every", [0, 7, 25])
def test_same_states_as_rasa_while_a_long_conversation_grows(domain, kwargs, reload_every):
    _check_growing(domain, EVENTS[:400], reload_every, kwargs)


@pytest.mark.parametrize("kwargs", ARGUMENTS[:2])
def test_same_states_over_the_whole_conversation(domain, kwargs):
    tracker = _check_growing(domain, EVENTS, 11, kwargs, seed=1)
    assert len(tracker.events) == len(EVENTS)


def test_past_states_of_a_tracker_unchanged(domain):
    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS), domain.slots)
    for _ in range(3):
        assert tracker.past_states(domain) == original(domain, tracker)


def test_masked_texts_in_a_reread_tracker_are_redone(domain):
    """The in-turn tracker has a typed number, the tracker read again has it masked: states follow each."""
    incremental_states._cache.clear()
    events = copy.deepcopy(EVENTS[:120])
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    live = DialogueStateTracker.from_dict("conv", events, domain.slots)
    masked = copy.deepcopy(events)
    masked[users[-1]]["text"] = "1101********002X"
    reread = DialogueStateTracker.from_dict("conv", masked, domain.slots)
    for tracker in (live, reread, live, reread):
        for kwargs in ARGUMENTS[:2]:
            assert domain.states_for_tracker_history(tracker, **kwargs) == original(domain, tracker, **kwargs)


@pytest.mark.parametrize("special", [UserUtteranceReverted, ActionReverted, Restarted, SessionStarted])
def test_reverted_and_restarted_turns(domain, special):
    events = copy.deepcopy(EVENTS[:300])
    # insert the event after some user messages and after some actions
    positions = [i for i, e in enumerate(events) if e["event"] in ("user", "action")][5::23]
    for i in reversed(positions):
        events.insert(i + 1, special().as_dict())
    for kwargs in ARGUMENTS[:2]:
        _check_growing(domain, events, 13, kwargs)


def test_other_event_types_and_trackers_go_to_rasa(domain, monkeypatch):
    calls = []
    monkeypatch.setattr(incremental_states, "_original", lambda *a, **k: calls.append(1) or [])
    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[:30]), domain.slots)
    tracker.update(Event.from_parameters({"event": "entities", "entities": []}))
    assert domain.states_for_tracker_history(tracker) == [] and calls
    limited = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[:30]), domain.slots, max_event_history=50)
    domain.states_for_tracker_history(limited)
    assert len(calls) == 2
