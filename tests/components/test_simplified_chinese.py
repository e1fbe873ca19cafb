from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.simplified_chinese import SimplifiedChineseNormalizer


def normalizer(tmp_path):
    return SimplifiedChineseNormalizer.create(
        SimplifiedChineseNormalizer.get_default_config(), LocalModelStorage(tmp_path), Resource("normalizer"),
        ExecutionContext(None, "test"),
    )


def test_process_converts_the_message_text(tmp_path):
    messages = [Message(data={"text": "證件電子信息核驗不合格"}),
                Message(data={"text": "註冊聯繫人信息有誤，請檢測：Command syntax error"}),
                Message(data={"text": "库中无此号"}),
                Message(data={"text": ""}),
                Message(data={})]
    out = normalizer(tmp_path).process(messages)
    assert [m.get("text") for m in out] == ["证件电子信息核验不合格", "注册联系人信息有误，请检测：Command syntax error",
                                            "库中无此号", "", None]
    assert "text" in out[0].as_dict(only_output_properties=True)  # what the parse data carries


def test_process_training_data_converts_every_example(tmp_path):
    examples = [Message(data={"text": "庫中無此號", "intent": "fail_number_not_found"}),
                Message(data={"text": "國防機構", "intent": "fail_defense_org"}),
                Message(data={"text": "联系人信息无效", "intent": "fail_contact_invalid"})]
    training_data = TrainingData(training_examples=examples)
    out = normalizer(tmp_path).process_training_data(training_data)
    assert [m.get("text") for m in out.training_examples] == ["库中无此号", "国防机构", "联系人信息无效"]
    assert [m.get("intent") for m in out.training_examples] == [
        "fail_number_not_found", "fail_defense_org", "fail_contact_invalid"]


def test_registered_first_in_the_pipeline():
    from pathlib import Path

    import yaml

    with open(Path(__file__).resolve().parents[2] / "config.yml", encoding="utf-8") as f:
        pipeline = yaml.safe_load(f)["pipeline"]
    assert pipeline[0]["name"] == "components.simplified_chinese.SimplifiedChineseNormalizer"
