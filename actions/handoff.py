"""Hand the conversation to a human: the ticket link comes from knowledge/support.yml (or REALNAME_TICKET_URL)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language
from realname.catalog import load_catalog, support_settings, ticket_url


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        reason = load_catalog().reason(tracker.get_slot("failure_reason") or "")
        lang = language(tracker)
        if lang == "en":
            about, product = (f" (issue: {reason.title_en})" if reason else ""), support_settings()["ticket_product_en"]
        else:
            about, product = (f"（问题：{reason.title}）" if reason else ""), support_settings()["ticket_product"]
        dispatcher.utter_message(response="utter_handoff", about=about, product=product, url=ticket_url())
        return []
