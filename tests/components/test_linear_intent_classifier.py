from rasa.shared.nlu.training_data.message import Message

from components.linear_intent_classifier import _unreadable


def test_emoji_binary_and_unknown_commands_are_not_classified():
    for text in ["", "😀😀", "\x00\x01\ufffd\ufffd", "/foo_bar", "/greet{oops"]:
        assert _unreadable(Message(data={"text": text})), repr(text)


def test_real_messages_are_classified():
    for text in ["库中无此号", "Sensitive words.", "国家代码填了010"]:
        assert not _unreadable(Message(data={"text": text})), text
