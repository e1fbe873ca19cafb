"""「解决了」/「没解决」 after a fix: stored as the `feedback` slot (an event the operator's report counts),
thanks for the first, one short follow-up for the second: another reason that fits, the picture check
when the reason concerns the picture, or a human with the case summary."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import known_facts, language, today
from realname import diagnosis
from realname.catalog import load_catalog

SOLVED, NOT_SOLVED = "solved", "not_solved"
#: Another reason is offered only when the NLU gave it at least this confidence for the message diagnosed.
MIN_OTHER_REASON_CONFIDENCE = 0.05


def other_reason(tracker: Tracker, current: Text) -> Optional[Text]:
    """The next failure reason the NLU ranked for the message that was diagnosed as `current`."""
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        if (parse.get("intent") or {}).get("name") != current:
            continue
        for candidate in parse.get("intent_ranking") or []:
            name = candidate.get("name") or ""
            if (name.startswith("fail_") and name not in (current, "fail_unspecified")
                    and (candidate.get("confidence") or 0) >= MIN_OTHER_REASON_CONFIDENCE
                    and load_catalog().reason(name) is not None):
                return name
        return None
    return None


def feedback_buttons(lang: Text) -> List[Dict[Text, Text]]:
    return [dict(button) for button in load_catalog().says("feedback_buttons", lang)]


class ActionFeedback(Action):
    def name(self) -> Text:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        solved = tracker.get_intent_of_latest_message() == "feedback_solved"
        events = [SlotSet("feedback", SOLVED if solved else NOT_SOLVED)]
        if solved:
            dispatcher.utter_message(response="utter_feedback_solved")
            return events
        intent, lang = tracker.get_slot("failure_reason"), language(tracker)
        catalog = load_catalog()
        reason = catalog.reason(intent or "")
        if reason is None:
            dispatcher.utter_message(response="utter_request_reason")
            return events
        buttons = []
        other = other_reason(tracker, intent)
        if other:
            title = catalog.says("other_reason_button", lang).format(title=catalog.reason(other).text("label", lang))
            buttons.append({"title": title, "payload": f"/{other}"})
        explanation = diagnosis.explain(intent, known_facts(tracker), today(),
                                        shown=tracker.get_slot("shown_steps") or [], language=lang)
        if explanation.image_related:
            buttons.append(dict(catalog.says("image_check_button", lang)))
        buttons.append(dict(catalog.says("handoff_with_summary_button", lang)))
        dispatcher.utter_message(response="utter_feedback_not_solved", buttons=buttons)
        return events
