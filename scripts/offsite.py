"""The built HTML (and CSS) loads nothing from another host: no script, stylesheet, font, image, frame or media.

Links a reader clicks (`<a href>`, `<link rel="canonical">`) are not loads and are left to the link check.
"""
from __future__ import annotations

import re
from pathlib import Path

from scripts.links import with_more
from scripts.pages import Page
from scripts.report import Finding

RE_TAG = re.compile(r"<(?P<tag>script|link|img|iframe|source|video|audio|track|embed|object|input|image|frame)\b"
                    r"(?P<attrs>[^>]*)>", re.I)
RE_ATTR = re.compile(r"""(?P<name>[\w:-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))""")
RE_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])(?P<url>[^"')\s]+)""", re.I)
RE_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(?P<css>.*?)</style>", re.I | re.S)
LOAD_ATTRS = {"src", "srcset", "data", "poster", "href", "xlink:href"}
# <link rel=…> values that make the browser fetch or contact the host.
LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch", "modulepreload",
                "manifest", "preconnect", "dns-prefetch", "mask-icon", "prerender"}


def is_remote(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http://", "https://", "//", "ftp://", "ws://", "wss://"))


def _urls(value: str, attr: str) -> list[str]:
    if attr == "srcset":
        return [part.strip().split()[0] for part in value.split(",") if part.strip()]
    return [value]


def remote_loads(text: str):
    """(1-based line, what, url) for each remote load in an HTML or CSS text."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    for m in RE_TAG.finditer(text):
        tag = m.group("tag").lower()
        attrs = {a.group("name").lower(): (a.group("dq") or a.group("sq") or a.group("bare") or "", a.start())
                 for a in RE_ATTR.finditer(m.group("attrs"))}
        if tag == "link":
            rels = set(attrs.get("rel", ("", 0))[0].lower().split())
            if not rels & LOADING_RELS:
                continue
        for name, (value, offset) in attrs.items():
            if name not in LOAD_ATTRS or (name == "href" and tag not in ("link", "image")):
                continue
            for url in _urls(value, name):
                if is_remote(url):
                    yield line_of(m.start("attrs") + offset), f"<{tag} {name}>", url
        if "style" in attrs:
            for u in RE_CSS_URL.finditer(attrs["style"][0]):
                if is_remote(u.group("url")):
                    yield line_of(m.start()), "inline style", u.group("url")
    for block in RE_STYLE_BLOCK.finditer(text):
        for u in RE_CSS_URL.finditer(block.group("css")):
            if is_remote(u.group("url")):
                yield line_of(block.start("css") + u.start()), "<style>", u.group("url")


def check_site(site_dir: Path, site_rel: str, dest_to_src: dict[str, str], pages: dict[str, Page]) -> list[Finding]:
    """One finding per load a page writes, at its line; a load the theme puts on every page is one finding."""
    findings = []
    theme: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        dest = path.relative_to(site_dir).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".css":
            loads = [(text.count("\n", 0, u.start()) + 1, "CSS", u.group("url"))
                     for u in RE_CSS_URL.finditer(text) if is_remote(u.group("url"))]
        else:
            loads = list(remote_loads(text))
        page = pages.get(dest_to_src.get(dest, ""))
        for line, what, url in loads:
            message = f"{what} loads {url} from another host: serve it from the site itself"
            lines = sorted({i for i, target, _ in page.links if target == url}) if page else []
            for i in lines:
                o = page.origin(i)
                findings.append(Finding(o.path, o.line, "html-offsite", message))
            if not lines:
                theme.setdefault((what, url), []).append((dest, line))
    for (what, url), where in sorted(theme.items()):
        dest, line = where[0]
        message = f"{what} loads {url} from another host (written by the theme, an override or a stylesheet, " \
                  "not by a page): serve it from the site itself"
        findings.append(Finding(f"{site_rel}/{dest}", line, "html-offsite",
                                with_more(message, len({d for d, _ in where}) - 1)))
    return findings
