"""The registrar's own record of a domain's real-name verification (Alibaba Cloud Domain API 2018-01-29).

For staff bots of companies whose domains sit in their own Alibaba Cloud account: instead of asking for
a paste, the rejection is read from the account (QueryDomainByDomainName for the status,
QueryFailReasonForDomainRealNameVerification for the reasons). Calls go through Alibaba Cloud's official
SDK (alibabacloud_domain20180129), which signs them (ACS3-HMAC-SHA256). No Rasa import: the actions
(actions/domain_lookup.py) are the glue.

Errors never leave as exceptions of the SDK: every failure is a DomainApiError whose `code` names a
finding (knowledge/findings/domain_lookup.yml) that says it in plain words. The AccessKey is never logged.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Mapping, Optional, Tuple

logger = logging.getLogger(__name__)

ACCESS_KEY_ID_ENV = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ACCESS_KEY_SECRET_ENV = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENDPOINT_ENV = "REALNAME_DOMAIN_API_ENDPOINT"
STAFF_IDS_ENV = "REALNAME_STAFF_IDS"
DEFAULT_ENDPOINT = "https://domain.aliyuncs.com"

CONNECT_TIMEOUT_MS = 3000
READ_TIMEOUT_MS = 5000
CACHE_SECONDS = 60.0
THROTTLE_RETRY_DELAY = 1.0
#: The verification kinds a failure can belong to, in the order they are tried (new registration first).
ACTIONS = ("ACTIVATE", "CHGHOLDER", "TRANSFER")

SUCCEED, FAILED, AUDITING, NONAUDIT = "SUCCEED", "FAILED", "AUDITING", "NONAUDIT"

#: metadata["source"] of a message a channel fed back through Rasa with the reason a lookup found (it is
#: never looked up again): set by channels/chat_app.py, read by actions/domain_lookup.py.
FED_BACK_SOURCE = "registrar"


@dataclass(frozen=True)
class DomainApiSettings:
    access_key_id: str = ""
    access_key_secret: str = field(default="", repr=False)
    protocol: str = "https"
    endpoint: str = "domain.aliyuncs.com"  # host[:port], as the SDK takes it
    staff_ids: FrozenSet[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "DomainApiSettings":
        url = urllib.parse.urlsplit((env.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).strip())
        protocol = url.scheme.lower() if url.scheme.lower() in ("http", "https") else "https"
        endpoint = url.netloc or url.path or "domain.aliyuncs.com"
        staff = frozenset(s.strip() for s in (env.get(STAFF_IDS_ENV) or "").split(",") if s.strip())
        return cls(
            access_key_id=(env.get(ACCESS_KEY_ID_ENV) or "").strip(),
            access_key_secret=(env.get(ACCESS_KEY_SECRET_ENV) or "").strip(),
            protocol=protocol,
            endpoint=endpoint.rstrip("/"),
            staff_ids=staff,
        )

    @property
    def enabled(self) -> bool:
        return bool(self.access_key_id and self.access_key_secret)


@dataclass(frozen=True)
class FailRecord:
    date: str
    reason: str


@dataclass(frozen=True)
class RegistrarRecord:
    """What the account says about one domain: its real-name status and the failure reasons, newest first."""

    domain: str
    status: str
    records: Tuple[FailRecord, ...] = ()
    action: str = ""  # the verification kind the records belong to

    @property
    def newest_reason(self) -> Optional[str]:
        return self.records[0].reason if self.records else None


class DomainApiError(Exception):
    """A lookup that failed; `code` is the finding that says why (knowledge/findings/domain_lookup.yml)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


#: Alibaba Cloud error codes (prefix match) → finding code.
_ERROR_CODES = (
    ("InvalidAccessKeyId", "registrar_key_invalid"),
    ("SignatureDoesNotMatch", "registrar_key_invalid"),
    ("IncompleteSignature", "registrar_key_invalid"),
    ("InvalidAccessKeySecret", "registrar_key_invalid"),
    ("Forbidden", "registrar_forbidden"),
    ("NoPermission", "registrar_forbidden"),
    ("Throttling", "registrar_throttled"),
    ("DomainNotExist", "registrar_domain_not_found"),
    ("DomainNotFound", "registrar_domain_not_found"),
    ("DomainNameNotExist", "registrar_domain_not_found"),
)


def error_finding(api_code: str) -> str:
    for prefix, finding_code in _ERROR_CODES:
        if api_code.startswith(prefix):
            return finding_code
    return "registrar_error"


