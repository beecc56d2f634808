"""Site-wide behaviour: diagrams after navigation, search, and the palette toggle."""
import re
from urllib.parse import urljoin, urlsplit

import pytest

from helpers import SCHEMES, diagram_problems, expected_diagrams, use_palette

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
          const links = [...document.querySelectorAll(".md-nav--primary a.md-nav__link, .md-tabs a, a.md-footer__link")];
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
    the choice counts as made once Material has stored it.
    """
    for _ in range(4):
        if current_scheme(page) == wanted and page.evaluate("Object.keys(localStorage).some(k => k.endsWith('__palette'))"):
            return
        page.locator("form[data-md-component=palette] label.md-header__button:not([hidden])").click()
    assert current_scheme(page) == wanted, f"the palette toggle never reached {wanted!r}"


@pytest.mark.parametrize("query,expected", SEARCHES.items(), ids=list(SEARCHES))
def test_search_finds_the_right_page(query, expected, site, base_url, page, watch):
    assert expected in site.pages, f"the page search should find, /{expected}, is not in the site"
    page.goto(base_url, wait_until="load")
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
