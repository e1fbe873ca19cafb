"""components.applied_events, tracker_copy, form_temporary_tracker, rule_debug_log and memoization_debug_log
give what Rasa's own functions give, call after call, on a real conversation (the 80-turn fixture of
test_incremental_states.py), growing the way Rasa grows a tracker (events appended to the same tracker)
and read again (new objects), with reverted and restarted turns inserted."""
import copy
import json
import logging
from pathlib import Path

import pytest
import structlog
from rasa.core.actions.forms import FormAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, Event, Restarted, SessionStarted, SlotSet,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)
from components import applied_events, form_temporary_tracker, memoization_debug_log, patching, rule_debug_log, tracker_copy

ROOT = Path(__file__).resolve().parents[2]
EVENTS = json.loads((Path(__file__).parent / "data" / "long_conversation_events.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


def state(tracker, events_by_identity=True):
    """Everything a tracker holds: events (the objects, or their contents), slots, the rest."""
    data = dict(tracker.__dict__)
    events = list(data.pop("events"))
    slots = {name: (type(slot), dict(slot.__dict__)) for name, slot in data.pop("slots").items()}
    rest = {}
    for name in ("latest_message", "latest_bot_utterance"):
        value = data.pop(name)
        in_events = any(value is e for e in events)
        # a placeholder (no user message / bot utterance yet) is new in every tracker, its time too
        rest[name] = ("event", [i for i, e in enumerate(events) if e is value][-1]) if in_events else (
            type(value), {k: v for k, v in value.as_dict().items() if k != "timestamp"} if value is not None else None)
    return ([id(e) for e in events] if events_by_identity else [e.as_dict() for e in events]), slots, rest, data


def with_special(special, events):
    events = copy.deepcopy(events)
    positions = [i for i, e in enumerate(events) if e["event"] in ("user", "action")][5::23]
    for i in reversed(positions):
        events.insert(i + 1, special().as_dict())
    return events


def grown(domain, events, reload_every, check):
    tracker = DialogueStateTracker("conv", domain.slots)
    for n, data in enumerate(events, 1):
        tracker.update(Event.from_parameters(copy.deepcopy(data)))
        if reload_every and n % reload_every == 0:
            tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(events[:n]), domain.slots)
        if n % 2 and n != len(events):
            continue
        check(tracker, n)
    return tracker


CASES = [(EVENTS, 0), (EVENTS, 9), (with_special(UserUtteranceReverted, EVENTS[:300]), 13),
         (with_special(ActionReverted, EVENTS[:300]), 0), (with_special(Restarted, EVENTS[:300]), 11),
         (with_special(SessionStarted, EVENTS[:300]), 0)]


def test_installed_for_this_rasa():
    for name in ("applied_events", "tracker_copy", "form_temporary_tracker", "rule_debug_log", "memoization_debug_log"):
        assert patching.get(name).is_installed(), name
    assert DialogueStateTracker.applied_events is applied_events.applied_events
    assert DialogueStateTracker.copy is tracker_copy.copy


@pytest.mark.parametrize("events,reload_every", CASES)
def test_applied_events_as_rasa(domain, events, reload_every):
    applied_events._memo.clear()

    def check(tracker, n):
        expected = applied_events._original(tracker)
        for _ in range(2):
            got = tracker.applied_events()
            assert [id(e) for e in got] == [id(e) for e in expected], f"after event {n}"
            got.append(None)  # a caller's change of the list reaches nothing remembered

    grown(domain, events, reload_every, check)


@pytest.mark.parametrize("events,reload_every", CASES)
def test_tracker_copy_as_rasa(domain, events, reload_every):
    tracker_copy._memo.clear()

    def check(tracker, n):
        expected = tracker_copy._original(tracker)
        got = tracker.copy()
        assert state(got) == state(expected), f"after event {n}"
        # what a caller does to a copy (processor._run_action: update_with_events, an action) reaches
        # neither the tracker nor the next copy
        got.update(SlotSet("region", "中国香港"))
        got.update(ActionExecuted("action_listen"))
        if got.active_loop is not None:
            got.active_loop.is_interrupted = not got.active_loop.is_interrupted
            got.active_loop.rejected = True
        assert state(tracker.copy()) == state(tracker_copy._original(tracker))

    grown(domain, events, reload_every, check)


def test_a_copy_of_a_copy_and_the_tracker_again(domain):
    tracker_copy._memo.clear()
    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[:500]), domain.slots)
    for data in EVENTS[500:560]:
        temporary = tracker.copy()
        temporary.update(Event.from_parameters(copy.deepcopy(data)))
        assert state(temporary.copy()) == state(tracker_copy._original(temporary))
        tracker.update(Event.from_parameters(copy.deepcopy(data)))
        assert state(tracker.copy()) == state(tracker_copy._original(tracker))


def test_remembered_replay_from_the_store_is_used_and_right(domain):
    tracker_copy._memo.clear()
    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[:400]), domain.slots)
    replay = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[:0]), domain.slots)
    for event in tracker.events:
        replay.update(event)
    tracker_copy.remember(tracker, replay)
    assert state(tracker.copy()) == state(tracker_copy._original(tracker))
    assert state(replay) == state(tracker_copy._original(tracker))  # kept as it was


@pytest.mark.parametrize("events", [EVENTS, with_special(Restarted, EVENTS[:300])])
def test_form_temporary_tracker_as_rasa(domain, events):
    form = FormAction("diagnosis_form", None)
    tracker_copy._memo.clear()

    def check(tracker, n):
        extra = [SlotSet("doc_number", "1101********002X")]
        expected = form_temporary_tracker._original(form, tracker, extra, domain)
        got = form._temporary_tracker(tracker, extra, domain)
        e_events, e_slots, e_rest, e_data = state(expected, events_by_identity=False)
        g_events, g_slots, g_rest, g_data = state(got, events_by_identity=False)
        strip = lambda rows: [{k: v for k, v in row.items() if k != "timestamp"} for row in rows]  # noqa: E731
        assert strip(g_events) == strip(e_events) and g_slots == e_slots and g_data == e_data, f"after event {n}"
        assert [id(e) for e in got.events][:-3] == [id(e) for e in expected.events][:-3]

    grown(domain, events, 17, check)


