"""The pipeline entry that installs this project's speed-ups of Rasa internals (components.patching).

Rasa imports every component class of config.yml when it trains, and again when it loads the trained model
(`rasa run`, `rasa shell`, `rasa test`, service.serve), before the first message: importing this module is
the one place that calls `components.patching.install()`. The component itself does nothing to messages.
Leaving it out of config.yml leaves Rasa's own functions in place (slower, same answers), and the
service's start-up log says how many patches are installed either way.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import patching

REPORT = patching.install()


# A tokenizer-type component that is not a Tokenizer: the default recipe runs it in pipeline order and Rasa's
# one-tokenizer check does not count it.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class RasaPatches(GraphComponent):
    """Installs the patches on import; passes messages through unchanged."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RasaPatches":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        return messages
