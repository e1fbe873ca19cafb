import pytest

from realname.privacy import mask_in_text, mask_number

RESIDENT_ID = "110101199003070022"
CREDIT_CODE = "91110000600037341L"


@pytest.mark.parametrize("number, masked", [
    (RESIDENT_ID, "1101********0022"),
    (CREDIT_CODE, "9111********341L"),
    ("11010119900307002X", "1101********002X"),
    ("1101 0119 9003 0700 22", "1101********0022"),
    (CREDIT_CODE + "(1-1)", "9111********341L"),
    (CREDIT_CODE + "（1-1）", "9111********341L"),
    ("9111-0000-6000-3734-1L", "9111********341L"),
    ("１１０１０１１９９００３０７００２２", "1101********0022"),
    ("110101900307002", "1101********7002"),   # old 15-digit number
    ("123456789", "1234********6789"),
    ("12345678", "********"),                  # too short to keep 4 + 4
    ("1234", "****"),
    ("", ""),
])
def test_mask_number(number, masked):
    assert mask_number(number) == masked


@pytest.mark.parametrize("text, expected", [
    (f"我的身份证号是{RESIDENT_ID}，审核失败", "我的身份证号是1101********0022，审核失败"),
    (f"信用代码{CREDIT_CODE}(1-1)", "信用代码9111********341L(1-1)"),
    (f"信用代码 {CREDIT_CODE}（1-1） 对吗", "信用代码 9111********341L（1-1） 对吗"),
    ("号码 1101 0119 9003 0700 22 对吗", "号码 1101********0022 对吗"),
    (f"id {RESIDENT_ID.lower()} and code {CREDIT_CODE.lower()}", "id 1101********0022 and code 9111********341l"),
    (f"{RESIDENT_ID}/{CREDIT_CODE}", "1101********0022/9111********341L"),
    ("9111O000600037341L 有个字母O", "9111********341L 有个字母O"),   # typos are masked too
    ("电话13800138000，域名example.com.cn", "电话13800138000，域名example.com.cn"),
    ("2026年11月3日办的营业执照", "2026年11月3日办的营业执照"),
    ("", ""),
])
def test_mask_in_text(text, expected):
    assert mask_in_text(text) == expected


def test_mask_in_text_leaves_no_full_number():
    text = f"身份证{RESIDENT_ID}，执照{CREDIT_CODE}"
    masked = mask_in_text(text)
    assert RESIDENT_ID not in masked and CREDIT_CODE not in masked
