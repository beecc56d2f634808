"""Mermaid diagrams: each one is rendered by the same pinned Mermaid the site ships, in one headless Chromium.

The check IS a render: a diagram that Mermaid cannot render is a finding at the line Mermaid names.
The rendered SVG is kept, and after the build each `<pre class="mermaid"><code>…</code></pre>` in site/
becomes inline SVG (see `inline_svgs`), so pages need not load the 3.5 MB mermaid.min.js at all.

Each diagram is rendered once, in Mermaid's light theme; the site's dark palette shows the same SVG
through a colour-inverting CSS filter (docs/assets/stylesheets/extra.css). A second render in Mermaid's
dark theme looked almost the same and doubled both the render time and the SVG bytes on every page.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scripts.errors import UsageError
from scripts.browser import CHROMIUM_ARGS, NoBrowser, find_chromium
from scripts.pages import Fence
from scripts.report import Finding

MERMAID_JS = Path("node_modules/mermaid/dist/mermaid.min.js")
THEME = "default"  # Mermaid's light theme; extra.css inverts it for the dark palette
BATCH = 40  # diagrams per round trip to the browser: keeps each message a few MB at most
RE_LINE = re.compile(r"line (\d+)", re.I)

# Runs in the page. Errors are returned, not thrown.
_RENDER_JS = """
async ([items, theme]) => {
  mermaid.initialize({startOnLoad: false, theme: theme, securityLevel: 'strict'});
  const out = [];
  for (const item of items) {
    const result = {svg: null, error: null, line: null};
    try {
      result.svg = (await mermaid.render(item.id, item.text)).svg;
    } catch (e) {
      result.error = String((e && e.message) || e);
      const h = e && e.hash;
      if (h && h.loc && h.loc.first_line) result.line = h.loc.first_line;
      else if (h && typeof h.line === 'number') result.line = h.line + 1;
      document.querySelectorAll('[id="' + item.id + '"], [id="d' + item.id + '"]').forEach(n => n.remove());
    }
    out.push(result);
  }
  return out;
}
"""


@dataclass
class Rendered:
    key: str  # sha256 of the diagram text: the same text renders to the same SVG
    svg: str | None = None
    error: str | None = None
    line: int | None = None


def diagram_key(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


class Browser:
    """One headless Chromium with Mermaid loaded, for the whole run."""

    def __init__(self, mermaid_js: Path):
        if not mermaid_js.is_file():
            raise UsageError(f"{mermaid_js} not found: run 'npm ci' (or 'make setup') to install the pinned Mermaid")
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise UsageError("playwright is not installed: pip install -r requirements-dev.txt") from None
        try:
            exe = find_chromium()
        except NoBrowser as e:
            raise UsageError(f"the diagram check needs a headless browser: {e}") from None
        self._pw = sync_playwright().start()
        try:
            try:
                self._browser = self._pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            except PlaywrightError as e:
                raise UsageError(
                    "no usable headless browser: install one with 'apt-get install -y chromium' "
                    f"(or 'python -m playwright install chromium'); {str(e).splitlines()[0]}") from None
            self._page = self._browser.new_page()
            # A file:// <script src> loads in ~1 s; injecting the 3.5 MB text over CDP takes ~3 s.
            self._dir = tempfile.TemporaryDirectory(prefix="diagrams-")
            host = Path(self._dir.name) / "render.html"
            host.write_text('<!doctype html><html><body><script src="'
                            + mermaid_js.resolve().as_uri() + '"></script></body></html>', encoding="utf-8")
            self._page.goto(host.as_uri())
            self.version = self._page.evaluate("() => (window.mermaid && typeof mermaid.render === 'function') ? 'ok' : null")
            if not self.version:
                raise UsageError(f"{mermaid_js} did not define window.mermaid")
        except BaseException:
            self.close()
            raise

    def render(self, texts: list[str]) -> list[Rendered]:
        results = []
        for start in range(0, len(texts), BATCH):
            chunk = texts[start:start + BATCH]
            # Ids from the diagram's own hash: stable across runs and cache hits, distinct per diagram.
            items = [{"id": "m" + diagram_key(t)[:16], "text": t} for t in chunk]
            raw = self._page.evaluate(_RENDER_JS, [items, THEME])
            for text, r in zip(chunk, raw):
                results.append(Rendered(diagram_key(text), r["svg"], r["error"], r["line"]))
        return results

    def close(self):
        for closer in (getattr(self, "_browser", None), getattr(self, "_pw", None)):
            if closer is not None:
                try:
                    closer.close() if hasattr(closer, "new_page") else closer.stop()
                except Exception:
                    pass
        if getattr(self, "_dir", None) is not None:
            self._dir.cleanup()


def _cache_entry(cache_dir: Path, mermaid_hash: str, key: str) -> Path:
    return cache_dir / (hashlib.sha256(f"{mermaid_hash}:{THEME}:{key}".encode()).hexdigest() + ".json")


def render_cached(texts: dict[str, str], mermaid_js: Path, cache_dir: Path | None) -> dict[str, Rendered]:
    """Renders by diagram key; results are kept in cache_dir per (Mermaid build, theme, text), so a re-run
    only starts the browser when a diagram changed."""
    mermaid_hash = hashlib.sha256(mermaid_js.read_bytes()).hexdigest() if mermaid_js.is_file() else "missing"
    done: dict[str, Rendered] = {}
    todo: dict[str, str] = {}
    for key, text in texts.items():
        entry = _cache_entry(cache_dir, mermaid_hash, key) if cache_dir else None
        if entry is not None and entry.is_file():
            data = json.loads(entry.read_text(encoding="utf-8"))
            done[key] = Rendered(key, data["svg"], data["error"], data["line"])
        else:
            todo[key] = text
    if todo:
        browser = Browser(mermaid_js)
        try:
            fresh = browser.render(list(todo.values()))
        finally:
            browser.close()
        for r in fresh:
            done[r.key] = r
            if cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                _cache_entry(cache_dir, mermaid_hash, r.key).write_text(
                    json.dumps({"error": r.error, "line": r.line, "svg": r.svg}), encoding="utf-8")
    return done


def check(fences: list[Fence], root: Path, cache_dir: Path | None = None
          ) -> tuple[list[tuple[Fence, Finding]], dict[str, Rendered]]:
    """Render every mermaid fence once per distinct text; return findings and renders by diagram key."""
    if not fences:
        return [], {}
    unique: dict[str, str] = {}
    for fence in fences:
        unique.setdefault(diagram_key(fence.text), fence.text)
    rendered = render_cached(unique, root / MERMAID_JS, cache_dir)
    hits = []
    for fence in fences:
        r = rendered[diagram_key(fence.text)]
        if r.error:
            line = r.line
            if line is None:
                m = RE_LINE.search(r.error)
                line = int(m.group(1)) if m else 1
            line = source_line(fence.text, line)
            first = " ".join(r.error.split())
            o = fence.at(line)
            hits.append((fence, Finding(o.path, o.line, "mermaid-render", first[:300])))
    return hits, rendered


RE_COMMENT = re.compile(r"^\s*%%(?!\{).")


def source_line(text: str, parsed_line: int) -> int:
    """Mermaid drops `%%` comment lines and leading blank lines before parsing; undo that shift."""
    kept = []
    for number, line in enumerate(text.split("\n"), 1):
        if RE_COMMENT.match(line) or (not kept and not line.strip()):
            continue
        kept.append(number)
    if 1 <= parsed_line <= len(kept):
        return kept[parsed_line - 1]
    return parsed_line


RE_PRE = re.compile(r'<pre\s+class="mermaid"><code>(?P<code>.*?)</code></pre>', re.S)


def inline_svgs(html_text: str, rendered: dict[str, Rendered]) -> tuple[str, int]:
    """Replace each Mermaid `<pre>` whose text was rendered with its SVG; return (html, count).

    A diagram with no render (a failed one, which is also a finding) is left as it is.
    """
    count = 0

    def swap(m: re.Match) -> str:
        nonlocal count
        r = rendered.get(diagram_key(html.unescape(m.group("code"))))
        if r is None or r.error or not r.svg:
            return m.group(0)
        count += 1
        return f'<div class="mermaid-rendered">{r.svg}</div>'

    return RE_PRE.sub(swap, html_text), count
