"""The cluster of `make serve-cluster` end to end, through real servers (service/cluster.py started once
per session by the `cluster` fixture): nginx → 2 Rasa instances → PostgreSQL + Redis + action server.

The tests run in this file's order; the ones that kill or stop something leave the cluster whole
again (cluster.wait_ready)."""
import os
import re
import signal
import threading
import time
import uuid

import pytest
import requests

pytestmark = pytest.mark.cluster

ID_NUMBER = "11010519491231002X"
CJK = re.compile(r"[\u4e00-\u9fff]")

# A conversation of the guided diagnosis: each message and a piece of the answer it must get.
DIAGNOSIS = [
    ("证件电子信息核验不合格", "证件号码"),
    (ID_NUMBER, "颁发日期"),
    ("2019年5月1日", "有效期"),
    ("长期", "处理方法"),
]
RESTART = ("重新开始", "已重新开始")


def new_sender(tag):
    return f"cluster-{tag}-{uuid.uuid4().hex[:10]}"


def say(base, sender, message, timeout=20.0):
    """POSTs one message to the REST channel; (status, texts, seconds)."""
    started = time.monotonic()
    answer = requests.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=timeout)
    elapsed = time.monotonic() - started
    try:
        texts = [m.get("text") or "" for m in answer.json()]
    except ValueError:
        texts = [answer.text]
    return answer.status_code, texts, elapsed


def joined(texts):
    return "\n".join(texts)


def user_turns(cluster, senders):
    with cluster.pg() as conn, conn.cursor() as cur:
        cur.execute("SELECT sender_id, count(*) FROM events WHERE type_name = 'user' AND sender_id = ANY(%s) GROUP BY sender_id",
                    (list(senders),))
        return dict(cur.fetchall())


@pytest.fixture
def ready(cluster):
    cluster.wait_ready()
    return cluster


def test_one_conversation_alternating_between_the_two_instances(ready):
    first, second = ready.instances
    sender = new_sender("alt")
    turns = [
        (first, "库中无此号", "证件号码"),  # the form asks for the number ...
        (second, "跳过", "个人，还是企业"),  # ... skipped on the other instance: the next question follows
        (first, "个人", "处理方法"),  # ... answered back on the first: the fix
    ]
    for base, message, expected in turns:
        status, texts, _ = say(base, sender, message)
        assert status == 200 and expected in joined(texts), (base, message, texts)
    # The same again with a correction: the state (slots) travels through PostgreSQL both ways.
    sender = new_sender("alt2")
    for i, (message, expected) in enumerate(DIAGNOSIS):
        status, texts, _ = say(ready.instances[i % 2], sender, message)
        assert status == 200 and expected in joined(texts), (i, message, texts)
    assert user_turns(ready, [sender]) == {sender: len(DIAGNOSIS)}


def _run_conversations(base, count, tag, rounds=1):
    """`count` conversations at once through `base`, each `rounds` diagnoses (a restart between them).
    Returns the threads and {sender: (messages sent, failures, unexpected answers)}: a failure (no
    answer, an empty one, an HTTP error) ends the conversation; an unexpected answer is noted."""
    results = {}
    script = (DIAGNOSIS + [RESTART]) * (rounds - 1) + DIAGNOSIS

    def talk(sender):
        sent, failures, unexpected = 0, [], []
        for message, expected in script:
            try:
                status, texts, elapsed = say(base, sender, message, timeout=40)
            except requests.RequestException as e:
                failures.append(f"{message}: {type(e).__name__}")
                break
            sent += 1
            if status != 200 or not texts or not all(texts):
                failures.append(f"{message}: HTTP {status} after {elapsed:.1f}s {texts}")
                break
            if expected not in joined(texts):
                unexpected.append(f"{message}: {texts}")
        results[sender] = (sent, failures, unexpected)

    threads = [threading.Thread(target=talk, args=(new_sender(f"{tag}{i}"),)) for i in range(count)]
    for t in threads:
        t.start()
    return threads, results


def test_twenty_concurrent_conversations_through_the_proxy(ready):
    threads, results = _run_conversations(ready.proxy, 20, "conc")
    for t in threads:
        t.join(180)
    problems = {s: f + u for s, (_, f, u) in results.items() if f or u}
    assert len(results) == 20 and not problems, problems
    assert user_turns(ready, results) == {s: len(DIAGNOSIS) for s in results}


