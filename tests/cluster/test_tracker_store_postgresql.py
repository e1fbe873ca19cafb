"""The masking tracker store on the cluster's PostgreSQL: one statement per read in autocommit, and a
connection the server closed costs no read (the store's own pool, not the instances')."""
import uuid

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from storage.tracker_store import MaskingSQLTrackerStore

pytestmark = pytest.mark.cluster

APP = "realname-store-test"
DOMAIN = Domain.from_yaml("version: '3.1'\nslots:\n  region:\n    type: text\n    mappings:\n    - type: custom\n")


@pytest.fixture
def store(cluster):
    cluster.wait_ready()
    cfg = cluster.cfg
    made = MaskingSQLTrackerStore(domain=DOMAIN, dialect="postgresql", host=cfg.pg_host, port=cfg.pg_port,
                                  db=cfg.pg_db, username=cfg.pg_user, password=cfg.pg_password,
                                  query={"application_name": APP})
    yield made
    made.engine.dispose()


def close_store_connections(cluster):
    """What a restart of the server does to the store's pooled connections."""
    with cluster.pg() as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (APP,))
        return len(cur.fetchall())


def conversation(sender):
    return DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_listen"), UserUttered("库中无此号", {"name": "fail_number_not_found", "confidence": 1.0},
                                                    message_id="a1b2c3d4e5f6"),
        SlotSet("region", "中国香港")], DOMAIN.slots)


def test_the_store_s_connections_run_without_transactions(store):
    with store.engine.connect() as connection:
        assert connection.connection.dbapi_connection.autocommit is True


async def test_reads_and_saves_go_on_after_the_server_closed_every_connection(store, cluster):
    sender = f"store-{uuid.uuid4().hex[:10]}"
    tracker = conversation(sender)
    await store.save(tracker)
    assert (await store.retrieve(sender)).get_slot("region") == "中国香港"

    assert close_store_connections(cluster) >= 1
    restored = await store.retrieve(sender)  # the cached session's check meets a closed connection first
    assert [event.type_name for event in restored.events] == ["action", "user", "slot"]

    close_store_connections(cluster)
    restored.update(SlotSet("region", "中国澳门"))
    await store.save(restored)  # its count meets the closed connection; the INSERT goes on a new one
    close_store_connections(cluster)
    assert await store.has_user_message(sender, "a1b2c3d4e5f6")
    store._cache.clear()  # a full read, as another instance would make
    close_store_connections(cluster)
    again = await store.retrieve(sender)
    assert again.get_slot("region") == "中国澳门"
    assert [event.type_name for event in again.events] == ["action", "user", "slot", "slot"]
