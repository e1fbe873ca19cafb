"""What the policies do with every state of the conversation is done once per state, not per prediction.

Why: after components/incremental_states.py, two loops of Rasa 3.6 still went over every state of the
conversation on every prediction, growing with it (~170 states at turn 80):
- TrackerFeaturizer._remove_user_text_if_intent (every policy's prediction states) looks at each state's
  user part to delete a text next to an intent;
- RulePolicy._create_feature_key (when no rule applies: most user messages) turns the states since the
  last rule snippet into one JSON text, only to look it up among the rules kept out of stories.

What this does instead, for the lists incremental_states hands out (RememberedStates): their first
`settled` states are remembered dicts that no caller changes and that have no text next to an intent
(checked once, when they were remembered), so the text removal starts after them, and their JSON texts
(json.dumps(state, sort_keys=True)) are made once and joined: json.dumps of a list is "[" + ", ".join of
its items' texts + "]". Any other list (training, a slice, a copy) goes to Rasa's own functions. Same
results (tested against Rasa's on the states of a real conversation,
tests/components/test_turn_growth_patches.py).

Declared in PATCHES; components.patching.install() installs it after checking the versions and the original's source.
"""
from __future__ import annotations

import bisect
import itertools
import json
from typing import List, Optional, Text

from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import USER
from rasa.shared.nlu.constants import INTENT, TEXT

from components.incremental_states import RememberedStates
from components.patching import Patch

_original_remove = TrackerFeaturizer.__dict__["_remove_user_text_if_intent"]
_original_key = RulePolicy._create_feature_key


def _remove_user_text_if_intent(trackers_as_states: List[List]) -> None:
    for states in trackers_as_states:
        start = states.settled if type(states) is RememberedStates else 0
        for state in itertools.islice(states, start, None):
            # Rasa's own loop body
            if state.get(USER, {}).get(INTENT) and state.get(USER, {}).get(TEXT):
                del state[USER][TEXT]


def _create_feature_key(self: RulePolicy, states: List) -> Optional[Text]:
    if type(states) is not RememberedStates:
        return _original_key(self, states)
    settled, encoded = states.settled, states.encoded
    is_snippet = self._is_rule_snippet_state
    cut = None
    for i in range(len(states) - 1, settled - 1, -1):
        if is_snippet(states[i]):
            cut = i + 1  # Rasa keeps the states after the last rule snippet
            break
    if cut is None:
        with encoded.lock:
            for k in range(len(encoded.texts), settled):
                encoded.texts.append(json.dumps(states[k], sort_keys=True))
                if is_snippet(states[k]):
                    encoded.snippets.append(k)
            before = bisect.bisect_left(encoded.snippets, settled) - 1
            cut = encoded.snippets[before] + 1 if before >= 0 else 0
            head = encoded.texts[cut:settled]
    else:
        head = []
    if cut >= len(states):
        return None
    tail = [json.dumps(state, sort_keys=True) for state in states[max(cut, settled):]]
    return "[" + ", ".join(head + tail) + "]"


PATCHES = (
    Patch("remembered_states.text_removal", TrackerFeaturizer, "_remove_user_text_if_intent",
          _remove_user_text_if_intent, "b0dc0d2430e6b41e", static=True),
    Patch("remembered_states.rule_key", RulePolicy, "_create_feature_key", _create_feature_key, "641eda8d019918ce"),
)
