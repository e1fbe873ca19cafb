import re
from datetime import date

import pytest
from stdnum.cn import ric, uscc

from realname.findings import Finding, finding, render
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
    number_finding,
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
    assert result.ok, result.finding
    assert result.finding is None
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
    assert phrase in render(result.finding, "zh")


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
    message = render(result.finding, "zh")
    assert f"第{position + 1}位的“{result.number[position]}”应为数字“{digit}”" in message
    assert valid not in message and typed.upper() not in message
    assert "注意区分" in message


def test_no_suggestion_when_only_digits_are_wrong():
    result = check_resident_id(MAINLAND_ID[:-1] + "2", TODAY)
    assert result.suggestion is None


# ----------------------------------------------------------------------------------------------- credit code


@pytest.mark.parametrize("number", [KNOWN_USCC, USCC_WITH_B, USCC_RURAL, USCC_OTHER])
def test_valid_credit_codes(number):
    result = check_credit_code(number)
    assert result.ok, result.finding
    assert result.finding is None
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
    assert phrase in render(result.finding, "zh")


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
    # the caller shows the code
    assert f"第{position + 1}位的“{result.number[position]}”应为" in render(result.finding, "zh")


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


# ----------------------------------------------------------------------------------------------- findings

CJK = re.compile(r"[\u3400-\u9fff]")


def test_a_problem_is_a_finding_with_language_neutral_params():
    assert check_resident_id(MAINLAND_ID[:17], TODAY).finding == finding("number_resident_id_length", length=17)
    assert check_resident_id(with_ric_check("11010519900230001"), TODAY).finding == finding(
        "number_resident_id_birth_date", year="1990", month="02", day="30")   # the digits as typed: no date
    assert check_resident_id("11010519491231OO2X", TODAY).finding == finding(   # two look-alikes: no suggestion
        "number_resident_id_not_digit", position=15, char="O",
        hint=finding("number_look_alike_hint", digit="0", letter="O"))
    assert check_credit_code("44030-419850615123").finding == finding(
        "number_credit_code_bad_character", position=6, char="-", hint=None)
    assert check_credit_code("91110000600037342L").finding == finding("number_credit_code_check_character")


def test_notes_are_kinds_with_findings():
    result = check_credit_code("9111 0000 6000 3734 1L(1-1)")
    assert result.notes == [(NOTE_COPY_NUMBER, finding("number_copy_number_removed")),
                            (NOTE_SPACES, finding("number_spaces_removed"))]


def test_the_change_takes_over_where_the_problem_names_the_same_position():
    change = finding("number_change_to_digit", position=3, typed="O", meant="0")
    assert check_resident_id(MAINLAND_ID[:2] + "O" + MAINLAND_ID[3:], TODAY).finding == finding(
        "number_resident_id_not_digit_change", change=change)
    # the credit-code finding names nothing before the position: the change alone
    assert check_credit_code("91I10000600037341L").finding == finding("number_change_to_digit", position=3,
                                                                      typed="I", meant="1")
    valid = with_uscc_check("91118000600037341")
    assert check_credit_code(valid[:4] + "B" + valid[5:]).finding == finding(
        "number_credit_code_division_not_digit_change",
        change=finding("number_change_to_digit", position=5, typed="B", meant="8"))
    assert render(check_credit_code(valid[:4] + "B" + valid[5:]).finding, "zh") == (
        "统一社会信用代码第3到8位是行政区划码，只能是数字，第5位的“B”应为数字“8”（注意区分数字“8”和字母“B”，请与证件核对）。")


def test_a_change_elsewhere_follows_the_problem():
    result = check_credit_code(USCC_WITH_B.replace("B", "8"))
    assert result.finding == finding("number_problem_and_change",
                                     problem=finding("number_credit_code_check_character"),
                                     change=finding("number_change_to_letter", position=13, typed="8", meant="B"))


