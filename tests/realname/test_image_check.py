"""Tests for realname.image_check. Every picture is generated here with Pillow (no binary fixtures)."""

from __future__ import annotations

import io
import random
import re
import struct
import sys
import time
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFile, ImageFilter, ImageFont, ImageOps, ImageStat

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from realname import image_check  # noqa: E402
from realname.findings import finding, render  # noqa: E402
from realname.image_check import (  # noqa: E402
    MAX_UPLOAD_BYTES,
    MIN_UPLOAD_BYTES,
    PROBLEM_CODES,
    build_compliant_copy,
    check_image,
    make_compliant_copy,
)

SOURCE_TEXT = (REPO_ROOT / "knowledge" / "sources" / "aliyun-realname-failures.zh.txt").read_text(encoding="utf-8")
CJK = re.compile(r"[\u4e00-\u9fff]")


def describe(report, language="zh") -> list[str]:
    """The report's findings as the customer reads them."""
    return [render(found, language) for found in image_check.describe(report)]


def manual_check_notes(report, language="zh") -> list[str]:
    return [render(found, language) for found in image_check.manual_check_notes(report)]


def reason(result, language="zh") -> str:
    return render(result.finding, language)


# ----------------------------------------------------------------------------------------------
# Picture factory
# ----------------------------------------------------------------------------------------------


