"""Links: MkDocs' own validation (the build's warnings, mapped back to page lines) and lychee over the built HTML.

MkDocs checks Markdown links to pages, anchors and files; its warnings name the page and the link but
no line, so each is matched to the Markdown links markdown-it finds in the page (by target, never by a
text search that would blame prose mentioning the URL). lychee then checks every link in the built HTML,
which also covers links written in raw HTML and, when online, external http(s) links (with retries,
a timeout and a cache under .cache/ so a re-run is cheap).

The MkDocs build runs in a child process (`python -m scripts.links BUILD_ARGS`) so it uses its own core
while the linters run.
"""
from __future__ import annotations

import json
import logging
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from scripts import tools
from scripts.errors import UsageError
from scripts.pages import Page, line_of_target
from scripts.report import Finding

RE_DOC = re.compile(r"^Doc file '(?P<page>[^']+)' contains (?:a|an) (?P<what>(?:[\w-]+ )*?)link(?: to)? '(?P<url>[^']*)'")
RE_NAV_MISSING = re.compile(r"A reference to '(?P<url>[^']+)' is included in the 'nav' configuration")
RE_OMITTED = re.compile(r'not included in the "nav" configuration:\n(?P<list>(?:\s+- .*\n?)+)')
LYCHEE_RETRIES = 3
LYCHEE_TIMEOUT = 20


def _build_child(config_file: str, site_dir: str, out: str) -> int:
    """In the child: build the site, collecting every warning instead of stopping at the first."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                records.append(record.getMessage())

    handler = Collect()
    for name in ("mkdocs", "MARKDOWN", ""):
        logging.getLogger(name).addHandler(handler)
    logging.getLogger("mkdocs").setLevel(logging.INFO)
    logging.getLogger("mkdocs").propagate = False
    result = {"warnings": records, "pages": {}, "error": None}
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        config = load_config(config_file=config_file, site_dir=site_dir or None, strict=False)
        # Missing includes are reported by scripts/pages.py with their line; the build goes on without them.
        snippets = config.mdx_configs.get("pymdownx.snippets")
        if snippets is not None:
            snippets["check_paths"] = False
        # mermaid2 re-parses and re-serialises every diagram page with BeautifulSoup (half of this site's
        # build time) only to add the script that draws diagrams in the browser. The pages this build
        # publishes carry each diagram as inline SVG instead (scripts/diagrams.py), so that pass is left
        # out here; `mkdocs serve` and a plain `mkdocs build` keep it.
        mermaid2 = config.plugins.get("mermaid2")
        if mermaid2 is not None:
            config.plugins.events["post_page"] = [
                m for m in config.plugins.events["post_page"] if getattr(m, "__self__", None) is not mermaid2]
        pages = result["pages"]

        class Record:
            def on_post_page(self, output, page, config):
                pages[page.file.dest_uri] = page.file.src_uri
                return output

        # An event hook, not a named plugin: print-site warns unless it is the last plugin in the collection.
        config.plugins.events["post_page"].append(Record().on_post_page)
        build(config)
    except BaseException as e:  # the parent turns this into one finding
        result["error"] = f"{type(e).__name__}: {e}"
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


def start_build(config_file: Path, site_dir: str | None, out: Path, cwd: Path) -> subprocess.Popen:
    """Start the build in a child process; site_dir None means the config's own site_dir."""
    # cwd is the project (pymdownx resolves include paths against it); scripts/ may live elsewhere.
    tools_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1",
               PYTHONPATH=os.pathsep.join(filter(None, [tools_root, os.environ.get("PYTHONPATH")])))
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.links", "build", str(config_file), site_dir or "", str(out)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish_build(proc: subprocess.Popen, out: Path) -> dict:
    stdout, stderr = proc.communicate()
    if not out.is_file():
        tail = (stderr or stdout).strip().splitlines()
        return {"warnings": [], "pages": {}, "error": tail[-1] if tail else f"exit code {proc.returncode}"}
    return json.loads(out.read_text(encoding="utf-8"))


def _page_url(dest: str) -> str:
    """The site path a built file is served at: `links/index.html` -> `/links/`."""
    dest = "/" + dest
    return dest[: -len("index.html")] if dest.endswith("/index.html") or dest == "/index.html" else dest


def _normal(url: str) -> tuple[str, str]:
    path, _, frag = unquote(url).partition("#")
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return path, frag


def resolve_markdown_link(target: str, src_uri: str, src_to_dest: dict[str, str], raw: bool) -> str:
    """The site path a page's link leads to, as MkDocs rewrites it: `other.md#x` -> `/other/#x`."""
    split = urlsplit(target)
    if split.scheme or target.startswith("//"):
        return target
    page_url = _page_url(src_to_dest.get(src_uri, src_uri))
    if raw or target.startswith("/"):
        return urljoin(page_url, target)  # raw HTML is published as written
    path, frag = split.path, ("#" + split.fragment) if split.fragment else ""
    if not path:
        return page_url + frag
    src = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), unquote(path)))
    if src in src_to_dest:
        return _page_url(src_to_dest[src]) + frag
    return "/" + src + ("/" if path.endswith("/") else "") + frag


