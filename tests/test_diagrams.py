"""scripts/diagrams.py without a browser: colours, the text-size floor and the standalone SVG."""
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from scripts import diagrams
from scripts.diagrams import ROLES, Rendered, diagram_key, inline_svgs, palette, recolour

ROOT = Path(__file__).resolve().parents[1]
SVG_NS = "{http://www.w3.org/2000/svg}"


def test_the_stylesheet_sets_every_colour_role_for_both_palettes():
    pal = palette(ROOT)
    for scheme in ("default", "slate"):
        assert set(ROLES) <= set(pal[scheme]), f"{scheme}: no --diagram-{sorted(set(ROLES) - set(pal[scheme]))}"


def test_each_placeholder_colour_becomes_its_custom_property():
    fill, label = diagrams._PLACEHOLDER["fill"], diagrams._PLACEHOLDER["label-fill"]
    r, g, b = (int(label[i:i + 2], 16) for i in (1, 3, 5))
    svg = f"<svg><style>.node rect{{fill:{fill}}} .labelBkg{{background-color:rgba({r}, {g}, {b}, 0.5)}}</style></svg>"
    out = recolour(svg, {"fill": "#eee", "label-fill": "#fff"})
    assert "fill:var(--diagram-fill, #eee)" in out
    assert "background-color:var(--diagram-label-fill, #fff)" in out
    assert "#ab00" not in out


def test_the_floor_keeps_the_smallest_text_at_12_px_and_11_px_on_a_phone():
    desktop, phone = diagrams._min_widths(Rendered("k", "<svg/>", width=800.0, height=100.0, min_font=16.0))
    assert 800 * 12 / 16 <= desktop <= 800 * 12.5 / 16
    assert 800 * 11 / 16 <= phone < desktop
    # A diagram whose smallest text is already below 12 px at its natural size never shrinks.
    assert diagrams._min_widths(Rendered("k", "<svg/>", width=300.0, height=100.0, min_font=10.0)) == (300.0, 300.0)


def test_inlining_writes_a_standalone_svg_per_diagram_and_links_it(tmp_path):
    text = "flowchart TB\n  A --> B\n"
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" id="m1" width="100%" style="max-width: 200px;" '
           'viewBox="0 0 200 100"><title>T</title><rect style="fill:' + diagrams._PLACEHOLDER["fill"] + '"/></svg>')
    rendered = {diagram_key(text): Rendered(diagram_key(text), svg, width=200.0, height=100.0, min_font=16.0)}
    html = '<pre class="mermaid"><code>flowchart TB\n  A --&gt; B\n</code></pre>'
    out, count = inline_svgs(html, rendered, tmp_path, palette(ROOT))
    assert count == 1 and 'href="diagram-1.svg"' in out and "--diagram-min: 153px" in out
    root = ElementTree.fromstring((tmp_path / "diagram-1.svg").read_bytes())
    assert root.tag == SVG_NS + "svg" and root.get("width") == "200" and root.find(SVG_NS + "title") is not None
    assert "var(--diagram-fill," in (tmp_path / "diagram-1.svg").read_text()
