"""domain.yml, the rules and the knowledge catalog name the same intents."""
from pathlib import Path

import yaml

from realname.catalog import load_catalog

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
CATALOG = load_catalog()
FAILURES = set(CATALOG.reasons)


def _rule_intents(path: Path):
    """The intents of the `or:` list of the rule that starts the diagnosis."""
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    start = next(rule for rule in rules if rule["rule"].startswith("a failure reason starts the diagnosis"))
    return [option["intent"] for option in start["steps"][0]["or"]]


def test_the_domain_s_intents_are_the_catalog_s():
    intents = set(DOMAIN["intents"])
    assert {intent for intent in intents if intent.startswith("fail_") and intent != "fail_unspecified"} == FAILURES
    assert len(FAILURES) == 21
    # every other intent has its "did you mean" description in the catalog
    assert intents - FAILURES == set(CATALOG.other_intents)


def test_the_rule_that_starts_the_diagnosis_lists_exactly_the_catalog_s_reasons():
    listed = _rule_intents(ROOT / "data" / "rules" / "diagnosis.yml")
    assert len(listed) == len(set(listed)) and set(listed) == FAILURES


def test_the_forms_interruptions_list_every_failure_reason():
    interruptions = set(DOMAIN["slots"]["region"]["mappings"][0]["not_intent"])
    assert FAILURES <= interruptions


def test_there_is_one_domain_file_at_the_top():
    assert not (ROOT / "domain").exists()
    assert DOMAIN["responses"] and DOMAIN["forms"]["diagnosis_form"]


EN_CONDITION = [{"type": "slot", "name": "language", "value": "en"}]


def test_every_response_has_a_chinese_and_an_english_variation():
    for name, variations in DOMAIN["responses"].items():
        chinese = [variation for variation in variations if not variation.get("condition")]
        english = [variation for variation in variations if variation.get("condition") == EN_CONDITION]
        assert len(chinese) == 1 and len(english) == 1, name
        assert len(english[0].get("buttons") or []) == len(chinese[0].get("buttons") or []), name
        # the same buttons that are intents (payload /…) in both languages
        intents = [b["payload"] for b in chinese[0].get("buttons") or [] if b["payload"].startswith("/")]
        assert intents == [b["payload"] for b in english[0].get("buttons") or [] if b["payload"].startswith("/")], name


def test_english_variations_are_english():
    allowed = {"张·三"}  # an example of what a Chinese name field holds
    for name, variations in DOMAIN["responses"].items():
        english = next(variation for variation in variations if variation.get("condition") == EN_CONDITION)
        text = english["text"]
        for word in allowed:
            text = text.replace(word, "")
        titles = "".join(button["title"] for button in english.get("buttons") or [])
        assert not any("\u4e00" <= char <= "\u9fff" for char in text + titles), name


def test_the_language_slots_are_set_by_the_language_policy_not_by_an_action():
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    assert "components.language_policy.LanguagePolicy" in [policy["name"] for policy in config["policies"]]
    for slot in ("language", "language_chosen"):
        assert DOMAIN["slots"][slot]["mappings"] == [{"type": "custom"}]
    assert DOMAIN["slots"]["language"]["values"] == ["zh", "en"]
    assert DOMAIN["slots"]["language"]["initial_value"] == "zh"
