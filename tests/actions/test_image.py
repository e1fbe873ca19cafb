import io
import random

import pytest
from PIL import Image
from rasa_sdk.events import SlotSet

from actions.image import ActionCheckImage
from realname import image_store
from tests.actions.conftest import make_tracker


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    folder = tmp_path / "images"
    monkeypatch.setenv(image_store.IMAGE_DIR_ENV, str(folder))
    return folder


def colour_photo(fmt="JPEG", size=(1200, 800)) -> bytes:
    noise = random.Random(1).randbytes(size[0] * size[1] * 3)  # noise keeps the JPEG realistically large
    image = Image.frombytes("RGB", size, noise)
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=85)
    return buffer.getvalue()


async def test_an_uploaded_picture_is_checked_and_then_deleted(dispatcher, domain, private_store):
    ref = image_store.save_upload(colour_photo(), "id.jpg")
    events = await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref}), domain)
    assert "图片检查通过" in dispatcher.messages[0]["text"]
    assert events == [SlotSet("image_ref", None)]
    assert list(private_store.iterdir()) == []


async def test_a_png_named_jpg_is_reported_with_re_save_advice(dispatcher, domain):
    ref = image_store.save_upload(colour_photo("PNG"), "id.jpg")
    await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref}), domain)
    text = dispatcher.messages[0]["text"]
    assert "发现以下问题" in text and "另存" in text


async def test_a_path_outside_the_allowed_folder_is_refused(dispatcher, domain, tmp_path):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(colour_photo())
    await ActionCheckImage().run(dispatcher, make_tracker(f"检查图片 {outside}", intent="check_image"), domain)
    assert "只能检查通过对话上传的图片" in dispatcher.messages[0]["text"]
    assert outside.exists()


async def test_without_a_picture_the_user_is_told_how_to_send_one(dispatcher, domain):
    await ActionCheckImage().run(dispatcher, make_tracker("帮我看看照片", intent="check_image"), domain)
    assert "上传图片" in dispatcher.messages[0]["text"]


async def test_a_broken_file_gets_a_clear_message(dispatcher, domain, private_store):
    ref = image_store.save_upload(b"not an image at all", "id.jpg")
    await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref}), domain)
    assert "发现以下问题" in dispatcher.messages[0]["text"]
    assert list(private_store.iterdir()) == []


def copy_offers(dispatcher) -> list:
    return [m["custom"]["compliant_copy"] for m in dispatcher.messages if (m.get("custom") or {}).get("compliant_copy")]


def blurry_colour_photo() -> bytes:
    """Colour blobs without a single sharp edge: a tiny noise picture scaled up smoothly."""
    small = Image.frombytes("RGB", (60, 40), random.Random(2).randbytes(60 * 40 * 3))
    buffer = io.BytesIO()
    small.resize((1200, 800), Image.Resampling.BICUBIC).save(buffer, "PNG")
    return buffer.getvalue()


def grayscale_photo() -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(colour_photo("PNG"))).convert("L").save(buffer, "PNG")
    return buffer.getvalue()


async def test_on_the_web_page_a_png_named_jpg_gets_a_compliant_copy_to_download(dispatcher, domain, private_store):
    original = image_store.save_upload(colour_photo("PNG"), "id.jpg")
    tracker = make_tracker(slots={"image_ref": original}, input_channel="web")
    await ActionCheckImage().run(dispatcher, tracker, domain)

    text = dispatcher.messages[0]["text"]
    assert "合规副本" in text and "没有改动图片内容" in text and "彩色 JPEG" in text and "「下载合规副本」" in text
    [offer] = copy_offers(dispatcher)
    assert "text" not in dispatcher.messages[1] or not dispatcher.messages[1]["text"]
    assert offer["filename"] == "证件图片-合规副本.jpg"
    assert (offer["width"], offer["height"]) == (1200, 800)
    # Only the copy is left in the store: the original was deleted right after the check.
    assert [p.name for p in private_store.iterdir()] == [offer["ref"]]
    data, _ = image_store.load(offer["ref"])
    assert len(data) == offer["size_bytes"]
    with Image.open(io.BytesIO(data)) as copy:
        assert (copy.format, copy.mode, copy.size) == ("JPEG", "RGB", (1200, 800))


