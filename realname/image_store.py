"""Where uploaded certificate pictures live while they are being checked.

Pictures are identity documents: they are written only into one private folder, under random names,
readable by this user only, and deleted after the check (`discard`, or `temporary_upload` which does it
for you). Nothing here keeps a picture longer than a check.

The folder comes from the environment variable REALNAME_IMAGE_DIR, read at each call. Without it, a
folder "realname-images-<uid>" under tempfile.gettempdir() is used, created with mode 0700 and refused
if someone else owns it or it is a symlink (shared /tmp).

`load` reads only files whose resolved real path is inside that folder: "..", symlinks pointing out and
absolute paths elsewhere are refused with ImageStoreError("path_not_allowed"). Files above
MAX_STORED_BYTES are refused from their size on disk, without reading them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterator

from realname.findings import finding

#: Environment variable naming the folder uploads are kept in while being checked.
IMAGE_DIR_ENV = "REALNAME_IMAGE_DIR"
#: Larger files are neither stored nor read (the upload limit is 5 MB; this leaves room for a photo
#: that still has to be converted, and keeps memory bounded).
MAX_STORED_BYTES = 20 * 1024 * 1024
#: A compliant copy (made for download on the web page) is kept this long at most; the text that
#: offers it says so.
COPY_LIFETIME_SECONDS = 600
#: The name the user's browser saves a compliant copy under.
COPY_FILENAME = "证件图片-合规副本.jpg"

_EXTENSION_PATTERN = re.compile(r"\.[a-z0-9]{1,10}")

#: The finding of each error code (words in knowledge/findings/images.yml).
_FINDING_CODES = {
    "path_not_allowed": "image_store_path_not_allowed",
    "not_found": "image_store_not_found",
    "not_a_file": "image_store_not_a_file",
    "not_readable": "image_store_not_readable",
    "too_large": "image_store_too_large",
    "store_unsafe": "image_store_unsafe",
}


class ImageStoreError(Exception):
    """A refused store operation. `code` is stable; `finding` says it to the user (render it)."""

    def __init__(self, code: str, **details: object) -> None:
        self.code = code
        if code == "too_large":
            details["limit_mb"] = MAX_STORED_BYTES // (1024 * 1024)
        self.finding = finding(_FINDING_CODES[code], **details)
        super().__init__(f"{code} {details}" if details else code)  # for logs: no sentence in any language


def image_dir() -> Path:
    """The allowed folder (created if missing). Raises ImageStoreError("store_unsafe")."""
    configured = os.environ.get(IMAGE_DIR_ENV)
    if configured:
        folder = Path(configured).expanduser()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Path(os.path.realpath(folder))

    folder = Path(tempfile.gettempdir()) / f"realname-images-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = os.lstat(folder)
    # In a shared temp folder someone else could have created the name first: refuse to use it.
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ImageStoreError("store_unsafe", path=str(folder))
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return Path(os.path.realpath(folder))  # the temp folder itself may be a symlink


def save_upload(data: bytes, filename: str | None) -> str:
    """Store an upload privately (mode 0600) under a random name with the original extension.

    Returns the reference to pass to `load` and `discard` (the stored file's name).
    """
    if len(data) > MAX_STORED_BYTES:
        raise ImageStoreError("too_large")
    ref = secrets.token_hex(16) + _safe_extension(filename)
    path = image_dir() / ref
    # O_EXCL + O_NOFOLLOW: never write through an existing file or a planted symlink.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            fd = -1  # the file object owns it now
            handle.write(data)
    except BaseException:
        if fd != -1:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    return ref


def load(ref_or_path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """Read a stored upload. Returns (bytes, file name); the name keeps the upload's extension."""
    path = _resolve_inside_store(ref_or_path)
    return read_file_bounded(path), path.name


def discard(ref_or_path: str | os.PathLike[str]) -> None:
    """Delete a stored upload. Deleting one that is already gone is not an error."""
    path = _resolve_inside_store(ref_or_path, must_exist=False)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def temporary_upload(data: bytes, filename: str | None) -> Iterator[str]:
    """Store an upload for the length of a `with` block and always delete it afterwards."""
    ref = save_upload(data, filename)
    try:
        yield ref
    finally:
        discard(ref)


def purge_older_than(max_age_seconds: float) -> int:
    """Delete stored uploads older than max_age_seconds (left behind by a crash). Returns a count."""
    folder = image_dir()
    cutoff = time.time() - max_age_seconds
    removed = 0
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed += 1
    return removed


def read_file_bounded(path: str | os.PathLike[str], max_bytes: int = MAX_STORED_BYTES) -> bytes:
    """Read a regular file of at most max_bytes; larger ones are refused from their size alone.

    Used by `load` and by the staff command line (which may read from anywhere, same bound).
    A symlink as the last path component is refused (not_a_file); callers that accept symlinks
    resolve the path first. Raises ImageStoreError: not_found, not_readable, not_a_file, too_large.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below anyway).
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ImageStoreError("not_found") from None
    except PermissionError:
        raise ImageStoreError("not_readable") from None
    except OSError as error:
        if error.errno in (errno.ENOTDIR, errno.EISDIR, errno.ELOOP):  # ELOOP: a symlink itself
            raise ImageStoreError("not_a_file") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # directories, FIFOs, devices such as /dev/zero
            raise ImageStoreError("not_a_file")
        if info.st_size > max_bytes:
            raise ImageStoreError("too_large")
        chunks, remaining = [], max_bytes + 1  # +1: notice a file that grew after fstat
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ImageStoreError("too_large")
    return data


def _resolve_inside_store(ref_or_path: str | os.PathLike[str], must_exist: bool = True) -> Path:
    """The real path of a stored upload, or ImageStoreError(path_not_allowed / not_found)."""
    raw = os.fspath(ref_or_path)
    if not raw or "\x00" in raw or ".." in Path(raw).parts:
        raise ImageStoreError("path_not_allowed")
    folder = image_dir()
    candidate = Path(raw) if os.path.isabs(raw) else folder / raw
    real = Path(os.path.realpath(candidate))
    # The real path, after following every symlink, must be a file directly or deeper in the folder.
    if real == folder or not real.is_relative_to(folder):
        raise ImageStoreError("path_not_allowed")
    if must_exist and not real.exists():
        raise ImageStoreError("not_found")
    return real


def _safe_extension(filename: str | None) -> str:
    """The upload's extension, lower-case, if it is plain letters/digits; otherwise none."""
    if not filename:
        return ""
    suffix = Path(filename.replace("\\", "/")).suffix.lower()
    return suffix if _EXTENSION_PATTERN.fullmatch(suffix) else ""
