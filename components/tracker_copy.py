"""`tracker.copy()` continued from the previous copy, not replayed over the whole conversation.

Why: Rasa 3.6's MessageProcessor._run_action starts every action (three to five per message) with
`tracker.copy()`, DialogueStateTracker.travel_back_in_time(inf): a fresh tracker (init_copy) on which
every event of the conversation is applied again. At turn 80 (~840 events) that was ~4 ms per message.

What this does instead: it keeps, per conversation, the replay trackers of the last copies
(KEPT_PER_CONVERSATION; never handed out) with the events each was built from (the objects themselves).
When the tracker's events start with exactly those objects (identity, not contents; the longest such) and the slots are defined the same, the events appended
since are applied to a clone of it (Rasa's `update`, in order, as travel_back_in_time does), and a clone
of that is returned; otherwise the replay starts from init_copy() as Rasa's does. A clone has its own
events deque, slots (Slot objects copied), latest_action dict and active_loop and, when they are the
placeholders of a tracker without a user message / bot utterance, its own of those; the events are the
tracker's own objects, as in Rasa's copy. Equal to Rasa's copy, attribute for attribute, on real
conversations (tests/components/test_tracker_copy.py). Trackers of other types, a tracker with
max_event_history, event types other than the plain ones (components.incremental_states._FIELDS) or an
event whose timestamp is not <= inf go to Rasa's function.

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

import copy as _copy
import threading
from collections import OrderedDict
from typing import Any, List

from rasa.shared.core.trackers import DialogueStateTracker

from components.applied_events import same_prefix
from components.incremental_states import _FIELDS
from components.patching import Patch

#: Conversations remembered per process (least recently used dropped first).
MAX_CONVERSATIONS = 128
#: Replays kept per conversation (the turn's tracker and the copies made of its copies, e.g. by forms).
KEPT_PER_CONVERSATION = 4
_VALUE_FIELDS = ("_value", "_has_been_set")
_INF = float("inf")

_original = DialogueStateTracker.copy
_memo: "OrderedDict" = OrderedDict()
_lock = threading.Lock()


def _slot_definitions(tracker: DialogueStateTracker) -> List:
    # what init_copy takes from the slots: everything but their values (Slot.reset)
    return [(name, type(slot), {k: v for k, v in slot.__dict__.items() if k not in _VALUE_FIELDS})
            for name, slot in tracker.slots.items()]


def _is_one_of(value: Any, events: Any) -> bool:
    for event in reversed(events):
        if event is value:
            return True
    return False


def clone(tracker: DialogueStateTracker) -> DialogueStateTracker:
    new = object.__new__(type(tracker))
    new.__dict__.update(tracker.__dict__)
    new.events = tracker._create_events(tracker.events)
    slots = {}
    for name, slot in tracker.slots.items():
        copied = object.__new__(type(slot))
        copied.__dict__.update(slot.__dict__)
        slots[name] = copied
    new.slots = slots
    if isinstance(tracker.latest_action, dict):
        new.latest_action = dict(tracker.latest_action)
    if tracker.active_loop is not None:  # TrackerActiveLoop: interrupt_loop, reject_action change it in place
        new.active_loop = _copy.copy(tracker.active_loop)
    for name in ("latest_message", "latest_bot_utterance"):
        value = getattr(tracker, name)
        if value is not None and not _is_one_of(value, tracker.events):
            setattr(new, name, _copy.copy(value))
    return new


def _store(key, entry) -> None:
    with _lock:
        entries = _memo.pop(key, None) or []
        entries = [entry] + entries[:KEPT_PER_CONVERSATION - 1]
        _memo[key] = entries
        while len(_memo) > MAX_CONVERSATIONS:
            _memo.popitem(last=False)


def remember(tracker: DialogueStateTracker, replay: DialogueStateTracker) -> None:
    """Tells the next copy of `tracker` where to start: `replay` is what init_copy() plus `update` of every
    event of `tracker` gives (storage/tracker_store.py's cached session is built that way, from plain
    events with timestamps <= inf); it is kept, never handed out or changed."""
    if (type(tracker) is not DialogueStateTracker or tracker._max_event_history is not None
            or DialogueStateTracker.copy is not copy
            or not tracker.sender_id or tracker.is_rule_tracker):  # init_copy() would differ from `replay`
        return
    _store(tracker.sender_id, ((tracker.sender_id, tracker.is_rule_tracker, _slot_definitions(tracker)),
                               list(tracker.events), replay))


def copy(self: DialogueStateTracker) -> DialogueStateTracker:
    replayed = replay_of(self)
    return _original(self) if replayed is None else replayed


def replay_of(self: DialogueStateTracker):
    """Rasa's copy of `self` (init_copy() plus `update` of every event), or None where this module leaves
    it to Rasa."""
    if type(self) is not DialogueStateTracker or self._max_event_history is not None:
        return None
    events = list(self.events)
    key = self.sender_id
    definitions = (self.sender_id, self.is_rule_tracker, _slot_definitions(self))
    with _lock:
        entries = list(_memo.get(key) or ())
    best = None
    for entry in entries:  # the longest remembered replay whose events this tracker starts with
        if (best is None or len(entry[1]) > len(best[1])) and entry[0] == definitions and same_prefix(events, entry[1]):
            best = entry
    if best is not None:
        start, replay = len(best[1]), clone(best[2])
    else:
        start, replay = 0, self.init_copy()
    new = events[start:]
    if not all(type(e) in _FIELDS and e.timestamp <= _INF for e in new):
        return None
    for event in new:
        replay.update(event)
    _store(key, (definitions, events, replay))
    return clone(replay)


PATCHES = (Patch("tracker_copy", DialogueStateTracker, "copy", copy, "dfa48dca9f355ad1", reset=_memo.clear),)
