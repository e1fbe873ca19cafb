"""Check a certificate picture handed over by a channel (image_ref) or named by path in `rasa shell`."""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from realname import image_check, image_store

logger = logging.getLogger(__name__)

# A local path typed in `rasa shell`: absolute, ~/…, ./… or a bare file name with an extension.
_PATH = re.compile(r"(?:[~.]?/[^\s'\"]+|[^\s'\"/]+\.[A-Za-z0-9]{2,5})")

ASK_FOR_PICTURE = (
    "请把证件图片发给我：网页里点「上传图片」，钉钉或企业微信里直接发图片；"
    "在命令行（rasa shell）里，把图片放进临时文件夹 {folder} 后输入文件名。"
    "检查完图片会立即删除，不会保存。"
)

#: Channels that can hand a compliant copy to the user as a download (channels/web serves
#: GET /webhooks/web/copy/<ref> once, and purges copies older than image_store.COPY_LIFETIME_SECONDS).
#: Elsewhere (DingTalk, WeCom, rasa shell) no copy is stored; the text says how to get one.
COPY_DOWNLOAD_CHANNELS = frozenset({"web"})


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
            for message in check_messages(data, name, tracker.get_latest_input_channel()):
                dispatcher.utter_message(**message)
        finally:
            # Identity documents are never kept beyond the check (a compliant copy is a new file).
            image_store.discard(reference)
        return [SlotSet("image_ref", None)]


def _path_in(text: Text) -> Optional[Text]:
    match = _PATH.search(text or "")
    return match.group(0) if match else None


def check_messages(data: bytes, name: Text, channel: Optional[Text]) -> List[Dict[Text, Any]]:
    """The bot messages for one checked picture: the report text and, on the web page, the copy offer."""
    report = image_check.check_image(data, name)
    copy = None if report.passed else image_check.build_compliant_copy(data, name)
    offer = store_copy(copy) if copy is not None and copy.data and channel in COPY_DOWNLOAD_CHANNELS else None
    messages: List[Dict[Text, Any]] = [{"text": report_text(report, copy, offer)}]
    if offer:
        messages.append({"json_message": {"compliant_copy": offer}})
    return messages


def store_copy(copy: image_check.CompliantCopy) -> Optional[Dict[Text, Any]]:
    """Stores the copy for one download; returns the offer (ref, file name, size) or None on failure."""
    try:
        ref = image_store.save_upload(copy.data, "合规副本.jpg")
    except image_store.ImageStoreError as error:
        logger.warning("image.copy.not_stored code=%s", error.code)
        return None
    return {
        "ref": ref,
        "filename": image_store.COPY_FILENAME,
        "size_bytes": len(copy.data),
        "width": copy.width,
        "height": copy.height,
    }


def report_text(
    report: image_check.ImageReport,
    copy: Optional[image_check.CompliantCopy] = None,
    offer: Optional[Dict[Text, Any]] = None,
) -> Text:
    """What the check found, what to do, and whether (and how) a compliant copy can be had."""
    lines = []
    if report.passed:
        lines.append(
            f"图片检查通过：{report.format}，{report.width}×{report.height} 像素，"
            f"{report.size_bytes / 1024:.0f} KB，格式、大小、颜色、亮度、清晰度都符合要求。"
        )
    else:
        lines.append("图片检查发现以下问题：")
        lines += [f"{number}. {message}" for number, message in enumerate(image_check.describe(report), start=1)]
        if offer:
            lines.append(
                f"这些问题只涉及格式/大小/方向，已为您生成合规副本（JPEG，{offer['width']}×{offer['height']} 像素，"
                f"{offer['size_bytes'] / 1024:.0f} KB）：没有改动图片内容，只是{_copy_changes(report, copy)}。"
                "请点下方「下载合规副本」保存，再用它重新提交实名认证。"
                f"副本只能下载一次，{image_store.COPY_LIFETIME_SECONDS // 60} 分钟内有效；您上传的原图检查完已删除。"
            )
        elif copy is not None and copy.data:
            lines.append(
                "这些问题只涉及格式/大小/方向，可以不改动内容生成合规的 JPEG 副本。"
                "钉钉、企业微信里不能直接发送副本文件：请在网页帮助页面点「上传证件照片」上传这张图片，即可下载合规副本；"
                "也可以请工作人员用 bin/check-image --fix 生成，或用画图软件打开原图，另存为 JPG 后重新上传。"
            )
    lines += image_check.manual_check_notes(report)
    return "\n".join(lines)


def _copy_changes(report: image_check.ImageReport, copy: image_check.CompliantCopy) -> Text:
    """What the conversion did, in words: it never touches the content."""
    changes = ["重新保存为彩色 JPEG"]
    if copy.orientation_applied:
        changes.append("按拍摄方向转正")
    if report.width and copy.width and copy.width < report.width:
        changes.append("等比缩小尺寸，使文件不超过 5 MB")
    elif {"size_too_small", "size_too_large"} & set(report.problems):
        changes.append("调整压缩质量，使文件在 55 KB~5 MB 之间")
    return "，".join(changes)
