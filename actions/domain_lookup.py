"""Staff bots: "why did example.cn fail?" answered from the registrar's record (realname/domain_api.py).

Only on the work-bot channels (DingTalk, WeCom) and only for staff listed in REALNAME_STAFF_IDS, whose
platform id the channel puts in the message's metadata (`staff_id`; the input channel is set by the
channel, never by the client). Everyone else gets the paste flow, and no call is made.

The newest reason goes back to the channel as a custom message (`registrar_reason`): the channel feeds it
through Rasa as if the staff member had pasted it (channels/chat_app.py), so the same NLU maps it to the
catalog's reason and the conversation goes on with the fix and the questions.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language
from realname.catalog import load_catalog
from realname.domain_api import (
    AUDITING, FED_BACK_SOURCE, NONAUDIT, SUCCEED, DomainApiError, DomainApiSettings, RegistrarRecord, domain_api,
)
from realname.findings import finding, render

STAFF_CHANNELS = ("dingtalk", "wecom", "wecom_bot")


def _latest_metadata(tracker: Tracker) -> Dict[Text, Any]:
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def staff_member(tracker: Tracker, settings: DomainApiSettings) -> bool:
    """A listed staff member writing on a work-bot channel (not a message fed back from a lookup)."""
    if tracker.get_latest_input_channel() not in STAFF_CHANNELS:
        return False
    metadata = _latest_metadata(tracker)
    if metadata.get("source") == FED_BACK_SOURCE:
        return False
    return str(metadata.get("staff_id") or "") in settings.staff_ids


def _said(record: RegistrarRecord, lang: Text) -> List[Text]:
    """The lines that report a record: its status, or its reasons verbatim, newest first, with their dates."""
    if record.status == SUCCEED:
        return [render(finding("registrar_status_succeed", domain=record.domain), lang)]
    if record.status == AUDITING:
        return [render(finding("registrar_status_auditing", domain=record.domain), lang)]
    if not record.records:
        code = "registrar_status_nonaudit" if record.status == NONAUDIT else "registrar_no_reasons"
        return [render(finding(code, domain=record.domain), lang)]
    lines = [render(finding("registrar_reasons", domain=record.domain,
                            kind=finding(f"registrar_kind_{record.action}")), lang)]
    for item in record.records:
        code = "registrar_reason_line" if item.date else "registrar_reason_undated"
        lines.append(render(finding(code, date=item.date, reason=item.reason), lang))
    if load_catalog().reason_quoted_in(record.records[0].reason) is None:
        lines.append(render(finding("registrar_reason_unknown"), lang))
    return lines


async def answer_from_registrar(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Optional[Text]) -> bool:
    """Looks `domain` up for a staff member and says what the registrar has; False when this is not a
    staff lookup (the caller goes on with the paste flow)."""
    settings = DomainApiSettings.from_env()
    if not domain or not staff_member(tracker, settings):
        return False
    lang = language(tracker)
    try:
        record = await domain_api(settings).lookup(domain, lang)
    except DomainApiError as e:
        dispatcher.utter_message(text=render(finding(e.code, domain=domain), lang))
        return True
    dispatcher.utter_message(text="\n".join(_said(record, lang)))
    if record.newest_reason and record.status not in (SUCCEED, AUDITING):
        dispatcher.utter_message(json_message={"registrar_reason": {"text": record.newest_reason,
                                                                    "domain": record.domain}})
    return True
