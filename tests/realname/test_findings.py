"""realname.findings: codes and parameters, the words in knowledge/findings/*.yml in Chinese and English."""
import re
import string
from datetime import date

import pytest

from realname import documents, facts
from realname.findings import Finding, finding, render, templates, terms

CJK = re.compile(r"[\u3400-\u9fff]")
# English text may quote the official Chinese wording inside 「」 (what the customer sees on the Chinese site).
# and Chinese domain suffixes (.中国) are typed as they are.
QUOTED = re.compile(r"「[^」]*」|\.[\u4e00-\u9fff]+")


def fields(template):
    return sorted((name, spec) for _, name, spec, _ in string.Formatter().parse(template) if name)


@pytest.mark.parametrize("code", sorted(templates()))
def test_every_finding_has_chinese_and_english_words_with_the_same_fields(code):
    texts = templates()[code]
    assert set(texts) >= {"zh", "en"}, code
    assert texts["zh"].strip() and texts["en"].strip(), code
    assert fields(texts["zh"]) == fields(texts["en"]), code
    assert not CJK.search(QUOTED.sub("", texts["en"])), code


def test_every_region_and_holder_type_has_english_words():
    assert set(terms()["region"]) == set(facts.REGIONS)
    assert set(terms()["holder"]) == set(facts.HOLDER_TYPES)
    for kind in ("region", "holder"):
        for value, words in terms()[kind].items():
            assert words["en"] and not CJK.search(words["en"]), value


def test_every_document_type_has_an_english_name():
    for code, document in documents.document_types().items():
        assert document.name_en and not CJK.search(document.name_en), code


def test_values_are_rendered_in_the_reply_s_language(monkeypatch):
    monkeypatch.setitem(templates(), "test_wait", {
        "zh": "请从{start:date}起提交{doc:document}（{region:region}，{holder:holder}）。{then:finding}",
        "en": "Submit your {doc:document} from {start:date} ({region:region}, {holder:holder}). {then:finding}"})
    monkeypatch.setitem(templates(), "test_then", {"zh": "然后等待{days}天。", "en": "Then wait {days} days."})
    item = finding("test_wait", start=date(2026, 12, 5), doc="SFZ", region=facts.HONG_KONG, holder=facts.INDIVIDUAL,
                   then=finding("test_then", days=3))
    assert render(item, "zh") == "请从2026年12月5日起提交身份证（中国香港，个人）。然后等待3天。"
    english = render(item, "en")
    assert english.startswith("Submit your ") and "from 5 December 2026 (Hong Kong (China), an individual)" in english
    assert english.endswith("Then wait 3 days.")


def test_a_finding_survives_a_slot_unchanged():
    item = finding("date_wait", issued=date(2026, 11, 30), days=3, then=[finding("x", n=1)], name="张三")
    slot = item.as_slot()
    assert slot == {"code": "date_wait", "params": {"issued": "2026-11-30", "days": 3, "name": "张三",
                                                    "then": [{"code": "x", "params": {"n": 1}}]}}
    assert Finding.from_slot(slot) == item
    assert Finding.from_slot("号码有误：…") is None  # an old sentence is no finding


def test_an_unknown_code_is_an_error_not_an_empty_reply():
    with pytest.raises(KeyError):
        render(finding("no_such_finding"), "zh")


def test_every_code_the_code_names_has_words():
    """A code typed in Python (finding("…"), reply("…")) that no file of knowledge/findings/ defines would
    fail only when a customer meets it: every literal code in the product's modules is checked here."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    named = set()
    for folder in ("realname", "actions", "channels", "service"):
        for path in (root / folder).rglob("*.py"):
            named.update(re.findall(r"\b(?:finding|reply|Finding|DomainApiError)\(\s*\"([a-z_]+)\"", path.read_text("utf-8")))
    assert len(named) > 20
    assert sorted(named - set(templates())) == []
