"""`rasa data validate`, failing on any warning (Rasa itself only fails on errors).

One warning of Rasa 3.6 is wrong and is not counted: "The utterance 'utter_ask_<slot>' is not used in
any story or rule" for a slot a form asks. Rasa utters those itself when the form requests the slot
(domain.yml); its validator only looks for utterances written in stories and rules. Only slots listed
in a form's required_slots in domain.yml, and responses a custom action utters by name (`response="utter_…"`
in actions/), are exempt; any other unused response still fails.
"""
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterable, List, Set

import yaml

ROOT = Path(__file__).resolve().parent.parent
WARNING_MARKERS = ("UserWarning", "WARNING", "warning:")
# Deprecation noise from Rasa's own dependencies, not about our data.
IGNORED = ("SQLAlchemy", "MovedIn20Warning", "DeprecationWarning", "pkg_resources", "Base: DeclarativeMeta")
# utter_ask_<slot> and utter_not_understood_<slot> belong to the form (its question and its "please re-enter").
UNUSED_UTTERANCE = re.compile(
    r"The utterance '(?P<name>utter_(?:(?:ask|not_understood)_(?P<slot>\w+)|\w+))' is not used in any story or rule")
# Responses a custom action utters by name (dispatcher.utter_message(response="utter_…")) are used too.
ACTION_RESPONSE = re.compile(r"""response=["'](utter_\w+)["']""")


def uttered_by_actions(actions_dir: Path = ROOT / "actions") -> Set[str]:
    return {name for path in actions_dir.glob("*.py") for name in ACTION_RESPONSE.findall(path.read_text(encoding="utf-8"))}


def form_slots(domain_file: Path = ROOT / "domain.yml") -> Set[str]:
    slots: Set[str] = set()
    for form in (yaml.safe_load(domain_file.read_text(encoding="utf-8")).get("forms") or {}).values():
        slots.update(form.get("required_slots") or [])
    return slots


def problems(output_lines: Iterable[str], asked_by_forms: Set[str], uttered: Set[str] = frozenset()) -> List[str]:
    found = []
    for line in output_lines:
        if not any(marker in line for marker in WARNING_MARKERS) or any(noise in line for noise in IGNORED):
            continue
        unused = UNUSED_UTTERANCE.search(line)
        if unused and (unused.group("slot") in asked_by_forms or unused.group("name") in uttered):
            continue
        found.append(line)
    return found


def main() -> int:
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate"],
        capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    found = problems(output.splitlines(), form_slots(), uttered_by_actions())
    if result.returncode != 0 or found:
        print(output)
        print("rasa data validate: 有警告或错误（见上）", file=sys.stderr)
        return 1
    print("rasa data validate: OK, no warnings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
