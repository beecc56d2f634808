"""What the browser tests do to a page: pick a palette, wait for diagrams, run axe."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

SCHEMES = ("default", "slate")  # Material's light and dark colour schemes


class _PaletteInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "__palette":
            self.inputs.append(attrs)


def palette_choice(site, scheme: str) -> dict:
    """The value Material stores in localStorage when a reader picks the palette with this scheme.

    Read from the built page, so a change to the palettes in mkdocs.yml needs no change here. The
    explicit light/dark entry is preferred over "follow the system", which resolves at run time.
    """
    parser = _PaletteInputs()
    parser.feed((site.root / "index.html").read_text(encoding="utf-8"))
    candidates = [
        (index, attrs)
        for index, attrs in enumerate(parser.inputs)
        if attrs.get("data-md-color-scheme") == scheme
    ]
    assert candidates, f"the site has no palette with scheme {scheme!r}"
    candidates.sort(key=lambda item: item[1].get("data-md-color-media") == "(prefers-color-scheme)")
    index, attrs = candidates[0]
    color = {key: attrs.get(f"data-md-color-{key}") for key in ("media", "scheme", "primary", "accent")}
    return {"index": index, "color": color}


def use_palette(context, site, scheme: str) -> None:
    """Make every page the context opens start in this palette, as if the reader had picked it."""
    # Material keys its storage by the site root's path: __md_scope.pathname + "." + key.
    key = site.prefix + ".__palette"
    value = json.dumps(palette_choice(site, scheme))
    context.add_init_script(f"localStorage.setItem({json.dumps(key)}, {json.dumps(value)});")


# ---------------------------------------------------------------------------------------------
# Material's scripts
# ---------------------------------------------------------------------------------------------

# Counts DOMContentLoaded events: overrides/main.html fires a second one when Material's scripts,
# which wait for the reader's first interaction, have run.
COUNT_DOM_READY = """
document.addEventListener("DOMContentLoaded", () => { window.__domReady = (window.__domReady || 0) + 1; }, true);
"""


_SCRIPTS_RAN = "(window.__domReady || 0) >= 2"


def scripts_ran(page) -> bool:
    return page.evaluate(_SCRIPTS_RAN)


def wait_for_scripts(page, timeout_ms: int = 15000) -> None:
    page.wait_for_function(_SCRIPTS_RAN, timeout=timeout_ms)


def material_runs_here(page) -> bool:
    """Whether this page runs Material's scripts at all: the whole-guide page runs them only to draw
    diagrams left for the browser (overrides/main.html). Ask before they have run."""
    return page.evaluate(
        """[...document.querySelectorAll("script[data-md-lazy]")]
             .some(s => !s.dataset.mdIf || document.querySelector(s.dataset.mdIf))"""
    ) or scripts_ran(page)


def interact(page) -> None:
    """Move the mouse, as any reader does, and wait until Material's scripts have run."""
    page.mouse.move(3, 3)
    page.mouse.move(8, 8)
    wait_for_scripts(page)


# ---------------------------------------------------------------------------------------------
# Diagrams
# ---------------------------------------------------------------------------------------------

# Runtime diagrams: Material replaces each <pre class="mermaid"> with a <div class="mermaid"> whose
# shadow root holds the SVG. Build-time diagrams (scripts/diagrams.py, inline_svgs): a
# <div class="mermaid-rendered"> holding one SVG whose colours are extra.css's --diagram-* properties,
# set per palette (never a colour-inverting filter).
_COUNT_PATTERNS = (
    re.compile(r'<pre\b[^>]*\bclass="[^"]*\bmermaid\b'),
    re.compile(r'<div\b[^>]*\bclass="[^"]*\bmermaid-rendered\b'),
)


def expected_diagrams(site, page_url: str) -> int:
    page_file = site.file_for(page_url)
    # The print page's chapters live in files beside it (scripts/print_page.py) until its script attaches them.
    files = [page_file, *sorted((page_file.parent / "chapters").glob("*.html"))]
    html = "".join(f.read_text(encoding="utf-8") for f in files)
    return sum(len(pattern.findall(html)) for pattern in _COUNT_PATTERNS)


