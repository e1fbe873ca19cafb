import pytest

from realname.language import EN, ZH, detect, explicit_choice, next_language


@pytest.mark.parametrize("text, language", [
    ("证件电子信息核验不合格", ZH),
    ("注册联系人信息有误，请检测：Command syntax error", ZH),   # a pasted Chinese message with an English code
    ("接口返回 Identity.Uncertified", ZH),
    ("Certificate number cannot be found", EN),
    ("hi", EN),
    ("11010519491231002X", None),
    ("2026-11-03", None),
    ("😀", None),
    ("/ask_human", None),
    ("abc.cn", None),                        # a domain answer is typed the same in any language
    ("www.example.com.cn", None),
    ("91350100M000100Y43", None),
    ("+86", None),
    ("my domain is abc.cn", EN),
    ("hi", EN),
    ("8´æRäM§ò7\r\x9e&\x0e'\x13eP¤£¦Ð\x7f", None),   # binary junk with a few letters
    ("Ça ne marche pas, café", None),
    ("", None),
])
def test_detect(text, language):
    assert detect(text) == language


@pytest.mark.parametrize("text, language", [
    ("English", EN), ("english please", EN), ("Switch to English.", EN), ("英文", EN), ("请用英文回答", EN),
    ("中文", ZH), ("Chinese", ZH), ("说中文", ZH), ("switch to chinese", ZH),
    ("My English name is Tom", None), ("中文名称填错了", None),
])
def test_explicit_choice(text, language):
    assert explicit_choice(text) == language


def test_the_language_follows_each_message_until_one_is_chosen():
    assert next_language("Certificate number cannot be found", ZH, False) == (EN, False)
    assert next_language("库中无此号", EN, False) == (ZH, False)
    assert next_language("11010519491231002X", EN, False) == (EN, False)  # a number keeps it
    assert next_language("", None, False) == (ZH, False)                  # Chinese by default


def test_an_explicit_choice_holds_for_the_rest_of_the_conversation():
    language, chosen = next_language("中文", EN, False)
    assert (language, chosen) == (ZH, True)
    assert next_language("Certificate number cannot be found", language, chosen) == (ZH, True)
    assert next_language("English", language, chosen) == (EN, True)
