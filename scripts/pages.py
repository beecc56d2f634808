"""Reading pages: `--8<--` includes resolved with a line map, front matter, and every fenced block.

Every line of an expanded page remembers where it came from (file and 1-based line), so a finding
inside included content points at the included file, not at the page that pulled it in.
Fences are found with markdown-it-py, so a fence nested in an admonition, a content tab, a list or
a collapsible `???` block is found exactly as MkDocs' Markdown would render it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from scripts.fence_info import not_code_reason, parse_info
from scripts.report import Finding

# pymdownx.snippets' own patterns (pymdownx 10.x/13.x), so we expand exactly what MkDocs expands.
RE_SNIPPET_LINE = re.compile(
    r"""^(?P<space>[ \t]*)(?P<escape>;*)(?P<all>
        (?P<inline_marker>-{1,}8<-{1,}[ \t]+)
        (?P<snippet>(?:"(?:\\"|[^"\n\r])+?"|'(?:\\'|[^'\n\r])+?'))(?![ \t]) |
        (?P<block_marker>-{1,}8<-{1,})(?![ \t])
    )\r?$""",
    re.X,
)
RE_SECTION = re.compile(
    r"""^(?P<pre>.*?)(?<!;)(?!(?<=-)-)(?P<escape>;*)(?P<inline_marker>-{1,}8<-{1,}[ \t]+)
    (?P<section>\[[ \t]*(?P<type>start|end)[ \t]*:[ \t]*(?P<name>[a-z][-_0-9a-z]*)[ \t]*\])(?P<post>.*?)$""",
    re.X | re.I,
)
RE_TARGET_SECTION = re.compile(r"^(?P<path>.*?):(?P<name>[a-z][-_0-9a-z]*)$", re.I)
RE_TARGET_LINES = re.compile(r"^(?P<path>.*?)(?P<spans>(?::-?[0-9]*){1,2}(?:,-?[0-9]*(?::-?[0-9]*)?)*)$")
RE_FRONT_MATTER = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.S)
# Content tabs (`=== "Title"`) are not CommonMark; the admonition plugin parses the same indented
# block structure, so tab headers are rewritten to admonition headers (same line count) before parsing.
RE_TAB = re.compile(r'^(?P<indent>[ \t]*)===(?P<open>\+?)(?P<rest>[ \t]+".*)$')


@dataclass(frozen=True)
class Origin:
    path: str  # relative to the repository root
    line: int  # 1-based


@dataclass
class Page:
    src_uri: str  # relative to docs_dir, as MkDocs names it
    path: str  # relative to the repository root
    lines: list[str] = field(default_factory=list)  # after includes are expanded
    origins: list[Origin] = field(default_factory=list)
    fences: list["Fence"] = field(default_factory=list)
    includes: set[str] = field(default_factory=set)
    fence_lines: set[int] = field(default_factory=set)  # expanded-line indexes inside fences
    # Every link and image the page writes: (expanded-line index, target, written in raw HTML?).
    links: list[tuple[int, str, bool]] = field(default_factory=list)

    def origin(self, index: int) -> Origin:
        """Origin of expanded line `index` (0-based), clamped into the page."""
        if not self.origins:
            return Origin(self.path, 1)
        return self.origins[max(0, min(index, len(self.origins) - 1))]


@dataclass
class Fence:
    page: Page
    lang: str | None
    info: str
    classes: list[str]
    attrs: dict[str, str]
    opening: Origin
    body: list[str]
    origins: list[Origin]
    not_code: str | None = None  # why superfences does not render it as written (see fence_info)
    custom: bool = False  # a superfences custom fence (mermaid, math, …), not highlighted code
    key: str | None = None  # the Pygments lexer its language names (set by scripts/snippets)

    @property
    def text(self) -> str:
        return "\n".join(self.body) + ("\n" if self.body else "")

    @property
    def skip_reason(self) -> str | None:
        return self.attrs.get("data-check-skip")

    @property
    def run(self) -> bool:
        return "check-run" in self.classes

    def at(self, line: int) -> Origin:
        """Origin of 1-based `line` inside the fence body; out-of-range lines clamp to the fence."""
        if not self.origins or line < 1:
            return self.opening
        return self.origins[min(line, len(self.origins)) - 1]


@dataclass
class Project:
    root: Path
    docs_dir: Path
    base_paths: list[Path]
    auto_append: list[str]
    repo_root: Path | None = None  # findings name paths relative to this
    custom_fences: tuple[str, ...] = ()  # pymdownx.superfences custom fence names (mermaid)
    use_pygments: bool = True  # pymdownx.highlight's use_pygments: which bare fence options are read
    superfences: bool = True

    def rel(self, p: Path | str) -> str:
        try:
            return Path(os.path.relpath(Path(p).resolve(), self.repo_root or self.root)).as_posix()
        except ValueError:
            return Path(p).as_posix()


class _Decode(Exception):
    def __init__(self, finding: Finding):
        self.finding = finding


def read_text(path: Path, rel: str) -> str:
    """UTF-8 text of a file; a file that is not UTF-8 becomes one finding at the offending line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _Decode(
            Finding(rel, line, "file-encoding",
                    f"not UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8")
        ) from None


def _split_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


class Expander:
    """Resolves `--8<--` includes the way pymdownx.snippets does, keeping each line's origin."""

    def __init__(self, project: Project):
        self.project = project

    def find(self, target: str) -> Path | None:
        for base in self.project.base_paths:
            candidate = (base / target).resolve()
            if str(candidate).startswith(str(base.resolve()) + os.sep) and candidate.is_file():
                return candidate
        return None

    def expand(self, lines, origins, page: Page, findings: list[Finding], seen=()):
        out_lines: list[str] = []
        out_origins: list[Origin] = []
        block = False
        for line, origin in zip(lines, origins):
            m = RE_SNIPPET_LINE.match(line)
            if m and m.group("escape"):
                out_lines.append(line.replace(";", "", 1))
                out_origins.append(origin)
                continue
            if m and m.group("block_marker"):
                block = not block
                continue
            if m and block:
                continue  # pymdownx ignores an inline include directly inside a block
            if not m and not block:
                s = RE_SECTION.match(line)
                if s and s.group("escape"):
                    line = s.group("pre") + s.group("escape").replace(";", "", 1) + \
                        s.group("inline_marker") + s.group("section") + s.group("post")
                elif s:
                    continue  # section markers never show on the page
                out_lines.append(line)
                out_origins.append(origin)
                continue
            if m:
                space = m.group("space")
                target = m.group("snippet")[1:-1].strip()
            else:
                space = re.match(r"[ \t]*", line).group(0)
                target = line.strip()
                if not target:
                    out_lines.append("")
                    out_origins.append(origin)
                    continue
                if target.startswith(";"):
                    continue
            sub_lines, sub_origins = self.include(target, origin, page, findings, seen)
            out_lines.extend(space + s if s else s for s in sub_lines)
            out_origins.extend(sub_origins)
        return out_lines, out_origins

    def include(self, target: str, origin: Origin, page: Page, findings, seen):
        name, section, spans = target, None, None
        path = self.find(name)
        if path is None and (m := RE_TARGET_SECTION.match(target)):
            name, section = m.group("path"), m.group("name")
            path = self.find(name)
        if path is None and (m := RE_TARGET_LINES.match(target)):
            name, spans = m.group("path"), m.group("spans")
            path = self.find(name)
        if path is None:
            bases = ", ".join(self.project.rel(b) or "." for b in self.project.base_paths)
            findings.append(Finding(origin.path, origin.line, "include-missing",
                                    f"included file '{name}' not found (searched: {bases})"))
            return [], []
        rel = self.project.rel(path)
        if rel in seen:
            return [], []  # pymdownx skips recursive includes silently; so do we
        page.includes.add(rel)
        try:
            text = read_text(path, rel)
        except _Decode as e:
            findings.append(e.finding)
            return [], []
        lines = _split_lines(text)
        if lines and lines[-1] == "":
            lines.pop()
        origins = [Origin(rel, i + 1) for i in range(len(lines))]
        if section is not None:
            picked = self._section(lines, section)
            if picked is None:
                findings.append(Finding(origin.path, origin.line, "include-missing",
                                        f"section '{section}' not found in '{rel}'"))
                return [], []
            lines = [lines[i] for i in picked]
            origins = [origins[i] for i in picked]
        elif spans:
            picked = []
            for span in spans[1:].split(","):
                parts = span.split(":")
                start = int(parts[0]) if parts[0] else 1
                end = int(parts[1]) if len(parts) > 1 and parts[1] else len(lines)
                picked.extend(range(max(0, start - 1), min(end, len(lines))))
            lines = [lines[i] for i in picked]
            origins = [origins[i] for i in picked]
        return self.expand(lines, origins, page, findings, (*seen, rel))

    @staticmethod
    def _section(lines: list[str], name: str) -> list[int] | None:
        picked, inside, found = [], False, False
        for i, line in enumerate(lines):
            m = RE_SECTION.match(line)
            if m and not m.group("escape") and m.group("name") == name:
                if m.group("type") == "start":
                    inside = found = True
                    continue
                if inside:
                    break
            if inside:
                picked.append(i)
        return picked if found else None


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").use(front_matter_plugin).use(admon_plugin).enable("table")


RE_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>`{3,}|~{3,})")
BLANK_MARK = "\ue000"  # a private-use character: a blank line inside an indented open fence


def _hold_blank_lines(lines: list[str]) -> list[str]:
    """Blank lines inside an open indented fence, marked so they cannot close its container.

    pymdownx.superfences takes every fence out of the text before blocks are parsed, so in MkDocs two
    blank lines in a fence (PEP 8 code) never end the admonition or tab around it; markdown-it's
    admonition rule would end it there.
    """
    out, fence = [], None
    for line in lines:
        if fence is None:
            m = RE_FENCE_OPEN.match(line)
            if m and not (m.group("marker")[0] == "`" and "`" in line[m.end():]):
                fence = (m.group("indent"), m.group("marker"))
            out.append(line)
            continue
        indent, marker = fence
        stripped = line.strip()
        if stripped and not line.startswith(indent):
            fence = None  # its container ended first: the fence is unclosed, and this line is outside it
            out.extend(_hold_blank_lines([line]))
            continue
        if stripped.startswith(marker) and stripped.strip(marker[0]) == "":
            fence = None
        elif not stripped and indent:
            line = indent + BLANK_MARK
        out.append(line)
    return out


RE_MD_LINK = re.compile(r"\]\(\s*<?(?P<url>[^)\s>]+)")
RE_HTML_URL = re.compile(r"""\b(?:href|src)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""", re.I)


def line_of_target(lines: list[str], start: int, target: str) -> list[int]:
    """Lines of a block (from `start`) where `target` is written as a Markdown link target."""
    forms = {target, unquote(target)}
    pattern = re.compile("|".join(
        rf"\]\(\s*<?{re.escape(t)}(?=[\s)>])|^\s*\[[^\]]+\]:\s*<?{re.escape(t)}(?=\s|>|$)|<{re.escape(t)}>"
        for t in sorted(forms)))
    return [start + i for i, line in enumerate(lines) if pattern.search(line)]


def _collect_links(page: Page, tokens) -> None:
    """Each link's target and the line it is written on, from markdown-it's tokens (not a text search)."""
    for tok in tokens:
        if not tok.map:
            continue
        start, end = tok.map
        block = page.lines[start:end]
        if tok.type == "html_block":
            for i, line in enumerate(block):
                page.links += [(start + i, m.group("dq") or m.group("sq") or "", True)
                               for m in RE_HTML_URL.finditer(line)]
                # md_in_html (`<div markdown>`) renders Markdown links that markdown-it leaves as HTML.
                page.links += [(start + i, m.group("url"), False) for m in RE_MD_LINK.finditer(line)]
            continue
        if tok.type != "inline":
            continue
        targets, raw = [], False
        for child in tok.children or []:
            if child.type in ("link_open", "image"):
                targets.append(child.attrs.get("href") or child.attrs.get("src") or "")
            elif child.type == "html_inline":
                raw = raw or bool(RE_HTML_URL.search(child.content))
        for target in dict.fromkeys(targets):
            lines = (line_of_target(block, start, target)
                     or [i for i in line_of_target(page.lines, 0, target) if i not in page.fence_lines]
                     or [start])
            page.links += [(i, target, False) for i in lines]
        if raw:
            for i, line in enumerate(block):
                page.links += [(start + i, m.group("dq") or m.group("sq") or "", True)
                               for m in RE_HTML_URL.finditer(line)]


def find_fences(page: Page, findings: list[Finding], project: "Project | None" = None) -> list[Fence]:
    source = [
        (f"{m.group('indent')}{'???+' if m.group('open') else '!!!'} tab{m.group('rest')}"
         if (m := RE_TAB.match(line)) else line)
        for line in page.lines
    ]
    tokens = _markdown().parse("\n".join(_hold_blank_lines(source)))
    fences = []
    for tok in tokens:
        if tok.type != "fence" or not tok.map:
            continue
        start, end = tok.map
        page.fence_lines.update(range(start, end))
        body = ["" if line.strip() == BLANK_MARK else line for line in tok.content.split("\n")]
        if body and body[-1] == "":
            body.pop()
        origins = [page.origin(start + 1 + i) for i in range(len(body))]
        lang, classes, attrs = parse_info(tok.info)
        fence = Fence(page, lang, tok.info, classes, attrs, page.origin(start), body, origins)
        fence.custom = lang in (project.custom_fences if project else ("mermaid",))
        if project is None or project.superfences:
            fence.not_code = not_code_reason(tok.info,
                                             project.custom_fences if project else ("mermaid",),
                                             project.use_pygments if project else True)
        closed = end - start >= len(body) + 2
        if not closed:
            findings.append(Finding(fence.opening.path, fence.opening.line, "fence-unclosed",
                                    f"fence opened with {tok.markup} is never closed"))
        fences.append(fence)
    _collect_links(page, tokens)  # after the fences: a link target written in a fence is not a link
    return fences


def check_front_matter(page: Page, text: str, findings: list[Finding]) -> None:
    m = RE_FRONT_MATTER.match(text)
    if not m:
        return
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        findings.append(Finding(page.path, line, "page-front-matter",
                                f"front matter is not valid YAML ({problem}); MkDocs would show it as text"))
        return
    if not isinstance(data, dict):
        findings.append(Finding(page.path, 2, "page-front-matter",
                                "front matter must be a mapping of keys to values"))


def read_page(project: Project, src_uri: str, findings: list[Finding]) -> Page | None:
    path = project.docs_dir / src_uri
    rel = project.rel(path)
    page = Page(src_uri, rel)
    try:
        text = read_text(path, rel)
    except _Decode as e:
        findings.append(e.finding)
        return None
    check_front_matter(page, text, findings)
    lines = _split_lines(text)
    origins = [Origin(rel, i + 1) for i in range(len(lines))]
    if project.auto_append:
        # pymdownx.snippets appends these as a block include at the end of every page.
        tail = ["", ""] + [name for name in project.auto_append]
        tail_origin = Origin(rel, len(lines))
        lines = lines + ["", "", "-8<-"] + tail[2:] + ["-8<-", ""]
        origins = origins + [tail_origin] * (len(lines) - len(origins))
    expander = Expander(project)
    page.lines, page.origins = expander.expand(lines, origins, page, findings)
    page.fences = find_fences(page, findings, project)
    return page


def read_pages(project: Project, src_uris: list[str], findings: list[Finding]) -> list[Page]:
    pages = []
    for uri in sorted(src_uris):
        page = read_page(project, uri, findings)
        if page is not None:
            pages.append(page)
    return pages


def project_from_config(config) -> Project:
    """Build a Project from a loaded MkDocs config (mkdocs.config.load_config)."""
    root = Path(config.config_file_path).resolve().parent
    snippets = config.mdx_configs.get("pymdownx.snippets", {})
    bases = snippets.get("base_path", ["."])
    if isinstance(bases, (str, os.PathLike)):
        bases = [bases]
    # pymdownx resolves base paths against the working directory; builds run from the config's directory.
    base_paths = [(root / b).resolve() for b in bases]
    auto = list(snippets.get("auto_append", []) or [])
    repo_root = next((d for d in (root, *root.parents) if (d / ".git").exists()), root)
    extensions = [e if isinstance(e, str) else next(iter(e)) for e in config.markdown_extensions]
    superfences = config.mdx_configs.get("pymdownx.superfences", {})
    custom = tuple(c.get("name", "") for c in superfences.get("custom_fences", []) or [])
    use_pygments = config.mdx_configs.get("pymdownx.highlight", {}).get("use_pygments", True)
    return Project(root, Path(config.docs_dir).resolve(), base_paths, auto, repo_root, custom, use_pygments,
                   "pymdownx.superfences" in extensions)
