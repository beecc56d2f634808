"""Benchmark: plain `mkdocs build` against `scripts/build.py --offline`, on the real site and on a generated one.

    python scripts/bench_build.py [--pages 1000] [--repeat 3] [--skip-real] [--keep DIR]

The generated site uses the real mkdocs.yml (theme, extensions, plugins) with N pages, each holding several
valid fences of every checked language, so it measures the clean path a contributor's run takes.
Goal (issue 14): cold ratio <= 1.5 (the diagram cache emptied first: a fresh clone, or a Mermaid upgrade),
warm ratio <= 1.0 (a re-run). Prints both times and the ratio for each, and `uptime`'s load before and
after, since a busy machine moves both numbers.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONPATH=str(ROOT))

PAGE = '''---
description: Generated page {i} for the build benchmark.
---
# Benchmark page {i}

A paragraph that links to [the next page](page-{next:04d}.md#step-by-step) and to
[a heading on this page](#what-the-fences-show).

## What the fences show

```python
import json

settings = {{"page": {i}, "name": "model-{i}"}}
print(json.dumps(settings))
```

```python title="train_{i}.py"
def train(epochs: int = {i}) -> float:
    loss = 1.0
    for epoch in range(epochs):
        loss = loss / (epoch + 2)
    return loss
```

```dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
USER 10001
CMD ["python", "serve_{i}.py"]
```

```dockerfile
FROM python:3.12-slim AS build
WORKDIR /src
COPY . .
RUN python -m compileall -q .

FROM python:3.12-slim
COPY --from=build /src /app
CMD ["python", "/app/main_{i}.py"]
```

```bash
set -euo pipefail
image="registry.example.com/model-{i}:1.0"
docker build -t "$image" .
docker push "$image"
```

```console
$ docker run --rm -p 8000:8000 model-{i}:1.0
Serving on 0.0.0.0:8000
$ curl -s http://127.0.0.1:8000/health
{{"status": "ok"}}
```

## Step by step

!!! note "Compose"

    ```yaml
    services:
      api:
        image: model-{i}:1.0
        ports:
          - "8000:8000"
        environment:
          MODEL_PATH: /models/model-{i}.joblib
    ```

=== "Kubernetes"

    ```yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: model-{i}
    spec:
      replicas: 2
      selector:
        matchLabels:
          app: model-{i}
      template:
        metadata:
          labels:
            app: model-{i}
        spec:
          containers:
            - name: api
              image: model-{i}:1.0
    ```

=== "Settings"

    ```yaml
    model:
      name: model-{i}
      threshold: 0.{i}
    ```

```json
{{"page": {i}, "fences": ["python", "yaml"]}}
```

```toml
[model]
name = "model-{i}"
epochs = {i}
```

```mermaid
flowchart LR
  accTitle: Page {i} flow
  accDescr: Data goes to training and on to serving for page {i}.
  data{i}[Data {i}] --> train[Training] --> serve[Serving {i}]
```

```mermaid
sequenceDiagram
  accTitle: Request {i}
  accDescr: A client calls the API for page {i}.
  Client->>API: POST /predict ({i})
  API-->>Client: 200 OK
```

```text
plain output for page {i}
```
'''


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode, proc.stdout + proc.stderr


def generate(target: Path, pages: int) -> Path:
    docs = target / "docs"
    (docs / "gen").mkdir(parents=True)
    for folder in ("docs/assets", "docs/includes", "overrides"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, target / folder, dirs_exist_ok=True)
    # The real 404 page links to the real site's sections, which the generated site does not have.
    (target / "overrides/404.html").unlink(missing_ok=True)
    mermaid = ROOT / "node_modules/mermaid/dist/mermaid.min.js"
    (docs / "assets/javascripts").mkdir(parents=True, exist_ok=True)
    shutil.copy(mermaid, docs / "assets/javascripts/mermaid.min.js")
    os.symlink(ROOT / "node_modules", target / "node_modules")
    (docs / "index.md").write_text("---\ndescription: Benchmark.\n---\n# Benchmark\n\n[First](gen/page-0000.md)\n")
    for i in range(pages):
        (docs / "gen" / f"page-{i:04d}.md").write_text(PAGE.format(i=i, next=(i + 1) % pages), encoding="utf-8")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = "nav:\n  - index.md\n  - Generated:\n" + "".join(f"      - gen/page-{i:04d}.md\n" for i in range(pages))
    config = re.sub(r"^nav:\n(?:[ -].*\n?)*", nav, config, flags=re.M)
    # `watch:` names the real repository's folders, which the generated site does not have.
    config = re.sub(r"^watch:\n(?:  - .*\n)*", "", config, flags=re.M)
    (target / "mkdocs.yml").write_text(config, encoding="utf-8")
    return target / "mkdocs.yml"


def bench(name: str, config: Path, work: Path, repeat: int) -> None:
    """Plain build, then the checked build twice: cold (no diagram renders cached, as in a fresh clone
    or after a Mermaid upgrade) and warm (a re-run, where only changed diagrams are rendered).

    Each round runs all four one after the other, so a load spike from other work on the machine hits
    a plain build and a checked one alike; each ratio is the median of its rounds' ratios."""
    cwd = config.parent
    ratios: dict[str, list[float]] = {"cold": [], "warm": []}
    for round_ in range(1, repeat + 1):
        plain, rc1, out1 = timed([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config),
                                  "-d", str(work / f"{name}-plain")], cwd)
        # scripts/build.py builds without mermaid2's per-page pass (see scripts/links.py), so it can beat a
        # plain build; timing that same build alone shows what the checks themselves cost on top of it.
        own, rc3, _ = timed([sys.executable, "-m", "scripts.links", "build", str(config),
                             str(work / f"{name}-own"), str(work / f"{name}-own.json")], cwd)
        print(f"{name}, round {round_}: mkdocs build {plain:.1f}s (exit {rc1}); the build as scripts/build.py "
              f"runs it {own:.1f}s (exit {rc3}); load {os.getloadavg()[0]:.1f}")
        shutil.rmtree(cwd / ".cache" / "diagrams", ignore_errors=True)
        for run, goal in (("cold", 1.5), ("warm", 1.0)):
            checked, rc2, out2 = timed([sys.executable, str(ROOT / "scripts/build.py"), "--offline", "--config",
                                        str(config), "--site-dir", str(work / f"{name}-checked")], cwd)
            ratios[run].append(checked / plain)
            print(f"  {run}: scripts/build.py --offline {checked:.1f}s (exit {rc2}), ratio {checked / plain:.2f} "
                  f"(goal <= {goal}); against its own build {checked / own:.2f}")
            for line in out2.splitlines():
                if line.startswith(("time:", "clean")):
                    print(f"    {line}")
            if rc2 == 2:
                print(f"    error: {out2.strip().splitlines()[-1:]}")
            elif rc2 != 0:
                findings = [line for line in out2.splitlines() if re.match(r"^\S+:\d+: ", line)]
                print(f"    {len(findings)} finding(s); first: {findings[:3]}")
    for run, goal in (("cold", 1.5), ("warm", 1.0)):
        median = statistics.median(ratios[run])
        verdict = "meets" if median <= goal else "MISSES"
        print(f"{name}: {run} ratio, median of {repeat}: {median:.2f} ({verdict} the goal <= {goal}); "
              f"all: {', '.join(f'{r:.2f}' for r in ratios[run])}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=1000)
    p.add_argument("--skip-real", action="store_true")
    p.add_argument("--repeat", type=int, default=3, help="rounds per site; ratios are medians (default 3)")
    p.add_argument("--keep", help="keep the generated site in this directory")
    args = p.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.skip_real:
            bench("real-site", ROOT / "mkdocs.yml", work, args.repeat)
        gen = work / "generated"
        if gen.exists():
            shutil.rmtree(gen)
        config = generate(gen, args.pages)
        bench(f"generated {args.pages}-page site", config, work, args.repeat)
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
