"""python fences: compile, ruff's error rules (one ruff process for all fences), `.check-run` blocks executed.

Teaching snippets often build on the block before. `{.python .check-continue}` lints a block after the page's
earlier python blocks, so a name they define is known and a typo is still caught; `{.python .check-fragment}`
marks a piece of code shown out of context, where undefined names (F821) are expected. Without either, a name
that an earlier python block on the page binds at top level is not undefined (the reader ran that block), so
only a name the page never binds is reported.

A python block read in a notebook may hold IPython's shell escapes and magics (`!pip install …`,
`result = !kubectl …`, `%timeit …`, `%%bash`): never valid Python, so a block that fails to compile is read
again with those lines as `...`, as IPython itself turns them into calls before running the cell.
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
# A logical line IPython runs as a shell command or a magic: `!cmd`, `%magic`, `%%cell`, `x = !cmd`, `x = %magic`.
IPYTHON_LINE = re.compile(r"^(?P<keep>\s*(?:[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*)?)(?:!|%%?)(?=[^\s=])")
UNDEFINED = re.compile(r"Undefined name `(?P<name>[^`]+)`")


def as_ipython_reads(text: str) -> str:
    """The block with IPython's `!` and `%` lines as `...` (their `\\` continuation lines blank): same lines."""
    out, continued = [], False
    for line in text.split("\n"):
        if continued:
            out.append("")
        elif m := IPYTHON_LINE.match(line):
            out.append(m.group("keep") + "...")
        else:
            out.append(line)
            continue
        continued = line.rstrip().endswith("\\")
    return "\n".join(out)


def bound_names(text: str) -> set[str]:
    """Names a block binds at module level (assignments, imports, defs, loop and with targets), not in functions."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    names: set[str] = set()
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue  # names bound inside belong to the function or class
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return names


def _compiles(text: str) -> SyntaxError | None:
    try:
        compile(text, "<fence>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        return None
    except SyntaxError as e:
        return e


def _compile(ctx: Context, fence, source: dict[int, str]) -> bool:
    """Compile the block (as IPython reads it, if it does not compile as written); remember what ruff lints."""
    error = _compiles(fence.text)
    if error is not None and (ipython := as_ipython_reads(fence.text)) != fence.text:
        error = _compiles(ipython)
        source[id(fence)] = ipython
    if error is None:
        return True
    ctx.report(fence, error.lineno or 1, "python-compile", f"SyntaxError: {error.msg}")
    return False


def _ruff(ctx: Context, fences, source: dict[int, str]) -> None:
    if not fences:
        return
    before: dict[int, str] = {}  # id(fence) -> the page's earlier blocks, for a continued example
    known: dict[int, frozenset[str]] = {}  # id(fence) -> names the page's earlier blocks bind
    earlier: dict[str, list[str]] = {}
    bound: dict[str, frozenset[str]] = {}
    for fence in fences:
        seen = earlier.setdefault(fence.page.path, [])
        if CONTINUE in fence.classes:
            before[id(fence)] = "".join(seen)
        known[id(fence)] = bound.get(fence.page.path, frozenset())
        text = source.get(id(fence), fence.text)
        seen.append(text)
        bound[fence.page.path] = known[id(fence)] | bound_names(text)

    def render(fence):
        prefix = before.get(id(fence), "")
        return prefix + source.get(id(fence), fence.text), prefix.count("\n")

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
        if code == "F821" and (m := UNDEFINED.search(r["message"])) and m.group("name") in known[id(fence)]:
            continue  # an earlier block on the page defines it: the reader has it
        ctx.report(fence, line, "python-ruff", f"{code} {r['message']}")
        if code == "F821" and CONTINUE not in fence.classes:
            # Joins the line's finding once, after its names (messages on a line are sorted).
            ctx.report(fence, line, "python-ruff", "no earlier block on the page binds it: code shown out of "
                                                   "context is marked `{.python .check-fragment}`")


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
    source: dict[int, str] = {}  # id(fence) -> the text as IPython reads it, where that differs
    compiled = [f for f in fences if _compile(ctx, f, source)]
    _ruff(ctx, compiled, source)
    to_run = [f for f in compiled if f.run]
    if to_run:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda a: _run_one(ctx, *a), [(f, i) for i, f in enumerate(to_run)]))
