"""Puts the message text in simplified Chinese script before the tokenizer sees it.

Customers from Hong Kong, Macau and Taiwan paste the official messages in traditional characters
(證件電子信息核驗不合格, 庫中無此號, 註冊聯繫人信息有誤，請檢測：Command syntax error), often mixed with
simplified ones. The training data is simplified; converting both the training examples and each incoming
message with the same function (realname.chinese_script.to_simplified, OpenCC hk2s) lets the tokenizer,
the regexes, the featurizers and the classifiers see one script.

What is rewritten: message.data["text"] of every training example (process_training_data) and of every
message at inference (process). The conversion keeps the length, so entity offsets stay valid, and leaves
ASCII, digits and domain labels (張三.中國) as typed.

What is not: the UserUttered event keeps the text as the customer typed it (conversation history, tracker
store, exported stories). The parse data (tracker.latest_message["text"], read by the actions) carries the
simplified text, which realname.facts reads either way.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from realname.chinese_script import to_simplified


# Registered as a tokenizer-type component (not a Tokenizer subclass, so Rasa's one-tokenizer check does not
# count it): the default recipe then runs it in pipeline order, in training and at inference.
@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class SimplifiedChineseNormalizer(GraphComponent):
    """Rewrites the text of each message in simplified script. Put it first in the pipeline."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SimplifiedChineseNormalizer":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            _convert(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            _convert(message)
        return messages


def _convert(message: Message) -> None:
    text = message.get(TEXT)
    if isinstance(text, str) and text:
        simplified = to_simplified(text)
        if simplified != text:
            message.set(TEXT, simplified)
