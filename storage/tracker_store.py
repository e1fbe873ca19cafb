"""SQLite (or any SQL) tracker store that never writes a full ID number to disk.

Actions see the user's text unmasked during the turn (they must check the number); what is
saved has every ID-card / credit-code-like token masked (realname.privacy.mask_in_text) in the
texts people typed and in slot values.
"""
from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from realname.privacy import mask_in_text

# Only free text can hold a number someone typed: message texts and slot values.
MASKED_KEYS = frozenset({"text", "value"})


class MaskingSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_tracker(tracker, self.domain))


def masked_tracker(tracker: DialogueStateTracker, domain) -> DialogueStateTracker:
    events = [_masked(event.as_dict()) for event in tracker.events]
    return DialogueStateTracker.from_dict(tracker.sender_id, events, domain.slots if domain else None)


def _masked(data: Any, key: str = "") -> Any:
    if isinstance(data, dict):
        return {name: _masked(value, name) for name, value in data.items()}
    if isinstance(data, list):
        return [_masked(value, key) for value in data]
    if isinstance(data, str) and key in MASKED_KEYS:
        return mask_in_text(data)
    return data