def html_link_lines(page: Page, href: str, dest: str, src_to_dest: dict[str, str]) -> list[int]:
    """Page lines of the links that produced `href` in the page's HTML at `dest` (none: the theme wrote it)."""
    wanted = _normal(href if urlsplit(href).scheme else urljoin(_page_url(dest), href))
    resolved = {i for i, target, raw in page.links
                if _normal(resolve_markdown_link(target, page.src_uri, src_to_dest, raw)) == wanted}
    # MkDocs leaves a Markdown link it could not resolve as written (`no-such-page.md`), so that matches too;
    # but where raw HTML on the page writes the same text, the built link is that one, and a Markdown link
    # with the same target was rewritten to somewhere else.
    written = {(i, raw) for i, target, raw in page.links if unquote(target) == unquote(href)}
    return sorted(resolved | ({i for i, raw in written if raw} or {i for i, _ in written}))


def markdown_link_lines(page: Page, url: str) -> list[int]:
    """Page lines of the Markdown links whose target is `url` as written (MkDocs' warnings quote it so).

    Markdown inside a raw HTML block (md_in_html's `<div markdown>`) is not parsed by markdown-it; there the
    link is found by its Markdown link syntax, `](url)` or `[label]: url`, outside code fences.
    """
    found = {i for i, target, raw in page.links if not raw and unquote(target) == unquote(url)}
    return sorted(found or {i for i in line_of_target(page.lines, 0, url) if i not in page.fence_lines})


def with_more(message: str, count: int) -> str:
    return message + (f" (and {count} more page{'s' if count > 1 else ''})" if count else "")


def _config_line(config_file: Path, needle: str) -> int:
    try:
        for i, line in enumerate(config_file.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return i
    except OSError:
        pass
    return 1


def mkdocs_findings(result: dict, pages: dict[str, Page], docs_rel: str, config_file: Path, config_rel: str):
    findings = []
    for msg in result["warnings"]:
        m = RE_DOC.match(msg)
        if m and m.group("page") in pages:
            page = pages[m.group("page")]
            what, url = m.group("what"), m.group("url")
            if "anchor" in msg.split("', but", 1)[-1]:
                check = "link-anchor"
            elif what.startswith("absolute"):
                check = "link-absolute"
            elif what.startswith("unrecognized"):
                check = "link-unrecognized"
            elif "excluded from the built site" in msg:
                check = "link-excluded"
            else:
                check = "link-not-found"
            problem = msg.split("', but ", 1)[1] if "', but " in msg else msg.split("', ", 1)[-1]
            lines = markdown_link_lines(page, url) or [0]
            for i in lines:
                o = page.origin(i)
                findings.append(Finding(o.path, o.line, check, f"link '{url}': {problem.rstrip('.')}"))
            continue
        if m := RE_OMITTED.search(msg + "\n"):
            for item in re.findall(r"- (.*)", m.group("list")):
                findings.append(Finding(f"{docs_rel}/{item.strip()}", 1, "nav-omitted",
                                        "page is not in the nav of mkdocs.yml: add it there"))
            continue
        if m := RE_NAV_MISSING.search(msg):
            findings.append(Finding(config_rel, _config_line(config_file, m.group("url")), "nav-not-found", msg))
            continue
        page_name = re.search(r"'([^']+\.md)'", msg)
        if page_name and page_name.group(1) in pages:
            findings.append(Finding(pages[page_name.group(1)].path, 1, "mkdocs", msg.splitlines()[0]))
        else:
            findings.append(Finding(config_rel, 1, "mkdocs", " ".join(msg.split())))
    if result.get("error"):
        findings.append(Finding(config_rel, 1, "mkdocs-build", f"the build stopped: {result['error']}"))
    return findings


def _raw_href(html_lines: list[str], line: int, column: int) -> str | None:
    """The attribute value lychee points at (1-based line and column of its first character)."""
    if not (1 <= line <= len(html_lines)):
        return None
    text = html_lines[line - 1]
    start = max(0, column - 1)
    quote = text[start - 1] if start > 0 and text[start - 1] in "\"'" else None
    end = text.find(quote, start) if quote else -1
    if end == -1:
        m = re.match(r"[^\s\"'>]+", text[start:])
        return m.group(0) if m else None
    return text[start:end]


def run_lychee(site_dir: Path, cache_dir: Path, offline: bool, site_url: str | None, edit_url: str | None):
    # --index-files: a directory link means its index.html, as on the web server (fragments included).
    args = [tools.which("lychee"), "--format", "json", "--no-progress", "--include-fragments",
            "--index-files", "index.html", "--root-dir", str(site_dir.resolve())]
    prefix = urlsplit(site_url).path.strip("/") if site_url else ""
    if prefix:
        # Theme pages such as 404.html link with the site's absolute path; map it onto the local build.
        base = site_dir.resolve().as_uri()  # percent-encoded: lychee splits a remap at whitespace
        args += ["--remap", f"^{re.escape(base)}/{re.escape(prefix)}(/.*)?$ {base}$1"]
    if offline:
        args.append("--offline")
    else:
        args += ["--max-retries", str(LYCHEE_RETRIES), "--timeout", str(LYCHEE_TIMEOUT),
                 "--cache", "--max-cache-age", "1d"]
        for url in (site_url, edit_url):
            if url:
                args += ["--exclude", "^" + re.escape(url)]
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = cache_dir / "lychee-report.json"
    args += ["--output", str(out), str(site_dir.resolve())]
    # lychee keeps its cache file (.lycheecache) in the working directory: .cache/ here.
    proc = tools.run(args, cwd=cache_dir)
    if not out.is_file() or proc.returncode not in (0, 2):
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        raise UsageError(f"lychee failed: {tail[-1] if tail else proc.returncode}")
    return json.loads(out.read_text(encoding="utf-8"))


def source_relative_hint(href: str, src_uri: str, dest: str, docs_dir: Path | None) -> str:
    """Why a raw HTML link to a file that is there breaks: it was written from the Markdown file's folder.

    MkDocs rewrites Markdown links but publishes raw HTML as written, and `page.md` is served at `page/`,
    one folder deeper than its source.
    """
    split = urlsplit(href)
    if docs_dir is None or split.scheme or href.startswith(("/", "#")) or not split.path:
        return ""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), unquote(split.path)))
    if target.startswith("../") or not (docs_dir / target).is_file():
        return ""
    page_url = _page_url(dest)
    fixed = posixpath.relpath("/" + target, page_url if page_url.endswith("/") else posixpath.dirname(page_url))
    return (f"; '{target}' is there, but raw HTML is published as written and this page is served at "
            f"{page_url}: write '{fixed}', or a Markdown image or link, which MkDocs rewrites")


