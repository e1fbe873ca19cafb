"""The repository's endpoints.yml with another action-server port and tracker database.

Used by the benchmark and the end-to-end channel tests, so that both run the configuration
`make serve` runs (selective domain, the masking SQLite store), only on free ports and a fresh file.
"""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def write_local_endpoints(path: Path, actions_port: int, database: Path) -> Path:
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    config["tracker_store"]["db"] = str(database)
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path
