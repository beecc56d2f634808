"""Every page of the built site, as a reader's browser shows it.

One test per page and palette does all the checks that need the page loaded in that palette, so the
suite loads each page as few times as possible (Mermaid alone is 3.5 MB of JavaScript to parse).
"""
import pytest

from helpers import (SCHEMES, axe_problems, diagram_problems, expected_diagrams, interact, material_runs_here,
                     use_palette)

MOBILE = {"width": 375, "height": 812}


def report(page_url: str, problems: list[str]) -> str:
    return f"/{page_url} has {len(problems)} problem(s):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_page(page_url, scheme, site, base_url, context, page, watch):
    """Loads cleanly, draws its diagrams with text alternatives, and passes axe in this palette once Material's
    scripts have run."""
    use_palette(context, site, scheme)
    response = page.goto(base_url + page_url, wait_until="load")
    assert response is not None and response.status == 200, f"/{page_url}: HTTP {response and response.status}"
    actual = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert actual == scheme, f"palette did not apply: data-md-color-scheme is {actual!r}"

    problems = diagram_problems(page, expected_diagrams(site, page_url), scheme)
    if scheme == SCHEMES[0]:
        # What a reader gets before Material's scripts run (overrides/main.html) must pass axe too.
        problems += [f"before any interaction: {p}" for p in axe_problems(page)]
    runs = material_runs_here(page)
    if runs:
        interact(page)
    else:
        page.mouse.move(8, 8)  # the reader is here all the same
    if scheme == SCHEMES[0] and runs:
        # Copy buttons are the same in both palettes: check them once.
        missing = page.evaluate(
            """() => [...document.querySelectorAll(".md-content pre > code")]
                 .filter(code => !code.closest("pre").querySelector(":scope > nav.md-code__nav [data-md-type=copy], :scope > button.md-clipboard"))
                 .filter(code => !code.closest(".mermaid"))
                 .length"""
        )
        if missing:
            problems.append(f"{missing} code block(s) without a copy button")
    problems += axe_problems(page)  # also gives late requests (search index, fetches) time to show
    problems = watch.problems() + problems
    assert not problems, report(page_url, problems)


def test_no_sideways_scroll_on_a_phone(page_url, site, base_url, new_context):
    """At 375 px the page itself never scrolls sideways; wide code and tables scroll inside their box."""
    page = new_context(viewport=MOBILE, device_scale_factor=2, is_mobile=True, has_touch=True).new_page()
    page.goto(base_url + page_url, wait_until="load")
    diagram_problems(page, expected_diagrams(site, page_url), "default")  # wait: diagrams change widths
    width = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, client: document.scrollingElement.clientWidth})"
    )
    if width["scroll"] > width["client"]:
        culprits = page.evaluate(
            """(client) => [...document.querySelectorAll("body *")]
                 .filter(el => el.getBoundingClientRect().right > client + 1)
                 .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= client + 1)
                 .slice(0, 5)
                 .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") + " right=" + Math.round(el.getBoundingClientRect().right))""",
            width["client"],
        )
        pytest.fail(
            f"/{page_url} is {width['scroll']} px wide in a {width['client']} px viewport; "
            f"widest offenders: {culprits}"
        )


def test_not_found_page(site, base_url, context, page, watch):
    """An unknown URL, at any depth, gets the 404 page with working styles and a search box."""
    url = base_url + "no-such-section/no-such-page/"
    watch.expected_statuses[url] = 404
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 404
    page.wait_for_load_state("networkidle")
    # The page's own search form: it works before (and without) Material's scripts.
    assert page.locator("form.md-404-search input[name=q]").is_visible(), "no visible search box"
    styled = page.evaluate("getComputedStyle(document.querySelector('.md-header')).position")
    assert styled in ("sticky", "fixed"), "the 404 page's stylesheet did not load"
    problems = watch.problems() + axe_problems(page)
    assert not problems, report("no-such-section/no-such-page/", problems)
