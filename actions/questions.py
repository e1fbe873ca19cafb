"""`action_ask_<fact>`: the diagnosis form's questions, read from knowledge/questions.yml."""
from __future__ import annotations

import functools
from typing import Any, Dict, List, Text

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from realname.catalog import KNOWLEDGE_DIR
from realname.diagnosis import FACTS


@functools.lru_cache(maxsize=1)
def questions() -> Dict[Text, Dict[Text, Any]]:
    with open(KNOWLEDGE_DIR / "questions.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["questions"]


class AskFact(Action):
    fact: Text = ""

    def name(self) -> Text:
        return f"action_ask_{self.fact}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        question = questions()[self.fact]
        dispatcher.utter_message(text=question["text"], buttons=question.get("buttons") or [])
        return []


# One subclass per fact: the action server registers actions by class.
for _fact in FACTS:
    globals()[f"AskFact_{_fact}"] = type(f"AskFact_{_fact}", (AskFact,), {"fact": _fact})
