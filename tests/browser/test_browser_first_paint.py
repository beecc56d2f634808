"""Material's behaviour from the first paint, before its scripts run (they wait for the reader, see
overrides/main.html): the palette, the search field, text typed into it and the keyboard shortcuts.

Every test starts from a fresh browser context (no stored palette, nothing cached) and does nothing the
page could take for an interaction before the step under test.
"""
import json

import pytest

from helpers import expected_diagrams, palette_choice, scripts_ran, wait_for_scripts

PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def quiet_page(site) -> str:
    """A page with a previous and a next page and no diagram. (A diagram left for the browser to draw, as
    in a plain `mkdocs build`, runs Material's scripts at load, and these tests are about the time before.)"""
    for page in site.pages:
        html = site.file_for(page).read_text(encoding="utf-8")
        if page and 'rel="prev"' in html and 'rel="next"' in html and not expected_diagrams(site, page):
            return page
    pytest.fail("no page with a previous and a next page and no diagram")

# What the page looked like in the first frame that had its main area: requestAnimationFrame callbacks run
# just before a frame is painted, so this is what the reader first saw.
FIRST_FRAME = """
(() => {
  const look = () => {
    if (!document.querySelector(".md-main")) return requestAnimationFrame(look);
    const header = document.querySelector(".md-header");
    window.__firstFrame = {
      scheme: document.body.getAttribute("data-md-color-scheme"),
      background: getComputedStyle(document.body).backgroundColor,
      header: getComputedStyle(header).backgroundColor,
      scripts: "component$" in window,
    };
  };
  requestAnimationFrame(look);
})();
"""


def first_frame(page) -> dict:
    page.wait_for_function("window.__firstFrame !== undefined", timeout=10000)
    return page.evaluate("window.__firstFrame")


def fresh_page(new_context, base_url, path, init: str = "", **options):
    context = new_context(**options)
    context.add_init_script(FIRST_FRAME)
    if init:
        context.add_init_script(init)
    page = context.new_page()
    scripts = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    page.goto(base_url + path, wait_until="load")
    assert not scripts_ran(page), f"Material's scripts ran at load on /{path}: nothing here tests the time before"
    return page, scripts


def store_palette(site, choice: dict) -> str:
    return f"localStorage.setItem({json.dumps(site.prefix + '.__palette')}, {json.dumps(json.dumps(choice))});"


def system_choice(site) -> dict:
    """What Material stores for the "follow the system" palette (its media is "(prefers-color-scheme)")."""
    html = (site.root / "index.html").read_text(encoding="utf-8")
    assert 'data-md-color-media="(prefers-color-scheme)"' in html, "the site has no system-preference palette"
    choice = palette_choice(site, "default")
    return {"index": 0, "color": {**choice["color"], "media": "(prefers-color-scheme)"}}


@pytest.mark.parametrize("system,scheme", [("dark", "slate"), ("light", "default")])
def test_palette_follows_the_system_at_first_paint(system, scheme, quiet_page, base_url, new_context):
    page, scripts = fresh_page(new_context, base_url, quiet_page, color_scheme=system)
    frame = first_frame(page)
    assert not frame["scripts"] and not scripts, f"Material's scripts ran before any interaction: {scripts}"
    assert frame["scheme"] == scheme, f"a {system} system saw the {frame['scheme']!r} palette at first paint"
    # The toggle for the palette in use is shown from the start, as Material shows it.
    assert page.locator("form[data-md-component=palette] label.md-header__button:not([hidden])").count() == 1


def test_system_preference_choice_follows_a_dark_system_at_first_paint(site, quiet_page, base_url, new_context):
    page, _ = fresh_page(new_context, base_url, quiet_page, init=store_palette(site, system_choice(site)), color_scheme="dark")
    assert first_frame(page)["scheme"] == "slate"


def test_a_stored_choice_beats_the_system_at_first_paint(site, quiet_page, base_url, new_context):
    page, _ = fresh_page(new_context, base_url, quiet_page, init=store_palette(site, palette_choice(site, "default")),
                         color_scheme="dark")
    assert first_frame(page)["scheme"] == "default"


def test_palette_toggle_works_before_the_scripts(site, quiet_page, base_url, new_context):
    """A click on the toggle before Material's scripts run switches the palette and is kept once they run."""
    page, _ = fresh_page(new_context, base_url, quiet_page, color_scheme="light")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "default"
    seen = []
    for _ in range(3):  # system -> light -> dark: at most three clicks reach dark
        page.locator("form[data-md-component=palette] label.md-header__button:not([hidden])").click()
        seen.append((page.evaluate("document.body.getAttribute('data-md-color-scheme')"), scripts_ran(page)))
        if seen[-1][0] == "slate":
            break
    assert seen[-1][0] == "slate", f"clicking the toggle never reached the dark palette: {seen}"
    wait_for_scripts(page)
    page.wait_for_timeout(300)
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate", \
        "Material's scripts dropped the palette picked before they ran"
    page.reload(wait_until="load")
    assert first_frame(page)["scheme"] == "slate", "the palette picked before the scripts ran was not stored"


