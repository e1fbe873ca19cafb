"""Local fakes of the DingTalk and WeCom open APIs for the channel tests, plus request builders.

Each fake is a ThreadingHTTPServer on 127.0.0.1 with a random port that records every request it gets.
Faults can be planned per path: an HTTP status, a JSON answer (e.g. an errcode), or a delay longer than
the channel's timeout.
"""

import base64
import hashlib
import hmac
import io
import asyncio
import json
import os
import random
import socket
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple


@dataclass
class Recorded:
    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


# Throwaway secrets for the e2e server. The WeCom ones are the official sample values, so the
# official URL-verification vector works against the running server too.
E2E_ENV = {
    "DINGTALK_APP_KEY": "dingtestkey",
    "DINGTALK_APP_SECRET": "test-app-secret-" + "x" * 24,
    "DINGTALK_ROBOT_CODE": "dingtestrobot",
    "WECOM_CORP_ID": "ww1436e0e65a779aee",
    "WECOM_TOKEN": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "WECOM_AES_KEY": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    "WECOM_AGENT_ID": "1000002",
    "WECOM_SECRET": "test-corp-secret",
    # The WeCom AI bot (receive id ""): throwaway values.
    "WECOM_BOT_TOKEN": "QDG6eK",
    "WECOM_BOT_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
}


