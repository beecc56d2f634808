"""Small pieces of the build script whose behaviour the fault corpus only shows indirectly."""
from __future__ import annotations


import pytest

from scripts import tools
from scripts.diagrams import inline_svgs, Rendered, diagram_key, source_line
from scripts.errors import UsageError
from scripts.pages import Expander, Origin, Page, Project, parse_info
from scripts.snippets.shell import console_commands


def test_parse_info_both_forms():
    assert parse_info('python title="app.py"') == ("python", [], {"title": "app.py"})
    assert parse_info('{.python .check-run}') == ("python", ["check-run"], {})
    assert parse_info('{.dockerfile data-check-skip="shows the mistake"}') == (
        "dockerfile", [], {"data-check-skip": "shows the mistake"})
    assert parse_info("") == (None, [], {})


def test_console_keeps_only_commands_on_their_lines():
    body = ["$ docker build \\", ">   -t demo .", "Step 1/2", "$ docker run demo", "hello"]
    assert console_commands(body) == ["docker build \\", "  -t demo .", "", "docker run demo", ""]


def test_include_section_maps_to_included_file_lines(tmp_path):
    (tmp_path / "part.py").write_text("a = 1\n# --8<-- [start:x]\nb = 2\nc = 3\n# --8<-- [end:x]\nd = 4\n")
    project = Project(tmp_path, tmp_path, [tmp_path], [], tmp_path)
    page = Page("p.md", "p.md")
    findings = []
    lines, origins = Expander(project).expand(['--8<-- "part.py:x"'], [Origin("p.md", 1)], page, findings)
    assert lines == ["b = 2", "c = 3"]
    assert origins == [Origin("part.py", 3), Origin("part.py", 4)]
    assert findings == []


def test_missing_section_is_a_finding(tmp_path):
    (tmp_path / "part.py").write_text("a = 1\n")
    project = Project(tmp_path, tmp_path, [tmp_path], [], tmp_path)
    findings = []
    Expander(project).expand(['--8<-- "part.py:nope"'], [Origin("p.md", 7)], Page("p.md", "p.md"), findings)
    assert [(f.path, f.line, f.check) for f in findings] == [("p.md", 7, "include-missing")]


def test_mermaid_comment_lines_do_not_shift_reported_lines():
    text = "flowchart LR\n  %% a comment\n  A --> B{\n"
    assert source_line(text, 2) == 3


def test_inline_svgs_replaces_rendered_diagrams_only():
    good, bad = "flowchart LR\n  A --> B\n", "flowchart LR\n  A --> B{\n"
    html = (f'<pre class="mermaid"><code>{good.replace(">", "&gt;")}</code></pre>'
            f'<pre class="mermaid"><code>{bad}</code></pre>')
    rendered = {diagram_key(good): Rendered(diagram_key(good), "<svg>G</svg>"),
                diagram_key(bad): Rendered(diagram_key(bad), None, "Parse error", 2)}
    out, count = inline_svgs(html, rendered)
    assert count == 1 and '<div class="mermaid-scroll" tabindex="0"><svg>G</svg></div>' in out
    assert '<pre class="mermaid"><code>flowchart LR\n  A --> B{' in out


def test_missing_tool_is_a_usage_error():
    with pytest.raises(UsageError, match="no-such-linter-xyz not found"):
        tools.which("no-such-linter-xyz")


def test_an_explicit_chromium_path_that_does_not_exist_is_reported_not_replaced(monkeypatch, tmp_path):
    from scripts.browser import NoBrowser, find_chromium

    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("CHROMIUM_PATH", str(missing))
    with pytest.raises(NoBrowser, match=str(missing)):
        find_chromium()
