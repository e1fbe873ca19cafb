"""The English wording of the catalog (Alibaba Cloud international site): complete, Latin script, same numbers."""
import re
from pathlib import Path

import pytest
import yaml

from realname.catalog import load_catalog, next_buttons

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog()
INTENTS = list(CATALOG.reasons)
RAW = yaml.safe_load((ROOT / "knowledge" / "failures.yml").read_text(encoding="utf-8"))

# Han characters, CJK punctuation and full-width forms (（），：。 …).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# Chinese that English text may name literally: the domain suffixes, and the title marks a name may contain
# (fail_contact_invalid is about keeping or deleting exactly that symbol).
ALLOWED_LITERALS = (".中国", ".公司", ".网络", "《》")
OFFICIAL_ZH = sorted({m for reason in CATALOG.reasons.values() for m in reason.messages_zh}, key=len, reverse=True)
NUMBER = re.compile(r"\d+")
SPELLED_NUMBER = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen)\b", re.I)


def _without_allowed_chinese(text: str) -> str:
    for message in OFFICIAL_ZH:  # an official Chinese message quoted as it appears
        for left, right in (('"', '"'), ("“", "”"), ("'", "'")):
            text = text.replace(f"{left}{message}{right}", "")
    for literal in ALLOWED_LITERALS:
        text = text.replace(literal, "")
    return text


def _english_texts(reason):
    yield "title_en", reason.title_en
    yield "label_en", reason.label_en
    yield "summary_en", reason.summary_en
    for number, cause in enumerate(reason.causes_en):
        yield f"causes_en[{number}]", cause
    for number, step in enumerate(reason.steps):
        yield f"steps[{number}].says_en", step.says_en


def _pairs(reason):
    """(English, its Chinese counterpart) for every text of a reason."""
    yield reason.title_en, reason.title
    yield reason.label_en, reason.label
    yield reason.summary_en, reason.summary
    yield from zip(reason.causes_en, reason.causes)
    for step in reason.steps:
        yield step.says_en, step.says


@pytest.mark.parametrize("intent", INTENTS)
def test_every_reason_has_its_english_fields(intent):
    reason = CATALOG.reason(intent)
    assert reason.title_en and reason.label_en and reason.summary_en
    assert reason.causes_en and all(cause.strip() for cause in reason.causes_en)
    assert len(reason.causes_en) == len(reason.causes), "causes_en must follow causes one to one"


@pytest.mark.parametrize("intent", INTENTS)
def test_every_step_has_says_en(intent):
    for number, step in enumerate(CATALOG.reason(intent).steps):
        assert step.says_en.strip(), f"{intent}: step {number} has no says_en ({step.says})"


@pytest.mark.parametrize("intent", INTENTS)
def test_the_yaml_fields_are_strings_in_the_expected_shape(intent):
    item = next(item for item in RAW["reasons"] if item["intent"] == intent)
    for name in ("title_en", "label_en", "summary_en"):
        assert isinstance(item[name], str), name
    assert isinstance(item["causes_en"], list) and all(isinstance(cause, str) for cause in item["causes_en"])
    assert all(isinstance(step["says_en"], str) for step in item["steps"])


@pytest.mark.parametrize("intent", INTENTS)
def test_english_text_has_no_chinese_characters(intent):
    for name, text in _english_texts(CATALOG.reason(intent)):
        leftover = CJK.findall(_without_allowed_chinese(text))
        assert not leftover, f"{intent}.{name}: Chinese characters {leftover} in {text!r}"


@pytest.mark.parametrize("intent", INTENTS)
def test_numbers_in_the_english_text_are_those_of_the_chinese(intent):
    for english, chinese in _pairs(CATALOG.reason(intent)):
        missing = set(NUMBER.findall(english)) - set(NUMBER.findall(chinese))
        assert not missing, f"{intent}: {sorted(missing)} in {english!r} but not in {chinese!r}"
        assert not SPELLED_NUMBER.search(english), f"{intent}: write numbers as digits: {english!r}"


def test_the_numbers_of_the_source_are_kept():
    """A number the Chinese step takes from its source sentence (10 days, 18 digits, 55 KB...) is in the English too."""
    for reason in CATALOG.reasons.values():
        for step in reason.steps:
            kept = set(NUMBER.findall(step.says)) & set(NUMBER.findall(step.source))
            missing = kept - set(NUMBER.findall(step.says_en))
            assert not missing, f"{reason.intent}: {sorted(missing)} missing in {step.says_en!r}"


def test_every_other_intent_has_an_english_description():
    assert set(CATALOG.other_intents_en) == set(CATALOG.other_intents)
    for intent, description in CATALOG.other_intents_en.items():
        assert description.strip(), intent
        assert not CJK.findall(_without_allowed_chinese(description)), f"{intent}: {description}"
        assert CATALOG.describe_intent_en(intent) == description


def test_every_reason_is_described_in_english_by_its_label():
    for intent, reason in CATALOG.reasons.items():
        assert CATALOG.describe_intent_en(intent) == reason.label_en
        assert CATALOG.describe_intent(intent) == reason.label


def test_text_helpers_pick_the_language():
    reason = CATALOG.reason("fail_contact_param")
    assert reason.text("title") == reason.title == "注册联系人信息参数错误"
    assert reason.text("title", "en") == reason.title_en
    assert reason.text("causes", "en") == reason.causes_en
    assert reason.steps[0].text() == reason.steps[0].says
    assert reason.steps[0].text("en") == reason.steps[0].says_en
    with pytest.raises(ValueError):
        reason.text("messages_zh", "en")


def test_english_buttons_and_heading_match_the_chinese_ones():
    assert [button["payload"] for button in next_buttons("en")] == [button["payload"] for button in next_buttons("zh")]
    assert next_buttons("zh")[1] == {"title": "转人工", "payload": "/ask_human"}
    for text in [button["title"] for button in next_buttons("en")] + [load_catalog().says("fix_heading", "en")]:
        assert text and not CJK.findall(text)


def test_the_caveats_and_advice_of_the_source_are_kept():
    """「具体请以…为准」 and 「建议」 of the source sentences survive the translation."""
    for reason in CATALOG.reasons.values():
        for step in reason.steps:
            if "审核机构审核结果为准" in step.says:
                assert "the verification authority's decision prevails" in step.says_en, reason.intent
            if "CNNIC审核规则为准" in step.says:
                assert "CNNIC's audit rules prevail" in step.says_en, reason.intent
            if "建议" in step.source:
                assert re.search(r"\b(we recommend|it is recommended)\b", step.says_en, re.I), (reason.intent, step.says_en)


def test_english_uses_the_current_image_rules_not_the_old_english_page():
    """The old English page says 55 KB to 1 MB, JPG or BMP; the Chinese source (newest) wins."""
    for reason in CATALOG.reasons.values():
        for _, text in _english_texts(reason):
            assert "1 MB" not in text, reason.intent
            if "55 KB" in text:
                assert "5 MB" in text, reason.intent


def test_every_framing_text_is_in_both_languages():
    catalog = load_catalog()
    for name, variants in catalog.texts.items():
        assert set(variants) == {"zh", "en"}, name
        assert variants["en"] and variants["zh"], name
    labels = catalog.texts["fact_labels"]
    assert set(labels["en"]) == set(labels["zh"])
