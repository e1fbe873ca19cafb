"""The knowledge catalog: the 21 failure reasons of knowledge/failures.yml, and how they are rendered.

Everything the bot says about a failure reason comes from here, so the fix text lives in one place.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

@dataclass(frozen=True)
class Step:
    says: str
    source: str
    when: Mapping[str, Any] = field(default_factory=dict)
    # The fact this step is about (its advice is refined by the rules once the fact is known).
    fact: Optional[str] = None
    # The step in English (translated from `source`; "" if the catalog has none).
    says_en: str = ""

    def text(self, language: str = "zh") -> str:
        """What the step says in a language ("zh" or "en")."""
        return self.says_en if language == "en" else self.says

    def applies(self, facts: Mapping[str, Any]) -> bool:
        """A step applies unless a known fact contradicts its condition (unknown facts keep it)."""
        for name, wanted in self.when.items():
            value = facts.get(name)
            if value is None:
                continue
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if value not in allowed:
                return False
        return True


@dataclass(frozen=True)
class Reason:
    intent: str
    title: str
    label: str
    summary: str
    messages_zh: Sequence[str]
    messages_en: Sequence[str]
    causes: Sequence[str]
    facts: Sequence[str]
    steps: Sequence[Step]
    image_related: bool = False
    # How this reason's source sentences judge a document: "holder" (the document must fit the holder type,
    # which is then always asked), "region" (the chosen region must fit the document), or None (no check).
    document_rule: Optional[str] = None
    # Per holder type, the documents this reason's source accepts whatever the region (else the general rule).
    accepted_documents: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # The English texts (Alibaba Cloud international site); causes_en is in the order of causes.
    title_en: str = ""
    label_en: str = ""
    summary_en: str = ""
    causes_en: Sequence[str] = ()

    def text(self, name: str, language: str = "zh") -> Any:
        """A text field (title, label, summary, causes) in a language ("zh" or "en")."""
        if name not in ("title", "label", "summary", "causes"):
            raise ValueError(f"not a text field: {name}")
        return getattr(self, f"{name}_en" if language == "en" else name)

    def steps_for(self, facts: Mapping[str, Any]) -> List[Step]:
        return [step for step in self.steps if step.applies(facts)]


@dataclass(frozen=True)
class Catalog:
    reasons: Mapping[str, Reason]
    common_reasons: Sequence[str]
    other_intents: Mapping[str, str]
    other_intents_en: Mapping[str, str] = field(default_factory=dict)
    # {name: {language: sentence}}: the headings and sentences that frame the fix
    texts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def says(self, name: str, language: str = "zh") -> Any:
        """One of `texts` in a language (Chinese when the language has none)."""
        variants = self.texts[name]
        return variants.get(language) or variants["zh"]

    def reason(self, intent: str) -> Optional[Reason]:
        return self.reasons.get(intent)

    def reason_quoted_in(self, text: str) -> Optional[Reason]:
        """The reason one of whose official messages (zh or en) `text` contains, ignoring spaces, punctuation,
        case and script; None when the text quotes none (a reason the catalog does not know by its words)."""
        plain = _comparable(text)
        for reason in self.reasons.values():
            if any(_comparable(message) in plain for message in (*reason.messages_zh, *reason.messages_en)):
                return reason
        return None

    def describe_intent(self, intent: str) -> Optional[str]:
        """A short Chinese description of any intent, for "did you mean" buttons."""
        reason = self.reasons.get(intent)
        if reason:
            return reason.label
        return self.other_intents.get(intent)

    def describe_intent_en(self, intent: str) -> Optional[str]:
        """The same description in English."""
        reason = self.reasons.get(intent)
        if reason:
            return reason.label_en
        return self.other_intents_en.get(intent)


def _comparable(text: str) -> str:
    from realname.chinese_script import to_simplified

    return re.sub(r"[\W_]+", "", to_simplified(text or "")).lower()


def _load_yaml(name: str) -> Any:
    with open(KNOWLEDGE_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    data = _load_yaml("failures.yml")
    reasons = {}
    for item in data["reasons"]:
        reasons[item["intent"]] = Reason(
            intent=item["intent"],
            title=item["title"],
            label=item["label"],
            summary=item["summary"],
            messages_zh=tuple(item["messages"].get("zh") or ()),
            messages_en=tuple(item["messages"].get("en") or ()),
            causes=tuple(item.get("causes") or ()),
            facts=tuple(item.get("facts") or ()),
            steps=tuple(
                Step(
                    says=step["says"],
                    source=step["source"],
                    when=step.get("when") or {},
                    fact=step.get("fact"),
                    says_en=step.get("says_en") or "",
                )
                for step in item["steps"]
            ),
            image_related=bool(item.get("image_related")),
            document_rule=item.get("document_rule"),
            accepted_documents={holder: tuple(codes) for holder, codes in (item.get("accepted_documents") or {}).items()},
            title_en=item.get("title_en") or "",
            label_en=item.get("label_en") or "",
            summary_en=item.get("summary_en") or "",
            causes_en=tuple(item.get("causes_en") or ()),
        )
    return Catalog(
        reasons=reasons,
        common_reasons=tuple(data["common_reasons"]),
        other_intents=dict(data["other_intents"]),
        other_intents_en=dict(data.get("other_intents_en") or {}),
        texts={name: dict(variants) for name, variants in (data.get("texts") or {}).items()},
    )


@functools.lru_cache(maxsize=1)
def support_settings() -> Dict[str, str]:
    return dict(_load_yaml("support.yml"))


def ticket_url() -> str:
    """Where a human takes over: REALNAME_TICKET_URL for a deployment, else knowledge/support.yml."""
    return os.environ.get("REALNAME_TICKET_URL") or support_settings()["ticket_url"]


def reason_line(reason: Reason, language: str = "zh") -> str:
    """One line naming the reason in plain words."""
    if language == "en":
        return f"[{reason.title_en}] {reason.summary_en}"
    return f"【{reason.title}】{reason.summary}"


def numbered_steps(steps: Sequence[str]) -> str:
    return "\n".join(f"{number}. {text}" for number, text in enumerate(steps, start=1))


def fix_text(lines: Sequence[str], language: str = "zh", heading: str = "fix_heading") -> str:
    """The fix as the user sees it: a heading and short numbered steps."""
    return load_catalog().says(heading, language) + "\n" + numbered_steps(lines)


def next_buttons(language: str = "zh") -> List[Dict[str, str]]:
    """The buttons offered after every explanation (catalog texts `next_buttons`)."""
    return [dict(button) for button in load_catalog().says("next_buttons", language)]

