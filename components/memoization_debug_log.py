"""MemoizationPolicy deep-copies the dialogue states for its debug log only when that log is written.

Why: Rasa 3.6's MemoizationPolicy (rasa/core/policies/memoization.py) passes `copy.deepcopy(states)` to
`structlogger.debug(...)` on every prediction ("memoization.predict.actions", and "memoization.states_recall"
in recall): the states of the whole conversation (no max_history in config.yml), copied only to be
dropped unless the log level is DEBUG. At turn 80 (~170 states, three to four predictions per message)
that was ~2 ms per message.

What this does instead: the module's name `copy` (used there for nothing else: the
module's source, checked at install by its SHA-256, has exactly those three `copy.deepcopy(` calls, each a
structlogger.debug argument, and the two `init_copy()` calls of trackers) is given a `deepcopy` that returns Python's deep copy when the
module's structlogger would write a debug line (asked at every call, as components.rule_debug_log does)
and the object itself otherwise, which that logger drops unread. The log written at DEBUG is the same.

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

import copy as _copy
import types
from typing import Any

from rasa.core.policies import memoization

from components.rule_debug_log import debug_enabled
from components.patching import Patch



def deepcopy(value: Any, memo: Any = None) -> Any:
    if debug_enabled(memoization.structlogger):
        return _copy.deepcopy(value, memo)
    return value


copy_for_debug_log = types.SimpleNamespace(deepcopy=deepcopy)


PATCHES = (Patch("memoization_debug_log", memoization, "copy", copy_for_debug_log, "e4519f1a04ecdcce",
                 checked=lambda: memoization),)
