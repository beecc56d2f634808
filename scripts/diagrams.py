"""Mermaid diagrams: each one is rendered by the same pinned Mermaid the site ships, in headless Chromium.

The check IS a render: a diagram that Mermaid cannot render is a finding at the line Mermaid names.
The rendered SVG is kept, and after the build each `<pre class="mermaid"><code>…</code></pre>` in site/
becomes inline SVG (see `inline_svgs`), so pages need not load the 3.5 MB mermaid.min.js at all.

Colours: one SVG serves both palettes. Mermaid renders with placeholder colours, one per role (node fill,
text, line …); `inline_svgs` turns each placeholder into `var(--diagram-<role>, <light value>)`, and
docs/assets/stylesheets/extra.css sets the `--diagram-*` properties for Material's light (`default`) and
dark (`slate`) schemes, so a palette switch recolours every diagram at once, with no second render.

Size: the SVG scales down to its column, but never below the width at which its smallest text would be
12 px on screen (11 px on a phone); a diagram wider than that scrolls inside its own figure. Each page
also gets a standalone copy of each diagram (`diagram-N.svg` next to its index.html), linked under it.

Speed: a cold run renders every diagram. `prestart` launches Chromium and loads Mermaid while the build
reads its config and pages (TABS says how many tabs share the renders).
"""
from __future__ import annotations

import asyncio
import atexit
import hashlib
import html
import json
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from scripts.browser import CHROMIUM_ARGS, NoBrowser, find_chromium
from scripts.errors import UsageError
from scripts.pages import Fence
from scripts.report import Finding

MERMAID_JS = Path("node_modules/mermaid/dist/mermaid.min.js")
STYLESHEET = Path("docs/assets/stylesheets/extra.css")  # holds the --diagram-* palette for both schemes
TABS = 1  # tabs rendering at once: each parses Mermaid again; on 2 cores shared with the MkDocs build, 2 tabs measured slower
RE_LINE = re.compile(r"line (\d+)", re.I)

# Smallest on-screen text a diagram may shrink to (px): CONTRIBUTING.md, "Add a diagram".
MIN_TEXT_PX = 12.0
MIN_TEXT_PX_PHONE = 11.0
_MARGIN = 1.02  # keep clear of rounding: a scale that lands on exactly 12 px can measure 11.99

# Each colour role Mermaid's theme knows, as the site's custom property that stands for it. Mermaid gets a
# placeholder colour per role (below); the SVG then names the property instead.
ROLES = {
    "fill": ["primaryColor", "mainBkg", "nodeBkg", "actorBkg", "labelBoxBkgColor", "stateBkg",
             "compositeTitleBackground", "innerEndBackground"],
    "stroke": ["primaryBorderColor", "nodeBorder", "actorBorder", "labelBoxBorderColor", "stateBorder",
               "activationBorderColor"],
    "text": ["primaryTextColor", "nodeTextColor", "textColor", "actorTextColor", "signalTextColor",
             "labelTextColor", "loopTextColor", "noteTextColor", "labelColor", "transitionLabelColor",
             "stateLabelColor", "sequenceNumberColor"],
    "line": ["lineColor", "defaultLinkColor", "actorLineColor", "signalColor", "transitionColor",
             "specialStateColor"],
    "group-fill": ["clusterBkg", "secondaryColor", "tertiaryColor", "altBackground", "compositeBackground",
                   "activationBkgColor"],
    "group-stroke": ["clusterBorder", "secondaryBorderColor", "tertiaryBorderColor"],
    "group-text": ["titleColor", "secondaryTextColor", "tertiaryTextColor"],
    "label-fill": ["edgeLabelBackground", "background"],
    "note-fill": ["noteBkgColor"],
    "note-stroke": ["noteBorderColor"],
}
# Placeholders: #ab00NN, a colour no diagram uses, so it can be replaced by text substitution.
_PLACEHOLDER = {role: f"#ab00{i + 1:02x}" for i, role in enumerate(ROLES)}
THEME_VARIABLES = {name: _PLACEHOLDER[role] for role, names in ROLES.items() for name in names}
# The layout every diagram gets. Tighter spacing than Mermaid's default (50 px between nodes) leaves more
# of a narrow column for text: three short-labelled nodes side by side still fit a phone.
MERMAID_CONFIG = {
    "startOnLoad": False,
    "securityLevel": "strict",
    "theme": "base",
    "themeVariables": {"darkMode": False, "fontSize": "16px", **THEME_VARIABLES},
    "flowchart": {"nodeSpacing": 20, "rankSpacing": 40, "padding": 8, "diagramPadding": 6, "wrappingWidth": 180,
                  "inheritDir": True, "subGraphTitleMargin": {"top": 4, "bottom": 8}},
    "state": {"padding": 6},
    "sequence": {"diagramMarginX": 6, "diagramMarginY": 6, "actorMargin": 24, "width": 120, "boxMargin": 6,
                 "noteMargin": 6, "messageMargin": 30, "wrap": True},
}
_CONFIG_KEY = hashlib.sha256(json.dumps(MERMAID_CONFIG, sort_keys=True).encode()).hexdigest()[:16]

