"""The case summary a handoff gives, ready to paste into a ticket: the reason, the facts the customer gave
and the steps shown. No Rasa import; ID numbers are masked (the slot already holds the masked form; masked
again here so that no caller can leak one)."""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping, Optional, Sequence

from realname import diagnosis, privacy
from realname.catalog import load_catalog, numbered_steps
from realname.findings import finding, render


def case_summary(intent: str, known: Mapping[str, Any], shown: Sequence[str], on: date, language: str = "zh",
                 not_solved: bool = False) -> Optional[str]:
    """The summary for the reason `intent` (None when there is no such reason)."""
    reason = load_catalog().reason(intent)
    if reason is None:
        return None
    facts = diagnosis.describe_facts({name: value for name, value in known.items() if value != diagnosis.SKIPPED},
                                     language)
    explanation = diagnosis.explain(intent, known, on, shown=shown, language=language)
    steps = list(shown) + [line.split(". ", 1)[1] for line in explanation.fix.splitlines()
                           if line[:1].isdigit() and ". " in line]
    lines = [
        render(finding("case_summary_heading"), language),
        render(finding("case_summary_reason", title=reason.text("title", language)), language),
        render(finding("case_summary_facts", facts=facts) if facts else finding("case_summary_no_facts"), language),
        render(finding("case_summary_steps"), language),
        numbered_steps(steps),
    ]
    if not_solved:
        lines.append(render(finding("case_summary_not_solved"), language))
    return privacy.mask_in_text("\n".join(line for line in lines if line))
