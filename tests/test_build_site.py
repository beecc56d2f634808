"""The real site passes every offline check, and both ways of starting the script work."""
from __future__ import annotations

import re
import subprocess
import sys

from build_helpers import ROOT, run_json


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
        assert not re.search(r"<script[^>]*mermaid", text), f"{page}: loads Mermaid"
        # Crawlers (and readers without the scripts yet) cannot follow a javascript: link.
        assert 'href="javascript:' not in text, f"{page}: a javascript: link"


def test_runs_as_module_and_as_script():
    for cmd in ([sys.executable, "-m", "scripts.build", "--help"], [sys.executable, "scripts/build.py", "--help"]):
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "--offline" in proc.stdout, proc.stderr
