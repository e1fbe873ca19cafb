"""The action server gets the events of the current turn, not the whole conversation, on every call.

Why: Rasa 3.6's RemoteAction._action_call_format sends `tracker.current_state(EventVerbosity.ALL)`:
every event of the conversation, serialised (each user message with its NLU result), on every custom
action call (two to three per failure message), and rasa_sdk parses it again. At turn 80 (~840 events)
that is ~380 KB per call, ~3 ms to serialise on this side and as much to send and parse on the other:
the second reason a turn got slower as the conversation grew.

What is sent instead: the same request (next_action, sender_id, version, the domain where Rasa sends it,
and the tracker's slots, latest_message, latest_event_time, followup_action, paused, active_loop,
latest_action, latest_action_name and latest_input_channel, all computed by Rasa from the whole
conversation), with `tracker.events` holding the events from the latest user message on. That is what
our actions and rasa_sdk read: the latest message and its input channel, the slots, and
FormValidationAction's slots_to_validate (the slot events at the end). An action that needs older events
(e.g. to look back at what was said turns ago) must be listed in FULL_HISTORY_ACTIONS and gets them all.
Tested: each of our actions answers the same to both requests on the turns of a real conversation
(tests/components/test_action_call_events.py).

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

from typing import Any, Dict, Text

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from components.patching import Patch

#: Custom actions that read events older than the latest user message get the whole conversation.
FULL_HISTORY_ACTIONS: frozenset = frozenset()

_original = RemoteAction._action_call_format


def current_turn_events(tracker: DialogueStateTracker):
    """The events from the latest user message on (all of them when there is none)."""
    events = tracker.events
    for back, event in enumerate(reversed(events)):
        if isinstance(event, UserUttered):
            start = len(events) - 1 - back
            return [events[i] for i in range(start, len(events))]
    return list(events)


def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> Dict[Text, Any]:
    if self.name() in FULL_HISTORY_ACTIONS:
        return _original(self, tracker, domain)
    tracker_state = tracker.current_state(EventVerbosity.NONE)
    tracker_state["events"] = [event.as_dict() for event in current_turn_events(tracker)]
    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker_state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


PATCHES = (Patch("action_call_events", RemoteAction, "_action_call_format", _action_call_format, "428795b944f22edb"),)
