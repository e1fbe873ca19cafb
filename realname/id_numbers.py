"""Checks for the two number formats the source names: the 18-digit resident ID number (18位身份证号码) and the
18-character unified social credit code (18位统一社会信用代码).

Source (aliyun-realname-failures.zh.txt): 「注意区分数字“0”和字母“O”，数字“1”和字母“I”，数字“8”和字母“B”等。」
「注意代码位数，不要漏填、多填，不要输入空格。」「若营业执照上包含副本编号，如(1-1)，则不需要填写。」

What python-stdnum 2.2 checks (read from its source):
  stdnum.cn.ric.validate: 18 characters, first 17 digits, check character (ISO 7064 MOD 11-2), a real birth date,
      and the area code must be in stdnum's table (cn/loc.dat) for the birth year. We do NOT use that last test:
      HK/Macau/Taiwan residence-permit numbers (810000…/820000…/830000…) and newly created districts are not in
      the table but are real numbers (for an area whose province is known but not the county, e.g. 119900…,
      validate() even raises KeyError instead of a ValidationError). So we use ric.calc_check_digit and
      ric.get_birth_date and skip get_birth_place.
  stdnum.cn.uscc.validate: 18 characters, check character (GB 32100, MOD 31), alphabet without I O Z S V – and it
      demands digits in positions 1–8. GB 32100 allows letters in positions 1–2 (registration authority and entity
      type, e.g. N2… for rural collective economic organisations, Y1… for 其他), so validate() rejects real codes.
      We use uscc.calc_check_digit (correct) with our own format rule: alphabet everywhere, digits in positions 3–8
      (the administrative division code).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from realname.findings import Finding, finding

RESIDENT_ID = "resident_id"
CREDIT_CODE = "credit_code"

# Problem codes
EMPTY = "empty"
LENGTH = "length"
BAD_CHARACTERS = "bad_characters"
BIRTH_DATE = "birth_date"
CHECK_CHARACTER = "check_character"

# Notes: things we removed while normalising, each backed by a source sentence the assistant can repeat.
NOTE_SPACES = "spaces_removed"
NOTE_COPY_NUMBER = "copy_number_removed"
_NOTE_FINDINGS = {NOTE_SPACES: "number_spaces_removed", NOTE_COPY_NUMBER: "number_copy_number_removed"}

# What number_finding() says about a typed number: right, wrong, or wrong with the corrected code.
NUMBER_OK = "number_ok"
NUMBER_WRONG = "number_wrong"
NUMBER_WRONG_CORRECTED = "number_wrong_corrected"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: digits and capitals without I O Z S V

# Look-alike characters the source names (0/O, 1/I, 8/B); lowercase letters are upper-cased before this is used.
LOOK_ALIKES = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8"}

# 「(1-1)」/「（1-1）」 – business-licence copy number
COPY_NUMBER = re.compile(r"[(（]\s*\d+\s*[-－—–]\s*\d+\s*[)）]")
_SPACES = re.compile(r"[\s\u3000]+")


@dataclass
class NumberCheck:
    kind: str                       # RESIDENT_ID or CREDIT_CODE
    typed: str                      # as the customer typed it
    number: str                     # normalised: no spaces / copy number, full-width → half-width, upper case
    ok: bool
    problem: str | None = None      # one of the problem codes above
    finding: Finding | None = None  # what is wrong, for the customer; None when the number is fine
    suggestion: str | None = None   # the valid number one look-alike swap away, if exactly one exists
    notes: list[tuple[str, Finding]] = field(default_factory=list)  # (NOTE_* kind, finding)
    birth_date: date | None = None  # resident IDs only


def normalise_number(text: str) -> tuple[str, list[tuple[str, Finding]]]:
    """Strip the copy number and spaces, full-width → half-width, upper case. Returns (number, notes)."""
    notes = []
    text = text or ""
    without_copy = COPY_NUMBER.sub("", text)
    if without_copy != text:
        notes.append((NOTE_COPY_NUMBER, finding(_NOTE_FINDINGS[NOTE_COPY_NUMBER])))
    stripped = without_copy.strip()
    without_spaces = _SPACES.sub("", stripped)
    if without_spaces != stripped:
        notes.append((NOTE_SPACES, finding(_NOTE_FINDINGS[NOTE_SPACES])))
    return unicodedata.normalize("NFKC", without_spaces).upper(), notes


def _look_alike_hint(bad: str) -> Finding | None:
    partner = LOOK_ALIKES.get(bad)
    if partner is None:
        return None
    digit, letter = (bad, partner) if bad.isdigit() else (partner, bad)
    return finding("number_look_alike_hint", digit=digit, letter=letter)


@dataclass(frozen=True)
class _Problem:
    code: str                         # one of the problem codes above
    finding: Finding
    birth: date | None = None
    position: int | None = None       # the 1-based position the finding names, if any
    # The words that lead up to a change at `position` (the change says the rest); None: the change alone.
    then_change: str | None = None


def _single_swaps(number: str):
    for index, char in enumerate(number):
        partner = LOOK_ALIKES.get(char)
        if partner is not None:
            yield number[:index] + partner + number[index + 1:]


def _unique_valid_swap(number: str, is_valid) -> str | None:
    candidates = {candidate for candidate in _single_swaps(number) if is_valid(candidate)}
    return candidates.pop() if len(candidates) == 1 else None


def _checked(result: NumberCheck, problem: _Problem, is_valid) -> NumberCheck:
    """The result's finding: the problem, and the change when one look-alike swap makes the number valid."""
    result.finding = problem.finding
    result.suggestion = _unique_valid_swap(result.number, is_valid)
    if result.suggestion:
        index = next(i for i, (a, b) in enumerate(zip(result.number, result.suggestion)) if a != b)
        typed_char, meant_char = result.number[index], result.suggestion[index]
        # The position and the change, never the whole number: a resident ID number stays out of replies
        # (the caller shows an organisation's code, which is public, in full).
        change = finding("number_change_to_digit" if meant_char.isdigit() else "number_change_to_letter",
                         position=index + 1, typed=typed_char, meant=meant_char)
        # Said once: when the problem already points at this position, the change takes over from there.
        if problem.position == index + 1:
            result.finding = finding(problem.then_change, change=change) if problem.then_change else change
        else:
            result.finding = finding("number_problem_and_change", problem=problem.finding, change=change)
    return result