# Runs in the page. Errors are returned, not thrown. Each SVG is measured at its natural size (one SVG
# unit = one CSS px): its width and its smallest text, font size times the scale it is drawn at. It is
# then serialised as XML, which both an HTML page and a standalone .svg file can read (Mermaid's own
# string is HTML: `<br>` in labels).
_RENDER_JS = """
async ([items, config]) => {
  mermaid.initialize(config);
  const out = [];
  for (const item of items) {
    const result = {svg: null, error: null, line: null, width: null, height: null, minFont: null, minText: null};
    try {
      const svgText = (await mermaid.render(item.id, item.text)).svg;
      const host = document.createElement('div');
      host.innerHTML = svgText;
      document.body.appendChild(host);
      const svg = host.querySelector('svg');
      const box = svg.viewBox.baseVal;
      const keep = svg.getAttribute('style');
      svg.style.maxWidth = 'none';
      svg.style.width = box.width + 'px';
      let min = Infinity, minText = '';
      for (const el of svg.querySelectorAll('*')) {
        if (['style', 'title', 'desc'].includes(el.localName)) continue;
        const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
        if (!own) continue;
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 || rect.height === 0) continue;
        const holder = el instanceof SVGGraphicsElement ? el : el.closest('foreignObject');
        const m = holder.getScreenCTM();
        const px = parseFloat(getComputedStyle(el).fontSize) * Math.hypot(m.a, m.b);
        if (px < min) { min = px; minText = own; }
      }
      if (keep === null) svg.removeAttribute('style'); else svg.setAttribute('style', keep);
      result.width = box.width;
      result.height = box.height;
      result.minFont = Number.isFinite(min) ? min : null;
      result.minText = minText;
      result.svg = new XMLSerializer().serializeToString(svg);
      host.remove();
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
    width: float | None = None  # natural size, CSS px
    height: float | None = None
    min_font: float | None = None  # smallest text at the natural size, px
    min_text: str | None = None  # which label that is


def diagram_key(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def _diagram_id(text: str) -> str:
    # From the diagram's own hash: stable across runs and cache hits, distinct per diagram.
    return "m" + diagram_key(text)[:16]


class Browser:
    """Headless Chromium with Mermaid loaded in a few tabs, driven from a thread of its own.

    Starting it (launch, then parsing Mermaid in each tab) takes a second or two; it starts at once in the
    background, so whoever constructs it early gets that time back. `render` waits for it.
    """

    def __init__(self, mermaid_js: Path, tabs: int = TABS):
        if not mermaid_js.is_file():
            raise UsageError(f"{mermaid_js} not found: run 'npm ci' (or 'make setup') to install the pinned Mermaid")
        try:
            import playwright.async_api  # noqa: F401
        except ImportError:
            raise UsageError("playwright is not installed: pip install -r requirements-dev.txt") from None
        self._mermaid_js = mermaid_js
        self._tabs = max(1, tabs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="diagrams-browser", daemon=True)
        self._thread.start()
        self._pw = self._browser = None
        self._pages = []
        self._dir = tempfile.TemporaryDirectory(prefix="diagrams-")
        self._started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self._closed = False

    async def _start(self):
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright

        try:
            exe = find_chromium()
        except NoBrowser as e:
            raise UsageError(f"the diagram check needs a headless browser: {e}") from None
        self._pw = await async_playwright().start()
        try:
            self._browser = await self._pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        except PlaywrightError as e:
            raise UsageError(
                "no usable headless browser: install one with 'apt-get install -y chromium' "
                f"(or 'python -m playwright install chromium'); {str(e).splitlines()[0]}") from None
        # A file:// <script src> loads in ~1 s; injecting the 3.5 MB text over CDP takes ~3 s.
        host = Path(self._dir.name) / "render.html"
        host.write_text('<!doctype html><html><body><script src="'
                        + self._mermaid_js.resolve().as_uri() + '"></script></body></html>', encoding="utf-8")

        async def tab():
            page = await self._browser.new_page()
            await page.goto(host.as_uri())
            ok = await page.evaluate("() => !!(window.mermaid && typeof mermaid.render === 'function')")
            if not ok:
                raise UsageError(f"{self._mermaid_js} did not define window.mermaid")
            return page

        self._pages = list(await asyncio.gather(*(tab() for _ in range(self._tabs))))

    async def _render(self, texts: list[str]) -> list[dict]:
        results: list[dict | None] = [None] * len(texts)
        queue = list(range(len(texts)))

        async def worker(page):
            while queue:
                i = queue.pop(0)
                raw = await page.evaluate(_RENDER_JS, [[{"id": _diagram_id(texts[i]), "text": texts[i]}], MERMAID_CONFIG])
                results[i] = raw[0]

        await asyncio.gather(*(worker(p) for p in self._pages))
        return results

    def render(self, texts: list[str]) -> list[Rendered]:
        self._started.result()
        raw = asyncio.run_coroutine_threadsafe(self._render(texts), self._loop).result()
        return [Rendered(diagram_key(t), r["svg"], r["error"], r["line"], r["width"], r["height"],
                         r["minFont"], r["minText"]) for t, r in zip(texts, raw)]

    async def _stop(self):
        for closer in (self._browser, self._pw):
            if closer is not None:
                try:
                    await (closer.close() if hasattr(closer, "new_page") else closer.stop())
                except Exception:
                    pass

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self._started.result()
        except BaseException:
            pass
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._dir.cleanup()


def _mermaid_hash(mermaid_js: Path) -> str:
    return hashlib.sha256(mermaid_js.read_bytes()).hexdigest() if mermaid_js.is_file() else "missing"


def _cache_entry(cache_dir: Path, mermaid_hash: str, key: str) -> Path:
    return cache_dir / (hashlib.sha256(f"{mermaid_hash}:{_CONFIG_KEY}:{key}".encode()).hexdigest() + ".json")


_prestarted: Browser | None = None


def prestart(root: Path, cache_dir: Path | None) -> None:
    """Start the browser now, before the pages are read, when the run will render: on a cold cache.

    A warm run (any render of this Mermaid and config cached) starts no browser unless a diagram changed,
    and then starts it when it knows; a browser started for nothing would slow the build it shares the
    CPU with.
    """
    global _prestarted
    mermaid_js = root / MERMAID_JS
    if _prestarted is not None or not mermaid_js.is_file():
        return
    if cache_dir is not None and cache_dir.is_dir() and (cache_dir / f"{_mermaid_hash(mermaid_js)}-{_CONFIG_KEY}").is_file():
        return
    try:
        _prestarted = Browser(mermaid_js)
    except UsageError:
        return  # reported by the render, where the run needs the browser
    atexit.register(_prestarted.close)


def _take_browser(mermaid_js: Path) -> Browser:
    global _prestarted
    browser, _prestarted = _prestarted, None
    if browser is not None and browser._mermaid_js.resolve() == mermaid_js.resolve():
        return browser
    if browser is not None:
        browser.close()
    return Browser(mermaid_js)


def render_cached(texts: dict[str, str], mermaid_js: Path, cache_dir: Path | None) -> dict[str, Rendered]:
    """Renders by diagram key; results are kept in cache_dir per (Mermaid build, config, text), so a re-run
    only starts the browser when a diagram changed."""
    mermaid_hash = _mermaid_hash(mermaid_js)
    done: dict[str, Rendered] = {}
    todo: dict[str, str] = {}
    for key, text in texts.items():
        entry = _cache_entry(cache_dir, mermaid_hash, key) if cache_dir else None
        if entry is not None and entry.is_file():
            data = json.loads(entry.read_text(encoding="utf-8"))
            done[key] = Rendered(key, **{k: data.get(k) for k in (
                "svg", "error", "line", "width", "height", "min_font", "min_text")})
        else:
            todo[key] = text
    if not todo:
        if _prestarted is not None:
            _take_browser(mermaid_js).close()
        return done
    browser = _take_browser(mermaid_js)
    try:
        fresh = browser.render(list(todo.values()))
    finally:
        browser.close()
    for r in fresh:
        done[r.key] = r
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            _cache_entry(cache_dir, mermaid_hash, r.key).write_text(json.dumps(
                {"error": r.error, "line": r.line, "width": r.width, "height": r.height, "min_font": r.min_font,
                 "min_text": r.min_text, "svg": r.svg}), encoding="utf-8")
    if cache_dir is not None:
        (cache_dir / f"{mermaid_hash}-{_CONFIG_KEY}").write_text("renders of this Mermaid and config are here\n")
    return done


def check(fences: list[Fence], root: Path, cache_dir: Path | None = None
          ) -> tuple[list[tuple[Fence, Finding]], dict[str, Rendered]]:
    """Render every mermaid fence once per distinct text; return findings and renders by diagram key."""
    if not fences:
        if _prestarted is not None:
            _take_browser(root / MERMAID_JS).close()
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


# ---------------------------------------------------------------------------------------------------------
# Colours
# ---------------------------------------------------------------------------------------------------------

_RE_RULE = re.compile(r"(?P<selector>[^{}]+)\{(?P<body>[^{}]*)\}")
_RE_PROP = re.compile(r"--diagram-(?P<role>[a-z-]+)\s*:\s*(?P<value>[^;]+);")


def palette(root: Path) -> dict[str, dict[str, str]]:
    """The --diagram-* properties by scheme, {"default": {role: value}, "slate": {...}}: from the project's
    extra.css, or from this repository's for a project (`--config`) that has none."""
    for base in (root, Path(__file__).resolve().parents[1]):
        path = base / STYLESHEET
        css = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S) if path.is_file() else ""
        out: dict[str, dict[str, str]] = {"default": {}, "slate": {}}
        for rule in _RE_RULE.finditer(css):
            selector = rule["selector"].strip()
            scheme = "slate" if 'data-md-color-scheme="slate"' in selector else ("default" if selector == ":root" else None)
            if scheme:
                out[scheme].update({m["role"]: m["value"].strip() for m in _RE_PROP.finditer(rule["body"])})
        if set(ROLES) <= set(out["default"]):
            return out
    missing = sorted(set(ROLES) - set(out["default"]))
    raise UsageError(f"{STYLESHEET} sets no --diagram-{missing[0]} in its :root rule (each of "
                     + ", ".join(f"--diagram-{r}" for r in ROLES) + " is needed for the diagrams' colours)")


