"""Small pieces of the build script whose behaviour the fault corpus only shows indirectly."""
from __future__ import annotations


import pytest

from scripts import tools
from scripts.diagrams import inline_svgs, Rendered, diagram_key, source_line
from scripts.errors import UsageError
from scripts.fence_info import lexer_key, not_code_reason
from scripts.links import resolve_markdown_link, source_relative_hint
from scripts.pages import BLANK_MARK, Expander, Origin, Page, Project, _hold_blank_lines, parse_info
from scripts.snippets.python import as_ipython_reads, bound_names
from scripts.snippets.shell import console_commands, words_for_placeholders
from scripts.snippets.yaml import _message as yaml_message


def test_parse_info_both_forms():
    assert parse_info('python title="app.py"') == ("python", [], {"title": "app.py"})
    assert parse_info('{.python .check-run}') == ("python", ["check-run"], {})
    assert parse_info('{.dockerfile data-check-skip="shows the mistake"}') == (
        "dockerfile", [], {"data-check-skip": "shows the mistake"})
    assert parse_info("") == (None, [], {})
    # An option written first is not the language; superfences also reads ```.sh as sh.
    assert parse_info('hl_lines="4 5"') == (None, [], {"hl_lines": "4 5"})
    assert parse_info('title="app.py" python')[0] is None
    assert parse_info(".sh")[0] == "sh"


@pytest.mark.parametrize("info", [
    'python title="app.py" hl_lines="1 2"', '{.python data-check-skip="why"}', "python", 'hl_lines="1"',
    "python title",  # a bare title is read as title="title"
    'python data-check-skip="why"',  # a hyphenated key needs braces
    'python foo="bar"', 'python hl_lines="one"', "python linenums",
    "mermaid", 'mermaid title="x"', "{.mermaid}",  # a custom fence with bare options shows its source
])
def test_what_superfences_renders_as_written(info):
    """The model agrees with Python-Markdown + attr_list + pymdownx.highlight + superfences (mermaid custom)."""
    import markdown
    from pymdownx.superfences import fence_div_format

    md = markdown.Markdown(extensions=["attr_list", "pymdownx.highlight", "pymdownx.superfences"], extension_configs={
        "pymdownx.superfences": {"custom_fences": [{"name": "mermaid", "class": "mermaid", "format": fence_div_format}]}})
    html = md.convert(f"```{info}\nA\n```\n")
    as_written = not html.startswith("<p>") and (
        ('class="mermaid"' in html) == (parse_info(info)[0] == "mermaid"))
    assert (not_code_reason(info, ("mermaid",)) is None) is as_written, html


def test_languages_resolve_through_pygments():
    assert [lexer_key(x) for x in ("docker", "zsh", "sh", "shell-session", "py3", "yml", "diff")] == [
        "docker", "bash", "bash", "console", "python", "yaml", "diff"]
    assert lexer_key("pyhton") is None


def test_placeholders_become_words_of_the_same_length():
    line = "docker run --name <name> <image>:<tag> {container_name} ${HOME} <<EOF"
    out = words_for_placeholders(line)
    assert len(out) == len(line)
    assert out == "docker run --name _name_ _image_:_tag_ _container_name_ ${HOME} <<EOF"


def test_console_prompts_as_pygments_reads_them():
    body = ["(.venv) $ pip install x", "me@box:~/app$ make", "# apt-get update", "output"]
    assert console_commands(body) == ["pip install x", "make", "apt-get update", ""]


def test_blank_lines_inside_an_indented_fence_hold_its_container():
    lines = ["!!! note", "", "    ```python", "    a = 1", "", "", "    b = 2", "    ```", "", "", "after"]
    held = _hold_blank_lines(lines)
    assert held[4].strip() == held[5].strip() == BLANK_MARK
    assert held[8] == held[9] == ""  # outside the fence, blank lines stay blank


def test_schema_messages_describe_long_values_instead_of_cutting_reprs():
    import jsonschema

    schema = {"type": "object", "properties": {"ports": {"type": "string"}}}
    value = {"ports": {f"port_{i}": i for i in range(40)}}
    [err] = jsonschema.Draft7Validator(schema).iter_errors(value)
    msg = yaml_message(err)
    assert msg.startswith("a mapping (port_0, port_1, port_2, port_3, …) is not of type 'string'")
    assert len(msg) < 100


def test_yaml_tags_parse():
    import yaml as pyyaml

    from scripts.snippets.yaml import Yaml12Loader

    doc = pyyaml.load("a: !!python/name:x.y\nb: !ENV [HOME, /]\nc: !relative $config_dir\n", Loader=Yaml12Loader)
    assert doc == {"a": "", "b": ["HOME", "/"], "c": "$config_dir"}


def test_markdown_links_resolve_as_mkdocs_rewrites_them():
    dests = {"a.md": "a/index.html", "sub/b.md": "sub/b/index.html", "index.md": "index.html"}
    assert resolve_markdown_link("sub/b.md#x", "a.md", dests, False) == "/sub/b/#x"
    assert resolve_markdown_link("#here", "a.md", dests, False) == "/a/#here"
    assert resolve_markdown_link("../a.md", "sub/b.md", dests, False) == "/a/"
    assert resolve_markdown_link("../raw/", "a.md", dests, True) == "/raw/"
    assert resolve_markdown_link("https://example.org/x", "a.md", dests, False) == "https://example.org/x"


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


def test_raw_html_link_written_from_the_source_folder_says_how_to_write_it(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "docker.png").write_bytes(b"")
    hint = source_relative_hint("../figures/docker.png", "s3/docker.md", "s3/docker/index.html", tmp_path)
    assert "write '../../figures/docker.png'" in hint and "served at /s3/docker/" in hint
    # A file that is not there, a link from the site root, or another host: no hint, the plain finding stands.
    assert source_relative_hint("../figures/missing.png", "s3/docker.md", "s3/docker/index.html", tmp_path) == ""
    assert source_relative_hint("/figures/docker.png", "s3/docker.md", "s3/docker/index.html", tmp_path) == ""
    assert source_relative_hint("https://example.org/x.png", "s3/docker.md", "s3/docker/index.html", tmp_path) == ""


def test_ipython_lines_read_as_a_notebook_runs_them():
    cell = "!{sys.executable} -m pip install torch\nfiles = !ls runs/ \\\n    | sort\n%matplotlib inline\nx = 10 % 3\n"
    assert as_ipython_reads(cell).split("\n") == ["...", "files = ...", "", "...", "x = 10 % 3", ""]
    assert bound_names(as_ipython_reads(cell)) == {"files", "x"}
    # Names bound inside a function are the function's; imports, loops and defs at top level are the page's.
    assert bound_names("import numpy as np\nfor i in range(2): pass\ndef f():\n    y = 1\n") == {"np", "i", "f"}
