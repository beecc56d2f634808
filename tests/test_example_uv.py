"""uv.lock is the source of truth for the example's versions: it is current, requirements.txt is exported
from it, and Dockerfile.uv copies in the same uv that wrote it.

The checks of the committed files run --offline: with exact pins, a lock that is current is verified from
the lock alone. Only the test that changes pyproject.toml reaches an index (PyPI, and nothing else), because
uv re-resolves before it reports a stale lock.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from importlib.metadata import version

import pytest
from example_fixtures import EXAMPLE_DIR
from uv import find_uv_bin

UV = find_uv_bin()
EXPORT = ["export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"]


def uv(*args: str, cwd=EXAMPLE_DIR, offline: bool = True) -> subprocess.CompletedProcess:
    # UV_NO_CONFIG: a developer's own uv.toml (another index, say) must not change the result.
    env = {**os.environ, "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"}
    env = {k: v for k, v in env.items() if not k.startswith(("UV_INDEX", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX"))}
    command = [UV, *args, *(["--offline"] if offline else [])]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_lock_is_current():
    result = uv("lock", "--check")
    assert result.returncode == 0, result.stderr


def test_lock_check_fails_when_pyproject_changes(tmp_path):
    # The check above could pass for a wrong reason (a lock it never compares); show it catches a change.
    shutil.copy(EXAMPLE_DIR / "uv.lock", tmp_path)
    pyproject = (EXAMPLE_DIR / "pyproject.toml").read_text()
    # idna is already in the lock (as fastapi's dependency): no download needed, only the check differs.
    (tmp_path / "pyproject.toml").write_text(pyproject.replace('"joblib==1.6.0",', '"joblib==1.6.0", "idna==3.20",'))
    result = uv("lock", "--check", cwd=tmp_path, offline=False)
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr


def requirement_lines(text: str) -> list[str]:
    # uv's two header lines name the command that wrote the file; the rest must be identical.
    return [line for line in text.splitlines() if not line.startswith("#")]


def test_requirements_txt_is_exported_from_the_lock():
    result = uv(*EXPORT)
    assert result.returncode == 0, result.stderr
    exported = requirement_lines(result.stdout)
    assert exported, "uv export printed no requirement"
    committed = requirement_lines((EXAMPLE_DIR / "requirements.txt").read_text())
    assert committed == exported, (
        "requirements.txt differs from uv.lock; regenerate it in examples/ml-service with:\n"
        f"  uv {' '.join(EXPORT)} -o requirements.txt"
    )


def test_pyproject_pins_every_direct_dependency_exactly():
    project = tomllib.loads((EXAMPLE_DIR / "pyproject.toml").read_text())["project"]
    loose = [dep for dep in project["dependencies"] if not re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", dep)]
    assert not loose, f"not exact pins: {loose}"


def test_one_uv_version_everywhere():
    installed = version("uv")  # the pin in requirements-dev.txt, which ran the checks above
    dockerfile = (EXAMPLE_DIR / "Dockerfile.uv").read_text()
    (image_tag,) = re.findall(r"COPY --from=ghcr\.io/astral-sh/uv:([\w.]+) /uv /uvx /bin/", dockerfile)
    assert image_tag == installed, f"Dockerfile.uv copies uv {image_tag}, the checks run uv {installed}"
    requires = tomllib.loads((EXAMPLE_DIR / "pyproject.toml").read_text())["build-system"]["requires"]
    major, minor, _ = installed.split(".")
    assert requires == [f"uv_build>={installed},<{major}.{int(minor) + 1}"], requires


@pytest.mark.parametrize("flag", ["--locked", "--no-install-project", "--no-editable", "--no-dev"])
def test_dockerfile_uses_the_lock_and_layers_dependencies_first(flag):
    instructions = "\n".join(line for line in (EXAMPLE_DIR / "Dockerfile.uv").read_text().splitlines()
                             if not line.lstrip().startswith("#"))
    syncs = re.findall(r"uv sync[^\n]*", instructions)
    assert len(syncs) == 2 and "--no-install-project" in syncs[0] and "--no-install-project" not in syncs[1]
    if flag != "--no-install-project":
        assert all(flag in line for line in syncs), syncs
