"""Validate action-server responses against Rasa's own schema, at a fraction of the cost.

Rasa 3.6's RemoteAction._validate_action_result calls jsonschema.validate(result, schema) on every
custom-action call. That re-checks the schema itself each time (~120 ms per call with the pinned
jsonschema on our 2-core machines), and the events schema is a `oneOf` over 23 event types, so every
event is tried against all 23 (~0.4 ms per event). Both are avoided here without weakening the check:
- validators are built once, from the schema Rasa publishes (RemoteAction.action_response_format_spec);
- each event is checked against the one branch of the `oneOf` whose `event` constant it names. The
  branches differ in that constant and `event` is required, so an event satisfies exactly one branch
  iff it satisfies that one: the verdict is the one jsonschema.validate gives (tested on valid and
  invalid responses). An unknown event name fails as it would under `oneOf`.
Errors are jsonschema's ValidationError with Rasa's hint appended, as before. Declared in
PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text, Tuple

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from components.patching import Patch

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
)


def _validator(schema: Dict[Text, Any]):
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.lru_cache(maxsize=1)
def _validators() -> Tuple[Any, Dict[Text, Any]]:
    """The response envelope (events only checked to be objects naming their type), and one
    validator per event type: the event schema's common part with that type's branch."""
    spec = RemoteAction.action_response_format_spec()
    event_schema = spec["properties"]["events"]["items"]
    common = {key: value for key, value in event_schema.items() if key != "oneOf"}
    by_type = {
        branch["properties"]["event"]["const"]: _validator({**common, "allOf": [branch]})
        for branch in event_schema["oneOf"]
    }
    events_shape = {"type": "array", "items": {key: common[key] for key in ("type", "required")}}
    envelope = _validator({**spec, "properties": {**spec["properties"], "events": events_shape}})
    return envelope, by_type


def _check(result: Dict[Text, Any]) -> None:
    envelope, by_type = _validators()
    envelope.validate(result)
    for event in result.get("events") or []:
        validator = by_type.get(event["event"]) if isinstance(event["event"], str) else None
        if validator is None:
            raise ValidationError(f"{event['event']!r} is not a known event type", instance=event)
        validator.validate(event)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _check(result)
        return True
    except ValidationError as error:
        error.message += HINT
        raise error


PATCHES = (Patch("action_response_validation", RemoteAction, "_validate_action_result", validate_action_result,
                 "f8cdb4be68123961"),)
