"""dockerfile fences: hadolint under the project's .hadolint.yaml, one process for all fences; warnings count.

A block without FROM is a fragment of a Dockerfile (the lines a section is about): the rules about what comes
before it, DL3061 ("must begin with FROM", once per instruction) and DL3045 (COPY without an earlier WORKDIR),
are left out there and the rest is checked.
"""
from __future__ import annotations

import json
import re

import yaml

from scripts import tools
from scripts.snippets.base import Context

LEXERS = {"docker"}  # Pygments: docker, dockerfile
LEVELS = ["error", "warning", "info", "style"]
FRAGMENT_IGNORED = {"DL3061", "DL3045"}
RE_FROM = re.compile(r"^\s*FROM\s", re.I | re.M)


def _threshold(ctx: Context) -> str:
    config = ctx.config_file(".hadolint.yaml")
    if config is not None:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        level = data.get("failure-threshold", "warning")
        if level in LEVELS:
            return level
    return "warning"


def check(ctx: Context, fences) -> None:
    if not fences:
        return
    files = ctx.write(fences, "dockerfile", ".Dockerfile")
    args = [tools.which("hadolint"), "--format", "json", "--no-fail"]
    config = ctx.config_file(".hadolint.yaml")
    if config is not None:
        args += ["--config", str(config)]
    proc = tools.run(args + sorted(k for k in files if "/" in k))
    try:
        results = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        raise tools.UsageError(f"hadolint failed: {(proc.stderr or proc.stdout).strip()[:300]}") from None
    counted = LEVELS[: LEVELS.index(_threshold(ctx)) + 1]
    for r in results:
        if r["level"] not in counted:
            continue
        fence, offset = files[r["file"]]
        if r["code"] in FRAGMENT_IGNORED and not RE_FROM.search(fence.text):
            continue
        ctx.report(fence, r["line"] - offset, "dockerfile-hadolint", f"{r['code']} ({r['level']}) {r['message']}")
