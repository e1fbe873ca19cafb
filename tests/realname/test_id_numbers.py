from datetime import date

import pytest
from stdnum.cn import ric, uscc

from realname.id_numbers import (
    BAD_CHARACTERS,
    BIRTH_DATE,
    CHECK_CHARACTER,
    CREDIT_CODE,
    EMPTY,
    LENGTH,
    NOTE_COPY_NUMBER,
    NOTE_SPACES,
    RESIDENT_ID,
    check_credit_code,
    check_resident_id,
    find_number_candidates,
    guess_number_kind,
    is_valid_credit_code,
)

TODAY = date(2026, 11, 29)


# Check characters computed here, independently of the code under test.

def with_ric_check(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def with_uscc_check(first17: str) -> str:
    """GB 32100: weights 3^i mod 31, check = (31 - sum mod 31) mod 31."""
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


MAINLAND_ID = with_ric_check("44030419850615123")     # 440304198506151237
ID_WITH_X = with_ric_check("11010119900307002")       # ends in X
HONG_KONG_PERMIT = with_ric_check("81000019900101001")
MACAU_PERMIT = with_ric_check("82000019850615002")
TAIWAN_PERMIT = with_ric_check("83000020000229003")
UNKNOWN_AREA = with_ric_check("11990019900101001")    # area not in stdnum's table
KNOWN_USCC = "91110000600037341L"                      # stdnum's own example
USCC_WITH_B = with_uscc_check("91110000MA01B2C3D")
USCC_RURAL = with_uscc_check("N2110000MA01B2C3D")      # letter in position 1 (GB 32100 allows it)
USCC_OTHER = with_uscc_check("Y1440300MA5FB2C3X")


def test_samples_are_what_we_think():
    assert MAINLAND_ID == "440304198506151237"
    assert with_ric_check("11010519491231002") == "11010519491231002X"  # the GB 11643 example
    assert ID_WITH_X.endswith("X")
    assert uscc.is_valid(KNOWN_USCC)


# ----------------------------------------------------------------------------------------------- resident ID


@pytest.mark.parametrize("number", [MAINLAND_ID, ID_WITH_X, HONG_KONG_PERMIT, MACAU_PERMIT, TAIWAN_PERMIT])
def test_valid_resident_ids(number):
    result = check_resident_id(number, TODAY)
    assert result.ok, result.message
    assert result.kind == RESIDENT_ID
    assert result.number == number
    assert result.problem is None and result.suggestion is None


@pytest.mark.parametrize("number", [HONG_KONG_PERMIT, MACAU_PERMIT, TAIWAN_PERMIT])
def test_residence_permits_valid_although_stdnum_rejects_the_area(number):
    assert not ric.is_valid(number)          # stdnum's area table does not know 81/82/83…
    assert check_resident_id(number, TODAY).ok


def test_unknown_area_is_not_a_reason_to_reject():
    with pytest.raises(Exception):           # stdnum 2.2 even raises KeyError here
        ric.validate(UNKNOWN_AREA)
    assert check_resident_id(UNKNOWN_AREA, TODAY).ok


def test_birth_date_is_reported():
    assert check_resident_id(MAINLAND_ID, TODAY).birth_date == date(1985, 6, 15)


@pytest.mark.parametrize("typed, normalised, notes", [
    (ID_WITH_X.lower(), ID_WITH_X, []),
    ("1101 0119 9003 0700 2X", ID_WITH_X, [NOTE_SPACES]),
    (" " + MAINLAND_ID + " ", MAINLAND_ID, []),
    ("４４０３０４１９８５０６１５１２３７", MAINLAND_ID, []),
    ("440304\u3000198506151237", MAINLAND_ID, [NOTE_SPACES]),
])
def test_resident_id_normalisation(typed, normalised, notes):
    result = check_resident_id(typed, TODAY)
    assert result.ok
    assert result.number == normalised
    assert [code for code, _ in result.notes] == notes
    assert result.typed == typed


@pytest.mark.parametrize("typed, problem, phrase", [
    ("", EMPTY, "18位"),
    (MAINLAND_ID[:17], LENGTH, "17位"),
    (MAINLAND_ID + "1", LENGTH, "19位"),
    ("440304850615123", LENGTH, "15位"),                      # old 15-digit number
    (MAINLAND_ID[:-1] + "Y", BAD_CHARACTERS, "最后一位只能是数字或X"),
    ("44030-419850615123", BAD_CHARACTERS, "前17位只能是数字"),
    (with_ric_check("11010519900230001"), BIRTH_DATE, "1990年02月30日"),
    (with_ric_check("11010520301231001"), BIRTH_DATE, "出生日期"),   # born in the future
    (with_ric_check("11010518991231001"), BIRTH_DATE, "出生日期"),   # before 1900
    (MAINLAND_ID[:-1] + "2", CHECK_CHARACTER, "校验位"),
    ("540304198506151237", CHECK_CHARACTER, "校验位"),     # one digit changed
])
def test_invalid_resident_ids(typed, problem, phrase):
    result = check_resident_id(typed, TODAY)
    assert not result.ok
    assert result.problem == problem
    assert phrase in result.message


@pytest.mark.parametrize("position, look_alike", [(2, "O"), (3, "I"), (9, "o"), (14, "i"), (1, "B"), (1, "b")])
def test_resident_id_look_alike_suggestion(position, look_alike):
    digit = {"O": "0", "o": "0", "I": "1", "i": "1", "B": "8", "b": "8"}[look_alike]
    # a valid number with `digit` at `position`, then typed with the look-alike letter there
    first17 = list("11010519900101001")
    first17[position] = digit
    valid = with_ric_check("".join(first17))
    typed = valid[:position] + look_alike + valid[position + 1:]
    result = check_resident_id(typed, TODAY)
    assert not result.ok
    assert result.problem == BAD_CHARACTERS
    assert result.suggestion == valid
    # the position and the change are named; the whole number is never in the message
    assert f"第{position + 1}位的“{result.number[position]}”应为数字“{digit}”" in result.message
    assert valid not in result.message and typed.upper() not in result.message
    assert "注意区分" in result.message


def test_no_suggestion_when_only_digits_are_wrong():
    result = check_resident_id(MAINLAND_ID[:-1] + "2", TODAY)
    assert result.suggestion is None


# ----------------------------------------------------------------------------------------------- credit code


@pytest.mark.parametrize("number", [KNOWN_USCC, USCC_WITH_B, USCC_RURAL, USCC_OTHER])
def test_valid_credit_codes(number):
    result = check_credit_code(number)
    assert result.ok, result.message
    assert result.kind == CREDIT_CODE
    assert result.number == number


@pytest.mark.parametrize("number", [USCC_RURAL, USCC_OTHER])
def test_letters_in_leading_positions_accepted_where_stdnum_is_too_strict(number):
    assert not uscc.is_valid(number)          # stdnum demands digits in positions 1–8
    assert is_valid_credit_code(number)


@pytest.mark.parametrize("typed, notes", [
    (KNOWN_USCC + "(1-1)", [NOTE_COPY_NUMBER]),
    (KNOWN_USCC + "（1-1）", [NOTE_COPY_NUMBER]),
    (KNOWN_USCC + " (1-2)", [NOTE_COPY_NUMBER]),
    ("9111 0000 6000 3734 1L", [NOTE_SPACES]),
    (KNOWN_USCC.lower(), []),
    ("９１１１００００６０００３７３４１Ｌ", []),
])
def test_credit_code_normalisation(typed, notes):
    result = check_credit_code(typed)
    assert result.ok
    assert result.number == KNOWN_USCC
    assert [code for code, _ in result.notes] == notes


@pytest.mark.parametrize("typed, problem, phrase", [
    ("", EMPTY, "18位"),
    (KNOWN_USCC[:17], LENGTH, "17位"),
    (KNOWN_USCC + "1", LENGTH, "19位"),
    ("600037341", LENGTH, "18位统一社会信用代码"),           # old 9-character organisation code
    ("110000600037341", LENGTH, "15位"),                    # old 15-digit registration number
    ("9111000060003734ZL", BAD_CHARACTERS, "I、O、Z、S、V"),
    ("91110000600037341S", BAD_CHARACTERS, "第18位"),
    ("9111A000600037341L", BAD_CHARACTERS, "行政区划码"),
    ("91110000600037342L", CHECK_CHARACTER, "校验位"),
    ("91110000600037341M", CHECK_CHARACTER, "校验位"),
])
def test_invalid_credit_codes(typed, problem, phrase):
    result = check_credit_code(typed)
    assert not result.ok
    assert result.problem == problem
    assert phrase in result.message


@pytest.mark.parametrize("typed, expected", [
    ("9111O000600037341L", KNOWN_USCC),     # letter O for digit 0
    ("9111o000600037341L", KNOWN_USCC),     # lowercase
    ("91I10000600037341L", KNOWN_USCC),     # letter I for digit 1
    ("91110000600O37341L", KNOWN_USCC),
    (USCC_WITH_B.replace("B", "8"), USCC_WITH_B),   # digit 8 for letter B
    (USCC_RURAL.replace("B", "8"), USCC_RURAL),
])
def test_credit_code_look_alike_suggestion(typed, expected):
    result = check_credit_code(typed)
    assert not result.ok
    assert result.suggestion == expected
    position = next(i for i, (a, b) in enumerate(zip(result.number, expected)) if a != b)
    assert f"第{position + 1}位的“{result.number[position]}”应为" in result.message  # the caller shows the code


def test_no_suggestion_when_no_single_swap_helps():
    assert check_credit_code("91110000600037342L").suggestion is None


# ----------------------------------------------------------------------------------------------- in free text


@pytest.mark.parametrize("text, compacts", [
    (f"我的身份证号是{MAINLAND_ID}，谢谢", [MAINLAND_ID]),
    (f"执照 {KNOWN_USCC}(1-1) 上传失败", [KNOWN_USCC]),
    ("号码 4403 0419 8506 1512 37 对吗", [MAINLAND_ID]),
    (f"my id {MAINLAND_ID} ok", [MAINLAND_ID]),
    (f"{MAINLAND_ID} 和 {KNOWN_USCC}", [MAINLAND_ID, KNOWN_USCC]),
    ("电话13800138000", []),               # 11 digits: a phone number, not an ID
    ("example.com.cn 实名失败", []),
    ("", []),
])
def test_find_number_candidates(text, compacts):
    assert [c.compact for c in find_number_candidates(text)] == compacts


def test_candidate_keeps_copy_number_as_typed():
    (candidate,) = find_number_candidates(f"执照{KNOWN_USCC}（1-1）")
    assert candidate.typed == KNOWN_USCC + "（1-1）"
    assert candidate.compact == KNOWN_USCC


@pytest.mark.parametrize("typed, kind", [
    (MAINLAND_ID, RESIDENT_ID), (ID_WITH_X, RESIDENT_ID), (HONG_KONG_PERMIT, RESIDENT_ID),
    (MAINLAND_ID[:-1] + "5", RESIDENT_ID), (KNOWN_USCC, CREDIT_CODE), (USCC_RURAL, CREDIT_CODE),
    ("9111O000600037341L", CREDIT_CODE),
])
def test_guess_number_kind(typed, kind):
    assert guess_number_kind(typed) == kind


def test_a_resident_id_with_look_alike_letters_is_still_read_as_a_resident_id():
    from realname.id_numbers import RESIDENT_ID, guess_number_kind

    assert guess_number_kind("11010519491231OO2X") == RESIDENT_ID
    assert guess_number_kind("1101051949I231002X") == RESIDENT_ID