def test_an_instance_killed_mid_traffic_loses_no_turn(ready):
    # Enough at once that both instances always have turns in flight (a turn takes 50-300 ms).
    threads, results = _run_conversations(ready.proxy, 16, "kill", rounds=3)
    time.sleep(0.7)
    victim = ready.instance_pid(0)
    os.kill(victim, signal.SIGKILL)
    for t in threads:
        t.join(240)
    assert len(results) == 16
    failures = {s: f for s, (_, f, _) in results.items() if f}
    assert not failures, failures  # every request got an answer (nginx retried it on the other instance)
    stored = user_turns(ready, results)
    lost = {s: (stored.get(s, 0), sent) for s, (sent, _, _) in results.items() if stored.get(s, 0) < sent}
    assert not lost, f"turns lost (stored, sent): {lost}"
    # The orchestrator noticed, kept the cluster up and starts the instance again.
    deadline = time.time() + 10
    while "exited unexpectedly" not in ready.log() and time.time() < deadline:
        time.sleep(0.2)
    assert "意外退出" in ready.log() and "exited unexpectedly" in ready.log()
    ready.wait_ready()
    assert ready.instance_pid(0) != victim
    status, texts, _ = say(ready.instances[0], new_sender("after-kill"), DIAGNOSIS[0][0])
    assert status == 200 and DIAGNOSIS[0][1] in joined(texts)

    # A turn the killed instance had saved but not yet answered is not run again by the retry: the
    # proxy's X-Request-ID finds it and its saved answer is sent (channels.rasa_bridge.earlier_answer).
    doubled = {s: (stored[s], sent) for s, (sent, _, _) in results.items() if stored[s] > sent}
    unexpected = {s: u for s, (_, _, u) in results.items() if u}
    assert not doubled and not unexpected, (doubled, unexpected)


def _outage_reply(base, sender, message):
    status, texts, elapsed = say(base, sender, message, timeout=20)
    assert elapsed < 11, f"the reply took {elapsed:.1f}s"
    assert texts and all(texts) and CJK.search(joined(texts)), (status, texts)
    return status, texts


def test_redis_restart(ready):
    from service.cluster import start_redis, stop_redis

    sender = new_sender("redis")
    assert DIAGNOSIS[0][1] in joined(say(ready.proxy, sender, DIAGNOSIS[0][0])[1])
    stop_redis(ready.cfg)
    try:
        for base in ready.instances:  # both instances, each with its own Redis connections
            status, texts = _outage_reply(base, sender, ID_NUMBER)
            assert "系统暂时无法处理" in joined(texts), texts
    finally:
        start_redis(ready.cfg)
    for i, (message, expected) in enumerate(DIAGNOSIS[1:]):
        status, texts, _ = say(ready.instances[i % 2], sender, message)
        assert status == 200 and expected in joined(texts), (message, texts)
    assert user_turns(ready, [sender]) == {sender: len(DIAGNOSIS)}


def test_postgresql_restart(ready):
    from service.cluster import start_postgres, stop_postgres

    sender = new_sender("pg")
    assert DIAGNOSIS[0][1] in joined(say(ready.proxy, sender, DIAGNOSIS[0][0])[1])
    stop_postgres(ready.cfg)
    outage = []
    try:
        for base in ready.instances:
            outage.append(_outage_reply(base, sender, ID_NUMBER))
    finally:
        start_postgres(ready.cfg)
    # Back up: the conversation goes on where it was, on either instance (their pools held dead connections).
    for i, (message, expected) in enumerate(DIAGNOSIS[1:]):
        status, texts, _ = say(ready.instances[i % 2], sender, message)
        assert status == 200 and expected in joined(texts), (message, texts)
    assert user_turns(ready, [sender]) == {sender: len(DIAGNOSIS)}
    # While it was down the user must be told to try again, not get an answer out of context.
    for status, texts in outage:
        assert "系统暂时无法处理" in joined(texts), texts


def test_id_numbers_are_masked_in_postgresql(ready):
    sender = new_sender("mask")
    for message, expected in DIAGNOSIS[:2]:
        status, texts, _ = say(ready.proxy, sender, message)
        assert status == 200 and expected in joined(texts)
    status, texts, _ = say(ready.proxy, sender, f"我填的是{ID_NUMBER}，身份证")
    with ready.pg() as conn, conn.cursor() as cur:
        cur.execute("SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
        rows = cur.fetchall()
    user_texts = [data for type_name, data in rows if type_name == "user"]
    assert len(user_texts) == 3
    assert not [data for _, data in rows if ID_NUMBER in data or ID_NUMBER.lower() in data.lower()]
    assert "1101" in user_texts[1] and "002X" in user_texts[1]  # masked, not dropped


def test_the_api_is_locked(ready):
    for method, path in (("GET", "/status"), ("DELETE", "/model"), ("GET", "/version"),
                         ("GET", "/conversations/x/tracker"), ("PUT", "/model")):
        for base in [ready.proxy] + ready.instances:
            answer = requests.request(method, base + path, timeout=10, json={})
            assert answer.status_code in (401, 403, 404), (method, base + path, answer.status_code)
    status, texts, _ = say(ready.proxy, new_sender("api"), DIAGNOSIS[0][0])
    assert status == 200 and DIAGNOSIS[0][1] in joined(texts)
