"""Tests for realname.image_store: private storage of uploads while they are checked."""

from __future__ import annotations

import io
import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from realname import image_store  # noqa: E402
from realname.findings import render  # noqa: E402
from realname.image_check import check_image  # noqa: E402
from realname.image_store import ImageStoreError  # noqa: E402

CJK_CHAR = "\u4e00"


@pytest.fixture()
def store(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv(image_store.IMAGE_DIR_ENV, str(folder))
    return folder


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def error_code(call, *args) -> str:
    with pytest.raises(ImageStoreError) as raised:
        call(*args)
    assert any(CJK_CHAR <= char <= "\u9fff" for char in render(raised.value.finding, "zh"))  # Chinese for users
    return raised.value.code


def test_save_and_load_round_trip(store):
    data = small_png()
    ref = image_store.save_upload(data, "身份证 正面.PNG")
    assert ref.endswith(".png")
    loaded, name = image_store.load(ref)
    assert loaded == data
    assert name == ref and name.endswith(".png")
    assert check_image(loaded, name).format == "PNG"


def test_stored_file_is_private_with_random_name(store):
    first = image_store.save_upload(b"one", "a.jpg")
    second = image_store.save_upload(b"two", "a.jpg")
    assert first != second
    assert "a" != Path(first).stem and len(Path(first).stem) == 32
    assert stat.S_IMODE(os.stat(store / first).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o700


@pytest.mark.parametrize(
    ("filename", "extension"),
    [("scan.JPEG", ".jpeg"), ("noext", ""), (None, ""), ("../../evil.sh/../x.jpg", ".jpg"), ("a.j p g", ""), ("a.\u00e9", "")],
)
def test_only_a_plain_extension_is_kept(store, filename, extension):
    ref = image_store.save_upload(b"x", filename)
    assert Path(ref).suffix == extension
    assert (store / ref).parent == store  # never written outside the folder, whatever the name


def test_load_by_absolute_path_inside_the_folder(store):
    ref = image_store.save_upload(b"abc", "a.jpg")
    assert image_store.load(store / ref) == (b"abc", ref)


def test_dot_dot_is_refused(store, tmp_path):
    (tmp_path / "secret.jpg").write_bytes(b"secret")
    image_store.save_upload(b"x", "a.jpg")  # creates the folder
    assert error_code(image_store.load, "../secret.jpg") == "path_not_allowed"
    assert error_code(image_store.load, str(store / ".." / "secret.jpg")) == "path_not_allowed"


def test_absolute_path_elsewhere_is_refused(store, tmp_path):
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"data")
    image_store.save_upload(b"x", "a.jpg")
    assert error_code(image_store.load, str(outside)) == "path_not_allowed"
    assert error_code(image_store.load, "/etc/passwd") == "path_not_allowed"
    assert error_code(image_store.load, str(store)) == "path_not_allowed"  # the folder itself


def test_symlink_pointing_out_is_refused(store, tmp_path):
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"data")
    image_store.save_upload(b"x", "a.jpg")
    (store / "link.jpg").symlink_to(outside)
    assert error_code(image_store.load, "link.jpg") == "path_not_allowed"
    (store / "linkdir").symlink_to(tmp_path)
    assert error_code(image_store.load, "linkdir/outside.jpg") == "path_not_allowed"


def test_missing_file_is_not_found(store):
    image_store.save_upload(b"x", "a.jpg")
    assert error_code(image_store.load, "0" * 32 + ".jpg") == "not_found"


def test_empty_and_nul_paths_are_refused(store):
    assert error_code(image_store.load, "") == "path_not_allowed"
    assert error_code(image_store.load, "a\x00.jpg") == "path_not_allowed"


def test_large_file_is_refused_without_reading_it(store, monkeypatch):
    image_store.save_upload(b"x", "a.jpg")
    huge = store / "huge.jpg"
    with open(huge, "wb") as handle:  # sparse: 30 MB on paper, nothing on disk
        handle.truncate(30 * 1024 * 1024)

    real_read = os.read

    def counting_read(fd, size):
        counting_read.total += size
        return real_read(fd, size)

    counting_read.total = 0
    monkeypatch.setattr(image_store.os, "read", counting_read)
    assert error_code(image_store.load, "huge.jpg") == "too_large"
    assert counting_read.total == 0


def test_saving_a_too_large_upload_is_refused(store):
    assert error_code(image_store.save_upload, b"\0" * (image_store.MAX_STORED_BYTES + 1), "a.jpg") == "too_large"
    assert not store.exists() or list(store.iterdir()) == []


