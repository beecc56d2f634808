"""Code fences: which checker handles which language, and the per-language tally for the summary.

Every fence ends up in exactly one bucket: checked by a family module, skipped with a reason
(`data-check-skip`, "not code", no linter), or a finding (no language, unknown language).
Mermaid fences are handed to scripts/diagrams.py by the caller.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from scripts.pages import Fence
from scripts.report import Finding, Summary
from scripts.snippets import data, dockerfile, python, shell, yaml
from scripts.snippets.base import Context

FAMILIES = [python, dockerfile, shell, yaml, data]
BY_LANGUAGE = {lang: fam for fam in FAMILIES for lang in fam.LANGUAGES}
NOT_CODE = {"text", "output"}
NO_LINTER = {"powershell": "no PowerShell linter available offline"}
DIAGRAMS = {"mermaid"}
KNOWN = set(BY_LANGUAGE) | NOT_CODE | set(NO_LINTER) | DIAGRAMS


def sort_fences(fences: list[Fence], summary: Summary, findings: list[Finding]):
    """Split fences into {family module: [fences]} and the mermaid list; tally everything else."""
    buckets: dict = {fam: [] for fam in FAMILIES}
    diagrams = []
    for fence in fences:
        lang = fence.lang
        tally = summary.tally(lang or "(no language)")
        reason = fence.skip_reason
        if reason is not None and lang is not None:
            if not reason.strip():
                findings.append(Finding(fence.opening.path, fence.opening.line, "fence-skip-reason",
                                        "data-check-skip needs a reason saying why this example is not checked"))
                tally.failed += 1
            else:
                tally.skipped[reason] = tally.skipped.get(reason, 0) + 1
            continue
        if lang is None:
            findings.append(Finding(fence.opening.path, fence.opening.line, "fence-no-language",
                                    "fence has no language: name one (text for output and plain text)"))
            tally.failed += 1
        elif lang in NOT_CODE:
            tally.skipped["not code"] = tally.skipped.get("not code", 0) + 1
        elif lang in NO_LINTER:
            tally.skipped[NO_LINTER[lang]] = tally.skipped.get(NO_LINTER[lang], 0) + 1
        elif lang in DIAGRAMS:
            diagrams.append(fence)
        elif lang in BY_LANGUAGE:
            buckets[BY_LANGUAGE[lang]].append(fence)
        else:
            findings.append(Finding(fence.opening.path, fence.opening.line, "fence-unknown-language",
                                    f"no check for language '{lang}': use one of "
                                    f"{', '.join(sorted(KNOWN))}, or mark it data-check-skip=\"reason\""))
            tally.failed += 1
    return buckets, diagrams


def tally_results(fences: list[Fence], hits, summary: Summary) -> None:
    failed = {id(f) for f, _ in hits}
    for fence in fences:
        tally = summary.tally(fence.lang)
        tally.checked += 1
        if id(fence) in failed:
            tally.failed += 1


def check_buckets(ctx: Context, buckets, pool: ThreadPoolExecutor | None = None) -> list:
    """Run each family once over all its fences; families run concurrently in `pool` if given."""
    jobs = [(fam, fences) for fam, fences in buckets.items() if fences]
    contexts = [Context(ctx.root, ctx.tmp) for _ in jobs]
    if pool is None:
        for (fam, fences), c in zip(jobs, contexts):
            fam.check(c, fences)
    else:
        futures = [pool.submit(fam.check, c, fences) for (fam, fences), c in zip(jobs, contexts)]
        for fut in futures:
            fut.result()
    return [hit for c in contexts for hit in c.hits]
