"""When the reason is not clear: ask for the exact message, or offer the closest reasons."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from realname.catalog import load_catalog
from realname.text_quality import looks_meaningless

# Intents never offered as "did you mean": they are not something a user would pick.
NOT_OFFERED = {"nlu_fallback", "inform", "affirm", "deny", "greet", "thanks", "goodbye", "restart"}
MAX_SUGGESTIONS = 3
# Candidates below this confidence are noise, not suggestions.
MIN_SUGGESTION_CONFIDENCE = 0.05

HUMAN_BUTTON = {"title": "转人工", "payload": "/ask_human"}


def common_reason_buttons() -> List[Dict[Text, Text]]:
    catalog = load_catalog()
    return [
        {"title": catalog.reason(intent).label, "payload": f"/{intent}"} for intent in catalog.common_reasons
    ]


class ActionAskForReason(Action):
    """「实名认证失败了」 without the reason: ask for the exact message, offer the common reasons."""

    def name(self) -> Text:
        return "action_ask_for_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text=(
                "请把审核失败的提示原文粘贴给我（在域名控制台的实名认证状态处，或通知短信/邮件里），"
                "例如「证件电子信息核验不合格」。也可以直接选下面常见的原因："
            ),
            buttons=common_reason_buttons() + [HUMAN_BUTTON],
        )
        return []


class ActionDidYouMean(Action):
    """Low confidence: offer the two or three best candidates, described in Chinese."""

    def name(self) -> Text:
        return "action_did_you_mean"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        text = latest_text(tracker)
        if looks_meaningless(text):
            dispatcher.utter_message(
                text=(
                    "这条消息我没法识别（可能是空消息、只有表情或乱码）。"
                    "请把审核失败的提示原文粘贴给我，或选择常见的原因："
                ),
                buttons=common_reason_buttons() + [HUMAN_BUTTON],
            )
            return []
        buttons = self._suggestions(tracker)
        if buttons:
            dispatcher.utter_message(
                text="我不太确定您遇到的是哪种情况，是下面这些之一吗？",
                buttons=buttons + [{"title": "都不是", "payload": "/deny"}],
            )
        else:
            dispatcher.utter_message(response="utter_what_i_cover")
        return []

    @staticmethod
    def _suggestions(tracker: Tracker) -> List[Dict[Text, Text]]:
        catalog = load_catalog()
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        buttons = []
        for candidate in ranking:
            intent = candidate.get("name")
            if intent in NOT_OFFERED or (candidate.get("confidence") or 0) < MIN_SUGGESTION_CONFIDENCE:
                continue
            description = catalog.describe_intent(intent)
            if description:
                buttons.append({"title": description, "payload": f"/{intent}"})
            if len(buttons) == MAX_SUGGESTIONS:
                break
        return buttons
