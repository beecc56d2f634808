"""Site-wide behaviour: diagrams after navigation, search, and the palette toggle."""
import re
from urllib.parse import urljoin, urlsplit

import pytest

from helpers import (SCHEMES, diagram_problems, expected_diagrams, interact, material_runs_here, scripts_ran,
                     use_palette, wait_for_scripts)

# A query a reader would type, and the page that must answer it.
SEARCHES = {
    "volume": "concepts/storage/",
    "GPU": "ml/gpus/",
    "multi-stage": "ml/dockerfile/",
}

_FOOTER_LINK = re.compile(r'<a\b[^>]*\bclass="md-footer__link[^"]*"[^>]*>')
_HREF = re.compile(r'\bhref="([^"]*)"')


def neighbour_of(site, base_url: str, page_url: str) -> str:
    """A page that links to this one in the navigation: the previous (or next) page in the guide."""
    html = site.file_for(page_url).read_text(encoding="utf-8")
    for tag in _FOOTER_LINK.findall(html):
        href = _HREF.search(tag)
        if href:
            return urljoin(base_url + page_url, href.group(1))
    if 'class="md-page-links__print"' in site.file_for("").read_text(encoding="utf-8"):
        return base_url  # the whole-guide page, out of the navigation, is linked from under every page
    pytest.fail(f"/{page_url} has no previous or next page to arrive from")


def test_diagrams_after_navigating(diagram_page_url, nav_scheme, site, base_url, context, page, watch):
    """Diagrams render on a page reached by clicking a navigation link, and follow a live palette switch."""
    scheme = nav_scheme
    use_palette(context, site, scheme)
    target = base_url + diagram_page_url
    page.goto(neighbour_of(site, base_url, diagram_page_url), wait_until="load")
    # Prefer the sidebar or tabs, as a reader would; the footer's previous/next link always exists.
    index = page.evaluate(
        """(target) => {
          const links = [...document.querySelectorAll(".md-nav--primary a.md-nav__link, .md-tabs a, a.md-footer__link, a.md-page-links__print")];
          const visible = a => a.href === target && a.getClientRects().length > 0 && getComputedStyle(a).visibility !== "hidden";
          const link = links.find(visible);
          if (!link) return -1;
          link.setAttribute("data-test-nav-target", "");
          return 0;
        }""",
        target,
    )
    assert index == 0, f"no visible navigation link to /{diagram_page_url} on its neighbour page"
    page.locator("[data-test-nav-target]").first.click()
    page.wait_for_url(target)
    page.wait_for_load_state("load")
    expected = expected_diagrams(site, diagram_page_url)
    problems = [f"reached by navigation in {scheme}: {p}" for p in diagram_problems(page, expected, scheme)]
    other = SCHEMES[1 - SCHEMES.index(scheme)]
    toggle_palette(page, other)
    problems += [f"after switching to {other}: {p}" for p in diagram_problems(page, expected, other)]
    problems = watch.problems() + problems
    assert not problems, f"/{diagram_page_url}:\n  " + "\n  ".join(problems)


def current_scheme(page) -> str:
    return page.evaluate("document.body.getAttribute('data-md-color-scheme')")


def toggle_palette(page, wanted: str) -> None:
    """Click the header's palette toggle, as a reader does, until the page shows the wanted scheme.

    The toggle cycles through the configured palettes (system, light, dark), so it may take two clicks;
    the choice counts as made once Material has stored it. Material shows the toggle once its scripts
    run, on the reader's first interaction: moving the mouse towards the button is that interaction.
    """
    if not scripts_ran(page) and material_runs_here(page):
        interact(page)
    for _ in range(4):
        if current_scheme(page) == wanted and page.evaluate("Object.keys(localStorage).some(k => k.endsWith('__palette'))"):
            return
        page.locator("form[data-md-component=palette] label.md-header__button:not([hidden])").click()
    assert current_scheme(page) == wanted, f"the palette toggle never reached {wanted!r}"


