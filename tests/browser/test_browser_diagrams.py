"""Every diagram of the built site can be read: its text is big enough on a phone and a desktop, its label
text stands out from what it is drawn on in both palettes (also after a live switch, and when the palette
follows the system), and it opens full size.

Text size is what the reader sees: each text element's computed font size times the scale the SVG is
drawn at (its CTM on screen). Contrast is WCAG's ratio between the text's colour and the colour of
whatever is painted behind the text's centre (an HTML label background, else the topmost SVG shape whose
fill holds that point, else the page), alpha composited. Each failure names the page, the diagram's
caption and the label, and says by how much it misses, so a new diagram can be fixed from the message.
"""
from __future__ import annotations

import warnings
import xml.etree.ElementTree as ElementTree
from urllib.parse import urljoin

import pytest

from helpers import expected_diagrams, interact, material_runs_here, palette_choice, use_palette, wait_for_diagrams

# CONTRIBUTING.md, "Add a diagram": the smallest text a diagram may show, by viewport width.
MIN_TEXT_PX = {375: 11.0, 1280: 12.0}
MIN_CONTRAST = 4.5  # WCAG 2 AA, normal-size text
VIEWPORTS = {375: {"width": 375, "height": 812}, 1280: {"width": 1280, "height": 900}}

# Shared by both measurements: which diagrams are on the page, and what each is called in a report.
_DIAGRAMS_JS = """
() => [...document.querySelectorAll(".mermaid-rendered")].map((holder, i) => {
  const svg = holder.querySelector("svg");
  const figure = holder.closest("figure");
  const caption = figure && figure.querySelector("figcaption");
  const title = svg && svg.querySelector(":scope > title");
  return {
    index: i + 1,
    caption: caption ? caption.textContent.trim().replace(/\\s+/g, " ") : "",
    title: title ? title.textContent.trim() : "",
  };
})
"""

_OWN_TEXT_JS = """
  const ownText = (el) => {
    if (["style", "title", "desc"].includes(el.localName) || el.closest("defs, marker")) return "";
    return [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent.trim()).filter(Boolean).join(" ");
  };
  const texts = (svg) => [...svg.querySelectorAll("*")].filter(el => {
    if (!ownText(el)) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  });
  const scaleOf = (el) => {
    const holder = el instanceof SVGGraphicsElement ? el : el.closest("foreignObject");
    const m = holder.getScreenCTM();
    return Math.hypot(m.a, m.b);
  };
"""

_TEXT_SIZE_JS = (
    "() => {" + _OWN_TEXT_JS + """
  return [...document.querySelectorAll(".mermaid-rendered svg")].map((svg) => {
    let min = Infinity, label = "";
    for (const el of texts(svg)) {
      const px = parseFloat(getComputedStyle(el).fontSize) * scaleOf(el);
      if (px < min) { min = px; label = ownText(el); }
    }
    return {px: Number.isFinite(min) ? min : null, label, count: texts(svg).length};
  });
}"""
)

