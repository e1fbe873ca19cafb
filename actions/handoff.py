"""Hand the conversation to a human: the ticket link comes from knowledge/support.yml (or REALNAME_TICKET_URL)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import known_facts, language, today
from realname.case_summary import case_summary
from realname.catalog import load_catalog, support_settings, ticket_url


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        catalog = load_catalog()
        reason = catalog.reason(tracker.get_slot("failure_reason") or "")
        lang = language(tracker)
        about = catalog.says("handoff_about", lang).format(title=reason.text("title", lang)) if reason else ""
        product = support_settings()["ticket_product_en" if lang == "en" else "ticket_product"]
        dispatcher.utter_message(response="utter_handoff", about=about, product=product, url=ticket_url())
        if reason:
            # what the human will need, so the customer need not explain it again
            dispatcher.utter_message(text=case_summary(
                reason.intent, known_facts(tracker), tracker.get_slot("shown_steps") or [], today(), lang,
                not_solved=tracker.get_slot("feedback") == "not_solved"))
        return []
