"""Build the site into site/ and run every check: `python scripts/build.py [--offline] [--format text|github|json]`.

Exit 0 when clean, 1 on any finding, 2 on a usage or configuration error. One line per finding,
`path:line: check-id: message`, sorted, then a summary. See CONTRIBUTING.md, "How checks report".

Stages overlap: the MkDocs build runs in its own process while the snippet linters (one process per
tool) and the diagram renders (one browser) run; lychee and the HTML check follow the build.
"""
from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python scripts/build.py`: import the package, not scripts/*.py as top-level modules
    # (scripts/ on sys.path would shadow nothing today, but a module named like a stdlib one would).
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))
    __package__ = "scripts"

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from scripts import diagrams, links, offsite, pages, print_page, snippets  # noqa: E402
from scripts.errors import UsageError  # noqa: E402
from scripts.report import Finding, Summary, render, sort_findings  # noqa: E402
from scripts.snippets.base import TOOLS_ROOT, Context  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see --help)")


def parse_args(argv):
    p = _Parser(prog="scripts/build.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", "-f", default="mkdocs.yml", help="MkDocs config file (default: mkdocs.yml)")
    p.add_argument("--offline", action="store_true", help="skip network checks (external links); report how many")
    p.add_argument("--format", choices=["text", "github", "json"], default="text", help="output format")
    p.add_argument("--site-dir", help="where to build (default: the config's site_dir, site/)")
    p.add_argument("--debug", action="store_true", help="show a traceback on an internal error")
    return p.parse_args(argv)


def load_config(path: Path, site_dir: str | None):
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    import logging

    from mkdocs.config import load_config as mkdocs_load

    # MkDocs logs the cause of a bad config ("The "x" plugin is not installed") and then raises a bare
    # "Aborted with a configuration error!": keep the cause for the one-line error.
    causes: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                causes.append(" ".join(record.getMessage().split()))

    logger = logging.getLogger("mkdocs")
    logger.setLevel(logging.ERROR)
    handler = Keep()
    logger.addHandler(handler)
    try:
        return mkdocs_load(config_file=str(path), site_dir=site_dir)
    except (SystemExit, Exception) as e:
        said = " ".join(str(e).split()) or type(e).__name__
        if causes and said.startswith("Aborted with a configuration error"):
            said = "; ".join(causes)
        raise UsageError(f"{path}: invalid MkDocs config: {said}") from None
    finally:
        logger.removeHandler(handler)


class Timer:
    def __init__(self, summary: Summary):
        self.summary = summary

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.summary.stages[name] = self.summary.stages.get(name, 0) + time.perf_counter() - start


def run(args) -> tuple[list[Finding], Summary]:
    t0 = time.perf_counter()
    summary = Summary()
    timer = Timer(summary)
    findings: list[Finding] = []
    config_path = Path(args.config).resolve()
    if not config_path.is_file():
        raise UsageError(f"config file not found: {args.config}")

    with tempfile.TemporaryDirectory(prefix="build-check-") as tmp_name, ThreadPoolExecutor(max_workers=4) as pool:
        tmp = Path(tmp_name)
        build_out = tmp / "mkdocs-result.json"
        # The build is the longest stage: start it first, on its own core, before this process reads
        # the config itself.
        build_start = time.perf_counter()
        site_arg = str(Path(args.site_dir).resolve()) if args.site_dir else None  # the child runs elsewhere
        build_proc = links.start_build(config_path, site_arg, build_out, config_path.parent)
        diagrams.prestart(config_path.parent, config_path.parent / ".cache" / "diagrams")  # cold runs only
        try:
            with timer.stage("config"):
                config = load_config(config_path, args.site_dir)
                project = pages.project_from_config(config)
                from mkdocs.structure.files import get_files

                src_uris = [f.src_uri for f in get_files(config).documentation_pages()]
            root = project.root
            site_dir = Path(config.site_dir).resolve()
            site_rel = project.rel(site_dir)
            config_rel = project.rel(config_path)
            cache = root / ".cache"
            with timer.stage("pages"):
                page_list = pages.read_pages(project, src_uris, findings)
            by_uri = {p.src_uri: p for p in page_list}
            summary.pages = len(src_uris)
            fences = [f for p in page_list for f in p.fences]
            buckets, mermaid = snippets.sort_fences(fences, summary, findings)

            def render_diagrams():
                start = time.perf_counter()
                # The renders are also what the published pages show inline, so readers never
                # download the 3.5 MB Mermaid script; `mkdocs serve` still renders in the browser.
                result = diagrams.check(mermaid, root if (root / diagrams.MERMAID_JS).is_file() else TOOLS_ROOT,
                                        cache / "diagrams")
                return result, time.perf_counter() - start

            diagram_future = pool.submit(render_diagrams)
            with timer.stage("snippets"):
                hits = snippets.check_buckets(Context(root, tmp), buckets, pool)
            (diagram_hits, rendered), seconds = diagram_future.result()
            summary.stages["diagrams"] = seconds
        except BaseException:
            build_proc.kill()  # a bad config or an interrupt: don't leave the build writing site/
            raise
        for fam, fam_fences in buckets.items():
            snippets.tally_results(fam_fences, [h for h in hits if h[0] in fam_fences], summary)
        snippets.tally_results(mermaid, diagram_hits, summary)
        summary.diagrams_rendered = sum(1 for r in rendered.values() if not r.error)
        findings += [f for _, f in hits] + [f for _, f in diagram_hits]

        result = links.finish_build(build_proc, build_out)
        summary.stages["mkdocs build"] = time.perf_counter() - build_start
        docs_rel = project.rel(project.docs_dir)
        link_findings = links.mkdocs_findings(result, by_uri, docs_rel, config_path, config_rel)
        if any(f.check == "file-encoding" for f in findings):
            # MkDocs stops at the first undecodable page; the file-encoding finding already says where.
            link_findings = [f for f in link_findings if f.check != "mkdocs-build" and not (
                f.check == "mkdocs" and ("Encoding error" in f.message or "codec can't decode" in f.message))]
        findings += link_findings
        dest_to_src = result.get("pages", {})

        if site_dir.is_dir() and not result.get("error"):
            def lychee_stage():
                start = time.perf_counter()
                report = links.run_lychee(site_dir, cache, args.offline, config.site_url,
                                          (config.repo_url or "").rstrip("/") + "/" + (config.edit_uri or "")
                                          if config.repo_url and config.edit_uri else None)
                return report, time.perf_counter() - start

            lychee_future = pool.submit(lychee_stage)
            with timer.stage("html hosts"):
                offsite_findings = offsite.check_site(site_dir, site_rel, dest_to_src, by_uri)
                findings += offsite_findings
            report, seconds = lychee_future.result()
            summary.stages["lychee"] = seconds
            ly_findings, summary.links_checked, skipped = links.lychee_findings(
                report, site_dir, dest_to_src, by_uri, site_rel, project.docs_dir)
            summary.external_skipped = skipped if args.offline else 0
            summary.external_links = skipped if args.offline else len({
                e["url"] for group in ("success_map", "error_map", "fail_map", "redirect_map")
                for entries in (report.get(group) or {}).values() for e in entries
                if e["url"].startswith(("http://", "https://"))})
            # A Markdown link MkDocs already reported, or an off-host load, shows up again in lychee's
            # report: one finding per line.
            seen = {(f.path, f.line) for f in link_findings + offsite_findings}
            findings += [f for f in ly_findings if (f.path, f.line) not in seen]

            if rendered:
                with timer.stage("inline diagrams"):
                    count = diagrams.inline_site(site_dir, rendered, root)
                summary.notes.append(f"inlined {count} diagram(s) as SVG in {site_rel}/")
            if "print-site" in config.plugins:
                # Last: every check above read the print page whole.
                with timer.stage("print page"):
                    name = config.plugins["print-site"].config["print_page_basename"]
                    moved = print_page.split_site(site_dir, name)
                if moved:
                    summary.notes.append(f"moved {moved} chapter(s) of {site_rel}/{name}/ into {name}/"
                                         f"{print_page.CHAPTER_DIR}/, fetched by the page")
        else:
            summary.notes.append("link and HTML checks skipped: the site did not build")
    summary.stages["total"] = time.perf_counter() - t0
    return sort_findings(findings), summary


def main(argv=None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        args = parse_args(argv)
        findings, summary = run(args)
        output = render(findings, summary, args.format)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for the user; --debug shows it
        if debug:
            raise
        print(f"error: internal error ({type(e).__name__}: {e}); rerun with --debug for details", file=sys.stderr)
        return 2
    print(output)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
