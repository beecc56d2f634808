"""python fences: compile, ruff's error rules (one ruff process for all fences), `.check-run` blocks executed.

Teaching snippets often build on the block before. `{.python .check-continue}` lints a block after the page's
earlier python blocks, so a name they define is known and a typo is still caught; `{.python .check-fragment}`
marks a piece of code shown out of context, where undefined names (F821) are expected.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from scripts import tools
from scripts.snippets.base import Context

LEXERS = {"python"}  # Pygments lexer keys: python, py, py3, python3, …
RUN_TIMEOUT = 60
# Used only when the project has no ruff.toml: syntax errors, undefined names and the like.
DEFAULT_SELECT = "E9,F"
CONTINUE, FRAGMENT = "check-continue", "check-fragment"
# F704 (await outside a function): the compile step allows top-level await, as IPython and
# `python -m asyncio` do, so ruff must not contradict it.
ALWAYS_IGNORED = {"F704"}
FRAGMENT_IGNORED = {"F821"}


def _compile(ctx: Context, fence) -> bool:
    try:
        compile(fence.text, "<fence>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        return True
    except SyntaxError as e:
        ctx.report(fence, e.lineno or 1, "python-compile", f"SyntaxError: {e.msg}")
        return False


def _ruff(ctx: Context, fences) -> None:
    if not fences:
        return
    before: dict[int, str] = {}  # id(fence) -> the page's earlier blocks, for a continued example
    earlier: dict[str, list[str]] = {}
    for fence in fences:
        seen = earlier.setdefault(fence.page.path, [])
        if CONTINUE in fence.classes:
            before[id(fence)] = "".join(seen)
        seen.append(fence.text)

    def render(fence):
        prefix = before.get(id(fence), "")
        return prefix + fence.text, prefix.count("\n")

    files = ctx.write(fences, "python", ".py", render)
    args = [tools.which("ruff"), "check", "--no-cache", "--output-format", "json", "--exit-zero"]
    config = ctx.config_file("ruff.toml")
    args += ["--config", str(config)] if config is not None else ["--isolated", "--select", DEFAULT_SELECT]
    proc = tools.run(args + [str(ctx.tmp / "python")])
    try:
        results = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        raise tools.UsageError(f"ruff failed: {(proc.stderr or proc.stdout).strip()[:300]}") from None
    for r in results:
        fence, offset = files[r["filename"]]
        code = r.get("code") or "syntax"
        line = r["location"]["row"] - offset
        if line < 1 or code in ALWAYS_IGNORED or (FRAGMENT in fence.classes and code in FRAGMENT_IGNORED):
            continue  # a continued block's earlier lines are reported at their own fence
        ctx.report(fence, line, "python-ruff", f"{code} {r['message']}")


def _run_one(ctx: Context, fence, index: int) -> None:
    folder = ctx.tmp / "python-run" / f"r{index:04d}"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "snippet.py"
    script.write_text(fence.text, encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=folder, capture_output=True,
                              text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        ctx.report(fence, 1, "python-run", f"did not finish within {RUN_TIMEOUT}s")
        return
    if proc.returncode == 0:
        return
    lines = [int(n) for n in re.findall(rf'File "{re.escape(str(script))}", line (\d+)', proc.stderr)]
    last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
    ctx.report(fence, lines[-1] if lines else 1, "python-run", f"raised {last}")


def check(ctx: Context, fences) -> None:
    compiled = [f for f in fences if _compile(ctx, f)]
    _ruff(ctx, compiled)
    to_run = [f for f in compiled if f.run]
    if to_run:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda a: _run_one(ctx, *a), [(f, i) for i, f in enumerate(to_run)]))
