"""`python -m service.cluster`: Rasa's production layout on one machine (`make serve-cluster`).

    nginx 127.0.0.1:5005 ──► Rasa instances 127.0.0.1:5006, 5007, … (python -m service.serve)
                                 │ conversations: PostgreSQL 127.0.0.1:5433 (MaskingSQLTrackerStore)
                                 │ one message per conversation at a time: Redis 127.0.0.1:6380 db 1
                                 │ rate limits shared by the instances: the same Redis, db 2
                                 └► action server 127.0.0.1:5055 (ACTION_SERVER_SANIC_WORKERS workers)

Everything it starts listens on 127.0.0.1 and keeps its data under `--data-dir` (default `.cluster/`,
git-ignored): the PostgreSQL data directory (initdb on the first run), Redis's directory, nginx's
configuration, logs and pid, every process's log, and the generated endpoints file (from
service/endpoints.cluster.yml; Rasa fills in its ${VAR}s from the environment this sets).

External servers: with REALNAME_PG_HOST set (and REALNAME_PG_PORT, _DB, _USER, _PASSWORD, _SSLMODE)
no local PostgreSQL is started; with REALNAME_REDIS_HOST set (REALNAME_REDIS_PORT, _PASSWORD) no local
Redis. They are only used.

Ctrl-C or SIGTERM stops everything it started — nginx, the instances, the action server, Redis
(SHUTDOWN) and PostgreSQL (pg_ctl stop -m fast) — and exits 0. A Rasa instance, the action server or
nginx that dies is logged and started again (after 2 s, then longer); meanwhile nginx sends the
requests to the other instances. A local PostgreSQL or Redis that stops (an operator restarting it)
is logged, not restarted: start it again with `start_postgres` / `start_redis` of this module or by
hand with the same data directory.

When run as root, PostgreSQL runs as the `postgres` account (it refuses root) and Redis as `redis`
when that account exists; nginx's workers run as its default unprivileged user.
"""
from __future__ import annotations

import argparse
import getpass
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(REPO, "service", "endpoints.cluster.yml")
LOOPBACK = "127.0.0.1"
RESTART_DELAYS = (2, 5, 10, 30)  # seconds before restarting a process that died: 1st, 2nd, ... time


class ClusterError(RuntimeError):
    """A piece that could not be started; the message is in Chinese and English."""


def say(zh: str, en: str = "") -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[cluster {stamp}] {zh}" + (f" / {en}" if en else ""), flush=True)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise ClusterError(f"环境变量 {name} 必须是整数（现在是 {value!r}）。 / {name} must be a whole number.") from None


# --------------------------------------------------------------------------------------------------
# Configuration


@dataclass
class Config:
    data_dir: str
    instances: int = 2
    base_port: int = 5006
    proxy_port: int = 5005
    actions_port: int = 5055
    action_workers: int = 2
    model: str = "models/realname.tar.gz"
    credentials: str = "credentials.yml"
    pg_host: str = LOOPBACK
    pg_port: int = 5433
    pg_db: str = "realname"
    pg_user: str = "realname"
    pg_password: str = ""
    pg_sslmode: str = "disable"
    local_pg: bool = True
    redis_host: str = LOOPBACK
    redis_port: int = 6380
    redis_password: str = ""
    redis_lock_db: int = 1
    redis_rate_limit_db: int = 2
    local_redis: bool = True
    ready_timeout: float = 300.0
    restart: bool = True

    @property
    def instance_ports(self) -> List[int]:
        return [self.base_port + i for i in range(self.instances)]

    def path(self, *parts: str) -> str:
        return os.path.join(self.data_dir, *parts)

    @property
    def endpoints(self) -> str:
        return self.path("endpoints.yml")

    def redis_url(self, db: int) -> str:
        auth = f":{urllib.parse.quote(self.redis_password, safe='')}@" if self.redis_password else ""
        return f"redis://{auth}{self.redis_host}:{self.redis_port}/{db}"

    def pg_dsn(self) -> Dict[str, object]:
        """psycopg2.connect(**cfg.pg_dsn()) — for checks and the tests."""
        return dict(host=self.pg_host, port=self.pg_port, dbname=self.pg_db, user=self.pg_user,
                    password=self.pg_password, sslmode=self.pg_sslmode, connect_timeout=3)


