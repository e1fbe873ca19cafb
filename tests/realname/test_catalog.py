"""The knowledge catalog: all 21 reasons, complete, traceable to the source, and covered by data and tests."""
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from realname.catalog import fix_text, load_catalog, reason_line

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "knowledge" / "sources"


def _normalised(text: str) -> str:
    """Compare quotes with the source ignoring whitespace and full-/half-width punctuation."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _intent_table():
    """The 21 intent names fixed by failure-intents.md, in order."""
    text = (SOURCES / "failure-intents.md").read_text(encoding="utf-8")
    return re.findall(r"^\| \d+ \| `(fail_[a-z_]+)` \|", text, flags=re.M)


def _nlu_examples(folder: Path):
    examples = {}
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


CATALOG = load_catalog()
INTENTS = _intent_table()
SOURCE_TEXT = _normalised((SOURCES / "aliyun-realname-failures.zh.txt").read_text(encoding="utf-8"))
TRAINING = _nlu_examples(ROOT / "data" / "nlu")
HELD_OUT = _nlu_examples(ROOT / "tests" / "nlu_heldout")


def test_the_catalog_has_exactly_the_21_documented_intents():
    assert len(INTENTS) == 21
    assert list(CATALOG.reasons) == INTENTS


@pytest.mark.parametrize("intent", INTENTS)
def test_each_reason_has_messages_causes_and_fix_steps(intent):
    reason = CATALOG.reason(intent)
    assert reason.title and reason.label and reason.summary
    assert reason.messages_zh, "every reason has its official Chinese message"
    assert reason.causes
    assert reason.steps


@pytest.mark.parametrize("intent", INTENTS)
def test_official_messages_are_those_of_failure_intents_md(intent):
    text = _normalised((SOURCES / "failure-intents.md").read_text(encoding="utf-8"))
    for message in CATALOG.reason(intent).messages_zh:
        head = _normalised(message)[:12]
        assert head in text or head in SOURCE_TEXT, message


@pytest.mark.parametrize("intent", INTENTS)
def test_every_fix_step_quotes_the_source(intent):
    for step in CATALOG.reason(intent).steps:
        assert _normalised(step.source) in SOURCE_TEXT, f"{intent}: not in the source: {step.source}"


@pytest.mark.parametrize("intent", INTENTS)
def test_every_official_message_is_in_the_training_data_verbatim(intent):
    reason = CATALOG.reason(intent)
    training = {_normalised(example) for example in TRAINING[intent]}
    training_text = "\n".join(training)
    for message in list(reason.messages_zh) + list(reason.messages_en):
        assert _normalised(message) in training_text, f"{intent}: {message}"


@pytest.mark.parametrize("intent", INTENTS)
def test_nlu_has_enough_training_and_held_out_examples(intent):
    assert len(TRAINING[intent]) >= 15
    assert len(HELD_OUT[intent]) >= 8


def test_held_out_examples_are_never_training_examples():
    training = {example.strip() for examples in TRAINING.values() for example in examples}
    leaked = [example for examples in HELD_OUT.values() for example in examples if example.strip() in training]
    assert leaked == []


@pytest.mark.parametrize("intent", INTENTS)
def test_every_reason_has_a_test_story(intent):
    stories = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_*.yml"))
    assert re.search(rf"intent: {intent}\b", stories), f"no test story for {intent}"


def test_rendered_fix_is_numbered_steps_from_the_catalog():
    reason = CATALOG.reason("fail_contact_param")
    fix = fix_text([step.says for step in reason.steps_for({})])
    assert fix.startswith("处理方法：\n1. ")
    assert reason.steps[0].says in fix
    assert reason_line(reason).startswith("【注册联系人信息参数错误】")


def test_conditional_steps_follow_known_facts():
    reason = CATALOG.reason("fail_cert_missing")
    individual, organisation, general = (
        fix_text([step.says for step in reason.steps_for(facts)])
        for facts in ({"holder_type": "individual"}, {"holder_type": "organisation"}, {})
    )
    assert "身份证或护照" in individual and "营业执照" not in individual
    assert "营业执照" in organisation and "护照" not in organisation
    assert "护照" in general and "营业执照" in general


def test_generated_failure_stories_are_up_to_date():
    from scripts.generate_failure_stories import OUT, render

    assert OUT.read_text(encoding="utf-8") == render(), "run: python scripts/generate_failure_stories.py"


def test_the_form_can_ask_every_fact_it_may_need():
    from realname.diagnosis import FACTS

    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    asked = sorted(name for name in responses if name.startswith("utter_ask_"))
    assert asked == sorted(f"utter_ask_{fact}" for fact in FACTS)


def test_a_text_quoting_an_official_message_names_its_reason():
    assert CATALOG.reason_quoted_in("审核失败：证件电子信息核验不合格。").intent == "fail_cert_data_check"
    assert CATALOG.reason_quoted_in("庫中無此號").intent == "fail_number_not_found"  # traditional script
    assert CATALOG.reason_quoted_in(
        "Verification failed due to invalid certificate information.").intent == "fail_cert_data_check"
    # reasons the registrar gives that the catalog does not know by their words
    assert CATALOG.reason_quoted_in("审核失败，所有者（中文）字段必须包含中文字符。") is None
    assert CATALOG.reason_quoted_in("请上传55K-1M的jpg或者bmp图片") is None
    assert CATALOG.reason_quoted_in("") is None
