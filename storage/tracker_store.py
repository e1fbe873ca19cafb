"""SQLite (or any SQL) tracker store that never writes a full ID number to disk.

Actions see the user's text unmasked during the turn (they must check the number); what is
saved has every ID-card / credit-code-like token masked (realname.privacy.mask_in_text) in the
texts people typed and in slot values. Only the events new in this turn are masked and written,
so a save costs the same at turn 3 and at turn 300. (No event broker is configured; one would
receive unmasked events and must not be added without masking them too.)

With SQLite, the store also keeps its connections open and writes in WAL mode (see _tune_sqlite):
a turn reads the conversation once and writes it once, and those two cost more than the rest
of Rasa's dialogue handling with SQLAlchemy 1.4's SQLite defaults.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from realname.privacy import mask_in_text

# Only free text can hold a number someone typed: message texts and slot values.
MASKED_KEYS = frozenset({"text", "value"})


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._tune_sqlite()

    def _tune_sqlite(self) -> None:
        """Why: SQLAlchemy 1.4 opens a new SQLite connection (and re-reads the schema) for every
        session, and SQLite's default journal syncs the file twice per commit. Kept open in a pool
        (what SQLAlchemy 2.0 does for SQLite files) and in WAL mode with synchronous=NORMAL, a commit
        survives any crash or restart of the server; only a power cut or OS crash could lose the
        last turns written before it, never corrupt the file."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (same rows), with the texts masked and the turn's events written in one INSERT
        rather than one ORM object each (half the cost of a save)."""
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [_row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            session.commit()


def _row(sender_id: Text, event: Event) -> Dict[Text, Any]:
    data = _masked(event.as_dict())
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _masked(data: Any, key: str = "") -> Any:
    if isinstance(data, dict):
        return {name: _masked(value, name) for name, value in data.items()}
    if isinstance(data, list):
        return [_masked(value, key) for value in data]
    if isinstance(data, str) and key in MASKED_KEYS:
        return mask_in_text(data)
    return data
