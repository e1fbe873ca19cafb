"""What the public port lets through, decided before a handler runs.

- Rasa's HTTP API (`/status`, `/conversations/...`, `/model`, ...) is off unless the operator sets
  REALNAME_API_TOKEN; then Rasa's own token check guards it (`?token=...`), and this guard also
  refuses `/version` without it (Rasa leaves that one open). `/` (health) and `/webhooks/...` (the
  channels, each with its own checks) are always public.
- Request bodies are limited per route *before* they are read: Sanic reads the whole body of a
  non-streaming route before any middleware runs, so the limit is set on the request's stream as
  soon as the route is known (signal `http.routing.after`); a larger Content-Length is refused at
  the first read, a chunked body once it passes the limit. The global REQUEST_MAX_SIZE (set by the
  launcher before the app exists) bounds everything else.

Plain functions over Sanic objects; the launcher installs them (service/serve.py).
"""
from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any, Dict, Iterable, Optional

logger = logging.getLogger(__name__)

API_TOKEN_ENV = "REALNAME_API_TOKEN"
MIN_TOKEN_LENGTH = 24
#: Bodies of routes no channel declared (Rasa's API with a token: /model/train takes training data).
DEFAULT_BODY_LIMIT = 64 * 1024
API_BODY_LIMIT = 16 * 1024 * 1024

PUBLIC_PREFIXES = ("/webhooks/",)
E_API_OFF = "此服务只开放帮助页面和聊天渠道；管理接口需要令牌。"
E_TOO_LARGE = "请求内容过大，请精简后再发送。"


class TokenError(ValueError):
    pass


def api_token(environ: Optional[Dict[str, str]] = None) -> Optional[str]:
    """The operator's API token, or None (API off). A short token is refused: it could be guessed."""
    value = (environ if environ is not None else os.environ).get(API_TOKEN_ENV, "").strip()
    if not value:
        return None
    if len(value) < MIN_TOKEN_LENGTH:
        raise TokenError(
            f"{API_TOKEN_ENV} 太短：至少 {MIN_TOKEN_LENGTH} 个字符（例如 `openssl rand -hex 32` 的输出）。"
            f" / {API_TOKEN_ENV} must have at least {MIN_TOKEN_LENGTH} characters."
        )
    return value


def is_public_path(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


def token_matches(provided: Optional[str], token: Optional[str]) -> bool:
    return bool(token) and provided is not None and hmac.compare_digest(provided.encode(), token.encode())


def channel_body_limits(input_channels: Iterable[Any], route_prefix: str = "/webhooks/") -> Dict[str, int]:
    """Route path → body limit, from each channel's optional `body_limits` ({"/upload": bytes, ...}).

    A channel route not listed gets DEFAULT_BODY_LIMIT."""
    limits: Dict[str, int] = {}
    for channel in input_channels:
        prefix = route_prefix + channel.url_prefix().strip("/")
        for sub, size in (getattr(channel, "body_limits", None) or {}).items():
            limits[(prefix + "/" + sub.strip("/")).rstrip("/")] = int(size)
    return limits


def body_limit_for(path: str, limits: Dict[str, int], api_enabled: bool) -> int:
    path = path.rstrip("/")
    if path in limits:
        return limits[path]
    if not is_public_path(path + "/") and api_enabled:
        return API_BODY_LIMIT
    return DEFAULT_BODY_LIMIT


def install(app: Any, token: Optional[str]) -> None:
    """Adds the size signal and the token middleware to a Sanic app that is not started yet."""
    from sanic import response

    state: Dict[str, Any] = {"limits": None}

    def limits() -> Dict[str, int]:
        if state["limits"] is None:
            state["limits"] = channel_body_limits(getattr(app.ctx, "input_channels", None) or [])
        return state["limits"]

    @app.signal("http.routing.after")
    async def limit_body(request: Any, route: Any, kwargs: Any, handler: Any) -> None:
        stream = request.stream
        if stream is not None and stream.request_body:
            stream.request_max_size = min(stream.request_max_size, body_limit_for(request.path, limits(), token is not None))

    @app.middleware("request")
    async def refuse_api(request: Any) -> Any:
        if is_public_path(request.path):
            return None
        if token is not None and (token_matches(request.args.get("token"), token) or request.path != "/version"):
            return None  # Rasa's own check guards every API route but /version
        logger.info("guard.refused method=%s path=%s", request.method, request.path[:80])
        status = 403 if token is not None else 404
        return response.json({"error": E_API_OFF}, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    @app.exception(_payload_too_large())
    async def too_large(request: Any, exception: Exception) -> Any:
        logger.info("guard.too_large path=%s", request.path[:80] if request else "?")
        return response.json({"error": E_TOO_LARGE}, status=413, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _payload_too_large() -> type:
    from sanic.exceptions import PayloadTooLarge

    return PayloadTooLarge
