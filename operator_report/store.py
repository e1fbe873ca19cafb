"""The events of a period, read only from the SQL tracker store an endpoints file configures.

The configuration is read as Rasa reads it (rasa.core.utils.read_endpoints_from_path, which fills in the
${VAR}s from the environment) and the database URL built as SQLTrackerStore builds it (get_db_url), so
the report reads exactly the store `make serve` (endpoints.yml, SQLite) or `make serve-cluster` (its
PostgreSQL, `cluster_configuration`) writes. Read only: SQLite is opened with mode=ro (a missing file is
an error, never created), PostgreSQL sessions are read-only transactions.

Two statements. The period's events (filtered by timestamp in SQL, and only the types the figures use:
no bot texts). Then, for the conversations of the period, the few events outside it that the figures need
to read the period right: the reason current when the period starts (failure_reason slots, restarts,
session starts before it) and the names the customer gave at any time (to mask them).
"""
from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import sqlalchemy as sa

from operator_report.figures import (FEEDBACK_SLOT, HANDOFF_ACTION, NAME_SLOTS, QUESTION_SLOT, REASON_SLOT,
                                     RESETS)

#: Seconds a PostgreSQL connection attempt may take before the report says it cannot reach the store.
CONNECT_TIMEOUT = 5


class ReportError(Exception):
    """What the operator is told (Chinese, then English); the command exits with `code` (2: the command line)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------------ configuration


def cluster_configuration() -> Tuple[str, Dict[str, str]]:
    """The endpoints file `make serve-cluster` starts Rasa with and the REALNAME_* variables it sets,
    computed by service/cluster.py itself (its parse_args reads the same environment)."""
    from service import cluster

    try:
        cfg = cluster.parse_args([])
    except cluster.ClusterError as e:
        raise ReportError(str(e)) from None
    if cfg.local_pg:
        if not os.path.exists(cfg.path("pg-password")):  # pg_password would make a new one
            raise ReportError(
                f"集群还没有运行过：找不到 {cfg.path('pg-password')}。请先运行 make serve-cluster。"
                f" / The cluster has never run (no {cfg.path('pg-password')}): run `make serve-cluster` first.")
        cfg.pg_password = cluster.pg_password(cfg)
    env = {key: value for key, value in cluster.Cluster(cfg).base_env().items() if key.startswith("REALNAME_")}
    endpoints = cfg.endpoints if os.path.exists(cfg.endpoints) else cluster.TEMPLATE
    return endpoints, env


def store_url(endpoints: str, env: Optional[Mapping[str, str]] = None) -> sa.engine.URL:
    """The SQLAlchemy URL of the tracker store `endpoints` configures (with `env` set while Rasa reads it)."""
    from rasa.core.tracker_store import SQLTrackerStore, validate_port
    from rasa.core.utils import read_endpoints_from_path

    if not os.path.isfile(endpoints):
        raise ReportError(f"找不到配置文件 {endpoints}。 / No endpoints file {endpoints}.")
    try:
        with _environment(env or {}):
            config = read_endpoints_from_path(endpoints).tracker_store
    except Exception as e:  # Rasa's reader: a YAML error, or a ${VAR} that is not set
        raise ReportError(f"无法读取配置文件 {endpoints}：{_first_line(e)} / Cannot read {endpoints}.") from None
    kind = (config.type or "").lower() if config else ""
    if kind != "sql" and not kind.endswith("sqltrackerstore"):
        raise ReportError(f"{endpoints} 没有配置 SQL 对话库（tracker_store），报告只能读 SQLite 或 PostgreSQL。"
                          f" / {endpoints} configures no SQL tracker store.")
    options = config.kwargs
    try:
        url = SQLTrackerStore.get_db_url(options.get("dialect", "sqlite"), config.url,
                                         validate_port(options.get("port")), options.get("db", "rasa.db"),
                                         options.get("username"), options.get("password"), None,
                                         options.get("query"))
    except Exception as e:
        raise ReportError(f"{endpoints} 的对话库配置无效：{_first_line(e)} / Invalid tracker_store in {endpoints}.") from None
    return sa.engine.make_url(url) if isinstance(url, str) else url


def describe(url: sa.engine.URL) -> str:
    """The store in words for messages: never the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite {os.path.abspath(url.database or '')}"
    return f"{url.get_backend_name()} {url.host}:{url.port or ''}/{url.database}（用户 user {url.username}）"


