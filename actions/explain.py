"""Name the failure reason, start the questions that matter, and give the exact fix."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import known_facts, language, latest_text, next_buttons, today
from actions.domain_lookup import answer_from_registrar
from actions.feedback import feedback_buttons
from realname import diagnosis
from realname.catalog import fix_text, load_catalog, reason_line


class ActionStartDiagnosis(Action):
    """Remember the reason, keep any facts the message already gives, name the reason and the first steps."""

    def name(self) -> Text:
        return "action_start_diagnosis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        intent = tracker.get_intent_of_latest_message()
        reason = load_catalog().reason(intent)
        if reason is None:
            return []
        found = diagnosis.facts_from_text(latest_text(tracker), today())
        facts = {**known_facts(tracker), **found}
        # a new diagnosis: the feedback given on the previous one does not carry over
        events = ([SlotSet("failure_reason", intent), SlotSet("feedback", None)]
                  + [SlotSet(name, value) for name, value in found.items()])
        lang = language(tracker)
        questions = diagnosis.questions_for(intent, facts, today())
        if not questions:
            # nothing to ask: the exact fix follows at once (action_explain_failure)
            dispatcher.utter_message(text=reason_line(reason, lang))
            return events + [SlotSet("shown_steps", None)]
        # The first reply already helps: the steps that hold whatever the answers, then the questions offered
        # as a way to check the case. The reply after the questions does not repeat these steps.
        lines = diagnosis.first_lines(intent, facts, today(), lang)
        text = reason_line(reason, lang) + ("\n" + fix_text(lines, lang) if lines else "")
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(text=diagnosis.check_offer(questions, lang))
        return events + [SlotSet("shown_steps", lines)]


class ActionExplainFailure(Action):
    """The fix for the current reason, refined by every fact known."""

    def name(self) -> Text:
        return "action_explain_failure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        intent = tracker.get_slot("failure_reason")
        if not intent:
            return []
        shown = tracker.get_slot("shown_steps") or []
        explanation = diagnosis.explain(intent, known_facts(tracker), today(), shown=shown,
                                        language=language(tracker))
        dispatcher.utter_message(text=explanation.fix,
                                 buttons=feedback_buttons(language(tracker)) + next_buttons(tracker))
        if explanation.image_related:
            dispatcher.utter_message(response="utter_image_check_offer")
        return []


class ActionUpdateFacts(Action):
    """A fact given outside the questions (「不对，我是组织」) updates the slots and, if a reason is open, its fix."""

    def name(self) -> Text:
        return "action_update_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        found = diagnosis.facts_from_text(latest_text(tracker), today())
        intent = tracker.get_slot("failure_reason")
        if not intent and await answer_from_registrar(dispatcher, tracker, found.get("domain")):
            return [SlotSet(name, value) for name, value in found.items()]  # a staff bot read the reason itself
        if not found:
            dispatcher.utter_message(response="utter_no_fact_found")
            return []
        events = [SlotSet(name, value) for name, value in found.items()]
        dispatcher.utter_message(response="utter_facts_updated", facts=diagnosis.describe_facts(found, language(tracker)))
        if intent:
            facts = {**known_facts(tracker), **found}
            explanation = diagnosis.explain(intent, facts, today(), language=language(tracker))
            dispatcher.utter_message(text=explanation.fix,
                                     buttons=feedback_buttons(language(tracker)) + next_buttons(tracker))
        else:
            dispatcher.utter_message(response="utter_paste_again")
        return events


class ActionRestart(Action):
    """「重新开始」: overrides Rasa's default action_restart to say what happened, then forgets everything."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_restarted")
        # everything is forgotten but the language the customer writes in
        return [Restarted(), SlotSet("language", language(tracker)),
                SlotSet("language_chosen", bool(tracker.get_slot("language_chosen")))]
