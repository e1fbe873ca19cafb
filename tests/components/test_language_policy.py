from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.language_policy import LanguagePolicy, language_events
from tests.test_domain import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def tracker(*texts, **slots):
    events = [ActionExecuted("action_listen")]
    for name, value in slots.items():
        events.append(SlotSet(name, value))
    for text in texts:
        events += [UserUttered(text, {"name": "greet", "confidence": 1.0})]
    return DialogueStateTracker.from_events("someone", events, DOMAIN.slots)


def policy(tmp_path):
    context = ExecutionContext(GraphSchema({}), "test")
    return LanguagePolicy.create(LanguagePolicy.get_default_config(), LocalModelStorage(tmp_path),
                                 Resource("language"), context)


def test_an_english_message_switches_the_replies_to_english():
    assert language_events(tracker("Certificate number cannot be found")) == [SlotSet("language", "en")]


def test_a_number_or_a_button_keeps_the_language_and_nothing_is_set():
    assert language_events(tracker("11010519491231002X", language="en")) == []
    assert language_events(tracker("/ask_human", language="en")) == []


def test_an_explicit_choice_is_kept_for_the_rest_of_the_conversation():
    assert language_events(tracker("中文", language="en")) == [SlotSet("language", "zh"),
                                                               SlotSet("language_chosen", True)]
    assert language_events(tracker("Certificate number cannot be found", language="zh", language_chosen=True)) == []


def test_deciding_again_in_the_same_turn_sets_nothing_more():
    first = tracker("English please")
    events = language_events(first)
    assert events == [SlotSet("language", "en"), SlotSet("language_chosen", True)]
    first.update_with_events(events, DOMAIN)
    assert language_events(first) == []


def test_before_any_message_nothing_is_decided():
    assert language_events(DialogueStateTracker.from_events("someone", [], DOMAIN.slots)) == []


def test_the_policy_predicts_no_action_and_carries_the_events(tmp_path):
    prediction = policy(tmp_path).predict_action_probabilities(tracker("Hello, my verification failed"), DOMAIN)
    assert set(prediction.probabilities) == {0.0}
    assert len(prediction.probabilities) == DOMAIN.num_actions
    assert prediction.events == [SlotSet("language", "en")]
    assert prediction.policy_priority == 0


def test_the_ensemble_applies_its_events_while_another_policy_wins(tmp_path):
    from rasa.core.policies.policy import PolicyPrediction

    ours = policy(tmp_path).predict_action_probabilities(tracker("Hello, my verification failed"), DOMAIN)
    winner_probabilities = [0.0] * DOMAIN.num_actions
    winner_probabilities[DOMAIN.index_for_action("utter_greet")] = 1.0
    rule = PolicyPrediction(winner_probabilities, "RulePolicy", 6)
    ensemble = DefaultPolicyPredictionEnsemble.create({}, LocalModelStorage(tmp_path), Resource("ensemble"),
                                                      ExecutionContext(GraphSchema({}), "test"))
    best = ensemble.combine_predictions_from_kwargs(tracker("Hello, my verification failed"), DOMAIN,
                                                    rule=rule, language=ours)
    assert best.policy_name == "RulePolicy"
    assert SlotSet("language", "en") in best.events
