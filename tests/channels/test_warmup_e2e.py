"""service/warmup.py on a started server (`make serve`'s launcher): the warm-up ran whole, and the
conversation it ran is in no one's store."""
import sqlite3
from pathlib import Path

import requests

from service import warmup


def test_the_warm_up_ran_and_left_no_conversation(rasa_stack):
    assert rasa_stack.wait_log("service.warmup.done", timeout=60)
    log = rasa_stack.log()
    assert "service.warmup.skipped" not in log and "_failed error=" not in log
    answer = requests.post(f"{rasa_stack.url}/webhooks/rest/webhook", json={"sender": "after-warm-up", "message": "你好"},
                           timeout=30)
    assert answer.status_code == 200 and answer.json()
    database = Path(rasa_stack.log_path).parent / "conversations.db"
    with sqlite3.connect(database) as connection:
        senders = {row[0] for row in connection.execute("SELECT DISTINCT sender_id FROM events")}
    assert "after-warm-up" in senders
    assert not any(sender.startswith(warmup.SENDER) for sender in senders), senders
