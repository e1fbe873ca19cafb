"""The operator's report on the cluster's PostgreSQL: `python -m operator_report --cluster` finds the store the
way `make serve-cluster` runs it (service/cluster.py's configuration, pg-password, .cluster/endpoints.yml) and
gives the same figures as on SQLite for the conversations of tests/operator_report/test_store.py; its
connection cannot write."""
import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "operator_report"))
import test_store as data  # noqa: E402

from operator_report import store  # noqa: E402
from storage.tracker_store import MaskingSQLTrackerStore  # noqa: E402

pytestmark = pytest.mark.cluster


def cluster_env(cluster):
    """The environment `make report CLUSTER=1` would have beside this test cluster (its folder and port)."""
    dropped = ("REALNAME_PG_HOST", "REALNAME_PG_PASSWORD", "REALNAME_PG_DB", "REALNAME_PG_USER")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(REALNAME_CLUSTER_DIR=cluster.cfg.data_dir, REALNAME_PG_PORT=str(cluster.cfg.pg_port), PYTHONPATH=data.REPO)
    return env


async def test_the_report_of_the_cluster_s_store(cluster, tmp_path, monkeypatch):
    cfg = cluster.cfg
    made = MaskingSQLTrackerStore(domain=data.DOMAIN, dialect="postgresql", host=cfg.pg_host, port=cfg.pg_port,
                                  db=cfg.pg_db, username=cfg.pg_user, password=cfg.pg_password)
    await data.fill(made)
    made.engine.dispose()

    out = tmp_path / "reports"
    run = subprocess.run([sys.executable, "-m", "operator_report", "--cluster", "--since", data.SINCE,
                          "--until", data.UNTIL, "--out", str(out)], cwd=data.REPO, capture_output=True, text=True,
                         timeout=120, env=cluster_env(cluster))
    assert run.returncode == 0, run.stderr
    assert f"postgresql 127.0.0.1:{cfg.pg_port}/{cfg.pg_db}" in run.stdout
    assert cfg.pg_password not in run.stdout + run.stderr
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == data.EXPECTED
    page = (out / "report.html").read_text(encoding="utf-8")
    assert data.ID_NUMBER not in page and data.NAME not in page

    for key, value in cluster_env(cluster).items():
        monkeypatch.setenv(key, value)
    endpoints, env = store.cluster_configuration()
    assert endpoints == cfg.endpoints
    engine = store._read_only_engine(store.store_url(endpoints, env))
    with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM events"))
    engine.dispose()
