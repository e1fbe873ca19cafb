"""Tests for bin/check-image, run as a subprocess the way staff run it."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMAND = REPO_ROOT / "bin" / "check-image"
MIN_UPLOAD_BYTES, MAX_UPLOAD_BYTES = 56_320, 5_000_000


def make_document(width: int = 1200, height: int = 800, seed: int = 7) -> Image.Image:
    """A noisy colour "certificate" (same recipe as tests/realname/test_image_check.py)."""
    rng = random.Random(seed)
    grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    page = Image.blend(Image.new("RGB", (width, height), (238, 232, 214)), grain, 24 / 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle([6, 6, width - 7, height - 7], outline=(150, 60, 40), width=6)
    font = ImageFont.load_default(size=height // 28)
    for row in range(12):
        line = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789 ") for _ in range(24))
        draw.text((width // 10, height // 8 + row * height // 18), line, fill=(25, 25, 30), font=font)
    draw.ellipse([width * 0.6, height * 0.55, width * 0.6 + 220, height * 0.55 + 220], outline=(210, 30, 35), width=12)
    return page


def save(image: Image.Image, path: Path, fmt: str, **options) -> Path:
    image.save(path, fmt, **options)
    return path


def run(*args: str | Path, python: str | None = sys.executable, env: dict | None = None) -> subprocess.CompletedProcess:
    command = ([python] if python else []) + [str(COMMAND if a == "CMD" else a) for a in args]
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=env or dict(os.environ)
    )


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pictures")
    page = make_document()
    return {
        "good": save(page, folder / "good.jpg", "JPEG", quality=90),
        "grey": save(page.convert("L"), folder / "grey.jpg", "JPEG", quality=90),
        "png_named_jpg": save(page, folder / "renamed.jpg", "PNG"),
    }


def test_command_is_executable_with_env_python_shebang():
    assert os.access(COMMAND, os.X_OK)
    assert COMMAND.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")


def test_passing_picture_exits_0_with_chinese_findings_and_mirror_note(pictures):
    result = run("CMD", pictures["good"])
    assert result.returncode == 0, result.stderr
    assert "通过" in result.stdout
    assert "镜像" in result.stdout  # mirroring has to be checked by a person


def test_failing_picture_exits_1_and_explains(pictures):
    result = run("CMD", pictures["grey"])
    assert result.returncode == 1, result.stderr
    assert "[grayscale]" in result.stdout and "彩色扫描" in result.stdout


def test_json_prints_exactly_one_object(pictures):
    result = run("CMD", "--json", pictures["png_named_jpg"])
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report == {
        "format": "PNG",
        "extension_matches": False,
        "size_bytes": pictures["png_named_jpg"].stat().st_size,
        "width": 1200,
        "height": 800,
        "mode": "RGB",
        "problems": ["extension_mismatch"],
    }
    good = run("CMD", "--json", pictures["good"])
    assert good.returncode == 0 and json.loads(good.stdout)["problems"] == []


def test_fix_writes_a_compliant_copy(pictures, tmp_path):
    out = tmp_path / "fixed.jpg"
    result = run("CMD", "--fix", pictures["png_named_jpg"], out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已生成" in result.stdout
    data = out.read_bytes()
    assert MIN_UPLOAD_BYTES <= len(data) <= MAX_UPLOAD_BYTES
    with Image.open(io.BytesIO(data)) as picture:
        assert (picture.format, picture.mode, picture.size) == ("JPEG", "RGB", (1200, 800))
    assert json.loads(run("CMD", "--json", out).stdout)["problems"] == []


def test_fix_refuses_content_problems_and_says_why(pictures, tmp_path):
    out = tmp_path / "fixed.jpg"
    result = run("CMD", "--fix", pictures["grey"], out)
    assert result.returncode == 1
    assert "无法自动生成" in result.stdout and "黑白" in result.stdout
    assert not out.exists()


def test_fix_of_a_compliant_picture_needs_nothing(pictures, tmp_path):
    out = tmp_path / "fixed.jpg"
    result = run("CMD", "--fix", pictures["good"], out)
    assert result.returncode == 0
    assert "无需转换" in result.stdout
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [(), ("--fix", "only-one.jpg"), ("--json", "--fix", "a.jpg", "b.jpg"), ("a.jpg", "extra.jpg"), ("--bogus", "a.jpg")],
)
def test_usage_errors_exit_2(args):
    result = run("CMD", *args)
    assert result.returncode == 2
    assert "用法" in result.stderr


def test_unreadable_paths_exit_2(tmp_path):
    missing = run("CMD", tmp_path / "missing.jpg")
    assert missing.returncode == 2 and "不存在" in missing.stderr
    directory = run("CMD", tmp_path)
    assert directory.returncode == 2 and "不是普通文件" in directory.stderr


def test_file_above_the_size_bound_is_not_read(tmp_path):
    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as handle:  # sparse 60 MB: reading it would be slow and pointless
        handle.write(b"\xff\xd8\xff\xe0")
        handle.truncate(60 * 1024 * 1024)
    result = run("CMD", "--json", huge)
    assert result.returncode == 1
    assert json.loads(result.stdout) == {
        "format": None, "extension_matches": None, "size_bytes": 60 * 1024 * 1024,
        "width": None, "height": None, "mode": None, "problems": ["size_too_large"],
    }
    refused = run("CMD", "--fix", huge, tmp_path / "out.jpg")
    assert refused.returncode == 1 and not (tmp_path / "out.jpg").exists()


def test_runs_directly_as_bin_check_image(pictures):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        ["bin/check-image", "--json", str(pictures["good"])],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["format"] == "JPEG"


def test_runs_with_the_project_venv_python(pictures):
    result = run("bin/check-image", "--json", pictures["good"], python=str(REPO_ROOT / ".venv" / "bin" / "python"))
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def python_without_pillow(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("bare-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = str(folder / "bin" / "python")
    probe = subprocess.run([python, "-c", "import PIL"], capture_output=True)
    if probe.returncode == 0:
        pytest.fail("a bare venv should not have Pillow; the re-exec path cannot be tested")
    return python


def fake_repo(tmp_path: Path, with_venv: bool) -> Path:
    """A copy of the command in a repo layout whose .venv/bin/python is the test interpreter."""
    repo = tmp_path / "repo"
    (repo / "bin").mkdir(parents=True)
    shutil.copy2(COMMAND, repo / "bin" / "check-image")
    (repo / "realname").symlink_to(REPO_ROOT / "realname")
    if with_venv:
        (repo / ".venv" / "bin").mkdir(parents=True)
        launcher = repo / ".venv" / "bin" / "python"
        launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        launcher.chmod(0o755)
    return repo


def test_reexecs_with_the_repo_venv_when_pillow_is_missing(python_without_pillow, pictures, tmp_path):
    repo = fake_repo(tmp_path, with_venv=True)
    result = subprocess.run(
        [python_without_pillow, str(repo / "bin" / "check-image"), "--json", str(pictures["good"])],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["problems"] == []


def test_without_pillow_and_without_venv_it_says_so(python_without_pillow, pictures, tmp_path):
    repo = fake_repo(tmp_path, with_venv=False)
    result = subprocess.run(
        [python_without_pillow, str(repo / "bin" / "check-image"), str(pictures["good"])],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "Pillow" in result.stderr
