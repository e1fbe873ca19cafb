import sqlite3

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.tracker_store import MaskingSQLTrackerStore

NUMBER = "11010519491231002X"
DOMAIN = Domain.from_yaml("version: '3.1'\n")


async def test_nothing_saved_contains_a_full_id_number(tmp_path):
    domain = Domain.from_yaml(
        "version: '3.1'\nslots:\n  doc_number:\n    type: text\n    mappings:\n    - type: custom\n"
    )
    db = tmp_path / "conversations.db"
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker.from_events(
        "someone",
        [UserUttered(f"我的身份证号是 {NUMBER}", {"name": "inform", "confidence": 1.0}), SlotSet("doc_number", NUMBER)],
        domain.slots,
    )
    await store.save(tracker)

    rows = sqlite3.connect(db).execute("select data from events").fetchall()
    saved = " ".join(row[0] for row in rows)
    assert NUMBER not in saved
    assert "1101********002X" in saved

    restored = await store.retrieve("someone")
    assert restored.get_slot("doc_number") == "1101********002X"
    # the tracker in memory (what actions saw this turn) is untouched
    assert tracker.get_slot("doc_number") == NUMBER


async def test_conversations_survive_a_restart_of_the_server(tmp_path):
    domain = Domain.from_yaml("version: '3.1'\nslots:\n  region:\n    type: text\n    mappings:\n    - type: custom\n")
    db = str(tmp_path / "conversations.db")
    first = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    tracker = DialogueStateTracker.from_events(
        "someone", [UserUttered("库中无此号", {"name": "fail_number_not_found", "confidence": 0.9}),
                    SlotSet("region", "中国香港")], domain.slots)
    await first.save(tracker)
    tracker.update(SlotSet("region", "中国澳门"))
    await first.save(tracker)  # only the new event is written
    first.engine.dispose()

    restarted = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    restored = await restarted.retrieve("someone")
    assert [event.type_name for event in restored.events] == ["user", "slot", "slot"]
    assert restored.get_slot("region") == "中国澳门"
    assert restored.latest_message.text == "库中无此号"
    # the columns Rasa fills for queries by hand
    rows = sqlite3.connect(db).execute("select sender_id, type_name, intent_name, action_name from events").fetchall()
    assert rows == [("someone", "user", "fail_number_not_found", None), ("someone", "slot", None, "region"),
                    ("someone", "slot", None, "region")]


def test_sqlite_file_is_written_in_wal_mode(tmp_path):
    db = tmp_path / "conversations.db"
    store = MaskingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(db))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # 1 = NORMAL: no sync per commit in WAL mode, still safe against a crash of the server
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def two_sessions():
    from rasa.shared.core.events import ActionExecuted, SessionStarted

    return [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0),
            ActionExecuted("action_listen", timestamp=1.0), UserUttered("库中无此号", timestamp=2.0),
            SlotSet("region", "中国香港", timestamp=2.0), ActionExecuted("action_session_start", timestamp=9.0),
            SessionStarted(timestamp=9.0), ActionExecuted("action_listen", timestamp=9.0),
            UserUttered("你好", timestamp=10.0)]


async def test_reads_and_writes_match_rasa_s_own_sql_store(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    domain = Domain.from_yaml("version: '3.1'\nslots:\n  region:\n    type: text\n    mappings:\n    - type: custom\n")
    ours = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "ours.db"))
    rasa_s = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "rasa.db"))
    events = two_sessions()
    for store in (ours, rasa_s):
        # saved in three turns, the last one after a new session started
        for turn in (events[:3], events[:5], events):
            await store.save(DialogueStateTracker.from_events("someone", turn, domain.slots))

    def rows(name):
        return sqlite3.connect(tmp_path / name).execute(
            "select sender_id, type_name, timestamp, intent_name, action_name, data from events order by id").fetchall()

    assert rows("ours.db") == rows("rasa.db")
    assert len(rows("ours.db")) == len(events)
    for read in ("retrieve", "retrieve_full_tracker"):
        mine, theirs = await getattr(ours, read)("someone"), await getattr(rasa_s, read)("someone")
        assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in theirs.events], read
    assert len((await ours.retrieve("someone")).events) == 4  # the latest session only
    assert await ours.retrieve("nobody") is None


