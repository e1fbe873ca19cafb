"""A tracker's applied events continued from the previous call, not recomputed over the whole conversation.

Why: Rasa 3.6's DialogueStateTracker.applied_events walks every event of the conversation (and, at each
execution of a form, back through the applied ones) every time it is asked: the session checks of every
message (MessageProcessor._update_tracker_session, _has_session_expired through get_last_event_for),
the policies and the actions ask several times per message. At turn 80 (~840 events) that was ~4 ms per
message, against ~0.5 ms at turn 10.

What this does instead: it remembers, per conversation, the events of the last call (the objects
themselves) and the indices of the applied ones. When the tracker's events start with exactly those
objects (an identity check, not a comparison of contents), it continues Rasa's rules over the events
appended since (components.incremental_states._continue_applied: Rasa's loop, on indices), as long as
no new loop name appears (loop names change how earlier form executions are treated): otherwise, or for
another tracker (a re-read one, a copy at an earlier point), it starts again from the first event. The
result is a new list, as Rasa's is (tested against Rasa's function on real conversations,
tests/components/test_applied_events.py). Trackers of other types (training's TrackerWithCachedStates),
a tracker with max_event_history and event types other than the plain ones (components.incremental_states
._FIELDS, exact types) go to Rasa's function.

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

import operator
import threading
from collections import OrderedDict
from typing import List

from rasa.shared.core.events import ActiveLoop, Event
from rasa.shared.core.trackers import DialogueStateTracker

from components.incremental_states import _FIELDS, _continue_applied
from components.patching import Patch

#: Conversations remembered per process (least recently used dropped first).
MAX_CONVERSATIONS = 128

_original = DialogueStateTracker.applied_events
_memo: "OrderedDict" = OrderedDict()
_lock = threading.Lock()


def same_prefix(events: List, old: List) -> bool:
    """Do `events` start with the very objects of `old`?"""
    return len(old) <= len(events) and all(map(operator.is_, events, old))


def identical_prefix(events: List, old: List) -> int:
    """How many of the first events are the very objects of `old` (a bisection over C-speed checks)."""
    limit = min(len(events), len(old))
    if all(map(operator.is_, events[:limit], old[:limit])):
        return limit
    low, high = 0, limit - 1  # events[:low] match; events[:high + 1] do not
    while low < high:
        middle = (low + high + 1) // 2
        if all(map(operator.is_, events[low:middle], old[low:middle])):
            low = middle
        else:
            high = middle - 1
    return low


def _plain(events) -> bool:
    return all(type(e) in _FIELDS for e in events)


def applied_events(self: DialogueStateTracker) -> List[Event]:
    if type(self) is not DialogueStateTracker or self._max_event_history is not None:
        return _original(self)
    events = list(self.events)
    key = self.sender_id
    with _lock:
        entry = _memo.pop(key, None)
    applied = None
    if entry is not None:
        old_events, old_applied, loop_names = entry
        start = len(old_events)
        if same_prefix(events, old_events) and _plain(events[start:]):
            if not any(type(e) is ActiveLoop and e.name and e.name not in loop_names for e in events[start:]):
                applied = old_applied[:]
                _continue_applied(self, events, start, applied, loop_names)
    if applied is None:
        if not _plain(events):
            return _original(self)
        loop_names = {e.name for e in events if type(e) is ActiveLoop and e.name}
        applied = []
        _continue_applied(self, events, 0, applied, loop_names)
    with _lock:
        _memo[key] = (events, applied, loop_names)
        while len(_memo) > MAX_CONVERSATIONS:
            _memo.popitem(last=False)
    return list(map(events.__getitem__, applied))


PATCHES = (Patch("applied_events", DialogueStateTracker, "applied_events", applied_events, "764d5065ea9997d6",
                 reset=_memo.clear),)