def parse_args(argv: Optional[List[str]] = None) -> Config:
    p = argparse.ArgumentParser(prog="python -m service.cluster", description=__doc__.split("\n\n")[0])
    p.add_argument("--instances", type=int, default=_env_int("REALNAME_INSTANCES", 2), help="Rasa instances (REALNAME_INSTANCES, 2)")
    p.add_argument("--base-port", type=int, default=_env_int("REALNAME_BASE_PORT", 5006), help="port of the first instance (5006)")
    p.add_argument("--proxy-port", type=int, default=_env_int("REALNAME_PORT", 5005), help="nginx's port (REALNAME_PORT, 5005)")
    p.add_argument("--actions-port", type=int, default=_env_int("REALNAME_ACTIONS_PORT", 5055), help="action server (5055)")
    p.add_argument("--pg-port", type=int, default=_env_int("REALNAME_PG_PORT", 5433), help="PostgreSQL (REALNAME_PG_PORT, 5433)")
    p.add_argument("--redis-port", type=int, default=_env_int("REALNAME_REDIS_PORT", 6380), help="Redis (REALNAME_REDIS_PORT, 6380)")
    p.add_argument("--data-dir", default=_env("REALNAME_CLUSTER_DIR", os.path.join(REPO, ".cluster")), help="all data and logs (.cluster/)")
    p.add_argument("--model", default="models/realname.tar.gz")
    p.add_argument("--credentials", default="credentials.yml")
    p.add_argument("--ready-timeout", type=float, default=300.0, help="seconds each piece may take to start")
    p.add_argument("--no-restart", action="store_true", help="do not start a process that died again")
    a = p.parse_args(argv)
    if a.instances < 1:
        p.error("--instances must be at least 1")
    cfg = Config(
        data_dir=os.path.abspath(a.data_dir), instances=a.instances, base_port=a.base_port, proxy_port=a.proxy_port,
        actions_port=a.actions_port, action_workers=_env_int("ACTION_SERVER_SANIC_WORKERS", 2),
        model=a.model, credentials=a.credentials, pg_port=a.pg_port, redis_port=a.redis_port,
        ready_timeout=a.ready_timeout, restart=not a.no_restart,
    )
    cfg.pg_db = _env("REALNAME_PG_DB", cfg.pg_db)
    cfg.pg_user = _env("REALNAME_PG_USER", cfg.pg_user)
    cfg.redis_lock_db = _env_int("REALNAME_REDIS_LOCK_DB", cfg.redis_lock_db)
    cfg.redis_rate_limit_db = _env_int("REALNAME_REDIS_RATE_LIMIT_DB", cfg.redis_rate_limit_db)
    if _env("REALNAME_PG_HOST"):
        cfg.local_pg, cfg.pg_host = False, _env("REALNAME_PG_HOST")
        cfg.pg_password = os.environ.get("REALNAME_PG_PASSWORD", "")
        cfg.pg_sslmode = _env("REALNAME_PG_SSLMODE", "prefer")
    else:
        cfg.pg_sslmode = _env("REALNAME_PG_SSLMODE", "disable")
    if _env("REALNAME_REDIS_HOST"):
        cfg.local_redis, cfg.redis_host = False, _env("REALNAME_REDIS_HOST")
        cfg.redis_password = os.environ.get("REALNAME_REDIS_PASSWORD", "")
    return cfg


# --------------------------------------------------------------------------------------------------
# Small helpers


