"""Near-miss topics (SSL, DNS, ICP, account real-name, held domains, plain questions): enough data, held-out
texts never trained on, and every intent answered by its own response through a rule."""
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from realname.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
TRAINING_FILE = ROOT / "data" / "nlu" / "near_miss.yml"
HELD_OUT_FILE = ROOT / "tests" / "nlu_heldout" / "near_miss.yml"
SOURCE = ROOT / "knowledge" / "sources" / "aliyun-realname-failures.zh.txt"


def _examples(path: Path):
    """{intent: [text, …]} of one NLU file."""
    examples = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        if "intent" in block:
            lines = [line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
            examples.setdefault(block["intent"], []).extend(lines)
    return examples


def _all_training():
    texts = set()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for examples in _examples(path).values():
            texts.update(text.strip() for text in examples)
    return texts


def _domain():
    merged = {"intents": [], "responses": {}}
    data = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    merged["intents"] += [next(iter(i)) if isinstance(i, dict) else i for i in data.get("intents") or []]
    merged["responses"].update(data.get("responses") or {})
    return merged


def _rules():
    data = yaml.safe_load((ROOT / "data" / "rules" / "near_miss.yml").read_text(encoding="utf-8"))
    pairs = {}
    for rule in data["rules"]:
        steps = rule["steps"]
        if "condition" in rule:
            # during the questions: the topic is answered, then the form goes on with its question
            assert rule["condition"] == [{"active_loop": "diagnosis_form"}], rule["rule"]
            assert steps[2:] == [{"action": "diagnosis_form"}, {"active_loop": "diagnosis_form"}], rule["rule"]
            continue
        assert len(steps) == 2, rule["rule"]
        pairs[steps[0]["intent"]] = steps[1]["action"]
    return pairs


def _normalised(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


TRAINING = _examples(TRAINING_FILE)
HELD_OUT = _examples(HELD_OUT_FILE)
NEAR_MISS_INTENTS = sorted(TRAINING)


def test_the_near_miss_intents_are_the_same_in_training_and_held_out():
    assert NEAR_MISS_INTENTS == sorted(HELD_OUT)
    assert not any(intent.startswith("fail_") for intent in NEAR_MISS_INTENTS)


def test_enough_near_miss_examples():
    assert sum(len(texts) for texts in TRAINING.values()) >= 40
    assert sum(len(texts) for texts in HELD_OUT.values()) >= 20


@pytest.mark.parametrize("intent", NEAR_MISS_INTENTS)
def test_every_topic_has_training_and_held_out_examples(intent):
    assert len(TRAINING[intent]) >= 10
    assert len(HELD_OUT[intent]) >= 3


def test_the_trigger_words_occur_in_the_training_data():
    text = "\n".join(example for examples in TRAINING.values() for example in examples).lower()
    for word in ("验证失败", "实名", "审核", "hold", "失败"):
        assert word in text, word


def test_no_example_is_duplicated():
    texts = [example for examples in TRAINING.values() for example in examples]
    held_out = [example for examples in HELD_OUT.values() for example in examples]
    assert len(texts) == len(set(texts))
    assert len(held_out) == len(set(held_out))


def test_no_held_out_text_is_in_the_training_data():
    training = _all_training()
    leaked = [text for texts in HELD_OUT.values() for text in texts if text.strip() in training]
    assert leaked == []


@pytest.mark.parametrize("intent", NEAR_MISS_INTENTS)
def test_every_near_miss_intent_has_a_response_and_a_rule(intent):
    domain = _domain()
    rules = _rules()
    assert intent in domain["intents"]
    assert intent in rules, f"no rule for {intent}"
    response = rules[intent]
    assert response.startswith("utter_") and response in domain["responses"], response
    variations = domain["responses"][response]
    chinese = [variation for variation in variations if not variation.get("condition")]
    english = [variation for variation in variations if variation.get("condition") == [
        {"type": "slot", "name": "language", "value": "en"}]]
    assert len(chinese) == 1 and len(english) == 1
    for variation, paste in ((chinese[0], "粘贴"), (english[0], "paste")):
        buttons = [button["payload"] for button in variation["buttons"]]
        # a real rejection can still be pasted, and a human is one click away
        assert "/fail_unspecified" in buttons and "/ask_human" in buttons
        assert paste in variation["text"]


@pytest.mark.parametrize("intent", NEAR_MISS_INTENTS)
def test_every_near_miss_intent_is_described_for_did_you_mean(intent):
    assert load_catalog().describe_intent(intent)


def test_the_basics_only_state_figures_of_the_source():
    source = _normalised(SOURCE.read_text(encoding="utf-8"))
    text = _normalised(next(variation["text"] for variation in _domain()["responses"]["utter_realname_basics"]
                            if not variation.get("condition")))
    for phrase in ("注册局指定的审核机构", "一致性、完整性、真实性", "18位统一社会信用代码", "55KB~5MB",
                   "JPG、JPEG、PNG、BMP、HEIC、WebP", "10个自然日", "非.cn域名无需实名认证", "境外机构证件"):
        assert _normalised(phrase) in text, phrase
        assert _normalised(phrase) in source, phrase
    # no figure that the source does not give (e.g. an invented audit duration)
    for number in re.findall(r"\d+", text):
        assert number in source, number
