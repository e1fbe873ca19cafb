"""RulePolicy formats the dialogue states for its debug log only when that log is written.

Why: Rasa 3.6's RulePolicy._find_action_from_rules calls `self.format_tracker_states(states)` (one line
of text per state of the whole conversation) on every prediction, only to pass it to
`structlogger.debug("rule_policy.actions.find", ...)`, which drops it unless the log level is DEBUG. At
turn 80 (~170 states, two to three predictions per message) that was ~1.7 ms per message.

What this does instead: RulePolicy.format_tracker_states (Policy's static method; _find_action_from_rules
is its only caller in Rasa) returns Rasa's text when rasa.core.policies.rule_policy's structlogger would
write a debug line (asked at every call, so a log level changed later is followed), and an empty text
otherwise, which that logger drops unread. The log written at DEBUG is the same.

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

from typing import Dict, List, Text

import structlog
from rasa.core.policies import rule_policy
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from components.patching import Patch

_original = Policy.__dict__["format_tracker_states"]


def debug_enabled(logger=None) -> bool:
    """Would `logger` (rule_policy's structlogger by default) write a debug line? (a filtering bound
    logger's debug is a no-op below its level; any other logger is taken to write it)."""
    try:
        bound = (logger if logger is not None else rule_policy.structlogger).bind()
    except Exception:  # pragma: no cover  (no logger: behave as Rasa)
        return True
    debug = getattr(type(bound), "debug", None)
    return debug is not getattr(structlog._native, "_nop", object())


def format_tracker_states(states: List[Dict]) -> Text:
    if debug_enabled():
        return _original.__func__(states)
    return ""


PATCHES = (Patch("rule_debug_log", RulePolicy, "format_tracker_states", format_tracker_states, "32b101cb34fd1c32",
                 static=True),)