def custom_only_rasa():
    """A stand-in for Rasa whose only answer is a custom payload (the web page's copy offer).
    Returns the handler and the list of texts it was asked."""
    asked: List[str] = []

    async def rasa(message):
        asked.append(message.text)
        await message.output_channel.send_custom_json(message.sender_id, {"compliant_copy": {"ref": "x"}})

    return rasa, asked


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_image(kind: str = "JPEG", size: Tuple[int, int] = (900, 600), seed: int = 7) -> bytes:
    """A photo-like test image (noise + shapes), big enough to pass a 55 KB minimum as JPEG."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    draw = ImageDraw.Draw(img)
    m = min(size) // 8
    draw.rectangle([m, m, size[0] - m, size[1] - m], outline=(20, 20, 160), width=max(1, m // 5))
    draw.text((2 * m, 2 * m), "ID CARD TEST", fill=(0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, kind, quality=92) if kind == "JPEG" else img.save(buf, kind)
    return buf.getvalue()


class FakeApi:
    """A recording fake of one platform's API ("dingtalk" or "wecom")."""

    def __init__(self, kind: str) -> None:
        assert kind in ("dingtalk", "wecom")
        self.kind = kind
        self.requests: List[Recorded] = []
        self._plans: Dict[str, List[Tuple[str, Any]]] = {}
        self._always: Dict[str, Tuple[str, Any]] = {}
        self._lock = threading.Lock()
        self._token_n = 0
        self.valid_tokens: set = set()
        self.image_bytes = make_image()
        self.aibot_image = b""  # what /aibot/image/... serves (a test sets it to an encrypted picture)
        self.stream_endpoint = ""  # set to a FakeStreamGateway's endpoint to serve Stream mode
        self.stream_secret: Optional[str] = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                rec = Recorded(self.command, parsed.path, query, {k.lower(): v for k, v in self.headers.items()}, body)
                with fake._lock:
                    fake.requests.append(rec)
                status, ctype, payload = fake._answer(rec)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _handle
            do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # -------------------------------------------------------------------------------- control

    def plan(self, path: str, *behaviours: Tuple[str, Any]) -> None:
        """Queue behaviours for the next requests to `path`: ("status", 500), ("json", {...}),
        ("sleep", seconds)."""
        with self._lock:
            self._plans.setdefault(path, []).extend(behaviours)

    def always(self, path: str, behaviour: Optional[Tuple[str, Any]]) -> None:
        with self._lock:
            if behaviour is None:
                self._always.pop(path, None)
            else:
                self._always[path] = behaviour

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._plans.clear()
            self._always.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def matching(self, path_prefix: str, method: Optional[str] = None) -> List[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix) and (method is None or r.method == method)]

    def wait_for(self, path_prefix: str, count: int = 1, timeout: float = 20.0, method: Optional[str] = None) -> List[Recorded]:
        """Waits until at least `count` requests to `path_prefix` arrived; returns them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.matching(path_prefix, method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.matching(path_prefix, method)

    # -------------------------------------------------------------------------------- answers

    def _planned(self, path: str) -> Optional[Tuple[str, Any]]:
        with self._lock:
            queue = self._plans.get(path)
            if queue:
                return queue.pop(0)
            return self._always.get(path)

    def _new_token(self, prefix: str) -> str:
        with self._lock:
            self._token_n += 1
            token = f"{prefix}-token-{self._token_n}"
            self.valid_tokens.add(token)
            return token

    def _answer(self, rec: Recorded) -> Tuple[int, str, bytes]:
        behaviour = self._planned(rec.path)
        if behaviour is not None:
            kind, value = behaviour
            if kind == "sleep":
                time.sleep(float(value))
            elif kind == "status":
                return int(value), "application/json", json.dumps({"errcode": -1, "errmsg": "fake error"}).encode()
            elif kind == "json":
                return 200, "application/json", json.dumps(value).encode()
        if self.kind == "dingtalk":
            return self._dingtalk(rec)
        return self._wecom(rec)

    @staticmethod
    def _json(obj: Any, status: int = 200) -> Tuple[int, str, bytes]:
        return status, "application/json", json.dumps(obj, ensure_ascii=False).encode("utf-8")

    def _dingtalk(self, rec: Recorded) -> Tuple[int, str, bytes]:
        if rec.path == "/v1.0/oauth2/accessToken" and rec.method == "POST":
            return self._json({"accessToken": self._new_token("dt"), "expireIn": 7200})
        if rec.path == "/v1.0/robot/messageFiles/download" and rec.method == "POST":
            if rec.headers.get("x-acs-dingtalk-access-token") not in self.valid_tokens:
                return self._json({"code": "InvalidAuthentication", "message": "bad token"}, 401)
            code = rec.json().get("downloadCode", "")
            return self._json({"downloadUrl": f"{self.base_url}/files/{urllib.parse.quote(code)}.file"})
        if rec.path.startswith("/files/") and rec.method == "GET":
            return 200, "application/octet-stream", self.image_bytes
        if rec.path.startswith("/robot/sendBySession") and rec.method == "POST":
            return self._json({"errcode": 0, "errmsg": "ok"})
        if rec.path == "/v1.0/gateway/connections/open" and rec.method == "POST":
            body = rec.json()
            if body.get("clientSecret") != self.stream_secret or not self.stream_endpoint:
                return self._json({"code": "InvalidAuthentication", "message": "bad client"}, 401)
            return self._json({"endpoint": self.stream_endpoint, "ticket": self._new_token("ticket")})
        return self._json({"code": "NotFound"}, 404)

    def _wecom(self, rec: Recorded) -> Tuple[int, str, bytes]:
        if rec.path == "/cgi-bin/gettoken":
            return self._json({"errcode": 0, "errmsg": "ok", "access_token": self._new_token("wc"), "expires_in": 7200})
        token_ok = rec.query.get("access_token") in self.valid_tokens
        if rec.path == "/cgi-bin/message/send" and rec.method == "POST":
            if not token_ok:
                return self._json({"errcode": 40014, "errmsg": "invalid access_token"})
            return self._json({"errcode": 0, "errmsg": "ok", "invaliduser": ""})
        if rec.path == "/cgi-bin/aibot/response" and rec.method == "POST":  # an AI bot's response_url
            return self._json({"errcode": 0, "errmsg": "ok"})
        if rec.path.startswith("/aibot/image/") and rec.method == "GET":  # an AI bot's encrypted picture
            return 200, "application/octet-stream", self.aibot_image
        if rec.path == "/cgi-bin/media/get":
            if not token_ok:
                return self._json({"errcode": 40014, "errmsg": "invalid access_token"})
            return 200, "image/jpeg", self.image_bytes
        return self._json({"errcode": 404, "errmsg": "not found"}, 404)

    # -------------------------------------------------------------------------------- views

    def dingtalk_replies(self, session: str) -> List[Dict[str, Any]]:
        return [r.json() for r in self.matching(f"/robot/sendBySession/{session}", "POST")]

    def aibot_responses(self, code: Optional[str] = None) -> List[Dict[str, Any]]:
        """The bodies posted to AI-bot response_urls (optionally only those of one response_code)."""
        return [r.json() for r in self.matching("/cgi-bin/aibot/response", "POST")
                if code is None or r.query.get("response_code") == code]

    def wecom_sent(self, user: Optional[str] = None) -> List[Dict[str, Any]]:
        out = [r.json() for r in self.matching("/cgi-bin/message/send", "POST")]
        return [m for m in out if user is None or m.get("touser") == user]


# ------------------------------------------------------------------------------------------------
# Request builders (independent of the channel code on purpose, so the tests check the protocol).


def dingtalk_signature(timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), (timestamp + "\n" + secret).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def dingtalk_message(
    base_url: str,
    session: str,
    text: Optional[str] = "库中无此号",
    msg_id: Optional[str] = None,
    sender: str = "staff001",
    picture_code: Optional[str] = None,
    expires_in_ms: int = 90 * 60 * 1000,
) -> Dict[str, Any]:
    now = int(time.time() * 1000)
    msg: Dict[str, Any] = {
        "conversationId": "cid-test",
        "conversationType": "1",
        "msgId": msg_id or ("msg" + os.urandom(8).hex()),
        "senderNick": "测试用户",
        "isAdmin": False,
        "senderStaffId": sender,
        "senderId": "$:LWCP_v1:$" + sender,
        "chatbotUserId": "$:LWCP_v1:$bot",
        "sessionWebhookExpiredTime": now + expires_in_ms,
        "createAt": now,
        "sessionWebhook": f"{base_url}/robot/sendBySession/{session}?session=abc",
        "robotCode": "dingtestrobot",
    }
    if picture_code:
        msg["msgtype"] = "picture"
        msg["content"] = {"downloadCode": picture_code, "pictureDownloadCode": "pic-" + picture_code}
    else:
        msg["msgtype"] = "text"
        msg["text"] = {"content": text}
    return msg


def wecom_crypt(token: str, aes_key: str, corp_id: str):
    from channels.wecom import WeComCrypto

    return WeComCrypto(token, aes_key, corp_id)


def wecom_encrypt(crypt, msg: bytes, random16: Optional[bytes] = None) -> str:
    """Encrypts `msg` as WeCom does (the channel only decrypts): AES-256-CBC with `crypt`'s key and IV over
    16 random bytes + 4-byte big-endian length + msg + receive id, PKCS#7-padded to 32 bytes."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    rnd = random16 if random16 is not None else os.urandom(16)
    plain = rnd + struct.pack(">I", len(msg)) + msg + crypt.receive_id.encode("utf-8")
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(crypt.key), modes.CBC(crypt.iv)).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def wecom_text_xml(user: str, content: str, msg_id: str, agent_id: str = "1000002", corp_id: str = "corp") -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{agent_id}</AgentID></xml>"
    ).encode("utf-8")