def _placeholder_pattern() -> re.Pattern:
    rgb = {role: tuple(int(p[i:i + 2], 16) for i in (1, 3, 5)) for role, p in _PLACEHOLDER.items()}
    alternatives = [re.escape(p) for p in _PLACEHOLDER.values()]
    alternatives += [rf"rgba?\(\s*{r}\s*,\s*{g}\s*,\s*{b}\s*(?:,\s*[\d.]+\s*)?\)" for r, g, b in rgb.values()]
    return re.compile("|".join(alternatives), re.I)


_RE_PLACEHOLDER = _placeholder_pattern()
_ROLE_OF = {tuple(int(p[i:i + 2], 16) for i in (1, 3, 5)): role for role, p in _PLACEHOLDER.items()}


def recolour(svg: str, light: dict[str, str]) -> str:
    """Each placeholder colour becomes the site's custom property for its role, light value as fallback."""

    def swap(m: re.Match) -> str:
        text = m.group(0)
        if text.startswith("#"):
            rgb = tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))
        else:
            rgb = tuple(int(n) for n in re.findall(r"\d+", text)[:3])
        role = _ROLE_OF[rgb]
        return f"var(--diagram-{role}, {light[role]})"

    return _RE_PLACEHOLDER.sub(swap, svg)


# ---------------------------------------------------------------------------------------------------------
# Into the built site
# ---------------------------------------------------------------------------------------------------------

