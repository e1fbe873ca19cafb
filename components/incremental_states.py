"""Dialogue states of a conversation computed once, not again for every prediction.

Why: Rasa 3.6's Domain.states_for_tracker_history (what `tracker.past_states` and the policies'
`_prediction_states` call) replays every event of the conversation on a fresh tracker and builds a
state for every earlier turn, each time it is asked: MemoizationPolicy and RulePolicy ask two to three
times per prediction, three to four predictions per message. With the whole conversation kept (a
session lasts as long as the user keeps writing) a message at turn 80 (~840 events) spent ~20 ms there
against ~3 ms at turn 10: the main reason a turn got slower as the conversation grew.

What this does instead: it remembers, per conversation and per set of arguments, what the last call
computed, and on the next call redoes only the part that changed. The result is the list Rasa's own
function returns, state for state (tested on real trackers, tests/components/test_incremental_states.py):

- Every event is compared by content (its type and every field that changes the replayed tracker or a
  state: texts, intents, entities, slot values, action names, `hide_rule_turn`, loop names, ...), so a
  tracker read again from the store (new objects, masked texts) matches as far as it is the same
  conversation, and anything that differs (a masked ID number, a reverted turn) is redone from there.
- Rasa's `applied_events` (which drops reverted turns and a form's happy-path turns, sometimes
  retroactively) is continued from the previous call's result only when the new events are appended
  after the same ones (for this, user messages count by their type alone: applied_events reads nothing
  else of them) and name no new loop; otherwise it is redone from the start with Rasa's rules.
- States are replayed from a saved copy of the replay tracker at the last turn both calls share (the last
  CHECKPOINTS turns are kept); the final state (the current one) is always computed afresh.
- Rasa's callers change the returned states in place (`_choose_last_user_input` pops from the last
  state's user part, which MemoizationPolicy's states share with earlier ones): those are handed out as
  copies that keep Rasa's sharing, so the remembered states never change.
- Within a message the same tracker is asked again and again with only events appended (and across
  messages, the tracker store hands out the stored event objects again: storage/tracker_store.py): when
  the events start with the very objects of the previous call (identity), the contents of those before
  the previous call's last user message are not compared again (only its UserUttered and what follows
  are: NLU and DefinePrevUserUtteredFeaturization change the latest message in place), and where the
  remembered applied events stop matching is found by list comparison and bisection, so a call costs
  what the new events cost, not the length of the conversation.
- Anything else goes to the original: event types other than the plain ones listed in _FIELDS (e.g.
  EntitiesAdded, StoryExported, subclasses), trackers of other types (training's
  TrackerWithCachedStates), a tracker with max_event_history.

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

import bisect
import operator
import threading
import weakref
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.shared.core import constants as core_constants
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, TEXT
from components.patching import Patch

#: Conversations remembered per process (least recently used dropped first).
MAX_CONVERSATIONS = 128
#: Replay-tracker copies kept per conversation: how far back a later call may differ and still be resumed.
CHECKPOINTS = 24

_original = Domain.states_for_tracker_history
USER = core_constants.USER
PREVIOUS_ACTION = core_constants.PREVIOUS_ACTION


def _user_fields(e: UserUttered) -> Tuple:
    return (
        e.text,
        e.intent_name,
        tuple((x.get("entity"), x.get("role"), x.get("group")) for x in e.entities),
        e.use_text_for_featurization,
    )


# Per event type, what its content is for states and replay. Events not listed go to the original.
_FIELDS = {
    UserUttered: None,  # computed at every call: NLU and DefinePrevUserUtteredFeaturization change it in place
    ActionExecuted: lambda e: (e.action_name, e.action_text, e.hide_rule_turn),
    SlotSet: lambda e: (e.key, repr(e.value)),
    ActiveLoop: lambda e: (e.name,),
    LoopInterrupted: lambda e: (e.is_interrupted,),
    FollowupAction: lambda e: (e.action_name,),
    ActionExecutionRejected: lambda e: (e.action_name,),
    DefinePrevUserUtteredFeaturization: lambda e: (e.use_text_for_featurization,),
    BotUttered: lambda e: (),
    AgentUttered: lambda e: (),
    AllSlotsReset: lambda e: (),
    ReminderScheduled: lambda e: (),
    ReminderCancelled: lambda e: (),
    ConversationPaused: lambda e: (),
    ConversationResumed: lambda e: (),
    SessionStarted: lambda e: (),
    Restarted: lambda e: (),
    ActionReverted: lambda e: (),
    UserUtteranceReverted: lambda e: (),
}
_SIG = "_realname_state_signature"


def _signatures(events) -> Optional[List[Tuple]]:
    sigs = []
    append = sigs.append
    for e in events:
        cls = type(e)
        if cls is UserUttered:
            append((cls, _user_fields(e)))
            continue
        sig = e.__dict__.get(_SIG)
        if sig is None:
            fields = _FIELDS.get(cls)
            if fields is None:
                return None
            sig = (cls, fields(e))
            e.__dict__[_SIG] = sig
        append(sig)
    return sigs


class _Reversed:
    """The applied events (kept as indices) as Rasa's helpers read them: from the newest back."""

    def __init__(self, events, indices) -> None:
        self.events, self.indices = events, indices

    def __reversed__(self):
        events = self.events
        return (events[i] for i in reversed(self.indices))


