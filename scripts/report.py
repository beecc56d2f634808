"""Findings, the run's summary, and the three output formats (text, github, json)."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, order=True)
class Finding:
    # Field order is the sort order: path, then line, then check.
    path: str
    line: int
    check: str
    message: str

    def text(self) -> str:
        return f"{self.path}:{self.line}: {self.check}: {self.message}"


@dataclass
class LanguageTally:
    checked: int = 0
    failed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count


@dataclass
class Summary:
    pages: int = 0
    links_checked: int = 0
    external_links: int = 0
    external_skipped: int = 0  # offline: external links not checked
    diagrams_rendered: int = 0
    fences: dict[str, LanguageTally] = field(default_factory=lambda: defaultdict(LanguageTally))
    stages: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    notes: list[str] = field(default_factory=list)

    def tally(self, language: str) -> LanguageTally:
        return self.fences[language]

    def to_dict(self) -> dict:
        d = {k: v for k, v in vars(self).items() if k != "fences"}
        d["fences"] = {k: asdict(v) for k, v in sorted(self.fences.items())}
        return d


def sort_findings(findings) -> list[Finding]:
    """Sorted, one finding per line and check: a second message for the same line joins the first."""
    merged: dict[tuple[str, int, str], list[str]] = {}
    for f in sorted(set(findings), key=lambda f: (f.path, f.line, f.check, f.message)):
        merged.setdefault((f.path, f.line, f.check), []).append(f.message)
    return [Finding(path, line, check, "; ".join(messages)) for (path, line, check), messages in merged.items()]


def _summary_lines(summary: Summary, n_findings: int) -> list[str]:
    out = [f"pages: {summary.pages}"]
    links = f"links checked: {summary.links_checked} ({summary.external_links} external"
    if summary.external_skipped:
        links += f", {summary.external_skipped} external skipped: --offline"
    out.append(links + ")")
    out.append("fences:")
    for lang, t in sorted(summary.fences.items()):
        line = f"  {lang}: {t.checked} checked, {t.failed} failed"
        for reason, count in sorted(t.skipped.items()):
            line += f"; {count} skipped ({reason})"
        out.append(line)
    if summary.diagrams_rendered:
        out.append(f"diagrams rendered: {summary.diagrams_rendered}")
    out.append("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in summary.stages.items()))
    out.extend(summary.notes)
    out.append(f"{n_findings} finding(s)" if n_findings else "clean: no findings")
    return out


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def render(findings: list[Finding], summary: Summary, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {"findings": [asdict(f) for f in findings], "summary": summary.to_dict()}, indent=2
        )
    lines = []
    for f in findings:
        if fmt == "github":
            lines.append(
                f"::error file={_gh_escape(f.path, True)},line={f.line},"
                f"title={_gh_escape(f.check, True)}::{_gh_escape(f.message)}"
            )
        else:
            lines.append(f.text())
    lines.extend(_summary_lines(summary, len(findings)))
    return "\n".join(lines)
