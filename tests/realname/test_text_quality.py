import random

import pytest

from realname.text_quality import looks_meaningless


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\u200b", "😀😀😀", "%$#@!~", "\x00\x01\x02\ufffd\ufffd", random.Random(3).randbytes(300).decode("latin-1")],
)
def test_noise_is_meaningless(text):
    assert looks_meaningless(text)


@pytest.mark.parametrize(
    "text",
    ["库中无此号", "Sensitive words.", "国家代码填了010 😀", "11010519491231002X", "abc.cn\n注册者证件不合格"],
)
def test_real_messages_are_not(text):
    assert not looks_meaningless(text)