_CONTRAST_JS = (
    "() => {" + _OWN_TEXT_JS + """
  const parse = (value) => {
    if (!value || value === "none" || value === "transparent") return null;
    let m = value.match(/^rgba?\\(([^)]+)\\)$/);
    if (m) {
      const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    m = value.match(/^color\\(srgb ([^)]+)\\)$/);
    if (m) {
      const p = m[1].split(/[\\s/]+/).filter(Boolean).map(Number);
      return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
    }
    if (value.startsWith("url(")) return "unknown";
    return "unknown";
  };
  const over = (top, bottom) => {  // top composited over an opaque bottom
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const luminance = (c) => {
    const ch = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const opacity = (el, stop) => {
    let o = 1;
    for (let n = el; n && n !== stop.parentNode; n = n.parentElement) o *= parseFloat(getComputedStyle(n).opacity);
    return o;
  };
  const hex = (c) => "#" + c.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, "0")).join("");
  let page = parse(getComputedStyle(document.body).backgroundColor);
  if (!page || page === "unknown" || page[3] === 0) page = parse(getComputedStyle(document.documentElement).backgroundColor) || [255, 255, 255, 1];
  page = over(page, [255, 255, 255, 1]);
  return [...document.querySelectorAll(".mermaid-rendered svg")].map((svg) => {
    const shapes = [...svg.querySelectorAll("rect, polygon, path, circle, ellipse")].filter(s => !s.closest("defs, marker"));
    let worst = null;
    const problems = [];
    for (const el of texts(svg)) {
      const r = el.getBoundingClientRect();
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      const isSvg = el instanceof SVGElement && !(el.closest("foreignObject"));
      let fg = parse(getComputedStyle(el)[isSvg ? "fill" : "color"]);
      if (fg === "unknown" || !fg) { problems.push({label: ownText(el), why: "text colour " + getComputedStyle(el)[isSvg ? "fill" : "color"] + " cannot be measured"}); continue; }
      fg = [fg[0], fg[1], fg[2], fg[3] * opacity(el, svg)];
      // What is painted right behind the text: SVG shapes before it in document order, then HTML label
      // backgrounds between it and its foreignObject, which are painted above those shapes.
      let bg = page, behind = "the page";
      for (const s of shapes) {
        if (!(s.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) || s.contains(el)) continue;
        const cs = getComputedStyle(s);
        if (cs.visibility === "hidden" || cs.display === "none") continue;
        const fill = parse(cs.fill);
        if (!fill || fill === "unknown") continue;
        const alpha = fill[3] * parseFloat(cs.fillOpacity) * opacity(s, svg);
        if (alpha <= 0) continue;
        const m = s.getScreenCTM();
        if (!m) continue;
        const p = new DOMPoint(cx, cy).matrixTransform(m.inverse());
        if (!s.isPointInFill(p)) continue;
        bg = over([fill[0], fill[1], fill[2], alpha], bg);
        behind = s.localName + (s.getAttribute("class") ? "." + s.getAttribute("class").split(/\\s+/)[0] : "") + " " + hex(bg);
      }
      const backgrounds = [];
      for (let n = el; n && n.localName !== "foreignObject" && n !== svg; n = n.parentElement) {
        if (!(n instanceof SVGElement)) backgrounds.unshift(n);
      }
      for (const n of backgrounds) {
        const b = parse(getComputedStyle(n).backgroundColor);
        if (b && b !== "unknown" && b[3] > 0) { bg = over([b[0], b[1], b[2], b[3] * opacity(n, svg)], bg); behind = "label background " + hex(bg); }
      }
      const value = ratio(over(fg, bg), bg);
      const item = {label: ownText(el), ratio: value, fg: hex(over(fg, bg)), bg: hex(bg), behind};
      if (!worst || value < worst.ratio) worst = item;
    }
    return {worst, problems};
  });
}"""
)


def _name(d: dict) -> str:
    return f"diagram {d['index']} ({d['caption'] or d['title'] or 'no caption'!r})"


def _open(new_context, base_url, site, page_url, viewport=1280, scheme="default", **options):
    context = new_context(viewport=VIEWPORTS[viewport], **options)
    if scheme:
        use_palette(context, site, scheme)
    page = context.new_page()
    page.goto(base_url + page_url, wait_until="load")
    expected = expected_diagrams(site, page_url)
    wait_for_diagrams(page, expected)
    built = page.evaluate("document.querySelectorAll('.mermaid-rendered svg').length")
    # A plain `mkdocs build` leaves diagrams to Mermaid in the browser, which these tests do not measure.
    assert built == expected, (
        f"/{page_url}: {expected} diagram(s) in the HTML, {built} rendered at build time: measure the site "
        "scripts/build.py builds (run `.venv/bin/python scripts/build.py --offline` first)")
    return page


@pytest.mark.parametrize("width", sorted(MIN_TEXT_PX))
def test_diagram_text_is_big_enough(diagram_page_url, width, site, base_url, new_context):
    """Every label of every diagram is at least 11 px on screen on a 375-px phone and 12 px at 1280 px."""
    mobile = {"device_scale_factor": 2, "is_mobile": True, "has_touch": True} if width < 600 else {}
    page = _open(new_context, base_url, site, diagram_page_url, width, **mobile)
    names = page.evaluate(_DIAGRAMS_JS)
    sizes = page.evaluate(_TEXT_SIZE_JS)
    scrolls = page.evaluate("""() => [...document.querySelectorAll(".mermaid-scroll")].map(box => ({
        scrolls: box.scrollWidth > box.clientWidth + 1, column: box.clientWidth,
        natural: box.querySelector("svg").viewBox.baseVal.width}))""")
    floor = MIN_TEXT_PX[width]
    problems = []
    for d, size, scroll in zip(names, sizes, scrolls):
        if not size["count"]:
            problems.append(f"{_name(d)} shows no text")
        elif size["px"] < floor:
            problems.append(
                f"{_name(d)}: smallest text {size['px']:.1f} px at {width} px wide, {floor - size['px']:.1f} px "
                f"under the {floor:g} px floor ({floor / size['px']:.2f}x too small), label {size['label']!r}")
        if scroll["scrolls"] and width >= 1280:
            problems.append(
                f"{_name(d)} is {scroll['natural']:.0f} px wide: even a desktop's {scroll['column']} px column "
                "has to scroll it sideways")
        elif scroll["scrolls"]:
            # Allowed (the figure scrolls, never the page), but a diagram that fits reads better.
            warnings.warn(f"/{diagram_page_url} {_name(d)} scrolls sideways at {width} px: {scroll['natural']:.0f} px "
                          f"wide at its natural size, fits a phone under ~490 px", stacklevel=1)
    assert not problems, (
        f"/{diagram_page_url}: " + "\n  ".join([""] + problems)
        + "\n  Redraw it to fit: flowchart TB, at most 3 nodes per rank, labels of at most ~18 characters "
          "per line (CONTRIBUTING.md, 'Add a diagram').")


