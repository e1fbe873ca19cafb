"""`make bench`: the figures of the README, measured on this machine.

1. held-out NLU accuracy, overall and per intent (tests/nlu_heldout, never trained on);
2. training time of a full `rasa train` (skip with --skip-training to reuse bench/last-training.json);
3. REST round-trip latency p50/p95 after warm-up, at 1 and at 10 concurrent conversations;
4. peak memory (VmHWM) of the Rasa server and of the action server;
5. guided diagnosis: share of scripted conversations that reach the exact fix, and questions asked;
6. one conversation of 80 turns (bench/long_conversation.py): p50 of turns 1-20 / 41-60 / 61-80 and their
   ratio, and the first answer after a fresh start against later answers.

Prints the figures and writes bench/results.json. Only loopback addresses are contacted.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from realname.catalog import load_catalog  # noqa: E402
from realname.diagnosis import FACTS  # noqa: E402
from bench import long_conversation  # noqa: E402
from bench.long_conversation import percentile  # noqa: E402
from scripts import score_heldout_nlu  # noqa: E402

PY = sys.executable
RASA = str(Path(PY).parent / "rasa")
MODEL = ROOT / "models" / "realname.tar.gz"
MESSAGES = [
    "证件电子信息核验不合格", "库中无此号", "注册联系人信息有误，请检测：Command syntax error", "你好",
    "我拍的照片是反的", "营业执照刚办下来", "转人工", "ICP备案被驳回了怎么办", "上传的文件格式不支持",
    "注册者证件不清晰/被遮挡", "谢谢", "国家代码填了010",
]


def machine_speed_ms() -> float:
    """Median time of a fixed pure-Python loop: shared 2-core machines drift by a third within minutes,
    and this says how fast the machine was while the latency was measured (~90 ms when it is quick)."""
    def loop() -> float:
        start, total = time.perf_counter(), 0
        for number in range(1_000_000):
            total += number
        return (time.perf_counter() - start) * 1000

    return round(statistics.median(loop() for _ in range(7)), 1)


def measure_training() -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.monotonic()
        subprocess.run([RASA, "train", "--out", out, "--force"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round(time.monotonic() - start, 1)


def peak_memory_mb(pid: int) -> float:
    total = 0.0
    for child in [pid] + _children(pid):
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return round(total, 1)


def _children(pid: int):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class Servers(long_conversation.Servers):
    """The servers as `make serve` runs them (bench/long_conversation.py), with the API on behind a throw-away
    token: the diagnosis figures read slots."""

    def __init__(self, workdir: Path):
        self.token = uuid.uuid4().hex + uuid.uuid4().hex
        super().__init__(workdir, env={"REALNAME_API_TOKEN": self.token, "SANIC_HOST": "127.0.0.1"})

    def slots(self, sender: str):
        tracker = requests.get(f"http://127.0.0.1:{self.rasa_port}/conversations/{sender}/tracker",
                               params={"token": self.token}, timeout=30)
        return tracker.json()["slots"]


def timed_send(servers: Servers, sender: str, text: str, http) -> float:
    start = time.perf_counter()
    servers.send(sender, text, http)
    return (time.perf_counter() - start) * 1000


CONVERSATION_LENGTH = 6  # messages per conversation: a new conversation (sender) after that
ROUND = 100  # the 1-user figures are also given per round of 100 requests: this machine's speed drifts


def latency(servers: Servers, users: int, requests_per_user: int):
    def conversation(user: int):
        times = []
        # One keep-alive connection per user, as a help page or a chat gateway keeps.
        with requests.Session() as http:
            for n in range(requests_per_user):
                if n % CONVERSATION_LENGTH == 0:
                    sender = f"bench-{users}-{user}-{uuid.uuid4().hex[:6]}"
                times.append(timed_send(servers, sender, MESSAGES[(user + n) % len(MESSAGES)], http))
        return times

    with concurrent.futures.ThreadPoolExecutor(users) as pool:
        per_user = list(pool.map(conversation, range(users)))
    times = [t for result in per_user for t in result]
    figures = {"users": users, "requests": len(times), "p50_ms": round(percentile(times, 0.5), 1),
               "p95_ms": round(percentile(times, 0.95), 1)}
    if users == 1 and len(times) > ROUND:
        rounds = [times[start:start + ROUND] for start in range(0, len(times), ROUND)]
        figures["rounds_p50_ms"] = [round(percentile(part, 0.5), 1) for part in rounds]
        figures["rounds_p95_ms"] = [round(percentile(part, 0.95), 1) for part in rounds]
    return figures


def diagnosis_figures(servers: Servers):
    by_text = long_conversation.question_facts()
    scenarios = yaml.safe_load((ROOT / "bench" / "conversations.yml").read_text(encoding="utf-8"))["conversations"]
    exact, first_helps, asked_counts = 0, 0, []
    for scenario in scenarios:
        sender = f"diag-{uuid.uuid4().hex[:8]}"
        replies = servers.send(sender, scenario["message"])
        first_helps += any("\n1. " in (r.get("text") or "") for r in replies)
        asked = 0
        for _ in range(10):  # a bound: no conversation asks more than the 8 facts
            fact = next((by_text[r.get("text")] for r in replies if r.get("text") in by_text), None)
            if fact is None:
                break
            asked += 1
            replies = servers.send(sender, scenario["answers"].get(fact, "跳过"))
        slots = servers.slots(sender)
        reason = load_catalog().reason(slots.get("failure_reason") or "")
        headings = tuple(load_catalog().says(name) for name in ("fix_heading", "after_answers_heading"))
        fix_given = any((r.get("text") or "").startswith(headings) for r in replies)
        needed = [f for f in (reason.facts if reason else []) if f in FACTS]
        known = all(slots.get(f) not in (None, "skip") or _not_needed(f, slots) for f in needed)
        exact += bool(reason and fix_given and known)
        asked_counts.append(asked)
    return {"conversations": len(scenarios), "exact_fix_share": round(exact / len(scenarios), 3),
            # the first reply to the pasted message already has numbered steps
            "first_reply_with_steps_share": round(first_helps / len(scenarios), 3),
            "average_questions": round(statistics.mean(asked_counts), 2)}


def _not_needed(fact, slots):
    """A fact the diagnosis decided not to ask (implied by another, or irrelevant for this case)."""
    from realname.diagnosis import questions_for

    from datetime import date

    return fact not in questions_for(slots.get("failure_reason"), {**slots, fact: None}, date.today())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()

    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} cores, "
               f"{platform.machine()}, Python {platform.python_version()}"}
    examples = score_heldout_nlu.load_examples(ROOT / "tests" / "nlu_heldout")
    predictions = asyncio.run(score_heldout_nlu.predict_all(str(MODEL), examples))
    nlu = score_heldout_nlu.score(examples, predictions)
    results["heldout_nlu"] = {"examples": nlu["examples"], "accuracy": nlu["accuracy"], "per_intent": nlu["per_intent"]}

    if args.skip_training:
        results["training_seconds"] = json.loads((ROOT / "bench" / "last-training.json").read_text())["seconds"]
    else:
        results["training_seconds"] = measure_training()

    with tempfile.TemporaryDirectory() as workdir:
        servers = Servers(Path(workdir))
        try:
            for text in MESSAGES * 2:  # warm-up: every code path once or twice
                servers.send("warm-up", text)
            speed_before = machine_speed_ms()
            results["latency_1_user"] = latency(servers, 1, 3 * ROUND)
            results["machine_loop_ms_before_after"] = [speed_before, machine_speed_ms()]
            results["latency_10_users"] = latency(servers, 10, 20)
            results["diagnosis"] = diagnosis_figures(servers)
            results["peak_memory_mb"] = {"rasa_server": peak_memory_mb(servers.rasa.pid),
                                         "action_server": peak_memory_mb(servers.actions.pid)}
        finally:
            servers.stop()

    # Servers of their own, started fresh: the first answer after a start, and 80-turn conversations.
    results["long_conversation"] = long_conversation.main(["--runs", "3"])

    (ROOT / "bench" / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "heldout_nlu"}, ensure_ascii=False, indent=1))
    print(f"held-out NLU accuracy: {nlu['accuracy']:.2%} on {nlu['examples']} examples")
    for intent, accuracy in nlu["per_intent"].items():
        print(f"  {intent:28s} {accuracy:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