RE_PRE = re.compile(r'<pre\s+class="mermaid"><code>(?P<code>.*?)</code></pre>', re.S)
RE_SVG_STYLE = re.compile(r'(<svg\b[^>]*?)\sstyle="max-width:\s*[\d.]+px;?"')


def _min_widths(r: Rendered) -> tuple[float, float]:
    """Narrowest the SVG may be drawn (px) so its smallest text stays at 12 px, and at 11 px on a phone."""
    if not r.width or not r.min_font:
        return 0.0, 0.0
    return tuple(min(r.width, r.width * px * _MARGIN / r.min_font) for px in (MIN_TEXT_PX, MIN_TEXT_PX_PHONE))


def standalone(svg: str, r: Rendered, pal: dict[str, dict[str, str]]) -> str:
    """The diagram as its own file, at its natural size, in the reader's system palette."""
    dark = "".join(f"--diagram-{role}:{value};" for role, value in pal["slate"].items())
    size = f' width="{r.width:.0f}" height="{r.height:.0f}"' if r.width and r.height else ""
    svg = re.sub(r'^<svg\b([^>]*?)\swidth="100%"', r"<svg\1", svg, count=1)
    svg = RE_SVG_STYLE.sub(lambda m: m.group(1) + size + ' style="background-color:var(--diagram-label-fill, '
                           + pal["default"]["label-fill"] + ')"', svg, count=1)
    extra = f"<style>@media (prefers-color-scheme: dark){{:root{{{dark}}}}}</style>"
    svg = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + extra, svg, count=1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"