def _contrast_problems(page, when: str) -> list[str]:
    names = page.evaluate(_DIAGRAMS_JS)
    problems = []
    for d, result in zip(names, page.evaluate(_CONTRAST_JS)):
        problems += [f"{when}: {_name(d)}: {p['label']!r}: {p['why']}" for p in result["problems"]]
        worst = result["worst"]
        if worst and worst["ratio"] < MIN_CONTRAST:
            problems.append(
                f"{when}: {_name(d)}: label {worst['label']!r} is {worst['ratio']:.2f}:1 ({worst['fg']} on "
                f"{worst['behind']}), under {MIN_CONTRAST}:1")
    return problems


def _scheme(page) -> str:
    return page.evaluate("document.body.getAttribute('data-md-color-scheme')")


def test_diagram_text_contrast_in_both_palettes(diagram_page_url, site, base_url, new_context):
    """Label text is at WCAG AA contrast on what it is drawn on: in the light palette, after the reader
    switches to the dark one on the page, and in the dark one a dark system gets with "follow the system"."""
    page = _open(new_context, base_url, site, diagram_page_url, scheme="default")
    assert _scheme(page) == "default"
    problems = _contrast_problems(page, "light palette")

    # Live switch: the palette toggle in the header, as a reader clicks it (light -> dark). The whole-guide
    # print page never runs Material's scripts; its toggle works through the inline palette script.
    if material_runs_here(page):
        interact(page)
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'", timeout=5000)
    problems += _contrast_problems(page, "after switching to the dark palette")

    # "Follow the system" (the first palette, Material's default for a new reader) on a dark system.
    assert palette_choice(site, "slate")  # the site has a dark palette to follow
    page = _open(new_context, base_url, site, diagram_page_url, scheme=None, color_scheme="dark")
    if material_runs_here(page):
        interact(page)
    assert _scheme(page) == "slate", "a dark system with the default palette choice does not get the dark palette"
    problems += _contrast_problems(page, "dark system, palette follows it")
    assert not problems, f"/{diagram_page_url}:\n  " + "\n  ".join(problems)


def test_every_diagram_opens_full_size(diagram_page_url, site, base_url, new_context):
    """Each diagram links to a standalone SVG beside its page: served, well-formed, titled, at full size."""
    page = _open(new_context, base_url, site, diagram_page_url)
    names = page.evaluate(_DIAGRAMS_JS)
    links = page.evaluate("""() => [...document.querySelectorAll(".mermaid-rendered")].map(h => {
        const a = h.querySelector("a.mermaid-fullsize");
        return a ? a.getAttribute("href") : null; })""")
    problems = []
    for d, href in zip(names, links):
        if not href:
            problems.append(f"{_name(d)} has no full-size link")
            continue
        url = urljoin(page.url, href)
        response = page.request.get(url)
        kind = response.headers.get("content-type", "")
        if response.status != 200 or "image/svg+xml" not in kind:
            problems.append(f"{_name(d)}: {url} is HTTP {response.status}, {kind}")
            continue
        try:
            root = ElementTree.fromstring(response.body())
        except ElementTree.ParseError as e:
            problems.append(f"{_name(d)}: {url} is not well-formed XML ({e}), so no browser shows it")
            continue
        ns = "{http://www.w3.org/2000/svg}"
        if root.tag != ns + "svg" or root.find(ns + "title") is None or not root.get("width"):
            problems.append(f"{_name(d)}: {url} has no <svg> root with a width and a <title>")
    assert not problems, f"/{diagram_page_url}:\n  " + "\n  ".join(problems)