def test_rasa_does_not_wrap_this_store_in_its_fail_safe_store(tmp_path):
    """FailSafeTrackerStore answers from an empty conversation when the database fails (see the module)."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore

    from storage.tracker_store import _rasa_create_tracker_store, install_strict_failures

    original = MaskingSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "o.db"))
    assert isinstance(_rasa_create_tracker_store(original, DOMAIN), FailSafeTrackerStore)  # Rasa's own behaviour
    assert install_strict_failures() and install_strict_failures()  # once, idempotent
    store = MaskingSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "c.db"))
    assert Agent._create_tracker_store(store, DOMAIN) is store
    assert store.domain is DOMAIN
    assert isinstance(Agent._create_tracker_store(InMemoryTrackerStore(DOMAIN), DOMAIN), FailSafeTrackerStore)


def test_the_patch_is_skipped_on_another_rasa(monkeypatch, caplog):
    import rasa
    from rasa.core.agent import Agent

    from storage import tracker_store

    monkeypatch.setattr(Agent, "_create_tracker_store", staticmethod(tracker_store._rasa_create_tracker_store))
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    assert not tracker_store.install_strict_failures()
    assert Agent.__dict__["_create_tracker_store"].__func__ is tracker_store._rasa_create_tracker_store
    assert "skipped" in caplog.text


async def test_a_database_failure_reaches_the_caller_instead_of_a_fresh_conversation(tmp_path):
    import sqlalchemy
    from rasa.core.agent import Agent

    from storage.tracker_store import install_strict_failures

    install_strict_failures()

    db = tmp_path / "c.db"
    store = Agent._create_tracker_store(MaskingSQLTrackerStore(dialect="sqlite", db=str(db)), DOMAIN)
    tracker = DialogueStateTracker.from_events("s1", [UserUttered("库中无此号")])
    await store.save(tracker)
    store.engine.dispose()
    sqlite3.connect(db).execute("DROP TABLE events")
    with pytest.raises(sqlalchemy.exc.OperationalError):
        await store.get_or_create_tracker("s1")


async def test_a_stored_user_message_is_found_by_its_id(tmp_path):
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "c.db"))
    tracker = DialogueStateTracker.from_events("s1", [UserUttered("库中无此号", message_id="a1b2c3d4e5f6a7b8")])
    await store.save(tracker)
    assert await store.has_user_message("s1", "a1b2c3d4e5f6a7b8")
    assert not await store.has_user_message("s1", "ffffffffffffffff")
    assert not await store.has_user_message("s2", "a1b2c3d4e5f6a7b8")
    assert not await store.has_user_message("s1", "%")  # a pattern is not an id


async def test_the_answer_to_a_message_is_read_across_a_session_start(tmp_path):
    from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, SessionStarted

    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "c.db"))
    await store.save(DialogueStateTracker.from_events("s1", [
        UserUttered("重新开始", message_id="a1b2c3d4e5f6a7b8"), ActionExecuted("action_restart"),
        BotUttered("已重新开始"), Restarted(), ActionExecuted("action_session_start"), SessionStarted(),
        ActionExecuted("action_listen"), UserUttered("库中无此号 110101199003070016", message_id="c1c2c3c4c5c6c7c8"),
        BotUttered("原因：库中无此号"),
    ]))
    answer = await store.answer_to("s1", "a1b2c3d4e5f6a7b8")
    assert [e["event"] for e in answer] == ["action", "bot", "restart", "action", "session_started", "action"]
    assert [e["text"] for e in answer if e["event"] == "bot"] == ["已重新开始"]
    assert [e["text"] for e in await store.answer_to("s1", "c1c2c3c4c5c6c7c8")] == ["原因：库中无此号"]
    assert await store.answer_to("s1", "ffffffffffffffff") is None
    assert await store.answer_to("s2", "a1b2c3d4e5f6a7b8") is None
    assert await store.answer_to("s1", "%") is None  # a pattern is not an id


# --- the cached latest session (MaskingSQLTrackerStore._latest_session) -----------------------------------

import copy as _copy  # noqa: E402
import json as _json  # noqa: E402

import sqlalchemy as _sa  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

from rasa.shared.core.events import ActionExecuted, SessionStarted  # noqa: E402
from rasa.shared.core.events import Event as _Event  # noqa: E402

_ROOT = _Path(__file__).resolve().parents[2]
_EVENTS = _json.loads((_ROOT / "tests" / "components" / "data" / "long_conversation_events.json").read_text(
    encoding="utf-8"))


def _state(tracker):
    data = dict(tracker.__dict__)
    events = [e.as_dict() for e in data.pop("events")]
    slots = {name: (type(slot), dict(slot.__dict__)) for name, slot in data.pop("slots").items()}
    rest = {}
    for name in ("latest_message", "latest_bot_utterance"):
        value = data.pop(name)
        rest[name] = None if value is None else {k: v for k, v in value.as_dict().items() if k != "timestamp"}
    return events, slots, rest, data


async def _database_read(db, domain, sender):
    from rasa.core.tracker_store import SQLTrackerStore

    return await SQLTrackerStore(domain=domain, dialect="sqlite", db=str(db)).retrieve(sender)


def _turns(events):
    starts = [i for i, e in enumerate(events) if e["event"] == "user"] + [len(events)]
    return [events[:end] for end in starts[1:]]


@pytest.fixture(scope="module")
def full_domain():
    return Domain.load(str(_ROOT / "domain.yml"))


async def test_a_cached_read_is_what_the_database_gives_turn_after_turn(tmp_path, full_domain):
    db = tmp_path / "c.db"
    store = MaskingSQLTrackerStore(domain=full_domain, dialect="sqlite", db=str(db))
    events = _copy.deepcopy(_EVENTS[:400])
    users = [i for i, e in enumerate(events) if e["event"] == "user"]
    events[users[3]]["text"] = f"我的身份证号是 {NUMBER}"  # typed in a turn: masked when saved and read
    tracker = None
    for turn in _turns(events):
        tracker = await store.retrieve("s1") or DialogueStateTracker("s1", full_domain.slots)
        for data in turn[len(tracker.events):]:
            tracker.update(_Event.from_parameters(_copy.deepcopy(data)))
        await store.save(tracker)
        tracker.update(SlotSet("doc_number", NUMBER))  # changed after the save: never reaches a read
        read = await store.retrieve("s1")
        assert _state(read) == _state(await _database_read(db, full_domain, "s1"))
    assert store._cache["s1"].count == len(read.events)
    texts = " ".join(str(e.as_dict()) for e in read.events)
    assert NUMBER not in texts and "1101********002X" in texts


async def test_another_instance_writing_in_between_is_read(tmp_path, full_domain):
    db = tmp_path / "c.db"
    first = MaskingSQLTrackerStore(domain=full_domain, dialect="sqlite", db=str(db))
    second = MaskingSQLTrackerStore(domain=full_domain, dialect="sqlite", db=str(db))
    turns = _turns(_copy.deepcopy(_EVENTS[:300]))
    for n, turn in enumerate(turns):
        store = first if n % 3 else second  # the cluster: turns answered by either instance
        tracker = await store.retrieve("s1") or DialogueStateTracker("s1", full_domain.slots)
        for data in turn[len(tracker.events):]:
            tracker.update(_Event.from_parameters(_copy.deepcopy(data)))
        if n == 10:  # a new session started by the other instance
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)
        for reader in (first, second):
            assert _state(await reader.retrieve("s1")) == _state(await _database_read(db, full_domain, "s1"))


async def test_what_a_turn_does_to_its_tracker_does_not_reach_the_cache(tmp_path, full_domain):
    db = tmp_path / "c.db"
    store = MaskingSQLTrackerStore(domain=full_domain, dialect="sqlite", db=str(db))
    loops = 0
    for end in range(150, 300, 7):
        tracker = await store.retrieve("s1") or DialogueStateTracker("s1", full_domain.slots)
        for data in _EVENTS[len(tracker.events):end]:
            tracker.update(_Event.from_parameters(_copy.deepcopy(data)))
        await store.save(tracker)
        read = await store.retrieve("s1")  # from the cache
        if read.active_loop is not None:  # what interrupt_loop / reject_action do
            loops += 1
            read.active_loop.is_interrupted = not read.active_loop.is_interrupted
            read.active_loop.rejected = True
        read.latest_action["action_name"] = "x"
        read.update(SlotSet("region", "中国澳门"))
        read.update(UserUttered("你好"))
        assert _state(await store.retrieve("s1")) == _state(await _database_read(db, full_domain, "s1"))
    assert loops


async def test_rows_removed_or_changed_in_the_database_are_read_again(tmp_path, full_domain):
    db = tmp_path / "c.db"
    store = MaskingSQLTrackerStore(domain=full_domain, dialect="sqlite", db=str(db))
    await store.save(DialogueStateTracker.from_dict("s1", _copy.deepcopy(_EVENTS[:120]), full_domain.slots))
    await store.retrieve("s1")
    store.engine.dispose()
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    assert _state(await store.retrieve("s1")) == _state(await _database_read(db, full_domain, "s1"))
    assert await store.retrieve("nobody") is None


async def _turn(store, domain, sender, new_events):
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
    for event in new_events:
        tracker.update(event)
    return tracker


async def test_saves_of_read_trackers_write_the_rows_rasa_s_store_writes(tmp_path):
    """Turns read and saved by two instances in the orders a cluster can give (one saves a tracker read
    before the other's turn was written: what Rasa's save does then, ours does too)."""
    from rasa.core.tracker_store import SQLTrackerStore

    domain = Domain.from_yaml("version: '3.1'\nslots:\n  region:\n    type: text\n    mappings:\n    - type: custom\n")
    events = two_sessions()
    results = {}
    for name, kind in (("ours", MaskingSQLTrackerStore), ("rasa", SQLTrackerStore)):
        db = str(tmp_path / f"{name}.db")
        first, second = (kind(domain=domain, dialect="sqlite", db=db) for _ in range(2))
        await first.save(await _turn(first, domain, "s", events[:3]))
        await first.save(await _turn(first, domain, "s", events[3:4]))
        stale = await _turn(first, domain, "s", [SlotSet("region", "中国澳门", timestamp=3.0)])
        await second.save(await _turn(second, domain, "s", [SlotSet("region", "中国香港", timestamp=3.5)]))
        await first.save(stale)  # read before the second instance's turn was written
        await first.save(await _turn(first, domain, "s", events[5:]))
        await second.save(await _turn(second, domain, "s", [UserUttered("谢谢", timestamp=11.0)]))
        results[name] = sqlite3.connect(db).execute(
            "select type_name, timestamp, data from events order by id").fetchall()
    assert results["ours"] == results["rasa"]
    assert len(results["ours"]) > len(events)


async def test_a_turn_s_reads_and_write_use_the_sender_index_alone(tmp_path, full_domain):
    """The statements of a turn late in a long conversation: none visits the session's rows again
    (what made a turn cost more as the conversation grew)."""
    db = tmp_path / "c.db"
    store = MaskingSQLTrackerStore(domain=full_domain, dialect="sqlite", db=str(db))
    statements = []
    turns = _turns(_copy.deepcopy(_EVENTS[:400]))
    for n, turn in enumerate(turns):
        if n == len(turns) - 1:
            _sa.event.listen(store.engine, "before_cursor_execute",
                             lambda conn, cursor, statement, *rest: statements.append(statement))
        tracker = await store.retrieve("s1") or DialogueStateTracker("s1", full_domain.slots)
        for data in turn[len(tracker.events):]:
            tracker.update(_Event.from_parameters(_copy.deepcopy(data)))
        await store.save(tracker)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2 and all("session_started" not in s and "timestamp" not in s for s in reads), reads
    with sqlite3.connect(db) as connection:
        for statement in reads:
            sql = statement.replace("?", "'s1'", 1).replace("?", "0")
            plan = " ".join(row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert "COVERING INDEX" in plan or "INTEGER PRIMARY KEY" in plan, plan
    assert _state(await store.retrieve("s1")) == _state(await _database_read(db, full_domain, "s1"))