@pytest.mark.parametrize("channel", ["dingtalk", "dingtalk_stream", "wecom", "cmdline", None])
async def test_elsewhere_the_copy_is_not_stored_and_the_text_says_where_to_get_it(
    dispatcher, domain, private_store, channel
):
    ref = image_store.save_upload(colour_photo("PNG"), "id.jpg")
    await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref}, input_channel=channel), domain)
    assert copy_offers(dispatcher) == [] and len(dispatcher.messages) == 1
    text = dispatcher.messages[0]["text"]
    assert "网页帮助页面" in text and "bin/check-image --fix" in text
    assert list(private_store.iterdir()) == []


@pytest.mark.parametrize("picture, problem", [(grayscale_photo, "黑白"), (blurry_colour_photo, "模糊")])
async def test_no_copy_is_offered_when_the_content_itself_must_be_redone(
    dispatcher, domain, private_store, picture, problem
):
    ref = image_store.save_upload(picture(), "id.jpg")
    await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref}, input_channel="web"), domain)
    assert copy_offers(dispatcher) == [] and len(dispatcher.messages) == 1
    text = dispatcher.messages[0]["text"]
    assert problem in text and "合规副本" not in text
    assert list(private_store.iterdir()) == []


async def test_a_compliant_picture_gets_no_copy(dispatcher, domain, private_store):
    ref = image_store.save_upload(colour_photo(), "id.jpg")
    await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref}, input_channel="web"), domain)
    assert copy_offers(dispatcher) == [] and list(private_store.iterdir()) == []


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


async def test_in_english_a_broken_file_is_explained_in_english(dispatcher, domain, private_store):
    ref = image_store.save_upload(b"not an image at all", "id.jpg")
    await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref, "language": "en"}), domain)
    text = dispatcher.messages[0]["text"]
    assert text.startswith("The picture check found these problems:\n1. This is a text file, not a picture. "
                           "The file cannot be recognized as a picture")
    assert not has_chinese(text)
    assert list(private_store.iterdir()) == []


async def test_in_english_a_passing_picture_and_the_notes(dispatcher, domain):
    ref = image_store.save_upload(colour_photo(), "id.jpg")
    await ActionCheckImage().run(dispatcher, make_tracker(slots={"image_ref": ref, "language": "en"}), domain)
    text = dispatcher.messages[0]["text"]
    assert text.startswith("The picture passed the check: JPEG, 1200×800 pixels")
    assert "mirrored image" in text and "watermarks" in text and not has_chinese(text)


async def test_in_english_the_web_page_offers_the_copy_in_english(dispatcher, domain, private_store):
    ref = image_store.save_upload(colour_photo("PNG"), "id.jpg")
    tracker = make_tracker(slots={"image_ref": ref, "language": "en"}, input_channel="web")
    await ActionCheckImage().run(dispatcher, tracker, domain)
    text = dispatcher.messages[0]["text"]
    assert "actually in PNG format" in text and "do not directly modify the image suffix" in text
    assert "compliant copy has been made" in text and "re-saved as a color JPEG" in text
    assert "Download compliant copy" in text and "valid for 10 minutes" in text
    assert not has_chinese(text)
    assert len(copy_offers(dispatcher)) == 1


async def test_in_english_elsewhere_the_text_says_where_to_get_a_copy(dispatcher, domain):
    ref = image_store.save_upload(colour_photo("PNG"), "id.jpg")
    tracker = make_tracker(slots={"image_ref": ref, "language": "en"}, input_channel="dingtalk")
    await ActionCheckImage().run(dispatcher, tracker, domain)
    text = dispatcher.messages[0]["text"]
    assert "web help page" in text and "bin/check-image --fix" in text and not has_chinese(text)


async def test_in_english_refusals_and_the_request_for_a_picture(dispatcher, domain, tmp_path, private_store):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(colour_photo())
    await ActionCheckImage().run(
        dispatcher, make_tracker(f"check {outside}", intent="check_image", slots={"language": "en"}), domain)
    await ActionCheckImage().run(
        dispatcher, make_tracker("check my photo", intent="check_image", slots={"language": "en"}), domain)
    refused, ask = (message["text"] for message in dispatcher.messages)
    assert "only pictures uploaded in the conversation can be checked" in refused
    assert "Upload picture" in ask and str(private_store) in ask and "deleted right after the check" in ask
    assert not has_chinese(refused + ask)
