"""json and toml fences: they must parse."""
from __future__ import annotations

import json
import re
import tomllib

from scripts.snippets.base import Context

LEXERS = {"json", "toml"}


def check(ctx: Context, fences) -> None:
    for fence in fences:
        if fence.key == "json":
            try:
                json.loads(fence.text)
            except json.JSONDecodeError as e:
                ctx.report(fence, e.lineno, "json-parse", e.msg)
        else:
            try:
                tomllib.loads(fence.text)
            except tomllib.TOMLDecodeError as e:
                m = re.search(r"\(at line (\d+), column \d+\)", str(e))
                msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
                ctx.report(fence, int(m.group(1)) if m else len(fence.body), "toml-parse", msg)
