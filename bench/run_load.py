"""`make bench-load`: many users at once, against one instance and against the cluster.

Each simulated user runs realistic conversations one after another over the REST channel on a
keep-alive connection: it pastes a rejection message (or describes it), answers the follow-up
questions the way people do (a date, a number, 「跳过」, a button the bot offered), says thanks or asks
for a human, and starts a new conversation. No think time: the figures are the service's capacity.

Measured per target and run: errors (a non-200 answer, an empty answer or the "service busy"
apology; must be 0), p50/p95 latency, throughput (answers a second), and the resident memory of
every process of the target before and after the run (runs repeat, so growth shows), and the
cores each kind of process used during the run (the load client too: it shares the 2 cores).

The limits of credentials.yml would refuse a benchmark's flood from one address (that is their
job, tested in tests/channels/test_public_port_e2e.py), so the servers here run with
bench/credentials.bench.yml: the same channels with the rate limits off. Only loopback is contacted.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run_bench import machine_speed_ms, percentile  # noqa: E402
from scripts.local_endpoints import write_local_endpoints  # noqa: E402

PY = sys.executable
MODEL = ROOT / "models" / "realname.tar.gz"
CREDENTIALS = ROOT / "bench" / "credentials.bench.yml"
RESULTS = ROOT / "bench" / "load-results.json"

OPENINGS = [
    "证件电子信息核验不合格", "库中无此号", "注册联系人信息有误，请检测：Command syntax error",
    "营业执照刚办三天，提示不在实名库中", "审核失败：注册者证件不清晰", "我拍的身份证照片是反的，被驳回了",
    "提示证件类型选择错误", "域名实名认证失败了", "上传的文件格式不支持", "你好", "国家代码填了010",
]
ANSWERS = ["跳过", "不知道", "2026-11-20", "三天前", "长期", "个人", "企业", "example.cn", "中国内地",
           "11010519491231002X", "91350100M000100Y43", "身份证", "营业执照"]
CLOSINGS = ["谢谢", "好的，明白了", "还有其他问题", "转人工"]
BUSY = ("暂时不可用", "暂时无法处理")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def tree(pid: int) -> List[int]:
    found = [pid]
    for child in _children(pid):
        found.extend(tree(child))
    return found


def _children(pid: int) -> List[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def _comm(pid: int) -> str:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [w.decode(errors="replace") for w in cmdline if w]
    except (FileNotFoundError, ProcessLookupError):
        return "?"
    text = " ".join(words)
    for mark, name in (("service.serve", "rasa"), ("rasa_sdk", "actions"), ("run actions", "actions"),
                       ("nginx", "nginx"), ("postgres", "postgres"), ("redis-server", "redis")):
        if mark in text:
            port = next((w for i, w in enumerate(words) if words[i - 1] in ("-p", "--port")), "")
            return f"{name}:{port}" if port else name
    return os.path.basename(words[0]) if words else "?"


def cpu_seconds(root_pid: int) -> Dict[str, float]:
    """CPU time (user + system) used so far by every process under root_pid, summed per kind."""
    tick = os.sysconf("SC_CLK_TCK")
    totals: Dict[str, float] = {}
    for pid in tree(root_pid):
        name = _comm(pid)
        if name in ("bash", "python", "?"):
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat): with the per-process shares it shows
    what the servers outside the process tree (PostgreSQL, Redis: daemons) and everything else used."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_share(before: Dict[str, float], after: Dict[str, float], client: float, wall: float) -> Dict[str, float]:
    """Cores used during the run per kind of process (1.0 = one core busy all the time), the load client too."""
    shares = {name: round((after[name] - before.get(name, 0.0)) / wall, 2) for name in after}
    shares["load client"] = round(client / wall, 2)
    return dict(sorted(shares.items()))


def memory(root_pid: int) -> Dict[str, float]:
    """RSS of every process under root_pid, summed per kind (rasa:5006, actions, nginx, postgres, ...)."""
    totals: Dict[str, float] = {}
    for pid in tree(root_pid):
        name = _comm(pid)
        if name in ("bash", "python", "?"):
            continue  # the orchestrator (the cluster's supervisor), not a server
        totals[name] = round(totals.get(name, 0.0) + rss_mb(pid), 1)
    return dict(sorted(totals.items()))


class Target:
    """Servers started for the benchmark, in their own process group; `url` is where users talk."""

    def __init__(self, kind: str, workdir: Path, instances: int) -> None:
        self.kind = kind
        env = dict(os.environ, PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
                   SANIC_HOST="127.0.0.1")
        for name in ("REALNAME_API_TOKEN", "REALNAME_REDIS_URL", "REALNAME_TRUSTED_PROXIES"):
            env.pop(name, None)
        self.log = open(workdir / f"{kind}.log", "w")
        if kind == "single":
            rasa_port, actions_port = 5105, 5155
            endpoints = write_local_endpoints(workdir / "endpoints.yml", actions_port, workdir / "bench.db")
            script = (
                f"{PY} -m rasa_sdk --actions actions -p {actions_port} & "
                f"exec {PY} -m service.serve -m {MODEL} -p {rasa_port} -i 127.0.0.1 "
                f"--credentials {CREDENTIALS} --endpoints {endpoints}"
            )
            self.process = subprocess.Popen(["bash", "-c", script], cwd=ROOT, env=env, stdout=self.log,
                                            stderr=self.log, start_new_session=True)
            self.url = f"http://127.0.0.1:{rasa_port}"
        else:
            proxy = 5205
            os.chmod(workdir, 0o711)  # PostgreSQL (run as `postgres`) and nginx's workers must enter it
            self.process = subprocess.Popen(
                [PY, "-m", "service.cluster", "--proxy-port", str(proxy), "--base-port", "5206",
                 "--instances", str(instances), "--data-dir", str(workdir / "cluster"),
                 "--credentials", str(CREDENTIALS)],
                cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True)
            self.url = f"http://127.0.0.1:{proxy}"
        self._wait()

    def _wait(self, timeout: float = 400) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.flush()
                tail = Path(self.log.name).read_text(encoding="utf-8", errors="replace")[-3000:]
                raise SystemExit(f"{self.kind} servers exited; the end of {self.log.name}:\n{tail}")
            try:
                answer = requests.post(f"{self.url}/webhooks/rest/webhook", json={"sender": "warm", "message": "你好"},
                                       timeout=10)
                if answer.status_code == 200 and answer.json() and not any(b in answer.text for b in BUSY):
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        self.stop()
        raise SystemExit(f"{self.kind} servers did not answer within {timeout}s; see {self.log.name}")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def next_message(rng: random.Random, turn: int, last: List[dict]) -> Optional[str]:
    """What a person sends next, given the bot's last answer; None ends the conversation."""
    if turn == 0:
        return rng.choice(OPENINGS)
    if turn >= 8:
        return None
    offered = [b.get("payload") for m in last for b in m.get("buttons") or [] if b.get("payload")]
    if offered and rng.random() < 0.5:
        return rng.choice(offered)
    if any("处理方法" in (m.get("text") or "") for m in last):
        return rng.choice(CLOSINGS) if rng.random() < 0.6 else None
    return rng.choice(ANSWERS)


