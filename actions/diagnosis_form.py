"""The diagnosis form: ask only the facts the current reason needs and that are not known yet."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import known_facts, language, latest_text, today
from realname import diagnosis


class ValidateDiagnosisForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_diagnosis_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        # All relevant facts, known ones included: the form asks the first empty one, and rasa_sdk
        # validates only slots listed here.
        return diagnosis.relevant_facts(tracker.get_slot("failure_reason"), known_facts(tracker), today())

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Besides the asked fact, keep any other fact the answer states (「不对，我是组织」 corrects the holder type)."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        requested = tracker.get_slot("requested_slot")
        if requested is None:
            return events
        found = diagnosis.facts_from_text(latest_text(tracker), today())
        # Only facts (validated next, like any answer); the requested one is read from the answer itself.
        return events + [
            SlotSet(name, value) for name, value in found.items() if name in diagnosis.FACTS and name != requested
        ]

    async def _validate_fact(self, fact: Text, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker) -> Dict[Text, Any]:
        answer = diagnosis.parse_answer(fact, value, today())
        if answer.problem_response:
            dispatcher.utter_message(response=answer.problem_response)
        elif answer.problem:
            dispatcher.utter_message(text=answer.problem.text(language(tracker)))
        return {fact: answer.value, **answer.extra_slots}

    async def validate_region(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("region", value, dispatcher, tracker)

    async def validate_holder_type(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("holder_type", value, dispatcher, tracker)

    async def validate_doc_type(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("doc_type", value, dispatcher, tracker)

    async def validate_issue_date(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("issue_date", value, dispatcher, tracker)

    async def validate_expiry_date(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("expiry_date", value, dispatcher, tracker)

    async def validate_doc_number(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("doc_number", value, dispatcher, tracker)

    async def validate_holder_name(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("holder_name", value, dispatcher, tracker)

    async def validate_domain(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("domain", value, dispatcher, tracker)

    async def validate_country_code(self, value, dispatcher, tracker, domain):
        return await self._validate_fact("country_code", value, dispatcher, tracker)
