"""Browser fixtures: the built site served on 127.0.0.1, one Chromium for the whole session.

The site is served under the same path prefix as `site_url` (as GitHub Pages serves a project site),
so the 404 page's root-absolute links resolve exactly as they do when published.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from helpers import COUNT_DOM_READY
from scripts.browser import CHROMIUM_ARGS, NoBrowser, find_chromium
from scripts.serve_site import serve, site_pages, site_prefix

ROOT = Path(__file__).resolve().parents[2]

# Everything that changes what `mkdocs build` (or scripts/build.py) writes into site/.
BUILD_INPUTS = ["mkdocs.yml", "docs", "overrides", "examples", "scripts"]

# --------------------------------------------------------------------------------------------
# The built site
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    root: Path  # the folder holding index.html
    prefix: str  # URL path the site lives under, "/docker-for-mlops/" or "/"
    pages: tuple[str, ...]  # page URLs relative to the prefix: "", "concepts/storage/", ...

    def file_for(self, page: str) -> Path:
        return self.root / page / "index.html"


def _newest_mtime(paths) -> float:
    newest = 0.0
    for name in paths:
        path = ROOT / name
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for item in path.rglob("*"):
                if item.is_file() and "__pycache__" not in item.parts:
                    newest = max(newest, item.stat().st_mtime)
    return newest


def _fresh_built_site() -> Path | None:
    """site/ as scripts/build.py left it, if nothing it is built from changed since.

    Preferring it means the tests see exactly what is published, including any post-build step
    of scripts/build.py (such as diagrams rendered to inline SVG), and `make test` builds only once.
    """
    index = ROOT / "site" / "index.html"
    if index.is_file() and index.stat().st_mtime >= _newest_mtime(BUILD_INPUTS):
        return index.parent
    return None


_tmp_dirs: list[str] = []


def _build_site() -> Path:
    tmp = tempfile.mkdtemp(prefix="browser-site-")
    _tmp_dirs.append(tmp)
    site_dir = Path(tmp) / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(site_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise pytest.UsageError(f"mkdocs build failed, so the browser tests cannot run:\n{result.stderr[-3000:]}")
    return site_dir


@functools.cache
def get_site() -> Site:
    """Build (or find) the site once; collection needs the page list before any fixture runs."""
    env = os.environ.get("BROWSER_TEST_SITE")
    if env:
        root = Path(env).resolve()
        if not (root / "index.html").is_file():
            raise pytest.UsageError(f"BROWSER_TEST_SITE={env} has no index.html")
    else:
        root = _fresh_built_site() or _build_site()
    return Site(root=root, prefix=site_prefix(root), pages=tuple(site_pages(root)))


def pytest_unconfigure(config):
    for tmp in _tmp_dirs:
        shutil.rmtree(tmp, ignore_errors=True)


def _ids(pages):
    return [p.rstrip("/") or "home" for p in pages]


def pytest_generate_tests(metafunc):
    if "page_url" in metafunc.fixturenames:
        pages = get_site().pages
        metafunc.parametrize("page_url", pages, ids=_ids(pages))
    if "diagram_page_url" in metafunc.fixturenames:
        from helpers import SCHEMES, expected_diagrams

        site = get_site()
        pages = [p for p in site.pages if expected_diagrams(site, p)]
        if "nav_scheme" in metafunc.fixturenames:
            # Alternate the palette one arrives in from page to page: navigation takes the same code
            # path in both, and each page then switches palette live, so both are still covered.
            schemes = [SCHEMES[i % 2] for i in range(len(pages))]
            metafunc.parametrize(
                "diagram_page_url,nav_scheme", list(zip(pages, schemes)), ids=[f"{i}-{s}" for i, s in zip(_ids(pages), schemes)]
            )
        else:
            metafunc.parametrize("diagram_page_url", pages, ids=_ids(pages))


# --------------------------------------------------------------------------------------------
# Serving it
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site() -> Site:
    return get_site()


@pytest.fixture(scope="session")
def base_url(site):
    server, url = serve(site.root)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def plain_build():
    """A plain `mkdocs build`, which renders what `mkdocs serve` shows writers: diagrams drawn by
    mermaid2 and Material in the browser rather than inlined by scripts/build.py. (Site, its URL)."""
    root = _build_site()
    server, url = serve(root)
    yield Site(root=root, prefix=site_prefix(root), pages=tuple(site_pages(root))), url
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------


def _missing(reason: str):
    """Without a browser a laptop skips, loudly; CI must not pass without having looked."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run: install Debian's chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    try:
        path = find_chromium()
    except NoBrowser as e:
        _missing(str(e))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Material draws each diagram into a *closed* shadow root, which no script (and so neither these
# tests nor axe) can read. Screen readers still get its contents, so opening it only lets the tests
# see what assistive technology sees; it changes no styling.
OPEN_SHADOW_ROOTS = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) { return attach.call(this, { ...init, mode: "open" }); };
})();
"""


class PageWatch:
    """Everything a page did that a reader would call broken."""

    def __init__(self, page, base_url: str):
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.foreign: list[str] = []
        self.expected_statuses: dict[str, int] = {}
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        page.on("request", self._request)
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            location = message.location.get("url", "") if message.location else ""
            expected = self.expected_statuses.get(location)
            if expected and f"status of {expected}" in message.text:
                return  # Chromium logs the expected status of a deliberately missing page
            self.console_errors.append(f"{message.text} [{location}]")

    def _request_failed(self, request):
        # A reload or a click away cancels requests still in flight; that is the browser, not the site.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url} ({request.failure})")

    def _request(self, request):
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and f"{url.scheme}://{url.netloc}" != self.origin:
            self.foreign.append(request.url)

    def _response(self, response):
        if response.status >= 400 and self.expected_statuses.get(response.url) != response.status:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def problems(self) -> list[str]:
        out = [f"console error: {e}" for e in self.console_errors]
        out += [f"failed request: {f}" for f in self.failed]
        out += [f"request to another host: {f}" for f in self.foreign]
        return out


@pytest.fixture
def new_context(browser):
    """Contexts made through this see into diagrams' shadow roots; all are closed after the test."""
    made = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("color_scheme", "light")
        context = browser.new_context(**options)
        context.add_init_script(OPEN_SHADOW_ROOTS)
        context.add_init_script(COUNT_DOM_READY)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def watch(page, base_url):
    return PageWatch(page, base_url)


@pytest.fixture
def watch_factory(base_url):
    """For a test that opens its own page (another context, or another site): watch that one."""
    return lambda page, url=base_url: PageWatch(page, url)
