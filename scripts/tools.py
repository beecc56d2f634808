"""Finding and running the external linters. A missing tool is a usage error, not a traceback."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from scripts.errors import UsageError

# The linters are pip-installed next to the interpreter that runs us (.venv/bin).
_BIN_DIRS = [Path(sys.executable).parent]


def which(name: str) -> str:
    for d in _BIN_DIRS:
        p = d / name
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    found = shutil.which(name)
    if found:
        return found
    raise UsageError(
        f"{name} not found: install the pinned tools with "
        f"'{sys.executable} -m pip install -r requirements-dev.txt' (or 'make setup')"
    )


def run(args: list[str], cwd=None, timeout: float = 600, input: str | None = None):
    try:
        return subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, timeout=timeout, input=input
        )
    except FileNotFoundError as e:
        raise UsageError(f"cannot run {args[0]}: {e.strerror}") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{Path(args[0]).name} did not finish within {timeout:.0f}s") from None
