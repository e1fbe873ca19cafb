"""Debian's Chromium for the browser tests (no browser download is possible here), driven by Playwright."""
import os
import shutil
from typing import Iterator

import pytest
from playwright import sync_api

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def launched_browser() -> Iterator[sync_api.Browser]:
    """For a module-scoped `browser` fixture: the browser, closed afterwards."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium not installed: `make test` installs it (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()