def lychee_findings(report: dict, site_dir: Path, dest_to_src: dict[str, str], pages: dict[str, Page],
                    site_rel: str, docs_dir: Path | None = None) -> tuple[list[Finding], int, int]:
    """Findings from lychee's JSON report; also (links checked, external links skipped)."""
    findings = []
    root = site_dir.resolve()
    src_to_dest = {src: dest for dest, src in dest_to_src.items()}
    html_cache: dict[str, list[str]] = {}
    theme: dict[tuple[str, str], list] = {}  # (check, link) -> [(html file, line, status), …]
    for file, errors in sorted(report.get("error_map", {}).items()):
        fpath = Path(file) if os.path.isabs(file) else (root / file)
        try:
            dest = fpath.resolve().relative_to(root).as_posix()
        except ValueError:
            dest = file
        if dest not in html_cache:
            try:
                html_cache[dest] = fpath.read_text(encoding="utf-8").splitlines()
            except OSError:
                html_cache[dest] = []
        for err in errors:
            url = err["url"]
            status = err.get("status", {}).get("text", "error")
            span = err.get("span") or {}
            raw = _raw_href(html_cache[dest], span.get("line", 0), span.get("column", 0))
            shown = raw or unquote(url.replace(f"file://{root}", ""))
            check = "link-anchor" if "fragment" in status.lower() else (
                "link-external" if url.startswith(("http://", "https://")) else "link-html")
            src = dest_to_src.get(dest)
            page = pages.get(src) if src else None
            lines = html_link_lines(page, raw, dest, src_to_dest) if (page and raw) else []
            hint = source_relative_hint(raw, page.src_uri, dest, docs_dir) if lines and check == "link-html" else ""
            for i in lines:
                o = page.origin(i)
                findings.append(Finding(o.path, o.line, check, f"link '{shown}': {status}{hint}"))
            if not lines:
                # Each page writes it relative to itself: one link is one resolved URL.
                key = re.sub("(?<!:)/{2,}", "/", unquote(url.replace(f"file://{root}", "")))
                theme.setdefault((check, key), []).append((dest, span.get("line", 1) or 1, status))
    # A link no page source writes comes from the theme or a template, which repeat it on every page:
    # one finding per link, at the first page, saying how many more carry it.
    for (check, shown), where in sorted(theme.items()):
        dest, line, status = where[0]
        findings.append(Finding(f"{site_rel}/{dest}", line, check, with_more(
            f"link '{shown}' (written by the theme or a template, not by a page): {status}",
            len({d for d, _, _ in where}) - 1)))
    skipped = {
        e["url"] for entries in report.get("excluded_map", {}).values() for e in entries
        if e["url"].startswith(("http://", "https://"))
    }
    return findings, int(report.get("total", 0)), len(skipped)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "build":
        sys.exit(_build_child(*sys.argv[2:]))
    print("usage: python -m scripts.links build CONFIG SITE_DIR OUT_JSON", file=sys.stderr)
    sys.exit(2)
