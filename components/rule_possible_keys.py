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

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

from typing import Dict, List, Set, Text

from rasa.core.policies.rule_policy import RulePolicy
from components.patching import Patch

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


PATCHES = (Patch("rule_possible_keys", RulePolicy, "_get_possible_keys", _get_possible_keys, "2915fd81711e194c"),)
