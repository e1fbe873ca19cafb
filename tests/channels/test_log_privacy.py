"""channels.log_privacy: what may reach a log. Numbers are masked exactly as the tracker store masks them."""

from channels.log_privacy import masked_for_log, safe_url, short_id
from realname.privacy import mask_in_text


def test_numbers_in_logs_look_as_in_the_store():
    text = "我的身份证号是110101199003070011，信用代码91110000600037341L，旧证11010119900307001X"
    masked = masked_for_log(text)
    assert masked == mask_in_text(text)
    assert masked == "我的身份证号是1101********0011，信用代码9111********341L，旧证1101********001X"


def test_text_is_cut_to_the_limit_after_masking():
    assert masked_for_log("字" * 1000, limit=50) == "字" * 50 + "…"
    # A number across the cut is masked first, so no unmasked fragment is left behind.
    assert masked_for_log("字" * 40 + "110101199003070011", limit=50) == "字" * 40 + "1101******…"


def test_non_text_values_are_logged_as_text():
    assert masked_for_log(RuntimeError("boom 110101199003070011")) == "boom 1101********0011"


def test_safe_url_drops_query_with_tokens():
    assert safe_url("https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=SECRET") == (
        "https://qyapi.weixin.qq.com/cgi-bin/message/send"
    )


def test_short_id_is_stable_and_short():
    assert short_id("staff001") == short_id("staff001") != short_id("staff002")
    assert len(short_id("staff001")) == 10 and "staff" not in short_id("staff001")