def show_print_chapters(page, timeout_ms: int = 60000) -> None:
    """On the print page, wait until every chapter is attached and lay them all out, as a reader who
    scrolls through them does (they arrive `hidden="until-found"`); elsewhere, nothing."""
    if not page.evaluate("!!document.querySelector('[data-print-chapter], .print-chapter[hidden]')"):
        return
    page.wait_for_function("!document.querySelector('[data-print-chapter]')", timeout=timeout_ms)
    page.evaluate("""async () => {
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
      for (const body of document.querySelectorAll(".print-chapter[hidden]")) {
        body.scrollIntoView();
        for (let i = 0; i < 50 && body.hidden; i++) await frame();
      }
      scrollTo(0, 0);
    }""")
    hidden = page.evaluate("document.querySelectorAll('.print-chapter[hidden]').length")
    assert not hidden, f"{hidden} chapter(s) of the print page stayed hidden when scrolled to"


_DIAGRAMS_JS = """
() => {
  const text = (root, id) => {
    if (!id) return "";
    const el = root.getElementById ? root.getElementById(id) : root.querySelector("#" + CSS.escape(id));
    return el ? el.textContent.trim() : "";
  };
  const describe = (svg, root, kind) => {
    const box = svg.getBoundingClientRect();
    const title = svg.querySelector(":scope > title");
    const desc = svg.querySelector(":scope > desc");
    return {
      kind,
      id: svg.id,
      error: svg.getAttribute("aria-roledescription") === "error" || /Syntax error in text/.test(svg.textContent),
      shown: box.width > 0 && box.height > 0 && getComputedStyle(svg).visibility !== "hidden",
      inverted: getComputedStyle(svg).filter.includes("invert("),
      name: text(root, svg.getAttribute("aria-labelledby")) || (title ? title.textContent.trim() : "") || (svg.getAttribute("aria-label") || ""),
      description: text(root, svg.getAttribute("aria-describedby")) || (desc ? desc.textContent.trim() : ""),
    };
  };
  const found = [];
  for (const host of document.querySelectorAll("div.mermaid")) {
    const svg = host.shadowRoot && host.shadowRoot.querySelector("svg");
    if (svg) found.push(describe(svg, host.shadowRoot, "runtime"));
  }
  for (const holder of document.querySelectorAll(".mermaid-rendered")) {
    for (const svg of holder.querySelectorAll("svg")) found.push(describe(svg, document, "prerendered"));
  }
  const pending = document.querySelectorAll("pre.mermaid").length;
  const strayErrors = [...document.querySelectorAll('svg[aria-roledescription="error"]')].length;
  return { found, pending, strayErrors };
}
"""


def diagrams_on(page) -> dict:
    return page.evaluate(_DIAGRAMS_JS)


def wait_for_diagrams(page, expected: int, timeout_ms: int = 15000) -> dict:
    """Wait until every diagram the built HTML holds is drawn (or until the timeout), then describe them."""
    show_print_chapters(page)
    if expected:
        try:
            page.wait_for_function(
                """(expected) => {
                  const runtime = [...document.querySelectorAll("div.mermaid")].filter(h => h.shadowRoot && h.shadowRoot.querySelector("svg")).length;
                  const built = document.querySelectorAll(".mermaid-rendered").length;
                  return runtime + built >= expected;
                }""",
                arg=expected,
                timeout=timeout_ms,
            )
        except Exception:  # Playwright's TimeoutError: reported below as missing diagrams
            pass
    return diagrams_on(page)


def diagram_problems(page, expected: int, scheme: str) -> list[str]:
    state = wait_for_diagrams(page, expected)
    found = state["found"]
    problems = []
    shown = [d for d in found if d["shown"]]
    if len(shown) < expected:
        problems.append(
            f"{expected} diagram(s) in the HTML, {len(shown)} drawn and shown "
            f"({state['pending']} <pre class=mermaid> left unrendered)"
        )
    if state["strayErrors"]:
        problems.append(f"{state['strayErrors']} Mermaid error diagram(s) in the page")
    for d in shown:
        label = d["id"] or "(no id)"
        if d["error"]:
            problems.append(f"diagram {label} is Mermaid's error diagram")
        if d["kind"] == "prerendered" and d["inverted"]:
            problems.append(f"diagram {label} is drawn through a colour-inverting filter in the {scheme} palette")
        if not d["name"]:
            problems.append(f"diagram {label} has no accessible title (add accTitle:)")
        if not d["description"]:
            problems.append(f"diagram {label} has no accessible description (add accDescr:)")
    return problems


# ---------------------------------------------------------------------------------------------
# Accessibility
# ---------------------------------------------------------------------------------------------

_axe = None


def axe_problems(page) -> list[str]:
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(page)
    problems = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            problems.append(f"axe {violation['id']} ({violation['impact']}): {target}: {summary[:300]}")
    return problems
