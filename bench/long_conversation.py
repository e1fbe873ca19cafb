"""Does a turn get slower as one conversation grows? And is the first answer after a start slow?

`python -m bench.long_conversation` (or `main()`): starts the action server and the Rasa server
(service/serve.py, the repository's endpoints with free ports and a fresh SQLite file, the REST
channel with the benchmark's rate limits off), then

- times the very first answer after the start (a failure message: NLU, policies, the action server), and
  the same message later, each after a pause of PAUSE_SECONDS (what the first one follows too: the
  start); back-to-back answers are faster than any answer after a pause (warm CPU caches, the health
  check of the action server trusted for half a second), so that is the fair comparison;
- runs an 80-turn conversation 3 times, each with a fresh sender id, on one keep-alive connection:
  pasted rejection messages, the answers to the follow-up questions (a value or 「跳过」), buttons the
  bot offered (「还有其他问题」), greetings and thanks, cycled so the conversation goes through the
  diagnosis form again and again;
- prints the p50 of turns 1–20, 41–60 and 61–80 and the ratio p50(61–80) / p50(1–20) (target ≤ 1.2),
  and the first answer against the p50 of the later answers;
- and the same comparison message for message: each of turns 61–80 against the p50 of the same text in
  turns 1–20 of its run (the p50 of those ratios). The bands hold different mixes of turns: the questions
  come in the first turns only (the answers are remembered), so later bands hold more pastes, which call
  three actions; this figure is the growth with the conversation's length alone.

Only loopback addresses are contacted. The machine is shared: compare figures within one run.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_endpoints import write_local_endpoints  # noqa: E402
from scripts.wait_port import wait_port  # noqa: E402

PY = sys.executable
MODEL = ROOT / "models" / "realname.tar.gz"
LAUNCHER = "service.serve"
TURNS = 80
RUNS = 3
BANDS = ((1, 20), (41, 60), (61, 80))
FIRST_MESSAGE = "证件电子信息核验不合格"
PAUSE_SECONDS = 2.0
PAUSED_MESSAGES = 5

# What the user says when the bot asked nothing: cycled. A ("button", payload) is pressed only when the
# bot's last answer offered it (the fix offers 「还有其他问题」 = /fail_unspecified); else it is skipped.
SCRIPT: Sequence = (
    "你好",
    "库中无此号",
    ("button", "/fail_unspecified"),
    "证件电子信息核验不合格",
    "谢谢",
    "营业执照刚办三天提示不在实名库中",
    ("button", "/fail_unspecified"),
    "注册者信息不一致",
    "注册联系人信息有误，请检测：Command syntax error",
    "谢谢",
    "注册者证件不清晰/被遮挡",
    ("button", "/fail_unspecified"),
    "当前词为禁止词",
    "提交资料显示为海外用户",
    "你好",
    "注册者证件类型选择错误或证件号码位数不正确",
)
# The answers to the follow-up questions, by fact; each form takes the next one of the fact's list.
ANSWERS: Dict[str, Sequence[str]] = {
    "region": ("中国内地", "跳过", "中国香港"),
    "holder_type": ("企业或组织", "个人", "跳过"),
    "doc_type": ("营业执照", "身份证", "跳过"),
    "issue_date": ("三天前", "跳过", "2019-05-01"),
    "expiry_date": ("长期", "跳过", "2029-05-01"),
    "doc_number": ("11010519491231002X", "跳过", "91350100M000100Y43"),
    "holder_name": ("中文：张三 英文：Zhang San", "跳过"),
    "domain": ("example.cn", "跳过", "shop88.com"),
    "country_code": ("86", "跳过", "010"),
}


def question_facts() -> Dict[str, str]:
    """{question text: fact} of the diagnosis form's questions (domain.yml's utter_ask_<fact>, every variation)."""
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    return {variation["text"]: name[len("utter_ask_"):] for name, variations in responses.items()
            if name.startswith("utter_ask_") for variation in variations}


def _warms_up(launcher: str) -> bool:
    """Does the launcher call service/warmup.py? (service/serve.py once its owner hooks it in)."""
    import importlib.util

    spec = importlib.util.find_spec(launcher)
    source = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    return "warmup" in source


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Servers:
    """The action server (rasa_sdk) and the Rasa server (service/serve.py) on free ports, a fresh SQLite file."""

    def __init__(self, workdir: Path, env: Optional[Dict[str, str]] = None, launcher: str = LAUNCHER) -> None:
        self.actions_port, self.rasa_port = free_port(), free_port()
        endpoints = write_local_endpoints(workdir / "endpoints.yml", self.actions_port, workdir / "long.db")
        pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        extra = env or {}
        env = dict(os.environ, PYTHONPATH=pythonpath, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
        env.pop("REALNAME_API_TOKEN", None)  # the API stays off unless the caller's `env` turns it on
        env.update(extra)
        self.log_path = workdir / "servers.log"
        log = open(self.log_path, "w")
        self.actions = subprocess.Popen([PY, "-m", "rasa_sdk", "--actions", "actions", "-p", str(self.actions_port)],
                                        cwd=ROOT, env=env, stdout=log, stderr=log)
        self.rasa = subprocess.Popen(
            [PY, "-m", launcher, "-m", str(MODEL), "-p", str(self.rasa_port), "-i", "127.0.0.1",
             "--endpoints", str(endpoints), "--credentials", str(ROOT / "bench" / "credentials.bench.yml")],
            cwd=ROOT, env=env, stdout=log, stderr=log)
        if not (wait_port(self.actions_port, 120) and wait_port(self.rasa_port, 300)):
            self.stop()
            raise SystemExit(f"servers did not start; see {self.log_path}")
        # A launcher that warms up (service/warmup.py) logs when it is done; the port is open before that.
        self.warm_up_ms = self._wait_for_warm_up(launcher) if _warms_up(launcher) else None
        self.url = f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    def _wait_for_warm_up(self, launcher: str, timeout: float = 120.0) -> Optional[float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
                if "service.warmup.done" in line:
                    return float(line.rsplit("ms=", 1)[-1].split()[0])
            time.sleep(0.1)
        return None

    def send(self, sender: str, text: str, http=requests) -> List[dict]:
        response = http.post(self.url, json={"sender": sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        for process in (self.rasa, self.actions):
            process.terminate()
        for process in (self.rasa, self.actions):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def conversation(send: Callable[[str], List[dict]], turns: int = TURNS, first: Optional[str] = None):
    """One conversation of `turns` user messages; returns [(text, milliseconds, replies)] per turn."""
    facts_by_question = question_facts()
    script = itertools.cycle(SCRIPT)
    answer_index: Dict[str, int] = {}
    log = []
    replies: List[dict] = []
    for turn in range(turns):
        asked = next((facts_by_question[r["text"]] for r in replies if r.get("text") in facts_by_question), None)
        if turn == 0 and first:
            text = first
        elif asked:
            options = ANSWERS[asked]
            text = options[answer_index.get(asked, 0) % len(options)]
            answer_index[asked] = answer_index.get(asked, 0) + 1
        else:
            offered = {b.get("payload") for r in replies for b in r.get("buttons") or []}
            item = next(script)
            while isinstance(item, tuple) and item[1] not in offered:
                item = next(script)
            text = item[1] if isinstance(item, tuple) else item
        start = time.perf_counter()
        replies = send(text)
        log.append((text, (time.perf_counter() - start) * 1000, replies))
    return log


def band_p50(times: Sequence[Sequence[float]], first: int, last: int) -> float:
    return statistics.median(t for run in times for t in run[first - 1:last])


def same_message_ratio(times: Sequence[Sequence[float]], texts: Sequence[Sequence[str]]) -> Optional[float]:
    """p50 over turns 61–80 of (its time / p50 of the same text's times in turns 1–20 of the same run)."""
    ratios = []
    for run_times, run_texts in zip(times, texts):
        early: Dict[str, List[float]] = {}
        for text, ms in zip(run_texts[:20], run_times[:20]):
            early.setdefault(text, []).append(ms)
        ratios += [ms / statistics.median(early[text]) for text, ms in zip(run_texts[60:80], run_times[60:80])
                   if text in early]
    return round(statistics.median(ratios), 2) if ratios else None


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--turns", type=int, default=TURNS)
    parser.add_argument("--show", action="store_true", help="print every turn (text, ms, bot's first line)")
    parser.add_argument("--launcher", default=LAUNCHER, help="module started as the Rasa server (default: %(default)s)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as workdir:
        servers = Servers(Path(workdir), launcher=args.launcher)
        try:
            with requests.Session() as http:
                start = time.perf_counter()
                servers.send(f"first-{uuid.uuid4().hex[:8]}", FIRST_MESSAGE, http)
                first_ms = (time.perf_counter() - start) * 1000
                times, texts = [], []
                for run in range(args.runs):
                    sender = f"long-{run}-{uuid.uuid4().hex[:8]}"
                    log = conversation(lambda text: servers.send(sender, text, http), args.turns, first=FIRST_MESSAGE)
                    times.append([ms for _, ms, _ in log])
                    texts.append([text for text, _, _ in log])
                    if args.show:
                        for n, (text, ms, replies) in enumerate(log, 1):
                            said = (replies[0].get("text") or "")[:30].replace("\n", " ") if replies else "-"
                            print(f"{run}:{n:3d} {ms:7.1f} ms  {text[:24]:24s} → {said}")
                paused = []
                for n in range(PAUSED_MESSAGES):
                    time.sleep(PAUSE_SECONDS)
                    start = time.perf_counter()
                    servers.send(f"paused-{n}-{uuid.uuid4().hex[:8]}", FIRST_MESSAGE, http)
                    paused.append((time.perf_counter() - start) * 1000)
        finally:
            servers.stop()

    bands = {f"p50_turns_{a}_{b}_ms": round(band_p50(times, a, b), 1) for a, b in BANDS if b <= args.turns}
    results: Dict[str, object] = {"runs": args.runs, "turns": args.turns, **bands}
    if "p50_turns_61_80_ms" in bands:
        results["ratio_61_80_to_1_20"] = round(bands["p50_turns_61_80_ms"] / bands["p50_turns_1_20_ms"], 2)
    if "p50_turns_61_80_ms" in bands:
        results["same_message_ratio_61_80_to_1_20"] = same_message_ratio(times, texts)
    same_first = [run[0] for run in times if run]  # the same kind of turn later on: a conversation's first message
    later = [t for run in times for t in run]
    results["first_answer_after_start_ms"] = round(first_ms, 1)
    results["warm_up_ms"] = servers.warm_up_ms
    results["p50_later_first_turns_ms"] = round(statistics.median(same_first), 1)
    results["p50_later_answers_ms"] = round(statistics.median(later), 1)
    results["first_to_later_ratio"] = round(first_ms / statistics.median(later), 2)
    results["p50_same_message_after_pause_ms"] = round(statistics.median(paused), 1)
    results["first_to_after_pause_ratio"] = round(first_ms / statistics.median(paused), 2)
    results["per_run_band_p50_ms"] = [[round(statistics.median(run[a - 1:b]), 1) for a, b in BANDS if b <= args.turns]
                                      for run in times]
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return results


if __name__ == "__main__":
    main()
