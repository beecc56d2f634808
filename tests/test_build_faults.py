"""The fault corpus: every kind of problem is reported at its exact path, line and check-id, and nothing else.

Each fault is marked in tests/faults/site itself (FAULT:<check-id> on the line, FAULT-NEXT:<check-id> on
the line before), so the expected line moves with the file and is never copied from the tool's output.
"""
from __future__ import annotations

import pytest

from build_helpers import FAULTS, expected_faults, run_build, run_json

SITE = FAULTS / "site"
EXPECTED = expected_faults(SITE)
# Every kind of problem the build script must catch has at least one case in the corpus.
REQUIRED = {
    "link-not-found", "link-anchor", "link-html", "html-offsite", "include-missing",
    "python-compile", "python-ruff", "python-run", "dockerfile-hadolint", "shell-shellcheck",
    "console-shellcheck", "console-no-prompt", "yaml-parse", "yaml-yamllint", "yaml-compose",
    "yaml-kubernetes", "yaml-workflow", "json-parse", "toml-parse", "mermaid-render",
    "fence-no-language", "fence-unknown-language", "fence-unclosed", "page-front-matter", "fence-not-rendered",
}


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory):
    site = tmp_path_factory.mktemp("fault-site")
    proc, data = run_json("--offline", "--config", str(SITE / "mkdocs.yml"), "--site-dir", str(site))
    return proc, data


def _in_sources(finding) -> bool:
    return finding["path"].startswith("tests/")


def _found(data):
    """Findings in the corpus' own files; those in the built site (the theme's) are tested on their own."""
    return {(f["path"], f["line"], f["check"]) for f in data["findings"] if _in_sources(f)}


def test_corpus_covers_every_kind():
    assert REQUIRED <= {check for _, _, check in EXPECTED}


@pytest.mark.parametrize("path,line,check", sorted(EXPECTED), ids=lambda v: str(v))
def test_fault_reported_at_exact_line(fault_run, path, line, check):
    _, data = fault_run
    assert (path, line, check) in _found(data), \
        "\n".join(f"{f['path']}:{f['line']}: {f['check']}" for f in data["findings"])


def test_nothing_reported_that_is_not_a_fault(fault_run):
    _, data = fault_run
    assert _found(data) - EXPECTED == set()


def test_exit_code_one_and_no_traceback(fault_run):
    proc, _ = fault_run
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr


def test_fault_in_included_file_points_at_included_file(fault_run):
    _, data = fault_run
    paths = {f["path"] for f in data["findings"]}
    assert "tests/faults/site/docs/includes/part.md" in paths


def test_summary_lists_skipped_fences_with_reasons(fault_run):
    _, data = fault_run
    fences = data["summary"]["fences"]
    assert fences["dockerfile"]["skipped"] == {"shows the unpinned base image this page warns against": 1}
    assert fences["powershell"]["skipped"] == {"no PowerShell linter available offline": 1}
    assert fences["text"]["skipped"] == {"not code": 1}
    # The corpus has valid python blocks (continued, fragment, top-level await) next to the broken ones.
    assert fences["python"]["checked"] >= 10 and 5 <= fences["python"]["failed"] < fences["python"]["checked"]
    assert fences["ruby"]["skipped"] == fences["diff"]["skipped"] == {"known language, no linter": 1}
    assert fences["sh"]["skipped"] == {"a directory tree, not code: write it in a text fence": 1}
    assert fences["yaml"]["skipped"] == {"a directory tree, not code: write it in a text fence": 1}
    assert "pyhton" in fences and fences["pyhton"]["failed"] == 1
    assert data["summary"]["pages"] == 12
    assert data["summary"]["external_skipped"] >= 1  # the off-host image, not fetched offline
    assert set(data["summary"]["stages"]) >= {"mkdocs build", "snippets", "diagrams", "lychee", "total"}


def test_theme_links_and_loads_are_one_finding_each(fault_run):
    """overrides/main.html puts a broken link and an off-host script on every page: one finding each."""
    _, data = fault_run
    theme = [f for f in data["findings"] if not _in_sources(f)]
    assert sorted(f["check"] for f in theme) == ["html-offsite", "link-html"], theme
    pages = data["summary"]["pages"] + 1  # and the theme's 404 page
    for f in theme:
        assert "not by a page" in f["message"] and f"(and {pages - 1} more pages)" in f["message"], f


def _message_at(data, page: str, needle: str, check: str) -> str:
    """The message of the finding on the line of `page` that holds `needle` (or the line after a -NEXT marker)."""
    lines = (SITE / "docs" / page).read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if needle in line)
    number += 1 if "FAULT-NEXT" in lines[number - 1] else 0
    [message] = [f["message"] for f in data["findings"]
                 if f["path"].endswith("/" + page) and f["line"] == number and f["check"] == check]
    return message


def test_one_finding_per_line_and_check(fault_run):
    _, data = fault_run
    keys = [(f["path"], f["line"], f["check"]) for f in data["findings"]]
    assert len(keys) == len(set(keys))
    # SC1009/SC1072/SC1073 for one unclosed quote: one finding that says what could not be parsed.
    message = _message_at(data, "commands.md", "the quote is never closed", "shell-shellcheck")
    assert "Couldn't parse this double quoted string" in message and "SC1009" not in message


def test_messages_say_what_is_wrong(fault_run):
    _, data = fault_run
    assert "the title 'Dockerfile' names a Docker file" in _message_at(data, "shown.md", "ready: yes", "yaml-parse")
    assert "did you mean python" in _message_at(data, "languages.md", "FAULT-NEXT:fence-unknown-language",
                                                "fence-unknown-language")
    assert "in braces" in _message_at(data, "languages.md", "FAULT-NEXT:fence-not-rendered", "fence-not-rendered")
    assert all("…" not in f["message"] for f in data["findings"])  # nothing cut short


def test_findings_are_sorted(fault_run):
    _, data = fault_run
    keys = [(f["path"], f["line"]) for f in data["findings"]]
    assert keys == sorted(keys)


def test_text_format_one_line_per_finding(tmp_path):
    proc = run_build("--offline", "--config", str(SITE / "mkdocs.yml"), "--site-dir", str(tmp_path))
    lines = proc.stdout.splitlines()
    assert "tests/faults/site/docs/fences.md:4: python-compile: SyntaxError: invalid syntax" in lines
    assert any(line.startswith("time: ") for line in lines)
    assert lines[-1].endswith("finding(s)")


def test_github_format_annotations(tmp_path):
    proc = run_build("--offline", "--format", "github", "--config", str(SITE / "mkdocs.yml"),
                     "--site-dir", str(tmp_path))
    assert "::error file=tests/faults/site/docs/fences.md,line=4,title=python-compile::SyntaxError" in proc.stdout


def test_non_utf8_page_is_one_clear_finding(tmp_path):
    proc, data = run_json("--offline", "--config", str(FAULTS / "encoding" / "mkdocs.yml"),
                          "--site-dir", str(tmp_path))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert [(f["path"], f["line"], f["check"]) for f in data["findings"]] == [
        ("tests/faults/encoding/docs/index.md", 4, "file-encoding")]


@pytest.mark.parametrize("args,needle", [
    (["--config", "no/such/mkdocs.yml"], "config file not found"),
    (["--format", "xml"], "invalid choice"),
    (["--no-such-flag"], "unrecognized arguments"),
])
def test_usage_errors_exit_2_with_one_line(args, needle):
    proc = run_build(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