# --------------------------------------------------------------------------------------------------- resident ID


def _resident_id_problem(number: str, today: date) -> _Problem | None:
    """What is wrong with a normalised number, or None when it is valid."""
    if not number:
        return _Problem(EMPTY, finding("number_resident_id_empty"))
    if len(number) != 18:
        return _Problem(LENGTH, finding("number_resident_id_length", length=len(number)))
    bad = [(i, c) for i, c in enumerate(number[:17]) if not c.isdigit()]
    if number[17] not in "0123456789X":
        bad.append((17, number[17]))
    if bad:
        index, char = bad[0]
        code, then_change = (("number_resident_id_bad_last", "number_resident_id_bad_last_change") if index == 17
                             else ("number_resident_id_not_digit", "number_resident_id_not_digit_change"))
        return _Problem(BAD_CHARACTERS, finding(code, position=index + 1, char=char, hint=_look_alike_hint(char)),
                        position=index + 1, then_change=then_change)
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        birth = None
    if birth is None or birth > today or birth.year < 1900:
        # the digits as typed: they are no date
        return _Problem(BIRTH_DATE, finding("number_resident_id_birth_date",
                                            year=number[6:10], month=number[10:12], day=number[12:14]))
    if ric.calc_check_digit(number) != number[17]:
        return _Problem(CHECK_CHARACTER, finding("number_resident_id_check_character"), birth)
    return None


def is_valid_resident_id(number: str, today: date | None = None) -> bool:
    return _resident_id_problem(number, today or date.today()) is None


def check_resident_id(text: str, today: date | None = None) -> NumberCheck:
    """Check an 18-digit resident ID number (also HK/Macau/Taiwan residence permits: 81/82/83 area codes).

    The area code is not checked against a table (see module docstring)."""
    today = today or date.today()
    number, notes = normalise_number(text)
    problem = _resident_id_problem(number, today)
    if problem is None:
        return NumberCheck(RESIDENT_ID, text, number, True, notes=notes, birth_date=ric.get_birth_date(number))
    result = NumberCheck(RESIDENT_ID, text, number, False, problem.code, notes=notes, birth_date=problem.birth)
    return _checked(result, problem, lambda candidate: is_valid_resident_id(candidate, today))


# --------------------------------------------------------------------------------------------------- credit code


def _credit_code_problem(number: str) -> _Problem | None:
    if not number:
        return _Problem(EMPTY, finding("number_credit_code_empty"))
    if len(number) != 18:
        return _Problem(LENGTH, finding("number_credit_code_length", length=len(number)))
    for index, char in enumerate(number):
        if char not in USCC_ALPHABET:
            # a change at this position says it all (the finding names the character and nothing before it)
            return _Problem(BAD_CHARACTERS, finding("number_credit_code_bad_character", position=index + 1, char=char,
                                                    hint=_look_alike_hint(char)), position=index + 1)
    for index in range(2, 8):
        if not number[index].isdigit():
            char = number[index]
            return _Problem(BAD_CHARACTERS, finding("number_credit_code_division_not_digit", position=index + 1,
                                                    char=char, hint=_look_alike_hint(char)),
                            position=index + 1, then_change="number_credit_code_division_not_digit_change")
    # uscc.calc_check_digit implements GB 32100 correctly (weights 3^i mod 31, check = 31 - sum mod 31).
    if uscc.calc_check_digit(number[:17]) != number[17]:
        return _Problem(CHECK_CHARACTER, finding("number_credit_code_check_character"))
    return None


def is_valid_credit_code(number: str) -> bool:
    return _credit_code_problem(number) is None


