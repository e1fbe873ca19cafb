from rasa_sdk.events import SlotSet

from actions.language import ActionDetectLanguage
from tests.actions.conftest import make_tracker


async def run(dispatcher, domain, text, **slots):
    return await ActionDetectLanguage().run(dispatcher, make_tracker(text, slots=slots), domain)


async def test_an_english_message_switches_the_replies_to_english(dispatcher, domain):
    assert await run(dispatcher, domain, "Certificate number cannot be found", language="zh") == [SlotSet("language", "en")]


async def test_a_number_keeps_the_language_and_nothing_is_set(dispatcher, domain):
    assert await run(dispatcher, domain, "11010519491231002X", language="en") == []


async def test_an_explicit_choice_is_kept_for_the_rest_of_the_conversation(dispatcher, domain):
    assert await run(dispatcher, domain, "中文", language="en", language_chosen=False) == [
        SlotSet("language", "zh"), SlotSet("language_chosen", True)]
    assert await run(dispatcher, domain, "Certificate number cannot be found", language="zh", language_chosen=True) == []
    assert not dispatcher.messages  # it never says anything itself
