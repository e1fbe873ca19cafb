"""Check a certificate picture handed over by a channel (image_ref) or named by path in `rasa shell`."""
from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language, latest_text
from realname import image_check, image_store
from realname.findings import Finding, finding, render

logger = logging.getLogger(__name__)

# A local path typed in `rasa shell`: absolute, ~/…, ./… or a bare file name with an extension.
_PATH = re.compile(r"(?:[~.]?/[^\s'\"]+|[^\s'\"/]+\.[A-Za-z0-9]{2,5})")

#: Channels that can hand a compliant copy to the user as a download (channels/web serves
#: GET /webhooks/web/copy/<ref> once, and purges copies older than image_store.COPY_LIFETIME_SECONDS).
#: Elsewhere (DingTalk, WeCom, rasa shell) no copy is stored; the text says how to get one.
COPY_DOWNLOAD_CHANNELS = frozenset({"web"})


class ActionCheckImage(Action):
    def name(self) -> Text:
        return "action_check_image"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        reference = tracker.get_slot("image_ref") or _path_in(latest_text(tracker))
        if not reference:
            ask = finding("image_ask_for_picture", folder=str(image_store.image_dir()))
            dispatcher.utter_message(text=render(ask, lang))
            return []
        try:
            data, name = image_store.load(reference)
        except image_store.ImageStoreError as error:
            dispatcher.utter_message(text=render(error.finding, lang))
            return [SlotSet("image_ref", None)]
        try:
            for message in check_messages(data, name, tracker.get_latest_input_channel(), lang):
                dispatcher.utter_message(**message)
        finally:
            # Identity documents are never kept beyond the check (a compliant copy is a new file).
            image_store.discard(reference)
        return [SlotSet("image_ref", None)]


def _path_in(text: Text) -> Optional[Text]:
    match = _PATH.search(text or "")
    return match.group(0) if match else None


def check_messages(data: bytes, name: Text, channel: Optional[Text], lang: Text) -> List[Dict[Text, Any]]:
    """The bot messages for one checked picture, in `lang`: the report text and, on the web page, the copy offer."""
    report = image_check.check_image(data, name)
    copy = None if report.passed else image_check.build_compliant_copy(data, name)
    offer = store_copy(copy) if copy is not None and copy.data and channel in COPY_DOWNLOAD_CHANNELS else None
    messages: List[Dict[Text, Any]] = [{"text": report_text(report, copy, offer, lang=lang)}]
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
    *,
    lang: Text,
) -> Text:
    """What the check found, what to do, and whether (and how) a compliant copy can be had, in `lang`."""
    lines = []
    if report.passed:
        lines.append(render(finding(
            "image_check_passed", format=report.format, width=report.width, height=report.height,
            size_kb=round(report.size_bytes / 1024)), lang))
    else:
        lines.append(render(finding("image_check_problems_found"), lang))
        problems = image_check.describe(report)
        lines += [f"{number}. {render(problem, lang)}" for number, problem in enumerate(problems, start=1)]
        if offer:
            lines.append(render(finding(
                "image_copy_offered", width=offer["width"], height=offer["height"],
                size_kb=round(offer["size_bytes"] / 1024), changes=_copy_changes(report, copy),
                minutes=image_store.COPY_LIFETIME_SECONDS // 60), lang))
        elif copy is not None and copy.data:
            lines.append(render(finding("image_copy_possible_elsewhere"), lang))
    lines += [render(note, lang) for note in image_check.manual_check_notes(report)]
    return "\n".join(lines)


def _copy_changes(report: image_check.ImageReport, copy: image_check.CompliantCopy) -> Finding:
    """What the conversion did: it never touches the content."""
    changes = [finding("image_copy_change_resaved")]
    if copy.orientation_applied:
        changes.append(finding("image_copy_change_rotated"))
    if report.width and copy.width and copy.width < report.width:
        changes.append(finding("image_copy_change_scaled_down"))
    elif {"size_too_small", "size_too_large"} & set(report.problems):
        changes.append(finding("image_copy_change_quality"))
    return image_check.joined(changes, "image_copy_changes")
