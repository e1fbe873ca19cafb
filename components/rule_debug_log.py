"""RulePolicy formats the dialogue states for its debug log only when that log is written.

Why: Rasa 3.6's RulePolicy._find_action_from_rules calls `self.format_tracker_states(states)` (one line
of text per state of the whole conversation) on every prediction, only to pass it to
`structlogger.debug("rule_policy.actions.find", ...)`, which drops it unless the log level is DEBUG. At
turn 80 (~170 states, two to three predictions per message) that was ~1.7 ms per message.

What this does instead: RulePolicy.format_tracker_states (Policy's static method; _find_action_from_rules
is its only caller in Rasa) returns Rasa's text when rasa.core.policies.rule_policy's structlogger would
write a debug line (asked at every call, so a log level changed later is followed), and an empty text
otherwise, which that logger drops unread. The log written at DEBUG is the same.

Installed on import (components/__init__.py), only on Rasa 3.6.21 and only while RulePolicy uses
Policy's own format_tracker_states.
"""
from __future__ import annotations

from typing import Dict, List, Text

import rasa
import structlog
from rasa.core.policies import rule_policy
from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy

RASA_VERSION = "3.6.21"
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


def install() -> bool:
    if (rasa.__version__ != RASA_VERSION or "format_tracker_states" in RulePolicy.__dict__
            or RulePolicy.format_tracker_states is not _original.__func__):
        return False
    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)
    return True


def uninstall() -> None:
    if RulePolicy.__dict__.get("format_tracker_states") is not None:
        del RulePolicy.format_tracker_states


installed = install()
