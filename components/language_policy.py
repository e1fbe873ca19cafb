"""Sets the reply language (`language`, `language_chosen` slots) inside Rasa, with no action-server call.

The rule is realname.language.next_language. It used to run as a custom slot mapping
(action_detect_language), which cost one HTTP call to the action server on every user message — a
quarter of the service's throughput under load. A policy's prediction may carry events that Rasa applies
whichever policy wins (PolicyPrediction.events, combined by the policy ensemble and applied by the
processor before the predicted action runs), so this policy predicts no action (all zeros, lowest
priority) and carries the two SlotSet events when the latest message changes them. The next action —
a response, a form, a custom action — already sees the new language.

next_language(text, *next_language(text, lang, chosen)) == next_language(text, lang, chosen), so deciding
again at each prediction of the same turn changes nothing and emits nothing; events of a prediction
whose action is rejected are dropped by Rasa and simply decided again at the next prediction.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from realname.language import next_language

LANGUAGE_SLOT = "language"
CHOSEN_SLOT = "language_chosen"


def language_events(tracker: DialogueStateTracker) -> List[Event]:
    """The SlotSet events that bring the two slots to what the latest user message says (none if they are)."""
    message = tracker.latest_message
    if not isinstance(message, UserUttered) or message.text is None:
        return []  # no message yet (a session start, an external event): nothing to decide
    current, chosen = tracker.get_slot(LANGUAGE_SLOT), bool(tracker.get_slot(CHOSEN_SLOT))
    language, now_chosen = next_language(message.text, current, chosen)
    events: List[Event] = []
    if language != current:
        events.append(SlotSet(LANGUAGE_SLOT, language))
    if now_chosen != chosen:
        events.append(SlotSet(CHOSEN_SLOT, now_chosen))
    return events


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class LanguagePolicy(Policy):
    """Predicts no action; its prediction carries the language slots' events (module doc)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Below every other policy: an all-zero prediction must never win a tie.
        return {"priority": 0}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        return self._prediction(self._default_predictions(domain), events=language_events(tracker))
