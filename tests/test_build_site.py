"""The real site passes every offline check, and both ways of starting the script work."""
from __future__ import annotations

import re
import subprocess
import sys

from build_helpers import ROOT, run_build, run_json


def test_real_site_is_clean(tmp_path):
    proc, data = run_json("--offline", "--site-dir", str(tmp_path / "site"))
    findings = "\n".join(f"{f['path']}:{f['line']}: {f['check']}: {f['message']}" for f in data["findings"])
    assert proc.returncode == 0, f"the site has findings:\n{findings}\n{proc.stderr}"
    assert data["summary"]["pages"] > 0
    # What is published draws every diagram as inline SVG and never loads Mermaid.
    pages = list((tmp_path / "site").rglob("*.html"))
    assert sum(p.read_text(encoding="utf-8").count('class="mermaid-rendered"') for p in pages) > 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert 'class="mermaid"' not in text, f"{page}: a diagram left for the browser to draw"
        # The print page keeps its scripts behind data-md-if="pre.mermaid" (overrides/main.html): they load
        # only where a diagram is left for the browser, which the assert above rules out.
        assert not re.search(r'<script(?![^>]*data-md-if="pre\.mermaid")[^>]*mermaid', text), f"{page}: loads Mermaid"
        # Crawlers (and readers without the scripts yet) cannot follow a javascript: link.
        assert 'href="javascript:' not in text, f"{page}: a javascript: link"


def test_runs_as_module_and_as_script():
    for cmd in ([sys.executable, "-m", "scripts.build", "--help"], [sys.executable, "scripts/build.py", "--help"]):
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "--offline" in proc.stdout, proc.stderr


def _project(root, page: str, config: str = "") -> None:
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text(page, encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: Another project\ntheme:\n  name: material\n  font: false\n"
                                     "markdown_extensions:\n  - pymdownx.superfences\n"
                                     + config, encoding="utf-8")


def test_config_checks_another_project_in_place(tmp_path):
    """`--config path/to/other/mkdocs.yml`: that project's pages, its own tool configs, its own site_dir."""
    project = tmp_path / "other"
    _project(project, "# Other\n\n```python\nimport os\n```\n\nSee [nowhere](nowhere.md).\n")
    (project / "ruff.toml").write_text('[lint]\nselect = ["F401"]\n', encoding="utf-8")
    proc, data = run_json("--offline", "--config", str(project / "mkdocs.yml"))
    found = {(f["path"], f["line"], f["check"]) for f in data["findings"]}
    assert proc.returncode == 1, proc.stderr
    # Paths are the other project's own; its ruff.toml (F401 on) is used, not this repository's (F401 off).
    assert found == {("docs/index.md", 4, "python-ruff"), ("docs/index.md", 7, "link-not-found")}
    assert (project / "site" / "index.html").is_file()


def test_a_missing_plugin_is_named(tmp_path):
    _project(tmp_path, "# Page\n", "plugins:\n  - no-such-plugin\n")
    proc = run_build("--offline", "--config", str(tmp_path / "mkdocs.yml"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and '"no-such-plugin" plugin is not installed' in lines[0], proc.stderr
