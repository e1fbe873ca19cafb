"""The conversation's language, set after every customer message (realname.language has the rule).

The `language` and `language_chosen` slots have a custom mapping to this action: Rasa's action_extract_slots
runs it once per user message, with the conversation's own tracker (the global validation action would
rebuild the tracker from every event on every turn). The responses pick their English variation when
`language` is "en".
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from realname.language import next_language


class ActionDetectLanguage(Action):
    def name(self) -> Text:
        return "action_detect_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        language, chosen = next_language(
            latest_text(tracker), tracker.get_slot("language"), bool(tracker.get_slot("language_chosen"))
        )
        events = []
        if language != tracker.get_slot("language"):
            events.append(SlotSet("language", language))
        if chosen != bool(tracker.get_slot("language_chosen")):
            events.append(SlotSet("language_chosen", chosen))
        return events
