"""Code fences: which checker handles which language, and the per-language tally for the summary.

Every fence ends up in exactly one bucket: checked by a family module, skipped with a reason
(`data-check-skip`, "not code", a known language with no linter, a directory tree), or a finding (no
language, unknown language, an info string superfences does not render as code).
Mermaid fences are handed to scripts/diagrams.py by the caller.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from scripts.fence_info import close_names, lexer_key
from scripts.pages import Fence
from scripts.report import Finding, Summary
from scripts.snippets import data, dockerfile, python, shell, yaml
from scripts.snippets.base import Context

FAMILIES = [python, dockerfile, shell, yaml, data]
# Keyed by the first alias of the Pygments lexer a fence's language names, as the page highlights it:
# `docker` and `dockerfile` are one lexer, `sh`, `zsh` and `shell` are Pygments' Bash lexer, `py3` is Python.
BY_LEXER = {key: fam for fam in FAMILIES for key in fam.LEXERS}
NOT_CODE = {"text", "output"}
NO_LINTER = {"powershell": "no PowerShell linter available offline"}
DIAGRAMS = {"mermaid"}
NO_LINTER_REASON = "known language, no linter"
# Box-drawing characters of a `tree` listing: a directory tree written in a yaml or shell fence.
TREE = ("\u251c", "\u2514", "\u2502")
TREE_LEXERS = {"yaml", "bash"}
TREE_REASON = "a directory tree, not code: write it in a text fence"


def _skip(tally, reason: str) -> None:
    tally.skipped[reason] = tally.skipped.get(reason, 0) + 1


def _fail(findings, tally, fence: Fence, check: str, message: str) -> None:
    findings.append(Finding(fence.opening.path, fence.opening.line, check, message))
    tally.failed += 1


def sort_fences(fences: list[Fence], summary: Summary, findings: list[Finding]):
    """Split fences into {family module: [fences]} and the mermaid list; tally everything else."""
    buckets: dict = {fam: [] for fam in FAMILIES}
    diagrams = []
    for fence in fences:
        lang = fence.lang
        tally = summary.tally(lang or "(no language)")
        if fence.not_code:
            options = fence.info.strip()
            if lang and options.lstrip(".").lower().startswith(lang):
                options = options.lstrip(".")[len(lang):].strip()
            braces = "{" + (f".{lang} " if lang else "") + options + "}"
            _fail(findings, tally, fence, "fence-not-rendered",
                  f"this fence is {fence.not_code}; write its options in braces: ```{braces}```")
            continue
        reason = fence.skip_reason
        if reason is not None and lang is not None:
            if not reason.strip():
                _fail(findings, tally, fence, "fence-skip-reason",
                      "data-check-skip needs a reason saying why this example is not checked")
            else:
                _skip(tally, reason)
            continue
        key = lexer_key(lang) if lang else None
        fence.key = key
        if lang is None:
            _fail(findings, tally, fence, "fence-no-language",
                  "fence has no language: name one (text for output and plain text)")
        elif lang in DIAGRAMS:
            diagrams.append(fence)
        elif fence.custom:
            _skip(tally, "a custom fence of the site's own, no linter")
        elif key in NOT_CODE:
            _skip(tally, "not code")
        elif key in NO_LINTER:
            _skip(tally, NO_LINTER[key])
        elif key in BY_LEXER:
            if key in TREE_LEXERS and any(line.lstrip().startswith(TREE) for line in fence.body):
                _skip(tally, TREE_REASON)
            else:
                buckets[BY_LEXER[key]].append(fence)
        elif key is not None:
            _skip(tally, NO_LINTER_REASON)
        else:
            near = close_names(lang, DIAGRAMS)
            hint = f"did you mean {' or '.join(near)}? " if near else ""
            _fail(findings, tally, fence, "fence-unknown-language",
                  f"Pygments has no lexer '{lang}', so the page shows it as plain text: {hint}"
                  "name a language Pygments knows (text for plain text), or mark it data-check-skip=\"reason\"")
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
