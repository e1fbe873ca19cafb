"""realname.case_summary: what a human needs, ready to paste into a ticket, with ID numbers masked."""
from datetime import date

from realname.case_summary import case_summary

ON = date(2026, 11, 29)


def test_the_summary_names_the_reason_the_facts_and_every_step_shown_once():
    text = case_summary("fail_number_not_found", {"region": "中国内地", "holder_type": "individual",
                                                  "doc_number": "110101199003070022"}, ["先看这一步"], ON)
    lines = text.splitlines()
    assert lines[0] == "案情摘要（可直接粘贴到工单）："
    assert lines[1] == "失败原因：库中无此号或注册者证件验证失败"
    assert "证件号码：1101********0022" in lines[2] and "110101199003070022" not in text  # masked whatever the caller passed
    assert lines[3] == "已给出的处理步骤：" and lines[4] == "1. 先看这一步"
    steps = [line.split(". ", 1)[1] for line in lines[4:] if line[:1].isdigit()]
    assert len(steps) == len(set(steps)) > 2
    assert "仍未解决" not in text


def test_skipped_facts_are_left_out_and_english_is_english():
    text = case_summary("fail_contact_wrong", {"region": "skip", "holder_type": None}, [], ON, "en", not_solved=True)
    assert "Information given: none" in text and text.endswith("Customer's feedback: not solved after these steps.")


def test_an_unknown_reason_has_no_summary():
    assert case_summary("fail_no_such_reason", {}, [], ON) is None
