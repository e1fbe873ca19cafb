"""Helpers shared by the actions: the facts known so far, the latest text, buttons."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker

from realname.catalog import NEXT_BUTTONS
from realname.diagnosis import CHECK_SLOTS, FACTS


def known_facts(tracker: Tracker) -> Dict[Text, Any]:
    return {name: tracker.get_slot(name) for name in FACTS + CHECK_SLOTS}


def latest_text(tracker: Tracker) -> Text:
    return (tracker.latest_message or {}).get("text") or ""


def next_buttons() -> List[Dict[Text, Text]]:
    return [dict(button) for button in NEXT_BUTTONS]
