"""Settings of the channels: secrets from the environment, tuning numbers from credentials.yml."""

import os
from typing import Any, Dict, Mapping, Optional


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def cfg_number(credentials: Optional[Mapping[str, Any]], key: str, default: float) -> float:
    """A non-negative number from credentials.yml, or the default."""
    if not credentials or credentials.get(key) is None:
        return default
    try:
        value = float(credentials[key])
    except (TypeError, ValueError):
        raise ValueError(f"credentials value '{key}' must be a number") from None
    if value < 0:
        raise ValueError(f"credentials value '{key}' must not be negative")
    return value


def delivery_settings(credentials: Mapping[str, Any], dedupe_ttl_seconds: float) -> Dict[str, Any]:
    """The tuning both chat-app channels read from credentials.yml: outgoing HTTP, size bounds, replay memory."""
    return dict(
        http_timeout=cfg_number(credentials, "http_timeout", 5),
        http_attempts=int(cfg_number(credentials, "http_attempts", 3)),
        http_backoff=cfg_number(credentials, "http_backoff", 0.5),
        max_body_bytes=int(cfg_number(credentials, "max_body_bytes", 64 * 1024)),
        max_image_bytes=int(cfg_number(credentials, "max_image_bytes", 10 * 1024 * 1024)),
        dedupe_ttl_seconds=cfg_number(credentials, "dedupe_ttl_seconds", dedupe_ttl_seconds),
    )