def test_a_directory_or_fifo_is_not_a_file(store):
    image_store.save_upload(b"x", "a.jpg")
    (store / "sub").mkdir()
    assert error_code(image_store.load, "sub") == "not_a_file"
    os.mkfifo(store / "pipe.jpg")
    assert error_code(image_store.load, "pipe.jpg") == "not_a_file"  # and does not hang


def test_discard_deletes_and_is_idempotent(store):
    ref = image_store.save_upload(b"x", "a.jpg")
    image_store.discard(ref)
    assert not (store / ref).exists()
    image_store.discard(ref)  # already gone: fine
    assert error_code(image_store.discard, "../x.jpg") == "path_not_allowed"


def test_temporary_upload_leaves_nothing_behind(store):
    with image_store.temporary_upload(small_png(), "a.png") as ref:
        data, name = image_store.load(ref)
        check_image(data, name)
    assert list(store.iterdir()) == []
    with pytest.raises(RuntimeError):
        with image_store.temporary_upload(b"x", "a.jpg"):
            raise RuntimeError("check failed")
    assert list(store.iterdir()) == []


def test_purge_removes_only_stale_uploads(store):
    old = image_store.save_upload(b"old", "a.jpg")
    new = image_store.save_upload(b"new", "b.jpg")
    os.utime(store / old, (0, 0))
    assert image_store.purge_older_than(3600) == 1
    assert sorted(p.name for p in store.iterdir()) == [new]


def test_folder_is_read_from_the_environment_at_each_call(tmp_path, monkeypatch):
    monkeypatch.setenv(image_store.IMAGE_DIR_ENV, str(tmp_path / "one"))
    ref = image_store.save_upload(b"x", "a.jpg")
    monkeypatch.setenv(image_store.IMAGE_DIR_ENV, str(tmp_path / "two"))
    assert error_code(image_store.load, ref) == "not_found"  # the other folder is not searched
    assert error_code(image_store.load, str(tmp_path / "one" / ref)) == "path_not_allowed"


def test_default_folder_is_private_under_the_temp_dir(tmp_path, monkeypatch):
    monkeypatch.delenv(image_store.IMAGE_DIR_ENV, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = image_store.image_dir()
    assert folder.parent == tmp_path.resolve()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    ref = image_store.save_upload(b"x", "a.jpg")
    assert (folder / ref).exists()
    image_store.discard(ref)


def test_default_folder_planted_as_symlink_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(image_store.IMAGE_DIR_ENV, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / f"realname-images-{os.getuid()}").symlink_to(tmp_path / "elsewhere")
    assert error_code(image_store.image_dir) == "store_unsafe"


def test_read_file_bounded_reads_anywhere_with_the_same_bound(tmp_path):
    anywhere = tmp_path / "scan.jpg"
    anywhere.write_bytes(b"12345")
    assert image_store.read_file_bounded(anywhere) == b"12345"
    assert error_code(image_store.read_file_bounded, anywhere, 4) == "too_large"
    assert error_code(image_store.read_file_bounded, tmp_path / "missing.jpg") == "not_found"


def has_chinese(text: str) -> bool:
    return any(CJK_CHAR <= char <= "\u9fff" for char in text)


def test_errors_carry_a_finding_with_chinese_and_english_words(store, tmp_path):
    with pytest.raises(ImageStoreError) as raised:
        image_store.load(str(tmp_path / "secret.jpg"))
    assert raised.value.code == "path_not_allowed"
    assert raised.value.finding.code == "image_store_path_not_allowed"
    assert render(raised.value.finding, "zh") == "不能读取这个位置的文件:只能检查通过对话上传的图片。"
    english = render(raised.value.finding, "en")
    assert "only pictures uploaded in the conversation" in english and not has_chinese(english)

    too_large = ImageStoreError("too_large")
    assert too_large.finding.params == {"limit_mb": 20}
    assert render(too_large.finding, "zh").startswith("文件超过 20 MB,无法检查。实名认证图片须在 55 KB~5 MB 之间")
    english = render(too_large.finding, "en")
    assert "larger than 20 MB" in english and "between 55 KB and 5 MB" in english and not has_chinese(english)

    unsafe = ImageStoreError("store_unsafe", path="/tmp/realname-images-0")
    assert unsafe.finding.params == {"path": "/tmp/realname-images-0"}
    assert "administrator" in render(unsafe.finding, "en") and "/tmp/realname-images-0" in render(unsafe.finding, "en")
    with pytest.raises(ImageStoreError) as missing:
        image_store.load("0" * 32 + ".jpg")
    assert "cannot be found" in render(missing.value.finding, "en")
