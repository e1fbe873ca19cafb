"""A stand-in for Alibaba Cloud's Domain API (2018-01-29) on loopback, for tests only.

It checks every request the way the cloud does, written from Alibaba Cloud's published V3 signature
method (ACS3-HMAC-SHA256), not from the SDK: the payload hash, the canonical request (method, path,
sorted RFC 3986-encoded query, the signed headers), the HMAC-SHA256 over its hash with the secret, a
fresh timestamp and an unused nonce. It serves the two calls the assistant makes with the documented
fields (QueryDomainByDomainName, QueryFailReasonForDomainRealNameVerification: Data is a list) and the
documented error shape ({RequestId, Code, Message}) with the status codes of the error centre.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple

VERSION = "2018-01-29"
ALGORITHM = "ACS3-HMAC-SHA256"
REQUIRED_SIGNED = {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce",
                   "x-acs-version"}


def _encode(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def canonical_query(pairs: List[Tuple[str, str]]) -> str:
    encoded = sorted((_encode(k), _encode(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def expected_signature(secret: str, method: str, path: str, pairs: List[Tuple[str, str]],
                       headers: Dict[str, str], signed: List[str], payload_hash: str) -> str:
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    canonical_request = "\n".join([method, path or "/", canonical_query(pairs), canonical_headers, ";".join(signed),
                                   payload_hash])
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


class FakeDomainApi:
    """keys: AccessKey id → secret; domains: name → {"status": ..., "reasons": {action: [(date, text), …]}}."""

    def __init__(self) -> None:
        self.keys: Dict[str, str] = {}
        self.read_only_denied: set = set()  # key ids without the RAM permission
        self.domains: Dict[str, dict] = {}
        self.throttle_next = 0  # answer the next N calls with Throttling.User
        self.delay = 0.0  # seconds before answering
        self.calls: List[dict] = []  # every accepted call: action and parameters
        self.refused: List[str] = []  # the error code of every refused call
        self._nonces: set = set()
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None

    # --- running -------------------------------------------------------------------------------------
    def start(self) -> "FakeDomainApi":
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                api._handle(self)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def actions(self) -> List[str]:
        return [c["Action"] for c in self.calls]

    # --- one request ---------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(handler.path)
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        params = dict(pairs)
        if body and "form-urlencoded" in headers.get("content-type", ""):
            params.update(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        status, answer = self._answer(handler.command, url.path, pairs, headers, body, params)
        if self.delay:
            time.sleep(self.delay)
        data = json.dumps(answer, ensure_ascii=False).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json;charset=utf-8")
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> Tuple[int, dict]:
        with self._lock:
            self.refused.append(code)
        return status, {"RequestId": str(uuid.uuid4()).upper(), "HostId": "domain.aliyuncs.com", "Code": code,
                        "Message": message}

    def _answer(self, method, path, pairs, headers, body, params) -> Tuple[int, dict]:
        auth = headers.get("authorization", "")
        if not auth.startswith(ALGORITHM + " "):
            return self._error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        fields = dict(part.strip().split("=", 1) for part in auth[len(ALGORITHM) + 1:].split(",") if "=" in part)
        key_id, signed = fields.get("Credential", ""), fields.get("SignedHeaders", "").split(";")
        if key_id not in self.keys:
            return self._error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        payload_hash = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload_hash or not REQUIRED_SIGNED <= set(signed):
            return self._error(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        if not hmac.compare_digest(fields.get("Signature", ""), expected_signature(
                self.keys[key_id], method, path, pairs, headers, signed, payload_hash)):
            return self._error(400, "SignatureDoesNotMatch", "The request signature does not match.")
        try:
            sent_at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except (KeyError, ValueError):
            return self._error(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs(time.time() - sent_at.timestamp()) > 900:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        with self._lock:
            nonce = headers["x-acs-signature-nonce"]
            if nonce in self._nonces:
                return self._error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces.add(nonce)
        action = headers.get("x-acs-action", "")
        if headers.get("x-acs-version") != VERSION:
            return self._error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if key_id in self.read_only_denied:
            return self._error(403, "Forbidden.RAM", "User not authorized to operate on the specified resource.")
        with self._lock:
            if self.throttle_next > 0:
                self.throttle_next -= 1
                throttled = True
            else:
                throttled = False
        if throttled:
            return self._error(400, "Throttling.User", "Request was denied due to user flow control.")
        with self._lock:
            self.calls.append({"Action": action, **params})
        domain = self.domains.get((params.get("DomainName") or "").lower())
        request_id = str(uuid.uuid4()).upper()
        if action == "QueryDomainByDomainName":
            if domain is None:
                return 200, {"RequestId": request_id}  # not in this account: nothing about it
            return 200, {"RequestId": request_id, "DomainName": params["DomainName"], "InstanceId": "S2019" + "0" * 9,
                         "RealNameStatus": domain["status"], "DomainNameVerificationStatus": "SUCCEED",
                         "RegistrantType": "1"}
        if action == "QueryFailReasonForDomainRealNameVerification":
            if params.get("RealNameVerificationAction") not in ("ACTIVATE", "CHGHOLDER", "TRANSFER"):
                return self._error(400, "ParameterIllegal", "Parameter illegal.")
            reasons = (domain or {}).get("reasons", {}).get(params["RealNameVerificationAction"], [])
            if params.get("Lang") == "en":
                reasons = (domain or {}).get("reasons_en", {}).get(params["RealNameVerificationAction"], reasons)
            return 200, {"RequestId": request_id, "Data": [
                {"Date": date, "FailReason": text, "DomainNameVerificationStatus": "SUCCEED"} for date, text in reasons]}
        return self._error(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
