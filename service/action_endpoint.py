"""Rasa's action endpoint with its connections to the action server kept alive.

Rasa 3.6's EndpointConfig.request opens a new aiohttp ClientSession — so a new TCP connection, which the
action server must accept and set up — for every action call, and closes it after the answer. Under load
that was a twentieth of a Rasa instance's time and as much again in the action server.
KeptAliveEndpointConfig overrides EndpointConfig.session (a public method; request() uses it as
`async with self.session() as session`) to lend request() one session per event loop that is never
closed, so its connections are reused. Everything else — URL, headers, token, timeout, errors — is
EndpointConfig's own.

An idle connection is dropped after KEEPALIVE_SECONDS, below the action server's own keep-alive timeout
(Sanic's default: 5 s), so a connection the server is about to close is not sent a call. A connection
the action server closed (a restart) is noticed by aiohttp and not used again.

install(agent) swaps the agent's action endpoint for this one (service/serve.py, when the model is
loaded); a model loaded later (PUT /model) takes the agent's endpoint, so it keeps it.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional, Tuple

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 2.0


class _Lent:
    """`async with` gives the shared session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


class KeptAliveEndpointConfig(EndpointConfig):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sessions: Dict[int, Tuple[Any, aiohttp.ClientSession]] = {}  # id(loop) → (loop, its session)

    @classmethod
    def like(cls, endpoint: EndpointConfig) -> "KeptAliveEndpointConfig":
        return cls(url=endpoint.url, params=endpoint.params, headers=endpoint.headers,
                   basic_auth=endpoint.basic_auth, token=endpoint.token, token_name=endpoint.token_name,
                   cafile=endpoint.cafile, type=endpoint.type, **endpoint.kwargs)

    def session(self) -> _Lent:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        kept_loop, session = self._sessions.get(id(loop), (None, None))
        if session is None or session.closed or kept_loop is not loop:
            # the session EndpointConfig.session makes (headers, basic auth, timeout), with a kept pool
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            session = aiohttp.ClientSession(
                headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS))
            self._sessions[id(loop)] = (loop, session)
        return _Lent(session)

    async def close(self) -> None:
        for _, session in self._sessions.values():
            if not session.closed:
                await session.close()
        self._sessions.clear()


def install(agent: Any) -> Optional[KeptAliveEndpointConfig]:
    """Gives the agent (and its processor) a KeptAliveEndpointConfig like its action endpoint."""
    endpoint = getattr(agent, "action_endpoint", None)
    if endpoint is None or isinstance(endpoint, KeptAliveEndpointConfig):
        return endpoint
    kept = KeptAliveEndpointConfig.like(endpoint)
    agent.action_endpoint = kept
    if getattr(agent, "processor", None) is not None:
        agent.processor.action_endpoint = kept
    logger.info("actions.endpoint.kept_alive url=%s", kept.url)
    return kept


async def listener(app: Any, _loop: Any) -> None:
    """Sanic `after_server_start` listener (Rasa's `server_listeners` signature), before the warm-up."""
    install(getattr(getattr(app, "ctx", None), "agent", None))
