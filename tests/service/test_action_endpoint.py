import asyncio
import types

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from service.action_endpoint import KeptAliveEndpointConfig, install


class CountingServer:
    """An action server stand-in that counts the TCP connections it accepted."""

    def __init__(self):
        self.peers = set()
        self.runner = None
        self.port = None

    async def start(self, port=0):
        async def webhook(request):
            self.peers.add(request.transport.get_extra_info("peername"))
            body = await request.json()
            if body.get("fail"):
                return web.json_response({"error": "boom"}, status=500)
            return web.json_response({"events": [], "echo": body.get("n")})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = port or site._server.sockets[0].getsockname()[1]

    async def stop(self):
        await self.runner.cleanup()


@pytest.fixture
async def server():
    made = CountingServer()
    await made.start()
    yield made
    await made.stop()


async def test_action_calls_share_one_connection(server):
    url = f"http://127.0.0.1:{server.port}/webhook"
    kept = KeptAliveEndpointConfig.like(EndpointConfig(url=url))
    answers = [await kept.request(json={"n": n}) for n in range(5)]
    assert [a["echo"] for a in answers] == list(range(5))
    assert len(server.peers) == 1
    await kept.close()


async def test_rasa_s_own_endpoint_opens_one_connection_per_call(server):
    plain = EndpointConfig(url=f"http://127.0.0.1:{server.port}/webhook")
    for n in range(3):
        await plain.request(json={"n": n})
    assert len(server.peers) == 3  # what the kept-alive endpoint saves


async def test_errors_are_rasa_s_own(server):
    kept = KeptAliveEndpointConfig.like(EndpointConfig(url=f"http://127.0.0.1:{server.port}/webhook"))
    with pytest.raises(ClientResponseError) as raised:
        await kept.request(json={"fail": True})
    assert raised.value.status == 500
    assert (await kept.request(json={"n": 1}))["echo"] == 1  # the session is still usable
    await kept.close()


async def test_calls_go_on_after_the_action_server_restarts(server):
    kept = KeptAliveEndpointConfig.like(EndpointConfig(url=f"http://127.0.0.1:{server.port}/webhook"))
    assert (await kept.request(json={"n": 1}))["echo"] == 1
    await server.stop()
    await server.start(server.port)
    await asyncio.sleep(0.05)  # the closed connection's FIN reaches the client on loopback
    assert (await kept.request(json={"n": 2}))["echo"] == 2
    await kept.close()


def test_install_gives_the_agent_and_its_processor_the_same_kept_endpoint():
    endpoint = EndpointConfig(url="http://127.0.0.1:5055/webhook", token="secret", headers={"X-A": "1"})
    agent = types.SimpleNamespace(action_endpoint=endpoint, processor=types.SimpleNamespace(action_endpoint=endpoint))
    kept = install(agent)
    assert isinstance(kept, KeptAliveEndpointConfig)
    assert agent.action_endpoint is kept and agent.processor.action_endpoint is kept
    assert (kept.url, kept.token, kept.headers) == (endpoint.url, "secret", {"X-A": "1"})
    assert install(agent) is kept  # once
    assert install(types.SimpleNamespace(action_endpoint=None)) is None  # no action server configured
