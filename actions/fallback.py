"""When the reason is not clear: ask for the exact message, or offer the closest reasons."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language, latest_text
from actions.domain_lookup import answer_from_registrar
from realname.facts import SKIP, parse_domain
from realname.catalog import load_catalog, next_buttons
from realname.text_quality import looks_meaningless

# Intents never offered as "did you mean": they are not something a user would pick.
NOT_OFFERED = {"nlu_fallback", "inform", "affirm", "deny", "greet", "thanks", "goodbye", "restart"}
MAX_SUGGESTIONS = 3
# Candidates below this confidence are noise, not suggestions.
MIN_SUGGESTION_CONFIDENCE = 0.05

HUMAN_PAYLOAD = "/ask_human"


def common_reason_buttons(lang: Text = "zh") -> List[Dict[Text, Text]]:
    catalog = load_catalog()
    return [
        {"title": catalog.reason(intent).text("label", lang), "payload": f"/{intent}"}
        for intent in catalog.common_reasons
    ] + [button for button in next_buttons(lang) if button["payload"] == HUMAN_PAYLOAD]


class ActionAskForReason(Action):
    """「实名认证失败了」 without the reason: ask for the exact message, offer the common reasons."""

    def name(self) -> Text:
        return "action_ask_for_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        named = parse_domain(latest_text(tracker))
        if named and named != SKIP and await answer_from_registrar(dispatcher, tracker, named):
            return [SlotSet("domain", named)]  # a staff bot: the registrar's own record instead of a paste
        dispatcher.utter_message(response="utter_request_reason", buttons=common_reason_buttons(language(tracker)))
        return []


class ActionDidYouMean(Action):
    """Low confidence: offer the two or three best candidates, described in Chinese."""

    def name(self) -> Text:
        return "action_did_you_mean"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        text, lang = latest_text(tracker), language(tracker)
        if looks_meaningless(text):
            dispatcher.utter_message(response="utter_unreadable_message", buttons=common_reason_buttons(lang))
            return []
        buttons = self._suggestions(tracker, lang)
        if buttons:
            dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons + [dict(load_catalog().says("none_of_these_button", lang))])
        else:
            dispatcher.utter_message(response="utter_what_i_cover")
        return []

    @staticmethod
    def _suggestions(tracker: Tracker, lang: Text) -> List[Dict[Text, Text]]:
        catalog = load_catalog()
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        buttons = []
        for candidate in ranking:
            intent = candidate.get("name")
            if intent in NOT_OFFERED or (candidate.get("confidence") or 0) < MIN_SUGGESTION_CONFIDENCE:
                continue
            description = catalog.describe_intent_en(intent) if lang == "en" else catalog.describe_intent(intent)
            if description:
                buttons.append({"title": description, "payload": f"/{intent}"})
            if len(buttons) == MAX_SUGGESTIONS:
                break
        return buttons
