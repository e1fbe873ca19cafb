"""SQLite (or any SQL) tracker store that never writes a full ID number to disk.

Actions see the user's text unmasked during the turn (they must check the number); what is
saved has every ID-card / credit-code-like token masked (realname.privacy.mask_in_text) in the
texts people typed and in slot values. Only the events new in this turn are masked and written,
so a save costs the same at turn 3 and at turn 300. (No event broker is configured; one would
receive unmasked events and must not be added without masking them too.)
"""
from __future__ import annotations

from typing import Any, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from realname.privacy import mask_in_text

# Only free text can hold a number someone typed: message texts and slot values.
MASKED_KEYS = frozenset({"text", "value"})


class MaskingSQLTrackerStore(SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield Event.from_parameters(_masked(event.as_dict()))


def _masked(data: Any, key: str = "") -> Any:
    if isinstance(data, dict):
        return {name: _masked(value, name) for name, value in data.items()}
    if isinstance(data, list):
        return [_masked(value, key) for value in data]
    if isinstance(data, str) and key in MASKED_KEYS:
        return mask_in_text(data)
    return data
