import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)
from components import event_type_lookup


def test_rasa_uses_the_lookup():
    assert Event.resolve_by_type is event_type_lookup.resolve_by_type


def test_every_event_type_resolves_to_the_class_rasa_would_find():
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is event_type_lookup._resolve_uncached(cls.type_name)


def test_events_rebuilt_from_json_are_the_right_classes():
    events = [Event.from_parameters(data) for data in (
        {"event": "user", "text": "库中无此号", "parse_data": {"intent": {"name": "fail_number_not_found"}}},
        {"event": "slot", "name": "region", "value": "中国香港"},
        {"event": "action", "name": "action_listen"},
    )]
    assert [type(event) for event in events] == [UserUttered, SlotSet, ActionExecuted]
    assert events[1].value == "中国香港"


def test_unknown_names_keep_rasa_s_error_and_defaults():
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    # a default is never remembered as the answer for that name
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("topic") is None
