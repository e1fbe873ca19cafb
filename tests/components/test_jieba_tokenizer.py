from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from components.jieba_tokenizer import MAX_CHARS, CleanJiebaTokenizer


def tokenizer(tmp_path):
    config = {**CleanJiebaTokenizer.get_default_config(), "dictionary_path": "dicts/jieba"}
    return CleanJiebaTokenizer.create(
        config, LocalModelStorage(tmp_path), Resource("tokenizer"), ExecutionContext(None, "test")
    )


def test_whitespace_is_not_a_token_and_domain_words_stay_whole(tmp_path):
    tokens = tokenizer(tmp_path).tokenize(Message(data={"text": "证件电子信息  核验不合格 统一社会信用代码"}), "text")
    texts = [token.text for token in tokens]
    assert all(text.strip() for text in texts)
    assert "统一社会信用代码" in texts


def test_a_huge_paste_is_bounded_but_the_message_keeps_its_text(tmp_path):
    text = "审核失败原因：库中无此号 " + "啊" * 5000 + " 结尾"
    message = Message(data={"text": text})
    tokens = tokenizer(tmp_path).tokenize(message, "text")
    assert message.get("text") == text
    assert sum(len(token.text) for token in tokens) <= MAX_CHARS
    assert "库中无此号" in "".join(token.text for token in tokens)