def _undo_till_previous(event_type, events, applied: List[int]) -> None:
    # DialogueStateTracker._undo_till_previous on indices
    while applied:
        e = events[applied.pop()]
        if isinstance(e, event_type):
            break


def _undo_till_previous_loop_execution(name: Text, events, applied: List[int]) -> None:
    # DialogueStateTracker._undo_till_previous_loop_execution on indices
    offset = 0
    for i in reversed(applied[:]):
        e = events[i]
        if isinstance(e, ActionExecuted) and e.action_name == name:
            break
        if isinstance(e, (ActionExecuted, UserUttered, DefinePrevUserUtteredFeaturization)):
            del applied[-1 - offset]
        else:
            offset += 1


def _continue_applied(tracker, events, start: int, applied: List[int], loop_names) -> None:
    """DialogueStateTracker.applied_events from event `start` on, `applied` holding the result before it."""
    for i in range(start, len(events)):
        e = events[i]
        cls = type(e)
        if cls is Restarted or cls is SessionStarted:
            applied.clear()
        elif cls is ActionReverted:
            _undo_till_previous(ActionExecuted, events, applied)
        elif cls is UserUtteranceReverted:
            _undo_till_previous(UserUttered, events, applied)
            _undo_till_previous(ActionExecuted, events, applied)
        elif (
            cls is ActionExecuted
            and e.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(e.action_name, _Reversed(events, applied))
        ):
            _undo_till_previous_loop_execution(e.action_name, events, applied)
        else:
            applied.append(i)


def _clone(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A copy of a replay tracker (no events) that later events applied to either do not reach the other."""
    new = object.__new__(type(tracker))
    new.__dict__.update(tracker.__dict__)
    slots = {}
    for name, slot in tracker.slots.items():
        copied = object.__new__(type(slot))
        copied.__dict__.update(slot.__dict__)
        slots[name] = copied
    new.slots = slots
    if tracker.active_loop is not None:
        loop = object.__new__(type(tracker.active_loop))
        loop.__dict__.update(tracker.active_loop.__dict__)
        new.active_loop = loop
    new.events = tracker._create_events([])
    return new


class Encoded:
    """json.dumps(state, sort_keys=True) of a conversation's first remembered states (filled on demand
    by components/remembered_states.py) and the indices of the rule-snippet states among them."""

    __slots__ = ("texts", "snippets", "lock")

    def __init__(self, texts: Optional[List[Text]] = None, snippets: Optional[List[int]] = None) -> None:
        self.texts, self.snippets, self.lock = texts or [], snippets or [], threading.Lock()

    def prefix(self, n: int) -> "Encoded":
        """A new one for the first `n` states (a list handed out earlier keeps the old one)."""
        if len(self.texts) <= n:
            return self
        with self.lock:
            return Encoded(self.texts[:n], [i for i in self.snippets if i < n])


class RememberedStates(list):
    """The list Rasa's function returns, plus what is known of its first `settled` states: they are
    remembered ones (the very dicts, which no caller changes), none has both a user intent and a user
    text, and `encoded` holds their JSON. Copied, deep-copied or pickled it is a plain list, as Rasa's."""

    __slots__ = ("settled", "encoded")

    def __reduce_ex__(self, protocol):
        return list, (list(self),)