def test_search_field_is_shown_at_first_paint(quiet_page, base_url, new_context):
    page, scripts = fresh_page(new_context, base_url, quiet_page)
    assert page.locator("input.md-search__input").is_visible(), "no search field before Material's scripts ran"
    phone, _ = fresh_page(new_context, base_url, quiet_page, **PHONE)
    button = phone.locator("label.md-header__button[for=__search]")
    assert button.is_visible(), "no search button on a phone before Material's scripts ran"
    assert not scripts, f"scripts ran before any interaction: {scripts}"


def search_results(page) -> list[str]:
    page.locator("li.md-search-result__item").first.wait_for(timeout=20000)
    return page.eval_on_selector_all("li.md-search-result__item > a.md-search-result__link",
                                     "links => links.map(a => new URL(a.href).pathname)")


def caret(page) -> dict:
    return page.evaluate("(() => { const q = document.querySelector('input.md-search__input');"
                         " return { value: q.value, start: q.selectionStart, end: q.selectionEnd,"
                         " focused: document.activeElement === q }; })()")


def test_text_typed_before_the_scripts_is_searched(site, quiet_page, base_url, new_context):
    """Type into the field at once, move the caret, type again: nothing is lost, and Material searches it."""
    page, _ = fresh_page(new_context, base_url, quiet_page)
    page.locator("input.md-search__input").click()
    page.keyboard.type("volme", delay=30)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.type("u")
    before = caret(page)
    assert not scripts_ran(page), "Material's scripts ran before the typing ended: the test proves nothing"
    assert before == {"value": "volume", "start": 4, "end": 4, "focused": True}, before
    found = search_results(page)
    assert scripts_ran(page)
    assert caret(page) == before, "the typed text or its caret changed when Material's scripts ran"
    assert site.prefix + "concepts/storage/" in found[:3], f"search for 'volume' found {found[:5]}"


@pytest.mark.parametrize("key", ["/", "s", "f"])
def test_search_shortcut_works_on_the_first_key_press(key, site, quiet_page, base_url, new_context):
    page, _ = fresh_page(new_context, base_url, quiet_page)
    page.keyboard.press(key)
    page.keyboard.type("volume", delay=30)
    typed = caret(page)
    assert typed["focused"] and typed["value"] == "volume", f"after {key!r} then typing: {typed}"
    assert page.evaluate("document.querySelector('[data-md-toggle=search]').checked"), "the search did not open"
    assert site.prefix + "concepts/storage/" in search_results(page)[:3]


@pytest.mark.parametrize("key,rel", [("n", "next"), ("p", "prev"), (".", "next"), (",", "prev")])
def test_page_shortcut_works_on_the_first_key_press(key, rel, quiet_page, base_url, new_context):
    page, _ = fresh_page(new_context, base_url, quiet_page)
    target = page.evaluate(f"document.querySelector('link[rel={rel}]').href")
    page.keyboard.press(key)
    page.wait_for_url(target, timeout=10000)


def test_escape_closes_search_before_the_scripts(quiet_page, base_url, new_context):
    page, _ = fresh_page(new_context, base_url, quiet_page)
    page.keyboard.press("/")
    assert page.evaluate("document.querySelector('[data-md-toggle=search]').checked")
    page.keyboard.press("Escape")
    state = page.evaluate("({ open: document.querySelector('[data-md-toggle=search]').checked,"
                          " focused: document.activeElement === document.querySelector('input.md-search__input') })")
    assert state == {"open": False, "focused": False}, state


# Everything in the header that a reader sees, where it is.
HEADER_BOXES = """
() => [...document.querySelectorAll(".md-header__inner > *, .md-header__inner label, .md-search__input, .md-search__form")]
  .map(el => {
    const r = el.getBoundingClientRect();
    const name = el.tagName.toLowerCase() + "." + [...el.classList].join(".") + (el.htmlFor ? "[for=" + el.htmlFor + "]" : "");
    return [name, [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)]];
  })
"""


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_header_does_not_move_when_the_scripts_start(device, quiet_page, base_url, new_context):
    page, _ = fresh_page(new_context, base_url, quiet_page, **(PHONE if device == "phone" else {}))
    before = page.evaluate(HEADER_BOXES)
    page.mouse.move(5, 400)  # an interaction outside the header; the scripts start once the reader pauses
    wait_for_scripts(page)
    page.wait_for_timeout(500)
    after = page.evaluate(HEADER_BOXES)
    moved = [f"{a[0]}: {a[1]} -> {b[1]}" for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and not moved, "the header changed when Material's scripts ran:\n  " + "\n  ".join(moved)


def test_search_on_a_phone_before_the_scripts(site, quiet_page, base_url, new_context):
    """On a phone the search is a button: a tap opens it with the field focused, ready for typing."""
    page, _ = fresh_page(new_context, base_url, quiet_page, **PHONE)
    page.locator("label.md-header__button[for=__search]").tap()
    page.keyboard.type("volume", delay=30)
    typed = caret(page)
    assert typed["focused"] and typed["value"] == "volume", typed
    assert page.locator("input.md-search__input").is_visible()
    assert site.prefix + "concepts/storage/" in search_results(page)[:3]
