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

sys.path.append(os.path.join(os.path.dirname(HERE), "fakes"))
from fake_domain_api import FakeDomainApi  # noqa: E402

#: The staff bot's Domain API lookup: the operator's read-only key and the staff allowed to use it.
DOMAIN_API_KEY = ("LTAI5tE2eReadOnly", "e2e-domain-api-secret")
STAFF_IDS = "staff-e2e-1,staff-e2e-2"
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
    actions_port: int = 0

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


def _start_rasa(
    log_path: str, credentials: str, endpoints: str, model: str, port: int, env: Dict[str, str], procs: List[subprocess.Popen]
) -> None:
    """`make serve`'s way of serving: the launcher (service/serve.py), not a bare `rasa run`."""
    with open(log_path, "wb") as out:
        procs.append(
            subprocess.Popen(
                [
                    sys.executable, "-m", "service.serve",
                    "--credentials", credentials, "--endpoints", endpoints,
                    "-m", model, "-p", str(port), "-i", "127.0.0.1",
                ],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        )


def _stop(procs: List[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaStack]:
    model = newest_model()
    if not model:
        pytest.fail("no trained model in models/*.tar.gz (set CHANNEL_TEST_MODEL or run `make train`)")
    tmp = tmp_path_factory.mktemp("rasa_stack")
    dingtalk, wecom = FakeApi("dingtalk"), FakeApi("wecom")
    gateway = FakeStreamGateway()
    registrar = FakeDomainApi().start()
    registrar.keys[DOMAIN_API_KEY[0]] = DOMAIN_API_KEY[1]
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
            "WECOM_BOT_API_BASE": wecom.base_url,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": DOMAIN_API_KEY[0],
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DOMAIN_API_KEY[1],
            "REALNAME_DOMAIN_API_ENDPOINT": registrar.endpoint,
            "REALNAME_STAFF_IDS": STAFF_IDS,
            "PYTHONPATH": REPO + os.pathsep + env.get("PYTHONPATH", ""),
            "REALNAME_IMAGE_DIR": str(tmp / "images"),
            "LOG_LEVEL": "INFO",
            "NO_PROXY": "127.0.0.1,localhost",
            "SANIC_HOST": "127.0.0.1",
        }
    )
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                 "REALNAME_API_TOKEN", "REALNAME_TRUSTED_PROXIES", "REALNAME_REDIS_URL"):
        env.pop(name, None)
    log_path = str(tmp / "rasa.log")
    actions_log = str(tmp / "actions.log")
    procs: List[subprocess.Popen] = []
    stack = RasaStack(f"http://127.0.0.1:{rasa_port}", log_path, dingtalk, wecom, env, gateway, procs)
    stack.actions_port = actions_port
    stack.registrar = registrar
    stack.store_path = str(tmp / "conversations.db")
    try:
        with open(actions_log, "wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "rasa", "run", "actions", "-p", str(actions_port), "--actions", "actions"],
                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                )
            )
        _wait_http(f"http://127.0.0.1:{actions_port}/health", 180, procs, actions_log)
        _start_rasa(log_path, os.path.join(HERE, "credentials.test.yml"), str(endpoints), model, rasa_port, env, procs)
        _wait_http(f"{stack.url}/webhooks/web/", 300, procs, log_path)
        yield stack
    finally:
        _stop(procs)
        dingtalk.stop()
        wecom.stop()
        gateway.stop()
        registrar.stop()


API_TOKEN = "test-token-" + "7f3a9c" * 6


@dataclass
class LockedStack:
    """A second Rasa server as an operator runs it with the API on: REALNAME_API_TOKEN set, behind a
    trusted proxy (X-Forwarded-For read as the client address), the limits of credentials.limits.yml."""

    url: str
    token: str
    log_path: str
    procs: List[subprocess.Popen] = field(default_factory=list)


@pytest.fixture(scope="session")
def locked_stack(rasa_stack: RasaStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LockedStack]:
    tmp = tmp_path_factory.mktemp("locked_stack")
    port = free_port()
    endpoints = write_local_endpoints(tmp / "endpoints.yml", rasa_stack.actions_port, tmp / "conversations.db")
    env = dict(rasa_stack.env, REALNAME_API_TOKEN=API_TOKEN, REALNAME_TRUSTED_PROXIES="1")
    stack = LockedStack(f"http://127.0.0.1:{port}", API_TOKEN, str(tmp / "rasa.log"))
    try:
        _start_rasa(stack.log_path, os.path.join(HERE, "credentials.limits.yml"), str(endpoints), newest_model(),
                    port, env, stack.procs)
        _wait_http(f"{stack.url}/webhooks/rest/", 300, stack.procs, stack.log_path)
        yield stack
    finally:
        _stop(stack.procs)


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


@dataclass
class FaultStack:
    """Its own action server and Rasa server (as `make serve` runs them, SQLite store), which the
    fault tests stop, pause and restart. Turns time out after REALNAME_TURN_TIMEOUT=4 s."""

    url: str
    actions_port: int
    rasa_port: int
    tmp: str
    env: Dict[str, str]
    endpoints: str
    actions: Optional[subprocess.Popen] = None
    rasa: Optional[subprocess.Popen] = None

    def start_actions(self) -> None:
        out = open(os.path.join(self.tmp, "actions.log"), "ab")
        self.actions = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "actions", "-p", str(self.actions_port), "--actions", "actions"],
            cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
        )
        _wait_http(f"http://127.0.0.1:{self.actions_port}/health", 180, [self.actions], out.name)

    def start_rasa(self) -> None:
        procs: List[subprocess.Popen] = []
        log = os.path.join(self.tmp, "rasa.log")
        _start_rasa(log, os.path.join(HERE, "credentials.test.yml"), self.endpoints, newest_model(), self.rasa_port,
                    self.env, procs)
        self.rasa = procs[0]
        _wait_http(f"{self.url}/webhooks/rest/", 300, procs, log)

    def stop(self, which: str) -> None:
        _stop([p for p in [getattr(self, which)] if p is not None])
        setattr(self, which, None)


@pytest.fixture(scope="session")
def fault_stack(rasa_stack: RasaStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    tmp = tmp_path_factory.mktemp("fault_stack")
    actions_port, rasa_port = free_port(), free_port()
    endpoints = write_local_endpoints(tmp / "endpoints.yml", actions_port, tmp / "conversations.db")
    env = dict(rasa_stack.env, REALNAME_TURN_TIMEOUT="4")
    stack = FaultStack(f"http://127.0.0.1:{rasa_port}", actions_port, rasa_port, str(tmp), env, str(endpoints))
    try:
        stack.start_actions()
        stack.start_rasa()
        yield stack
    finally:
        stack.stop("rasa")
        stack.stop("actions")
