"""Checks a certificate picture against the Alibaba Cloud real-name upload rules.

The rules come from knowledge/sources/aliyun-realname-failures.zh.txt (the source wins over anything
written here):

* 支持55 KB~5 MB的JPG、JPEG、PNG、BMP、HEIC、WebP图片,可为原件彩色扫描件或数码照片;
* 完整、清晰 ... 包含证件边框,无遮挡、涂抹 ... 公章为红色;
* 不支持提交黑白色的扫描件或复印件;
* 请不要直接修改文件类型后缀,需使用制图工具将图片打开后另存为 ... 格式文件;
* 证件中的内容不能PS或手动修改.

What can be measured from pixels is checked here; what cannot (mirroring, watermarks, a cut-off border,
an edited document) is returned as notes for a person to confirm (`manual_check_notes`).

Design decisions (all thresholds are module constants so they are visible and testable):

* Byte units. The source writes "55 KB~5 MB" without saying whether K/M mean 1000 or 1024. We accept
  only sizes that pass under both readings: at least 55 x 1024 = 56,320 bytes and at most
  5 x 1000 x 1000 = 5,000,000 bytes. A file inside that window cannot be refused by either reading.
* The real format comes from the content (Pillow's detection), never from the file name. Pillow's "MPO"
  (a JPEG with extra preview pictures, written by many phones) is reported as "JPEG".
* Untrusted input: files above MAX_INSPECT_BYTES are never decoded; pictures above MAX_PIXELS are never
  decoded; Pillow is only allowed to try a fixed list of formats (no EPS, which would start Ghostscript);
  every decoder error is turned into a problem code, never an exception.
* Analysis runs on a copy whose long side is at most ANALYSIS_LONG_SIDE pixels, after the EXIF orientation
  is applied. JPEGs are decoded directly at a reduced scale (Pillow's draft mode) so memory stays small.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import PurePath

import pillow_heif
from PIL import Image, ImageChops, ImageFilter, ImageMath

from realname.findings import Finding, finding

# HEIC is one of the six formats the source allows; Pillow reads it through this plugin.
pillow_heif.register_heif_opener()

# ----------------------------------------------------------------------------------------------
# Limits
# ----------------------------------------------------------------------------------------------

#: Smallest accepted file: 55 KB read as 55 x 1024 bytes (the stricter reading, see module docstring).
MIN_UPLOAD_BYTES = 55 * 1024
#: Largest accepted file: 5 MB read as 5 x 1000 x 1000 bytes (the stricter reading).
MAX_UPLOAD_BYTES = 5 * 1000 * 1000
#: Inputs larger than this are reported as size_too_large without being decoded at all.
MAX_INSPECT_BYTES = 20 * 1024 * 1024
#: Pictures with more pixels are not decoded (a 50-megapixel phone photo is 8160 x 6144 = 50.1 M).
#: Kept below Pillow's own MAX_IMAGE_PIXELS (89.5 M) so we decide before Pillow warns; decoded RGB
#: data stays under about 192 MB.
MAX_PIXELS = 64_000_000
#: The short side must have at least this many pixels (an ID card scanned at 300 dpi is 1011 x 638).
MIN_SHORT_SIDE_PX = 600
#: Long side of the downscaled copy all pixel measurements are made on.
ANALYSIS_LONG_SIDE = 1024

#: Colour: a pixel counts as coloured when max(R,G,B) - min(R,G,B) >= this (0-255 scale). 48 ignores
#: the cream or bluish cast of a black-and-white copy photographed under warm or cold light (casts
#: measured up to about 35) while red seals (about 150) and skin tones (about 80) count.
COLOURED_PIXEL_MIN_CHROMA = 48
#: The picture is near-grayscale when fewer than this share of its pixels is coloured. Estimate,
#: not measured on real scans: a 42 mm seal ring with its star and text plus the national emblem
#: cover roughly 0.5 % of a business licence; the tests show a lone red seal ring is enough.
MIN_COLOURED_PIXEL_SHARE = 0.002

#: Too dark: even the brightest 5 % of pixels are darker than this luminance (0-255, ITU-R 601).
#: Using the 95th percentile (not the mean) keeps a card scanned on a black scanner lid acceptable.
TOO_DARK_P95_BELOW = 100
#: Overexposed: even the darkest 1 % of pixels is at least this light (ink and seal washed out) ...
OVEREXPOSED_P1_AT_LEAST = 150
#: ... and at least this share of pixels is blown out to (near) white (luminance >= 250).
OVEREXPOSED_CLIPPED_SHARE = 0.25
OVEREXPOSED_CLIPPED_LEVEL = 250

#: Sharpness = median, over strong-edge pixels, of (largest 1-pixel step nearby / local contrast),
#: measured on the grey analysis copy after a light denoising blur. A crisp edge puts most of its
#: contrast into one pixel step; a blurred edge spreads it. Measured on generated documents (see
#: tests): sharp 0.50-0.61, Gaussian blur of sigma 1 px (at analysis size) 0.32-0.36, sigma 1.5
#: 0.25-0.28, sigma 2 0.23-0.25, sigma 3 or more 0.13-0.23, also with added sensor-like noise.
#: So pictures softer than about sigma 2 at 1024 px are flagged; slightly soft ones pass.
BLURRY_SHARPNESS_BELOW = 0.24
SHARPNESS_DENOISE_RADIUS = 0.7
#: Local contrast (max - min in a 9 x 9 window) that makes a pixel part of a "strong edge".
EDGE_MIN_CONTRAST = 64
#: With fewer strong-edge pixels than this share there is nothing sharp in the picture at all.
EDGE_MIN_SHARE = 0.0005

# ----------------------------------------------------------------------------------------------
# Formats
# ----------------------------------------------------------------------------------------------

#: The formats the source allows, as Pillow names them, with the extensions that fit each.
#: HEIF content is only accepted as ".heic", the one name the source lists.
SUPPORTED_FORMATS: dict[str, tuple[str, ...]] = {
    "JPEG": (".jpg", ".jpeg"),
    "PNG": (".png",),
    "BMP": (".bmp",),
    "HEIF": (".heic",),
    "WEBP": (".webp",),
}
_SUPPORTED_LABEL = "JPG、JPEG、PNG、BMP、HEIC、WebP"

#: Formats Pillow may try. Supported ones plus common image formats we recognise in order to say
#: "unsupported format" instead of "not an image". Left out on purpose: EPS (runs Ghostscript),
#: and formats without a reliable signature (TGA, PCX ...) that random bytes could match.
Image.init()  # load every Pillow plugin now; Image.open(formats=...) only knows loaded ones
_OPENABLE_FORMATS = tuple(
    name
    for name in ("JPEG", "MPO", "PNG", "BMP", "HEIF", "WEBP", "GIF", "TIFF", "ICO", "AVIF", "JPEG2000", "PSD")
    if name in Image.OPEN  # AVIF and JPEG2000 depend on how Pillow was built
)

#: Problem codes, in the order they are reported. These strings are a stable interface.
PROBLEM_CODES = (
    "not_an_image",
    "truncated",
    "too_many_pixels",
    "format_unsupported",
    "extension_mismatch",
    "size_too_small",
    "size_too_large",
    "grayscale",
    "low_resolution",
    "too_dark",
    "overexposed",
    "blurry",
)

#: Problems a faithful re-save as JPEG can fix (orientation is fixed too, it is not a problem code).
FIXABLE_BY_CONVERSION = frozenset(
    {"format_unsupported", "extension_mismatch", "size_too_small", "size_too_large"}
)

_JSON_KEYS = ("format", "extension_matches", "size_bytes", "width", "height", "mode", "problems")

_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
_EXIF_ORIENTATION_TAG = 0x0112


@dataclass
class ImageReport:
    format: str | None
    extension_matches: bool | None
    size_bytes: int
    width: int | None  # after EXIF orientation is applied
    height: int | None
    mode: str | None  # Pillow mode of the file as stored (RGB, L, P, RGBA, CMYK ...)
    problems: list[str] = field(default_factory=list)
    # Not part of the JSON contract: details for describe(), notes and the staff command.
    extension: str | None = None  # lower-case extension of the given name, "" when it has none
    exif_orientation: int | None = None  # 1-8 as found in the file, None when absent
    content_hint: str | None = None  # "PDF", "SVG" or "text" when a non-image was recognised
    measurements: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def decoded(self) -> bool:
        """True when the pixels could be examined (colour, exposure, sharpness)."""
        return "brightness_p95" in self.measurements

    def to_json_dict(self) -> dict:
        result = {key: getattr(self, key) for key in _JSON_KEYS}
        result["problems"] = list(self.problems)
        return result

    def _add(self, code: str) -> None:
        if code not in self.problems:
            self.problems.append(code)
            self.problems.sort(key=PROBLEM_CODES.index)


# ----------------------------------------------------------------------------------------------
# Checking
# ----------------------------------------------------------------------------------------------


def check_image(data: bytes, filename: str | None) -> ImageReport:
    """Examine an uploaded file. Never raises for bad input; problems are reported as codes."""
    data = bytes(data)
    report = ImageReport(
        format=None,
        extension_matches=None,
        size_bytes=len(data),
        width=None,
        height=None,
        mode=None,
        extension=_extension_of(filename),
    )
    if len(data) > MAX_INSPECT_BYTES:
        # Decoding this much data is a risk and the file has to be made smaller anyway.
        return oversized_report(len(data), filename)
    if not data:
        report._add("not_an_image")
        return report

    try:
        image = Image.open(io.BytesIO(data), formats=_OPENABLE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        report.format = sniff_image_format(data)
        _check_name_and_size(report)
        report._add("too_many_pixels")
        return report
    except Exception:  # noqa: BLE001 - any decoder failure on untrusted bytes is a finding, not a crash
        report.format = sniff_image_format(data)
        if report.format is None:
            report.content_hint = _sniff_non_image(data)
            report._add("not_an_image")
        else:
            _check_name_and_size(report)
            report._add("truncated")
        return report

    with image:
        report.format = _normalised_format(image.format)
        report.mode = image.mode
        report.exif_orientation = _exif_orientation(image)
        report.width, report.height = _displayed_size(image, report.exif_orientation)
        _check_name_and_size(report)

        if image.width * image.height > MAX_PIXELS:
            report._add("too_many_pixels")
            return report
        if min(report.width, report.height) < MIN_SHORT_SIDE_PX:
            report._add("low_resolution")

        try:
            analysis_copy = _analysis_copy(image, report.exif_orientation)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            report._add("too_many_pixels")
            return report
        except Exception:  # noqa: BLE001 - truncated or corrupt pixel data
            report._add("truncated")
            return report

    _measure_pixels(report, analysis_copy)
    return report


def oversized_report(size_bytes: int, filename: str | None) -> ImageReport:
    """Report for a file too large to be read or decoded at all (size known from disk or upload)."""
    return ImageReport(
        format=None,
        extension_matches=None,
        size_bytes=size_bytes,
        width=None,
        height=None,
        mode=None,
        problems=["size_too_large"],
        extension=_extension_of(filename),
    )


def _check_name_and_size(report: ImageReport) -> None:
    """Format, extension and byte-size findings (needs report.format and report.extension)."""
    fmt = report.format
    if fmt is None:
        return
    if fmt not in SUPPORTED_FORMATS:
        report._add("format_unsupported")
    if report.extension is not None:  # no name given: nothing to compare
        if fmt in SUPPORTED_FORMATS:
            report.extension_matches = report.extension in SUPPORTED_FORMATS[fmt]
        else:
            pillow_format = Image.registered_extensions().get(report.extension)
            report.extension_matches = _normalised_format(pillow_format) == fmt
        if not report.extension_matches:
            report._add("extension_mismatch")
    if report.size_bytes < MIN_UPLOAD_BYTES:
        report._add("size_too_small")
    elif report.size_bytes > MAX_UPLOAD_BYTES:
        report._add("size_too_large")


def _analysis_copy(image: Image.Image, orientation: int | None) -> Image.Image:
    """Decode at reduced size, apply orientation, return an RGB copy with long side <= 1024."""
    scale = min(1.0, ANALYSIS_LONG_SIDE / max(image.size))
    target = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    image.draft(None, target)  # JPEG only: decode at 1/2, 1/4 or 1/8 scale; no-op otherwise
    image.load()
    picture = _apply_orientation(image, orientation)
    picture = _as_rgb(picture, background=(255, 255, 255))
    picture.thumbnail((ANALYSIS_LONG_SIDE, ANALYSIS_LONG_SIDE), Image.Resampling.LANCZOS)
    return picture


def _measure_pixels(report: ImageReport, rgb: Image.Image) -> None:
    pixel_count = rgb.width * rgb.height

    luminance = rgb.convert("L")
    histogram = luminance.histogram()
    p1 = _percentile(histogram, 0.01)
    p95 = _percentile(histogram, 0.95)
    clipped_share = sum(histogram[OVEREXPOSED_CLIPPED_LEVEL:]) / pixel_count
    report.measurements.update(
        brightness_p1=p1, brightness_p95=p95, clipped_share=round(clipped_share, 4)
    )
    too_dark = p95 < TOO_DARK_P95_BELOW
    overexposed = p1 >= OVEREXPOSED_P1_AT_LEAST and clipped_share >= OVEREXPOSED_CLIPPED_SHARE
    if too_dark:
        report._add("too_dark")
    if overexposed:
        report._add("overexposed")

    coloured_share = _coloured_pixel_share(rgb)
    report.measurements["coloured_share"] = round(coloured_share, 5)
    # In a very dark picture colours cannot show, so only a grey storage mode counts there.
    if report.mode in _GREY_MODES or (coloured_share < MIN_COLOURED_PIXEL_SHARE and not too_dark):
        report._add("grayscale")

    sharpness = edge_sharpness(luminance)
    if sharpness is None:
        # No strong edge anywhere: either heavily blurred or an exposure problem already reported.
        if not (too_dark or overexposed):
            report._add("blurry")
    else:
        report.measurements["sharpness"] = round(sharpness, 3)
        if sharpness < BLURRY_SHARPNESS_BELOW:
            report._add("blurry")


def _coloured_pixel_share(rgb: Image.Image) -> float:
    red, green, blue = rgb.split()
    brightest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    darkest = ImageChops.darker(ImageChops.darker(red, green), blue)
    chroma_histogram = ImageChops.subtract(brightest, darkest).histogram()
    return sum(chroma_histogram[COLOURED_PIXEL_MIN_CHROMA:]) / (rgb.width * rgb.height)


def edge_sharpness(grey: Image.Image) -> float | None:
    """Median of (largest nearby 1-px step / local contrast) over strong-edge pixels, 0..1.

    Returns None when the picture has (almost) no strong edges. Scale-free in brightness and
    contrast, so a sparse document and a dense one score alike. Uses only Pillow filters.
    """
    grey = grey.filter(ImageFilter.GaussianBlur(SHARPNESS_DENOISE_RADIUS))  # tames sensor noise
    step_x = ImageChops.difference(grey, ImageChops.offset(grey, 1, 0))
    step_y = ImageChops.difference(grey, ImageChops.offset(grey, 0, 1))
    step = ImageChops.lighter(step_x, step_y)
    largest_step_nearby = _window_extreme(step, 2, ImageChops.lighter)  # 5 x 5 window
    local_contrast = ImageChops.subtract(
        _window_extreme(grey, 4, ImageChops.lighter),  # 9 x 9 window
        _window_extreme(grey, 4, ImageChops.darker),
    )
    # ImageChops.offset wraps around; the outermost pixels compare opposite borders, so skip them.
    border = 5
    inner = (border, border, grey.width - border, grey.height - border)
    if inner[2] <= inner[0] or inner[3] <= inner[1]:
        return None
    largest_step_nearby = largest_step_nearby.crop(inner)
    local_contrast = local_contrast.crop(inner)

    edge_mask = local_contrast.point(lambda v: 255 if v >= EDGE_MIN_CONTRAST else 0)
    ratio = ImageMath.lambda_eval(
        lambda env: env["float"](env["step"]) * 255 / env["max"](env["float"](env["contrast"]), 1),
        step=largest_step_nearby,
        contrast=local_contrast,
    ).convert("L")
    histogram = ratio.histogram(mask=edge_mask)
    edge_pixels = sum(histogram)
    if edge_pixels < max(50, EDGE_MIN_SHARE * local_contrast.width * local_contrast.height):
        return None
    return _percentile(histogram, 0.5) / 255


# ----------------------------------------------------------------------------------------------
# Findings for customers (the words are in knowledge/findings/images.yml)
# ----------------------------------------------------------------------------------------------

#: For every code, the sentence of the source the advice rests on (verbatim; tests check this).
SOURCE_BASIS: dict[str, str] = {
    "not_an_image": "目前支持JPG、JPEG、PNG、BMP、HEIC、WebP格式的文件",
    "truncated": "提交的扫描件或照片必须为完整、清晰的电子版文件",
    "too_many_pixels": "支持55 KB~5 MB的JPG、JPEG、PNG、BMP、HEIC、WebP图片",
    "format_unsupported": "需使用制图工具将图片打开后另存为JPG、JPEG、PNG、BMP、HEIC、WebP格式文件",
    "extension_mismatch": "请勿直接修改图片后缀,否则上传资料后系统无法识别会导致上传失败",
    "size_too_small": "支持55 KB~5 MB的JPG、JPEG、PNG、BMP、HEIC、WebP图片",
    "size_too_large": "支持55 KB~5 MB的JPG、JPEG、PNG、BMP、HEIC、WebP图片",
    "grayscale": "不支持提交黑白色的扫描件或复印件",
    "low_resolution": "提交的扫描件或照片必须为完整、清晰的电子版文件",
    "too_dark": "提交的扫描件或照片必须为完整、清晰的电子版文件",
    "overexposed": "提交的扫描件或照片必须为完整、清晰的电子版文件",
    "blurry": "提交的扫描件或照片必须为完整、清晰的电子版文件",
    "mirror_note": "因有些摄像头会自动把照片镜像,此种情况建议您更换手机或相机重新拍照",
    "completeness_note": "包含证件边框,无遮挡、涂抹,确保颁证机关的公章为红色且清晰完整",
}

#: Shown for every picture: mirroring cannot be seen in the pixels.
MIRROR_NOTE = finding("image_mirror_note")
#: Shown for every picture: completeness, watermarks and edits are for a person to judge.
COMPLETENESS_NOTE = finding("image_completeness_note")

#: What a non-image was recognised as (ImageReport.content_hint), said before the format rule.
_CONTENT_KIND = {
    "PDF": finding("image_kind_pdf"),
    "SVG": finding("image_kind_svg"),
    "text": finding("image_kind_text"),
}


def describe(report: ImageReport) -> list[Finding]:
    """One finding per problem, in report order: what is wrong and what to do."""
    return [_FINDINGS[code](report) for code in report.problems]


def manual_check_notes(report: ImageReport) -> list[Finding]:
    """Checks no program can make from pixels; shown whenever the content is a picture."""
    if report.format is None:
        return []
    return [MIRROR_NOTE, COMPLETENESS_NOTE]


def format_label(fmt: str | None) -> str:
    """How a format is named to people (HEIF content is what the source calls HEIC)."""
    return {"HEIF": "HEIC/HEIF", "WEBP": "WebP", "JPEG2000": "JPEG 2000"}.get(fmt or "", fmt or "未知")


def _kb(size: int) -> float:
    return round(size / 1024, 1)


def _not_an_image(r: ImageReport) -> Finding:
    kind = finding("image_kind_empty") if r.size_bytes == 0 else _CONTENT_KIND.get(r.content_hint or "")
    return finding("image_not_an_image", kind=kind)


def _truncated(r: ImageReport) -> Finding:
    return finding("image_truncated", format=format_label(r.format))


def _too_many_pixels(r: ImageReport) -> Finding:
    limit = MAX_PIXELS // 1_000_000
    if r.width and r.height:
        return finding("image_too_many_pixels", width=r.width, height=r.height,
                       megapixels=round(r.width * r.height / 1e6), limit_megapixels=limit)
    return finding("image_too_many_pixels_declared", limit_megapixels=limit)


def _format_unsupported(r: ImageReport) -> Finding:
    return finding("image_format_unsupported", format=format_label(r.format))


def _extension_mismatch(r: ImageReport) -> Finding:
    if r.extension:
        name = finding("image_extension_named", extension=r.extension)
    else:
        name = finding("image_extension_missing")
    if r.format in SUPPORTED_FORMATS and r.extension in _all_supported_extensions():
        code = "image_extension_mismatch_renamed"
    elif r.format in SUPPORTED_FORMATS:
        code = "image_extension_not_accepted"
    else:
        code = "image_extension_mismatch"
    return finding(code, name=name, format=format_label(r.format))


def _size_too_small(r: ImageReport) -> Finding:
    return finding("image_size_too_small", size_kb=_kb(r.size_bytes), min_bytes=MIN_UPLOAD_BYTES)


def _size_too_large(r: ImageReport) -> Finding:
    not_opened = finding("image_not_opened") if r.size_bytes > MAX_INSPECT_BYTES else None
    return finding("image_size_too_large", size_mb=round(r.size_bytes / 1_000_000, 1),
                   max_bytes=MAX_UPLOAD_BYTES, not_opened=not_opened)


def _low_resolution(r: ImageReport) -> Finding:
    return finding("image_low_resolution", width=r.width, height=r.height, min_short_side=MIN_SHORT_SIDE_PX)


_FINDINGS = {
    "not_an_image": _not_an_image,
    "truncated": _truncated,
    "too_many_pixels": _too_many_pixels,
    "format_unsupported": _format_unsupported,
    "extension_mismatch": _extension_mismatch,
    "size_too_small": _size_too_small,
    "size_too_large": _size_too_large,
    "grayscale": lambda r: finding("image_grayscale"),
    "low_resolution": _low_resolution,
    "too_dark": lambda r: finding("image_too_dark"),
    "overexposed": lambda r: finding("image_overexposed"),
    "blurry": lambda r: finding("image_blurry"),
}


def joined(items: list[Finding], code: str) -> Finding:
    """The items as one finding, nested pairwise in `code` ("{first:finding};{rest:finding}"): a list in
    {x:finding} is joined as sentences, and these parts of a sentence need their own separator."""
    first, *rest = items
    return first if not rest else finding(code, first=first, rest=joined(rest, code))


# ----------------------------------------------------------------------------------------------
# Compliant copy
# ----------------------------------------------------------------------------------------------

#: JPEG qualities tried from best to worst before the picture is scaled down. Below 70 JPEG
#: artefacts around small characters become visible, so we scale down rather than go lower.
COPY_QUALITIES = (95, 90, 85, 80, 75, 70)
#: Qualities tried, in order, when even quality 95 gives fewer than MIN_UPLOAD_BYTES.
COPY_RAISED_QUALITIES = (98, 100)


@dataclass
class CompliantCopy:
    data: bytes | None  # the JPEG, or None when no copy can or needs to be made
    reason_code: str | None  # why there is no copy: see the codes below
    finding: Finding | None  # the same for people: image_copy_<reason_code>
    report: ImageReport  # findings on the original
    quality: int | None = None
    width: int | None = None
    height: int | None = None
    orientation_applied: bool = False  # the EXIF orientation was turned into real pixel rotation

    # reason codes: too_large_to_process, not_fixable, already_compliant, multi_frame,
    # transparent, cannot_reach_min_size, cannot_reach_max_size, decode_failed


def make_compliant_copy(data: bytes, filename: str | None) -> bytes | None:
    """A colour JPEG within 55 KB-5 MB, or None (use build_compliant_copy for the reason)."""
    return build_compliant_copy(data, filename).data


def build_compliant_copy(data: bytes, filename: str | None) -> CompliantCopy:
    """Re-save the picture as an upload-ready JPEG when only format/name/size/orientation are wrong.

    The content is never altered: no upscaling, sharpening, padding or colour change beyond the
    conversion to RGB. Orientation is applied. Quality is lowered first; the picture is scaled down
    only when quality COPY_QUALITIES[-1] is still too large, and only as far as needed.
    """
    report = check_image(data, filename)
    if report.size_bytes > MAX_INSPECT_BYTES:
        return _no_copy("too_large_to_process", report, limit_mb=MAX_INSPECT_BYTES // (1024 * 1024))
    blocking = [code for code in report.problems if code not in FIXABLE_BY_CONVERSION]
    if blocking:
        reasons = joined([finding(f"image_copy_reason_{code}") for code in blocking], "image_copy_reasons")
        return _no_copy("not_fixable", report, reasons=reasons)
    orientation_to_apply = report.exif_orientation not in (None, 1) and report.format != "HEIF"
    if not report.problems and not orientation_to_apply:
        return _no_copy("already_compliant", report)

    try:
        with Image.open(io.BytesIO(data), formats=_OPENABLE_FORMATS) as image:
            if getattr(image, "n_frames", 1) > 1 and image.format not in ("MPO", "HEIF"):
                return _no_copy("multi_frame", report)
            image.load()
            picture = _apply_orientation(image, report.exif_orientation)
            if _has_transparency(picture):
                return _no_copy("transparent", report)
            icc_profile = picture.info.get("icc_profile") if picture.mode != "CMYK" else None
            rgb = _as_rgb(picture, background=None)
    except Exception:  # noqa: BLE001 - the check decoded it already; be safe on a second decode
        return _no_copy("decode_failed", report)

    result = _encode_within_limits(rgb, icc_profile, report)
    result.orientation_applied = result.data is not None and orientation_to_apply
    return result


def _encode_within_limits(rgb: Image.Image, icc_profile: bytes | None, report: ImageReport) -> CompliantCopy:
    def encode(picture: Image.Image, quality: int) -> bytes:
        buffer = io.BytesIO()
        # 4:4:4 chroma keeps thin red seal strokes crisp; EXIF is dropped (orientation is applied).
        picture.save(buffer, "JPEG", quality=quality, subsampling=0, icc_profile=icc_profile)
        return buffer.getvalue()

    def done(jpeg: bytes, quality: int, picture: Image.Image) -> CompliantCopy:
        return CompliantCopy(jpeg, None, None, report, quality, picture.width, picture.height)

    first = encode(rgb, COPY_QUALITIES[0])
    if len(first) < MIN_UPLOAD_BYTES:
        for quality in COPY_RAISED_QUALITIES:
            jpeg = encode(rgb, quality)
            if len(jpeg) >= MIN_UPLOAD_BYTES:
                return done(jpeg, quality, rgb)
        return _no_copy("cannot_reach_min_size", report, size_kb=_kb(len(jpeg)))

    for quality in COPY_QUALITIES:
        jpeg = first if quality == COPY_QUALITIES[0] else encode(rgb, quality)
        if len(jpeg) <= MAX_UPLOAD_BYTES:
            return done(jpeg, quality, rgb)

    # Still too large at the lowest quality: scale down, as little as needed (bisection on scale).
    quality = COPY_QUALITIES[-1]
    too_big_scale, fitting_scale, fitting = 1.0, None, None
    scale = min(0.99, math.sqrt(MAX_UPLOAD_BYTES / len(jpeg)))
    for _ in range(10):
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        if min(size) < MIN_SHORT_SIDE_PX:
            break
        # BILINEAR with Pillow's area support: anti-aliased, no overshoot (no sharpening).
        smaller = rgb.resize(size, Image.Resampling.BILINEAR)
        candidate = encode(smaller, quality)
        if len(candidate) <= MAX_UPLOAD_BYTES:
            fitting_scale, fitting = scale, (candidate, smaller)
            if too_big_scale - scale < 0.02:
                break
            scale = (scale + too_big_scale) / 2
        else:
            too_big_scale = scale
            scale = scale * 0.9 if fitting_scale is None else (fitting_scale + too_big_scale) / 2
    if fitting is not None and len(fitting[0]) >= MIN_UPLOAD_BYTES:
        return done(fitting[0], quality, fitting[1])
    return _no_copy("cannot_reach_max_size", report)


def _no_copy(reason_code: str, report: ImageReport, **params: object) -> CompliantCopy:
    return CompliantCopy(None, reason_code, finding(f"image_copy_{reason_code}", **params), report)


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


def _extension_of(filename: str | None) -> str | None:
    if filename is None:
        return None
    return PurePath(filename.replace("\\", "/")).suffix.lower()


def _all_supported_extensions() -> set[str]:
    return {ext for exts in SUPPORTED_FORMATS.values() for ext in exts}


def _normalised_format(pillow_format: str | None) -> str | None:
    return "JPEG" if pillow_format == "MPO" else pillow_format


def sniff_image_format(data: bytes) -> str | None:
    """The format (Pillow's name: "JPEG", "PNG", "HEIF", "AVIF" ...) from the file signature, or None.

    Used for files Pillow could not finish opening, and by the channels as a first filter on uploads."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"BM") and len(head) >= 14:
        return "BMP"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIF"
        if brand in (b"avif", b"avis"):
            return "AVIF"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


def _sniff_non_image(data: bytes) -> str | None:
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "PDF"
    lowered = head.lower()
    if b"<svg" in lowered:
        return "SVG"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut off at the 1 KB boundary
            return None
    return "text" if head and b"\x00" not in head else None


def _exif_orientation(image: Image.Image) -> int | None:
    if image.format == "HEIF":
        # pillow-heif has already rotated the pixels and reset the tag; it keeps the original here.
        value = image.info.get("original_orientation")
    else:
        try:
            value = image.getexif().get(_EXIF_ORIENTATION_TAG)
        except Exception:  # noqa: BLE001 - corrupt EXIF must not stop the check
            return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _displayed_size(image: Image.Image, orientation: int | None) -> tuple[int, int]:
    width, height = image.size
    if image.format != "HEIF" and orientation in (5, 6, 7, 8):
        return height, width
    return width, height


def _apply_orientation(image: Image.Image, orientation: int | None) -> Image.Image:
    """Rotate/mirror as the EXIF tag says, like a photo viewer would (HEIF is already upright).

    Same mapping as ImageOps.exif_transpose, but driven by the orientation we already read (which
    for HEIF lives in info["original_orientation"] and is already applied by pillow-heif)."""
    if image.format == "HEIF" or orientation in (None, 1):
        return image
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }[orientation]
    return image.transpose(method)


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        return image.getchannel("A").getextrema()[0] < 255
    if "transparency" in image.info:
        return _has_transparency(image.convert("RGBA"))
    return False


