from scripts.validate_data import form_slots, problems, uttered_by_actions


def warning(text):
    return f"/x/rasa/shared/utils/io.py:100: UserWarning: {text}"


def test_only_questions_a_form_asks_are_exempt():
    lines = [
        warning("The utterance 'utter_ask_region' is not used in any story or rule."),
        warning("The utterance 'utter_ask_favourite_colour' is not used in any story or rule."),
        warning("The utterance 'utter_greet' is not used in any story or rule."),
        warning("The intent 'greet' is not used in any story or rule."),
        "2026-11-29 INFO rasa.validator - No story structure conflicts found.",
    ]
    assert problems(lines, {"region"}) == lines[1:4]


def test_the_form_slots_come_from_the_domain():
    assert {"region", "holder_type", "doc_number", "country_code"} <= form_slots()
    assert "failure_reason" not in form_slots()


def test_responses_an_action_utters_by_name_are_exempt():
    lines = [warning("The utterance 'utter_handoff' is not used in any story or rule."),
             warning("The utterance 'utter_never_said' is not used in any story or rule.")]
    assert "utter_handoff" in uttered_by_actions()
    assert problems(lines, set(), uttered_by_actions()) == lines[1:]
