"""Jieba tokenizer that drops whitespace tokens and bounds very long pastes.

Rasa 3.6's JiebaTokenizer keeps " " as a token (jieba.tokenize yields whitespace),
which adds noise features to every pasted message with spaces. Very long pastes
(whole e-mails, console dumps) are cut to MAX_CHARS before tokenizing so one
message cannot make DIET's attention quadratic in thousands of tokens.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

# A rejection message is under 200 characters; 1,000 keeps any realistic paste whole.
MAX_CHARS = 1000


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class CleanJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer without whitespace tokens, on at most MAX_CHARS characters."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        if len(text) > MAX_CHARS:
            # Tokenize a bounded copy; the message itself keeps the full text.
            message = Message(data={attribute: _bounded(text)})
        tokens = super().tokenize(message, attribute)
        return [token for token in tokens if token.text.strip()]


def _bounded(text: Text) -> Text:
    """Keep the head and the tail of a long paste: the reason is usually near one end."""
    half = MAX_CHARS // 2
    return text[:half] + " " + text[-half:]
