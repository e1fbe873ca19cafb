"""Faults against real servers: the action server down or hanging, the Rasa server restarted in the
middle of the questions. The user always gets a clear answer within seconds, and the conversation
goes on where it was once the fault is over."""
import os
import signal
import time
import uuid

import requests

QUESTION_MARK = "跳过"  # every follow-up question offers a skip


def rest(stack, sender, text, timeout=30):
    r = requests.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=timeout)
    assert r.status_code == 200, r.text
    return r.json()


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)


def buttons(messages):
    return [b.get("title") for m in messages for b in m.get("buttons") or []]


def in_the_questions(stack):
    sender = "fault-" + uuid.uuid4().hex[:10]
    first = rest(stack, sender, "证件电子信息核验不合格")
    assert texts(first).startswith("【证件电子信息核验不合格】")
    assert any("跳过" in (b or "") for b in buttons(first)), first  # a follow-up question is asked
    return sender, first


def test_the_action_server_down_gets_an_apology_and_the_questions_go_on_after(fault_stack):
    sender, first = in_the_questions(fault_stack)
    question = texts(first).strip().split("\n")[-1]
    fault_stack.stop("actions")
    try:
        time.sleep(1.2)
        for _ in range(2):
            started = time.monotonic()
            answer = texts(rest(fault_stack, sender, QUESTION_MARK))
            assert time.monotonic() - started < 5
            assert "暂时不可用" in answer and "进度都还在" in answer
    finally:
        fault_stack.start_actions()
    time.sleep(0.6)
    after = rest(fault_stack, sender, QUESTION_MARK)
    # The skip answers the question that was open before the fault: the next question or the fix.
    assert question not in texts(after), after
    assert "暂时不可用" not in texts(after)
    assert any("跳过" in (b or "") for b in buttons(after)) or "处理方法" in texts(after), after


def test_a_hanging_action_server_gets_an_apology_within_seconds(fault_stack):
    sender, _ = in_the_questions(fault_stack)
    os.kill(fault_stack.actions.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        answer = texts(rest(fault_stack, sender, QUESTION_MARK))
        assert time.monotonic() - started < 6
        assert "暂时不可用" in answer
        other = "fault-" + uuid.uuid4().hex[:10]
        assert "暂时不可用" in texts(rest(fault_stack, other, "你好"))
    finally:
        os.kill(fault_stack.actions.pid, signal.SIGCONT)
    time.sleep(1.2)
    after = rest(fault_stack, sender, QUESTION_MARK)
    assert "暂时不可用" not in texts(after)
    assert any("跳过" in (b or "") for b in buttons(after)) or "处理方法" in texts(after), after


def test_a_restart_of_the_rasa_server_continues_the_questions(fault_stack):
    sender, first = in_the_questions(fault_stack)
    question = texts(first).strip().split("\n")[-1]
    fault_stack.stop("rasa")
    fault_stack.start_rasa()
    after = rest(fault_stack, sender, QUESTION_MARK)
    assert question not in texts(after) and not texts(after).startswith("【证件电子信息核验不合格】"), after
    assert any("跳过" in (b or "") for b in buttons(after)) or "处理方法" in texts(after), after


def test_a_request_retried_by_the_proxy_is_answered_from_the_saved_turn_not_run_twice(locked_stack):
    sender, request_id = "retry-" + uuid.uuid4().hex[:10], uuid.uuid4().hex

    def send(text):
        r = requests.post(f"{locked_stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                          headers={"X-Request-ID": request_id, "X-Forwarded-For": "192.0.2.200"}, timeout=30)
        assert r.status_code == 200
        return r.json()

    first = send("库中无此号")
    again = send("库中无此号")  # the same request once more, as nginx sends it after an instance died
    assert again == first and texts(first).startswith("【库中无此号")
    tracker = requests.get(f"{locked_stack.url}/conversations/{sender}/tracker", params={"token": locked_stack.token},
                           timeout=10).json()
    assert [e["event"] for e in tracker["events"]].count("user") == 1
