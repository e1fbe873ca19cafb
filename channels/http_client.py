"""Outgoing HTTP calls to the chat apps' APIs.

:class:`HttpSender` makes the calls with ``requests`` in a thread pool (never on the event loop), with
a timeout, a bounded response size and a bounded number of attempts, and raises :class:`DeliveryError`
at the end. :class:`TokenCache` holds an API's access token until shortly before it expires.
"""

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple

import requests

from channels.log_privacy import masked_for_log, safe_url

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A response the remote API answered with an error. `retryable` says whether to try again."""

    def __init__(self, reason: str, retryable: bool = False, code: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code


class DeliveryError(Exception):
    """An outgoing call that failed for good (after all attempts, or at once for a permanent error).
    `too_large` says the answer was bigger than the call allowed (a picture above the size limit)."""

    def __init__(
        self, what: str, reason: str, attempts: int, code: Any = None, status: Optional[int] = None,
        too_large: bool = False,
    ) -> None:
        super().__init__(f"{what} failed after {attempts} attempt(s): {reason}")
        self.what = what
        self.reason = reason
        self.attempts = attempts
        self.code = code
        self.status = status
        self.too_large = too_large


class ResponseTooLarge(Exception):
    pass


@dataclass
class HttpResult:
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content.decode("utf-8"))

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or self.headers.get("content-type") or "").split(";")[0].strip().lower()


def json_errcode_check(result: HttpResult) -> None:
    """Check for DingTalk's / WeCom's JSON answers: errcode 0 (or absent) is success.

    errcode -1 (system busy) is retried; any other errcode is a permanent error.
    """
    try:
        body = result.json()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(f"answer is not JSON (HTTP {result.status})", retryable=False) from None
    if isinstance(body, Mapping):
        code = body.get("errcode", 0)
        if code not in (0, None, "0"):
            msg = masked_for_log(body.get("errmsg", ""), 120)
            raise ApiError(f"errcode={code} errmsg={msg}", retryable=(code in (-1, "-1")), code=code)


class HttpSender:
    """Sends HTTP requests with `requests` in a small thread pool.

    Each call gets `attempts` tries at most: timeouts, connection errors, HTTP 429/5xx and errors the
    `check` marks retryable are tried again after a short exponential back-off; other errors stop at
    once. Every failed try is logged (URL without its query, which may hold a token) and the final
    failure raises DeliveryError, which the caller must log. Responses are read up to `max_bytes`.
    """

    def __init__(
        self,
        name: str,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 4.0,
        max_workers: int = 4,
        max_bytes: int = 1 << 20,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self.attempts = max(1, int(attempts))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"{name}-http")
        self._local = threading.local()

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.trust_env = False  # no proxies from the environment for these calls
            self._local.session = s
        return s

    def _do(self, method: str, url: str, max_bytes: int, kwargs: Dict[str, Any]) -> HttpResult:
        resp = self._session().request(
            method, url, timeout=self.timeout, stream=True, allow_redirects=False, **kwargs
        )
        try:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise ResponseTooLarge(f"Content-Length {declared} > {max_bytes}")
            chunks: List[bytes] = []
            size = 0
            deadline = time.monotonic() + self.timeout * 4
            for chunk in resp.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > max_bytes:
                    raise ResponseTooLarge(f"more than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise requests.Timeout("body read took too long")
                chunks.append(chunk)
            return HttpResult(resp.status_code, dict(resp.headers), b"".join(chunks))
        finally:
            resp.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        check: Optional[Callable[[HttpResult], None]] = None,
        max_bytes: Optional[int] = None,
        **kwargs: Any,
    ) -> HttpResult:
        loop = asyncio.get_running_loop()
        limit = max_bytes or self.max_bytes
        reason = ""
        code: Any = None
        status: Optional[int] = None
        for attempt in range(1, self.attempts + 1):
            retryable = True
            too_large = False
            status = None
            try:
                result = await loop.run_in_executor(
                    self._executor, partial(self._do, method, url, limit, kwargs)
                )
            except requests.Timeout:
                reason = f"timeout after {self.timeout:g}s"
            except requests.ConnectionError as e:
                reason = f"connection error ({type(e).__name__})"
            except ResponseTooLarge as e:
                reason, retryable, too_large = f"response too large: {e}", False, True
            except requests.RequestException as e:
                reason, retryable = f"request error ({type(e).__name__})", False
            else:
                status = result.status
                if result.status == 429 or result.status >= 500:
                    reason = f"HTTP {result.status}"
                elif result.status >= 300:
                    reason, retryable = f"HTTP {result.status}", False
                else:
                    try:
                        if check is not None:
                            check(result)
                        if attempt > 1:
                            logger.info("%s.http.ok what=%s attempt=%d", self.name, what, attempt)
                        return result
                    except ApiError as e:
                        reason, retryable, code = e.reason, e.retryable, e.code
            last = attempt == self.attempts or not retryable
            logger.warning(
                "%s.http.attempt_failed what=%s url=%s attempt=%d/%d reason=%s%s",
                self.name,
                what,
                safe_url(url),
                attempt,
                self.attempts,
                reason,
                "" if last else " (will retry)",
            )
            if last:
                raise DeliveryError(what, reason, attempt, code, status, too_large=too_large)
            await asyncio.sleep(min(self.max_backoff, self.backoff * (2 ** (attempt - 1))))
        raise DeliveryError(what, reason, self.attempts, code, status)  # not reached


class TokenCache:
    """Caches one access token until shortly before it expires; one refresh at a time."""

    def __init__(self, fetch: Callable[[], Awaitable[Tuple[str, float]]], margin: float = 300.0) -> None:
        self._fetch = fetch
        self._margin = margin
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._lock: Optional[asyncio.Lock] = None

    def invalidate(self, token: str) -> None:
        """Forgets `token` (the API refused it), unless another call has already replaced it."""
        if token == self._token:
            self._token = None
            self._expires_at = 0.0

    async def get(self) -> str:
        if self._token and time.monotonic() < self._expires_at:
            return self._token
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token and time.monotonic() < self._expires_at:
                return self._token
            token, expires_in = await self._fetch()
            margin = min(self._margin, max(0.0, expires_in / 10))
            self._token = token
            self._expires_at = time.monotonic() + max(1.0, expires_in - margin)
            return token
