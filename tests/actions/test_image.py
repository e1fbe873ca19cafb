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