def tail(path: str, lines: int = 30) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
            return True
        except OSError:
            return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def account(name: str) -> Optional[pwd.struct_passwd]:
    """The unprivileged account a server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def as_account(user: Optional[pwd.struct_passwd]) -> Dict[str, object]:
    return {} if user is None else {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def own_dir(path: str, user: Optional[pwd.struct_passwd], mode: int = 0o700) -> None:
    os.makedirs(path, exist_ok=True)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, mode)


def own_file(path: str, user: Optional[pwd.struct_passwd]) -> None:
    with open(path, "a"):
        pass
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def check_reachable(path: str, user: Optional[pwd.struct_passwd]) -> None:
    """Another account (postgres, nginx's workers) must be able to pass through every parent folder."""
    if user is None:
        return
    probe = subprocess.run(["test", "-x", path], **as_account(user))  # type: ignore[arg-type]
    if probe.returncode != 0:
        raise ClusterError(
            f"账户 {user.pw_name} 无法进入 {path}：请让它的每一级上层目录对其他用户可执行（chmod o+x），或换一个 --data-dir。"
            f" / The {user.pw_name} account cannot reach {path}: make every parent folder o+x, or use another --data-dir."
        )


def wait_until(check, timeout: float, what_zh: str, what_en: str, log: Optional[str] = None,
               alive=None, stopping=lambda: False, interval: float = 0.25) -> bool:
    """Polls `check` until it is true; ClusterError with the log's tail on timeout or when `alive` says no.
    Returns False when `stopping` turned true (a Ctrl-C during the start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopping():
            return False
        if check():
            return True
        if alive is not None and not alive():
            raise ClusterError(
                f"{what_zh}启动失败（进程已退出）。日志 {log} 的最后几行：\n{tail(log) if log else ''}\n"
                f" / {what_en} exited while starting; see the log above ({log})."
            )
        time.sleep(interval)
    raise ClusterError(
        f"{what_zh}在 {timeout:.0f} 秒内没有就绪。日志 {log} 的最后几行：\n{tail(log) if log else ''}\n"
        f" / {what_en} was not ready within {timeout:.0f} s; see the log above ({log})."
    )


# --------------------------------------------------------------------------------------------------
# PostgreSQL (local: initdb once, pg_ctl start/stop; the data directory is the identity)


def pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return found[-1]
    on_path = shutil.which(tool)
    if on_path:
        return on_path
    raise ClusterError(
        f"找不到 PostgreSQL 的 {tool}：请运行 scripts/install_cluster_deps.sh。"
        f" / PostgreSQL's {tool} not found: run scripts/install_cluster_deps.sh."
    )


def _pg_account() -> Optional[pwd.struct_passwd]:
    user = account("postgres")
    if os.geteuid() == 0 and user is None:
        raise ClusterError(
            "以 root 运行时需要系统账户 postgres 来运行 PostgreSQL（PostgreSQL 拒绝以 root 运行）。"
            " / Running as root needs a `postgres` account: PostgreSQL refuses to run as root."
        )
    return user


def _pg_superuser(user: Optional[pwd.struct_passwd]) -> str:
    return user.pw_name if user else getpass.getuser()


def pg_password(cfg: Config) -> str:
    """The application user's password of the local PostgreSQL: made on the first run, kept 0600."""
    path = cfg.path("pg-password")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    with open(path) as f:
        return f.read().strip()


def init_postgres(cfg: Config) -> None:
    user = _pg_account()
    data, sock = cfg.path("postgres"), cfg.path("run", "postgres")
    check_reachable(cfg.data_dir, user)
    own_dir(sock, user)
    own_file(cfg.path("logs", "postgresql.log"), user)
    if os.path.exists(os.path.join(data, "PG_VERSION")):
        return
    say(f"首次运行：初始化 PostgreSQL 数据目录 {data}", f"first run: initialising the PostgreSQL data directory {data}")
    own_dir(data, user)
    run = subprocess.run(
        [pg_bin("initdb"), "-D", data, "-U", _pg_superuser(user), "--auth-local=peer", "--auth-host=scram-sha-256",
         "-E", "UTF8", "--no-locale", "--no-instructions"],
        capture_output=True, text=True, **as_account(user),  # type: ignore[arg-type]
    )
    if run.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise ClusterError(f"initdb 失败 / initdb failed:\n{run.stdout}\n{run.stderr}")
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("\n# service/cluster.py writes its settings (address, port, socket) here at every start:\n"
                "include_if_exists = 'cluster.conf'\n")


def pg_running(cfg: Config) -> bool:
    data = cfg.path("postgres")
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        return False
    run = subprocess.run([pg_bin("pg_ctl"), "status", "-D", data], capture_output=True,
                         **as_account(_pg_account()))  # type: ignore[arg-type]
    return run.returncode == 0


def start_postgres(cfg: Config) -> None:
    """Starts the local PostgreSQL of `cfg.data_dir` on 127.0.0.1:cfg.pg_port and waits until it answers."""
    user = _pg_account()
    data, log = cfg.path("postgres"), cfg.path("logs", "postgresql.log")
    if pg_running(cfg):  # left over by an orchestrator that was killed: its port may differ, start afresh
        say("发现上次遗留的 PostgreSQL，先停止", "a PostgreSQL left running by an earlier run: stopping it first")
        stop_postgres(cfg)
    conf = os.path.join(data, "cluster.conf")
    with open(conf, "w") as f:
        f.write(f"listen_addresses = '{LOOPBACK}'\nport = {cfg.pg_port}\n"
                f"unix_socket_directories = '{cfg.path('run', 'postgres')}'\n"
                "log_min_messages = warning\nlog_line_prefix = '%m [%p] '\n")
    if user is not None:
        os.chown(conf, user.pw_uid, user.pw_gid)
    run = subprocess.run([pg_bin("pg_ctl"), "start", "-D", data, "-l", log, "-w", "-t", "60"],
                         capture_output=True, text=True, **as_account(user))  # type: ignore[arg-type]
    if run.returncode != 0:
        raise ClusterError(
            f"PostgreSQL 启动失败（端口 {cfg.pg_port}）。日志 {log} 的最后几行：\n{tail(log)}\n{run.stdout}{run.stderr}"
            f" / PostgreSQL did not start on port {cfg.pg_port}; see the log above."
        )


def stop_postgres(cfg: Config) -> None:
    if not pg_running(cfg):
        return
    subprocess.run([pg_bin("pg_ctl"), "stop", "-D", cfg.path("postgres"), "-m", "fast", "-w", "-t", "60"],
                   capture_output=True, **as_account(_pg_account()))  # type: ignore[arg-type]


def ensure_database(cfg: Config) -> None:
    """Creates the application user (password from pg-password) and its database when missing."""
    user = _pg_account()
    psql = [pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cfg.path("run", "postgres"),
            "-p", str(cfg.pg_port), "-U", _pg_superuser(user), "-d", "postgres", "-tA"]
    role, db, password = cfg.pg_user, cfg.pg_db, cfg.pg_password.replace("'", "''")
    script = (
        f"SELECT format('CREATE ROLE %I LOGIN', '{role}') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}')\\gexec\n"
        f"SELECT format('ALTER ROLE %I PASSWORD %L', '{role}', '{password}')\\gexec\n"
        f"SELECT format('CREATE DATABASE %I OWNER %I', '{db}', '{role}') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{db}')\\gexec\n"
    )
    run = subprocess.run(psql, input=script, capture_output=True, text=True, **as_account(user))  # type: ignore[arg-type]
    if run.returncode != 0:
        raise ClusterError(f"创建数据库 {db} 失败 / could not create the database {db}:\n{run.stderr}")


def check_postgres(cfg: Config) -> Optional[str]:
    """None when the application user can log in to its database, else the error."""
    import psycopg2

    try:
        psycopg2.connect(**cfg.pg_dsn()).close()
        return None
    except psycopg2.Error as e:
        return str(e).strip()


# --------------------------------------------------------------------------------------------------
# Redis (local: daemonized with a pid file in its directory; holds only locks and rate-limit counters)


def _redis_pidfile(cfg: Config) -> str:
    return cfg.path("redis", "redis.pid")


def redis_ping(cfg: Config) -> bool:
    import redis

    try:
        return bool(redis.Redis(host=cfg.redis_host, port=cfg.redis_port, password=cfg.redis_password or None,
                                socket_timeout=1, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def _pid_alive(pidfile: str) -> Optional[int]:
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def start_redis(cfg: Config) -> None:
    """Starts the local Redis of `cfg.data_dir` on 127.0.0.1:cfg.redis_port and waits for PONG."""
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(server):
        raise ClusterError("找不到 redis-server：请运行 scripts/install_cluster_deps.sh。"
                           " / redis-server not found: run scripts/install_cluster_deps.sh.")
    user = account("redis")
    rdir, log = cfg.path("redis"), cfg.path("logs", "redis.log")
    check_reachable(cfg.data_dir, user)
    own_dir(rdir, user)
    own_file(log, user)
    if _pid_alive(_redis_pidfile(cfg)):
        say("发现上次遗留的 Redis，先停止", "a Redis left running by an earlier run: stopping it first")
        stop_redis(cfg)
    run = subprocess.run(
        [server, "--bind", LOOPBACK, "--port", str(cfg.redis_port), "--protected-mode", "yes", "--dir", rdir,
         "--daemonize", "yes", "--pidfile", _redis_pidfile(cfg), "--logfile", log,
         "--save", "", "--appendonly", "no"],
        capture_output=True, text=True, **as_account(user),  # type: ignore[arg-type]
    )
    if run.returncode != 0:
        raise ClusterError(f"Redis 启动失败 / Redis did not start:\n{run.stdout}{run.stderr}\n{tail(log)}")
    wait_until(lambda: redis_ping(cfg), 20, f"Redis（端口 {cfg.redis_port}）", f"Redis (port {cfg.redis_port})", log)


def stop_redis(cfg: Config, timeout: float = 15) -> None:
    import redis

    pid = _pid_alive(_redis_pidfile(cfg))
    try:
        redis.Redis(host=LOOPBACK, port=cfg.redis_port, socket_timeout=2).shutdown(nosave=True)
    except (redis.RedisError, OSError):
        pass  # the connection closes as the server stops
    deadline = time.monotonic() + timeout
    while pid and time.monotonic() < deadline and _pid_alive(_redis_pidfile(cfg)) == pid:
        time.sleep(0.1)
    if pid and _pid_alive(_redis_pidfile(cfg)) == pid:
        os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------------------------------
# Endpoints file and nginx configuration


def write_endpoints(cfg: Config) -> str:
    with open(TEMPLATE, encoding="utf-8") as f:
        template = f.read()
    with open(cfg.endpoints, "w", encoding="utf-8") as f:
        f.write("# GENERATED by service/cluster.py from service/endpoints.cluster.yml at every start; edit that file.\n")
        f.write(template)
    return cfg.endpoints


def nginx_conf(cfg: Config) -> str:
    servers = "\n".join(f"        server {LOOPBACK}:{port} max_fails=1 fail_timeout=5s;" for port in cfg.instance_ports)
    proxy = f"""
            proxy_pass http://rasa_instances;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # Overwritten, never appended: a client cannot forge its address (the instances trust one proxy).
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            # One id per client request, the same on a retry to the next instance: what a channel needs
            # to recognise a retried turn the dead instance had already saved (not used by them yet).
            proxy_set_header X-Request-ID $request_id;
            proxy_connect_timeout 2s;
            proxy_send_timeout 30s;
            proxy_read_timeout 30s;
            # An instance that is down or dies during the request: the request goes to the next one,
            # POSTs too. (One that died after saving the turn but before answering: the turn runs twice.)
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_timeout 40s;"""
    return f"""# GENERATED by service/cluster.py at every start.
daemon off;
worker_processes 1;
pid run/nginx.pid;
error_log logs/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    log_format cluster '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                       'rt=$request_time upstream=$upstream_addr upstream_status=$upstream_status';
    access_log logs/access.log cluster;
    default_type application/json;
    server_tokens off;
    client_body_temp_path tmp/client_body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;

    client_max_body_size 11m;
    client_body_buffer_size 1m;
    client_header_timeout 15s;
    client_body_timeout 30s;
    send_timeout 30s;
    keepalive_timeout 30s;

    upstream rasa_instances {{
        least_conn;
{servers}
        keepalive 32;
        # Shorter than Sanic's keep-alive (5 s): nginx never reuses a connection the instance is closing.
        keepalive_timeout 4s;
    }}

    server {{
        listen {LOOPBACK}:{cfg.proxy_port};

        # The channels and the health check only. Rasa's HTTP API (with REALNAME_API_TOKEN) is reached on
        # each instance's own loopback port: through a load balancer a model or conversation change
        # would reach one instance at random.
        location = / {{{proxy}
        }}
        location /webhooks/ {{{proxy}
        }}
        location / {{
            return 404 '{{"error": "not found"}}';
        }}
    }}
}}
"""


def write_nginx_conf(cfg: Config) -> str:
    root = cfg.path("nginx")
    for sub in ("logs", "run", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    os.chmod(root, 0o711)
    os.chmod(os.path.join(root, "tmp"), 0o711)
    path = os.path.join(root, "nginx.conf")
    with open(path, "w") as f:
        f.write(nginx_conf(cfg))
    return path


def nginx_bin() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not found:
        raise ClusterError("找不到 nginx：请运行 scripts/install_cluster_deps.sh。 / nginx not found: run scripts/install_cluster_deps.sh.")
    return found


# --------------------------------------------------------------------------------------------------
# Child processes (action server, Rasa instances, nginx)


@dataclass
class Child:
    name_zh: str
    name_en: str
    argv: List[str]
    env: Dict[str, str]
    log: str
    health_url: str
    proc: Optional[subprocess.Popen] = None
    restarts: int = 0
    restart_at: Optional[float] = None
    ready: bool = False
    started_at: float = field(default=0.0)
    pidfile: Optional[str] = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(self.argv)}\n".encode())
            log.flush()
            # Own process group: a Ctrl-C in the terminal reaches the orchestrator only, which stops
            # the children in order; the group is signalled as a whole (workers included).
            self.proc = subprocess.Popen(self.argv, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ready, self.restart_at, self.started_at = False, None, time.monotonic()
        if self.pidfile:
            with open(self.pidfile, "w") as f:
                f.write(f"{self.proc.pid}\n")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.send(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                say(f"{self.name_zh} 未在 {timeout:.0f} 秒内退出，强制结束", f"{self.name_en} did not exit in time: killed")
                self.send(signal.SIGKILL)
                self.proc.wait(10)
        self.send(signal.SIGKILL)  # anything of its group left behind (a worker)
        if self.pidfile and os.path.exists(self.pidfile):
            os.unlink(self.pidfile)


class Cluster:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.children: List[Child] = []
        self.nginx: Optional[Child] = None
        self.started_pg = self.started_redis = False
        self.stopping = False
        self._watch = {"PostgreSQL": True, "Redis": True}

    # ---- lifecycle

    def _on_signal(self, signum: int, _frame: object) -> None:
        if not self.stopping:
            say(f"收到 {signal.Signals(signum).name}，正在停止所有服务…", f"got {signal.Signals(signum).name}, stopping everything…")
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            if self.start():
                self.print_urls()
                self.supervise()
        except ClusterError as e:
            say(str(e))
            self.stop()
            return 1
        except Exception:
            self.stop()
            raise
        self.stop()
        say("已全部停止。", "everything stopped.")
        return 0

    def _check_ports(self) -> None:
        cfg = self.cfg
        wanted: List[Tuple[int, str]] = [(cfg.proxy_port, "nginx"), (cfg.actions_port, "action server")]
        wanted += [(p, f"Rasa instance {i + 1}") for i, p in enumerate(cfg.instance_ports)]
        if cfg.local_pg:
            wanted.append((cfg.pg_port, "PostgreSQL"))
        if cfg.local_redis:
            wanted.append((cfg.redis_port, "Redis"))
        ports = [p for p, _ in wanted]
        if len(set(ports)) != len(ports):
            raise ClusterError(f"端口重复：{ports} / the ports overlap: {ports}")
        busy = [f"{p} ({what})" for p, what in wanted if not port_free(p)]
        # A PostgreSQL/Redis of our own data dir left over by a killed run is stopped and restarted below.
        if cfg.local_pg and pg_running(cfg):
            busy = [b for b in busy if not b.startswith(f"{cfg.pg_port} ")]
        if cfg.local_redis and _pid_alive(_redis_pidfile(cfg)):
            busy = [b for b in busy if not b.startswith(f"{cfg.redis_port} ")]
        if busy:
            raise ClusterError(f"端口已被占用：{', '.join(busy)}（另一个集群或 make serve 在运行？）"
                               f" / ports already in use: {', '.join(busy)} (another cluster or `make serve` running?)")

    def start(self) -> bool:
        cfg = self.cfg
        for f, what in ((cfg.model, "model"), (cfg.credentials, "credentials")):
            if not os.path.isfile(os.path.join(REPO, f)):
                raise ClusterError(f"找不到 {f}（{what}）。 / {f} ({what}) not found.")
        os.makedirs(cfg.data_dir, exist_ok=True)
        os.chmod(cfg.data_dir, 0o711)  # other accounts (postgres, nginx's workers) pass through, list nothing
        own_dir(cfg.path("logs"), None, 0o755)
        own_dir(cfg.path("run"), None, 0o755)
        self._check_ports()

        if cfg.local_pg:
            cfg.pg_password = pg_password(cfg)
            init_postgres(cfg)
            say(f"启动 PostgreSQL（127.0.0.1:{cfg.pg_port}）", f"starting PostgreSQL (127.0.0.1:{cfg.pg_port})")
            self.started_pg = True
            start_postgres(cfg)
            ensure_database(cfg)
        else:
            say(f"使用外部 PostgreSQL {cfg.pg_host}:{cfg.pg_port}", f"using the external PostgreSQL {cfg.pg_host}:{cfg.pg_port}")
        error = check_postgres(cfg)
        if error:
            raise ClusterError(f"无法登录 PostgreSQL 数据库 {cfg.pg_db}（用户 {cfg.pg_user}）：{error}"
                               f" / cannot log in to PostgreSQL database {cfg.pg_db} as {cfg.pg_user}.")
        if cfg.local_redis:
            say(f"启动 Redis（127.0.0.1:{cfg.redis_port}）", f"starting Redis (127.0.0.1:{cfg.redis_port})")
            self.started_redis = True
            start_redis(cfg)
        else:
            say(f"使用外部 Redis {cfg.redis_host}:{cfg.redis_port}", f"using the external Redis {cfg.redis_host}:{cfg.redis_port}")
            if not redis_ping(cfg):
                raise ClusterError(f"Redis {cfg.redis_host}:{cfg.redis_port} 无法连接。 / cannot reach Redis {cfg.redis_host}:{cfg.redis_port}.")

        write_endpoints(cfg)
        env = self.base_env()
        actions_env = dict(env, SANIC_HOST=LOOPBACK, ACTION_SERVER_SANIC_WORKERS=str(cfg.action_workers))
        self.children.append(Child(
            "动作服务器", "action server",
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "-p", str(cfg.actions_port)],
            actions_env, cfg.path("logs", "actions.log"), f"http://{LOOPBACK}:{cfg.actions_port}/health",
            pidfile=cfg.path("run", "actions.pid"),
        ))
        for i, port in enumerate(cfg.instance_ports):
            self.children.append(Child(
                f"Rasa 实例 {i + 1}（端口 {port}）", f"Rasa instance {i + 1} (port {port})",
                [sys.executable, "-m", "service.serve", "-m", cfg.model, "-p", str(port), "-i", LOOPBACK,
                 "--credentials", cfg.credentials, "--endpoints", cfg.endpoints],
                env, cfg.path("logs", f"rasa-{port}.log"), f"http://{LOOPBACK}:{port}/webhooks/rest/",
                pidfile=cfg.path("run", f"rasa-{port}.pid"),
            ))
        say(f"启动动作服务器和 {cfg.instances} 个 Rasa 实例（加载模型需要一些时间）",
            f"starting the action server and {cfg.instances} Rasa instance(s) (loading the model takes a while)")
        for child in self.children:
            child.start()
        for child in self.children:
            if not self._wait_ready(child):
                return False

        conf = write_nginx_conf(cfg)
        nginx = Child("nginx", "nginx",
                      [nginx_bin(), "-p", cfg.path("nginx") + "/", "-c", conf, "-e", cfg.path("nginx", "logs", "error.log")],
                      dict(os.environ), cfg.path("logs", "nginx.log"), f"http://{LOOPBACK}:{cfg.proxy_port}/webhooks/rest/")
        test = subprocess.run(nginx.argv + ["-t", "-q"], capture_output=True, text=True)
        if test.returncode != 0:
            raise ClusterError(f"nginx 配置无效 / invalid nginx configuration {conf}:\n{test.stderr}")
        self.nginx = nginx
        self.children.append(nginx)
        nginx.start()
        return self._wait_ready(nginx)

    def _wait_ready(self, child: Child) -> bool:
        ok = wait_until(lambda: http_ok(child.health_url), self.cfg.ready_timeout, child.name_zh, child.name_en,
                        child.log, alive=child.alive, stopping=lambda: self.stopping)
        if ok:
            child.ready = True
            say(f"{child.name_zh} 已就绪", f"{child.name_en} ready")
        return ok

    def base_env(self) -> Dict[str, str]:
        cfg = self.cfg
        env = dict(os.environ)
        env.update(
            PYTHONPATH=REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            REALNAME_ACTIONS_PORT=str(cfg.actions_port),
            REALNAME_PG_HOST=cfg.pg_host, REALNAME_PG_PORT=str(cfg.pg_port), REALNAME_PG_DB=cfg.pg_db,
            REALNAME_PG_USER=cfg.pg_user, REALNAME_PG_PASSWORD=cfg.pg_password, REALNAME_PG_SSLMODE=cfg.pg_sslmode,
            REALNAME_REDIS_HOST=cfg.redis_host, REALNAME_REDIS_PORT=str(cfg.redis_port),
            REALNAME_REDIS_PASSWORD=cfg.redis_password, REALNAME_REDIS_LOCK_DB=str(cfg.redis_lock_db),
            # The rate limiter's shared store (channels/rate_limit.py) and nginx in front (X-Forwarded-For).
            REALNAME_REDIS_URL=cfg.redis_url(cfg.redis_rate_limit_db),
            REALNAME_TRUSTED_PROXIES="1",
        )
        # Seconds a ticket of Rasa's conversation lock lives in Redis. An instance killed mid-turn leaves
        # its ticket behind and the request nginx retries on another instance waits for it to expire:
        # with Rasa's 60 s that outlasts the channel's 10 s turn limit (REALNAME_TURN_TIMEOUT), the user is
        # asked to send the message again. 5 s lets the retry through in time; the cost: a turn slower than
        # 5 s no longer holds back a second message of the same conversation sent meanwhile.
        env.setdefault("TICKET_LOCK_LIFETIME", "5")
        return env

    def print_urls(self) -> None:
        cfg = self.cfg
        base = f"http://{LOOPBACK}:{cfg.proxy_port}"
        lines = [
            f"集群已就绪 / cluster ready ({cfg.instances} Rasa instance(s), data in {cfg.data_dir})",
            f"  REST:        POST {base}/webhooks/rest/webhook",
            f"  帮助页面 / web page: {base}/webhooks/web/",
            f"  instances:   " + ", ".join(f"http://{LOOPBACK}:{p}" for p in cfg.instance_ports),
            f"  actions:     http://{LOOPBACK}:{cfg.actions_port}/health",
            f"  PostgreSQL:  postgresql://{cfg.pg_user}@{cfg.pg_host}:{cfg.pg_port}/{cfg.pg_db}"
            + (f" (password in {cfg.path('pg-password')})" if cfg.local_pg else ""),
            f"  Redis:       redis://{cfg.redis_host}:{cfg.redis_port} (locks db {cfg.redis_lock_db}, rate limits db {cfg.redis_rate_limit_db})",
            f"  logs:        {cfg.path('logs')}/",
            "按 Ctrl-C 停止 / Ctrl-C stops everything",
        ]
        print("\n".join(lines), flush=True)

    def supervise(self) -> None:
        last_check = 0.0
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.restart_at is None and child.proc is not None and child.proc.poll() is not None:
                    code = child.proc.returncode
                    delay = RESTART_DELAYS[min(child.restarts, len(RESTART_DELAYS) - 1)]
                    # One that ran a while is a new failure, not a crash loop: start from the short delay.
                    if now - child.started_at > 120:
                        child.restarts, delay = 0, RESTART_DELAYS[0]
                    rasa = child.name_en.startswith("Rasa") and self.cfg.instances > 1
                    say(f"{child.name_zh} 意外退出（代码 {code}）" + ("，nginx 把请求转给其他实例" if rasa else "")
                        + (f"；{delay} 秒后重启" if self.cfg.restart else ""),
                        f"{child.name_en} exited unexpectedly (code {code})" + ("; nginx sends requests to the others" if rasa else "")
                        + (f"; restarting in {delay} s" if self.cfg.restart else ""))
                    child.restart_at = now + delay if self.cfg.restart else float("inf")
                elif child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                    say(f"已重启 {child.name_zh}", f"restarted {child.name_en}")
                elif child.alive() and not child.ready and child.restart_at is None and http_ok(child.health_url, 0.5):
                    child.ready = True
                    say(f"{child.name_zh} 已就绪", f"{child.name_en} ready")
            if now - last_check > 2:
                last_check = now
                self._watch_stores()
            time.sleep(0.2)

    def _watch_stores(self) -> None:
        for name, up in (("PostgreSQL", lambda: check_postgres(self.cfg) is None), ("Redis", lambda: redis_ping(self.cfg))):
            state = up()
            if state != self._watch[name]:
                self._watch[name] = state
                if state:
                    say(f"{name} 已恢复", f"{name} is back")
                else:
                    say(f"{name} 无法连接：对话会收到“系统暂时无法处理”的回复，直到它恢复",
                        f"{name} is unreachable: messages get the \"try again later\" reply until it is back")

    def stop(self) -> None:
        self.stopping = True
        if self.nginx is not None:
            self.nginx.stop(signal.SIGQUIT, 10)  # graceful: the requests in flight finish
        for child in reversed(self.children):
            if child is not self.nginx:
                child.stop(signal.SIGTERM, 20)
        if self.started_redis:
            stop_redis(self.cfg)
        if self.started_pg:
            stop_postgres(self.cfg)


def main(argv: Optional[List[str]] = None) -> int:
    try:
        cfg = parse_args(argv)
    except ClusterError as e:
        say(str(e))
        return 2
    return Cluster(cfg).run()


if __name__ == "__main__":
    sys.exit(main())
