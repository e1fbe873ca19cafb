"""Find an event's class by its type name in a table, not by walking the class tree each time.

Rasa 3.6's Event.resolve_by_type lists every Event subclass (recursively, with inspect.isabstract on
each) for every event it rebuilds from JSON: each event of a tracker read from the SQL store and each
event an action server returns, ~70 µs apiece, several milliseconds per message. The replacement asks
the original once per type name and remembers the answer; unknown names, the legacy "topic" and
defaults still go to the original, so errors and fallbacks are Rasa's own. Declared in
PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event
from components.patching import Patch

_resolve_uncached = Event.resolve_by_type
_classes: Dict[Text, Type[Event]] = {}


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _classes.get(type_name)
    if found is not None:
        return found
    found = _resolve_uncached(type_name, default)
    # Remember real matches only, never a caller's default.
    if found is not None and found.type_name == type_name:
        _classes[type_name] = found
    return found


PATCHES = (Patch("event_type_lookup", Event, "resolve_by_type", resolve_by_type, "b5cf570fa7f286c7", static=True,
                 reset=_classes.clear),)