def wecom_image_xml(user: str, media_id: str, msg_id: str, agent_id: str = "1000002", corp_id: str = "corp") -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        f"<PicUrl><![CDATA[http://example.invalid/p.jpg]]></PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
        f"<MsgId>{msg_id}</MsgId><AgentID>{agent_id}</AgentID></xml>"
    ).encode("utf-8")


def wecom_envelope(crypt, inner: bytes, timestamp: Optional[str] = None, nonce: Optional[str] = None,
                   agent_id: str = "1000002") -> Tuple[Dict[str, str], bytes]:
    """(query params, body) of a WeCom POST callback carrying `inner`, signed with `crypt`'s token."""
    ts = timestamp or str(int(time.time()))
    nonce = nonce or str(random.randint(10**8, 10**9))
    encrypt = wecom_encrypt(crypt, inner)
    sig = hashlib.sha1("".join(sorted([crypt.token, ts, nonce, encrypt])).encode()).hexdigest()
    body = (
        f"<xml><ToUserName><![CDATA[{crypt.receive_id}]]></ToUserName><AgentID><![CDATA[{agent_id}]]></AgentID>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    ).encode()
    return {"msg_signature": sig, "timestamp": ts, "nonce": nonce}, body


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><Encrypt>&lol9;</Encrypt></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Encrypt>&xxe;</Encrypt></xml>"""


class FakeStreamGateway:
    """A fake DingTalk Stream gateway: a websocket server (websockets 10.x) in its own thread that
    records what clients send and lets a test push frames to the connected client."""

    def __init__(self) -> None:
        import websockets

        self.received: List[Dict[str, Any]] = []
        self.paths: List[str] = []
        self.connections = 0
        self._current = None
        self._lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def handler(ws, path=None):
            with self._lock:
                self.connections += 1
                self.paths.append(ws.path)
                self._current = ws
            try:
                async for raw in ws:
                    try:
                        frame = json.loads(raw)
                    except ValueError:
                        frame = {"raw": raw}
                    with self._lock:
                        self.received.append(frame)
            except websockets.ConnectionClosed:
                pass
            finally:
                with self._lock:
                    if self._current is ws:
                        self._current = None

        async def start():
            self.server = await websockets.serve(handler, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(start())
            self.loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        self.endpoint = f"ws://127.0.0.1:{self.port}/connect"

    def wait_connected(self, count: int = 1, timeout: float = 20.0) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                if self.connections >= count and self._current is not None:
                    return True
            time.sleep(0.05)
        return False

    def push(self, frame: Any) -> None:
        """Sends a frame (dict → JSON, str as is) to the connected client."""
        with self._lock:
            ws = self._current
        assert ws is not None, "no client connected"
        data = frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False)
        asyncio.run_coroutine_threadsafe(ws.send(data), self.loop).result(10)

    def acks(self, message_id: str) -> List[Dict[str, Any]]:
        with self._lock:
            return [f for f in self.received if (f.get("headers") or {}).get("messageId") == message_id]

    def wait_ack(self, message_id: str, timeout: float = 10.0) -> List[Dict[str, Any]]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.acks(message_id)
            if found:
                return found
            time.sleep(0.05)
        return []

    def stop(self) -> None:
        async def close():
            self.server.close()
            await self.server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


def stream_callback(msg: Dict[str, Any], message_id: Optional[str] = None) -> Dict[str, Any]:
    """A Stream-mode CALLBACK frame carrying a robot message."""
    return {
        "specVersion": "1.0",
        "type": "CALLBACK",
        "headers": {
            "appId": "app-test",
            "connectionId": "conn-test",
            "contentType": "application/json",
            "messageId": message_id or ("sm-" + os.urandom(6).hex()),
            "time": str(int(time.time() * 1000)),
            "topic": "/v1.0/im/bot/messages/get",
        },
        "data": json.dumps(msg, ensure_ascii=False),
    }


def stream_system(topic: str, data: str = "{}", message_id: Optional[str] = None) -> Dict[str, Any]:
    return {
        "specVersion": "1.0",
        "type": "SYSTEM",
        "headers": {"contentType": "application/json", "messageId": message_id or ("sys-" + os.urandom(6).hex()),
                    "time": str(int(time.time() * 1000)), "topic": topic},
        "data": data,
    }


def recording(rasa):
    """`rasa` (a fake on_new_message) wrapped to record each text it is handed: (wrapped, texts)."""
    texts: List[str] = []

    async def wrapped(message):
        texts.append(message.text)
        await rasa(message)

    return wrapped, texts


async def until(predicate, timeout: float = 15.0) -> bool:
    """Waits (asynchronously) until predicate() is true; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False
