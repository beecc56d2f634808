"""The one-page print version, made light enough to open on a phone.

print-site writes the whole guide into one HTML file (~3 MB, ~44,000 elements). A phone had to download
and lay out all of it before it could paint or answer a tap: Lighthouse mobile scored it 69 at 1.1 MB
(first paint 3.0 s, 800 ms blocked), and at 3 MB Lighthouse itself timed out on it. After every check has
read the whole page, `split_site` keeps the first chapter and every chapter's heading in the page and moves
the other chapters' bodies into files beside it (`chapters/N.html`), each holding its estimated height so
that nothing moves when it arrives. The page's script (overrides/main.html) fetches them at once and
attaches them, a few pieces per frame, `hidden="until-found"`: not laid out until the reader scrolls near,
finds text in them or follows a link into them, and all shown when the reader prints. Without scripts each
chapter's heading is followed by a link to its own page.

Each chapter file is cut at its top-level elements into pieces of about CHUNK_BYTES, separated by
CHUNK_MARK, so that parsing one piece is a short task too.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from scripts.serve_site import site_pages

CHUNK_BYTES = 12_000
CHUNK_MARK = "<!--print-chunk-->"
CHAPTER_DIR = "chapters"
# print-site's section for one page: <section class="print-page" id="concepts-storage" heading-number="3.6">
RE_PAGE_SECTION = re.compile(r'<section class="print-page" id="(?P<id>[^"]+)" heading-number="[^"]*">')
RE_SECTION_TAG = re.compile(r"<section\b|</section>")
RE_LEADING_H1 = re.compile(r"\s*<h1\b.*?</h1>", re.S)
RE_LINE_ANCHOR = re.compile(r'<a id="__codelineno-[^"]*" name="__codelineno-[^"]*" href="[^"]*"></a>')
RE_PRE = re.compile(r"<pre\b.*?</pre>", re.S)
RE_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
RE_TAG = re.compile(r"<[^>]+>")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# A tag as the HTML the build writes spells it (attribute values quoted, so a ">" in one is not the end),
# a comment, or the raw text of a <script>/<style> (an inline SVG has a <style>), which holds no tags.
RE_TOKEN = re.compile(r"""<!--.*?-->|<(script|style)\b.*?</\1\s*>|<(/?)([a-zA-Z][a-zA-Z0-9:-]*)"""
                      r"""(?:[^>"']|"[^"]*"|'[^']*')*?(/?)>""", re.S | re.I)


def _top_level_ends(fragment: str) -> list[int] | None:
    """Offsets just after each top-level element of the fragment: where it may be cut. None when its tags
    do not balance (hand-written HTML in a page), which then stays whole. A regular expression rather than
    html.parser, which took 0.3 s of every build on this site's 2.4 MB of chapters."""
    depth, ends = 0, []
    for m in RE_TOKEN.finditer(fragment):
        closing, name, self_closing = m.group(2), m.group(3), m.group(4)
        if m.group(1):  # a whole <script> or <style> element
            if depth == 0:
                ends.append(m.end())
            continue
        if name is None or name.lower() in VOID:
            continue  # a comment or a void element
        if closing:
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                ends.append(m.end())
        elif not self_closing:
            depth += 1
        elif depth == 0:
            ends.append(m.end())
    return ends if depth == 0 else None


def chunks(fragment: str, size: int = CHUNK_BYTES) -> list[str]:
    """The fragment cut between top-level elements into pieces of about `size` characters.

    Every piece is balanced HTML, so each parses on its own into the same nodes as the whole. A fragment
    whose tags do not balance (hand-written HTML in a page) stays in one piece.
    """
    ends = _top_level_ends(fragment)
    if ends is None:
        return [fragment]
    pieces, begin = [], 0
    for end in ends:
        if end - begin >= size:
            pieces.append(fragment[begin:end])
            begin = end
    if begin < len(fragment):
        if pieces and not fragment[begin:].strip():
            pieces[-1] += fragment[begin:]
        else:
            pieces.append(fragment[begin:])
    return pieces or [fragment]


def estimated_height(fragment: str) -> int:
    """Roughly how tall (px) a chapter is in a phone column, so the space it holds while hidden is near
    its real height. Fitted on this site's chapters at 412 px wide (within ~10 % for most)."""
    code_lines = sum(pre.count("\n") for pre in RE_PRE.findall(fragment))
    text = html.unescape(RE_TAG.sub("", RE_PRE.sub("", RE_SVG.sub("", fragment))))
    return round(0.85 * len(text) + 15.5 * code_lines + 265 * fragment.count("<svg"))


def _section_end(text: str, start: int) -> int:
    """Offset of the `</section>` that closes the section opened at `start`."""
    depth = 0
    for m in RE_SECTION_TAG.finditer(text, start):
        depth += 1 if m.group(0) == "<section" else -1
        if depth == 0:
            return m.start()
    raise ValueError("unclosed <section>")


def split(page: Path, page_urls: dict[str, str]) -> int:
    """Move each chapter's body out of the print page into chapters/N.html; return how many moved.

    page_urls maps print-site's section id (the page's URL with "/" as "-", "index" for the home page)
    to the page's URL relative to the print page, for the link a reader without scripts follows.
    """
    # Code-line anchors (anchor_linenums) repeat their ids once per page here, and print-site points their
    # links at ids that do not exist; on a page for print they are ~4,600 dead links in the way.
    text = RE_LINE_ANCHOR.sub("", page.read_text(encoding="utf-8"))
    out_dir = page.parent / CHAPTER_DIR
    out_dir.mkdir(exist_ok=True)
    parts, pos, count = [], 0, 0
    for index, m in enumerate(RE_PAGE_SECTION.finditer(text)):
        body_start = m.end()
        body_end = _section_end(text, m.start())
        body = text[body_start:body_end]
        h1 = RE_LEADING_H1.match(body)
        heading = h1.group(0) if h1 else ""
        rest = body[h1.end():] if h1 else body
        if index == 0 or not rest.strip():
            continue  # the first chapter stays: it is what the page shows first
        count += 1
        name = f"{CHAPTER_DIR}/{count}.html"
        (page.parent / name).write_text(CHUNK_MARK.join(chunks(rest)), encoding="utf-8")
        url = page_urls.get(m.group("id"))
        title = re.sub(r"<[^>]+>|&para;", "", heading).strip() or m.group("id")  # still HTML: no escaping
        own_page = f' It is also on its own page: <a href="{html.escape(url)}">{title}</a>.' if url else ""
        # The space the chapter will take, held from the first paint when scripts run (extra.css), so that
        # nothing on screen moves as chapters arrive.
        placeholder = (f'<div class="print-chapter" data-print-pending style="--print-height: '
                       f'{estimated_height(rest)}px"><p><span>This chapter loads with the page\'s scripts.</span>'
                       f"{own_page}</p></div>")
        parts.append(text[pos:m.start()])
        parts.append(m.group(0).replace("<section ", f'<section data-print-chapter="{name}" ', 1))
        parts.append(heading + placeholder)
        pos = body_end
    parts.append(text[pos:])
    if count:
        page.write_text("".join(parts), encoding="utf-8")
    return count


def split_site(site_dir: Path, print_dir_name: str) -> int:
    """Split site/<print_dir_name>/index.html (see the module's docstring); 0 if there is none."""
    page = site_dir / print_dir_name / "index.html"
    if not page.is_file():
        return 0
    # print-site names each page's section after its URL: "concepts/storage/" -> "concepts-storage".
    urls = {(url.rstrip("/").lower().replace("/", "-") or "index"): "../" + url for url in site_pages(site_dir)}
    return split(page, urls)