def test_english_findings_of_the_checks():
    english = render(check_resident_id(MAINLAND_ID[:2] + "O" + MAINLAND_ID[3:], TODAY).finding, "en")
    assert "first 17 characters" in english and "Character 3, “O”, should be the digit “0”" in english
    assert "distinguish between digit “0” and letter “O”" in english   # the official page's wording
    english = render(check_credit_code("600037341").finding, "en")
    assert "has 9" in english and "valid 18-digit Unified Social Credit Code" in english
    english = render(check_resident_id(MAINLAND_ID[:-1] + "2", TODAY).finding, "en")
    assert "check digit" in english and "digit by digit" in english
    english = render(check_credit_code(KNOWN_USCC + "(1-1)").notes[0][1], "en")
    assert "duplicate" in english and "(1-1)" in english
    for typed in ("", MAINLAND_ID[:17], "44030-419850615123", "9111A000600037341L", USCC_WITH_B.replace("B", "8"),
                  with_ric_check("11010519900230001"), "11010519491231OO2X"):
        for result in (check_resident_id(typed, TODAY), check_credit_code(typed)):
            assert result.finding and not CJK.search(render(result.finding, "en")), typed


# ----------------------------------------------------------------------------------------------- number_finding

# What realname.diagnosis.check_number returned for these numbers before the findings (recorded by calling it:
# it reads NumberCheck.message, so it cannot run beside the findings until it uses number_finding).
CHECK_NUMBER_TODAY = [
    ("440304198506151237",
     "您填写的身份证号码 4403********1237 格式和校验位正确。"),
    ("1101 0119 9003 0700 2X",
     "您填写的身份证号码 1101********002X 格式和校验位正确。号码中的空格已去掉，提交时请不要输入空格。"),
    ("440304850615123",
     "号码有误：您填写的身份证号码 4403********5123 不正确，身份证号码应为18位，您填写的是15位。请注意代码位数，不要漏填、多填。"),
    ("11010519900230001X",
     "号码有误：您填写的身份证号码 1101********001X 不正确，身份证号码第7到14位是出生日期，“1990年02月30日”不是有效的出生日期，"
     "请核对号码。"),
    ("540304198506151237",
     "号码有误：您填写的身份证号码 5403********1237 不正确，身份证号码的校验位（最后一位）与前17位不符，号码中可能有数字填错，"
     "请与证件逐位核对。"),
    ("11010519491231OO2X",
     "号码有误：您填写的身份证号码 1101********OO2X 不正确，身份证号码前17位只能是数字，第15位是“O”。注意区分数字“0”和字母“O”。"),
    ("44O304198506151237",
     "号码有误：您填写的身份证号码 44O3********1237 不正确，身份证号码前17位只能是数字，第3位的“O”应为数字“0”"
     "（注意区分数字“0”和字母“O”，请与证件核对）。"),
    ("4403 0419 8506 1512 3O",
     "号码有误：您填写的身份证号码 4403********123O 不正确，身份证号码最后一位只能是数字或X，第18位是“O”。"
     "注意区分数字“0”和字母“O”。 号码中的空格已去掉，提交时请不要输入空格。"),
    ("91110000600037341L(1-1)",
     "您填写的统一社会信用代码 91110000600037341L 格式和校验位正确。营业执照上的副本编号（如(1-1)）不需要填写，已去掉。"),
    ("",
     "号码有误：您填写的统一社会信用代码  不正确，请填写18位统一社会信用代码。"),
    ("600037341",
     "号码有误：您填写的统一社会信用代码 600037341 不正确，统一社会信用代码应为18位，您填写的是9位。请注意代码位数，不要漏填、多填。"
     "中国内地组织或企业用户，必须提交含有有效18位统一社会信用代码的证件。"),
    ("9111A000600037341L",
     "号码有误：您填写的统一社会信用代码 9111A000600037341L 不正确，统一社会信用代码第3到8位是行政区划码，只能是数字，第5位是“A”。"),
    ("91110000600037342L",
     "号码有误：您填写的统一社会信用代码 91110000600037342L 不正确，统一社会信用代码的校验位（最后一位）与前17位不符，"
     "代码中可能有字符填错，请与证件逐位核对。"),
    ("9111O000600037341L",
     "号码有误：您填写的统一社会信用代码 9111O000600037341L 不正确，第5位的“O”应为数字“0”（注意区分数字“0”和字母“O”，"
     "请与证件核对）。改正后的代码是 91110000600037341L。"),
    ("91110000MA0182C3D7",
     "号码有误：您填写的统一社会信用代码 91110000MA0182C3D7 不正确，统一社会信用代码的校验位（最后一位）与前17位不符，"
     "代码中可能有字符填错，请与证件逐位核对。第13位的“8”应为字母“B”（注意区分数字“8”和字母“B”，请与证件核对）。"
     "改正后的代码是 91110000MA01B2C3D7。"),
]


