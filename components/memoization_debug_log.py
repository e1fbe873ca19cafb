"""MemoizationPolicy deep-copies the dialogue states for its debug log only when that log is written.

Why: Rasa 3.6's MemoizationPolicy (rasa/core/policies/memoization.py) passes `copy.deepcopy(states)` to
`structlogger.debug(...)` on every prediction ("memoization.predict.actions", and "memoization.states_recall"
in recall): the states of the whole conversation (no max_history in config.yml), copied only to be
dropped unless the log level is DEBUG. At turn 80 (~170 states, three to four predictions per message)
that was ~2 ms per message.

What this does instead: the module's name `copy` (used there for nothing else: checked at install, the
module's source has exactly those three `copy.deepcopy(` calls, each a structlogger.debug argument, and
the two `init_copy()` calls of trackers) is given a `deepcopy` that returns Python's deep copy when the
module's structlogger would write a debug line (asked at every call, as components.rule_debug_log does)
and the object itself otherwise, which that logger drops unread. The log written at DEBUG is the same.

Installed on import (components/__init__.py), only on Rasa 3.6.21 and only while the module's `copy` is
Python's copy module and its source is the one described.
"""
from __future__ import annotations

import copy as _copy
import inspect
import re
import types
from typing import Any

import rasa
from rasa.core.policies import memoization

from components.rule_debug_log import debug_enabled

RASA_VERSION = "3.6.21"
_EXPECTED_USES = [
    'tracker_states=copy.deepcopy(states)', 'states=copy.deepcopy(states)', 'old_states=copy.deepcopy(old_states)',
]


def deepcopy(value: Any, memo: Any = None) -> Any:
    if debug_enabled(memoization.structlogger):
        return _copy.deepcopy(value, memo)
    return value


copy_for_debug_log = types.SimpleNamespace(deepcopy=deepcopy)


def _source_as_described() -> bool:
    source = inspect.getsource(memoization)
    uses = re.findall(r"\w+=copy\.deepcopy\(\w+\)", source)
    other = re.findall(r"\bcopy\.(?!deepcopy\(\w+\))", source)
    return uses == _EXPECTED_USES and not other and source.count("copy.") == 3


def install() -> bool:
    if rasa.__version__ != RASA_VERSION or memoization.copy is not _copy or not _source_as_described():
        return False
    memoization.copy = copy_for_debug_log
    return True


def uninstall() -> None:
    if memoization.copy is copy_for_debug_log:
        memoization.copy = _copy


installed = install()