# ------------------------------------------------------------------------------------------------- reading


def read_events(url: sa.engine.URL, start: float, end: float) -> List[Dict[str, Any]]:
    """The event dicts figures.compute takes (module doc), in the order they were written."""
    engine = _read_only_engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                raise ReportError(f"{describe(url)} 里没有 events 表：这不是助手的对话库。"
                                  " / The store has no events table.")
            window = {"start": start, "end": end, **_NAMES}
            rows = connection.execute(_PERIOD, window).all() + connection.execute(_AROUND, window).all()
    except sa.exc.DBAPIError as e:
        raise ReportError(f"无法读取对话库 {describe(url)}：{_first_line(e.orig)}"
                          f" / Cannot read the tracker store.") from None
    finally:
        engine.dispose()
    events = []
    for _, sender_id, data in sorted(rows, key=lambda row: row[0]):
        event = json.loads(data)
        event["sender_id"] = sender_id
        events.append(event)
    return events


def _read_only_engine(url: sa.engine.URL) -> sa.engine.Engine:
    from rasa.core.tracker_store import create_engine_kwargs

    if url.get_backend_name() == "sqlite":
        path = os.path.abspath(url.database or "")
        if not os.path.isfile(path):
            raise ReportError(f"还没有对话库 {path}，所以还没有可报告的对话：make serve 启动时才会创建它。"
                              f" / No tracker store yet at {path}: `make serve` creates it when it starts.")
        return sa.create_engine(url.set(database=f"file:{path}", query={"mode": "ro", "uri": "true"}))
    kwargs = create_engine_kwargs(url)  # Rasa's pool settings and POSTGRESQL_SCHEMA search path
    connect_args = dict(kwargs.pop("connect_args", {}))
    connect_args["options"] = (connect_args.get("options", "") + " -c default_transaction_read_only=on").strip()
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    return sa.create_engine(url, connect_args=connect_args, **kwargs)


# Slot and action events keep the slot's / action's name in action_name (Rasa's SQLEvent, storage._row).
_NAMES = {"reason": REASON_SLOT, "question": QUESTION_SLOT, "feedback": FEEDBACK_SLOT,
          "handoff": HANDOFF_ACTION, "restart": RESETS[0], "session_started": RESETS[1],
          **{f"name{i}": name for i, name in enumerate(NAME_SLOTS)}}
_NAME_SLOTS_SQL = ", ".join(f":name{i}" for i in range(len(NAME_SLOTS)))
_PERIOD = sa.text(f"""
    SELECT id, sender_id, data FROM events
    WHERE timestamp >= :start AND timestamp < :end AND (
        type_name IN ('user', :restart, :session_started)
        OR (type_name = 'slot' AND action_name IN (:reason, :question, :feedback, {_NAME_SLOTS_SQL}))
        OR (type_name = 'action' AND action_name = :handoff))""")
_AROUND = sa.text(f"""
    SELECT id, sender_id, data FROM events
    WHERE (timestamp < :start OR timestamp >= :end)
      AND sender_id IN (SELECT DISTINCT sender_id FROM events
                        WHERE timestamp >= :start AND timestamp < :end AND type_name = 'user')
      AND ((timestamp < :start AND (type_name IN (:restart, :session_started)
                                    OR (type_name = 'slot' AND action_name = :reason)))
           OR (type_name = 'slot' AND action_name IN ({_NAME_SLOTS_SQL})))""")


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