def run_load(url: str, users: int, seconds: float, seed: int) -> dict:
    stop_at = time.monotonic() + seconds
    lock = threading.Lock()
    times: List[float] = []
    errors: List[str] = []

    def user(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with requests.Session() as http:
            while time.monotonic() < stop_at:
                sender = f"load-{index}-{uuid.uuid4().hex[:8]}"
                last: List[dict] = []
                turn = 0
                while time.monotonic() < stop_at:
                    text = next_message(rng, turn, last)
                    if text is None:
                        break
                    started = time.perf_counter()
                    try:
                        answer = http.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                                           timeout=60)
                        elapsed = (time.perf_counter() - started) * 1000
                        last = answer.json() if answer.status_code == 200 else []
                        problem = (f"HTTP {answer.status_code}" if answer.status_code != 200 else
                                   "empty answer" if not last else
                                   "busy reply" if any(b in answer.text for b in BUSY) else None)
                    except (requests.RequestException, ValueError) as e:
                        elapsed, problem, last = (time.perf_counter() - started) * 1000, type(e).__name__, []
                    with lock:
                        times.append(elapsed)
                        if problem:
                            errors.append(problem)
                    turn += 1

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    wall = time.monotonic() - started
    kinds: Dict[str, int] = {}
    for e in errors:
        kinds[e] = kinds.get(e, 0) + 1
    return {
        "users": users, "seconds": round(wall, 1), "answers": len(times), "errors": len(errors), "error_kinds": kinds,
        "p50_ms": round(percentile(times, 0.5), 1) if times else None,
        "p95_ms": round(percentile(times, 0.95), 1) if times else None,
        "throughput_per_s": round(len(times) / wall, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="single,cluster", help="single, cluster or both (comma-separated)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--runs", type=int, default=2, help="runs per target (memory growth shows between them)")
    parser.add_argument("--instances", type=int, default=2, help="Rasa instances in the cluster")
    args = parser.parse_args()

    results = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": {
        "cores": os.cpu_count(), "arch": platform.machine(), "python": platform.python_version()},
        "users": args.users, "seconds": args.seconds, "targets": {}}
    if RESULTS.exists() and args.targets != "single,cluster":
        # One target re-measured: keep the other's latest figures (they carry their own dates).
        results["targets"] = json.loads(RESULTS.read_text(encoding="utf-8")).get("targets", {})
    for kind in [k.strip() for k in args.targets.split(",") if k.strip()]:
        with tempfile.TemporaryDirectory(prefix=f"bench-load-{kind}-") as tmp:
            target = Target(kind, Path(tmp), args.instances)
            try:
                runs = []
                for number in range(args.runs):
                    before = memory(target.process.pid)
                    speed = machine_speed_ms()
                    cpu_before, client_before = cpu_seconds(target.process.pid), sum(os.times()[:2])
                    busy_before = machine_busy_seconds()
                    figures = run_load(target.url, args.users, args.seconds, seed=number)
                    cores = cpu_share(cpu_before, cpu_seconds(target.process.pid),
                                      sum(os.times()[:2]) - client_before, figures["seconds"])
                    cores["whole machine"] = round((machine_busy_seconds() - busy_before) / figures["seconds"], 2)
                    figures.update(memory_before_mb=before, memory_after_mb=memory(target.process.pid),
                                   cores_used=cores, machine_loop_ms=speed, date=results["date"])
                    runs.append(figures)
                    print(f"[{kind} run {number + 1}] {json.dumps(figures, ensure_ascii=False)}", flush=True)
                results["targets"][kind] = runs
            finally:
                target.stop()
    single, cluster = results["targets"].get("single"), results["targets"].get("cluster")
    if single and cluster:
        results["cluster_vs_single_throughput"] = round(
            max(r["throughput_per_s"] for r in cluster) / max(r["throughput_per_s"] for r in single), 2)
        print(f"cluster throughput / single: {results['cluster_vs_single_throughput']}")
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    errors = sum(r["errors"] for runs in results["targets"].values() for r in runs)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