@pytest.mark.parametrize("query,expected", SEARCHES.items(), ids=list(SEARCHES))
def test_search_finds_the_right_page(query, expected, site, base_url, page, watch):
    assert expected in site.pages, f"the page search should find, /{expected}, is not in the site"
    page.goto(base_url, wait_until="load")
    interact(page)  # Material shows the search box once its scripts run
    box = page.locator("input.md-search__input")
    box.click()
    # Material searches on key events, so type as a reader does (fill() would set the value silently).
    box.press_sequentially(query, delay=20)
    page.locator("li.md-search-result__item").first.wait_for(timeout=15000)
    hrefs = page.eval_on_selector_all("li.md-search-result__item > a.md-search-result__link", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        path = urlsplit(href).path
        if path not in found:
            found.append(path)
    wanted = urlsplit(base_url + expected).path
    assert wanted in found[:3], f"search for {query!r}: expected {wanted} in the top three, got {found[:5]}"
    assert not watch.problems(), watch.problems()


def test_palette_toggle_is_remembered(site, base_url, page, watch):
    page.goto(base_url, wait_until="load")
    assert current_scheme(page) == "default", "with a light system setting the site should start light"
    toggle_palette(page, "slate")
    page.reload(wait_until="load")
    assert current_scheme(page) == "slate", "the dark palette was forgotten on reload"
    other = next(p for p in site.pages if p)
    page.goto(base_url + other, wait_until="load")
    assert current_scheme(page) == "slate", f"the dark palette was not kept on /{other}"
    toggle_palette(page, "default")
    page.reload(wait_until="load")
    assert current_scheme(page) == "default", "the light palette was forgotten on reload"
    assert not watch.problems(), watch.problems()


# Layout-shift entries are only handed to an observer; `buffered` replays those since navigation.
LAYOUT_SHIFT = """
() => new Promise(resolve => {
  new PerformanceObserver(list => resolve(list.getEntries().reduce((sum, e) => sum + e.value, 0)))
    .observe({ type: "layout-shift", buffered: true });
  setTimeout(() => resolve(0), 500);  // no entry at all: nothing moved
})
"""


def _code_page(site) -> str:
    """A page with code and no diagram (a diagram left for the browser to draw runs the scripts at load)."""
    return next(p for p in site.pages
                if p and "<pre" in site.file_for(p).read_text(encoding="utf-8") and not expected_diagrams(site, p))


def _copy_buttons(page) -> int:
    return page.evaluate("document.querySelectorAll('nav.md-code__nav [data-md-type=copy], button.md-clipboard').length")


@pytest.mark.parametrize("how", ["pointer", "keyboard", "touch"])
def test_material_scripts_wait_for_the_reader(how, site, base_url, new_context, watch_factory):
    """Material's bundle is not fetched at load; a reader's first pointer, key or touch runs it."""
    # Touch events need a phone-like context, as a reader's phone is.
    phone = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
    context = new_context(**phone) if how == "touch" else new_context()
    page = context.new_page()
    watch = watch_factory(page)
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(base_url + _code_page(site), wait_until="load")
    page.wait_for_timeout(500)
    assert not scripts, f"scripts fetched before any interaction: {scripts}"
    assert _copy_buttons(page) == 0, "copy buttons before Material's scripts ran"
    if how == "pointer":
        page.mouse.move(10, 10)
    elif how == "keyboard":
        page.keyboard.press("Tab")
    else:
        page.touchscreen.tap(200, 300)
    wait_for_scripts(page)
    page.wait_for_function("document.querySelectorAll('nav.md-code__nav').length > 0", timeout=15000)
    page.wait_for_timeout(300)
    # What the scripts add (search box, palette toggle, copy buttons) must not push the text around.
    shift = page.evaluate(LAYOUT_SHIFT)
    assert shift < 0.01, f"running Material's scripts shifted the layout by {shift:.3f} (CLS units)"
    assert any("/bundle." in url for url in scripts), f"Material's bundle was not fetched: {scripts}"
    assert len(scripts) == len(set(scripts)), f"a script was fetched twice: {scripts}"
    assert not watch.problems(), watch.problems()


def test_search_link_runs_material_at_once(site, base_url, page, watch):
    """A search link (?q=, as the 404 page's form sends) shows results with no interaction."""
    page.goto(base_url + "?q=volume", wait_until="load")
    page.locator("li.md-search-result__item").first.wait_for(timeout=15000)
    assert not watch.problems(), watch.problems()


def test_writers_preview_draws_diagrams_in_the_browser(plain_build, page, watch_factory):
    """What `mkdocs serve` shows: Mermaid (the local copy, never a CDN) draws every diagram at load."""
    plain_site, url = plain_build
    diagram_page = next(p for p in plain_site.pages if expected_diagrams(plain_site, p))
    watch = watch_factory(page, url)
    page.goto(url + diagram_page, wait_until="load")
    problems = diagram_problems(page, expected_diagrams(plain_site, diagram_page), "default") + watch.problems()
    assert not problems, f"/{diagram_page} (plain build):\n  " + "\n  ".join(problems)
