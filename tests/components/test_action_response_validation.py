import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import components.rasa_patches  # noqa: F401  (installs the patches, as the pipeline does)
from components.action_response_validation import validate_action_result


def remote_action():
    return RemoteAction("action_explain_failure", EndpointConfig("http://localhost:5055/webhook"))


def test_rasa_uses_the_prebuilt_validator():
    assert RemoteAction._validate_action_result is validate_action_result


def test_a_valid_action_server_response_passes():
    result = {"events": [{"event": "slot", "name": "region", "value": "中国香港"}], "responses": [{"text": "好"}]}
    assert remote_action()._validate_action_result(result) is True


def test_an_invalid_response_is_refused_with_rasa_s_hint():
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        remote_action()._validate_action_result({"events": [{"no_event_key": 1}], "responses": "not a list"})


RESPONSES = [
    {"events": [], "responses": []},
    {},
    {"events": [{"event": "slot", "name": "region", "value": None, "timestamp": None},
                {"event": "active_loop", "name": "diagnosis_form"}, {"event": "bot", "text": "好"},
                {"event": "followup", "name": "action_listen"}, {"event": "restart"},
                {"event": "user", "text": "库中无此号", "parse_data": {"intent": {"name": "x", "confidence": 1}}}],
     "responses": [{"text": "好", "buttons": []}]},
    {"events": [{"event": "slot", "value": 1}]},                  # slot without a name
    {"events": [{"event": "slot", "name": 3, "value": 1}]},       # name of the wrong type
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": 7}]},
    {"events": [{"name": "region"}]},                             # no event type
    {"events": [{"event": "bot", "timestamp": "yesterday"}]},     # common part checked too
    {"events": [{"event": "user", "parse_data": {"intent": {"confidence": "high"}}}]},
    {"events": ["slot"]},
    {"events": {"event": "slot"}},
    {"events": [], "responses": "not a list"},
]


@pytest.mark.parametrize("response", RESPONSES)
def test_the_verdict_is_the_one_of_rasa_s_full_schema(response):
    from jsonschema import validate

    try:
        validate(response, RemoteAction.action_response_format_spec())
        expected = True
    except ValidationError:
        expected = False
    try:
        remote_action()._validate_action_result(response)
        verdict = True
    except ValidationError as error:
        assert "Failed to validate Action server response" in error.message
        verdict = False
    assert verdict is expected
