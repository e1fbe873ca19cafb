import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

import components  # noqa: F401  (installs the validator)
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
