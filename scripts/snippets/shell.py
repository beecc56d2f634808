"""bash / sh / shell fences and the commands in console fences: shellcheck, one process for all of them."""
from __future__ import annotations

import json
import re

from scripts import tools
from scripts.snippets.base import Context

LANGUAGES = {"bash", "sh", "shell", "console"}
PROMPT = re.compile(r"^\s*\$(?: |$)")
# SC1091: shellcheck cannot follow a sourced file that is not on disk, which says nothing about the snippet.
EXCLUDE = "SC1091"
# At an interactive prompt a failed `cd` is seen at once; `|| exit` would close the reader's terminal.
CONSOLE_IGNORE = {2164}


def console_commands(body: list[str]) -> list[str]:
    """The body with output lines blanked: only the commands after `$ ` remain, on their own lines."""
    out, continued = [], False
    for line in body:
        if continued:
            out.append(re.sub(r"^\s*> ?", "", line))
        elif PROMPT.match(line):
            out.append(PROMPT.sub("", line, count=1))
        else:
            out.append("")
            continue
        continued = line.rstrip().endswith("\\")
    return out


def _render(fence):
    shebang = "#!/bin/sh" if fence.lang == "sh" else "#!/bin/bash"
    body = console_commands(fence.body) if fence.lang == "console" else fence.body
    return shebang + "\n" + "\n".join(body) + "\n", 1


def check(ctx: Context, fences) -> None:
    for fence in fences:
        if fence.lang == "console" and not any(PROMPT.match(line) for line in fence.body):
            ctx.report(fence, 0, "console-no-prompt",
                       "console fence has no '$ ' command line: use `text` for output, `bash` for a script")
    if not fences:
        return
    files = ctx.write(fences, "shell", ".sh", _render)
    args = [tools.which("shellcheck"), "--format", "json1", "--severity", "info", "--norc",
            "--exclude", EXCLUDE]
    proc = tools.run(args + sorted(k for k in files if "/" in k))
    try:
        results = json.loads(proc.stdout or "{}").get("comments", [])
    except json.JSONDecodeError:
        raise tools.UsageError(f"shellcheck failed: {(proc.stderr or proc.stdout).strip()[:300]}") from None
    for r in results:
        fence, offset = files[r["file"]]
        if fence.lang == "console" and r["code"] in CONSOLE_IGNORE:
            continue
        check_id = "console-shellcheck" if fence.lang == "console" else "shell-shellcheck"
        ctx.report(fence, r["line"] - offset, check_id, f"SC{r['code']} ({r['level']}) {r['message']}")
