"""The web page's compliant-copy download, GET /webhooks/web/copy/<ref>, against the running Rasa stack
(see conftest.rasa_stack): served once and deleted, strict ref check, headers, and stale copies purged.
Paths are sent byte for byte with http.client (requests would normalise "..")."""

import http.client
import io
import json
import os
import time
import urllib.parse

import pytest
import requests
from PIL import Image

from channel_fakes import make_image
from realname import image_store

GONE = "副本已过期，请重新上传图片"


@pytest.fixture
def store(stack, monkeypatch):
    """The stack's image folder, also used by image_store in this process."""
    folder = stack.env[image_store.IMAGE_DIR_ENV]
    monkeypatch.setenv(image_store.IMAGE_DIR_ENV, folder)
    image_store.image_dir()  # create it if no upload did yet
    return folder


def raw_get(stack, path: str):
    """GET `path` exactly as written. Returns (status, headers, body)."""
    netloc = urllib.parse.urlsplit(stack.url).netloc
    conn = http.client.HTTPConnection(netloc, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def assert_gone(status, headers, body, ours=False):
    """A 404. `ours`: from the copy route itself (a path that reached it), with the Chinese text."""
    assert status == 404, (status, body[:200])
    if ours or "application/json" in headers.get("content-type", ""):
        data = json.loads(body)
        if ours or "error" in data:  # Sanic's own no-route 404 has no "error"
            assert data["error"] == GONE
            assert headers["cache-control"] == "no-store"


def test_a_copy_is_served_once_as_a_jpeg_attachment_and_deleted(stack, store):
    jpeg = make_image()
    ref = image_store.save_upload(jpeg, "合规副本.jpg")

    status, headers, body = raw_get(stack, f"/webhooks/web/copy/{ref}")
    assert status == 200 and body == jpeg
    assert headers["content-type"] == "image/jpeg"
    assert headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" + urllib.parse.quote("证件图片-合规副本.jpg") in headers["content-disposition"]
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert not os.path.exists(os.path.join(store, ref))

    assert_gone(*raw_get(stack, f"/webhooks/web/copy/{ref}"), ours=True)


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "..%2fx",
        "%2e%2e",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "%2fetc%2fhostname",
        "0123456789abcdef0123456789abcdef",  # no extension
        "0123456789ABCDEF0123456789ABCDEF.jpg",  # upper case: never produced by the store
        "0123456789abcdef0123456789abcdef.jpg%00",
        "0123456789abcdef0123456789abcdef.jpg.png",
        "x" * 400,
    ],
)
def test_malformed_refs_are_404(stack, store, bad):
    assert_gone(*raw_get(stack, f"/webhooks/web/copy/{bad}"))


def test_only_copies_are_served_and_symlinks_out_of_the_store_are_refused(stack, store, tmp_path):
    upload = image_store.save_upload(make_image("PNG"), "证件.png")  # an upload under check, not a copy
    assert_gone(*raw_get(stack, f"/webhooks/web/copy/{upload}"), ours=True)
    assert os.path.exists(os.path.join(store, upload))
    image_store.discard(upload)

    secret = tmp_path / "secret.jpg"
    secret.write_bytes(make_image())
    planted = "ab" * 16 + ".jpg"
    os.symlink(secret, os.path.join(store, planted))
    try:
        assert_gone(*raw_get(stack, f"/webhooks/web/copy/{planted}"), ours=True)
        assert secret.exists()
    finally:
        os.unlink(os.path.join(store, planted))


def test_copies_nobody_downloaded_are_purged_after_ten_minutes(stack, store):
    old = image_store.save_upload(make_image(), "合规副本.jpg")
    fresh = image_store.save_upload(make_image(), "合规副本.jpg")
    eleven_minutes_ago = time.time() - 11 * 60
    os.utime(os.path.join(store, old), (eleven_minutes_ago, eleven_minutes_ago))

    assert_gone(*raw_get(stack, "/webhooks/web/copy/" + "0" * 32 + ".jpg"))  # any copy request purges
    assert not os.path.exists(os.path.join(store, old))
    assert os.path.exists(os.path.join(store, fresh))

    os.utime(os.path.join(store, fresh), (eleven_minutes_ago, eleven_minutes_ago))
    r = requests.post(f"{stack.url}/webhooks/web/upload", data={"sender": "bad sender!"}, timeout=10)
    assert r.status_code in (400, 415)  # refused, but the upload request purged first
    assert not os.path.exists(os.path.join(store, fresh))


def test_a_png_named_jpg_uploaded_on_the_web_page_gets_a_copy_to_download_once(stack, store):
    before = set(os.listdir(store))
    sender = "copy" + str(time.time_ns())
    r = requests.post(
        f"{stack.url}/webhooks/web/upload",
        data={"sender": sender},
        files={"file": ("证件.jpg", make_image("PNG"), "image/jpeg")},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    messages = r.json()
    text = "\n".join(m.get("text") or "" for m in messages)
    assert "已为您生成合规副本" in text and "「下载合规副本」" in text, text
    offers = [m["custom"]["compliant_copy"] for m in messages if "compliant_copy" in (m.get("custom") or {})]
    assert len(offers) == 1, messages
    offer = offers[0]
    assert offer["filename"] == "证件图片-合规副本.jpg" and (offer["width"], offer["height"]) == (900, 600)

    copy = requests.get(f"{stack.url}/webhooks/web/copy/{offer['ref']}", timeout=10)
    assert copy.status_code == 200 and len(copy.content) == offer["size_bytes"]
    with Image.open(io.BytesIO(copy.content)) as picture:
        assert (picture.format, picture.mode) == ("JPEG", "RGB")
    again = requests.get(f"{stack.url}/webhooks/web/copy/{offer['ref']}", timeout=10)
    assert again.status_code == 404 and again.json()["error"] == GONE
    # The original upload was deleted after the check, and the copy after its download.
    assert set(os.listdir(store)) <= before
