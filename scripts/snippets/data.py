"""json and toml fences: they must parse.

A json block may leave members out with `...` (a value, an array item or a line of its own), as yaml blocks do:
it is parsed with those as `null` and the lines alone dropped, so the rest must still be valid JSON.
"""
from __future__ import annotations

import json
import re
import tomllib

import yaml

from scripts.snippets.base import Context

LEXERS = {"json", "toml"}
ELISION_LINE = re.compile(r"^[ \t]*(?:\.\.\.|\u2026)[ \t]*,?[ \t]*$")
ELIDED_TAIL = re.compile(r",[ \t]*(?:\.\.\.|\u2026)(?=[ \t]*[}\]])")  # `[1, 2, ...]`, `{"a": 1, ...}`
ELIDED_VALUE = re.compile(r"(?P<before>[:\[][ \t]*)(?:\.\.\.|\u2026)(?=[ \t]*(?:[,}\]]|$))", re.MULTILINE)


def without_elisions(text: str) -> str:
    """The block with its `...` elisions taken out (same lines); any other mistake, such as a comma before `}`, stays."""
    text = ELIDED_VALUE.sub(r"\g<before>null", ELIDED_TAIL.sub("", text))
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not ELISION_LINE.match(line):
            continue
        lines[i] = ""
        after = next((rest.strip() for rest in lines[i + 1:] if rest.strip()), "")
        before = next((j for j in range(i - 1, -1, -1) if lines[j].strip()), None)
        if after[:1] in "}]" and before is not None and lines[before].rstrip().endswith(","):
            lines[before] = lines[before].rstrip()[:-1]  # the comma led to the members left out
    return "\n".join(lines)


def _is_yaml(text: str) -> bool:
    """A block-style YAML mapping or list (not JSON-like flow, where a broken JSON object would also parse)."""
    if text.lstrip().startswith(("{", "[")):
        return False
    try:
        return isinstance(yaml.safe_load(text), (dict, list))
    except yaml.YAMLError:
        return False


def _json(ctx: Context, fence) -> None:
    for attempt in dict.fromkeys((fence.text, without_elisions(fence.text))):
        try:
            json.loads(attempt)
            return
        except json.JSONDecodeError as e:
            error = e  # the elided text's error, when there is one: its lines are the block's
    hint = "; this is YAML, not JSON: name the fence yaml" if _is_yaml(fence.text) else ""
    ctx.report(fence, error.lineno, "json-parse", error.msg + hint)


def check(ctx: Context, fences) -> None:
    for fence in fences:
        if fence.key == "json":
            _json(ctx, fence)
        else:
            try:
                tomllib.loads(fence.text)
            except tomllib.TOMLDecodeError as e:
                m = re.search(r"\(at line (\d+), column \d+\)", str(e))
                msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
                ctx.report(fence, int(m.group(1)) if m else len(fence.body), "toml-parse", msg)
