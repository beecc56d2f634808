"""Shared helpers for the build-script tests: run scripts/build.py as a user would."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ROOT / "tests" / "faults"
MARKER = re.compile(r"FAULT(?P<next>-NEXT)?:(?P<check>[a-z0-9-]+)")


def run_build(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "scripts/build.py", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def run_json(*args: str):
    proc = run_build("--format", "json", *args)
    assert proc.stdout.strip(), f"no output; stderr: {proc.stderr}"
    return proc, json.loads(proc.stdout)


def expected_faults(project: Path) -> set[tuple[str, int, str]]:
    """(path, line, check) for every FAULT marker in the project's files."""
    found = set()
    for path in sorted(project.rglob("*")):
        if not path.is_file() or path.suffix not in (".md", ".yml", ".yaml"):
            continue
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in MARKER.finditer(line):
                if path.name == "mkdocs.yml":
                    continue
                found.add((rel, number + (1 if m.group("next") else 0), m.group("check")))
    return found