@pytest.mark.parametrize("typed, today", CHECK_NUMBER_TODAY)
def test_number_finding_says_in_chinese_what_check_number_said(typed, today):
    assert render(number_finding(typed, TODAY), "zh") == today


def test_two_notes_are_joined_as_the_findings_join_sentences():
    # check_number put a space between the two notes; a list of findings is joined by terms.yml's
    # separator.sentence, which is empty in Chinese
    assert render(number_finding("9111 O000 6000 3734 1L (1-1)", TODAY), "zh") == (
        "号码有误：您填写的统一社会信用代码 9111O000600037341L 不正确，第5位的“O”应为数字“0”（注意区分数字“0”和字母“O”，"
        "请与证件核对）。改正后的代码是 91110000600037341L。 营业执照上的副本编号（如(1-1)）不需要填写，已去掉。"
        "号码中的空格已去掉，提交时请不要输入空格。")


def test_number_finding_codes_and_params():
    ok = number_finding(ID_WITH_X, TODAY)
    assert ok == finding("number_ok", kind=finding("number_kind_resident_id"), number="1101********002X", notes=[])
    wrong = number_finding("9111O000600037341L", TODAY)
    assert wrong.code == "number_wrong_corrected"
    assert wrong.params["kind"] == finding("number_kind_uscc") and wrong.params["number"] == "9111O000600037341L"
    assert wrong.params["corrected"] == KNOWN_USCC
    assert wrong.params["problem"] == check_credit_code("9111O000600037341L").finding
    # a resident ID number is never shown in full, not even corrected
    personal = number_finding(MAINLAND_ID[:2] + "O" + MAINLAND_ID[3:], TODAY)
    assert personal.code == "number_wrong" and "corrected" not in personal.params
    assert MAINLAND_ID not in render(personal, "zh") + render(personal, "en")
    assert number_finding(KNOWN_USCC + "(1-1)", TODAY).params["notes"] == [finding("number_copy_number_removed")]
    assert Finding.from_slot(wrong.as_slot()) == wrong   # it can travel in a slot


def test_number_finding_in_english():
    english = render(number_finding("1101 0119 9003 0700 2X", TODAY), "en")
    assert english.startswith("The resident identity card number 1101********002X that you entered")
    assert "correct format" in english and "removed the spaces" in english
    english = render(number_finding("9111O000600037341L", TODAY), "en")
    assert english.startswith("Wrong number: the Unified Social Credit Code 9111O000600037341L")
    assert english.endswith("The corrected code is 91110000600037341L.")
    english = render(number_finding("540304198506151237", TODAY), "en")
    assert "5403********1237" in english and "check digit" in english
    for typed, _ in CHECK_NUMBER_TODAY:
        english = render(number_finding(typed, TODAY), "en")
        assert not CJK.search(english), typed
        assert "  " not in english or not typed, typed   # an empty number leaves its gap, as in Chinese
