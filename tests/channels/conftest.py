"""Fixtures for the channel tests.

Unit tests use the in-process fakes (`fake_dingtalk`, `fake_wecom`). End-to-end tests use `rasa_stack`:
a real `rasa run` (with tests/channels/credentials.test.yml) and `rasa run actions`, started once per
session on free ports, with the platform secrets in the environment and the platform API bases pointing
at the fakes. The model is the newest models/*.tar.gz (or $CHANNEL_TEST_MODEL); without one the
end-to-end tests fail with a reason (a skipped check would hide a missing step).
"""

import glob
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if REPO not in sys.path:
    sys.path.insert(0, REPO)
if HERE not in sys.path:
    sys.path.append(HERE)  # for channel_fakes (a unique name, so appending cannot shadow anything)

from channel_fakes import E2E_ENV, FakeApi, FakeStreamGateway, free_port  # noqa: E402
from scripts.local_endpoints import write_local_endpoints  # noqa: E402


@pytest.fixture
def fake_dingtalk() -> Iterator[FakeApi]:
    fake = FakeApi("dingtalk")
    yield fake
    fake.stop()


@pytest.fixture
def fake_wecom() -> Iterator[FakeApi]:
    fake = FakeApi("wecom")
    yield fake
    fake.stop()


# ------------------------------------------------------------------------------------------------
# End-to-end stack.


def newest_model() -> Optional[str]:
    explicit = os.environ.get("CHANNEL_TEST_MODEL")
    if explicit:
        return explicit if os.path.isfile(explicit) else None
    models = glob.glob(os.path.join(REPO, "models", "*.tar.gz"))
    return max(models, key=os.path.getmtime) if models else None


@dataclass
class RasaStack:
    url: str
    log_path: str
    dingtalk: FakeApi
    wecom: FakeApi
    env: Dict[str, str]
    gateway: FakeStreamGateway
    procs: List[subprocess.Popen] = field(default_factory=list)

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_log(self, needle: str, timeout: float = 20.0, after: int = 0) -> bool:
        """True once `needle` appears in the server log after character offset `after`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.log()[after:]:
                return True
            time.sleep(0.1)
        return False

    def log_size(self) -> int:
        return len(self.log())


def _wait_http(url: str, timeout: float, procs: List[subprocess.Popen], log_path: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for p in procs:
            if p.poll() is not None:
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    tail = f.read()[-4000:]
                raise RuntimeError(f"a server exited early (code {p.returncode}); log tail:\n{tail}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaStack]:
    model = newest_model()
    if not model:
        pytest.fail("no trained model in models/*.tar.gz (set CHANNEL_TEST_MODEL or run `make train`)")
    tmp = tmp_path_factory.mktemp("rasa_stack")
    dingtalk, wecom = FakeApi("dingtalk"), FakeApi("wecom")
    gateway = FakeStreamGateway()
    dingtalk.stream_endpoint = gateway.endpoint
    dingtalk.stream_secret = E2E_ENV["DINGTALK_APP_SECRET"]
    rasa_port, actions_port = free_port(), free_port()
    endpoints = write_local_endpoints(tmp / "endpoints.yml", actions_port, tmp / "conversations.db")
    env = dict(os.environ)
    env.update(E2E_ENV)
    env.update(
        {
            "DINGTALK_API_BASE": dingtalk.base_url,
            "WECOM_API_BASE": wecom.base_url,
            "PYTHONPATH": REPO + os.pathsep + env.get("PYTHONPATH", ""),
            "REALNAME_IMAGE_DIR": str(tmp / "images"),
            "LOG_LEVEL": "INFO",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(proxy, None)
    log_path = str(tmp / "rasa.log")
    actions_log = str(tmp / "actions.log")
    procs: List[subprocess.Popen] = []
    stack = RasaStack(f"http://127.0.0.1:{rasa_port}", log_path, dingtalk, wecom, env, gateway, procs)
    try:
        has_actions = os.path.exists(os.path.join(REPO, "actions", "__init__.py")) or os.path.exists(
            os.path.join(REPO, "actions.py")
        )
        if has_actions:
            with open(actions_log, "wb") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "rasa", "run", "actions", "-p", str(actions_port), "--actions", "actions"],
                        cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                    )
                )
            _wait_http(f"http://127.0.0.1:{actions_port}/health", 180, procs, actions_log)
        with open(log_path, "wb") as out:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable, "-m", "rasa", "run", "--enable-api",
                        "--credentials", os.path.join(HERE, "credentials.test.yml"),
                        "--endpoints", str(endpoints),
                        "-m", model, "-p", str(rasa_port), "-i", "127.0.0.1",
                    ],
                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                )
            )
        _wait_http(f"{stack.url}/webhooks/web/", 300, procs, log_path)
        yield stack
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        dingtalk.stop()
        wecom.stop()
        gateway.stop()


@pytest.fixture
def stack(rasa_stack: RasaStack) -> RasaStack:
    """The session's stack with the fakes' records and fault plans cleared for this test."""
    for p in rasa_stack.procs:
        if p.poll() is not None:
            pytest.fail(
                f"a server of the test stack exited (code {p.returncode}, args {p.args[3:5]}); "
                f"rasa log tail:\n{rasa_stack.log()[-3000:]}"
            )
    rasa_stack.dingtalk.reset()
    rasa_stack.wecom.reset()
    return rasa_stack
