"""RulePolicy's rule matching stops at the oldest turn any remaining rule looks at.

Why: Rasa 3.6's RulePolicy._get_possible_keys filters the rule keys turn by turn back through every state
of the conversation (no max_history for RulePolicy), even when no rule is left or every remaining rule is
shorter than the turns still to check. At turn 80 (~170 states, several predictions per message) ~0.8 ms
per message, growing with the conversation.

What this does instead: the same filter, turn by turn from the latest, stopping when no key is left or
when the turn index reaches the length of the longest remaining rule: from there on Rasa's
_is_rule_applicable returns True for every remaining key (`turn_index >= len(rule)`), so the set cannot
change any more. Same set as Rasa's (tested against it on the states of a real conversation,
tests/components/test_turn_growth_patches.py).

Installed on import (components/__init__.py), only on Rasa 3.6.21 and only if the function is Rasa's own.
"""
from __future__ import annotations

from typing import Dict, List, Set, Text

import rasa
from rasa.core.policies.rule_policy import RulePolicy

RASA_VERSION = "3.6.21"
_original = RulePolicy._get_possible_keys


def _get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List) -> Set[Text]:
    possible_keys = set(lookup.keys())
    longest = max((len(self._rule_key_to_state(key)) for key in possible_keys), default=0)
    for i, state in enumerate(reversed(states)):
        if not possible_keys or i >= longest:
            break
        possible_keys = set(filter(lambda _key: self._is_rule_applicable(_key, i, state), possible_keys))
        longest = max((len(self._rule_key_to_state(key)) for key in possible_keys), default=0)
    return possible_keys


def install() -> bool:
    if rasa.__version__ != RASA_VERSION or RulePolicy._get_possible_keys is not _original:
        return False
    RulePolicy._get_possible_keys = _get_possible_keys
    return True


def uninstall() -> None:
    if RulePolicy._get_possible_keys is _get_possible_keys:
        RulePolicy._get_possible_keys = _original


installed = install()
