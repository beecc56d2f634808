"""scripts/print_page.py: the print page split into a light page and its chapter files, losing nothing."""
from __future__ import annotations

from html.parser import HTMLParser

from scripts import print_page

CHAPTER = "".join(
    f'<h2 id="p-{i}">Part {i}</h2>\n<p>Text with <code>code</code> and <a href="#p-{i}">a link</a>.</p>\n'
    f'<div class="admonition"><p>Note {i}</p><br><img src="x.png" alt=""></div>\n'
    f'<pre><code><a id="__codelineno-{i}-1" name="__codelineno-{i}-1" href="#page-__codelineno-{i}-1"></a>'
    f"line &lt;{i}&gt;\n</code></pre>\n"
    for i in range(40)
)

PAGE = f"""<html><body><div id="print-site-page">
<section class="print-page"><div id="print-page-toc"></div></section>
<section class="print-page" id="index" heading-number="1"><h1 id="index-home">Home<a class="headerlink" href="#index-home">&para;</a></h1>
<p>The home page stays.</p></section>
<section class='print-page md-section' id='section-2' heading-number='2'><h1>Group</h1>
<section class="print-page" id="concepts-storage" heading-number="2.1"><h1 id="concepts-storage-storage">Storage &amp; volumes</h1>
{CHAPTER}</section>
</section></div></body></html>"""


class Depth(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.lowest = 0

    def handle_starttag(self, tag, attrs):
        if tag not in print_page.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag not in print_page.VOID:
            self.depth -= 1
            self.lowest = min(self.lowest, self.depth)


def balanced(fragment: str) -> bool:
    parser = Depth()
    parser.feed(fragment)
    parser.close()
    return parser.depth == 0 and parser.lowest == 0


def test_chunks_are_balanced_pieces_of_the_whole():
    pieces = print_page.chunks(CHAPTER, size=500)
    assert len(pieces) > 5
    assert "".join(pieces) == CHAPTER
    assert all(balanced(p) for p in pieces), [p[:80] for p in pieces if not balanced(p)]
    assert all(len(p) < 500 + 400 for p in pieces)


def test_cuts_only_between_top_level_elements_of_real_markup():
    tricky = ('<p title="a > b">one</p>\n<!-- <div> -->\n<svg><style>g > rect { fill: red }</style>'
              '<path d="M0 0"/><foreignObject><div><span>x</span></div></foreignObject></svg>\n'
              "<div class='tabbed'><input type=\"radio\" checked><label>t</label></div>\n<p>end</p>\n")
    pieces = print_page.chunks(tricky * 30, size=200)
    assert "".join(pieces) == tricky * 30 and len(pieces) > 10
    assert all(balanced(p) for p in pieces), [p[:80] for p in pieces if not balanced(p)]


def test_unbalanced_html_stays_in_one_piece():
    fragment = "<div><p>an unclosed div</p>\n" + CHAPTER
    assert print_page.chunks(fragment, size=500) == [fragment]


def test_split_keeps_the_first_chapter_and_moves_the_others(tmp_path):
    page = tmp_path / "print_page" / "index.html"
    page.parent.mkdir()
    page.write_text(PAGE, encoding="utf-8")
    moved = print_page.split(page, {"concepts-storage": "../concepts/storage/"})
    assert moved == 1
    shell = page.read_text(encoding="utf-8")
    assert "The home page stays." in shell
    assert '<h1 id="concepts-storage-storage">Storage &amp; volumes</h1>' in shell
    assert '<section data-print-chapter="chapters/1.html" class="print-page" id="concepts-storage"' in shell
    assert '<a href="../concepts/storage/">Storage &amp; volumes</a>' in shell
    assert "Part 3" not in shell
    chapter = (page.parent / "chapters" / "1.html").read_text(encoding="utf-8")
    pieces = chapter.split(print_page.CHUNK_MARK)
    # The chapter is what print-site wrote, less its heading and the code-line anchors.
    assert "".join(pieces).strip() == print_page.RE_LINE_ANCHOR.sub("", CHAPTER).strip()
    assert "__codelineno" not in chapter
    assert all(balanced(p) for p in pieces)


def test_estimated_height_grows_with_text_code_and_diagrams():
    short = print_page.estimated_height("<p>" + "word " * 100 + "</p>")
    assert print_page.estimated_height("<p>" + "word " * 1000 + "</p>") > 5 * short
    assert print_page.estimated_height("<pre><code>" + "x\n" * 100 + "</code></pre>") > 1000
    assert print_page.estimated_height("<svg><text>a</text></svg>") > 200


def test_a_site_without_a_print_page_is_left_alone(tmp_path):
    (tmp_path / "index.html").write_text("<html></html>", encoding="utf-8")
    assert print_page.split_site(tmp_path, "print_page") == 0
