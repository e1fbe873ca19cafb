"""SQLite (or any SQL) tracker store that never writes a full ID number to disk.

Actions see the user's text unmasked during the turn (they must check the number); what is
saved has every ID-card / credit-code-like token masked (realname.privacy.mask_in_text).
"""
from __future__ import annotations

import json

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from realname.privacy import mask_in_text


class MaskingSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(masked_tracker(tracker, self.domain))


def masked_tracker(tracker: DialogueStateTracker, domain) -> DialogueStateTracker:
    events = [
        json.loads(mask_in_text(json.dumps(event.as_dict(), ensure_ascii=False)))
        for event in tracker.events
    ]
    return DialogueStateTracker.from_dict(
        tracker.sender_id, events, domain.slots if domain else None
    )
