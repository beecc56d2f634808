"""bash / sh / zsh / shell fences and the commands in console fences: shellcheck, one process for all of them.

Pygments highlights `sh`, `zsh`, `ksh` and `shell` with its Bash lexer, and readers paste them into bash or
zsh, so they are checked as bash unless the block starts with its own `#!` line.
"""
from __future__ import annotations

import json
import re

from pygments.lexers.shell import BashSessionLexer

from scripts import tools
from scripts.snippets.base import Context

LEXERS = {"bash", "console"}  # Pygments: bash, sh, zsh, ksh, shell; console, shell-session
# A command line is what Pygments' console lexer highlights as one (so what the reader sees as a command):
# `$ `, `# `, `% ` or `❯ `, after a virtualenv name or a user@host:dir part (`(.venv) $ `, `me@box:~/app$ `).
PS1 = getattr(BashSessionLexer, "_ps1rgx", re.compile(r"^()\s*\$\s*(.*\n?)"))
VENV = getattr(BashSessionLexer, "_venv", re.compile(r"^(\([^)]*\))(\s*)"))
# Placeholders a reader replaces: `<my_project_id>`, `<image>:<tag>`, `{container_name}`. Shellcheck reads
# them as redirections or braces; they are checked as words of the same length, so columns hold.
PLACEHOLDER = re.compile(r"(?<![<$\w])<(?P<angle>[A-Za-z][\w.:/-]*)>(?!>)|(?<![$\w])\{(?P<brace>[A-Za-z_][\w.-]*)\}")
HEREDOC = re.compile(r"<<-?\s*(?P<q>['\"]?)(?P<word>[A-Za-z_]\w*)(?P=q)")
# SC1091: shellcheck cannot follow a sourced file that is not on disk, which says nothing about the snippet.
EXCLUDE = "SC1091"
# A failed `cd` in a snippet is seen at once; `|| exit` would close the reader's terminal.
IGNORE = {2164}
# One syntax error makes shellcheck report these three together ("Couldn't parse this …", "Fix any mentioned
# problems", "The mentioned syntax error was in …"): one finding, SC1073's, which says what it could not parse.
PARSE_CASCADE = {1073: 0, 1072: 1, 1009: 2}
# What shellcheck says of a line that is not a command at all: `=== Title ===` (SC2274), `Usage: tool.`
# (SC2288), `NUM = 1` (SC2283), `x = f(a)` (SC1036). On two or more lines of one block, the block is output,
# prose or another language in a shell fence: one finding for the block, not one per line.
NOT_COMMANDS = {2274, 2288, 2283, 1036}
# "Parsing stopped here": with one such line, the block is not shell either, when something else is reported too.
PARSE_STOPPED = {1088, 1089}


def command_start(line: str) -> int | None:
    """Column where the command starts after the prompt, or None for an output line."""
    venv = VENV.match(line)
    offset = venv.end() if venv else 0
    m = PS1.match(line[offset:])
    return offset + m.start(2) if m else None


def words_for_placeholders(line: str) -> str:
    return PLACEHOLDER.sub(lambda m: "_" + (m.group("angle") or m.group("brace")) + "_", line)


def console_commands(body: list[str]) -> list[str]:
    """The body with output lines blanked: only the commands after `$ ` remain, on their own lines.

    A command goes on after a trailing `\\` (`> ` prompts stripped) and through a here-document's body.
    """
    out, continued, heredoc = [], False, None
    for line in body:
        if heredoc is not None:
            out.append(line)
            if line.strip() == heredoc:
                heredoc = None
            continue
        if continued:
            out.append(re.sub(r"^\s*> ?", "", line))
        elif (start := command_start(line)) is not None:
            out.append(line[start:])
        else:
            out.append("")
            continue
        continued = line.rstrip().endswith("\\")
        if m := HEREDOC.search(out[-1]):
            heredoc = m.group("word")
    return out


def _render(fence):
    body = console_commands(fence.body) if fence.key == "console" else list(fence.body)
    body = [words_for_placeholders(line) for line in body]
    if fence.key != "console" and body and body[0].startswith("#!"):
        return "\n".join(body) + "\n", 0
    return "#!/bin/bash\n" + "\n".join(body) + "\n", 1


def _fold_cascade(results):
    """One finding per syntax error: at SC1073's line (where the construct starts), with SC1072's "expected …"."""
    out, parse = [], {}
    for r in results:
        if r["code"] in PARSE_CASCADE:
            parse.setdefault(r["file"], []).append(r)
        else:
            out.append(r)
    for group in parse.values():
        first = min(group, key=lambda r: PARSE_CASCADE[r["code"]])
        said = []
        for r in sorted(group, key=lambda r: PARSE_CASCADE[r["code"]]):
            text = re.sub(r"\s*(Fix to allow more checks|Fix any mentioned problems and try again)\.", "",
                          r["message"]).strip().rstrip(".")
            if text and r["code"] != 1009:
                said.append(text)
        out.append(dict(first, message="; ".join(said or [first["message"]])
                        + " (shellcheck checks nothing after a syntax error)"))
    return out


def _fold_not_commands(results):
    """A block where two or more lines do not read as commands (or one, where parsing stopped and something
    else is reported too): one finding at its first, naming the lines."""
    by_file: dict[str, list] = {}
    for r in results:
        by_file.setdefault(r["file"], []).append(r)
    out = []
    for group in by_file.values():
        lines = sorted({r["line"] for r in group if r["code"] in NOT_COMMANDS})
        stopped = any(r["code"] in PARSE_STOPPED for r in group) and len({r["line"] for r in group}) > 1
        if len(lines) < 2 and not (lines and stopped):
            out += group
            continue
        codes = ", ".join(f"SC{c}" for c in sorted({r["code"] for r in group} & NOT_COMMANDS))
        first = min(group, key=lambda r: (r["line"], r["column"]))
        out.append(dict(first, code=min(r["code"] for r in group if r["line"] == lines[0]), level="error",
                        lines=lines, message=("lines {lines} do not" if len(lines) > 1 else "line {lines} does not")
                        + f" read as shell commands ({codes}): output belongs in a `text` fence, another "
                          "language in its own"))
    return out


def check(ctx: Context, fences) -> None:
    for fence in fences:
        if fence.key == "console" and not any(command_start(line) is not None for line in fence.body):
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
    for r in _fold_not_commands([r for r in _fold_cascade(results) if r["code"] not in IGNORE]):
        fence, offset = files[r["file"]]
        if "lines" in r:  # a folded block: name its lines as the page numbers them
            shown = [str(fence.at(n - offset).line) for n in r["lines"]]
            r["message"] = r["message"].format(lines=", ".join(shown[:6]) + (", …" if len(shown) > 6 else ""))
        check_id = "console-shellcheck" if fence.key == "console" else "shell-shellcheck"
        ctx.report(fence, r["line"] - offset, check_id, f"SC{r['code']} ({r['level']}) {r['message']}")
