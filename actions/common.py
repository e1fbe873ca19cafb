"""Helpers shared by the actions: the facts known so far, the latest text, buttons."""
from __future__ import annotations

import os
from datetime import date
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker

from realname import catalog
from realname.diagnosis import CHECK_SLOTS, FACTS


def today() -> date:
    """The one clock of the rules: today, or REALNAME_TODAY (YYYY-MM-DD) so that tests and demos with fixed
    dates are reproducible. The actions read it and pass it to realname's functions."""
    fixed = os.environ.get("REALNAME_TODAY")
    return date.fromisoformat(fixed) if fixed else date.today()


def known_facts(tracker: Tracker) -> Dict[Text, Any]:
    return {name: tracker.get_slot(name) for name in FACTS + CHECK_SLOTS}


def latest_text(tracker: Tracker) -> Text:
    return (tracker.latest_message or {}).get("text") or ""


def language(tracker: Tracker) -> Text:
    """The language of the replies ("zh" or "en"), kept in the `language` slot."""
    return "en" if tracker.get_slot("language") == "en" else "zh"


def next_buttons(tracker: Tracker) -> List[Dict[Text, Text]]:
    return catalog.next_buttons(language(tracker))
