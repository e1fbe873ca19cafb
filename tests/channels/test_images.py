"""channels.images: the one sniffer (realname.image_check), the texts about pictures, and the picture path
DingTalk and WeCom share."""

import pytest

from channels import images
from channels.http_client import DeliveryError
from channels.images import (
    check_image_text,
    image_error_text,
    image_extension,
    image_too_big_text,
    is_reserved_command,
    picture_to_check_text,
)
from channel_fakes import make_image
from realname.findings import finding, render
from realname.image_check import sniff_image_format

AVIF_HEAD = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64
HEIC_HEAD = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def test_check_image_text_is_the_exact_intent_payload():
    assert check_image_text("abc123") == '/check_image{"image_ref": "abc123"}'
    assert check_image_text('a"b') == '/check_image{"image_ref": "a\\"b"}'


def test_user_cannot_type_the_reserved_check_image_command():
    assert is_reserved_command('/check_image{"image_ref": "../../etc/passwd"}')
    assert is_reserved_command('  /CHECK_IMAGE@0.9{"image_ref": "x"}')
    assert is_reserved_command('/inform{"image_ref": "x"}')
    assert not is_reserved_command("/check_image")  # the bot's own button, no ref
    assert not is_reserved_command("/ask_human")
    assert not is_reserved_command("库中无此号")


def test_image_error_text_prefers_the_errors_own_finding():
    class StoreError(ValueError):
        finding = finding("image_store_not_readable")

    assert image_error_text(StoreError("unreadable")) == "没有权限读取这个文件。"
    assert image_error_text(ValueError("bad image")) == (
        "这张图片无法使用：请上传清晰、完整的证件照片（JPG、PNG、BMP、HEIC 或 WebP 格式，55 KB 到 5 MB）。")
    assert image_error_text(OSError("disk full")) == "图片保存失败，请稍后再试；如需人工帮助，请回复「转人工」。"


def test_image_error_text_uses_image_store_errors():
    from realname import image_store

    err = image_store.ImageStoreError("too_large")
    assert image_error_text(err) == render(err.finding, "zh")
    assert image_error_text(err).startswith("文件超过 20 MB,无法检查。")


def has_chinese(text):
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def test_upload_errors_in_english():
    from realname import image_store

    stored = image_error_text(image_store.ImageStoreError("too_large"), "en")
    assert "larger than 20 MB" in stored and not has_chinese(stored)
    unusable = image_error_text(ValueError("bad image"), "en")
    assert "cannot be used" in unusable and "JPG, PNG, BMP, HEIC or WebP" in unusable and not has_chinese(unusable)
    failed = image_error_text(OSError("disk full"), "en")
    assert "could not be saved" in failed and "talk to a human" in failed and not has_chinese(failed)
    assert image_too_big_text(20 * 1024 * 1024) == "图片过大：最大 20 MB，请压缩后重新上传。"
    assert image_too_big_text(20 * 1024 * 1024, "en") == (
        "The picture is too large: 20 MB at most. Please compress it and upload it again.")


def test_one_sniffer_names_formats_and_extensions():
    assert sniff_image_format(make_image("JPEG", (60, 40))) == "JPEG"
    assert sniff_image_format(make_image("PNG", (60, 40))) == "PNG"
    assert sniff_image_format(b"<svg onload=alert(1)>") is None
    assert [image_extension(f) for f in ("JPEG", "PNG", "HEIF", None)] == ["jpeg", "png", "heic", "bin"]


def test_avif_is_reported_as_avif_not_heic():
    assert sniff_image_format(HEIC_HEAD) == "HEIF"
    assert sniff_image_format(AVIF_HEAD) == "AVIF"
    assert image_extension(sniff_image_format(AVIF_HEAD)) == "avif"
    assert "AVIF" not in images.ACCEPTED_FORMATS and "HEIF" in images.ACCEPTED_FORMATS


@pytest.mark.asyncio
async def test_save_image_stores_through_image_store(tmp_path, monkeypatch):
    from realname import image_store

    monkeypatch.setenv("REALNAME_IMAGE_DIR", str(tmp_path))
    data = make_image(size=(120, 80))
    ref = await images.save_image(data, "证件.jpg")
    assert image_store.load(ref)[0] == data
    image_store.discard(ref)


async def _run_path(download, monkeypatch, max_bytes=1000, **language):
    said, stored = [], []

    async def say(text):
        said.append(text)

    async def fake_save(data, filename):
        stored.append(filename)
        return "ref-1"

    monkeypatch.setattr(images, "save_image", fake_save)
    text = await picture_to_check_text(download, channel="dingtalk", picture_id="CODE", user="u", max_bytes=max_bytes,
                                       say=say, **language)
    return text, said, stored


@pytest.mark.asyncio
async def test_picture_path_stores_an_avif_under_its_own_extension(monkeypatch):
    async def download():
        return AVIF_HEAD

    text, said, stored = await _run_path(download, monkeypatch)
    assert text == '/check_image{"image_ref": "ref-1"}' and said == []
    assert stored[0].startswith("dingtalk-") and stored[0].endswith(".avif")


@pytest.mark.asyncio
async def test_picture_path_tells_the_user_about_a_picture_over_the_limit(monkeypatch):
    async def too_large():
        raise DeliveryError("download", "response too large: more than 1000 bytes", 1, too_large=True)

    async def failing():
        raise DeliveryError("download", "HTTP 500", 3)

    async def big():
        return b"\xff\xd8\xff" + b"\x00" * 2000

    for download, reply in ((too_large, "图片过大"), (failing, "图片没有处理成功"), (big, "图片过大")):
        text, said, stored = await _run_path(download, monkeypatch)
        assert text is None and stored == [] and reply in said[0]
        if download is failing:
            assert said == ["图片没有处理成功，请稍后重试，或在网页帮助页面上传证件照片。"]


@pytest.mark.asyncio
async def test_picture_path_answers_in_the_language_it_is_given(monkeypatch):
    async def failing():
        raise DeliveryError("download", "HTTP 500", 3)

    async def big():
        return b"\xff\xd8\xff" + b"\x00" * 2000

    async def unsafe_store(data, filename):
        from realname import image_store

        raise image_store.ImageStoreError("store_unsafe", path="/tmp/x")

    for download, reply in ((failing, "could not be processed"), (big, "too large")):
        text, said, stored = await _run_path(download, monkeypatch, language="en")
        assert text is None and reply in said[0] and not has_chinese(said[0])

    said = []

    async def say(text):
        said.append(text)

    async def small():
        return b"\xff\xd8\xff" + b"\x00" * 20

    monkeypatch.setattr(images, "save_image", unsafe_store)
    assert await picture_to_check_text(small, channel="wecom", picture_id="P", user="u", max_bytes=1000, say=say,
                                       language="en") is None
    assert "not safe" in said[0] and "/tmp/x" in said[0] and not has_chinese(said[0])