class DomainApi:
    """Looks domains up through the official SDK; one instance per process (it keeps a one-minute cache)."""

    def __init__(self, settings: DomainApiSettings, clock=time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._cache: Dict[Tuple[str, str], Tuple[float, RegistrarRecord]] = {}
        self._client = None

    def _sdk(self):
        if self._client is None:
            from alibabacloud_domain20180129.client import Client
            from alibabacloud_tea_openapi.models import Config

            self._client = Client(Config(
                access_key_id=self.settings.access_key_id,
                access_key_secret=self.settings.access_key_secret,
                endpoint=self.settings.endpoint,
                protocol=self.settings.protocol,
                connect_timeout=CONNECT_TIMEOUT_MS,
                read_timeout=READ_TIMEOUT_MS,
            ))
        return self._client

    async def _call(self, method: str, request) -> object:
        """One SDK call, retried once when throttled; SDK and network errors become DomainApiError."""
        from alibabacloud_tea_util.models import RuntimeOptions
        from Tea.exceptions import TeaException, UnretryableException

        runtime = RuntimeOptions(autoretry=False, connect_timeout=CONNECT_TIMEOUT_MS, read_timeout=READ_TIMEOUT_MS)
        for attempt in (1, 2):
            try:
                call = getattr(self._sdk(), f"{method}_with_options_async")
                # the SDK's timeouts are per socket operation; this bounds the whole call too
                response = await asyncio.wait_for(call(request, runtime), (CONNECT_TIMEOUT_MS + READ_TIMEOUT_MS) / 1000)
                return response.body
            except UnretryableException as e:  # the SDK's wrapper around a network error
                logger.warning("domain_api.unreachable call=%s error=%s", method,
                               type(getattr(e, "inner_exception", None) or e).__name__)
                raise DomainApiError("registrar_unreachable") from None
            except TeaException as e:
                code = str(e.code or "")
                finding_code = error_finding(code)
                logger.warning("domain_api.error call=%s code=%s attempt=%d", method, code or "?", attempt)
                if finding_code == "registrar_throttled" and attempt == 1:
                    await asyncio.sleep(THROTTLE_RETRY_DELAY)
                    continue
                raise DomainApiError(finding_code, code) from None
            except (asyncio.TimeoutError, OSError) as e:
                logger.warning("domain_api.unreachable call=%s error=%s", method, type(e).__name__)
                raise DomainApiError("registrar_unreachable", type(e).__name__) from None
            except Exception as e:  # noqa: BLE001 - aiohttp's client errors, a malformed answer
                name = type(e).__name__
                code = "registrar_unreachable" if "Client" in name or "Connection" in name else "registrar_error"
                logger.warning("domain_api.failed call=%s error=%s", method, name)
                raise DomainApiError(code, name) from None
        raise DomainApiError("registrar_throttled")

    async def lookup(self, domain: str, language: str = "zh") -> RegistrarRecord:
        """The domain's status and, unless it passed or is being reviewed, its failure reasons."""
        if not self.settings.enabled:
            raise DomainApiError("registrar_off")
        from alibabacloud_domain20180129 import models

        domain = domain.strip().lower().rstrip(".")
        lang = "en" if language == "en" else "zh"
        key = (domain, lang)
        cached = self._cache.get(key)
        if cached is not None and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]

        info = await self._call("query_domain_by_domain_name",
                                models.QueryDomainByDomainNameRequest(domain_name=domain, lang=lang))
        if not getattr(info, "domain_name", None) and not getattr(info, "instance_id", None):
            raise DomainApiError("registrar_domain_not_found")
        status = (getattr(info, "real_name_status", None) or "").upper() or NONAUDIT
        record = RegistrarRecord(domain, status)
        if status not in (SUCCEED, AUDITING):
            for action in ACTIONS:
                body = await self._call(
                    "query_fail_reason_for_domain_real_name_verification",
                    models.QueryFailReasonForDomainRealNameVerificationRequest(
                        domain_name=domain, real_name_verification_action=action, lang=lang),
                )
                found = [FailRecord((r.date or "").strip(), (r.fail_reason or "").strip())
                         for r in (body.data or []) if r is not None and (r.fail_reason or "").strip()]
                if found:
                    found.sort(key=lambda r: r.date, reverse=True)  # "YYYY-MM-DD HH:MM:SS" sorts as text
                    record = RegistrarRecord(domain, status, tuple(found), action)
                    break
        self._cache[key] = (self._clock(), record)
        for stale in [k for k, (at, _) in self._cache.items() if self._clock() - at >= CACHE_SECONDS]:
            del self._cache[stale]
        logger.info("domain_api.looked_up status=%s records=%d action=%s", status, len(record.records),
                    record.action or "-")
        return record


_shared: Dict[DomainApiSettings, DomainApi] = {}


def domain_api(settings: Optional[DomainApiSettings] = None) -> DomainApi:
    """The process's client for these settings (read from the environment by default)."""
    settings = settings or DomainApiSettings.from_env()
    if settings not in _shared:
        _shared.clear()  # settings changed (tests, a reload): the old client and its cache go
        _shared[settings] = DomainApi(settings)
    return _shared[settings]
