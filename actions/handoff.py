"""Hand the conversation to a human: the ticket link comes from knowledge/support.yml (or REALNAME_TICKET_URL)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from realname.catalog import load_catalog, support_settings, ticket_url


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        reason = load_catalog().reason(tracker.get_slot("failure_reason") or "")
        about = f"（问题：{reason.title}）" if reason else ""
        dispatcher.utter_message(
            text=(
                f"好的，为您转人工{about}。请通过工单联系人工客服（产品选择「{support_settings()['ticket_product']}」）：\n"
                f"{ticket_url()}"
            )
        )
        return []