def _as_rgb(image: Image.Image, background: tuple[int, int, int] | None) -> Image.Image:
    """RGB copy. 16-bit grey is scaled to 8 bits; transparency is laid on `background` if given."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        image = image.convert("I")
    if image.mode == "I":
        return image.point(lambda value: value * (1 / 256)).convert("L").convert("RGB")
    if background is not None and (image.mode in ("RGBA", "LA", "La", "PA") or "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, background + (255,))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    return image.convert("RGB")


def _window_extreme(image: Image.Image, radius: int, combine) -> Image.Image:
    """Max (combine=lighter) or min (darker) over a (2r+1) square window, done separably with
    shifted copies: same result as ImageFilter.MaxFilter/MinFilter away from the border, ~4x faster.
    Shifts wrap around, so the outer `radius` pixels are meaningless (callers crop them)."""
    rows = image
    for shift in range(1, radius + 1):
        rows = combine(rows, ImageChops.offset(image, shift, 0))
        rows = combine(rows, ImageChops.offset(image, -shift, 0))
    result = rows
    for shift in range(1, radius + 1):
        result = combine(result, ImageChops.offset(rows, 0, shift))
        result = combine(result, ImageChops.offset(rows, 0, -shift))
    return result


def _percentile(histogram: list[int], share: float) -> int:
    total = sum(histogram)
    running = 0
    for value, count in enumerate(histogram):
        running += count
        if running >= total * share:
            return value
    return len(histogram) - 1