@pytest.fixture()
def log_level():
    def configure(level):
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))
    yield configure
    structlog.reset_defaults()


def test_rule_policy_debug_text_only_when_logged(log_level):
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy

    states = [{}, {"user": {"intent": "greet"}, "prev_action": {"action_name": "action_listen"}}]
    log_level(logging.INFO)
    assert RulePolicy.format_tracker_states(states) == ""
    log_level(logging.DEBUG)
    assert RulePolicy.format_tracker_states(states) == Policy.format_tracker_states(states) != ""


def test_memoization_debug_copy_only_when_logged(log_level):
    from rasa.core.policies import memoization

    states = [{"user": {"intent": "greet"}}]
    log_level(logging.INFO)
    assert memoization.copy.deepcopy(states) is states
    log_level(logging.DEBUG)
    copied = memoization.copy.deepcopy(states)
    assert copied == states and copied is not states and copied[0] is not states[0]


def test_rule_possible_keys_as_rasa(domain):
    import random

    from rasa.core.policies.rule_policy import RulePolicy

    from components import rule_possible_keys

    assert patching.get("rule_possible_keys").is_installed() and RulePolicy._get_possible_keys is rule_possible_keys._get_possible_keys
    policy = RulePolicy.__new__(RulePolicy)
    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS), domain.slots)
    from components import incremental_states

    states = incremental_states._original(domain, tracker)
    rng = random.Random(3)
    # rules: windows of the conversation's own states (so some match), of 1 to 6 turns, some changed
    keys = set()
    for _ in range(300):
        length = rng.randint(1, 6)
        start = rng.randint(0, len(states) - length)
        window = copy.deepcopy(states[start:start + length])
        if rng.random() < 0.3 and window[-1]:
            window[-1].pop(next(iter(window[-1])))
        keys.add(json.dumps(window, sort_keys=True))
    lookup = {key: "action" for key in keys}
    for end in range(1, len(states) + 1, 3):
        current = states[:end]
        expected = rule_possible_keys._original(policy, lookup, current)
        assert rule_possible_keys._get_possible_keys(policy, lookup, current) == expected
    assert any(rule_possible_keys._original(policy, lookup, states[:end]) for end in range(1, len(states)))


def rule_snippet_events(events):
    """The conversation with a rule snippet turn ("...", what rules begin with) here and there."""
    from rasa.shared.core.constants import RULE_SNIPPET_ACTION_NAME

    events = copy.deepcopy(events)
    positions = [i for i, e in enumerate(events) if e["event"] == "action"][7::31]
    for i in reversed(positions):
        events.insert(i + 1, ActionExecuted(RULE_SNIPPET_ACTION_NAME).as_dict())
    return events


@pytest.mark.parametrize("events,reload_every", CASES[:3] + [(rule_snippet_events(EVENTS[:400]), 7)])
@pytest.mark.parametrize("policy_kwargs", [{}, dict(ignore_rule_only_turns=True, rule_only_data={"slots": [],
                                                                                             "loops": []})])
def test_text_removal_and_rule_feature_key_as_rasa(domain, events, reload_every, policy_kwargs):
    """What RulePolicy and the featurizer make of the states the way they are called in a prediction
    (_choose_last_user_input, then the text removal, then the rule key), against Rasa's functions on
    Rasa's own states."""
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.core.policies.rule_policy import RulePolicy

    from components import incremental_states, remembered_states

    assert patching.get("remembered_states.rule_key").is_installed() and RulePolicy._create_feature_key is remembered_states._create_feature_key
    incremental_states._cache.clear()
    featurizer = MaxHistoryTrackerFeaturizer(max_history=None)
    policy = RulePolicy.__new__(RulePolicy)
    fast_paths = []

    def check(tracker, n):
        for use_text in (False, True):
            got = domain.states_for_tracker_history(tracker, **policy_kwargs)
            expected = incremental_states._original(domain, tracker, **policy_kwargs)
            fast_paths.append((getattr(got, "settled", 0), len(got)))
            featurizer._choose_last_user_input([got], use_text)
            featurizer_original_choice(expected, use_text)
            assert list(got) == expected, f"after event {n}"
            assert policy._create_feature_key(got) == remembered_states._original_key(policy, expected), n

    def featurizer_original_choice(states, use_text):
        # MaxHistoryTrackerFeaturizer._choose_last_user_input with Rasa's own text removal
        from rasa.shared.core.trackers import is_prev_action_listen_in_state

        last = states[-1] if states else {}
        if states and is_prev_action_listen_in_state(last):
            user = last.get("user", {})
            for key in (("intent", "entities") if use_text else ("text",)):
                user.pop(key, None)
        remembered_states._original_remove.__func__([states])

    grown(domain, events, reload_every, check)
    settled, length = fast_paths[-1]
    assert length > 20 and settled >= length - 3  # the states given to the policies were remembered ones



def test_remembered_states_copy_as_plain_lists(domain):
    from components import incremental_states

    tracker = DialogueStateTracker.from_dict("conv", copy.deepcopy(EVENTS[:200]), domain.slots)
    states = domain.states_for_tracker_history(tracker)
    assert type(states) is incremental_states.RememberedStates
    for copied in (copy.copy(states), copy.deepcopy(states)):
        assert type(copied) is list and copied == list(states)
