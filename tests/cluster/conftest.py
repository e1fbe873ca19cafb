"""Fixtures of the cluster tests (`make test-cluster`, marker `cluster`)."""
import os
import shutil
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(os.path.dirname(HERE), "channels"))  # channel_fakes

from channel_fakes import free_port  # noqa: E402


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if not server:
        pytest.fail("redis-server is not installed: run scripts/install_cluster_deps.sh (make test-cluster does)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    import redis

    while time.time() < deadline:
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)




# --------------------------------------------------------------------------------------------------
# The whole cluster (service/cluster.py) on free ports with a temporary data directory, once per session.

REPO = os.path.dirname(os.path.dirname(HERE))
CLUSTER_ENV_DROPPED = ("REALNAME_PG_HOST", "REALNAME_REDIS_HOST", "REALNAME_PG_PASSWORD", "REALNAME_REDIS_PASSWORD",
                       "REALNAME_API_TOKEN", "REALNAME_REDIS_URL", "REALNAME_TRUSTED_PROXIES", "REALNAME_CLUSTER_DIR")


def _free_block(size):
    """`size` consecutive free loopback ports."""
    import random
    import socket

    for _ in range(200):
        start = random.randint(20000, 40000)
        socks = []
        try:
            for port in range(start, start + size):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                socks.append(s)
            return start
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free ports")


class RunningCluster:
    def __init__(self, cfg, proc, log_path):
        self.cfg, self.proc, self.log_path = cfg, proc, log_path
        self.proxy = f"http://127.0.0.1:{cfg.proxy_port}"
        self.instances = [f"http://127.0.0.1:{port}" for port in cfg.instance_ports]

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def instance_pid(self, index):
        with open(self.cfg.path("run", f"rasa-{self.cfg.instance_ports[index]}.pid")) as f:
            return int(f.read())

    def wait_ready(self, timeout=240):
        """Every instance and the proxy answer (after a test killed or restarted something)."""
        from service.cluster import http_ok

        deadline = time.time() + timeout
        urls = [u + "/webhooks/rest/" for u in self.instances + [self.proxy]]
        while time.time() < deadline:
            assert self.proc.poll() is None, "the orchestrator exited:\n" + self.log()[-3000:]
            if all(http_ok(u) for u in urls):
                return
            time.sleep(0.5)
        raise AssertionError("cluster not ready:\n" + self.log()[-3000:])

    def pg(self):
        import psycopg2

        return psycopg2.connect(**self.cfg.pg_dsn())


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    import signal
    import tempfile

    from service.cluster import Config, port_open

    for tool in ("redis-server", "nginx"):
        if not (shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}")):
            pytest.fail(f"{tool} is not installed: run scripts/install_cluster_deps.sh (make test-cluster does)")
    # Not under pytest's 0700 temp folder: PostgreSQL (as `postgres` when root) and nginx's workers pass through it.
    data_dir = tempfile.mkdtemp(prefix="realname-cluster-")
    os.chmod(data_dir, 0o711)
    base = _free_block(6)
    cfg = Config(data_dir=data_dir, instances=2, base_port=base, proxy_port=base + 2, actions_port=base + 3,
                 pg_port=base + 4, redis_port=base + 5)
    env = {k: v for k, v in os.environ.items() if k not in CLUSTER_ENV_DROPPED}
    log_path = str(tmp_path_factory.mktemp("cluster") / "orchestrator.log")
    argv = [sys.executable, "-m", "service.cluster", "--data-dir", data_dir, "--instances", "2",
            "--base-port", str(base), "--proxy-port", str(cfg.proxy_port), "--actions-port", str(cfg.actions_port),
            "--pg-port", str(cfg.pg_port), "--redis-port", str(cfg.redis_port),
            "--credentials", "tests/cluster/credentials.cluster.yml"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = RunningCluster(cfg, proc, log_path)
    try:
        deadline = time.time() + 300
        while "集群已就绪" not in running.log():
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail("the cluster did not start:\n" + running.log()[-5000:])
            time.sleep(0.5)
        with open(cfg.path("pg-password")) as f:
            cfg.pg_password = f.read().strip()
        running.wait_ready()
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = "timeout"
        else:
            code = proc.returncode
        ports = [cfg.proxy_port, cfg.actions_port, cfg.pg_port, cfg.redis_port, *cfg.instance_ports]
        listening = [p for p in ports if port_open(p)]
        if os.environ.get("REALNAME_CLUSTER_KEEP"):  # to read the logs after a run
            print(f"cluster data and logs kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    assert code == 0, f"the orchestrator exited with {code} on SIGTERM:\n" + running.log()[-3000:]
    assert not listening, f"still listening after the stop: {listening}"