def _clean(state: Dict) -> bool:
    # TrackerFeaturizer._remove_user_text_if_intent would leave it as it is
    user = state.get(USER)
    return not (user and user.get(INTENT) and user.get(TEXT))


class _Entry:
    __slots__ = ("domain", "params", "slots_key", "sigs", "applied", "loop_names",
                 "states_applied", "states", "checkpoints", "events", "last_user", "settled", "encoded")


_cache: "OrderedDict[Tuple, _Entry]" = OrderedDict()
_lock = threading.Lock()


def _slots_key(tracker: DialogueStateTracker) -> Tuple:
    return tuple((name, type(slot), repr(slot.initial_value), slot.influence_conversation)
                 for name, slot in tracker.slots.items())


def _identical_prefix(events, old) -> int:
    from components.applied_events import identical_prefix

    return identical_prefix(events, old)


def _last_user_before(events, end: int) -> int:
    for back in range(end - 1, -1, -1):
        if type(events[back]) is UserUttered:
            return back
    return 0


def _handed_out(before: List[Dict], final: Dict, final_remembered: bool, settled: int, encoded: Encoded) -> List[Dict]:
    """The list to return (a RememberedStates: its first `settled` states are remembered dicts). Callers
    change the last state's user part in place, and in MemoizationPolicy's
    states earlier states share that very dict (_substitute_rule_only_user_input): those states are
    handed out as copies sharing one copy of it, as Rasa's own list shares it, so what is remembered never
    changes."""
    result = RememberedStates(before)
    result.encoded = encoded
    shared = final.get(USER)
    i = len(result)
    while shared is not None and i > 0 and result[i - 1].get(USER) is shared:
        i -= 1
    result.settled = min(settled, i)
    if i == len(result) and not final_remembered:
        result.append(final)
    elif shared is None:
        result.append(dict(final))
    else:
        copy_of_shared = dict(shared)
        for k in range(i, len(result)):
            result[k] = {**result[k], USER: copy_of_shared}
        result.append({**final, USER: copy_of_shared})
    return result


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[Dict]:
    if type(tracker) is not DialogueStateTracker or tracker._max_event_history is not None:
        return _original(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    events = list(tracker.events)
    params = (bool(omit_unset_slots), bool(ignore_rule_only_turns), repr(rule_only_data))
    key = (tracker.sender_id, params)
    slots_key = _slots_key(tracker)
    with _lock:
        entry = _cache.pop(key, None)
    if entry is not None and (entry.domain() is not self or entry.params != params or entry.slots_key != slots_key):
        entry = None
    cut = 0
    if entry is not None:
        # the same objects: contents compared again from the last user message before the first other one
        identical = _identical_prefix(events, entry.events)
        cut = entry.last_user if identical == len(entry.events) else _last_user_before(events, identical)
    tail = _signatures(events[cut:])
    if tail is None:
        return _original(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    sigs = entry.sigs[:cut] + tail if cut else tail
    last_user = len(events)
    for back in range(len(events) - 1, -1, -1):
        if type(events[back]) is UserUttered:
            last_user = back
            break

    # 1. applied events (indices into `events`), continued when only events were appended
    same = 0
    if entry is not None:
        old = entry.sigs
        limit = min(len(old), len(sigs))
        if sigs[:limit] == old[:limit]:
            same = limit
        else:
            same = min(cut, limit)  # sigs[:cut] are the remembered ones themselves
            while same < limit and sigs[same] == old[same]:
                same += 1
    # applied events read of a user message only its type: one whose contents changed (the latest, by
    # DefinePrevUserUtteredFeaturization) does not stop the applied events from being continued
    same_applied = same
    if entry is not None:
        old = entry.sigs
        limit = min(len(old), len(sigs))
        while same_applied < limit and (sigs[same_applied] == old[same_applied] or (
                sigs[same_applied][0] is UserUttered and old[same_applied][0] is UserUttered)):
            same_applied += 1
    new_loop_names = {e.name for e in events[same_applied:] if isinstance(e, ActiveLoop) and e.name}
    if entry is not None and same_applied == len(entry.sigs) and new_loop_names <= entry.loop_names:
        applied = entry.applied[:]
        loop_names = entry.loop_names
        _continue_applied(tracker, events, same_applied, applied, loop_names)
    else:
        loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
        applied = []
        _continue_applied(tracker, events, 0, applied, loop_names)

    # 2. where the remembered states stop being valid: the first applied event that differs
    resume = None
    if entry is not None:
        old_applied = entry.states_applied
        limit = min(len(old_applied), len(applied), bisect.bisect_left(applied, same))
        if applied[:limit] == old_applied[:limit]:
            q = limit
        else:
            q = 0
            while q < limit and applied[q] == old_applied[q]:
                q += 1
        for checkpoint in reversed(entry.checkpoints):
            if checkpoint[0] <= q:
                resume = checkpoint
                break

    applied_events = list(map(events.__getitem__, applied))
    if resume is not None:
        position, n_states, replay, last_ml, was_hidden = resume
        states = entry.states[:n_states]
        replay = _clone(replay)
        checkpoints = [c for c in entry.checkpoints if c[0] <= position]
        settled, encoded = min(entry.settled, n_states), entry.encoded.prefix(n_states)
    else:
        position, states, last_ml, was_hidden = 0, [], None, False
        replay = tracker.init_copy()
        checkpoints = []
        settled, encoded = 0, Encoded()

    yields_left = sum(1 for e in applied_events[position:] if type(e) is ActionExecuted)
    for p in range(position, len(applied_events)):
        e = applied_events[p]
        if type(e) is ActionExecuted:
            if yields_left <= CHECKPOINTS:
                checkpoints.append((p, len(states), _clone(replay), last_ml, was_hidden))
            yields_left -= 1
            last_ml, was_hidden = _state(self, replay, e.hide_rule_turn, states, last_ml, was_hidden,
                                         omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        e.apply_to(replay)
    kept = states[:]
    while settled < len(kept) and _clean(kept[settled]):  # checked once per state, not per call
        settled += 1
    _state(self, replay, False, states, last_ml, was_hidden, omit_unset_slots, ignore_rule_only_turns,
           rule_only_data)

    entry = entry or _Entry()
    entry.domain, entry.params, entry.slots_key = weakref.ref(self), params, slots_key
    entry.sigs, entry.applied, entry.loop_names = sigs, applied, loop_names
    entry.events, entry.last_user = events, last_user
    entry.states_applied, entry.states = applied, kept
    entry.checkpoints = checkpoints[-CHECKPOINTS:]
    entry.settled, entry.encoded = settled, encoded
    with _lock:
        _cache[key] = entry
        while len(_cache) > MAX_CONVERSATIONS:
            _cache.popitem(last=False)

    if len(states) > len(kept):
        return _handed_out(kept, states[-1], False, settled, encoded)
    if not kept:
        return []
    # the current turn is hidden (a rule-only turn): the list ends with a remembered state
    return _handed_out(kept[:-1], kept[-1], True, settled, encoded)


def _state(domain, tr, hide_rule_turn, states, last_ml, was_hidden, omit_unset_slots, ignore_rule_only_turns,
           rule_only_data):
    """One step of Domain.states_for_tracker_history's loop (Rasa 3.6.21), on the replay tracker `tr`."""
    if ignore_rule_only_turns:
        if not was_hidden:
            last_ml = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            was_hidden = hide_rule_turn
        if was_hidden:
            return last_ml, was_hidden
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if last_ml:
            state[PREVIOUS_ACTION] = last_ml
    states.append(domain._clean_state(state))
    return last_ml, was_hidden


PATCHES = (Patch("incremental_states", Domain, "states_for_tracker_history", states_for_tracker_history,
                 "035111ce73ac90ba", reset=_cache.clear),)
