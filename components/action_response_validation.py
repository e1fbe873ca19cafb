"""Validate action-server responses with a validator built once.

Rasa 3.6's RemoteAction._validate_action_result calls jsonschema.validate(result, schema) on every
custom-action call; jsonschema.validate re-checks the schema itself (check_schema) each time, which
with the pinned jsonschema costs ~120 ms per call on our 2-core machines — most of a turn's latency
(a failure message runs three custom actions). The replacement checks the same schema with the same
jsonschema library and raises the same ValidationError with the same hint; only the schema check is
done once. Imported from components/__init__.py, so every process that loads the model has it.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


RemoteAction._validate_action_result = validate_action_result
