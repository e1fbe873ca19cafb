"""What the rules find, as codes with parameters; rendered to Chinese or English text only at the edge.

A rule (dates, numbers, names, regions, documents, images) returns `Finding(code, params)`; the words
for each code are in knowledge/findings/*.yml, one file per rule module, each entry with a `zh` and an
`en` template:

    date_month_out_of_range:
      zh: "“{text}”不是有效日期：月份应在1到12之间。"
      en: "\u201c{text}\u201d is not a valid date: the month must be between 1 and 12."

Placeholders are str.format fields. A spec after the colon renders a language-neutral value in the
reply's language: `{issued:date}` (a date → 2026年12月5日 / 5 December 2026), `{doc:document}` (a document
type code → its name, knowledge/document_types.yml `name` / `name_en`), `{region:region}` (a region of
realname.facts.REGIONS), `{holder:holder}` (individual / organisation), `{docs:documents}` (a list of
document codes, joined with 、 / ", "), `{docs:documents_or}` (joined with 或 / " or "), `{rs:regions}` (a list
of regions), `{then:finding}` (a nested Finding or a list of them, rendered and joined as sentences) and
`{parts:clauses}` (findings joined with ；/ "; ").

Findings travel in slots as plain dicts (`as_slot` / `from_slot`: dates as ISO strings), so a slot holds
no sentence in any language, and a test of a rule asserts codes and parameters.
"""
from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import yaml

FINDINGS_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "findings"
LANGUAGES = ("zh", "en")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Finding:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str = "zh") -> str:
        return render(self, language)

    def as_slot(self) -> Dict[str, Any]:
        """A JSON-able dict for a slot or an event (dates as ISO strings, nested findings as dicts)."""
        return {"code": self.code, "params": {name: _to_slot(value) for name, value in self.params.items()}}

    @classmethod
    def from_slot(cls, value: Any) -> Optional["Finding"]:
        if isinstance(value, Finding):
            return value
        if not isinstance(value, Mapping) or not isinstance(value.get("code"), str):
            return None
        params = value.get("params") or {}
        return cls(value["code"], {name: _from_slot(item) for name, item in params.items()})


def finding(code: str, **params: Any) -> Finding:
    return Finding(code, params)


def _to_slot(value: Any) -> Any:
    if isinstance(value, Finding):
        return value.as_slot()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_to_slot(item) for item in value]
    return value


def _from_slot(value: Any) -> Any:
    if isinstance(value, Mapping) and "code" in value:
        return Finding.from_slot(value)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return date.fromisoformat(value)
    if isinstance(value, list):
        return [_from_slot(item) for item in value]
    return value


# ------------------------------------------------------------------------------------------------ the words


@functools.lru_cache(maxsize=1)
def templates() -> Dict[str, Dict[str, str]]:
    """Every code's templates, from all files of knowledge/findings/ (a code defined twice is an error)."""
    merged: Dict[str, Dict[str, str]] = {}
    for path in sorted(FINDINGS_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for code, texts in (data.get("findings") or {}).items():
            if code in merged:
                raise ValueError(f"finding {code} is defined twice (again in {path.name})")
            merged[code] = texts
    return merged


@functools.lru_cache(maxsize=1)
def terms() -> Dict[str, Dict[str, Dict[str, str]]]:
    """kind (region, holder, separator, …) → value → language → word, from the `terms:` of the files."""
    merged: Dict[str, Dict[str, Dict[str, str]]] = {}
    for path in sorted(FINDINGS_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind, values in (data.get("terms") or {}).items():
            merged.setdefault(kind, {}).update(values)
    return merged


def term(kind: str, value: str, language: str) -> str:
    words = terms().get(kind, {}).get(value)
    if not words:
        return value
    return words.get(language) or words["zh"]


def format_date(value: date, language: str) -> str:
    if language == "en":
        return f"{value.day} {value.strftime('%B')} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def _document_name(code: str, language: str) -> str:
    from realname import documents

    document = documents.get_document(code)
    if document is None:
        return code
    return (document.name_en or document.name) if language == "en" else document.name


def _joined(words: Iterable[str], language: str) -> str:
    return term("separator", "list", language).join(words)


class _Formatter(string.Formatter):
    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def format_field(self, value: Any, spec: str) -> str:
        language = self.language
        if spec == "date":
            return format_date(value if isinstance(value, date) else date.fromisoformat(value), language)
        if spec == "document":
            return _document_name(value, language)
        if spec in ("documents", "documents_or"):
            joiner = "list" if spec == "documents" else "or"
            return term("separator", joiner, language).join(_document_name(code, language) for code in value)
        if spec == "regions":
            return _joined((term("region", region, language) for region in value), language)
        if spec in ("region", "holder"):
            return term(spec, value, language)
        if spec in ("finding", "clauses"):
            items = value if isinstance(value, (list, tuple)) else [value]
            joiner = "sentence" if spec == "finding" else "clause"
            return term("separator", joiner, language).join(render(item, language) for item in items if item is not None)
        return super().format_field(value, spec)


def render(item: Union[Finding, Mapping[str, Any]], language: str = "zh") -> str:
    """The finding's words in `language` ("zh" or "en")."""
    found = Finding.from_slot(item)
    if found is None:
        raise TypeError(f"not a finding: {item!r}")
    texts = templates().get(found.code)
    if texts is None:
        raise KeyError(f"no words for finding {found.code} in {FINDINGS_DIR}")
    language = language if language in LANGUAGES else "zh"
    return _Formatter(language).format(texts[language], **found.params).strip()


def render_all(items: Sequence[Any], language: str = "zh") -> List[str]:
    return [render(item, language) for item in items]
