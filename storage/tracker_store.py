"""SQLite (or any SQL) tracker store that never writes a full ID number to disk.

Actions see the user's text unmasked during the turn (they must check the number); what is
saved has every ID-card / credit-code-like token masked (realname.privacy.mask_in_text) in the
texts people typed and in slot values. Only the events new in this turn are masked and written,
so a save costs the same at turn 3 and at turn 300. (No event broker is configured; one would
receive unmasked events and must not be added without masking them too.)

A turn reads the conversation once and writes it once; through SQLAlchemy 1.4's ORM and SQLite
defaults those two cost as much as the rest of Rasa's dialogue handling together. So the reads are
Rasa's own two queries written once as plain SQL (no ORM query to build and compile per call), a
turn's events go in one INSERT, and with SQLite the connections stay open and the file is written
in WAL mode (see _tune_sqlite). Rows, columns and results are the ones Rasa's store has (tested).

A read of the latest session does not fetch and replay the whole conversation again either (that cost grew
with every turn: ~9 ms at turn 80): the store keeps, per conversation (CACHED_CONVERSATIONS, least recently
used dropped), the tracker its last read built from the database rows, never handed out itself. The next
read is one statement that returns the count, sum(id) and max(id) of all the sender's rows (read from the
sender_id index alone, without visiting the rows: no cost growing with the conversation's rows) together
with the rows written since (id > the last id read): when those figures are the cached rows' plus the new
rows', and no new row starts a session or is older than the cached session's start, the new rows (masked,
as written; json.loads as always) are applied to the cached tracker, as DialogueStateTracker.from_dict
applies them, and a copy is handed out (its own events deque, slots, loop and action dicts; the stored
event objects themselves are shared, as Rasa shares them between a tracker and its copies). Anything else
(another instance started a session, rows removed, a cold cache, an event type outside the plain ones) is
a full read, so what is returned is always exactly what a read from the database at that moment gives:
never the unmasked in-turn events (the cache holds only rows read back), never stale rows when another
instance (the cluster's shared PostgreSQL) wrote in between. A save of the tracker a read handed out knows
how many of its events are stored when the sender's figures are still those of that read (the same index
alone); any other save counts the latest session's rows, as Rasa's does.

With PostgreSQL (the cluster, service/cluster.py) every read and write is one statement in autocommit
mode (a save: its count, then one INSERT), and a connection attempt gives up after CONNECT_TIMEOUT
seconds. psycopg2 blocks the event loop for each round trip to the server; a transaction would add a
BEGIN and a ROLLBACK to each statement and a pool "ping" one more (four round trips for one read, a
third of an instance's time under load). A connection the server closed (a restart) is found by the
statement that fails on it instead: SQLAlchemy then drops every pooled connection made before, and the
statement runs once more on a new one (_retrying), so a database restart costs no turn once it is back.
The statements run in a small thread pool (DB_THREADS; psycopg2 lets go of the GIL while it waits), so
an instance goes on with other conversations' turns while one waits for the server: on the event loop
each wait stalled every turn in progress, and with the CPU shared the server is often not scheduled at
once (a quarter of an instance's time went to waiting under load). SQLite, in process, runs inline.

While the database is down, a turn fails instead of being answered from an empty
conversation: Rasa's Agent wraps every tracker store in FailSafeTrackerStore, which on an error
*retrieves nothing* (the bot answers the message as the start of a new conversation, out of context)
and *saves to memory* (the turn is lost when the database returns). For this store the wrapper is left
out (install_strict_failures below, called by service/serve.py): the error reaches the channel (channels.rasa_bridge.ask_rasa), the
user is asked to send the message again, and the conversation stays where it was.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core import events as rasa_events
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from realname.privacy import mask_in_text

#: Seconds to wait for a PostgreSQL connection (psycopg2's connect_timeout) unless the URL sets one.
CONNECT_TIMEOUT = 3
#: Threads running PostgreSQL statements (below the pool's 50 connections: each holds one at a time).
DB_THREADS = 4

# Only free text can hold a number someone typed: message texts and slot values.
MASKED_KEYS = frozenset({"text", "value"})


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache: "OrderedDict[Text, _CachedSession]" = OrderedDict()
        # sender → (the tracker last handed out, the sender's figures then, its stored events): for save
        self._handed_out: Dict[Text, Tuple[Any, Tuple, int]] = {}
        self._cache_lock = threading.Lock()
        self._executor: Optional[ThreadPoolExecutor] = None  # PostgreSQL's statements (module doc)
        if self.engine.dialect.name == "sqlite":
            self._tune_sqlite()
        elif self.engine.dialect.name == "postgresql":
            self._tune_postgresql()

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

    def _tune_postgresql(self) -> None:
        """Why: the server may restart (an upgrade, a failover) while the instances run, and each round trip
        to it blocks the event loop (module doc): one statement per read in autocommit, no ping before
        each use, a statement that meets a closed connection run again (_retrying). A connection that cannot
        be made gives up after CONNECT_TIMEOUT seconds: psycopg2 blocks the event loop while it tries, and
        the default is the TCP timeout (minutes) when a host stops answering."""
        from rasa.core.tracker_store import create_engine_kwargs

        url = self.engine.url
        self.engine.dispose()
        kwargs = create_engine_kwargs(url)
        connect_args = dict(kwargs.pop("connect_args", {}))  # Rasa's search_path for POSTGRESQL_SCHEMA
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args=connect_args, **kwargs)
        self.sessionmaker = sessionmaker(bind=self.engine)
        self._executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="tracker-store")

    async def _run(self, work: Any, *, retried: bool = True) -> Any:
        """work(connection) — _retrying it or, for a write, once in one transaction — in the thread pool
        (PostgreSQL) or inline (SQLite)."""
        call = (lambda: self._retrying(work)) if retried else (lambda: self._in_transaction(work))
        if self._executor is None:
            return call()
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _in_transaction(self, work: Any) -> Any:
        with self.engine.begin() as connection:  # SQLite: its transaction; PostgreSQL: autocommit
            return work(connection)

    def _retrying(self, work: Any) -> Any:
        """work(connection), run once more on a new connection when it met one the server had closed
        (SQLAlchemy has then dropped the pool's older connections too). Reads only (see save).

        A pooled Core connection, not Rasa's session_scope: an ORM Session per statement cost as much
        Python as the statement's round trip, and these plain-SQL statements need none of it."""
        try:
            with self.engine.connect() as connection:
                return work(connection)
        except sa.exc.DBAPIError as e:
            if not e.connection_invalidated:
                raise
        with self.engine.connect() as connection:
            return work(connection)

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        if fetch_events_from_all_sessions or not self.domain:
            query = _ALL_EVENTS if fetch_events_from_all_sessions else _LATEST_SESSION_EVENTS
            rows = await self._run(lambda connection: connection.execute(query, _parameters(sender_id)).all())
            events = [json.loads(data) for (data,) in rows]
            if not (self.domain and events):
                return None
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return await self._latest_session(sender_id)

    async def _latest_session(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session as DialogueStateTracker.from_dict builds it from the rows (module doc)."""
        with self._cache_lock:
            cached = self._cache.pop(sender_id, None)
        if cached is not None and cached.slots is not self.domain.slots:
            cached = None
        if cached is not None:
            check = {"sender_id": sender_id, "last_id": cached.max_id}
            rows = await self._run(lambda connection: connection.execute(_SENDER_CHECK, check).all())
            figures, new = tuple(rows[0][2:]), rows[1:]
            new_ids = [row[0] for row in new]
            if figures != cached.sender_figures_with(new_ids) or not cached.append(
                    [row[1] for row in new], new_ids, figures, continued=True):
                cached = None
        if cached is None:
            rows = await self._run(lambda connection: connection.execute(_LATEST_SESSION_READ, _parameters(sender_id)).all())
            figures, rows = tuple(rows[0][2:]), [row[:2] for row in rows[1:]]
            if not rows:
                return None
            cached = _CachedSession(sender_id, self.domain.slots)
            if not cached.append([data for _, data in rows], [row_id for row_id, _ in rows], figures):
                return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for _, data in rows],
                                                      self.domain.slots)
        tracker = cached.hand_out()
        with self._cache_lock:
            self._cache[sender_id] = cached
            self._handed_out[sender_id] = (weakref.ref(tracker), cached.sender_figures, cached.count)
            while len(self._cache) > CACHED_CONVERSATIONS:
                dropped, _ = self._cache.popitem(last=False)
                self._handed_out.pop(dropped, None)
        return tracker

    async def has_user_message(self, sender_id: Text, message_id: Text) -> bool:
        """True when a user event with `message_id` is stored for the sender (answer_to found it)."""
        return await self.answer_to(sender_id, message_id) is not None

    async def answer_to(self, sender_id: Text, message_id: Text) -> Optional[List[Dict[Text, Any]]]:
        """The stored events (as dicts) that followed the user message with `message_id` up to the next user
        message, or None when no such message is stored. Read from all the sender's rows, not the latest
        session: a turn that restarted the conversation (or started a session) has its answer after the
        session boundary, where a retrieve of the latest session no longer shows the message."""
        if not _MESSAGE_ID.fullmatch(message_id or ""):
            return None
        query = {"sender_id": sender_id, "pattern": f'%"message_id": "{message_id}"%', "limit": _ANSWER_ROWS}
        rows = await self._run(lambda connection: connection.execute(_ANSWER_TO, query).fetchall())
        if not rows:
            return None
        answer = []
        for type_name, data in rows[1:]:  # rows[0] is the user message itself
            if type_name == rasa_events.UserUttered.type_name:
                break
            answer.append(json.loads(data))
        return answer

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (same rows), with the texts masked and the turn's events written in one INSERT."""
        await self.stream_events(tracker)
        with self._cache_lock:
            handed_out = self._handed_out.pop(tracker.sender_id, None)
        def count_stored(connection: Any) -> int:
            if handed_out is not None and handed_out[0]() is tracker:
                figures = tuple(connection.execute(_SENDER_FIGURES, {"sender_id": tracker.sender_id}).one())
                if figures == handed_out[1]:
                    return handed_out[2]
            return connection.execute(_LATEST_SESSION_COUNT, _parameters(tracker.sender_id)).scalar()

        stored = await self._run(count_stored)
        rows = [_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
        if rows:
            # Not retried: an INSERT that failed on the way may have been written (never write a turn twice).
            await self._run(lambda connection: connection.execute(sa.insert(self.SQLEvent.__table__), rows),
                            retried=False)


# Rasa's SQLTrackerStore._event_query: the sender's events from the latest `session_started` on (all
# of them when there is none), in insertion order; its save counts them to find what is new.
_LATEST_SESSION = """
    FROM events WHERE sender_id = :sender_id AND (
        (SELECT max(timestamp) FROM events WHERE sender_id = :sender_id AND type_name = :session_started) IS NULL
        OR timestamp >= (SELECT max(timestamp) FROM events
                         WHERE sender_id = :sender_id AND type_name = :session_started))"""
_LATEST_SESSION_EVENTS = sa.text(f"SELECT data {_LATEST_SESSION} ORDER BY id")
_LATEST_SESSION_COUNT = sa.text(f"SELECT count(*) {_LATEST_SESSION}")
# The message and the rows after it (a turn writes a few dozen at most; _ANSWER_ROWS bounds a runaway).
_ANSWER_ROWS = 500
_ANSWER_TO = sa.text(
    "SELECT type_name, data FROM events WHERE sender_id = :sender_id AND id >= ("
    " SELECT min(id) FROM events WHERE sender_id = :sender_id AND type_name = 'user' AND data LIKE :pattern)"
    " ORDER BY id LIMIT :limit"
)
#: Message ids the LIKE pattern can hold as they are (nginx's $request_id is 32 hex digits).
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:-]{8,128}")
_ALL_EVENTS = sa.text("SELECT data FROM events WHERE sender_id = :sender_id ORDER BY id")
# The figures of all the sender's rows: the sender_id index holds every column they need.
_SENDER_FIGURES_COLUMNS = "count(*) AS n, sum(id) AS total, max(id) AS hi FROM events WHERE sender_id = :sender_id"
_SENDER_FIGURES = sa.text(f"SELECT {_SENDER_FIGURES_COLUMNS}")
# One statement each (one snapshot of the table): the sender's figures, then the latest session's rows
# (a full read) or the rows written since the last one read (a check).
_LATEST_SESSION_READ = sa.text(f"""
    SELECT -1 AS id, NULL AS data, {_SENDER_FIGURES_COLUMNS}
    UNION ALL
    SELECT id, data, NULL, NULL, NULL {_LATEST_SESSION}
    ORDER BY 1""")
_SENDER_CHECK = sa.text(f"""
    SELECT -1 AS id, NULL AS data, {_SENDER_FIGURES_COLUMNS}
    UNION ALL
    SELECT id, data, NULL, NULL, NULL FROM events WHERE sender_id = :sender_id AND id > :last_id
    ORDER BY 1""")

#: Conversations whose latest session the store keeps (least recently used dropped first).
CACHED_CONVERSATIONS = 128
_INF = float("inf")
# Events whose replay only sets the tracker's own fields (no in-place change of earlier events): a session
# with any other type (EntitiesAdded, StoryExported, ...) is read in full every time.
_PLAIN_EVENTS = frozenset({
    rasa_events.UserUttered, rasa_events.ActionExecuted, rasa_events.SlotSet, rasa_events.ActiveLoop,
    rasa_events.LoopInterrupted, rasa_events.FollowupAction, rasa_events.ActionExecutionRejected,
    rasa_events.DefinePrevUserUtteredFeaturization, rasa_events.BotUttered, rasa_events.AgentUttered,
    rasa_events.AllSlotsReset, rasa_events.ReminderScheduled, rasa_events.ReminderCancelled,
    rasa_events.ConversationPaused, rasa_events.ConversationResumed, rasa_events.SessionStarted,
    rasa_events.Restarted, rasa_events.ActionReverted, rasa_events.UserUtteranceReverted,
})


class _CachedSession:
    """The tracker DialogueStateTracker.from_dict built from a sender's latest-session rows (never handed
    out itself), and the figures of those rows."""

    def __init__(self, sender_id: Text, slots: Any) -> None:
        self.slots = slots
        self.tracker = DialogueStateTracker(sender_id, slots)  # what from_dict / from_events start from
        self.count, self.max_id = 0, None  # the latest session's rows applied, the last id read
        self.session_start: Optional[float] = None  # its session_started's timestamp (None: no session yet)
        self.sender_figures: Tuple = (0, None, None)  # count, sum(id), max(id) of all the sender's rows

    def sender_figures_with(self, new_ids: List[int]) -> Tuple:
        count, total, highest = self.sender_figures
        if not new_ids:
            return self.sender_figures
        return count + len(new_ids), (total or 0) + sum(new_ids), new_ids[-1]

    def append(self, data: List[Text], ids: List[int], sender_figures: Tuple, continued: bool = False) -> bool:
        """Applies the rows' events (from_dict's deserialise_events, then from_events' update); False when
        one is not a plain event, or when rows that `continued` the session start a new one or are older
        than its start (the latest session is then another set of rows: the entry is dropped)."""
        new = rasa_events.deserialise_events([json.loads(text) for text in data])
        if len(new) != len(data) or any(type(event) not in _PLAIN_EVENTS or not event.timestamp <= _INF
                                        for event in new):
            return False
        if continued and any(type(event) is SessionStarted or (
                self.session_start is not None and not event.timestamp >= self.session_start) for event in new):
            return False
        for event in new:
            self.tracker.update(event, None)
        if not continued:
            starts = [event.timestamp for event in new if type(event) is SessionStarted]
            self.session_start = max(starts) if starts else None
        self.count += len(ids)
        self.max_id = ids[-1] if ids else self.max_id
        self.sender_figures = sender_figures
        return True

    def hand_out_plain(self) -> DialogueStateTracker:
        from components.tracker_copy import clone

        return clone(self.tracker)

    def hand_out(self) -> DialogueStateTracker:
        """A tracker equal to the cached one that nothing done to it reaches the cache: its own events deque,
        slots, latest_action dict and active loop, and latest message / bot utterance when those are
        the placeholders of a tracker without one (not one of its events)."""
        tracker = self.hand_out_plain()
        _tell_tracker_copy(tracker, self)
        return tracker


def _tell_tracker_copy(tracker: DialogueStateTracker, cached: "_CachedSession") -> None:
    """The cached tracker is what Rasa's tracker.copy() replays to (a fresh tracker, every event applied
    with `update`): components.tracker_copy starts the turn's copies from a copy of it."""
    try:
        from components import tracker_copy
    except ImportError:  # pragma: no cover
        return
    replay = cached.hand_out_plain()
    tracker_copy.remember(tracker, replay)


def _parameters(sender_id: Text) -> Dict[Text, Any]:
    return {"sender_id": sender_id, "session_started": SessionStarted.type_name}


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


def _masked(data: Any, key: str = "", inside: bool = False) -> Any:
    """Every string under a text or value key masked, however deep (a slot may hold a finding's dict)."""
    inside = inside or key in MASKED_KEYS
    if isinstance(data, dict):
        return {name: _masked(value, name, inside) for name, value in data.items()}
    if isinstance(data, list):
        return [_masked(value, key, inside) for value in data]
    if isinstance(data, str) and inside:
        return mask_in_text(data)
    return data


#: The one Rasa this patch was written against; another version keeps Rasa's wrapper (logged).
PATCHED_RASA_VERSION = "3.6.21"
_rasa_create_tracker_store = Agent._create_tracker_store


def _create_tracker_store(store: Any, domain: Any) -> Any:
    """Agent._create_tracker_store without the FailSafeTrackerStore wrapper for this store (module doc);
    any other store goes through Rasa's own function."""
    if isinstance(store, MaskingSQLTrackerStore):
        store.domain = domain
        return store
    return _rasa_create_tracker_store(store, domain)


def install_strict_failures() -> bool:
    """Installs _create_tracker_store (service/serve.py calls this once, before Rasa builds the Agent).

    A patch of a private Rasa function: applied only on Rasa 3.6.21 and only over the function this was
    written against (Agent._create_tracker_store of rasa/core/agent.py); otherwise it logs and leaves
    Rasa as it is (a database outage then answers out of context, as in plain Rasa)."""
    import logging

    import rasa

    log = logging.getLogger(__name__)
    current = Agent.__dict__.get("_create_tracker_store")
    function = getattr(current, "__func__", None)
    if function is _create_tracker_store:
        return True
    if rasa.__version__ != PATCHED_RASA_VERSION or function is None or not (
        function.__qualname__ == "Agent._create_tracker_store"
        and function.__code__.co_filename.replace("\\", "/").endswith("rasa/core/agent.py")
    ):
        log.warning("tracker_store.strict_failures.skipped rasa=%s (patch written for %s)", rasa.__version__,
                    PATCHED_RASA_VERSION)
        return False
    Agent._create_tracker_store = staticmethod(_create_tracker_store)
    return True
