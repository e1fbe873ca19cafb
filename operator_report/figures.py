"""The report's figures from the tracker store's events: plain dicts in, one dict out (no database, no Rasa),
so every definition below is tested on hand-made events.

An event is the dict Rasa stores (`Event.as_dict()`: "event", "timestamp", "name", "value", "text",
"parse_data", "input_channel", …) with its conversation's "sender_id" added. Events are given in the order
they were written. Only events in the period [start, end) are counted; earlier or later events of the
same conversations may be given too, and then only tell which reason was current (a reason diagnosed
before the period that a feedback in it is about) and which names the customer gave.

    conversation          a sender with at least one user event in the period; its day (UTC) and channel
                          (`input_channel`, "unknown" when missing) are those of its first one
    messages              user events; fallbacks: those whose intent is nlu_fallback
    diagnosis             a `failure_reason` slot event with a value (the failure intent)
    questions             `requested_slot` slot events with a value after a diagnosis, up to the next
                          diagnosis, restart or session start; averaged over the period's diagnoses
    feedback              a `feedback` slot event solved / not_solved, about the reason current then
                          (a restart or a new session clears it: "none")
    handoffs              `action_handoff` action events
    rates per day         fallbacks / messages of that day; handoffs / conversations that started that day
    not_understood        the fallbacks' texts, spaces collapsed, ID numbers and the conversation's names
                          masked, the TOP_NOT_UNDERSTOOD most frequent
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from realname.diagnosis import SKIPPED, split_name_fields
from realname.privacy import mask_in_text

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTION = "action_handoff"
REASON_SLOT, QUESTION_SLOT, FEEDBACK_SLOT = "failure_reason", "requested_slot", "feedback"
#: The slots that hold a name the customer typed (domain.yml: holder_name; contact_name should it come).
NAME_SLOTS = ("holder_name", "contact_name")
NAME_MASK = "＊＊"
FEEDBACK_VALUES = ("solved", "not_solved")
NO_REASON = "none"
UNKNOWN_CHANNEL = "unknown"
TOP_NOT_UNDERSTOOD = 20
#: Events after which no reason is current and no question belongs to the last diagnosis.
RESETS = ("restart", "session_started")


def day_of(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).date().isoformat()


def period_days(start: float, end: float) -> List[str]:
    """The UTC days of [start, end)."""
    first, last = date.fromisoformat(day_of(start)), date.fromisoformat(day_of(max(start, end - 1e-6)))
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def compute(events: Iterable[Mapping[str, Any]], start: float, end: float) -> Dict[str, Any]:
    """The figures of the period [start, end) (module doc), in the order report.json shows them."""
    days = period_days(start, end)
    per_day = {day: Counter() for day in days}
    reasons: Counter = Counter()
    feedback: Counter = Counter()
    by_reason: Dict[str, Counter] = defaultdict(Counter)
    channels: Counter = Counter()
    not_understood: Counter = Counter()
    questions: List[int] = []  # per diagnosis of the period
    totals: Counter = Counter()

    for sender_events in _by_sender(events).values():
        names = _names_given(sender_events)
        reason: Optional[str] = None
        open_diagnosis: Optional[int] = None  # index in `questions` of the diagnosis questions count for
        started = False
        for event in sender_events:
            kind, name, value = event.get("event"), event.get("name"), event.get("value")
            timestamp = event.get("timestamp")
            inside = timestamp is not None and start <= timestamp < end
            if kind in RESETS:
                reason, open_diagnosis = None, None
            elif kind == "slot" and name == REASON_SLOT:
                reason, open_diagnosis = value, None
                if value is not None and inside:
                    reasons[value] += 1
                    questions.append(0)
                    open_diagnosis = len(questions) - 1
            elif kind == "slot" and name == QUESTION_SLOT and value is not None and inside:
                if open_diagnosis is not None:
                    questions[open_diagnosis] += 1
            elif kind == "slot" and name == FEEDBACK_SLOT and value in FEEDBACK_VALUES and inside:
                feedback[value] += 1
                by_reason[reason if reason is not None else NO_REASON][value] += 1
            if not inside:
                continue
            day = per_day[day_of(timestamp)]
            if kind == "user":
                totals["messages"] += 1
                day["messages"] += 1
                if not started:
                    started = True
                    totals["conversations"] += 1
                    day["conversations"] += 1
                    channels[event.get("input_channel") or UNKNOWN_CHANNEL] += 1
                if _intent(event) == FALLBACK_INTENT:
                    totals["fallbacks"] += 1
                    day["fallbacks"] += 1
                    text = masked_text(event.get("text") or "", names)
                    if text:
                        not_understood[text] += 1
            elif kind == "action" and name == HANDOFF_ACTION:
                totals["handoffs"] += 1
                day["handoffs"] += 1

    reasons_sorted = _sorted_counts(reasons)
    return {
        "period": {"since": days[0], "until": days[-1]},
        "conversations": totals["conversations"],
        "messages": totals["messages"],
        "diagnoses": len(questions),
        "reasons": reasons_sorted,
        "feedback": {
            "solved": feedback["solved"],
            "not_solved": feedback["not_solved"],
            "by_reason": {key: {value: by_reason[key][value] for value in FEEDBACK_VALUES}
                          for key in sorted(by_reason, key=lambda k: (-sum(by_reason[k].values()), k))},
        },
        "solved_share": {key: share(by_reason[key]["solved"], sum(by_reason[key].values()))
                         for key in list(reasons_sorted) + sorted(set(by_reason) - set(reasons_sorted))},
        "handoffs": totals["handoffs"],
        "handoff_rate": share(totals["handoffs"], totals["conversations"]),
        "fallbacks": totals["fallbacks"],
        "fallback_rate": share(totals["fallbacks"], totals["messages"]),
        "questions_per_diagnosis": {
            "mean": round(sum(questions) / len(questions), 2) if questions else None,
            "diagnoses": len(questions),
        },
        "channels": _sorted_counts(channels),
        "not_understood": [{"text": text, "count": count}
                           for text, count in sorted(not_understood.items(), key=lambda item: (-item[1], item[0]))
                           [:TOP_NOT_UNDERSTOOD]],
        "days": [{
            "date": day,
            "conversations": per_day[day]["conversations"],
            "messages": per_day[day]["messages"],
            "fallbacks": per_day[day]["fallbacks"],
            "fallback_rate": share(per_day[day]["fallbacks"], per_day[day]["messages"]),
            "handoffs": per_day[day]["handoffs"],
            "handoff_rate": share(per_day[day]["handoffs"], per_day[day]["conversations"]),
        } for day in days],
    }


def share(part: int, whole: int) -> Optional[float]:
    """part / whole to 3 decimals (the page shows it as a percentage with one); None when whole is 0."""
    return round(part / whole, 3) if whole else None


def masked_text(text: str, names: Sequence[str]) -> str:
    """Spaces collapsed, ID/credit-code numbers masked, every name in `names` replaced by 「＊＊」."""
    text = mask_in_text(" ".join(text.split()))
    for name in names:
        text = text.replace(name, NAME_MASK)
    return text


def _names_given(events: Sequence[Mapping[str, Any]]) -> List[str]:
    """The names a conversation's name slots held (as typed, and the Chinese / English fields of
    「中文：… 英文：…」), longest first so that a name inside another is not masked half."""
    found = set()
    for event in events:
        value = event.get("value")
        if event.get("event") != "slot" or event.get("name") not in NAME_SLOTS or not isinstance(value, str):
            continue
        chinese, english = split_name_fields(value)
        for name in (value, chinese, english):
            name = " ".join((name or "").split())
            if name and name.lower() != SKIPPED and not _MASKED_ONLY.fullmatch(name):
                found.add(name)
    return sorted(found, key=lambda name: (-len(name), name))


_MASKED_ONLY = re.compile(r"[*＊\s]+")


def _by_sender(events: Iterable[Mapping[str, Any]]) -> Dict[str, List[Mapping[str, Any]]]:
    grouped: Dict[str, List[Mapping[str, Any]]] = defaultdict(list)
    for event in events:
        grouped[event["sender_id"]].append(event)
    return grouped


def _intent(event: Mapping[str, Any]) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def _sorted_counts(counts: Counter) -> Dict[str, int]:
    return {key: counts[key] for key in sorted(counts, key=lambda k: (-counts[k], k))}