def inline_svgs(html_text: str, rendered: dict[str, Rendered], page_dir: Path | None = None,
                pal: dict[str, dict[str, str]] | None = None) -> tuple[str, int]:
    """Replace each Mermaid `<pre>` whose text was rendered with its SVG; return (html, count).

    With page_dir, each diagram is also written there as diagram-N.svg and linked under the inline copy.
    A diagram with no render (a failed one, which is also a finding) is left as it is.
    """
    count = 0
    light = (pal or {}).get("default") or {}

    def swap(m: re.Match) -> str:
        nonlocal count
        r = rendered.get(diagram_key(html.unescape(m.group("code"))))
        if r is None or r.error or not r.svg:
            return m.group(0)
        count += 1
        svg = recolour(r.svg, light) if light else r.svg
        shown = svg
        desktop, phone = _min_widths(r)
        if desktop:
            shown = RE_SVG_STYLE.sub(lambda s: s.group(1) + f' style="max-width: {r.width:.0f}px; --diagram-min: '
                                     f'{desktop:.0f}px; --diagram-min-phone: {phone:.0f}px"', svg, count=1)
        link = ""
        if page_dir is not None:
            name = f"diagram-{count}.svg"
            (page_dir / name).write_text(standalone(svg, r, pal), encoding="utf-8")
            link = f'<a class="mermaid-fullsize" href="{name}">Open the diagram full size</a>'
        return (f'<div class="mermaid-rendered"><div class="mermaid-scroll" tabindex="0">{shown}</div>'
                f'{link}</div>')

    return RE_PRE.sub(swap, html_text), count


def inline_site(site_dir: Path, rendered: dict[str, Rendered], root: Path) -> int:
    """Inline every rendered diagram in site/'s pages, with a standalone copy of each beside its page."""
    pal = palette(root)
    total = 0
    for path in site_dir.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if 'class="mermaid"' not in text:
            continue
        new, count = inline_svgs(text, rendered, path.parent, pal)
        if count:
            path.write_text(new, encoding="utf-8")
            total += count
    return total
