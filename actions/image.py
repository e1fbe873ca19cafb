"""Check a certificate picture handed over by a channel (image_ref) or named by path in `rasa shell`."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from realname import image_check, image_store

# A local path typed in `rasa shell`: absolute, ~/…, ./… or a bare file name with an extension.
_PATH = re.compile(r"(?:[~.]?/[^\s'\"]+|[^\s'\"/]+\.[A-Za-z0-9]{2,5})")

ASK_FOR_PICTURE = (
    "请把证件图片发给我：网页里点「上传图片」，钉钉或企业微信里直接发图片；"
    "在命令行（rasa shell）里，把图片放进临时文件夹 {folder} 后输入文件名。"
    "检查完图片会立即删除，不会保存。"
)


class ActionCheckImage(Action):
    def name(self) -> Text:
        return "action_check_image"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        reference = tracker.get_slot("image_ref") or _path_in(latest_text(tracker))
        if not reference:
            dispatcher.utter_message(text=ASK_FOR_PICTURE.format(folder=image_store.image_dir()))
            return []
        try:
            data, name = image_store.load(reference)
        except image_store.ImageStoreError as error:
            dispatcher.utter_message(text=error.message)
            return [SlotSet("image_ref", None)]
        try:
            dispatcher.utter_message(text=report_text(data, name))
        finally:
            # Identity documents are never kept beyond the check.
            image_store.discard(reference)
        return [SlotSet("image_ref", None)]


def _path_in(text: Text) -> Optional[Text]:
    match = _PATH.search(text or "")
    return match.group(0) if match else None


def report_text(data: bytes, name: Text) -> Text:
    """What the check found, what to do, and whether a compliant copy can be made."""
    report = image_check.check_image(data, name)
    lines = []
    if report.passed:
        lines.append(
            f"图片检查通过：{report.format}，{report.width}×{report.height} 像素，"
            f"{report.size_bytes / 1024:.0f} KB，格式、大小、颜色、亮度、清晰度都符合要求。"
        )
    else:
        lines.append("图片检查发现以下问题：")
        lines += [f"{number}. {message}" for number, message in enumerate(image_check.describe(report), start=1)]
        copy = image_check.build_compliant_copy(data, name)
        if copy.data:
            lines.append(
                "这些问题只涉及格式/大小/方向，可以不改动内容生成合规的 JPEG 副本："
                "工作人员可用 bin/check-image --fix 生成；您也可以用画图软件打开原图，另存为 JPG 后重新上传。"
            )
    lines += image_check.manual_check_notes(report)
    return "\n".join(lines)
