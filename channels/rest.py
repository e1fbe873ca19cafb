"""The REST channel (`/webhooks/rest/webhook`), answering empty messages too.

Rasa's processor drops a message whose text is empty, so the built-in REST channel answers `[]` and the
user sees nothing. Here an empty or whitespace-only text is passed on as a zero-width space: the NLU
treats it like any unreadable input (components/linear_intent_classifier.py) and the assistant asks
for the rejection message, as it does for emoji-only input.
"""
from __future__ import annotations

from typing import Optional, Text

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.request import Request

UNREADABLE = "\u200b"


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_message(self, req: Request) -> Optional[Text]:
        text = super()._extract_message(req)
        return text if text and text.strip() else UNREADABLE