def make_document(width: int = 1600, height: int = 1100, seed: int = 1, noise: int = 24, text_size: int | None = None):
    """A colour "certificate": tinted paper with random noise (so JPEG sizes are realistic), a
    coloured border, lines of dark text and a red seal."""
    rng = random.Random(seed)
    page = Image.new("RGB", (width, height), (238, 232, 214))
    if noise:
        grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        page = Image.blend(page, grain, noise / 255)
    draw = ImageDraw.Draw(page)
    border = max(4, width // 200)
    draw.rectangle([border, border, width - border - 1, height - border - 1], outline=(150, 60, 40), width=border)
    size = text_size or max(12, height // 28)
    font = ImageFont.load_default(size=size)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789  "
    y = height // 8
    while y < height * 0.85:
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(10, 30)))
        draw.text((width // 10, y), line, fill=(25, 25, 30), font=font)
        y += int(size * 1.8)
    radius = min(width, height) // 7
    cx, cy = int(width * 0.72), int(height * 0.68)
    draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=(210, 30, 35), width=max(3, radius // 12))
    draw.regular_polygon((cx, cy, radius // 3), 5, fill=(210, 30, 35))
    return page


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression-bomb shape)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def with_exif_orientation(upright: Image.Image, orientation: int, **options) -> bytes:
    """A JPEG stored sideways whose EXIF tag tells viewers how to turn it upright."""
    stored = {6: upright.transpose(Image.Transpose.ROTATE_90), 8: upright.transpose(Image.Transpose.ROTATE_270)}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, "JPEG", quality=90, exif=exif.tobytes(), **options)


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    """Mean per-channel difference (0-255) of the two pictures seen at 1/8 size, where the paper
    grain and JPEG noise average out but different content (rotation, mirroring) does not."""
    assert first.size == second.size
    small = (max(1, first.width // 8), max(1, first.height // 8))
    first, second = (p.convert("RGB").resize(small, Image.Resampling.BOX) for p in (first, second))
    return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3


@pytest.fixture(scope="module")
def document() -> Image.Image:
    return make_document()


@pytest.fixture(scope="module")
def small_document() -> Image.Image:
    """For HEIC, whose encoder is slow on noisy pictures."""
    return make_document(1000, 700, noise=8)


@pytest.fixture(scope="module")
def heic_bytes(small_document) -> bytes:
    data = encode(small_document, "HEIF", quality=90)
    assert data[4:12] == b"ftypheic"
    return data


@pytest.fixture(scope="module")
def document_jpeg(document) -> bytes:
    return encode(document, "JPEG", quality=90)


# ----------------------------------------------------------------------------------------------
# Passing pictures and the report contract
# ----------------------------------------------------------------------------------------------


def test_problem_codes_are_the_stable_list():
    assert PROBLEM_CODES == (
        "not_an_image", "truncated", "too_many_pixels", "format_unsupported", "extension_mismatch",
        "size_too_small", "size_too_large", "grayscale", "low_resolution", "too_dark", "overexposed", "blurry",
    )


def test_colour_document_jpeg_passes(document_jpeg):
    report = check_image(document_jpeg, "营业执照.jpg")
    assert report.problems == []
    assert report.passed
    assert report.to_json_dict() == {
        "format": "JPEG",
        "extension_matches": True,
        "size_bytes": len(document_jpeg),
        "width": 1600,
        "height": 1100,
        "mode": "RGB",
        "problems": [],
    }
    assert describe(report) == []


@pytest.mark.parametrize(
    ("fmt", "filename", "options", "expected_format"),
    [
        ("JPEG", "scan.JPEG", {"quality": 90}, "JPEG"),
        ("PNG", "scan.png", {}, "PNG"),
        ("WEBP", "scan.webp", {"quality": 90}, "WEBP"),
    ],
)
def test_every_supported_format_passes(document, fmt, filename, options, expected_format):
    report = check_image(encode(document, fmt, **options), filename)
    assert report.format == expected_format
    assert report.extension_matches is True
    assert report.problems == []


def test_heic_passes(heic_bytes):
    report = check_image(heic_bytes, "IMG_0001.HEIC")
    assert (report.format, report.extension_matches, report.problems) == ("HEIF", True, [])
    assert (report.width, report.height) == (1000, 700)


def test_bmp_passes_when_small_enough():
    # An uncompressed BMP of 1200 x 800 is 2.9 MB, inside the limit.
    report = check_image(encode(make_document(1200, 800), "BMP"), "scan.bmp")
    assert (report.format, report.problems) == ("BMP", [])


def test_json_dict_has_exactly_the_contract_keys():
    assert set(check_image(b"", None).to_json_dict()) == {
        "format", "extension_matches", "size_bytes", "width", "height", "mode", "problems",
    }


# ----------------------------------------------------------------------------------------------
# Format and extension
# ----------------------------------------------------------------------------------------------


def test_png_named_jpg_is_an_extension_mismatch_with_resave_advice(document):
    report = check_image(encode(document, "PNG"), "身份证.jpg")
    assert report.format == "PNG"
    assert report.extension_matches is False
    assert report.problems == ["extension_mismatch"]
    (message,) = describe(report)
    assert "另存为" in message and "不要直接修改文件后缀" in message
    assert "重命名" not in message and "改成 .png" not in message and "改为.png" not in message


def test_heic_named_jpg_is_an_extension_mismatch(heic_bytes):
    report = check_image(heic_bytes, "IMG_0002.jpg")
    assert (report.format, report.extension_matches, report.problems) == ("HEIF", False, ["extension_mismatch"])
    assert "HEIC" in describe(report)[0]


def test_real_format_comes_from_content_not_from_name(document_jpeg):
    assert check_image(document_jpeg, "scan.png").format == "JPEG"
    assert check_image(document_jpeg, "scan.png").problems == ["extension_mismatch"]


def test_name_without_extension_is_a_mismatch_and_no_name_is_not_judged(document_jpeg):
    assert check_image(document_jpeg, "scan").problems == ["extension_mismatch"]
    assert "没有扩展名" in describe(check_image(document_jpeg, "scan"))[0]
    unnamed = check_image(document_jpeg, None)
    assert (unnamed.extension_matches, unnamed.problems) == (None, [])


@pytest.mark.parametrize(("fmt", "filename"), [("GIF", "scan.gif"), ("TIFF", "scan.tif")])
def test_gif_and_tiff_are_unsupported(fmt, filename):
    picture = make_document(1000, 700)
    report = check_image(encode(picture, fmt), filename)
    assert report.format == fmt
    assert report.extension_matches is True
    assert "format_unsupported" in report.problems
    assert "extension_mismatch" not in report.problems
    message = describe(report)[report.problems.index("format_unsupported")]
    assert "另存为 JPG" in message and "不要直接修改文件后缀" in message


def test_gif_named_jpg_is_unsupported_and_mismatched():
    report = check_image(encode(make_document(1000, 700), "GIF"), "scan.jpg")
    assert {"format_unsupported", "extension_mismatch"} <= set(report.problems)


# ----------------------------------------------------------------------------------------------
# Size in bytes (55 KB read as 56,320 bytes, 5 MB as 5,000,000 bytes)
# ----------------------------------------------------------------------------------------------


def padded_jpeg(image: Image.Image, total_size: int) -> bytes:
    """A JPEG padded after its end marker (decoders ignore trailing bytes) to an exact size."""
    data = encode(image, "JPEG", quality=30)
    assert len(data) <= total_size
    return data + b"\x00" * (total_size - len(data))


def test_size_limits_are_the_stricter_reading_of_55_kb_and_5_mb():
    assert MIN_UPLOAD_BYTES == 56_320
    assert MAX_UPLOAD_BYTES == 5_000_000


@pytest.mark.parametrize(
    ("size", "expected"),
    [(56_319, ["size_too_small"]), (56_320, []), (5_000_000, []), (5_000_001, ["size_too_large"])],
)
def test_size_boundaries(size, expected):
    picture = make_document(1000, 700, noise=0)
    assert check_image(padded_jpeg(picture, size), "scan.jpg").problems == expected


def test_small_file_is_size_too_small():
    data = encode(make_document(1000, 700, noise=0), "JPEG", quality=20)
    report = check_image(data, "scan.jpg")
    assert len(data) < MIN_UPLOAD_BYTES
    assert report.problems == ["size_too_small"]
    assert "55 KB" in describe(report)[0] and "不要靠放大图片" in describe(report)[0]


def test_large_file_is_size_too_large():
    data = encode(make_document(1600, 1100), "BMP")  # 5.28 MB uncompressed
    report = check_image(data, "scan.bmp")
    assert report.problems == ["size_too_large"]
    assert report.width == 1600  # still decoded and examined: it is below the inspection bound


def test_60_mb_input_is_rejected_by_size_without_decoding(monkeypatch):
    def refuse_to_open(*args, **kwargs):
        raise AssertionError("a 60 MB input must not be opened")

    monkeypatch.setattr(Image, "open", refuse_to_open)
    data = b"\xff\xd8\xff\xe0" + bytes(60 * 1024 * 1024)
    started = time.monotonic()
    report = check_image(data, "huge.jpg")
    assert time.monotonic() - started < 1
    assert report.problems == ["size_too_large"]
    assert report.format is None
    assert "没有打开检查" in describe(report)[0]


# ----------------------------------------------------------------------------------------------
# Not pictures, damaged pictures, bombs
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "hint"),
    [
        (b"", "empty.jpg", "0 字节"),
        ("营业执照扫描件,这其实是一个文本文件。\n".encode() * 50, "license.jpg", "文本文件"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">'
         b'<rect width="800" height="600" fill="red"/></svg>', "license.svg", "SVG"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(70_000), "license.pdf", "PDF"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n", "license.eps", ""),
    ],
    ids=["zero-bytes", "text-named-jpg", "svg", "pdf", "eps-never-reaches-ghostscript"],
)
def test_non_pictures_are_not_an_image(data, filename, hint):
    report = check_image(data, filename)
    assert report.problems == ["not_an_image"]
    assert report.format is None
    (message,) = describe(report)
    assert hint in message
    assert "JPG、JPEG、PNG、BMP、HEIC、WebP" in message
    assert manual_check_notes(report) == []


@pytest.mark.parametrize("seed", range(8))
def test_random_bytes_are_not_an_image(seed):
    report = check_image(random.Random(seed).randbytes(80_000), "photo.jpg")
    assert report.problems == ["not_an_image"]


@pytest.mark.parametrize(("fmt", "cut"), [("JPEG", 0.5), ("PNG", 0.5), ("JPEG", 0.001)])
def test_truncated_files_are_truncated(document, fmt, cut):
    complete = encode(document, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    data = complete[: max(200, int(len(complete) * cut))]
    report = check_image(data, "scan.jpg" if fmt == "JPEG" else "scan.png")
    assert "truncated" in report.problems
    assert report.format == fmt
    assert "不完整" in describe(report)[0]


def test_png_claiming_ten_billion_pixels_is_too_many_pixels():
    started = time.monotonic()
    report = check_image(png_claiming_size(100_000, 100_000), "bomb.png")
    assert time.monotonic() - started < 2
    assert "too_many_pixels" in report.problems
    assert report.format == "PNG"
    assert "异常巨大" in describe(report)[report.problems.index("too_many_pixels")]


def test_picture_over_our_pixel_limit_is_not_decoded(monkeypatch):
    def refuse_to_decode(self):
        raise AssertionError("must not decode")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)
    report = check_image(png_claiming_size(9000, 8000), "big.png")  # 72 M pixels > 64 M
    assert "too_many_pixels" in report.problems
    assert "truncated" not in report.problems
    assert (report.width, report.height) == (9000, 8000)


def test_decompression_bomb_warning_raised_as_error_is_caught():
    # 100 M pixels: Pillow warns (above 89.5 M) rather than refusing; as an error it must be caught.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        report = check_image(png_claiming_size(10_000, 10_000), "bomb.png")
    assert "too_many_pixels" in report.problems


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF", "GIF", "BMP"])
def test_corrupted_bytes_never_crash(fmt):
    small = make_document(320, 240, noise=10)
    original = encode(small, fmt)
    rng = random.Random(fmt)
    for _ in range(15):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        started = time.monotonic()
        report = check_image(bytes(damaged), "x.jpg")
        assert time.monotonic() - started < 5
        assert set(report.problems) <= set(PROBLEM_CODES)
        describe(report)  # messages can always be produced


# ----------------------------------------------------------------------------------------------
# Colour, resolution, exposure, sharpness
# ----------------------------------------------------------------------------------------------


def test_grey_stored_picture_is_grayscale(document):
    report = check_image(encode(document.convert("L"), "JPEG", quality=90), "scan.jpg")
    assert report.mode == "L"
    assert report.problems == ["grayscale"]
    assert "黑白" in describe(report)[0] and "彩色" in describe(report)[0]


def test_grey_content_stored_as_rgb_is_grayscale(document):
    report = check_image(encode(document.convert("L").convert("RGB"), "JPEG", quality=90), "scan.jpg")
    assert report.mode == "RGB"
    assert report.problems == ["grayscale"]


def test_tinted_black_and_white_copy_is_near_grayscale(document):
    # A black-and-white copy under warm light: a uniform cream cast, no real colour.
    tinted = ImageOps.colorize(document.convert("L"), (20, 15, 5), (250, 240, 215))
    report = check_image(encode(tinted, "JPEG", quality=90), "scan.jpg")
    assert report.problems == ["grayscale"]


def test_small_red_seal_is_enough_colour():
    page = make_document(1600, 1100, noise=0)
    grey_page = page.convert("L").convert("RGB")
    draw = ImageDraw.Draw(grey_page)
    draw.ellipse([1050, 600, 1250, 800], outline=(210, 30, 35), width=12)  # only the seal is red
    report = check_image(encode(grey_page, "JPEG", quality=90), "scan.jpg")
    assert "grayscale" not in report.problems


def test_low_resolution():
    report = check_image(encode(make_document(900, 560), "JPEG", quality=90), "scan.jpg")
    assert report.problems == ["low_resolution"]
    assert "560" in describe(report)[0] and "600" in describe(report)[0]


def test_dark_picture_is_too_dark(document):
    dark = document.point(lambda value: int(value * 0.3))
    report = check_image(encode(dark, "JPEG", quality=90), "scan.jpg")
    assert "too_dark" in report.problems
    assert "grayscale" not in report.problems  # colour cannot be judged in the dark
    assert report.measurements["brightness_p95"] < image_check.TOO_DARK_P95_BELOW


def test_overexposed_picture(document):
    washed_out = document.point(lambda value: min(255, int(170 + value * 0.6)))
    report = check_image(encode(washed_out, "JPEG", quality=90), "scan.jpg")
    assert report.problems == ["overexposed"]
    assert "过曝" in describe(report)[0]


def test_card_scanned_on_black_lid_is_not_too_dark():
    canvas = Image.new("RGB", (2480, 1754), (5, 5, 5))  # an A4 scan at 300 dpi, lid open
    canvas.paste(make_document(1011, 638), (700, 500))  # an ID card at 300 dpi
    report = check_image(encode(canvas, "JPEG", quality=90), "scan.jpg")
    assert "too_dark" not in report.problems


def test_blurred_picture_is_blurry(document):
    report = check_image(encode(document.filter(ImageFilter.GaussianBlur(6)), "JPEG", quality=90), "scan.jpg")
    assert report.problems == ["blurry"]
    assert "模糊" in describe(report)[0]


def test_blank_picture_without_edges_is_blurry():
    report = check_image(encode(make_document(1200, 800).filter(ImageFilter.GaussianBlur(40)), "PNG"), "scan.png")
    assert "blurry" in report.problems


def _blurred_at_analysis_scale(page: Image.Image, sigma: float, sensor_noise: int, seed: int) -> bytes:
    """Blur given in pixels of the 1024-px analysis copy, then optional noise added after the blur
    (as a camera sensor would), then JPEG."""
    scale = max(page.size) / image_check.ANALYSIS_LONG_SIDE
    picture = page.filter(ImageFilter.GaussianBlur(sigma * scale)) if sigma else page
    if sensor_noise:
        rng = random.Random(seed)
        grain = Image.frombytes("L", picture.size, rng.randbytes(picture.width * picture.height))
        grain = grain.point(lambda value: 128 + (value - 128) * sensor_noise // 64).convert("RGB")
        picture = ImageChops.add(picture, grain, 1, -128)
    return encode(picture, "JPEG", quality=85)


@pytest.mark.parametrize(
    ("width", "height", "text_size"), [(1600, 1100, None), (2400, 1600, 30), (900, 650, None)]
)
@pytest.mark.parametrize("sensor_noise", [0, 8])
def test_sharpness_threshold_separates_sharp_from_blurred(width, height, text_size, sensor_noise):
    """Calibration of BLURRY_SHARPNESS_BELOW: sigma <= 1 px at analysis size passes, >= 3 px fails."""
    page = make_document(width, height, text_size=text_size)
    for sigma, should_be_blurry in [(0, False), (1, False), (3, True), (5, True)]:
        report = check_image(_blurred_at_analysis_scale(page, sigma, sensor_noise, seed=width), "scan.jpg")
        assert ("blurry" in report.problems) == should_be_blurry, (sigma, report.measurements)


def test_edge_sharpness_ignores_contrast():
    page = make_document(1200, 800).convert("L")
    faint = page.point(lambda value: 128 + (value - 128) // 2)
    sharp, faint_sharp = image_check.edge_sharpness(page), image_check.edge_sharpness(faint)
    assert sharp is not None and faint_sharp is not None
    assert abs(sharp - faint_sharp) < 0.08


# ----------------------------------------------------------------------------------------------
# Orientation and the mirror note
# ----------------------------------------------------------------------------------------------


def test_exif_orientation_is_applied_before_analysis(document):
    data = with_exif_orientation(document, 6)
    assert Image.open(io.BytesIO(data)).size == (1100, 1600)  # stored sideways
    report = check_image(data, "IMG_0003.jpg")
    assert (report.width, report.height) == (1600, 1100)  # as displayed
    assert report.exif_orientation == 6
    assert report.problems == []


def test_mirror_note_says_it_cannot_be_detected_and_how_to_check(document_jpeg):
    notes = manual_check_notes(check_image(document_jpeg, "scan.jpg"))
    mirror = notes[0]
    assert "镜像" in mirror and "无法" in mirror
    assert "文字" in mirror and "反" in mirror  # how to check: text reads backwards
    assert "更换手机或相机重新拍照" in mirror and "扫描件" in mirror  # what the source says to do
    assert any("水印" in note and "边框" in note for note in notes)


# ----------------------------------------------------------------------------------------------
# Messages
# ----------------------------------------------------------------------------------------------


def test_every_code_has_a_chinese_message_with_advice():
    for code in PROBLEM_CODES:
        report = check_image(b"", "x.jpg")
        report.problems = [code]
        report.width, report.height = 500, 400
        (message,) = describe(report)
        assert CJK.search(message), code
        assert "请" in message or "建议" in message, code  # says what to do (advice of ours is worded as 建议)


def test_advice_is_traceable_to_the_source():
    for code in PROBLEM_CODES:
        assert code in image_check.SOURCE_BASIS
    for code, quote in image_check.SOURCE_BASIS.items():
        assert quote in SOURCE_TEXT, code


def test_no_message_advises_renaming_the_extension():
    for code in PROBLEM_CODES:
        report = check_image(b"", "x.jpg")
        report.problems, report.format, report.extension = [code], "PNG", ".jpg"
        report.width, report.height = 500, 400
        for message in describe(report):
            assert "重命名" not in message
            assert not re.search(r"(改成|改为)\s*\.?(png|jpg|jpeg|bmp|heic|webp)", message, re.IGNORECASE)


# ----------------------------------------------------------------------------------------------
# Compliant copy
# ----------------------------------------------------------------------------------------------


def assert_is_upload_ready_jpeg(data: bytes) -> Image.Image:
    assert MIN_UPLOAD_BYTES <= len(data) <= MAX_UPLOAD_BYTES
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG"
    assert picture.mode == "RGB"
    assert picture.getexif().get(0x0112) in (None, 1)
    assert check_image(data, "copy.jpg").problems == []
    return picture


def test_copy_of_png_named_jpg_is_a_faithful_jpeg(document):
    data = encode(document, "PNG")
    copy = make_compliant_copy(data, "scan.jpg")
    assert copy is not None
    picture = assert_is_upload_ready_jpeg(copy)
    assert picture.size == document.size  # not scaled at all
    assert mean_difference(picture, document) < 2


def test_copy_of_heic_named_jpg(small_document, heic_bytes):
    copy = make_compliant_copy(heic_bytes, "IMG_0004.jpg")
    picture = assert_is_upload_ready_jpeg(copy)
    assert picture.size == small_document.size
    assert mean_difference(picture, small_document) < 3  # HEIC itself is lossy


def test_copy_of_unsupported_tiff():
    page = make_document(1000, 700)
    copy = make_compliant_copy(encode(page, "TIFF"), "scan.tif")
    assert mean_difference(assert_is_upload_ready_jpeg(copy), page) < 2


def test_copy_applies_exif_orientation(document):
    result = build_compliant_copy(with_exif_orientation(document, 6), "IMG_0005.jpg")
    assert result.report.problems == []  # only the orientation needed applying
    assert result.orientation_applied
    picture = assert_is_upload_ready_jpeg(result.data)
    assert picture.size == (1600, 1100)
    assert mean_difference(picture, document) < 2  # upright content, not just swapped dimensions
    assert mean_difference(picture, document.transpose(Image.Transpose.ROTATE_180)) > 10
    assert mean_difference(picture, document.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) > 10


def test_copy_of_too_large_bmp_keeps_every_pixel(document):
    result = build_compliant_copy(encode(document, "BMP"), "scan.bmp")
    assert result.report.problems == ["size_too_large"]
    picture = assert_is_upload_ready_jpeg(result.data)
    assert picture.size == document.size
    assert mean_difference(picture, document) < 2
    assert result.quality == image_check.COPY_QUALITIES[0]


def test_copy_lowers_quality_first_then_scales_down_only_as_needed(document, monkeypatch):
    monkeypatch.setattr(image_check, "MAX_UPLOAD_BYTES", 200_000)
    result = build_compliant_copy(encode(document, "PNG"), "scan.png")
    assert result.data is not None, result.reason_code
    assert len(result.data) <= 200_000
    assert result.quality == image_check.COPY_QUALITIES[-1]  # lowest quality reached before scaling
    picture = Image.open(io.BytesIO(result.data))
    assert picture.width < document.width
    assert picture.width / picture.height == pytest.approx(document.width / document.height, abs=0.01)
    assert len(result.data) > 0.8 * 200_000  # scaled down no further than needed
    assert mean_difference(picture, document.resize(picture.size, Image.Resampling.BILINEAR)) < 2


def test_copy_raises_quality_for_a_small_file_but_never_upscales():
    # A plain picture: quality 95 gives under 55 KB, quality 98 or 100 reaches it.
    page = Image.new("RGB", (700, 620), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    draw.rectangle([4, 4, 695, 615], outline=(180, 40, 40), width=6)
    draw.ellipse([420, 310, 580, 470], outline=(220, 20, 30), width=10)
    font = ImageFont.load_default(size=28)
    for row in range(2):
        draw.text((60, 60 + row * 50), "ABC 123 XYZ", fill=(0, 0, 0), font=font)
    result = build_compliant_copy(encode(page, "PNG"), "scan.png")
    assert result.report.problems == ["size_too_small"]
    assert result.quality in image_check.COPY_RAISED_QUALITIES
    picture = assert_is_upload_ready_jpeg(result.data)
    assert picture.size == page.size


def test_copy_of_small_low_quality_jpeg_is_resaved_at_high_quality():
    page = make_document(1000, 700, noise=0)
    result = build_compliant_copy(encode(page, "JPEG", quality=20), "scan.jpg")
    assert result.report.problems == ["size_too_small"]
    assert assert_is_upload_ready_jpeg(result.data).size == page.size


def test_copy_refuses_when_55_kb_cannot_be_reached_without_upscaling():
    page = Image.new("RGB", (640, 610), (250, 250, 250))
    draw = ImageDraw.Draw(page)
    draw.rectangle([10, 10, 629, 599], outline=(200, 30, 30), width=8)
    draw.rectangle([60, 60, 300, 120], fill=(20, 20, 20))
    draw.ellipse([380, 330, 560, 510], fill=(210, 30, 35))
    data = encode(page, "PNG")
    result = build_compliant_copy(data, "scan.png")
    assert result.data is None
    assert result.reason_code == "cannot_reach_min_size"
    assert "放大" in reason(result)
    assert make_compliant_copy(data, "scan.png") is None


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda page: page.convert("L"), "grayscale"),
        (lambda page: page.filter(ImageFilter.GaussianBlur(6)), "blurry"),
        (lambda page: page.point(lambda value: int(value * 0.3)), "too_dark"),
        (lambda page: page.resize((800, 550)), "low_resolution"),
    ],
    ids=["grayscale", "blurry", "too_dark", "low_resolution"],
)
def test_no_copy_when_content_is_the_problem(document, make, code):
    data = encode(make(document), "PNG")  # also an extension mismatch below, which alone is fixable
    result = build_compliant_copy(data, "scan.jpg")
    assert code in result.report.problems
    assert result.data is None
    assert result.reason_code == "not_fixable"
    assert CJK.search(reason(result))
    assert make_compliant_copy(data, "scan.jpg") is None


def test_no_copy_for_non_pictures_and_oversized_input():
    assert build_compliant_copy(b"%PDF-1.4\n", "x.pdf").reason_code == "not_fixable"
    assert build_compliant_copy(bytes(21 * 1024 * 1024), "x.jpg").reason_code == "too_large_to_process"


def test_no_copy_needed_for_a_compliant_picture(document_jpeg):
    result = build_compliant_copy(document_jpeg, "scan.jpg")
    assert (result.data, result.reason_code) == (None, "already_compliant")
    assert "无需转换" in reason(result)


def test_no_copy_for_transparent_picture(document):
    with_hole = document.convert("RGBA")
    with_hole.putalpha(Image.new("L", document.size, 255))
    ImageDraw.Draw(with_hole).rectangle([0, 0, 200, 200], fill=(0, 0, 0, 0))
    result = build_compliant_copy(encode(with_hole, "PNG"), "scan.jpg")
    assert result.reason_code == "transparent"


def test_no_copy_for_multi_page_tiff():
    pages = [make_document(1000, 700, seed=1), make_document(1000, 700, seed=2)]
    data = encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    result = build_compliant_copy(data, "scan.tif")
    assert result.reason_code == "multi_frame"


# ----------------------------------------------------------------------------------------------
# Findings: codes and parameters, and the English words
# ----------------------------------------------------------------------------------------------


def test_findings_carry_codes_and_language_neutral_parameters():
    small = check_image(encode(make_document(1000, 700, noise=0), "JPEG", quality=20), "scan.jpg")
    (found,) = image_check.describe(small)
    assert found.code == "image_size_too_small"
    assert found.params == {"size_kb": round(small.size_bytes / 1024, 1), "min_bytes": MIN_UPLOAD_BYTES}

    low = check_image(encode(make_document(900, 560), "JPEG", quality=90), "scan.jpg")
    assert image_check.describe(low) == [
        finding("image_low_resolution", width=900, height=560, min_short_side=600)]

    empty = image_check.describe(check_image(b"", "empty.jpg"))
    assert empty == [finding("image_not_an_image", kind=finding("image_kind_empty"))]


def test_english_broken_picture(document):
    complete = encode(document, "JPEG", quality=90)
    report = check_image(complete[: len(complete) // 2], "scan.jpg")
    (message,) = describe(report, "en")
    assert "incomplete or damaged" in message and "JPEG" in message and "scan or photograph" in message
    assert not CJK.search(message)

    (pdf,) = describe(check_image(b"%PDF-1.7\n" + bytes(70_000), "license.pdf"), "en")
    assert pdf.startswith("This is a PDF document, not a picture. The file cannot be recognized as a picture")
    assert "JPG, JPEG, PNG, BMP, HEIC and WebP" in pdf and not CJK.search(pdf)
    (unknown,) = describe(check_image(random.Random(1).randbytes(80_000), "photo.jpg"), "en")
    assert unknown.startswith("The file cannot be recognized as a picture") and not CJK.search(unknown)


def test_english_too_small_picture_and_low_resolution():
    data = encode(make_document(1000, 700, noise=0), "JPEG", quality=20)
    (message,) = describe(check_image(data, "scan.jpg"), "en")
    assert f"{len(data) / 1024:.1f} KB" in message and "below the 55 KB minimum" in message
    assert "56,320 bytes" in message and "do not enlarge the picture" in message
    assert not CJK.search(message)

    (low,) = describe(check_image(encode(make_document(900, 560), "JPEG", quality=90), "scan.jpg"), "en")
    assert "900×560 pixels" in low and "600" in low and "We recommend" in low and not CJK.search(low)


def test_english_unsupported_format_and_renamed_suffix(document, heic_bytes):
    report = check_image(encode(make_document(1000, 700), "GIF"), "scan.jpg")
    messages = describe(report, "en")
    unsupported = messages[report.problems.index("format_unsupported")]
    assert "real format is GIF" in unsupported and "drawing tool" in unsupported
    assert "do not directly modify the image suffix" in unsupported
    mismatch = messages[report.problems.index("extension_mismatch")]
    assert mismatch.startswith("The file name extension is “.jpg”, but the picture is actually in GIF format")

    (renamed,) = describe(check_image(heic_bytes, "IMG_0002.jpg"), "en")
    assert "HEIC/HEIF" in renamed and "suffix was changed" in renamed
    (no_extension,) = describe(check_image(encode(document, "JPEG", quality=90), "scan"), "en")
    assert no_extension.startswith("The file has no extension, and the picture is actually in JPEG format")
    assert not any(CJK.search(text) for text in messages + [renamed, no_extension])


def test_english_mirror_and_completeness_notes(document_jpeg):
    mirror, completeness = manual_check_notes(check_image(document_jpeg, "scan.jpg"), "en")
    assert "mirrored image cannot be detected" in mirror and "reads backwards" in mirror
    assert "use another phone or camera" in mirror and "scanned color copy" in mirror
    assert "watermarks" in completeness and "borders" in completeness and "Photoshop" in completeness
    assert not CJK.search(mirror + completeness)


def test_english_of_every_problem_has_no_chinese():
    for code in PROBLEM_CODES:
        for fmt, extension in (("PNG", ".jpg"), ("GIF", ""), ("JPEG", ".txt")):
            report = check_image(b"", "x.jpg")
            report.problems, report.format, report.extension = [code], fmt, extension
            report.width, report.height = 500, 400
            (message,) = describe(report, "en")
            assert message and not CJK.search(message), code


def test_english_reasons_for_no_copy(document):
    result = build_compliant_copy(encode(document.convert("L").filter(ImageFilter.GaussianBlur(6)), "PNG"), "scan.jpg")
    assert result.reason_code == "not_fixable"
    assert result.finding.code == "image_copy_not_fixable"
    zh, en = reason(result), reason(result, "en")
    assert "图片是黑白(灰度)的;图片模糊。" in zh
    assert "made automatically: the picture is black and white (grayscale); the picture is blurry." in en
    assert not CJK.search(en)
    already = build_compliant_copy(encode(document, "JPEG", quality=90), "scan.jpg")
    assert "needs no conversion" in reason(already, "en")
