"""The one-page print version: its chapters live in files beside it and its script attaches them
(scripts/print_page.py, overrides/main.html). A reader must still get the whole guide: on screen as they
scroll, when they print, when they follow a link to a heading, and a way to each chapter without scripts."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

PRINT = "print_page/"
ATTACHED = "!document.querySelector('[data-print-chapter]')"


@pytest.fixture
def print_site(site):
    chapters = sorted((site.root / PRINT / "chapters").glob("*.html"), key=lambda p: int(p.stem))
    if not chapters:
        pytest.skip("site/ holds a plain `mkdocs build`: the print page is split by scripts/build.py")
    return site, chapters


def _headings(files: list[Path]) -> list[str]:
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    return re.findall(r'<h[23] id="([^"]+)"', text)


def test_every_chapter_arrives_and_nothing_moves(print_site, base_url, new_context, watch_factory):
    site, chapters = print_site
    context = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    watch = watch_factory(page)
    page.add_init_script("""window.__shift = 0; new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__shift += e.value; }).observe({type: "layout-shift", buffered: true});""")
    page.goto(base_url + PRINT, wait_until="load")
    pending = page.evaluate("document.querySelectorAll('[data-print-chapter]').length")
    assert pending, "no chapter was left to attach at load: is the print page split?"
    page.wait_for_function(ATTACHED, timeout=60000)
    wanted = _headings([site.file_for(PRINT), *chapters])
    found = page.evaluate("[...document.querySelectorAll('#print-site-page h2[id], #print-site-page h3[id]')].map(h => h.id)")
    assert found == wanted, f"{len(wanted)} headings in the page and its chapter files, {len(found)} in the browser"
    # Far chapters stay unlaid-out until the reader comes near; the page keeps their height meanwhile.
    hidden = page.evaluate("document.querySelectorAll('.print-chapter[hidden]').length")
    assert hidden >= len(chapters) - 3, f"only {hidden} of {len(chapters)} chapters wait hidden"
    page.wait_for_timeout(300)
    assert page.evaluate("window.__shift") < 0.01, "the page moved while its chapters arrived"
    last = page.locator(".print-chapter").last
    last.scroll_into_view_if_needed()
    page.wait_for_function("![...document.querySelectorAll('.print-chapter')].at(-1).hidden")
    text = page.evaluate("[...document.querySelectorAll('.print-chapter')].at(-1).innerText")
    assert len(text) > 200 and last.bounding_box()["height"] > 500, "the last chapter did not show when scrolled to"
    assert not watch.problems(), watch.problems()


def test_printing_shows_every_chapter(print_site, base_url, page, watch):
    page.goto(base_url + PRINT, wait_until="networkidle")
    # What the reader's browser does on Ctrl+P, before it lays the page out for paper.
    still = page.evaluate("""() => { dispatchEvent(new Event("beforeprint"));
        return document.querySelectorAll('[data-print-chapter], .print-chapter[hidden]').length; }""")
    assert still == 0, f"{still} chapter(s) not shown when printing began"
    page.emulate_media(media="print")
    heights = page.evaluate("[...document.querySelectorAll('.print-chapter')].map(b => b.getBoundingClientRect().height)")
    assert heights and min(heights) > 100, f"a chapter prints empty: heights {sorted(heights)[:3]}"
    assert not watch.problems(), watch.problems()


def test_print_style_shows_chapters_still_hidden(print_site, base_url, page):
    """A browser that prints without firing beforeprint still prints the chapters (extra.css)."""
    page.goto(base_url + PRINT, wait_until="load")
    page.wait_for_function(ATTACHED, timeout=60000)
    page.emulate_media(media="print")
    shown = page.evaluate("[...document.querySelectorAll('.print-chapter[hidden]')].map(b => getComputedStyle(b).contentVisibility)")
    assert shown and set(shown) == {"visible"}, f"hidden chapters print as {set(shown)}"


def test_a_link_to_a_late_heading_lands_on_it(print_site, base_url, page, watch):
    site, chapters = print_site
    heading = _headings(chapters[-2:-1])[0]
    page.goto(f"{base_url}{PRINT}#{heading}", wait_until="load")
    page.wait_for_function(ATTACHED, timeout=60000)
    page.wait_for_timeout(200)
    top = page.evaluate(f"document.getElementById({heading!r}).getBoundingClientRect().top")
    assert -2 <= top < 100, f"#{heading} is at {top:.0f} px, not at the top of the view"
    assert not watch.problems(), watch.problems()


def test_without_scripts_every_chapter_links_to_its_page(print_site, base_url, new_context):
    site, chapters = print_site
    page = new_context(java_script_enabled=False).new_page()
    page.goto(base_url + PRINT, wait_until="load")
    links = page.evaluate("""[...document.querySelectorAll('section[data-print-chapter]')].map(s => {
        const a = s.querySelector('[data-print-pending] a'); return a && a.getAttribute('href'); })""")
    assert len(links) == len(chapters) and all(links), f"chapters without a link to their page: {links.count(None)}"
    missing = [href for href in links if not (site.root / os.path.normpath(PRINT + href) / "index.html").is_file()]
    assert not missing, f"links to pages that do not exist: {missing}"


def test_a_chapter_that_cannot_load_says_so(print_site, base_url, page):
    page.route("**/print_page/chapters/2.html", lambda route: route.abort())
    page.goto(base_url + PRINT, wait_until="load")
    page.wait_for_function("document.querySelector('[data-print-pending] span')?.textContent.includes('could not')")
    link = page.evaluate("document.querySelector('[data-print-pending] a').getAttribute('href')")
    assert link.startswith("../"), link