def check_credit_code(text: str) -> NumberCheck:
    """Check an 18-character unified social credit code (统一社会信用代码), as on a business licence."""
    number, notes = normalise_number(text)
    problem = _credit_code_problem(number)
    if problem is None:
        return NumberCheck(CREDIT_CODE, text, number, True, notes=notes)
    result = NumberCheck(CREDIT_CODE, text, number, False, problem.code, notes=notes)
    return _checked(result, problem, is_valid_credit_code)


# --------------------------------------------------------------------------------------------------- what to tell


def number_finding(typed: str, on: date) -> Finding:
    """What the check of a typed number found: NUMBER_OK, NUMBER_WRONG or NUMBER_WRONG_CORRECTED (wrong, with
    the corrected code). Params: kind (Finding number_kind_resident_id | number_kind_uscc), number (as shown),
    notes (list of Findings); when wrong also problem (the check's finding); corrected (the valid code) only
    in NUMBER_WRONG_CORRECTED.

    A resident ID number is shown masked (its check names the position and the character to change); an
    organisation's unified social credit code is public and shown in full, with the corrected code when one
    look-alike swap makes it valid."""
    from realname import privacy  # privacy imports this module

    personal = guess_number_kind(typed) == RESIDENT_ID
    result = check_resident_id(typed, on) if personal else check_credit_code(typed)
    kind = finding("number_kind_resident_id" if personal else "number_kind_uscc")
    shown = privacy.mask_number(result.number) if personal else result.number
    notes = [note for _, note in result.notes]
    if result.ok:
        return finding(NUMBER_OK, kind=kind, number=shown, notes=notes)
    if result.suggestion and not personal:
        return finding(NUMBER_WRONG_CORRECTED, kind=kind, number=shown, problem=result.finding,
                       corrected=result.suggestion, notes=notes)
    return finding(NUMBER_WRONG, kind=kind, number=shown, problem=result.finding, notes=notes)


# --------------------------------------------------------------------------------------------------- finding numbers in text

# A run of ASCII/full-width letters and digits, possibly split by single spaces or hyphens (people group numbers).
_TOKEN_CHARS = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
_RUN = re.compile(rf"[{_TOKEN_CHARS}]+(?:[ \-\u3000][{_TOKEN_CHARS}]+)*")
_COPY_NUMBER_AFTER = re.compile(r"\s*[(（]\s*\d+\s*[-－—–]\s*\d+\s*[)）]")
MIN_NUMBER_LENGTH, MAX_NUMBER_LENGTH = 15, 20   # old 15-digit numbers … an 18-char number with a typo or two
MIN_DIGITS = 8


@dataclass(frozen=True)
class NumberCandidate:
    start: int
    end: int        # end of `typed`
    number_end: int  # end of the number itself (before a trailing copy number)
    typed: str      # the text as typed (a trailing copy number such as (1-1) included)
    compact: str    # letters and digits only, half-width, upper case


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def find_number_candidates(text: str) -> list[NumberCandidate]:
    """Tokens in free text that look like a resident ID or credit code (15–20 letters/digits, at least 8 digits).

    Grouped forms such as 「1101 0119 9003 0700 22」 are joined; every group must contain a digit, so the words
    around a number (「my id 1101…」) are never pulled in."""
    found = []
    for run in _RUN.finditer(text or ""):
        tokens = [(m.start() + run.start(), m.end() + run.start(), m.group(0))
                  for m in re.finditer(rf"[{_TOKEN_CHARS}]+", run.group(0))]
        index = 0
        while index < len(tokens):
            best = None
            joined = ""
            for last in range(index, len(tokens)):
                if _digit_count(tokens[last][2]) == 0:
                    break
                joined += tokens[last][2]
                if len(joined) > MAX_NUMBER_LENGTH:
                    break
                if len(joined) >= MIN_NUMBER_LENGTH and _digit_count(joined) >= MIN_DIGITS:
                    best = last
            if best is None:
                index += 1
                continue
            start, end = tokens[index][0], tokens[best][1]
            copy = _COPY_NUMBER_AFTER.match(text, end)
            typed_end = copy.end() if copy else end
            compact = unicodedata.normalize("NFKC", "".join(t[2] for t in tokens[index:best + 1])).upper()
            found.append(NumberCandidate(start, typed_end, end, text[start:typed_end], compact))
            index = best + 1
    return found


def guess_number_kind(text: str) -> str:
    """RESIDENT_ID or CREDIT_CODE for a number whose type the customer did not say.

    A valid number decides; otherwise 17 digits followed by a digit or X reads as a resident ID, anything with other
    letters as a credit code."""
    number, _ = normalise_number(text)
    if is_valid_resident_id(number):
        return RESIDENT_ID
    if is_valid_credit_code(number):
        return CREDIT_CODE
    # Read look-alike letters as the digits they resemble: 11010519491231OO2X is a mistyped ID number.
    if re.fullmatch(r"\d{17}[\dX]|\d{15}", number.translate(_LOOK_ALIKE_DIGITS)):
        return RESIDENT_ID
    return CREDIT_CODE


_LOOK_ALIKE_DIGITS = str.maketrans("OIB", "018")
