"""Which Chromium to drive, and how: shared by the diagram check, the browser tests and the page-speed benchmark.

Order: $CHROMIUM_PATH (an explicit choice, honoured or reported, never silently replaced), Debian's
/usr/bin/chromium or another on PATH, then the build Playwright downloaded (`playwright install chromium`).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# Headless without the background services that phone home: on a machine with no network each of
# them fails, noisily and slowly, and a reader's page must not depend on them anyway.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class NoBrowser(Exception):
    """No usable Chromium; the message says how to get one."""


def find_chromium() -> str:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        if Path(explicit).is_file():
            return explicit
        raise NoBrowser(f"CHROMIUM_PATH={explicit} does not exist")
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            own = playwright.chromium.executable_path
    except Exception:  # no Playwright, or its registry has no Chromium entry
        own = None
    if own and Path(own).is_file():
        return own
    raise NoBrowser("no Chromium found: set CHROMIUM_PATH, install Debian's chromium (apt-get install chromium) "
                    "or run `python -m playwright install chromium`")
