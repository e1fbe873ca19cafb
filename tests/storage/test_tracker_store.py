import sqlite3

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.tracker_store import MaskingSQLTrackerStore

NUMBER = "11010519491231002X"


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
