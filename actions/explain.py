"""Name the failure reason, start the questions that matter, and give the exact fix."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import known_facts, latest_text, next_buttons
from realname import diagnosis
from realname.catalog import fix_text, load_catalog, reason_line


class ActionStartDiagnosis(Action):
    """Remember the reason, keep any facts the message already gives, name the reason and the first steps."""

    def name(self) -> Text:
        return "action_start_diagnosis"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        intent = tracker.get_intent_of_latest_message()
        reason = load_catalog().reason(intent)
        if reason is None:
            return []
        found = diagnosis.facts_from_text(latest_text(tracker), diagnosis.today())
        facts = {**known_facts(tracker), **found}
        events = [SlotSet("failure_reason", intent)] + [SlotSet(name, value) for name, value in found.items()]
        if not diagnosis.questions_for(intent, facts):
            # nothing to ask: the exact fix follows at once (action_explain_failure)
            dispatcher.utter_message(text=reason_line(reason))
            return events + [SlotSet("shown_steps", None)]
        # The first reply already helps: the steps that hold whatever the answers, then the questions offered
        # as a way to check the case. The reply after the questions does not repeat these steps.
        lines = diagnosis.first_lines(intent, facts, diagnosis.today())
        text = reason_line(reason) + ("\n" + fix_text(lines) if lines else "")
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(text=diagnosis.check_offer(intent, facts))
        return events + [SlotSet("shown_steps", lines)]


class ActionExplainFailure(Action):
    """The fix for the current reason, refined by every fact known."""

    def name(self) -> Text:
        return "action_explain_failure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        intent = tracker.get_slot("failure_reason")
        if not intent:
            return []
        shown = tracker.get_slot("shown_steps") or []
        explanation = diagnosis.explain(intent, known_facts(tracker), diagnosis.today(), shown=shown)
        dispatcher.utter_message(text=explanation.fix, buttons=next_buttons())
        if explanation.image_related:
            dispatcher.utter_message(
                text="这个原因和证件图片有关：可以把图片发给我，我帮您检查格式、大小、颜色和清晰度。",
                buttons=[{"title": "检查证件图片", "payload": "/check_image"}],
            )
        return []


class ActionUpdateFacts(Action):
    """A fact given outside the questions (「不对，我是组织」) updates the slots and, if a reason is open, its fix."""

    def name(self) -> Text:
        return "action_update_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        found = diagnosis.facts_from_text(latest_text(tracker), diagnosis.today())
        intent = tracker.get_slot("failure_reason")
        if not found:
            dispatcher.utter_message(
                text="我没有从这句话里识别出区域、持有者类型、证件、日期或域名。请把审核失败的提示原文粘贴给我。",
                buttons=next_buttons(),
            )
            return []
        events = [SlotSet(name, value) for name, value in found.items()]
        dispatcher.utter_message(text="已更新：" + "，".join(diagnosis.describe_facts(found)) + "。")
        if intent:
            facts = {**known_facts(tracker), **found}
            explanation = diagnosis.explain(intent, facts, diagnosis.today())
            dispatcher.utter_message(text=explanation.fix, buttons=next_buttons())
        else:
            dispatcher.utter_message(text="请再把审核失败的提示原文发给我，我按这些信息给出处理方法。")
        return events


class ActionRestart(Action):
    """「重新开始」: overrides Rasa's default action_restart to say what happened, then forgets everything."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text="已重新开始。请把审核失败的提示原文粘贴给我。")
        return [Restarted()]
